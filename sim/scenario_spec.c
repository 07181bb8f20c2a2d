// SPDX-License-Identifier: GPL-3.0-or-later
/* The scenario's sections: hosts (each topology is loaded to learn its pCPU
 * count), VMs with their guest workloads and distributions, and faults.
 * Every value is range-checked here so the engine can trust the result. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vcpu/topo.h>

#include "scenario_internal.h"

/* ------------------------------------------------------------------ */
/* Distributions                                                       */
/* ------------------------------------------------------------------ */

/* Parameter a, then b (NULL if none); "shape" is a plain number, every
 * other parameter a duration. */
static const struct dist_def {
    const char *name;
    unsigned kind;
    const char *a, *b;
} dist_defs[] = {
    {"const", SIM_DIST_CONST, "value", NULL},
    {"exp", SIM_DIST_EXP, "mean", NULL},
    {"uniform", SIM_DIST_UNIFORM, "min", "max"},
    {"normal", SIM_DIST_NORMAL, "mean", "sd"},
    {"lognormal", SIM_DIST_LOGNORMAL, "mean", "sd"},
    {"pareto", SIM_DIST_PARETO, "scale", "shape"},
    {"weibull", SIM_DIST_WEIBULL, "scale", "shape"},
};
#define NDISTS (sizeof dist_defs / sizeof dist_defs[0])

static const char *const dist_keys[] = {"dist", "value", "mean",  "min", "max",
                                        "sd",   "scale", "shape", NULL};
static const char *const dist_names[] = {"const",   "exp",       "uniform",
                                         "normal",  "lognormal", "pareto",
                                         "weibull", NULL};

static const struct dist_def *dist_kind(struct sim_scn *c, struct fy_node *map,
                                        const char *path)
{
    char p[SIM_SCN_PATH];
    struct fy_node *n;

    sim_scn_path(p, path, "dist");
    if (sim_scn_need(c, map, path, "dist", &n))
        return NULL;
    const char *s = sim_scn_scalar(c, n, p);
    if (!s)
        return NULL;
    for (unsigned i = 0; i < NDISTS; i++)
        if (!strcmp(s, dist_defs[i].name))
            return &dist_defs[i];
    const char *near = sim_scn_closest(s, dist_names);
    if (near)
        sim_scn_fail(c, n, p, "unknown distribution '%s' (did you mean '%s'?)",
                     s, near);
    else
        sim_scn_fail(c, n, p,
                     "unknown distribution '%s' (one of const, exp, "
                     "uniform, normal, lognormal, pareto, weibull)",
                     s);
    return NULL;
}

/* Keys of @map that @d does not take. */
static int dist_extra(struct sim_scn *c, struct fy_node *map, const char *path,
                      const struct dist_def *d)
{
    struct fy_node_pair *pair;
    void *it = NULL;
    char p[SIM_SCN_PATH];

    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *key = fy_node_pair_key(pair);
        const char *k = fy_node_get_scalar0(key);
        if (!k || !strcmp(k, "dist") || !strcmp(k, d->a) ||
            (d->b && !strcmp(k, d->b)))
            continue;
        return sim_scn_fail(c, key, sim_scn_path(p, path, k),
                            "does not apply to dist %s (it takes %s%s%s)",
                            d->name, d->a, d->b ? " and " : "",
                            d->b ? d->b : "");
    }
    return 0;
}

static int dist_param(struct sim_scn *c, struct fy_node *map, const char *path,
                      const char *key, double *out)
{
    char p[SIM_SCN_PATH];
    struct fy_node *n;
    uint64_t ns;

    if (sim_scn_need(c, map, path, key, &n))
        return -1;
    sim_scn_path(p, path, key);
    if (!strcmp(key, "shape")) {
        if (sim_scn_double(c, n, p, out))
            return -1;
        if (*out <= 0 || *out > 1000)
            return sim_scn_fail(c, n, p, "must be in (0, 1000]");
        return 0;
    }
    if (sim_scn_duration(c, n, p, &ns))
        return -1;
    *out = (double)ns;
    return 0;
}

