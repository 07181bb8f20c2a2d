// SPDX-License-Identifier: LGPL-2.1-or-later
/* fair: weighted fair sharing by vruntime (CFS-like): a queue per pCPU,
 * stealing and balancing by topology, caps as a run-time budget per period.
 * Does badly with latency-sensitive vCPUs (no wake-up preemption), weights
 * across pCPUs (balancing counts vCPUs), and caps on an idle machine. */
#include <vcpu/policy.h>

static const struct vp_param fair_params[] = {
    {"slice_us", VP_PARAM_U64, "0", "time slice in µs; 0 = the host's"},
    {"balance_ticks", VP_PARAM_U64, "4", "ticks between balancing; 0 = off"},
    {"cap_period_us", VP_PARAM_U64, "100000", "cap budget period in µs"},
    {"wake_bonus_us", VP_PARAM_U64, "1000", "sleeper credit, µs of vruntime"},
    {0},
};

struct fair_state {
    uint64_t slice_ns, period_ns, bonus_ns, period; /* period: index now */
    unsigned balance_ticks, nr_queued;              /* nr_queued: or more */
    vcpu_pcpu_t picking; /* in dispatch: a kick to it would stick */
};
struct fair_pcpu {
    uint64_t min_vrt; /* monotonic base of this queue's vruntimes */
    unsigned ticks;
};
struct fair_vcpu {
    uint64_t vrt, last_rt; /* vruntime; run time charged so far */
    vcpu_pcpu_t home;      /* 1 + the queue @vrt is relative to; 0: never */
};
struct fair_vm {
    uint64_t used_ns, period; /* run time charged in budget period @period */
    bool throttled;
};

#define PROBES 4
#define ST(ctx) ((struct fair_state *)vp_state(ctx))
#define VD(ctx, v) ((struct fair_vcpu *)vp_vcpu_data(ctx, v))
#define MD(ctx, vm) ((struct fair_vm *)vp_vm_data(ctx, vm))
#define BASE(ctx, p) (((struct fair_pcpu *)vp_pcpu_data(ctx, p))->min_vrt)

/* Make @d's vruntime relative to @to's queue, keeping its lag. */
static void rebase(vp_ctx_t *ctx, struct fair_vcpu *d, vcpu_pcpu_t to)
{
    uint64_t from = d->home ? BASE(ctx, d->home - 1) : d->vrt; /* new: 0 */
    uint64_t hi = d->vrt + BASE(ctx, to);
    d->vrt = hi > from ? hi - from : 0;
    d->home = to + 1;
}

/* Caps: run time per period (plus @add) against cap * period / 1000; an
 * overshoot is paid in the next periods, so the long-run share is exact. */
static bool over_budget(vp_ctx_t *ctx, vcpu_vm_t vm, uint64_t add)
{
    struct fair_vm *m = MD(ctx, vm);
    uint64_t b = vp_vm_cap(ctx, vm) * ST(ctx)->period_ns / 1000;
    uint64_t gone = ST(ctx)->period - m->period;
    if (!b)
        return false;
    m->used_ns = (m->used_ns / b < gone ? 0 : m->used_ns - gone * b) + add;
    m->period = ST(ctx)->period;
    return m->used_ns >= b;
}

/* Charge run time since the last charge (also from tick; none before the
 * first queueing: the vCPU was running when the policy came in). */
static void fair_stopping(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p,
                          bool still_runnable)
{
    struct fair_vcpu *d = VD(ctx, v);
    vcpu_vm_t vm = vp_vcpu_vm(ctx, v);
    uint64_t rt = vp_vcpu_runtime(ctx, v),
             delta = d->home ? rt - d->last_rt : 0;
    d->last_rt = rt;
    d->vrt += delta * 100 / vp_vm_weight(ctx, vm);
    over_budget(ctx, vm, delta);
}

/* Suspend @vm's runnable and running vCPUs (@on) or resume them. */
static void throttle(vp_ctx_t *ctx, vcpu_vm_t vm, bool on)
{
    MD(ctx, vm)->throttled = on;
    for (unsigned i = 0; i < vp_vm_nvcpus_total(ctx, vm); i++) {
        vcpu_id_t v = vp_vm_vcpu(ctx, vm, i);
        unsigned s = vp_vcpu_state(ctx, v);
        if (on && (s == VP_VCPU_RUNNABLE || s == VP_VCPU_RUNNING))
            vp_suspend(ctx, v);
        else if (!on && vp_vcpu_is_policy_suspended(ctx, v))
            vp_resume(ctx, v);
    }
}

/* At a period boundary, resume the throttled VMs whose overshoot is paid.
 * Called from tick, enqueue and dispatch: there is no timer. */
static void check_period(vp_ctx_t *ctx)
{
    struct fair_state *st = ST(ctx);
    if (vp_now(ctx) / st->period_ns == st->period)
        return;
    st->period = vp_now(ctx) / st->period_ns;
    for (vcpu_vm_t vm = 0; vm < vp_nvms(ctx); vm++)
        if (MD(ctx, vm)->throttled)
            throttle(ctx, vm,
                     vp_vm_is_live(ctx, vm) && over_budget(ctx, vm, 0));
}

