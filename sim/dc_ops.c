// SPDX-License-Identifier: GPL-3.0-or-later
/* The datacenter tier's operations on hosts: switching idle hosts off and
 * on, failures and repairs, consolidation (thresholds, minimum migration
 * time), migrations, and the sampled series. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dc_internal.h"

static uint32_t host_index(const struct sim_dc *dc, const struct dc_host *h)
{
    return (uint32_t)(h - dc->hosts);
}

static void set_state(struct sim_dc *dc, struct dc_host *h, unsigned state)
{
    int rc = vcpu_place_host_set_state(dc->place, dc->now, host_index(dc, h),
                                       state, NULL, NULL);
    if (rc)
        sim_dc_fail(dc, "placement: host %u to state %u: %s", host_index(dc, h),
                    state, vcpu_strerror(rc));
    h->state = (uint8_t)state;
}

/* ---- power -------------------------------------------------------------------- */

/* @h has no VM left: with power management, switch it off after the idle
 * time (unless a VM comes first). */
void sim_dc_host_emptied(struct sim_dc *dc, struct dc_host *h)
{
    h->leaving = false;
    if (!dc->d->power_off_idle || h->state != VCPU_HOST_ON || h->nvms ||
        h->incoming)
        return;
    sim_dc_push(dc, dc->now + dc->d->idle_ns, DC_EV_POWER, host_index(dc, h), 0,
                ++h->power_gen);
}

void sim_dc_push_off(struct sim_dc *dc, uint32_t h)
{
    if (sim_dc_u32_push(&dc->off, &dc->noff, &dc->cap_off, h))
        sim_dc_fail(dc, "out of memory");
}

void sim_dc_power_event(struct sim_dc *dc, struct dc_host *h)
{
    uint32_t hi = host_index(dc, h);
    sim_dc_host_touch(dc, h);
    if (h->state == VCPU_HOST_ON) {
        if (h->nvms || h->incoming ||
            vcpu_place_host_nvms(dc->place, hi)) /* a VM came meanwhile */
            return;
        set_state(dc, h, VCPU_HOST_OFF);
        h->shutting = true;
        sim_dc_push(dc, dc->now + dc->d->off_ns, DC_EV_POWER, hi, 0,
                    ++h->power_gen);
    } else if (h->state == VCPU_HOST_OFF && h->shutting) {
        h->shutting = false;
        sim_dc_trace(dc, "HOST_OFF", (int)hi, 0, 0);
        sim_dc_push_off(dc, hi);
        sim_dc_boot_for_queue(dc); /* VMs came while it shut down */
    } else if (h->state == VCPU_HOST_BOOTING) {
        dc->nbooting--;
        set_state(dc, h, VCPU_HOST_ON);
        sim_dc_trace(dc, "HOST_ON", (int)hi, 0, 0);
        sim_dc_retry(dc);
        if (!h->nvms)
            sim_dc_host_emptied(dc, h);
    }
    sim_dc_host_update(dc, h);
}

/* VMs wait: boot switched-off hosts, one per waiting VM at most. */
/* Switch on one switched-off host; false if there is none. */
static bool boot_one(struct sim_dc *dc)
{
    while (dc->noff) {
        uint32_t hi = dc->off[--dc->noff];
        struct dc_host *h = &dc->hosts[hi];
        if (h->state != VCPU_HOST_OFF || h->shutting)
            continue; /* stale entry */
        sim_dc_host_touch(dc, h);
        set_state(dc, h, VCPU_HOST_BOOTING);
        dc->nbooting++;
        sim_dc_trace(dc, "HOST_BOOT", (int)hi, 0, 0);
        sim_dc_push(dc, dc->now + dc->d->boot_ns, DC_EV_POWER, hi, 0,
                    ++h->power_gen);
        return true;
    }
    return false;
}

