// SPDX-License-Identifier: LGPL-2.1-or-later
/* What runs inside a vCPU: its entry trampoline, self queries, yield,
 * sleep, exit and preemption points, and the sleepers' timer thread.
 *
 * A vCPU can resume on another worker thread than the one it left, so the
 * current worker is read afresh after every switch: from the vCPU itself
 * (resumed_on), or through a function call that reads the TLS (see
 * "Thread-local storage" in ctx.h). */
#include <errno.h>
#include <stdlib.h>

#include "rt_internal.h"

/* Not inlined: each call reads this thread's TLS afresh. */
VCPU__GUEST_TEXT
__attribute__((noinline)) static struct rt_worker *this_worker(void)
{
    struct rt_worker *w = vcpu__tls_worker;
    __asm__ volatile("" : : : "memory");
    return w;
}

/* The worker @v runs on, once switched to: whoever switched to it stored
 * its worker in it first (begin_run, worker.c), on this thread. */
static inline struct rt_worker *resumed_on(struct rt_vcpu *v)
{
    return atomic_load_explicit(&v->worker, memory_order_relaxed);
}

VCPU__GUEST_TEXT
__attribute__((noinline)) struct rt_vcpu *vcpu__self(void)
{
    struct rt_worker *w = this_worker();
    if (!w || !atomic_load_explicit(&w->in_vcpu, memory_order_relaxed))
        return NULL;
    return w->curr;
}

/* Leave the vCPU for its worker's scheduler, saying why. Returns when the
 * vCPU runs again (perhaps on another worker). */
