// SPDX-License-Identifier: GPL-3.0-or-later
/* Nested scheduling in the host tier (docs/nested.md): a VM's tasks run
 * under a guest policy, a second core whose pCPU j is the VM's vCPU j.
 * Host vCPU j, when the host runs it, advances the task on guest pCPU j;
 * when the host deschedules it the task stays current but stalls (the
 * guest does not know). The guest's timer fires only while its vCPU runs;
 * an idle guest pCPU halts its vCPU and a guest kick wakes it. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* ---- guest policies ------------------------------------------------------ */

int sim_nested_init(struct sim_model *m, char *err, size_t errlen)
{
    const struct sim_scenario *s = m->scn;
    if (!s->nvms)
        return 0;
    m->guest_ops = calloc(s->nvms, sizeof *m->guest_ops);
    m->guest_libs = calloc(s->nvms, sizeof *m->guest_libs);
    if (!m->guest_ops || !m->guest_libs)
        return VCPU_ENOMEM;
    for (unsigned i = 0; i < s->nvms; i++) {
        const char *name = s->vms[i].guest_policy;
        if (!name || (m->guest_ops[i] = vcpu_policy_find(name)))
            continue;
        int rc = vcpu_policy_open(name, &m->guest_libs[i], err, errlen);
        if (rc) {
            if (!err[0])
                snprintf(err, errlen, "vms[%u]: unknown guest policy '%s'", i,
                         name);
            return rc;
        }
        m->guest_ops[i] = vcpu_policy_lib_ops(m->guest_libs[i]);
    }
    return 0;
}

void sim_nested_fini(struct sim_model *m)
{
    if (m->guest_libs)
        for (unsigned i = 0; i < m->scn->nvms; i++)
            vcpu_policy_close(m->guest_libs[i]);
    free(m->guest_libs);
    free(m->guest_ops);
}

static const struct vcpu_policy_ops *guest_ops(const struct sim_model *m,
                                               const struct sim_vm_spec *spec)
{
    for (unsigned i = 0; m->guest_ops && i < m->scn->nvms; i++)
        if (&m->scn->vms[i] == spec)
            return m->guest_ops[i];
    return vcpu_policy_find(spec->guest_policy);
}

/* ---- the guest core's environment ----------------------------------------- */

static struct sim_vm *guest_vm(const struct sim_guest *g)
{
    return &g->m->vms[g->index];
}

static void g_kick(void *arg, vcpu_pcpu_t p)
{
    struct sim_guest *g = arg;
    if (!g->kicked[p]) {
        g->kicked[p] = true;
        g->kicks[g->nkicks++] = p;
    }
}

static void g_preempt(void *arg, vcpu_pcpu_t p)
{
    struct sim_guest *g = arg;
    if (!g->preempted[p]) {
        g->preempted[p] = true;
        g->preempts[g->npreempts++] = p;
    }
}

static void g_log(void *arg, const char *line)
{
    struct sim_guest *g = arg;
    fprintf(stderr, "vcpusim: VM %u (guest): %s\n", g->index, line);
}

/* Host vCPU @j of the guest's VM and whether it runs now. */
static vcpu_id_t host_vcpu(const struct sim_guest *g, vcpu_pcpu_t j)
{
    return guest_vm(g)->first + j;
}

static bool host_runs(const struct sim_guest *g, vcpu_pcpu_t j)
{
    return vcpu_core_vcpu_state(g->h->core, host_vcpu(g, j)) == VP_VCPU_RUNNING;
}

/* Before guest pCPU @j changes task: charge its vCPU's run so far. */
static void charge(struct sim_guest *g, vcpu_pcpu_t j)
{
    if (host_runs(g, j))
        sim_account(g->h, vcpu_core_vcpu_pcpu(g->h->core, host_vcpu(g, j)),
                    g->m->now);
}

static void g_trace(void *arg, const struct vcpu_trace_rec *r)
{
    struct sim_guest *g = arg;
    struct sim_model *m = g->m;
    if (r->event == VCPU_TRACE_RUN) {
        charge(g, r->pcpu);
        g->curr[r->pcpu] = r->vcpu;
        struct sim_task *t = &g->tasks[r->vcpu];
        if (!t->started) {
            t->started = true;
            t->start_ns = m->now;
        }
    } else if (r->event == VCPU_TRACE_STOP) {
        charge(g, r->pcpu);
        g->curr[r->pcpu] = VCPU_NONE;
    }
    if (m->guest_trace) {
        char line[128];
        int n = vcpu_trace_format(r, line, sizeof line);
        if (n > 0)
            fprintf(m->guest_trace, "%u,%s", g->index, line);
    }
}

