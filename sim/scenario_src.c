// SPDX-License-Identifier: GPL-3.0-or-later
/* The scenario's sources: recorded traces (with a time window, a sampling
 * fraction and a time scale) and generators, as VM arrivals beside the vms
 * list. Each trace's format is detected here, so a bad path or format is a
 * scenario error at its line and column; its lines are read at run time. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario_internal.h"

/* ------------------------------------------------------------------ */
/* Shared                                                              */
/* ------------------------------------------------------------------ */

static int src_host(struct sim_scn *c, struct fy_node *map, const char *path,
                    int *out)
{
    char p[SIM_SCN_PATH];
    struct fy_node *n = sim_scn_get(map, "host");
    long long h = -1;

    sim_scn_path(p, path, "host");
    if (sim_scn_int(c, n, p, -1, INT_MAX, &h))
        return -1;
    if (h >= (long long)c->nhosts)
        return sim_scn_fail(c, n, p, "host %lld does not exist (there are %u)",
                            h, c->nhosts);
    *out = (int)h;
    return 0;
}

/* A number in (min, max] (or [min, max] if @closed). */
static int num_in(struct sim_scn *c, struct fy_node *n, const char *path,
                  double min, double max, bool closed, double *out)
{
    double v = *out;
    if (!n)
        return 0;
    if (sim_scn_double(c, n, path, &v))
        return -1;
    if (v > max || v < min || (!closed && v == min))
        return sim_scn_fail(c, n, path, "must be in %s%g, %g]",
                            closed ? "[" : "(", min, max);
    *out = v;
    return 0;
}

static void to_wl(const struct sim_dist *d, struct wl_dist *w)
{
    *w = (struct wl_dist){d->kind, d->a, d->b};
}

static int dist(struct sim_scn *c, struct fy_node *n, const char *path,
                struct wl_dist *out)
{
    struct sim_dist d;
    if (sim_scn_dist(c, n, path, &d))
        return -1;
    to_wl(&d, out);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Traces                                                              */
/* ------------------------------------------------------------------ */

static char *resolve(const struct sim_scn *c, const char *file)
{
    if (file[0] == '/' || !c->dir)
        return strdup(file);
    size_t len = strlen(c->dir) + strlen(file) + 2;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%s/%s", c->dir, file);
    return out;
}

static int trace_format(struct sim_scn *c, struct fy_node *map,
                        const char *path, struct sim_src_spec *src)
{
    static const char *const names[] = {"swf",
                                        "azure-vmtable",
                                        "azure-cpu",
                                        "google-task",
                                        "google-job",
                                        "google-machine",
                                        "google-usage",
                                        "alibaba-meta",
                                        "alibaba-usage",
                                        "bitbrains",
                                        "planetlab",
                                        "vcpu-trace",
                                        NULL};
    char p[SIM_SCN_PATH], err[600];
    struct fy_node *n = sim_scn_get(map, "format");
    enum wl_format f = WL_FMT_AUTO;

    sim_scn_path(p, path, "format");
    if (n) {
        const char *s = sim_scn_scalar(c, n, p), *near;
        int k = s ? wl_format_parse(s) : -1;
        if (!s)
            return -1;
        if (k <= 0) {
            near = sim_scn_closest(s, names);
            return near ? sim_scn_fail(c, n, p,
                                       "unknown format '%s' (did you mean "
                                       "'%s'?)",
                                       s, near)
                        : sim_scn_fail(c, n, p,
                                       "unknown format '%s' (swf, "
                                       "azure-vmtable, azure-cpu, "
                                       "google-task, google-job, "
                                       "alibaba-usage, bitbrains, "
                                       "planetlab, vcpu-trace)",
                                       s);
        }
        f = (enum wl_format)k;
    } else if (wl_detect(src->path, &f, err, sizeof err)) {
        return sim_scn_fail(c, sim_scn_get(map, "trace"),
                            sim_scn_path(p, path, "trace"), "%s", err);
    }
    if (!wl_format_has_vms(f))
        return sim_scn_fail(c, n ? n : sim_scn_get(map, "trace"), p,
                            "%s: a %s table has records but no VMs (see "
                            "vcpusim trace-info)",
                            src->path, wl_format_name(f));
    src->opts.format = f;
    return 0;
}

/* window: [start, end] or {start, end}, in trace time. */
static int trace_window(struct sim_scn *c, struct fy_node *n, const char *path,
                        struct wl_opts *o)
{
    static const char *const keys[] = {"start", "end", NULL};
    char p[SIM_SCN_PATH], q[SIM_SCN_PATH];
    struct fy_node *a, *b;
    unsigned count;