void sim_dc_boot_for_queue(struct sim_dc *dc)
{
    if (!dc->d->power_off_idle)
        return;
    unsigned waiting = vcpu_place_nwaiting(dc->place);
    while (dc->nbooting < waiting && boot_one(dc))
        ;
}

/* ---- migration ------------------------------------------------------------------ */

/* The network: each host's uplink to its rack, each rack's to its
 * cluster, each cluster's to its datacenter (links[] of the scenario).
 * Traffic between datacenters crosses the clusters' uplinks only: no WAN
 * is modelled. */
static void dc_down(void *ctx, uint32_t mig, uint32_t vmi);
static void dc_done(void *ctx, uint32_t mig, const struct sim_mig_result *r);

int sim_dc_make_net(struct sim_dc *dc)
{
    const struct sim_dc_spec *d = dc->d;
    dc->nracks =
        vcpu_dctopo_ancestor(dc->topo, dc->nhosts - 1, VCPU_TOPO_RACK) + 1;
    dc->nclusters =
        vcpu_dctopo_ancestor(dc->topo, dc->nhosts - 1, VCPU_TOPO_CLUSTER) + 1;
    int rc = sim_net_create(&dc->net);
    if (!rc && d->mig.quantum_ns)
        sim_net_set_quantum(dc->net, d->mig.quantum_ns);
    const unsigned n[SIM_LINK_LEVELS] = {dc->nhosts, dc->nracks, dc->nclusters};
    for (unsigned l = 0; !rc && l < SIM_LINK_LEVELS; l++)
        for (unsigned i = 0; !rc && i < n[l]; i++) {
            uint32_t id;
            rc = sim_net_link_add(dc->net, d->link[l].bw_bps,
                                  d->link[l].latency_ns, &id);
        }
    struct sim_mig_cbs cbs = {.down = dc_down, .done = dc_done, .ctx = dc};
    if (!rc)
        rc = sim_mig_create(dc->net, &cbs, &dc->mig);
    if (!rc && dc->trace)
        sim_mig_set_trace(dc->mig, dc->trace);
    struct sim_mig_params p = {.abi = SIM_MIG_ABI};
    if (d->mig.xen)
        sim_mig_params_xen(&p);
    if (d->mig.min_rate_bps)
        p.min_rate_bps = d->mig.min_rate_bps;
    if (d->mig.max_rate_bps)
        p.max_rate_bps = d->mig.max_rate_bps;
    if (d->mig.increment_bps)
        p.increment_bps = d->mig.increment_bps;
    if (d->mig.threshold_bytes)
        p.threshold_bytes = d->mig.threshold_bytes;
    if (d->mig.max_rounds)
        p.max_rounds = d->mig.max_rounds;
    if (d->mig.max_sent_pct)
        p.max_sent_pct = d->mig.max_sent_pct;
    if (d->mig.min_pages)
        p.min_pages = d->mig.min_pages;
    p.resume_ns = d->mig.resume_ns;
    if (d->mig.stop_copy)
        p.flags |= SIM_MIG_NO_PRECOPY;
    sim_mig_params_resolve(&p, &dc->mparams);
    return rc;
}

/* Link ids from host @a up to the lowest common level and down to @b. */
static unsigned path_of(const struct sim_dc *dc, uint32_t a, uint32_t b,
                        uint32_t *path)
{
    unsigned ra = vcpu_dctopo_ancestor(dc->topo, a, VCPU_TOPO_RACK);
    unsigned rb = vcpu_dctopo_ancestor(dc->topo, b, VCPU_TOPO_RACK);
    unsigned ca = vcpu_dctopo_ancestor(dc->topo, a, VCPU_TOPO_CLUSTER);
    unsigned cb = vcpu_dctopo_ancestor(dc->topo, b, VCPU_TOPO_CLUSTER);
    unsigned n = 0, racks = dc->nhosts, clusters = racks + dc->nracks;
    path[n++] = a;
    if (ra != rb) {
        path[n++] = racks + ra;
        if (ca != cb) {
            path[n++] = clusters + ca;
            path[n++] = clusters + cb;
        }
        path[n++] = racks + rb;
    }
    path[n++] = b;
    return n;
}

