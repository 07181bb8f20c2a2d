/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private layout of the runtime (rt.c, worker.c, guest.c, sync.c,
 * monitor.c, rt_trace.c). Nothing here is API.
 *
 * Synchronisation table (who may touch what):
 *   core            any thread, through vcpu_core_* (the core's own lock,
 *                   VCPU_CORE_THREADSAFE); env callbacks run under it
 *   rt_vcpu.ctx     the worker running it, or the one that picked it:
 *                   on_cpu (release/acquire) orders the hand-over, since
 *                   a direct yield makes a vCPU RUNNABLE before its
 *                   context is saved (worker.c, wait_saved)
 *   rt_vcpu.wstate  atomic (CAS): the wake-up protocol (rt.c)
 *   rt_worker.want, speed, preempt_req   atomics, any thread
 *   rt_worker.curr  its worker; other threads read it only as a hint
 *   vcpus table     chunk pointers preallocated; a slot is written before
 *                   the vCPU is first woken (core lock orders it), and
 *                   cleared by the worker that runs its exit before it
 *                   tells the core (the core may then give the id to a
 *                   new vCPU once the VM is removed: VCPU_CORE_RECYCLE)
 *   free vCPUs      rt.flock (exited rt_vcpus, with their stacks, reused);
 *                   a worker's own stash: that worker's thread only (its
 *                   scheduler, or a vCPU on it making a VM)
 *   vms table       rt.vlock; an rt_vm itself stays put (its vCPUs point
 *                   to it); its last exit (the core counts) removes it
 *                   under rt.vlock
 *   sleepers heap   rt.tlock
 *   trace rings     written only under the core's lock (env.trace)
 *   placement       RCU (urcu-bp): readers lock-free from any thread
 */
#ifndef VCPU_RT_INTERNAL_H
#define VCPU_RT_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include <vcpu/rt.h>

#include "ctx.h"
#include "mutex_spin.h" /* VCPU__TLS */
#include "stack.h"

/* Code a vCPU runs inside the runtime (guest.c, sync.c). The timer handler
 * never preempts it: a preemption there could resume on another worker
 * with the first worker's thread-local address still in a register. The
 * linker makes __start_/__stop_ symbols for the section. */
#define VCPU__GUEST_TEXT __attribute__((section("vcpu_guest_text")))
extern const char __start_vcpu_guest_text[]
    __attribute__((visibility("hidden")));
extern const char __stop_vcpu_guest_text[]
    __attribute__((visibility("hidden")));

enum rt_action {
    ACT_NONE = 0,
    ACT_YIELD,
    ACT_BLOCK,
    ACT_EXIT,
    ACT_PREEMPT,
    ACT_STOPPED, /* a direct yield stopped it and found nothing to run */
};

struct rt_worker;
struct rt_vm;

/* rt_vcpu.wstate: where a vCPU stands in the wake-up protocol (rt.c). */
enum { WS_NONE = 0, WS_PENDING, WS_BLOCKED };

struct rt_vcpu {
    struct vcpu__ctx ctx;
    void *stack;
    struct vcpu_rt *rt;
    vcpu_id_t id;
    vcpu_vm_t vm;
    struct rt_vm *vmp;
    unsigned index;
    vcpu_entry_fn entry;
    void *arg;
    struct rt_worker *_Atomic worker; /* where it runs (or last ran) */
    int action;                       /* why it switched out */
    _Atomic int wstate;               /* WS_*: a wake-up may be pending */
    int preempt_off;                  /* vcpu_preempt_disable depth */
    struct rt_vcpu *wnext;            /* wait-queue link (mutex, cond) */
    bool queued;                      /* on a wait queue */
    struct rt_vcpu *fnext;            /* free list link, once exited */
    /* runs, or its context is not saved yet: set by the worker that
     * switches to it, cleared (release) by the next context on that
     * worker (vcpu__worker_finish) */
    _Atomic bool on_cpu;
};

struct rt_ring {
    struct vcpu_trace_rec *rec;
    uint64_t *seq;
    size_t cap, head, n;
    uint64_t dropped;
};

/* A worker's clock (vcpu__worker_now): the TSC, scaled, anchored to
 * CLOCK_MONOTONIC every RT_CLK_RESYNC_NS; without a usable TSC the
 * monotonic clock itself (tsc false). */
