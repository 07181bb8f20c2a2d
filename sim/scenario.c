// SPDX-License-Identifier: GPL-3.0-or-later
/* Scenario reader: YAML (libfyaml) to struct sim_scenario, with --set
 * overrides applied to the document first and every error reported once,
 * as FILE:LINE:COL: FIELD: WHAT. This file: the public calls, the document
 * and its diagnostics, and the top-level keys. docs/scenario.md
 * has the full reference; in short:
 *
 *   name: web-mix            # default: the file name without extension
 *   seed: 1                  # default 1
 *   duration: 2s             # required, > 0
 *   policy: rr               # a built-in name or a path to a .so (default
 *                            # rr); or {name: fair, args: "k=v,..."} where
 *                            # args may also be a mapping {k: v}
 *   compare: [fair, dh]      # the same run under these policies too
 *   slice: 1ms               # default 1ms
 *   migration_penalty: [0, 5us, 30us]  # warm-up by topology distance
 *   ple_window: 50us         # pause-loop exit; 0 (default) = spin
 *   check: false             # core invariant checks
 *   trace: false             # write trace.csv
 *   out: out/web-mix         # default out/<name>
 *   hosts:                   # required, >= 1 entry
 *     - {topology: "pack:1 l3:2 core:4 pu:1", count: 1}
 *     - ../data/machine.xml  # a bare string: topology, count 1
 *   vms:                     # required (unless sources:), >= 1 entry
 *     - name: db             # default vm<i>; unique
 *       count: 1             # identical VMs from this entry
 *       vcpus: 4             # required, 1..4096
 *       weight: 100          # 1..10000
 *       cap: 1.5             # pCPUs (> 0, <= vcpus), none by default
 *       prio: 0              # criticality hint
 *       host: 0              # index after expanding counts; -1 = spread
 *       start: 0             # arrival, before the end of the run
 *       allowed: [0, 1, 2]   # pCPU ids on its host(s)
 *       workload:            # required
 *         loops: 0           # 0 = forever
 *         phases:            # required, >= 1: compute, block, barrier, lock
 *           - compute: {dist: exp, mean: 500us}
 *           - block: 2ms
 *           - barrier
 *           - lock: {id: 0, hold: 20us}
 *   sources:                 # VM arrivals from traces or generators
 *     - {trace: kth.swf, window: [1d, 2d], sample: 0.5, scale: 0.001}
 *     - {generator: poisson, rate: 20, lifetime: 100ms}
 *   faults:
 *     - {at: 800ms, host: 0, pcpu: 5, action: offline}  # online | speed
 *     - {at: 1s, pcpu: 2, action: speed, speed: 0.5}    # (0, 100]
 *     - {mtbf: {dist: exp, mean: 10s}, mttr: 1s, pcpu: -1}
 *
 * A distribution is a duration ("2ms": constant) or {dist: NAME, ...}:
 * const {value}, exp {mean}, uniform {min, max}, normal {mean, sd},
 * lognormal {mean, sd}, pareto {scale, shape}, weibull {scale, shape};
 * shape is a plain number, the others durations. A duration is a number of
 * ns or a number with a unit ns us ms s min h ("1.5s"), exactly whole ns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vcpu/core.h>

#include "scenario_internal.h"

#define SIM_SCN_MAX_FILE (64u << 20) /* bigger than any sane scenario */
#define SIM_SCN_MAX_PENALTY 64

/* ------------------------------------------------------------------ */
/* The document                                                        */
/* ------------------------------------------------------------------ */

/*
 * libfyaml prints to stderr unless told otherwise: give it a diag that
 * collects errors, then report the first one ourselves under the name we
 * were given (libfyaml calls a string input "<memory-@0x...>").
 */
