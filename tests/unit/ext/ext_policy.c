// SPDX-License-Identifier: GPL-3.0-or-later
/* An external policy built as a shared object for the registry tests:
 * LIFO on the global queue ("ext_lifo"). Built three ways: good, with a
 * wrong ABI (EXT_WRONG_ABI), and with an entry that refuses (EXT_REFUSE). */
#include <vcpu/core.h>
#include <vcpu/policy.h>

static void lifo_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    (void)flags;
    vp_dsq_insert(ctx, VP_DSQ_GLOBAL, v, 0, VP_INSERT_HEAD);
    vp_kick_idle(ctx, v, VCPU_NONE);
}

static const struct vcpu_policy_ops lifo_ops __attribute__((unused)) = {
    .enqueue = lifo_enqueue,
#ifdef EXT_WRONG_ABI
    .abi = VCPU_POLICY_ABI + 41,
#else
    .abi = VCPU_POLICY_ABI,
#endif
    .name = "ext_lifo",
    .description = "last in, first out (test policy from a shared object)",
    .flags = VP_WORK_CONSERVING,
};

__attribute__((visibility("default"))) const struct vcpu_policy_ops *
vcpu_policy_entry(uint32_t host_abi);

const struct vcpu_policy_ops *vcpu_policy_entry(uint32_t host_abi)
{
#ifdef EXT_REFUSE
    (void)host_abi;
    return NULL;
#else
    return host_abi == VCPU_POLICY_ABI ? &lifo_ops : NULL;
#endif
}
