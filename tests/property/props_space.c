// SPDX-License-Identifier: GPL-3.0-or-later
/* Properties of the space policy under random cases (with suspend_excess,
 * the mode with more to get wrong; exclusivity is the same in both).
 *
 * Exclusivity, as seen from outside: partitions change only when VMs,
 * vCPUs or online pCPUs change, so between two steps with the same counts
 * of those no pCPU may run vCPUs of two VMs; and partitions are contiguous
 * ranges of online pCPUs, so in pCPU order the running VMs form one block
 * each (A never on both sides of B).
 *
 * While another policy is swapped in, nothing is checked and the counts
 * restart; space swapped in by the harness may run without suspend_excess.
 *
 * suspend_excess: a VM keeps at most as many RUNNING + RUNNABLE vCPUs as
 * its partition has pCPUs, and every active one gets a pCPU of it, so
 * after settling no vCPU waits RUNNABLE; and while one of its vCPUs is
 * suspended by the policy, no pCPU of its partition (one that ran the VM
 * since the last change) idles. Both only for VMs without an allowed
 * mask: masks are ignored when placing. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/core_internal.h"
#include "harness.h"

#define MAXP 1024

struct space_priv {
    unsigned nvcpus, nlive, nonline, nvms; /* last step's configuration */
    bool mine;                             /* space ran at the last step */
    vcpu_vm_t on[MAXP];                    /* VM seen on each pCPU since */
    vcpu_vm_t blocks[MAXP];
};

static int exclusive(struct drv *d, struct space_priv *sp, char *msg,
                     size_t len)
{
    vcpu_core_t *c = drv_core(d);
    unsigned np = vcpu_core_npcpus(c), nlive = 0, nblocks = 0;
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(c); v++)
        nlive += vcpu_core_vcpu_state(c, v) != VP_VCPU_EXITED;
    if (!sp->mine || sp->nvcpus != vcpu_core_nvcpus(c) || sp->nlive != nlive ||
        sp->nonline != drv_count_online(d) || sp->nvms != drv_nvms(d)) {
        sp->nvcpus = vcpu_core_nvcpus(c);
        sp->nlive = nlive;
        sp->nonline = drv_count_online(d);
        sp->nvms = drv_nvms(d);
        sp->mine = true;
        for (vcpu_pcpu_t p = 0; p < np && p < MAXP; p++)
            sp->on[p] = VCPU_NONE;
    }
    for (vcpu_pcpu_t p = 0; p < np && p < MAXP; p++) {
        vcpu_id_t v = vcpu_core_pcpu_curr(c, p);
        if (v == VCPU_NONE)
            continue;
        vcpu_vm_t vm = vcpu_core_vcpu_vm(c, v);
        if (sp->on[p] != VCPU_NONE && sp->on[p] != vm) {
            snprintf(msg, len,
                     "exclusivity: pCPU %u ran VM %u and now VM %u with no "
                     "change of VMs, vCPUs or pCPUs (t=%" PRIu64 ")",
                     p, sp->on[p], vm, drv_now(d));
            return 1;
        }
        sp->on[p] = vm;
        if (nblocks && sp->blocks[nblocks - 1] == vm)
            continue;
        for (unsigned i = 0; i < nblocks; i++) {
            if (sp->blocks[i] == vm) {
                snprintf(msg, len,
                         "exclusivity: VM %u runs on both sides of VM %u "
                         "(pCPU %u, t=%" PRIu64 ")",
                         vm, sp->blocks[nblocks - 1], p, drv_now(d));
                return 1;
            }
        }
        sp->blocks[nblocks++] = vm;
    }
    return 0;
}

static int space_step(struct drv *d, void *priv, char *msg, size_t len)
{
    struct space_priv *sp = priv;
    struct vcpu_core *c = (struct vcpu_core *)drv_core(d);
    if (strcmp(vcpu_core_policy_name(drv_core(d)), "space") != 0) {
        sp->mine = false;
        return 0;
    }
    if (exclusive(d, priv, msg, len))
        return 1;
    if (!vp_arg_bool((vp_ctx_t *)c, "suspend_excess"))
        return 0;
    for (vcpu_id_t v = 0; v < c->nvcpus; v++) {
        struct vcpu_ent *e = vcpu_at(c, v);
        if (vm_at(c, e->vm)->allowed)
            continue;
        if (e->state == VP_VCPU_RUNNABLE) {
            snprintf(msg, len,
                     "suspend_excess: vCPU %u of VM %u waits RUNNABLE after "
                     "settling (t=%" PRIu64 ")",
                     v, e->vm, drv_now(d));
            return 1;
        }
        if (e->state != VP_VCPU_SUSPENDED || e->susp != SUSP_POLICY)
            continue;
        for (vcpu_pcpu_t p = 0; p < c->npcpus && p < MAXP; p++) {
            if (sp->on[p] == e->vm && c->pcpus[p].curr == VCPU_NONE &&
                c->pcpus[p].state == VP_PCPU_ONLINE) {
                snprintf(msg, len,
                         "suspend_excess: pCPU %u of VM %u idles while its "
                         "vCPU %u is suspended (t=%" PRIu64 ")",
                         p, e->vm, v, drv_now(d));
                return 1;
            }
        }
    }
    return 0;
}

const struct policy_props space_props = {
    .policy = "space",
    .args = "suspend_excess=true",
    .priv_size = sizeof(struct space_priv),
    .step = space_step,
};