static void start_transfer(struct sim_dc *dc, struct dc_vm *vm);

/* The next migration waiting on @h's uplink, if any may start. */
static void start_next(struct sim_dc *dc, struct dc_host *h)
{
    unsigned max = dc->d->mig.max_per_host;
    while (h->nmigq && (!max || h->mig_out < max)) {
        uint32_t vi = h->migq[0];
        memmove(h->migq, h->migq + 1, --h->nmigq * sizeof *h->migq);
        struct dc_vm *vm = &dc->vms[vi];
        if (vm->state == VM_MIGRATING && vm->mig_waiting &&
            &dc->hosts[vm->host] == h)
            start_transfer(dc, vm);
    }
}

/* Move @vm to @target: reserve there now; the transfer starts at once, or
 * when fewer than migration.max_per_host leave its host. */
void sim_dc_migrate(struct sim_dc *dc, struct dc_vm *vm, uint32_t target)
{
    int rc = vcpu_place_migrate_begin(dc->place, dc->now, vm->pid, target);
    if (rc) {
        sim_dc_fail(dc,
                    "placement refused its own migration target %u for "
                    "VM '%s': %s",
                    target, vm->spec->name, vcpu_strerror(rc));
        return;
    }
    sim_dc_check_place(dc, "a migration start");
    struct dc_host *src = &dc->hosts[vm->host];
    vm->state = VM_MIGRATING;
    vm->mig_target = target;
    vm->mig_waiting = true;
    dc->hosts[target].incoming++;
    if (sim_dc_u32_push(&src->migq, &src->nmigq, &src->capmigq,
                        (uint32_t)(vm - dc->vms))) {
        sim_dc_fail(dc, "out of memory");
        return;
    }
    start_next(dc, src);
}

static void start_transfer(struct sim_dc *dc, struct dc_vm *vm)
{
    uint32_t target = vm->mig_target;
    const struct sim_vm_spec *sp = vm->spec;
    uint32_t path[6];
    struct sim_mig_vm mv = {
        .abi = SIM_MIG_ABI,
        .vm = (uint32_t)(vm - dc->vms),
        .mem_bytes = sp->mem_mb ? sp->mem_mb << 20 : 4096,
        .wws_bytes = sp->wws_mb << 20,
        .wws_rate_Bps = sp->wws_rate_Bps,
        .bg_rate_Bps = sp->bg_rate_Bps,
    };
    if (mv.wws_bytes > mv.mem_bytes)
        mv.wws_bytes = mv.mem_bytes;
    struct sim_mig_args a = {
        .abi = SIM_MIG_ABI,
        .src_host = vm->host,
        .dst_host = target,
        .path = path,
        .npath = path_of(dc, vm->host, target, path),
        .vm = &mv,
        .params = &dc->mparams,
    };
    if (!dc->in_mig_cb)
        sim_mig_run_until(dc->mig, dc->now); /* its clock to now */
    struct dc_host *src = &dc->hosts[vm->host];
    int rc = sim_mig_start(dc->mig, &a, &vm->mig_id);
    if (rc) {
        /* A link is down: the VM stays. */
        sim_dc_abort_migration(dc, vm, SIM_MIG_FAIL_LINK);
        return;
    }
    sim_dc_host_touch(dc, src);
    vm->mig_waiting = false;
    src->mig_out++;
    sim_dc_host_update(dc, src); /* it runs slower while it moves */
}

/* Stop-and-copy begins: the VM is paused on its source. */
static void dc_down(void *ctx, uint32_t mig, uint32_t vmi)
{
    struct sim_dc *dc = ctx;
    struct dc_vm *vm = &dc->vms[vmi];
    if (vm->state != VM_MIGRATING || vm->mig_waiting || vm->mig_id != mig)
        return;
    struct dc_host *h = &dc->hosts[vm->host];
    sim_dc_host_touch(dc, h);
    vm->down = true;
    sim_dc_host_update(dc, h);
}

