// SPDX-License-Identifier: GPL-3.0-or-later
/* Pre-copy live migration (Clark et al., NSDI 2005): each round is one
 * network flow capped at the round's rate; the pages dirtied while it ran
 * (an expected count under the writable-working-set model) are the next
 * round. Stage delays (reservation, commitment, activation) are events of
 * this module's own queue; transfers are the network's. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "migrate.h"

enum { ST_RESERVE = 1, ST_PRECOPY, ST_STOPCOPY, ST_COMMIT, ST_RESUME, ST_FAIL };
enum { EV_RESERVED = 1, EV_COMMITTED, EV_RESUMED, EV_FAILED };

struct mig {
    sim_mig_t *sys;
    uint32_t id, src, dst, gen, state, flow, round;
    uint32_t *path;
    unsigned npath;
    struct sim_mig_params p;
    struct sim_mig_vm vm;
    struct sim_mig_dirty_point *trace;
    uint64_t start, round_start, down, rate, round_bytes, sent;
    int reason;
    bool was_down;
    uint32_t stalled; /* rounds in a row that did not shrink */
};

struct sim_mig {
    sim_net_t *net;
    sim_engine_t *eng;
    struct sim_mig_cbs cbs;
    FILE *trace;
    struct mig **migs;
    uint32_t nmigs, capmigs, running;
};

static const char *const reason_names[SIM_MIG_NREASONS] = {
    "threshold", "rate",  "rounds", "sent",   "pages",  "no-precopy",
    "stall",     "limit", "link",   "target", "source", "abort",
};

const char *sim_mig_reason_name(int reason)
{
    if (reason < 0 || reason >= SIM_MIG_NREASONS)
        return "?";
    return reason_names[reason];
}

void sim_mig_params_resolve(const struct sim_mig_params *p,
                            struct sim_mig_params *out)
{
    static const struct sim_mig_params zero = {0};
    *out = p ? *p : zero;
    out->abi = SIM_MIG_ABI;
    if (!out->min_rate_bps)
        out->min_rate_bps = 100 * SIM_MIG_MBIT;
    if (!out->max_rate_bps)
        out->max_rate_bps = 500 * SIM_MIG_MBIT;
    if (!out->increment_bps)
        out->increment_bps = 50 * SIM_MIG_MBIT;
    if (!out->threshold_bytes)
        out->threshold_bytes = 256 * 1024;
    if (!out->page_bytes)
        out->page_bytes = 4096;
    if (!out->stall_rounds)
        out->stall_rounds = 5;
}

void sim_mig_params_xen(struct sim_mig_params *out)
{
    sim_mig_params_resolve(NULL, out);
    out->max_rounds = 30;
    out->max_sent_pct = 300;
    out->min_pages = 50;
}

/* ------------------------------------------------------------------ */
/* Dirtying                                                            */
/* ------------------------------------------------------------------ */

/* Bytes written into each class over [t0, t1), rates piecewise constant. */
static void written(const struct sim_mig_vm *vm, uint64_t t0, uint64_t t1,
                    double *hot, double *bg)
{
    *hot = *bg = 0;
    uint64_t t = t0;
    double wr = (double)vm->wws_rate_Bps, br = (double)vm->bg_rate_Bps;
    unsigned i = 0;
    while (i < vm->ntrace && vm->trace[i].t_ns <= t) {
        wr = (double)vm->trace[i].wws_rate_Bps;
        br = (double)vm->trace[i].bg_rate_Bps;
        i++;
    }
    while (t < t1) {
        uint64_t end =
            i < vm->ntrace && vm->trace[i].t_ns < t1 ? vm->trace[i].t_ns : t1;
        *hot += wr * (double)(end - t) / 1e9;
        *bg += br * (double)(end - t) / 1e9;
        t = end;
        if (i < vm->ntrace && vm->trace[i].t_ns == t) {
            wr = (double)vm->trace[i].wws_rate_Bps;
            br = (double)vm->trace[i].bg_rate_Bps;
            i++;
        }
    }
}

static double distinct(double size, double writes)
{
    return size > 0 ? size * -expm1(-writes / size) : 0;
}

double sim_mig_dirtied(const struct sim_mig_vm *vm, uint64_t t0_ns,
                       uint64_t t1_ns)
{
    if (t1_ns <= t0_ns)
        return 0;
    double hot, bg;
    written(vm, t0_ns, t1_ns, &hot, &bg);
    double ws = (double)vm->wws_bytes;
    return distinct(ws, hot) + distinct((double)vm->mem_bytes - ws, bg);
}

/* ------------------------------------------------------------------ */
/* The system                                                          */
/* ------------------------------------------------------------------ */

