// SPDX-License-Identifier: GPL-3.0-or-later
/* Result tables and totals of the datacenter tier (DESIGN.md §6). */
#include <inttypes.h>
#include <math.h>

#include "dc_internal.h"

static const char *const vm_states[] = {"waiting", "running", "migrating",
                                        "done",    "lost",    "rejected"};

static const char *host_state(const struct dc_host *h)
{
    switch (h->state) {
    case VCPU_HOST_ON:
        return "on";
    case VCPU_HOST_OFF:
        return h->shutting ? "shutting-down" : "off";
    case VCPU_HOST_BOOTING:
        return "booting";
    default:
        return "failed";
    }
}

void sim_dc_totals(const struct sim_dc *dc, struct sim_dc_totals *t)
{
    *t = (struct sim_dc_totals){.hosts = dc->nhosts, .vms = dc->nvms};
    double full = 0, on = 0, pdm = 0, asked = 0, over = 0, wait = 0;
    double down = 0, mig = 0;
    unsigned started = 0, npdm = 0;
    for (unsigned i = 0; i < dc->nhosts; i++) {
        const struct dc_host *h = &dc->hosts[i];
        t->energy_kwh += h->energy_j / 3.6e6;
        full += (double)h->full_ns;
        on += (double)h->on_ns;
    }
    for (unsigned i = 0; i < dc->nvms; i++) {
        const struct dc_vm *vm = &dc->vms[i];
        switch (vm->state) {
        case VM_DONE:
            t->done++;
            break;
        case VM_RUNNING:
        case VM_MIGRATING:
            t->running++;
            break;
        case VM_WAITING:
            t->waiting++;
            break;
        case VM_LOST:
            t->lost++;
            break;
        default:
            t->rejected++;
        }
        if (vm->start_ns) {
            started++;
            double w = (double)vm->wait_ns * 1e-9;
            wait += w;
            t->max_wait_s = w > t->max_wait_s ? w : t->max_wait_s;
        }
        if (vm->asked > 0) {
            pdm += vm->lost_mig / vm->asked;
            npdm++;
        }
        asked += vm->asked;
        over += vm->lost_over;
        down += (double)vm->downtime_ns;
        mig += (double)vm->mig_ns;
    }
    t->restarts = dc->restarts;
    t->migrations = dc->migrations;
    t->migrations_failed = dc->mig_failed;
    t->host_failures = dc->host_failures;
    t->tasks_done = dc->tasks_done;
    t->slatah = on > 0 ? full / on : 0;
    t->pdm = npdm ? pdm / npdm : 0;
    t->slav = t->slatah * t->pdm;
    t->overload_loss = asked > 0 ? over / asked : 0;
    t->mean_wait_s = started ? wait / started : 0;
    t->host_on_s = on * 1e-9;
    t->mean_active_hosts = dc->now ? dc->on_time_acc / (double)dc->now : 0;
    if (dc->migrations) {
        t->mig_downtime_ms = down / (double)dc->migrations * 1e-6;
        t->mig_time_s = mig / (double)dc->migrations * 1e-9;
    }
}

int sim_dc_write_hosts(const struct sim_dc *dc, FILE *f)
{
    fprintf(f, "host,type,rack,cluster,datacenter,npcpus,speed,memory_mb,"
               "state,vms,energy_kwh,on_s,full_s,failures\n");
    for (unsigned i = 0; i < dc->nhosts; i++) {
        const struct dc_host *h = &dc->hosts[i];
        fprintf(f,
                "%u,%u,%u,%u,%u,%u,%.3f,%" PRIu64 ",%s,%u,%.6f,%.3f,%.3f,%u\n",
                i, h->type, vcpu_dctopo_ancestor(dc->topo, i, VCPU_TOPO_RACK),
                vcpu_dctopo_ancestor(dc->topo, i, VCPU_TOPO_CLUSTER),
                vcpu_dctopo_ancestor(dc->topo, i, VCPU_TOPO_DATACENTER),
                h->npcpus, h->speed / 1000.0, h->mem_mb, host_state(h), h->nvms,
                h->energy_j / 3.6e6, (double)h->on_ns * 1e-9,
                (double)h->full_ns * 1e-9, h->failures);
    }
    return ferror(f) ? -1 : 0;
}

int sim_dc_write_vms(const struct sim_dc *dc, FILE *f)
{
    fprintf(f, "vm,name,replica,vcpus,memory_mb,state,host,arrive_s,start_s,"
               "finish_s,wait_s,migrations,restarts,work_asked_s,"
               "lost_overload_s,lost_migration_s,downtime_ms\n");
    for (unsigned i = 0; i < dc->nvms; i++) {
        const struct dc_vm *vm = &dc->vms[i];
        fprintf(f,
                "%u,%s,%u,%u,%" PRIu64 ",%s,%d,%.9f,%.9f,%.9f,%.9f,%u,%u,%.6f,"
                "%.6f,%.6f,%.3f\n",
                i, vm->spec->name, vm->replica, vm->spec->vcpus,
                vm->spec->mem_mb, vm_states[vm->state],
                vm->host == VCPU_HOST_NONE ? -1 : (int)vm->host,
                (double)vm->arrive_ns * 1e-9, (double)vm->start_ns * 1e-9,
                (double)vm->finish_ns * 1e-9, (double)vm->wait_ns * 1e-9,
                vm->migrations, vm->restarts, vm->asked * 1e-9,
                vm->lost_over * 1e-9, vm->lost_mig * 1e-9,
                (double)vm->downtime_ns * 1e-6);
    }
    return ferror(f) ? -1 : 0;
}

