// SPDX-License-Identifier: LGPL-2.1-or-later
/* The runtime's lifecycle (create, start, stop, destroy), VMs, wake-ups,
 * dynamic heterogeneity requests, policy swap and queries. The scheduling
 * decisions are the core's; this file wires threads and contexts to it. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hwloc.h>
#include <urcu-bp.h>

#include "rt_internal.h"

#define DEFAULT_SLICE_NS 1000000ull
#define DEFAULT_STACK (64u * 1024u)
#define DEFAULT_MAX_VCPUS 65536u

uint64_t vcpu__rt_now(const struct vcpu_rt *rt)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return t - rt->t0;
}

struct rt_vcpu *vcpu__rt_vcpu(struct vcpu_rt *rt, vcpu_id_t v)
{
    struct rt_vcpu **chunk = rt->chunks[v / RT_CHUNK];
    return chunk ? chunk[v % RT_CHUNK] : NULL;
}

/* ---- environment callbacks ---------------------------------------------- */

static void env_kick(void *arg, vcpu_pcpu_t p)
{
    struct vcpu_rt *rt = arg;
    vcpu__worker_kick(&rt->w[p]);
}

static void env_preempt(void *arg, vcpu_pcpu_t p)
{
    struct vcpu_rt *rt = arg;
    atomic_store(&rt->w[p].preempt_req, true);
}

static void env_log(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "libvcpu runtime: %s\n", line);
}

static const struct vcpu_core_env rt_env = {
    .abi = VCPU_CORE_ABI,
    .kick = env_kick,
    .preempt = env_preempt,
    .trace = vcpu__rt_trace,
    .log = env_log,
};

/* ---- wake-up protocol ------------------------------------------------------ */

/* Make @v runnable. If it has not finished blocking yet (its worker has not
 * told the core), leave a note the worker will honour. */
void vcpu__rt_wake(struct rt_vcpu *v)
{
    pthread_mutex_lock(&v->wlock);
    if (v->blocked) {
        v->blocked = false;
        vcpu_core_wake(v->rt->core, vcpu__rt_now(v->rt), v->id);
    } else {
        v->wake_pending = true;
    }
    pthread_mutex_unlock(&v->wlock);
}

/* ---- topology and workers ---------------------------------------------------- */

/* OS CPUs the process may use, in order, restricted by @list if given. */
static int allowed_cpus(const char *list, unsigned **out, unsigned *n)
{
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set)
        return VCPU_ENOMEM;
    int rc = 0;
    if (list) {
        if (hwloc_bitmap_list_sscanf(set, list) < 0 || hwloc_bitmap_iszero(set))
            rc = VCPU_EINVAL;
    } else {
        cpu_set_t cs;
        if (sched_getaffinity(0, sizeof cs, &cs) != 0)
            rc = -errno;
        for (int i = 0; !rc && i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &cs))
                hwloc_bitmap_set(set, (unsigned)i);
    }
    int w = rc ? -1 : hwloc_bitmap_weight(set);
    if (!rc && w <= 0)
        rc = VCPU_ETOPO;
    if (!rc && !(*out = calloc((size_t)w, sizeof **out)))
        rc = VCPU_ENOMEM;
    if (!rc) {
        unsigned k = 0;
        int i;
        hwloc_bitmap_foreach_begin(i, set)(*out)[k++] = (unsigned)i;
        hwloc_bitmap_foreach_end();
        *n = k;
    }
    hwloc_bitmap_free(set);
    return rc;
}

static int load_topology(struct vcpu_rt *rt)
{
    const char *spec = rt->attr.topology;
    int rc = allowed_cpus(rt->attr.cpus, &rt->os_cpus, &rt->nos);
    if (rc)
        return rc;
    if (!spec || !strcmp(spec, "system"))
        return vcpu_topo_load_system(&rt->topo);
    return vcpu_topo_load(spec, &rt->topo);
}