static bool usable(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p)
{
    return p < vp_npcpus(ctx) && vp_pcpu_state(ctx, p) == VP_PCPU_ONLINE &&
           vp_vm_allows(ctx, vp_vcpu_vm(ctx, v), p);
}

/* Probe @i under @near's ancestor at @level (small spans: each in turn). */
static vcpu_pcpu_t probe(vp_ctx_t *ctx, vcpu_pcpu_t near, unsigned level,
                         unsigned i)
{
    vcpu_pcpu_t first;
    unsigned n;
    vp_topo_span(ctx, level, vp_topo_ancestor(ctx, near, level), &first, &n);
    return first + (i < n && n <= PROBES ? i : (unsigned)vp_rand_below(ctx, n));
}

/* Idle near @near, else @near if usable, else the least loaded usable of
 * one probe per level; else the first usable from @near, or allowed one. */
static vcpu_pcpu_t find_pcpu(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t near)
{
    unsigned np = vp_npcpus(ctx), nl = vp_topo_nlevels(ctx), l;
    vcpu_pcpu_t best = vp_idle_find(ctx, v, near), p, any = VCPU_NONE;
    if (best != VCPU_NONE || usable(ctx, v, near))
        return best != VCPU_NONE ? best : near;
    near = near < np ? near : (vcpu_pcpu_t)vp_rand_below(ctx, np);
    for (l = 0; l < nl + np && (l < nl || best == VCPU_NONE); l++) {
        p = l < nl ? probe(ctx, near, l, PROBES) : (near + l - nl) % np;
        if (usable(ctx, v, p) &&
            (best == VCPU_NONE || vp_dsq_nr(ctx, p) < vp_dsq_nr(ctx, best)))
            best = p;
        if (any == VCPU_NONE && vp_vm_allows(ctx, vp_vcpu_vm(ctx, v), p))
            any = p;
    }
    return best != VCPU_NONE ? best : any;
}

static void move_to(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t t)
{
    rebase(ctx, VD(ctx, v), t);
    vp_dsq_move(ctx, v, t, VD(ctx, v)->vrt);
    if (t != ST(ctx)->picking)
        vp_kick(ctx, t);
}

/* Stay if the last pCPU is about to pick with nothing queued, else
 * find_pcpu. Back from sleep or suspension: <= bonus_ns of credit. */
static void fair_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    struct fair_vcpu *d = VD(ctx, v);
    vcpu_pcpu_t t = vp_vcpu_pcpu(ctx, v);
    check_period(ctx);
    if (over_budget(ctx, vp_vcpu_vm(ctx, v), 0)) {
        throttle(ctx, vp_vcpu_vm(ctx, v), true); /* suspends @v too */
        return;
    }
    if (!usable(ctx, v, t) || vp_pcpu_curr(ctx, t) != VCPU_NONE ||
        vp_dsq_nr(ctx, t))
        t = find_pcpu(ctx, v, t);
    rebase(ctx, d, t);
    uint64_t min = BASE(ctx, t), bonus = ST(ctx)->bonus_ns;
    if (flags & (VP_ENQ_WAKEUP | VP_ENQ_RESUME) && d->vrt + bonus < min)
        d->vrt = min - bonus;
    vp_dsq_insert_key(ctx, t, v, d->vrt, ST(ctx)->slice_ns);
    ST(ctx)->nr_queued++;
    if (t != ST(ctx)->picking)
        vp_kick(ctx, t);
}

/* Move to @p's queue the first vCPU of @q's queue that may run on @p. */
static bool grab(vp_ctx_t *ctx, vcpu_pcpu_t q, vcpu_pcpu_t p)
{
    for (vcpu_id_t v = vp_dsq_first(ctx, q); v != VCPU_NONE && q != p;
         v = vp_dsq_next(ctx, v)) {
        if (vp_vm_allows(ctx, vp_vcpu_vm(ctx, v), p)) {
            move_to(ctx, v, p);
            return true;
        }
    }
    return false;
}

/* Pull one vCPU from the busiest of a few pCPUs near @p, at the nearest
 * level where that one has @gap more vCPUs than @p. */
static bool pull(vp_ctx_t *ctx, vcpu_pcpu_t p, unsigned gap)
{
    for (unsigned l = 1; l < vp_topo_nlevels(ctx); l++) {
        vcpu_pcpu_t hi = p;
        for (unsigned i = 0; i < PROBES; i++) {
            vcpu_pcpu_t q = probe(ctx, p, l, i);
            hi = vp_dsq_nr(ctx, q) > vp_dsq_nr(ctx, hi) ? q : hi;
        }
        if (vp_dsq_nr(ctx, hi) >= vp_dsq_nr(ctx, p) + gap && grab(ctx, hi, p))
            return true;
    }
    return false;
}

