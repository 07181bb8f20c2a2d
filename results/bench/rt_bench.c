// SPDX-License-Identifier: GPL-3.0-or-later
/* The runtime end to end, each against a baseline measured in the same run:
 *   pingpong  two vCPUs yield to each other on one worker (core + rr) vs a
 *             Boost.Context fcontext switch (and libvcpu's raw switch)
 *   create    create + run + exit of empty vCPUs, amortised, stacks from a
 *             warm pool, vs pthread_create + pthread_join
 *   cpubound  256 CPU-bound vCPUs on 2 workers vs 2 pthreads, same work
 *   wakeup    a blocked vCPU woken from a vCPU on another worker: latency
 *             to run, p50/p99, worker spinning or asleep, vs the same
 *             hand-off between two plain threads
 *
 * Built twice: rt_bench links libvcpu.a (with VCPU_LTO, optimised as in
 * libvcpu.so), and adds libvcpu's raw switch to pingpong (internal calls);
 * rt_bench_so (RT_BENCH_SHARED) links libvcpu.so and uses the public API
 * only: the library as a program that links it sees it.
 *
 * usage: rt_bench {pingpong|create|cpubound|wakeup|all} [options] [--csv F]
 * Every figure is the median over --reps repetitions; a ratio is the median
 * of the per-repetition ratios (each repetition runs both sides back to
 * back, so drift on this shared machine hits both alike). */
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include <vcpu/rt.h>
#include <vcpu/vcpu.h>

#ifdef RT_BENCH_SHARED
#define LINKED "libvcpu.so"
/* the sanitizers cannot follow fcontext's stack switches */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define VCPU__CTX_ANNOTATE 1
#else
#define VCPU__CTX_ANNOTATE 0
#endif
#else
#define LINKED "libvcpu.a"
#include "runtime/ctx.h"
#include "runtime/stack.h"
#endif

#define MAX_REPS 99

struct opts {
    const char *csv;
    unsigned reps;
    int cpu;          /* the one worker's CPU (pingpong, create) */
    const char *cpus; /* the two workers' CPUs (cpubound, wakeup) */
    unsigned long n;  /* the running benchmark's: one of the three below */
    unsigned long yields, batch, samples;
    unsigned vcpus;   /* cpubound */
    unsigned work_ms; /* cpubound: CPU time per worker */
    double point_us;  /* cpubound: work between preemption points */
    bool timer;       /* cpubound: timer preemption instead */
    uint64_t slice_us, spin_us;
    bool from_thread; /* create: a thread creates, not a vCPU */
};

/* One result line: medians, the baseline's, and the target. */
struct row {
    const char *bench, *what, *unit, *base_name, *target_txt;
    double med, min, max, base_med, ratio;
    int met; /* 1 met, 0 missed, -1 no target */
};

static FILE *csv_out;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set))
        fprintf(stderr, "rt_bench: cannot pin to CPU %d\n", cpu);
}

/* A thread born on @cpu (never running elsewhere first). */
static void spawn_on(pthread_t *t, int cpu, void *(*fn)(void *), void *arg)
{
    pthread_attr_t a;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_attr_init(&a);
    pthread_attr_setaffinity_np(&a, sizeof set, &set);
    int rc = pthread_create(t, &a, fn, arg);
    pthread_attr_destroy(&a);
    if (rc) {
        fprintf(stderr, "rt_bench: pthread_create failed\n");
        exit(70);
    }
}

/* Sorts @x in place. */
static double median(double *x, unsigned n)
{
    gsl_sort(x, 1, n);
    return gsl_stats_median_from_sorted_data(x, 1, n);
}

static double quantile(double *x, size_t n, double q)
{
    gsl_sort(x, 1, n);
    return gsl_stats_quantile_from_sorted_data(x, 1, n, q);
}

/* @x and @base per repetition (left as they are); fills @r's statistics. */
static void summarise(struct row *r, const double *x, const double *base,
                      unsigned n)
{
    double ratio[MAX_REPS], b[MAX_REPS], v[MAX_REPS];
    for (unsigned i = 0; i < n; i++) {
        ratio[i] = base && base[i] > 0 ? x[i] / base[i] : 0;
        b[i] = base ? base[i] : 0;
        v[i] = x[i];
    }
    r->ratio = median(ratio, n);
    r->base_med = median(b, n);
    r->med = median(v, n);
    r->min = v[0];
    r->max = v[n - 1];
}

