// SPDX-License-Identifier: GPL-3.0-or-later
/* The core's batch calls (core_batch.h) against the sequences of public
 * calls they stand for: two cores of every built-in policy, one driven each
 * way through the same script, must emit the same trace and kicks, return
 * the same picks and end with the same counters; and bad arguments change
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <vcpu/vcpu.h>

#include "core/core_batch.h"
#include "core/core_internal.h" /* nr_events: records counted, not built */

#define LOG_MAX (1u << 20)
#define NVM 3
#define PER_VM 5
#define NV (NVM * PER_VM)
#define NP 4

/* One core and what it told its environment, as text. */
struct side {
    vcpu_core_t *core;
    char *log;
    size_t len;
    vcpu_pcpu_t mute; /* a kick of it not to log (see stop_one) */
};

static void put(struct side *s, const char *line)
{
    size_t n = strlen(line);
    assert_true(s->len + n < LOG_MAX);
    memcpy(s->log + s->len, line, n + 1);
    s->len += n;
}

static void on_trace(void *arg, const struct vcpu_trace_rec *r)
{
    char line[128];
    assert_true(vcpu_trace_format(r, line, sizeof line) > 0);
    put(arg, line);
}

static void on_kick(void *arg, vcpu_pcpu_t p)
{
    struct side *s = arg;
    if (p == s->mute)
        return;
    char line[32];
    snprintf(line, sizeof line, "kick %u\n", p);
    put(arg, line);
}

static void on_preempt(void *arg, vcpu_pcpu_t p)
{
    char line[32];
    snprintf(line, sizeof line, "preempt %u\n", p);
    put(arg, line);
}

static const struct vcpu_core_env env = {
    .abi = VCPU_CORE_ABI,
    .kick = on_kick,
    .preempt = on_preempt,
    .trace = on_trace,
};

/* No trace and no checker: what the runtime runs without VCPU_RT_TRACE and
 * VCPU_RT_CHECK, where a yield can take the core's lane. */
static const struct vcpu_core_env quiet_env = {
    .abi = VCPU_CORE_ABI,
    .kick = on_kick,
    .preempt = on_preempt,
};

static bool quiet;  /* run_script's sides use quiet_env, B yields by lane */
static bool masked; /* make_vms: the second VM may use pCPUs 0 and 2 only */

static void side_init(struct side *s, const vcpu_topo_t *topo,
                      const struct vcpu_policy_ops *ops)
{
    s->log = calloc(1, LOG_MAX);
    assert_non_null(s->log);
    s->len = 0;
    s->mute = VCPU_NONE;
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = topo,
        .ops = ops,
        .seed = 7,
        .slice_ns = 1000,
        .flags = quiet ? 0 : VCPU_CORE_CHECK,
        .env = quiet ? &quiet_env : &env,
        .env_arg = s,
    };
    assert_int_equal(vcpu_core_create(&a, &s->core), 0);
}

static void side_fini(struct side *s)
{
    vcpu_core_destroy(s->core);
    free(s->log);
}

static void same_so_far(const struct side *a, const struct side *b)
{
    assert_int_equal(a->len, b->len);
    assert_string_equal(a->log, b->log);
}

/* A: vcpu_core_vcpu_add x n, vcpu_core_wake x n; B: the batch calls. */
static void make_vms(struct side *a, struct side *b, vcpu_time_t now)
{
    static const vcpu_pcpu_t some[] = {0, 2};
    const struct vcpu_vm_attr mask = {
        .abi = VCPU_CORE_ABI, .allowed = some, .nallowed = 2};
    for (unsigned m = 0; m < NVM; m++) {
        vcpu_vm_t vma, vmb;
        const struct vcpu_vm_attr *at = masked && m == 1 ? &mask : NULL;
        assert_int_equal(vcpu_core_vm_add(a->core, now, at, &vma), 0);
        assert_int_equal(vcpu_core_vm_add(b->core, now, at, &vmb), 0);
        assert_int_equal(vma, vmb);
        vcpu_id_t ids[PER_VM], v;
        for (unsigned i = 0; i < PER_VM; i++) {
            assert_int_equal(vcpu_core_vcpu_add(a->core, now, vma, &v), 0);
            assert_int_equal(v, m * PER_VM + i);
        }
        assert_int_equal(vcpu__core_vcpu_add_n(b->core, now, vmb, PER_VM, ids),
                         0);
        for (unsigned i = 0; i < PER_VM; i++)
            assert_int_equal(ids[i], m * PER_VM + i);
        same_so_far(a, b);
        for (unsigned i = 0; i < PER_VM; i++)
            assert_int_equal(vcpu_core_wake(a->core, now, ids[i]), 0);
        assert_int_equal(vcpu__core_wake_n(b->core, now, ids, PER_VM), 0);
        same_so_far(a, b);
    }
}