/* ---- settling: guest kicks and preemptions, then the host vCPUs ---------- */

/* Each vCPU follows its guest pCPU: a task there and the vCPU halted: wake
 * it; nothing there and the vCPU running: it halts. */
static void sync_vcpus(struct sim_guest *g)
{
    struct sim_model *m = g->m;
    struct sim_host *h = g->h;
    for (vcpu_pcpu_t j = 0; j < g->npcpus && !m->failed; j++) {
        vcpu_id_t hv = host_vcpu(g, j);
        unsigned st = vcpu_core_vcpu_state(h->core, hv);
        if (g->curr[j] != VCPU_NONE) {
            if (st == VP_VCPU_NEW || st == VP_VCPU_BLOCKED)
                sim_core_call(m, vcpu_core_wake(h->core, m->now, hv), "wake");
            else if (st == VP_VCPU_RUNNING)
                sim_mark_dirty(h, vcpu_core_vcpu_pcpu(h->core, hv));
        } else if (st == VP_VCPU_RUNNING) {
            sim_account(h, vcpu_core_vcpu_pcpu(h->core, hv), m->now);
            sim_core_call(m, vcpu_core_block(h->core, m->now, hv), "halt");
        }
    }
}

static void guest_settle(struct sim_guest *g)
{
    struct sim_model *m = g->m;
    while ((g->nkicks || g->npreempts) && !m->failed) {
        if (g->npreempts) {
            vcpu_pcpu_t p = g->preempts[--g->npreempts];
            g->preempted[p] = false;
            if (host_runs(g, p))
                sim_core_call(m, vcpu_core_preempt(g->core, m->now, p),
                              "guest preempt");
            else /* an IPI to a descheduled vCPU waits for it to run */
                g->preempt_pending[p] = true;
            continue;
        }
        vcpu_pcpu_t p = g->kicks[--g->nkicks];
        g->kicked[p] = false;
        vcpu_id_t v;
        int rc = vcpu_core_pick(g->core, m->now, p, &v, NULL);
        if (rc != VCPU_ENODEV && rc != VCPU_EBUSY)
            sim_core_call(m, rc, "guest pick");
    }
    sync_vcpus(g);
    if (m->check && !m->failed)
        sim_core_call(m, vcpu_core_check_settled(g->core), "guest settle");
}

/* ---- lifecycle --------------------------------------------------------------- */

void sim_nested_free(struct sim_guest *g)
{
    if (!g)
        return;
    vcpu_core_destroy(g->core);
    vcpu_topo_unref(g->topo);
    free(g->tasks);
    free(g->curr);
    free(g->preempt_pending);
    free(g->kicks);
    free(g->preempts);
    free(g->kicked);
    free(g->preempted);
    free(g);
}

static int guest_alloc(struct sim_guest *g, const struct sim_vm_spec *spec)
{
    unsigned n = spec->vcpus;
    for (unsigned i = 0; i < spec->ntasks; i++)
        g->ntasks += spec->tasks[i].count ? spec->tasks[i].count : 1;
    g->npcpus = n;
    g->tasks = calloc(g->ntasks, sizeof *g->tasks);
    g->curr = malloc(n * sizeof *g->curr);
    g->preempt_pending = calloc(n, sizeof *g->preempt_pending);
    g->kicks = calloc(n, sizeof *g->kicks);
    g->preempts = calloc(n, sizeof *g->preempts);
    g->kicked = calloc(n, sizeof *g->kicked);
    g->preempted = calloc(n, sizeof *g->preempted);
    if (!g->tasks || !g->curr || !g->preempt_pending || !g->kicks ||
        !g->preempts || !g->kicked || !g->preempted)
        return VCPU_ENOMEM;
    for (unsigned j = 0; j < n; j++)
        g->curr[j] = VCPU_NONE;
    char desc[64];
    snprintf(desc, sizeof desc, "pack:1 core:%u pu:1", n);
    return vcpu_topo_load(desc, &g->topo);
}

