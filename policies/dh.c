// SPDX-License-Identifier: LGPL-2.1-or-later
/* dh: dynamic heterogeneity (Wells, Chakraborty & Sohi, SIGOPS OSR 2009):
 * the most critical active vCPUs (prio, then lowest id) hold the fastest
 * pCPUs, one each; the rest are suspended, not time-shared (timeshare=true:
 * one FIFO), until capacity returns. Does badly with frequent wake/block
 * (each re-solves an O(vCPUs x pCPUs) assignment); starves low prios. */
#include <vcpu/policy.h>

enum { DH_FIFO = 0 };

static const struct vp_param dh_params[] = {
    {"timeshare", VP_PARAM_BOOL, "false",
     "time-share excess vCPUs (one FIFO) instead of suspending them"},
    {0},
};

struct dh_vcpu {
    vcpu_pcpu_t target; /* assigned pCPU (timeshare: migration target) */
    bool want_suspend;  /* suspend it when its preemption arrives */
};

/* State: the timeshare argument. */
static bool timeshare(vp_ctx_t *ctx)
{
    return *(bool *)vp_state(ctx);
}

static struct dh_vcpu *vd(vp_ctx_t *ctx, vcpu_id_t v)
{
    return vp_vcpu_data(ctx, v);
}

/* pCPU data: the vCPU the last rebalance() assigned to it. */
static vcpu_id_t *owner(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    return vp_pcpu_data(ctx, p);
}

static bool usable(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p)
{
    return vp_pcpu_state(ctx, p) == VP_PCPU_ONLINE &&
           vp_vm_allows(ctx, vp_vcpu_vm(ctx, v), p);
}

/* Whether @a is more critical than @b: higher prio, then lower id. */
static bool critical(vp_ctx_t *ctx, vcpu_id_t a, vcpu_id_t b)
{
    int pa = vp_vcpu_prio(ctx, a), pb = vp_vcpu_prio(ctx, b);
    return pa != pb ? pa > pb : a < b;
}

/* > 0 if pCPU @a is faster than @b: speed, then core kind. */
static int faster(vp_ctx_t *ctx, vcpu_pcpu_t a, vcpu_pcpu_t b)
{
    int64_t d = (int64_t)vp_pcpu_speed(ctx, a) - vp_pcpu_speed(ctx, b);
    if (!d)
        d = (int64_t)vp_topo_corekind(ctx, a) - vp_topo_corekind(ctx, b);
    return (d > 0) - (d < 0);
}

/* Kick @p only if idle: busy, it is kicked when its vCPU stops; in its own
 * pick, a kick would strand it. */
static void to_local(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p)
{
    if (!vp_vcpu_is_queued(ctx, v))
        vp_dsq_insert(ctx, VP_DSQ_LOCAL_ON(p), v, 0, 0);
    else if (vp_vcpu_dsq(ctx, v) != VP_DSQ_LOCAL_ON(p))
        vp_dsq_move(ctx, v, VP_DSQ_LOCAL_ON(p), 0);
    if (vp_idle_find(ctx, v, p) == p)
        vp_kick(ctx, p);
}

/* Wants a pCPU: RUNNABLE, RUNNING or parked by us. */
static bool active(vp_ctx_t *ctx, vcpu_id_t v)
{
    unsigned s = vp_vcpu_state(ctx, v);
    return s == VP_VCPU_RUNNABLE || s == VP_VCPU_RUNNING ||
           (s == VP_VCPU_SUSPENDED && vp_vcpu_is_policy_suspended(ctx, v));
}

/* Among equally fast pCPUs: the one @v runs on, an idle one it ran on last,
 * an idle one, one running the least critical vCPU (assigned after @v). */
static unsigned rank(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p)
{
    vcpu_id_t occ = vp_pcpu_curr(ctx, p);
    if (occ == v || occ == VCPU_NONE)
        return occ == v ? 0 : p == vp_vcpu_pcpu(ctx, v) ? 1 : 2;
    return 3;
}

static bool better(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t a, vcpu_pcpu_t b)
{
    int f = b == VCPU_NONE ? 1 : faster(ctx, a, b);
    unsigned ra = rank(ctx, v, a), rb = f ? 0 : rank(ctx, v, b);
    if (f || ra != rb)
        return f ? f > 0 : ra < rb;
    return ra == 3 && critical(ctx, vp_pcpu_curr(ctx, b), vp_pcpu_curr(ctx, a));
}

/* Greedy in criticality order: each active vCPU takes the best pCPU left.
 * Passes per distinct prio, so O(vCPUs x (prios + pCPUs)). */
