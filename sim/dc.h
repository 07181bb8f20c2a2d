/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The datacenter tier of the simulator (docs/datacenter.md): hosts in
 * racks, clusters and datacenters; VMs that arrive, wait for admission, are
 * placed by a placement policy (vcpu/place.h), run their tasks or phase
 * programs, migrate, and leave; host failures and repairs; a power model
 * with idle hosts switched off; threshold consolidation; SLA metrics.
 *
 * Hosts are simulated at the flow level: the vCPUs of a host that have
 * work share its pCPUs (processor sharing, or dedicated pCPUs for
 * space-shared VMs), and the tasks of a VM share its vCPUs the same way.
 * An event happens only when something changes (a task ends, a phase
 * ends, a VM arrives or leaves), not per scheduling quantum, which is what
 * lets a run cover 50,000 hosts for months. The host tier (model.h) is the
 * quantum-level model with real host policies, for up to thousands of
 * hosts over minutes to hours. */
#ifndef SIM_DC_H
#define SIM_DC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "scenario.h"

struct sim_dc;

struct sim_dc_opts {
    const struct sim_scenario *scn; /* with a datacenter: section */
    uint64_t seed;
    struct sim_source source; /* arrivals; NULL next: the scenario's VMs */
    FILE *trace;              /* CSV trace out, or NULL */
    bool check;               /* placement invariants after every call */
};

/* Return 0, or -1 with "what" in @err (a policy that does not load, a
 * topology that does not load, no memory). */
int sim_dc_create(const struct sim_dc_opts *o, struct sim_dc **out, char *err,
                  size_t errlen);
void sim_dc_destroy(struct sim_dc *dc);

/* Run to @until_ns (the scenario's duration if 0) or until *stop; the
 * progress callback is called about every 2^16 events. Return 0, or -1
 * (sim_dc_error). */
int sim_dc_run(struct sim_dc *dc, uint64_t until_ns, volatile const bool *stop,
               void (*progress)(void *arg, uint64_t now, uint64_t events),
               void *arg);

const char *sim_dc_error(const struct sim_dc *dc);
uint64_t sim_dc_now(const struct sim_dc *dc);
uint64_t sim_dc_events(const struct sim_dc *dc);
const char *sim_dc_placement(const struct sim_dc *dc);

/* Totals of a run, up to now. */
struct sim_dc_totals {
    unsigned hosts, vms;             /* VMs that arrived */
    unsigned done, running, waiting; /* VMs by state */
    unsigned lost, rejected, restarts;
    uint64_t migrations, migrations_failed, host_failures;
    uint64_t tasks_done;
    double energy_kwh;
    double slatah; /* time hosts spent at 100% / their active time */
    double pdm;    /* mean over VMs: work lost to migration / work asked */
    double slav;   /* slatah x pdm (Beloglazov and Buyya, CCPE 2012) */
    double overload_loss; /* work not delivered on overloaded hosts / asked */
    double mean_wait_s, max_wait_s;     /* admission wait of started VMs */
    double mean_active_hosts;           /* time average of hosts switched on */
    double host_on_s;                   /* sum over hosts of time on */
    double mig_downtime_ms, mig_time_s; /* means over ended migrations */
};
void sim_dc_totals(const struct sim_dc *dc, struct sim_dc_totals *t);

/* Result tables (CSV with a header line). */
int sim_dc_write_hosts(const struct sim_dc *dc, FILE *f);
int sim_dc_write_vms(const struct sim_dc *dc, FILE *f);
int sim_dc_write_tasks(const struct sim_dc *dc, FILE *f);
int sim_dc_write_series(const struct sim_dc *dc, FILE *f);
int sim_dc_write_summary(const struct sim_dc *dc, FILE *f);

/* For tests: a VM's state ("waiting", "running", "migrating", "done",
 * "lost", "rejected") and host, by arrival index. */
unsigned sim_dc_nvms(const struct sim_dc *dc);
const char *sim_dc_vm_state(const struct sim_dc *dc, unsigned vm);
int sim_dc_vm_host(const struct sim_dc *dc, unsigned vm);
/* Start and finish of task @t of VM @vm (finish 0: not finished). */
int sim_dc_task_times(const struct sim_dc *dc, unsigned vm, unsigned t,
                      uint64_t *start_ns, uint64_t *finish_ns);

#endif /* SIM_DC_H */
