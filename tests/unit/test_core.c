// SPDX-License-Identifier: GPL-3.0-or-later
/* The core's state machine driven directly: lifecycle, accounting, pCPU
 * changes, suspension, slices, policy swap and abort, argument checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <vcpu/vcpu.h>

#include "core/core_batch.h" /* vcpu__core_vm_release */

struct fx {
    vcpu_topo_t *topo;
    vcpu_core_t *core;
    unsigned kicks, preempts;
    vcpu_pcpu_t last_kick;
    char log[1024];
};

static void on_kick(void *arg, vcpu_pcpu_t p)
{
    struct fx *f = arg;
    f->kicks++;
    f->last_kick = p;
}

static void on_preempt(void *arg, vcpu_pcpu_t p)
{
    (void)p;
    ((struct fx *)arg)->preempts++;
}

static void on_log(void *arg, const char *line)
{
    struct fx *f = arg;
    snprintf(f->log, sizeof f->log, "%s", line);
}

static const struct vcpu_core_env env = {
    .abi = VCPU_CORE_ABI,
    .kick = on_kick,
    .preempt = on_preempt,
    .log = on_log,
};

static int make_core(struct fx *f, const char *policy, const char *args)
{
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = f->topo,
        .ops = policy ? vcpu_policy_find(policy) : NULL,
        .policy_args = args,
        .seed = 1,
        .slice_ns = 1000,
        .flags = VCPU_CORE_CHECK,
        .env = &env,
        .env_arg = f,
    };
    return vcpu_core_create(&a, &f->core);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_int_equal(vcpu_topo_load_synthetic("pack:1 core:4 pu:1", &f->topo),
                     0);
    assert_int_equal(make_core(f, "rr", NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vcpu_core_destroy(f->core);
    vcpu_topo_unref(f->topo);
    free(f);
    return 0;
}

static vcpu_id_t add_vcpu(struct fx *f, vcpu_vm_t vm)
{
    vcpu_id_t v;
    assert_int_equal(vcpu_core_vcpu_add(f->core, 0, vm, &v), 0);
    return v;
}

static vcpu_vm_t add_vm(struct fx *f)
{
    vcpu_vm_t vm;
    assert_int_equal(vcpu_core_vm_add(f->core, 0, NULL, &vm), 0);
    return vm;
}

static void test_core_create_rejects_bad_arguments(void **state)
{
    struct fx *f = *state;
    vcpu_core_t *c = (vcpu_core_t *)0x1;
    assert_int_equal(vcpu_core_create(NULL, &c), VCPU_EINVAL);
    assert_null(c);
    struct vcpu_core_attr a = {.abi = 99, .topo = f->topo};
    assert_int_equal(vcpu_core_create(&a, &c), VCPU_EABI);
    a.abi = VCPU_CORE_ABI;
    a.flags = 1u << 20;
    assert_int_equal(vcpu_core_create(&a, &c), VCPU_EINVAL);
    a.flags = 0;
    a.topo = NULL;
    assert_int_equal(vcpu_core_create(&a, &c), VCPU_EINVAL);
    assert_null(c);
}

static void test_core_policy_args_are_validated(void **state)
{
    struct fx *f = *state;
    vcpu_core_destroy(f->core);
    f->core = NULL;
    assert_int_equal(make_core(f, "rr", "slice_us=abc"), VCPU_EPARSE);
    assert_non_null(strstr(f->log, "slice_us"));
    assert_int_equal(make_core(f, "rr", "nosuch=1"), VCPU_EPARSE);
    assert_non_null(strstr(f->log, "nosuch"));
    assert_int_equal(make_core(f, "rr", "slice_us"), VCPU_EPARSE);
    assert_int_equal(make_core(f, "rr", "slice_us=-5"), VCPU_EPARSE);
    assert_int_equal(make_core(f, "rr", "slice_us=250"), 0);
}

static void test_core_lifecycle_and_accounting(void **state)
{
    struct fx *f = *state;
    vcpu_core_t *c = f->core;
    vcpu_vm_t vm = add_vm(f);
    vcpu_id_t v = add_vcpu(f, vm);
    assert_int_equal(vcpu_core_vcpu_state(c, v), VP_VCPU_NEW);
    assert_int_equal(vcpu_core_block(c, 0, v), VCPU_ESTATE);
    assert_int_equal(vcpu_core_wake(c, 0, v), 0);
    assert_int_equal(vcpu_core_vcpu_state(c, v), VP_VCPU_RUNNABLE);
    assert_true(f->kicks >= 1);
    vcpu_pcpu_t p = f->last_kick;
    vcpu_id_t got;
    uint64_t slice;
    assert_int_equal(vcpu_core_pick(c, 100, p, &got, &slice), 0);
    assert_int_equal(got, v);
    assert_int_equal(slice, 1000);
    assert_int_equal(vcpu_core_pick(c, 100, p, &got, NULL), VCPU_EBUSY);
    assert_int_equal(vcpu_core_block(c, 600, v), 0);
    assert_int_equal(vcpu_core_vcpu_state(c, v), VP_VCPU_BLOCKED);
    /* the block kicked p; until p picks, the wake goes to another pCPU */
    assert_int_equal(vcpu_core_wake(c, 1000, v), 0);
    assert_int_not_equal(f->last_kick, p);
    assert_int_equal(vcpu_core_pick(c, 1200, f->last_kick, &got, NULL), 0);
    assert_int_equal(got, v);
    p = f->last_kick;
    assert_int_equal(vcpu_core_exit(c, 1500, v), 0);
    struct vcpu_vcpu_stats st;
    assert_int_equal(vcpu_core_vcpu_stats(c, v, &st), 0);
    assert_int_equal(st.run_ns, 500 + 300);
    assert_int_equal(st.work_ns, 800);
    assert_int_equal(st.blocked_ns, 400);
    assert_int_equal(st.wait_ns, 100 + 200);
    assert_int_equal(st.nr_runs, 2);
    assert_int_equal(st.exit_ns, 1500);
    uint64_t busy = 0;
    for (vcpu_pcpu_t q = 0; q < 4; q++) {
        struct vcpu_pcpu_stats ps;
        assert_int_equal(vcpu_core_pcpu_stats(c, q, &ps), 0);
        assert_int_equal(ps.online_ns, 1500);
        busy += ps.busy_ns;
    }
    assert_int_equal(busy, 800); /* 500 on the first pCPU, 300 on p */
    struct vcpu_pcpu_stats ps;
    vcpu_core_pcpu_stats(c, p, &ps);
    assert_int_equal(ps.busy_ns, 300);
    assert_int_equal(vcpu_core_wake(c, 1600, v), VCPU_ESTATE);
    assert_int_equal(vcpu_core_vm_remove(c, 1600, vm), 0);
    assert_int_equal(vcpu_core_vm_remove(c, 1600, vm), VCPU_ESRCH);
    vcpu_id_t none;
    for (vcpu_pcpu_t q = 0; q < 4; q++) /* deliver pending kicks */
        vcpu_core_pick(c, 1600, q, &none, NULL);
    assert_int_equal(vcpu_core_check_settled(c), 0);
}

static void test_core_unknown_ids_are_esrch(void **state)
{
    struct fx *f = *state;
    vcpu_core_t *c = f->core;
    vcpu_id_t v;
    assert_int_equal(vcpu_core_wake(c, 0, 7), VCPU_ESRCH);
    assert_int_equal(vcpu_core_vcpu_add(c, 0, 3, &v), VCPU_ESRCH);
    assert_int_equal(v, VCPU_NONE);
    assert_int_equal(vcpu_core_pick(c, 0, 4, &v, NULL), VCPU_ESRCH);
    assert_int_equal(vcpu_core_pcpu_set_online(c, 0, 99, false), VCPU_ESRCH);
    assert_int_equal(vcpu_core_pcpu_set_speed(c, 0, 0, 0), VCPU_ERANGE);
    struct vcpu_vm_attr bad = {
        .abi = VCPU_CORE_ABI, .nallowed = 1, .allowed = (vcpu_pcpu_t[]){9}};
    vcpu_vm_t vm;
    assert_int_equal(vcpu_core_vm_add(c, 0, &bad, &vm), VCPU_EINVAL);
    assert_int_equal(vm, VCPU_NONE);
}

static void test_core_slice_expiry_preempts(void **state)
{
    struct fx *f = *state;
    vcpu_core_t *c = f->core;
    vcpu_vm_t vm = add_vm(f);
    vcpu_id_t a = add_vcpu(f, vm);
    vcpu_core_wake(c, 0, a);
    vcpu_id_t got;
    assert_int_equal(vcpu_core_pick(c, 0, 0, &got, NULL), 0);
    assert_int_equal(got, a);
    bool pre = true;
    assert_int_equal(vcpu_core_tick(c, 500, 0, &pre), 0);
    assert_false(pre);
    assert_int_equal(vcpu_core_slice_end(c, 0), 1000);
    assert_int_equal(vcpu_core_tick(c, 1000, 0, &pre), 0);
    assert_true(pre);
    assert_int_equal(vcpu_core_vcpu_state(c, a), VP_VCPU_RUNNABLE);
    struct vcpu_vcpu_stats st;
    vcpu_core_vcpu_stats(c, a, &st);
    assert_int_equal(st.nr_preemptions, 1);
}

static void test_core_offline_pcpu_drops_its_vcpu(void **state)
{
    struct fx *f = *state;
    vcpu_core_t *c = f->core;
    struct vcpu_vm_attr at = {
        .abi = VCPU_CORE_ABI, .nallowed = 2, .allowed = (vcpu_pcpu_t[]){2, 3}};
    vcpu_vm_t vm;
    assert_int_equal(vcpu_core_vm_add(c, 0, &at, &vm), 0);
    vcpu_id_t a = add_vcpu(f, vm);
    vcpu_core_wake(c, 0, a);
    assert_int_equal(f->last_kick, 2); /* the first idle pCPU it may use */
    vcpu_id_t got;
    vcpu_core_pick(c, 0, 2, &got, NULL);
    assert_int_equal(got, a);
    assert_int_equal(vcpu_core_pcpu_set_online(c, 10, 2, false), 0);
    assert_int_equal(vcpu_core_pcpu_curr(c, 2), VCPU_NONE);
    assert_int_equal(vcpu_core_vcpu_state(c, a), VP_VCPU_RUNNABLE);
    assert_int_equal(vcpu_core_pick(c, 10, 2, &got, NULL), VCPU_ENODEV);
    /* rr gave it to the other pCPU its VM allows and kicked that one */
    assert_int_equal(f->last_kick, 3);
    assert_int_equal(vcpu_core_pick(c, 20, 3, &got, NULL), 0);
    assert_int_equal(got, a);
    assert_int_equal(vcpu_core_pcpu_set_online(c, 30, 2, true), 0);
    assert_int_equal(vcpu_core_pcpu_state(c, 2), VP_PCPU_ONLINE);
    struct vcpu_pcpu_stats ps;
    vcpu_core_pcpu_stats(c, 2, &ps);
    assert_int_equal(ps.online_ns, 10);
    assert_int_equal(ps.busy_ns, 10);
    for (vcpu_pcpu_t p = 0; p < 4; p++) /* deliver the pending kicks */
        vcpu_core_pick(c, 30, p, &got, NULL);
    assert_int_equal(vcpu_core_check_settled(c), 0);
}

static void test_core_speed_scales_work(void **state)
{
    struct fx *f = *state;
    vcpu_core_t *c = f->core;
    vcpu_id_t a = add_vcpu(f, add_vm(f));
    vcpu_core_wake(c, 0, a);
    vcpu_id_t got;
    vcpu_pcpu_t p = f->last_kick;
    vcpu_core_pick(c, 0, p, &got, NULL);
    assert_int_equal(got, a);
    assert_int_equal(vcpu_core_pcpu_set_speed(c, 400, p, 500), 0);
    assert_int_equal(vcpu_core_block(c, 800, a), 0);
    struct vcpu_vcpu_stats st;
    vcpu_core_vcpu_stats(c, a, &st);
    assert_int_equal(st.run_ns, 800);
    assert_int_equal(st.work_ns, 400 + 200);
}

static void test_core_operator_suspend_parks_running_vcpu(void **state)
{
    struct fx *f = *state;
    vcpu_core_t *c = f->core;
    vcpu_id_t a = add_vcpu(f, add_vm(f));
    vcpu_core_wake(c, 0, a);
    vcpu_id_t got;
    vcpu_core_pick(c, 0, 0, &got, NULL);
    unsigned pre = f->preempts;
    assert_int_equal(vcpu_core_suspend(c, 10, a), 0);
    assert_int_equal(vcpu_core_vcpu_state(c, a), VP_VCPU_RUNNING);
    assert_int_equal(f->preempts, pre + 1);
    assert_int_equal(vcpu_core_preempt(c, 20, 0), 0);
    assert_int_equal(vcpu_core_vcpu_state(c, a), VP_VCPU_SUSPENDED);
    assert_int_equal(vcpu_core_pick(c, 30, 0, &got, NULL), 0);
    assert_int_equal(got, VCPU_NONE);
    assert_int_equal(vcpu_core_resume(c, 40, a), 0);
    assert_int_equal(vcpu_core_vcpu_state(c, a), VP_VCPU_RUNNABLE);
    assert_int_equal(vcpu_core_resume(c, 40, a), VCPU_ESTATE);
    struct vcpu_vcpu_stats st;
    vcpu_core_vcpu_stats(c, a, &st);
    assert_int_equal(st.suspended_ns, 20);
    assert_int_equal(st.nr_suspends, 1);
}

static void test_core_stale_preempt_is_ignored(void **state)
{
    struct fx *f = *state;
    vcpu_core_t *c = f->core;
    vcpu_id_t a = add_vcpu(f, add_vm(f));
    vcpu_core_wake(c, 0, a);
    vcpu_id_t got;
    vcpu_core_pick(c, 0, 0, &got, NULL);
    /* No preempt was requested: the environment's call changes nothing. */
    assert_int_equal(vcpu_core_preempt(c, 5, 0), 0);
    assert_int_equal(vcpu_core_pcpu_curr(c, 0), a);
}

static void test_core_allowed_pcpus_are_honoured(void **state)
{
    struct fx *f = *state;
    vcpu_core_t *c = f->core;
    struct vcpu_vm_attr at = {
        .abi = VCPU_CORE_ABI, .nallowed = 1, .allowed = (vcpu_pcpu_t[]){3}};
    vcpu_vm_t vm;
    assert_int_equal(vcpu_core_vm_add(c, 0, &at, &vm), 0);
    vcpu_id_t a = add_vcpu(f, vm);
    vcpu_core_wake(c, 0, a);
    assert_int_equal(f->last_kick, 3);
    vcpu_id_t got;
    for (vcpu_pcpu_t p = 0; p < 3; p++) {
        assert_int_equal(vcpu_core_pick(c, 1, p, &got, NULL), 0);
        assert_int_equal(got, VCPU_NONE);
    }
    assert_int_equal(vcpu_core_pick(c, 1, 3, &got, NULL), 0);
    assert_int_equal(got, a);
}

static void test_core_policy_swap_keeps_every_vcpu(void **state)
{
    struct fx *f = *state;
    vcpu_core_t *c = f->core;
    vcpu_vm_t vm = add_vm(f);
    for (int i = 0; i < 10; i++)
        vcpu_core_wake(c, 0, add_vcpu(f, vm));
    vcpu_id_t got;
    vcpu_core_pick(c, 1, 0, &got, NULL);
    assert_int_equal(vcpu_core_set_policy(c, 2, vcpu_policy_find("fifo"), NULL),
                     0);
    assert_string_equal(vcpu_core_policy_name(c), "fifo");
    assert_int_equal(vcpu_core_check(c), 0);
    unsigned ran = 1;
    for (vcpu_pcpu_t p = 1; p < 4; p++) {
        vcpu_core_pick(c, 3, p, &got, NULL);
        ran += got != VCPU_NONE;
    }
    assert_int_equal(ran, 4);
    assert_int_equal(
        vcpu_core_set_policy(c, 4, vcpu_policy_find("rr"), "slice_us=x"),
        VCPU_EPARSE);
    assert_string_equal(vcpu_core_policy_name(c), "fifo");
}

/* A policy that gives up on its first enqueue. */
static void quitter_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    (void)flags;
    vp_dsq_insert(ctx, VP_DSQ_GLOBAL, v, 0, 0);
    vp_abort(ctx, VCPU_ENOSPC, "no room for vCPU %u", v);
}

