// SPDX-License-Identifier: LGPL-2.1-or-later
/* vcluster: virtual clusters over physical clusters (Hwang, Fox and
 * Dongarra, ch. 3): a VM of a group goes under the lowest rack, cluster or
 * datacenter around the group's VMs that has a host with room, first-fit
 * inside it; a group's first VM picks the first rack (else cluster, else
 * datacenter) whose free capacity could hold the whole group (group_size).
 * VMs without a group are placed first-fit. Does badly when groups are
 * large and racks small (a group spills and then anchors on its first
 * rack), and it fragments racks for ungrouped VMs. */
#include <stdlib.h>
#include <string.h>

#include <vcpu/place.h>

struct vc_group {
    uint32_t id;
    unsigned n, cap;
    vcpu_dcvm_t *vms; /* members placed at some time, newest last */
};

struct vc_state {
    unsigned ngroups, cap; /* open-addressing table, power of two */
    struct vc_group *tab;
};

static unsigned vc_hash(uint32_t id, unsigned cap)
{
    return (unsigned)((id * 0x9e3779b1u) & (cap - 1));
}

static struct vc_group *vc_lookup(struct vc_state *s, uint32_t id)
{
    for (unsigned i = vc_hash(id, s->cap);; i = (i + 1) & (s->cap - 1))
        if (s->tab[i].id == id || s->tab[i].id == 0)
            return &s->tab[i];
}

static int vc_grow(struct vc_state *s)
{
    unsigned cap = s->cap * 2;
    struct vc_group *old = s->tab;
    struct vc_group *tab = calloc(cap, sizeof *tab);
    if (!tab)
        return VCPU_ENOMEM;
    unsigned ocap = s->cap;
    s->tab = tab;
    s->cap = cap;
    for (unsigned i = 0; i < ocap; i++)
        if (old[i].id)
            *vc_lookup(s, old[i].id) = old[i];
    free(old);
    return 0;
}

static int vcluster_init(vpp_ctx_t *ctx)
{
    struct vc_state *s = calloc(1, sizeof *s);
    if (!s)
        return VCPU_ENOMEM;
    s->cap = 64;
    s->tab = calloc(s->cap, sizeof *s->tab);
    if (!s->tab) {
        free(s);
        return VCPU_ENOMEM;
    }
    vpp_set_priv(ctx, s);
    return 0;
}

static void vcluster_fini(vpp_ctx_t *ctx)
{
    struct vc_state *s = vpp_priv(ctx);
    for (unsigned i = 0; i < s->cap; i++)
        free(s->tab[i].vms);
    free(s->tab);
    free(s);
}

/* A host where one of the group's VMs lives now, or VCPU_HOST_NONE. Gone
 * members are dropped from the end, so this is amortised O(1). */
static uint32_t vc_anchor(vpp_ctx_t *ctx, struct vc_group *g)
{
    while (g->n) {
        uint32_t h = vpp_vm_host(ctx, g->vms[g->n - 1]);
        if (h != VCPU_HOST_NONE)
            return h;
        g->n--;
    }
    return VCPU_HOST_NONE;
}

static const unsigned vc_levels[] = {VCPU_TOPO_RACK, VCPU_TOPO_CLUSTER,
                                     VCPU_TOPO_DATACENTER};
#define VC_NLEVELS (sizeof vc_levels / sizeof vc_levels[0])

/* First VM of a group: the first domain, lowest level first, with room
 * for the whole group in sum and for this VM on one host. */
static uint32_t vc_first_home(vpp_ctx_t *ctx, const struct vcpu_vm_req *req)
{
    uint64_t k = req->group_size ? req->group_size : 1;
    for (unsigned l = 0; l < VC_NLEVELS; l++) {
        unsigned kind = vc_levels[l];
        for (unsigned d = 0; d < vpp_domain_count(ctx, kind); d++) {
            uint64_t cpu, mem;
            vpp_domain_free(ctx, kind, d, &cpu, &mem);
            if (cpu < k * req->vcpus || mem < k * req->mem_mb)
                continue;
            uint32_t h = vpp_find_first_in(ctx, kind, d, req);
            if (h != VCPU_HOST_NONE)
                return h;
        }
    }
    return vpp_find_first(ctx, req);
}

/* Widen from the anchor's rack until a domain has a host with room. */
static uint32_t vc_near(vpp_ctx_t *ctx, uint32_t anchor,
                        const struct vcpu_vm_req *req)
{
    const vcpu_dctopo_t *topo = vpp_topo(ctx);
    for (unsigned l = 0; l < VC_NLEVELS; l++) {
        unsigned d = vcpu_dctopo_ancestor(topo, anchor, vc_levels[l]);
        uint32_t h = vpp_find_first_in(ctx, vc_levels[l], d, req);
        if (h != VCPU_HOST_NONE)
            return h;
    }
    return vpp_find_first(ctx, req);
}

static uint32_t vcluster_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                               const struct vcpu_vm_req *req)
{
    (void)vm;
    if (!req->group)
        return vpp_find_first(ctx, req);
    struct vc_group *g = vc_lookup(vpp_priv(ctx), req->group);
    uint32_t anchor = g->id ? vc_anchor(ctx, g) : VCPU_HOST_NONE;
    return anchor == VCPU_HOST_NONE ? vc_first_home(ctx, req)
                                    : vc_near(ctx, anchor, req);
}

static void vcluster_placed(vpp_ctx_t *ctx, vcpu_dcvm_t vm, uint32_t host)
{
    const struct vcpu_vm_req *req = vpp_vm_req(ctx, vm);
    struct vc_state *s = vpp_priv(ctx);
    if (!req->group || vpp_vm_host(ctx, vm) != host)
        return; /* ungrouped, or a migration's reservation */
    if (2 * (s->ngroups + 1) > s->cap && vc_grow(s))
        return; /* out of memory: the group just loses its anchor */
    struct vc_group *g = vc_lookup(s, req->group);
    if (!g->id) {
        g->id = req->group;
        s->ngroups++;
    }
    if (g->n == g->cap) {
        unsigned cap = g->cap ? 2 * g->cap : 4;
        vcpu_dcvm_t *v = realloc(g->vms, cap * sizeof *v);
        if (!v)
            return;
        g->vms = v;
        g->cap = cap;
    }
    g->vms[g->n++] = vm;
}

const struct vcpu_place_ops vcluster_ops = {
    .init = vcluster_init,
    .fini = vcluster_fini,
    .place = vcluster_place,
    .placed = vcluster_placed,
    .abi = VCPU_PLACE_ABI,
    .name = "vcluster",
    .description = "a group's VMs under the lowest rack/cluster with room; "
                   "large groups spill, racks fragment",
};
