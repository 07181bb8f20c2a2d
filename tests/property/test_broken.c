// SPDX-License-Identifier: GPL-3.0-or-later
/* Deliberately broken policies, built only for this test, prove that the
 * harness catches each invariant: if it stops catching one, this fails.
 * Invariants 1 and 6 cannot be broken through the vp_* API (the core
 * refuses to queue a running vCPU and does its own accounting), so those
 * two broken policies reach into the core's private state to corrupt it. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core_internal.h"
#include "harness.h"

/* ---- invariant 3: enqueue forgets the vCPU ------------------------------ */

static void forget_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    (void)ctx, (void)v, (void)flags;
}

static const struct vcpu_policy_ops forget_ops = {
    .enqueue = forget_enqueue,
    .abi = VCPU_POLICY_ABI,
    .name = "forget",
};

/* ---- invariant 4: queue where the VM is not allowed --------------------- */

static void trespass_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    (void)flags;
    vcpu_vm_t vm = vp_vcpu_vm(ctx, v);
    vcpu_pcpu_t to = 0;
    for (vcpu_pcpu_t p = 0; p < vp_npcpus(ctx); p++)
        if (!vp_vm_allows(ctx, vm, p) &&
            vp_pcpu_state(ctx, p) == VP_PCPU_ONLINE)
            to = p;
    vp_dsq_insert(ctx, VP_DSQ_LOCAL_ON(to), v, 0, 0);
    vp_kick(ctx, to);
}

static const struct vcpu_policy_ops trespass_ops = {
    .enqueue = trespass_enqueue,
    .abi = VCPU_POLICY_ABI,
    .name = "trespass",
};

/* ---- invariant 2: queue on an offline pCPU ------------------------------ */

static void ghost_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    (void)flags;
    for (vcpu_pcpu_t p = 0; p < vp_npcpus(ctx); p++)
        if (vp_pcpu_state(ctx, p) == VP_PCPU_OFFLINE) {
            vp_dsq_insert(ctx, VP_DSQ_LOCAL_ON(p), v, 0, 0);
            return;
        }
    vp_dsq_insert(ctx, VP_DSQ_GLOBAL, v, 0, 0);
    vp_kick_idle(ctx, v, VCPU_NONE);
}

static const struct vcpu_policy_ops ghost_ops = {
    .enqueue = ghost_enqueue,
    .abi = VCPU_POLICY_ABI,
    .name = "ghost",
};

/* ---- invariant 5: claims work conservation, never kicks ------------------ */

static int lazy_init(vp_ctx_t *ctx, const struct vp_init_args *a)
{
    (void)a;
    return vp_dsq_create(ctx, 0, VP_DSQ_FIFO);
}

static void lazy_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    (void)flags;
    vp_dsq_insert(ctx, 0, v, 0, 0);
}

static void lazy_dispatch(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    vp_dsq_move_to_local(ctx, 0, p);
}

static const struct vcpu_policy_ops lazy_ops = {
    .init = lazy_init,
    .enqueue = lazy_enqueue,
    .dispatch = lazy_dispatch,
    .abi = VCPU_POLICY_ABI,
    .name = "lazy",
    .flags = VP_WORK_CONSERVING,
};

/* ---- invariant 7: state outside the core (a static counter) -------------- */

static uint64_t leaked_counter;

static void leaky_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    (void)flags;
    /* Slices depend on how often this process ran the policy before. */
    vp_dsq_insert(ctx, VP_DSQ_GLOBAL, v, 100000 + (leaked_counter++ % 7) * 1000,
                  0);
    vp_kick_idle(ctx, v, VCPU_NONE);
}

static const struct vcpu_policy_ops leaky_ops = {
    .enqueue = leaky_enqueue,
    .abi = VCPU_POLICY_ABI,
    .name = "leaky",
};

/* ---- invariant 1: corrupts the core so two pCPUs run one vCPU ------------ */

static void twin_running(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p)
{
    struct vcpu_core *c = (struct vcpu_core *)ctx;
    for (vcpu_pcpu_t q = 0; q < c->npcpus; q++)
        if (q != p && c->pcpus[q].curr == VCPU_NONE &&
            c->pcpus[q].state == VP_PCPU_ONLINE) {
            c->pcpus[q].curr = v;
            return;
        }
}

static const struct vcpu_policy_ops twin_ops = {
    .running = twin_running,
    .abi = VCPU_POLICY_ABI,
    .name = "twin",
};

/* ---- invariant 6: corrupts the busy-time accounting ---------------------- */

static void skew_stopping(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p,
                          bool runnable)
{
    (void)v, (void)runnable;
    ((struct vcpu_core *)ctx)->pcpus[p].st.busy_ns += 1;
}

static const struct vcpu_policy_ops skew_ops = {
    .stopping = skew_stopping,
    .abi = VCPU_POLICY_ABI,
    .name = "skew",
};

/* ---- the checks ----------------------------------------------------------- */

/* Some case among the first @max must fail with @expect in the message,
 * and the shrunk case must still fail with it. */
static void expect_caught(const struct vcpu_policy_ops *ops, const char *expect,
                          unsigned max)
{
    uint64_t base = harness_seed(0xbad00000u);
    char msg[2048];
    for (unsigned i = 0; i < max; i++) {
        struct pcase pc;
        pcase_generate(&pc, base + i, 120);
        int rc = pcase_run(&pc, ops, NULL, true, msg, sizeof msg);
        if (rc && strstr(msg, expect)) {
            unsigned before = pc.nops;
            pcase_shrink(&pc, ops, NULL, true, expect);
            assert_int_not_equal(
                pcase_run(&pc, ops, NULL, true, msg, sizeof msg), 0);
            assert_non_null(strstr(msg, expect));
            printf("%-8s caught (%s) at seed %" PRIu64 ", shrunk %u -> %u "
                   "ops\n",
                   ops->name, expect, pc.seed, before, pc.nops);
            assert_true(pc.nops <= before);
            pcase_free(&pc);
            return;
        }
        /* A broken policy may break other invariants first: go on. */
        pcase_free(&pc);
    }
    fail_msg("policy '%s' broke '%s' in none of %u cases", ops->name, expect,
             max);
}

static void test_property_catches_invariant_1(void **state)
{
    (void)state;
    expect_caught(&twin_ops, "invariant 1", 50);
}

static void test_property_catches_invariant_2(void **state)
{
    (void)state;
    expect_caught(&ghost_ops, "invariant 2", 200);
}

static void test_property_catches_invariant_3(void **state)
{
    (void)state;
    expect_caught(&forget_ops, "invariant 3", 50);
}

static void test_property_catches_invariant_4(void **state)
{
    (void)state;
    expect_caught(&trespass_ops, "invariant 4", 200);
}

static void test_property_catches_invariant_5(void **state)
{
    (void)state;
    expect_caught(&lazy_ops, "invariant 5", 50);
}

static void test_property_catches_invariant_6(void **state)
{
    (void)state;
    expect_caught(&skew_ops, "invariant 6", 50);
}

static void test_property_catches_invariant_7(void **state)
{
    (void)state;
    expect_caught(&leaky_ops, "invariant 7", 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property_catches_invariant_1),
        cmocka_unit_test(test_property_catches_invariant_2),
        cmocka_unit_test(test_property_catches_invariant_3),
        cmocka_unit_test(test_property_catches_invariant_4),
        cmocka_unit_test(test_property_catches_invariant_5),
        cmocka_unit_test(test_property_catches_invariant_6),
        cmocka_unit_test(test_property_catches_invariant_7),
    };
    return cmocka_run_group_tests_name("broken", tests, NULL, NULL);
}
