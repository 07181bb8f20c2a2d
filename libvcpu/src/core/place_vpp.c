// SPDX-License-Identifier: LGPL-2.1-or-later
/* vpp_* helpers: what a placement policy may ask of the placement core
 * from inside its callbacks. */
#include <string.h>

#include "place_internal.h"

unsigned vpp_nhosts(const vpp_ctx_t *ctx)
{
    return CPC(ctx)->nhosts;
}

const vcpu_dctopo_t *vpp_topo(const vpp_ctx_t *ctx)
{
    return CPC(ctx)->topo;
}

unsigned vpp_host_state(const vpp_ctx_t *ctx, uint32_t h)
{
    return CPC(ctx)->hosts[h].state;
}

uint32_t vpp_excluded(const vpp_ctx_t *ctx)
{
    return CPC(ctx)->exclude;
}

bool vpp_fits(const vpp_ctx_t *ctx, uint32_t h, const struct vcpu_vm_req *req)
{
    const struct vcpu_place *pc = CPC(ctx);
    return h < pc->nhosts && h != pc->exclude && host_fits(&pc->hosts[h], req);
}

uint32_t vpp_host_npcpus(const vpp_ctx_t *ctx, uint32_t h)
{
    return CPC(ctx)->hosts[h].npcpus;
}

uint32_t vpp_host_used_vcpus(const vpp_ctx_t *ctx, uint32_t h)
{
    return CPC(ctx)->hosts[h].used_vcpus;
}

uint32_t vpp_host_free_vcpus(const vpp_ctx_t *ctx, uint32_t h)
{
    const struct place_host *ph = &CPC(ctx)->hosts[h];
    return ph->cap_vcpus - ph->used_vcpus;
}

uint64_t vpp_host_mem_mb(const vpp_ctx_t *ctx, uint32_t h)
{
    return CPC(ctx)->hosts[h].cap_mem;
}

uint64_t vpp_host_used_mem_mb(const vpp_ctx_t *ctx, uint32_t h)
{
    return CPC(ctx)->hosts[h].used_mem;
}

uint64_t vpp_host_free_mem_mb(const vpp_ctx_t *ctx, uint32_t h)
{
    const struct place_host *ph = &CPC(ctx)->hosts[h];
    return ph->cap_mem - ph->used_mem;
}

unsigned vpp_host_nvms(const vpp_ctx_t *ctx, uint32_t h)
{
    return CPC(ctx)->hosts[h].nvms;
}

uint32_t vpp_host_util_milli(const vpp_ctx_t *ctx, uint32_t h)
{
    return CPC(ctx)->hosts[h].util;
}

uint32_t vpp_vm_host(const vpp_ctx_t *ctx, vcpu_dcvm_t vm)
{
    const struct vcpu_place *pc = CPC(ctx);
    return vm < pc->nvms ? pc->vms[vm].host : VCPU_HOST_NONE;
}

const struct vcpu_vm_req *vpp_vm_req(const vpp_ctx_t *ctx, vcpu_dcvm_t vm)
{
    const struct vcpu_place *pc = CPC(ctx);
    return vm < pc->nvms ? &pc->vms[vm].req : NULL;
}

void *vpp_priv(const vpp_ctx_t *ctx)
{
    return CPC(ctx)->priv;
}

void vpp_set_priv(vpp_ctx_t *ctx, void *p)
{
    PC(ctx)->priv = p;
}

static int param_index(const struct vcpu_place *pc, const char *name)
{
    const struct vp_param *p = pc->ops->params;
    for (int i = 0; p && p[i].name; i++)
        if (strcmp(p[i].name, name) == 0)
            return i;
    return -1;
}

uint64_t vpp_arg_u64(const vpp_ctx_t *ctx, const char *name)
{
    const struct vcpu_place *pc = CPC(ctx);
    int i = param_index(pc, name);
    VCPU_ASSERT(i >= 0 && pc->ops->params[i].type != VP_PARAM_DOUBLE);
    return pc->args[i].u;
}

double vpp_arg_double(const vpp_ctx_t *ctx, const char *name)
{
    const struct vcpu_place *pc = CPC(ctx);
    int i = param_index(pc, name);
    VCPU_ASSERT(i >= 0 && pc->ops->params[i].type == VP_PARAM_DOUBLE);
    return pc->args[i].d;
}

bool vpp_arg_bool(const vpp_ctx_t *ctx, const char *name)
{
    return vpp_arg_u64(ctx, name) != 0;
}

uint64_t vpp_rand(vpp_ctx_t *ctx)
{
    uint64_t z = (PC(ctx)->rng += 0x9e3779b97f4a7c15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t vpp_rand_below(vpp_ctx_t *ctx, uint64_t n)
{
    VCPU_ASSERT(n > 0);
    uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;
    do
        x = vpp_rand(ctx);
    while (x >= lim);
    return x % n;
}

uint64_t vpp_now(const vpp_ctx_t *ctx)
{
    return CPC(ctx)->now;
}

unsigned vpp_domain_count(const vpp_ctx_t *ctx, unsigned kind)
{
    int d = vcpu__dom_of_kind(kind);
    return d < 0 ? 0 : CPC(ctx)->dom[d].n;
}

const uint32_t *vpp_domain_hosts(const vpp_ctx_t *ctx, unsigned kind,
                                 unsigned idx, unsigned *n)
{
    const struct vcpu_place *pc = CPC(ctx);
    int d = vcpu__dom_of_kind(kind);
    if (d < 0 || idx >= pc->dom[d].n) {
        *n = 0;
        return NULL;
    }
    *n = pc->dom[d].hi[idx] - pc->dom[d].lo[idx];
    return &pc->dom_hosts[pc->dom[d].lo[idx]];
}

void vpp_domain_free(const vpp_ctx_t *ctx, unsigned kind, unsigned idx,
                     uint64_t *vcpus, uint64_t *mem_mb)
{
    int d = vcpu__dom_of_kind(kind);
    vcpu__fit_domain_sum(CPC(ctx), d < 0 ? DOM_KINDS : (unsigned)d, idx, vcpus,
                         mem_mb);
}

uint32_t vpp_find_first(const vpp_ctx_t *ctx, const struct vcpu_vm_req *req)
{
    return vcpu__fit_first(CPC(ctx), req, CPC(ctx)->exclude);
}

/* The treap is built at the first best- or worst-fit question: the
 * helpers take a const context but may build it (hence the cast). */
uint32_t vpp_find_best(const vpp_ctx_t *ctx, const struct vcpu_vm_req *req)
{
    struct vcpu_place *pc = (struct vcpu_place *)(uintptr_t)ctx;
    return vcpu__fit_best(pc, req, pc->exclude);
}

uint32_t vpp_find_worst(const vpp_ctx_t *ctx, const struct vcpu_vm_req *req)
{
    struct vcpu_place *pc = (struct vcpu_place *)(uintptr_t)ctx;
    return vcpu__fit_worst(pc, req, pc->exclude);
}

uint32_t vpp_find_first_in(const vpp_ctx_t *ctx, unsigned kind, unsigned idx,
                           const struct vcpu_vm_req *req)
{
    int d = vcpu__dom_of_kind(kind);
    return vcpu__fit_first_in(CPC(ctx), d < 0 ? DOM_KINDS : (unsigned)d, idx,
                              req, CPC(ctx)->exclude);
}