static int init_workers(struct vcpu_rt *rt)
{
    rt->nw = vcpu_topo_npcpus(rt->topo);
    rt->w = calloc(rt->nw, sizeof *rt->w);
    rt->running = calloc(rt->nw, sizeof *rt->running);
    if (!rt->w || !rt->running)
        return VCPU_ENOMEM;
    bool emulated = rt->attr.topology && strcmp(rt->attr.topology, "system");
    size_t ring = rt->attr.trace_records ? rt->attr.trace_records : 65536;
    for (unsigned p = 0; p < rt->nw; p++) {
        struct rt_worker *w = &rt->w[p];
        w->rt = rt;
        w->p = p;
        /* system: the pCPU's own PU if we may use it; emulated: spread
         * round-robin over the CPUs we may use */
        unsigned os = vcpu_topo_os_index(rt->topo, p);
        w->os_cpu = emulated ? rt->os_cpus[p % rt->nos] : os;
        atomic_init(&w->speed, VCPU_SPEED_NOMINAL);
        w->online = true;
        atomic_init(&rt->running[p], VCPU_NONE);
        if ((rt->attr.flags & VCPU_RT_TRACE) && vcpu__ring_init(&w->ring, ring))
            return VCPU_ENOMEM;
    }
    return 0;
}

static int resolve_policy(struct vcpu_rt *rt)
{
    const char *name = rt->attr.policy ? rt->attr.policy : "rr";
    rt->ops = vcpu_policy_find(name);
    if (rt->ops)
        return 0;
    if (!strchr(name, '/') && !strstr(name, ".so"))
        return VCPU_ENOENT;
    int rc = vcpu_policy_open(name, &rt->lib, NULL, 0);
    if (!rc)
        rt->ops = vcpu_policy_lib_ops(rt->lib);
    return rc;
}

static int make_core(struct vcpu_rt *rt)
{
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = rt->topo,
        .ops = rt->ops,
        .policy_args = rt->attr.policy_args,
        .seed = rt->attr.seed,
        .slice_ns = rt->attr.slice_ns,
        .env = &rt_env,
        .env_arg = rt,
        .flags = VCPU_CORE_THREADSAFE |
                 (rt->attr.flags & VCPU_RT_CHECK ? VCPU_CORE_CHECK : 0),
    };
    return vcpu_core_create(&a, &rt->core);
}

static int check_attr(const struct vcpu_rt_attr *a)
{
    if (!a)
        return VCPU_EINVAL;
    if (a->abi != VCPU_RT_ABI)
        return VCPU_EABI;
    if (a->flags & ~(unsigned)(VCPU_RT_PREEMPT_TIMER | VCPU_RT_CHECK |
                               VCPU_RT_TRACE | VCPU_RT_MONITOR))
        return VCPU_EINVAL;
    if (a->max_vcpus > 64 * RT_CHUNK || a->stack_size > (64u << 20))
        return VCPU_EINVAL;
    return 0;
}

int vcpu_rt_create(const struct vcpu_rt_attr *attr, vcpu_rt_t **out)
{
    if (!out)
        return VCPU_EINVAL;
    *out = NULL;
    int rc = check_attr(attr);
    if (rc)
        return rc;
    struct vcpu_rt *rt = calloc(1, sizeof *rt);
    if (!rt)
        return VCPU_ENOMEM;
    rt->attr = *attr; /* its strings are borrowed: used here only */
    if (!rt->attr.slice_ns)
        rt->attr.slice_ns = DEFAULT_SLICE_NS;
    if (!rt->attr.max_vcpus)
        rt->attr.max_vcpus = DEFAULT_MAX_VCPUS;
    rt->t0 = vcpu__rt_now(rt); /* t0 is 0 here: the raw clock */
    pthread_mutex_init(&rt->vlock, NULL);
    pthread_cond_init(&rt->vcond, NULL);
    pthread_mutex_init(&rt->tlock, NULL);
    pthread_condattr_t ca; /* sleep deadlines are CLOCK_MONOTONIC */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&rt->tcond, &ca);
    pthread_condattr_destroy(&ca);
    if (!(rc = load_topology(rt)))
        rc = init_workers(rt);
    if (!rc)
        rc = resolve_policy(rt);
    if (!rc)
        rc = make_core(rt);
    if (!rc)
        rc = vcpu__stack_pool_create(attr->stack_size ? attr->stack_size
                                                      : DEFAULT_STACK,
                                     rt->attr.max_vcpus, -1, &rt->stacks);
    rt->attr.topology = rt->attr.cpus = rt->attr.policy = NULL;
    rt->attr.policy_args = NULL;
    if (rc) {
        vcpu_rt_destroy(rt);
        return rc;
    }
    struct rt_placement *pl = calloc(1, sizeof *pl);
    if (!pl) {
        vcpu_rt_destroy(rt);
        return VCPU_ENOMEM;
    }
    pl->policy = rt->ops->name;
    atomic_store(&rt->placement, pl);
    *out = rt;
    return 0;
}