static void emit(const struct opts *o, const struct row *r)
{
    const char *met = r->met < 0 ? "-" : r->met ? "met" : "MISSED";
    printf("%-9s %-34s %10.1f %10.1f %10.1f %-3s %-22s %10.1f %7.2f  %-10s "
           "%s\n",
           r->bench, r->what, r->med, r->min, r->max, r->unit, r->base_name,
           r->base_med, r->ratio, r->target_txt, met);
    if (csv_out)
        fprintf(csv_out,
                "%s,\"%s\",%u,%.2f,%.2f,%.2f,%s,\"%s\",%.2f,%.3f,\"%s\",%s\n",
                r->bench, r->what, o->reps, r->med, r->min, r->max, r->unit,
                r->base_name, r->base_med, r->ratio, r->target_txt, met);
    fflush(stdout);
}

static vcpu_rt_t *rt_make(const char *topo, const char *cpus, unsigned flags,
                          const struct opts *o)
{
    struct vcpu_rt_attr a = {.abi = VCPU_RT_ABI,
                             .topology = topo,
                             .cpus = cpus,
                             .policy = "rr",
                             .slice_ns = o->slice_us * 1000,
                             .idle_spin_ns = o->spin_us * 1000,
                             .flags = flags};
    vcpu_rt_t *rt = NULL;
    int rc = vcpu_rt_create(&a, &rt);
    if (!rc && (rc = vcpu_rt_start(rt)))
        vcpu_rt_destroy(rt);
    if (rc) {
        fprintf(stderr, "rt_bench: runtime: %s\n", vcpu_strerror(rc));
        exit(70);
    }
    return rt;
}

static void die_rc(const char *what, int rc)
{
    if (!rc)
        return;
    fprintf(stderr, "rt_bench: %s: %s\n", what, vcpu_strerror(rc));
    exit(70);
}

/* ---- pingpong ------------------------------------------------------------ */

/* Boost.Context's C ABI (libboost_context.so; the header is C++). */
typedef void *fcontext_t;
struct transfer_t {
    fcontext_t fctx;
    void *data;
};
struct transfer_t jump_fcontext(fcontext_t const to, void *vp);
fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(struct transfer_t));

static void fc_entry(struct transfer_t t)
{
    for (;;)
        t = jump_fcontext(t.fctx, NULL);
}

/* ns per fcontext switch: @rounds round trips main <-> context. */
static double fc_switch_ns(void *stack, size_t size, unsigned long rounds)
{
    fcontext_t f = make_fcontext((char *)stack + size, size, fc_entry);
    for (unsigned long i = 0; i < rounds / 10 + 1; i++)
        f = jump_fcontext(f, NULL).fctx;
    uint64_t t0 = mono_ns();
    for (unsigned long i = 0; i < rounds; i++)
        f = jump_fcontext(f, NULL).fctx;
    return (double)(mono_ns() - t0) / (2.0 * (double)rounds);
}

#ifndef RT_BENCH_SHARED
static struct vcpu__ctx lv_main, lv_ctx;
static int lv_stop;

static void lv_entry(void *arg)
{
    (void)arg;
    while (!lv_stop)
        vcpu__ctx_switch(&lv_ctx, &lv_main);
    vcpu__ctx_exit(&lv_ctx, &lv_main);
}

/* ns per libvcpu raw switch (the runtime's own primitive). */
static double lv_switch_ns(void *stack, size_t size, unsigned long rounds)
{
    lv_stop = 0;
    vcpu__ctx_make(&lv_ctx, stack, size, lv_entry, NULL);
    for (unsigned long i = 0; i < rounds / 10 + 1; i++)
        vcpu__ctx_switch(&lv_main, &lv_ctx);
    uint64_t t0 = mono_ns();
    for (unsigned long i = 0; i < rounds; i++)
        vcpu__ctx_switch(&lv_main, &lv_ctx);
    double ns = (double)(mono_ns() - t0) / (2.0 * (double)rounds);
    lv_stop = 1;
    vcpu__ctx_switch(&lv_main, &lv_ctx);
    vcpu__ctx_fini(&lv_ctx);
    return ns;
}
#endif

struct pp_state {
    unsigned long n, warm;
    uint64_t t0, t1;
    _Atomic unsigned done;
};