/* The migration of @vm ended well: it runs on its target. */
static void migrated(struct sim_dc *dc, struct dc_vm *vm,
                     const struct sim_mig_result *r)
{
    struct dc_host *src = &dc->hosts[vm->host];
    struct dc_host *dst = &dc->hosts[vm->mig_target];
    sim_dc_host_touch(dc, src);
    sim_dc_host_touch(dc, dst);
    dst->incoming--;
    int rc = vcpu_place_migrate_end(dc->place, dc->now, vm->pid, true);
    if (rc) {
        sim_dc_fail(dc, "placement: ending the migration of '%s': %s",
                    vm->spec->name, vcpu_strerror(rc));
        return;
    }
    sim_dc_check_place(dc, "a migration end");
    dc->need_retry = true;
    src->mig_out--;
    sim_dc_detach(dc, vm);
    vm->state = VM_RUNNING;
    vm->down = false;
    sim_dc_attach(dc, vm, vm->mig_target);
    vm->migrations++;
    vm->downtime_ns += r->downtime_ns;
    vm->mig_ns += r->total_ns;
    dc->migrations++;
    dc->mig_reasons[r->reason]++;
    sim_dc_host_update(dc, src);
    sim_dc_host_update(dc, dst);
    start_next(dc, src);
    if (!src->nvms)
        sim_dc_host_emptied(dc, src);
}

/* A migration that cannot go on (@reason, enum sim_mig_reason): the VM
 * stays where it is, running. */
void sim_dc_abort_migration(struct sim_dc *dc, struct dc_vm *vm, int reason)
{
    struct dc_host *src = &dc->hosts[vm->host];
    sim_dc_host_touch(dc, src);
    dc->hosts[vm->mig_target].incoming--;
    bool moving = !vm->mig_waiting;
    vm->state = VM_RUNNING;
    vm->down = false;
    vm->mig_waiting = false;
    vcpu_place_migrate_end(dc->place, dc->now, vm->pid, false);
    dc->mig_failed++;
    dc->mig_reasons[reason]++;
    sim_dc_host_update(dc, src);
    if (moving) {
        src->mig_out--;
        start_next(dc, src);
    }
}

static void dc_done(void *ctx, uint32_t mig, const struct sim_mig_result *r)
{
    struct sim_dc *dc = ctx;
    struct dc_vm *vm = &dc->vms[r->vm];
    if (vm->state != VM_MIGRATING || vm->mig_waiting || vm->mig_id != mig)
        return; /* already ended here (its VM finished, a host failed) */
    dc->in_mig_cb = true;
    if (r->ok)
        migrated(dc, vm, r);
    else
        sim_dc_abort_migration(dc, vm, r->reason);
    dc->in_mig_cb = false;
}

/* ---- failures ------------------------------------------------------------------ */

void sim_dc_schedule_failures(struct sim_dc *dc)
{
    const struct sim_dc_spec *d = dc->d;
    for (unsigned i = 0; i < d->nfailures; i++) {
        const struct sim_dc_failure *f = &d->failures[i];
        if (!f->random) {
            sim_dc_push(dc, f->at_ns, DC_EV_FAIL, i, (uint64_t)f->host, 0);
            continue;
        }
        unsigned lo = f->host < 0 ? 0 : (unsigned)f->host;
        unsigned hi = f->host < 0 ? dc->nhosts : lo + 1;
        for (unsigned h = lo; h < hi; h++)
            sim_dc_push(dc, sim_draw(dc->rng, &f->mtbf), DC_EV_FAIL, i, h, 0);
    }
}

struct evicted {
    uint32_t *vm;
    unsigned n, cap;
    bool nomem;
};

static void on_evicted(void *arg, vcpu_dcvm_t pid)
{
    struct evicted *e = arg;
    if (sim_dc_u32_push(&e->vm, &e->n, &e->cap, pid))
        e->nomem = true;
}

