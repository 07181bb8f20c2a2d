// SPDX-License-Identifier: GPL-3.0-or-later
/* Flow-level network with max-min fair sharing. A change (flow start, stop,
 * cap, link down) marks links as seeds; before time moves on, the flows
 * reachable from the seeds through links that can saturate (total demand
 * above capacity) are re-filled progressively. A link whose flows' caps fit
 * in it never binds, so it does not couple them: with capped flows on
 * uncongested links a change costs O(path), not O(flows). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

#define MAX_PATH 64
#define NOWHERE UINT32_MAX

/* A flow's one pending event follows from its state: ACTIVE, its last byte
 * leaving; TAIL, it arriving; FAILED, the failure being reported. */
enum { FL_FREE, FL_ACTIVE, FL_TAIL, FL_FAILED };

struct link {
    uint64_t cap, lat, sum_caps; /* sum_caps: caps of its flows */
    uint32_t n_uncapped, nflows, capflows;
    uint32_t *flows; /* flow ids; a flow knows its index here */
    bool up, seeded, inlc;
    uint32_t mark, nun, hpos; /* progressive filling scratch */
    double rem, share;
    double load; /* sum of its flows' rates (for provisional rates) */
};

struct flow {
    uint32_t *path, *pos; /* pos[i]: index in link path[i]'s flows */
    unsigned npath, cappath;
    uint64_t cap, lat, last;
    double rate, old_rate, remaining, sent;
    uint8_t state;
    bool bounded, seeded;
    sim_net_done_fn *done;
    void *ctx;
};

struct ev_ent {
    uint64_t time, seq;
    uint32_t flow;
};

struct cap_ent {
    uint64_t cap;
    uint32_t flow;
};

struct sim_net {
    uint64_t now, seq;
    uint64_t quantum, settle_at; /* settle_at: UINT64_MAX if nothing pends */
    struct link *links;
    uint32_t nlinks, caplinks;
    struct flow *flows;
    uint32_t nflows, capflows, nlive;
    uint32_t *free_ids;
    uint32_t nfree;
    /* pending seeds and settle scratch */
    uint32_t *seed_l, *seed_f, *comp_f, *comp_l;
    uint32_t nseed_l, nseed_f, cap_seed_l, cap_seed_f, cap_comp_f, cap_comp_l;
    uint32_t ncomp_f, ncomp_l;
    uint32_t *lheap;    /* links by share */
    struct ev_ent *evh; /* flows' pending events by (time, seq) */
    uint32_t *evpos;    /* a flow's index in evh, or NOWHERE: dense */
    uint32_t capevpos;
    struct cap_ent *cheap; /* flows by cap, keys inline: no cache misses */
    uint32_t nlheap, caplheap, ncheap, capcheap, nevh, capevh;
    uint32_t epoch, unfrozen, cap_unfrozen;
    /* per flow, dense (a settle scans them per link): the epoch in which
     * it joined the component, and that in which it was frozen */
    struct flow_mark {
        uint32_t comp, frozen;
    } * fm;
    uint32_t capfm;
    uint64_t recomputes, touched;
};

/* Grow *@arr (elements of @size) to hold @need. */
static int grow(void *arr, uint32_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *p = realloc(*(void **)arr, c * size);
    if (!p)
        return -ENOMEM;
    *(void **)arr = p;
    *cap = (uint32_t)c;
    return 0;
}

int sim_net_create(sim_net_t **out)
{
    *out = NULL;
    struct sim_net *n = calloc(1, sizeof *n);
    if (!n)
        return -ENOMEM;
    n->settle_at = UINT64_MAX;
    *out = n;
    return 0;
}

void sim_net_destroy(sim_net_t *n)
{
    if (!n)
        return;
    for (uint32_t i = 0; i < n->nlinks; i++)
        free(n->links[i].flows);
    for (uint32_t i = 0; i < n->nflows; i++)
        free(n->flows[i].path);
    free(n->links);
    free(n->flows);
    free(n->free_ids);
    free(n->seed_l);
    free(n->seed_f);
    free(n->comp_f);
    free(n->comp_l);
    free(n->lheap);
    free(n->cheap);
    free(n->evh);
    free(n->evpos);
    free(n->fm);
    free(n);
}

