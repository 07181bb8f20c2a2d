// SPDX-License-Identifier: GPL-3.0-or-later
/* Readers of Google cluster-data 2011: task and job events (as VMs),
 * machine events and task usage (records only). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wl_internal.h"

/* Mapping to VMs. Google cluster-data 2011 (clusterdata-2011-2):
 * comma-separated, no header (a '#' line is skipped), empty field = missing,
 * times in us.
 * task_events: a task (job ID, task index) becomes a VM arriving at its
 * SUBMIT, with ceil(CPU request x cores_per_unit) vCPUs and memory request x
 * mem_per_unit_mb, computing from SCHEDULE until its EVICT, FAIL, FINISH, KILL
 * or LOST; group = job ID. Its end is looked for at most lookahead_ns of trace
 * time ahead: a task still running then (or at the end of the file) computes
 * until the end of the run. A task that ends without being scheduled makes no
 * VM (unusable), nor does an end event whose task was submitted before the
 * file began.
 * job_events: the same for jobs, with opts.vcpus (1) vCPUs (the table has no
 * requests). machine_events and task_usage are read as records only. */

enum { EV_SUBMIT, EV_SCHEDULE, EV_UPDATE_PENDING = 7, EV_UPDATE_RUNNING };

struct gent {
    uint64_t job, submit, sched, end, line;
    int64_t idx; /* -1 for a job */
    double cpu, mem;
    bool scheduled, ended, has_cpu, has_mem;
};

/* 16 bytes, so that the table of open tasks stays small in the cache. */
struct gslot {
    uint64_t job;
    int32_t idx;    /* -1 for a job; EMPTY: a free slot */
    uint32_t seq32; /* low bits of the FIFO position of its live entry */
};

#define EMPTY INT32_MIN

struct google {
    struct gent *q; /* FIFO of seq head..tail-1, at seq & (capq - 1) */
    uint64_t head, tail;
    size_t capq;
    struct gslot *tab; /* (job, idx) -> seq of its live entry */
    size_t ntab, used;
    uint64_t last_t, now;
    bool eof, has_ev;
    struct gev_pending {
        uint64_t t, job;
        int64_t idx;
        unsigned type;
        double cpu, mem;
        bool has_cpu, has_mem;
    } ev; /* read, applied once the entries it makes expire are out */
};

/* ---- the open-task table ------------------------------------------------ */

static size_t key_hash(uint64_t job, int64_t idx, size_t mask)
{
    uint64_t h = (job * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)idx + 0x7f4a7c15);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return (size_t)(h ^ (h >> 32)) & mask;
}

/* The FIFO position of @s's entry: the live window is < 2^32 long. */
static uint64_t slot_seq(const struct google *g, const struct gslot *s)
{
    return g->tail - (uint32_t)((uint32_t)g->tail - s->seq32);
}

/* The slot of (@job, @idx), or the free slot where it would go. */
static struct gslot *tab_slot(struct google *g, uint64_t job, int64_t idx)
{
    size_t m = g->ntab - 1, i = key_hash(job, idx, m);
    while (g->tab[i].idx != EMPTY &&
           (g->tab[i].job != job || g->tab[i].idx != idx))
        i = (i + 1) & m;
    return &g->tab[i];
}

static struct gslot *tab_find(struct google *g, uint64_t job, int64_t idx)
{
    if (!g->ntab)
        return NULL;
    struct gslot *s = tab_slot(g, job, idx);
    return s->idx == EMPTY ? NULL : s;
}

static int tab_grow(struct google *g)
{
    size_t n = g->ntab ? 2 * g->ntab : 4096;
    struct gslot *t = malloc(n * sizeof *t), *old = g->tab;
    if (!t)
        return -1;
    for (size_t i = 0; i < n; i++)
        t[i].idx = EMPTY;
    for (size_t i = 0; i < g->ntab; i++) {
        if (old[i].idx == EMPTY)
            continue;
        size_t j = key_hash(old[i].job, old[i].idx, n - 1);
        while (t[j].idx != EMPTY)
            j = (j + 1) & (n - 1);
        t[j] = old[i];
    }
    free(old);
    g->tab = t;
    g->ntab = n;
    return 0;
}

static int tab_put(struct google *g, uint64_t job, int64_t idx, uint64_t seq)
{
    if ((g->used + 1) * 2 > g->ntab && tab_grow(g))
        return -1;
    struct gslot *s = tab_slot(g, job, idx);
    if (s->idx == EMPTY)
        g->used++;
    *s = (struct gslot){job, (int32_t)idx, (uint32_t)seq};
    return 0;
}

