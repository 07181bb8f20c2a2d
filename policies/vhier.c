// SPDX-License-Identifier: LGPL-2.1-or-later
/* vhier: virtual hierarchy (Marty & Hill, ISCA 2007): each VM in the
 * smallest topology subtree with enough free pCPUs, time-shared through its
 * own FIFO. Does badly with VMs larger than any subtree or with scattered
 * allowed masks (placed at the root), with VMs that resize often (each
 * change re-places every VM), and leaves pCPUs outside a subtree idle. */
#include <vcpu/policy.h>

/* A VM's subtree (level, idx) = pCPUs [sfirst, send), the window it claimed
 * there, the next VM whose subtree also starts at sfirst, and its RUNNING
 * vCPUs (nrun, listed from run). DSQ id = VM id. */
struct vh_vm {
    unsigned level, idx, nrun;
    vcpu_pcpu_t sfirst, send, wfirst, wend;
    vcpu_vm_t next;
    vcpu_id_t run;
    bool placed;
};

/* Dispatch on a pCPU reads the VMs whose window holds it from win[] (nwin
 * of them; if more than VH_NWIN, none) and finds the others whose subtree
 * holds it in the head lists of the pCPUs where its ancestors start. */
enum { VH_NWIN = 8 };

struct vh_pcpu {
    unsigned claims;  /* windows holding this pCPU */
    vcpu_vm_t cursor; /* round robin: the VM served last */
    vcpu_vm_t head;   /* placed VMs whose subtree starts here */
    unsigned nwin;
    vcpu_vm_t win[VH_NWIN];
};

