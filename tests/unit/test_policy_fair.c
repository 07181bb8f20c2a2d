// SPDX-License-Identifier: GPL-3.0-or-later
/* The fair policy driven through the core: weight proportionality on one
 * pCPU, caps, idle stealing, periodic balancing, sleeper credit, pCPU
 * offline and argument checks. The environment is played here: kicks and
 * preemptions are delivered at once and each slice expiry is a tick. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <vcpu/vcpu.h>

#define MS 1000000ull
#define MAXP 64

struct fx {
    vcpu_topo_t *topo;
    vcpu_core_t *core;
    vcpu_time_t now;
    unsigned np;
    bool kick[MAXP], pre[MAXP];
};

static void on_kick(void *arg, vcpu_pcpu_t p)
{
    ((struct fx *)arg)->kick[p] = true;
}

static void on_preempt(void *arg, vcpu_pcpu_t p)
{
    ((struct fx *)arg)->pre[p] = true;
}

static const struct vcpu_core_env env = {
    .abi = VCPU_CORE_ABI,
    .kick = on_kick,
    .preempt = on_preempt,
};

static int start(struct fx *f, const char *topo, const char *args)
{
    if (f->core)
        vcpu_core_destroy(f->core);
    f->core = NULL;
    f->now = 0;
    memset(f->kick, 0, sizeof f->kick);
    memset(f->pre, 0, sizeof f->pre);
    vcpu_topo_unref(f->topo);
    assert_int_equal(vcpu_topo_load_synthetic(topo, &f->topo), 0);
    f->np = vcpu_topo_npcpus(f->topo);
    assert_true(f->np <= MAXP);
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = f->topo,
        .ops = vcpu_policy_find("fair"),
        .policy_args = args,
        .seed = 42,
        .slice_ns = 1 * MS,
        .flags = VCPU_CORE_CHECK,
        .env = &env,
        .env_arg = f,
    };
    return vcpu_core_create(&a, &f->core);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_int_equal(start(f, "pack:2 core:4 pu:1", NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->core)
        assert_int_equal(vcpu_core_check(f->core), 0);
    vcpu_core_destroy(f->core);
    vcpu_topo_unref(f->topo);
    free(f);
    return 0;
}

/* Deliver preemptions and kicks until quiet, then check every invariant,
 * work conservation included. */
static void settle(struct fx *f)
{
    for (bool more = true; more;) {
        more = false;
        for (vcpu_pcpu_t p = 0; p < f->np; p++) {
            if (f->pre[p]) {
                f->pre[p] = false, more = true;
                assert_int_equal(vcpu_core_preempt(f->core, f->now, p), 0);
            }
            if (f->kick[p]) {
                f->kick[p] = false, more = true;
                vcpu_id_t v;
                int rc = vcpu_core_pick(f->core, f->now, p, &v, NULL);
                assert_true(rc == 0 || rc == VCPU_EBUSY || rc == VCPU_ENODEV);
            }
        }
    }
    assert_int_equal(vcpu_core_check_settled(f->core), 0);
}

/* Advance time by @dt: each slice expiry on a busy pCPU is a tick. */
static void run(struct fx *f, uint64_t dt)
{
    vcpu_time_t end = f->now + dt;
    for (;;) {
        vcpu_pcpu_t best = VCPU_NONE;
        vcpu_time_t when = end;
        for (vcpu_pcpu_t p = 0; p < f->np; p++) {
            vcpu_time_t e = vcpu_core_slice_end(f->core, p);
            if (vcpu_core_pcpu_curr(f->core, p) != VCPU_NONE && e <= when)
                best = p, when = e;
        }
        if (best == VCPU_NONE)
            break;
        f->now = when;
        assert_int_equal(vcpu_core_tick(f->core, f->now, best, NULL), 0);
        settle(f);
    }
    f->now = end;
}

static vcpu_vm_t add_vm(struct fx *f, unsigned weight, unsigned cap)
{
    struct vcpu_vm_attr a = {
        .abi = VCPU_CORE_ABI, .weight = weight, .cap = cap};
    vcpu_vm_t vm;
    assert_int_equal(vcpu_core_vm_add(f->core, f->now, &a, &vm), 0);
    return vm;
}

