// SPDX-License-Identifier: GPL-3.0-or-later
/* The datacenter tier: building the datacenter from the scenario, VM
 * arrival, admission and departure through the placement core, and the
 * event loop. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dc_internal.h"

void sim_dc_fail(struct sim_dc *dc, const char *fmt, ...)
{
    if (dc->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dc->err, sizeof dc->err, fmt, ap);
    va_end(ap);
    dc->failed = true;
}

void sim_dc_push(struct sim_dc *dc, uint64_t t, uint32_t kind, uint32_t a,
                 uint64_t b, uint32_t gen)
{
    if (sim_event_push(dc->eng, t < dc->now ? dc->now : t, kind, 0, a, b, gen))
        sim_dc_fail(dc, "out of memory for events");
}

/* One trace record: the columns of DESIGN.md §6, with the host in the
 * pcpu column (-1: none) and no vCPU. */
void sim_dc_trace(struct sim_dc *dc, const char *event, int host, unsigned vm,
                  uint64_t arg)
{
    if (dc->trace)
        fprintf(dc->trace, "%" PRIu64 ",%s,%d,-1,%u,%" PRIu64 "\n", dc->now,
                event, host, vm, arg);
}

bool sim_dc_check_place(struct sim_dc *dc, const char *after)
{
    char msg[512];
    if (!dc->d || !(dc->scn->check || dc->check))
        return true;
    if (vcpu_place_check(dc->place, msg, sizeof msg) == 0)
        return true;
    sim_dc_fail(dc, "placement invariant broken after %s at %" PRIu64 " ns: %s",
                after, dc->now, msg);
    return false;
}

/* ---- building ------------------------------------------------------------------ */

static int load_types(struct sim_dc *dc, char *err, size_t errlen)
{
    const struct sim_scenario *s = dc->scn;
    dc->ntypes = s->nhosts;
    if (!(dc->types = calloc(s->nhosts, sizeof *dc->types)))
        return -ENOMEM;
    for (unsigned i = 0; i < s->nhosts; i++) {
        int rc = vcpu_topo_load(s->hosts[i].topo, &dc->types[i]);
        if (rc) {
            snprintf(err, errlen, "%s:%u: hosts[%u]: cannot load '%s': %s",
                     s->file, s->hosts[i].line, i, s->hosts[i].topo,
                     vcpu_strerror(rc));
            return -1;
        }
        dc->nhosts += s->hosts[i].count;
    }
    return 0;
}

/* Racks of hosts_per_rack consecutive hosts, clusters of racks_per_cluster
 * racks, datacenters of clusters_per_dc clusters (0: one). */
static int make_topo(struct sim_dc *dc, char *err, size_t errlen)
{
    const struct sim_dc_spec *d = dc->d;
    unsigned n = dc->nhosts;
    unsigned nracks = (n + d->hosts_per_rack - 1) / d->hosts_per_rack;
    unsigned ncl = (nracks + d->racks_per_cluster - 1) / d->racks_per_cluster;
    unsigned cpd = d->clusters_per_dc ? d->clusters_per_dc : ncl;
    unsigned ndc = (ncl + cpd - 1) / cpd;
    uint32_t *type = malloc(n * sizeof *type), *rack = malloc(n * sizeof *rack);
    uint32_t *rc = malloc(nracks * sizeof *rc), *cd = malloc(ncl * sizeof *cd);
    int ret = -ENOMEM;
    if (type && rack && rc && cd) {
        unsigned h = 0;
        for (unsigned t = 0; t < dc->scn->nhosts; t++)
            for (unsigned k = 0; k < dc->scn->hosts[t].count; k++, h++) {
                type[h] = t;
                rack[h] = h / d->hosts_per_rack;
            }
        for (unsigned r = 0; r < nracks; r++)
            rc[r] = r / d->racks_per_cluster;
        for (unsigned c = 0; c < ncl; c++)
            cd[c] = c / cpd;
        struct vcpu_dctopo_attr at = {
            .abi = VCPU_DCTOPO_ABI,
            .ntypes = dc->ntypes,
            .types = dc->types,
            .nhosts = n,
            .host_type = type,
            .host_rack = rack,
            .nracks = nracks,
            .rack_cluster = rc,
            .nclusters = ncl,
            .cluster_dc = cd,
            .ndcs = ndc,
        };
        ret = vcpu_dctopo_create(&at, &dc->topo);
        if (ret)
            snprintf(err, errlen, "datacenter topology: %s",
                     vcpu_strerror(ret));
    }
    free(type);
    free(rack);
    free(rc);
    free(cd);
    return ret;
}

