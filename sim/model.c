// SPDX-License-Identifier: GPL-3.0-or-later
/* The simulator's host tier: hosts each driven by one scheduling core
 * (the runtime's policies, unchanged), VM arrivals, faults, and the event
 * loop. Per-host state and per-host random streams keep hosts separable,
 * ready to be sharded over threads and ranks. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* ---- errors and events ---------------------------------------------------- */

static void fail(struct sim_model *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct sim_model *m, const char *fmt, ...)
{
    if (m->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    m->failed = true;
}

/* The report of the host whose core broke an invariant. */
static const char *core_report(const struct sim_model *m)
{
    for (unsigned h = 0; h < m->nhosts; h++)
        if (m->hosts[h].core && *vcpu_core_error(m->hosts[h].core))
            return vcpu_core_error(m->hosts[h].core);
    return "";
}

void sim_core_failed(struct sim_model *m, int rc, const char *what)
{
    if (rc == VCPU_EINVARIANT)
        fail(m, "t=%" PRIu64 " ns: %s: %s", m->now, what, core_report(m));
    else
        fail(m, "t=%" PRIu64 " ns: %s failed: %s", m->now, what,
             vcpu_strerror(rc));
}

void sim_push_failed(struct sim_model *m)
{
    fail(m, "event queue: out of memory or time in the past");
}

void sim_push_wake(struct sim_model *m, struct sim_host *h, vcpu_id_t v,
                   uint64_t t)
{
    struct sim_vcpu *s = &h->vcpus[v];
    sim_push(m, h, t, SIM_EV_WAKE, v, 0, ++s->gen);
}

/* ---- environment callbacks of each host's core --------------------------- */

static void env_kick(void *arg, vcpu_pcpu_t p)
{
    struct sim_host *h = arg;
    if (!h->kicked[p]) {
        h->kicked[p] = true;
        h->kicks[h->nkicks++] = p;
    }
}

static void env_preempt(void *arg, vcpu_pcpu_t p)
{
    struct sim_host *h = arg;
    if (!h->preempted[p]) {
        h->preempted[p] = true;
        h->preempts[h->npreempts++] = p;
    }
}

static void env_log(void *arg, const char *line)
{
    struct sim_host *h = arg;
    fprintf(stderr, "vcpusim: host %u: %s\n", h->index, line);
}

/* What the guests need from the core's trace, unless it is written out:
 * RUN and STOP (what runs where), PCPU_SPEED, MIGRATE for the warm-up. */
static void init_env(struct sim_model *m)
{
    uint64_t mask = 1u << VCPU_TRACE_RUN | 1u << VCPU_TRACE_STOP |
                    1u << VCPU_TRACE_PCPU_SPEED;
    if (m->scn->npenalty)
        mask |= 1u << VCPU_TRACE_MIGRATE;
    m->env = (struct vcpu_core_env){
        .abi = VCPU_CORE_ABI,
        .kick = env_kick,
        .preempt = env_preempt,
        .trace = sim_on_trace,
        .log = env_log,
        .trace_mask = m->trace ? 0 : mask,
    };
}

/* Deliver kicks and preemptions until none are left (same instant). */
static void settle(struct sim_model *m, struct sim_host *h)
{
    while ((h->nkicks || h->npreempts) && !m->failed) {
        if (h->npreempts) {
            vcpu_pcpu_t p = h->preempts[--h->npreempts];
            h->preempted[p] = false;
            sim_account(h, p, m->now);
            sim_core_call(m, vcpu_core_preempt(h->core, m->now, p), "preempt");
            continue;
        }
        vcpu_pcpu_t p = h->kicks[--h->nkicks];
        h->kicked[p] = false;
        vcpu_id_t v;
        int rc = vcpu_core_pick(h->core, m->now, p, &v, NULL);
        if (rc != VCPU_ENODEV && rc != VCPU_EBUSY)
            sim_core_call(m, rc, "pick");
    }
    sim_rearm(m, h);
}

/* ---- hosts ---------------------------------------------------------------- */

static int host_alloc(struct sim_host *h)
{
    unsigned n = h->npcpus;
    h->pcpus = calloc(n, sizeof *h->pcpus);
    h->kicks = calloc(n, sizeof *h->kicks);
    h->preempts = calloc(n, sizeof *h->preempts);
    h->dirty = calloc(n, sizeof *h->dirty);
    h->kicked = calloc(n, sizeof *h->kicked);
    h->preempted = calloc(n, sizeof *h->preempted);
    h->is_dirty = calloc(n, sizeof *h->is_dirty);
    h->skip = calloc((n + 63) / 64, sizeof *h->skip);
    h->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!h->pcpus || !h->kicks || !h->preempts || !h->dirty || !h->kicked ||
        !h->preempted || !h->is_dirty || !h->skip || !h->rng ||
        sim_engine_create(2 * n + 8, &h->eng))
        return -ENOMEM;
    for (unsigned p = 0; p < n; p++) {
        h->pcpus[p].curr = VCPU_NONE;
        h->pcpus[p].speed = VCPU_SPEED_NOMINAL;
    }
    return 0;
}