static int start_threads(struct vcpu_rt *rt)
{
    if (pthread_create(&rt->timer_thread, NULL, vcpu__timer_main, rt))
        return VCPU_EAGAIN;
    for (unsigned p = 0; p < rt->nw; p++) {
        if (pthread_create(&rt->w[p].thread, NULL, vcpu__worker_main,
                           &rt->w[p]))
            return VCPU_EAGAIN;
        rt->w[p].started = true;
    }
    if ((rt->attr.flags & VCPU_RT_MONITOR) &&
        !pthread_create(&rt->monitor_thread, NULL, vcpu__monitor_main, rt))
        rt->monitor_started = true;
    return 0;
}

int vcpu_rt_start(vcpu_rt_t *rt)
{
    if (!rt)
        return VCPU_EINVAL;
    if (rt->started)
        return VCPU_EBUSY;
    if (rt->attr.flags & VCPU_RT_PREEMPT_TIMER) {
        int rc = vcpu__worker_timer_setup(rt);
        if (rc)
            return rc;
    }
    rt->started = true;
    int rc = start_threads(rt);
    if (rc)
        vcpu_rt_stop(rt, true);
    return rc;
}

static void join_threads(struct vcpu_rt *rt)
{
    atomic_store(&rt->stop_now, true);
    for (unsigned p = 0; p < rt->nw; p++)
        vcpu__worker_kick(&rt->w[p]);
    for (unsigned p = 0; p < rt->nw; p++)
        if (rt->w[p].started) {
            pthread_join(rt->w[p].thread, NULL);
            rt->w[p].started = false;
        }
    pthread_mutex_lock(&rt->tlock);
    rt->stopping = true;
    pthread_cond_broadcast(&rt->tcond);
    pthread_mutex_unlock(&rt->tlock);
    pthread_join(rt->timer_thread, NULL);
    if (rt->monitor_started) {
        pthread_join(rt->monitor_thread, NULL);
        rt->monitor_started = false;
    }
}

int vcpu_rt_stop(vcpu_rt_t *rt, bool force)
{
    if (!rt)
        return VCPU_EINVAL;
    if (!rt->started)
        return VCPU_ESTATE;
    if (!force && atomic_load(&rt->alive))
        return VCPU_EBUSY;
    join_threads(rt);
    rt->started = false;
    return 0;
}

static void free_vcpus(struct vcpu_rt *rt)
{
    for (unsigned c = 0; c < 64; c++) {
        if (!rt->chunks[c])
            continue;
        for (unsigned i = 0; i < RT_CHUNK; i++) {
            struct rt_vcpu *v = rt->chunks[c][i];
            if (!v)
                continue;
            vcpu__ctx_fini(&v->ctx);
            pthread_mutex_destroy(&v->wlock);
            free(v);
        }
        free(rt->chunks[c]);
    }
}

