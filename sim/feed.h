/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The adapter from workload sources (workloads/wl.h) to the model's
 * struct sim_source: the scenario's vms list and its sources (traces,
 * generators) merged by arrival time into one pull-based stream. */
#ifndef SIM_FEED_H
#define SIM_FEED_H

#include <stdio.h>

#include "model.h"

struct sim_feed;

/*
 * sim_feed_create - Open every source of @s for one run.
 * @seed: the run's seed; sources without their own seed derive theirs
 *        from it and their index
 * @log: where to print the first problems of each source (NULL: silent)
 * Return: 0, or -1 with "file: what" in @err.
 *
 * Memory: each arrival handed to the model keeps, until
 * sim_feed_destroy, one struct sim_vm_spec, its name and its phases
 * (sizeof(struct sim_phase) = 40 B each; at most wl_opts.max_phases) in
 * an arena, since the model borrows them for its whole life. Traces are
 * read as streams: besides that, a source holds one pending VM (and
 * its reorder buffer, see wl_opts.reorder).
 * Context: simulator thread; reads the traces' first lines.
 */
int sim_feed_create(const struct sim_scenario *s, uint64_t seed, FILE *log,
                    struct sim_feed **out, char *err, size_t errlen);

/* The stream, for sim_model_opts.source; valid until sim_feed_destroy. */
struct sim_source sim_feed_source(struct sim_feed *f);

/* The fatal problem of a source, or NULL. */
const char *sim_feed_error(const struct sim_feed *f);

/* One line per trace source: records, VMs, problems skipped. */
void sim_feed_summary(const struct sim_feed *f, FILE *out);

/* Bytes of the arena (specs, names and phases handed out). */
size_t sim_feed_arena_bytes(const struct sim_feed *f);

/* Destroy after the model that used the stream (NULL is a no-op). */
void sim_feed_destroy(struct sim_feed *f);

#endif /* SIM_FEED_H */