    if (!n)
        return 0;
    if (fy_node_get_type(n) == FYNT_SEQUENCE) {
        if (sim_scn_seq(c, n, path, &count))
            return -1;
        if (count != 2)
            return sim_scn_fail(c, n, path, "expected [start, end]");
        a = fy_node_sequence_get_by_index(n, 0);
        b = fy_node_sequence_get_by_index(n, 1);
        sim_scn_index(p, path, 0);
        sim_scn_index(q, path, 1);
    } else {
        if (sim_scn_map(c, n, path, keys))
            return -1;
        a = sim_scn_get(n, "start");
        b = sim_scn_get(n, "end");
        sim_scn_path(p, path, "start");
        sim_scn_path(q, path, "end");
    }
    if (sim_scn_duration(c, a, p, &o->start_ns) ||
        sim_scn_duration(c, b, q, &o->end_ns))
        return -1;
    if (b && o->end_ns <= o->start_ns)
        return sim_scn_fail(c, b, q, "must be after the start");
    return 0;
}

static int on_error(struct sim_scn *c, struct fy_node *n, const char *path,
                    bool *fatal)
{
    const char *s;
    if (!n)
        return 0;
    if (!(s = sim_scn_scalar(c, n, path)))
        return -1;
    if (strcmp(s, "skip") && strcmp(s, "fail"))
        return sim_scn_fail(c, n, path, "expected skip or fail, got '%s'", s);
    *fatal = !strcmp(s, "fail");
    return 0;
}

static int trace_numbers(struct sim_scn *c, struct fy_node *m, const char *path,
                         struct wl_opts *o)
{
    char p[SIM_SCN_PATH];
    uint64_t maxv = 0, vcpus = 0, reorder = 0, maxp = 0;

    if (num_in(c, sim_scn_get(m, "sample"), sim_scn_path(p, path, "sample"), 0,
               1, false, &o->sample) ||
        num_in(c, sim_scn_get(m, "scale"), sim_scn_path(p, path, "scale"), 0,
               1e9, false, &o->scale) ||
        sim_scn_duration(c, sim_scn_get(m, "burst"),
                         sim_scn_path(p, path, "burst"), &o->burst_ns) ||
        sim_scn_uint(c, sim_scn_get(m, "max_vcpus"),
                     sim_scn_path(p, path, "max_vcpus"), 1, SIM_SCN_MAX_VCPUS,
                     &maxv) ||
        sim_scn_uint(c, sim_scn_get(m, "vcpus"), sim_scn_path(p, path, "vcpus"),
                     1, SIM_SCN_MAX_VCPUS, &vcpus) ||
        sim_scn_uint(c, sim_scn_get(m, "reorder"),
                     sim_scn_path(p, path, "reorder"), 1, 10000000, &reorder) ||
        sim_scn_uint(c, sim_scn_get(m, "max_phases"),
                     sim_scn_path(p, path, "max_phases"), 4, 100000000,
                     &maxp) ||
        sim_scn_duration(c, sim_scn_get(m, "lookahead"),
                         sim_scn_path(p, path, "lookahead"),
                         &o->lookahead_ns) ||
        num_in(c, sim_scn_get(m, "cores_per_unit"),
               sim_scn_path(p, path, "cores_per_unit"), 0, 1e6, false,
               &o->cores_per_unit) ||
        num_in(c, sim_scn_get(m, "memory_per_unit"),
               sim_scn_path(p, path, "memory_per_unit"), 0, 1e12, false,
               &o->mem_per_unit_mb))
        return -1;
    o->max_vcpus = (unsigned)maxv;
    o->vcpus = (unsigned)vcpus;
    o->reorder = (unsigned)reorder;
    o->max_phases = (unsigned)maxp;
    return 0;
}

static int trace_entry(struct sim_scn *c, struct fy_node *m, const char *path,
                       struct sim_src_spec *src)
{
    static const char *const keys[] = {
        "trace",           "format",     "window",    "sample",
        "scale",           "burst",      "max_vcpus", "vcpus",
        "on_error",        "name",       "host",      "seed",
        "reorder",         "max_phases", "lookahead", "cores_per_unit",
        "memory_per_unit", "count",      "memory",    NULL};
    char p[SIM_SCN_PATH];
    struct fy_node *t = sim_scn_get(m, "trace"), *seed;
    const char *file;

