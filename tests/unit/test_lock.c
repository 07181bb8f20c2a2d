// SPDX-License-Identifier: GPL-3.0-or-later
/* The core's biased lock (mutex_spin.h, core/lock.c): mutual exclusion
 * while threads take it in bursts (each burst long enough to earn the
 * bias, the next thread's call revoking it), and the bias itself: granted
 * to a thread that keeps taking the lock, revoked by another thread's
 * call, granted again only after twice as many calls. */
#include <linux/membarrier.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mutex_spin.h"

#define NTHREADS 4
#define BURST 300 /* > VCPU__BIAS_MIN: a burst earns the bias */
#define BURSTS 1000

static struct vcpu__lock lk;
static long counter; /* plain: only under the lock */
static int inside;   /* plain: 1 while a holder is in */
static _Atomic int overlaps;
static pthread_barrier_t start;

static void *burster(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start); /* all at once: they contend */
    for (int b = 0; b < BURSTS; b++) {
        for (int i = 0; i < BURST; i++) {
            vcpu__lock(&lk);
            if (inside)
                atomic_fetch_add(&overlaps, 1);
            inside = 1;
            counter++;
            if (i == 0) /* keep the bias cheap to earn: every burst */
                lk.need = VCPU__BIAS_MIN; /* flips it (white box) */
            inside = 0;
            vcpu__unlock(&lk);
        }
        sched_yield(); /* let another thread take over */
    }
    return NULL;
}

static void test_lock_excludes_under_bias_and_revocation(void **state)
{
    (void)state;
    vcpu__lock_init(&lk);
    counter = 0;
    pthread_barrier_init(&start, NULL, NTHREADS);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, burster, NULL), 0);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    assert_int_equal(atomic_load(&overlaps), 0);
    assert_int_equal(counter, (long)NTHREADS * BURSTS * BURST);
}

/* Whether this process can have a bias at all (see bias_setup). */
static bool bias_possible(void)
{
#if defined(__SANITIZE_THREAD__)
    return false;
#else
    const char *e = getenv("VCPU_LOCK_BIAS");
    if (e && !strcmp(e, "0"))
        return false;
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    return cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED);
#endif
}

static void *take_once(void *arg)
{
    vcpu__lock(arg);
    vcpu__unlock(arg);
    return NULL;
}

static void take(struct vcpu__lock *l, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        vcpu__lock(l);
        vcpu__unlock(l);
    }
}

static void test_lock_bias_granted_revoked_and_earned_again(void **state)
{
    (void)state;
    if (!bias_possible())
        skip();
    struct vcpu__lock l;
    vcpu__lock_init(&l);
    take(&l, VCPU__BIAS_MIN - 1);
    assert_null(atomic_load(&l.owner));
    take(&l, 1);
    assert_ptr_equal(atomic_load(&l.owner), &vcpu__lock_token);
    take(&l, 1000); /* through the bias: the word is never touched */
    assert_int_equal(atomic_load(&l.word), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, take_once, &l), 0);
    pthread_join(t, NULL);
    assert_null(atomic_load(&l.owner));
    assert_int_equal(l.need, 2 * VCPU__BIAS_MIN);
    take(&l, 2 * VCPU__BIAS_MIN - 1);
    assert_null(atomic_load(&l.owner));
    take(&l, 1);
    assert_ptr_equal(atomic_load(&l.owner), &vcpu__lock_token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_excludes_under_bias_and_revocation),
        cmocka_unit_test(test_lock_bias_granted_revoked_and_earned_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
