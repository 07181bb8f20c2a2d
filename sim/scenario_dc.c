// SPDX-License-Identifier: GPL-3.0-or-later
/* The scenario's datacenter tier: the datacenter: section, and the fields
 * of hosts (memory, speed, power) and VMs (memory, tasks, sharing, group)
 * that only the datacenter tier reads. docs/datacenter.md has the
 * meaning of each field. */
#include <ctype.h>
#include <inttypes.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scenario_internal.h"

/* ---- units --------------------------------------------------------------- */

struct unit {
    const char *name;
    double mul;
};

/* "<number><unit>" with one of @units (case-insensitive); a bare number
 * takes the first unit's multiplier. */
static int with_unit(struct sim_scn *c, struct fy_node *n, const char *path,
                     const struct unit *units, const char *what, double *out)
{
    const char *s = sim_scn_scalar(c, n, path);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v) || v < 0)
        return sim_scn_fail(c, n, path, "expected %s, got '%s'", what, s);
    while (isspace((unsigned char)*end))
        end++;
    if (!*end) {
        *out = v * units[0].mul;
        return 0;
    }
    for (const struct unit *u = units; u->name; u++)
        if (!strcasecmp(end, u->name)) {
            *out = v * u->mul;
            return 0;
        }
    return sim_scn_fail(c, n, path, "unknown unit '%s' in '%s' (expected %s)",
                        end, s, what);
}

/* Memory in MB: "512", "512MB", "16GB", "2GiB", "1TB". */
int sim_scn_size_mb(struct sim_scn *c, struct fy_node *n, const char *path,
                    uint64_t *out)
{
    static const struct unit units[] = {
        {"MB", 1},         {"M", 1},      {"MiB", 1},          {"GB", 1024},
        {"G", 1024},       {"GiB", 1024}, {"TB", 1024 * 1024}, {"TiB", 1048576},
        {"KB", 1. / 1024}, {NULL, 0},
    };
    double v;
    if (!n)
        return 0;
    if (with_unit(c, n, path, units, "a memory size such as 2GB or 512MB", &v))
        return -1;
    if (v > 1e12)
        return sim_scn_fail(c, n, path, "too large");
    *out = (uint64_t)llround(v);
    return 0;
}

/* Bandwidth in bit/s: "1Gbit/s", "10Gbps", "100Mbit", "125MB/s". */
static int bandwidth(struct sim_scn *c, struct fy_node *n, const char *path,
                     uint64_t *out)
{
    static const struct unit units[] = {
        {"bit/s", 1},    {"bps", 1},    {"kbit/s", 1e3}, {"kbps", 1e3},
        {"Mbit/s", 1e6}, {"Mbps", 1e6}, {"Mbit", 1e6},   {"Gbit/s", 1e9},
        {"Gbps", 1e9},   {"Gbit", 1e9}, {"MB/s", 8e6},   {"GB/s", 8e9},
        {NULL, 0},
    };
    double v;
    if (!n)
        return 0;
    if (with_unit(c, n, path, units, "a bandwidth such as 1Gbit/s", &v))
        return -1;
    if (v < 1 || v > 1e15)
        return sim_scn_fail(c, n, path, "must be from 1 bit/s to 1 Pbit/s");
    *out = (uint64_t)llround(v);
    return 0;
}

/* A write rate in bytes/s: "100MB/s", "1GB/s", "512KB/s". */
static int byte_rate(struct sim_scn *c, struct fy_node *n, const char *path,
                     uint64_t *out)
{
    static const struct unit units[] = {
        {"B/s", 1},           {"KB/s", 1024},     {"MB/s", 1048576},
        {"GB/s", 1073741824}, {"Mbit/s", 125000}, {NULL, 0},
    };
    double v;
    if (!n)
        return 0;
    if (with_unit(c, n, path, units, "a write rate such as 100MB/s", &v))
        return -1;
    *out = (uint64_t)llround(v);
    return 0;
}