static const struct vcpu_policy_ops quitter_ops = {
    .enqueue = quitter_enqueue,
    .abi = VCPU_POLICY_ABI,
    .name = "quitter",
};

static void test_core_abort_falls_back_to_fifo(void **state)
{
    struct fx *f = *state;
    vcpu_core_t *c = f->core;
    assert_int_equal(vcpu_core_set_policy(c, 0, &quitter_ops, NULL), 0);
    vcpu_id_t a = add_vcpu(f, add_vm(f));
    assert_int_equal(vcpu_core_wake(c, 1, a), 0);
    assert_string_equal(vcpu_core_policy_name(c), "fifo");
    assert_non_null(strstr(f->log, "no room for vCPU 0"));
    assert_non_null(strstr(f->log, "VCPU_ENOSPC"));
    vcpu_id_t got;
    assert_int_equal(vcpu_core_pick(c, 2, 0, &got, NULL), 0);
    assert_int_equal(got, a);
}

/* A policy that records what vp_vcpu_index says of each new vCPU. */
static unsigned index_seen[16];

static void indexer_vcpu_add(vp_ctx_t *ctx, vcpu_id_t v)
{
    index_seen[v] = vp_vcpu_index(ctx, v);
    assert_int_equal(vp_vm_vcpu(ctx, vp_vcpu_vm(ctx, v), index_seen[v]), v);
}

