/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The host tier of the simulator: hosts (one scheduling core each, running
 * a registered policy), VMs and their guest programs (compute, block,
 * barrier, spin lock), faults, driven by the event engine. */
#ifndef SIM_MODEL_H
#define SIM_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include <vcpu/vcpu.h>

#include "engine.h"
#include "scenario.h"

/* A VM arriving: its description (borrowed; must outlive the model) and
 * where/when. Sources of arrivals (scenario lists, generators, traces)
 * hand these out one at a time, in time order. */
struct sim_arrival {
    const struct sim_vm_spec *spec;
    uint64_t time_ns;
    int host;         /* -1: the model chooses (round robin) */
    unsigned replica; /* index among identical VMs of one spec */
};

struct sim_source {
    /* Next arrival; return 1 if one, 0 when exhausted, <0 on error. */
    int (*next)(void *arg, struct sim_arrival *out);
    void *arg;
};

/* Guest state of one vCPU. */
enum sim_mode {
    SIM_M_PENDING = 0, /* must start its current phase when it runs */
    SIM_M_COMPUTE,
    SIM_M_CS,   /* computing inside a critical section */
    SIM_M_SPIN, /* spinning for a lock */
    SIM_M_BLOCK,
    SIM_M_BARRIER,
    SIM_M_DONE,
    SIM_M_GUEST, /* runs whatever task its guest pCPU runs (nested.c) */
};

struct sim_vcpu {
    uint32_t vm;  /* index in the model's VM table */
    uint32_t gen; /* wake-event generation */
    uint32_t phase;
    uint8_t mode; /* enum sim_mode */
    uint8_t lock;
    uint64_t loop;
    union { /* one per mode: the modes that use them exclude each other */
        uint64_t remaining;  /* COMPUTE, CS: reference ns left */
        uint64_t block_ns;   /* BLOCK: its length */
        uint64_t spin_start; /* SPIN: since when (or the last yield) */
    };
    uint64_t demand_done; /* compute + block + hold completed (ref ns) */
};

/* Counters of a vCPU that only spin locks and migration warm-ups move: kept
 * aside (sim_host.extra), made the first time a vCPU of the host needs
 * them, so that plain workloads do not carry them. */
struct sim_vcpu_extra {
    uint64_t spin_ns;    /* time spent spinning */
    uint64_t penalty_ns; /* migration warm-up paid */
};

struct sim_pcpu {
    uint32_t gen; /* run-end event generation */
    vcpu_id_t curr;
    uint32_t speed;
    uint64_t since; /* progress accounted up to here */
};

struct sim_vm {
    const struct sim_vm_spec *spec;
    uint32_t host;
    vcpu_vm_t core_vm;
    vcpu_id_t first; /* core vCPU ids first .. first+nvcpus-1 */
    unsigned nvcpus, alive, at_barrier;
    vcpu_id_t *lock_owner; /* SIM_MAX_LOCKS; allocated at the first lock */
    uint64_t start_ns, finish_ns; /* finish 0 while running */
    unsigned replica;             /* index among the spec's count */
    struct sim_guest *guest;      /* nested scheduling, or NULL */
};

struct sim_host {
    struct sim_model *model;
    unsigned index;
    sim_engine_t *eng; /* this host's events, in (time, seq) order */
    vcpu_core_t *core;
    vcpu_topo_t *topo;
    unsigned type, npcpus;
    struct sim_pcpu *pcpus;
    struct sim_vcpu *vcpus;       /* by core vCPU id */
    struct sim_vcpu_extra *extra; /* by core vCPU id; NULL until needed */
    unsigned nvcpus, cap_vcpus;
    vcpu_pcpu_t *kicks, *preempts, *dirty;
    bool *kicked, *preempted, *is_dirty;
    unsigned nkicks, npreempts, ndirty;
    uint64_t *skip; /* bitmap: pCPUs armed past their slice end */
    unsigned nskip; /* bits set in skip */
    bool has_tick;  /* the policy has a tick callback */
    gsl_rng *rng;
};