static void host_fails(struct sim_dc *dc, struct dc_host *h)
{
    uint32_t hi = host_index(dc, h);
    sim_dc_host_touch(dc, h);
    /* Migrations from or to it end first: the VMs stay on their source
     * (and are then evicted with the host's other VMs if it is theirs). */
    if (sim_mig_fail_host(dc->mig, hi))
        for (unsigned i = 0; i < dc->nvms; i++) {
            struct dc_vm *vm = &dc->vms[i];
            if (vm->state == VM_MIGRATING &&
                (vm->host == hi || vm->mig_target == hi))
                sim_dc_abort_migration(dc, vm,
                                       vm->host == hi ? SIM_MIG_FAIL_SOURCE
                                                      : SIM_MIG_FAIL_TARGET);
        }
    if (h->state == VCPU_HOST_BOOTING)
        dc->nbooting--;
    struct evicted ev = {0};
    int rc = vcpu_place_host_set_state(dc->place, dc->now, hi, VCPU_HOST_FAILED,
                                       on_evicted, &ev);
    if (rc || ev.nomem) {
        sim_dc_fail(dc, "placement: failing host %u: %s", hi,
                    ev.nomem ? "out of memory" : vcpu_strerror(rc));
        free(ev.vm);
        return;
    }
    h->state = VCPU_HOST_FAILED;
    h->shutting = false;
    h->failures++;
    dc->host_failures++;
    sim_dc_trace(dc, "HOST_FAIL", (int)hi, 0, ev.n);
    for (unsigned i = 0; i < ev.n && !dc->failed; i++) {
        struct dc_vm *vm = &dc->vms[dc->by_pid[ev.vm[i]]];
        sim_dc_detach(dc, vm);
        if (dc->d->on_failure == SIM_FAIL_LOSE) {
            vm->state = VM_LOST;
            vm->finish_ns = dc->now;
            vcpu_place_vm_remove(dc->place, dc->now, vm->pid);
            sim_dc_trace(dc, "VM_LOST", (int)hi, (unsigned)(vm - dc->vms), 0);
            continue;
        }
        vm->state = VM_WAITING;
        vm->queued_ns = dc->now;
        vm->restarts++;
        dc->restarts++;
        for (unsigned t = 0; t < vm->nthreads; t++)
            vm->th[t].gen++; /* its blocked threads never wake */
        uint32_t to = VCPU_HOST_NONE;
        rc = vcpu_place_vm_requeue(dc->place, dc->now, vm->pid, &to);
        sim_dc_trace(dc, "VM_RESTART", (int)to, (unsigned)(vm - dc->vms), hi);
        if (rc == 0 && to != VCPU_HOST_NONE)
            sim_dc_start_on(dc, vm, to);
        else if (rc && rc != VCPU_EAGAIN) {
            sim_dc_fail(dc, "placement: requeue of '%s': %s", vm->spec->name,
                        vcpu_strerror(rc));
        }
    }
    free(ev.vm);
    sim_dc_check_place(dc, "a host failure");
    sim_dc_host_update(dc, h);
    sim_dc_boot_for_queue(dc);
}

void sim_dc_failure(struct sim_dc *dc, unsigned fi, uint32_t hi, bool repair)
{
    const struct sim_dc_failure *f = &dc->d->failures[fi];
    struct dc_host *h = &dc->hosts[hi];
    if (!repair) {
        if (h->state == VCPU_HOST_FAILED)
            return; /* already down: its repair restarts the process */
        host_fails(dc, h);
        uint64_t r = f->random ? sim_draw(dc->rng, &f->mttr) : f->repair_ns;
        if (f->random || f->repair_ns)
            sim_dc_push(dc, dc->now + (r ? r : 1), DC_EV_REPAIR, fi, hi, 0);
        return;
    }
    if (h->state != VCPU_HOST_FAILED)
        return;
    sim_dc_host_touch(dc, h);
    set_state(dc, h, VCPU_HOST_ON);
    sim_dc_trace(dc, "HOST_REPAIR", (int)hi, 0, 0);
    sim_dc_host_update(dc, h);
    sim_dc_retry(dc);
    if (!h->nvms)
        sim_dc_host_emptied(dc, h);
    if (f->random)
        sim_dc_push(dc, dc->now + sim_draw(dc->rng, &f->mtbf), DC_EV_FAIL, fi,
                    hi, 0);
}