static const struct vcpu_policy_ops indexer_ops = {
    .vcpu_add = indexer_vcpu_add,
    .abi = VCPU_POLICY_ABI,
    .name = "indexer",
};

static void test_core_vcpu_index_counts_within_its_vm(void **state)
{
    struct fx *f = *state;
    assert_int_equal(vcpu_core_set_policy(f->core, 0, &indexer_ops, NULL), 0);
    vcpu_vm_t a = add_vm(f), b = add_vm(f);
    unsigned na = 0, nb = 0;
    for (unsigned i = 0; i < 16; i++) { /* ids of a and b interleaved */
        bool in_a = i % 3 != 2;
        vcpu_id_t v = add_vcpu(f, in_a ? a : b);
        assert_int_equal(index_seen[v], in_a ? na++ : nb++);
    }
}

static void test_core_registry_finds_builtins(void **state)
{
    (void)state;
    assert_true(vcpu_policy_count() >= 2);
    assert_non_null(vcpu_policy_find("rr"));
    assert_non_null(vcpu_policy_find("fifo"));
    assert_null(vcpu_policy_find("nosuch"));
    assert_null(vcpu_policy_find(NULL));
    assert_null(vcpu_policy_at(vcpu_policy_count()));
    for (unsigned i = 0; i < vcpu_policy_count(); i++)
        assert_int_equal(vcpu_policy_validate(vcpu_policy_at(i), NULL, 0), 0);
    struct vcpu_policy_ops bad = {.abi = 7, .name = "x"};
    char msg[128];
    assert_int_equal(vcpu_policy_validate(&bad, msg, sizeof msg), VCPU_EABI);
    bad.abi = VCPU_POLICY_ABI;
    bad.name = "Bad Name";
    assert_int_equal(vcpu_policy_validate(&bad, msg, sizeof msg), VCPU_EINVAL);
    assert_non_null(strstr(msg, "Bad Name"));
}