/* A fraction: "0.8" or "80%", into thousandths within [lo, hi]. */
static int milli(struct sim_scn *c, struct fy_node *n, const char *path,
                 double lo, double hi, uint32_t *out)
{
    static const struct unit units[] = {{"", 1}, {"%", 0.01}, {NULL, 0}};
    double v;
    if (!n)
        return 0;
    if (with_unit(c, n, path, units, "a number or a percentage", &v))
        return -1;
    if (v < lo || v > hi)
        return sim_scn_fail(c, n, path, "must be from %g to %g", lo, hi);
    *out = (uint32_t)llround(v * 1000);
    return 0;
}

static int watts(struct sim_scn *c, struct fy_node *n, const char *path,
                 double *out)
{
    static const struct unit units[] = {{"W", 1}, {"kW", 1000}, {NULL, 0}};
    if (with_unit(c, n, path, units, "a power such as 86W", out))
        return -1;
    if (*out > 1e7)
        return sim_scn_fail(c, n, path, "more than 10 MW for one host");
    return 0;
}

/* power: {idle: 86W, peak: 117W}, or [P0, P10, ..., P100] (11 values). */
int sim_scn_power(struct sim_scn *c, struct fy_node *n, const char *path,
                  struct sim_power *out)
{
    static const char *const keys[] = {"idle", "peak", NULL};
    char p[SIM_SCN_PATH];
    struct fy_node *a, *b;
    unsigned count;

    if (!n)
        return 0;
    out->set = true;
    if (fy_node_get_type(n) == FYNT_SEQUENCE) {
        if (sim_scn_seq(c, n, path, &count))
            return -1;
        if (count != 11)
            return sim_scn_fail(c, n, path,
                                "a power table has 11 values (0%%, 10%%, ..., "
                                "100%% utilisation), not %u",
                                count);
        out->table = true;
        for (unsigned i = 0; i < 11; i++) {
            struct fy_node *e = fy_node_sequence_get_by_index(n, (int)i);
            if (watts(c, e, sim_scn_index(p, path, i), &out->table_w[i]))
                return -1;
            if (i && out->table_w[i] < out->table_w[i - 1])
                return sim_scn_fail(c, e, p,
                                    "power must not fall as utilisation "
                                    "rises (%g W after %g W)",
                                    out->table_w[i], out->table_w[i - 1]);
        }
        return 0;
    }
    if (sim_scn_map(c, n, path, keys) || sim_scn_need(c, n, path, "idle", &a) ||
        watts(c, a, sim_scn_path(p, path, "idle"), &out->idle_w) ||
        sim_scn_need(c, n, path, "peak", &b) ||
        watts(c, b, sim_scn_path(p, path, "peak"), &out->peak_w))
        return -1;
    if (out->peak_w < out->idle_w)
        return sim_scn_fail(c, b, p, "peak (%g W) is below idle (%g W)",
                            out->peak_w, out->idle_w);
    return 0;
}

/* ---- hosts and VMs ----------------------------------------------------------- */

int sim_scn_host_dc(struct sim_scn *c, struct fy_node *n, const char *path,
                    struct sim_host_spec *h)
{
    char p[SIM_SCN_PATH];
    uint32_t speed = 1000;

    h->speed = 1000;
    if (sim_scn_size_mb(c, sim_scn_get(n, "memory"),
                        sim_scn_path(p, path, "memory"), &h->mem_mb) ||
        milli(c, sim_scn_get(n, "speed"), sim_scn_path(p, path, "speed"), 0.001,
              1000, &speed) ||
        sim_scn_power(c, sim_scn_get(n, "power"),
                      sim_scn_path(p, path, "power"), &h->power))
        return -1;
    h->speed = speed;
    return 0;
}