/* Idle @p runs from its queue, else steals (pull). Should the probes miss,
 * every queue is scanned (no eligible vCPU may wait while @p idles), which
 * also makes nr_queued exact: exits and suspensions leave it high. */
static void fair_dispatch(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    unsigned np = vp_npcpus(ctx), total = vp_dsq_nr(ctx, p), i = 1;
    ST(ctx)->picking = p; /* a kick to @p now would stick */
    check_period(ctx);
    if (!vp_dsq_nr(ctx, p) && ST(ctx)->nr_queued && !pull(ctx, p, 1)) {
        for (; i < np && !grab(ctx, (p + i) % np, p); i++)
            total += vp_dsq_nr(ctx, (p + i) % np);
        ST(ctx)->nr_queued = i < np ? ST(ctx)->nr_queued : total;
    }
    if (vp_dsq_move_to_local(ctx, p, p) != VCPU_NONE)
        ST(ctx)->nr_queued--;
    ST(ctx)->picking = VCPU_NONE;
}

/* Rebase a stolen vCPU to @p; the base follows min(running, first). */
static void fair_running(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p)
{
    vcpu_id_t first = vp_dsq_first(ctx, p);
    rebase(ctx, VD(ctx, v), p);
    uint64_t k = first == VCPU_NONE ? UINT64_MAX : vp_dsq_key(ctx, first);
    uint64_t m = k < VD(ctx, v)->vrt ? k : VD(ctx, v)->vrt;
    BASE(ctx, p) = m > BASE(ctx, p) ? m : BASE(ctx, p);
}

static void fair_tick(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    struct fair_pcpu *pc = vp_pcpu_data(ctx, p);
    vcpu_id_t v = vp_pcpu_curr(ctx, p);
    check_period(ctx);
    fair_stopping(ctx, v, p, true); /* charge so far */
    fair_running(ctx, v, p);
    if (over_budget(ctx, vp_vcpu_vm(ctx, v), 0))
        throttle(ctx, vp_vcpu_vm(ctx, v), true);
    if (ST(ctx)->balance_ticks && ++pc->ticks >= ST(ctx)->balance_ticks) {
        pc->ticks = 0;
        pull(ctx, p, 2); /* balance */
    }
}

/* An offline pCPU's queue moves to idle or lightly loaded pCPUs near it. */
static void fair_pcpu_change(vp_ctx_t *ctx, vcpu_pcpu_t p,
                             const struct vp_pcpu_change *c)
{
    for (vcpu_id_t v = vp_dsq_first(ctx, p), next;
         c->new_state == VP_PCPU_OFFLINE && v != VCPU_NONE; v = next) {
        next = vp_dsq_next(ctx, v);
        vcpu_pcpu_t t = find_pcpu(ctx, v, p);
        if (t != p)
            move_to(ctx, v, t);
    }
}

static int fair_init(vp_ctx_t *ctx, const struct vp_init_args *args)
{
    struct fair_state *st = vp_state(ctx);
    uint64_t slice_us = vp_arg_u64(ctx, "slice_us");
    uint64_t period_us = vp_arg_u64(ctx, "cap_period_us");
    uint64_t bonus_us = vp_arg_u64(ctx, "wake_bonus_us");
    uint64_t ticks = vp_arg_u64(ctx, "balance_ticks");
    st->slice_ns = slice_us ? slice_us * 1000 : args->slice_ns;
    if (period_us < 1000 || period_us > 10000000 || slice_us > period_us ||
        st->slice_ns > period_us * 1000 || bonus_us > 1000000 ||
        ticks > 1000000 || args->npcpus > VP_DSQ_MAX_ID)
        return VCPU_EINVAL;
    st->period_ns = period_us * 1000;
    st->bonus_ns = bonus_us * 1000;
    st->balance_ticks = (unsigned)ticks;
    st->period = vp_now(ctx) / st->period_ns;
    st->picking = VCPU_NONE;
    int rc = 0;
    for (vcpu_pcpu_t p = 0; p < args->npcpus && !rc; p++)
        rc = vp_dsq_create(ctx, p, VP_DSQ_PRIQ);
    return rc;
}

const struct vcpu_policy_ops fair_ops = {
    .init = fair_init,
    .enqueue = fair_enqueue,
    .dispatch = fair_dispatch,
    .running = fair_running,
    .stopping = fair_stopping,
    .tick = fair_tick,
    .pcpu_change = fair_pcpu_change,
    .abi = VCPU_POLICY_ABI,
    .name = "fair",
    .description = "weighted fair vruntime queues per pCPU with stealing, "
                   "balancing and caps; no wake-up preemption",
    .params = fair_params,
    .flags = VP_WORK_CONSERVING | VP_SERIALIZED,
    .state_size = sizeof(struct fair_state),
    .pcpu_data_size = sizeof(struct fair_pcpu),
    .vcpu_data_size = sizeof(struct fair_vcpu),
    .vm_data_size = sizeof(struct fair_vm),
};