static vcpu_id_t add_vcpu(struct fx *f, vcpu_vm_t vm, bool wake)
{
    vcpu_id_t v;
    assert_int_equal(vcpu_core_vcpu_add(f->core, f->now, vm, &v), 0);
    if (wake) {
        assert_int_equal(vcpu_core_wake(f->core, f->now, v), 0);
        settle(f);
    }
    return v;
}

static uint64_t run_ns(struct fx *f, vcpu_id_t v)
{
    struct vcpu_vcpu_stats st;
    assert_int_equal(vcpu_core_vcpu_stats(f->core, v, &st), 0);
    return st.run_ns;
}

static unsigned nr_running(struct fx *f)
{
    unsigned n = 0;
    for (vcpu_pcpu_t p = 0; p < f->np; p++)
        n += vcpu_core_pcpu_curr(f->core, p) != VCPU_NONE;
    return n;
}

/* Two CPU-bound VMs with weights 1:2 on one pCPU share it 1:2 within 1%. */
static void test_policy_fair_weights_share_one_pcpu(void **state)
{
    struct fx *f = *state;
    static const unsigned w[][2] = {{1, 2}, {100, 200}, {300, 600}};
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(start(f, "pack:1 core:1 pu:1", NULL), 0);
        vcpu_id_t a = add_vcpu(f, add_vm(f, w[i][0], 0), true);
        vcpu_id_t b = add_vcpu(f, add_vm(f, w[i][1], 0), true);
        run(f, 3000 * MS);
        double ra = (double)run_ns(f, a), rb = (double)run_ns(f, b);
        double ratio = rb / ra;
        printf("weights %u:%u: run %.1f ms vs %.1f ms, ratio %.4f\n", w[i][0],
               w[i][1], ra / MS, rb / MS, ratio);
        assert_true(ratio > 2.0 * 0.99 && ratio < 2.0 * 1.01);
        assert_true(ra + rb >= 2999.0 * MS); /* never idle */
    }
}

/* Three weights 1:2:3 with vCPUs that block and wake on one pCPU: shares
 * stay proportional while all are runnable. */
static void test_policy_fair_weights_three_vms(void **state)
{
    struct fx *f = *state;
    assert_int_equal(start(f, "pack:1 core:1 pu:1", NULL), 0);
    vcpu_id_t v[3];
    for (unsigned i = 0; i < 3; i++)
        v[i] = add_vcpu(f, add_vm(f, 100 * (i + 1), 0), true);
    run(f, 6000 * MS);
    double r0 = (double)run_ns(f, v[0]);
    for (unsigned i = 1; i < 3; i++) {
        double ratio = (double)run_ns(f, v[i]) / r0;
        printf("weight %u / weight 100: %.4f\n", 100 * (i + 1), ratio);
        assert_true(ratio > (i + 1) * 0.99 && ratio < (i + 1) * 1.01);
    }
}

/* Caps hold within 2% over 2 s: 500 (half a pCPU) on two CPU-bound vCPUs,
 * 250 on one, 1500 on four, and 300 on a VM sharing one pCPU with an
 * uncapped one. An uncapped VM keeps a pCPU busy: its ticks end periods. */