static int host_init(struct sim_model *m, struct sim_host *h, vcpu_topo_t *topo,
                     char *err, size_t errlen)
{
    h->model = m;
    h->topo = vcpu_topo_ref(topo);
    h->npcpus = vcpu_topo_npcpus(topo);
    if (host_alloc(h))
        return -ENOMEM;
    /* An independent stream per host: results do not depend on how hosts
     * are grouped or ordered. */
    gsl_rng_set(h->rng, (unsigned long)(m->seed * 1000003u + h->index + 1));
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = topo,
        .ops = m->ops,
        .policy_args = m->policy_args,
        .seed = m->seed + h->index,
        .slice_ns = m->scn->slice_ns,
        .flags = m->check ? VCPU_CORE_CHECK : VCPU_CORE_NOCHECK,
        .env = &m->env,
        .env_arg = h,
    };
    int rc = vcpu_core_create(&a, &h->core);
    if (rc) {
        snprintf(err, errlen, "host %u: policy '%s': %s", h->index,
                 m->ops->name, vcpu_strerror(rc));
        return rc;
    }
    h->has_tick = m->ops->tick != NULL;
    return 0;
}

static void host_fini(struct sim_host *h)
{
    vcpu_core_destroy(h->core);
    vcpu_topo_unref(h->topo);
    free(h->pcpus);
    free(h->vcpus);
    free(h->extra);
    free(h->kicks);
    free(h->preempts);
    free(h->dirty);
    free(h->kicked);
    free(h->preempted);
    free(h->is_dirty);
    free(h->skip);
    if (h->rng)
        gsl_rng_free(h->rng);
    sim_engine_destroy(h->eng);
}

static int make_hosts(struct sim_model *m, char *err, size_t errlen)
{
    const struct sim_scenario *s = m->scn;
    for (unsigned i = 0; i < s->nhosts; i++)
        m->nhosts += s->hosts[i].count ? s->hosts[i].count : 1;
    m->hosts = calloc(m->nhosts, sizeof *m->hosts);
    if (!m->hosts)
        return -ENOMEM;
    unsigned h = 0;
    for (unsigned i = 0; i < s->nhosts; i++) {
        vcpu_topo_t *t; /* one topology per host type, shared */
        int rc = vcpu_topo_load(s->hosts[i].topo, &t);
        if (rc) {
            snprintf(err, errlen, "hosts[%u]: topology '%s': %s", i,
                     s->hosts[i].topo, vcpu_strerror(rc));
            return rc;
        }
        unsigned n = s->hosts[i].count ? s->hosts[i].count : 1;
        for (unsigned k = 0; k < n && !rc; k++, h++) {
            m->hosts[h].index = h;
            m->hosts[h].type = i;
            rc = host_init(m, &m->hosts[h], t, err, errlen);
        }
        vcpu_topo_unref(t);
        if (rc)
            return rc;
    }
    return 0;
}

static void host_sync(struct sim_model *m, struct sim_host *h);

/* ---- arrivals ---------------------------------------------------------------- */

/* The scenario's VM list as a source, sorted by nothing: entries arrive at
 * their start times through the event queue. */
static int scenario_next(void *arg, struct sim_arrival *out)
{
    struct sim_model *m = arg;
    const struct sim_scenario *s = m->scn;
    struct scn_source *it = &m->scn_src;
    while (it->entry < s->nvms) {
        const struct sim_vm_spec *spec = &s->vms[it->entry];
        unsigned count = spec->count ? spec->count : 1;
        if (it->replica < count) {
            *out = (struct sim_arrival){spec, spec->start_ns, spec->host,
                                        it->replica++};
            return 1;
        }
        it->entry++;
        it->replica = 0;
    }
    return 0;
}