static void assign(vp_ctx_t *ctx)
{
    unsigned np = vp_npcpus(ctx), nv = vp_nvcpus(ctx);
    for (vcpu_pcpu_t p = 0; p < np; p++)
        *owner(ctx, p) = VCPU_NONE;
    for (int64_t hi = INT64_MAX;;) {
        bool any = false;
        int prio = 0;
        for (vcpu_id_t v = 0; v < nv; v++) {
            int pv = vp_vcpu_prio(ctx, v);
            if (active(ctx, v) && pv < hi && (!any || pv > prio))
                prio = pv, any = true;
        }
        if (!any)
            return;
        for (vcpu_id_t v = 0; v < nv; v++) {
            if (!active(ctx, v) || vp_vcpu_prio(ctx, v) != prio)
                continue;
            vcpu_pcpu_t best = VCPU_NONE;
            for (vcpu_pcpu_t p = 0; p < np; p++)
                if (*owner(ctx, p) == VCPU_NONE && usable(ctx, v, p) &&
                    better(ctx, v, p, best))
                    best = p;
            vd(ctx, v)->target = best;
            if (best != VCPU_NONE)
                *owner(ctx, best) = v;
        }
        hi = prio;
    }
}

/* Make the core follow @v's assignment. Returns true when an operator
 * suspension keeps @v parked after vp_resume: assign again without it. */
static bool apply(vp_ctx_t *ctx, vcpu_id_t v, vcpu_id_t self)
{
    struct dh_vcpu *d = vd(ctx, v);
    vcpu_pcpu_t t = d->target, cur = vp_vcpu_pcpu(ctx, v);
    unsigned s = vp_vcpu_state(ctx, v);
    d->want_suspend = s == VP_VCPU_RUNNING && t == VCPU_NONE;
    if (s == VP_VCPU_RUNNING && t != cur)
        vp_preempt(ctx, cur); /* enqueue() moves or parks it */
    if (s == VP_VCPU_SUSPENDED && t != VCPU_NONE) {
        vp_resume(ctx, v); /* enqueue() puts it on t */
        return vp_vcpu_state(ctx, v) == VP_VCPU_SUSPENDED;
    }
    /* RUNNABLE in no DSQ but not @self: the core requeues it (swap). */
    if (s != VP_VCPU_RUNNABLE || (v != self && !vp_vcpu_is_queued(ctx, v)))
        return false;
    if (t == VCPU_NONE)
        vp_suspend(ctx, v);
    else
        to_local(ctx, v, t);
    return false;
}

static void rebalance(vp_ctx_t *ctx, vcpu_id_t self)
{
    for (bool again = true; again;) {
        again = false;
        assign(ctx);
        for (vcpu_id_t v = 0; v < vp_nvcpus(ctx) && !again; v++)
            if (active(ctx, v))
                again = apply(ctx, v, self);
    }
}

static int dh_init(vp_ctx_t *ctx, const struct vp_init_args *args)
{
    *(bool *)vp_state(ctx) = vp_arg_bool(ctx, "timeshare");
    for (vcpu_pcpu_t p = 0; p < args->npcpus; p++)
        *owner(ctx, p) = VCPU_NONE;
    return vp_dsq_create(ctx, DH_FIFO, VP_DSQ_FIFO);
}

static void dh_vcpu_add(vp_ctx_t *ctx, vcpu_id_t v)
{
    vd(ctx, v)->target = VCPU_NONE;
}

/* The fastest idle pCPU @v may use, or VCPU_NONE. */
static vcpu_pcpu_t fastest_idle(vp_ctx_t *ctx, vcpu_id_t v)
{
    vcpu_pcpu_t best = VCPU_NONE;
    for (vcpu_pcpu_t p = 0; p < vp_npcpus(ctx); p++)
        if (usable(ctx, v, p) && vp_pcpu_curr(ctx, p) == VCPU_NONE &&
            (best == VCPU_NONE || faster(ctx, p, best) > 0) &&
            vp_idle_find(ctx, v, p) == p)
            best = p;
    return best;
}

/* timeshare=true: to its migration target or the fastest idle pCPU; a
 * vCPU whose slice ended waits in the FIFO (and an idle pCPU is kicked). */
