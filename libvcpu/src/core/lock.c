// SPDX-License-Identifier: LGPL-2.1-or-later
/* The slow paths of the core's biased lock (mutex_spin.h): the futex word,
 * granting the bias and revoking it. */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "mutex_spin.h"

VCPU__TLS char vcpu__lock_token;

static pthread_once_t bias_once = PTHREAD_ONCE_INIT;
static bool bias_ok; /* membarrier's private expedited command works */

static long membarrier(int cmd)
{
    return syscall(SYS_membarrier, cmd, 0, 0);
}

static void bias_setup(void)
{
#if defined(__SANITIZE_THREAD__)
    /* ThreadSanitizer cannot see the barrier the revoker forces on the
     * owner: it would take the owner's plain entry for a race. */
    bias_ok = false;
#else
    const char *env = getenv("VCPU_LOCK_BIAS"); /* "0": never (debugging) */
    if (env && !strcmp(env, "0"))
        return;
    long cmds = membarrier(MEMBARRIER_CMD_QUERY);
    bias_ok = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
              membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
#endif
}

void vcpu__lock_init(struct vcpu__lock *l)
{
    pthread_once(&bias_once, bias_setup);
    atomic_init(&l->word, 0);
    atomic_init(&l->owner, NULL);
    atomic_init(&l->inside, 0);
    atomic_init(&l->revoke, 0);
    l->held_biased = false;
    l->cand = NULL;
    l->streak = 0;
    l->need = VCPU__BIAS_MIN;
}

static int word_try(struct vcpu__lock *l)
{
    uint32_t z = 0;
    return atomic_compare_exchange_strong_explicit(
        &l->word, &z, 1, memory_order_acquire, memory_order_relaxed);
}

static void word_lock(struct vcpu__lock *l)
{
    if (word_try(l))
        return;
    for (int i = 0; i < VCPU__SPIN_TRIES; i++) {
        vcpu__cpu_relax();
        if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0 &&
            word_try(l))
            return;
    }
    while (atomic_exchange_explicit(&l->word, 2, memory_order_acquire) != 0)
        syscall(SYS_futex, (uint32_t *)&l->word, FUTEX_WAIT_PRIVATE, 2, NULL,
                NULL, 0);
}

void vcpu__lock_wake(struct vcpu__lock *l)
{
    syscall(SYS_futex, (uint32_t *)&l->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
            0);
}

/* Holding the word: take the bias back from its owner. The barrier makes
 * the owner's "inside" mark visible here if it entered before it could
 * see "revoke"; one that looks later sees "revoke" and takes the word. */
static void revoke_bias(struct vcpu__lock *l)
{
    atomic_store_explicit(&l->revoke, 1, memory_order_relaxed);
    membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    for (unsigned i = 0; atomic_load_explicit(&l->inside, memory_order_acquire);
         i++) {
        if (i < 64)
            vcpu__cpu_relax();
        else
            sched_yield(); /* the owner may be off its CPU */
    }
    atomic_store_explicit(&l->owner, NULL, memory_order_relaxed);
    atomic_store_explicit(&l->revoke, 0, memory_order_release);
    if (l->need < VCPU__BIAS_MAX)
        l->need *= 2;
}

void vcpu__lock_slow(struct vcpu__lock *l)
{
    word_lock(l);
    const void *me = &vcpu__lock_token;
    const void *o = atomic_load_explicit(&l->owner, memory_order_relaxed);
    if (o && o != me)
        revoke_bias(l);
    if (l->cand != me) {
        l->cand = me;
        l->streak = 0;
    }
    if (++l->streak >= l->need && bias_ok && o != me) {
        /* the holder keeps the word this time; its next call is biased */
        atomic_store_explicit(&l->owner, me, memory_order_relaxed);
        l->streak = 0;
    }
}

void vcpu__lock_call(struct vcpu__lock *l)
{
    vcpu__lock(l);
}

void vcpu__unlock_call(struct vcpu__lock *l)
{
    vcpu__unlock(l);
}