static int guest_core(struct sim_guest *g, const struct sim_vm_spec *spec)
{
    struct sim_model *m = g->m;
    const struct vcpu_policy_ops *ops = guest_ops(m, spec);
    if (!ops)
        return VCPU_ENOENT;
    g->env = (struct vcpu_core_env){
        .abi = VCPU_CORE_ABI,
        .kick = g_kick,
        .preempt = g_preempt,
        .trace = g_trace,
        .log = g_log,
        .trace_mask =
            m->guest_trace ? 0 : (1u << VCPU_TRACE_RUN | 1u << VCPU_TRACE_STOP),
    };
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = g->topo,
        .ops = ops,
        .policy_args = spec->guest_args,
        .seed = m->seed * 1000003u + 7919u * (g->index + 1),
        .slice_ns =
            spec->guest_slice_ns ? spec->guest_slice_ns : m->scn->slice_ns,
        .flags = m->check ? VCPU_CORE_CHECK : VCPU_CORE_NOCHECK,
        .env = &g->env,
        .env_arg = g,
        .start_ns = m->now,
    };
    g->has_tick = ops->tick != NULL;
    return vcpu_core_create(&a, &g->core);
}

/* The tasks, their work drawn from the host's stream in spec order. */
static int guest_tasks(struct sim_guest *g, const struct sim_vm_spec *spec)
{
    struct sim_model *m = g->m;
    struct vcpu_vm_attr at = {.abi = VCPU_CORE_ABI, .nvcpus_hint = g->ntasks};
    vcpu_vm_t gvm;
    int rc = vcpu_core_vm_add(g->core, m->now, &at, &gvm);
    unsigned t = 0;
    for (unsigned i = 0; i < spec->ntasks && !rc; i++) {
        unsigned count = spec->tasks[i].count ? spec->tasks[i].count : 1;
        for (unsigned k = 0; k < count && !rc; k++, t++) {
            vcpu_id_t v;
            rc = vcpu_core_vcpu_add(g->core, m->now, gvm, &v);
            if (!rc && v != t)
                rc = VCPU_ESTATE; /* ids are dense from 0 in a new core */
            g->tasks[t].work = g->tasks[t].remaining =
                sim_draw(g->h->rng, &spec->tasks[i].work);
        }
    }
    g->alive = g->ntasks;
    for (t = 0; t < g->ntasks && !rc; t++)
        rc = vcpu_core_wake(g->core, m->now, t);
    return rc;
}

void sim_nested_start(struct sim_model *m, struct sim_host *h,
                      struct sim_vm *vm)
{
    const struct sim_vm_spec *spec = vm->spec;
    struct sim_guest *g = calloc(1, sizeof *g);
    if (!g) {
        sim_core_failed(m, VCPU_ENOMEM, "guest");
        return;
    }
    g->m = m;
    g->h = h;
    g->index = (unsigned)(vm - m->vms);
    vm->guest = g;
    int rc = guest_alloc(g, spec);
    if (!rc)
        rc = guest_core(g, spec);
    if (!rc)
        rc = guest_tasks(g, spec);
    if (rc) {
        char what[160];
        snprintf(what, sizeof what, "guest policy '%s' of VM '%s'",
                 spec->guest_policy, spec->name);
        sim_core_failed(m, rc, what);
        return;
    }
    guest_settle(g);
}

/* ---- progress ------------------------------------------------------------------ */

void sim_nested_account(struct sim_host *h, vcpu_id_t v, uint64_t dt,
                        uint32_t speed)
{
    struct sim_vcpu *s = &h->vcpus[v];
    struct sim_vm *vm = &h->model->vms[s->vm];
    struct sim_guest *g = vm->guest;
    vcpu_id_t t = g->curr[v - vm->first];
    if (t == VCPU_NONE)
        return;
    struct sim_task *k = &g->tasks[t];
    uint64_t done = dt * speed / VCPU_SPEED_NOMINAL;
    if (done > k->remaining)
        done = k->remaining;
    k->remaining -= done;
    s->demand_done += done;
}

uint64_t sim_nested_run_end(struct sim_model *m, struct sim_host *h,
                            vcpu_pcpu_t p)
{
    const struct sim_pcpu *pc = &h->pcpus[p];
    const struct sim_vm *vm = &m->vms[h->vcpus[pc->curr].vm];
    const struct sim_guest *g = vm->guest;
    vcpu_pcpu_t j = pc->curr - vm->first;
    vcpu_id_t t = g->curr[j];
    if (t == VCPU_NONE || g->preempt_pending[j] || !g->tasks[t].remaining)
        return m->now; /* something to do at once */
    uint64_t sp = pc->speed ? pc->speed : 1;
    uint64_t fin =
        pc->since + (g->tasks[t].remaining * VCPU_SPEED_NOMINAL + sp - 1) / sp;
    fin = fin > m->now ? fin : m->now;
    /* the guest's timer: only when it can matter (someone waits in the
     * guest, or its policy ticks) */
    uint64_t gse = vcpu_core_slice_end(g->core, j);
    if (gse < fin &&
        (g->has_tick || vcpu_core_count_state(g->core, VP_VCPU_RUNNABLE)))
        fin = gse > m->now ? gse : m->now;
    return fin;
}

