// SPDX-License-Identifier: LGPL-2.1-or-later
/* space: each VM owns a contiguous range of online pCPUs (largest first, to
 * line up with topology objects) sized by weight, in [1, its vCPUs]; its
 * vCPUs time-share it or the excess is suspended. Does badly: not work-
 * conserving, VMs past the number of pCPUs wait with nothing, any change
 * may move every range, allowed-pCPU masks are ignored when placing. */
#include <vcpu/policy.h>

static const struct vp_param space_params[] = {
    {"slice_us", VP_PARAM_U64, "0", "time slice in µs; 0 = the host's"},
    {"suspend_excess", VP_PARAM_BOOL, "false",
     "suspend vCPUs beyond the partition's size instead of time-sharing"},
    {0},
};

struct space_state {
    uint64_t slice_ns;
    bool suspend_excess, fitting; /* fitting: in fit(), which decides */
};
struct space_pcpu {
    vcpu_vm_t owner;  /* VM whose partition holds this pCPU, or NONE */
    vcpu_vm_t bucket; /* scratch: VMs of partition size index+1 */
    bool idle;        /* found nothing to run; not kicked since */
};
struct space_vm {
    vcpu_pcpu_t lo, hi;       /* partition: the owned pCPUs in [lo, hi] */
    unsigned n, nidle, nsusp; /* owned, idle owned, suspended by us */
    vcpu_vm_t next;           /* scratch: bucket list */
};

#define ST(ctx) ((struct space_state *)vp_state(ctx))
#define PD(ctx, p) ((struct space_pcpu *)vp_pcpu_data(ctx, p))
#define MD(ctx, vm) ((struct space_vm *)vp_vm_data(ctx, vm))

/* Partition of @vm at water level @lvl (pCPUs per unit of weight, 16.16
 * fixed point). */
static unsigned share(vp_ctx_t *ctx, vcpu_vm_t vm, uint64_t lvl)
{
    unsigned d = vp_vm_is_live(ctx, vm) ? vp_vm_nvcpus(ctx, vm) : 0;
    uint64_t s = lvl * vp_vm_weight(ctx, vm) >> 16;
    return !d ? 0 : s < 1 ? 1 : s > d ? d : (unsigned)s;
}

static uint64_t total(vp_ctx_t *ctx, uint64_t lvl)
{
    uint64_t t = 0;
    for (vcpu_vm_t vm = 0; vm < vp_nvms(ctx); vm++)
        t += share(ctx, vm, lvl);
    return t;
}

/* The highest level whose shares fit the online pCPUs, by bisection
 * (O(VMs) per step, < 64 steps), then one more pCPU each to the VMs that
 * would grow first, in id order. More VMs than pCPUs: the oldest get one. */
static void size_all(vp_ctx_t *ctx)
{
    unsigned left = vp_nr_online(ctx), nv = vp_nvms(ctx);
    uint64_t lo = 0, hi = ((uint64_t)vp_nvcpus(ctx) << 16) + 1;
    if (total(ctx, hi) <= left)
        lo = hi; /* everyone gets all it asks */
    else if (total(ctx, 0) > left)
        hi = 0; /* not even one each */
    while (hi > lo + 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        *(total(ctx, mid) <= left ? &lo : &hi) = mid;
    }
    for (vcpu_vm_t vm = 0; vm < nv; vm++) {
        struct space_vm *m = MD(ctx, vm);
        m->n = hi ? share(ctx, vm, lo) : 0;
        left -= m->n;
    }
    for (vcpu_vm_t vm = 0; vm < nv && left; vm++) /* hi = 0: oldest */
        if (share(ctx, vm, hi ? lo + 1 : 0) > MD(ctx, vm)->n)
            MD(ctx, vm)->n++, left--;
}

