// SPDX-License-Identifier: GPL-3.0-or-later
/* Guest behaviour on a host: each vCPU runs its VM's program of phases
 * (compute, block, barrier, spin lock). Progress follows the core's trace
 * (RUN, STOP, MIGRATE, PCPU_SPEED), so the simulator never second-guesses
 * the policy: it only turns work into time at the pCPU's speed. */
#include <math.h>

#include <gsl/gsl_randist.h>

#include "model_internal.h"

/* ---- distributions ------------------------------------------------------ */

uint64_t sim_draw(gsl_rng *r, const struct sim_dist *d)
{
    double x;
    switch (d->kind) {
    case SIM_DIST_EXP:
        x = gsl_ran_exponential(r, d->a);
        break;
    case SIM_DIST_UNIFORM:
        x = gsl_ran_flat(r, d->a, d->b);
        break;
    case SIM_DIST_NORMAL:
        x = d->a + gsl_ran_gaussian(r, d->b);
        break;
    case SIM_DIST_LOGNORMAL: {
        /* parameters of the log from the value's mean a and sd b */
        double s2 = log1p((d->b * d->b) / (d->a * d->a));
        x = gsl_ran_lognormal(r, log(d->a) - s2 / 2, sqrt(s2));
        break;
    }
    case SIM_DIST_PARETO:
        x = gsl_ran_pareto(r, d->b, d->a);
        break;
    case SIM_DIST_WEIBULL:
        x = gsl_ran_weibull(r, d->a, d->b);
        break;
    default:
        x = d->a;
        break;
    }
    if (!(x > 0))
        return 0;
    return x >= 1.8e19 ? UINT64_MAX / 2 : (uint64_t)llround(x);
}

/* ---- pCPU bookkeeping ---------------------------------------------------- */

void sim_mark_dirty(struct sim_host *h, vcpu_pcpu_t p)
{
    if (!h->is_dirty[p]) {
        h->is_dirty[p] = true;
        h->dirty[h->ndirty++] = p;
    }
}

/* Charge the time since the last accounting on @p to its vCPU. */
void sim_account(struct sim_host *h, vcpu_pcpu_t p, uint64_t now)
{
    struct sim_pcpu *pc = &h->pcpus[p];
    if (pc->curr == VCPU_NONE || now <= pc->since) {
        pc->since = now;
        return;
    }
    struct sim_vcpu *s = &h->vcpus[pc->curr];
    uint64_t dt = now - pc->since;
    pc->since = now;
    if (s->mode == SIM_M_COMPUTE || s->mode == SIM_M_CS) {
        uint64_t done = dt * pc->speed / VCPU_SPEED_NOMINAL;
        if (done > s->remaining)
            done = s->remaining;
        s->remaining -= done;
        s->demand_done += done;
    } else if (s->mode == SIM_M_SPIN) {
        s->spin_ns += dt;
    }
}

/* ---- locks ---------------------------------------------------------------- */

static bool try_lock(struct sim_model *m, struct sim_host *h, vcpu_id_t v)
{
    struct sim_vcpu *s = &h->vcpus[v];
    struct sim_vm *vm = &m->vms[s->vm];
    if (vm->lock_owner[s->lock] != VCPU_NONE)
        return false;
    vm->lock_owner[s->lock] = v;
    const struct sim_phase *ph = &vm->spec->wl.phases[s->phase];
    s->mode = SIM_M_CS;
    s->remaining = sim_draw(h->rng, &ph->d);
    return true;
}

/* Free @lock of @vm and hand it to the spinner that has waited longest
 * among those running now; others retry when they next run. */
static void unlock(struct sim_model *m, struct sim_host *h, struct sim_vm *vm,
                   unsigned lock)
{
    vm->lock_owner[lock] = VCPU_NONE;
    vcpu_id_t best = VCPU_NONE;
    for (vcpu_id_t w = vm->first; w < vm->first + vm->nvcpus; w++) {
        struct sim_vcpu *s = &h->vcpus[w];
        if (s->mode != SIM_M_SPIN || s->lock != lock ||
            vcpu_core_vcpu_state(h->core, w) != VP_VCPU_RUNNING)
            continue;
        if (best == VCPU_NONE || s->spin_start < h->vcpus[best].spin_start)
            best = w;
    }
    if (best == VCPU_NONE)
        return;
    vcpu_pcpu_t p = vcpu_core_vcpu_pcpu(h->core, best);
    sim_account(h, p, m->now);
    try_lock(m, h, best);
    sim_mark_dirty(h, p);
}

/* ---- trace: the core tells what runs where -------------------------------- */

static void on_run(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t p,
                   vcpu_id_t v)
{
    struct sim_pcpu *pc = &h->pcpus[p];
    pc->curr = v;
    pc->since = m->now;
    struct sim_vcpu *s = &h->vcpus[v];
    if (s->mode == SIM_M_SPIN)
        try_lock(m, h, v);
    sim_mark_dirty(h, p);
}

