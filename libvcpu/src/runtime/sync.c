// SPDX-License-Identifier: LGPL-2.1-or-later
/* vCPU-aware mutex, condition variable and barrier: a waiting vCPU blocks
 * in the core (its worker runs others), never the worker thread. Each keeps
 * a short internal pthread mutex, held with preemption disabled and never
 * across a switch. Waiters re-check their condition after every wake-up,
 * so a spurious wake-up is harmless. */
#include <stdlib.h>

#include "rt_internal.h"

struct wait_queue {
    struct rt_vcpu *head, *tail;
};

VCPU__GUEST_TEXT
static void wq_push(struct wait_queue *q, struct rt_vcpu *v)
{
    if (v->queued)
        return;
    v->queued = true;
    v->wnext = NULL;
    if (q->tail)
        q->tail->wnext = v;
    else
        q->head = v;
    q->tail = v;
}

VCPU__GUEST_TEXT
static struct rt_vcpu *wq_pop(struct wait_queue *q)
{
    struct rt_vcpu *v = q->head;
    if (!v)
        return NULL;
    q->head = v->wnext;
    if (!q->head)
        q->tail = NULL;
    v->queued = false;
    return v;
}

VCPU__GUEST_TEXT
static void wq_remove(struct wait_queue *q, struct rt_vcpu *v)
{
    struct rt_vcpu **pp = &q->head, *prev = NULL;
    for (; *pp; prev = *pp, pp = &(*pp)->wnext) {
        if (*pp != v)
            continue;
        *pp = v->wnext;
        if (q->tail == v)
            q->tail = prev;
        v->queued = false;
        return;
    }
}

/* ---- mutex ---------------------------------------------------------------------- */

struct vcpu_mutex {
    pthread_mutex_t lk;
    bool locked;
    struct wait_queue q;
};

VCPU__GUEST_TEXT
int vcpu_mutex_create(vcpu_mutex_t **out)
{
    if (!out)
        return VCPU_EINVAL;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return VCPU_ENOMEM;
    pthread_mutex_init(&(*out)->lk, NULL);
    return 0;
}

VCPU__GUEST_TEXT
void vcpu_mutex_destroy(vcpu_mutex_t *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lk);
    free(m);
}

VCPU__GUEST_TEXT
bool vcpu_mutex_trylock(vcpu_mutex_t *m)
{
    pthread_mutex_lock(&m->lk);
    bool got = !m->locked;
    m->locked = true;
    pthread_mutex_unlock(&m->lk);
    return got;
}

VCPU__GUEST_TEXT
void vcpu_mutex_lock(vcpu_mutex_t *m)
{
    struct rt_vcpu *self = vcpu__self();
    vcpu_preempt_disable();
    pthread_mutex_lock(&m->lk);
    while (m->locked) {
        wq_push(&m->q, self);
        pthread_mutex_unlock(&m->lk);
        vcpu__block_self(self);
        pthread_mutex_lock(&m->lk);
    }
    wq_remove(&m->q, self);
    m->locked = true;
    pthread_mutex_unlock(&m->lk);
    vcpu_preempt_enable();
}

VCPU__GUEST_TEXT
void vcpu_mutex_unlock(vcpu_mutex_t *m)
{
    vcpu_preempt_disable();
    pthread_mutex_lock(&m->lk);
    m->locked = false;
    struct rt_vcpu *next = wq_pop(&m->q);
    pthread_mutex_unlock(&m->lk);
    if (next)
        vcpu__rt_wake(next);
    vcpu_preempt_enable();
}

/* ---- condition variable ------------------------------------------------------ */

struct vcpu_cond {
    pthread_mutex_t lk;
    struct wait_queue q;
};

VCPU__GUEST_TEXT
int vcpu_cond_create(vcpu_cond_t **out)
{
    if (!out)
        return VCPU_EINVAL;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return VCPU_ENOMEM;
    pthread_mutex_init(&(*out)->lk, NULL);
    return 0;
}

