// SPDX-License-Identifier: LGPL-2.1-or-later
/* The vp_* helpers a policy calls from its callbacks: DSQ operations,
 * kicks, suspension, queries, topology, time and randomness. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core_internal.h"

#define C(ctx) ((struct vcpu_core *)(ctx))
#define CC(ctx) ((const struct vcpu_core *)(ctx))

/* ---- time, randomness, data ------------------------------------------ */

vcpu_time_t vp_now(const vp_ctx_t *ctx)
{
    return CC(ctx)->now;
}

uint64_t vp_rand(vp_ctx_t *ctx)
{
    long hi, lo;
    mrand48_r(&C(ctx)->rng, &hi);
    mrand48_r(&C(ctx)->rng, &lo);
    return ((uint64_t)(uint32_t)hi << 32) | (uint32_t)lo;
}

uint64_t vp_rand_below(vp_ctx_t *ctx, uint64_t n)
{
    VCPU_ASSERT(n > 0);
    /* Rejection sampling: no modulo bias. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do
        r = vp_rand(ctx);
    while (r >= limit);
    return r % n;
}

uint64_t vp_slice_ns(const vp_ctx_t *ctx)
{
    return CC(ctx)->slice_ns;
}

void *vp_state(vp_ctx_t *ctx)
{
    return C(ctx)->pol.state;
}

void *vp_pcpu_data(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    struct vcpu_core *c = C(ctx);
    return c->pol.pcpu_data + (size_t)p * c->pol.ops->pcpu_data_size;
}

void *vp_vcpu_data(vp_ctx_t *ctx, vcpu_id_t v)
{
    struct vcpu_core *c = C(ctx);
    size_t sz = c->pol.ops->vcpu_data_size;
    return c->pol.vcpu_data[v >> CHUNK_SHIFT] + (v & (CHUNK_SIZE - 1)) * sz;
}

void *vp_vm_data(vp_ctx_t *ctx, vcpu_vm_t vm)
{
    struct vcpu_core *c = C(ctx);
    size_t sz = c->pol.ops->vm_data_size;
    return c->pol.vm_data[vm >> CHUNK_SHIFT] + (vm & (CHUNK_SIZE - 1)) * sz;
}

/* ---- DSQs --------------------------------------------------------------- */

int vp_dsq_create(vp_ctx_t *ctx, vp_dsq_t id, unsigned kind)
{
    struct vcpu_core *c = C(ctx);
    if (id > VP_DSQ_MAX_ID || kind > VP_DSQ_PRIQ)
        return VCPU_EINVAL;
    if (id >= c->ndsq_slots) {
        unsigned n = c->ndsq_slots ? c->ndsq_slots : 16;
        while (n <= id)
            n *= 2;
        struct dsq **t = realloc(c->dsqs, n * sizeof *t);
        if (!t)
            return VCPU_ENOMEM;
        memset(t + c->ndsq_slots, 0, (n - c->ndsq_slots) * sizeof *t);
        c->dsqs = t;
        c->ndsq_slots = n;
    }
    if (c->dsqs[id])
        return VCPU_EEXIST;
    struct dsq *q = malloc(sizeof *q);
    if (!q)
        return VCPU_ENOMEM;
    vcpu__dsq_init(q, id, kind);
    c->dsqs[id] = q;
    return 0;
}

static int insert_check(struct vcpu_core *c, struct dsq *q, vcpu_id_t v)
{
    if (!q)
        return VCPU_ENOENT;
    if (v >= c->nvcpus)
        return VCPU_EINVAL;
    struct vcpu_ent *e = vcpu_at(c, v);
    if (e->state != VP_VCPU_RUNNABLE || e->dsq)
        return VCPU_EINVAL;
    return 0;
}

int vp_dsq_insert(vp_ctx_t *ctx, vp_dsq_t dsq, vcpu_id_t v, uint64_t slice_ns,
                  unsigned insert_flags)
{
    struct vcpu_core *c = C(ctx);
    struct dsq *q = vcpu__dsq_lookup(c, dsq);
    int rc = insert_check(c, q, v);
    if (rc)
        return rc;
    if (q->kind == VP_DSQ_PRIQ)
        return VCPU_EINVAL;
    vcpu_at(c, v)->slice_ns = slice_ns;
    vcpu__dsq_push(c, q, v, 0, insert_flags & VP_INSERT_HEAD);
    return 0;
}

int vp_dsq_insert_key(vp_ctx_t *ctx, vp_dsq_t dsq, vcpu_id_t v, uint64_t key,
                      uint64_t slice_ns)
{
    struct vcpu_core *c = C(ctx);
    struct dsq *q = vcpu__dsq_lookup(c, dsq);
    int rc = insert_check(c, q, v);
    if (rc)
        return rc;
    if (q->kind != VP_DSQ_PRIQ)
        return VCPU_EINVAL;
    vcpu_at(c, v)->slice_ns = slice_ns;
    vcpu__dsq_push(c, q, v, key, false);
    return 0;
}

vcpu_id_t vp_dsq_move_to_local(vp_ctx_t *ctx, vp_dsq_t dsq, vcpu_pcpu_t p)
{
    struct vcpu_core *c = C(ctx);
    struct dsq *q = vcpu__dsq_lookup(c, dsq);
    if (!q || !q->nr || p >= c->npcpus || q == &c->pcpus[p].local)
        return VCPU_NONE;
    vcpu_id_t v = vcpu__dsq_pop_eligible(c, q, p);
    if (v != VCPU_NONE)
        vcpu__dsq_push(c, &c->pcpus[p].local, v, 0, false);
    return v;
}

int vp_dsq_move(vp_ctx_t *ctx, vcpu_id_t v, vp_dsq_t dsq, uint64_t key)
{
    struct vcpu_core *c = C(ctx);
    struct dsq *q = vcpu__dsq_lookup(c, dsq);
    if (!q)
        return VCPU_ENOENT;
    if (v >= c->nvcpus || !vcpu_at(c, v)->dsq)
        return VCPU_EINVAL;
    vcpu__dsq_remove(c, v);
    vcpu__dsq_push(c, q, v, q->kind == VP_DSQ_PRIQ ? key : 0, false);
    return 0;
}

unsigned vp_dsq_nr(const vp_ctx_t *ctx, vp_dsq_t dsq)
{
    struct dsq *q = vcpu__dsq_lookup(C(ctx), dsq);
    return q ? q->nr : 0;
}

vcpu_id_t vp_dsq_first(const vp_ctx_t *ctx, vp_dsq_t dsq)
{
    struct dsq *q = vcpu__dsq_lookup(C(ctx), dsq);
    struct vcpu_ent *e = q ? vcpu__dsq_first(q) : NULL;
    return e ? e->id : VCPU_NONE;
}

vcpu_id_t vp_dsq_next(const vp_ctx_t *ctx, vcpu_id_t v)
{
    struct vcpu_ent *e = vcpu_at(CC(ctx), v);
    if (!e->dsq)
        return VCPU_NONE;
    struct vcpu_ent *n = vcpu__dsq_next(e->dsq, e);
    return n ? n->id : VCPU_NONE;
}

uint64_t vp_dsq_key(const vp_ctx_t *ctx, vcpu_id_t v)
{
    const struct vcpu_ent *e = vcpu_at(CC(ctx), v);
    return e->dsq && e->dsq->kind == VP_DSQ_PRIQ ? e->key : 0;
}

vp_dsq_t vp_vcpu_dsq(const vp_ctx_t *ctx, vcpu_id_t v)
{
    const struct vcpu_ent *e = vcpu_at(CC(ctx), v);
    return e->dsq ? e->dsq->id : 0;
}

bool vp_vcpu_is_queued(const vp_ctx_t *ctx, vcpu_id_t v)
{
    return vcpu_at(CC(ctx), v)->dsq != NULL;
}

/* ---- kicks, preemption, suspension -------------------------------------- */

void vp_kick(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    if (p < C(ctx)->npcpus)
        vcpu__kick(C(ctx), p);
}

/* First set bit of (idle & allowed) in pCPU range [lo, lo + n). */
static vcpu_pcpu_t idle_in(const struct vcpu_core *c, const uint64_t *allowed,
                           vcpu_pcpu_t lo, unsigned n)
{
    vcpu_pcpu_t hi = lo + n;
    for (unsigned w = lo >> 6; w <= (hi - 1) >> 6; w++) {
        uint64_t m = c->idle[w];
        if (allowed)
            m &= allowed[w];
        if (w == lo >> 6)
            m &= ~(uint64_t)0 << (lo & 63);
        if (w == (hi - 1) >> 6 && (hi & 63))
            m &= ~(~(uint64_t)0 << (hi & 63));
        if (m)
            return (w << 6) + (unsigned)__builtin_ctzll(m);
    }
    return VCPU_NONE;
}

/* vp_idle_find's search, once some pCPU is idle: out of line, so that
 * the test before it (all a busy machine's yields need) inlines where the
 * library is link-time optimised. */
__attribute__((noinline)) static vcpu_pcpu_t
idle_find(const struct vcpu_core *c, vcpu_id_t v, vcpu_pcpu_t near)
{
    const uint64_t *allowed = vm_at(c, vcpu_at(c, v)->vm)->allowed;
    if (near >= c->npcpus)
        return idle_in(c, allowed, 0, c->npcpus);
    if (bit_test(c->idle, near) && (!allowed || bit_test(allowed, near)))
        return near;
    unsigned nl = vcpu_topo_nlevels(c->topo);
    for (unsigned l = 1; l < nl; l++) {
        vcpu_pcpu_t first;
        unsigned n;
        vcpu_topo_span(c->topo, l, vcpu_topo_ancestor(c->topo, near, l), &first,
                       &n);
        vcpu_pcpu_t p = idle_in(c, allowed, first, n);
        if (p != VCPU_NONE)
            return p;
    }
    return VCPU_NONE;
}

vcpu_pcpu_t vp_idle_find(const vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t near)
{
    const struct vcpu_core *c = CC(ctx);
    return c->nr_idle ? idle_find(c, v, near) : VCPU_NONE;
}

vcpu_pcpu_t vp_kick_idle(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t near)
{
    vcpu_pcpu_t p = vp_idle_find(ctx, v, near);
    if (p != VCPU_NONE)
        vcpu__kick(C(ctx), p);
    return p;
}

void vp_preempt(vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    if (p < C(ctx)->npcpus)
        vcpu__request_preempt(C(ctx), p);
}

void vp_slice_set(vp_ctx_t *ctx, vcpu_pcpu_t p, uint64_t slice_ns)
{
    struct vcpu_core *c = C(ctx);
    if (p >= c->npcpus || c->pcpus[p].curr == VCPU_NONE)
        return;
    if (!slice_ns) {
        vcpu__request_preempt(c, p);
        return;
    }
    c->pcpus[p].slice_end = c->now + slice_ns;
}

int vp_suspend(vp_ctx_t *ctx, vcpu_id_t v)
{
    struct vcpu_core *c = C(ctx);
    if (v >= c->nvcpus)
        return VCPU_EINVAL;
    unsigned s = vcpu_at(c, v)->state;
    if (s == VP_VCPU_EXITED || s == VP_VCPU_NEW)
        return VCPU_ESTATE;
    vcpu__park(c, v, SUSP_POLICY);
    return 0;
}

int vp_resume(vp_ctx_t *ctx, vcpu_id_t v)
{
    struct vcpu_core *c = C(ctx);
    if (v >= c->nvcpus)
        return VCPU_EINVAL;
    return vcpu__unpark(c, v, SUSP_POLICY);
}

void vp_abort(vp_ctx_t *ctx, int code, const char *fmt, ...)
{
    struct vcpu_core *c = C(ctx);
    if (c->aborted)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->aborted = true;
    c->abort_code = code ? code : VCPU_EPOLICY;
}

void vp_dump_printf(vp_ctx_t *ctx, const char *fmt, ...)
{
    struct vcpu_core *c = C(ctx);
    char line[ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (c->dump_out)
        fprintf(c->dump_out, "  %s\n", line);
    else
        vcpu__logf(c, "%s", line);
}

/* ---- vCPU, VM, pCPU queries ---------------------------------------------- */

unsigned vp_nvcpus(const vp_ctx_t *ctx)
{
    return CC(ctx)->nvcpus;
}

unsigned vp_vcpu_state(const vp_ctx_t *ctx, vcpu_id_t v)
{
    return vcpu_at(CC(ctx), v)->state;
}

vcpu_vm_t vp_vcpu_vm(const vp_ctx_t *ctx, vcpu_id_t v)
{
    return vcpu_at(CC(ctx), v)->vm;
}

/* Found, not stored: the VM's ids are in creation order, so ascending, and
 * four bytes less per vCPU is worth a binary search in a rare query. */
unsigned vp_vcpu_index(const vp_ctx_t *ctx, vcpu_id_t v)
{
    const struct vm_ent *vm = vm_at(CC(ctx), vcpu_at(CC(ctx), v)->vm);
    unsigned lo = 0, hi = vm->ntotal;
    while (hi - lo > 1) {
        unsigned mid = lo + (hi - lo) / 2;
        if (vm->vcpus[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

vcpu_pcpu_t vp_vcpu_pcpu(const vp_ctx_t *ctx, vcpu_id_t v)
{
    return vcpu_at(CC(ctx), v)->pcpu;
}

vcpu_pcpu_t vp_vcpu_target(const vp_ctx_t *ctx, vcpu_id_t v)
{
    return vcpu_at(CC(ctx), v)->target;
}

uint64_t vp_vcpu_runtime(const vp_ctx_t *ctx, vcpu_id_t v)
{
    return vcpu__run_so_far(CC(ctx), vcpu_at(CC(ctx), v));
}

uint64_t vp_vcpu_work(const vp_ctx_t *ctx, vcpu_id_t v)
{
    const struct vcpu_core *c = CC(ctx);
    const struct vcpu_ent *e = vcpu_at(c, v);
    uint64_t w = e->st.work_ns;
    if (e->state == VP_VCPU_RUNNING)
        w += (c->now - e->since) * c->pcpus[e->pcpu].speed / VCPU_SPEED_NOMINAL;
    return w;
}

bool vp_vcpu_is_policy_suspended(const vp_ctx_t *ctx, vcpu_id_t v)
{
    return vcpu_at(CC(ctx), v)->susp & SUSP_POLICY;
}

int vp_vcpu_prio(const vp_ctx_t *ctx, vcpu_id_t v)
{
    return vcpu_at(CC(ctx), v)->prio;
}

unsigned vp_nvms(const vp_ctx_t *ctx)
{
    return CC(ctx)->nvms;
}

bool vp_vm_is_live(const vp_ctx_t *ctx, vcpu_vm_t vm)
{
    return vm < CC(ctx)->nvms && vm_at(CC(ctx), vm)->live;
}

unsigned vp_vm_weight(const vp_ctx_t *ctx, vcpu_vm_t vm)
{
    return vm_at(CC(ctx), vm)->weight;
}

unsigned vp_vm_cap(const vp_ctx_t *ctx, vcpu_vm_t vm)
{
    return vm_at(CC(ctx), vm)->cap;
}

unsigned vp_vm_nvcpus(const vp_ctx_t *ctx, vcpu_vm_t vm)
{
    return vm_at(CC(ctx), vm)->nvcpus;
}

unsigned vp_vm_nvcpus_hint(const vp_ctx_t *ctx, vcpu_vm_t vm)
{
    return vm_at(CC(ctx), vm)->nvcpus_hint;
}

bool vp_pcpu_is_idle(const vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    return bit_test(CC(ctx)->idle, p);
}

unsigned vp_vm_nvcpus_total(const vp_ctx_t *ctx, vcpu_vm_t vm)
{
    return vm_at(CC(ctx), vm)->ntotal;
}

vcpu_id_t vp_vm_vcpu(const vp_ctx_t *ctx, vcpu_vm_t vm, unsigned i)
{
    const struct vm_ent *e = vm_at(CC(ctx), vm);
    return i < e->ntotal ? e->vcpus[i] : VCPU_NONE;
}

bool vp_vm_allows(const vp_ctx_t *ctx, vcpu_vm_t vm, vcpu_pcpu_t p)
{
    return vm_allows(CC(ctx), vm, p);
}

unsigned vp_npcpus(const vp_ctx_t *ctx)
{
    return CC(ctx)->npcpus;
}

unsigned vp_nr_online(const vp_ctx_t *ctx)
{
    return CC(ctx)->nr_online;
}

unsigned vp_pcpu_state(const vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    return CC(ctx)->pcpus[p].state;
}

uint32_t vp_pcpu_speed(const vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    const struct pcpu_ent *pc = &CC(ctx)->pcpus[p];
    return pc->state == VP_PCPU_ONLINE ? pc->speed : 0;
}

vcpu_id_t vp_pcpu_curr(const vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    return CC(ctx)->pcpus[p].curr;
}

/* ---- topology ------------------------------------------------------------ */

unsigned vp_topo_nlevels(const vp_ctx_t *ctx)
{
    return vcpu_topo_nlevels(CC(ctx)->topo);
}

unsigned vp_topo_level_kinds(const vp_ctx_t *ctx, unsigned level)
{
    return vcpu_topo_level_kinds(CC(ctx)->topo, level);
}

unsigned vp_topo_level_width(const vp_ctx_t *ctx, unsigned level)
{
    return vcpu_topo_level_width(CC(ctx)->topo, level);
}

unsigned vp_topo_ancestor(const vp_ctx_t *ctx, vcpu_pcpu_t p, unsigned level)
{
    return vcpu_topo_ancestor(CC(ctx)->topo, p, level);
}

void vp_topo_span(const vp_ctx_t *ctx, unsigned level, unsigned idx,
                  vcpu_pcpu_t *first, unsigned *n)
{
    vcpu_topo_span(CC(ctx)->topo, level, idx, first, n);
}

unsigned vp_topo_distance(const vp_ctx_t *ctx, vcpu_pcpu_t a, vcpu_pcpu_t b)
{
    return vcpu_topo_distance(CC(ctx)->topo, a, b);
}

unsigned vp_topo_corekind(const vp_ctx_t *ctx, vcpu_pcpu_t p)
{
    return vcpu_topo_corekind_of(CC(ctx)->topo, p);
}

unsigned vp_topo_ncorekinds(const vp_ctx_t *ctx)
{
    return vcpu_topo_ncorekinds(CC(ctx)->topo);
}