static void on_place_log(void *arg, const char *line)
{
    struct sim_dc *dc = arg;
    sim_dc_fail(dc, "placement: %s", line);
}

static int make_hosts(struct sim_dc *dc, char *err, size_t errlen)
{
    const struct sim_scenario *s = dc->scn;
    if (!(dc->hosts = calloc(dc->nhosts, sizeof *dc->hosts)))
        return -ENOMEM;
    uint64_t *mem = malloc(dc->nhosts * sizeof *mem);
    if (!mem)
        return -ENOMEM;
    unsigned h = 0;
    for (unsigned t = 0; t < s->nhosts; t++)
        for (unsigned k = 0; k < s->hosts[t].count; k++, h++) {
            struct dc_host *x = &dc->hosts[h];
            x->type = t;
            x->npcpus = vcpu_topo_npcpus(dc->types[t]);
            x->speed = s->hosts[t].speed ? s->hosts[t].speed : 1000;
            x->mem_mb = s->hosts[t].mem_mb;
            x->state = dc->d->start_off ? VCPU_HOST_OFF : VCPU_HOST_ON;
            x->rate = x->speed / 1000.0;
            x->sched_ns = UINT64_MAX;
            /* No memory given: more than any VM can ask. */
            mem[h] = x->mem_mb ? x->mem_mb : (uint64_t)1 << 40;
        }
    const struct sim_dc_spec *d = dc->d;
    dc->pops = vcpu_place_find(d->placement);
    int rc = 0;
    if (!dc->pops) {
        rc = vcpu_place_open(d->placement, &dc->plib, err, errlen);
        if (!rc)
            dc->pops = vcpu_place_lib_ops(dc->plib);
    }
    struct vcpu_place_attr at = {
        .abi = VCPU_PLACE_ABI,
        .topo = dc->topo,
        .host_mem_mb = mem,
        .cpu_overcommit_milli = d->cpu_overcommit_milli,
        .mem_overcommit_milli = d->mem_overcommit_milli,
        .queue = d->queue ? VCPU_QUEUE_BACKFILL : VCPU_QUEUE_FIFO,
        .check = dc->check || s->check,
        .log = on_place_log,
        .log_arg = dc,
    };
    if (!rc)
        rc = vcpu_place_create(&at, dc->pops, d->placement_args, &dc->place,
                               err, errlen);
    free(mem);
    if (rc && !err[0])
        snprintf(err, errlen, "placement policy '%s': %s", d->placement,
                 vcpu_strerror(rc));
    for (h = 0; !rc && h < dc->nhosts; h++)
        if (dc->hosts[h].state != VCPU_HOST_ON)
            rc = vcpu_place_host_set_state(dc->place, 0, h, dc->hosts[h].state,
                                           NULL, NULL);
    return rc;
}

/* ---- arrivals and departures ----------------------------------------------------- */

static int scenario_next(void *arg, struct sim_arrival *out)
{
    struct sim_dc *dc = arg;
    const struct sim_scenario *s = dc->scn;
    while (dc->scn_entry < s->nvms) {
        const struct sim_vm_spec *spec = &s->vms[dc->scn_entry];
        if (dc->scn_replica < (spec->count ? spec->count : 1)) {
            *out = (struct sim_arrival){spec, spec->start_ns, spec->host,
                                        dc->scn_replica++};
            return 1;
        }
        dc->scn_entry++;
        dc->scn_replica = 0;
    }
    return 0;
}

/* Take the next arrival; queue its event unless it is due now (@now_ok),
 * which the caller then handles at once. Return true if it is due now. */
static bool next_arrival(struct sim_dc *dc, bool now_ok)
{
    struct sim_arrival a;
    int rc = dc->src.next(dc->src.arg, &a);
    if (rc < 0)
        sim_dc_fail(dc, "workload source failed (%d)", rc);
    if (rc <= 0)
        return false;
    dc->next = a;
    dc->have_next = true;
    if (now_ok && a.time_ns <= dc->now)
        return true;
    sim_dc_push(dc, a.time_ns, DC_EV_ARRIVE, 0, 0, 0);
    return false;
}

