// SPDX-License-Identifier: LGPL-2.1-or-later
/* Worker threads: one per pCPU, bound with hwloc. A worker asks the core
 * what to run, switches to that vCPU's context, and when the vCPU switches
 * back tells the core why (yield, block, exit, preemption). Idle workers
 * spin briefly, then sleep on a futex until kicked. Optional timer
 * preemption: a per-worker POSIX timer signal switches a vCPU out from the
 * signal handler. */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <hwloc.h>

#include "core/core_batch.h"
#include "rt_internal.h"

VCPU__TLS struct rt_worker *vcpu__tls_worker;

/* ---- idle and kicks ---------------------------------------------------------- */

static long futex(_Atomic uint32_t *addr, int op, uint32_t val,
                  const struct timespec *ts)
{
    return syscall(SYS_futex, (uint32_t *)addr, op, val, ts, NULL, 0);
}

/* A worker that kicks itself needs nothing: it is between two picks (or
 * running the vCPU that asked, whose pCPU is then busy), and goes back to
 * vcpu_core_pick before it next waits. Others: bump the word; a system
 * call only when the worker sleeps on it. The seq_cst pair (bump, then
 * read sleeping; set sleeping, then read the word) means one side always
 * sees the other: no lost wake-up. */
void vcpu__worker_kick(struct rt_worker *w)
{
    if (vcpu__tls_worker == w)
        return;
    atomic_fetch_add(&w->wake_word, 1);
    if (atomic_load(&w->sleeping))
        futex(&w->wake_word, FUTEX_WAKE_PRIVATE, 1, NULL);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static bool kicked_or_stopped(struct rt_worker *w, uint32_t seen)
{
    return atomic_load_explicit(&w->wake_word, memory_order_acquire) != seen ||
           atomic_load_explicit(&w->rt->stop_now, memory_order_relaxed);
}

/* Spin for the idle window, then sleep until the word moves (a kick). The
 * clock is read once per 64 polls: a poll is a few ns, a read ~25 ns. */
static void idle_wait(struct rt_worker *w, uint32_t seen, uint64_t now)
{
    uint64_t spin = w->rt->attr.idle_spin_ns ? w->rt->attr.idle_spin_ns : 50000;
    uint64_t until = now + spin;
    do {
        for (int i = 0; i < 64; i++) {
            if (kicked_or_stopped(w, seen))
                return;
            cpu_relax();
        }
    } while (vcpu__worker_now(w) < until);
    atomic_store(&w->sleeping, true);
    if (!kicked_or_stopped(w, seen)) {
        struct timespec ts = {0, 100000000}; /* re-check stop every 100 ms */
        futex(&w->wake_word, FUTEX_WAIT_PRIVATE, seen, &ts);
    }
    atomic_store_explicit(&w->sleeping, false, memory_order_relaxed);
}

/* ---- binding ---------------------------------------------------------------- */

static void bind_worker(struct rt_worker *w)
{
    hwloc_topology_t t;
    if (hwloc_topology_init(&t) || hwloc_topology_load(t))
        return;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    hwloc_bitmap_only(set, w->os_cpu);
    if (hwloc_set_cpubind(t, set, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT))
        hwloc_set_cpubind(t, set, HWLOC_CPUBIND_THREAD); /* best effort */
    hwloc_bitmap_free(set);
    hwloc_topology_destroy(t);
}

/* ---- timer preemption ----------------------------------------------------- */

/* The timer's signal switches the running vCPU out from the handler; the
 * vCPU resumes later inside this handler (maybe on another worker) and
 * returns from it. ThreadSanitizer cannot follow a handler that returns on
 * another thread (it checks errno around each handler), so a TSan build
 * only raises the preemption flag here, honoured at the next preemption
 * point: timer preemption of code without such points is untested there. */
/* Where the signal interrupted the thread. */
__attribute__((unused)) static uintptr_t interrupted_pc(const void *uctx)
{
    const ucontext_t *uc = uctx;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0; /* unknown: treated as runtime code, never preempted */
#endif
}

__attribute__((unused)) static bool in_guest_text(uintptr_t pc)
{
#if defined(__x86_64__) || defined(__aarch64__)
    return pc >= (uintptr_t)__start_vcpu_guest_text &&
           pc < (uintptr_t)__stop_vcpu_guest_text;
#else
    (void)pc;
    return true;
#endif
}

static void on_timer(int sig, siginfo_t *si, void *uctx)
{
    (void)sig, (void)si;
    struct rt_worker *w = vcpu__tls_worker;
    if (!w || !atomic_load_explicit(&w->in_vcpu, memory_order_relaxed))
        return;
    struct rt_vcpu *v = w->curr;
#if defined(__SANITIZE_THREAD__)
    (void)v, (void)uctx;
    atomic_store(&w->preempt_req, true);
    return;
#else
    if (v->preempt_off || in_guest_text(interrupted_pc(uctx))) {
        /* the runtime's own code: honour it at the next point */
        atomic_store_explicit(&w->preempt_req, true, memory_order_relaxed);
        return;
    }
    int saved = errno;
    w->sig_preempted = true;
    vcpu__switch_out(v, ACT_PREEMPT);
    errno = saved;
#endif
}

int vcpu__worker_timer_setup(struct vcpu_rt *rt)
{
    rt->signo = SIGRTMIN + 3;
    struct sigaction sa = {.sa_sigaction = on_timer,
                           .sa_flags = SA_RESTART | SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    return sigaction(rt->signo, &sa, NULL) ? -errno : 0;
}

static void start_timer(struct rt_worker *w)
{
    struct vcpu_rt *rt = w->rt;
    struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID,
                           .sigev_signo = rt->signo};
    sev._sigev_un._tid =
        w->tid; /* sigev_notify_thread_id: glibc 2.36 lacks the name */
    if (timer_create(CLOCK_MONOTONIC, &sev, &w->timer))
        return;
    w->has_timer = true;
    uint64_t ns = rt->attr.slice_ns;
    struct itimerspec its = {
        .it_interval = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)},
        .it_value = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)},
    };
    timer_settime(w->timer, 0, &its, NULL);
}

