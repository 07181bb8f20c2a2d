// SPDX-License-Identifier: GPL-3.0-or-later
/* Guest behaviour on a host: each vCPU runs its VM's program of phases
 * (compute, block, barrier, spin lock). Progress follows the core's trace
 * (RUN, STOP, MIGRATE, PCPU_SPEED), so the simulator never second-guesses
 * the policy: it only turns work into time at the pCPU's speed. */
#include <math.h>
#include <stdlib.h>

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
    if (x < 0x1p52) { /* llround's result, without its call: x - trunc(x) is
                         exact here, and halves round up as it does */
        uint64_t i = (uint64_t)x;
        return i + (x - (double)i >= 0.5);
    }
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

struct sim_vcpu_extra *sim_extra(struct sim_host *h, vcpu_id_t v)
{
    if (!h->extra && !(h->extra = calloc(h->cap_vcpus, sizeof *h->extra))) {
        sim_core_failed(h->model, VCPU_ENOMEM, "vCPU counters");
        return NULL;
    }
    return &h->extra[v];
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
        struct sim_vcpu_extra *x = sim_extra(h, pc->curr);
        if (x)
            x->spin_ns += dt;
    } else if (s->mode == SIM_M_GUEST) {
        sim_nested_account(h, pc->curr, dt, pc->speed);
    }
}

/* ---- locks ---------------------------------------------------------------- */

/* The lock table of @vm, made when one of its vCPUs first wants a lock:
 * most VMs never do, and the table would be half of a VM's record. */
static vcpu_id_t *lock_table(struct sim_model *m, struct sim_vm *vm)
{
    if (!vm->lock_owner) {
        vm->lock_owner = malloc(SIM_MAX_LOCKS * sizeof *vm->lock_owner);
        if (!vm->lock_owner) {
            sim_core_failed(m, VCPU_ENOMEM, "lock table");
            return NULL;
        }
        for (unsigned l = 0; l < SIM_MAX_LOCKS; l++)
            vm->lock_owner[l] = VCPU_NONE;
    }
    return vm->lock_owner;
}

static bool try_lock(struct sim_model *m, struct sim_host *h, vcpu_id_t v)
{
    struct sim_vcpu *s = &h->vcpus[v];
    struct sim_vm *vm = &m->vms[s->vm];
    if (!lock_table(m, vm) || vm->lock_owner[s->lock] != VCPU_NONE)
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

static void skip_set(struct sim_host *h, vcpu_pcpu_t p, bool on)
{
    uint64_t bit = (uint64_t)1 << (p & 63), *w = &h->skip[p >> 6];
    if (!(*w & bit) == !on)
        return;
    *w ^= bit;
    if (on)
        h->nskip++;
    else
        h->nskip--;
}

static void on_stop(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t p)
{
    skip_set(h, p, false);
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
    struct sim_vcpu_extra *x = sim_extra(h, v);
    if (x)
        x->penalty_ns += pen;
}

void sim_on_trace(void *arg, const struct vcpu_trace_rec *r)
{
    struct sim_host *h = arg;
    struct sim_model *m = h->model;
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
    if (s->mode == SIM_M_GUEST) {
        sim_nested_step(m, h, p);
        return;
    }
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

/* Time @p's running vCPU next needs attention (UINT64_MAX: never);
 * @waiting: some vCPU of the host is RUNNABLE. */
static uint64_t run_end(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t p,
                        bool waiting)
{
    struct sim_pcpu *pc = &h->pcpus[p];
    struct sim_vcpu *s = &h->vcpus[pc->curr];
    uint64_t fin = UINT64_MAX;
    if (s->mode == SIM_M_COMPUTE || s->mode == SIM_M_CS) {
        /* remaining is as of pc->since: a pCPU re-armed without being
         * charged up to now (unskip) still ends when its work does */
        uint64_t sp = pc->speed ? pc->speed : 1;
        fin = pc->since + (s->remaining * VCPU_SPEED_NOMINAL + sp - 1) / sp;
        fin = fin > m->now ? fin : m->now;
    } else if (s->mode == SIM_M_GUEST) {
        fin = sim_nested_run_end(m, h, p);
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
    if (se < fin && (waiting || h->has_tick))
        return se > m->now ? se : m->now;
    if (se < fin)
        skip_set(h, p, true); /* nobody waits: one event per burst */
    return fin;
}

/* Someone waits now: the pCPUs armed past their slice end are re-armed
 * (only those: a scan of every pCPU would cost O(P) per wake-up). */
static void unskip(struct sim_host *h)
{
    for (unsigned w = 0; h->nskip; w++) {
        while (h->skip[w]) {
            vcpu_pcpu_t p = w * 64 + (unsigned)__builtin_ctzll(h->skip[w]);
            skip_set(h, p, false);
            sim_mark_dirty(h, p);
        }
    }
}

/* Re-arm the run-end event of every pCPU whose state changed. */
void sim_rearm(struct sim_model *m, struct sim_host *h)
{
    if (!h->ndirty && !h->nskip)
        return;
    bool waiting = vcpu_core_count_state(h->core, VP_VCPU_RUNNABLE) > 0;
    if (h->nskip && waiting)
        unskip(h);
    while (h->ndirty) {
        vcpu_pcpu_t p = h->dirty[--h->ndirty];
        h->is_dirty[p] = false;
        struct sim_pcpu *pc = &h->pcpus[p];
        skip_set(h, p, false);
        if (pc->curr == VCPU_NONE)
            continue;
        uint64_t t = run_end(m, h, p, waiting);
        pc->gen++;
        if (t != UINT64_MAX)
            sim_push(m, h, t, SIM_EV_RUN_END, p, 0, pc->gen);
    }
}
