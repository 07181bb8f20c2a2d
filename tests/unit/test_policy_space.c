// SPDX-License-Identifier: GPL-3.0-or-later
/* The space policy driven through the core: exclusive, compact partitions,
 * weighted sizes, recomputation when VMs arrive and leave and when pCPUs go
 * offline, more VMs than pCPUs, suspend_excess, and argument checks. The
 * environment is played here: kicks and preemptions are delivered at once
 * and each slice expiry is a tick. */
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
#define MAXVM 16

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
        .ops = vcpu_policy_find("space"),
        .policy_args = args,
        .seed = 7,
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

/* Which VM runs on each pCPU (VCPU_NONE: idle). */
static void running_vms(struct fx *f, vcpu_vm_t *out)
{
    for (vcpu_pcpu_t p = 0; p < f->np; p++) {
        vcpu_id_t v = vcpu_core_pcpu_curr(f->core, p);
        out[p] = v == VCPU_NONE ? VCPU_NONE : vcpu_core_vcpu_vm(f->core, v);
    }
}

/* Exclusive, contiguous partitions: in pCPU order, the VMs running form
 * one block each (VM A never appears on both sides of VM B). */
static void assert_blocks(struct fx *f)
{
    vcpu_vm_t on[MAXP], seen[MAXP];
    unsigned nseen = 0;
    running_vms(f, on);
    for (vcpu_pcpu_t p = 0; p < f->np; p++) {
        if (on[p] == VCPU_NONE || (nseen && seen[nseen - 1] == on[p]))
            continue;
        for (unsigned i = 0; i < nseen; i++)
            assert_int_not_equal(seen[i], on[p]);
        seen[nseen++] = on[p];
    }
}

/* Deliver preemptions and kicks until quiet; check invariants and
 * partition blocks. */
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
    assert_blocks(f);
}

/* Advance time by @dt; each slice expiry on a busy pCPU is a tick. Within
 * the run, no pCPU changes VM (nothing here changes the partitions). */
static void run(struct fx *f, uint64_t dt)
{
    vcpu_vm_t first[MAXP], now[MAXP];
    vcpu_time_t end = f->now + dt;
    running_vms(f, first);
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
        running_vms(f, now);
        for (vcpu_pcpu_t p = 0; p < f->np; p++)
            if (now[p] != VCPU_NONE && first[p] != VCPU_NONE)
                assert_int_equal(now[p], first[p]);
    }
    f->now = end;
}

static vcpu_vm_t add_vm(struct fx *f, unsigned weight, unsigned nvcpus,
                        vcpu_id_t *out)
{
    struct vcpu_vm_attr a = {.abi = VCPU_CORE_ABI, .weight = weight};
    vcpu_vm_t vm;
    assert_int_equal(vcpu_core_vm_add(f->core, f->now, &a, &vm), 0);
    for (unsigned i = 0; i < nvcpus; i++) {
        vcpu_id_t v;
        assert_int_equal(vcpu_core_vcpu_add(f->core, f->now, vm, &v), 0);
        if (out)
            out[i] = v;
    }
    for (unsigned i = 0; i < nvcpus; i++) {
        vcpu_id_t v = vcpu_core_nvcpus(f->core) - nvcpus + i;
        assert_int_equal(vcpu_core_wake(f->core, f->now, v), 0);
    }
    settle(f);
    return vm;
}

static void remove_vm(struct fx *f, vcpu_vm_t vm)
{
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(f->core); v++)
        if (vcpu_core_vcpu_vm(f->core, v) == vm &&
            vcpu_core_vcpu_state(f->core, v) != VP_VCPU_EXITED) {
            assert_int_equal(vcpu_core_exit(f->core, f->now, v), 0);
            settle(f);
        }
    assert_int_equal(vcpu_core_vm_remove(f->core, f->now, vm), 0);
    settle(f);
}

/* pCPUs running @vm, and the lowest and highest of them. */
static unsigned pcpus_of(struct fx *f, vcpu_vm_t vm, vcpu_pcpu_t *lo,
                         vcpu_pcpu_t *hi)
{
    vcpu_vm_t on[MAXP];
    unsigned n = 0;
    running_vms(f, on);
    *lo = *hi = VCPU_NONE;
    for (vcpu_pcpu_t p = 0; p < f->np; p++) {
        if (on[p] != vm)
            continue;
        if (!n++)
            *lo = p;
        *hi = p;
    }
    return n;
}

static unsigned count_state(struct fx *f, vcpu_vm_t vm, unsigned state)
{
    unsigned n = 0;
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(f->core); v++)
        n += vcpu_core_vcpu_vm(f->core, v) == vm &&
             vcpu_core_vcpu_state(f->core, v) == state;
    return n;
}

static uint64_t run_ns(struct fx *f, vcpu_id_t v)
{
    struct vcpu_vcpu_stats st;
    assert_int_equal(vcpu_core_vcpu_stats(f->core, v, &st), 0);
    return st.run_ns;
}