/* One of @names (NULL-terminated) into *@out (its index); absent: as is. */
static int choice(struct sim_scn *c, struct fy_node *n, const char *path,
                  const char *const *names, unsigned *out)
{
    if (!n)
        return 0;
    const char *s = sim_scn_scalar(c, n, path);
    if (!s)
        return -1;
    char list[128] = "";
    for (unsigned i = 0; names[i]; i++) {
        if (!strcmp(s, names[i])) {
            *out = i;
            return 0;
        }
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? (names[i + 1] ? ", " : " or ") : "", names[i]);
    }
    return sim_scn_fail(c, n, path, "'%s' is not %s", s, list);
}

static int sharing(struct sim_scn *c, struct fy_node *n, const char *path,
                   unsigned *out)
{
    static const char *const names[] = {"time", "space", NULL};
    unsigned i = 0;
    if (!n || choice(c, n, path, names, &i))
        return n ? -1 : 0;
    *out = i + SIM_SHARE_TIME;
    return 0;
}

static int task_entry(struct sim_scn *c, struct fy_node *n, const char *path,
                      struct sim_task_spec *t)
{
    static const char *const keys[] = {"count", "work", NULL};
    char p[SIM_SCN_PATH];
    struct fy_node *w;
    uint64_t count = 1;

    if (sim_scn_map(c, n, path, keys) ||
        sim_scn_uint(c, sim_scn_get(n, "count"), sim_scn_path(p, path, "count"),
                     1, 1u << 20, &count) ||
        sim_scn_need(c, n, path, "work", &w) ||
        sim_scn_dist(c, w, sim_scn_path(p, path, "work"), &t->work))
        return -1;
    t->count = (unsigned)count;
    return 0;
}

/* dirty: {wws: 64MB, wws_rate: 200MB/s, background: 1MB/s} */
static int dirty(struct sim_scn *c, struct fy_node *n, const char *path,
                 struct sim_vm_spec *v)
{
    static const char *const keys[] = {"wws", "wws_rate", "background", NULL};
    char p[SIM_SCN_PATH];
    if (!n)
        return 0;
    if (sim_scn_map(c, n, path, keys) ||
        sim_scn_size_mb(c, sim_scn_get(n, "wws"), sim_scn_path(p, path, "wws"),
                        &v->wws_mb) ||
        byte_rate(c, sim_scn_get(n, "wws_rate"),
                  sim_scn_path(p, path, "wws_rate"), &v->wws_rate_Bps) ||
        byte_rate(c, sim_scn_get(n, "background"),
                  sim_scn_path(p, path, "background"), &v->bg_rate_Bps))
        return -1;
    if (v->mem_mb && v->wws_mb > v->mem_mb)
        return sim_scn_fail(
            c, sim_scn_get(n, "wws"), sim_scn_path(p, path, "wws"),
            "the writable working set (%" PRIu64
            " MB) is larger than the VM's memory (%" PRIu64 " MB)",
            v->wws_mb, v->mem_mb);
    return 0;
}

/* tasks: [{count: 4, work: 10s}, ...] */
int sim_scn_vm_dc(struct sim_scn *c, struct fy_node *n, const char *path,
                  struct sim_vm_spec *v)
{
    char p[SIM_SCN_PATH], q[SIM_SCN_PATH];
    struct fy_node *tasks = sim_scn_get(n, "tasks");
    uint64_t group = 0;
    unsigned count;

    if (sim_scn_size_mb(c, sim_scn_get(n, "memory"),
                        sim_scn_path(p, path, "memory"), &v->mem_mb) ||
        dirty(c, sim_scn_get(n, "dirty"), sim_scn_path(p, path, "dirty"), v) ||
        sharing(c, sim_scn_get(n, "task_sharing"),
                sim_scn_path(p, path, "task_sharing"), &v->task_sharing) ||
        sim_scn_uint(c, sim_scn_get(n, "group"), sim_scn_path(p, path, "group"),
                     0, UINT32_MAX, &group))
        return -1;
    v->group = (uint32_t)group;
    if (!tasks)
        return 0;
    sim_scn_path(p, path, "tasks");
    if (sim_scn_seq(c, tasks, p, &count))
        return -1;
    if (!count)
        return sim_scn_fail(c, tasks, p, "must list at least one task");
    if (!(v->tasks = calloc(count, sizeof *v->tasks)))
        return sim_scn_fail(c, tasks, p, "out of memory");
    v->ntasks = count;
    for (unsigned i = 0; i < count; i++)
        if (task_entry(c, fy_node_sequence_get_by_index(tasks, (int)i),
                       sim_scn_index(q, p, i), &v->tasks[i]))
            return -1;
    return 0;
}

