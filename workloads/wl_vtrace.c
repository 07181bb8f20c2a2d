// SPDX-License-Identifier: GPL-3.0-or-later
/* Reader of the libvcpu trace CSV, so that a runtime or simulator run
 * can be replayed. */
#include <stdlib.h>
#include <string.h>

#include <vcpu/trace.h>

#include "wl_internal.h"

/* Mapping to VMs. The libvcpu trace CSV (time_ns,event,pcpu,vcpu,vm,arg;
 * vcpu/trace.h), read with vcpu_trace_parse so that a runtime or simulator run
 * can be replayed. The simulator gives every vCPU of a VM one program, but
 * traced vCPUs differ, so each traced vCPU becomes a VM of one vCPU, group =
 * its VM's id + 1, arriving at its first event: it computes for the RUN time
 * it got between wake-ups and blocks for each BLOCK..WAKE gap (time spent
 * runnable but waiting is the scheduler's doing and is not replayed). Programs
 * are known only at the end of the file, so this reader holds 16 B per burst
 * until then; a program past max_phases merges consecutive bursts. */

struct burst {
    double compute, block;
};

struct tvcpu {
    uint64_t key, first, run_start, block_start, line;
    double acc; /* RUN time since the last block */
    struct burst *b;
    size_t n, cap;
    bool running, blocked;
};

struct vtrace {
    struct tvcpu *v;
    size_t nv, capv;
    size_t *slots; /* open addressing: index + 1 */
    size_t nslots;
    uint64_t last_t, end_t;
    size_t *order, emitted;
    bool read_all;
};

static size_t mix(uint64_t k, size_t mask)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    return (size_t)(k ^ (k >> 33)) & mask;
}

static int rehash(struct vtrace *t)
{
    size_t n = t->nslots ? 2 * t->nslots : 256;
    size_t *sl = calloc(n, sizeof *sl);
    if (!sl)
        return -1;
    for (size_t i = 0; i < t->nv; i++) {
        size_t h = mix(t->v[i].key, n - 1);
        while (sl[h])
            h = (h + 1) & (n - 1);
        sl[h] = i + 1;
    }
    free(t->slots);
    t->slots = sl;
    t->nslots = n;
    return 0;
}

static struct tvcpu *vcpu_of(struct vtrace *t, uint64_t key, uint64_t now,
                             uint64_t line)
{
    if ((t->nv + 1) * 2 > t->nslots && rehash(t))
        return NULL;
    size_t h = mix(key, t->nslots - 1);
    for (; t->slots[h]; h = (h + 1) & (t->nslots - 1))
        if (t->v[t->slots[h] - 1].key == key)
            return &t->v[t->slots[h] - 1];
    if (t->nv == t->capv) {
        size_t cap = t->capv ? 2 * t->capv : 64;
        struct tvcpu *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return NULL;
        t->v = v;
        t->capv = cap;
    }
    struct tvcpu *v = &t->v[t->nv];
    *v = (struct tvcpu){.key = key, .first = now, .line = line};
    t->slots[h] = ++t->nv;
    return v;
}

static int push(struct tvcpu *v, double compute, double block)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        struct burst *b = realloc(v->b, cap * sizeof *b);
        if (!b)
            return -1;
        v->b = b;
        v->cap = cap;
    }
    v->b[v->n++] = (struct burst){compute, block};
    return 0;
}

static void stop(struct tvcpu *v, uint64_t now)
{
    if (v->running && now > v->run_start)
        v->acc += (double)(now - v->run_start);
    v->running = false;
}

/* One event of vCPU @v at @now. 0 or -1 (memory). */
static int step(struct tvcpu *v, unsigned ev, uint64_t now)
{
    switch (ev) {
    case VCPU_TRACE_RUN:
        v->running = true;
        v->run_start = now;
        return 0;
    case VCPU_TRACE_STOP:
    case VCPU_TRACE_SUSPEND:
        stop(v, now);
        return 0;
    case VCPU_TRACE_BLOCK:
        stop(v, now);
        v->blocked = true;
        v->block_start = now;
        return 0;
    case VCPU_TRACE_WAKE:
        if (!v->blocked)
            return 0;
        v->blocked = false;
        v->acc = v->acc > 0 ? v->acc : 0;
        if (push(v, v->acc, (double)(now - v->block_start)))
            return -1;
        v->acc = 0;
        return 0;
    case VCPU_TRACE_EXIT:
        stop(v, now);
        return 0;
    default:
        return 0;
    }
}

/* Which field of a line vcpu_trace_parse refused. */
static int why(wl_source_t *s, const char *line)
{
    char copy[512], *f[7];
    snprintf(copy, sizeof copy, "%s", line);
    unsigned n = wl__split(copy, ',', f, 6);
    static const char *const names[6] = {"time_ns", "event", "pcpu",
                                         "vcpu",    "vm",    "arg"};
    double v;
    if (n != 6)
        return wl__f_count(s, n, 6);
    if (vcpu_trace_event_parse(f[1]) < 0)
        return wl__bad(s, "event", "unknown event '%.32s'", f[1]);
    for (unsigned i = 0; i < 6; i++) {
        if (i == 1)
            continue;
        int rc = wl__f_num(s, f[i], names[i], &v);
        if (rc)
            return rc;
        if (i == 0 && v < 0)
            return wl__bad(s, names[i], "negative (%s)", f[i]);
        if (i == 0 && v > 9.2e18)
            return wl__bad(s, names[i], "%s is out of range (past 2^63)", f[i]);
        if (i >= 2 && i <= 4 && (v < -1 || v > 4294967294.0))
            return wl__bad(s, names[i], "%s is out of range", f[i]);
    }
    return wl__bad(s, "record", "out of range or not whole numbers");
}