static void unblock_timer_signal(struct rt_worker *w)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, w->rt->signo);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    w->sig_preempted = false;
}

/* ---- running a vCPU -------------------------------------------------------- */

/* The vCPU a stop call picked to run next (VCPU_NONE: none picked). */
struct next {
    vcpu_id_t v;
    uint64_t slice;
};

/* A stop may pick the next vCPU in the same call, and a yield or exit
 * switch straight to it: no request waits (the loop applies it before it
 * picks) and the pCPU is not slowed (the duty-cycle pause comes before
 * the next vCPU's run, not inside it). */
static bool pick_now(struct rt_worker *w)
{
    return atomic_load_explicit(&w->want, memory_order_relaxed) == WANT_NONE &&
           atomic_load_explicit(&w->speed, memory_order_relaxed) >=
               VCPU_SPEED_NOMINAL &&
           /* a stop: the worker's loop must see it (vCPUs that only yield
            * to each other would never go back to it) */
           !atomic_load_explicit(&w->rt->stop_now, memory_order_relaxed);
}

/* Tell the core @v stopped for @why (yield, block, exit) and, when
 * pick_now, pick what runs next in the same call. */
static int stop_vcpu(struct rt_worker *w, struct rt_vcpu *v, unsigned why,
                     uint64_t now, struct next *nx)
{
    bool pick = pick_now(w);
    return vcpu__core_stop_pick(w->rt->core, now, v->id, why,
                                pick ? &nx->v : NULL, pick ? &nx->slice : NULL);
}

/* The worker's half of the wake-up protocol (vcpu__rt_wake in rt.c): once
 * the core knows @v blocked, mark it BLOCKED, unless a wake-up came first. */
