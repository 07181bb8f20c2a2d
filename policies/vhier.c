// SPDX-License-Identifier: LGPL-2.1-or-later
/* vhier: virtual hierarchy (Marty & Hill, ISCA 2007): each VM in the
 * smallest topology subtree with enough free pCPUs, time-shared through its
 * own FIFO. Does badly with VMs larger than any subtree or with scattered
 * allowed masks (placed at the root), with VMs that resize often (each
 * change re-places every VM), and leaves pCPUs outside a subtree idle. */
#include <vcpu/policy.h>

/* A VM's subtree and the pCPU window it claimed there; DSQ id = VM id. */
struct vh_vm {
    unsigned level, idx;
    vcpu_pcpu_t wfirst, wend;
    bool placed;
};

struct vh_pcpu {
    unsigned claims;  /* windows holding this pCPU */
    vcpu_vm_t cursor; /* round robin: the VM served last */
};

/* A subtree's usable (online, allowed) pCPUs, free (unclaimed) ones, claims */
struct vh_span {
    vcpu_pcpu_t first;
    unsigned n, avail, free;
    uint64_t load;
};

static unsigned *claims(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    return &((struct vh_pcpu *)vp_pcpu_data(ctx, p))->claims;
}

static bool usable(vp_ctx_t *ctx, vcpu_vm_t vm, vcpu_pcpu_t p)
{
    return vp_pcpu_state(ctx, p) == VP_PCPU_ONLINE && vp_vm_allows(ctx, vm, p);
}

static bool in_subtree(vp_ctx_t *ctx, const struct vh_vm *d, vcpu_pcpu_t p)
{
    return d->placed && vp_topo_ancestor(ctx, p, d->level) == d->idx;
}

static void span_of(vp_ctx_t *ctx, vcpu_vm_t vm, unsigned l, unsigned i,
                    struct vh_span *s)
{
    *s = (struct vh_span){0};
    vp_topo_span(ctx, l, i, &s->first, &s->n);
    for (vcpu_pcpu_t p = s->first; p < s->first + s->n; p++) {
        if (!usable(ctx, vm, p))
            continue;
        s->avail++;
        s->free += *claims(ctx, p) == 0;
        s->load += *claims(ctx, p);
    }
}

/* Lower is better. Free fit: no other VM's claims in it (no shared cache),
 * the VM's previous place, the tightest fit. Sharing: the fewest claims
 * per usable pCPU, then the previous place. Ties: the lower index. */
static uint64_t span_key(const struct vh_span *s, bool prev, bool share)
{
    if (share)
        return (s->load << 24) / (s->avail ? s->avail : 1) << 1 | !prev;
    return (uint64_t)(s->load > 0) << 40 | (uint64_t)!prev << 39 | s->free;
}

/* The lowest level with a subtree holding @n free (or, @share, usable)
 * pCPUs for @vm, and the best such subtree there. */
static bool choose(vp_ctx_t *ctx, vcpu_vm_t vm, unsigned n, bool share,
                   unsigned *lv, unsigned *ix)
{
    const struct vh_vm *d = vp_vm_data(ctx, vm);
    for (unsigned l = 0; l < vp_topo_nlevels(ctx); l++) {
        uint64_t best = UINT64_MAX;
        for (unsigned i = 0; i < vp_topo_level_width(ctx, l); i++) {
            struct vh_span s;
            span_of(ctx, vm, l, i, &s);
            bool prev = d->placed && d->level == l && d->idx == i;
            uint64_t key = span_key(&s, prev, share);
            if ((share ? s.avail : s.free) >= n && key < best)
                best = key, *ix = i;
        }
        if (best != UINT64_MAX) {
            *lv = l;
            return true;
        }
    }
    return false;
}

static bool good(vp_ctx_t *ctx, vcpu_vm_t vm, vcpu_pcpu_t p, bool share)
{
    return usable(ctx, vm, p) && (share || *claims(ctx, p) == 0);
}

/* Place @vm in the subtree choose() finds (the root if none) and claim
 * there the run of min(n, usable) consecutive good pCPUs (free ones, or
 * usable ones when sharing) that is shortest (free) or least claimed
 * (sharing), leftmost on ties. */
