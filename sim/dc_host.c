// SPDX-License-Identifier: GPL-3.0-or-later
/* The datacenter tier's host model, at the flow level. The busy vCPUs of
 * a host's time-shared VMs share its pCPUs equally (each at most one
 * pCPU); space-shared VMs own their pCPUs. Inside a VM, its running
 * threads (tasks or vCPU phase programs) share its vCPUs the same way
 * (time), or take one vCPU each in order (space). Every running thread of
 * a VM goes at the same speed, so one clock per VM (vm->v, the work each
 * of them has done) tells where all of them are, and a host needs one
 * event: the next thread to end on any of its VMs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dc_internal.h"

uint32_t sim_dc_vm_busy_m(const struct dc_vm *vm)
{
    if (vm->down)
        return 0;
    uint64_t want = (uint64_t)vm->nrun * 1000 + vm->load_m;
    uint64_t v = (uint64_t)vm->spec->vcpus * 1000;
    return (uint32_t)(want < v ? want : v);
}

/* The share of a vCPU each running thread or load of @vm gets inside it:
 * less than 1 when they want more than its vCPUs (time sharing). */
static double vm_inner_share(const struct dc_vm *vm)
{
    uint64_t want = (uint64_t)vm->nrun * 1000 + vm->load_m;
    uint64_t v = (uint64_t)vm->spec->vcpus * 1000;
    return want > v ? (double)v / (double)want : 1.0;
}

static double util_of(const struct dc_host *h)
{
    double u = h->npcpus ? sim_dc_host_demand(h) / h->npcpus : 0;
    return u > 1 ? 1 : u;
}

double sim_dc_power(const struct sim_dc *dc, const struct dc_host *h)
{
    if ((h->state == VCPU_HOST_OFF && !h->shutting) ||
        h->state == VCPU_HOST_FAILED)
        return 0;
    const struct sim_host_spec *hs = &dc->scn->hosts[h->type];
    const struct sim_power *p = hs->power.set ? &hs->power : &dc->d->power;
    double u = util_of(h);
    if (!p->table)
        return p->idle_w + (p->peak_w - p->idle_w) * u;
    double x = u * 10;
    unsigned i = (unsigned)x;
    if (i >= 10)
        return p->table_w[10];
    return p->table_w[i] + (p->table_w[i + 1] - p->table_w[i]) * (x - i);
}

/* Charge @vm from vm->last_ns to now at its current speed. */
static void vm_touch(struct sim_dc *dc, struct dc_vm *vm,
                     const struct dc_host *h)
{
    if (dc->now <= vm->last_ns)
        return;
    double dt = (double)(dc->now - vm->last_ns);
    vm->last_ns = dc->now;
    vm->v += vm->rate * dt;
    double b = vm->busy_m / 1000.0;
    if (!b)
        return;
    double s = h->speed / 1000.0;
    vm->asked += b * s * dt;
    vm->lost_over += b * (s - h->rate) * dt;
    if (vm->state == VM_MIGRATING)
        vm->lost_mig += b * h->rate * dc->d->mig_degradation_milli * 1e-3 * dt;
}

/* Charge @h (power, time on, time at 100%, CPU used) to now. */
static void host_charge(struct sim_dc *dc, struct dc_host *h)
{
    if (dc->now <= h->last_ns)
        return;
    double dt = (double)(dc->now - h->last_ns);
    h->energy_j += sim_dc_power(dc, h) * dt * 1e-9;
    if ((h->state != VCPU_HOST_OFF || h->shutting) &&
        h->state != VCPU_HOST_FAILED) {
        h->on_ns += dc->now - h->last_ns;
        dc->on_time_acc += dt;
    }
    double d = sim_dc_host_demand(h);
    if (h->npcpus && d >= h->npcpus)
        h->full_ns += dc->now - h->last_ns;
    h->busy_acc += (d < h->npcpus ? d : h->npcpus) * dt;
    h->last_ns = dc->now;
}

/* Charge @h and every VM on it to now. */
void sim_dc_host_touch(struct sim_dc *dc, struct dc_host *h)
{
    host_charge(dc, h);
    for (unsigned i = 0; i < h->nvms; i++)
        vm_touch(dc, &dc->vms[h->vms[i]], h);
}