static int build_document(struct sim_scn *c, const char *yaml, size_t len)
{
    struct fy_diag_cfg dc;

    fy_diag_cfg_default(&dc);
    dc.fp = NULL;
    dc.level = FYET_ERROR; /* nothing below an error is printed or kept */
    dc.colorize = false;
    if (!(c->diag = fy_diag_create(&dc)))
        return sim_scn_fail(c, NULL, NULL, "out of memory");
    fy_diag_set_collect_errors(c->diag, true);

    struct fy_parse_cfg pc = {
        .flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT,
        .diag = c->diag,
    };
    c->fyd = len ? fy_document_build_from_string(&pc, yaml, len) : NULL;
    if (c->fyd)
        return 0;

    struct fy_diag_error *e = NULL;
    void *it = NULL;
    while ((e = fy_diag_errors_iterate(c->diag, &it)) && e->type < FYET_ERROR)
        ;
    if (!e) /* no document in the stream, e.g. only comments */
        return sim_scn_fail(c, NULL, NULL, "the scenario is empty");
    c->failed = true;
    snprintf(c->err, c->errlen, "%s:%d:%d: YAML syntax: %s", c->file,
             e->line > 0 ? e->line : 1, e->column > 0 ? e->column : 1,
             e->msg ? e->msg : "error");
    return -1;
}

/* ------------------------------------------------------------------ */
/* Top level                                                           */
/* ------------------------------------------------------------------ */

static bool ends_with_so(const char *s)
{
    size_t len = strlen(s);
    return len > 3 && !strcmp(s + len - 3, ".so");
}

static int unknown_policy(struct sim_scn *c, struct fy_node *n,
                          const char *path, const char *name)
{
    const char *names[65];
    char list[256] = "";
    unsigned k = 0;

    for (const struct vcpu_policy_ops *o; k < 64 && (o = vcpu_policy_at(k));
         k++) {
        size_t len = strlen(list);
        names[k] = o->name;
        snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "",
                 o->name);
    }
    names[k] = NULL;
    const char *near = sim_scn_closest(name, names);
    if (near)
        return sim_scn_fail(
            c, n, path, "unknown policy '%s' (did you mean '%s'?)", name, near);
    return sim_scn_fail(c, n, path,
                        "unknown policy '%s' (built in: %s; or a path to a "
                        ".so)",
                        name, list);
}

/* A relative .so path with a '/' is relative to the scenario's directory;
 * a bare "x.so" is left to dlopen's search. */
static int policy_so(struct sim_scn *c, struct fy_node *n, const char *path,
                     const char *name, char **out)
{
    if (!strchr(name, '/'))
        return sim_scn_str(c, n, path, out);
    size_t len = strlen(name) + (c->dir ? strlen(c->dir) + 2 : 1);
    char *p = malloc(len);
    if (!p)
        return sim_scn_fail(c, n, path, "out of memory");
    if (name[0] != '/' && c->dir)
        snprintf(p, len, "%s/%s", c->dir, name);
    else
        snprintf(p, len, "%s", name);
    if (access(p, R_OK) != 0) {
        sim_scn_fail(c, n, path, "cannot read '%s': %s", p, strerror(errno));
        free(p);
        return -1;
    }
    free(*out);
    *out = p;
    return 0;
}

static int policy_name(struct sim_scn *c, struct fy_node *n, const char *path,
                       char **out)
{
    const char *name = sim_scn_scalar(c, n, path);

    if (!name)
        return -1;
    if (ends_with_so(name))
        return policy_so(c, n, path, name, out);
    if (!vcpu_policy_find(name))
        return unknown_policy(c, n, path, name);
    return sim_scn_str(c, n, path, out);
}

int sim_scn_policy_name(struct sim_scn *c, struct fy_node *n, const char *path,
                        char **out)
{
    return policy_name(c, n, path, out);
}