static void pp_entry(void *arg)
{
    struct pp_state *s = arg;
    for (unsigned long i = 0; i < s->warm; i++)
        vcpu_yield();
    if (vcpu_self_index() == 0)
        s->t0 = mono_ns();
    for (unsigned long i = 0; i < s->n; i++)
        vcpu_yield();
    if (atomic_fetch_add(&s->done, 1) == 1)
        s->t1 = mono_ns();
}

static void bench_pingpong(const struct opts *o)
{
    pin(o->cpu);
    char cpus[16];
    snprintf(cpus, sizeof cpus, "%d", o->cpu);
    vcpu_rt_t *rt = rt_make("pack:1 core:1 pu:1", cpus, 0, o);
#ifdef RT_BENCH_SHARED
    size_t size = 64 * 1024;
    void *stk[1] = {aligned_alloc(4096, size)};
    if (!stk[0])
        die_rc("stack", VCPU_ENOMEM);
#else
    vcpu__stack_pool_t *pool;
    void *stk[2];
    die_rc("stack pool", vcpu__stack_pool_create(0, 0, -1, &pool));
    die_rc("stack", vcpu__stack_get(pool, &stk[0]));
    die_rc("stack", vcpu__stack_get(pool, &stk[1]));
    size_t size = vcpu__stack_pool_stack_size(pool);
#endif
    double y[MAX_REPS], fc[MAX_REPS], lv[MAX_REPS];
    for (unsigned r = 0; r < o->reps; r++) {
        fc[r] = VCPU__CTX_ANNOTATE ? 0 : fc_switch_ns(stk[0], size, o->n);
#ifndef RT_BENCH_SHARED
        lv[r] = lv_switch_ns(stk[1], size, o->n);
#endif
        static struct pp_state s;
        memset(&s, 0, sizeof s);
        s.n = o->n;
        s.warm = o->n / 10 + 1;
        vcpu_vm_t vm;
        die_rc("vm", vcpu_rt_vm_create(rt, 2, pp_entry, &s, NULL, &vm));
        die_rc("join", vcpu_rt_vm_join(rt, vm));
        y[r] = (double)(s.t1 - s.t0) / (2.0 * (double)s.n);
    }
    struct row a = {.bench = "pingpong",
                    .what = "fcontext switch (baseline)",
                    .unit = "ns",
                    .base_name = "-",
                    .target_txt = "-"};
    a.met = -1;
    summarise(&a, fc, NULL, o->reps);
    emit(o, &a);
#ifndef RT_BENCH_SHARED
    struct row b = {.bench = "pingpong",
                    .what = "libvcpu raw switch",
                    .unit = "ns",
                    .base_name = "fcontext switch",
                    .target_txt = "-"};
    b.met = -1;
    summarise(&b, lv, fc, o->reps);
    emit(o, &b);
#else
    (void)lv;
#endif
    struct row c = {.bench = "pingpong",
                    .what = "yield via core+rr on 1 worker",
                    .unit = "ns",
                    .base_name = "fcontext switch",
                    .target_txt = "<= 4x"};
    summarise(&c, y, fc, o->reps);
    c.met = c.ratio > 0 ? c.ratio <= 4.0 : -1;
    emit(o, &c);
#ifdef RT_BENCH_SHARED
    free(stk[0]);
#else
    vcpu__stack_put(pool, stk[0]);
    vcpu__stack_put(pool, stk[1]);
    vcpu__stack_pool_destroy(pool);
#endif
    vcpu_rt_destroy(rt);
}

/* ---- create ---------------------------------------------------------------- */

/* vCPU ids are never reused: a runtime makes at most this many vCPUs. */
#define RT_MAX_IDS 65536u

struct cr_state {
    vcpu_rt_t *rt;
    unsigned n, batches; /* the first batch warms the stack pool: untimed */
    double *ns;          /* per timed batch: ns per vCPU */
};

static void cr_child(void *arg)
{
    (void)arg;
}

/* Wait (yielding) until every child has run and exited: on the parent's
 * one worker nothing else is then NEW or RUNNABLE. (Counting EXITED would
 * not do: the runtime reuses the ids of joined VMs, whose EXITED entries
 * become the new children's.) */
static void cr_wait_done(vcpu_core_t *c)
{
    while (vcpu_core_count_state(c, VP_VCPU_NEW) +
               vcpu_core_count_state(c, VP_VCPU_RUNNABLE) >
           0)
        vcpu_yield();
}

/* A vCPU creates its children on its own worker, then yields until they
 * have all run and exited (vcpu_rt_vm_join would block the worker). */