static uint64_t to_ns(double x)
{
    if (x <= 0)
        return 0;
    if (x >= 4e18)
        return (uint64_t)4e18;
    return (uint64_t)ceil(x);
}

static double host_rate(const struct sim_dc *dc, const struct dc_host *h)
{
    double s = h->speed / 1000.0;
    bool dedicated = dc->d->vm_sharing == SIM_SHARE_SPACE;
    double d = sim_dc_host_demand(h);
    return dedicated || d <= h->npcpus ? s : s * h->npcpus / d;
}

/* @vm's speed on @h, and when its first running thread ends. */
static void vm_schedule(struct sim_dc *dc, struct dc_vm *vm,
                        const struct dc_host *h)
{
    double r = vm->down ? 0 : h->rate;
    if (vm->state == VM_MIGRATING)
        r *= 1 - dc->d->mig_degradation_milli * 1e-3;
    r *= vm_inner_share(vm);
    vm->rate = r;
    vm->next_ns = vm->nrun && r > 0 ? dc->now + to_ns((vm->vmin - vm->v) / r)
                                    : UINT64_MAX;
}

/* One event per host: the first of its VMs' next_ns. A change moves it
 * only if the earliest moves, so an event of one VM costs one scan of the
 * host's VMs and at most one push, whatever the host's load. */
static void host_schedule(struct sim_dc *dc, struct dc_host *h)
{
    uint64_t t = UINT64_MAX;
    for (unsigned i = 0; i < h->nvms; i++) {
        uint64_t n = dc->vms[h->vms[i]].next_ns;
        t = n < t ? n : t;
    }
    if (t == h->sched_ns)
        return;
    h->sched_ns = t;
    h->gen++;
    if (t != UINT64_MAX)
        sim_dc_push(dc, t, DC_EV_HOST, (uint32_t)(h - dc->hosts), 0, h->gen);
}

/* Everything on @h again: its load, speed and every VM's next event. Call
 * after sim_dc_host_touch(). */
void sim_dc_host_update(struct sim_dc *dc, struct dc_host *h)
{
    uint64_t demand = 0;
    for (unsigned i = 0; i < h->nvms; i++) {
        struct dc_vm *vm = &dc->vms[h->vms[i]];
        vm->busy_m = sim_dc_vm_busy_m(vm);
        demand += vm->busy_m;
    }
    h->demand_m = demand;
    h->rate = host_rate(dc, h);
    for (unsigned i = 0; i < h->nvms; i++)
        vm_schedule(dc, &dc->vms[h->vms[i]], h);
    host_schedule(dc, h);
}

/* Before @vm changes: charge its host and it to now. */
static void touch_one(struct sim_dc *dc, struct dc_vm *vm, struct dc_host *h)
{
    host_charge(dc, h);
    vm_touch(dc, vm, h);
}

/* After @vm changed (threads started, ended, blocked): if its host's speed
 * stays, only @vm's event moves; else every VM's. */
static void refresh_one(struct sim_dc *dc, struct dc_vm *vm, struct dc_host *h)
{
    uint32_t busy = sim_dc_vm_busy_m(vm);
    h->demand_m = h->demand_m - vm->busy_m + busy;
    vm->busy_m = busy;
    double r = host_rate(dc, h);
    if (r == h->rate) {
        vm_schedule(dc, vm, h);
        host_schedule(dc, h);
        return;
    }
    for (unsigned i = 0; i < h->nvms; i++)
        vm_touch(dc, &dc->vms[h->vms[i]], h); /* at the old speed */
    h->rate = r;
    for (unsigned i = 0; i < h->nvms; i++)
        vm_schedule(dc, &dc->vms[h->vms[i]], h);
    host_schedule(dc, h);
}

/* @h's event: the VMs whose first thread ends now. */
void sim_dc_host_event(struct sim_dc *dc, struct dc_host *h)
{
    h->sched_ns = UINT64_MAX;
    for (unsigned i = h->nvms; i-- > 0;) {
        if (i >= h->nvms)
            continue; /* a finished VM took the list's end */
        struct dc_vm *vm = &dc->vms[h->vms[i]];
        if (vm->next_ns <= dc->now)
            sim_dc_vm_event(dc, vm);
    }
    host_schedule(dc, h);
}

/* ---- threads ------------------------------------------------------------------ */