static void finish_block(struct rt_worker *w, struct rt_vcpu *v, uint64_t now,
                         struct next *nx)
{
    vcpu_core_t *c = w->rt->core;
    if (atomic_load(&v->wstate) == WS_PENDING) {
        /* woken on its way out: it blocks and wakes at once */
        atomic_store(&v->wstate, WS_NONE);
        vcpu_core_block(c, now, v->id);
        vcpu_core_wake(c, now, v->id);
        return;
    }
    stop_vcpu(w, v, VCPU_STOP_BLOCK, now, nx);
    int s = WS_NONE;
    if (!atomic_compare_exchange_strong(&v->wstate, &s, WS_BLOCKED)) {
        atomic_store(&v->wstate, WS_NONE); /* woken meanwhile */
        vcpu_core_wake(c, now, v->id);
    }
}

/* What an exit does before the core hears of it: @v's table slot first
 * (once the core knows, the VM's last exit, on any worker, may remove the
 * VM and the core give the id out again), then this worker's count. */
static void exit_begin(struct rt_worker *w, struct rt_vcpu *v)
{
    w->rt->chunks[v->id / RT_CHUNK][v->id % RT_CHUNK] = NULL;
    /* only this worker writes its count: no read-modify-write needed */
    atomic_store_explicit(
        &w->exited, atomic_load_explicit(&w->exited, memory_order_relaxed) + 1,
        memory_order_relaxed);
}

/* The worker's exit count goes up before the core hears of the exit: the
 * core's lock then orders it before the VM's last exit, which a joiner
 * sees (vcpu__rt_vcpu_done), so vcpu__rt_alive cannot stay above zero
 * for it. Meanwhile the count may be one short for a moment (harmless). */
static void finish_exit(struct rt_worker *w, struct rt_vcpu *v, uint64_t now,
                        struct next *nx)
{
    exit_begin(w, v);
    bool last = stop_vcpu(w, v, VCPU_STOP_EXIT, now, nx) == 1;
    vcpu__ctx_fini(&v->ctx);
    vcpu__rt_vcpu_done(w, v, now, last);
}

/* The vCPU came back for a preemption: go offline, honour the core's
 * request, or check the slice. True if it keeps the pCPU. */
static bool finish_preempt(struct rt_worker *w, struct rt_vcpu *v, uint64_t now)
{
    struct vcpu_rt *rt = w->rt;
    if (atomic_load(&w->want) == WANT_OFFLINE) {
        atomic_store(&w->want, WANT_NONE);
        vcpu_core_pcpu_set_online(rt->core, now, w->p, false);
        w->online = false;
        atomic_store(&w->preempt_req, false);
        return false;
    }
    if (atomic_exchange(&w->preempt_req, false))
        vcpu_core_preempt(rt->core, now, w->p);
    if (vcpu_core_pcpu_curr(rt->core, w->p) == v->id)
        vcpu_core_tick(rt->core, now, w->p, NULL);
    if (vcpu_core_pcpu_curr(rt->core, w->p) != v->id)
        return false;
    atomic_store_explicit(&w->slice_end, vcpu_core_slice_end(rt->core, w->p),
                          memory_order_relaxed);
    return true;
}

/* Emulate a slower pCPU: idle for as long as it would have taken longer.
 * True if it did. */
static bool duty_cycle(struct rt_worker *w, uint64_t ran_ns)
{
    uint32_t s = atomic_load(&w->speed);
    if (s >= VCPU_SPEED_NOMINAL || !ran_ns)
        return false;
    uint64_t idle = ran_ns * (VCPU_SPEED_NOMINAL - s) / s;
    struct timespec ts = {(time_t)(idle / 1000000000u),
                          (long)(idle % 1000000000u)};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
    return true;
}

/* Wait until @v's context is saved (a direct yield puts a vCPU back in a
 * DSQ before it has switched away from it: another worker may pick it
 * meanwhile), then mark it running here. */