/* ---- consolidation ----------------------------------------------------------------- */

/* Busy vCPUs of @vm on average over the last interval. */
static double vm_load(const struct sim_dc *dc, const struct dc_vm *vm)
{
    (void)dc;
    return vm->interval_busy;
}

/* The hosts a VM may move to this round, fullest first (by projected
 * load), so that VMs gather on few hosts. */
struct targets {
    uint32_t *host;
    unsigned n, start; /* host[..start) can take no VM this round */
    const double *proj;
    /* the smallest VM that found no target this round: any VM at least as
     * large in every way finds none either (loads only grow in a round) */
    bool failed;
    uint32_t fail_vcpus;
    uint64_t fail_mem;
    double fail_load;
};

static int by_proj_desc(const void *a, const void *b, void *arg)
{
    const double *proj = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (proj[x] != proj[y])
        return proj[x] > proj[y] ? -1 : 1;
    return x < y ? -1 : 1;
}

/* Room for @vm on @t under the overcommit ratios, load under @upper. */
static bool room(const struct sim_dc *dc, const struct dc_vm *vm, uint32_t t,
                 const double *proj, double add, double upper)
{
    const struct dc_host *th = &dc->hosts[t];
    const struct sim_dc_spec *d = dc->d;
    if (th->leaving || th->state != VCPU_HOST_ON || proj[t] + add > upper)
        return false;
    uint64_t vcpus =
        (uint64_t)vcpu_place_host_used_vcpus(dc->place, t) + vm->spec->vcpus;
    if (vcpus * 1000 > (uint64_t)th->npcpus * d->cpu_overcommit_milli)
        return false;
    if (!th->mem_mb)
        return true;
    uint64_t mem = vcpu_place_host_used_mem_mb(dc->place, t) + vm->spec->mem_mb;
    return mem * 1000 <= th->mem_mb * (uint64_t)d->mem_overcommit_milli;
}

/* How many of the fullest candidates to look at when the policy's own
 * target does not do: bounds a round's cost on large datacenters. */
#define SCAN_TARGETS 256

/* A target for @vm: with consolidation.target: policy, the placement
 * policy's (vcpu_place_migrate_target) if it stays under the upper
 * threshold and is not being emptied; else (and by default) the fullest of
 * the first SCAN_TARGETS candidates that has room, which gathers VMs on
 * few hosts (Beloglazov's best fit decreasing, without its power term). */