/* args: "k=v,..." as given, or a mapping {k: v} joined into that form. */
static int policy_args(struct sim_scn *c, struct fy_node *n, const char *path)
{
    struct fy_node_pair *p;
    char buf[1024] = "";
    void *it = NULL;

    if (fy_node_get_type(n) != FYNT_MAPPING)
        return sim_scn_str(c, n, path, &c->s->policy_args);
    if (sim_scn_map(c, n, path, NULL))
        return -1;
    while ((p = fy_node_mapping_iterate(n, &it))) {
        const char *k = fy_node_get_scalar0(fy_node_pair_key(p));
        char kp[SIM_SCN_PATH];
        const char *v =
            sim_scn_scalar(c, fy_node_pair_value(p), sim_scn_path(kp, path, k));
        size_t len = strlen(buf);
        if (!v)
            return -1;
        if ((size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%s",
                             len ? "," : "", k, v) >= sizeof buf - len)
            return sim_scn_fail(c, n, path, "too long");
    }
    c->s->policy_args = strdup(buf);
    return c->s->policy_args ? 0 : sim_scn_fail(c, n, path, "out of memory");
}

static int policy(struct sim_scn *c, struct fy_node *n)
{
    static const char *const keys[] = {"name", "args", NULL};
    struct fy_node *name, *args;

    if (!n)
        return 0;
    if (fy_node_get_type(n) == FYNT_SCALAR)
        return policy_name(c, n, "policy", &c->s->policy);
    if (sim_scn_map(c, n, "policy", keys) ||
        sim_scn_need(c, n, "policy", "name", &name) ||
        policy_name(c, name, "policy.name", &c->s->policy))
        return -1;
    args = sim_scn_get(n, "args");
    return args ? policy_args(c, args, "policy.args") : 0;
}

static int compare(struct sim_scn *c, struct fy_node *n)
{
    struct sim_scenario *s = c->s;
    char p[SIM_SCN_PATH];
    unsigned count;

    if (!n)
        return 0;
    if (sim_scn_seq(c, n, "compare", &count))
        return -1;
    if (count && !(s->compare = calloc(count, sizeof *s->compare)))
        return sim_scn_fail(c, n, "compare", "out of memory");
    for (unsigned i = 0; i < count; i++) {
        s->ncompare = i + 1;
        if (policy_name(c, fy_node_sequence_get_by_index(n, (int)i),
                        sim_scn_index(p, "compare", i), &s->compare[i]))
            return -1;
    }
    return 0;
}

static int penalty(struct sim_scn *c, struct fy_node *n)
{
    struct sim_scenario *s = c->s;
    char p[SIM_SCN_PATH];
    unsigned count;

    if (!n)
        return 0;
    if (sim_scn_seq(c, n, "migration_penalty", &count))
        return -1;
    if (count > SIM_SCN_MAX_PENALTY)
        return sim_scn_fail(c, n, "migration_penalty", "more than %d distances",
                            SIM_SCN_MAX_PENALTY);
    if (count && !(s->penalty_ns = calloc(count, sizeof *s->penalty_ns)))
        return sim_scn_fail(c, n, "migration_penalty", "out of memory");
    s->npenalty = count;
    for (unsigned i = 0; i < count; i++)
        if (sim_scn_duration(c, fy_node_sequence_get_by_index(n, (int)i),
                             sim_scn_index(p, "migration_penalty", i),
                             &s->penalty_ns[i]))
            return -1;
    return 0;
}