uint64_t sim_net_now(const sim_net_t *n)
{
    return n->now;
}

unsigned sim_net_link_count(const sim_net_t *n)
{
    return n->nlinks;
}

size_t sim_net_flow_count(const sim_net_t *n)
{
    return n->nlive;
}

uint64_t sim_net_recomputes(const sim_net_t *n, uint64_t *flows_touched)
{
    if (flows_touched)
        *flows_touched = n->touched;
    return n->recomputes;
}

/* ------------------------------------------------------------------ */
/* Seeds                                                               */
/* ------------------------------------------------------------------ */

/* A link can bind only if its flows could together exceed it. */
static bool coupling(const struct link *l)
{
    return l->n_uncapped > 0 || l->sum_caps > l->cap;
}

/* Something changed now: settle now, or at the next multiple of the
 * quantum (see sim_net_set_quantum()). */
static void pend(sim_net_t *n)
{
    if (n->settle_at != UINT64_MAX)
        return;
    uint64_t q = n->quantum, t = n->now;
    n->settle_at = q && t % q ? t - t % q + q : t;
    if (n->settle_at < t)
        n->settle_at = t; /* a quantum beyond the end of time */
}

static int seed_link(sim_net_t *n, uint32_t id)
{
    struct link *l = &n->links[id];
    if (l->seeded)
        return 0;
    if (grow(&n->seed_l, &n->cap_seed_l, n->nseed_l + 1, sizeof(uint32_t)))
        return -ENOMEM;
    l->seeded = true;
    n->seed_l[n->nseed_l++] = id;
    pend(n);
    return 0;
}

static int seed_flow(sim_net_t *n, uint32_t id)
{
    struct flow *f = &n->flows[id];
    if (f->seeded)
        return 0;
    if (grow(&n->seed_f, &n->cap_seed_f, n->nseed_f + 1, sizeof(uint32_t)))
        return -ENOMEM;
    f->seeded = true;
    n->seed_f[n->nseed_f++] = id;
    pend(n);
    return 0;
}

/* Bytes sent at the current rate since the flow's last update. */
static void accrue(sim_net_t *n, struct flow *f)
{
    if (f->rate > 0 && n->now > f->last) {
        double d = f->rate * (double)(n->now - f->last) / 8e9;
        if (f->bounded && d > f->remaining)
            d = f->remaining;
        f->sent += d;
        if (f->bounded)
            f->remaining -= d;
    }
    f->last = n->now;
}

/* Put flow @id on its links (the link lists were grown by the caller). */
static void attach(sim_net_t *n, uint32_t id)
{
    struct flow *f = &n->flows[id];
    for (unsigned i = 0; i < f->npath; i++) {
        struct link *l = &n->links[f->path[i]];
        bool was = coupling(l);
        f->pos[i] = l->nflows;
        l->flows[l->nflows++] = id;
        if (f->cap)
            l->sum_caps += f->cap;
        else
            l->n_uncapped++;
        if (was || coupling(l))
            seed_link(n, f->path[i]);
    }
}

static void detach(sim_net_t *n, uint32_t id)
{
    struct flow *f = &n->flows[id];
    for (unsigned i = 0; i < f->npath; i++) {
        struct link *l = &n->links[f->path[i]];
        bool was = coupling(l);
        uint32_t last = l->flows[--l->nflows];
        if (last != id) {
            struct flow *g = &n->flows[last];
            for (unsigned j = 0; j < g->npath; j++) {
                if (g->path[j] == f->path[i]) {
                    g->pos[j] = f->pos[i];
                    break;
                }
            }
            l->flows[f->pos[i]] = last;
        }
        if (f->cap)
            l->sum_caps -= f->cap;
        else
            l->n_uncapped--;
        l->load -= f->rate;
        if (was || coupling(l))
            seed_link(n, f->path[i]);
    }
    f->rate = 0;
}