static void place(vp_ctx_t *ctx, vcpu_vm_t vm)
{
    struct vh_vm *d = vp_vm_data(ctx, vm);
    unsigned n = vp_vm_nvcpus(ctx, vm), l = vp_topo_nlevels(ctx) - 1, i = 0;
    bool share = n && !choose(ctx, vm, n, false, &l, &i);
    if (share)
        choose(ctx, vm, n, true, &l, &i);
    struct vh_span s;
    span_of(ctx, vm, l, i, &s);
    if (!(d->placed = n && s.avail))
        return;
    d->level = l, d->idx = i;
    unsigned want = n < s.avail ? n : s.avail, k = 0;
    uint64_t sum = 0, best = UINT64_MAX;
    vcpu_pcpu_t lo = s.first;
    for (vcpu_pcpu_t r = s.first; r < s.first + s.n; r++) {
        if (!good(ctx, vm, r, share))
            continue;
        if (k++ == 0)
            lo = r;
        sum += *claims(ctx, r);
        if (k > want) {
            sum -= *claims(ctx, lo);
            k--;
            while (!good(ctx, vm, ++lo, share))
                ;
        }
        uint64_t cost = share ? sum : r - lo;
        if (k == want && cost < best)
            best = cost, d->wfirst = lo, d->wend = r + 1;
    }
    for (vcpu_pcpu_t p = d->wfirst; p < d->wend; p++)
        if (good(ctx, vm, p, share))
            (*claims(ctx, p))++;
}

/* Sum of distances from @p to the pCPUs where @vm's vCPUs run (*@n). */
static unsigned spread(vp_ctx_t *ctx, vcpu_vm_t vm, vcpu_pcpu_t p, unsigned *n)
{
    unsigned sum = *n = 0;
    for (unsigned i = 0; i < vp_vm_nvcpus_total(ctx, vm); i++) {
        vcpu_id_t u = vp_vm_vcpu(ctx, vm, i);
        if (vp_vcpu_state(ctx, u) == VP_VCPU_RUNNING)
            sum += vp_topo_distance(ctx, p, vp_vcpu_pcpu(ctx, u)), (*n)++;
    }
    return sum;
}

/* Kick an idle pCPU of @v's subtree: in its VM's window first, then the
 * nearest to the VM's running vCPUs, then @v's last pCPU, the lowest id. */
static void kick_for(vp_ctx_t *ctx, vcpu_id_t v)
{
    vcpu_vm_t vm = vp_vcpu_vm(ctx, v);
    const struct vh_vm *d = vp_vm_data(ctx, vm);
    vcpu_pcpu_t best = VCPU_NONE, first, last = vp_vcpu_pcpu(ctx, v);
    uint64_t bkey = UINT64_MAX;
    unsigned n, cnt;
    if (!d->placed)
        return;
    vp_topo_span(ctx, d->level, d->idx, &first, &n);
    for (vcpu_pcpu_t q = first; q < first + n; q++) {
        if (!usable(ctx, vm, q) || vp_pcpu_curr(ctx, q) != VCPU_NONE)
            continue;
        uint64_t key = (uint64_t)(q < d->wfirst || q >= d->wend) << 40 |
                       (uint64_t)spread(ctx, vm, q, &cnt) << 1 | (q != last);
        if (key < bkey && vp_idle_find(ctx, v, q) == q)
            best = q, bkey = key;
    }
    if (best != VCPU_NONE)
        vp_kick(ctx, best);
}

/* Place every VM from scratch, largest first (ties: lower id), so big VMs
 * get the big free subtrees; then running vCPUs outside their VM's subtree
 * stop (they come back through enqueue) and queued ones get idle pCPUs
 * kicked. O(VMs^2 + VMs x levels x P). */
static void vh_place_all(vp_ctx_t *ctx, uint32_t id_unused)
{
    vcpu_vm_t nvms = vp_nvms(ctx), pn = ~0u, nn = 0, prev = VCPU_NONE;
    for (vcpu_pcpu_t p = 0; p < vp_npcpus(ctx); p++)
        *claims(ctx, p) = 0;
    for (;;) {
        vcpu_vm_t next = VCPU_NONE;
        for (vcpu_vm_t vm = 0; vm < nvms; vm++) {
            unsigned n = vp_vm_nvcpus(ctx, vm);
            bool after = n < pn || (n == pn && vm > prev);
            if (vp_vm_is_live(ctx, vm) && after &&
                (next == VCPU_NONE || n > nn))
                next = vm, nn = n;
        }
        if (next == VCPU_NONE)
            break;
        place(ctx, next);
        pn = nn, prev = next;
    }
    for (vcpu_vm_t vm = 0; vm < nvms; vm++) {
        const struct vh_vm *d = vp_vm_data(ctx, vm);
        for (unsigned i = 0; i < vp_vm_nvcpus_total(ctx, vm); i++) {
            vcpu_id_t v = vp_vm_vcpu(ctx, vm, i);
            vcpu_pcpu_t p = vp_vcpu_pcpu(ctx, v);
            if (vp_vcpu_state(ctx, v) == VP_VCPU_RUNNING &&
                !in_subtree(ctx, d, p))
                vp_preempt(ctx, p);
        }
        for (unsigned k = vp_dsq_nr(ctx, vm); k > 0; k--)
            kick_for(ctx, vp_dsq_first(ctx, vm)); /* each kick claims one */
    }
}