static void test_policy_fair_cap_holds(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *topo;
        unsigned cap, nvcpus;
    } cases[] = {
        {"pack:2 core:4 pu:1", 500, 2},
        {"pack:2 core:4 pu:1", 250, 1},
        {"pack:2 core:4 pu:1", 1500, 4},
        {"pack:1 core:1 pu:1", 300, 1},
    };
    for (unsigned k = 0; k < sizeof cases / sizeof *cases; k++) {
        assert_int_equal(start(f, cases[k].topo, NULL), 0);
        vcpu_vm_t capped = add_vm(f, 100, cases[k].cap);
        vcpu_id_t v[4];
        for (unsigned i = 0; i < cases[k].nvcpus; i++)
            v[i] = add_vcpu(f, capped, true);
        vcpu_id_t c = add_vcpu(f, add_vm(f, 100, 0), true);
        unsigned suspended_seen = 0;
        for (unsigned i = 0; i < 400; i++) {
            run(f, 5 * MS);
            suspended_seen +=
                vcpu_core_vcpu_state(f->core, v[0]) == VP_VCPU_SUSPENDED;
        }
        uint64_t used = 0;
        for (unsigned i = 0; i < cases[k].nvcpus; i++)
            used += run_ns(f, v[i]);
        double share = (double)used / (double)f->now * 1000.0;
        printf("cap %u on %u vCPU(s) (%s): %.1f thousandths, uncapped "
               "%.3f\n",
               cases[k].cap, cases[k].nvcpus, cases[k].topo, share,
               (double)run_ns(f, c) / (double)f->now);
        assert_true(share > cases[k].cap * 0.98 && share < cases[k].cap * 1.02);
        assert_true(suspended_seen > 50);
        assert_true(run_ns(f, c) >= f->now / 2);
    }
}

/* An idle pCPU that comes online steals from a busy queue; so does one
 * whose vCPU blocks. */
static void test_policy_fair_idle_pcpu_steals(void **state)
{
    struct fx *f = *state;
    for (vcpu_pcpu_t p = 1; p < f->np; p++)
        assert_int_equal(vcpu_core_pcpu_set_online(f->core, 0, p, false), 0);
    vcpu_vm_t vm = add_vm(f, 100, 0);
    vcpu_id_t v[10];
    for (unsigned i = 0; i < 10; i++)
        v[i] = add_vcpu(f, vm, true);
    assert_int_equal(nr_running(f), 1);
    run(f, 3 * MS);
    for (vcpu_pcpu_t p = 1; p < f->np; p++) {
        assert_int_equal(vcpu_core_pcpu_set_online(f->core, f->now, p, true),
                         0);
        settle(f);
        assert_int_not_equal(vcpu_core_pcpu_curr(f->core, p), VCPU_NONE);
    }
    assert_int_equal(nr_running(f), 8);
    /* Two still wait; a pCPU whose vCPU blocks takes one of them. */
    vcpu_id_t on3 = vcpu_core_pcpu_curr(f->core, 3);
    assert_int_equal(vcpu_core_block(f->core, f->now, on3), 0);
    settle(f);
    assert_int_not_equal(vcpu_core_pcpu_curr(f->core, 3), VCPU_NONE);
    assert_int_not_equal(vcpu_core_pcpu_curr(f->core, 3), on3);
    for (unsigned i = 0; i < 10; i++)
        assert_int_not_equal(vcpu_core_vcpu_state(f->core, v[i]), VP_VCPU_NEW);
}

/* Balancing spreads waiting vCPUs: 16 CPU-bound vCPUs started while one
 * pCPU was online end up sharing all eight about equally. */
static void test_policy_fair_balance_evens_queues(void **state)
{
    struct fx *f = *state;
    assert_int_equal(start(f, "pack:2 core:4 pu:1", "balance_ticks=2"), 0);
    for (vcpu_pcpu_t p = 1; p < f->np; p++)
        assert_int_equal(vcpu_core_pcpu_set_online(f->core, 0, p, false), 0);
    vcpu_vm_t vm = add_vm(f, 100, 0);
    vcpu_id_t v[16];
    for (unsigned i = 0; i < 16; i++)
        v[i] = add_vcpu(f, vm, true);
    for (vcpu_pcpu_t p = 1; p < f->np; p++)
        assert_int_equal(vcpu_core_pcpu_set_online(f->core, 0, p, true), 0);
    settle(f);
    run(f, 200 * MS);
    uint64_t base[16];
    for (unsigned i = 0; i < 16; i++)
        base[i] = run_ns(f, v[i]);
    run(f, 2000 * MS);
    for (unsigned i = 0; i < 16; i++) {
        double share = (double)(run_ns(f, v[i]) - base[i]) / (2000.0 * MS);
        assert_true(share > 0.40 && share < 0.60);
    }
}

/* A vCPU back from a long sleep gets at most wake_bonus of credit: it
 * shares the pCPU instead of running until it has caught up. */
