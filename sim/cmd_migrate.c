// SPDX-License-Identifier: GPL-3.0-or-later
/* vcpusim migrate: run live migrations (sim/migrate.h) over a flow-level
 * network from a YAML scenario, with services whose traffic shares the
 * links; writes service throughput sampled at each listed period, the
 * migrations, their rounds and a trace. docs/migration.md */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "migrate.h"
#include "scenario_internal.h"

#define MAXN 256 /* links, services, VMs, migrations, sample periods */

struct mlink {
    char *name;
    uint64_t cap, lat;
};

struct msvc {
    char *name;
    int vm;
    uint32_t path[16], after[16];
    unsigned np, na;
    uint64_t demand;
    /* run state */
    uint32_t flow;
    bool on, moved;
    double done_bytes; /* sent by its ended flows */
};

struct mvm {
    char *name;
    struct sim_mig_vm vm;
};

struct mmig {
    int vm;
    uint64_t at;
    uint32_t path[16];
    unsigned np;
    struct sim_mig_params p;
    bool started;
};

struct mscn {
    uint64_t duration;
    uint64_t period[8];
    unsigned nperiod, nl, ns, nv, nm;
    struct mlink l[MAXN];
    struct msvc s[MAXN];
    struct mvm v[MAXN];
    struct mmig m[MAXN];
};

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

/* "<number><unit>" with a unit from @units (factor per unit). */
static int quantity(struct sim_scn *c, struct fy_node *n, const char *path,
                    const char *const *names, const double *mult,
                    const char *what, uint64_t *out)
{
    if (!n)
        return 0;
    const char *s = sim_scn_scalar(c, n, path);
    if (!s)
        return -1;
    char *end;
    double v = strtod(s, &end);
    while (*end == ' ')
        end++;
    for (unsigned i = 0; names[i]; i++) {
        if (strcmp(end, names[i]) || !(v >= 0) || v * mult[i] > 1.8e19)
            continue;
        *out = (uint64_t)llround(v * mult[i]);
        return 0;
    }
    return sim_scn_fail(c, n, path, "'%s' is not %s", s, what);
}

static int bytes_of(struct sim_scn *c, struct fy_node *n, const char *path,
                    uint64_t *out)
{
    static const char *const u[] = {"B",   "KB",  "MB",  "GB",
                                    "KiB", "MiB", "GiB", NULL};
    static const double m[] = {1, 1e3, 1e6, 1e9, 1024, 1048576, 1073741824};
    return quantity(c, n, path, u, m, "a size (B, KB, MB, GB, KiB, MiB, GiB)",
                    out);
}

static int bps_of(struct sim_scn *c, struct fy_node *n, const char *path,
                  uint64_t *out)
{
    static const char *const u[] = {"bit/s",  "Kbit/s", "Mbit/s",
                                    "Gbit/s", "MB/s",   NULL};
    static const double m[] = {1, 1e3, 1e6, 1e9, 8e6};
    return quantity(c, n, path, u, m,
                    "a bit rate (bit/s, Kbit/s, Mbit/s, Gbit/s, MB/s)", out);
}

static int Bps_of(struct sim_scn *c, struct fy_node *n, const char *path,
                  uint64_t *out)
{
    static const char *const u[] = {"B/s", "KB/s", "MB/s", "GB/s", NULL};
    static const double m[] = {1, 1e3, 1e6, 1e9};
    return quantity(c, n, path, u, m, "a write rate (B/s, KB/s, MB/s, GB/s)",
                    out);
}

static int lookup(struct sim_scn *c, struct fy_node *n, const char *path,
                  char *const *names, size_t stride, unsigned count, int *out)
{
    const char *s = sim_scn_scalar(c, n, path);
    if (!s)
        return -1;
    for (unsigned i = 0; i < count; i++) {
        if (!strcmp(*(char *const *)((const char *)names + i * stride), s)) {
            *out = (int)i;
            return 0;
        }
    }
    return sim_scn_fail(c, n, path, "'%s' is not defined", s);
}

static int path_of(struct sim_scn *c, struct mscn *x, struct fy_node *n,
                   const char *path, uint32_t *out, unsigned *np)
{
    unsigned k;
    char p[SIM_SCN_PATH];
    if (!n)
        return 0;
    if (sim_scn_seq(c, n, path, &k))
        return -1;
    if (!k || k > 16)
        return sim_scn_fail(c, n, path, "a path has 1 to 16 links");
    for (unsigned i = 0; i < k; i++) {
        int id = 0;
        if (lookup(c, fy_node_sequence_get_by_index(n, (int)i),
                   sim_scn_index(p, path, i), &x->l[0].name, sizeof x->l[0],
                   x->nl, &id))
            return -1;
        for (unsigned j = 0; j < i; j++)
            if (out[j] == (uint32_t)id)
                return sim_scn_fail(c, n, path, "a link appears twice");
        out[i] = (uint32_t)id;
    }
    *np = k;
    return 0;
}