VCPU__GUEST_TEXT
void vcpu_cond_destroy(vcpu_cond_t *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lk);
    free(c);
}

VCPU__GUEST_TEXT
void vcpu_cond_wait(vcpu_cond_t *c, vcpu_mutex_t *m)
{
    struct rt_vcpu *self = vcpu__self();
    vcpu_preempt_disable();
    pthread_mutex_lock(&c->lk);
    wq_push(&c->q, self);
    pthread_mutex_unlock(&c->lk);
    vcpu_mutex_unlock(m);
    vcpu__block_self(self); /* a signal in between left a note: no loss */
    pthread_mutex_lock(&c->lk);
    wq_remove(&c->q, self); /* after a spurious wake-up */
    pthread_mutex_unlock(&c->lk);
    vcpu_mutex_lock(m);
    vcpu_preempt_enable();
}

/* Wake under the queue's lock: a waiter woken spuriously may queue itself
 * again at once, which rewrites its link; walking a popped list after
 * unlocking could then lose the rest. (Lock order: queue, then core.) */
VCPU__GUEST_TEXT
static void cond_wake(vcpu_cond_t *c, bool all)
{
    vcpu_preempt_disable();
    pthread_mutex_lock(&c->lk);
    struct rt_vcpu *v;
    while ((v = wq_pop(&c->q))) {
        vcpu__rt_wake(v);
        if (!all)
            break;
    }
    pthread_mutex_unlock(&c->lk);
    vcpu_preempt_enable();
}

VCPU__GUEST_TEXT
void vcpu_cond_signal(vcpu_cond_t *c)
{
    cond_wake(c, false);
}

VCPU__GUEST_TEXT
void vcpu_cond_broadcast(vcpu_cond_t *c)
{
    cond_wake(c, true);
}

/* ---- barrier ------------------------------------------------------------------ */

struct vcpu_barrier {
    pthread_mutex_t lk;
    unsigned count, arrived;
    _Atomic unsigned generation;
    struct wait_queue q;
};

VCPU__GUEST_TEXT
int vcpu_barrier_create(unsigned count, vcpu_barrier_t **out)
{
    if (!out)
        return VCPU_EINVAL;
    *out = NULL;
    if (!count)
        return VCPU_EINVAL;
    vcpu_barrier_t *b = calloc(1, sizeof *b);
    if (!b)
        return VCPU_ENOMEM;
    pthread_mutex_init(&b->lk, NULL);
    b->count = count;
    *out = b;
    return 0;
}

VCPU__GUEST_TEXT
void vcpu_barrier_destroy(vcpu_barrier_t *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->lk);
    free(b);
}

VCPU__GUEST_TEXT
bool vcpu_barrier_wait(vcpu_barrier_t *b)
{
    struct rt_vcpu *self = vcpu__self();
    vcpu_preempt_disable();
    pthread_mutex_lock(&b->lk);
    unsigned gen = atomic_load(&b->generation);
    if (++b->arrived == b->count) {
        b->arrived = 0;
        atomic_store(&b->generation, gen + 1);
        struct rt_vcpu *v;
        while ((v = wq_pop(&b->q))) /* under the lock, as cond_wake */
            vcpu__rt_wake(v);
        pthread_mutex_unlock(&b->lk);
        vcpu_preempt_enable();
        return true;
    }
    wq_push(&b->q, self);
    pthread_mutex_unlock(&b->lk);
    while (atomic_load(&b->generation) == gen)
        vcpu__block_self(self);
    /* The last arrival moves the generation on before it pops the waiters
     * (a spurious wake-up can see it first): pass its lock, so that our
     * queue link is ours again before a cond or mutex may use it. */
    pthread_mutex_lock(&b->lk);
    pthread_mutex_unlock(&b->lk);
    vcpu_preempt_enable();
    return false;
}