static void test_core_trace_csv_round_trips(void **state)
{
    (void)state;
    struct vcpu_trace_rec r = {
        123456789012ull, VCPU_TRACE_MIGRATE, 3, 17, VCPU_NONE, -42};
    char buf[96];
    int n = vcpu_trace_format(&r, buf, sizeof buf);
    assert_true(n > 0);
    assert_string_equal(buf, "123456789012,MIGRATE,3,17,-1,-42\n");
    struct vcpu_trace_rec back;
    assert_int_equal(vcpu_trace_parse(buf, &back), 0);
    assert_memory_equal(&r, &back, sizeof r);
    assert_int_equal(vcpu_trace_format(&r, buf, 8), VCPU_ERANGE);
    assert_int_equal(vcpu_trace_parse("1,NOPE,0,0,0,0", &back), VCPU_EPARSE);
    assert_int_equal(vcpu_trace_parse("1,RUN,0,0,0", &back), VCPU_EPARSE);
    assert_int_equal(vcpu_trace_parse("-1,RUN,0,0,0,0", &back), VCPU_EPARSE);
    assert_int_equal(vcpu_trace_parse("1,RUN,x,0,0,0", &back), VCPU_EPARSE);
    assert_int_equal(vcpu_trace_parse("1,RUN,0,0,0,0 junk", &back),
                     VCPU_EPARSE);
}