VCPU__GUEST_TEXT
void vcpu__switch_out(struct rt_vcpu *v, int action)
{
    struct rt_worker *w = this_worker();
    /* in_vcpu first: a timer signal from here on leaves the vCPU alone,
     * so it cannot overwrite the action with its own (an exit or a block
     * turned into a preemption would resume a finished context). */
    atomic_store_explicit(&w->in_vcpu, false, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    v->action = action;
    w->prev = v;
    vcpu__ctx_switch(&v->ctx, &w->sched);
    w = resumed_on(v);
    vcpu__worker_finish(w);
    atomic_store_explicit(&w->in_vcpu, true, memory_order_relaxed);
}

VCPU__GUEST_TEXT
void vcpu__block_self(struct rt_vcpu *v)
{
    vcpu__switch_out(v, ACT_BLOCK);
}

VCPU__GUEST_TEXT
/* As a yield, an exit goes straight to the next vCPU when it can
 * (vcpu__worker_exit), else through the worker's context. */
_Noreturn static void exit_self(struct rt_vcpu *v)
{
    struct rt_worker *w = this_worker();
    atomic_store_explicit(&w->in_vcpu, false, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    struct vcpu__ctx *to = vcpu__worker_exit(w, v);
    w->prev = v;
    vcpu__ctx_exit(&v->ctx, to);
}

VCPU__GUEST_TEXT
void vcpu__guest_entry(void *arg)
{
    struct rt_vcpu *v = arg;
    struct rt_worker *w = this_worker();
    vcpu__worker_finish(w);
    atomic_store_explicit(&w->in_vcpu, true, memory_order_relaxed);
    v->entry(v->arg);
    exit_self(v);
}

/* ---- the guest API ------------------------------------------------------------ */

VCPU__GUEST_TEXT
vcpu_id_t vcpu_self(void)
{
    struct rt_vcpu *v = vcpu__self();
    return v ? v->id : VCPU_NONE;
}

VCPU__GUEST_TEXT
vcpu_vm_t vcpu_self_vm(void)
{
    struct rt_vcpu *v = vcpu__self();
    return v ? v->vm : VCPU_NONE;
}

VCPU__GUEST_TEXT
unsigned vcpu_self_index(void)
{
    struct rt_vcpu *v = vcpu__self();
    return v ? v->index : 0;
}

VCPU__GUEST_TEXT
vcpu_pcpu_t vcpu_self_pcpu(void)
{
    struct rt_worker *w = this_worker();
    return w && vcpu__self() ? w->p : VCPU_NONE;
}

/* The worker's scheduler is skipped: the core is told here, on the
 * vCPU's stack, and the next vCPU resumed directly (vcpu__worker_yield).
 * With in_vcpu false a timer signal leaves this thread alone meanwhile. */
VCPU__GUEST_TEXT
void vcpu_yield(void)
{
    /* the TLS read inline: nothing below reads it after the switch */
    struct rt_worker *w = vcpu__tls_worker;
    if (__builtin_expect(
            !w || !atomic_load_explicit(&w->in_vcpu, memory_order_relaxed), 0))
        return;
    struct rt_vcpu *v = w->curr;
    atomic_store_explicit(&w->in_vcpu, false, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    struct vcpu__ctx *to = vcpu__worker_yield(w, v);
    if (__builtin_expect(to != NULL, 1)) {
        w->prev = v;
        vcpu__ctx_switch(&v->ctx, to);
        w = resumed_on(v);
        vcpu__worker_finish(w);
    }
    atomic_store_explicit(&w->in_vcpu, true, memory_order_relaxed);
}

VCPU__GUEST_TEXT
_Noreturn void vcpu_exit(void)
{
    struct rt_vcpu *v = vcpu__self();
    if (!v)
        abort(); /* documented: only inside a vCPU */
    exit_self(v);
}

VCPU__GUEST_TEXT
void vcpu_preempt_point(void)
{
    struct rt_worker *w = this_worker();
    if (!w || !atomic_load_explicit(&w->in_vcpu, memory_order_relaxed))
        return;
    struct rt_vcpu *v = w->curr;
    if (v->preempt_off)
        return;
    if (atomic_load_explicit(&w->preempt_req, memory_order_relaxed) ||
        atomic_load_explicit(&w->want, memory_order_relaxed) == WANT_OFFLINE ||
        vcpu__rt_now(w->rt) >=
            atomic_load_explicit(&w->slice_end, memory_order_relaxed))
        vcpu__switch_out(v, ACT_PREEMPT);
}

VCPU__GUEST_TEXT
void vcpu_preempt_disable(void)
{
    struct rt_vcpu *v = vcpu__self();
    if (v)
        v->preempt_off++;
}

VCPU__GUEST_TEXT
void vcpu_preempt_enable(void)
{
    struct rt_vcpu *v = vcpu__self();
    if (!v || v->preempt_off == 0)
        return;
    if (--v->preempt_off == 0) /* a tick that came meanwhile is due now */
        vcpu_preempt_point();
}

/* ---- sleepers: a binary heap by deadline, served by one thread ----------- */

VCPU__GUEST_TEXT
static void heap_push(struct vcpu_rt *rt, struct rt_sleeper s)
{
    if (rt->nsleep == rt->cap_sleep) {
        size_t cap = rt->cap_sleep ? 2 * rt->cap_sleep : 64;
        struct rt_sleeper *t = realloc(rt->sleepers, cap * sizeof *t);
        if (!t)
            abort(); /* cannot report from here; sleep is void */
        rt->sleepers = t;
        rt->cap_sleep = cap;
    }
    size_t i = rt->nsleep++;
    while (i && rt->sleepers[(i - 1) / 2].deadline > s.deadline) {
        rt->sleepers[i] = rt->sleepers[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    rt->sleepers[i] = s;
}

VCPU__GUEST_TEXT
static struct rt_sleeper heap_pop(struct vcpu_rt *rt)
{
    struct rt_sleeper top = rt->sleepers[0];
    struct rt_sleeper last = rt->sleepers[--rt->nsleep];
    size_t i = 0, n = rt->nsleep;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n &&
            rt->sleepers[c + 1].deadline < rt->sleepers[c].deadline)
            c++;
        if (rt->sleepers[c].deadline >= last.deadline)
            break;
        rt->sleepers[i] = rt->sleepers[c];
        i = c;
    }
    if (n)
        rt->sleepers[i] = last;
    return top;
}

VCPU__GUEST_TEXT
void vcpu_sleep_ns(uint64_t ns)
{
    struct rt_vcpu *v = vcpu__self();
    if (!v)
        return;
    struct vcpu_rt *rt = v->rt;
    uint64_t deadline = vcpu__rt_now(rt) + ns;
    vcpu_preempt_disable();
    pthread_mutex_lock(&rt->tlock);
    heap_push(rt, (struct rt_sleeper){deadline, v});
    pthread_cond_signal(&rt->tcond);
    pthread_mutex_unlock(&rt->tlock);
    while (vcpu__rt_now(rt) < deadline)
        vcpu__block_self(v); /* spurious wake-ups just loop */
    vcpu_preempt_enable();
}

VCPU__GUEST_TEXT
static struct timespec abs_time(const struct vcpu_rt *rt, uint64_t t)
{
    uint64_t abs = t + rt->t0;
    return (struct timespec){(time_t)(abs / 1000000000u),
                             (long)(abs % 1000000000u)};
}

VCPU__GUEST_TEXT
void *vcpu__timer_main(void *arg)
{
    struct vcpu_rt *rt = arg;
    pthread_mutex_lock(&rt->tlock);
    while (!rt->stopping) {
        if (!rt->nsleep) {
            pthread_cond_wait(&rt->tcond, &rt->tlock);
            continue;
        }
        uint64_t now = vcpu__rt_now(rt);
        if (rt->sleepers[0].deadline > now) {
            struct timespec ts = abs_time(rt, rt->sleepers[0].deadline);
            pthread_cond_timedwait(&rt->tcond, &rt->tlock, &ts);
            continue;
        }
        struct rt_sleeper s = heap_pop(rt);
        pthread_mutex_unlock(&rt->tlock);
        vcpu__rt_wake(s.v);
        pthread_mutex_lock(&rt->tlock);
    }
    pthread_mutex_unlock(&rt->tlock);
    return NULL;
}
