/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The discrete-event engine: one queue of fixed-size event records ordered
 * by (time, insertion sequence), so ties are deterministic. Records live in
 * one array (a 4-ary heap) that grows by doubling: no malloc per event.
 * Cancellation is by generation counters kept by the model: an event
 * carries the generation of what it is about, and the model ignores it
 * when the generation has moved on. */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_event {
    uint64_t time; /* ns */
    uint64_t seq;  /* insertion order, unique */
    uint32_t kind; /* model-defined */
    uint32_t gen;  /* generation, for cancellation */
    uint32_t host;
    uint32_t a; /* model-defined (pCPU, vCPU, ...) */
    uint64_t b; /* model-defined */
};

typedef struct sim_engine sim_engine_t;

/* Create with room for @hint events (0 = a default). Return 0, -ENOMEM. */
int sim_engine_create(size_t hint, sim_engine_t **out);
void sim_engine_destroy(sim_engine_t *e);

/* Queue an event at @time (>= the current time). Return 0, -EINVAL (time in
 * the past), -ENOMEM. */
int sim_event_push(sim_engine_t *e, uint64_t time, uint32_t kind, uint32_t host,
                   uint32_t a, uint64_t b, uint32_t gen);

/* Take the earliest event; the engine's time becomes its time. Return
 * false when the queue is empty. */
bool sim_event_pop(sim_engine_t *e, struct sim_event *out);

/* Time of the earliest event, UINT64_MAX when empty. */
uint64_t sim_engine_peek_time(const sim_engine_t *e);

uint64_t sim_engine_now(const sim_engine_t *e);
size_t sim_engine_pending(const sim_engine_t *e);
/* Events popped so far. */
uint64_t sim_engine_count(const sim_engine_t *e);
/* Bytes of the queue's array (its capacity), for memory accounting. */
size_t sim_engine_bytes(const sim_engine_t *e);

#endif /* SIM_ENGINE_H */