/* ---- the datacenter: section --------------------------------------------------- */

static int link_entry(struct sim_scn *c, struct fy_node *n, const char *path,
                      struct sim_dc_link *l)
{
    static const char *const keys[] = {"bandwidth", "latency", NULL};
    char p[SIM_SCN_PATH];
    if (!n)
        return 0;
    return sim_scn_map(c, n, path, keys) ||
           bandwidth(c, sim_scn_get(n, "bandwidth"),
                     sim_scn_path(p, path, "bandwidth"), &l->bw_bps) ||
           sim_scn_duration(c, sim_scn_get(n, "latency"),
                            sim_scn_path(p, path, "latency"), &l->latency_ns);
}

static int links(struct sim_scn *c, struct fy_node *n, const char *path,
                 struct sim_dc_spec *d)
{
    static const char *const keys[] = {"host", "rack", "cluster", NULL};
    char p[SIM_SCN_PATH];
    /* Defaults: 10 Gbit/s hosts, 40 Gbit/s racks, 100 Gbit/s clusters. */
    static const struct sim_dc_link def[SIM_LINK_LEVELS] = {
        {10000000000ull, 5000},
        {40000000000ull, 10000},
        {100000000000ull, 20000}};
    memcpy(d->link, def, sizeof def);
    if (!n)
        return 0;
    if (sim_scn_map(c, n, path, keys))
        return -1;
    for (unsigned i = 0; i < SIM_LINK_LEVELS; i++)
        if (link_entry(c, sim_scn_get(n, keys[i]),
                       sim_scn_path(p, path, keys[i]), &d->link[i]))
            return -1;
    return 0;
}

static int layout(struct sim_scn *c, struct fy_node *n, const char *path,
                  struct sim_dc_spec *d)
{
    static const char *const keys[] = {"hosts_per_rack", "racks_per_cluster",
                                       "clusters_per_datacenter", NULL};
    char p[SIM_SCN_PATH];
    uint64_t v[3] = {40, 10, 0};
    if (n) {
        if (sim_scn_map(c, n, path, keys))
            return -1;
        for (unsigned i = 0; i < 3; i++)
            if (sim_scn_uint(c, sim_scn_get(n, keys[i]),
                             sim_scn_path(p, path, keys[i]), i == 2 ? 0 : 1,
                             SIM_SCN_MAX_COUNT, &v[i]))
                return -1;
    }
    d->hosts_per_rack = (unsigned)v[0];
    d->racks_per_cluster = (unsigned)v[1];
    d->clusters_per_dc = (unsigned)v[2];
    return 0;
}

static int placement(struct sim_scn *c, struct fy_node *n, const char *path,
                     struct sim_dc_spec *d)
{
    static const char *const keys[] = {"name", "args", NULL};
    char p[SIM_SCN_PATH];
    if (!n)
        return 0;
    if (fy_node_get_type(n) == FYNT_SCALAR)
        return sim_scn_str(c, n, path, &d->placement);
    struct fy_node *name;
    return sim_scn_map(c, n, path, keys) ||
           sim_scn_need(c, n, path, "name", &name) ||
           sim_scn_str(c, name, sim_scn_path(p, path, "name"), &d->placement) ||
           sim_scn_str(c, sim_scn_get(n, "args"), sim_scn_path(p, path, "args"),
                       &d->placement_args);
}