static void ts_enqueue(vp_ctx_t *ctx, vcpu_id_t v, bool stopped)
{
    vcpu_pcpu_t t = vd(ctx, v)->target;
    bool steer = t != VCPU_NONE && vp_idle_find(ctx, v, t) == t;
    vd(ctx, v)->target = VCPU_NONE;
    if (!steer)
        t = fastest_idle(ctx, v);
    bool fifo = t == VCPU_NONE || (stopped && !steer);
    vp_dsq_insert(ctx, fifo ? DH_FIFO : VP_DSQ_LOCAL_ON(t), v, 0, 0);
    if (t != VCPU_NONE)
        vp_kick(ctx, t);
}

/* Mine: its pCPU is still assigned to it (a slice ended, it migrates, or
 * rebalance() resumed it), so no new assignment is needed. */
static void dh_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    struct dh_vcpu *d = vd(ctx, v);
    vcpu_pcpu_t t = d->target;
    bool mine = t != VCPU_NONE && *owner(ctx, t) == v && usable(ctx, v, t);
    bool stopped = flags & (VP_ENQ_PREEMPTED | VP_ENQ_YIELD);
    if (timeshare(ctx)) {
        ts_enqueue(ctx, v, stopped);
    } else if (stopped && d->want_suspend) {
        d->want_suspend = false;
        vp_suspend(ctx, v);
    } else if (mine && (stopped || (flags & VP_ENQ_RESUME))) {
        to_local(ctx, v, t);
    } else {
        rebalance(ctx, v);
    }
}

/* timeshare=true, nothing queued for @p: pull the most critical vCPU that
 * runs on a slower pCPU (it comes back through enqueue() to @p). */
static void ts_steal(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    vcpu_id_t best = VCPU_NONE;
    for (vcpu_pcpu_t q = 0; q < vp_npcpus(ctx); q++) {
        vcpu_id_t v = vp_pcpu_curr(ctx, q);
        if (v != VCPU_NONE && faster(ctx, p, q) > 0 && usable(ctx, v, p) &&
            vd(ctx, v)->target == VCPU_NONE &&
            (best == VCPU_NONE || critical(ctx, v, best)))
            best = v;
    }
    if (best == VCPU_NONE)
        return;
    vd(ctx, best)->target = p;
    vp_preempt(ctx, vp_vcpu_pcpu(ctx, best));
}

/* Default mode: a pCPU that frees up (block, exit, an operator suspending
 * a queued vCPU) dispatches: resume or migrate onto it. */
static void dh_dispatch(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    if (!timeshare(ctx))
        rebalance(ctx, VCPU_NONE);
    else if (vp_dsq_move_to_local(ctx, DH_FIFO, p) == VCPU_NONE)
        ts_steal(ctx, p);
}

static void dh_stopping(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p,
                        bool still_runnable)
{
    if (!still_runnable) /* its pCPU's dispatch() will rebalance */
        *vd(ctx, v) = (struct dh_vcpu){.target = VCPU_NONE};
}

static void dh_pcpu_change(vp_ctx_t *ctx, vcpu_pcpu_t p,
                           const struct vp_pcpu_change *c)
{
    bool ts = timeshare(ctx);
    for (vcpu_pcpu_t q = 0; ts && q < vp_npcpus(ctx); q++)
        if (vp_pcpu_curr(ctx, q) == VCPU_NONE)
            vp_kick(ctx, q); /* idle ones may steal (dispatch) */
    if (!ts)
        rebalance(ctx, VCPU_NONE);
}

static void dh_dump(vp_ctx_t *ctx)
{
    for (vcpu_pcpu_t p = 0; p < vp_npcpus(ctx); p++)
        vp_dump_printf(ctx, "pcpu %u: speed %u kind %u runs %d assigned %d", p,
                       vp_pcpu_speed(ctx, p), vp_topo_corekind(ctx, p),
                       (int)vp_pcpu_curr(ctx, p), (int)*owner(ctx, p));
}

const struct vcpu_policy_ops dh_ops = {
    .init = dh_init,
    .vcpu_add = dh_vcpu_add,
    .enqueue = dh_enqueue,
    .dispatch = dh_dispatch,
    .stopping = dh_stopping,
    .pcpu_change = dh_pcpu_change,
    .dump = dh_dump,
    .abi = VCPU_POLICY_ABI,
    .name = "dh",
    .description = "dynamic heterogeneity: critical vCPUs on the fastest "
                   "pCPUs, excess suspended; starves the least critical",
    .params = dh_params,
    .flags = VP_WORK_CONSERVING,
    .state_size = sizeof(bool),
    .pcpu_data_size = sizeof(vcpu_id_t),
    .vcpu_data_size = sizeof(struct dh_vcpu),
};
