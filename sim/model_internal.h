/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private layout of the simulator's host tier (model.c, guest.c,
 * results.c). */
#ifndef SIM_MODEL_INTERNAL_H
#define SIM_MODEL_INTERNAL_H

#include "model.h"

enum sim_event_kind {
    SIM_EV_RUN_END = 1, /* a = pCPU; gen = pCPU generation */
    SIM_EV_WAKE,        /* a = vCPU; gen = vCPU generation */
    SIM_EV_ARRIVE,      /* next arrival from the source */
    SIM_EV_FAULT,       /* a = fault index, b = pCPU (random ones) */
    SIM_EV_REPAIR,      /* a = fault index, b = pCPU */
};

struct sim_host_priv; /* unused */

/* A task of a nested VM: one vCPU of its guest core. */
struct sim_task {
    uint64_t work, remaining;     /* reference ns */
    uint64_t start_ns, finish_ns; /* first run; 0 until done */
    bool started, done;
};

/* The guest side of a VM run under a guest policy (nested.c): a core
 * whose pCPU j is the VM's vCPU j; task t is guest vCPU t. */
struct sim_guest {
    struct sim_model *m;
    struct sim_host *h;
    struct sim_vm *vm;
    unsigned index; /* the VM's index */
    vcpu_core_t *core;
    vcpu_topo_t *topo;
    struct vcpu_core_env env;
    struct sim_task *tasks;
    unsigned ntasks, alive, npcpus;
    vcpu_id_t *curr;       /* by guest pCPU: its task, from the trace */
    bool *preempt_pending; /* asked while its vCPU did not run */
    vcpu_pcpu_t *kicks, *preempts;
    bool *kicked, *preempted;
    unsigned nkicks, npreempts;
    bool has_tick;
};

struct sim_model {
    const struct sim_scenario *scn;
    const struct vcpu_policy_ops *ops;
    vcpu_policy_lib_t *lib;
    char *policy_args;
    uint64_t seed;
    sim_engine_t *eng; /* arrivals and scripted faults: every host's */
    uint64_t now;
    uint64_t events;    /* popped from every queue */
    uint64_t window_ns; /* simulated time per round over the hosts */
    struct sim_host *hosts;
    unsigned nhosts;
    struct sim_vm *vms;
    unsigned nvms, cap_vms;
    struct sim_source src;
    struct sim_arrival next; /* pending arrival */
    bool have_next;
    unsigned rr_host;
    struct scn_source { /* the scenario's own VM list */
        unsigned entry, replica;
    } scn_src;
    FILE *trace;
    FILE *guest_trace;
    const struct vcpu_policy_ops **guest_ops; /* by scn->vms entry */
    vcpu_policy_lib_t **guest_libs;
    struct vcpu_core_env env; /* of every host's core */
    bool check, failed;
    char err[2048];
};

/* model.c */
/* Queue an event of host @h (NULL: the model's own queue). */
void sim_push_failed(struct sim_model *m);
static inline void sim_push(struct sim_model *m, struct sim_host *h, uint64_t t,
                            uint32_t kind, uint32_t a, uint64_t b, uint32_t gen)
{
    sim_engine_t *e = h ? h->eng : m->eng;
    if (sim_event_push(e, t, kind, h ? h->index : 0, a, b, gen))
        sim_push_failed(m);
}
void sim_push_wake(struct sim_model *m, struct sim_host *h, vcpu_id_t v,
                   uint64_t t);
/* A core call's result: VCPU_ESTATE (a race the model tolerates) and 0
 * pass, anything else fails the run. Inline: it runs for every call. */
void sim_core_failed(struct sim_model *m, int rc, const char *what);
static inline void sim_core_call(struct sim_model *m, int rc, const char *what)
{
    if (rc && rc != VCPU_ESTATE)
        sim_core_failed(m, rc, what);
}
void sim_vm_finished(struct sim_model *m, struct sim_host *h,
                     struct sim_vm *vm);
void sim_trace_write(struct sim_model *m, struct sim_host *h,
                     const struct vcpu_trace_rec *r);

/* guest.c */
uint64_t sim_draw(gsl_rng *r, const struct sim_dist *d);
/* @v's spin and warm-up counters, made on first use (NULL: no memory; the
 * run has failed). */
struct sim_vcpu_extra *sim_extra(struct sim_host *h, vcpu_id_t v);
void sim_mark_dirty(struct sim_host *h, vcpu_pcpu_t p);
void sim_account(struct sim_host *h, vcpu_pcpu_t p, uint64_t now);
void sim_on_trace(void *arg, const struct vcpu_trace_rec *r);
void sim_prepare_phase(struct sim_model *m, struct sim_host *h,
                       struct sim_vcpu *s);
void sim_barrier_check(struct sim_model *m, struct sim_host *h,
                       struct sim_vm *vm);
void sim_step(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t p);
void sim_wake(struct sim_model *m, struct sim_host *h, vcpu_id_t v);
void sim_rearm(struct sim_model *m, struct sim_host *h);

/* nested.c */
/* Resolve the scenario's guest policies (built-in or .so). */
int sim_nested_init(struct sim_model *m, char *err, size_t errlen);
void sim_nested_fini(struct sim_model *m);
/* A VM with a guest policy arrives: its host vCPUs exist (NEW); make the
 * guest and wake the vCPUs whose guest pCPUs got a task. */
void sim_nested_start(struct sim_model *m, struct sim_host *h,
                      struct sim_vm *vm);
void sim_nested_free(struct sim_guest *g);
/* Charge @dt ns at @speed on host vCPU @s (SIM_M_GUEST) to its task. */
void sim_nested_account(struct sim_host *h, vcpu_id_t v, uint64_t dt,
                        uint32_t speed);
/* Run-end of @p running a SIM_M_GUEST vCPU, before the host's slice. */
uint64_t sim_nested_run_end(struct sim_model *m, struct sim_host *h,
                            vcpu_pcpu_t p);
void sim_nested_step(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t p);

#endif /* SIM_MODEL_INTERNAL_H */
