// SPDX-License-Identifier: GPL-3.0-or-later
/* Event queue: a 4-ary min-heap of fixed-size records keyed by
 * (time, sequence). Four children per node halve the depth of a binary
 * heap and keep siblings in two or three cache lines; the smallest of them
 * is found without branches. */
#include <errno.h>
#include <stdlib.h>

#include "engine.h"

struct sim_engine {
    struct sim_event *heap;
    size_t n, cap;
    uint64_t seq, now, popped;
};

int sim_engine_create(size_t hint, sim_engine_t **out)
{
    *out = NULL;
    struct sim_engine *e = calloc(1, sizeof *e);
    if (!e)
        return -ENOMEM;
    e->cap = hint ? hint : 1024;
    e->heap = malloc(e->cap * sizeof *e->heap);
    if (!e->heap) {
        free(e);
        return -ENOMEM;
    }
    *out = e;
    return 0;
}

void sim_engine_destroy(sim_engine_t *e)
{
    if (!e)
        return;
    free(e->heap);
    free(e);
}

static inline bool before(const struct sim_event *x, const struct sim_event *y)
{
    return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

int sim_event_push(sim_engine_t *e, uint64_t time, uint32_t kind, uint32_t host,
                   uint32_t a, uint64_t b, uint32_t gen)
{
    if (time < e->now)
        return -EINVAL;
    if (e->n == e->cap) {
        struct sim_event *h = realloc(e->heap, 2 * e->cap * sizeof *h);
        if (!h)
            return -ENOMEM;
        e->heap = h;
        e->cap *= 2;
    }
    struct sim_event ev = {time, e->seq++, kind, gen, host, a, b};
    size_t i = e->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 4;
        if (!before(&ev, &e->heap[parent]))
            break;
        e->heap[i] = e->heap[parent];
        i = parent;
    }
    e->heap[i] = ev;
    return 0;
}

/* (time, seq) as one unsigned 128-bit number: compared without branches,
 * which matters when sifting down, where the smallest of four children is
 * anybody's guess. */
__extension__ typedef unsigned __int128 key128;

static inline key128 key(const struct sim_event *x)
{
    return (key128)x->time << 64 | x->seq;
}

/* Index of the earliest of the four children from @c (all present). */
static inline size_t min_of_four(const struct sim_event *h, size_t c)
{
    key128 k0 = key(&h[c]), k1 = key(&h[c + 1]);
    key128 k2 = key(&h[c + 2]), k3 = key(&h[c + 3]);
    size_t b01 = k1 < k0, b23 = k3 < k2;
    key128 m01 = b01 ? k1 : k0, m23 = b23 ? k3 : k2;
    size_t hi = -(size_t)(m23 < m01); /* a mask, not ?:, so no branch */
    return c + (((2 + b23) & hi) | (b01 & ~hi));
}

/* Sift the last element down from the root after a pop. */
static void sift_down(sim_engine_t *e, struct sim_event ev)
{
    struct sim_event *h = e->heap;
    size_t i = 0, n = e->n;
    key128 k = key(&ev);
    for (;;) {
        size_t c = 4 * i + 1, best = c;
        if (c + 4 <= n) {
            best = min_of_four(h, c);
        } else if (c < n) { /* the last, incomplete family */
            for (size_t j = c + 1; j < n; j++)
                if (key(&h[j]) < key(&h[best]))
                    best = j;
        } else {
            break;
        }
        if (key(&h[best]) >= k)
            break;
        h[i] = h[best];
        i = best;
    }
    h[i] = ev;
}

bool sim_event_pop(sim_engine_t *e, struct sim_event *out)
{
    if (!e->n)
        return false;
    *out = e->heap[0];
    e->now = out->time;
    e->popped++;
    if (--e->n)
        sift_down(e, e->heap[e->n]);
    return true;
}

uint64_t sim_engine_peek_time(const sim_engine_t *e)
{
    return e->n ? e->heap[0].time : UINT64_MAX;
}

uint64_t sim_engine_now(const sim_engine_t *e)
{
    return e->now;
}

size_t sim_engine_pending(const sim_engine_t *e)
{
    return e->n;
}

uint64_t sim_engine_count(const sim_engine_t *e)
{
    return e->popped;
}

size_t sim_engine_bytes(const sim_engine_t *e)
{
    return e->cap * sizeof *e->heap;
}