static void vh_vm_add(vp_ctx_t *ctx, vcpu_vm_t vm)
{
    if (vm > VP_DSQ_MAX_ID || vp_dsq_create(ctx, vm, VP_DSQ_FIFO))
        vp_abort(ctx, VCPU_ENOSPC, "vhier: no DSQ for VM %u", vm);
}

static void vh_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    if (vp_dsq_insert(ctx, vp_vcpu_vm(ctx, v), v, 0, 0))
        vp_dsq_insert(ctx, VP_DSQ_GLOBAL, v, 0, 0); /* vm_add aborted */
    kick_for(ctx, v);
}

/* Among VMs with work whose subtree holds @p: those whose window holds it
 * first, then the one whose running vCPUs are nearest @p on average (none
 * running: 0), round robin from @p's cursor among equals. */
static void vh_dispatch(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    struct vh_pcpu *pd = vp_pcpu_data(ctx, p);
    unsigned n = vp_nvms(ctx), cnt;
    vcpu_vm_t best = VCPU_NONE;
    uint64_t bkey = UINT64_MAX;
    for (unsigned k = 1; k <= n; k++) {
        vcpu_vm_t vm = (pd->cursor + k) % n;
        const struct vh_vm *d = vp_vm_data(ctx, vm);
        if (!vp_vm_is_live(ctx, vm) || !in_subtree(ctx, d, p) ||
            !vp_dsq_nr(ctx, vm) || !vp_vm_allows(ctx, vm, p))
            continue;
        uint64_t key = (uint64_t)spread(ctx, vm, p, &cnt) * 1024;
        key = (uint64_t)(p < d->wfirst || p >= d->wend) << 60 |
              (cnt ? key / cnt : 0);
        if (key < bkey)
            best = vm, bkey = key;
    }
    if (best != VCPU_NONE && vp_dsq_move_to_local(ctx, best, p) != VCPU_NONE)
        pd->cursor = best;
}

static void vh_pcpu_change(vp_ctx_t *ctx, vcpu_pcpu_t p,
                           const struct vp_pcpu_change *c)
{
    if (c->old_state != c->new_state)
        vh_place_all(ctx, p);
}

/* Locality metric (here and in the tests): for each VM with >= 2 RUNNING
 * vCPUs, the mean vp_topo_distance over all pairs of their pCPUs; the
 * machine's value is their unweighted mean (none: undefined). */
static void vh_dump(vp_ctx_t *ctx)
{
    double sum = 0;
    unsigned nvm = 0, cnt;
    for (vcpu_vm_t vm = 0; vm < vp_nvms(ctx); vm++) {
        const struct vh_vm *d = vp_vm_data(ctx, vm);
        uint64_t dist = 0, k = 0; /* dist: each pair counted twice */
        if (!d->placed)           /* also: not live */
            continue;
        for (unsigned i = 0; i < vp_vm_nvcpus_total(ctx, vm); i++) {
            vcpu_id_t u = vp_vm_vcpu(ctx, vm, i);
            if (vp_vcpu_state(ctx, u) == VP_VCPU_RUNNING)
                dist += spread(ctx, vm, vp_vcpu_pcpu(ctx, u), &cnt), k++;
        }
        double mean = k > 1 ? (double)dist / (double)(k * (k - 1)) : 0.0;
        vp_dump_printf(ctx,
                       "vm %u: level %u (kinds %#x) #%u, window [%u,%u), "
                       "mean distance %.3f",
                       vm, d->level, vp_topo_level_kinds(ctx, d->level), d->idx,
                       d->wfirst, d->wend, mean);
        if (k > 1)
            sum += mean, nvm++;
    }
    vp_dump_printf(ctx, "mean intra-VM distance %.3f over %u VMs",
                   nvm ? sum / nvm : 0.0, nvm);
}

const struct vcpu_policy_ops vhier_ops = {
    .vm_add = vh_vm_add,
    .vm_remove = vh_place_all,
    .vcpu_add = vh_place_all,
    .vcpu_remove = vh_place_all,
    .enqueue = vh_enqueue,
    .dispatch = vh_dispatch,
    .pcpu_change = vh_pcpu_change,
    .dump = vh_dump,
    .abi = VCPU_POLICY_ABI,
    .name = "vhier",
    .description = "virtual hierarchy: each VM in its smallest free topology "
                   "subtree; not work-conserving, churns on VM size changes",
    .pcpu_data_size = sizeof(struct vh_pcpu),
    .vm_data_size = sizeof(struct vh_vm),
};
