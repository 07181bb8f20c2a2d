// SPDX-License-Identifier: GPL-3.0-or-later
/* dh's properties after every settled step (default mode, no time
 * sharing): #RUNNING <= #ONLINE; #RUNNING + #RUNNABLE <= #ONLINE; and
 * suspension only when over capacity: no online pCPU idles that the VM of
 * a policy-suspended vCPU allows. */
#include <stdio.h>

#include "harness.h"

/* The core instance is the policies' context (CTX() in core_internal.h),
 * so the read-only vp_* queries work on it between calls. The core API
 * has no query for "suspended by the policy" or "VM allows pCPU". */
static const vp_ctx_t *ctx_of(struct drv *d)
{
    return (const vp_ctx_t *)drv_core(d);
}

/* An idle online pCPU @v's VM allows, or VCPU_NONE. */
static vcpu_pcpu_t idle_allowed(struct drv *d, vcpu_id_t v)
{
    vcpu_core_t *c = drv_core(d);
    for (vcpu_pcpu_t p = 0; p < vcpu_core_npcpus(c); p++)
        if (vcpu_core_pcpu_state(c, p) == VP_PCPU_ONLINE &&
            vcpu_core_pcpu_curr(c, p) == VCPU_NONE &&
            vp_vm_allows(ctx_of(d), vcpu_core_vcpu_vm(c, v), p))
            return p;
    return VCPU_NONE;
}

static int dh_step(struct drv *d, void *priv, char *msg, size_t len)
{
    (void)priv;
    vcpu_core_t *c = drv_core(d);
    unsigned online = drv_count_online(d);
    unsigned running = drv_count_state(d, VP_VCPU_RUNNING);
    unsigned runnable = drv_count_state(d, VP_VCPU_RUNNABLE);
    if (running + runnable > online) {
        snprintf(msg, len,
                 "dh: %u RUNNING + %u RUNNABLE vCPUs on %u online pCPUs "
                 "at t=%llu (excess must be suspended)",
                 running, runnable, online, (unsigned long long)drv_now(d));
        return 1;
    }
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(c); v++) {
        if (vcpu_core_vcpu_state(c, v) != VP_VCPU_SUSPENDED ||
            !vp_vcpu_is_policy_suspended(ctx_of(d), v))
            continue;
        vcpu_pcpu_t p = idle_allowed(d, v);
        if (p != VCPU_NONE) {
            snprintf(msg, len,
                     "dh: vCPU %u is suspended while pCPU %u, which its "
                     "VM allows, idles at t=%llu",
                     v, p, (unsigned long long)drv_now(d));
            return 1;
        }
    }
    return 0;
}

const struct policy_props dh_props = {
    .policy = "dh",
    .step = dh_step,
};