static uint32_t target_for(struct sim_dc *dc, struct dc_vm *vm, double *proj,
                           struct targets *tg)
{
    double upper = dc->d->upper_milli / 1000.0;
    uint32_t t = VCPU_HOST_NONE;
    double load = vm_load(dc, vm);
    if (tg->failed && vm->spec->vcpus >= tg->fail_vcpus &&
        vm->spec->mem_mb >= tg->fail_mem && load >= tg->fail_load)
        return VCPU_HOST_NONE;
    if (dc->d->target_policy &&
        vcpu_place_migrate_target(dc->place, vm->pid, &t) == 0 &&
        t != VCPU_HOST_NONE && t != vm->host) {
        double add = load / dc->hosts[t].npcpus;
        if (room(dc, vm, t, proj, add, upper)) {
            proj[t] += add;
            return t;
        }
    }
    unsigned looked = 0;
    for (unsigned i = tg->start; i < tg->n && looked < SCAN_TARGETS; i++) {
        t = tg->host[i];
        const struct dc_host *th = &dc->hosts[t];
        if (th->leaving || th->state != VCPU_HOST_ON || proj[t] >= upper ||
            (uint64_t)vcpu_place_host_used_vcpus(dc->place, t) * 1000 >=
                (uint64_t)th->npcpus * dc->d->cpu_overcommit_milli ||
            (th->mem_mb && vcpu_place_host_used_mem_mb(dc->place, t) * 1000 >=
                               th->mem_mb * dc->d->mem_overcommit_milli)) {
            if (i == tg->start)
                tg->start++; /* full for good: loads only grow */
            continue;
        }
        looked++;
        double add = load / th->npcpus;
        if (t != vm->host && room(dc, vm, t, proj, add, upper)) {
            proj[t] += add;
            return t;
        }
    }
    if (looked < SCAN_TARGETS &&
        (!tg->failed ||
         (vm->spec->vcpus <= tg->fail_vcpus &&
          vm->spec->mem_mb <= tg->fail_mem && load <= tg->fail_load))) {
        tg->failed = true; /* every candidate was looked at */
        tg->fail_vcpus = vm->spec->vcpus;
        tg->fail_mem = vm->spec->mem_mb;
        tg->fail_load = load;
    }
    return VCPU_HOST_NONE;
}