static int overcommit(struct sim_scn *c, struct fy_node *n, const char *path,
                      struct sim_dc_spec *d)
{
    static const char *const keys[] = {"cpu", "memory", NULL};
    char p[SIM_SCN_PATH];
    if (!n)
        return 0;
    return sim_scn_map(c, n, path, keys) ||
           milli(c, sim_scn_get(n, "cpu"), sim_scn_path(p, path, "cpu"), 1,
                 1000, &d->cpu_overcommit_milli) ||
           milli(c, sim_scn_get(n, "memory"), sim_scn_path(p, path, "memory"),
                 1, 100, &d->mem_overcommit_milli);
}

static int power_mgmt(struct sim_scn *c, struct fy_node *n, const char *path,
                      struct sim_dc_spec *d)
{
    static const char *const keys[] = {"switch_off_idle", "idle", "off", "boot",
                                       "start_off",       NULL};
    char p[SIM_SCN_PATH];
    d->idle_ns = 0;
    d->off_ns = 10000000000ull;  /* 10 s */
    d->boot_ns = 60000000000ull; /* 60 s */
    if (!n)
        return 0;
    return sim_scn_map(c, n, path, keys) ||
           sim_scn_bool(c, sim_scn_get(n, "switch_off_idle"),
                        sim_scn_path(p, path, "switch_off_idle"),
                        &d->power_off_idle) ||
           sim_scn_duration(c, sim_scn_get(n, "idle"),
                            sim_scn_path(p, path, "idle"), &d->idle_ns) ||
           sim_scn_duration(c, sim_scn_get(n, "off"),
                            sim_scn_path(p, path, "off"), &d->off_ns) ||
           sim_scn_duration(c, sim_scn_get(n, "boot"),
                            sim_scn_path(p, path, "boot"), &d->boot_ns) ||
           sim_scn_bool(c, sim_scn_get(n, "start_off"),
                        sim_scn_path(p, path, "start_off"), &d->start_off);
}

static int failure_entry(struct sim_scn *c, struct fy_node *n, const char *path,
                         struct sim_dc_failure *f)
{
    static const char *const keys[] = {"host", "at",   "repair",
                                       "mtbf", "mttr", NULL};
    char p[SIM_SCN_PATH];
    struct fy_node *h = sim_scn_get(n, "host"), *at, *mtbf, *mttr;
    long long host = -1;

    f->line = sim_scn_line(n);
    if (sim_scn_map(c, n, path, keys) ||
        sim_scn_int(c, h, sim_scn_path(p, path, "host"), -1,
                    (long long)c->nhosts - 1, &host))
        return -1;
    f->host = (int)host;
    mtbf = sim_scn_get(n, "mtbf");
    mttr = sim_scn_get(n, "mttr");
    at = sim_scn_get(n, "at");
    if (mtbf || mttr) {
        if (at)
            return sim_scn_fail(c, at, path,
                                "give either at (a scripted failure) or "
                                "mtbf and mttr (a random process)");
        f->random = true;
        return sim_scn_need(c, n, path, "mtbf", &mtbf) ||
               sim_scn_dist(c, mtbf, sim_scn_path(p, path, "mtbf"), &f->mtbf) ||
               sim_scn_need(c, n, path, "mttr", &mttr) ||
               sim_scn_dist(c, mttr, sim_scn_path(p, path, "mttr"), &f->mttr);
    }
    if (host < 0)
        return sim_scn_fail(c, n, path,
                            "a scripted failure names one host (host: N)");
    return sim_scn_need(c, n, path, "at", &at) ||
           sim_scn_duration(c, at, sim_scn_path(p, path, "at"), &f->at_ns) ||
           sim_scn_duration(c, sim_scn_get(n, "repair"),
                            sim_scn_path(p, path, "repair"), &f->repair_ns);
}