struct rt_wclock {
    bool tsc;
    uint64_t mult;                /* ns per tick, 32.32 fixed point */
    uint64_t span;                /* ticks in RT_CLK_RESYNC_NS at mult */
    uint64_t tsc_at, ns_at;       /* the last anchor */
    uint64_t tsc_first, ns_first; /* the first: refines mult */
    uint64_t last;                /* last value returned: never goes back */
};

#define RT_CLK_RESYNC_NS 1000000u

struct rt_worker {
    struct vcpu_rt *rt;
    vcpu_pcpu_t p;
    unsigned os_cpu;
    pthread_t thread;
    pid_t tid;
    bool started;
    struct vcpu__ctx sched; /* the worker's own context */
    struct rt_vcpu *curr;
    _Atomic vcpu_id_t *running; /* its slot of rt->running (placement map) */
    struct rt_vcpu *prev;       /* the vCPU this thread switched away from */
    uint64_t run_start;         /* when curr started (busy_wall_ns) */
    uint64_t stopped_at;        /* ACT_STOPPED: the time of the stop */
    struct rt_vcpu *gone;       /* exited straight into the next context */
    bool gone_last;             /* ... its VM's last vCPU (the core said) */
    uint64_t gone_at;           /* ... the time of its exit */
    _Atomic uint32_t wake_word; /* futex: bumped by kicks */
    _Atomic bool sleeping;      /* in FUTEX_WAIT on wake_word (or about to) */
    _Atomic bool preempt_req;   /* the core asked to preempt */
    _Atomic int want;           /* WANT_*: online/offline requests */
    _Atomic uint32_t speed;     /* thousandths; duty cycling */
    _Atomic bool in_vcpu;       /* a vCPU runs (signal handler test) */
    bool sig_preempted;         /* switched out from the handler */
    bool online;                /* as the worker last told the core */
    _Atomic uint64_t slice_end; /* read by its vCPUs' preempt points */
    timer_t timer;
    bool has_timer;
    struct rt_ring ring;
    struct rt_vcpu *stash; /* exited here, reusable without rt.flock */
    unsigned nstash;
    /* steal accounting (monitor) */
    _Atomic uint64_t busy_wall_ns;
    struct rt_wclock clk;    /* its scheduler only (vcpu__worker_now) */
    _Atomic uint64_t exited; /* vCPUs whose exit it ran; only it writes */
};

enum { WANT_NONE = 0, WANT_OFFLINE, WANT_ONLINE };

struct rt_vm {
    bool done; /* rt.vlock: no vCPU left to run (the last one removed it) */
    /* rt.vlock: joined, its id given back to the core for reuse; the
     * object is reused with the id (gen counts its VMs: a joiner that
     * waited across a release and a reuse knows its VM finished) */
    bool released;
    bool detached; /* rt.vlock: released by its last exit, not a join */
    unsigned gen;
};

struct rt_sleeper {
    uint64_t deadline;
    struct rt_vcpu *v;
};

struct rt_placement {
    const char *policy; /* the name string lives in the policy's table */
    uint64_t generation;
};

#define RT_CHUNK 1024u

struct vcpu_rt {
    struct vcpu_rt_attr attr;
    char *policy_args;
    vcpu_topo_t *topo;
    vcpu_core_t *core;
    vcpu_policy_lib_t *lib, *old_lib;
    const struct vcpu_policy_ops *ops;
    unsigned nw;
    struct rt_worker *w;
    unsigned nos; /* real CPUs under the workers */
    unsigned *os_cpus;
    vcpu__stack_pool_t *stacks;
    struct rt_vcpu **chunks[64]; /* vCPU table: chunks of RT_CHUNK */
    _Atomic uint64_t made; /* vCPUs made; less the workers' exits: alive */
    pthread_mutex_t vlock;
    pthread_cond_t vcond; /* a VM finished, or the workers stopped */
    bool up;              /* rt.vlock: the workers run (start to stop) */
    struct rt_vm **vms;   /* by VM id; NULL: not made by the runtime */
    unsigned nvms_cap;
    pthread_mutex_t flock;
    struct rt_vcpu *free_vcpus; /* exited, reusable (their stacks kept) */
    bool started, stopping;
    _Atomic bool stop_now;
    uint64_t t0;       /* CLOCK_MONOTONIC at create */
    uint64_t tsc_mult; /* calibrated at create (32.32 ns per tick); 0: none */
    /* sleepers */
    pthread_t timer_thread;
    pthread_mutex_t tlock;
    pthread_cond_t tcond;
    struct rt_sleeper *sleepers;
    size_t nsleep, cap_sleep;
    /* monitor */
    pthread_t monitor_thread;
    bool monitor_started;
    vcpu_rt_event_fn monitor_fn;
    void *monitor_arg;
    /* placement, published with RCU */
    struct rt_placement *_Atomic placement;
    _Atomic vcpu_id_t *running; /* per pCPU, VCPU_NONE when idle */
    uint64_t trace_seq;
    int signo; /* timer preemption signal */
};

