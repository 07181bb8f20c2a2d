// SPDX-License-Identifier: LGPL-2.1-or-later
/* The runtime's lifecycle (create, start, stop, destroy), VMs, wake-ups,
 * dynamic heterogeneity requests, policy swap and queries. The scheduling
 * decisions are the core's; this file wires threads and contexts to it. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hwloc.h>
#include <urcu-bp.h>

#include "core/core_batch.h"
#include "mutex_spin.h"
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

/* ---- the workers' clock (vcpu__worker_now) ------------------------------ */

/* The TSC only where the kernel itself keeps time with it (so it is
 * constant-rate and synchronised across CPUs); VCPU_RT_CLOCK=monotonic
 * turns it off. */
static bool tsc_usable(void)
{
#if defined(__x86_64__)
    const char *e = getenv("VCPU_RT_CLOCK");
    if (e && !strcmp(e, "monotonic"))
        return false;
    FILE *f = fopen(
        "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        "r");
    if (!f)
        return false;
    char buf[16] = "";
    bool ok = fgets(buf, sizeof buf, f) && !strcmp(buf, "tsc\n");
    fclose(f);
    return ok;
#else
    return false;
#endif
}

/* A (time, TSC) pair: the TSC read between two clock reads, the closest
 * pair of five. */
static void clock_pair(const struct vcpu_rt *rt, uint64_t *ns, uint64_t *tsc)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t a = vcpu__rt_now(rt), t = vcpu__tsc(), b = vcpu__rt_now(rt);
        if (b - a < best) {
            best = b - a;
            *ns = a + (b - a) / 2;
            *tsc = t;
        }
    }
}

/* ns per tick, 32.32 fixed point; 0 outside 0.01-100 GHz. */
static uint64_t mult_of(uint64_t ns, uint64_t ticks)
{
    if (!ticks || ns > ticks * 100 || ticks > ns * 100)
        return 0;
    return (uint64_t)(((unsigned __int128)ns << 32) / ticks);
}

/* A first factor from 200 us of both clocks (the workers refine it). */
static uint64_t tsc_calibrate(const struct vcpu_rt *rt)
{
    if (!tsc_usable())
        return 0;
    uint64_t n0 = 0, t0 = 0, n1 = 0, t1 = 0;
    clock_pair(rt, &n0, &t0);
    do
        clock_pair(rt, &n1, &t1);
    while (n1 - n0 < 200000);
    return t1 > t0 ? mult_of(n1 - n0, t1 - t0) : 0;
}

/* The ticks of RT_CLK_RESYNC_NS at @k's factor: a read that many ticks
 * past the anchor resyncs (so d * mult stays below 2^64). */
static void clock_span(struct rt_wclock *k)
{
    k->span = k->mult ? ((uint64_t)RT_CLK_RESYNC_NS << 32) / k->mult : 0;
}

void vcpu__worker_clock_init(struct rt_worker *w)
{
    struct rt_wclock *k = &w->clk;
    k->tsc = w->rt->tsc_mult != 0;
    k->mult = w->rt->tsc_mult;
    clock_span(k);
    clock_pair(w->rt, &k->ns_first, &k->tsc_first);
    k->ns_at = k->last = k->ns_first;
    k->tsc_at = k->tsc_first;
}

/* A new anchor; past 100 ms of history, a factor from all of it. */
uint64_t vcpu__worker_clock_resync(struct rt_worker *w, uint64_t tsc)
{
    struct rt_wclock *k = &w->clk;
    uint64_t ns = vcpu__rt_now(w->rt);
    if (tsc > k->tsc_first && ns - k->ns_first >= 100000000) {
        uint64_t m = mult_of(ns - k->ns_first, tsc - k->tsc_first);
        if (m) {
            k->mult = m;
            clock_span(k);
        }
    }
    k->tsc_at = tsc;
    k->ns_at = ns;
    if (ns < k->last)
        ns = k->last;
    k->last = ns;
    return ns;
}