static struct dc_vm *new_vm(struct sim_dc *dc)
{
    if (dc->nvms == dc->cap_vms) {
        unsigned cap = dc->cap_vms ? 2 * dc->cap_vms : 64;
        struct dc_vm *v = realloc(dc->vms, cap * sizeof *v);
        if (!v)
            return NULL;
        dc->vms = v;
        dc->cap_vms = cap;
    }
    struct dc_vm *vm = &dc->vms[dc->nvms++];
    memset(vm, 0, sizeof *vm);
    vm->host = VCPU_HOST_NONE;
    return vm;
}

int sim_dc_u32_push(uint32_t **a, unsigned *n, unsigned *cap, uint32_t x)
{
    if (*n == *cap) {
        unsigned c = *cap ? 2 * *cap : 16;
        uint32_t *b = realloc(*a, c * sizeof *b);
        if (!b)
            return -1;
        *a = b;
        *cap = c;
    }
    (*a)[(*n)++] = x;
    return 0;
}

static int map_pid(struct sim_dc *dc, vcpu_dcvm_t pid, unsigned vm)
{
    if (pid >= dc->cap_pid) {
        unsigned cap = dc->cap_pid ? dc->cap_pid : 64;
        while (cap <= pid)
            cap *= 2;
        uint32_t *m = realloc(dc->by_pid, cap * sizeof *m);
        if (!m)
            return -1;
        dc->by_pid = m;
        dc->cap_pid = cap;
    }
    dc->by_pid[pid] = vm;
    return 0;
}

/* @vm goes on @host now: its first start, a restart, or after waiting. */
void sim_dc_start_on(struct sim_dc *dc, struct dc_vm *vm, uint32_t host)
{
    struct dc_host *h = &dc->hosts[host];
    sim_dc_host_touch(dc, h);
    if (vm->state == VM_WAITING && !vm->start_ns)
        vm->start_ns = dc->now ? dc->now : 1;
    vm->wait_ns += dc->now - vm->queued_ns;
    vm->state = VM_RUNNING;
    sim_dc_attach(dc, vm, host);
    sim_dc_trace(dc, "VM_ADD", (int)host, (unsigned)(vm - dc->vms),
                 vm->spec->vcpus);
    if (sim_dc_vm_start(dc, vm))
        sim_dc_fail(dc, "out of memory for the threads of VM '%s'",
                    vm->spec->name);
    if (!vm->nalive)
        sim_dc_vm_finished(dc, vm);
    sim_dc_host_update(dc, h);
}

static void on_placed(void *arg, vcpu_dcvm_t pid, uint32_t host)
{
    struct sim_dc *dc = arg;
    sim_dc_start_on(dc, &dc->vms[dc->by_pid[pid]], host);
}

void sim_dc_retry(struct sim_dc *dc)
{
    if (!vcpu_place_nwaiting(dc->place))
        return;
    int rc = vcpu_place_retry(dc->place, dc->now, on_placed, dc);
    if (rc)
        sim_dc_fail(dc, "placement retry failed: %s", vcpu_strerror(rc));
    sim_dc_check_place(dc, "a retry");
    sim_dc_boot_for_queue(dc);
}

static void arrive_one(struct sim_dc *dc)
{
    const struct sim_arrival *a = &dc->next;
    struct dc_vm *vm = new_vm(dc);
    if (!vm) {
        sim_dc_fail(dc, "out of memory for VMs");
        return;
    }
    unsigned index = (unsigned)(vm - dc->vms);
    vm->spec = a->spec;
    vm->replica = a->replica;
    vm->arrive_ns = vm->queued_ns = dc->now;
    vm->state = VM_WAITING;
    unsigned ts = a->spec->task_sharing;
    vm->sharing = ts ? ts : dc->d->task_sharing;
    struct vcpu_vm_req req = {
        .abi = VCPU_PLACE_ABI,
        .vcpus = a->spec->vcpus,
        .mem_mb = a->spec->mem_mb,
        .group = a->spec->group,
    };
    uint32_t host = VCPU_HOST_NONE;
    int rc = vcpu_place_vm_add(dc->place, dc->now, &req, &vm->pid, &host);
    if (rc == 0 || rc == VCPU_EAGAIN) {
        if (map_pid(dc, vm->pid, index)) {
            sim_dc_fail(dc, "out of memory");
            return;
        }
    }
    sim_dc_check_place(dc, "an arrival");
    if (rc == 0) {
        sim_dc_start_on(dc, vm, host);
    } else if (rc == VCPU_EAGAIN) {
        sim_dc_trace(dc, "VM_WAIT", -1, index, 0);
        sim_dc_boot_for_queue(dc);
    } else {
        vm->state = VM_REJECTED;
        sim_dc_trace(dc, "VM_REJECT", -1, index, (uint64_t)-rc);
    }
    dc->have_next = false;
}

