// SPDX-License-Identifier: LGPL-2.1-or-later
/* The runtime's trace: the core's records go to the ring of the pCPU they
 * concern (written under the core's lock, so no other synchronisation),
 * and out as the CSV trace format or Chrome/Perfetto trace-event JSON. The
 * placement map (which vCPU runs where) is the workers' own (worker.c):
 * without VCPU_RT_TRACE the core builds no record at all. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

int vcpu__ring_init(struct rt_ring *r, size_t cap)
{
    r->rec = calloc(cap, sizeof *r->rec);
    r->seq = calloc(cap, sizeof *r->seq);
    r->cap = cap;
    return r->rec && r->seq ? 0 : VCPU_ENOMEM;
}

void vcpu__ring_fini(struct rt_ring *r)
{
    free(r->rec);
    free(r->seq);
    memset(r, 0, sizeof *r);
}

void vcpu__rt_trace(void *arg, const struct vcpu_trace_rec *rec)
{
    struct vcpu_rt *rt = arg;
    struct rt_ring *r = &rt->w[rec->pcpu < rt->nw ? rec->pcpu : 0].ring;
    size_t at = (r->head + r->n) % r->cap;
    if (r->n == r->cap) { /* full: overwrite the oldest */
        r->head = (r->head + 1) % r->cap;
        r->dropped++;
    } else {
        r->n++;
    }
    r->rec[at] = *rec;
    r->seq[at] = rt->trace_seq++;
}

/* Visit every record in (time, sequence) order: a merge of the rings. */
static int merged(struct vcpu_rt *rt,
                  int (*fn)(void *arg, const struct vcpu_trace_rec *r),
                  void *arg)
{
    size_t *pos = calloc(rt->nw, sizeof *pos);
    if (!pos)
        return VCPU_ENOMEM;
    int rc = 0;
    for (;;) {
        unsigned best = UINT32_MAX;
        uint64_t bs = UINT64_MAX;
        for (unsigned p = 0; p < rt->nw; p++) {
            struct rt_ring *r = &rt->w[p].ring;
            if (pos[p] >= r->n)
                continue;
            uint64_t s = r->seq[(r->head + pos[p]) % r->cap];
            if (s < bs) {
                bs = s;
                best = p;
            }
        }
        if (best == UINT32_MAX || rc)
            break;
        struct rt_ring *r = &rt->w[best].ring;
        rc = fn(arg, &r->rec[(r->head + pos[best]++) % r->cap]);
    }
    free(pos);
    return rc;
}

static int put_csv(void *arg, const struct vcpu_trace_rec *r)
{
    char line[128];
    int n = vcpu_trace_format(r, line, sizeof line);
    return n < 0 || fwrite(line, 1, (size_t)n, arg) != (size_t)n ? VCPU_EIO : 0;
}

int vcpu_rt_trace_write_csv(vcpu_rt_t *rt, FILE *f)
{
    if (!rt || !f || !(rt->attr.flags & VCPU_RT_TRACE))
        return VCPU_EINVAL;
    if (fprintf(f, "%s\n", VCPU_TRACE_CSV_HEADER) < 0)
        return VCPU_EIO;
    return merged(rt, put_csv, f);
}

struct chrome {
    FILE *f;
    struct vcpu_rt *rt;
    uint64_t *run_start; /* per pCPU; UINT64_MAX when idle */
    vcpu_id_t *run_vcpu;
    bool first;
};

static void chrome_sep(struct chrome *c)
{
    fputs(c->first ? "\n" : ",\n", c->f);
    c->first = false;
}

/* RUN..STOP on a pCPU becomes one complete ("X") slice; other events are
 * instants. Times in µs, as the format wants. */
static int put_chrome(void *arg, const struct vcpu_trace_rec *r)
{
    struct chrome *c = arg;
    if (r->event == VCPU_TRACE_RUN && r->pcpu < c->rt->nw) {
        c->run_start[r->pcpu] = r->time_ns;
        c->run_vcpu[r->pcpu] = r->vcpu;
        return 0;
    }
    if (r->event == VCPU_TRACE_STOP && r->pcpu < c->rt->nw &&
        c->run_start[r->pcpu] != UINT64_MAX) {
        uint64_t t0 = c->run_start[r->pcpu];
        chrome_sep(c);
        fprintf(c->f,
                "{\"name\":\"vCPU %u\",\"cat\":\"run\",\"ph\":\"X\","
                "\"ts\":%.3f,\"dur\":%.3f,\"pid\":0,\"tid\":%u,"
                "\"args\":{\"vm\":%d,\"stop\":%" PRId64 "}}",
                c->run_vcpu[r->pcpu], t0 / 1e3, (r->time_ns - t0) / 1e3,
                r->pcpu, r->vm == VCPU_NONE ? -1 : (int)r->vm, r->arg);
        c->run_start[r->pcpu] = UINT64_MAX;
        return 0;
    }
    chrome_sep(c);
    fprintf(c->f,
            "{\"name\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%.3f,"
            "\"pid\":0,\"tid\":%d,\"args\":{\"vcpu\":%d,\"arg\":%" PRId64 "}}",
            vcpu_trace_event_name(r->event), r->time_ns / 1e3,
            r->pcpu == VCPU_NONE ? 0 : (int)r->pcpu,
            r->vcpu == VCPU_NONE ? -1 : (int)r->vcpu, r->arg);
    return 0;
}

int vcpu_rt_trace_write_chrome(vcpu_rt_t *rt, FILE *f)
{
    if (!rt || !f || !(rt->attr.flags & VCPU_RT_TRACE))
        return VCPU_EINVAL;
    struct chrome c = {f, rt, calloc(rt->nw, sizeof(uint64_t)),
                       calloc(rt->nw, sizeof(vcpu_id_t)), true};
    if (!c.run_start || !c.run_vcpu) {
        free(c.run_start);
        free(c.run_vcpu);
        return VCPU_ENOMEM;
    }
    for (unsigned p = 0; p < rt->nw; p++)
        c.run_start[p] = UINT64_MAX;
    fputs("{\"traceEvents\":[", f);
    int rc = merged(rt, put_chrome, &c);
    for (unsigned p = 0; p < rt->nw; p++) {
        chrome_sep(&c);
        fprintf(f,
                "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":0,"
                "\"tid\":%u,\"args\":{\"name\":\"pCPU %u\"}}",
                p, p);
    }
    fputs("\n],\"displayTimeUnit\":\"ns\"}\n", f);
    free(c.run_start);
    free(c.run_vcpu);
    return rc ? rc : (ferror(f) ? VCPU_EIO : 0);
}