static void cr_parent(void *arg)
{
    struct cr_state *s = arg;
    vcpu_core_t *c = vcpu_rt_core(s->rt);
    for (unsigned b = 0; b < s->batches; b++) {
        vcpu_vm_t vm;
        uint64_t t0 = mono_ns();
        die_rc("vm", vcpu_rt_vm_create(s->rt, s->n, cr_child, NULL, NULL, &vm));
        cr_wait_done(c);
        if (b)
            s->ns[b - 1] = (double)(mono_ns() - t0) / (double)s->n;
    }
}

/* Batches of @o->n vCPUs in one runtime, the first one untimed; as many
 * as its ids allow, at most @want timed. Returns how many were timed. */
static unsigned create_batches(const struct opts *o, unsigned want, double *ns)
{
    char cpus[16];
    snprintf(cpus, sizeof cpus, "%d", o->cpu);
    vcpu_rt_t *rt = rt_make("pack:1 core:1 pu:1", cpus, 0, o);
    unsigned fit = (RT_MAX_IDS - 1) / (unsigned)o->n - 1;
    struct cr_state s = {.rt = rt,
                         .n = (unsigned)o->n,
                         .batches = 1 + (want < fit ? want : fit),
                         .ns = ns};
    vcpu_vm_t vm;
    if (o->from_thread) {
        for (unsigned b = 0; b < s.batches; b++) {
            uint64_t t0 = mono_ns();
            die_rc("vm", vcpu_rt_vm_create(rt, s.n, cr_child, NULL, NULL, &vm));
            die_rc("join", vcpu_rt_vm_join(rt, vm));
            if (b)
                ns[b - 1] = (double)(mono_ns() - t0) / (double)s.n;
        }
    } else {
        die_rc("vm", vcpu_rt_vm_create(rt, 1, cr_parent, &s, NULL, &vm));
        die_rc("join", vcpu_rt_vm_join(rt, vm));
    }
    vcpu_rt_destroy(rt);
    return s.batches - 1;
}

static void *empty_thread(void *arg)
{
    return arg;
}

static double pthread_create_join_ns(unsigned n)
{
    uint64_t t0 = mono_ns();
    for (unsigned i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, empty_thread, NULL))
            die_rc("pthread_create", VCPU_EAGAIN);
        pthread_join(t, NULL);
    }
    return (double)(mono_ns() - t0) / (double)n;
}

static void bench_create(const struct opts *o)
{
    if (!o->n || o->n > RT_MAX_IDS / 2 - 1) {
        fprintf(stderr, "rt_bench: --batch must be 1..%u\n",
                RT_MAX_IDS / 2 - 1);
        exit(64);
    }
    /* thread mode: the creator on another CPU than the worker */
    pin(o->from_thread ? (o->cpu == 0 ? 1 : 0) : o->cpu);
    /* The core never reuses a vCPU id, so each new vCPU takes fresh table
     * memory: in the process's first runtime that is fresh pages (a fault
     * per ~25 vCPUs); a later runtime reuses the heap the first freed. */
    double cold[MAX_REPS], warm[MAX_REPS], base[MAX_REPS];
    for (unsigned r = 0; r < o->reps;)
        r += create_batches(o, o->reps - r, cold + r);
    for (unsigned r = 0; r < o->reps;)
        r += create_batches(o, o->reps - r, warm + r);
    for (unsigned r = 0; r < o->reps; r++)
        base[r] = pthread_create_join_ns(200);
    const char *who = o->from_thread ? "thread" : "vCPU";
    char w1[64], w2[64];
    snprintf(w1, sizeof w1, "%s creates %lu; new heap", who, o->n);
    snprintf(w2, sizeof w2, "%s creates %lu; heap reused", who, o->n);
    struct row a = {.bench = "create",
                    .what = w1,
                    .unit = "ns",
                    .base_name = "pthread create+join",
                    .target_txt = "<= 100 ns"};
    summarise(&a, cold, base, o->reps);
    a.met = a.med <= 100.0;
    emit(o, &a);
    struct row b = a;
    b.what = w2;
    summarise(&b, warm, base, o->reps);
    b.met = b.med <= 100.0;
    emit(o, &b);
}

/* ---- cpubound ---------------------------------------------------------------- */

#define CHUNK_ITERS 256