/* Iterate a list section: calls @fn for each item. */
static int section(struct sim_scn *c, struct mscn *x, struct fy_node *root,
                   const char *key, bool need,
                   int (*fn)(struct sim_scn *, struct mscn *, struct fy_node *,
                             const char *))
{
    struct fy_node *n = sim_scn_get(root, key);
    unsigned k;
    char p[SIM_SCN_PATH];
    if (!n && need)
        return sim_scn_need(c, root, "", key, &n);
    if (!n)
        return 0;
    if (sim_scn_seq(c, n, key, &k))
        return -1;
    if (k > MAXN)
        return sim_scn_fail(c, n, key, "at most %u entries", MAXN);
    for (unsigned i = 0; i < k; i++)
        if (fn(c, x, fy_node_sequence_get_by_index(n, (int)i),
               sim_scn_index(p, key, i)))
            return -1;
    return 0;
}

static int one_link(struct sim_scn *c, struct mscn *x, struct fy_node *n,
                    const char *path)
{
    static const char *const keys[] = {"name", "capacity", "latency", NULL};
    struct mlink *l = &x->l[x->nl];
    struct fy_node *v;
    char p[SIM_SCN_PATH];
    if (sim_scn_map(c, n, path, keys) || sim_scn_need(c, n, path, "name", &v) ||
        sim_scn_name(c, v, sim_scn_path(p, path, "name"), &l->name) ||
        sim_scn_need(c, n, path, "capacity", &v) ||
        bps_of(c, v, sim_scn_path(p, path, "capacity"), &l->cap) ||
        sim_scn_duration(c, sim_scn_get(n, "latency"),
                         sim_scn_path(p, path, "latency"), &l->lat))
        return -1;
    x->nl++;
    if (!l->cap)
        return sim_scn_fail(c, v, path, "capacity must be positive");
    return 0;
}

static int one_vm(struct sim_scn *c, struct mscn *x, struct fy_node *n,
                  const char *path)
{
    static const char *const keys[] = {
        "name", "memory", "wws", "wws_rate", "background_rate", "trace", NULL};
    struct mvm *m = &x->v[x->nv];
    struct fy_node *v;
    char p[SIM_SCN_PATH];
    m->vm.abi = SIM_MIG_ABI;
    m->vm.vm = x->nv;
    if (sim_scn_map(c, n, path, keys) || sim_scn_need(c, n, path, "name", &v) ||
        sim_scn_name(c, v, sim_scn_path(p, path, "name"), &m->name) ||
        sim_scn_need(c, n, path, "memory", &v) ||
        bytes_of(c, v, sim_scn_path(p, path, "memory"), &m->vm.mem_bytes) ||
        bytes_of(c, sim_scn_get(n, "wws"), sim_scn_path(p, path, "wws"),
                 &m->vm.wws_bytes) ||
        Bps_of(c, sim_scn_get(n, "wws_rate"), sim_scn_path(p, path, "wws_rate"),
               &m->vm.wws_rate_Bps) ||
        Bps_of(c, sim_scn_get(n, "background_rate"),
               sim_scn_path(p, path, "background_rate"), &m->vm.bg_rate_Bps))
        return -1;
    x->nv++;
    if (!m->vm.mem_bytes || m->vm.wws_bytes > m->vm.mem_bytes)
        return sim_scn_fail(c, n, path,
                            "memory must be positive and at least the wws");
    struct fy_node *tr = sim_scn_get(n, "trace");
    unsigned k = 0;
    if (tr && sim_scn_seq(c, tr, sim_scn_path(p, path, "trace"), &k))
        return -1;
    struct sim_mig_dirty_point *pts = k ? calloc(k, sizeof *pts) : NULL;
    for (unsigned i = 0; i < k; i++) {
        static const char *const tk[] = {"at", "wws_rate", "background_rate",
                                         NULL};
        struct fy_node *e = fy_node_sequence_get_by_index(tr, (int)i);
        char q[SIM_SCN_PATH], r[SIM_SCN_PATH];
        sim_scn_index(q, sim_scn_path(p, path, "trace"), i);
        if (sim_scn_map(c, e, q, tk) || sim_scn_need(c, e, q, "at", &v) ||
            sim_scn_duration(c, v, sim_scn_path(r, q, "at"), &pts[i].t_ns) ||
            Bps_of(c, sim_scn_get(e, "wws_rate"),
                   sim_scn_path(r, q, "wws_rate"), &pts[i].wws_rate_Bps) ||
            Bps_of(c, sim_scn_get(e, "background_rate"),
                   sim_scn_path(r, q, "background_rate"), &pts[i].bg_rate_Bps))
            break;
        if (i && pts[i].t_ns < pts[i - 1].t_ns)
            sim_scn_fail(c, v, q, "trace points must be in time order");
    }
    m->vm.trace = pts;
    m->vm.ntrace = k;
    return c->failed ? -1 : 0;
}