/* @v (NEW, nothing else queued) wakes at @t, runs @ns on idle @p, exits. */
static void run_once(vcpu_core_t *c, vcpu_id_t v, vcpu_pcpu_t p, vcpu_time_t t,
                     uint64_t ns)
{
    assert_int_equal(vcpu_core_wake(c, t, v), 0);
    vcpu_id_t got;
    assert_int_equal(vcpu_core_pick(c, t, p, &got, NULL), 0);
    assert_int_equal(got, v);
    assert_int_equal(vcpu_core_exit(c, t + ns, v), 0);
}

/* @f's core made again: fair (per-vCPU and per-VM policy data), 1 us
 * slices, the checker, VCPU_CORE_RECYCLE when @recycle. */
static vcpu_core_t *fair_core(struct fx *f, bool recycle)
{
    vcpu_core_destroy(f->core);
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = f->topo,
        .ops = vcpu_policy_find("fair"),
        .seed = 1,
        .slice_ns = 1000,
        .flags = VCPU_CORE_CHECK | (recycle ? VCPU_CORE_RECYCLE : 0),
        .env = &env,
        .env_arg = f,
    };
    assert_int_equal(vcpu_core_create(&a, &f->core), 0);
    return f->core;
}

/* VCPU_CORE_RECYCLE: a removed VM's ids serve again, lowest first, with
 * fresh counters; a VM's ids stay ascending; the run time of the vCPUs
 * that went keeps invariant 6 whole; without the flag ids are never
 * reused. */