/* Linear probing deletion by backward shift (no tombstones). */
static void tab_del(struct google *g, struct gslot *s)
{
    size_t m = g->ntab - 1, i = (size_t)(s - g->tab), j = i;
    g->tab[i].idx = EMPTY;
    g->used--;
    for (;;) {
        j = (j + 1) & m;
        if (g->tab[j].idx == EMPTY)
            return;
        size_t k = key_hash(g->tab[j].job, g->tab[j].idx, m);
        bool move = i <= j ? (k <= i || k > j) : (k <= i && k > j);
        if (move) {
            g->tab[i] = g->tab[j];
            g->tab[j].idx = EMPTY;
            i = j;
        }
    }
}

static struct gent *entry(struct google *g, uint64_t seq)
{
    return &g->q[seq & (g->capq - 1)];
}

static int q_push(struct google *g, const struct gent *e)
{
    if (g->tail - g->head == g->capq) {
        size_t cap = g->capq ? 2 * g->capq : 4096;
        struct gent *q = malloc(cap * sizeof *q);
        if (!q)
            return -1;
        for (uint64_t s = g->head; s < g->tail; s++)
            q[s & (cap - 1)] = *entry(g, s);
        free(g->q);
        g->q = q;
        g->capq = cap;
    }
    *entry(g, g->tail++) = *e;
    return 0;
}

/* ---- events ------------------------------------------------------------- */

#define gev gev_pending

static void requests(struct gent *e, const struct gev *ev)
{
    if (ev->has_cpu) {
        e->cpu = ev->cpu;
        e->has_cpu = true;
    }
    if (ev->has_mem) {
        e->mem = ev->mem;
        e->has_mem = true;
    }
}

static int submit(wl_source_t *s, struct google *g, const struct gev *ev)
{
    struct gslot *sl = tab_find(g, ev->job, ev->idx);
    if (sl) { /* resubmitted without an end: the old one ends here */
        struct gent *old = entry(g, slot_seq(g, sl));
        old->ended = true;
        old->end = ev->t;
    }
    struct gent e = {
        .job = ev->job, .idx = ev->idx, .submit = ev->t, .line = s->in.lineno};
    requests(&e, ev);
    if (q_push(g, &e) || tab_put(g, ev->job, ev->idx, g->tail - 1))
        return wl__fail(s, "%s: out of memory", s->path);
    return 0;
}

static int event(wl_source_t *s, struct google *g, const struct gev *ev)
{
    if (ev->type == EV_SUBMIT)
        return submit(s, g, ev);
    struct gslot *sl = tab_find(g, ev->job, ev->idx);
    if (!sl && ev->type == EV_SCHEDULE) { /* submitted before the file */
        if (submit(s, g, ev))
            return -1;
        sl = tab_find(g, ev->job, ev->idx);
    }
    if (!sl) {
        s->st.unusable +=
            ev->type != EV_UPDATE_PENDING && ev->type != EV_UPDATE_RUNNING;
        return 0;
    }
    struct gent *e = entry(g, slot_seq(g, sl));
    requests(e, ev);
    if (ev->type == EV_SCHEDULE && !e->scheduled) {
        e->scheduled = true;
        e->sched = ev->t;
    } else if (ev->type > EV_SCHEDULE && ev->type < EV_UPDATE_PENDING) {
        e->ended = true;
        e->end = ev->t;
        tab_del(g, sl);
    }
    return 0;
}

/* ---- fields ------------------------------------------------------------- */

/* An optional number in [min, max] (whole if @whole): 0 ok, else rc. */
static int opt(wl_source_t *s, const char *f, const char *field, double min,
               double max, bool whole, double *v, bool *has)
{
    if (has)
        *has = false;
    if (!f[0])
        return 0;
    int rc = whole ? wl__f_int(s, f, field, min, max, v)
                   : wl__f_min(s, f, field, min, v);
    if (!rc && v && *v > max)
        rc = wl__bad(s, field, "%s is out of range (at most %g)", f, max);
    if (!rc && has)
        *has = true;
    return rc;
}

static int ids(wl_source_t *s, char **f, unsigned jf, int tf, struct gev *ev)
{
    double job = 0, idx = -1;
    int rc = wl__f_int(s, f[jf], "job ID", 0, 9e15, &job);
    if (!rc && tf >= 0)
        rc = wl__f_int(s, f[tf], "task index", 0, 2147483647, &idx);
    if (rc) /* the values may be out of range: do not convert them */
        return rc;
    ev->job = (uint64_t)job;
    ev->idx = (int64_t)idx;
    return 0;
}

