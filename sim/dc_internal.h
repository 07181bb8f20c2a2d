/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private layout of the datacenter tier (dc.c, dc_host.c, dc_ops.c,
 * dc_results.c). */
#ifndef SIM_DC_INTERNAL_H
#define SIM_DC_INTERNAL_H

#include <gsl/gsl_rng.h>

#include <vcpu/place.h>
#include <vcpu/vcpu.h>

#include "dc.h"
#include "engine.h"
#include "migrate.h"

enum dc_event {
    DC_EV_ARRIVE = 1, /* the next arrival from the source */
    DC_EV_HOST,       /* a = host, gen: a thread of one of its VMs ends */
    DC_EV_WAKE,       /* a = VM, b = thread, gen = thread gen */
    DC_EV_POWER,      /* a = host, gen = host's power gen */
    DC_EV_FAIL,       /* a = failure index, b = host */
    DC_EV_REPAIR,     /* a = failure index, b = host */
    DC_EV_CONSOLIDATE,
    DC_EV_SAMPLE,
};

/* One thread of a VM: a task (runs its work once) or the phase program of
 * one vCPU. Work is in reference ns (one pCPU of speed 1000 for 1 ns). */
enum dc_thread_state {
    T_QUEUED = 0, /* space-shared: waits for a free vCPU */
    T_RUN,        /* has work: vfin is where it ends on the VM's clock */
    T_BLOCK,      /* blocked until a wake event */
    T_LOAD,       /* a constant load (load_m) until a wake event */
    T_DONE,
};

struct dc_thread {
    double vfin;   /* T_RUN: the VM's clock when its work is done */
    double work;   /* task: its whole work (kept for restarts) */
    uint64_t loop; /* phase programs: loops done */
    uint64_t start_ns, finish_ns;
    uint32_t phase;
    uint32_t gen;    /* wake-event generation */
    uint32_t load_m; /* T_LOAD: thousandths of a vCPU */
    uint8_t state;
    uint8_t is_task;
};

enum dc_vm_state {
    VM_WAITING = 0,
    VM_RUNNING,
    VM_MIGRATING, /* running on its host, moving to mig_target */
    VM_DONE,
    VM_LOST,
    VM_REJECTED,
};

struct dc_vm {
    const struct sim_vm_spec *spec;
    unsigned replica;
    vcpu_dcvm_t pid; /* placement core's id */
    uint32_t host;   /* VCPU_HOST_NONE when not on one */
    uint32_t pos;    /* index in the host's VM list */
    uint8_t state;
    uint8_t sharing; /* SIM_SHARE_TIME or SPACE: tasks over vCPUs */
    bool down;       /* stop-and-copy: makes no progress */
    uint32_t nthreads, nrun, nalive, next_queued;
    struct dc_thread *th;
    double v;         /* the VM's clock: work each running thread has done */
    uint64_t last_ns; /* v and the counters are charged up to here */
    uint64_t next_ns; /* when its first running thread ends */
    uint32_t busy_m;  /* busy vCPUs x1000 counted in its host's demand */
    uint32_t load_m;  /* sum of its T_LOAD threads' loads, x1000 */
    double rate;      /* its speed: reference ns per ns */
    double vmin;      /* smallest vfin of the running threads */
    double asked, lost_mig, lost_over; /* reference ns */
    double asked_mark;                 /* asked at the last consolidation */
    double interval_busy; /* busy vCPUs, mean over the last interval */
    uint64_t arrive_ns, queued_ns, start_ns, finish_ns, wait_ns;
    uint32_t migrations, restarts;
    uint32_t mig_target, mig_id;
    bool mig_waiting; /* reserved on the target, waiting for its uplink */
    uint64_t downtime_ns, mig_ns; /* summed over its migrations */
};

struct dc_host {
    uint8_t state;     /* enum vcpu_host_state */
    bool leaving;      /* being emptied by consolidation */
    bool shutting;     /* OFF for placement, still drawing idle power */
    uint32_t incoming; /* migrations on their way here */
    uint32_t mig_out;  /* transfers leaving it now */
    uint32_t *migq;    /* VMs waiting to start leaving, in order */
    unsigned nmigq, capmigq;
    uint32_t util_milli;          /* at the last consolidation */
    uint32_t type, npcpus, speed; /* speed in thousandths */
    uint64_t mem_mb;
    uint32_t *vms;
    unsigned nvms, cap;
    uint64_t demand_m; /* busy vCPUs x1000 */
    double rate;       /* speed of one busy vCPU, reference ns per ns */
    uint64_t last_ns;  /* accounted up to */
    uint32_t gen, power_gen;
    uint64_t sched_ns;         /* time of its pending event; UINT64_MAX: none */
    double energy_j, busy_acc; /* busy_acc: pCPU-ns used since the last
                                  consolidation */
    uint64_t on_ns, full_ns;
    uint32_t failures;
};

struct dc_series_row {
    uint64_t t;
    unsigned on, waiting, running;
    double power_w, util;
};