static int one_service(struct sim_scn *c, struct mscn *x, struct fy_node *n,
                       const char *path)
{
    static const char *const keys[] = {"name",  "vm",     "path",
                                       "after", "demand", NULL};
    struct msvc *s = &x->s[x->ns];
    struct fy_node *v;
    char p[SIM_SCN_PATH];
    if (sim_scn_map(c, n, path, keys) || sim_scn_need(c, n, path, "name", &v) ||
        sim_scn_name(c, v, sim_scn_path(p, path, "name"), &s->name) ||
        sim_scn_need(c, n, path, "vm", &v) ||
        lookup(c, v, sim_scn_path(p, path, "vm"), &x->v[0].name, sizeof x->v[0],
               x->nv, &s->vm) ||
        sim_scn_need(c, n, path, "path", &v) ||
        path_of(c, x, v, sim_scn_path(p, path, "path"), s->path, &s->np) ||
        sim_scn_need(c, n, path, "after", &v) ||
        path_of(c, x, v, sim_scn_path(p, path, "after"), s->after, &s->na) ||
        bps_of(c, sim_scn_get(n, "demand"), sim_scn_path(p, path, "demand"),
               &s->demand))
        return -1;
    x->ns++;
    return 0;
}

static int mig_params(struct sim_scn *c, struct fy_node *n, const char *path,
                      struct sim_mig_params *p)
{
    char q[SIM_SCN_PATH];
    bool xen = false, precopy = true;
    uint64_t rounds = 0, pct = 0, pages = 0, page = 0, stall = 0;
    if (sim_scn_bool(c, sim_scn_get(n, "xen_rules"),
                     sim_scn_path(q, path, "xen_rules"), &xen))
        return -1;
    if (xen)
        sim_mig_params_xen(p);
    p->abi = SIM_MIG_ABI;
#define PARAM(fn, key, field)                                                  \
    fn(c, sim_scn_get(n, key), sim_scn_path(q, path, key), &p->field)
    if (PARAM(bps_of, "min_rate", min_rate_bps) ||
        PARAM(bps_of, "max_rate", max_rate_bps) ||
        PARAM(bps_of, "increment", increment_bps) ||
        PARAM(bytes_of, "threshold", threshold_bytes) ||
        PARAM(sim_scn_duration, "reserve", reserve_ns) ||
        PARAM(sim_scn_duration, "commit", commit_ns) ||
        PARAM(sim_scn_duration, "resume", resume_ns) ||
        sim_scn_bool(c, sim_scn_get(n, "precopy"),
                     sim_scn_path(q, path, "precopy"), &precopy) ||
        sim_scn_uint(c, sim_scn_get(n, "max_rounds"),
                     sim_scn_path(q, path, "max_rounds"), 0, 1000000,
                     &rounds) ||
        sim_scn_uint(c, sim_scn_get(n, "max_sent_pct"),
                     sim_scn_path(q, path, "max_sent_pct"), 0, 1000000, &pct) ||
        sim_scn_uint(c, sim_scn_get(n, "min_pages"),
                     sim_scn_path(q, path, "min_pages"), 0, 1u << 30, &pages) ||
        sim_scn_uint(c, sim_scn_get(n, "page"), sim_scn_path(q, path, "page"),
                     0, 1u << 30, &page) ||
        sim_scn_uint(c, sim_scn_get(n, "stall_rounds"),
                     sim_scn_path(q, path, "stall_rounds"), 0, 1000000, &stall))
        return -1;
#undef PARAM
    if (rounds)
        p->max_rounds = (uint32_t)rounds;
    if (pct)
        p->max_sent_pct = (uint32_t)pct;
    if (pages)
        p->min_pages = (uint32_t)pages;
    if (page)
        p->page_bytes = (uint32_t)page;
    if (stall)
        p->stall_rounds = (uint32_t)stall;
    if (!precopy)
        p->flags |= SIM_MIG_NO_PRECOPY;
    return 0;
}