static int task_row(wl_source_t *s, struct google *g, char *l, struct gev *ev)
{
    char *f[14];
    double x;
    int rc = wl__f_count(s, wl__split(l, ',', f, 13), 13);
    if (rc || (rc = wl__f_time(s, f[0], "timestamp", 1e3, &ev->t)) ||
        (rc = opt(s, f[1], "missing info", 0, 3, true, &x, NULL)) ||
        (rc = ids(s, f, 2, 3, ev)) ||
        (rc = opt(s, f[4], "machine ID", 0, 9e15, true, &x, NULL)) ||
        (rc = wl__f_int(s, f[5], "event type", 0, 8, &x)))
        return rc;
    ev->type = (unsigned)x;
    if ((rc = opt(s, f[7], "scheduling class", 0, 3, true, &x, NULL)) ||
        (rc = opt(s, f[8], "priority", 0, 11, true, &x, NULL)) ||
        (rc = opt(s, f[9], "CPU request", 0, 1e6, false, &ev->cpu,
                  &ev->has_cpu)) ||
        (rc = opt(s, f[10], "memory request", 0, 1e6, false, &ev->mem,
                  &ev->has_mem)) ||
        (rc = opt(s, f[11], "disk request", 0, 1e6, false, &x, NULL)) ||
        (rc = opt(s, f[12], "different-machine constraint", 0, 1, true, &x,
                  NULL)))
        return rc;
    return wl__f_mono(s, &g->last_t, ev->t, "timestamp");
}

static int job_row(wl_source_t *s, struct google *g, char *l, struct gev *ev)
{
    char *f[9];
    double x;
    int rc = wl__f_count(s, wl__split(l, ',', f, 8), 8);
    if (rc || (rc = wl__f_time(s, f[0], "timestamp", 1e3, &ev->t)) ||
        (rc = opt(s, f[1], "missing info", 0, 3, true, &x, NULL)) ||
        (rc = ids(s, f, 2, -1, ev)) ||
        (rc = wl__f_int(s, f[3], "event type", 0, 8, &x)))
        return rc;
    ev->type = (unsigned)x;
    if ((rc = opt(s, f[5], "scheduling class", 0, 3, true, &x, NULL)))
        return rc;
    return wl__f_mono(s, &g->last_t, ev->t, "timestamp");
}

/* ---- VMs ---------------------------------------------------------------- */

static bool ready(wl_source_t *s, struct google *g)
{
    if (g->head == g->tail)
        return false;
    const struct gent *e = entry(g, g->head);
    return g->eof || e->ended || g->now - e->submit > s->o.lookahead_ns;
}

static char *decimal(char *p, uint64_t v)
{
    char d[24];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while ((v /= 10));
    while (n)
        *p++ = d[--n];
    return p;
}

static void label(char *out, uint64_t job, uint64_t idx)
{
    char *p = decimal(out, job);
    *p++ = '.';
    *decimal(p, idx) = '\0';
}

/* The head of the FIFO as a VM: 1, or 0 if it makes none. */
static int make_vm(wl_source_t *s, struct google *g, struct wl_vmb *b)
{
    struct gent e = *entry(g, g->head++);
    if (!e.ended) {
        struct gslot *sl = tab_find(g, e.job, e.idx);
        if (sl && slot_seq(g, sl) == g->head - 1)
            tab_del(g, sl);
    }
    if (e.ended && !e.scheduled) {
        s->st.unusable++;
        return 0;
    }
    bool task = e.idx >= 0;
    double cores = task && e.has_cpu ? ceil(e.cpu * s->o.cores_per_unit)
                   : s->o.vcpus      ? s->o.vcpus
                                     : 1;
    wl__vmb_vcpus(s, b, cores);
    b->id = e.job;
    b->group = e.job;
    b->line = e.line;
    b->trace_ns = e.submit;
    b->memory_mb = e.has_mem ? (uint64_t)(e.mem * s->o.mem_per_unit_mb) : 0;
    if (task) /* "job.index", without snprintf's cost per task */
        label(b->label, e.job, (uint64_t)e.idx);
    if (!e.ended) { /* runs until the end of the run */
        b->loops = 0;
        b->lifetime_ns = 0;
        return wl__vmb_const(b, WL_PH_COMPUTE, 1e9) ? -1 : 1;
    }
    double run = e.end > e.sched ? (double)(e.end - e.sched) : 1;
    return wl__vmb_steady(s, b, 1, run, 0) ? -1 : 1;
}

static int g_open(wl_source_t *s)
{
    if (!(s->fs = calloc(1, sizeof(struct google))))
        return wl__fail(s, "%s: out of memory", s->path);
    return wl__open_file(s, s->path);
}

static void g_close(wl_source_t *s)
{
    struct google *g = s->fs;
    if (g) {
        free(g->q);
        free(g->tab);
        free(g);
    }
    s->fs = NULL;
}

/* Entries that end or expire by the time of the event just read go out
 * before that event is applied (a resubmission must not end them). */
