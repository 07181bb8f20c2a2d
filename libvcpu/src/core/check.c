// SPDX-License-Identifier: LGPL-2.1-or-later
/* The invariant checker (DESIGN.md §3): a full O(vCPUs + pCPUs) pass after
 * every environment call in checking mode. A failure names the invariant,
 * the vCPU/pCPU, the time and the last trace events. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core_internal.h"

static const char *const inv_names[] = {
    [1] = "one vCPU per pCPU and one pCPU per vCPU",
    [2] = "an offline pCPU runs and holds nothing",
    [3] = "every RUNNABLE vCPU in exactly one DSQ, nothing else queued",
    [4] = "a vCPU runs only where its VM allows",
    [5] = "work conservation: no idle pCPU while an eligible vCPU waits",
    [6] = "accounting: busy <= online, sum of run = sum of busy",
};

static int fail(struct vcpu_core *c, int inv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct vcpu_core *c, int inv, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int n = snprintf(c->err, sizeof c->err,
                     "invariant %d (%s) broken at t=%llu ns under policy "
                     "'%s': %s; last events:",
                     inv, inv_names[inv], (unsigned long long)c->now,
                     c->pol.ops->name, what);
    unsigned count = c->ring_pos < TRACE_RING ? c->ring_pos : TRACE_RING;
    for (unsigned i = 0; i < count && n > 0 && (size_t)n < sizeof c->err; i++) {
        const struct vcpu_trace_rec *r =
            &c->ring[(c->ring_pos - count + i) % TRACE_RING];
        char line[96];
        vcpu_trace_format(r, line, sizeof line);
        line[strcspn(line, "\n")] = '\0';
        n += snprintf(c->err + n, sizeof c->err - (size_t)n, " [%s]", line);
    }
    c->broken = true;
    vcpu__logf(c, "%s", c->err);
    return VCPU_EINVARIANT;
}

/* Invariants 1, 2 and 4: what runs where. */
static int check_running(struct vcpu_core *c)
{
    unsigned busy = 0;
    for (vcpu_pcpu_t p = 0; p < c->npcpus; p++) {
        const struct pcpu_ent *pc = &c->pcpus[p];
        if (pc->state == VP_PCPU_OFFLINE &&
            (pc->curr != VCPU_NONE || pc->local.nr))
            return fail(c, 2,
                        "pCPU %u is offline but runs vCPU %d and "
                        "holds %u in its local DSQ",
                        p, (int)pc->curr, pc->local.nr);
        if (pc->curr == VCPU_NONE)
            continue;
        busy++;
        const struct vcpu_ent *e = vcpu_at(c, pc->curr);
        if (e->state != VP_VCPU_RUNNING || e->pcpu != p)
            return fail(c, 1,
                        "pCPU %u runs vCPU %u, which is in state %u "
                        "on pCPU %d",
                        p, pc->curr, e->state, (int)e->pcpu);
        if (!vm_allows(c, e->vm, p))
            return fail(c, 4,
                        "vCPU %u of VM %u runs on pCPU %u, which the "
                        "VM does not allow",
                        pc->curr, e->vm, p);
    }
    unsigned running = 0;
    for (vcpu_id_t v = 0; v < c->nvcpus; v++)
        running += vcpu_at(c, v)->state == VP_VCPU_RUNNING;
    if (running != busy)
        return fail(c, 1, "%u vCPUs are RUNNING but %u pCPUs run one", running,
                    busy);
    return 0;
}

static int check_dsq(struct vcpu_core *c, const struct dsq *q, unsigned *total)
{
    unsigned n = 0;
    for (struct vcpu_ent *e = vcpu__dsq_first(q); e;
         e = vcpu__dsq_next(q, e), n++) {
        if (e->dsq != q || e->state != VP_VCPU_RUNNABLE)
            return fail(c, 3, "vCPU %u in state %u is queued on DSQ %#llx",
                        e->id, e->state, (unsigned long long)q->id);
        if (n > c->nvcpus)
            return fail(c, 3, "DSQ %#llx loops", (unsigned long long)q->id);
    }
    if (n != q->nr)
        return fail(c, 3, "DSQ %#llx counts %u but holds %u",
                    (unsigned long long)q->id, q->nr, n);
    *total += n;
    return 0;
}

/* Invariant 3: every queue's members are RUNNABLE and point back to it,
 * and the number queued equals the number RUNNABLE. */