static void schedule_next_arrival(struct sim_model *m)
{
    struct sim_arrival a;
    int rc = m->src.next(m->src.arg, &a);
    if (rc < 0)
        fail(m, "workload source failed (%d)", rc);
    if (rc <= 0)
        return;
    m->next = a;
    m->have_next = true;
    sim_push(m, NULL, a.time_ns > m->now ? a.time_ns : m->now, SIM_EV_ARRIVE, 0,
             0, 0);
}

static int grow_vcpus(struct sim_host *h, unsigned n)
{
    if (n <= h->cap_vcpus)
        return 0;
    unsigned cap = h->cap_vcpus ? h->cap_vcpus : 64;
    while (cap < n)
        cap *= 2;
    struct sim_vcpu *v = realloc(h->vcpus, cap * sizeof *v);
    if (!v)
        return -ENOMEM;
    memset(v + h->cap_vcpus, 0, (cap - h->cap_vcpus) * sizeof *v);
    h->vcpus = v;
    if (h->extra) {
        struct sim_vcpu_extra *x = realloc(h->extra, cap * sizeof *x);
        if (!x)
            return -ENOMEM;
        memset(x + h->cap_vcpus, 0, (cap - h->cap_vcpus) * sizeof *x);
        h->extra = x;
    }
    h->cap_vcpus = cap;
    return 0;
}

static struct sim_vm *new_vm(struct sim_model *m)
{
    if (m->nvms == m->cap_vms) {
        unsigned cap = m->cap_vms ? 2 * m->cap_vms : 16;
        struct sim_vm *v = realloc(m->vms, cap * sizeof *v);
        if (!v)
            return NULL;
        m->vms = v;
        m->cap_vms = cap;
    }
    struct sim_vm *vm = &m->vms[m->nvms++];
    memset(vm, 0, sizeof *vm);
    return vm;
}

static void add_vcpus(struct sim_model *m, struct sim_host *h,
                      struct sim_vm *vm, uint32_t index)
{
    const struct sim_vm_spec *spec = vm->spec;
    for (unsigned i = 0; i < spec->vcpus && !m->failed; i++) {
        vcpu_id_t v;
        sim_core_call(m, vcpu_core_vcpu_add(h->core, m->now, vm->core_vm, &v),
                      "vcpu_add");
        if (m->failed || grow_vcpus(h, v + 1)) {
            fail(m, "cannot add vCPU %u of VM '%s'", i, spec->name);
            return;
        }
        if (i == 0)
            vm->first = v;
        struct sim_vcpu *s = &h->vcpus[v];
        memset(s, 0, sizeof *s);
        s->vm = index;
        if (spec->guest_policy)
            s->mode = SIM_M_GUEST;
        else
            sim_prepare_phase(m, h, s);
        if (spec->prio)
            vcpu_core_vcpu_set_prio(h->core, v, spec->prio);
    }
    vm->nvcpus = vm->alive = spec->vcpus;
    if (spec->guest_policy) { /* its guest wakes the vCPUs it needs */
        if (!m->failed)
            sim_nested_start(m, h, vm);
        return;
    }
    for (unsigned i = 0; i < spec->vcpus && !m->failed; i++)
        sim_core_call(m, vcpu_core_wake(h->core, m->now, vm->first + i),
                      "wake");
}

static void arrive(struct sim_model *m)
{
    const struct sim_arrival *a = &m->next;
    unsigned hi =
        a->host >= 0 ? (unsigned)a->host % m->nhosts : m->rr_host++ % m->nhosts;
    struct sim_host *h = &m->hosts[hi];
    host_sync(m, h);
    struct sim_vm *vm = new_vm(m);
    if (!vm) {
        fail(m, "out of memory for VMs");
        return;
    }
    uint32_t index = (uint32_t)(vm - m->vms);
    vm->spec = a->spec;
    vm->host = hi;
    vm->replica = a->replica;
    vm->start_ns = m->now;
    struct vcpu_vm_attr at = {
        .abi = VCPU_CORE_ABI,
        .weight = a->spec->weight,
        .cap = a->spec->cap,
        .nvcpus_hint = a->spec->vcpus,
        .allowed = a->spec->allowed,
        .nallowed = a->spec->nallowed,
    };
    sim_core_call(m, vcpu_core_vm_add(h->core, m->now, &at, &vm->core_vm),
                  "vm_add");
    if (!m->failed)
        add_vcpus(m, h, vm, index);
    settle(m, h);
    m->have_next = false;
    schedule_next_arrival(m);
}