static int events_next(wl_source_t *s, struct wl_vmb *b, bool tasks)
{
    struct google *g = s->fs;
    for (;;) {
        while (ready(s, g)) {
            int rc = make_vm(s, g, b);
            if (rc)
                return rc < 0 ? wl__fail(s, "%s: out of memory", s->path) : 1;
            wl__vmb_reset(b);
        }
        if (g->has_ev) {
            g->has_ev = false;
            if (event(s, g, &g->ev))
                return -1;
            continue;
        }
        if (g->eof)
            return 0;
        char *l;
        size_t len;
        int rc = wl__line(s, &l, &len);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            g->eof = true;
            continue;
        }
        if (!len || l[0] == '#')
            continue;
        g->ev = (struct gev){0};
        rc = tasks ? task_row(s, g, l, &g->ev) : job_row(s, g, l, &g->ev);
        if (rc < 0)
            return -1;
        if (rc)
            continue;
        wl__saw(s, g->ev.t);
        g->now = g->ev.t;
        g->has_ev = true;
    }
}

static int task_next(wl_source_t *s, struct wl_vmb *b)
{
    return events_next(s, b, true);
}

static int job_next(wl_source_t *s, struct wl_vmb *b)
{
    return events_next(s, b, false);
}

const struct wl_reader wl__google_task = {
    .fmt = WL_FMT_GOOGLE_TASK,
    .name = "google-task",
    .has_vms = true,
    .sorted = true,
    .open = g_open,
    .next = task_next,
    .close = g_close,
};

const struct wl_reader wl__google_job = {
    .fmt = WL_FMT_GOOGLE_JOB,
    .name = "google-job",
    .has_vms = true,
    .sorted = true,
    .open = g_open,
    .next = job_next,
    .close = g_close,
};

/* ---- records only ------------------------------------------------------- */

static int machine_row(wl_source_t *s, struct google *g, char *l)
{
    char *f[7];
    double x;
    uint64_t t;
    int rc = wl__f_count(s, wl__split(l, ',', f, 6), 6);
    if (rc || (rc = wl__f_time(s, f[0], "timestamp", 1e3, &t)) ||
        (rc = wl__f_int(s, f[1], "machine ID", 0, 9e15, &x)) ||
        (rc = wl__f_int(s, f[2], "event type", 0, 2, &x)) ||
        (rc = opt(s, f[4], "CPU capacity", 0, 1e6, false, &x, NULL)) ||
        (rc = opt(s, f[5], "memory capacity", 0, 1e6, false, &x, NULL)) ||
        (rc = wl__f_mono(s, &g->last_t, t, "timestamp")))
        return rc;
    wl__saw(s, t);
    return 0;
}

static int usage_row(wl_source_t *s, char *l)
{
    char *f[21];
    double x;
    uint64_t t0, t1;
    struct gev ev;
    int rc = wl__f_count(s, wl__split(l, ',', f, 20), 20);
    if (rc || (rc = wl__f_time(s, f[0], "start time", 1e3, &t0)) ||
        (rc = wl__f_time(s, f[1], "end time", 1e3, &t1)) ||
        (rc = ids(s, f, 2, 3, &ev)) ||
        (rc = opt(s, f[4], "machine ID", 0, 9e15, true, &x, NULL)))
        return rc;
    for (unsigned i = 5; i < 20 && !rc; i++)
        rc = opt(s, f[i], i == 5 ? "mean CPU rate" : "usage", 0, 1e15, false,
                 &x, NULL);
    if (!rc && t1 < t0)
        rc = wl__bad(s, "end time", "negative duration (ends before %s)", f[0]);
    if (!rc)
        wl__saw(s, t0);
    return rc;
}

static int records_next(wl_source_t *s, bool machines)
{
    struct google *g = s->fs;
    char *l;
    size_t len;
    int rc;
    while ((rc = wl__line(s, &l, &len)) == 1) {
        if (!len || l[0] == '#')
            continue;
        if ((machines ? machine_row(s, g, l) : usage_row(s, l)) < 0)
            return -1;
    }
    return rc;
}

static int machine_next(wl_source_t *s, struct wl_vmb *b)
{
    (void)b;
    return records_next(s, true);
}

static int usage_next(wl_source_t *s, struct wl_vmb *b)
{
    (void)b;
    return records_next(s, false);
}

const struct wl_reader wl__google_machine = {
    .fmt = WL_FMT_GOOGLE_MACHINE,
    .name = "google-machine",
    .open = g_open,
    .next = machine_next,
    .close = g_close,
};

const struct wl_reader wl__google_usage = {
    .fmt = WL_FMT_GOOGLE_USAGE,
    .name = "google-usage",
    .open = g_open,
    .next = usage_next,
    .close = g_close,
};