static int row(wl_source_t *s, struct vtrace *t, const char *l)
{
    struct vcpu_trace_rec r;
    if (vcpu_trace_parse(l, &r))
        return why(s, l);
    if (r.time_ns > 9200000000000000000ull)
        return wl__bad(s, "time_ns", "%llu is out of range (past 2^63)",
                       (unsigned long long)r.time_ns);
    int rc = wl__f_mono(s, &t->last_t, r.time_ns, "time_ns");
    if (rc)
        return rc;
    wl__saw(s, r.time_ns);
    t->end_t = r.time_ns;
    if (r.vcpu == VCPU_NONE || r.vm == VCPU_NONE)
        return 0;
    uint64_t key = (uint64_t)r.vm << 32 | r.vcpu;
    struct tvcpu *v = vcpu_of(t, key, r.time_ns, s->in.lineno);
    if (!v || step(v, r.event, r.time_ns))
        return wl__fail(s, "%s: out of memory", s->path);
    return 0;
}

static int read_all(wl_source_t *s, struct vtrace *t)
{
    char *l;
    size_t len;
    int rc;
    while ((rc = wl__line(s, &l, &len)) == 1) {
        if (!len || (s->in.lineno == 1 && !strncmp(l, "time_ns,", 8)))
            continue;
        if (row(s, t, l) < 0)
            return -1;
    }
    return rc;
}

static int by_first(const void *a, const void *b, void *arg)
{
    const struct tvcpu *v = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (v[i].first != v[j].first)
        return v[i].first < v[j].first ? -1 : 1;
    return i < j ? -1 : 1;
}

static int vt_open(wl_source_t *s)
{
    if (!(s->fs = calloc(1, sizeof(struct vtrace))))
        return wl__fail(s, "%s: out of memory", s->path);
    return wl__open_file(s, s->path);
}

static void vt_close(wl_source_t *s)
{
    struct vtrace *t = s->fs;
    if (!t)
        return;
    for (size_t i = 0; i < t->nv; i++)
        free(t->v[i].b);
    free(t->v);
    free(t->slots);
    free(t->order);
    free(t);
    s->fs = NULL;
}

/* The bursts of @v, @k at a time merged into one compute/block pair. */
static int program(wl_source_t *s, struct tvcpu *v, struct wl_vmb *b)
{
    unsigned maxp = s->o.max_phases < 4 ? 4 : s->o.max_phases;
    size_t k = (2 * v->n + maxp - 1) / maxp;
    k = k ? k : 1;
    if (k > 1)
        s->st.coarsened++;
    double life = 0;
    for (size_t i = 0; i < v->n; i += k) {
        double c = 0, bl = 0;
        for (size_t j = i; j < i + k && j < v->n; j++) {
            c += v->b[j].compute;
            bl += v->b[j].block;
        }
        life += c + bl;
        if (wl__vmb_const(b, WL_PH_COMPUTE, c) ||
            wl__vmb_const(b, WL_PH_BLOCK, bl))
            return -1;
    }
    b->lifetime_ns = (uint64_t)life;
    return b->nph ? 0 : wl__vmb_const(b, WL_PH_COMPUTE, 1);
}

static int emit(wl_source_t *s, struct vtrace *t, struct wl_vmb *b)
{
    struct tvcpu *v = &t->v[t->order[t->emitted++]];
    stop(v, t->end_t);
    if ((v->acc > 0 || !v->n) && push(v, v->acc, 0))
        return wl__fail(s, "%s: out of memory", s->path);
    uint32_t vm = (uint32_t)(v->key >> 32), vc = (uint32_t)v->key;
    snprintf(b->label, sizeof b->label, "vm%u.v%u", vm, vc);
    b->id = v->key;
    b->group = (uint64_t)vm + 1;
    b->trace_ns = v->first;
    b->line = v->line;
    b->vcpus = 1;
    int rc = program(s, v, b);
    free(v->b);
    v->b = NULL;
    return rc ? wl__fail(s, "%s: out of memory", s->path) : 1;
}

static int vt_next(wl_source_t *s, struct wl_vmb *b)
{
    struct vtrace *t = s->fs;
    if (!t->read_all) {
        if (read_all(s, t) < 0)
            return -1;
        t->read_all = true;
        if (t->nv && !(t->order = malloc(t->nv * sizeof *t->order)))
            return wl__fail(s, "%s: out of memory", s->path);
        for (size_t i = 0; i < t->nv; i++)
            t->order[i] = i;
        if (t->nv)
            qsort_r(t->order, t->nv, sizeof *t->order, by_first, t->v);
    }
    return t->emitted < t->nv ? emit(s, t, b) : 0;
}

const struct wl_reader wl__vtrace = {
    .fmt = WL_FMT_VTRACE,
    .name = "vcpu-trace",
    .has_vms = true,
    .sorted = true,
    .open = vt_open,
    .next = vt_next,
    .close = vt_close,
};