static bool reached(const struct dc_vm *vm, double vfin)
{
    return vfin <= vm->v + 1e-9 * vm->v + 0.5;
}

static void recompute_vmin(struct dc_vm *vm)
{
    double m = INFINITY;
    if (vm->nrun)
        for (unsigned i = 0; i < vm->nthreads; i++)
            if (vm->th[i].state == T_RUN && vm->th[i].vfin < m)
                m = vm->th[i].vfin;
    vm->vmin = m;
}

static void run_work(struct sim_dc *dc, struct dc_vm *vm, struct dc_thread *t,
                     double work)
{
    t->state = T_RUN;
    t->vfin = vm->v + work;
    vm->nrun++;
    if (t->vfin < vm->vmin)
        vm->vmin = t->vfin;
    (void)dc;
}

static void thread_done(struct sim_dc *dc, struct dc_vm *vm,
                        struct dc_thread *t)
{
    t->state = T_DONE;
    t->finish_ns = dc->now;
    vm->nalive--;
    if (t->is_task)
        dc->tasks_done++;
}

/* Run @t's program from its current phase on, up to the first phase that
 * takes time. */
static void thread_program(struct sim_dc *dc, struct dc_vm *vm,
                           struct dc_thread *t)
{
    const struct sim_workload *wl = &vm->spec->wl;
    for (unsigned steps = 0; steps < 64 * wl->nphases + 64; steps++) {
        if (t->phase >= wl->nphases) {
            t->phase = 0;
            t->loop++;
            if (wl->loops && t->loop >= wl->loops) {
                thread_done(dc, vm, t);
                return;
            }
        }
        const struct sim_phase *ph = &wl->phases[t->phase++];
        uint64_t d = sim_draw(dc->rng, &ph->d);
        if (ph->kind == SIM_PH_COMPUTE && dc->d->bursts_as_load &&
            t->phase < wl->nphases &&
            wl->phases[t->phase].kind == SIM_PH_BLOCK) {
            /* a compute burst and the idle time after it: one load */
            uint64_t idle = sim_draw(dc->rng, &wl->phases[t->phase++].d);
            if (!d && !idle)
                continue;
            t->state = T_LOAD;
            t->load_m =
                (uint32_t)llround(1000.0 * (double)d / (double)(d + idle));
            vm->load_m += t->load_m;
            sim_dc_push(dc, dc->now + d + idle, DC_EV_WAKE,
                        (uint32_t)(vm - dc->vms), (uint64_t)(t - vm->th),
                        ++t->gen);
            return;
        }
        if (!d)
            continue;
        if (ph->kind == SIM_PH_COMPUTE) {
            run_work(dc, vm, t, (double)d);
            return;
        }
        t->state = T_BLOCK;
        sim_dc_push(dc, dc->now + d, DC_EV_WAKE, (uint32_t)(vm - dc->vms),
                    (uint64_t)(t - vm->th), ++t->gen);
        return;
    }
    /* Only empty phases so far: look again in 1 ns rather than spin. */
    t->state = T_BLOCK;
    sim_dc_push(dc, dc->now + 1, DC_EV_WAKE, (uint32_t)(vm - dc->vms),
                (uint64_t)(t - vm->th), ++t->gen);
}

/* Space-shared tasks: give free vCPUs to the queued tasks in order. */
static void start_queued(struct sim_dc *dc, struct dc_vm *vm)
{
    unsigned cap = vm->sharing == SIM_SHARE_SPACE ? vm->spec->vcpus : ~0u;
    while (vm->nrun < cap && vm->next_queued < vm->nthreads) {
        struct dc_thread *t = &vm->th[vm->next_queued++];
        if (t->state != T_QUEUED)
            continue;
        t->start_ns = dc->now;
        run_work(dc, vm, t, t->work);
    }
}

