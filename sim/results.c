// SPDX-License-Identifier: GPL-3.0-or-later
/* Result tables of one run (DESIGN.md §6): CSV per vCPU, VM, pCPU and
 * host, up to the model's current time. */
#include <inttypes.h>
#include <stdlib.h>

#include "model_internal.h"

static const char *const vstate[] = {"new",     "runnable",  "running",
                                     "blocked", "suspended", "exited"};

int sim_model_write_vcpus(struct sim_model *m, FILE *f)
{
    static const struct sim_vcpu_extra none;
    fprintf(f, "host,vm,vm_name,vcpu,state,run_ns,work_ns,wait_ns,"
               "blocked_ns,suspended_ns,runs,migrations,preemptions,"
               "suspends,demand_done_ns,spin_ns,penalty_ns\n");
    for (unsigned i = 0; i < m->nvms; i++) {
        struct sim_vm *vm = &m->vms[i];
        struct sim_host *h = &m->hosts[vm->host];
        for (vcpu_id_t v = vm->first; v < vm->first + vm->nvcpus; v++) {
            struct vcpu_vcpu_stats st;
            vcpu_core_vcpu_stats(h->core, v, &st);
            const struct sim_vcpu *s = &h->vcpus[v];
            const struct sim_vcpu_extra *x = h->extra ? &h->extra[v] : &none;
            fprintf(f,
                    "%u,%u,%s,%u,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64
                    ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                    ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
                    vm->host, i, vm->spec->name, v - vm->first,
                    vstate[st.state], st.run_ns, st.work_ns, st.wait_ns,
                    st.blocked_ns, st.suspended_ns, st.nr_runs,
                    st.nr_migrations, st.nr_preemptions, st.nr_suspends,
                    s->demand_done, x->spin_ns, x->penalty_ns);
        }
    }
    return ferror(f) ? -1 : 0;
}

void sim_model_vm_result(struct sim_model *m, unsigned i,
                         struct sim_vm_result *out)
{
    struct sim_vm *vm = &m->vms[i];
    struct sim_host *h = &m->hosts[vm->host];
    *out = (struct sim_vm_result){
        .name = vm->spec->name,
        .replica = vm->replica,
        .nvcpus = vm->nvcpus,
        .start_ns = vm->start_ns,
        .finish_ns = vm->finish_ns,
    };
    for (vcpu_id_t v = vm->first; v < vm->first + vm->nvcpus; v++) {
        struct vcpu_vcpu_stats st;
        vcpu_core_vcpu_stats(h->core, v, &st);
        out->demand_done += h->vcpus[v].demand_done;
        out->spin_ns += h->extra ? h->extra[v].spin_ns : 0;
        out->run_ns += st.run_ns;
        out->wait_ns += st.wait_ns;
    }
    uint64_t end = vm->finish_ns ? vm->finish_ns : m->now;
    double elapsed = (double)(end - vm->start_ns) * vm->nvcpus;
    out->slowdown =
        out->demand_done ? elapsed / (double)out->demand_done : -1.0;
}

int sim_model_write_vms(struct sim_model *m, FILE *f)
{
    fprintf(f, "vm,name,host,vcpus,weight,start_ns,finish_ns,"
               "demand_done_ns,run_ns,wait_ns,spin_ns,slowdown\n");
    for (unsigned i = 0; i < m->nvms; i++) {
        struct sim_vm_result r;
        sim_model_vm_result(m, i, &r);
        const struct sim_vm *vm = &m->vms[i];
        fprintf(f,
                "%u,%s,%u,%u,%u,%" PRIu64 ",%" PRId64 ",%" PRIu64 ",%" PRIu64
                ",%" PRIu64 ",%" PRIu64 ",%.6f\n",
                i, r.name, vm->host, r.nvcpus,
                vm->spec->weight ? vm->spec->weight : 100, r.start_ns,
                r.finish_ns ? (int64_t)r.finish_ns : -1, r.demand_done,
                r.run_ns, r.wait_ns, r.spin_ns, r.slowdown);
    }
    return ferror(f) ? -1 : 0;
}

int sim_model_write_pcpus(struct sim_model *m, FILE *f)
{
    fprintf(f, "host,pcpu,state,speed,busy_ns,online_ns,utilisation,runs\n");
    for (unsigned hi = 0; hi < m->nhosts; hi++) {
        struct sim_host *h = &m->hosts[hi];
        for (vcpu_pcpu_t p = 0; p < h->npcpus; p++) {
            struct vcpu_pcpu_stats st;
            vcpu_core_pcpu_stats(h->core, p, &st);
            double u = st.online_ns ? (double)st.busy_ns / st.online_ns : 0;
            fprintf(f, "%u,%u,%s,%u,%" PRIu64 ",%" PRIu64 ",%.6f,%" PRIu64 "\n",
                    hi, p, st.state ? "online" : "offline", st.speed,
                    st.busy_ns, st.online_ns, u, st.nr_runs);
        }
    }
    return ferror(f) ? -1 : 0;
}

int sim_model_write_hosts(struct sim_model *m, FILE *f)
{
    fprintf(f, "host,topology,pcpus,online,busy_ns,online_ns,utilisation,"
               "vms\n");
    unsigned *nvms = calloc(m->nhosts, sizeof *nvms); /* one pass, not one
                                                         per host */
    if (!nvms)
        return -1;
    for (unsigned i = 0; i < m->nvms; i++)
        nvms[m->vms[i].host]++;
    for (unsigned hi = 0; hi < m->nhosts; hi++) {
        struct sim_host *h = &m->hosts[hi];
        uint64_t busy = 0, on = 0;
        unsigned online = 0;
        for (vcpu_pcpu_t p = 0; p < h->npcpus; p++) {
            struct vcpu_pcpu_stats st;
            vcpu_core_pcpu_stats(h->core, p, &st);
            busy += st.busy_ns;
            on += st.online_ns;
            online += st.state == VP_PCPU_ONLINE;
        }
        fprintf(f, "%u,\"%s\",%u,%u,%" PRIu64 ",%" PRIu64 ",%.6f,%u\n", hi,
                vcpu_topo_source(h->topo), h->npcpus, online, busy, on,
                on ? (double)busy / on : 0.0, nvms[hi]);
    }
    free(nvms);
    return ferror(f) ? -1 : 0;
}