static int dist_check(struct sim_scn *c, struct fy_node *map, const char *path,
                      const struct dist_def *d, const struct sim_dist *v)
{
    char p[SIM_SCN_PATH];

    sim_scn_path(p, path, d->a);
    if (d->kind == SIM_DIST_UNIFORM) {
        if (v->b <= v->a)
            return sim_scn_fail(c, sim_scn_get(map, "max"),
                                sim_scn_path(p, path, "max"),
                                "must be more than min");
        return 0;
    }
    if (d->kind != SIM_DIST_CONST && v->a <= 0)
        return sim_scn_fail(c, sim_scn_get(map, d->a), p,
                            "must be more than 0");
    return 0;
}

int sim_scn_dist(struct sim_scn *c, struct fy_node *n, const char *path,
                 struct sim_dist *out)
{
    if (fy_node_get_type(n) == FYNT_SCALAR) {
        uint64_t ns;
        if (sim_scn_duration(c, n, path, &ns))
            return -1;
        *out = (struct sim_dist){.kind = SIM_DIST_CONST, .a = (double)ns};
        return 0;
    }
    if (sim_scn_map(c, n, path, dist_keys))
        return -1;
    const struct dist_def *d = dist_kind(c, n, path);
    if (!d || dist_extra(c, n, path, d))
        return -1;
    struct sim_dist v = {.kind = d->kind};
    if (dist_param(c, n, path, d->a, &v.a) ||
        (d->b && dist_param(c, n, path, d->b, &v.b)) ||
        dist_check(c, n, path, d, &v))
        return -1;
    *out = v;
    return 0;
}

/* Whether draws are (mostly) above zero, so a loop of phases advances. */
static bool dist_takes_time(const struct sim_dist *d)
{
    return d->a > 0 || (d->kind != SIM_DIST_CONST && d->b > 0);
}

/* ------------------------------------------------------------------ */
/* Hosts                                                               */
/* ------------------------------------------------------------------ */

static bool ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && !strcmp(s + ls - lx, suffix);
}

/* @spec as vcpu_topo_load takes it, with a relative XML path made relative
 * to the scenario's directory. */
static char *topo_resolve(const struct sim_scn *c, const char *spec,
                          const char **xml)
{
    bool prefixed = !strncmp(spec, "xml:", 4);
    const char *file = prefixed ? spec + 4 : spec;
    char *out;

    *xml = NULL;
    if (!prefixed && !ends_with(spec, ".xml"))
        return strdup(spec);
    if (file[0] == '/' || !c->dir) {
        out = strdup(spec);
    } else {
        size_t len = strlen(c->dir) + strlen(file) + 6;
        out = malloc(len);
        if (out)
            snprintf(out, len, "%s%s/%s", prefixed ? "xml:" : "", c->dir, file);
    }
    if (out)
        *xml = prefixed ? out + 4 : out;
    return out;
}

static int host_topo(struct sim_scn *c, struct fy_node *n, const char *path,
                     struct sim_host_spec *h, unsigned *npcpus)
{
    const char *spec, *xml;
    vcpu_topo_t *t;

    if (!(spec = sim_scn_scalar(c, n, path)))
        return -1;
    if (!(h->topo = topo_resolve(c, spec, &xml)))
        return sim_scn_fail(c, n, path, "out of memory");
    if (xml && access(xml, R_OK) != 0)
        return sim_scn_fail(c, n, path, "cannot read '%s': %s", xml,
                            strerror(errno));
    int rc = vcpu_topo_load(h->topo, &t);
    if (rc < 0)
        return sim_scn_fail(c, n, path, "cannot load topology '%s': %s", spec,
                            vcpu_strerror(rc));
    *npcpus = vcpu_topo_npcpus(t);
    vcpu_topo_unref(t);
    return 0;
}