/* Fill idle pCPUs on both sides alike. */
static void pick_idle(struct side *a, struct side *b, vcpu_time_t now)
{
    for (vcpu_pcpu_t p = 0; p < NP; p++) {
        if (vcpu_core_pcpu_curr(a->core, p) != VCPU_NONE)
            continue;
        vcpu_id_t va, vb;
        uint64_t sa, sb;
        int ra = vcpu_core_pick(a->core, now, p, &va, &sa);
        int rb = vcpu_core_pick(b->core, now, p, &vb, &sb);
        assert_int_equal(ra, rb);
        assert_int_equal(va, vb);
        assert_int_equal(sa, sb);
    }
}

/* vCPUs of @vm that have not exited. */
static unsigned vm_live(vcpu_core_t *c, vcpu_vm_t vm)
{
    unsigned n = 0;
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(c); v++)
        n += vcpu_core_vcpu_vm(c, v) == vm &&
             vcpu_core_vcpu_state(c, v) != VP_VCPU_EXITED;
    return n;
}

/* One running vCPU stops for @why: A the public call then a pick of its
 * pCPU, B vcpu__core_stop_pick, which does not send the stop's kick of
 * the pCPU (its pick answers it). */
static void stop_one(struct side *a, struct side *b, vcpu_pcpu_t p,
                     unsigned why, vcpu_time_t now)
{
    vcpu_id_t v = vcpu_core_pcpu_curr(a->core, p);
    assert_int_equal(v, vcpu_core_pcpu_curr(b->core, p));
    a->mute = p;
    int ra = why == VCPU_STOP_YIELD   ? vcpu_core_yield(a->core, now, v)
             : why == VCPU_STOP_BLOCK ? vcpu_core_block(a->core, now, v)
                                      : vcpu_core_exit(a->core, now, v);
    a->mute = VCPU_NONE;
    assert_int_equal(ra, 0);
    vcpu_id_t va, vb;
    uint64_t sa, sb;
    ra = vcpu_core_pick(a->core, now, p, &va, &sa);
    vcpu_vm_t vm = vcpu_core_vcpu_vm(b->core, v);
    int rb;
    if (quiet && why == VCPU_STOP_YIELD) {
        struct vcpu__pick r = vcpu__core_yield_pick(b->core, now, v);
        rb = r.rc;
        vb = r.v;
        sb = r.slice_ns;
    } else {
        rb = vcpu__core_stop_pick(b->core, now, v, why, &vb, &sb);
    }
    /* 1: the VM's last vCPU exited */
    bool last = why == VCPU_STOP_EXIT && vm_live(a->core, vm) == 0;
    assert_int_equal(rb, last ? 1 : ra);
    assert_int_equal(va, vb);
    assert_int_equal(sa, sb);
}

static void same_counters(const struct side *a, const struct side *b)
{
    unsigned n = vcpu_core_nvcpus(a->core);
    assert_int_equal(n, vcpu_core_nvcpus(b->core));
    for (vcpu_id_t v = 0; v < n; v++) {
        struct vcpu_vcpu_stats x, y;
        assert_int_equal(vcpu_core_vcpu_stats(a->core, v, &x), 0);
        assert_int_equal(vcpu_core_vcpu_stats(b->core, v, &y), 0);
        assert_memory_equal(&x, &y, sizeof x);
    }
    for (vcpu_pcpu_t p = 0; p < NP; p++) {
        struct vcpu_pcpu_stats x, y;
        assert_int_equal(vcpu_core_pcpu_stats(a->core, p, &x), 0);
        assert_int_equal(vcpu_core_pcpu_stats(b->core, p, &y), 0);
        assert_memory_equal(&x, &y, sizeof x);
    }
}