/* Every VM arriving now, before anything else happens at this instant
 * (an idle host switching off, say). */
static void arrive(struct sim_dc *dc)
{
    do
        arrive_one(dc);
    while (!dc->failed && next_arrival(dc, true));
}

void sim_dc_vm_finished(struct sim_dc *dc, struct dc_vm *vm)
{
    if (vm->state == VM_MIGRATING) {
        /* Done before its migration: the migration ends with it. */
        if (!vm->mig_waiting)
            sim_mig_abort(dc->mig, vm->mig_id);
        sim_dc_abort_migration(dc, vm, SIM_MIG_FAIL_ABORT);
    }
    uint32_t host = vm->host;
    vm->state = VM_DONE;
    vm->finish_ns = dc->now;
    sim_dc_detach(dc, vm);
    int rc = vcpu_place_vm_remove(dc->place, dc->now, vm->pid);
    if (rc)
        sim_dc_fail(dc, "placement: removing VM '%s' failed: %s",
                    vm->spec->name, vcpu_strerror(rc));
    sim_dc_check_place(dc, "a departure");
    dc->need_retry = true;
    sim_dc_trace(dc, "VM_REMOVE", (int)host, (unsigned)(vm - dc->vms), 0);
    if (host != VCPU_HOST_NONE && !dc->hosts[host].nvms)
        sim_dc_host_emptied(dc, &dc->hosts[host]);
}

/* ---- create, run, destroy ---------------------------------------------------------- */

int sim_dc_create(const struct sim_dc_opts *o, struct sim_dc **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    err[0] = '\0';
    if (!o->scn->dc) {
        snprintf(err, errlen, "%s: no datacenter: section", o->scn->file);
        return -EINVAL;
    }
    struct sim_dc *dc = calloc(1, sizeof *dc);
    if (!dc)
        return -ENOMEM;
    dc->scn = o->scn;
    dc->d = o->scn->dc;
    dc->seed = o->seed;
    dc->trace = o->trace;
    dc->check = o->check;
    int rc = -ENOMEM;
    if ((dc->rng = gsl_rng_alloc(gsl_rng_mt19937)))
        rc = sim_engine_create(1024, &dc->eng);
    if (dc->rng)
        gsl_rng_set(dc->rng, (unsigned long)o->seed);
    if (!rc)
        rc = load_types(dc, err, errlen);
    if (!rc)
        rc = make_topo(dc, err, errlen);
    if (!rc)
        rc = make_hosts(dc, err, errlen);
    if (!rc && (rc = sim_dc_make_net(dc)))
        snprintf(err, errlen, "the datacenter network: %s", strerror(-rc));
    if (rc) {
        if (!err[0])
            snprintf(err, errlen, "%s", strerror(rc < 0 ? -rc : ENOMEM));
        sim_dc_destroy(dc);
        return rc < 0 ? rc : -EINVAL;
    }
    dc->src =
        o->source.next ? o->source : (struct sim_source){scenario_next, dc};
    if (dc->trace)
        fputs("time_ns,event,pcpu,vcpu,vm,arg\n", dc->trace);
    sim_dc_schedule_failures(dc);
    if (dc->d->consolidate)
        sim_dc_push(dc, dc->d->interval_ns, DC_EV_CONSOLIDATE, 0, 0, 0);
    sim_dc_push(dc, 0, DC_EV_SAMPLE, 0, 0, 0);
    next_arrival(dc, false); /* at one instant, VMs come before power */
    if (dc->d->power_off_idle)
        for (unsigned h = dc->nhosts; h-- > 0;) {
            if (dc->hosts[h].state == VCPU_HOST_ON)
                sim_dc_host_emptied(dc, &dc->hosts[h]);
            else
                sim_dc_push_off(dc, h); /* host 0 boots first */
        }
    *out = dc;
    return 0;
}