/* Until the next settle, under a quantum: a flow just (re)attached at
 * rate 0 takes what its path has left, up to its cap. Nothing exceeds a
 * capacity, and a flow that replaces one on the same path (a migration's
 * next round) gets about the rate its predecessor freed. */
static void provisional(sim_net_t *n, uint32_t id)
{
    struct flow *f = &n->flows[id];
    double r = f->cap ? (double)f->cap : INFINITY;
    for (unsigned i = 0; i < f->npath; i++) {
        const struct link *l = &n->links[f->path[i]];
        double left = (double)l->cap - l->load;
        r = left < r ? left : r;
    }
    f->rate = r > 0 ? r : 0;
    for (unsigned i = 0; i < f->npath; i++)
        n->links[f->path[i]].load += f->rate;
}

/* ------------------------------------------------------------------ */
/* Heaps                                                               */
/* ------------------------------------------------------------------ */

/* Three binary heaps of ids that know their position: links by (share,
 * id), flows by (cap, id), flows by (event time, sequence). Positions let
 * a key change in place, so no stale entries pile up and a heap never
 * holds more than one entry per link or flow. */

static bool link_less(const sim_net_t *n, uint32_t a, uint32_t b)
{
    double x = n->links[a].share, y = n->links[b].share;
    return x < y || (x == y && a < b);
}

static void lheap_place(sim_net_t *n, uint32_t i, uint32_t id)
{
    n->lheap[i] = id;
    n->links[id].hpos = i;
}

static void lheap_up(sim_net_t *n, uint32_t i)
{
    uint32_t id = n->lheap[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!link_less(n, id, n->lheap[p]))
            break;
        lheap_place(n, i, n->lheap[p]);
        i = p;
    }
    lheap_place(n, i, id);
}

static void lheap_down(sim_net_t *n, uint32_t i)
{
    uint32_t id = n->lheap[i], m = n->nlheap;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= m)
            break;
        if (c + 1 < m && link_less(n, n->lheap[c + 1], n->lheap[c]))
            c++;
        if (!link_less(n, n->lheap[c], id))
            break;
        lheap_place(n, i, n->lheap[c]);
        i = c;
    }
    lheap_place(n, i, id);
}

static void lheap_remove(sim_net_t *n, uint32_t id)
{
    uint32_t i = n->links[id].hpos, last = n->lheap[--n->nlheap];
    n->links[id].hpos = NOWHERE;
    if (last == id)
        return;
    lheap_place(n, i, last);
    lheap_up(n, i);
    lheap_down(n, n->links[last].hpos);
}

static bool cap_less(const struct cap_ent *a, const struct cap_ent *b)
{
    return a->cap < b->cap || (a->cap == b->cap && a->flow < b->flow);
}

static void cheap_down(sim_net_t *n, uint32_t i)
{
    struct cap_ent e = n->cheap[i], *h = n->cheap;
    uint32_t m = n->ncheap;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= m)
            break;
        if (c + 1 < m && cap_less(&h[c + 1], &h[c]))
            c++;
        if (!cap_less(&h[c], &e))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = e;
}

static void cheap_pop(sim_net_t *n)
{
    n->cheap[0] = n->cheap[--n->ncheap];
    if (n->ncheap)
        cheap_down(n, 0);
}