static int one_mig(struct sim_scn *c, struct mscn *x, struct fy_node *n,
                   const char *path)
{
    static const char *const keys[] = {
        "vm",        "at",           "path",       "min_rate",     "max_rate",
        "increment", "threshold",    "reserve",    "commit",       "resume",
        "precopy",   "xen_rules",    "max_rounds", "max_sent_pct", "min_pages",
        "page",      "stall_rounds", NULL};
    struct mmig *m = &x->m[x->nm];
    struct fy_node *v;
    char p[SIM_SCN_PATH];
    if (sim_scn_map(c, n, path, keys) || sim_scn_need(c, n, path, "vm", &v) ||
        lookup(c, v, sim_scn_path(p, path, "vm"), &x->v[0].name, sizeof x->v[0],
               x->nv, &m->vm) ||
        sim_scn_need(c, n, path, "at", &v) ||
        sim_scn_duration(c, v, sim_scn_path(p, path, "at"), &m->at) ||
        sim_scn_need(c, n, path, "path", &v) ||
        path_of(c, x, v, sim_scn_path(p, path, "path"), m->path, &m->np) ||
        mig_params(c, n, path, &m->p))
        return -1;
    x->nm++;
    return 0;
}

static int top(struct sim_scn *c, struct mscn *x, struct fy_node *root)
{
    static const char *const keys[] = {"duration", "samples",    "links", "vms",
                                       "services", "migrations", NULL};
    struct fy_node *v;
    unsigned k = 0;
    if (!root || sim_scn_map(c, root, "", keys) ||
        sim_scn_need(c, root, "", "duration", &v) ||
        sim_scn_duration(c, v, "duration", &x->duration) ||
        section(c, x, root, "links", true, one_link) ||
        section(c, x, root, "vms", true, one_vm) ||
        section(c, x, root, "services", false, one_service) ||
        section(c, x, root, "migrations", false, one_mig))
        return -1;
    if ((v = sim_scn_get(root, "samples")) && sim_scn_seq(c, v, "samples", &k))
        return -1;
    if (k > 8)
        return sim_scn_fail(c, v, "samples", "at most 8 periods");
    char p[SIM_SCN_PATH];
    for (unsigned i = 0; i < k; i++) {
        struct fy_node *e = fy_node_sequence_get_by_index(v, (int)i);
        if (sim_scn_duration(c, e, sim_scn_index(p, "samples", i),
                             &x->period[i]))
            return -1;
        if (!x->period[i])
            return sim_scn_fail(c, e, p, "a period must be positive");
    }
    x->nperiod = k;
    return 0;
}

static int load(const char *file, struct mscn *x, char *err, size_t errlen)
{
    struct sim_scn c = {.file = file, .err = err, .errlen = errlen};
    struct fy_diag_cfg dc;
    fy_diag_cfg_default(&dc);
    dc.fp = NULL;
    dc.level = FYET_ERROR;
    dc.colorize = false;
    err[0] = '\0';
    if (!(c.diag = fy_diag_create(&dc)))
        return sim_scn_fail(&c, NULL, NULL, "out of memory");
    fy_diag_set_collect_errors(c.diag, true);
    struct fy_parse_cfg pc = {.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT,
                              .diag = c.diag};
    c.fyd = fy_document_build_from_file(&pc, file);
    int rc = 0;
    if (!c.fyd) {
        struct fy_diag_error *e = NULL;
        void *it = NULL;
        while ((e = fy_diag_errors_iterate(c.diag, &it)) &&
               e->type < FYET_ERROR)
            ;
        snprintf(err, errlen, "%s:%d:%d: %s", file,
                 e && e->line > 0 ? e->line : 1,
                 e && e->column > 0 ? e->column : 1,
                 e && e->msg ? e->msg : "cannot read the file");
        rc = -1;
    } else {
        rc = top(&c, x, fy_document_root(c.fyd));
    }
    fy_document_destroy(c.fyd);
    fy_diag_destroy(c.diag);
    return rc;
}