/* Two 4-vCPU VMs on two 4-core packages: one package each. */
static void test_policy_space_partitions_are_exclusive_and_compact(void **st)
{
    struct fx *f = *st;
    vcpu_vm_t a = add_vm(f, 100, 4, NULL), b = add_vm(f, 100, 4, NULL);
    vcpu_pcpu_t lo, hi;
    assert_int_equal(pcpus_of(f, a, &lo, &hi), 4);
    assert_int_equal(hi - lo, 3);
    assert_true(vcpu_topo_distance(f->topo, lo, hi) <
                vcpu_topo_distance(f->topo, 0, f->np - 1)); /* one pack */
    assert_int_equal(pcpus_of(f, b, &lo, &hi), 4);
    assert_int_equal(hi - lo, 3);
    run(f, 50 * MS);
    /* Sizes 3 then 4: the 4 still gets a whole package (largest first). */
    assert_int_equal(start(f, "pack:2 core:4 pu:1", NULL), 0);
    vcpu_vm_t c = add_vm(f, 100, 3, NULL), d = add_vm(f, 100, 4, NULL);
    assert_int_equal(pcpus_of(f, d, &lo, &hi), 4);
    assert_true(vcpu_topo_distance(f->topo, lo, hi) <
                vcpu_topo_distance(f->topo, 0, f->np - 1));
    assert_int_equal(pcpus_of(f, c, &lo, &hi), 3);
    assert_int_equal(hi - lo, 2);
}

/* Sizes follow weights (at least 1, at most the vCPU count) and change
 * when VMs arrive and leave. */
static void test_policy_space_recomputes_on_arrival_and_departure(void **st)
{
    struct fx *f = *st;
    vcpu_pcpu_t lo, hi;
    vcpu_vm_t a = add_vm(f, 100, 8, NULL);
    assert_int_equal(pcpus_of(f, a, &lo, &hi), 8);
    vcpu_vm_t b = add_vm(f, 300, 8, NULL); /* 1:3 of 8 pCPUs */
    assert_int_equal(pcpus_of(f, a, &lo, &hi), 2);
    assert_int_equal(hi - lo, 1);
    assert_int_equal(pcpus_of(f, b, &lo, &hi), 6);
    assert_int_equal(hi - lo, 5);
    run(f, 20 * MS);
    vcpu_vm_t c = add_vm(f, 100, 1, NULL); /* gets one, never more */
    assert_int_equal(pcpus_of(f, c, &lo, &hi), 1);
    assert_int_equal(pcpus_of(f, a, &lo, &hi) + pcpus_of(f, b, &lo, &hi), 7);
    run(f, 20 * MS);
    remove_vm(f, b);
    assert_int_equal(pcpus_of(f, a, &lo, &hi), 7);
    assert_int_equal(hi - lo, 6);
    assert_int_equal(pcpus_of(f, c, &lo, &hi), 1);
    remove_vm(f, c);
    assert_int_equal(pcpus_of(f, a, &lo, &hi), 8);
    run(f, 20 * MS);
}

/* vCPUs beyond the partition time-share it: 6 vCPUs on 4 pCPUs each get
 * about 4/6 of a pCPU. */
static void test_policy_space_excess_vcpus_time_share(void **st)
{
    struct fx *f = *st;
    vcpu_id_t v[6];
    add_vm(f, 100, 6, v);
    add_vm(f, 100, 6, NULL);
    run(f, 600 * MS);
    for (unsigned i = 0; i < 6; i++) {
        double share = (double)run_ns(f, v[i]) / (600.0 * MS);
        assert_true(share > 0.62 && share < 0.72);
    }
}

/* A pCPU going offline shrinks the partition holding it; partitions
 * stay exclusive and contiguous among the online pCPUs. */
static void test_policy_space_recomputes_on_pcpu_offline(void **st)
{
    struct fx *f = *st;
    vcpu_pcpu_t lo, hi;
    vcpu_vm_t a = add_vm(f, 100, 4, NULL), b = add_vm(f, 100, 4, NULL);
    run(f, 5 * MS);
    assert_int_equal(vcpu_core_pcpu_set_online(f->core, f->now, 2, false), 0);
    settle(f);
    unsigned na = pcpus_of(f, a, &lo, &hi), nb = pcpus_of(f, b, &lo, &hi);
    assert_int_equal(na + nb, 7);
    assert_true(na >= 3 && nb >= 3);
    assert_int_equal(vcpu_core_pcpu_curr(f->core, 2), VCPU_NONE);
    run(f, 30 * MS);
    assert_int_equal(vcpu_core_pcpu_set_online(f->core, f->now, 2, true), 0);
    settle(f);
    assert_int_equal(pcpus_of(f, a, &lo, &hi), 4);
    assert_int_equal(pcpus_of(f, b, &lo, &hi), 4);
}

/* More VMs than pCPUs: the oldest get one each, the rest wait queued and
 * run when a VM leaves. */
