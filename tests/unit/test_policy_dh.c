// SPDX-License-Identifier: GPL-3.0-or-later
/* dh driven through the core: excess vCPUs suspended (not time-shared) and
 * resumed when capacity returns, the least critical first; critical vCPUs
 * steered off slow pCPUs; wake-ups on the fastest idle pCPU; timeshare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <vcpu/vcpu.h>

#define MAXQ 256

struct fx {
    vcpu_topo_t *topo;
    vcpu_core_t *core;
    vcpu_time_t now;
    vcpu_pcpu_t kicks[MAXQ], preempts[MAXQ];
    unsigned nkicks, npreempts;
    vcpu_vm_t vm;
    vcpu_id_t v[8];
};

static void on_kick(void *arg, vcpu_pcpu_t p)
{
    struct fx *f = arg;
    if (f->nkicks < MAXQ)
        f->kicks[f->nkicks++] = p;
}

static void on_preempt(void *arg, vcpu_pcpu_t p)
{
    struct fx *f = arg;
    if (f->npreempts < MAXQ)
        f->preempts[f->npreempts++] = p;
}

static const struct vcpu_core_env env = {
    .abi = VCPU_CORE_ABI, .kick = on_kick, .preempt = on_preempt};

/* Honour preemptions and deliver kicks until quiet (the environment). */
static void settle(struct fx *f)
{
    while (f->npreempts || f->nkicks) {
        vcpu_id_t v;
        if (f->npreempts)
            assert_int_equal(
                vcpu_core_preempt(f->core, f->now, f->preempts[--f->npreempts]),
                0);
        else
            vcpu_core_pick(f->core, f->now, f->kicks[--f->nkicks], &v, NULL);
    }
    assert_int_equal(vcpu_core_check_settled(f->core), 0);
}

/* A core on 4 single-PU cores with @n vCPUs of one VM (not woken). */
static void make(struct fx *f, const char *args, unsigned n)
{
    assert_int_equal(vcpu_topo_load_synthetic("pack:1 core:4 pu:1", &f->topo),
                     0);
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = f->topo,
        .ops = vcpu_policy_find("dh"),
        .policy_args = args,
        .seed = 1,
        .slice_ns = 1000,
        .flags = VCPU_CORE_CHECK,
        .env = &env,
        .env_arg = f,
    };
    assert_non_null(a.ops);
    assert_int_equal(vcpu_core_create(&a, &f->core), 0);
    assert_int_equal(vcpu_core_vm_add(f->core, 0, NULL, &f->vm), 0);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(vcpu_core_vcpu_add(f->core, 0, f->vm, &f->v[i]), 0);
}

static void wake_all(struct fx *f, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(vcpu_core_wake(f->core, f->now, f->v[i]), 0);
    settle(f);
}

static unsigned count(struct fx *f, unsigned state)
{
    unsigned n = 0;
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(f->core); v++)
        n += vcpu_core_vcpu_state(f->core, v) == state;
    return n;
}

static unsigned state_of(struct fx *f, unsigned i)
{
    return vcpu_core_vcpu_state(f->core, f->v[i]);
}

/* Let a few slices expire everywhere. */
static void run_slices(struct fx *f, unsigned n)
{
    for (unsigned s = 0; s < n; s++) {
        f->now += 1000;
        for (vcpu_pcpu_t p = 0; p < 4; p++)
            vcpu_core_tick(f->core, f->now, p, NULL);
        settle(f);
    }
}

static int setup(void **state)
{
    *state = calloc(1, sizeof(struct fx));
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vcpu_core_destroy(f->core);
    vcpu_topo_unref(f->topo);
    free(f);
    return 0;
}

static void test_policy_dh_offline_suspends_and_online_resumes(void **state)
{
    struct fx *f = *state;
    make(f, NULL, 4);
    wake_all(f, 4);
    assert_int_equal(count(f, VP_VCPU_RUNNING), 4);
    vcpu_pcpu_t p = vcpu_core_vcpu_pcpu(f->core, f->v[1]);
    f->now += 100;
    assert_int_equal(vcpu_core_pcpu_set_online(f->core, f->now, p, false), 0);
    settle(f);
    assert_int_equal(count(f, VP_VCPU_RUNNING), 3);
    assert_int_equal(count(f, VP_VCPU_RUNNABLE), 0);
    assert_int_equal(count(f, VP_VCPU_SUSPENDED), 1);
    assert_int_equal(state_of(f, 3), VP_VCPU_SUSPENDED); /* least critical */
    run_slices(f, 5); /* not time-shared: it stays parked */
    assert_int_equal(state_of(f, 3), VP_VCPU_SUSPENDED);
    f->now += 100;
    assert_int_equal(vcpu_core_pcpu_set_online(f->core, f->now, p, true), 0);
    settle(f);
    assert_int_equal(count(f, VP_VCPU_RUNNING), 4);
}

static void test_policy_dh_lowest_prio_is_suspended_until_room(void **state)
{
    struct fx *f = *state;
    make(f, NULL, 5);
    vcpu_core_vcpu_set_prio(f->core, f->v[2], -1);
    wake_all(f, 5);
    assert_int_equal(count(f, VP_VCPU_RUNNING), 4);
    assert_int_equal(state_of(f, 2), VP_VCPU_SUSPENDED);
    f->now += 100;
    assert_int_equal(vcpu_core_block(f->core, f->now, f->v[0]), 0);
    settle(f);
    assert_int_equal(state_of(f, 2), VP_VCPU_RUNNING); /* room again */
    f->now += 100;
    assert_int_equal(vcpu_core_wake(f->core, f->now, f->v[0]), 0);
    settle(f);
    assert_int_equal(state_of(f, 0), VP_VCPU_RUNNING);
    assert_int_equal(state_of(f, 2), VP_VCPU_SUSPENDED);
    f->now += 100;
    assert_int_equal(vcpu_core_exit(f->core, f->now, f->v[4]), 0);
    settle(f);
    assert_int_equal(count(f, VP_VCPU_RUNNING), 4);
    assert_int_equal(count(f, VP_VCPU_SUSPENDED), 0);
}