/* vCPUs made and not exited. The exits are summed first: a vCPU counted
 * there was made before, so the answer never falls below the truth (a
 * joiner that saw its VM done sees its exits: vcpu__rt_vcpu_done). */
uint64_t vcpu__rt_alive(struct vcpu_rt *rt)
{
    uint64_t gone = 0;
    for (unsigned p = 0; p < rt->nw; p++)
        gone += atomic_load(&rt->w[p].exited);
    return atomic_load(&rt->made) - gone;
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

/*
 * Make @v runnable. v->wstate is BLOCKED only once its worker has told the
 * core that @v blocked; the waker that moves it back to NONE (one CAS wins)
 * tells the core @v woke. Otherwise @v is running or on its way to block:
 * leave a note (PENDING) its worker honours when it blocks (worker.c,
 * finish_block), or that makes its next block return at once (a spurious
 * wake-up: blocking primitives re-check their condition).
 *
 * @v may be stale: a waker that popped it from a wait queue can lose a
 * race with a spurious wake-up, and @v exit and its object be reused. That
 * stays a spurious wake-up of the new vCPU: v->rt never changes, wstate is
 * atomic, and v->id is read only after a CAS that found the vCPU BLOCKED,
 * which it cannot leave (nor exit) before this wakes it.
 */
void vcpu__rt_wake(struct rt_vcpu *v)
{
    int s = atomic_load(&v->wstate);
    for (;;) {
        if (s == WS_PENDING)
            return;
        int to = s == WS_BLOCKED ? WS_NONE : WS_PENDING;
        if (atomic_compare_exchange_weak(&v->wstate, &s, to))
            break;
    }
    if (s == WS_BLOCKED)
        vcpu_core_wake(v->rt->core, vcpu__rt_now(v->rt), v->id);
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
        w->running = &rt->running[p];
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
    /* Without a trace ring, no trace callback: the core builds no record
     * (the workers keep the placement map themselves). */
    struct vcpu_core_env env = rt_env;
    if (!(rt->attr.flags & VCPU_RT_TRACE))
        env.trace = NULL;
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = rt->topo,
        .ops = rt->ops,
        .policy_args = rt->attr.policy_args,
        .seed = rt->attr.seed,
        .slice_ns = rt->attr.slice_ns,
        .env = &env,
        .env_arg = rt,
        /* a joined VM's ids serve again: memory stays warm, and the table
         * bounds the vCPUs alive, not those ever made */
        .flags = VCPU_CORE_THREADSAFE | VCPU_CORE_RECYCLE |
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
    rt->tsc_mult = tsc_calibrate(rt);
    pthread_mutex_init(&rt->vlock, NULL);
    pthread_mutex_init(&rt->flock, NULL);
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
    if (rc) {
        vcpu_rt_stop(rt, true);
        return rc;
    }
    pthread_mutex_lock(&rt->vlock);
    rt->up = true;
    pthread_mutex_unlock(&rt->vlock);
    return 0;
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
    if (!force && vcpu__rt_alive(rt))
        return VCPU_EBUSY;
    join_threads(rt);
    rt->started = false;
    /* a join waiting for a VM that can no longer finish returns */
    pthread_mutex_lock(&rt->vlock);
    rt->up = false;
    pthread_cond_broadcast(&rt->vcond);
    pthread_mutex_unlock(&rt->vlock);
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
            free(v);
        }
        free(rt->chunks[c]);
    }
    /* exited ones: their contexts are finished; the pool unmaps stacks */
    for (struct rt_vcpu *v = rt->free_vcpus, *n; v; v = n) {
        n = v->fnext;
        free(v);
    }
    for (unsigned p = 0; rt->w && p < rt->nw; p++)
        for (struct rt_vcpu *v = rt->w[p].stash, *n; v; v = n) {
            n = v->fnext;
            free(v);
        }
    for (unsigned vm = 0; vm < rt->nvms_cap; vm++)
        free(rt->vms[vm]);
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
    pthread_mutex_destroy(&rt->flock);
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