void vcpu_rt_destroy(vcpu_rt_t *rt)
{
    if (!rt)
        return;
    if (rt->started)
        vcpu_rt_stop(rt, true);
    free_vcpus(rt);
    vcpu__stack_pool_destroy(rt->stacks);
    vcpu_core_destroy(rt->core);
    for (unsigned p = 0; rt->w && p < rt->nw; p++) {
        if (rt->w[p].has_timer)
            timer_delete(rt->w[p].timer);
        vcpu__ring_fini(&rt->w[p].ring);
    }
    free(rt->w);
    free((void *)rt->running);
    free(rt->os_cpus);
    free(rt->vms);
    free(rt->sleepers);
    free(atomic_load(&rt->placement));
    vcpu_policy_close(rt->lib);
    vcpu_policy_close(rt->old_lib);
    vcpu_topo_unref(rt->topo);
    pthread_mutex_destroy(&rt->vlock);
    pthread_cond_destroy(&rt->vcond);
    pthread_mutex_destroy(&rt->tlock);
    pthread_cond_destroy(&rt->tcond);
    free(rt);
}

vcpu_core_t *vcpu_rt_core(vcpu_rt_t *rt)
{
    return rt ? rt->core : NULL;
}

unsigned vcpu_rt_npcpus(const vcpu_rt_t *rt)
{
    return rt ? rt->nw : 0;
}

/* ---- VMs ----------------------------------------------------------------- */

static int vm_slot(struct vcpu_rt *rt, vcpu_vm_t vm)
{
    if (vm >= rt->nvms_cap) {
        unsigned cap = rt->nvms_cap ? rt->nvms_cap : 16;
        while (cap <= vm)
            cap *= 2;
        struct rt_vm *t = realloc(rt->vms, cap * sizeof *t);
        if (!t)
            return VCPU_ENOMEM;
        memset(t + rt->nvms_cap, 0, (cap - rt->nvms_cap) * sizeof *t);
        rt->vms = t;
        rt->nvms_cap = cap;
    }
    rt->vms[vm].used = true;
    return 0;
}

static int new_vcpu(struct vcpu_rt *rt, vcpu_vm_t vm, unsigned index,
                    vcpu_entry_fn entry, void *arg)
{
    struct rt_vcpu *v = calloc(1, sizeof *v);
    if (!v)
        return VCPU_ENOMEM;
    int rc = vcpu__stack_get(rt->stacks, &v->stack);
    if (rc) {
        free(v);
        return rc;
    }
    v->rt = rt;
    v->vm = vm;
    v->index = index;
    v->entry = entry;
    v->arg = arg;
    pthread_mutex_init(&v->wlock, NULL);
    vcpu__ctx_make(&v->ctx, v->stack, vcpu__stack_pool_stack_size(rt->stacks),
                   vcpu__guest_entry, v);
    rc = vcpu_core_vcpu_add(rt->core, vcpu__rt_now(rt), vm, &v->id);
    unsigned c = v->id / RT_CHUNK;
    if (!rc && c >= 64)
        rc = VCPU_ENOSPC;
    if (!rc && !rt->chunks[c] &&
        !(rt->chunks[c] = calloc(RT_CHUNK, sizeof *rt->chunks[c])))
        rc = VCPU_ENOMEM;
    if (rc) {
        vcpu__ctx_fini(&v->ctx);
        vcpu__stack_put(rt->stacks, v->stack);
        pthread_mutex_destroy(&v->wlock);
        free(v);
        return rc;
    }
    rt->chunks[c][v->id % RT_CHUNK] = v;
    return 0;
}