static void test_policy_space_more_vms_than_pcpus_wait(void **st)
{
    struct fx *f = *st;
    assert_int_equal(start(f, "pack:1 core:2 pu:1", NULL), 0);
    vcpu_pcpu_t lo, hi;
    vcpu_vm_t vm[3];
    for (unsigned i = 0; i < 3; i++)
        vm[i] = add_vm(f, 100, 2, NULL);
    assert_int_equal(pcpus_of(f, vm[0], &lo, &hi), 1);
    assert_int_equal(pcpus_of(f, vm[1], &lo, &hi), 1);
    assert_int_equal(pcpus_of(f, vm[2], &lo, &hi), 0);
    assert_int_equal(count_state(f, vm[2], VP_VCPU_RUNNABLE), 2);
    run(f, 10 * MS);
    assert_int_equal(count_state(f, vm[2], VP_VCPU_RUNNABLE), 2);
    remove_vm(f, vm[0]);
    assert_int_equal(pcpus_of(f, vm[2], &lo, &hi), 1);
    assert_int_equal(pcpus_of(f, vm[1], &lo, &hi), 1);
}

/* suspend_excess: RUNNING + RUNNABLE never exceed the partition; freed
 * slots and grown partitions resume the suspended vCPUs. */
static void test_policy_space_suspend_excess(void **st)
{
    struct fx *f = *st;
    assert_int_equal(start(f, "pack:2 core:4 pu:1", "suspend_excess=true"), 0);
    vcpu_id_t va[6];
    vcpu_vm_t a = add_vm(f, 100, 6, va), b = add_vm(f, 100, 6, NULL);
    for (unsigned i = 0; i < 2; i++) {
        vcpu_vm_t vm = i ? b : a;
        assert_int_equal(count_state(f, vm, VP_VCPU_RUNNING), 4);
        assert_int_equal(count_state(f, vm, VP_VCPU_RUNNABLE), 0);
        assert_int_equal(count_state(f, vm, VP_VCPU_SUSPENDED), 2);
    }
    run(f, 20 * MS);
    assert_int_equal(count_state(f, a, VP_VCPU_SUSPENDED), 2);
    /* A running vCPU blocks: a suspended one takes its place. */
    vcpu_id_t blocked = VCPU_NONE;
    for (unsigned i = 0; blocked == VCPU_NONE; i++)
        if (vcpu_core_vcpu_state(f->core, va[i]) == VP_VCPU_RUNNING)
            blocked = va[i];
    assert_int_equal(vcpu_core_block(f->core, f->now, blocked), 0);
    settle(f);
    assert_int_equal(count_state(f, a, VP_VCPU_RUNNING), 4);
    assert_int_equal(count_state(f, a, VP_VCPU_SUSPENDED), 1);
    /* It wakes: over the size again, so it is suspended. */
    assert_int_equal(vcpu_core_wake(f->core, f->now, blocked), 0);
    settle(f);
    assert_int_equal(count_state(f, a, VP_VCPU_RUNNING), 4);
    assert_int_equal(count_state(f, a, VP_VCPU_SUSPENDED), 2);
    /* B leaves: A's partition grows to 6 and everything runs. */
    remove_vm(f, b);
    assert_int_equal(count_state(f, a, VP_VCPU_RUNNING), 6);
    assert_int_equal(count_state(f, a, VP_VCPU_SUSPENDED), 0);
    run(f, 20 * MS);
    /* A pCPU goes offline: 6 vCPUs on 7 pCPUs still all run. */
    assert_int_equal(vcpu_core_pcpu_set_online(f->core, f->now, 0, false), 0);
    settle(f);
    assert_int_equal(count_state(f, a, VP_VCPU_RUNNING), 6);
    vcpu_id_t vb[8];
    vcpu_vm_t c = add_vm(f, 100, 8, vb); /* 7 pCPUs: 4 + 3 by id order */
    assert_int_equal(count_state(f, a, VP_VCPU_RUNNING), 4);
    assert_int_equal(count_state(f, c, VP_VCPU_RUNNING), 3);
    assert_int_equal(count_state(f, a, VP_VCPU_RUNNABLE) +
                         count_state(f, c, VP_VCPU_RUNNABLE),
                     0);
}

static void test_policy_space_arguments_are_validated(void **st)
{
    struct fx *f = *st;
    assert_int_equal(start(f, "pack:1 core:2 pu:1", "suspend_excess=maybe"),
                     VCPU_EPARSE);
    assert_int_equal(start(f, "pack:1 core:2 pu:1", "slice_us=5000000"),
                     VCPU_EINVAL);
    assert_int_equal(start(f, "pack:1 core:2 pu:1", "slice_us=300"), 0);
    vcpu_id_t v[2];
    add_vm(f, 100, 2, v);
    run(f, 3 * MS);
    assert_int_equal(run_ns(f, v[0]), 3 * MS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_policy_space_partitions_are_exclusive_and_compact),
        T(test_policy_space_recomputes_on_arrival_and_departure),
        T(test_policy_space_excess_vcpus_time_share),
        T(test_policy_space_recomputes_on_pcpu_offline),
        T(test_policy_space_more_vms_than_pcpus_wait),
        T(test_policy_space_suspend_excess),
        T(test_policy_space_arguments_are_validated),
    };
#undef T
    return cmocka_run_group_tests_name("policy_space", tests, NULL, NULL);
}