static void on_stop(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t p)
{
    sim_account(h, p, m->now);
    h->pcpus[p].curr = VCPU_NONE;
    h->pcpus[p].gen++; /* cancel its run-end event */
}

static void on_migrate(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t to,
                       vcpu_id_t v, vcpu_pcpu_t from)
{
    const struct sim_scenario *scn = m->scn;
    struct sim_vcpu *s = &h->vcpus[v];
    if (!scn->npenalty || from >= h->npcpus ||
        (s->mode != SIM_M_COMPUTE && s->mode != SIM_M_CS))
        return;
    unsigned d = vcpu_topo_distance(h->topo, from, to);
    uint64_t pen = scn->penalty_ns[d < scn->npenalty ? d : scn->npenalty - 1];
    s->remaining += pen;
    s->penalty_ns += pen;
}

void sim_on_trace(void *arg, const struct vcpu_trace_rec *r)
{
    struct sim_host *h = arg;
    struct sim_model *m = h->model;
    h->trace_records++;
    switch (r->event) {
    case VCPU_TRACE_RUN:
        on_run(m, h, r->pcpu, r->vcpu);
        break;
    case VCPU_TRACE_STOP:
        on_stop(m, h, r->pcpu);
        break;
    case VCPU_TRACE_MIGRATE:
        on_migrate(m, h, r->pcpu, r->vcpu, (vcpu_pcpu_t)r->arg);
        break;
    case VCPU_TRACE_PCPU_SPEED:
        sim_account(h, r->pcpu, m->now);
        h->pcpus[r->pcpu].speed = (uint32_t)r->arg;
        sim_mark_dirty(h, r->pcpu);
        break;
    default:
        break;
    }
    if (m->trace)
        sim_trace_write(m, h, r);
}

/* ---- phases ------------------------------------------------------------- */

/* Move @v past its current phase; false when its program is over. */
static bool next_phase(struct sim_model *m, struct sim_vcpu *s)
{
    const struct sim_workload *wl = &m->vms[s->vm].spec->wl;
    s->mode = SIM_M_PENDING;
    s->remaining = 0;
    if (++s->phase < wl->nphases)
        return true;
    s->phase = 0;
    s->loop++;
    return !wl->loops || s->loop < wl->loops;
}

/* Entering a COMPUTE phase costs no event: draw its work now. */
void sim_prepare_phase(struct sim_model *m, struct sim_host *h,
                       struct sim_vcpu *s)
{
    const struct sim_phase *ph = &m->vms[s->vm].spec->wl.phases[s->phase];
    if (ph->kind == SIM_PH_COMPUTE) {
        s->mode = SIM_M_COMPUTE;
        s->remaining = sim_draw(h->rng, &ph->d);
    }
}

static void finish_vcpu(struct sim_model *m, struct sim_host *h, vcpu_id_t v)
{
    struct sim_vcpu *s = &h->vcpus[v];
    struct sim_vm *vm = &m->vms[s->vm];
    s->mode = SIM_M_DONE;
    sim_core_call(m, vcpu_core_exit(h->core, m->now, v), "exit");
    vm->alive--;
    sim_barrier_check(m, h, vm);
    if (!vm->alive)
        sim_vm_finished(m, h, vm);
}

/* Release @vm's barrier when every live vCPU has arrived. */
void sim_barrier_check(struct sim_model *m, struct sim_host *h,
                       struct sim_vm *vm)
{
    if (!vm->at_barrier || vm->at_barrier < vm->alive)
        return;
    vm->at_barrier = 0;
    for (vcpu_id_t w = vm->first; w < vm->first + vm->nvcpus; w++) {
        struct sim_vcpu *s = &h->vcpus[w];
        if (s->mode == SIM_M_BARRIER)
            sim_push_wake(m, h, w, m->now);
    }
}

/* Start @v's current phase (it is running). Return true if it still runs. */
static bool enter_phase(struct sim_model *m, struct sim_host *h, vcpu_id_t v)
{
    struct sim_vcpu *s = &h->vcpus[v];
    struct sim_vm *vm = &m->vms[s->vm];
    const struct sim_phase *ph = &vm->spec->wl.phases[s->phase];
    switch (ph->kind) {
    case SIM_PH_COMPUTE:
        sim_prepare_phase(m, h, s);
        return true;
    case SIM_PH_BLOCK:
        s->mode = SIM_M_BLOCK;
        s->block_ns = sim_draw(h->rng, &ph->d);
        sim_core_call(m, vcpu_core_block(h->core, m->now, v), "block");
        sim_push_wake(m, h, v, m->now + s->block_ns);
        return false;
    case SIM_PH_BARRIER:
        s->mode = SIM_M_BARRIER;
        vm->at_barrier++;
        if (vm->at_barrier >= vm->alive) { /* last in: release the rest */
            sim_barrier_check(m, h, vm);
            s->mode = SIM_M_PENDING;
            return next_phase(m, s) || (finish_vcpu(m, h, v), false);
        }
        sim_core_call(m, vcpu_core_block(h->core, m->now, v), "block");
        return false;
    default:
        s->lock = (uint8_t)ph->lock_id;
        s->mode = SIM_M_SPIN;
        s->spin_start = m->now;
        try_lock(m, h, v);
        return true;
    }
}