/* A few hundred ns of dependent integer work the compiler cannot fold. */
__attribute__((noinline)) static uint64_t chunk(uint64_t x)
{
    for (unsigned i = 0; i < CHUNK_ITERS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    __asm__ volatile("" : "+r"(x));
    return x;
}

struct cb_state {
    unsigned long chunks;    /* per vCPU or per thread */
    unsigned long per_point; /* chunks between preemption points; 0: none */
    _Atomic uint64_t sink;
};

static void cb_vcpu(void *arg)
{
    struct cb_state *s = arg;
    uint64_t x = vcpu_self_index() + 1;
    unsigned long k = s->per_point;
    for (unsigned long i = 0; i < s->chunks; i++) {
        x = chunk(x);
        if (k && --k == 0) {
            vcpu_preempt_point();
            k = s->per_point;
        }
    }
    atomic_fetch_add(&s->sink, x);
}

static void *cb_thread(void *arg)
{
    struct cb_state *s = arg;
    uint64_t x = 1;
    for (unsigned long i = 0; i < s->chunks; i++)
        x = chunk(x);
    atomic_fetch_add(&s->sink, x);
    return NULL;
}

/* The fastest of a few tries: on a shared machine, others only slow it. */
static double chunk_ns(void)
{
    double best = 1e30;
    uint64_t x = 1;
    for (int k = 0; k < 7; k++) {
        uint64_t t0 = mono_ns();
        for (int i = 0; i < 5000; i++)
            x = chunk(x);
        double ns = (double)(mono_ns() - t0) / 5000.0;
        best = ns < best ? ns : best;
    }
    __asm__ volatile("" : : "r"(x));
    return best;
}

static double cb_pthreads(unsigned long chunks, const int *cpu)
{
    struct cb_state s = {.chunks = chunks};
    pthread_t t[2];
    uint64_t t0 = mono_ns();
    for (int i = 0; i < 2; i++)
        spawn_on(&t[i], cpu[i], cb_thread, &s);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return (double)(mono_ns() - t0) / 1e6;
}

static void bench_cpubound(const struct opts *o)
{
    int cpu[2] = {0, 1};
    if (sscanf(o->cpus, "%d,%d", &cpu[0], &cpu[1]) != 2) {
        fprintf(stderr, "rt_bench: --cpus wants two CPUs, A,B\n");
        exit(64);
    }
    pin(cpu[0]);
    double cns = chunk_ns();
    unsigned long total = (unsigned long)(2e6 * o->work_ms / cns);
    unsigned long per_vcpu = total / o->vcpus;
    total = per_vcpu * o->vcpus; /* both sides do exactly this much */
    unsigned long per_point =
        o->timer ? 0 : (unsigned long)(o->point_us * 1000.0 / cns + 0.5);
    if (!o->timer && !per_point)
        per_point = 1;
    vcpu_rt_t *rt = rt_make("pack:1 core:2 pu:1", o->cpus,
                            o->timer ? VCPU_RT_PREEMPT_TIMER : 0, o);
    /* untimed: map the stacks (pthread_create gets its own from a cache) */
    struct cb_state warm = {.chunks = 1, .per_point = 1};
    vcpu_vm_t vm0;
    die_rc("vm", vcpu_rt_vm_create(rt, o->vcpus, cb_vcpu, &warm, NULL, &vm0));
    die_rc("join", vcpu_rt_vm_join(rt, vm0));
    double x[MAX_REPS], base[MAX_REPS];
    vcpu_core_t *c = vcpu_rt_core(rt);
    uint64_t runs = 0, nrun = 0;
    for (unsigned r = 0; r < o->reps; r++) {
        base[r] = cb_pthreads(total / 2, cpu);
        struct cb_state s = {.chunks = per_vcpu, .per_point = per_point};
        vcpu_vm_t vm;
        uint64_t t0 = mono_ns();
        die_rc("vm", vcpu_rt_vm_create(rt, o->vcpus, cb_vcpu, &s, NULL, &vm));
        die_rc("join", vcpu_rt_vm_join(rt, vm));
        x[r] = (double)(mono_ns() - t0) / 1e6;
        /* its vCPUs' counters, before the next VM reuses their ids */
        for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(c); v++) {
            struct vcpu_vcpu_stats st;
            if (vcpu_core_vcpu_vm(c, v) == vm &&
                !vcpu_core_vcpu_stats(c, v, &st)) {
                runs += st.nr_runs;
                nrun++;
            }
        }
    }
    printf("# cpubound: %u vCPUs x %lu chunks of %.0f ns (%.1f ms each), "
           "slice %llu us, %.1f runs per vCPU\n",
           o->vcpus, per_vcpu, cns, (double)per_vcpu * cns / 1e6,
           (unsigned long long)o->slice_us,
           nrun ? (double)runs / (double)nrun : 0.0);
    if (o->timer)
        printf("#   timer preemption (SIGEV_THREAD_ID signal every slice), "
               "no preemption points\n");
    else
        printf("#   cooperative: vcpu_preempt_point() every %lu chunks = "
               "%.1f us of work\n",
               per_point, (double)per_point * cns / 1000.0);
    char what[64];
    snprintf(what, sizeof what, "%u vCPUs/2 workers; %s", o->vcpus,
             o->timer ? "timer" : "points");
    struct row a = {.bench = "cpubound",
                    .what = what,
                    .unit = "ms",
                    .base_name = "2 pthreads",
                    .target_txt = "<= 1.03x"};
    summarise(&a, x, base, o->reps);
    a.met = a.ratio <= 1.03;
    emit(o, &a);
    vcpu_rt_destroy(rt);
}