static bool ev_less(const struct ev_ent *a, const struct ev_ent *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void evh_place(sim_net_t *n, uint32_t i, const struct ev_ent *e)
{
    n->evh[i] = *e;
    n->evpos[e->flow] = i;
}

/* 4-ary: half the depth of a binary heap, and the keys are inline, as in
 * the engine's queue (sim/engine.h). */
static void evh_up(sim_net_t *n, uint32_t i)
{
    struct ev_ent e = n->evh[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 4;
        if (!ev_less(&e, &n->evh[p]))
            break;
        evh_place(n, i, &n->evh[p]);
        i = p;
    }
    evh_place(n, i, &e);
}

static void evh_down(sim_net_t *n, uint32_t i)
{
    struct ev_ent e = n->evh[i];
    uint32_t m = n->nevh;
    for (;;) {
        uint32_t c = 4 * i + 1, end = c + 4 < m ? c + 4 : m;
        if (c >= m)
            break;
        for (uint32_t k = c + 1; k < end; k++)
            if (ev_less(&n->evh[k], &n->evh[c]))
                c = k;
        if (!ev_less(&n->evh[c], &e))
            break;
        evh_place(n, i, &n->evh[c]);
        i = c;
    }
    evh_place(n, i, &e);
}

/* Cancel flow @id's pending event, if any. */
static void ev_cancel(sim_net_t *n, uint32_t id)
{
    uint32_t i = n->evpos[id];
    if (i == NOWHERE)
        return;
    struct ev_ent last = n->evh[--n->nevh];
    n->evpos[id] = NOWHERE;
    if (last.flow == id)
        return;
    evh_place(n, i, &last);
    evh_up(n, i);
    evh_down(n, n->evpos[last.flow]);
}

/* Flow @id's pending event is now at @t. The sequence number breaks ties
 * in the order the events were set, as an engine queue would. The heap
 * has room for every flow (see new_id()). */
static void ev_set(sim_net_t *n, uint32_t id, uint64_t t)
{
    struct ev_ent e = {t, n->seq++, id};
    if (n->evpos[id] == NOWHERE)
        n->evpos[id] = n->nevh++;
    uint32_t i = n->evpos[id];
    bool later = i + 1 < n->nevh && !ev_less(&e, &n->evh[i]);
    n->evh[i] = e;
    if (later)
        evh_down(n, i);
    else
        evh_up(n, i);
}

static uint64_t ev_peek_time(const sim_net_t *n)
{
    return n->nevh ? n->evh[0].time : UINT64_MAX;
}

/* ------------------------------------------------------------------ */
/* Progressive filling                                                 */
/* ------------------------------------------------------------------ */

static int comp_add_flow(sim_net_t *n, uint32_t id)
{
    struct flow *f = &n->flows[id];
    if (n->fm[id].comp == n->epoch || f->state != FL_ACTIVE)
        return 0;
    if (grow(&n->comp_f, &n->cap_comp_f, n->ncomp_f + 1, sizeof(uint32_t)))
        return -ENOMEM;
    n->fm[id].comp = n->epoch;
    n->comp_f[n->ncomp_f++] = id;
    return 0;
}

static int comp_add_link(sim_net_t *n, uint32_t id, bool inlc)
{
    struct link *l = &n->links[id];
    l->mark = n->epoch;
    l->inlc = inlc;
    if (inlc) {
        if (grow(&n->comp_l, &n->cap_comp_l, n->ncomp_l + 1, sizeof(uint32_t)))
            return -ENOMEM;
        n->comp_l[n->ncomp_l++] = id;
    }
    for (uint32_t i = 0; i < l->nflows; i++)
        if (comp_add_flow(n, l->flows[i]))
            return -ENOMEM;
    return 0;
}

/* Fix @f at @rate; each link of the component it crosses has that much
 * less to share among one flow fewer, so its share can only rise. */
static bool is_frozen(const sim_net_t *n, uint32_t id)
{
    return n->fm[id].frozen == n->epoch;
}

static void freeze(sim_net_t *n, uint32_t id, double rate)
{
    struct flow *f = &n->flows[id];
    n->fm[id].frozen = n->epoch;
    f->rate = rate;
    n->unfrozen--;
    n->cap_unfrozen -= f->cap != 0;
    for (unsigned i = 0; i < f->npath; i++) {
        struct link *l = &n->links[f->path[i]];
        if (l->mark != n->epoch || !l->inlc)
            continue;
        l->rem -= rate;
        l->nun--;
        if (l->hpos == NOWHERE)
            continue; /* the link being filled */
        if (!l->nun) {
            lheap_remove(n, f->path[i]);
            continue;
        }
        l->share = l->rem > 0 ? l->rem / l->nun : 0;
        lheap_up(n, l->hpos);
        lheap_down(n, l->hpos);
    }
}

static void reschedule(sim_net_t *n, uint32_t id)
{
    struct flow *f = &n->flows[id];
    double dt = f->rate > 0 ? ceil(f->remaining * 8e9 / f->rate) : INFINITY;
    if (!f->bounded || dt >= 9e18 || n->now + (uint64_t)dt < n->now) {
        ev_cancel(n, id); /* never, or beyond any simulated horizon */
        return;
    }
    ev_set(n, id, n->now + (uint64_t)dt);
}

/* Heaps of the component's links by share and capped flows by cap. */
static void fill_init(sim_net_t *n, uint32_t nf, uint32_t nl)
{
    n->nlheap = 0;
    for (uint32_t i = 0; i < nl; i++) {
        struct link *l = &n->links[n->comp_l[i]];
        l->rem = (double)l->cap;
        l->nun = l->nflows;
        l->share = l->rem / l->nun;
        lheap_place(n, n->nlheap++, n->comp_l[i]);
    }
    for (uint32_t i = nl / 2; i-- > 0;)
        lheap_down(n, i);
    n->ncheap = 0;
    for (uint32_t i = 0; i < nf; i++) {
        struct flow *f = &n->flows[n->comp_f[i]];
        accrue(n, f);
        f->old_rate = f->rate;
        if (f->cap)
            n->cheap[n->ncheap++] = (struct cap_ent){f->cap, n->comp_f[i]};
    }
    for (uint32_t i = n->ncheap / 2; i-- > 0;)
        cheap_down(n, i);
    n->unfrozen = nf;
    n->cap_unfrozen = n->ncheap;
}

/* Drop the caps of flows links froze once they are most of the heap, so
 * they are not popped one by one as the level passes them (amortized
 * O(1) each: every compaction at least halves the heap). */
static void cheap_compact(sim_net_t *n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n->ncheap; i++)
        if (!is_frozen(n, n->cheap[i].flow))
            n->cheap[k++] = n->cheap[i];
    n->ncheap = k;
    for (uint32_t i = k / 2; i-- > 0;)
        cheap_down(n, i);
}