static void test_core_recycles_ids_of_removed_vms(void **state)
{
    struct fx *f = *state;
    for (int recycle = 0; recycle < 2; recycle++) {
        vcpu_core_t *c = fair_core(f, recycle);
        vcpu_vm_t va = add_vm(f), vb = add_vm(f);
        vcpu_id_t a0 = add_vcpu(f, va), a1 = add_vcpu(f, va),
                  a2 = add_vcpu(f, va), b0 = add_vcpu(f, vb);
        assert_int_equal(a0, 0);
        assert_int_equal(b0, 3);
        /* A's vCPUs run 100 ns each on pCPU 0, then exit */
        vcpu_time_t t = 0;
        for (vcpu_id_t v = a0; v <= a2; v++, t += 100)
            run_once(c, v, 0, t, 100);
        (void)a1;
        assert_int_equal(vcpu_core_vm_remove(c, t, va), 0);
        /* C takes A's ids (lowest first), B's next one must come after
         * B's own: fresh */
        vcpu_vm_t vc = add_vm(f);
        vcpu_id_t c0 = add_vcpu(f, vc), c1 = add_vcpu(f, vc);
        vcpu_id_t b1 = add_vcpu(f, vb);
        if (recycle) {
            assert_int_equal(c0, 0);
            assert_int_equal(c1, 1);
            assert_int_equal(b1, 4);
            assert_int_equal(vcpu_core_nvcpus(c), 5);
        } else {
            assert_int_equal(c0, 4);
            assert_int_equal(c1, 5);
            assert_int_equal(b1, 6);
            assert_int_equal(vcpu_core_nvcpus(c), 7);
        }
        struct vcpu_vcpu_stats st;
        assert_int_equal(vcpu_core_vcpu_stats(c, c0, &st), 0);
        assert_int_equal(st.state, VP_VCPU_NEW);
        assert_int_equal(st.run_ns, 0);
        assert_int_equal(st.nr_runs, 0);
        assert_int_equal(vcpu_core_vcpu_vm(c, c0), vc);
        /* a free id not yet given out keeps its vCPU's counters */
        assert_int_equal(vcpu_core_vcpu_stats(c, a2, &st), 0);
        assert_int_equal(st.state, VP_VCPU_EXITED);
        assert_int_equal(st.run_ns, 100);
        /* the recycled ones run: every invariant holds (6: 300 ns of A) */
        run_once(c, c1, 1, t, 50);
        assert_int_equal(vcpu_core_check(c), 0);
        assert_int_equal(vcpu_core_count_state(c, VP_VCPU_EXITED),
                         recycle ? 2 : 4);
    }
}