/* The same script on both sides: yields, blocks and exits on every pCPU
 * in turn, blocked vCPUs woken a few steps later. */
/* @then: a policy both sides swap to halfway, or NULL. */
static void run_script(const struct vcpu_policy_ops *ops,
                       const vcpu_topo_t *topo,
                       const struct vcpu_policy_ops *then)
{
    struct side a, b;
    side_init(&a, topo, ops);
    side_init(&b, topo, ops);
    vcpu_time_t now = 0;
    make_vms(&a, &b, now);
    uint64_t rng = 12345;
    for (unsigned step = 0; step < 400; step++) {
        now += 250;
        if (then && step == 200) {
            assert_int_equal(vcpu_core_set_policy(a.core, now, then, NULL), 0);
            assert_int_equal(vcpu_core_set_policy(b.core, now, then, NULL), 0);
        }
        pick_idle(&a, &b, now);
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        vcpu_pcpu_t p = (vcpu_pcpu_t)(rng >> 33) % NP;
        unsigned r = (unsigned)(rng >> 40) % 16;
        unsigned why = r < 10   ? VCPU_STOP_YIELD
                       : r < 15 ? VCPU_STOP_BLOCK
                                : VCPU_STOP_EXIT;
        if (vcpu_core_pcpu_curr(a.core, p) != VCPU_NONE)
            stop_one(&a, &b, p, why, now);
        if (step % 7 == 0) /* wake whatever is blocked */
            for (vcpu_id_t v = 0; v < NV; v++)
                if (vcpu_core_vcpu_state(a.core, v) == VP_VCPU_BLOCKED) {
                    assert_int_equal(vcpu_core_wake(a.core, now, v), 0);
                    assert_int_equal(vcpu_core_wake(b.core, now, v), 0);
                }
        same_so_far(&a, &b);
    }
    assert_true(a.len > 0);
    same_counters(&a, &b);
    /* the records a trace would have had: the lane counts them too */
    assert_int_equal(((struct vcpu_core *)a.core)->nr_events,
                     ((struct vcpu_core *)b.core)->nr_events);
    assert_int_equal(vcpu_core_check(a.core), 0);
    assert_int_equal(vcpu_core_check(b.core), 0);
    side_fini(&a);
    side_fini(&b);
}

static void test_core_batch_equals_public_calls_for_every_policy(void **state)
{
    (void)state;
    vcpu_topo_t *topo;
    assert_int_equal(vcpu_topo_load_synthetic("pack:1 core:4 pu:1", &topo), 0);
    for (unsigned i = 0; i < vcpu_policy_count(); i++)
        run_script(vcpu_policy_at(i), topo, NULL);
    vcpu_topo_unref(topo);
}

/* The same without trace or checker, B's yields through
 * vcpu__core_yield_pick: where a policy offers a yield shortcut (rr) they
 * take the lane, and nothing a caller can see may differ (picks, slices,
 * kicks, every counter, the invariants checked at the end). */
static void test_core_yield_lane_equals_public_calls(void **state)
{
    (void)state;
    vcpu_topo_t *topo;
    assert_int_equal(vcpu_topo_load_synthetic("pack:1 core:4 pu:1", &topo), 0);
    quiet = true;
    unsigned n = vcpu_policy_count();
    for (unsigned i = 0; i < n; i++) {
        run_script(vcpu_policy_at(i), topo, NULL);
        /* the lane's conditions follow a policy swap both ways (rr, which
         * takes the lane, to and from policies with running/stopping
         * callbacks, which must then be called) */
        run_script(vcpu_policy_at(i), topo, vcpu_policy_at((i + 1) % n));
        run_script(vcpu_policy_at((i + 1) % n), topo, vcpu_policy_at(i));
        /* a VM with an allowed mask: the lane leaves its vCPUs to the
         * eligible search (yield_pick) */
        masked = true;
        run_script(vcpu_policy_at(i), topo, NULL);
        masked = false;
    }
    quiet = false;
    vcpu_topo_unref(topo);
}