    src->kind = SIM_SRC_TRACE;
    src->opts.abi = WL_ABI;
    sim_scn_path(p, path, "trace");
    if (sim_scn_map(c, m, path, keys) || !(file = sim_scn_scalar(c, t, p)))
        return -1;
    if (!(src->path = resolve(c, file)))
        return sim_scn_fail(c, t, p, "out of memory");
    if (access(src->path, R_OK) != 0)
        return sim_scn_fail(c, t, p, "cannot read '%s': %s", src->path,
                            strerror(errno));
    if (trace_format(c, m, path, src) ||
        trace_window(c, sim_scn_get(m, "window"),
                     sim_scn_path(p, path, "window"), &src->opts) ||
        trace_numbers(c, m, path, &src->opts) ||
        on_error(c, sim_scn_get(m, "on_error"),
                 sim_scn_path(p, path, "on_error"), &src->opts.fatal) ||
        sim_scn_uint(c, (seed = sim_scn_get(m, "seed")),
                     sim_scn_path(p, path, "seed"), 0, UINT64_MAX,
                     &src->opts.seed))
        return -1;
    src->seeded = seed != NULL;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Generators                                                          */
/* ------------------------------------------------------------------ */

/* rate: a number, or [r0, r1] for mmpp; dwell: [d0, d1] for mmpp. */
static int gen_rates(struct sim_scn *c, struct fy_node *m, const char *path,
                     struct wl_arrivals *a)
{
    char p[SIM_SCN_PATH], q[SIM_SCN_PATH];
    struct fy_node *r, *d;
    unsigned n = 0;
    bool mmpp = a->kind == WL_ARR_MMPP;

    if (sim_scn_need(c, m, path, "rate", &r))
        return -1;
    sim_scn_path(p, path, "rate");
    if (!mmpp)
        return num_in(c, r, p, 0, 1e12, false, &a->rate_per_s[0]);
    if (sim_scn_seq(c, r, p, &n) || n != 2)
        return n != 2 ? sim_scn_fail(c, r, p, "expected [rate0, rate1]") : -1;
    for (unsigned i = 0; i < 2; i++)
        if (num_in(c, fy_node_sequence_get_by_index(r, (int)i),
                   sim_scn_index(q, p, i), 0, 1e12, true, &a->rate_per_s[i]))
            return -1;
    if (sim_scn_need(c, m, path, "dwell", &d) ||
        sim_scn_seq(c, d, sim_scn_path(p, path, "dwell"), &n))
        return -1;
    if (n != 2)
        return sim_scn_fail(c, d, p, "expected [time in state 0, state 1]");
    for (unsigned i = 0; i < 2; i++) {
        struct fy_node *e = fy_node_sequence_get_by_index(d, (int)i);
        if (sim_scn_duration(c, e, sim_scn_index(q, p, i), &a->dwell_ns[i]))
            return -1;
        if (!a->dwell_ns[i])
            return sim_scn_fail(c, e, q, "must be more than 0");
    }
    return 0;
}

static int gen_arrivals(struct sim_scn *c, struct fy_node *m, const char *path,
                        struct wl_gen *g)
{
    char p[SIM_SCN_PATH];
    struct fy_node *k = sim_scn_get(m, "generator"), *n;
    const char *s = sim_scn_scalar(c, k, sim_scn_path(p, path, "generator"));