static void test_policy_fair_sleeper_credit_is_bounded(void **state)
{
    struct fx *f = *state;
    assert_int_equal(start(f, "pack:1 core:1 pu:1", "wake_bonus_us=2000"), 0);
    vcpu_id_t a = add_vcpu(f, add_vm(f, 100, 0), true);
    vcpu_id_t b = add_vcpu(f, add_vm(f, 100, 0), true);
    run(f, 10 * MS);
    if (vcpu_core_pcpu_curr(f->core, 0) != b)
        run(f, 1 * MS);
    assert_int_equal(vcpu_core_pcpu_curr(f->core, 0), b);
    assert_int_equal(vcpu_core_block(f->core, f->now, b), 0);
    settle(f);
    run(f, 1000 * MS); /* a runs alone for a second */
    assert_int_equal(vcpu_core_wake(f->core, f->now, b), 0);
    settle(f);
    uint64_t ra = run_ns(f, a), rb = run_ns(f, b);
    run(f, 100 * MS);
    uint64_t da = run_ns(f, a) - ra, db = run_ns(f, b) - rb;
    printf("after sleep: a %.1f ms, b %.1f ms\n", (double)da / MS,
           (double)db / MS);
    assert_true(db <= 50 * MS + 2 * MS + 1 * MS); /* half + bonus + slice */
    assert_true(da >= 47 * MS);
}

/* Taking pCPUs offline moves their queues: nothing is stranded and the
 * settled checks (work conservation) hold throughout. */
static void test_policy_fair_offline_moves_queue(void **state)
{
    struct fx *f = *state;
    vcpu_vm_t vm = add_vm(f, 100, 0);
    for (unsigned i = 0; i < 20; i++)
        add_vcpu(f, vm, true);
    run(f, 20 * MS);
    for (vcpu_pcpu_t p = 7; p >= 1; p--) {
        assert_int_equal(vcpu_core_pcpu_set_online(f->core, f->now, p, false),
                         0);
        settle(f);
        run(f, 7 * MS);
        assert_int_equal(nr_running(f), p);
    }
    for (vcpu_pcpu_t p = 1; p < 8; p++) {
        assert_int_equal(vcpu_core_pcpu_set_online(f->core, f->now, p, true),
                         0);
        settle(f);
        run(f, 3 * MS);
    }
    assert_int_equal(nr_running(f), 8);
}

static void test_policy_fair_arguments_are_validated(void **state)
{
    struct fx *f = *state;
    const char *bad[] = {
        "cap_period_us=0",
        "cap_period_us=999",
        "cap_period_us=20000000",
        "slice_us=2000000",
        "slice_us=200000,cap_period_us=100000",
        "wake_bonus_us=5000000",
        "balance_ticks=99999999",
    };
    for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(start(f, "pack:1 core:2 pu:1", bad[i]), VCPU_EINVAL);
    assert_int_equal(start(f, "pack:1 core:2 pu:1", "slice_us=abc"),
                     VCPU_EPARSE);
    assert_int_equal(start(f, "pack:1 core:2 pu:1", "nosuch=1"), VCPU_EPARSE);
    assert_int_equal(start(f, "pack:1 core:2 pu:1",
                           "slice_us=500,balance_ticks=0,cap_period_us=1000,"
                           "wake_bonus_us=0"),
                     0);
    vcpu_id_t v = add_vcpu(f, add_vm(f, 100, 0), true);
    run(f, 5 * MS);
    assert_int_equal(run_ns(f, v), 5 * MS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_policy_fair_weights_share_one_pcpu),
        T(test_policy_fair_weights_three_vms),
        T(test_policy_fair_cap_holds),
        T(test_policy_fair_idle_pcpu_steals),
        T(test_policy_fair_balance_evens_queues),
        T(test_policy_fair_sleeper_credit_is_bounded),
        T(test_policy_fair_offline_moves_queue),
        T(test_policy_fair_arguments_are_validated),
    };
#undef T
    return cmocka_run_group_tests_name("policy_fair", tests, NULL, NULL);
}