static int vm_slot(struct vcpu_rt *rt, vcpu_vm_t vm, struct rt_vm **out)
{
    if (vm >= rt->nvms_cap) {
        unsigned cap = rt->nvms_cap ? rt->nvms_cap : 16;
        while (cap <= vm)
            cap *= 2;
        struct rt_vm **t = realloc(rt->vms, cap * sizeof *t);
        if (!t)
            return VCPU_ENOMEM;
        memset(t + rt->nvms_cap, 0, (cap - rt->nvms_cap) * sizeof *t);
        rt->vms = t;
        rt->nvms_cap = cap;
    }
    if ((*out = rt->vms[vm])) { /* a released id, reused by the core */
        (*out)->done = (*out)->released = (*out)->detached = false;
        (*out)->gen++;
        return 0;
    }
    if (!(*out = calloc(1, sizeof **out)))
        return VCPU_ENOMEM;
    rt->vms[vm] = *out;
    return 0;
}

/* Give a list (through fnext) of vCPU objects, contexts finished, back for
 * reuse; each keeps its stack. */
static void objs_give(struct vcpu_rt *rt, struct rt_vcpu *head)
{
    if (!head)
        return;
    struct rt_vcpu *last = head;
    while (last->fnext)
        last = last->fnext;
    vcpu__mutex_lock(&rt->flock);
    last->fnext = rt->free_vcpus;
    rt->free_vcpus = head;
    pthread_mutex_unlock(&rt->flock);
}

/* Move up to @n objects from the list @from to **@tail; return how many. */
static unsigned list_take(struct rt_vcpu **from, unsigned n,
                          struct rt_vcpu ***tail)
{
    unsigned k = 0;
    for (; k < n && *from; k++) {
        **tail = *from;
        *from = (*from)->fnext;
        *tail = &(**tail)->fnext;
    }
    return k;
}

/* A worker's stash holds at most this many; past it, half goes back to
 * the shared list (a thread that makes VMs draws from there). */
#define STASH_MAX 256u

/* @n vCPU objects with stacks, as a list through fnext: reused ones first
 * (warm, and no allocation): the stash of the worker we run on (a vCPU
 * making a VM; preemption is off, so it stays there), the shared list,
 * then new ones. */
static int objs_take(struct vcpu_rt *rt, unsigned n, struct rt_vcpu **out)
{
    struct rt_vcpu *head = NULL, **tail = &head;
    unsigned k = 0;
    struct rt_worker *w = vcpu__tls_worker;
    if (w && w->rt == rt) {
        k = list_take(&w->stash, n, &tail);
        w->nstash -= k;
    }
    if (k < n) {
        vcpu__mutex_lock(&rt->flock);
        k += list_take(&rt->free_vcpus, n - k, &tail);
        pthread_mutex_unlock(&rt->flock);
    }
    int rc = 0;
    for (; k < n && !rc; k++) {
        struct rt_vcpu *v = calloc(1, sizeof *v);
        if (!v || (rc = vcpu__stack_get(rt->stacks, &v->stack))) {
            free(v);
            rc = rc ? rc : VCPU_ENOMEM;
            break;
        }
        v->rt = rt; /* for good: a stale waker may read it (vcpu__rt_wake) */
        *tail = v;
        tail = &v->fnext;
    }
    *tail = NULL;
    if (rc) {
        objs_give(rt, head);
        head = NULL;
    }
    *out = head;
    return rc;
}

/* Room in the vCPU table for ids @lo .. @hi. */
static int table_room(struct vcpu_rt *rt, vcpu_id_t lo, vcpu_id_t hi)
{
    for (unsigned c = lo / RT_CHUNK; c <= hi / RT_CHUNK; c++) {
        if (c >= 64)
            return VCPU_ENOSPC;
        if (!rt->chunks[c] &&
            !(rt->chunks[c] = calloc(RT_CHUNK, sizeof *rt->chunks[c])))
            return VCPU_ENOMEM;
    }
    return 0;
}

