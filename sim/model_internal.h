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

#endif /* SIM_MODEL_INTERNAL_H */