static int vm_create(vcpu_rt_t *rt, unsigned nvcpus, vcpu_entry_fn entry,
                     void *arg, const struct vcpu_vm_attr *attr, vcpu_vm_t *out)
{
    if (out)
        *out = VCPU_NONE;
    if (!rt || !nvcpus || !entry || !out)
        return VCPU_EINVAL;
    if (atomic_load(&rt->alive) + nvcpus > rt->attr.max_vcpus)
        return VCPU_ENOSPC;
    struct vcpu_vm_attr a = attr ? *attr : (struct vcpu_vm_attr){0};
    a.abi = VCPU_CORE_ABI;
    a.nvcpus_hint = nvcpus;
    pthread_mutex_lock(&rt->vlock);
    vcpu_vm_t vm;
    int rc = vcpu_core_vm_add(rt->core, vcpu__rt_now(rt), &a, &vm);
    if (!rc)
        rc = vm_slot(rt, vm);
    vcpu_id_t first = VCPU_NONE;
    for (unsigned i = 0; !rc && i < nvcpus; i++) {
        rc = new_vcpu(rt, vm, i, entry, arg);
        if (!rc && i == 0)
            first = vcpu_core_nvcpus(rt->core) - 1;
    }
    if (rc) { /* nothing ran: undo what was made */
        for (vcpu_id_t v = first;
             v != VCPU_NONE && v < vcpu_core_nvcpus(rt->core); v++)
            vcpu_core_exit(rt->core, vcpu__rt_now(rt), v);
        pthread_mutex_unlock(&rt->vlock);
        return rc;
    }
    rt->vms[vm].alive = nvcpus;
    atomic_fetch_add(&rt->alive, nvcpus);
    pthread_mutex_unlock(&rt->vlock);
    for (unsigned i = 0; i < nvcpus; i++)
        vcpu_core_wake(rt->core, vcpu__rt_now(rt), first + i);
    *out = vm;
    return 0;
}

/* From a vCPU in timer mode, a preemption while this holds the core's lock
 * would deadlock its worker: preemption is off meanwhile (a no-op outside
 * vCPUs). The same holds for the other calls below that take locks. */
int vcpu_rt_vm_create(vcpu_rt_t *rt, unsigned nvcpus, vcpu_entry_fn entry,
                      void *arg, const struct vcpu_vm_attr *attr,
                      vcpu_vm_t *out)
{
    vcpu_preempt_disable();
    int rc = vm_create(rt, nvcpus, entry, arg, attr, out);
    vcpu_preempt_enable();
    return rc;
}

/* Called by the worker that ran @v's exit. */
void vcpu__rt_vcpu_done(struct rt_vcpu *v)
{
    struct vcpu_rt *rt = v->rt;
    pthread_mutex_lock(&rt->vlock);
    if (--rt->vms[v->vm].alive == 0) {
        vcpu_core_vm_remove(rt->core, vcpu__rt_now(rt), v->vm);
        pthread_cond_broadcast(&rt->vcond);
    }
    atomic_fetch_sub(&rt->alive, 1);
    pthread_mutex_unlock(&rt->vlock);
}

int vcpu_rt_vm_join(vcpu_rt_t *rt, vcpu_vm_t vm)
{
    if (!rt)
        return VCPU_EINVAL;
    struct rt_vcpu *self = vcpu__self();
    if (self && self->vm == vm)
        return VCPU_EDEADLK;
    pthread_mutex_lock(&rt->vlock);
    if (vm >= rt->nvms_cap || !rt->vms[vm].used) {
        pthread_mutex_unlock(&rt->vlock);
        return VCPU_ESRCH;
    }
    while (rt->vms[vm].alive)
        pthread_cond_wait(&rt->vcond, &rt->vlock);
    pthread_mutex_unlock(&rt->vlock);
    return 0;
}

/* ---- heterogeneity --------------------------------------------------------- */

int vcpu_rt_pcpu_set_online(vcpu_rt_t *rt, vcpu_pcpu_t p, bool online)
{
    if (!rt)
        return VCPU_EINVAL;
    if (p >= rt->nw)
        return VCPU_ESRCH;
    if (!rt->started)
        return VCPU_ESTATE;
    struct rt_worker *w = &rt->w[p];
    atomic_store(&w->want, online ? WANT_ONLINE : WANT_OFFLINE);
    atomic_store(&w->preempt_req, true); /* leave the vCPU at its next point */
    vcpu__worker_kick(w);
    return 0;
}