/* Max-min rates of the component's flows (comp_f[0..nf), comp_l[0..nl)):
 * raise a common level; a flow stops at its cap, and all unfrozen flows on
 * a link stop when the link fills. O((F * path + L) log L + F log F). */
static void fill(sim_net_t *n, uint32_t nf, uint32_t nl)
{
    fill_init(n, nf, nl);
    while (n->unfrozen) {
        if (n->ncheap > 2 * n->cap_unfrozen + 64)
            cheap_compact(n);
        double s = n->nlheap ? n->links[n->lheap[0]].share : INFINITY;
        double c = n->ncheap ? (double)n->cheap[0].cap : INFINITY;
        if (isinf(s) && isinf(c))
            break;
        if (c <= s) { /* flows a link froze leave only when they matter */
            uint32_t f = n->cheap[0].flow;
            cheap_pop(n);
            if (!is_frozen(n, f))
                freeze(n, f, c);
            continue;
        }
        uint32_t id = n->lheap[0];
        struct link *l = &n->links[id];
        lheap_remove(n, id);
        for (uint32_t i = 0; i < l->nflows; i++)
            if (!is_frozen(n, l->flows[i]))
                freeze(n, l->flows[i], s);
    }
    for (uint32_t i = 0; i < nf; i++) {
        struct flow *f = &n->flows[n->comp_f[i]];
        if (f->rate == f->old_rate)
            continue;
        reschedule(n, n->comp_f[i]);
        for (unsigned j = 0; j < f->npath; j++) {
            struct link *l = &n->links[f->path[j]];
            if (l->mark != n->epoch || !l->inlc)
                l->load += f->rate - f->old_rate;
        }
    }
    for (uint32_t i = 0; i < nl; i++) { /* exact, so no drift piles up */
        struct link *l = &n->links[n->comp_l[i]];
        l->load = (double)l->cap - l->rem;
    }
}