static int failures(struct sim_scn *c, struct fy_node *n, const char *path,
                    struct sim_dc_spec *d)
{
    char p[SIM_SCN_PATH];
    unsigned count;
    if (!n)
        return 0;
    if (sim_scn_seq(c, n, path, &count))
        return -1;
    if (!count)
        return 0;
    if (!(d->failures = calloc(count, sizeof *d->failures)))
        return sim_scn_fail(c, n, path, "out of memory");
    for (unsigned i = 0; i < count; i++) {
        d->nfailures = i + 1;
        if (failure_entry(c, fy_node_sequence_get_by_index(n, (int)i),
                          sim_scn_index(p, path, i), &d->failures[i]))
            return -1;
    }
    return 0;
}

static int consolidation(struct sim_scn *c, struct fy_node *n, const char *path,
                         struct sim_dc_spec *d)
{
    static const char *const keys[] = {
        "interval", "upper", "lower", "migration_degradation", "target", NULL};
    char p[SIM_SCN_PATH];
    d->interval_ns = 300000000000ull;
    d->upper_milli = 800;
    d->lower_milli = 200;
    d->mig_degradation_milli = 100;
    if (!n)
        return 0;
    d->consolidate = true;
    if (sim_scn_map(c, n, path, keys) ||
        sim_scn_duration(c, sim_scn_get(n, "interval"),
                         sim_scn_path(p, path, "interval"), &d->interval_ns) ||
        milli(c, sim_scn_get(n, "upper"), sim_scn_path(p, path, "upper"), 0, 1,
              &d->upper_milli) ||
        milli(c, sim_scn_get(n, "lower"), sim_scn_path(p, path, "lower"), 0, 1,
              &d->lower_milli) ||
        milli(c, sim_scn_get(n, "migration_degradation"),
              sim_scn_path(p, path, "migration_degradation"), 0, 1,
              &d->mig_degradation_milli))
        return -1;
    if (!d->interval_ns)
        return sim_scn_fail(c, sim_scn_get(n, "interval"), p,
                            "must be more than 0");
    struct fy_node *t = sim_scn_get(n, "target");
    if (t) {
        const char *s = sim_scn_scalar(c, t, sim_scn_path(p, path, "target"));
        if (!s)
            return -1;
        if (!strcmp(s, "policy"))
            d->target_policy = true;
        else if (strcmp(s, "fullest"))
            return sim_scn_fail(c, t, p, "'%s' is not fullest or policy", s);
    }
    if (d->lower_milli >= d->upper_milli)
        return sim_scn_fail(c, n, path,
                            "lower (%.3f) must be below upper (%.3f)",
                            d->lower_milli / 1000.0, d->upper_milli / 1000.0);
    return 0;
}

/* migration: {min_rate: 100Mbit/s, max_rate: 1Gbit/s, increment: 50Mbit/s,
 * threshold: 256KB, xen: true, stop_copy: false, resume: 20ms, ...} */
