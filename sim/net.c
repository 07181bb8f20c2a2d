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

#include "engine.h"
#include "net.h"

#define MAX_PATH 64

enum { FL_FREE, FL_ACTIVE, FL_TAIL, FL_FAILED };
enum { EV_DONE = 1, EV_DELIVER, EV_FAIL };

struct link {
    uint64_t cap, lat, sum_caps; /* sum_caps: caps of its flows */
    uint32_t n_uncapped, nflows, capflows;
    uint32_t *flows; /* flow ids; a flow knows its index here */
    bool up, seeded, inlc;
    uint32_t mark, ver, nun; /* progressive filling scratch */
    double rem;
};

struct flow {
    uint32_t *path, *pos; /* pos[i]: index in link path[i]'s flows */
    unsigned npath, cappath;
    uint64_t cap, lat, last;
    double rate, old_rate, remaining, sent;
    uint32_t gen, mark;
    uint8_t state;
    bool bounded, frozen, seeded;
    sim_net_done_fn *done;
    void *ctx;
};

struct heap_ent {
    double share;
    uint32_t link, ver;
};

struct sim_net {
    sim_engine_t *eng;
    uint64_t now;
    struct link *links;
    uint32_t nlinks, caplinks;
    struct flow *flows;
    uint32_t nflows, capflows, nlive;
    uint32_t *free_ids;
    uint32_t nfree;
    /* pending seeds and settle scratch */
    uint32_t *seed_l, *seed_f, *comp_f, *comp_l, *sorted;
    uint32_t nseed_l, nseed_f, cap_seed_l, cap_seed_f, cap_comp_f, cap_comp_l;
    uint32_t ncomp_f, ncomp_l, cap_sorted;
    struct heap_ent *heap;
    size_t nheap, capheap;
    uint32_t epoch;
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
    if (sim_engine_create(0, &n->eng)) {
        free(n);
        return -ENOMEM;
    }
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
    free(n->sorted);
    free(n->heap);
    sim_engine_destroy(n->eng);
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

static int seed_link(sim_net_t *n, uint32_t id)
{
    struct link *l = &n->links[id];
    if (l->seeded)
        return 0;
    if (grow(&n->seed_l, &n->cap_seed_l, n->nseed_l + 1, sizeof(uint32_t)))
        return -ENOMEM;
    l->seeded = true;
    n->seed_l[n->nseed_l++] = id;
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
        if (was || coupling(l))
            seed_link(n, f->path[i]);
    }
    f->rate = 0;
}

/* ------------------------------------------------------------------ */
/* Progressive filling                                                 */
/* ------------------------------------------------------------------ */

static int heap_push(sim_net_t *n, double share, uint32_t link, uint32_t ver)
{
    if (n->nheap == n->capheap) {
        size_t c = n->capheap ? 2 * n->capheap : 64;
        struct heap_ent *h = realloc(n->heap, c * sizeof *h);
        if (!h)
            return -ENOMEM;
        n->heap = h;
        n->capheap = c;
    }
    size_t i = n->nheap++;
    struct heap_ent e = {share, link, ver};
    while (i > 0) {
        size_t p = (i - 1) / 2;
        const struct heap_ent *q = &n->heap[p];
        if (q->share < share || (q->share == share && q->link <= link))
            break;
        n->heap[i] = *q;
        i = p;
    }
    n->heap[i] = e;
    return 0;
}

static void heap_pop(sim_net_t *n)
{
    struct heap_ent e = n->heap[--n->nheap];
    size_t i = 0, m = n->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m)
            break;
        if (c + 1 < m && (n->heap[c + 1].share < n->heap[c].share ||
                          (n->heap[c + 1].share == n->heap[c].share &&
                           n->heap[c + 1].link < n->heap[c].link)))
            c++;
        if (e.share < n->heap[c].share ||
            (e.share == n->heap[c].share && e.link <= n->heap[c].link))
            break;
        n->heap[i] = n->heap[c];
        i = c;
    }
    if (m)
        n->heap[i] = e;
}