static void test_core_batch_refuses_bad_arguments(void **state)
{
    (void)state;
    vcpu_topo_t *topo;
    assert_int_equal(vcpu_topo_load_synthetic("pack:1 core:2 pu:1", &topo), 0);
    struct side s;
    side_init(&s, topo, vcpu_policy_find("rr"));
    vcpu_core_t *c = s.core;
    vcpu_vm_t vm;
    vcpu_id_t ids[4] = {0, 0, 0, 0}, v;
    uint64_t slice = 1;
    assert_int_equal(vcpu_core_vm_add(c, 0, NULL, &vm), 0);
    assert_int_equal(vcpu__core_vcpu_add_n(c, 0, vm, 0, ids), VCPU_EINVAL);
    assert_int_equal(vcpu__core_vcpu_add_n(c, 0, vm, 2, NULL), VCPU_EINVAL);
    assert_int_equal(vcpu__core_vcpu_add_n(c, 0, vm + 1, 2, ids), VCPU_ESRCH);
    assert_int_equal(ids[0], VCPU_NONE);
    assert_int_equal(vcpu_core_nvcpus(c), 0);
    assert_int_equal(vcpu__core_vcpu_add_n(c, 0, vm, 2, ids), 0);
    vcpu_id_t first = ids[0];
    ids[2] = 2; /* out of range */
    assert_int_equal(vcpu__core_wake_n(c, 0, ids, 3), VCPU_ESRCH);
    assert_int_equal(vcpu__core_wake_n(c, 0, NULL, 3), VCPU_EINVAL);
    assert_int_equal(vcpu_core_vcpu_state(c, first), VP_VCPU_NEW);
    /* not running: nothing happens, nothing is picked */
    size_t len = s.len;
    assert_int_equal(
        vcpu__core_stop_pick(c, 0, first, VCPU_STOP_YIELD, &v, &slice),
        VCPU_ESTATE);
    assert_int_equal(v, VCPU_NONE);
    assert_int_equal(slice, 0);
    assert_int_equal(s.len, len);
    assert_int_equal(vcpu__core_wake_n(c, 0, ids, 2), 0);
    assert_int_equal(vcpu_core_pick(c, 0, 0, &v, NULL), 0);
    assert_int_not_equal(v, VCPU_NONE);
    assert_int_equal(
        vcpu__core_stop_pick(c, 0, v, VCPU_STOP_PREEMPT, &v, &slice),
        VCPU_EINVAL);
    assert_int_equal(
        vcpu__core_stop_pick(c, 0, 99, VCPU_STOP_YIELD, &v, &slice),
        VCPU_ESRCH);
    assert_int_equal(vcpu__core_stop_pick(c, 0, v, VCPU_STOP_YIELD, &v, NULL),
                     VCPU_EINVAL);
    /* no pick: the stop alone; the VM's last exit says so */
    v = vcpu_core_pcpu_curr(c, 0);
    vcpu_id_t other = v == first ? first + 1 : first;
    assert_int_equal(vcpu_core_exit(c, 0, other), 0);
    assert_int_equal(vcpu__core_stop_pick(c, 0, v, VCPU_STOP_EXIT, NULL, NULL),
                     1);
    assert_int_equal(vcpu_core_pcpu_curr(c, 0), VCPU_NONE);
    /* a dead VM takes no vCPU, and nothing is left half made */
    assert_int_equal(vcpu_core_vm_remove(c, 0, vm), 0);
    assert_int_equal(vcpu__core_vcpu_add_n(c, 0, vm, 4, ids), VCPU_ESRCH);
    assert_int_equal(vcpu_core_nvcpus(c), 2);
    assert_int_equal(vcpu_core_check(c), 0);
    side_fini(&s);
    vcpu_topo_unref(topo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_batch_equals_public_calls_for_every_policy),
        cmocka_unit_test(test_core_yield_lane_equals_public_calls),
        cmocka_unit_test(test_core_batch_refuses_bad_arguments),
    };
    return cmocka_run_group_tests_name("core_batch", tests, NULL, NULL);
}
