/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vcpusim's commands and its exit codes (sysexits.h conventions). */
#ifndef SIM_CLI_H
#define SIM_CLI_H

enum {
    SIM_EXIT_OK = 0,
    SIM_EXIT_FAIL = 1,     /* the run failed (invariant, I/O) */
    SIM_EXIT_USAGE = 64,   /* EX_USAGE: bad command line */
    SIM_EXIT_DATAERR = 65, /* EX_DATAERR: bad scenario or input */
    SIM_EXIT_NOINPUT = 66, /* EX_NOINPUT: input file missing */
    SIM_EXIT_CANTCREAT = 73,
};

int sim_cmd_topo(int argc, char **argv);
int sim_cmd_run(int argc, char **argv);
int sim_cmd_validate(int argc, char **argv);
int sim_cmd_trace_info(int argc, char **argv); /* cmd_trace.c */
int sim_cmd_migrate(int argc, char **argv);    /* cmd_migrate.c */

/* A scenario with a datacenter: section (cmd_dc.c): one run of the
 * datacenter tier per seed in @out (or @out/seed-N), then summary.csv. */
#include <stdbool.h>
#include <stdint.h>
struct sim_scenario;
struct sim_dc_cmd {
    uint64_t seed_lo, seed_hi;
    bool quiet, trace, check, plot;
    volatile const bool *stop;
};
int sim_cmd_run_dc(const struct sim_dc_cmd *o, const struct sim_scenario *s,
                   const char *out);

/* Monotonic wall-clock time in seconds (cmd_run.c). */
double sim_wall_now(void);

/* A progress line on stderr, for sim_model_run / sim_dc_run's callback:
 * @label, the run's end, the wall time it started, the last print. */
struct sim_progress {
    const char *label;
    uint64_t end_ns;
    double t0, last;
};
void sim_progress_show(void *arg, uint64_t now, uint64_t events);

/* mkdir -p. Return 0 or -errno. */
int sim_mkdirs(const char *dir);
int sim_cmd_policies(int argc, char **argv);

/* Write @len bytes to @dir/@name atomically (temp file, fsync, rename). */
int sim_write_atomic(const char *dir, const char *name, const char *data,
                     size_t len);

#endif /* SIM_CLI_H */