static void unload(struct mscn *x)
{
    for (unsigned i = 0; i < x->nl; i++)
        free(x->l[i].name);
    for (unsigned i = 0; i < x->nv; i++) {
        free(x->v[i].name);
        free((void *)x->v[i].vm.trace);
    }
    for (unsigned i = 0; i < x->ns; i++)
        free(x->s[i].name);
}

/* ------------------------------------------------------------------ */
/* Running                                                             */
/* ------------------------------------------------------------------ */

struct run {
    struct mscn *x;
    sim_net_t *net;
    sim_mig_t *mig;
    FILE *migs, *rounds;
    double *prev[8]; /* bytes of each service at the last sample */
    FILE *tput[8];
    unsigned failed, done;
};

static void svc_start(struct run *r, struct msvc *s, bool moved)
{
    struct sim_net_flow_args a = {SIM_NET_ABI,
                                  moved ? s->after : s->path,
                                  moved ? s->na : s->np,
                                  s->demand,
                                  0,
                                  NULL,
                                  NULL};
    s->on = sim_net_flow_start(r->net, &a, &s->flow) == 0;
    s->moved = moved;
}

static void svc_stop(struct run *r, struct msvc *s)
{
    if (!s->on)
        return;
    s->done_bytes += sim_net_flow_sent(r->net, s->flow);
    sim_net_flow_stop(r->net, s->flow);
    s->on = false;
}

static double svc_bytes(struct run *r, struct msvc *s)
{
    return s->done_bytes + (s->on ? sim_net_flow_sent(r->net, s->flow) : 0);
}

static void on_down(void *ctx, uint32_t mig, uint32_t vm)
{
    (void)mig;
    struct run *r = ctx;
    for (unsigned i = 0; i < r->x->ns; i++)
        if (r->x->s[i].vm == (int)vm)
            svc_stop(r, &r->x->s[i]);
}

static void on_round(void *ctx, uint32_t mig, const struct sim_mig_round *d)
{
    struct run *r = ctx;
    fprintf(r->rounds,
            "%" PRIu32 ",%" PRIu32 ",%d,%.9f,%.9f,%" PRIu64 ",%.6f,%" PRIu64
            "\n",
            mig, d->round, d->stop_copy, d->start_ns / 1e9, d->end_ns / 1e9,
            d->bytes, d->rate_bps / 1e6, d->dirty_bytes);
}

static void on_done(void *ctx, uint32_t mig, const struct sim_mig_result *d)
{
    struct run *r = ctx;
    struct mscn *x = r->x;
    fprintf(r->migs,
            "%" PRIu32 ",%s,%s,%s,%.9f,%.9f,%.6f,%" PRIu64 ",%" PRIu32 "\n",
            mig, x->v[d->vm].name, d->ok ? "ok" : "failed",
            sim_mig_reason_name(d->reason), d->start_ns / 1e9,
            d->total_ns / 1e9, d->downtime_ns / 1e6, d->bytes, d->rounds);
    d->ok ? r->done++ : r->failed++;
    for (unsigned i = 0; i < x->ns; i++) {
        struct msvc *s = &x->s[i];
        if (s->vm != (int)d->vm)
            continue;
        svc_stop(r, s);
        svc_start(r, s, d->ok ? !s->moved : s->moved);
    }
}

static void sample(struct run *r, unsigned k, uint64_t t)
{
    struct mscn *x = r->x;
    fprintf(r->tput[k], "%.6f", t / 1e9);
    for (unsigned i = 0; i < x->ns; i++) {
        double b = svc_bytes(r, &x->s[i]);
        fprintf(r->tput[k], ",%.3f",
                (b - r->prev[k][i]) * 8 / (x->period[k] / 1e9) / 1e6);
        r->prev[k][i] = b;
    }
    fputc('\n', r->tput[k]);
}

static uint64_t next_time(struct run *r, uint64_t *next_sample)
{
    struct mscn *x = r->x;
    uint64_t t = sim_mig_next_time(r->mig);
    for (unsigned k = 0; k < x->nperiod; k++)
        t = next_sample[k] < t ? next_sample[k] : t;
    for (unsigned i = 0; i < x->nm; i++)
        if (!x->m[i].started && x->m[i].at < t)
            t = x->m[i].at;
    return t < x->duration ? t : x->duration;
}