static void wait_saved(struct rt_vcpu *v)
{
    /* a few instructions on a running thread; a descheduled one (more
     * workers than CPUs) needs the CPU back */
    for (unsigned i = 0; atomic_load_explicit(&v->on_cpu, memory_order_acquire);
         i++) {
        if (i < 64)
            cpu_relax();
        else
            sched_yield();
    }
    atomic_store_explicit(&v->on_cpu, true, memory_order_relaxed);
}

/* @v, picked at @now with @slice, is about to run on @w. */
static void begin_run(struct rt_worker *w, struct rt_vcpu *v, uint64_t slice,
                      uint64_t now)
{
    atomic_store_explicit(&w->slice_end, now + slice, memory_order_relaxed);
    w->curr = v;
    w->run_start = now;
    atomic_store_explicit(&v->worker, w, memory_order_release);
    atomic_store_explicit(w->running, v->id, memory_order_release);
    wait_saved(v);
}

/* The run that started at w->run_start ended at @now: @w's busy time. */
static inline void add_busy(struct rt_worker *w, uint64_t now)
{
    /* only this thread writes it: no read-modify-write needed */
    atomic_store_explicit(
        &w->busy_wall_ns,
        atomic_load_explicit(&w->busy_wall_ns, memory_order_relaxed) +
            (now - w->run_start),
        memory_order_relaxed);
}

/* The vCPU running on @w stopped at @now. */
static void end_run(struct rt_worker *w, uint64_t now)
{
    w->curr = NULL;
    atomic_store_explicit(w->running, VCPU_NONE, memory_order_release);
    add_busy(w, now);
}

/* @v's run ended at @now and the core picked @nx: the context to switch
 * to (the worker's when nothing was picked; it then returns stopped). */
__attribute__((always_inline)) static inline struct vcpu__ctx *
hand_over(struct rt_worker *w, struct rt_vcpu *v, const struct next *nx,
          uint64_t now)
{
    if (nx->v == VCPU_NONE) {
        end_run(w, now);
        v->action = ACT_STOPPED;
        w->stopped_at = now;
        return &w->sched;
    }
    /* end_run then begin_run, without the moment in between when nothing
     * runs here (curr NULL, the placement map VCPU_NONE) */
    struct rt_vcpu *u = vcpu__rt_vcpu(w->rt, nx->v);
    add_busy(w, now);
    begin_run(w, u, nx->slice, now);
    return &u->ctx;
}

/*
 * A yield on the vCPU's own stack (guest.c, vcpu_yield): the core's stop +
 * pick, then straight to the next vCPU's context, not through the
 * worker's. Return the context to switch to, NULL to keep running @v.
 * @w's scheduler takes over (v->action) when !pick_now, or when nothing
 * is left to run here.
 */
struct vcpu__ctx *vcpu__worker_yield(struct rt_worker *w, struct rt_vcpu *v)
{
    if (__builtin_expect(!pick_now(w), 0)) {
        v->action = ACT_YIELD;
        return &w->sched;
    }
    uint64_t now = vcpu__worker_now(w);
    struct vcpu__pick pk = vcpu__core_yield_pick(w->rt->core, now, v->id);
    struct next nx = {pk.v, pk.slice_ns};
    if (__builtin_expect(nx.v == v->id, 0)) { /* picked again: runs on */
        atomic_store_explicit(&w->slice_end, now + nx.slice,
                              memory_order_relaxed);
        return NULL;
    }
    return hand_over(w, v, &nx, now);
}

/*
 * An exit on the vCPU's own stack (guest.c, exit_self), like a yield. The
 * exited vCPU is laid to rest by the next context (vcpu__worker_bury,
 * from vcpu__worker_finish): its context cannot be finished while it
 * runs. Return the context to switch to; the worker's, with v->action
 * ACT_EXIT, when !pick_now (finish_exit does it all there).
 */
struct vcpu__ctx *vcpu__worker_exit(struct rt_worker *w, struct rt_vcpu *v)
{
    if (!pick_now(w)) {
        v->action = ACT_EXIT;
        return &w->sched;
    }
    uint64_t now = vcpu__worker_now(w);
    exit_begin(w, v);
    struct next nx = {VCPU_NONE, 0};
    int rc = vcpu__core_stop_pick(w->rt->core, now, v->id, VCPU_STOP_EXIT,
                                  &nx.v, &nx.slice);
    w->gone = v;
    w->gone_last = rc == 1;
    w->gone_at = now;
    return hand_over(w, v, &nx, now);
}