void sim_vm_finished(struct sim_model *m, struct sim_host *h, struct sim_vm *vm)
{
    vm->finish_ns = m->now > vm->start_ns ? m->now : vm->start_ns + 1;
    sim_core_call(m, vcpu_core_vm_remove(h->core, m->now, vm->core_vm),
                  "vm_remove");
}

/* ---- faults ------------------------------------------------------------------ */

static void apply_fault(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t p,
                        unsigned action, uint32_t speed)
{
    if (p >= h->npcpus)
        return;
    sim_account(h, p, m->now);
    if (action == SIM_FAULT_SPEED)
        sim_core_call(m, vcpu_core_pcpu_set_speed(h->core, m->now, p, speed),
                      "speed");
    else
        sim_core_call(m,
                      vcpu_core_pcpu_set_online(h->core, m->now, p,
                                                action == SIM_FAULT_ONLINE),
                      "pcpu change");
    settle(m, h);
}

/* Every (host, pCPU) a fault names. */
static void fault_targets(struct sim_model *m, const struct sim_fault *f,
                          void (*fn)(struct sim_model *, struct sim_host *,
                                     vcpu_pcpu_t, const struct sim_fault *,
                                     unsigned),
                          unsigned idx)
{
    for (unsigned hi = 0; hi < m->nhosts; hi++) {
        if (f->host >= 0 && (unsigned)f->host != hi)
            continue;
        struct sim_host *h = &m->hosts[hi];
        for (vcpu_pcpu_t p = 0; p < h->npcpus; p++)
            if (f->pcpu < 0 || (unsigned)f->pcpu == p)
                fn(m, h, p, f, idx);
    }
}

static void start_random(struct sim_model *m, struct sim_host *h, vcpu_pcpu_t p,
                         const struct sim_fault *f, unsigned idx)
{
    sim_push(m, h, m->now + sim_draw(h->rng, &f->mtbf), SIM_EV_FAULT, idx, p,
             0);
}

static void fire_scripted(struct sim_model *m, struct sim_host *h,
                          vcpu_pcpu_t p, const struct sim_fault *f,
                          unsigned idx)
{
    (void)idx;
    host_sync(m, h);
    apply_fault(m, h, p, f->action, f->speed);
}

static void on_fault(struct sim_model *m, const struct sim_event *ev,
                     bool repair)
{
    const struct sim_fault *f = &m->scn->faults[ev->a];
    if (!f->random) {
        fault_targets(m, f, fire_scripted, ev->a);
        return;
    }
    struct sim_host *h = &m->hosts[ev->host];
    vcpu_pcpu_t p = (vcpu_pcpu_t)ev->b;
    apply_fault(m, h, p, repair ? SIM_FAULT_ONLINE : SIM_FAULT_OFFLINE, 0);
    const struct sim_dist *d = repair ? &f->mtbf : &f->mttr;
    sim_push(m, h, m->now + sim_draw(h->rng, d),
             repair ? SIM_EV_FAULT : SIM_EV_REPAIR, ev->a, p, 0);
}

static void schedule_faults(struct sim_model *m)
{
    for (unsigned i = 0; i < m->scn->nfaults; i++) {
        const struct sim_fault *f = &m->scn->faults[i];
        if (f->random)
            fault_targets(m, f, start_random, i);
        else
            sim_push(m, NULL, f->at_ns, SIM_EV_FAULT, i, 0, 0);
    }
}

/* ---- create / run ------------------------------------------------------------ */

static int resolve_policy(struct sim_model *m, const struct sim_model_opts *o,
                          char *err, size_t errlen)
{
    const char *name = m->scn->policy ? m->scn->policy : "rr";
    m->ops = o->ops ? o->ops : vcpu_policy_find(name);
    if (m->ops)
        return 0;
    int rc = vcpu_policy_open(name, &m->lib, err, errlen);
    if (rc == 0)
        m->ops = vcpu_policy_lib_ops(m->lib);
    else if (!err[0])
        snprintf(err, errlen, "unknown policy '%s'", name);
    return rc;
}