int sim_dc_write_tasks(const struct sim_dc *dc, FILE *f)
{
    fprintf(f, "vm,name,replica,task,work_s,state,start_s,finish_s\n");
    static const char *const st[] = {"queued", "running", "blocked", "load",
                                     "done"};
    for (unsigned i = 0; i < dc->nvms; i++) {
        const struct dc_vm *vm = &dc->vms[i];
        if (!vm->spec->ntasks || !vm->th)
            continue;
        for (unsigned t = 0; t < vm->nthreads; t++) {
            const struct dc_thread *th = &vm->th[t];
            fprintf(f, "%u,%s,%u,%u,%.9f,%s,%.9f,%.9f\n", i, vm->spec->name,
                    vm->replica, t, th->work * 1e-9, st[th->state],
                    (double)th->start_ns * 1e-9, (double)th->finish_ns * 1e-9);
        }
    }
    return ferror(f) ? -1 : 0;
}

int sim_dc_write_series(const struct sim_dc *dc, FILE *f)
{
    fprintf(f, "time_s,hosts_on,vms_running,vms_waiting,power_w,util\n");
    for (unsigned i = 0; i < dc->nseries; i++) {
        const struct dc_series_row *r = &dc->series[i];
        fprintf(f, "%.3f,%u,%u,%u,%.3f,%.6f\n", (double)r->t * 1e-9, r->on,
                r->running, r->waiting, r->power_w, r->util);
    }
    return ferror(f) ? -1 : 0;
}

int sim_dc_write_summary(const struct sim_dc *dc, FILE *f)
{
    struct sim_dc_totals t;
    sim_dc_totals(dc, &t);
    fprintf(f,
            "placement: %s\nhosts: %u\nvms: %u\nvms_done: %u\n"
            "vms_running: %u\nvms_waiting: %u\nvms_lost: %u\n"
            "vms_rejected: %u\nvm_restarts: %u\ntasks_done: %" PRIu64 "\n"
            "migrations: %" PRIu64 "\nmigrations_failed: %" PRIu64 "\n"
            "host_failures: %" PRIu64 "\nenergy_kwh: %.6f\n"
            "mean_active_hosts: %.3f\nslatah: %.6f\npdm: %.6f\nslav: %.8f\n"
            "overload_loss: %.6f\nmean_wait_s: %.6f\nmax_wait_s: %.6f\n"
            "migration_mean_downtime_ms: %.3f\nmigration_mean_time_s: %.6f\n",
            sim_dc_placement(dc), t.hosts, t.vms, t.done, t.running, t.waiting,
            t.lost, t.rejected, t.restarts, t.tasks_done, t.migrations,
            t.migrations_failed, t.host_failures, t.energy_kwh,
            t.mean_active_hosts, t.slatah, t.pdm, t.slav, t.overload_loss,
            t.mean_wait_s, t.max_wait_s, t.mig_downtime_ms, t.mig_time_s);
    fprintf(f, "migration_outcomes:");
    for (int r = 0; r < SIM_MIG_NREASONS; r++)
        if (dc->mig_reasons[r])
            fprintf(f, " %s=%" PRIu64, sim_mig_reason_name(r),
                    dc->mig_reasons[r]);
    fprintf(f, "\n");
    return ferror(f) ? -1 : 0;
}

unsigned sim_dc_nvms(const struct sim_dc *dc)
{
    return dc->nvms;
}

const char *sim_dc_vm_state(const struct sim_dc *dc, unsigned vm)
{
    return vm < dc->nvms ? vm_states[dc->vms[vm].state] : NULL;
}

int sim_dc_vm_host(const struct sim_dc *dc, unsigned vm)
{
    if (vm >= dc->nvms || dc->vms[vm].host == VCPU_HOST_NONE)
        return -1;
    return (int)dc->vms[vm].host;
}

int sim_dc_task_times(const struct sim_dc *dc, unsigned vm, unsigned t,
                      uint64_t *start_ns, uint64_t *finish_ns)
{
    if (vm >= dc->nvms || !dc->vms[vm].th || t >= dc->vms[vm].nthreads)
        return -1;
    *start_ns = dc->vms[vm].th[t].start_ns;
    *finish_ns = dc->vms[vm].th[t].finish_ns;
    return 0;
}