static int by_mem(const void *a, const void *b, void *arg)
{
    const struct sim_dc *dc = arg;
    const struct dc_vm *x = &dc->vms[*(const uint32_t *)a];
    const struct dc_vm *y = &dc->vms[*(const uint32_t *)b];
    if (x->spec->mem_mb != y->spec->mem_mb)
        return x->spec->mem_mb < y->spec->mem_mb ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

/* Move VMs off @h, fewest MB first (the minimum migration time), until
 * its load is at most @goal; return how many moved. */
static unsigned evacuate(struct sim_dc *dc, struct dc_host *h, double *proj,
                         struct targets *tg, double goal)
{
    uint32_t hi = host_index(dc, h);
    unsigned n = h->nvms, moved = 0;
    uint32_t *order = malloc(n * sizeof *order);
    if (!order) {
        sim_dc_fail(dc, "out of memory");
        return 0;
    }
    memcpy(order, h->vms, n * sizeof *order);
    qsort_r(order, n, sizeof *order, by_mem, dc);
    for (unsigned i = 0; i < n && proj[hi] > goal; i++) {
        struct dc_vm *vm = &dc->vms[order[i]];
        if (vm->state != VM_RUNNING)
            continue;
        uint32_t t = target_for(dc, vm, proj, tg);
        if (t == VCPU_HOST_NONE)
            continue;
        proj[hi] -= vm_load(dc, vm) / h->npcpus;
        sim_dc_migrate(dc, vm, t);
        moved++;
    }
    free(order);
    return moved;
}

void sim_dc_consolidate(struct sim_dc *dc)
{
    const struct sim_dc_spec *d = dc->d;
    double upper = d->upper_milli / 1000.0, lower = d->lower_milli / 1000.0;
    double *proj = calloc(dc->nhosts, sizeof *proj);
    uint32_t *under = malloc(dc->nhosts * sizeof *under);
    uint32_t *cand = malloc(dc->nhosts * sizeof *cand);
    unsigned nunder = 0, ncand = 0, over = 0;
    if (!proj || !under || !cand) {
        free(proj);
        free(under);
        free(cand);
        sim_dc_fail(dc, "out of memory");
        return;
    }
    /* The load of the last interval, and what it is now. */
    for (unsigned i = 0; i < dc->nhosts; i++) {
        struct dc_host *h = &dc->hosts[i];
        if (h->state != VCPU_HOST_ON)
            continue;
        sim_dc_host_touch(dc, h);
        double u = h->npcpus ? h->busy_acc /
                                   ((double)h->npcpus * (double)d->interval_ns)
                             : 0;
        h->busy_acc = 0;
        h->util_milli = (uint32_t)lround((u > 1 ? 1 : u) * 1000);
        vcpu_place_host_set_util(dc->place, i, h->util_milli);
        proj[i] = u;
        for (unsigned k = 0; k < h->nvms; k++) {
            struct dc_vm *vm = &dc->vms[h->vms[k]];
            vm->interval_busy = (vm->asked - vm->asked_mark) /
                                ((double)d->interval_ns * h->speed / 1000.0);
            vm->asked_mark = vm->asked;
        }
        if (!h->leaving && u < upper &&
            (uint64_t)vcpu_place_host_used_vcpus(dc->place, i) * 1000 <
                (uint64_t)h->npcpus * d->cpu_overcommit_milli)
            cand[ncand++] = i; /* may take VMs this round */
        if (h->nvms && u < lower && !h->leaving)
            under[nunder++] = i;
    }
    qsort_r(cand, ncand, sizeof *cand, by_proj_desc, proj);
    struct targets tg = {.host = cand, .n = ncand, .proj = proj};
    for (unsigned i = 0; i < dc->nhosts && !dc->failed; i++) {
        struct dc_host *h = &dc->hosts[i];
        if (h->state != VCPU_HOST_ON || h->util_milli <= d->upper_milli)
            continue;
        evacuate(dc, h, proj, &tg, upper);
        /* Still overloaded and nowhere to go: switch a host on for the
         * next round (at most as many booting as overloaded hosts). */
        if (proj[i] > upper && d->power_off_idle && dc->nbooting < ++over)
            boot_one(dc);
    }
    /* Underloaded hosts, least loaded first, are emptied if all their VMs
     * find room: then they can be switched off. */
    for (unsigned k = 0; k < nunder && !dc->failed; k++) {
        unsigned best = k;
        for (unsigned j = k + 1; j < nunder; j++)
            if (dc->hosts[under[j]].util_milli <
                dc->hosts[under[best]].util_milli)
                best = j;
        uint32_t hi = under[best];
        under[best] = under[k];
        under[k] = hi;
        struct dc_host *h = &dc->hosts[hi];
        if (h->incoming)
            continue; /* already a target this round */
        h->leaving = true;
        evacuate(dc, h, proj, &tg, -1);
        if (!h->nvms)
            h->leaving = false;
        else
            for (unsigned j = 0; j < h->nvms; j++)
                if (dc->vms[h->vms[j]].state != VM_MIGRATING)
                    h->leaving = false; /* some stay: take VMs again */
    }
    free(proj);
    free(under);
    free(cand);
}

/* ---- series ---------------------------------------------------------------------- */

void sim_dc_sample(struct sim_dc *dc)
{
    if (dc->nseries == dc->cap_series) {
        unsigned cap = dc->cap_series ? 2 * dc->cap_series : 256;
        struct dc_series_row *r = realloc(dc->series, cap * sizeof *r);
        if (!r) {
            sim_dc_fail(dc, "out of memory for the series");
            return;
        }
        dc->series = r;
        dc->cap_series = cap;
    }
    struct dc_series_row *r = &dc->series[dc->nseries++];
    memset(r, 0, sizeof *r);
    r->t = dc->now;
    double busy = 0, cap = 0;
    for (unsigned i = 0; i < dc->nhosts; i++) {
        const struct dc_host *h = &dc->hosts[i];
        r->power_w += sim_dc_power(dc, h);
        if (h->state == VCPU_HOST_ON) {
            r->on++;
            double d = sim_dc_host_demand(h);
            busy += d < h->npcpus ? d : h->npcpus;
            cap += h->npcpus;
        }
    }
    r->util = cap > 0 ? busy / cap : 0;
    r->waiting = vcpu_place_nwaiting(dc->place);
    unsigned running = 0;
    for (unsigned i = 0; i < dc->nhosts; i++)
        running += dc->hosts[i].nvms;
    r->running = running;
}