struct vh_vcpu {
    vcpu_id_t next; /* in its VM's list of RUNNING vCPUs */
    vcpu_pcpu_t pcpu;
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

static void span_of(vp_ctx_t *ctx, vcpu_vm_t vm, unsigned l, unsigned i,
                    struct vh_span *s)
{
    *s = (struct vh_span){0};
    vp_topo_span(ctx, l, i, &s->first, &s->n);
    for (vcpu_pcpu_t p = s->first; p < s->first + s->n; p++) {
        if (!usable(ctx, vm, p))
            continue;
        unsigned c = *claims(ctx, p);
        s->avail++;
        s->free += c == 0;
        s->load += c;
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
            vp_topo_span(ctx, l, i, &s.first, &s.n);
            if (s.n < n) /* cannot fit: skip counting */
                continue;
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
    struct vh_span s;
    span_of(ctx, vm, l, 0, &s); /* too few free at the root: none fits */
    bool share = n && (s.free < n || !choose(ctx, vm, n, false, &l, &i));
    if (share)
        choose(ctx, vm, n, true, &l, &i);
    span_of(ctx, vm, l, i, &s);
    if (!(d->placed = n && s.avail))
        return;
    d->level = l, d->idx = i, d->sfirst = s.first, d->send = s.first + s.n;
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

/* @v starts RUNNING on @p: first in its VM's list. */
static void vh_running(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p)
{
    struct vh_vcpu *e = vp_vcpu_data(ctx, v);
    struct vh_vm *d = vp_vm_data(ctx, vp_vcpu_vm(ctx, v));
    e->pcpu = p, e->next = d->run, d->run = v, d->nrun++;
}

/* @v stops running: out of its VM's list. */
static void vh_stopping(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p, bool again)
{
    struct vh_vcpu *e = vp_vcpu_data(ctx, v);
    struct vh_vm *d = vp_vm_data(ctx, vp_vcpu_vm(ctx, v));
    vcpu_id_t *link = &d->run;
    while (*link != v && *link != VCPU_NONE)
        link = &((struct vh_vcpu *)vp_vcpu_data(ctx, *link))->next;
    if (*link == v)
        *link = e->next, d->nrun--;
}

/* Sum of distances from @p to the pCPUs where @d's vCPUs run. */
static unsigned spread(vp_ctx_t *ctx, const struct vh_vm *d, vcpu_pcpu_t p)
{
    unsigned sum = 0;
    for (vcpu_id_t u = d->run; u != VCPU_NONE;) {
        const struct vh_vcpu *e = vp_vcpu_data(ctx, u);
        sum += vp_topo_distance(ctx, p, e->pcpu);
        u = e->next;
    }
    return sum;
}

/* The idle pCPU in [@lo, @hi) that @v may use nearest to its VM's running
 * vCPUs, then @v's last pCPU, the lowest id; or VCPU_NONE. */
static vcpu_pcpu_t idle_best(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t lo,
                             vcpu_pcpu_t hi)
{
    vcpu_vm_t vm = vp_vcpu_vm(ctx, v);
    const struct vh_vm *d = vp_vm_data(ctx, vm);
    vcpu_pcpu_t best = VCPU_NONE, last = vp_vcpu_pcpu(ctx, v);
    uint64_t bkey = UINT64_MAX;
    for (vcpu_pcpu_t q = lo; q < hi; q++) {
        if (!vp_pcpu_is_idle(ctx, q) || !vp_vm_allows(ctx, vm, q))
            continue;
        uint64_t key = (uint64_t)spread(ctx, d, q) << 1 | (q != last);
        if (key < bkey)
            best = q, bkey = key;
    }
    return best;
}

/* Kick an idle pCPU of @v's subtree, in its VM's window if one is. */
static void kick_for(vp_ctx_t *ctx, vcpu_id_t v)
{
    const struct vh_vm *d = vp_vm_data(ctx, vp_vcpu_vm(ctx, v));
    if (!d->placed)
        return;
    /* The nearest idle pCPU is in the subtree if any of them is. */
    vcpu_pcpu_t q = vp_idle_find(ctx, v, d->sfirst);
    if (q < d->sfirst || q >= d->send)
        return;
    vcpu_pcpu_t best = idle_best(ctx, v, d->wfirst, d->wend);
    if (best == VCPU_NONE)
        best = idle_best(ctx, v, d->sfirst, d->send);
    if (best != VCPU_NONE)
        vp_kick(ctx, best);
}

/* Place every live VM from scratch, largest first (ties: lower id), so
 * big VMs get the big free subtrees. O(VMs x sizes + VMs x levels x P). */
static void place_by_size(vp_ctx_t *ctx)
{
    unsigned size = ~0u, next;
    for (bool more = true; more; size = next) {
        more = false, next = 0;
        for (vcpu_vm_t vm = 0; vm < vp_nvms(ctx); vm++) {
            unsigned n = vp_vm_nvcpus(ctx, vm);
            if (!vp_vm_is_live(ctx, vm))
                continue;
            if (n == size)
                place(ctx, vm);
            else if (n < size && (!more || n > next))
                next = n, more = true;
        }
    }
}

/* Re-place; list each placed VM at its subtree's first pCPU and in the
 * win[] of its window's pCPUs, and its RUNNING vCPUs; then running vCPUs
 * outside their VM's subtree stop (they come back through enqueue) and
 * queued ones get idle pCPUs kicked. */
static void vh_place_all(vp_ctx_t *ctx, uint32_t id_unused)
{
    for (vcpu_pcpu_t p = 0; p < vp_npcpus(ctx); p++) {
        struct vh_pcpu *pd = vp_pcpu_data(ctx, p);
        pd->claims = pd->nwin = 0, pd->head = VCPU_NONE;
    }
    place_by_size(ctx);
    for (vcpu_vm_t vm = 0; vm < vp_nvms(ctx); vm++) {
        struct vh_vm *d = vp_vm_data(ctx, vm);
        bool live = vp_vm_is_live(ctx, vm) && d->placed;
        struct vh_pcpu *pd = vp_pcpu_data(ctx, live ? d->sfirst : 0);
        if (live)
            d->next = pd->head, pd->head = vm;
        for (vcpu_pcpu_t p = d->wfirst; live && p < d->wend; p++) {
            pd = vp_pcpu_data(ctx, p);
            if (pd->nwin++ < VH_NWIN)
                pd->win[pd->nwin - 1] = vm;
        }
        d->run = VCPU_NONE, d->nrun = 0;
        for (unsigned i = 0; i < vp_vm_nvcpus_total(ctx, vm); i++) {
            vcpu_id_t v = vp_vm_vcpu(ctx, vm, i);
            vcpu_pcpu_t p = vp_vcpu_pcpu(ctx, v);
            if (vp_vcpu_state(ctx, v) != VP_VCPU_RUNNING)
                continue;
            vh_running(ctx, v, p);
            if (!d->placed || p < d->sfirst || p >= d->send)
                vp_preempt(ctx, p);
        }
        for (unsigned k = vp_dsq_nr(ctx, vm); k > 0; k--)
            kick_for(ctx, vp_dsq_first(ctx, vm)); /* each kick claims one */
    }
}

static int vh_init(vp_ctx_t *ctx, const struct vp_init_args *args)
{
    for (vcpu_pcpu_t p = 0; p < args->npcpus; p++)
        ((struct vh_pcpu *)vp_pcpu_data(ctx, p))->head = VCPU_NONE;
    return 0;
}

static void vh_vm_add(vp_ctx_t *ctx, vcpu_vm_t vm)
{
    int rc =
        vm > VP_DSQ_MAX_ID ? VCPU_ENOSPC : vp_dsq_create(ctx, vm, VP_DSQ_FIFO);
    if (rc && rc != VCPU_EEXIST) /* EEXIST: a reused id's DSQ, empty */
        vp_abort(ctx, VCPU_ENOSPC, "vhier: no DSQ for VM %u", vm);
}

static void vh_enqueue(vp_ctx_t *ctx, vcpu_id_t v, unsigned flags)
{
    if (vp_dsq_insert(ctx, vp_vcpu_vm(ctx, v), v, 0, 0))
        vp_dsq_insert(ctx, VP_DSQ_GLOBAL, v, 0, 0); /* vm_add aborted */
    kick_for(ctx, v);
}

/* The best VM for a pCPU so far (key), and the VM it served last (cur). */
struct vh_pick {
    vcpu_vm_t vm, cur;
    uint64_t key;
};

/* Key of @vm, with work @p may take, for @p: its window holding @p first,
 * then the nearest running vCPUs on average (none running: 0), then the
 * first after the cursor in id order, cyclically. */
static void consider(vp_ctx_t *ctx, vcpu_pcpu_t p, vcpu_vm_t vm,
                     struct vh_pick *b)
{
    const struct vh_vm *d = vp_vm_data(ctx, vm);
    unsigned n = vp_nvms(ctx);
    if (!vp_dsq_nr(ctx, vm) || !vp_vm_allows(ctx, vm, p))
        return;
    uint64_t key = d->nrun ? spread(ctx, d, p) * 1024ull / d->nrun : 0;
    key = (uint64_t)(p < d->wfirst || p >= d->wend) << 63 | key << 32 |
          (vm + 2 * n - 1 - b->cur) % n;
    if (key < b->key)
        b->vm = vm, b->key = key;
}

/* consider() the VMs whose subtree starts at @f and holds @p, but not
 * those whose window holds @p if @listed (in @p's win[]). */
static void scan(vp_ctx_t *ctx, vcpu_pcpu_t p, vcpu_pcpu_t f, bool listed,
                 struct vh_pick *b)
{
    vcpu_vm_t vm = ((struct vh_pcpu *)vp_pcpu_data(ctx, f))->head;
    while (vm != VCPU_NONE) {
        const struct vh_vm *d = vp_vm_data(ctx, vm);
        if (p < d->send && !(listed && p >= d->wfirst && p < d->wend))
            consider(ctx, p, vm, b);
        vm = d->next;
    }
}

/* The VMs whose subtree holds @p start where @p's ancestors do; those
 * whose window holds it, listed in win[], usually suffice. */
static void vh_dispatch(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    struct vh_pcpu *pd = vp_pcpu_data(ctx, p);
    struct vh_pick b = {VCPU_NONE, pd->cursor, UINT64_MAX};
    bool listed = pd->nwin <= VH_NWIN;
    for (unsigned k = 0; listed && k < pd->nwin; k++)
        consider(ctx, p, pd->win[k], &b);
    bool walk = b.vm == VCPU_NONE;
    vcpu_pcpu_t f, prev = VCPU_NONE;
    for (unsigned l = 0, n; walk && l < vp_topo_nlevels(ctx); l++, prev = f) {
        vp_topo_span(ctx, l, vp_topo_ancestor(ctx, p, l), &f, &n);
        if (f != prev)
            scan(ctx, p, f, listed, &b);
    }
    if (b.vm != VCPU_NONE && vp_dsq_move_to_local(ctx, b.vm, p) != VCPU_NONE)
        pd->cursor = b.vm;
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
    unsigned nvm = 0;
    for (vcpu_vm_t vm = 0; vm < vp_nvms(ctx); vm++) {
        const struct vh_vm *d = vp_vm_data(ctx, vm);
        uint64_t dist = 0, k = d->nrun; /* dist: each pair counted twice */
        if (!d->placed)                 /* also: not live */
            continue;
        for (vcpu_id_t u = d->run; u != VCPU_NONE;) {
            const struct vh_vcpu *e = vp_vcpu_data(ctx, u);
            dist += spread(ctx, d, e->pcpu);
            u = e->next;
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
    .init = vh_init,
    .vm_add = vh_vm_add,
    .vm_remove = vh_place_all,
    .vcpu_add = vh_place_all,
    .vcpu_remove = vh_place_all,
    .enqueue = vh_enqueue,
    .dispatch = vh_dispatch,
    .running = vh_running,
    .stopping = vh_stopping,
    .pcpu_change = vh_pcpu_change,
    .dump = vh_dump,
    .abi = VCPU_POLICY_ABI,
    .name = "vhier",
    .description = "virtual hierarchy: each VM in its smallest free topology "
                   "subtree; not work-conserving, churns on VM size changes",
    .pcpu_data_size = sizeof(struct vh_pcpu),
    .vm_data_size = sizeof(struct vh_vm),
    .vcpu_data_size = sizeof(struct vh_vcpu),
};