int sim_model_create(const struct sim_model_opts *o, struct sim_model **out,
                     char *err, size_t errlen)
{
    *out = NULL;
    err[0] = '\0';
    struct sim_model *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->scn = o->scn;
    m->seed = o->seed;
    m->check = o->check || o->scn->check;
    m->trace = o->trace;
    m->guest_trace = o->guest_trace;
    init_env(m);
    const char *args = o->ops ? o->policy_args : o->scn->policy_args;
    if (args && !(m->policy_args = strdup(args)))
        goto nomem;
    int rc = resolve_policy(m, o, err, errlen);
    if (!rc)
        rc = sim_nested_init(m, err, errlen);
    if (!rc)
        rc = sim_engine_create(64, &m->eng);
    m->window_ns = 1000000;
    if (!rc)
        rc = make_hosts(m, err, errlen);
    if (rc) {
        sim_model_destroy(m);
        return rc;
    }
    m->src = o->source.next ? o->source : (struct sim_source){scenario_next, m};
    schedule_faults(m);
    schedule_next_arrival(m);
    *out = m;
    return 0;
nomem:
    sim_model_destroy(m);
    return -ENOMEM;
}

void sim_model_destroy(struct sim_model *m)
{
    if (!m)
        return;
    for (unsigned h = 0; h < m->nhosts; h++)
        host_fini(&m->hosts[h]);
    free(m->hosts);
    for (unsigned i = 0; i < m->nvms; i++) {
        free(m->vms[i].lock_owner);
        sim_nested_free(m->vms[i].guest);
    }
    sim_nested_fini(m);
    free(m->vms);
    sim_engine_destroy(m->eng);
    vcpu_policy_close(m->lib);
    free(m->policy_args);
    free(m);
}

/* ---- the event loop ------------------------------------------------------------ */

/* One event of host @h's own queue. */
static void handle_host(struct sim_model *m, struct sim_host *h,
                        const struct sim_event *ev)
{
    switch (ev->kind) {
    case SIM_EV_RUN_END: {
        struct sim_pcpu *pc = &h->pcpus[ev->a];
        if (pc->gen != ev->gen || pc->curr == VCPU_NONE)
            return; /* cancelled */
        sim_account(h, ev->a, m->now);
        sim_step(m, h, ev->a);
        break;
    }
    case SIM_EV_WAKE:
        if (h->vcpus[ev->a].gen != ev->gen)
            return;
        sim_wake(m, h, ev->a);
        break;
    case SIM_EV_FAULT:
    case SIM_EV_REPAIR: /* random faults: they settle */
        on_fault(m, ev, ev->kind == SIM_EV_REPAIR);
        return;
    }
    settle(m, h);
}

/* Run @h's own events up to @limit (inclusive). */
static void host_run(struct sim_model *m, struct sim_host *h, uint64_t limit)
{
    struct sim_event ev;
    while (!m->failed && sim_engine_peek_time(h->eng) <= limit) {
        sim_event_pop(h->eng, &ev);
        m->events++;
        m->now = ev.time;
        handle_host(m, h, &ev);
    }
}

/* Before an event of the model's own queue (an arrival, a scripted fault)
 * touches @h: run @h's events of earlier instants. At one instant the
 * model's events come first, then the host's. */
static void host_sync(struct sim_model *m, struct sim_host *h)
{
    uint64_t t = m->now;
    if (t)
        host_run(m, h, t - 1);
    m->now = t;
}

/* One window: the model's events up to @end (each brings the host it
 * touches up to its instant first), then every host up to @end. Hosts
 * share nothing but those events, so running each through the window in
 * turn gives what one merged queue would, with one host's state hot in
 * the cache for its whole window. Return the earliest time still queued. */