/* A removed VM's id, released by its owner (vcpu__core_vm_release, the
 * runtime's join), serves the next vcpu_core_vm_add, lowest first, as a
 * fresh VM; only removed VMs, once each, and only with the flag. */
static void test_core_releases_vm_ids(void **state)
{
    struct fx *f = *state;
    for (int recycle = 0; recycle < 2; recycle++) {
        vcpu_core_t *c = fair_core(f, recycle);
        vcpu_vm_t va = add_vm(f), vb = add_vm(f);
        vcpu_id_t a0 = add_vcpu(f, va);
        (void)add_vcpu(f, vb);
        run_once(c, a0, 0, 0, 100);
        if (!recycle) {
            assert_int_equal(vcpu__core_vm_release(c, va), VCPU_EINVAL);
            assert_int_equal(vcpu_core_vm_remove(c, 100, va), 0);
            assert_int_equal(vcpu__core_vm_release(c, va), VCPU_EINVAL);
            assert_int_equal(add_vm(f), 2); /* never reused */
            continue;
        }
        assert_int_equal(vcpu__core_vm_release(c, va), VCPU_EBUSY);
        assert_int_equal(vcpu__core_vm_release(c, 99), VCPU_ESRCH);
        assert_int_equal(vcpu_core_vm_remove(c, 100, va), 0);
        assert_int_equal(vcpu__core_vm_release(c, va), 0);
        assert_int_equal(vcpu__core_vm_release(c, va), VCPU_ESRCH);
        assert_int_equal(vcpu__core_vm_release(c, vb), VCPU_EBUSY);
        /* a released VM is a removed one until reused */
        vcpu_id_t v;
        assert_int_equal(vcpu_core_vcpu_add(c, 100, va, &v), VCPU_ESRCH);
        vcpu_vm_t vc = add_vm(f), vd = add_vm(f);
        assert_int_equal(vc, va);
        assert_int_equal(vd, 2);
        /* the reused VM works as a new one, its vCPU takes a0's id */
        vcpu_id_t c0 = add_vcpu(f, vc);
        assert_int_equal(c0, a0);
        assert_int_equal(vcpu_core_vcpu_vm(c, c0), vc);
        run_once(c, c0, 1, 200, 50);
        assert_int_equal(vcpu_core_vm_remove(c, 300, vc), 0);
        assert_int_equal(vcpu_core_check(c), 0);
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_core_create_rejects_bad_arguments),
        T(test_core_policy_args_are_validated),
        T(test_core_lifecycle_and_accounting),
        T(test_core_unknown_ids_are_esrch),
        T(test_core_slice_expiry_preempts),
        T(test_core_offline_pcpu_drops_its_vcpu),
        T(test_core_speed_scales_work),
        T(test_core_operator_suspend_parks_running_vcpu),
        T(test_core_stale_preempt_is_ignored),
        T(test_core_allowed_pcpus_are_honoured),
        T(test_core_policy_swap_keeps_every_vcpu),
        T(test_core_abort_falls_back_to_fifo),
        T(test_core_vcpu_index_counts_within_its_vm),
        T(test_core_registry_finds_builtins),
        T(test_core_trace_csv_round_trips),
        T(test_core_recycles_ids_of_removed_vms),
        T(test_core_releases_vm_ids),
    };
#undef T
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