/* Every task is done: the VM's vCPUs exit and it leaves. */
static void guest_done(struct sim_model *m, struct sim_host *h,
                       struct sim_vm *vm)
{
    for (vcpu_id_t v = vm->first; v < vm->first + vm->nvcpus; v++) {
        if (vcpu_core_vcpu_state(h->core, v) != VP_VCPU_EXITED)
            sim_core_call(m, vcpu_core_exit(h->core, m->now, v), "exit");
        h->vcpus[v].mode = SIM_M_DONE;
    }
    vm->alive = 0;
    sim_vm_finished(m, h, vm);
}

/* A run-end of @p, which runs a vCPU of a nested VM (charged up to now):
 * end the task whose work is done, deliver a guest preemption that waited
 * for this vCPU, fire the guest's timer, then settle both levels. */
void sim_nested_step(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t p)
{
    vcpu_id_t v = h->pcpus[p].curr;
    struct sim_vm *vm = &m->vms[h->vcpus[v].vm];
    struct sim_guest *g = vm->guest;
    vcpu_pcpu_t j = v - vm->first;
    vcpu_id_t t = g->curr[j];
    if (t != VCPU_NONE && !g->tasks[t].remaining) {
        g->tasks[t].done = true;
        g->tasks[t].finish_ns = m->now;
        g->alive--;
        sim_core_call(m, vcpu_core_exit(g->core, m->now, t), "task exit");
    }
    if (g->preempt_pending[j]) {
        g->preempt_pending[j] = false;
        sim_core_call(m, vcpu_core_preempt(g->core, m->now, j),
                      "guest preempt");
    }
    if (g->curr[j] != VCPU_NONE && m->now >= vcpu_core_slice_end(g->core, j))
        sim_core_call(m, vcpu_core_tick(g->core, m->now, j, NULL),
                      "guest tick");
    guest_settle(g);
    if (m->failed)
        return;
    if (!g->alive) {
        guest_done(m, h, vm);
        return;
    }
    if (h->pcpus[p].curr != v)
        return; /* halted */
    if (m->now >= vcpu_core_slice_end(h->core, p))
        sim_core_call(m, vcpu_core_tick(h->core, m->now, p, NULL), "tick");
    sim_mark_dirty(h, p);
}

/* ---- results --------------------------------------------------------------------- */

unsigned sim_model_ntasks(const struct sim_model *m, unsigned vm)
{
    return vm < m->nvms && m->vms[vm].guest ? m->vms[vm].guest->ntasks : 0;
}

int sim_model_task(struct sim_model *m, unsigned vm, unsigned t,
                   struct sim_task_result *out)
{
    if (t >= sim_model_ntasks(m, vm))
        return -1;
    const struct sim_guest *g = m->vms[vm].guest;
    const struct sim_task *k = &g->tasks[t];
    struct vcpu_vcpu_stats st = {.abi = VCPU_CORE_ABI};
    vcpu_core_vcpu_stats(g->core, t, &st);
    unsigned state = SIM_TASK_QUEUED;
    if (k->done)
        state = SIM_TASK_DONE;
    else if (st.state == VP_VCPU_RUNNING)
        state = SIM_TASK_RUNNING;
    *out = (struct sim_task_result){
        .state = state,
        .work_ns = k->work,
        .done_ns = k->work - k->remaining,
        .start_ns = k->start_ns,
        .finish_ns = k->finish_ns,
        .guest_run_ns = st.run_ns,
        .guest_runs = (unsigned)st.nr_runs,
    };
    return 0;
}

int sim_model_write_tasks(struct sim_model *m, FILE *f)
{
    static const char *const st[] = {"queued", "running", "done"};
    fprintf(f, "vm,name,replica,task,work_s,state,start_s,finish_s\n");
    for (unsigned i = 0; i < m->nvms; i++) {
        const struct sim_vm *vm = &m->vms[i];
        for (unsigned t = 0; t < sim_model_ntasks(m, i); t++) {
            struct sim_task_result r;
            sim_model_task(m, i, t, &r);
            fprintf(f, "%u,%s,%u,%u,%.9f,%s,%.9f,%.9f\n", i, vm->spec->name,
                    vm->replica, t, (double)r.work_ns * 1e-9, st[r.state],
                    (double)r.start_ns * 1e-9, (double)r.finish_ns * 1e-9);
        }
    }
    return ferror(f) ? -1 : 0;
}