static void test_policy_dh_critical_vcpu_leaves_slow_pcpu(void **state)
{
    struct fx *f = *state;
    make(f, NULL, 4);
    wake_all(f, 4);
    vcpu_pcpu_t slow = vcpu_core_vcpu_pcpu(f->core, f->v[2]);
    vcpu_core_vcpu_set_prio(f->core, f->v[2], 10);
    f->now += 100;
    assert_int_equal(vcpu_core_pcpu_set_speed(f->core, f->now, slow, 500), 0);
    settle(f);
    assert_int_equal(count(f, VP_VCPU_RUNNING), 4);
    assert_int_equal(state_of(f, 2), VP_VCPU_RUNNING);
    assert_int_not_equal(vcpu_core_vcpu_pcpu(f->core, f->v[2]), slow);
    /* The least critical vCPU took the slow pCPU in a swap. */
    assert_int_equal(vcpu_core_pcpu_curr(f->core, slow), f->v[3]);
    struct vcpu_vcpu_stats st;
    vcpu_core_vcpu_stats(f->core, f->v[0], &st);
    assert_int_equal(st.nr_migrations, 0);
}

static void test_policy_dh_critical_vcpu_takes_freed_fast_pcpu(void **state)
{
    struct fx *f = *state;
    make(f, NULL, 4);
    wake_all(f, 4);
    for (vcpu_pcpu_t p = 0; p < 4; p++)
        vcpu_core_pcpu_set_speed(f->core, f->now, p, p == 0 ? 2000 : 1000);
    settle(f);
    vcpu_id_t fast = vcpu_core_pcpu_curr(f->core, 0);
    assert_int_equal(fast, f->v[0]); /* the most critical holds it */
    vcpu_core_vcpu_set_prio(f->core, f->v[1], 5);
    f->now += 100;
    assert_int_equal(vcpu_core_block(f->core, f->now, f->v[0]), 0);
    settle(f);
    assert_int_equal(vcpu_core_pcpu_curr(f->core, 0), f->v[1]);
}

static void test_policy_dh_wake_goes_to_fastest_idle(void **state)
{
    struct fx *f = *state;
    make(f, NULL, 2);
    vcpu_core_pcpu_set_speed(f->core, 0, 0, 800);
    vcpu_core_pcpu_set_speed(f->core, 0, 3, 1500);
    vcpu_core_pcpu_set_speed(f->core, 0, 2, 1200);
    settle(f);
    wake_all(f, 1);
    assert_int_equal(vcpu_core_vcpu_pcpu(f->core, f->v[0]), 3);
    assert_int_equal(vcpu_core_wake(f->core, f->now, f->v[1]), 0);
    settle(f);
    assert_int_equal(vcpu_core_vcpu_pcpu(f->core, f->v[1]), 2);
}

static void test_policy_dh_timeshare_never_suspends(void **state)
{
    struct fx *f = *state;
    make(f, "timeshare=true", 5);
    wake_all(f, 5);
    assert_int_equal(count(f, VP_VCPU_RUNNING), 4);
    assert_int_equal(count(f, VP_VCPU_RUNNABLE), 1);
    f->now += 100;
    vcpu_core_pcpu_set_online(f->core, f->now, 1, false);
    settle(f);
    assert_int_equal(count(f, VP_VCPU_SUSPENDED), 0);
    assert_int_equal(count(f, VP_VCPU_RUNNING), 3);
    run_slices(f, 10);
    assert_int_equal(count(f, VP_VCPU_SUSPENDED), 0);
    for (unsigned i = 0; i < 5; i++) { /* everyone got time */
        struct vcpu_vcpu_stats st;
        vcpu_core_vcpu_stats(f->core, f->v[i], &st);
        assert_true(st.run_ns > 0);
    }
}

static void test_policy_dh_timeshare_steers_off_slow_pcpu(void **state)
{
    struct fx *f = *state;
    make(f, "timeshare=true", 2);
    wake_all(f, 2);
    vcpu_pcpu_t p = vcpu_core_vcpu_pcpu(f->core, f->v[0]);
    f->now += 100;
    vcpu_core_pcpu_set_speed(f->core, f->now, p, 500);
    settle(f);
    assert_int_equal(state_of(f, 0), VP_VCPU_RUNNING);
    assert_int_not_equal(vcpu_core_vcpu_pcpu(f->core, f->v[0]), p);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_policy_dh_offline_suspends_and_online_resumes),
        T(test_policy_dh_lowest_prio_is_suspended_until_room),
        T(test_policy_dh_critical_vcpu_leaves_slow_pcpu),
        T(test_policy_dh_critical_vcpu_takes_freed_fast_pcpu),
        T(test_policy_dh_wake_goes_to_fastest_idle),
        T(test_policy_dh_timeshare_never_suspends),
        T(test_policy_dh_timeshare_steers_off_slow_pcpu),
    };
#undef T
    return cmocka_run_group_tests_name("policy_dh", tests, NULL, NULL);
}