int sim_mig_create(sim_net_t *net, const struct sim_mig_cbs *cbs,
                   sim_mig_t **out)
{
    *out = NULL;
    if (!net)
        return -EINVAL;
    struct sim_mig *m = calloc(1, sizeof *m);
    if (!m || sim_engine_create(0, &m->eng)) {
        free(m);
        return -ENOMEM;
    }
    m->net = net;
    if (cbs)
        m->cbs = *cbs;
    *out = m;
    return 0;
}

static void mig_free(struct mig *g)
{
    if (!g)
        return;
    free(g->path);
    free(g->trace);
    free(g);
}

void sim_mig_destroy(sim_mig_t *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->nmigs; i++) {
        struct mig *g = m->migs[i];
        if (g && g->state == ST_PRECOPY)
            sim_net_flow_stop(m->net, g->flow);
        else if (g && g->state == ST_STOPCOPY)
            sim_net_flow_stop(m->net, g->flow);
        mig_free(g);
    }
    free(m->migs);
    sim_engine_destroy(m->eng);
    free(m);
}

void sim_mig_set_trace(sim_mig_t *m, FILE *f)
{
    m->trace = f;
}

unsigned sim_mig_running(const sim_mig_t *m)
{
    return m->running;
}

static void trace(struct mig *g, const char *ev, uint64_t arg)
{
    FILE *f = g->sys->trace;
    if (f)
        fprintf(f, "%" PRIu64 ",%s,-1,-1,%" PRIu32 ",%" PRIu64 "\n",
                sim_net_now(g->sys->net), ev, g->vm.vm, arg);
}

static uint64_t now_of(const sim_mig_t *m)
{
    return sim_net_now(m->net);
}

static void push(struct mig *g, uint64_t delay, uint32_t kind)
{
    sim_event_push(g->sys->eng, now_of(g->sys) + delay, kind, 0, g->id, 0,
                   g->gen);
}

/* ------------------------------------------------------------------ */
/* Stages                                                              */
/* ------------------------------------------------------------------ */

static void flow_done(void *ctx, uint32_t flow, int status);

static void finish(struct mig *g, bool ok)
{
    sim_mig_t *m = g->sys;
    uint64_t now = now_of(m);
    struct sim_mig_result r = {
        .ok = ok,
        .reason = g->reason,
        .vm = g->vm.vm,
        .start_ns = g->start,
        .down_ns = g->down,
        .downtime_ns = g->was_down ? now - g->down : 0,
        .total_ns = now - g->start,
        .bytes = g->sent,
        .rounds = g->round,
    };
    if (ok)
        trace(g, "VM_MIGRATE_END", r.downtime_ns);
    else
        trace(g, "VM_MIGRATE_FAIL", (uint64_t)g->reason);
    m->migs[g->id] = NULL;
    m->running--;
    uint32_t id = g->id;
    mig_free(g);
    if (m->cbs.done)
        m->cbs.done(m->cbs.ctx, id, &r);
}

/* Send @bytes at most at @rate; flow_done() follows. */
static int send(struct mig *g, uint64_t bytes, uint64_t rate)
{
    struct sim_net_flow_args fa = {
        .abi = SIM_NET_ABI,
        .path = g->path,
        .npath = g->npath,
        .cap_bps = rate,
        .bytes = bytes,
        .done = flow_done,
        .ctx = g,
    };
    g->round_start = now_of(g->sys);
    g->round_bytes = bytes;
    g->rate = rate;
    return sim_net_flow_start(g->sys->net, &fa, &g->flow);
}

static void fail(struct mig *g, int reason)
{
    if (g->state == ST_PRECOPY || g->state == ST_STOPCOPY)
        sim_net_flow_stop(g->sys->net, g->flow);
    g->state = ST_FAIL;
    g->reason = reason;
    g->gen++;
    push(g, 0, EV_FAILED);
}

static void start_or_fail(struct mig *g, uint64_t bytes, uint64_t rate)
{
    int rc = send(g, bytes, rate);
    if (rc) /* a link went down between rounds */
        fail(g, rc == -ENETDOWN ? SIM_MIG_FAIL_LINK : SIM_MIG_FAIL_ABORT);
}

static void stop_and_copy(struct mig *g, uint64_t bytes)
{
    sim_mig_t *m = g->sys;
    g->state = ST_STOPCOPY;
    g->down = now_of(m);
    g->was_down = true;
    trace(g, "VM_MIGRATE_DOWN", bytes);
    if (m->cbs.down)
        m->cbs.down(m->cbs.ctx, g->id, g->vm.vm);
    if (g->state != ST_STOPCOPY)
        return; /* failed from the callback */
    if (!bytes) {
        g->state = ST_COMMIT;
        push(g, g->p.commit_ns, EV_COMMITTED);
        return;
    }
    start_or_fail(g, bytes, g->p.max_rate_bps);
}