static void vcpu_init(struct rt_vcpu *v, vcpu_id_t id, vcpu_vm_t vm,
                      struct rt_vm *vmp, unsigned index, vcpu_entry_fn entry,
                      void *arg)
{
    struct vcpu_rt *rt = v->rt;
    v->id = id;
    v->vm = vm;
    v->vmp = vmp;
    v->index = index;
    v->entry = entry;
    v->arg = arg;
    atomic_store_explicit(&v->worker, NULL, memory_order_relaxed);
    v->action = ACT_NONE;
    atomic_store_explicit(&v->on_cpu, false, memory_order_relaxed);
    /* a stale waker may CAS it; the core's lock (wake) publishes it */
    atomic_store_explicit(&v->wstate, WS_NONE, memory_order_release);
    v->preempt_off = 0;
    v->wnext = NULL;
    v->queued = false;
    v->fnext = NULL;
    vcpu__ctx_make(&v->ctx, v->stack, vcpu__stack_pool_stack_size(rt->stacks),
                   vcpu__guest_entry, v);
    rt->chunks[id / RT_CHUNK][id % RT_CHUNK] = v;
}

/* The VM, its vCPUs in the core and their objects, under rt.vlock: one
 * core call for the VM, one for all its vCPUs. On failure nothing runs:
 * what the core made is exited again. */
static int vm_make(struct vcpu_rt *rt, const struct vcpu_vm_attr *a, unsigned n,
                   uint64_t now, vcpu_vm_t *vm, vcpu_id_t *ids,
                   struct rt_vm **out)
{
    struct rt_vm *vmp = NULL;
    int rc = vcpu_core_vm_add(rt->core, now, a, vm);
    if (!rc)
        rc = vm_slot(rt, *vm, &vmp);
    if (!rc)
        rc = vcpu__core_vcpu_add_n(rt->core, now, *vm, n, ids);
    if (!rc && (rc = table_room(rt, ids[0], ids[n - 1]))) /* ascending */
        for (unsigned i = 0; i < n; i++)
            vcpu_core_exit(rt->core, now, ids[i]);
    if (rc) {
        if (vmp) /* joiners do not wait for vCPUs that never ran */
            vmp->done = true;
        return rc;
    }
    *out = vmp;
    return 0;
}

static int vm_create(vcpu_rt_t *rt, unsigned nvcpus, vcpu_entry_fn entry,
                     void *arg, const struct vcpu_vm_attr *attr, vcpu_vm_t *out)
{
    if (out)
        *out = VCPU_NONE;
    if (!rt || !nvcpus || !entry || !out)
        return VCPU_EINVAL;
    if (vcpu__rt_alive(rt) + nvcpus > rt->attr.max_vcpus)
        return VCPU_ENOSPC;
    struct vcpu_vm_attr a = attr ? *attr : (struct vcpu_vm_attr){0};
    a.abi = VCPU_CORE_ABI;
    a.nvcpus_hint = nvcpus;
    vcpu_id_t small[64];
    vcpu_id_t *ids = nvcpus <= 64 ? small : malloc(nvcpus * sizeof *ids);
    if (!ids)
        return VCPU_ENOMEM;
    struct rt_vcpu *objs;
    int rc = objs_take(rt, nvcpus, &objs);
    if (rc)
        goto out;
    uint64_t now = vcpu__rt_now(rt);
    vcpu_vm_t vm = VCPU_NONE;
    struct rt_vm *vmp = NULL;
    pthread_mutex_lock(&rt->vlock);
    rc = vm_make(rt, &a, nvcpus, now, &vm, ids, &vmp);
    if (rc) {
        pthread_mutex_unlock(&rt->vlock);
        objs_give(rt, objs);
        goto out;
    }
    unsigned i = 0;
    for (struct rt_vcpu *v = objs, *next; v; v = next, i++) {
        next = v->fnext;
        vcpu_init(v, ids[i], vm, vmp, i, entry, arg);
    }
    atomic_fetch_add(&rt->made, nvcpus);
    pthread_mutex_unlock(&rt->vlock);
    vcpu__core_wake_n(rt->core, now, ids, nvcpus);
    *out = vm;
out:
    if (ids != small)
        free(ids);
    return rc;
}