/* ---- wakeup ------------------------------------------------------------------ */

struct wk_state {
    vcpu_rt_t *rt;
    vcpu_mutex_t *m;
    unsigned long n;
    uint64_t delay_ns;
    _Atomic unsigned long armed, waiting, acked;
    _Atomic uint64_t t0;
    double *lat;
};

static void spin_until_ns(uint64_t t)
{
    while (mono_ns() < t)
        cpu_relax();
}

/* On pCPU 0: hold the mutex, let the sleeper block on it and its worker
 * go idle, wait @delay_ns, then release it (which wakes the sleeper). */
static void wk_waker(void *arg)
{
    struct wk_state *s = arg;
    for (unsigned long i = 1; i <= s->n; i++) {
        vcpu_mutex_lock(s->m);
        atomic_store(&s->armed, i);
        while (atomic_load(&s->waiting) != i)
            cpu_relax();
        vcpu_id_t run[2] = {0, 0};
        do {
            cpu_relax();
            vcpu_rt_snapshot(s->rt, run, 2);
        } while (run[1] != VCPU_NONE);
        spin_until_ns(mono_ns() + s->delay_ns);
        atomic_store(&s->t0, mono_ns());
        vcpu_mutex_unlock(s->m);
        while (atomic_load(&s->acked) != i)
            cpu_relax();
    }
}

/* On pCPU 1: block on the mutex; the time from release to here counts. */
static void wk_sleeper(void *arg)
{
    struct wk_state *s = arg;
    for (unsigned long i = 1; i <= s->n; i++) {
        while (atomic_load(&s->armed) != i)
            cpu_relax();
        atomic_store(&s->waiting, i);
        vcpu_mutex_lock(s->m);
        uint64_t t1 = mono_ns();
        s->lat[i - 1] = (double)(t1 - atomic_load(&s->t0));
        vcpu_mutex_unlock(s->m);
        atomic_store(&s->acked, i);
    }
}

static void wk_run(vcpu_rt_t *rt, struct wk_state *s)
{
    static const vcpu_pcpu_t p0 = 0, p1 = 1;
    struct vcpu_vm_attr a0 = {
        .abi = VCPU_CORE_ABI, .allowed = &p0, .nallowed = 1};
    struct vcpu_vm_attr a1 = {
        .abi = VCPU_CORE_ABI, .allowed = &p1, .nallowed = 1};
    atomic_store(&s->armed, 0);
    atomic_store(&s->waiting, 0);
    atomic_store(&s->acked, 0);
    vcpu_vm_t w, z;
    die_rc("vm", vcpu_rt_vm_create(rt, 1, wk_sleeper, s, &a1, &z));
    die_rc("vm", vcpu_rt_vm_create(rt, 1, wk_waker, s, &a0, &w));
    die_rc("join", vcpu_rt_vm_join(rt, w));
    die_rc("join", vcpu_rt_vm_join(rt, z));
}

/* The same hand-off between two threads: B spins on a word (spin) or
 * sleeps on it in FUTEX_WAIT (sleep); A stamps, bumps it (and wakes). */
struct th_state {
    bool sleep;
    unsigned long n;
    uint64_t delay_ns;
    _Atomic uint32_t word;
    _Atomic unsigned long ready;
    _Atomic uint64_t t0;
    double *lat;
};