struct sim_model;

struct sim_model_opts {
    const struct sim_scenario *scn;
    const struct vcpu_policy_ops *ops; /* overrides scn->policy if set */
    const char *policy_args;
    uint64_t seed;
    FILE *trace;              /* CSV trace out, or NULL */
    struct sim_source source; /* NULL next: the scenario's VMs */
    bool check;               /* invariants after every call */
    FILE *guest_trace; /* nested VMs' guest cores: "vm," + a trace line */
};

int sim_model_create(const struct sim_model_opts *o, struct sim_model **out,
                     char *err, size_t errlen);
void sim_model_destroy(struct sim_model *m);

/* Run until @until_ns (or the scenario's duration if 0), or until
 * *stop becomes true (may be NULL). Hosts run a window of simulated time
 * each in turn (sized for a few thousand events per host, at most 2^24 in
 * all), so *stop is looked at and @progress (may be NULL) called between
 * windows; a stopped run ends at a window's end. Return 0, or <0 with a
 * message in the model's error (an invariant broke, a core call failed). */
int sim_model_run(struct sim_model *m, uint64_t until_ns,
                  volatile const bool *stop,
                  void (*progress)(void *arg, uint64_t now, uint64_t events),
                  void *arg);

const char *sim_model_error(const struct sim_model *m);
uint64_t sim_model_now(const struct sim_model *m);
uint64_t sim_model_events(const struct sim_model *m);
/* Bytes held by the event queue (benchmarks subtract it). */
size_t sim_model_queue_bytes(const struct sim_model *m);
const char *sim_model_policy(const struct sim_model *m);

/* Results, up to the model's current time. */
int sim_model_write_vcpus(struct sim_model *m, FILE *f);
int sim_model_write_vms(struct sim_model *m, FILE *f);
int sim_model_write_pcpus(struct sim_model *m, FILE *f);
int sim_model_write_hosts(struct sim_model *m, FILE *f);

/* Per-VM outcome, for aggregation across seeds and policies. */
struct sim_vm_result {
    const char *name;
    unsigned replica, nvcpus;
    uint64_t start_ns, finish_ns; /* finish 0: unfinished */
    uint64_t demand_done, run_ns, wait_ns, spin_ns;
    double slowdown; /* (elapsed x vCPUs) / demand completed */
};
unsigned sim_model_nvms(const struct sim_model *m);
void sim_model_vm_result(struct sim_model *m, unsigned i,
                         struct sim_vm_result *out);

/* Tasks of VMs run under a guest policy (docs/nested.md). */
enum sim_task_state {
    SIM_TASK_QUEUED = 0, /* waiting in the guest, or suspended by it */
    SIM_TASK_RUNNING,    /* current on a guest pCPU (its vCPU may not run) */
    SIM_TASK_DONE,
};
struct sim_task_result {
    unsigned state;               /* enum sim_task_state */
    uint64_t work_ns, done_ns;    /* reference ns asked and done */
    uint64_t start_ns, finish_ns; /* first run; finish 0: not done */
    uint64_t guest_run_ns;        /* time the guest thinks it ran */
    unsigned guest_runs;          /* times the guest dispatched it */
};
/* Tasks of VM @vm (0 for a VM without a guest policy). */
unsigned sim_model_ntasks(const struct sim_model *m, unsigned vm);
int sim_model_task(struct sim_model *m, unsigned vm, unsigned t,
                   struct sim_task_result *out);
/* tasks.csv: vm,name,replica,task,work_s,state,start_s,finish_s (as the
 * datacenter tier writes it). */
int sim_model_write_tasks(struct sim_model *m, FILE *f);

/* Access for tests and validation experiments. */
struct sim_host *sim_model_host(struct sim_model *m, unsigned h);
unsigned sim_model_nhosts(const struct sim_model *m);
struct sim_vm *sim_model_vm(struct sim_model *m, unsigned i);

#endif /* SIM_MODEL_H */