static void place_all(vp_ctx_t *ctx)
{
    unsigned np = vp_npcpus(ctx);
    for (vcpu_pcpu_t p = 0; p < np; p++)
        PD(ctx, p)->owner = PD(ctx, p)->bucket = VCPU_NONE;
    for (vcpu_vm_t vm = vp_nvms(ctx); vm-- > 0;) {
        struct space_vm *m = MD(ctx, vm);
        m->lo = m->hi = VCPU_NONE;
        m->nidle = 0;
        if (m->n) { /* n <= online pCPUs <= np */
            m->next = PD(ctx, m->n - 1)->bucket;
            PD(ctx, m->n - 1)->bucket = vm;
        }
    }
    vcpu_pcpu_t p = 0;
    for (unsigned s = np; s > 0; s--) {
        for (vcpu_vm_t vm = PD(ctx, s - 1)->bucket; vm != VCPU_NONE;) {
            struct space_vm *m = MD(ctx, vm);
            for (unsigned k = 0; k < s; p++) {
                if (vp_pcpu_state(ctx, p) != VP_PCPU_ONLINE)
                    continue;
                if (k++ == 0)
                    m->lo = p;
                m->hi = p;
                PD(ctx, p)->owner = vm;
            }
            vm = m->next;
        }
    }
}

static void set_idle(vp_ctx_t *ctx, vcpu_pcpu_t p, bool idle)
{
    struct space_pcpu *pd = PD(ctx, p);
    if (pd->owner != VCPU_NONE && pd->idle != idle)
        MD(ctx, pd->owner)->nidle += idle ? 1 : -1;
    pd->idle = idle;
}

/* Kick an idle pCPU of @vm's partition, if any. */
static void kick_idle_in(vp_ctx_t *ctx, vcpu_vm_t vm)
{
    struct space_vm *m = MD(ctx, vm);
    for (vcpu_pcpu_t p = m->lo; m->nidle && p <= m->hi; p++) {
        if (PD(ctx, p)->owner == vm && PD(ctx, p)->idle) {
            set_idle(ctx, p, false);
            vp_kick(ctx, p);
            return;
        }
    }
}

static bool active(vp_ctx_t *ctx, vcpu_id_t v, vcpu_id_t except)
{
    unsigned s = vp_vcpu_state(ctx, v);
    return v != except &&
           (s == VP_VCPU_RUNNABLE ||
            (s == VP_VCPU_RUNNING && !vp_vcpu_is_policy_suspended(ctx, v)));
}

/* RUNNING (not being parked) and RUNNABLE vCPUs of @vm but @except. */
static unsigned nactive(vp_ctx_t *ctx, vcpu_vm_t vm, vcpu_id_t except)
{
    unsigned n = 0;
    for (unsigned i = 0; i < vp_vm_nvcpus_total(ctx, vm); i++)
        n += active(ctx, vp_vm_vcpu(ctx, vm, i), except);
    return n;
}

/* suspend_excess: suspend the newest active vCPUs of @vm beyond its size,
 * or resume the oldest suspended ones up to it (@except is stopping). */
static void fit(vp_ctx_t *ctx, vcpu_vm_t vm, vcpu_id_t except)
{
    struct space_vm *m = MD(ctx, vm);
    unsigned nt = vp_vm_nvcpus_total(ctx, vm), act = nactive(ctx, vm, except);
    for (unsigned i = nt; i-- > 0 && act > m->n;) {
        vcpu_id_t v = vp_vm_vcpu(ctx, vm, i);
        if (active(ctx, v, except) && vp_suspend(ctx, v) == 0)
            m->nsusp++, act--;
    }
    ST(ctx)->fitting = true; /* @except may still count as RUNNING */
    for (unsigned i = 0; i < nt && act < m->n && m->nsusp; i++) {
        vcpu_id_t v = vp_vm_vcpu(ctx, vm, i);
        if (vp_vcpu_state(ctx, v) == VP_VCPU_EXITED || /* keeps the bit */
            !vp_vcpu_is_policy_suspended(ctx, v) || vp_resume(ctx, v))
            continue;
        m->nsusp--;
        act += active(ctx, v, except);
    }
    ST(ctx)->fitting = false;
}

/* New partitions, O(P + VMs) plus the sizing: preempt vCPUs outside their
 * VM's partition, kick idle pCPUs whose VM has queued work, fit sizes. */
static void recompute(vp_ctx_t *ctx)
{
    unsigned np = vp_npcpus(ctx);
    size_all(ctx);
    place_all(ctx);
    for (vcpu_pcpu_t p = 0; p < np; p++) {
        struct space_pcpu *pd = PD(ctx, p);
        vcpu_id_t v = vp_pcpu_curr(ctx, p);
        if (v != VCPU_NONE && vp_vcpu_vm(ctx, v) != pd->owner)
            vp_preempt(ctx, p);
        if (pd->owner == VCPU_NONE || !pd->idle)
            continue;
        if (vp_dsq_nr(ctx, pd->owner)) {
            pd->idle = false;
            vp_kick(ctx, p);
        } else {
            MD(ctx, pd->owner)->nidle++;
        }
    }
    for (vcpu_vm_t vm = 0; ST(ctx)->suspend_excess && vm < vp_nvms(ctx); vm++)
        if (vp_vm_is_live(ctx, vm))
            fit(ctx, vm, VCPU_NONE);
}