static void *th_sleeper(void *arg)
{
    struct th_state *s = arg;
    for (unsigned long i = 1; i <= s->n; i++) {
        uint32_t seen = atomic_load(&s->word);
        atomic_store(&s->ready, i);
        while (atomic_load(&s->word) == seen) {
            if (s->sleep)
                syscall(SYS_futex, (uint32_t *)&s->word, FUTEX_WAIT_PRIVATE,
                        seen, NULL, NULL, 0);
            else
                cpu_relax();
        }
        s->lat[i - 1] = (double)(mono_ns() - atomic_load(&s->t0));
        atomic_store(&s->ready, 0);
    }
    return NULL;
}

static void th_run(struct th_state *s, const int *cpu)
{
    pthread_t t;
    atomic_store(&s->ready, 0);
    spawn_on(&t, cpu[1], th_sleeper, s);
    for (unsigned long i = 1; i <= s->n; i++) {
        while (atomic_load(&s->ready) != i)
            cpu_relax();
        spin_until_ns(mono_ns() + s->delay_ns);
        atomic_store(&s->t0, mono_ns());
        atomic_fetch_add(&s->word, 1);
        if (s->sleep)
            syscall(SYS_futex, (uint32_t *)&s->word, FUTEX_WAKE_PRIVATE, 1,
                    NULL, NULL, 0);
        while (atomic_load(&s->ready) == i)
            cpu_relax();
    }
    pthread_join(t, NULL);
}

static void wakeup_case(const struct opts *o, vcpu_rt_t *rt, const int *cpu,
                        bool sleep)
{
    uint64_t delay = sleep ? 3 * o->spin_us * 1000 + 100000 : 5000;
    unsigned long n = sleep ? (o->n + 3) / 4 : o->n;
    double *lat = calloc(n, sizeof *lat);
    double p50[MAX_REPS], p99[MAX_REPS], b50[MAX_REPS], b99[MAX_REPS];
    vcpu_mutex_t *m;
    die_rc("mutex", vcpu_mutex_create(&m));
    for (unsigned r = 0; r < o->reps; r++) {
        struct th_state t = {
            .sleep = sleep, .n = n, .delay_ns = delay, .lat = lat};
        th_run(&t, cpu);
        b50[r] = quantile(lat, n, 0.5);
        b99[r] = quantile(lat, n, 0.99);
        struct wk_state s = {
            .rt = rt, .m = m, .n = n, .delay_ns = delay, .lat = lat};
        wk_run(rt, &s);
        p50[r] = quantile(lat, n, 0.5);
        p99[r] = quantile(lat, n, 0.99);
    }
    vcpu_mutex_destroy(m);
    free(lat);
    char w50[64], w99[64];
    snprintf(w50, sizeof w50, "p50; worker %s",
             sleep ? "asleep (futex)" : "spinning");
    snprintf(w99, sizeof w99, "p99; worker %s",
             sleep ? "asleep (futex)" : "spinning");
    const char *bn = sleep ? "2 threads; futex" : "2 threads; spin";
    struct row a = {.bench = "wakeup",
                    .what = w50,
                    .unit = "ns",
                    .base_name = bn,
                    .target_txt = sleep ? "-" : "<= 1000 ns"};
    summarise(&a, p50, b50, o->reps);
    a.met = sleep ? -1 : a.med <= 1000.0;
    emit(o, &a);
    struct row c = {.bench = "wakeup",
                    .what = w99,
                    .unit = "ns",
                    .base_name = bn,
                    .target_txt = "-"};
    c.met = -1;
    summarise(&c, p99, b99, o->reps);
    emit(o, &c);
}

static void bench_wakeup(const struct opts *o)
{
    int cpu[2] = {0, 1};
    if (sscanf(o->cpus, "%d,%d", &cpu[0], &cpu[1]) != 2) {
        fprintf(stderr, "rt_bench: --cpus wants two CPUs, A,B\n");
        exit(64);
    }
    pin(cpu[0]);
    vcpu_rt_t *rt = rt_make("pack:1 core:2 pu:1", o->cpus, 0, o);
    printf("# wakeup: idle workers spin %llu us (polling their kick word), "
           "then sleep in FUTEX_WAIT\n",
           (unsigned long long)o->spin_us);
    wakeup_case(o, rt, cpu, false);
    wakeup_case(o, rt, cpu, true);
    vcpu_rt_destroy(rt);
}