struct sim_dc {
    const struct sim_scenario *scn;
    const struct sim_dc_spec *d;
    uint64_t seed;
    sim_engine_t *eng;
    uint64_t now, events;
    gsl_rng *rng;
    vcpu_dctopo_t *topo;
    vcpu_topo_t **types;
    unsigned ntypes;
    vcpu_place_t *place;
    const struct vcpu_place_ops *pops;
    vcpu_place_lib_t *plib;
    struct dc_host *hosts;
    unsigned nhosts;
    /* links: hosts' uplinks 0..nhosts-1, then racks', then clusters' */
    sim_net_t *net;
    sim_mig_t *mig;
    struct sim_mig_params mparams;
    unsigned nracks, nclusters;
    uint64_t mig_reasons[SIM_MIG_NREASONS];
    struct dc_vm *vms;
    unsigned nvms, cap_vms;
    uint32_t *by_pid; /* placement id -> VM index */
    unsigned cap_pid;
    struct sim_source src;
    struct sim_arrival next;
    bool have_next;
    unsigned scn_entry, scn_replica;
    unsigned nbooting;
    uint32_t *off; /* hosts switched off (lazily: check the state) */
    unsigned noff, cap_off;
    FILE *trace;
    /* totals */
    uint64_t migrations, mig_failed, host_failures, tasks_done;
    unsigned restarts;
    double on_time_acc; /* host-ns on, summed, for mean active hosts */
    struct dc_series_row *series;
    unsigned nseries, cap_series;
    bool failed, check;
    bool need_retry; /* resources were freed: try the waiting VMs */
    bool in_mig_cb;  /* inside a callback of the migration model */
    char err[1024];
};

/* guest.c: a draw from @d, in ns */
uint64_t sim_draw(gsl_rng *r, const struct sim_dist *d);

/* dc.c */
/* Append @x to the growing array *@a (*@n used of *@cap); -1 when out of
 * memory (nothing changed). */
int sim_dc_u32_push(uint32_t **a, unsigned *n, unsigned *cap, uint32_t x);
void sim_dc_fail(struct sim_dc *dc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sim_dc_push(struct sim_dc *dc, uint64_t t, uint32_t kind, uint32_t a,
                 uint64_t b, uint32_t gen);
void sim_dc_trace(struct sim_dc *dc, const char *event, int host, unsigned vm,
                  uint64_t arg);
void sim_dc_vm_finished(struct sim_dc *dc, struct dc_vm *vm);
/* @vm (waiting) starts, or starts again, on @host. */
void sim_dc_start_on(struct sim_dc *dc, struct dc_vm *vm, uint32_t host);
void sim_dc_retry(struct sim_dc *dc);
bool sim_dc_check_place(struct sim_dc *dc, const char *after);

/* dc_host.c: the flow-level host model */
double sim_dc_power(const struct sim_dc *dc, const struct dc_host *h);
void sim_dc_host_touch(struct sim_dc *dc, struct dc_host *h);
void sim_dc_host_update(struct sim_dc *dc, struct dc_host *h);
void sim_dc_vm_event(struct sim_dc *dc, struct dc_vm *vm);
void sim_dc_host_event(struct sim_dc *dc, struct dc_host *h);
void sim_dc_attach(struct sim_dc *dc, struct dc_vm *vm, uint32_t host);
void sim_dc_detach(struct sim_dc *dc, struct dc_vm *vm);
int sim_dc_vm_start(struct sim_dc *dc, struct dc_vm *vm);
void sim_dc_wake(struct sim_dc *dc, struct dc_vm *vm, unsigned t);
/* Busy vCPUs of @vm (running threads and loads, at most its vCPUs), in
 * thousandths; of a host, in vCPUs. */
uint32_t sim_dc_vm_busy_m(const struct dc_vm *vm);
static inline double sim_dc_host_demand(const struct dc_host *h)
{
    return (double)h->demand_m / 1000.0;
}

/* dc_ops.c: power, failures, consolidation, migration */
void sim_dc_host_emptied(struct sim_dc *dc, struct dc_host *h);
/* Note @h as switched off, for booting later (last in, first booted). */
void sim_dc_push_off(struct sim_dc *dc, uint32_t h);
void sim_dc_power_event(struct sim_dc *dc, struct dc_host *h);
void sim_dc_boot_for_queue(struct sim_dc *dc);
void sim_dc_failure(struct sim_dc *dc, unsigned f, uint32_t h, bool repair);
void sim_dc_schedule_failures(struct sim_dc *dc);
void sim_dc_consolidate(struct sim_dc *dc);
void sim_dc_migrate(struct sim_dc *dc, struct dc_vm *vm, uint32_t target);
int sim_dc_make_net(struct sim_dc *dc);
void sim_dc_abort_migration(struct sim_dc *dc, struct dc_vm *vm, int reason);
void sim_dc_sample(struct sim_dc *dc);

#endif /* SIM_DC_INTERNAL_H */