/* rt.c */
uint64_t vcpu__rt_now(const struct vcpu_rt *rt);
uint64_t vcpu__rt_alive(struct vcpu_rt *rt);
void vcpu__worker_clock_init(struct rt_worker *w);
uint64_t vcpu__worker_clock_resync(struct rt_worker *w, uint64_t tsc);

static inline uint64_t vcpu__tsc(void)
{
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#else
    return 0;
#endif
}

/*
 * The time on worker @w's thread, as vcpu__rt_now (ns since create), for
 * its scheduler only: not from vCPU code, which a timer signal could move
 * to another worker halfway through an update, except with w->in_vcpu
 * false (the direct yield, guest.c), when the signal leaves it alone. A
 * TSC read
 * (~1-8 ns here where a vDSO clock_gettime costs ~20-26), scaled by a
 * per-worker factor and re-anchored to CLOCK_MONOTONIC every millisecond,
 * so it strays from it by at most the factor's error over 1 ms (the factor
 * is refined at every anchor: parts per million after a second). It never
 * goes back on one worker; between workers and other threads it may
 * differ by that error (the core keeps its own time monotonic).
 */
static inline uint64_t vcpu__worker_now(struct rt_worker *w)
{
    struct rt_wclock *k = &w->clk;
    if (__builtin_expect(!k->tsc, 0))
        return vcpu__rt_now(w->rt);
    uint64_t tsc = vcpu__tsc();
    uint64_t d = tsc - k->tsc_at; /* huge if the TSC went back: resync */
    if (__builtin_expect(d >= k->span, 0))
        return vcpu__worker_clock_resync(w, tsc);
    /* d * mult <= RT_CLK_RESYNC_NS << 32: no overflow */
    uint64_t ns = (d * k->mult >> 32) + k->ns_at;
    if (ns < k->last)
        ns = k->last;
    k->last = ns;
    return ns;
}

/* The object of vCPU @v, one the core picked to run (so it exists). */
static inline struct rt_vcpu *vcpu__rt_vcpu(struct vcpu_rt *rt, vcpu_id_t v)
{
    return rt->chunks[v / RT_CHUNK][v % RT_CHUNK];
}
void vcpu__rt_wake(struct rt_vcpu *v);
void vcpu__rt_vcpu_done(struct rt_worker *w, struct rt_vcpu *v, uint64_t now,
                        bool last);

/* worker.c */
void *vcpu__worker_main(void *arg);
struct vcpu__ctx *vcpu__worker_yield(struct rt_worker *w, struct rt_vcpu *v);
struct vcpu__ctx *vcpu__worker_exit(struct rt_worker *w, struct rt_vcpu *v);
void vcpu__worker_bury(struct rt_worker *w);

/* First thing after every switch, in the context switched to: the vCPU
 * switched away from (if any) has its context saved now; other workers
 * may run it. One that exited straight into this context is laid to rest
 * (its context finished, its object reused, maybe its VM removed). */
static inline void vcpu__worker_finish(struct rt_worker *w)
{
    struct rt_vcpu *p = w->prev;
    if (p) {
        w->prev = NULL;
        atomic_store_explicit(&p->on_cpu, false, memory_order_release);
    }
    if (w->gone)
        vcpu__worker_bury(w);
}
void vcpu__worker_kick(struct rt_worker *w);
int vcpu__worker_timer_setup(struct vcpu_rt *rt);

/* guest.c */
struct rt_vcpu *vcpu__self(void);
void vcpu__switch_out(struct rt_vcpu *v, int action);
void vcpu__block_self(struct rt_vcpu *v);
void vcpu__guest_entry(void *arg);
extern VCPU__TLS struct rt_worker *vcpu__tls_worker;

/* sleepers (guest.c) */
void *vcpu__timer_main(void *arg);

/* monitor.c */
void *vcpu__monitor_main(void *arg);

/* rt_trace.c */
int vcpu__ring_init(struct rt_ring *r, size_t cap);
void vcpu__ring_fini(struct rt_ring *r);
void vcpu__rt_trace(void *arg, const struct vcpu_trace_rec *rec);

#endif /* VCPU_RT_INTERNAL_H */