static uint64_t run_window(struct sim_model *m, uint64_t end)
{
    struct sim_event ev;
    while (!m->failed && sim_engine_peek_time(m->eng) <= end) {
        sim_event_pop(m->eng, &ev);
        m->events++;
        m->now = ev.time;
        if (ev.kind == SIM_EV_ARRIVE)
            arrive(m);
        else
            on_fault(m, &ev, false);
    }
    uint64_t next = sim_engine_peek_time(m->eng);
    for (unsigned i = 0; i < m->nhosts && !m->failed; i++) {
        struct sim_host *h = &m->hosts[i];
        host_run(m, h, end);
        uint64_t t = sim_engine_peek_time(h->eng);
        next = t < next ? t : next;
    }
    m->now = end;
    return next;
}

static uint64_t next_event_time(const struct sim_model *m)
{
    uint64_t next = sim_engine_peek_time(m->eng);
    for (unsigned i = 0; i < m->nhosts; i++) {
        uint64_t t = sim_engine_peek_time(m->hosts[i].eng);
        next = t < next ? t : next;
    }
    return next;
}

/* Aim at a few thousand events per host and window, enough to reuse a
 * host's cache lines (at a million vCPUs they come from memory, not the
 * L3), but at most 2^24 events, about two seconds, between two looks at a
 * stop request. */
static void adapt_window(struct sim_model *m, uint64_t events)
{
    uint64_t target = 4096 * (uint64_t)m->nhosts;
    if (target < 65536)
        target = 65536;
    if (target > (uint64_t)1 << 24)
        target = (uint64_t)1 << 24;
    if (events < target / 2 && m->window_ns < UINT64_MAX / 4)
        m->window_ns *= 2;
    else if (events > 2 * target && m->window_ns > 1)
        m->window_ns /= 2;
}

/* Charge every running vCPU up to @t and move every core's clock there. */
static void close_books(struct sim_model *m, uint64_t t)
{
    m->now = t;
    for (unsigned hi = 0; hi < m->nhosts; hi++) {
        struct sim_host *h = &m->hosts[hi];
        for (vcpu_pcpu_t p = 0; p < h->npcpus; p++)
            sim_account(h, p, t);
        sim_core_call(m, vcpu_core_advance(h->core, t), "advance");
    }
}

int sim_model_run(struct sim_model *m, uint64_t until_ns,
                  volatile const bool *stop,
                  void (*progress)(void *arg, uint64_t now, uint64_t events),
                  void *arg)
{
    uint64_t until = until_ns ? until_ns : m->scn->duration_ns;
    uint64_t next = next_event_time(m);
    bool stopped = false;
    while (!m->failed && next <= until) {
        uint64_t end = next + (m->window_ns - 1);
        if (end < next || end > until)
            end = until;
        uint64_t e0 = m->events;
        next = run_window(m, end);
        adapt_window(m, m->events - e0);
        if (stop && *stop) {
            stopped = true;
            break;
        }
        if (progress)
            progress(arg, m->now, m->events);
    }
    if (!m->failed)
        close_books(m, stopped ? m->now : until);
    return m->failed ? -1 : 0;
}

const char *sim_model_error(const struct sim_model *m)
{
    return m->err;
}

uint64_t sim_model_now(const struct sim_model *m)
{
    return m->now;
}

uint64_t sim_model_events(const struct sim_model *m)
{
    return m->events;
}

size_t sim_model_queue_bytes(const struct sim_model *m)
{
    size_t b = sim_engine_bytes(m->eng);
    for (unsigned h = 0; h < m->nhosts; h++)
        b += sim_engine_bytes(m->hosts[h].eng);
    return b;
}

const char *sim_model_policy(const struct sim_model *m)
{
    return m->ops->name;
}

struct sim_host *sim_model_host(struct sim_model *m, unsigned h)
{
    return h < m->nhosts ? &m->hosts[h] : NULL;
}

unsigned sim_model_nhosts(const struct sim_model *m)
{
    return m->nhosts;
}

struct sim_vm *sim_model_vm(struct sim_model *m, unsigned i)
{
    return i < m->nvms ? &m->vms[i] : NULL;
}

unsigned sim_model_nvms(const struct sim_model *m)
{
    return m->nvms;
}

void sim_trace_write(struct sim_model *m, struct sim_host *h,
                     const struct vcpu_trace_rec *r)
{
    if (m->nhosts > 1 && h->index != 0)
        return; /* the CSV trace format is per host: host 0's */
    char line[128];
    int n = vcpu_trace_format(r, line, sizeof line);
    if (n > 0)
        fwrite(line, 1, (size_t)n, m->trace);
}
