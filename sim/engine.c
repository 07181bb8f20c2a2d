// SPDX-License-Identifier: GPL-3.0-or-later
/* Event queue: a 4-ary min-heap of fixed-size records keyed by
 * (time, sequence). Four children per node halve the depth of a binary
 * heap and keep siblings in one or two cache lines. */
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

/* Sift the last element down from the root after a pop. */
static void sift_down(sim_engine_t *e, struct sim_event ev)
{
    size_t i = 0, n = e->n;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        size_t best = c, end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (before(&e->heap[k], &e->heap[best]))
                best = k;
        if (!before(&e->heap[best], &ev))
            break;
        e->heap[i] = e->heap[best];
        i = best;
    }
    e->heap[i] = ev;
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