static int migration(struct sim_scn *c, struct fy_node *n, const char *path,
                     struct sim_dc_spec *d)
{
    static const char *const keys[] = {
        "min_rate",     "max_rate",  "increment", "threshold", "max_rounds",
        "max_sent",     "min_pages", "resume",    "xen",       "stop_copy",
        "max_per_host", "quantum",   NULL};
    char p[SIM_SCN_PATH];
    struct sim_dc_mig *m = &d->mig;
    uint64_t rounds = 0, pages = 0, per_host = 1;
    uint32_t sent_milli = 0;
    if (!n)
        return 0;
    if (sim_scn_map(c, n, path, keys) ||
        bandwidth(c, sim_scn_get(n, "min_rate"),
                  sim_scn_path(p, path, "min_rate"), &m->min_rate_bps) ||
        bandwidth(c, sim_scn_get(n, "max_rate"),
                  sim_scn_path(p, path, "max_rate"), &m->max_rate_bps) ||
        bandwidth(c, sim_scn_get(n, "increment"),
                  sim_scn_path(p, path, "increment"), &m->increment_bps) ||
        sim_scn_uint(c, sim_scn_get(n, "max_rounds"),
                     sim_scn_path(p, path, "max_rounds"), 1, 1000, &rounds) ||
        milli(c, sim_scn_get(n, "max_sent"), sim_scn_path(p, path, "max_sent"),
              1, 1000, &sent_milli) ||
        sim_scn_uint(c, sim_scn_get(n, "min_pages"),
                     sim_scn_path(p, path, "min_pages"), 1, 1u << 30, &pages) ||
        sim_scn_duration(c, sim_scn_get(n, "resume"),
                         sim_scn_path(p, path, "resume"), &m->resume_ns) ||
        sim_scn_bool(c, sim_scn_get(n, "xen"), sim_scn_path(p, path, "xen"),
                     &m->xen) ||
        sim_scn_bool(c, sim_scn_get(n, "stop_copy"),
                     sim_scn_path(p, path, "stop_copy"), &m->stop_copy) ||
        sim_scn_uint(c, sim_scn_get(n, "max_per_host"),
                     sim_scn_path(p, path, "max_per_host"), 0, 1u << 20,
                     &per_host))
        return -1;
    if (sim_scn_get(n, "threshold")) {
        static const struct unit units[] = {
            {"B", 1}, {"KB", 1024}, {"MB", 1048576}, {NULL, 0}};
        double b;
        if (with_unit(c, sim_scn_get(n, "threshold"),
                      sim_scn_path(p, path, "threshold"), units,
                      "a size such as 256KB", &b))
            return -1;
        m->threshold_bytes = (uint64_t)llround(b);
    }
    m->max_rounds = (unsigned)rounds;
    m->max_per_host = (unsigned)per_host;
    if (sim_scn_duration(c, sim_scn_get(n, "quantum"),
                         sim_scn_path(p, path, "quantum"), &m->quantum_ns))
        return -1;
    m->max_sent_pct = sent_milli / 10;
    m->min_pages = (unsigned)pages;
    if (m->min_rate_bps && m->max_rate_bps && m->min_rate_bps > m->max_rate_bps)
        return sim_scn_fail(c, n, path, "min_rate is above max_rate");
    return 0;
}

