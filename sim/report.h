/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cross-run report: per policy and VM, the mean slowdown over seeds with a
 * 95% confidence interval (Student t, GSL), as CSV and a gnuplot figure. */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "scenario.h"

struct report;

struct report *report_create(const struct sim_scenario *s, const char *dir);
/* Record the VMs of a finished run. */
void report_add(struct report *r, struct sim_model *m, const char *policy,
                uint64_t seed, double wall_s);
/* Write runs.csv, slowdown.csv, slowdown.gp and slowdown.png (if gnuplot is
 * there) into the folder, and free. Return an exit code. */
int report_finish(struct report *r, bool partial, bool quiet);

#endif /* SIM_REPORT_H */