    if (!s)
        return -1;
    if (!strcmp(s, "poisson"))
        g->arrivals.kind = WL_ARR_POISSON;
    else if (!strcmp(s, "mmpp"))
        g->arrivals.kind = WL_ARR_MMPP;
    else if (!strcmp(s, "diurnal"))
        g->arrivals.kind = WL_ARR_DIURNAL;
    else
        return sim_scn_fail(
            c, k, p, "unknown generator '%s' (poisson, mmpp, diurnal)", s);
    if (gen_rates(c, m, path, &g->arrivals))
        return -1;
    bool diurnal = g->arrivals.kind == WL_ARR_DIURNAL;
    g->arrivals.amplitude = 0.5;
    g->arrivals.period_ns = 86400000000000ull;
    if ((n = sim_scn_get(m, "amplitude")) && !diurnal)
        return sim_scn_fail(c, n, sim_scn_path(p, path, "amplitude"),
                            "only for the diurnal generator");
    return num_in(c, n, sim_scn_path(p, path, "amplitude"), 0, 1, true,
                  &g->arrivals.amplitude) ||
           sim_scn_duration(c, sim_scn_get(m, "period"),
                            sim_scn_path(p, path, "period"),
                            &g->arrivals.period_ns) ||
           sim_scn_duration(c, sim_scn_get(m, "phase"),
                            sim_scn_path(p, path, "phase"),
                            &g->arrivals.phase_ns);
}

static int size_row(struct sim_scn *c, struct fy_node *n, const char *path,
                    struct wl_size *z)
{
    static const char *const keys[] = {"vcpus", "memory", "p", NULL};
    char p[SIM_SCN_PATH];
    struct fy_node *v;
    uint64_t vcpus = 1, mem = 0;

    z->p = 1;
    if (sim_scn_map(c, n, path, keys) ||
        sim_scn_need(c, n, path, "vcpus", &v) ||
        sim_scn_uint(c, v, sim_scn_path(p, path, "vcpus"), 1, SIM_SCN_MAX_VCPUS,
                     &vcpus) ||
        sim_scn_uint(c, sim_scn_get(n, "memory"),
                     sim_scn_path(p, path, "memory"), 0, UINT64_MAX / 2,
                     &mem) ||
        num_in(c, sim_scn_get(n, "p"), sim_scn_path(p, path, "p"), 0, 1e12,
               false, &z->p))
        return -1;
    z->vcpus = (unsigned)vcpus;
    z->memory_mb = mem;
    return 0;
}

static int gen_sizes(struct sim_scn *c, struct fy_node *n, const char *path,
                     struct sim_src_spec *src)
{
    char p[SIM_SCN_PATH];
    unsigned count;

    if (!n)
        return 0;
    if (sim_scn_seq(c, n, path, &count))
        return -1;
    if (!count || count > 4096)
        return sim_scn_fail(c, n, path, "must list 1..4096 sizes");
    if (!(src->sizes = calloc(count, sizeof *src->sizes)))
        return sim_scn_fail(c, n, path, "out of memory");
    for (unsigned i = 0; i < count; i++)
        if (size_row(c, fy_node_sequence_get_by_index(n, (int)i),
                     sim_scn_index(p, path, i), &src->sizes[i]))
            return -1;
    src->gen.sizes = src->sizes;
    src->gen.nsizes = count;
    return 0;
}

/* util: a number or [min, max], with burst and exp. */
static int demand_util(struct sim_scn *c, struct fy_node *m, const char *path,
                       struct wl_demand *d)
{
    char p[SIM_SCN_PATH], q[SIM_SCN_PATH];
    struct fy_node *u = sim_scn_get(m, "util");
    unsigned n;