/* A run-end event for running @v on @p: advance its program as far as it
 * goes without time passing, then let the core check the slice. */
void sim_step(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t p)
{
    vcpu_id_t v = h->pcpus[p].curr;
    struct sim_vcpu *s = &h->vcpus[v];
    for (unsigned guard = 0; guard < 64; guard++) {
        if ((s->mode == SIM_M_COMPUTE || s->mode == SIM_M_CS) && s->remaining)
            break;
        if (s->mode == SIM_M_SPIN) {
            uint64_t w = m->scn->ple_window_ns;
            if (w && m->now - s->spin_start >= w) { /* pause-loop exit */
                s->spin_start = m->now;
                sim_core_call(m, vcpu_core_yield(h->core, m->now, v), "yield");
                return;
            }
            break;
        }
        if (s->mode == SIM_M_CS)
            unlock(m, h, &m->vms[s->vm], s->lock);
        if (s->mode != SIM_M_PENDING && !next_phase(m, s)) {
            finish_vcpu(m, h, v);
            return;
        }
        if (!enter_phase(m, h, v))
            return;
    }
    if (m->now >= vcpu_core_slice_end(h->core, p))
        sim_core_call(m, vcpu_core_tick(h->core, m->now, p, NULL), "tick");
    sim_mark_dirty(h, p);
}

/* The wake-up of a blocked vCPU (end of BLOCK or barrier release). */
void sim_wake(struct sim_model *m, struct sim_host *h, vcpu_id_t v)
{
    struct sim_vcpu *s = &h->vcpus[v];
    if (s->mode == SIM_M_BLOCK)
        s->demand_done += s->block_ns;
    if (s->mode == SIM_M_BLOCK || s->mode == SIM_M_BARRIER) {
        if (!next_phase(m, s)) {
            s->mode = SIM_M_DONE;
            struct sim_vm *vm = &m->vms[s->vm];
            sim_core_call(m, vcpu_core_exit(h->core, m->now, v), "exit");
            vm->alive--;
            sim_barrier_check(m, h, vm);
            if (!vm->alive)
                sim_vm_finished(m, h, vm);
            return;
        }
        sim_prepare_phase(m, h, s);
    }
    sim_core_call(m, vcpu_core_wake(h->core, m->now, v), "wake");
}

/* Time @p's running vCPU next needs attention (UINT64_MAX: never). */
static uint64_t run_end(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t p)
{
    struct sim_pcpu *pc = &h->pcpus[p];
    struct sim_vcpu *s = &h->vcpus[pc->curr];
    uint64_t fin = UINT64_MAX;
    if (s->mode == SIM_M_COMPUTE || s->mode == SIM_M_CS) {
        uint64_t sp = pc->speed ? pc->speed : 1;
        fin = m->now + (s->remaining * VCPU_SPEED_NOMINAL + sp - 1) / sp;
    } else if (s->mode == SIM_M_SPIN) {
        if (m->scn->ple_window_ns) {
            fin = s->spin_start + m->scn->ple_window_ns;
            if (fin < m->now) /* it spun before and was preempted */
                fin = m->now;
        }
    } else {
        fin = m->now + 1; /* a phase to start: time must move on */
    }
    uint64_t se = vcpu_core_slice_end(h->core, p);
    bool waiting = vcpu_core_count_state(h->core, VP_VCPU_RUNNABLE) > 0;
    if (se < fin && (waiting || h->has_tick))
        return se > m->now ? se : m->now;
    if (se < fin)
        h->skipping = true; /* nobody waits: one event per burst */
    return fin;
}

/* Re-arm the run-end event of every pCPU whose state changed. */
void sim_rearm(struct sim_model *m, struct sim_host *h)
{
    if (h->skipping && vcpu_core_count_state(h->core, VP_VCPU_RUNNABLE) > 0) {
        h->skipping = false; /* someone waits now: slices matter again */
        for (vcpu_pcpu_t p = 0; p < h->npcpus; p++)
            if (h->pcpus[p].curr != VCPU_NONE)
                sim_mark_dirty(h, p);
    }
    while (h->ndirty) {
        vcpu_pcpu_t p = h->dirty[--h->ndirty];
        h->is_dirty[p] = false;
        struct sim_pcpu *pc = &h->pcpus[p];
        if (pc->curr == VCPU_NONE)
            continue;
        uint64_t t = run_end(m, h, p);
        pc->gen++;
        pc->armed = t;
        if (t != UINT64_MAX)
            sim_push(m, t, SIM_EV_RUN_END, h->index, p, 0, pc->gen);
    }
}