/* ---- driver -------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: rt_bench {pingpong|create|cpubound|wakeup|all}\n"
            "  [--reps N] [--csv FILE] [--cpu N] [--cpus A,B]\n"
            "  pingpong: [--yields N]            yields per vCPU\n"
            "  create:   [--batch N] [--from-thread]   vCPUs per batch\n"
            "  cpubound: [--vcpus N] [--work-ms N] [--point-us X] [--timer]\n"
            "            [--slice-us N]\n"
            "  wakeup:   [--samples N] [--spin-us N]\n");
    exit(64);
}

static void parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"reps", required_argument, NULL, 'r'},
        {"csv", required_argument, NULL, 'c'},
        {"cpu", required_argument, NULL, 'p'},
        {"cpus", required_argument, NULL, 'P'},
        {"yields", required_argument, NULL, 'y'},
        {"batch", required_argument, NULL, 'b'},
        {"samples", required_argument, NULL, 'n'},
        {"vcpus", required_argument, NULL, 'v'},
        {"work-ms", required_argument, NULL, 'w'},
        {"point-us", required_argument, NULL, 'i'},
        {"timer", no_argument, NULL, 't'},
        {"slice-us", required_argument, NULL, 's'},
        {"spin-us", required_argument, NULL, 'S'},
        {"from-thread", no_argument, NULL, 'f'},
        {0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'r':
            o->reps = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 'c':
            o->csv = optarg;
            break;
        case 'p':
            o->cpu = atoi(optarg);
            break;
        case 'P':
            o->cpus = optarg;
            break;
        case 'y':
            o->yields = strtoul(optarg, NULL, 0);
            break;
        case 'b':
            o->batch = strtoul(optarg, NULL, 0);
            break;
        case 'n':
            o->samples = strtoul(optarg, NULL, 0);
            break;
        case 'v':
            o->vcpus = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 'w':
            o->work_ms = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 'i':
            o->point_us = strtod(optarg, NULL);
            break;
        case 't':
            o->timer = true;
            break;
        case 's':
            o->slice_us = strtoull(optarg, NULL, 0);
            break;
        case 'S':
            o->spin_us = strtoull(optarg, NULL, 0);
            break;
        case 'f':
            o->from_thread = true;
            break;
        default:
            usage();
        }
    }
    if (optind != argc || !o->reps || o->reps > MAX_REPS || !o->vcpus ||
        !o->work_ms || !o->slice_us || !o->spin_us || o->point_us <= 0 ||
        o->yields < 1 || !o->batch || !o->samples)
        usage();
}

static FILE *open_csv(const char *path)
{
    FILE *f = fopen(path, "a");
    if (f && ftell(f) == 0)
        fprintf(f, "bench,what,reps,median,min,max,unit,baseline,"
                   "baseline_median,ratio,target,met\n");
    return f;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    const char *cmd = argv[1];
    bool all = !strcmp(cmd, "all");
    if (!all && strcmp(cmd, "pingpong") && strcmp(cmd, "create") &&
        strcmp(cmd, "cpubound") && strcmp(cmd, "wakeup"))
        usage();
    struct opts o = {.reps = 7,
                     .cpu = 1,
                     .cpus = "0,1",
                     .vcpus = 256,
                     .work_ms = 500,
                     .point_us = 10,
                     .slice_us = 1000,
                     .spin_us = 50,
                     .yields = 2000000,
                     .batch = 1024,
                     .samples = 2000};
    optind = 2;
    parse(argc, argv, &o);
    printf("#");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n# linked with %s; %u reps; medians; ratio = median of per-rep "
           "ratios%s\n",
           LINKED, o.reps,
           VCPU__CTX_ANNOTATE ? "; sanitizer build: no fcontext baseline" : "");
    printf("%-9s %-34s %10s %10s %10s %-3s %-22s %10s %7s  %-10s %s\n", "bench",
           "what", "median", "min", "max", "", "baseline", "base_med", "ratio",
           "target", "met?");
    if (o.csv && !(csv_out = open_csv(o.csv))) {
        perror(o.csv);
        return 73;
    }
    if (all || !strcmp(cmd, "pingpong")) {
        o.n = o.yields;
        bench_pingpong(&o);
    }
    if (all || !strcmp(cmd, "create")) {
        o.n = o.batch;
        bench_create(&o);
    }
    if (all || !strcmp(cmd, "cpubound")) {
        bench_cpubound(&o);
    }
    if (all || !strcmp(cmd, "wakeup")) {
        o.n = o.samples;
        bench_wakeup(&o);
    }
    if (csv_out)
        fclose(csv_out);
    return 0;
}