int sim_scn_datacenter(struct sim_scn *c, struct fy_node *n)
{
    /* in the order of enum sim_dc_on_failure, enum vcpu_place_queue */
    static const char *const on_failure_names[] = {"restart", "lose", NULL};
    static const char *const queue_names[] = {"fifo", "backfill", NULL};
    /* bursts: exact (each compute phase is work) or load (a compute phase
     * and the block phase after it become one constant load) */
    static const char *const bursts_names[] = {"exact", "load", NULL};
    unsigned bursts = 0;
    static const char *const keys[] = {"layout",
                                       "links",
                                       "placement",
                                       "overcommit",
                                       "queue",
                                       "vm_sharing",
                                       "task_sharing",
                                       "power",
                                       "power_management",
                                       "failures",
                                       "on_failure",
                                       "consolidation",
                                       "sample",
                                       "migration",
                                       "bursts",
                                       NULL};
    struct sim_dc_spec *d;

    if (!n)
        return 0;
    if (sim_scn_is_empty(n))
        n = NULL; /* "datacenter:" alone: every default */
    else if (sim_scn_map(c, n, "datacenter", keys))
        return -1;
    if (!(d = c->s->dc = calloc(1, sizeof *d)))
        return sim_scn_fail(c, n, "datacenter", "out of memory");
    d->line = n ? sim_scn_line(n) : 0;
    d->cpu_overcommit_milli = 1000;
    d->mem_overcommit_milli = 1000;
    d->vm_sharing = SIM_SHARE_TIME;
    d->task_sharing = SIM_SHARE_TIME;
    d->sample_ns = 300000000000ull;
    d->mig.max_per_host = 1; /* as OpenStack's default */
    d->power = (struct sim_power){.set = true, .idle_w = 100, .peak_w = 200};
#define G(k) (n ? sim_scn_get(n, k) : NULL)
    if (layout(c, G("layout"), "datacenter.layout", d) ||
        links(c, G("links"), "datacenter.links", d) ||
        placement(c, G("placement"), "datacenter.placement", d) ||
        overcommit(c, G("overcommit"), "datacenter.overcommit", d) ||
        choice(c, G("queue"), "datacenter.queue", queue_names, &d->queue) ||
        sharing(c, G("vm_sharing"), "datacenter.vm_sharing", &d->vm_sharing) ||
        sharing(c, G("task_sharing"), "datacenter.task_sharing",
                &d->task_sharing) ||
        sim_scn_power(c, G("power"), "datacenter.power", &d->power) ||
        power_mgmt(c, G("power_management"), "datacenter.power_management",
                   d) ||
        failures(c, G("failures"), "datacenter.failures", d) ||
        choice(c, G("on_failure"), "datacenter.on_failure", on_failure_names,
               &d->on_failure) ||
        consolidation(c, G("consolidation"), "datacenter.consolidation", d) ||
        sim_scn_duration(c, G("sample"), "datacenter.sample", &d->sample_ns) ||
        migration(c, G("migration"), "datacenter.migration", d) ||
        choice(c, G("bursts"), "datacenter.bursts", bursts_names, &bursts))
        return -1;
#undef G
    d->bursts_as_load = bursts == 1;
    if (!d->sample_ns)
        return sim_scn_fail(c, n, "datacenter.sample", "must be more than 0");
    if (!d->placement && !(d->placement = strdup("first-fit")))
        return sim_scn_fail(c, n, "datacenter", "out of memory");
    if (d->vm_sharing == SIM_SHARE_SPACE && d->cpu_overcommit_milli != 1000)
        return sim_scn_fail(c, n, "datacenter.overcommit.cpu",
                            "space-shared VMs own their pCPUs: the CPU "
                            "overcommit must be 1");
    return 0;
}

/* Checks that need the whole scenario: what the datacenter tier's host
 * model cannot run, and tasks without a datacenter or a guest policy. */
int sim_scn_dc_check(struct sim_scn *c, struct fy_node *root)
{
    struct sim_scenario *s = c->s;
    char p[SIM_SCN_PATH];
    struct fy_node *vms = sim_scn_get(root, "vms");

    for (unsigned i = 0; i < s->nvms; i++) {
        const struct sim_vm_spec *v = &s->vms[i];
        struct fy_node *n =
            vms ? fy_node_sequence_get_by_index(vms, (int)i) : NULL;
        sim_scn_index(p, "vms", i);
        if (!s->dc && v->ntasks && !v->guest_policy)
            return sim_scn_fail(c, n, p,
                                "tasks in the host tier run under a guest "
                                "policy: add guest_policy: (e.g. rr), or a "
                                "datacenter: section for the datacenter "
                                "tier");
        if (s->dc && v->guest_policy)
            return sim_scn_fail(c, n, p,
                                "guest_policy is read by the host tier only "
                                "(no datacenter: section)");
        if (!s->dc && (v->mem_mb || v->task_sharing || v->group || v->wws_mb ||
                       v->bg_rate_Bps))
            return sim_scn_fail(c, n, p,
                                "memory, task_sharing and group are "
                                "read by the datacenter tier only: add a "
                                "datacenter: section");
        if (!s->dc)
            continue;
        for (unsigned j = 0; j < v->wl.nphases; j++)
            if (v->wl.phases[j].kind == SIM_PH_BARRIER ||
                v->wl.phases[j].kind == SIM_PH_LOCK)
                return sim_scn_fail(c, n, p,
                                    "the datacenter tier's host model runs "
                                    "compute and block phases; barriers and "
                                    "locks need the host tier (no "
                                    "datacenter: section)");
    }
    return 0;
}