static void step(struct run *r, uint64_t t, uint64_t *next_sample)
{
    struct mscn *x = r->x;
    sim_mig_run_until(r->mig, t);
    for (unsigned k = 0; k < x->nperiod; k++) {
        if (next_sample[k] == t) {
            sample(r, k, t);
            next_sample[k] += x->period[k];
        }
    }
    for (unsigned i = 0; i < x->nm; i++) {
        struct mmig *m = &x->m[i];
        if (m->started || m->at != t)
            continue;
        m->started = true;
        struct sim_mig_args a = {SIM_MIG_ABI,     0,    1, m->path, m->np,
                                 &x->v[m->vm].vm, &m->p};
        uint32_t id;
        if (sim_mig_start(r->mig, &a, &id))
            fprintf(stderr, "vcpusim migrate: migration %u refused\n", i);
    }
}

static FILE *open_out(const char *dir, const char *name, const char *header)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f && header)
        fprintf(f, "%s\n", header);
    if (!f)
        fprintf(stderr, "vcpusim migrate: %s: %s\n", path, strerror(errno));
    return f;
}

static int simulate(struct mscn *x, const char *out, bool quiet)
{
    struct run r = {.x = x};
    uint64_t next_sample[8];
    int rc = SIM_EXIT_FAIL;
    FILE *trace = NULL;
    if (sim_mkdirs(out) || sim_net_create(&r.net))
        goto out;
    for (unsigned i = 0; i < x->nl; i++)
        sim_net_link_add(r.net, x->l[i].cap, x->l[i].lat, NULL);
    struct sim_mig_cbs cbs = {on_down, on_round, on_done, &r};
    if (sim_mig_create(r.net, &cbs, &r.mig))
        goto out;
    r.migs = open_out(out, "migrations.csv",
                      "mig,vm,result,reason,start_s,total_s,downtime_ms,"
                      "bytes,rounds");
    r.rounds = open_out(out, "rounds.csv",
                        "mig,round,stop_copy,start_s,end_s,bytes,rate_mbps,"
                        "dirty_bytes");
    trace = open_out(out, "trace.csv", "time_ns,event,pcpu,vcpu,vm,arg");
    if (!r.migs || !r.rounds || !trace)
        goto out;
    sim_mig_set_trace(r.mig, trace);
    for (unsigned k = 0; k < x->nperiod; k++) {
        char name[64], head[4096];
        snprintf(name, sizeof name, "throughput_%" PRIu64 "ms.csv",
                 x->period[k] / 1000000);
        int n = snprintf(head, sizeof head, "time_s");
        for (unsigned i = 0; i < x->ns && n < 4000; i++)
            n += snprintf(head + n, sizeof head - n, ",%s_mbps", x->s[i].name);
        if (!(r.tput[k] = open_out(out, name, head)) ||
            !(r.prev[k] = calloc(x->ns + 1, sizeof(double))))
            goto out;
        next_sample[k] = x->period[k];
    }
    for (unsigned i = 0; i < x->ns; i++)
        svc_start(&r, &x->s[i], false);
    for (uint64_t t = 0; t < x->duration;) {
        t = next_time(&r, next_sample);
        step(&r, t, next_sample);
    }
    if (!quiet)
        printf("vcpusim migrate: %u migrations done, %u failed, %u still "
               "running at %.3f s; tables in %s\n",
               r.done, r.failed, sim_mig_running(r.mig), x->duration / 1e9,
               out);
    rc = SIM_EXIT_OK;
out:
    for (unsigned k = 0; k < 8; k++) {
        if (r.tput[k])
            fclose(r.tput[k]);
        free(r.prev[k]);
    }
    if (r.migs)
        fclose(r.migs);
    if (r.rounds)
        fclose(r.rounds);
    if (trace)
        fclose(trace);
    sim_mig_destroy(r.mig);
    sim_net_destroy(r.net);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: vcpusim migrate SCENARIO [--out DIR] [--quiet]\n"
               "  run the live migrations of SCENARIO (YAML; see "
               "docs/migration.md)\n"
               "  and write migrations.csv, rounds.csv, trace.csv and\n"
               "  throughput_<period>ms.csv into DIR (default: .)\n");
}

int sim_cmd_migrate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *out = ".";
    bool quiet = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            return SIM_EXIT_OK;
        default:
            usage(stderr);
            return SIM_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return SIM_EXIT_USAGE;
    }
    struct mscn *x = calloc(1, sizeof *x);
    char err[1024];
    if (!x)
        return SIM_EXIT_FAIL;
    int rc = SIM_EXIT_DATAERR;
    if (load(argv[optind], x, err, sizeof err))
        fprintf(stderr, "%s\n", err);
    else
        rc = simulate(x, out, quiet);
    unload(x);
    free(x);
    return rc;
}