    d->kind = WL_DEM_UTIL;
    d->util_min = d->util_max = 1;
    d->burst_ns = 10000000;
    sim_scn_path(p, path, "util");
    if (u && fy_node_get_type(u) == FYNT_SEQUENCE) {
        if (sim_scn_seq(c, u, p, &n))
            return -1;
        if (n != 2)
            return sim_scn_fail(c, u, p, "expected [min, max]");
        if (num_in(c, fy_node_sequence_get_by_index(u, 0),
                   sim_scn_index(q, p, 0), 0, 1, true, &d->util_min) ||
            num_in(c, fy_node_sequence_get_by_index(u, 1),
                   sim_scn_index(q, p, 1), d->util_min, 1, true, &d->util_max))
            return -1;
    } else if (num_in(c, u, p, 0, 1, true, &d->util_min)) {
        return -1;
    } else {
        d->util_max = d->util_min;
    }
    if (sim_scn_duration(c, sim_scn_get(m, "burst"),
                         sim_scn_path(p, path, "burst"), &d->burst_ns) ||
        sim_scn_bool(c, sim_scn_get(m, "exp"), sim_scn_path(p, path, "exp"),
                     &d->exp_bursts))
        return -1;
    if (!d->burst_ns)
        return sim_scn_fail(c, sim_scn_get(m, "burst"), p,
                            "must be more than 0");
    return 0;
}

static int demand_bsp(struct sim_scn *c, struct fy_node *m, const char *path,
                      struct wl_demand *d)
{
    static const char *const keys[] = {"work", "comm", NULL};
    char p[SIM_SCN_PATH];
    struct fy_node *w, *cm;

    d->kind = WL_DEM_BSP;
    if (sim_scn_map(c, m, path, keys) || sim_scn_need(c, m, path, "work", &w) ||
        dist(c, w, sim_scn_path(p, path, "work"), &d->work))
        return -1;
    return (cm = sim_scn_get(m, "comm")) &&
           dist(c, cm, sim_scn_path(p, path, "comm"), &d->comm);
}

static int demand_lock(struct sim_scn *c, struct fy_node *m, const char *path,
                       struct wl_demand *d)
{
    static const char *const keys[] = {"work", "hold", "locks", NULL};
    char p[SIM_SCN_PATH];
    struct fy_node *w, *h;
    uint64_t locks = 1;

    d->kind = WL_DEM_LOCK;
    if (sim_scn_map(c, m, path, keys) || sim_scn_need(c, m, path, "work", &w) ||
        dist(c, w, sim_scn_path(p, path, "work"), &d->work) ||
        sim_scn_need(c, m, path, "hold", &h) ||
        dist(c, h, sim_scn_path(p, path, "hold"), &d->hold) ||
        sim_scn_uint(c, sim_scn_get(m, "locks"), sim_scn_path(p, path, "locks"),
                     1, SIM_MAX_LOCKS, &locks))
        return -1;
    d->nlocks = (unsigned)locks;
    return 0;
}

static int gen_demand(struct sim_scn *c, struct fy_node *n, const char *path,
                      struct wl_demand *d)
{
    static const char *const keys[] = {"util", "burst", "exp",
                                       "bsp",  "lock",  NULL};
    char p[SIM_SCN_PATH];
    struct fy_node *b, *l;