static int comp_add_flow(sim_net_t *n, uint32_t id)
{
    struct flow *f = &n->flows[id];
    if (f->mark == n->epoch || f->state != FL_ACTIVE)
        return 0;
    if (grow(&n->comp_f, &n->cap_comp_f, n->ncomp_f + 1, sizeof(uint32_t)))
        return -ENOMEM;
    f->mark = n->epoch;
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

static void freeze(sim_net_t *n, struct flow *f, double rate)
{
    f->frozen = true;
    f->rate = rate;
    for (unsigned i = 0; i < f->npath; i++) {
        struct link *l = &n->links[f->path[i]];
        if (l->mark != n->epoch || !l->inlc)
            continue;
        l->rem -= rate;
        l->nun--;
        l->ver++;
        if (l->nun)
            heap_push(n, l->rem > 0 ? l->rem / l->nun : 0, f->path[i], l->ver);
    }
}

static int by_cap(const void *a, const void *b, void *arg)
{
    const struct flow *fl = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (fl[x].cap != fl[y].cap)
        return fl[x].cap < fl[y].cap ? -1 : 1;
    return x < y ? -1 : x > y;
}

static void reschedule(sim_net_t *n, uint32_t id)
{
    struct flow *f = &n->flows[id];
    f->gen++;
    if (!f->bounded || f->rate <= 0)
        return;
    double dt = ceil(f->remaining * 8e9 / f->rate);
    if (dt >= 9e18 || n->now + (uint64_t)dt < n->now)
        return; /* beyond any simulated horizon */
    sim_event_push(n->eng, n->now + (uint64_t)dt, EV_DONE, 0, id, 0, f->gen);
}

/* Max-min rates of the component's flows (comp_f[0..nf), comp_l[0..nl)):
 * raise a common level; a flow stops at its cap, and all unfrozen flows on
 * a link stop when the link fills. */
static void fill(sim_net_t *n, uint32_t nf, uint32_t nl)
{
    n->nheap = 0;
    for (uint32_t i = 0; i < nl; i++) {
        struct link *l = &n->links[n->comp_l[i]];
        l->rem = (double)l->cap;
        l->nun = l->nflows;
        l->ver++;
        heap_push(n, l->rem / l->nun, n->comp_l[i], l->ver);
    }
    uint32_t ncapped = 0;
    for (uint32_t i = 0; i < nf; i++) {
        struct flow *f = &n->flows[n->comp_f[i]];
        accrue(n, f);
        f->old_rate = f->rate;
        f->frozen = false;
        if (f->cap)
            n->sorted[ncapped++] = n->comp_f[i];
    }
    qsort_r(n->sorted, ncapped, sizeof *n->sorted, by_cap, n->flows);
    uint32_t next = 0;
    for (;;) {
        while (n->nheap) {
            const struct heap_ent *t = &n->heap[0];
            const struct link *l = &n->links[t->link];
            if (t->ver == l->ver && l->nun)
                break;
            heap_pop(n);
        }
        while (next < ncapped && n->flows[n->sorted[next]].frozen)
            next++;
        double s = n->nheap ? n->heap[0].share : INFINITY;
        double c =
            next < ncapped ? (double)n->flows[n->sorted[next]].cap : INFINITY;
        if (isinf(s) && isinf(c))
            break;
        if (c <= s) {
            freeze(n, &n->flows[n->sorted[next]], c);
            continue;
        }
        struct link *l = &n->links[n->heap[0].link];
        heap_pop(n);
        for (uint32_t i = 0; i < l->nflows; i++) {
            struct flow *f = &n->flows[l->flows[i]];
            if (!f->frozen)
                freeze(n, f, s);
        }
    }
    for (uint32_t i = 0; i < nf; i++) {
        struct flow *f = &n->flows[n->comp_f[i]];
        if (f->rate != f->old_rate)
            reschedule(n, n->comp_f[i]);
    }
}

/* Recompute the rates the pending changes can affect. Out of memory here
 * leaves no consistent state to return to, hence abort(). */
static void settle(sim_net_t *n)
{
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
    rc |= grow(&n->sorted, &n->cap_sorted, n->ncomp_f, sizeof(uint32_t));
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
    f->state = FL_FREE;
    f->gen++;
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

static void handle(sim_net_t *n, const struct sim_event *ev)
{
    struct flow *f = &n->flows[ev->a];
    if (ev->gen != f->gen)
        return;
    switch (ev->kind) {
    case EV_DONE:
        if (f->state != FL_ACTIVE)
            return;
        accrue(n, f);
        f->sent += f->remaining; /* rounding: the event says it is over */
        f->remaining = 0;
        detach(n, ev->a);
        if (f->lat) {
            f->state = FL_TAIL;
            f->gen++;
            sim_event_push(n->eng, n->now + f->lat, EV_DELIVER, 0, ev->a, 0,
                           f->gen);
            return;
        }
        finish(n, ev->a, SIM_NET_DONE);
        return;
    case EV_DELIVER:
        finish(n, ev->a, SIM_NET_DONE);
        return;
    case EV_FAIL:
        finish(n, ev->a, SIM_NET_LINK_DOWN);
        return;
    }
}

uint64_t sim_net_next_time(sim_net_t *n)
{
    settle(n);
    return sim_engine_peek_time(n->eng);
}

void sim_net_run_until(sim_net_t *n, uint64_t t)
{
    struct sim_event ev;
    for (;;) {
        settle(n);
        if (sim_engine_peek_time(n->eng) > t)
            break;
        sim_event_pop(n->eng, &ev);
        n->now = ev.time;
        handle(n, &ev);
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
    if (grow(&n->links, &n->caplinks, n->nlinks + 1, sizeof *n->links))
        return -ENOMEM;
    struct link *l = &n->links[n->nlinks];
    memset(l, 0, sizeof *l);
    l->cap = capacity_bps;
    l->lat = latency_ns;
    l->up = true;
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
        f->gen++;
        sim_event_push(n->eng, n->now, EV_FAIL, 0, id, 0, f->gen);
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
    settle(n);
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
    memset(&n->flows[n->nflows], 0, sizeof *n->flows);
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
    f->gen++;
    f->done = a->done;
    f->ctx = a->ctx;
    n->nlive++;
    attach(n, id);
    seed_flow(n, id);
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
    detach(n, id);
    f->cap = cap_bps;
    attach(n, id);
    seed_flow(n, id);
    return 0;
}

double sim_net_flow_rate(sim_net_t *n, uint32_t id)
{
    settle(n);
    struct flow *f = live_flow(n, id);
    return f && f->state == FL_ACTIVE ? f->rate : 0;
}

double sim_net_flow_sent(sim_net_t *n, uint32_t id)
{
    settle(n);
    struct flow *f = live_flow(n, id);
    if (!f)
        return 0;
    if (f->state == FL_ACTIVE)
        accrue(n, f);
    return f->sent;
}