void sim_dc_destroy(struct sim_dc *dc)
{
    if (!dc)
        return;
    sim_mig_destroy(dc->mig);
    sim_net_destroy(dc->net);
    vcpu_place_destroy(dc->place);
    vcpu_place_close(dc->plib);
    for (unsigned h = 0; h < dc->nhosts && dc->hosts; h++) {
        free(dc->hosts[h].vms);
        free(dc->hosts[h].migq);
    }
    free(dc->hosts);
    for (unsigned i = 0; i < dc->nvms; i++)
        free(dc->vms[i].th);
    free(dc->vms);
    free(dc->by_pid);
    free(dc->off);
    free(dc->series);
    vcpu_dctopo_destroy(dc->topo);
    for (unsigned i = 0; i < dc->ntypes && dc->types; i++)
        vcpu_topo_unref(dc->types[i]);
    free(dc->types);
    sim_engine_destroy(dc->eng);
    if (dc->rng)
        gsl_rng_free(dc->rng);
    free(dc);
}

static void handle(struct sim_dc *dc, const struct sim_event *ev)
{
    switch (ev->kind) {
    case DC_EV_ARRIVE:
        arrive(dc);
        break;
    case DC_EV_HOST: {
        struct dc_host *h = &dc->hosts[ev->a];
        if (h->gen == ev->gen)
            sim_dc_host_event(dc, h);
        break;
    }
    case DC_EV_WAKE: {
        struct dc_vm *vm = &dc->vms[ev->a];
        if (vm->th && ev->b < vm->nthreads && vm->th[ev->b].gen == ev->gen &&
            (vm->th[ev->b].state == T_BLOCK || vm->th[ev->b].state == T_LOAD) &&
            vm->host != VCPU_HOST_NONE)
            sim_dc_wake(dc, vm, (unsigned)ev->b);
        break;
    }
    case DC_EV_POWER: {
        struct dc_host *h = &dc->hosts[ev->a];
        if (h->power_gen == ev->gen)
            sim_dc_power_event(dc, h);
        break;
    }
    case DC_EV_FAIL:
    case DC_EV_REPAIR:
        sim_dc_failure(dc, ev->a, (uint32_t)ev->b, ev->kind == DC_EV_REPAIR);
        break;
    case DC_EV_CONSOLIDATE:
        sim_dc_consolidate(dc);
        sim_dc_push(dc, dc->now + dc->d->interval_ns, DC_EV_CONSOLIDATE, 0, 0,
                    0);
        break;
    case DC_EV_SAMPLE:
        sim_dc_sample(dc);
        sim_dc_push(dc, dc->now + dc->d->sample_ns, DC_EV_SAMPLE, 0, 0, 0);
        break;
    }
}

int sim_dc_run(struct sim_dc *dc, uint64_t until_ns, volatile const bool *stop,
               void (*progress)(void *arg, uint64_t now, uint64_t events),
               void *arg)
{
    uint64_t until = until_ns ? until_ns : dc->scn->duration_ns;
    struct sim_event ev;
    while (!dc->failed) {
        uint64_t te = sim_engine_peek_time(dc->eng);
        uint64_t tm = dc->mig ? sim_mig_next_time(dc->mig) : UINT64_MAX;
        if ((te < tm ? te : tm) > until)
            break;
        dc->events++;
        if (tm <= te) { /* migrations and their network first */
            dc->now = tm;
            sim_mig_run_until(dc->mig, tm);
        } else {
            sim_event_pop(dc->eng, &ev);
            dc->now = ev.time;
            handle(dc, &ev);
        }
        if (dc->need_retry) {
            dc->need_retry = false;
            sim_dc_retry(dc);
        }
        if (!(dc->events & 0xffff)) {
            if (stop && *stop)
                break;
            if (progress)
                progress(arg, dc->now, dc->events);
        }
    }
    if (dc->failed)
        return -1;
    /* Charge every host up to the end. */
    if (!(stop && *stop))
        dc->now = until;
    for (unsigned h = 0; h < dc->nhosts; h++)
        sim_dc_host_touch(dc, &dc->hosts[h]);
    return 0;
}

const char *sim_dc_error(const struct sim_dc *dc)
{
    return dc->err;
}

uint64_t sim_dc_now(const struct sim_dc *dc)
{
    return dc->now;
}

uint64_t sim_dc_events(const struct sim_dc *dc)
{
    return dc->events;
}

const char *sim_dc_placement(const struct sim_dc *dc)
{
    return dc->pops ? dc->pops->name : dc->d->placement;
}
