// SPDX-License-Identifier: GPL-3.0-or-later
/* vhier's property after every settled step: a VM alone on the machine
 * (the only one with vCPUs) runs within one subtree of the lowest level
 * that has a subtree with enough usable (online, allowed) pCPUs for all
 * its vCPUs. Locality against rr is test_vhier_locality.c. */
#include <stdio.h>

#include "harness.h"

/* See props_dh.c: the core is the policies' context. */
static const vp_ctx_t *ctx_of(struct drv *d)
{
    return (const vp_ctx_t *)drv_core(d);
}

/* The only VM with live vCPUs (their number in *n), or VCPU_NONE. */
static vcpu_vm_t lone_vm(struct drv *d, unsigned *n)
{
    vcpu_core_t *c = drv_core(d);
    vcpu_vm_t vm = VCPU_NONE;
    *n = 0;
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(c); v++) {
        if (vcpu_core_vcpu_state(c, v) == VP_VCPU_EXITED)
            continue;
        if (vm != VCPU_NONE && vcpu_core_vcpu_vm(c, v) != vm)
            return VCPU_NONE;
        vm = vcpu_core_vcpu_vm(c, v);
        (*n)++;
    }
    return vm;
}

/* Lowest level with a subtree of >= @n pCPUs usable by @vm (else root). */
static unsigned fit_level(struct drv *d, vcpu_vm_t vm, unsigned n)
{
    const vcpu_topo_t *t = drv_topo(d);
    vcpu_core_t *c = drv_core(d);
    unsigned nl = vcpu_topo_nlevels(t);
    for (unsigned l = 0; l < nl; l++) {
        for (unsigned i = 0; i < vcpu_topo_level_width(t, l); i++) {
            vcpu_pcpu_t first;
            unsigned cnt, usable = 0;
            vcpu_topo_span(t, l, i, &first, &cnt);
            for (vcpu_pcpu_t p = first; p < first + cnt; p++)
                usable += vcpu_core_pcpu_state(c, p) == VP_PCPU_ONLINE &&
                          vp_vm_allows(ctx_of(d), vm, p);
            if (usable >= n)
                return l;
        }
    }
    return nl - 1;
}

static int vhier_step(struct drv *d, void *priv, char *msg, size_t len)
{
    (void)priv;
    vcpu_core_t *c = drv_core(d);
    unsigned n;
    vcpu_vm_t vm = lone_vm(d, &n);
    if (vm == VCPU_NONE)
        return 0;
    unsigned lv = fit_level(d, vm, n), nv = vcpu_core_nvcpus(c);
    for (vcpu_id_t a = 0; a < nv; a++) {
        for (vcpu_id_t b = a + 1; b < nv; b++) {
            if (vcpu_core_vcpu_state(c, a) != VP_VCPU_RUNNING ||
                vcpu_core_vcpu_state(c, b) != VP_VCPU_RUNNING)
                continue;
            vcpu_pcpu_t pa = vcpu_core_vcpu_pcpu(c, a);
            vcpu_pcpu_t pb = vcpu_core_vcpu_pcpu(c, b);
            if (vcpu_topo_distance(drv_topo(d), pa, pb) <= lv)
                continue;
            snprintf(msg, len,
                     "vhier: VM %u (%u vCPUs, alone) fits a level-%u "
                     "subtree but runs vCPUs %u and %u on pCPUs %u and %u "
                     "(distance %u) at t=%llu",
                     vm, n, lv, a, b, pa, pb,
                     vcpu_topo_distance(drv_topo(d), pa, pb),
                     (unsigned long long)drv_now(d));
            return 1;
        }
    }
    return 0;
}

const struct policy_props vhier_props = {
    .policy = "vhier",
    .step = vhier_step,
};