static void start_round(struct mig *g, uint64_t bytes, uint64_t rate)
{
    g->round++;
    trace(g, "VM_MIGRATE_RATE", rate);
    start_or_fail(g, bytes, rate);
}

static void begin(struct mig *g)
{
    uint64_t mem = g->vm.mem_bytes;
    if (g->p.flags & SIM_MIG_NO_PRECOPY) {
        g->reason = SIM_MIG_STOP_NOPRECOPY;
        stop_and_copy(g, mem);
        return;
    }
    g->state = ST_PRECOPY;
    start_round(g, mem, g->p.min_rate_bps);
}

/* Which stop rule ends pre-copy with @dirty bytes left and the next rate
 * @next; -1 for none. */
static int stop_rule(const struct mig *g, uint64_t dirty, double next)
{
    const struct sim_mig_params *p = &g->p;
    if (dirty < p->threshold_bytes)
        return SIM_MIG_STOP_THRESHOLD;
    if (next > (double)p->max_rate_bps)
        return SIM_MIG_STOP_RATE;
    if (p->max_rounds && g->round >= p->max_rounds)
        return SIM_MIG_STOP_ROUNDS;
    if (p->max_sent_pct &&
        (double)g->sent * 100 >= (double)g->vm.mem_bytes * p->max_sent_pct)
        return SIM_MIG_STOP_SENT;
    if (p->min_pages && dirty / p->page_bytes < p->min_pages)
        return SIM_MIG_STOP_PAGES;
    if (g->stalled >= p->stall_rounds)
        return SIM_MIG_STOP_STALL;
    if (g->round >= SIM_MIG_ROUND_LIMIT)
        return SIM_MIG_STOP_LIMIT;
    return -1;
}

/* A pre-copy round's flow ended: the pages dirtied meanwhile are next. */
static void round_end(struct mig *g)
{
    sim_mig_t *m = g->sys;
    uint64_t now = now_of(m);
    uint64_t dt = now > g->round_start ? now - g->round_start : 1;
    double d =
        sim_mig_dirtied(&g->vm, g->round_start - g->start, now - g->start);
    uint64_t page = g->p.page_bytes;
    uint64_t dirty = (uint64_t)ceil(d / (double)page) * page;
    if (dirty > g->vm.mem_bytes)
        dirty = g->vm.mem_bytes;
    g->sent += g->round_bytes;
    if ((double)dirty >= 0.99 * (double)g->round_bytes)
        g->stalled++;
    else
        g->stalled = 0;
    trace(g, "VM_MIGRATE_ROUND", g->round_bytes);
    struct sim_mig_round r = {g->round,       false,   g->round_start, now,
                              g->round_bytes, g->rate, dirty};
    if (m->cbs.round)
        m->cbs.round(m->cbs.ctx, g->id, &r);
    if (g->state != ST_PRECOPY)
        return;
    /* The paper: the next round runs at the dirtying rate of this one
     * plus an increment, never below the minimum. */
    double next = (double)dirty * 8e9 / (double)dt + (double)g->p.increment_bps;
    if (next < (double)g->p.min_rate_bps)
        next = (double)g->p.min_rate_bps;
    int stop = stop_rule(g, dirty, next);
    if (stop >= 0) {
        g->reason = stop;
        stop_and_copy(g, dirty);
        return;
    }
    start_round(g, dirty, (uint64_t)ceil(next));
}

static void flow_done(void *ctx, uint32_t flow, int status)
{
    (void)flow;
    struct mig *g = ctx;
    sim_mig_t *m = g->sys;
    if (status != SIM_NET_DONE) {
        g->state = ST_FAIL; /* the flow is gone already */
        fail(g, SIM_MIG_FAIL_LINK);
        return;
    }
    if (g->state == ST_PRECOPY) {
        round_end(g);
        return;
    }
    g->sent += g->round_bytes;
    trace(g, "VM_MIGRATE_ROUND", g->round_bytes);
    struct sim_mig_round r = {
        g->round + 1, true, g->round_start, now_of(m), g->round_bytes,
        g->rate,      0};
    if (m->cbs.round)
        m->cbs.round(m->cbs.ctx, g->id, &r);
    if (g->state != ST_STOPCOPY)
        return;
    g->state = ST_COMMIT;
    push(g, g->p.commit_ns, EV_COMMITTED);
}

static void handle(sim_mig_t *m, const struct sim_event *ev)
{
    struct mig *g = ev->a < m->nmigs ? m->migs[ev->a] : NULL;
    if (!g || g->gen != ev->gen)
        return;
    switch (ev->kind) {
    case EV_RESERVED:
        begin(g);
        return;
    case EV_COMMITTED:
        g->state = ST_RESUME;
        push(g, g->p.resume_ns, EV_RESUMED);
        return;
    case EV_RESUMED:
        finish(g, true);
        return;
    case EV_FAILED:
        finish(g, false);
        return;
    }
}