void vcpu__worker_bury(struct rt_worker *w)
{
    struct rt_vcpu *v = w->gone;
    w->gone = NULL;
    vcpu__ctx_fini(&v->ctx);
    vcpu__rt_vcpu_done(w, v, w->gone_at, w->gone_last);
}

/* Run @nx's vCPU, picked at @now, until a vCPU comes back to the worker's
 * context (the one it started, or another after direct yields); return
 * when it stopped (one clock read per switch: the stop and the next pick
 * share it). On return @nx holds what the stop call picked next. */
static uint64_t run_vcpu(struct rt_worker *w, struct next *nx, uint64_t now)
{
    struct rt_vcpu *v = vcpu__rt_vcpu(w->rt, nx->v);
    begin_run(w, v, nx->slice, now);
    *nx = (struct next){VCPU_NONE, 0};
    for (;;) {
        v->action = ACT_NONE;
        vcpu__ctx_switch(&w->sched, &v->ctx);
        v = w->prev; /* the vCPU that came back */
        int action = v->action;
        vcpu__worker_finish(w); /* past this, a stopped @v is not ours */
        if (w->sig_preempted)
            unblock_timer_signal(w);
        if (action == ACT_STOPPED) /* a direct yield found nothing */
            return w->stopped_at;
        now = vcpu__worker_now(w);
        if (action == ACT_YIELD) {
            stop_vcpu(w, v, VCPU_STOP_YIELD, now, nx);
        } else if (action == ACT_BLOCK) {
            finish_block(w, v, now, nx);
        } else if (action == ACT_EXIT) {
            finish_exit(w, v, now, nx);
        } else if (finish_preempt(w, v, now)) {
            wait_saved(v);
            continue;
        }
        break;
    }
    uint64_t ran = now - w->run_start;
    end_run(w, now);
    if (duty_cycle(w, ran))
        now = vcpu__worker_now(w);
    return now;
}

/* Online/offline requests that reach an idle worker. */
static void apply_want(struct rt_worker *w, uint64_t now)
{
    if (atomic_load_explicit(&w->want, memory_order_relaxed) == WANT_NONE)
        return;
    int want = atomic_exchange(&w->want, WANT_NONE);
    if (want == WANT_NONE)
        return;
    bool on = want == WANT_ONLINE;
    if (on != w->online) {
        vcpu_core_pcpu_set_online(w->rt->core, now, w->p, on);
        w->online = on;
    }
    atomic_store(&w->preempt_req, false);
}

void *vcpu__worker_main(void *arg)
{
    struct rt_worker *w = arg;
    struct vcpu_rt *rt = w->rt;
    vcpu__tls_worker = w;
    w->tid = (pid_t)syscall(SYS_gettid);
    bind_worker(w);
    if (rt->attr.flags & VCPU_RT_PREEMPT_TIMER)
        start_timer(w);
    vcpu__worker_clock_init(w);
    uint64_t now = vcpu__worker_now(w);
    struct next nx = {VCPU_NONE, 0};
    while (!atomic_load_explicit(&rt->stop_now, memory_order_relaxed)) {
        if (nx.v == VCPU_NONE) {
            uint32_t seen = atomic_load(&w->wake_word);
            apply_want(w, now);
            if (w->online)
                vcpu_core_pick(rt->core, now, w->p, &nx.v, &nx.slice);
            if (nx.v == VCPU_NONE) {
                idle_wait(w, seen, now);
                now = vcpu__worker_now(w);
                continue;
            }
        }
        now = run_vcpu(w, &nx, now);
    }
    if (w->has_timer) {
        timer_delete(w->timer);
        w->has_timer = false;
    }
    vcpu__tls_worker = NULL;
    return NULL;
}