/* The file name without directory or extension, as a valid name. */
static char *default_name(const char *file)
{
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    if (!strncmp(b, "<builtin:", 9))
        b += 9;
    char *s = strdup(*b ? b : "scenario");
    if (!s)
        return NULL;
    char *dot = strrchr(s, '.');
    if (dot && dot != s)
        *dot = '\0';
    for (char *p = s; *p; p++)
        if (!strchr("_-.", *p) && !(*p >= '0' && *p <= '9') &&
            !((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
            *p = '_';
    return s;
}

static int top_defaults(struct sim_scn *c, struct fy_node *root)
{
    struct sim_scenario *s = c->s;

    if (!s->name && !(s->name = default_name(c->file)))
        return sim_scn_fail(c, root, NULL, "out of memory");
    if (!s->policy && !(s->policy = strdup("rr")))
        return sim_scn_fail(c, root, NULL, "out of memory");
    if (!s->out_dir) {
        size_t len = strlen(s->name) + 5;
        if (!(s->out_dir = malloc(len)))
            return sim_scn_fail(c, root, NULL, "out of memory");
        snprintf(s->out_dir, len, "out/%s", s->name);
    }
    return 0;
}

static int top_scalars(struct sim_scn *c, struct fy_node *r)
{
    struct sim_scenario *s = c->s;
    struct fy_node *n;

    if (sim_scn_need(c, r, NULL, "duration", &n) ||
        sim_scn_duration(c, n, "duration", &s->duration_ns))
        return -1;
    if (!s->duration_ns)
        return sim_scn_fail(c, n, "duration", "must be more than 0");
    if (sim_scn_name(c, sim_scn_get(r, "name"), "name", &s->name) ||
        sim_scn_uint(c, sim_scn_get(r, "seed"), "seed", 0, UINT64_MAX,
                     &s->seed) ||
        sim_scn_duration(c, (n = sim_scn_get(r, "slice")), "slice",
                         &s->slice_ns))
        return -1;
    if (!s->slice_ns)
        return sim_scn_fail(c, n, "slice", "must be more than 0");
    return sim_scn_duration(c, sim_scn_get(r, "ple_window"), "ple_window",
                            &s->ple_window_ns) ||
           sim_scn_bool(c, sim_scn_get(r, "check"), "check", &s->check) ||
           sim_scn_bool(c, sim_scn_get(r, "trace"), "trace", &s->trace) ||
           sim_scn_str(c, sim_scn_get(r, "out"), "out", &s->out_dir);
}

static int top_level(struct sim_scn *c, struct fy_node *root)
{
    static const char *const keys[] = {"name",
                                       "seed",
                                       "duration",
                                       "policy",
                                       "compare",
                                       "slice",
                                       "migration_penalty",
                                       "ple_window",
                                       "check",
                                       "trace",
                                       "out",
                                       "hosts",
                                       "vms",
                                       "faults",
                                       "sources",
                                       "datacenter",
                                       NULL};
    struct fy_node *hosts, *vms, *srcs = sim_scn_get(root, "sources");

    if (fy_node_get_type(root) != FYNT_MAPPING)
        return sim_scn_fail(c, root, NULL,
                            "a scenario is a mapping (duration:, hosts:, "
                            "vms:, ...)");
    c->s->seed = 1;
    c->s->slice_ns = 1000000;
    if (sim_scn_map(c, root, NULL, keys) || top_scalars(c, root) ||
        policy(c, sim_scn_get(root, "policy")) ||
        compare(c, sim_scn_get(root, "compare")) ||
        penalty(c, sim_scn_get(root, "migration_penalty")) ||
        sim_scn_need(c, root, NULL, "hosts", &hosts) ||
        sim_scn_hosts(c, hosts) ||
        (!(vms = sim_scn_get(root, "vms")) && !srcs &&
         sim_scn_need(c, root, NULL, "vms", &vms)) ||
        (vms && sim_scn_vms(c, vms)) || (srcs && sim_scn_sources(c, srcs)) ||
        sim_scn_faults(c, sim_scn_get(root, "faults")) ||
        sim_scn_datacenter(c, sim_scn_get(root, "datacenter")) ||
        sim_scn_dc_check(c, root))
        return -1;
    return top_defaults(c, root);
}

/* ------------------------------------------------------------------ */
/* Public calls                                                        */
/* ------------------------------------------------------------------ */

static int parse(struct sim_scn *c, const char *yaml, size_t len,
                 const char *const *sets, unsigned nsets)
{
    if (!(c->s = calloc(1, sizeof *c->s)) || !(c->s->file = strdup(c->file)))
        return sim_scn_fail(c, NULL, NULL, "out of memory");
    if (build_document(c, yaml, len))
        return -1;
    struct fy_node *root = fy_document_root(c->fyd);
    if (!root)
        return sim_scn_fail(c, NULL, NULL, "the scenario is empty");
    for (unsigned i = 0; i < nsets; i++)
        if (sim_scn_apply_set(c, root, sets[i]))
            return -1;
    return top_level(c, root);
}

static int parse_in(const char *name, const char *dir, const char *yaml,
                    size_t len, const char *const *sets, unsigned nsets,
                    struct sim_scenario **out, char *err, size_t errlen)
{
    char scratch[8];
    struct sim_scn c = {
        .file = name ? name : "<scenario>",
        .dir = dir,
        .err = err && errlen ? err : scratch,
        .errlen = err && errlen ? errlen : sizeof scratch,
    };

    c.err[0] = '\0';
    int rc = parse(&c, yaml, len, sets, nsets);
    fy_document_destroy(c.fyd);
    fy_diag_destroy(c.diag);
    free(c.sets);
    free(c.spec_npcpus);
    if (rc) {
        sim_scenario_free(c.s);
        c.s = NULL;
    }
    if (out)
        *out = c.s;
    else
        sim_scenario_free(c.s);
    return rc ? -1 : 0;
}

int sim_scenario_parse(const char *name, const char *yaml, size_t len,
                       const char *const *sets, unsigned nsets,
                       struct sim_scenario **out, char *err, size_t errlen)
{
    if (!yaml)
        len = 0;
    return parse_in(name, NULL, yaml, len, sets, nsets, out, err, errlen);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int e = 0;

    if (!f)
        return NULL;
    while (!e) {
        if (n == cap) {
            char *p = cap < SIM_SCN_MAX_FILE ? realloc(buf, cap + 65536) : NULL;
            if (!p) {
                e = cap < SIM_SCN_MAX_FILE ? ENOMEM : EFBIG;
                break;
            }
            buf = p;
            cap += 65536;
        }
        errno = 0;
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (!got && ferror(f))
            e = errno ? errno : EIO;
        else if (!got)
            break;
    }
    fclose(f);
    if (e) {
        free(buf);
        errno = e;
        return NULL;
    }
    *len = n;
    return buf;
}

int sim_scenario_load(const char *path, const char *const *sets, unsigned nsets,
                      struct sim_scenario **out, char *err, size_t errlen)
{
    size_t len = 0;
    char *yaml;

    if (out)
        *out = NULL;
    if (!path || !(yaml = read_file(path, &len))) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot read: %s", path ? path : "(null)",
                     strerror(path ? errno : EINVAL));
        return -2;
    }
    char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        slash[slash == dir] = '\0'; /* "/x.yaml" keeps "/" */
    int rc = parse_in(path, slash ? dir : NULL, yaml, len, sets, nsets, out,
                      err, errlen);
    free(dir);
    free(yaml);
    return rc;
}

void sim_scenario_free(struct sim_scenario *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->ncompare; i++)
        free(s->compare[i]);
    for (unsigned i = 0; i < s->nhosts; i++)
        free(s->hosts[i].topo);
    for (unsigned i = 0; i < s->nvms; i++) {
        free(s->vms[i].name);
        free(s->vms[i].allowed);
        free(s->vms[i].wl.phases);
        free(s->vms[i].tasks);
        free(s->vms[i].guest_policy);
        free(s->vms[i].guest_args);
    }
    for (unsigned i = 0; i < s->nsources; i++) {
        free(s->sources[i].name);
        free(s->sources[i].path);
        free(s->sources[i].sizes);
    }
    free(s->sources);
    if (s->dc) {
        free(s->dc->placement);
        free(s->dc->placement_args);
        free(s->dc->failures);
        free(s->dc);
    }
    free(s->compare);
    free(s->hosts);
    free(s->vms);
    free(s->faults);
    free(s->penalty_ns);
    free(s->file);
    free(s->name);
    free(s->policy);
    free(s->policy_args);
    free(s->out_dir);
    free(s);
}