static int host_entry(struct sim_scn *c, struct fy_node *n, const char *path,
                      unsigned i)
{
    static const char *const keys[] = {"topology", "count", "memory",
                                       "speed",    "power", NULL};
    struct sim_host_spec *h = &c->s->hosts[i];
    char p[SIM_SCN_PATH], tp[SIM_SCN_PATH];
    struct fy_node *topo = n;
    const char *tpath = path; /* a bare string is the topology */
    uint64_t count = 1;

    h->line = sim_scn_line(n);
    if (fy_node_get_type(n) != FYNT_SCALAR) {
        if (sim_scn_map(c, n, path, keys) ||
            sim_scn_need(c, n, path, "topology", &topo) ||
            sim_scn_uint(c, sim_scn_get(n, "count"),
                         sim_scn_path(p, path, "count"), 1, SIM_SCN_MAX_COUNT,
                         &count) ||
            sim_scn_host_dc(c, n, path, h))
            return -1;
        tpath = sim_scn_path(tp, path, "topology");
    }
    if (!h->speed)
        h->speed = 1000;
    if (host_topo(c, topo, tpath, h, &c->spec_npcpus[i]))
        return -1;
    h->count = (unsigned)count;
    if (c->nhosts + h->count > SIM_SCN_MAX_COUNT)
        return sim_scn_fail(c, n, path, "more than %u hosts in all",
                            SIM_SCN_MAX_COUNT);
    c->nhosts += h->count;
    return 0;
}

int sim_scn_hosts(struct sim_scn *c, struct fy_node *n)
{
    struct sim_scenario *s = c->s;
    char p[SIM_SCN_PATH];
    unsigned count;

    if (sim_scn_seq(c, n, "hosts", &count))
        return -1;
    if (!count)
        return sim_scn_fail(c, n, "hosts", "must list at least one host");
    s->hosts = calloc(count, sizeof *s->hosts);
    c->spec_npcpus = calloc(count, sizeof *c->spec_npcpus);
    if (!s->hosts || !c->spec_npcpus)
        return sim_scn_fail(c, n, "hosts", "out of memory");
    for (unsigned i = 0; i < count; i++) {
        s->nhosts = i + 1; /* so sim_scenario_free sees what was made */
        if (host_entry(c, fy_node_sequence_get_by_index(n, (int)i),
                       sim_scn_index(p, "hosts", i), i))
            return -1;
    }
    return 0;
}

unsigned sim_scn_host_npcpus(const struct sim_scn *c, int host)
{
    unsigned first = 0, fewest = UINT_MAX;

    for (unsigned i = 0; i < c->s->nhosts; i++) {
        unsigned n = c->spec_npcpus[i];
        if (host >= 0 && (unsigned)host < first + c->s->hosts[i].count)
            return n;
        first += c->s->hosts[i].count;
        fewest = n < fewest ? n : fewest;
    }
    return fewest == UINT_MAX ? 0 : fewest;
}

/* A pCPU id valid on @host (or on every host for -1). */
static int check_pcpu(struct sim_scn *c, struct fy_node *n, const char *path,
                      int host, uint64_t p)
{
    unsigned np = sim_scn_host_npcpus(c, host);

    if (p < np)
        return 0;
    if (host < 0 && c->nhosts > 1)
        return sim_scn_fail(c, n, path,
                            "pCPU %llu does not exist on every host (the "
                            "smallest has %u: 0..%u)",
                            (unsigned long long)p, np, np - 1);
    return sim_scn_fail(c, n, path,
                        "pCPU %llu does not exist on host %d (it has %u: "
                        "0..%u)",
                        (unsigned long long)p, host < 0 ? 0 : host, np, np - 1);
}