int vcpu_rt_pcpu_set_speed(vcpu_rt_t *rt, vcpu_pcpu_t p, uint32_t speed)
{
    if (!rt)
        return VCPU_EINVAL;
    if (p >= rt->nw)
        return VCPU_ESRCH;
    if (speed < 1 || speed > VCPU_SPEED_NOMINAL)
        return VCPU_ERANGE;
    atomic_store(&rt->w[p].speed, speed);
    vcpu_preempt_disable();
    int rc = vcpu_core_pcpu_set_speed(rt->core, vcpu__rt_now(rt), p, speed);
    vcpu_preempt_enable();
    return rc;
}

int vcpu_rt_set_monitor(vcpu_rt_t *rt, vcpu_rt_event_fn fn, void *arg)
{
    if (!rt)
        return VCPU_EINVAL;
    if (rt->started)
        return VCPU_EBUSY;
    rt->monitor_fn = fn;
    rt->monitor_arg = arg;
    return 0;
}

/* ---- policy swap and observation ------------------------------------------ */

static int open_policy(const char *name, const struct vcpu_policy_ops **ops,
                       vcpu_policy_lib_t **lib)
{
    *lib = NULL;
    *ops = vcpu_policy_find(name);
    if (*ops)
        return 0;
    if (!strchr(name, '/') && !strstr(name, ".so"))
        return VCPU_ENOENT;
    int rc = vcpu_policy_open(name, lib, NULL, 0);
    if (!rc)
        *ops = vcpu_policy_lib_ops(*lib);
    return rc;
}

int vcpu_rt_set_policy(vcpu_rt_t *rt, const char *policy, const char *args)
{
    if (!rt || !policy)
        return VCPU_EINVAL;
    if (vcpu__self())
        return VCPU_EPERM;
    const struct vcpu_policy_ops *ops;
    vcpu_policy_lib_t *lib;
    int rc = open_policy(policy, &ops, &lib);
    if (rc)
        return rc;
    rc = vcpu_core_set_policy(rt->core, vcpu__rt_now(rt), ops, args);
    if (rc) {
        vcpu_policy_close(lib);
        return rc;
    }
    struct rt_placement *pl = calloc(1, sizeof *pl);
    if (!pl)
        return VCPU_ENOMEM;
    struct rt_placement *old = atomic_load(&rt->placement);
    pl->policy = ops->name;
    pl->generation = old->generation + 1;
    rcu_assign_pointer(rt->placement, pl);
    /* readers may still hold the old name, which lives in the old policy's
     * table: free and unload only after a grace period */
    synchronize_rcu();
    free(old);
    vcpu_policy_close(rt->old_lib);
    rt->old_lib = rt->lib;
    rt->lib = lib;
    return 0;
}

unsigned vcpu_rt_snapshot(vcpu_rt_t *rt, vcpu_id_t *out, unsigned n)
{
    if (!rt || !out)
        return 0;
    unsigned k = n < rt->nw ? n : rt->nw;
    for (unsigned p = 0; p < k; p++)
        out[p] = atomic_load_explicit(&rt->running[p], memory_order_acquire);
    return k;
}

int vcpu_rt_vcpu_stats(vcpu_rt_t *rt, vcpu_id_t v, struct vcpu_vcpu_stats *out)
{
    if (!rt)
        return VCPU_EINVAL;
    vcpu_preempt_disable();
    vcpu_core_advance(rt->core, vcpu__rt_now(rt));
    int rc = vcpu_core_vcpu_stats(rt->core, v, out);
    vcpu_preempt_enable();
    return rc;
}

int vcpu_rt_pcpu_stats(vcpu_rt_t *rt, vcpu_pcpu_t p,
                       struct vcpu_pcpu_stats *out)
{
    if (!rt)
        return VCPU_EINVAL;
    vcpu_preempt_disable();
    vcpu_core_advance(rt->core, vcpu__rt_now(rt));
    int rc = vcpu_core_pcpu_stats(rt->core, p, out);
    vcpu_preempt_enable();
    return rc;
}