/* Recompute the rates the pending changes can affect. Out of memory here
 * leaves no consistent state to return to, hence abort(). */
static void settle(sim_net_t *n)
{
    n->settle_at = UINT64_MAX;
    if (!n->nseed_l && !n->nseed_f)
        return;
    n->epoch++;
    n->ncomp_f = n->ncomp_l = 0;
    int rc = 0;
    for (uint32_t i = 0; i < n->nseed_f; i++) {
        n->flows[n->seed_f[i]].seeded = false;
        rc |= comp_add_flow(n, n->seed_f[i]);
    }
    for (uint32_t i = 0; i < n->nseed_l; i++) {
        struct link *l = &n->links[n->seed_l[i]];
        l->seeded = false;
        rc |= comp_add_link(n, n->seed_l[i], coupling(l));
    }
    n->nseed_f = n->nseed_l = 0;
    for (uint32_t i = 0; i < n->ncomp_f; i++) {
        struct flow *f = &n->flows[n->comp_f[i]];
        for (unsigned j = 0; j < f->npath; j++) {
            struct link *l = &n->links[f->path[j]];
            if (l->mark != n->epoch && coupling(l))
                rc |= comp_add_link(n, f->path[j], true);
        }
    }
    rc |= grow(&n->cheap, &n->capcheap, n->ncomp_f, sizeof *n->cheap);
    if (rc)
        abort();
    n->recomputes++;
    n->touched += n->ncomp_f;
    fill(n, n->ncomp_f, n->ncomp_l);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

static void release(sim_net_t *n, uint32_t id)
{
    struct flow *f = &n->flows[id];
    ev_cancel(n, id);
    f->state = FL_FREE;
    f->done = NULL;
    n->free_ids[n->nfree++] = id;
    n->nlive--;
}

static void finish(sim_net_t *n, uint32_t id, int status)
{
    struct flow *f = &n->flows[id];
    sim_net_done_fn *cb = f->done;
    void *ctx = f->ctx;
    release(n, id);
    if (cb)
        cb(ctx, id, status);
}

/* Take the earliest pending event and act on it. */
static void handle_next(sim_net_t *n)
{
    uint32_t id = n->evh[0].flow;
    struct flow *f = &n->flows[id];
    n->now = n->evh[0].time; /* stays queued: ev_set() or release() */
    switch (f->state) {
    case FL_ACTIVE:
        accrue(n, f);
        f->sent += f->remaining; /* rounding: the event says it is over */
        f->remaining = 0;
        detach(n, id);
        if (f->lat) {
            f->state = FL_TAIL;
            ev_set(n, id, n->now + f->lat);
            return;
        }
        finish(n, id, SIM_NET_DONE);
        return;
    case FL_TAIL:
        finish(n, id, SIM_NET_DONE);
        return;
    case FL_FAILED:
        finish(n, id, SIM_NET_LINK_DOWN);
        return;
    }
}

/* Settle if pending changes are due (always, without a quantum). */
static void settle_due(sim_net_t *n)
{
    if (n->now >= n->settle_at)
        settle(n);
}

void sim_net_set_quantum(sim_net_t *n, uint64_t quantum_ns)
{
    n->quantum = quantum_ns;
    if (n->settle_at != UINT64_MAX) { /* pending changes: the new rule */
        n->settle_at = UINT64_MAX;
        pend(n);
    }
}

uint64_t sim_net_next_time(sim_net_t *n)
{
    settle_due(n);
    uint64_t t = ev_peek_time(n);
    return t < n->settle_at ? t : n->settle_at;
}

void sim_net_run_until(sim_net_t *n, uint64_t t)
{
    for (;;) {
        settle_due(n);
        uint64_t te = ev_peek_time(n);
        if (n->settle_at < te) { /* a quantum boundary comes first */
            if (n->settle_at > t)
                break;
            n->now = n->settle_at;
            continue;
        }
        if (te > t)
            break;
        handle_next(n);
    }
    if (t > n->now)
        n->now = t;
}

/* ------------------------------------------------------------------ */
/* Links                                                               */
/* ------------------------------------------------------------------ */

int sim_net_link_add(sim_net_t *n, uint64_t capacity_bps, uint64_t latency_ns,
                     uint32_t *out)
{
    if (!capacity_bps || n->nlinks == SIM_NET_NONE)
        return -EINVAL;
    if (grow(&n->links, &n->caplinks, n->nlinks + 1, sizeof *n->links) ||
        grow(&n->lheap, &n->caplheap, n->nlinks + 1, sizeof(uint32_t)))
        return -ENOMEM;
    struct link *l = &n->links[n->nlinks];
    memset(l, 0, sizeof *l);
    l->cap = capacity_bps;
    l->lat = latency_ns;
    l->up = true;
    l->hpos = NOWHERE;
    if (out)
        *out = n->nlinks;
    n->nlinks++;
    return 0;
}

static bool link_ok(const sim_net_t *n, uint32_t link)
{
    return link < n->nlinks;
}

uint64_t sim_net_link_capacity(const sim_net_t *n, uint32_t link)
{
    return link_ok(n, link) ? n->links[link].cap : 0;
}

bool sim_net_link_is_up(const sim_net_t *n, uint32_t link)
{
    return link_ok(n, link) && n->links[link].up;
}

int sim_net_link_down(sim_net_t *n, uint32_t link)
{
    if (!link_ok(n, link))
        return -EINVAL;
    struct link *l = &n->links[link];
    l->up = false;
    while (l->nflows) {
        uint32_t id = l->flows[l->nflows - 1];
        struct flow *f = &n->flows[id];
        accrue(n, f);
        detach(n, id);
        f->state = FL_FAILED;
        ev_set(n, id, n->now);
    }
    return 0;
}

int sim_net_link_up(sim_net_t *n, uint32_t link)
{
    if (!link_ok(n, link))
        return -EINVAL;
    n->links[link].up = true;
    return 0;
}

double sim_net_link_load(sim_net_t *n, uint32_t link)
{
    if (!link_ok(n, link))
        return 0;
    settle_due(n);
    double sum = 0;
    const struct link *l = &n->links[link];
    for (uint32_t i = 0; i < l->nflows; i++)
        sum += n->flows[l->flows[i]].rate;
    return sum;
}

/* ------------------------------------------------------------------ */
/* Flows                                                               */
/* ------------------------------------------------------------------ */

static int check_path(const sim_net_t *n, const struct sim_net_flow_args *a)
{
    if (!a || !a->path || !a->npath || a->npath > MAX_PATH)
        return -EINVAL;
    for (unsigned i = 0; i < a->npath; i++) {
        if (!link_ok(n, a->path[i]))
            return -EINVAL;
        for (unsigned j = 0; j < i; j++)
            if (a->path[j] == a->path[i])
                return -EINVAL;
    }
    for (unsigned i = 0; i < a->npath; i++)
        if (!n->links[a->path[i]].up)
            return -ENETDOWN;
    return 0;
}

static int new_id(sim_net_t *n, uint32_t *id)
{
    if (n->nfree) {
        *id = n->free_ids[--n->nfree];
        return 0;
    }
    if (n->nflows == SIM_NET_NONE ||
        grow(&n->flows, &n->capflows, n->nflows + 1, sizeof *n->flows))
        return -ENOMEM;
    uint32_t cap = n->capflows;
    void *p = realloc(n->free_ids, cap * sizeof *n->free_ids);
    if (!p)
        return -ENOMEM;
    n->free_ids = p;
    if (grow(&n->evh, &n->capevh, n->nflows + 1, sizeof *n->evh) ||
        grow(&n->evpos, &n->capevpos, n->nflows + 1, sizeof *n->evpos) ||
        grow(&n->fm, &n->capfm, n->nflows + 1, sizeof *n->fm))
        return -ENOMEM;
    n->fm[n->nflows] = (struct flow_mark){0, 0};
    memset(&n->flows[n->nflows], 0, sizeof *n->flows);
    n->evpos[n->nflows] = NOWHERE;
    *id = n->nflows++;
    return 0;
}

/* Room for one more flow on each link of @a's path. */
static int reserve_links(sim_net_t *n, const struct sim_net_flow_args *a)
{
    for (unsigned i = 0; i < a->npath; i++) {
        struct link *l = &n->links[a->path[i]];
        if (grow(&l->flows, &l->capflows, l->nflows + 1, sizeof(uint32_t)))
            return -ENOMEM;
    }
    return 0;
}

int sim_net_flow_start(sim_net_t *n, const struct sim_net_flow_args *a,
                       uint32_t *out)
{
    int rc = check_path(n, a);
    if (rc)
        return rc;
    uint32_t id;
    if ((rc = reserve_links(n, a)) || (rc = new_id(n, &id)))
        return rc;
    struct flow *f = &n->flows[id];
    if (f->cappath < a->npath) {
        uint32_t *p = realloc(f->path, 2 * a->npath * sizeof *p);
        if (!p) {
            n->free_ids[n->nfree++] = id;
            return -ENOMEM;
        }
        f->path = p;
        f->cappath = a->npath;
    }
    f->pos = f->path + f->cappath;
    memcpy(f->path, a->path, a->npath * sizeof *f->path);
    f->npath = a->npath;
    f->cap = a->cap_bps;
    f->bounded = a->bytes != 0;
    f->remaining = (double)a->bytes;
    f->sent = 0;
    f->rate = 0;
    f->last = n->now;
    f->lat = 0;
    for (unsigned i = 0; i < a->npath; i++)
        f->lat += n->links[a->path[i]].lat;
    f->state = FL_ACTIVE;
    f->done = a->done;
    f->ctx = a->ctx;
    n->nlive++;
    attach(n, id);
    seed_flow(n, id);
    if (n->quantum) {
        provisional(n, id);
        reschedule(n, id);
    }
    *out = id;
    return 0;
}

static struct flow *live_flow(sim_net_t *n, uint32_t id)
{
    if (id >= n->nflows || n->flows[id].state == FL_FREE)
        return NULL;
    return &n->flows[id];
}

int sim_net_flow_stop(sim_net_t *n, uint32_t id)
{
    struct flow *f = live_flow(n, id);
    if (!f)
        return -EINVAL;
    if (f->state == FL_ACTIVE) {
        accrue(n, f);
        detach(n, id);
    }
    release(n, id);
    return 0;
}

int sim_net_flow_set_cap(sim_net_t *n, uint32_t id, uint64_t cap_bps)
{
    struct flow *f = live_flow(n, id);
    if (!f)
        return -EINVAL;
    if (f->state != FL_ACTIVE || f->cap == cap_bps)
        return 0;
    accrue(n, f);
    double r = f->rate;
    detach(n, id);
    f->cap = cap_bps;
    attach(n, id);
    seed_flow(n, id);
    if (n->quantum) {
        provisional(n, id);
        if (f->rate != r)
            reschedule(n, id);
    }
    return 0;
}

double sim_net_flow_rate(sim_net_t *n, uint32_t id)
{
    settle_due(n);
    struct flow *f = live_flow(n, id);
    return f && f->state == FL_ACTIVE ? f->rate : 0;
}

double sim_net_flow_sent(sim_net_t *n, uint32_t id)
{
    settle_due(n);
    struct flow *f = live_flow(n, id);
    if (!f)
        return 0;
    if (f->state == FL_ACTIVE)
        accrue(n, f);
    return f->sent;
}