static int check_queues(struct vcpu_core *c)
{
    unsigned total = 0, runnable = 0;
    int rc = check_dsq(c, &c->global, &total);
    for (vcpu_pcpu_t p = 0; !rc && p < c->npcpus; p++)
        rc = check_dsq(c, &c->pcpus[p].local, &total);
    for (unsigned i = 0; !rc && i < c->ndsq_slots; i++)
        if (c->dsqs[i])
            rc = check_dsq(c, c->dsqs[i], &total);
    if (rc)
        return rc;
    for (vcpu_id_t v = 0; v < c->nvcpus; v++) {
        const struct vcpu_ent *e = vcpu_at(c, v);
        if (e->state == VP_VCPU_RUNNABLE && !e->dsq)
            return fail(c, 3, "vCPU %u is RUNNABLE but in no DSQ", v);
        runnable += e->state == VP_VCPU_RUNNABLE;
    }
    if (runnable != total)
        return fail(c, 3, "%u vCPUs RUNNABLE but %u queued", runnable, total);
    if (runnable != c->nstate[VP_VCPU_RUNNABLE])
        return fail(c, 3, "%u vCPUs RUNNABLE but the core counts %u", runnable,
                    c->nstate[VP_VCPU_RUNNABLE]);
    return 0;
}

/* First pCPU set in both @a and (if non-NULL) @b, or VCPU_NONE. */
static vcpu_pcpu_t first_common(const uint64_t *a, const uint64_t *b,
                                unsigned nwords)
{
    for (unsigned w = 0; w < nwords; w++) {
        uint64_t m = a[w] & (b ? b[w] : ~(uint64_t)0);
        if (m)
            return (w << 6) + (unsigned)__builtin_ctzll(m);
    }
    return VCPU_NONE;
}

/* Invariant 5 (settled, work-conserving policies only). */
static int check_work_conserving(struct vcpu_core *c)
{
    if (!(c->pol.ops->flags & VP_WORK_CONSERVING))
        return 0;
    uint64_t *idle = calloc(c->nwords, sizeof *idle);
    if (!idle)
        return 0; /* no memory for the check: skip, do not fail */
    for (vcpu_pcpu_t p = 0; p < c->npcpus; p++)
        if (c->pcpus[p].state == VP_PCPU_ONLINE &&
            c->pcpus[p].curr == VCPU_NONE)
            bit_set(idle, p);
    int rc = 0;
    for (vcpu_id_t v = 0; v < c->nvcpus && !rc; v++) {
        const struct vcpu_ent *e = vcpu_at(c, v);
        if (e->state != VP_VCPU_RUNNABLE)
            continue;
        vcpu_pcpu_t p = first_common(idle, vm_at(c, e->vm)->allowed, c->nwords);
        if (p != VCPU_NONE)
            rc = fail(c, 5,
                      "pCPU %u idles while vCPU %u of VM %u waits "
                      "on DSQ %#llx",
                      p, v, e->vm, (unsigned long long)e->dsq->id);
    }
    free(idle);
    return rc;
}

/* Invariant 6, on the totals up to now. */
static int check_accounting(struct vcpu_core *c)
{
    uint64_t run = c->recycled_run_ns, busy = 0;
    for (vcpu_id_t v = 0; v < c->nvcpus; v++)
        run += vcpu__run_so_far(c, vcpu_at(c, v));
    for (vcpu_pcpu_t p = 0; p < c->npcpus; p++) {
        const struct pcpu_ent *pc = &c->pcpus[p];
        uint64_t b = pc->st.busy_ns, on = pc->st.online_ns;
        if (pc->curr != VCPU_NONE)
            b += c->now - vcpu_at(c, pc->curr)->since;
        if (pc->state == VP_PCPU_ONLINE)
            on += c->now - pc->online_since;
        if (b > on)
            return fail(c, 6, "pCPU %u busy %llu ns > online %llu ns", p,
                        (unsigned long long)b, (unsigned long long)on);
        busy += b;
    }
    if (run != busy)
        return fail(c, 6,
                    "sum of vCPU run time %llu ns != sum of pCPU busy "
                    "time %llu ns",
                    (unsigned long long)run, (unsigned long long)busy);
    return 0;
}

int vcpu__check(struct vcpu_core *c, bool settled)
{
    int rc = check_running(c);
    if (!rc)
        rc = check_queues(c);
    if (!rc)
        rc = check_accounting(c);
    if (!rc && settled)
        rc = check_work_conserving(c);
    return rc;
}