static void space_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    vcpu_vm_t vm = vp_vcpu_vm(ctx, v);
    if (ST(ctx)->suspend_excess && !ST(ctx)->fitting &&
        nactive(ctx, vm, v) >= MD(ctx, vm)->n) {
        vp_suspend(ctx, v);
        MD(ctx, vm)->nsusp++;
        return;
    }
    vp_dsq_insert(ctx, vm, v, ST(ctx)->slice_ns, 0);
    kick_idle_in(ctx, vm);
}

/* @p serves only the VM that owns it. */
static void space_dispatch(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    set_idle(ctx, p, false); /* a kick now would stick (core quirk) */
    vcpu_vm_t vm = PD(ctx, p)->owner;
    if (vm == VCPU_NONE || vp_dsq_move_to_local(ctx, vm, p) == VCPU_NONE)
        set_idle(ctx, p, true);
}

static void space_running(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p)
{
    set_idle(ctx, p, false);
}

/* A slot may be free. */
static void space_stopping(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p,
                           bool still_runnable)
{
    if (!still_runnable && ST(ctx)->suspend_excess &&
        MD(ctx, vp_vcpu_vm(ctx, v))->nsusp)
        fit(ctx, vp_vcpu_vm(ctx, v), v);
}

static void space_vm_add(vp_ctx_t *ctx, vcpu_vm_t vm)
{
    int rc = vp_dsq_create(ctx, vm, VP_DSQ_FIFO);
    if (rc && rc != VCPU_EEXIST) /* EEXIST: a reused id's queue, empty */
        vp_abort(ctx, rc, "space: no queue for VM %u", vm);
}

static void space_vcpu_change(vp_ctx_t *ctx, vcpu_id_t v)
{
    if (vp_vcpu_state(ctx, v) == VP_VCPU_EXITED &&
        vp_vcpu_is_policy_suspended(ctx, v))
        MD(ctx, vp_vcpu_vm(ctx, v))->nsusp--;
    recompute(ctx);
}

static void space_pcpu_change(vp_ctx_t *ctx, vcpu_pcpu_t p,
                              const struct vp_pcpu_change *c)
{
    if (c->old_state == c->new_state)
        return;
    set_idle(ctx, p, false); /* online: the core kicks it next */
    recompute(ctx);
}

static int space_init(vp_ctx_t *ctx, const struct vp_init_args *args)
{
    struct space_state *st = vp_state(ctx);
    uint64_t us = vp_arg_u64(ctx, "slice_us");
    if (us > 1000000)
        return VCPU_EINVAL;
    st->slice_ns = us ? us * 1000 : args->slice_ns;
    st->suspend_excess = vp_arg_bool(ctx, "suspend_excess");
    for (vcpu_pcpu_t p = 0; p < args->npcpus; p++) {
        PD(ctx, p)->owner = VCPU_NONE;
        PD(ctx, p)->idle = vp_pcpu_state(ctx, p) == VP_PCPU_ONLINE &&
                           vp_pcpu_curr(ctx, p) == VCPU_NONE;
    }
    return 0;
}

const struct vcpu_policy_ops space_ops = {
    .init = space_init,
    .vm_add = space_vm_add,
    .vcpu_add = space_vcpu_change,
    .vcpu_remove = space_vcpu_change,
    .enqueue = space_enqueue,
    .dispatch = space_dispatch,
    .running = space_running,
    .stopping = space_stopping,
    .pcpu_change = space_pcpu_change,
    .abi = VCPU_POLICY_ABI,
    .name = "space",
    .description = "space sharing: an exclusive contiguous pCPU range per VM; "
                   "not work-conserving",
    .params = space_params,
    .flags = VP_SERIALIZED,
    .state_size = sizeof(struct space_state),
    .pcpu_data_size = sizeof(struct space_pcpu),
    .vm_data_size = sizeof(struct space_vm),
};