int vcpu_rt_vm_create(vcpu_rt_t *rt, unsigned nvcpus, vcpu_entry_fn entry,
                      void *arg, const struct vcpu_vm_attr *attr,
                      vcpu_vm_t *out)
{
    vcpu_preempt_disable();
    int rc = vm_create(rt, nvcpus, entry, arg, attr, out);
    vcpu_preempt_enable();
    return rc;
}

/* Under rt.vlock: VM @vm's object, if the id is still its own (neither
 * joined nor detached), else NULL. */
static struct rt_vm *vm_held(struct vcpu_rt *rt, vcpu_vm_t vm)
{
    struct rt_vm *vmp = vm < rt->nvms_cap ? rt->vms[vm] : NULL;
    return vmp && !vmp->released && !vmp->detached ? vmp : NULL;
}

/* Under rt.vlock: give finished VM @vm's id back to the core for reuse.
 * False if the core keeps it (a VM whose making failed may still be live
 * there). */
static bool give_back(struct vcpu_rt *rt, struct rt_vm *vmp, vcpu_vm_t vm)
{
    if (vcpu__core_vm_release(rt->core, vm))
        return false;
    vmp->released = true;
    return true;
}

/* Called by the worker that ran @v's exit, once the core knows and @v's
 * context is finished: @v's object goes back for reuse. The VM's last
 * vCPU (@last: the core said so) removes it and wakes the joiners; the
 * runtime's count dropped before they can look (finish_exit in worker.c,
 * and vcpu_rt_stop after join). */
void vcpu__rt_vcpu_done(struct rt_worker *w, struct rt_vcpu *v, uint64_t now,
                        bool last)
{
    struct vcpu_rt *rt = v->rt;
    struct rt_vm *vmp = v->vmp;
    vcpu_vm_t vm = v->vm;
    v->fnext = w->stash;
    w->stash = v;
    if (++w->nstash > STASH_MAX) {
        struct rt_vcpu *cut = w->stash;
        for (unsigned i = 1; i < STASH_MAX / 2; i++)
            cut = cut->fnext;
        objs_give(rt, cut->fnext);
        cut->fnext = NULL;
        w->nstash = STASH_MAX / 2;
    }
    if (!last)
        return;
    vcpu__mutex_lock(&rt->vlock);
    vcpu_core_vm_remove(rt->core, now, vm);
    vmp->done = true;
    if (vmp->detached)
        give_back(rt, vmp, vm);
    pthread_cond_broadcast(&rt->vcond);
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
    struct rt_vm *vmp = vm_held(rt, vm);
    if (!vmp) {
        pthread_mutex_unlock(&rt->vlock);
        return VCPU_ESRCH;
    }
    unsigned gen = vmp->gen;
    int rc = 0;
    while (!vmp->done && vmp->gen == gen && !rc) {
        if (!rt->up)
            rc = VCPU_ESTATE; /* nothing would ever run it */
        else
            pthread_cond_wait(&rt->vcond, &rt->vlock);
    }
    /* the first join of a finished VM gives its id back */
    if (!rc && vmp->gen == gen && !vmp->released)
        give_back(rt, vmp, vm);
    pthread_mutex_unlock(&rt->vlock);
    return rc;
}

int vcpu_rt_vm_detach(vcpu_rt_t *rt, vcpu_vm_t vm)
{
    if (!rt)
        return VCPU_EINVAL;
    int rc = 0;
    vcpu__mutex_lock(&rt->vlock);
    struct rt_vm *vmp = vm_held(rt, vm);
    if (!vmp)
        rc = VCPU_ESRCH;
    else if (!vmp->done || !give_back(rt, vmp, vm))
        vmp->detached = true; /* its last exit gives the id back */
    pthread_mutex_unlock(&rt->vlock);
    return rc;
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