    d->kind = WL_DEM_UTIL;
    d->util_min = d->util_max = 1;
    d->burst_ns = 10000000;
    if (!n)
        return 0;
    if (sim_scn_map(c, n, path, keys))
        return -1;
    b = sim_scn_get(n, "bsp");
    l = sim_scn_get(n, "lock");
    if ((b || l) && fy_node_mapping_item_count(n) != 1)
        return sim_scn_fail(c, n, path,
                            "bsp and lock each stand alone (no util, burst, "
                            "exp beside them)");
    if (b)
        return demand_bsp(c, b, sim_scn_path(p, path, "bsp"), d);
    if (l)
        return demand_lock(c, l, sim_scn_path(p, path, "lock"), d);
    return demand_util(c, n, path, d);
}

static int gen_entry(struct sim_scn *c, struct fy_node *m, const char *path,
                     unsigned i, struct sim_src_spec *src)
{
    static const char *const keys[] = {
        "generator", "rate",  "dwell", "amplitude", "period", "phase",
        "start",     "until", "limit", "seed",      "sizes",  "lifetime",
        "demand",    "name",  "host",  "count",     NULL};
    char p[SIM_SCN_PATH], err[256];
    struct wl_gen *g = &src->gen;
    struct fy_node *life, *seed;
    wl_source_t *probe;

    src->kind = SIM_SRC_GEN;
    g->abi = WL_ABI;
    g->until_ns = c->s->duration_ns;
    if (sim_scn_map(c, m, path, keys) || gen_arrivals(c, m, path, g) ||
        sim_scn_duration(c, sim_scn_get(m, "start"),
                         sim_scn_path(p, path, "start"), &g->start_ns) ||
        sim_scn_duration(c, sim_scn_get(m, "until"),
                         sim_scn_path(p, path, "until"), &g->until_ns) ||
        sim_scn_uint(c, sim_scn_get(m, "limit"), sim_scn_path(p, path, "limit"),
                     0, UINT64_MAX, &g->limit) ||
        sim_scn_uint(c, (seed = sim_scn_get(m, "seed")),
                     sim_scn_path(p, path, "seed"), 0, UINT64_MAX, &g->seed) ||
        gen_sizes(c, sim_scn_get(m, "sizes"), sim_scn_path(p, path, "sizes"),
                  src) ||
        sim_scn_need(c, m, path, "lifetime", &life) ||
        dist(c, life, sim_scn_path(p, path, "lifetime"), &g->lifetime) ||
        gen_demand(c, sim_scn_get(m, "demand"), sim_scn_path(p, path, "demand"),
                   &g->demand))
        return -1;
    src->seeded = seed != NULL;
    if (!src->name) {
        char def[32];
        snprintf(def, sizeof def, "gen%u", i);
        if (!(src->name = strdup(def)))
            return sim_scn_fail(c, m, path, "out of memory");
    }
    if (wl_gen_open(g, &probe, err, sizeof err))
        return sim_scn_fail(c, m, path, "%s", err);
    wl_close(probe);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The list                                                            */
/* ------------------------------------------------------------------ */

static int src_entry(struct sim_scn *c, struct fy_node *n, const char *path,
                     unsigned i)
{
    struct sim_src_spec *src = &c->s->sources[i];
    char p[SIM_SCN_PATH];
    uint64_t count = 1;
    bool t, g;

    src->line = sim_scn_line(n);
    src->host = -1;
    if (sim_scn_map(c, n, path, NULL))
        return -1;
    t = sim_scn_get(n, "trace") != NULL;
    g = sim_scn_get(n, "generator") != NULL;
    if (t == g)
        return sim_scn_fail(c, n, path,
                            t ? "either trace or generator, not both"
                              : "needs a trace: (file or folder) or a "
                                "generator: (poisson, mmpp, diurnal)");
    if (sim_scn_name(c, sim_scn_get(n, "name"), sim_scn_path(p, path, "name"),
                     &src->name) ||
        src_host(c, n, path, &src->host) ||
        sim_scn_uint(c, sim_scn_get(n, "count"), sim_scn_path(p, path, "count"),
                     1, SIM_SCN_MAX_COUNT, &count) ||
        sim_scn_size_mb(c, sim_scn_get(n, "memory"),
                        sim_scn_path(p, path, "memory"), &src->mem_mb))
        return -1;
    src->count = (unsigned)count;
    return t ? trace_entry(c, n, path, src) : gen_entry(c, n, path, i, src);
}

int sim_scn_sources(struct sim_scn *c, struct fy_node *n)
{
    struct sim_scenario *s = c->s;
    char p[SIM_SCN_PATH];
    unsigned count;

    if (sim_scn_seq(c, n, "sources", &count))
        return -1;
    if (!count)
        return sim_scn_fail(c, n, "sources", "must list at least one source");
    if (!(s->sources = calloc(count, sizeof *s->sources)))
        return sim_scn_fail(c, n, "sources", "out of memory");
    for (unsigned i = 0; i < count; i++) {
        s->nsources = i + 1;
        if (src_entry(c, fy_node_sequence_get_by_index(n, (int)i),
                      sim_scn_index(p, "sources", i), i))
            return -1;
    }
    return 0;
}