/* (Re)make @vm's threads, all at their start. Return 0 or -1 (memory). */
static int init_threads(struct sim_dc *dc, struct dc_vm *vm)
{
    const struct sim_vm_spec *sp = vm->spec;
    unsigned n = 0;
    for (unsigned i = 0; i < sp->ntasks; i++)
        n += sp->tasks[i].count;
    if (!sp->ntasks)
        n = sp->vcpus;
    if (!vm->th) {
        if (!(vm->th = calloc(n, sizeof *vm->th)))
            return -1;
        unsigned k = 0;
        for (unsigned i = 0; i < sp->ntasks; i++)
            for (unsigned j = 0; j < sp->tasks[i].count; j++, k++) {
                vm->th[k].is_task = 1;
                vm->th[k].work = (double)sim_draw(dc->rng, &sp->tasks[i].work);
            }
    }
    vm->nthreads = vm->nalive = n;
    vm->nrun = vm->next_queued = 0;
    vm->load_m = 0;
    vm->v = 0;
    vm->vmin = INFINITY;
    for (unsigned i = 0; i < n; i++) {
        struct dc_thread *t = &vm->th[i];
        t->state = T_QUEUED;
        t->load_m = 0;
        t->gen++; /* cancels wakes of a run before a restart */
        t->phase = 0;
        t->loop = 0;
        t->start_ns = t->finish_ns = 0;
    }
    return 0;
}

/* @vm begins (or begins again) on its host: make its threads. */
int sim_dc_vm_start(struct sim_dc *dc, struct dc_vm *vm)
{
    if (init_threads(dc, vm))
        return -1;
    if (vm->spec->ntasks) {
        start_queued(dc, vm);
        return 0;
    }
    for (unsigned i = 0; i < vm->nthreads; i++) {
        struct dc_thread *t = &vm->th[i];
        t->start_ns = dc->now;
        thread_program(dc, vm, t);
    }
    return 0;
}

void sim_dc_wake(struct sim_dc *dc, struct dc_vm *vm, unsigned ti)
{
    struct dc_host *h = &dc->hosts[vm->host];
    touch_one(dc, vm, h);
    struct dc_thread *t = &vm->th[ti];
    if (t->state == T_LOAD) {
        vm->load_m -= t->load_m;
        t->load_m = 0;
    }
    thread_program(dc, vm, t);
    recompute_vmin(vm);
    if (!vm->nalive) {
        sim_dc_vm_finished(dc, vm);
        sim_dc_host_touch(dc, h); /* the others, at their old speed */
        sim_dc_host_update(dc, h);
    } else {
        refresh_one(dc, vm, h);
    }
}

/* The threads of @vm whose work is done now end. */
void sim_dc_vm_event(struct sim_dc *dc, struct dc_vm *vm)
{
    struct dc_host *h = &dc->hosts[vm->host];
    touch_one(dc, vm, h);
    for (unsigned i = 0; i < vm->nthreads; i++) {
        struct dc_thread *t = &vm->th[i];
        if (t->state != T_RUN || !reached(vm, t->vfin))
            continue;
        vm->nrun--;
        if (t->is_task)
            thread_done(dc, vm, t);
        else
            thread_program(dc, vm, t);
    }
    if (vm->spec->ntasks)
        start_queued(dc, vm);
    recompute_vmin(vm);
    if (!vm->nalive) {
        sim_dc_vm_finished(dc, vm);
        sim_dc_host_touch(dc, h); /* the others, at their old speed */
        sim_dc_host_update(dc, h);
    } else {
        refresh_one(dc, vm, h);
    }
}

/* ---- VMs on hosts --------------------------------------------------------------- */

void sim_dc_attach(struct sim_dc *dc, struct dc_vm *vm, uint32_t host)
{
    struct dc_host *h = &dc->hosts[host];
    vm->pos = h->nvms;
    if (sim_dc_u32_push(&h->vms, &h->nvms, &h->cap, (uint32_t)(vm - dc->vms))) {
        sim_dc_fail(dc, "out of memory for host %u's VM list", host);
        return;
    }
    vm->host = host;
    vm->last_ns = dc->now;
    vm->next_ns = UINT64_MAX;
    vm->busy_m = 0; /* counted by the host update that follows */
}

void sim_dc_detach(struct sim_dc *dc, struct dc_vm *vm)
{
    if (vm->host == VCPU_HOST_NONE)
        return;
    struct dc_host *h = &dc->hosts[vm->host];
    uint32_t last = h->vms[--h->nvms];
    if (vm->pos < h->nvms) {
        h->vms[vm->pos] = last;
        dc->vms[last].pos = vm->pos;
    }
    vm->host = VCPU_HOST_NONE;
    vm->rate = 0;
    vm->next_ns = UINT64_MAX;
}
