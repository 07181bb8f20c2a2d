// SPDX-License-Identifier: LGPL-2.1-or-later
/* rr: one shared FIFO, fixed time slice; work-conserving. Wakes a vCPU on
 * the idle pCPU nearest its last one. Does badly when vCPUs of one VM must
 * run together (no co-scheduling), with weights and caps (ignored), and on
 * big machines where one queue is contended. */
#include <vcpu/policy.h>

enum { RR_DSQ = 0 };

static const struct vp_param rr_params[] = {
    {"slice_us", VP_PARAM_U64, "0", "time slice in µs; 0 = the host's"},
    {0},
};

struct rr_state {
    uint64_t slice_ns;
};

static int rr_init(vp_ctx_t *ctx, const struct vp_init_args *args)
{
    struct rr_state *st = vp_state(ctx);
    uint64_t us = vp_arg_u64(ctx, "slice_us");
    st->slice_ns = us ? us * 1000 : args->slice_ns;
    return vp_dsq_create(ctx, RR_DSQ, VP_DSQ_FIFO);
}

/* An idle pCPU near its last one takes @v directly (its local DSQ), so the
 * pCPU kicked is the one that runs it; else @v joins the shared FIFO. */
static void rr_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    struct rr_state *st = vp_state(ctx);
    (void)flags;
    vcpu_pcpu_t p = vp_idle_find(ctx, v, vp_vcpu_pcpu(ctx, v));
    vp_dsq_insert(ctx, p == VCPU_NONE ? RR_DSQ : VP_DSQ_LOCAL_ON(p), v,
                  st->slice_ns, 0);
    if (p != VCPU_NONE)
        vp_kick(ctx, p);
}

/* rr_enqueue then rr_dispatch, as the core's shortcut (ops.yield): when
 * no idle pCPU would take @v, it goes to the FIFO's tail and @p takes the
 * FIFO's first vCPU it may run. */
static bool rr_yield(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p, vp_dsq_t *dsq,
                     uint64_t *slice_ns)
{
    if (vp_idle_find(ctx, v, p) != VCPU_NONE)
        return false;
    *dsq = RR_DSQ;
    *slice_ns = ((struct rr_state *)vp_state(ctx))->slice_ns;
    return true;
}

static void rr_dispatch(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    vp_dsq_move_to_local(ctx, RR_DSQ, p); /* first eligible for p */
}

const struct vcpu_policy_ops rr_ops = {
    .init = rr_init,
    .enqueue = rr_enqueue,
    .dispatch = rr_dispatch,
    .yield = rr_yield,
    .abi = VCPU_POLICY_ABI,
    .name = "rr",
    .description = "one shared FIFO, fixed slice; ignores weights, caps and "
                   "co-scheduling",
    .params = rr_params,
    .flags = VP_WORK_CONSERVING,
    .state_size = sizeof(struct rr_state),
};