uint64_t sim_mig_next_time(sim_mig_t *m)
{
    uint64_t a = sim_engine_peek_time(m->eng);
    uint64_t b = sim_net_next_time(m->net);
    return a < b ? a : b;
}

void sim_mig_run_until(sim_mig_t *m, uint64_t t)
{
    struct sim_event ev;
    for (;;) {
        uint64_t a = sim_engine_peek_time(m->eng);
        uint64_t b = sim_net_next_time(m->net);
        if (a > t && b > t)
            break;
        if (b < a) {
            sim_net_run_until(m->net, b);
            continue;
        }
        sim_net_run_until(m->net, a);
        sim_event_pop(m->eng, &ev);
        handle(m, &ev);
    }
    sim_net_run_until(m->net, t);
}

/* ------------------------------------------------------------------ */
/* Migrations                                                          */
/* ------------------------------------------------------------------ */

static int check_args(const sim_mig_t *m, const struct sim_mig_args *a)
{
    if (!a || !a->vm || !a->path || !a->npath || !a->vm->mem_bytes ||
        a->vm->wws_bytes > a->vm->mem_bytes)
        return -EINVAL;
    for (unsigned i = 0; i < a->npath; i++) {
        if (a->path[i] >= sim_net_link_count(m->net))
            return -EINVAL;
        if (!sim_net_link_is_up(m->net, a->path[i]))
            return -ENETDOWN;
    }
    for (unsigned i = 1; i < a->vm->ntrace; i++)
        if (a->vm->trace[i].t_ns < a->vm->trace[i - 1].t_ns)
            return -EINVAL;
    return 0;
}

static int add(sim_mig_t *m, struct mig *g)
{
    if (m->nmigs == m->capmigs) {
        uint32_t c = m->capmigs ? 2 * m->capmigs : 64;
        struct mig **p = realloc(m->migs, c * sizeof *p);
        if (!p)
            return -ENOMEM;
        m->migs = p;
        m->capmigs = c;
    }
    g->id = m->nmigs;
    m->migs[m->nmigs++] = g;
    m->running++;
    return 0;
}

int sim_mig_start(sim_mig_t *m, const struct sim_mig_args *a, uint32_t *out)
{
    int rc = check_args(m, a);
    if (rc)
        return rc;
    struct mig *g = calloc(1, sizeof *g);
    if (!g)
        return -ENOMEM;
    g->path = malloc(a->npath * sizeof *g->path);
    g->vm = *a->vm;
    if (a->vm->ntrace) {
        g->trace = malloc(a->vm->ntrace * sizeof *g->trace);
        if (g->trace)
            memcpy(g->trace, a->vm->trace, a->vm->ntrace * sizeof *g->trace);
    }
    g->vm.trace = g->trace;
    if (!g->path || (a->vm->ntrace && !g->trace) || add(m, g)) {
        mig_free(g);
        return -ENOMEM;
    }
    memcpy(g->path, a->path, a->npath * sizeof *g->path);
    g->npath = a->npath;
    g->sys = m;
    g->src = a->src_host;
    g->dst = a->dst_host;
    sim_mig_params_resolve(a->params, &g->p);
    g->start = now_of(m);
    g->state = ST_RESERVE;
    trace(g, "VM_MIGRATE_START", a->dst_host);
    *out = g->id;
    if (g->p.reserve_ns)
        push(g, g->p.reserve_ns, EV_RESERVED);
    else
        begin(g);
    return 0;
}

static struct mig *live(sim_mig_t *m, uint32_t id)
{
    struct mig *g = id < m->nmigs ? m->migs[id] : NULL;
    return g && g->state != ST_FAIL ? g : NULL;
}

int sim_mig_abort(sim_mig_t *m, uint32_t id)
{
    struct mig *g = live(m, id);
    if (!g)
        return -EINVAL;
    fail(g, SIM_MIG_FAIL_ABORT);
    return 0;
}

unsigned sim_mig_fail_host(sim_mig_t *m, uint32_t host)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < m->nmigs; i++) {
        struct mig *g = live(m, i);
        if (!g || (g->src != host && g->dst != host))
            continue;
        fail(g, g->src == host ? SIM_MIG_FAIL_SOURCE : SIM_MIG_FAIL_TARGET);
        n++;
    }
    return n;
}

int sim_mig_fail_link(sim_mig_t *m, uint32_t link)
{
    return sim_net_link_down(m->net, link);
}

double sim_mig_cpu_load(sim_mig_t *m, uint32_t id)
{
    struct mig *g = live(m, id);
    if (!g || (g->state != ST_PRECOPY && g->state != ST_STOPCOPY))
        return 0;
    return sim_net_flow_rate(m->net, g->flow) / 1e9 * g->p.cpu_pct_per_gbps /
           100.0;
}