static int check_host(struct sim_scn *c, struct fy_node *map, const char *path,
                      int *out)
{
    char p[SIM_SCN_PATH];
    struct fy_node *n = sim_scn_get(map, "host");
    long long h = -1;

    sim_scn_path(p, path, "host");
    if (sim_scn_int(c, n, p, -1, INT_MAX, &h))
        return -1;
    if (h >= (long long)c->nhosts)
        return sim_scn_fail(
            c, n, p, "host %lld does not exist (there %s %u: 0..%u)", h,
            c->nhosts == 1 ? "is" : "are", c->nhosts, c->nhosts - 1);
    *out = (int)h;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Workloads                                                           */
/* ------------------------------------------------------------------ */

static const char *const phase_keys[] = {"compute", "block", "barrier", "lock",
                                         NULL};

static int phase_lock(struct sim_scn *c, struct fy_node *n, const char *path,
                      struct sim_phase *ph)
{
    static const char *const keys[] = {"id", "hold", NULL};
    char p[SIM_SCN_PATH];
    struct fy_node *hold, *id = sim_scn_get(n, "id");
    uint64_t v = 0;

    if (sim_scn_map(c, n, path, keys) ||
        sim_scn_uint(c, id, sim_scn_path(p, path, "id"), 0, UINT64_MAX, &v))
        return -1;
    if (v >= SIM_MAX_LOCKS)
        return sim_scn_fail(c, id, p, "lock ids go from 0 to %d",
                            SIM_MAX_LOCKS - 1);
    ph->kind = SIM_PH_LOCK;
    ph->lock_id = (unsigned)v;
    if (sim_scn_need(c, n, path, "hold", &hold))
        return -1;
    return sim_scn_dist(c, hold, sim_scn_path(p, path, "hold"), &ph->d);
}

static int phase_scalar(struct sim_scn *c, struct fy_node *n, const char *path,
                        struct sim_phase *ph)
{
    const char *s = sim_scn_scalar(c, n, path);

    if (!s)
        return -1;
    if (!strcmp(s, "barrier")) {
        ph->kind = SIM_PH_BARRIER;
        return 0;
    }
    for (unsigned i = 0; phase_keys[i]; i++)
        if (!strcmp(s, phase_keys[i]))
            return sim_scn_fail(c, n, path,
                                "%s needs a value, as in "
                                "'%s: 2ms'",
                                s, s);
    return sim_scn_fail(c, n, path,
                        "'%s' is not a phase (compute: D, block: D, "
                        "barrier, lock: {id, hold: D})",
                        s);
}

static int phase_entry(struct sim_scn *c, struct fy_node *n, const char *path,
                       struct sim_phase *ph)
{
    char p[SIM_SCN_PATH];
    void *it = NULL;

    if (fy_node_get_type(n) == FYNT_SCALAR)
        return phase_scalar(c, n, path, ph);
    if (sim_scn_map(c, n, path, phase_keys))
        return -1;
    if (fy_node_mapping_item_count(n) != 1)
        return sim_scn_fail(c, n, path,
                            "a phase has exactly one of compute, block, "
                            "barrier, lock");
    struct fy_node_pair *pair = fy_node_mapping_iterate(n, &it);
    const char *kind = fy_node_get_scalar0(fy_node_pair_key(pair));
    struct fy_node *v = fy_node_pair_value(pair);
    sim_scn_path(p, path, kind);
    if (!strcmp(kind, "barrier")) {
        ph->kind = SIM_PH_BARRIER;
        if (!sim_scn_is_empty(v))
            return sim_scn_fail(c, v, p, "takes no parameters");
        return 0;
    }
    if (!v)
        return sim_scn_fail(c, n, p, "needs a value");
    if (!strcmp(kind, "lock"))
        return phase_lock(c, v, p, ph);
    ph->kind = strcmp(kind, "compute") ? SIM_PH_BLOCK : SIM_PH_COMPUTE;
    return sim_scn_dist(c, v, p, &ph->d);
}

static int phases_take_time(const struct sim_workload *wl)
{
    for (unsigned i = 0; i < wl->nphases; i++)
        if (wl->phases[i].kind != SIM_PH_BARRIER &&
            dist_takes_time(&wl->phases[i].d))
            return 1;
    return 0;
}

static int workload(struct sim_scn *c, struct fy_node *n, const char *path,
                    struct sim_workload *wl)
{
    static const char *const keys[] = {"loops", "phases", NULL};
    char p[SIM_SCN_PATH], q[SIM_SCN_PATH];
    struct fy_node *phases;
    unsigned count;

    if (sim_scn_map(c, n, path, keys) ||
        sim_scn_uint(c, sim_scn_get(n, "loops"), sim_scn_path(p, path, "loops"),
                     0, UINT64_MAX, &wl->loops) ||
        sim_scn_need(c, n, path, "phases", &phases) ||
        sim_scn_seq(c, phases, sim_scn_path(p, path, "phases"), &count))
        return -1;
    if (!count)
        return sim_scn_fail(c, phases, p, "must list at least one phase");
    if (!(wl->phases = calloc(count, sizeof *wl->phases)))
        return sim_scn_fail(c, phases, p, "out of memory");
    wl->nphases = count;
    for (unsigned i = 0; i < count; i++)
        if (phase_entry(c, fy_node_sequence_get_by_index(phases, (int)i),
                        sim_scn_index(q, p, i), &wl->phases[i]))
            return -1;
    if (!wl->loops && !phases_take_time(wl))
        return sim_scn_fail(c, phases, p,
                            "no phase takes any time, so with loops: 0 "
                            "the vCPUs would loop forever at one instant");
    return 0;
}

/* ------------------------------------------------------------------ */
/* VMs                                                                 */
/* ------------------------------------------------------------------ */

static int vm_allowed(struct sim_scn *c, struct fy_node *n, const char *path,
                      struct sim_vm_spec *v)
{
    char p[SIM_SCN_PATH];
    unsigned count;

    if (!n)
        return 0;
    if (sim_scn_seq(c, n, path, &count))
        return -1;
    if (!count)
        return sim_scn_fail(c, n, path, "must list at least one pCPU");
    if (!(v->allowed = calloc(count, sizeof *v->allowed)))
        return sim_scn_fail(c, n, path, "out of memory");
    for (unsigned i = 0; i < count; i++) {
        struct fy_node *e = fy_node_sequence_get_by_index(n, (int)i);
        uint64_t id;
        sim_scn_index(p, path, i);
        if (sim_scn_uint(c, e, p, 0, UINT_MAX, &id) ||
            check_pcpu(c, e, p, v->host, id))
            return -1;
        for (unsigned j = 0; j < i; j++)
            if (v->allowed[j] == id)
                return sim_scn_fail(c, e, p, "pCPU %u is listed twice",
                                    (unsigned)id);
        v->allowed[i] = (unsigned)id;
        v->nallowed = i + 1;
    }
    return 0;
}

static int vm_cap(struct sim_scn *c, struct fy_node *n, const char *path,
                  struct sim_vm_spec *v)
{
    double cap;

    if (!n)
        return 0;
    if (sim_scn_double(c, n, path, &cap))
        return -1;
    if (cap <= 0)
        return sim_scn_fail(c, n, path,
                            "must be more than 0 (pCPUs, as in 1.5)");
    if (cap > v->vcpus)
        return sim_scn_fail(c, n, path,
                            "%g pCPUs is more than %u vCPUs can use (cap "
                            "counts pCPUs, not percent)",
                            cap, v->vcpus);
    long long t = llround(cap * 1000);
    if (t < 1)
        return sim_scn_fail(c, n, path, "must be at least 0.001");
    v->cap = (unsigned)t;
    return 0;
}

static int vm_numbers(struct sim_scn *c, struct fy_node *n, const char *path,
                      struct sim_vm_spec *v)
{
    char p[SIM_SCN_PATH];
    struct fy_node *vcpus;
    uint64_t count = 1, nv = 0, weight = 100;
    long long prio = 0;

    if (sim_scn_uint(c, sim_scn_get(n, "count"), sim_scn_path(p, path, "count"),
                     1, SIM_SCN_MAX_COUNT, &count) ||
        sim_scn_need(c, n, path, "vcpus", &vcpus) ||
        sim_scn_uint(c, vcpus, sim_scn_path(p, path, "vcpus"), 1,
                     SIM_SCN_MAX_VCPUS, &nv) ||
        sim_scn_uint(c, sim_scn_get(n, "weight"),
                     sim_scn_path(p, path, "weight"), 1, SIM_SCN_MAX_WEIGHT,
                     &weight) ||
        sim_scn_int(c, sim_scn_get(n, "prio"), sim_scn_path(p, path, "prio"),
                    INT_MIN, INT_MAX, &prio))
        return -1;
    v->count = (unsigned)count;
    v->vcpus = (unsigned)nv;
    v->weight = (unsigned)weight;
    v->prio = (int)prio;
    return vm_cap(c, sim_scn_get(n, "cap"), sim_scn_path(p, path, "cap"), v);
}

static int vm_start(struct sim_scn *c, struct fy_node *n, const char *path,
                    struct sim_vm_spec *v)
{
    if (sim_scn_duration(c, n, path, &v->start_ns))
        return -1;
    if (n && v->start_ns >= c->s->duration_ns)
        return sim_scn_fail(c, n, path,
                            "starts at or after the end of the run");
    return 0;
}

/* Names must differ: results are reported per VM name. */
static int vm_name(struct sim_scn *c, struct fy_node *n, const char *path,
                   unsigned i)
{
    struct sim_vm_spec *v = &c->s->vms[i];
    char buf[32];

    if (!n) {
        snprintf(buf, sizeof buf, "vm%u", i);
        v->name = strdup(buf);
        return v->name ? 0 : sim_scn_fail(c, n, path, "out of memory");
    }
    if (sim_scn_name(c, n, path, &v->name))
        return -1;
    for (unsigned j = 0; j < i; j++)
        if (!strcmp(c->s->vms[j].name, v->name))
            return sim_scn_fail(c, n, path, "'%s' is also the name of vms[%u]",
                                v->name, j);
    return 0;
}

static int vm_entry(struct sim_scn *c, struct fy_node *n, const char *path,
                    unsigned i)
{
    static const char *const keys[] = {
        "name",         "count",      "vcpus",        "weight",  "cap",
        "prio",         "host",       "start",        "allowed", "workload",
        "memory",       "tasks",      "task_sharing", "group",   "dirty",
        "guest_policy", "guest_args", "guest_slice",  NULL};
    struct sim_vm_spec *v = &c->s->vms[i];
    char p[SIM_SCN_PATH];
    struct fy_node *wl;

    v->line = sim_scn_line(n);
    if (sim_scn_map(c, n, path, keys) ||
        vm_name(c, sim_scn_get(n, "name"), sim_scn_path(p, path, "name"), i) ||
        vm_numbers(c, n, path, v) || check_host(c, n, path, &v->host) ||
        vm_start(c, sim_scn_get(n, "start"), sim_scn_path(p, path, "start"),
                 v) ||
        vm_allowed(c, sim_scn_get(n, "allowed"),
                   sim_scn_path(p, path, "allowed"), v) ||
        sim_scn_vm_dc(c, n, path, v) || sim_scn_vm_guest(c, n, path, v))
        return -1;
    if (v->ntasks && !sim_scn_get(n, "workload"))
        return 0; /* tasks only */
    if (sim_scn_need(c, n, path, "workload", &wl))
        return -1;
    return workload(c, wl, sim_scn_path(p, path, "workload"), &v->wl);
}

int sim_scn_vms(struct sim_scn *c, struct fy_node *n)
{
    struct sim_scenario *s = c->s;
    char p[SIM_SCN_PATH];
    unsigned count;

    if (sim_scn_seq(c, n, "vms", &count))
        return -1;
    if (!count)
        return sim_scn_fail(c, n, "vms", "must list at least one VM");
    if (!(s->vms = calloc(count, sizeof *s->vms)))
        return sim_scn_fail(c, n, "vms", "out of memory");
    for (unsigned i = 0; i < count; i++) {
        s->nvms = i + 1;
        if (vm_entry(c, fy_node_sequence_get_by_index(n, (int)i),
                     sim_scn_index(p, "vms", i), i))
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Faults                                                              */
/* ------------------------------------------------------------------ */

static int fault_pcpu(struct sim_scn *c, struct fy_node *map, const char *path,
                      struct sim_fault *f)
{
    char p[SIM_SCN_PATH];
    struct fy_node *n = sim_scn_get(map, "pcpu");
    long long v = -1;

    sim_scn_path(p, path, "pcpu");
    if (!n && !f->random)
        return sim_scn_fail(c, map, p, "missing (required)");
    if (sim_scn_int(c, n, p, f->random ? -1 : 0, INT_MAX, &v))
        return -1;
    if (v >= 0 && check_pcpu(c, n, p, f->host, (uint64_t)v))
        return -1;
    f->pcpu = (int)v;
    return 0;
}

static int fault_random(struct sim_scn *c, struct fy_node *map,
                        const char *path, struct sim_fault *f)
{
    static const char *const scripted[] = {"at", "action", "speed", NULL};
    char p[SIM_SCN_PATH];
    struct fy_node *n;

    for (unsigned i = 0; scripted[i]; i++)
        if ((n = sim_scn_get(map, scripted[i])))
            return sim_scn_fail(c, n, sim_scn_path(p, path, scripted[i]),
                                "does not apply to a random fault "
                                "(mtbf/mttr)");
    f->random = true;
    if (sim_scn_need(c, map, path, "mtbf", &n) ||
        sim_scn_dist(c, n, sim_scn_path(p, path, "mtbf"), &f->mtbf) ||
        sim_scn_need(c, map, path, "mttr", &n) ||
        sim_scn_dist(c, n, sim_scn_path(p, path, "mttr"), &f->mttr))
        return -1;
    return 0;
}

static int fault_speed(struct sim_scn *c, struct fy_node *map, const char *path,
                       struct sim_fault *f)
{
    char p[SIM_SCN_PATH];
    struct fy_node *n = sim_scn_get(map, "speed");
    double speed;

    sim_scn_path(p, path, "speed");
    if (f->action != SIM_FAULT_SPEED) {
        if (n)
            return sim_scn_fail(c, n, p, "only applies to action: speed");
        return 0;
    }
    if (sim_scn_need(c, map, path, "speed", &n) ||
        sim_scn_double(c, n, p, &speed))
        return -1;
    if (speed <= 0 || speed > 100 || llround(speed * 1000) < 1)
        return sim_scn_fail(c, n, p,
                            "must be in (0, 100] (a factor: 0.5 = half)");
    f->speed = (uint32_t)llround(speed * 1000);
    return 0;
}

static int fault_scripted(struct sim_scn *c, struct fy_node *map,
                          const char *path, struct sim_fault *f)
{
    static const char *const actions[] = {"offline", "online", "speed", NULL};
    char p[SIM_SCN_PATH];
    struct fy_node *at, *n;
    const char *s;

    if (sim_scn_need(c, map, path, "at", &at) ||
        sim_scn_duration(c, at, sim_scn_path(p, path, "at"), &f->at_ns))
        return -1;
    if (f->at_ns >= c->s->duration_ns)
        return sim_scn_fail(c, at, p, "is at or after the end of the run");
    sim_scn_path(p, path, "action");
    if (sim_scn_need(c, map, path, "action", &n) ||
        !(s = sim_scn_scalar(c, n, p)))
        return -1;
    for (f->action = 0; actions[f->action]; f->action++)
        if (!strcmp(s, actions[f->action]))
            return fault_speed(c, map, path, f);
    return sim_scn_fail(c, n, p,
                        "'%s' is not an action (offline, online, speed)", s);
}

static int fault_entry(struct sim_scn *c, struct fy_node *n, const char *path,
                       struct sim_fault *f)
{
    static const char *const keys[] = {"at",    "host", "pcpu", "action",
                                       "speed", "mtbf", "mttr", NULL};
    bool random = sim_scn_get(n, "mtbf") || sim_scn_get(n, "mttr");

    f->line = sim_scn_line(n);
    f->host = -1;
    if (sim_scn_map(c, n, path, keys) || check_host(c, n, path, &f->host))
        return -1;
    if (!random && !sim_scn_get(n, "at"))
        return sim_scn_fail(c, n, path,
                            "a fault needs 'at' (a scripted change) or "
                            "'mtbf' and 'mttr' (random failures)");
    if (random ? fault_random(c, n, path, f) : fault_scripted(c, n, path, f))
        return -1;
    return fault_pcpu(c, n, path, f);
}

int sim_scn_faults(struct sim_scn *c, struct fy_node *n)
{
    struct sim_scenario *s = c->s;
    char p[SIM_SCN_PATH];
    unsigned count;

    if (!n)
        return 0;
    if (sim_scn_seq(c, n, "faults", &count))
        return -1;
    if (count && !(s->faults = calloc(count, sizeof *s->faults)))
        return sim_scn_fail(c, n, "faults", "out of memory");
    s->nfaults = count;
    for (unsigned i = 0; i < count; i++)
        if (fault_entry(c, fy_node_sequence_get_by_index(n, (int)i),
                        sim_scn_index(p, "faults", i), &s->faults[i]))
            return -1;
    return 0;
}
