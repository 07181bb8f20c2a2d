// SPDX-License-Identifier: GPL-3.0-or-later
/* The runtime on real threads: many vCPUs on few workers, blocking
 * primitives, offline/online under load, timer preemption, the dh policy
 * suspending a vCPU, live policy swap, the monitor, traces and errors. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <vcpu/rt.h>

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static vcpu_rt_t *start_rt(const char *topo, const char *policy, unsigned flags,
                           uint64_t slice_ns)
{
    struct vcpu_rt_attr a = {.abi = VCPU_RT_ABI,
                             .topology = topo,
                             .policy = policy,
                             .flags = flags,
                             .slice_ns = slice_ns,
                             .idle_spin_ns = 2000};
    vcpu_rt_t *rt = NULL;
    assert_int_equal(vcpu_rt_create(&a, &rt), 0);
    assert_int_equal(vcpu_rt_start(rt), 0);
    return rt;
}

/* ---- 256 vCPUs on 2 workers, known work ---------------------------------- */

struct sum_job {
    _Atomic uint64_t results[256];
    unsigned n;
};

static void sum_entry(void *arg)
{
    struct sum_job *j = arg;
    unsigned i = vcpu_self_index();
    uint64_t s = 0;
    for (uint64_t k = 1; k <= 20000 + i; k++) {
        s += k * (i + 1);
        if (k % 1000 == 0)
            vcpu_yield();
    }
    atomic_store(&j->results[i], s);
}

static void test_rt_256_vcpus_on_2_workers_compute_exactly(void **state)
{
    (void)state;
    vcpu_rt_t *rt = start_rt("pack:1 core:2 pu:1", "rr", VCPU_RT_CHECK, 0);
    static struct sum_job j;
    memset(&j, 0, sizeof j);
    vcpu_vm_t vm;
    assert_int_equal(vcpu_rt_vm_create(rt, 256, sum_entry, &j, NULL, &vm), 0);
    assert_int_equal(vcpu_rt_vm_join(rt, vm), 0);
    for (unsigned i = 0; i < 256; i++) {
        uint64_t n = 20000 + i;
        assert_int_equal(atomic_load(&j.results[i]), (i + 1) * n * (n + 1) / 2);
    }
    assert_int_equal(vcpu_rt_stop(rt, false), 0);
    uint64_t run = 0, busy = 0;
    vcpu_core_t *c = vcpu_rt_core(rt);
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(c); v++) {
        struct vcpu_vcpu_stats st;
        assert_int_equal(vcpu_core_vcpu_stats(c, v, &st), 0);
        assert_int_equal(st.state, VP_VCPU_EXITED);
        assert_true(st.nr_runs >= 21);
        run += st.run_ns;
    }
    for (vcpu_pcpu_t p = 0; p < 2; p++) {
        struct vcpu_pcpu_stats st;
        vcpu_core_pcpu_stats(c, p, &st);
        busy += st.busy_ns;
    }
    assert_int_equal(run, busy);
    assert_true(run > 0);
    vcpu_rt_destroy(rt);
}

/* ---- yields hand vCPUs straight to each other, across workers ---------- */

struct storm {
    _Atomic int running[64]; /* a context resumed twice at once shows here */
    _Atomic unsigned bad, done;
};

static void storm_entry(void *arg)
{
    struct storm *s = arg;
    unsigned i = vcpu_self_index();
    volatile uint64_t canary = 0x5eed0000u + i; /* on this vCPU's stack */
    for (unsigned k = 0; k < 5000; k++) {
        if (atomic_exchange(&s->running[i], 1) != 0 ||
            canary != 0x5eed0000u + i || vcpu_self_index() != i)
            atomic_fetch_add(&s->bad, 1);
        atomic_store(&s->running[i], 0);
        vcpu_yield();
    }
    atomic_fetch_add(&s->done, 1);
}

/* 64 vCPUs yielding on 4 workers (2 real CPUs): a yield puts a vCPU back
 * in a shared queue before its context is saved, and another worker may
 * pick it at once (worker.c, wait_saved). */
static void test_rt_yield_storm_on_4_workers(void **state)
{
    (void)state;
    /* the last round without the checker (ctest sets VCPU_CHECK=1): the
     * core's yield lane and the biased lock, four workers contending */
    const char *pols[] = {"rr", "fifo", "fair", "rr", "rr"};
    for (unsigned r = 0; r < 5; r++) {
        unsigned flags = r == 3 ? VCPU_RT_CHECK | VCPU_RT_PREEMPT_TIMER : 0;
        char *saved =
            getenv("VCPU_CHECK") ? strdup(getenv("VCPU_CHECK")) : NULL;
        if (r == 4)
            setenv("VCPU_CHECK", "0", 1);
        vcpu_rt_t *rt = start_rt("pack:1 core:4 pu:1", pols[r], flags, 200000);
        if (saved)
            setenv("VCPU_CHECK", saved, 1);
        else
            unsetenv("VCPU_CHECK");
        free(saved);
        static struct storm s;
        memset(&s, 0, sizeof s);
        vcpu_vm_t vm;
        assert_int_equal(vcpu_rt_vm_create(rt, 64, storm_entry, &s, NULL, &vm),
                         0);
        assert_int_equal(vcpu_rt_vm_join(rt, vm), 0);
        assert_int_equal(atomic_load(&s.bad), 0);
        assert_int_equal(atomic_load(&s.done), 64);
        assert_int_equal(vcpu_rt_stop(rt, false), 0);
        assert_int_equal(vcpu_core_check(vcpu_rt_core(rt)), 0);
        vcpu_rt_destroy(rt);
    }
}

/* ---- ids of joined VMs serve again ------------------------------------------ */

static void count_entry(void *arg)
{
    atomic_fetch_add((_Atomic unsigned *)arg, 1);
}

/* More vCPUs over a runtime's life than its table has ids (65,536): a
 * joined VM's ids are given out again (VCPU_CORE_RECYCLE), every vCPU
 * runs once, and the accounting (sum of run = sum of busy, with the run
 * time of the vCPUs whose ids were reused) still holds. */
static void test_rt_more_vcpus_than_ids_over_its_life(void **state)
{
    (void)state;
    vcpu_rt_t *rt = start_rt("pack:1 core:2 pu:1", "rr", 0, 1000000);
    static _Atomic unsigned ran;
    atomic_store(&ran, 0);
    enum { PER_VM = 2048, VMS = 33 }; /* 67,584 vCPUs */
    for (unsigned k = 0; k < VMS; k++) {
        vcpu_vm_t vm;
        assert_int_equal(
            vcpu_rt_vm_create(rt, PER_VM, count_entry, (void *)&ran, NULL, &vm),
            0);
        assert_int_equal(vcpu_rt_vm_join(rt, vm), 0);
    }
    assert_int_equal(atomic_load(&ran), PER_VM * VMS);
    /* the ids went round: the table never grew past two VMs' worth */
    assert_true(vcpu_core_nvcpus(vcpu_rt_core(rt)) <= 2 * PER_VM);
    assert_int_equal(vcpu_rt_stop(rt, false), 0);
    assert_int_equal(vcpu_core_check(vcpu_rt_core(rt)), 0);
    vcpu_rt_destroy(rt);
}

/* Spawners on four workers make small VMs and wait for them by yielding,
 * all at once: ids go free and come back while other VMs' vCPUs exit on
 * other workers, exits switch straight to the next vCPU, and the core's
 * lock changes hands all the time. Each child runs once, on a stack that
 * holds its canary, with its own index, and the books balance. */
enum { SPAWNERS = 8, SPAWNS = 60, MAXKIDS = 16 };

struct spawn_vm {
    _Atomic unsigned left;         /* children not yet finished */
    _Atomic unsigned ran[MAXKIDS]; /* runs per child index */
};

struct spawn_all {
    struct spawn_vm vm[SPAWNERS][SPAWNS];
    vcpu_rt_t *rt;
    _Atomic unsigned bad, kids;
};

static struct spawn_all spawn;

static void spawn_child(void *arg)
{
    struct spawn_vm *m = arg;
    unsigned i = vcpu_self_index();
    volatile uint64_t canary = 0xc0de0000u + i;
    vcpu_yield();
    if (i >= MAXKIDS || canary != 0xc0de0000u + i)
        atomic_fetch_add(&spawn.bad, 1);
    else
        atomic_fetch_add(&m->ran[i], 1);
    atomic_fetch_add(&spawn.kids, 1);
    atomic_fetch_sub(&m->left, 1);
}

static void spawner(void *arg)
{
    (void)arg;
    unsigned me = vcpu_self_index();
    for (unsigned k = 0; k < SPAWNS; k++) {
        struct spawn_vm *m = &spawn.vm[me][k];
        unsigned n = 1 + (me * 7 + k * 5) % MAXKIDS;
        atomic_store(&m->left, n);
        vcpu_vm_t vm;
        if (vcpu_rt_vm_create(spawn.rt, n, spawn_child, m, NULL, &vm)) {
            atomic_fetch_add(&spawn.bad, 1);
            return;
        }
        while (atomic_load(&m->left)) /* not vcpu_rt_vm_join: it would */
            vcpu_yield();             /* block this worker */
    }
}

static void test_rt_spawn_storm_recycles_ids_across_workers(void **state)
{
    (void)state;
    for (unsigned r = 0; r < 2; r++) { /* with and without the checker */
        char *saved =
            getenv("VCPU_CHECK") ? strdup(getenv("VCPU_CHECK")) : NULL;
        if (r == 1)
            setenv("VCPU_CHECK", "0", 1);
        vcpu_rt_t *rt = start_rt("pack:1 core:4 pu:1", "rr", 0, 200000);
        if (saved)
            setenv("VCPU_CHECK", saved, 1);
        else
            unsetenv("VCPU_CHECK");
        free(saved);
        memset(&spawn, 0, sizeof spawn);
        spawn.rt = rt;
        vcpu_vm_t vm;
        assert_int_equal(
            vcpu_rt_vm_create(rt, SPAWNERS, spawner, NULL, NULL, &vm), 0);
        assert_int_equal(vcpu_rt_vm_join(rt, vm), 0);
        unsigned want = 0;
        for (unsigned me = 0; me < SPAWNERS; me++)
            for (unsigned k = 0; k < SPAWNS; k++) {
                unsigned n = 1 + (me * 7 + k * 5) % MAXKIDS;
                want += n;
                for (unsigned i = 0; i < MAXKIDS; i++)
                    assert_int_equal(atomic_load(&spawn.vm[me][k].ran[i]),
                                     i < n ? 1 : 0);
            }
        assert_int_equal(atomic_load(&spawn.bad), 0);
        assert_int_equal(atomic_load(&spawn.kids), want);
        /* ids came back: far fewer than were ever made */
        assert_true(vcpu_core_nvcpus(vcpu_rt_core(rt)) < want / 4);
        assert_int_equal(vcpu_rt_stop(rt, false), 0);
        assert_int_equal(vcpu_core_check(vcpu_rt_core(rt)), 0);
        vcpu_rt_destroy(rt);
    }
}

/* ---- mutex, condition variable, barrier, sleep ------------------------------ */

struct shared {
    vcpu_mutex_t *m;
    vcpu_cond_t *c;
    vcpu_barrier_t *b;
    long counter;
    int phase_seen[64];
    _Atomic int ready;
    _Atomic int lasts;
    _Atomic int behind; /* a vCPU passed a barrier before another arrived */
    unsigned n;
};

static void sync_entry(void *arg)
{
    struct shared *s = arg;
    unsigned me = vcpu_self_index();
    for (int r = 0; r < 200; r++) {
        vcpu_mutex_lock(s->m);
        long c = s->counter;
        vcpu_yield(); /* others run while we hold it */
        s->counter = c + 1;
        vcpu_mutex_unlock(s->m);
    }
    for (int ph = 0; ph < 5; ph++) {
        s->phase_seen[me] = ph;
        if (vcpu_barrier_wait(s->b))
            atomic_fetch_add(&s->lasts, 1);
        for (unsigned k = 0; k < s->n; k++) /* nobody is behind */
            if (s->phase_seen[k] < ph)
                atomic_store(&s->behind, 1);
        vcpu_barrier_wait(s->b);
    }
    if (me == 0) {
        vcpu_sleep_ns(2000000);
        vcpu_mutex_lock(s->m);
        atomic_store(&s->ready, 1);
        vcpu_cond_broadcast(s->c);
        vcpu_mutex_unlock(s->m);
    } else {
        vcpu_mutex_lock(s->m);
        while (!atomic_load(&s->ready))
            vcpu_cond_wait(s->c, s->m);
        vcpu_mutex_unlock(s->m);
    }
}

static void test_rt_mutex_barrier_cond_sleep(void **state)
{
    (void)state;
    vcpu_rt_t *rt = start_rt("pack:1 core:3 pu:1", "vhier", 0, 0);
    static struct shared s;
    memset(&s, 0, sizeof s);
    s.n = 40;
    assert_int_equal(vcpu_mutex_create(&s.m), 0);
    assert_int_equal(vcpu_cond_create(&s.c), 0);
    assert_int_equal(vcpu_barrier_create(s.n, &s.b), 0);
    vcpu_vm_t vm;
    uint64_t t0 = mono_ns();
    assert_int_equal(vcpu_rt_vm_create(rt, s.n, sync_entry, &s, NULL, &vm), 0);
    assert_int_equal(vcpu_rt_vm_join(rt, vm), 0);
    assert_int_equal(s.counter, 200 * 40);
    assert_int_equal(atomic_load(&s.lasts), 5);
    assert_int_equal(atomic_load(&s.behind), 0);
    assert_true(mono_ns() - t0 >= 2000000);
    vcpu_rt_destroy(rt);
    vcpu_mutex_destroy(s.m);
    vcpu_cond_destroy(s.c);
    vcpu_barrier_destroy(s.b);
}

/* ---- offline under load (cooperative) ------------------------------------ */

struct spin_job {
    _Atomic int stop;
    _Atomic unsigned done;
    _Atomic uint64_t on_pcpu[8];
};

static void coop_entry(void *arg)
{
    struct spin_job *j = arg;
    while (!atomic_load(&j->stop)) {
        atomic_fetch_add(&j->on_pcpu[vcpu_self_pcpu()], 1);
        vcpu_preempt_point();
    }
    atomic_fetch_add(&j->done, 1);
}

static void offline_under_load(unsigned flags)
{
    vcpu_rt_t *rt = start_rt("pack:1 core:4 pu:1", "rr", flags, 500000);
    static struct spin_job j;
    memset(&j, 0, sizeof j);
    vcpu_vm_t vm;
    assert_int_equal(vcpu_rt_vm_create(rt, 12, coop_entry, &j, NULL, &vm), 0);
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    assert_int_equal(vcpu_rt_pcpu_set_online(rt, 2, false), 0);
    /* within a couple of preemption periods, nothing runs on pCPU 2 */
    uint64_t deadline = mono_ns() + 200000000;
    vcpu_core_t *c = vcpu_rt_core(rt);
    while (vcpu_core_pcpu_state(c, 2) != VP_PCPU_OFFLINE &&
           mono_ns() < deadline)
        sched_yield();
    assert_int_equal(vcpu_core_pcpu_state(c, 2), VP_PCPU_OFFLINE);
    uint64_t before = atomic_load(&j.on_pcpu[2]);
    nanosleep(&ts, NULL);
    assert_int_equal(atomic_load(&j.on_pcpu[2]), before);
    vcpu_id_t snap[4];
    assert_int_equal(vcpu_rt_snapshot(rt, snap, 4), 4);
    assert_int_equal(snap[2], VCPU_NONE);
    assert_int_equal(vcpu_rt_pcpu_set_online(rt, 2, true), 0);
    nanosleep(&ts, NULL);
    atomic_store(&j.stop, 1);
    assert_int_equal(vcpu_rt_vm_join(rt, vm), 0);
    assert_int_equal(atomic_load(&j.done), 12);
    assert_true(atomic_load(&j.on_pcpu[2]) > before); /* back in use */
    vcpu_rt_destroy(rt);
}

static void test_rt_offline_pcpu_at_switch_points(void **state)
{
    (void)state;
    offline_under_load(0);
}

/* ---- timer preemption: a vCPU that never yields ------------------------- */

static void hog_entry(void *arg)
{
    struct spin_job *j = arg;
    if (vcpu_self_index() == 0) { /* spins, no preemption point at all */
        while (!atomic_load(&j->stop))
            atomic_fetch_add(&j->on_pcpu[0], 1);
    } else {
        atomic_fetch_add(&j->done, 1);
    }
}

static void test_rt_timer_preemption_stops_a_hog(void **state)
{
    (void)state;
#if defined(__SANITIZE_THREAD__)
    skip(); /* TSan builds preempt at preemption points only (worker.c) */
#endif
    vcpu_rt_t *rt =
        start_rt("core:1 pu:1", "rr", VCPU_RT_PREEMPT_TIMER, 1000000);
    static struct spin_job j;
    memset(&j, 0, sizeof j);
    vcpu_vm_t vm;
    assert_int_equal(vcpu_rt_vm_create(rt, 4, hog_entry, &j, NULL, &vm), 0);
    uint64_t deadline = mono_ns() + 2000000000ull;
    while (atomic_load(&j.done) < 3 && mono_ns() < deadline)
        sched_yield();
    assert_int_equal(atomic_load(&j.done), 3); /* the others ran */
    atomic_store(&j.stop, 1);
    assert_int_equal(vcpu_rt_vm_join(rt, vm), 0);
    vcpu_rt_destroy(rt);
}

static void test_rt_offline_pcpu_in_timer_mode(void **state)
{
    (void)state;
    offline_under_load(VCPU_RT_PREEMPT_TIMER);
}

/* ---- dh: four vCPUs on four pCPUs, one taken away -------------------------- */

struct dh_job {
    _Atomic int stop;
    _Atomic unsigned max_running, done;
    vcpu_rt_t *rt;
};

static void dh_entry(void *arg)
{
    struct dh_job *j = arg;
    uint64_t until = mono_ns() + 150000000; /* 150 ms of work each */
    while (mono_ns() < until)
        vcpu_preempt_point();
    atomic_fetch_add(&j->done, 1);
}

static void test_rt_dh_suspends_one_of_four_on_three(void **state)
{
    (void)state;
    vcpu_rt_t *rt = start_rt("pack:1 core:4 pu:1", "dh", 0, 1000000);
    static struct dh_job j;
    memset(&j, 0, sizeof j);
    vcpu_vm_t vm;
    assert_int_equal(vcpu_rt_vm_create(rt, 4, dh_entry, &j, NULL, &vm), 0);
    assert_int_equal(vcpu_rt_pcpu_set_online(rt, 3, false), 0);
    vcpu_core_t *c = vcpu_rt_core(rt);
    uint64_t deadline = mono_ns() + 100000000;
    while (vcpu_core_pcpu_state(c, 3) != VP_PCPU_OFFLINE &&
           mono_ns() < deadline)
        sched_yield();
    unsigned seen_suspended = 0, max_running = 0;
    while (atomic_load(&j.done) < 4 && mono_ns() < deadline + 3000000000ull) {
        vcpu_id_t snap[4];
        vcpu_rt_snapshot(rt, snap, 4);
        unsigned running = 0;
        for (int p = 0; p < 4; p++)
            running += snap[p] != VCPU_NONE;
        if (running > max_running)
            max_running = running;
        assert_int_equal(snap[3], VCPU_NONE);
        if (vcpu_core_count_state(c, VP_VCPU_SUSPENDED) == 1)
            seen_suspended++;
        sched_yield();
    }
    assert_int_equal(atomic_load(&j.done), 4); /* all finished */
    assert_true(max_running <= 3);
    assert_true(seen_suspended > 0);
    assert_int_equal(vcpu_rt_vm_join(rt, vm), 0);
    vcpu_rt_destroy(rt);
}

/* ---- policy swap under load ------------------------------------------------- */

static void swap_entry(void *arg)
{
    _Atomic unsigned *done = arg;
    for (int i = 0; i < 20; i++)
        vcpu_yield();
    atomic_fetch_add(done, 1);
}

static void test_rt_policy_swap_under_load_loses_nothing(void **state)
{
    (void)state;
    vcpu_rt_t *rt = start_rt("pack:1 core:4 pu:1", "rr", 0, 200000);
    static _Atomic unsigned done;
    atomic_store(&done, 0);
    vcpu_vm_t vm;
    assert_int_equal(
        vcpu_rt_vm_create(rt, 1000, swap_entry, (void *)&done, NULL, &vm), 0);
    const char *pol[] = {"vhier", "rr", "fifo", "dh", "rr"};
    for (int i = 0; i < 10; i++)
        assert_int_equal(vcpu_rt_set_policy(rt, pol[i % 5], NULL), 0);
    assert_int_equal(vcpu_rt_set_policy(rt, "nosuch", NULL), VCPU_ENOENT);
    assert_int_equal(vcpu_rt_vm_join(rt, vm), 0);
    assert_int_equal(atomic_load(&done), 1000);
    vcpu_rt_destroy(rt);
}

/* ---- monitor: the process loses a CPU ---------------------------------------- */

struct mon_seen {
    _Atomic uint64_t lost_at;
    _Atomic unsigned lost_cpu;
};

static void on_event(void *arg, const struct vcpu_rt_event *e)
{
    struct mon_seen *s = arg;
    if (e->kind == VCPU_RT_EV_AFFINITY_LOST && !atomic_load(&s->lost_at)) {
        atomic_store(&s->lost_cpu, (unsigned)e->value);
        atomic_store(&s->lost_at, e->time_ns);
    }
}

static void test_rt_monitor_sees_affinity_shrink(void **state)
{
    (void)state;
    cpu_set_t orig;
    assert_int_equal(sched_getaffinity(0, sizeof orig, &orig), 0);
    if (CPU_COUNT(&orig) < 2)
        skip();
    struct vcpu_rt_attr a = {.abi = VCPU_RT_ABI,
                             .flags = VCPU_RT_MONITOR,
                             .monitor_period_ns = 5000000};
    vcpu_rt_t *rt;
    assert_int_equal(vcpu_rt_create(&a, &rt), 0);
    static struct mon_seen seen;
    memset(&seen, 0, sizeof seen);
    assert_int_equal(vcpu_rt_set_monitor(rt, on_event, &seen), 0);
    assert_int_equal(vcpu_rt_start(rt), 0);
    assert_int_equal(vcpu_rt_set_monitor(rt, on_event, &seen), VCPU_EBUSY);
    int last = -1;
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &orig))
            last = i;
    cpu_set_t shrunk = orig;
    CPU_CLR(last, &shrunk);
    uint64_t t0 = mono_ns();
    assert_int_equal(sched_setaffinity(0, sizeof shrunk, &shrunk), 0);
    while (!atomic_load(&seen.lost_at) && mono_ns() - t0 < 1000000000ull)
        sched_yield();
    uint64_t dt = atomic_load(&seen.lost_at) - t0;
    sched_setaffinity(0, sizeof orig, &orig);
    printf("affinity shrink reported after %.1f ms\n", dt / 1e6);
    assert_int_equal(atomic_load(&seen.lost_cpu), (unsigned)last);
    assert_true(dt < 100000000);
    vcpu_rt_destroy(rt);
}

/* ---- traces and errors ------------------------------------------------------- */

static void short_entry(void *arg)
{
    (void)arg;
    vcpu_yield();
}

static void test_rt_trace_csv_and_chrome(void **state)
{
    (void)state;
    vcpu_rt_t *rt = start_rt("pack:1 core:2 pu:1", "rr", VCPU_RT_TRACE, 0);
    vcpu_vm_t vm;
    assert_int_equal(vcpu_rt_vm_create(rt, 8, short_entry, NULL, NULL, &vm), 0);
    assert_int_equal(vcpu_rt_vm_join(rt, vm), 0);
    assert_int_equal(vcpu_rt_stop(rt, false), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(vcpu_rt_trace_write_csv(rt, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, VCPU_TRACE_CSV_HEADER));
    unsigned runs = 0, exits = 0;
    for (char *l = strchr(buf, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
        struct vcpu_trace_rec r;
        char *nl = strchr(l, '\n');
        *nl = '\0';
        assert_int_equal(vcpu_trace_parse(l, &r), 0);
        *nl = '\n';
        runs += r.event == VCPU_TRACE_RUN;
        exits += r.event == VCPU_TRACE_EXIT;
    }
    assert_int_equal(exits, 8);
    assert_true(runs >= 16);
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(vcpu_rt_trace_write_chrome(rt, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\"traceEvents\""));
    assert_non_null(strstr(buf, "\"ph\":\"X\""));
    free(buf);
    vcpu_rt_destroy(rt);
}

/* A join gives its VM's id back: a runtime that makes and joins a VM per
 * loop keeps naming it with the same id (its tables stay the size of the
 * VMs alive), and a second join of that id finds no VM. */
static void reuse_under(const char *policy, unsigned loops)
{
    vcpu_rt_t *rt = start_rt("pack:1 core:2 pu:1", policy, 0, 0);
    vcpu_vm_t first = VCPU_NONE;
    for (unsigned i = 0; i < loops; i++) {
        vcpu_vm_t vm;
        assert_int_equal(vcpu_rt_vm_create(rt, 2, short_entry, NULL, NULL, &vm),
                         0);
        assert_int_equal(vcpu_rt_vm_join(rt, vm), 0);
        if (i == 0)
            first = vm;
        assert_int_equal(vm, first);
        if (i % 1000 == 0)
            assert_int_equal(vcpu_rt_vm_join(rt, vm), VCPU_ESRCH);
    }
    /* two alive at once take two ids, both given back */
    vcpu_vm_t x, y;
    assert_int_equal(vcpu_rt_vm_create(rt, 1, short_entry, NULL, NULL, &x), 0);
    assert_int_equal(vcpu_rt_vm_create(rt, 1, short_entry, NULL, NULL, &y), 0);
    assert_true(x != y && (x == first || y == first));
    assert_int_equal(vcpu_rt_vm_join(rt, y), 0);
    assert_int_equal(vcpu_rt_vm_join(rt, x), 0);
    /* the policy took the reused ids (no abort, no fallback to fifo) */
    assert_string_equal(vcpu_core_policy_name(vcpu_rt_core(rt)), policy);
    assert_int_equal(vcpu_rt_stop(rt, false), 0);
    vcpu_rt_destroy(rt);
}

static void test_rt_joined_vm_ids_are_reused(void **state)
{
    (void)state;
    reuse_under("rr", 3000);
    /* policies with a DSQ per VM id (vp_dsq_create: VCPU_EEXIST), and
     * per-VM data */
    const char *others[] = {"space", "vhier", "dh", "fair"};
    for (unsigned i = 0; i < sizeof others / sizeof *others; i++)
        reuse_under(others[i], 200);
}

/* A detached VM gives its id back when it finishes, or at once if it
 * has: made and detached in a loop, VMs keep to a few ids; a detached VM
 * is neither joined nor detached again. */
static _Atomic unsigned detach_ran;

static void detach_entry(void *arg)
{
    (void)arg;
    atomic_fetch_add(&detach_ran, 1);
}

static void test_rt_detached_vm_ids_are_reused(void **state)
{
    (void)state;
    vcpu_rt_t *rt = start_rt("pack:1 core:2 pu:1", "rr", 0, 0);
    atomic_store(&detach_ran, 0);
    vcpu_vm_t top = 0;
    for (unsigned i = 0; i < 500; i++) {
        vcpu_vm_t vm;
        assert_int_equal(
            vcpu_rt_vm_create(rt, 1, detach_entry, NULL, NULL, &vm), 0);
        if (vm > top)
            top = vm;
        if (i % 2) { /* detached while it may still run */
            assert_int_equal(vcpu_rt_vm_detach(rt, vm), 0);
            assert_int_equal(vcpu_rt_vm_detach(rt, vm), VCPU_ESRCH);
            assert_int_equal(vcpu_rt_vm_join(rt, vm), VCPU_ESRCH);
        }
        while (atomic_load(&detach_ran) <= i)
            sched_yield();
        usleep(200);  /* its last exit is past its entry: give it time */
        if (!(i % 2)) /* detached once finished: released at once */
            assert_int_equal(vcpu_rt_vm_detach(rt, vm), 0);
    }
    assert_true(top < 16); /* without the release: 499 */
    assert_int_equal(vcpu_rt_vm_detach(rt, 4096), VCPU_ESRCH);
    assert_int_equal(vcpu_rt_vm_detach(NULL, 0), VCPU_EINVAL);
    assert_int_equal(vcpu_rt_stop(rt, false), 0);
    vcpu_rt_destroy(rt);
}

/* A join returns VCPU_ESTATE, not waiting forever, when nothing can run
 * the VM: before vcpu_rt_start, and when a forced stop strands it while
 * a thread waits in the join. */
static _Atomic bool spin_release;

static void spin_entry(void *arg)
{
    (void)arg;
    while (!atomic_load(&spin_release))
        vcpu_yield();
}

struct joiner {
    vcpu_rt_t *rt;
    vcpu_vm_t vm;
    _Atomic int rc;
    _Atomic bool waiting;
};

static void *join_thread(void *arg)
{
    struct joiner *j = arg;
    atomic_store(&j->waiting, true);
    atomic_store(&j->rc, vcpu_rt_vm_join(j->rt, j->vm));
    return NULL;
}

static void test_rt_join_without_workers_returns(void **state)
{
    (void)state;
    struct vcpu_rt_attr a = {.abi = VCPU_RT_ABI,
                             .topology = "pack:1 core:2 pu:1"};
    vcpu_rt_t *rt = NULL;
    assert_int_equal(vcpu_rt_create(&a, &rt), 0);
    vcpu_vm_t early;
    assert_int_equal(vcpu_rt_vm_create(rt, 2, short_entry, NULL, NULL, &early),
                     0);
    assert_int_equal(vcpu_rt_vm_join(rt, early), VCPU_ESTATE);
    assert_int_equal(vcpu_rt_start(rt), 0);
    assert_int_equal(vcpu_rt_vm_join(rt, early), 0); /* it ran after all */

    atomic_store(&spin_release, false);
    struct joiner j = {.rt = rt, .rc = 1};
    assert_int_equal(vcpu_rt_vm_create(rt, 2, spin_entry, NULL, NULL, &j.vm),
                     0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, join_thread, &j), 0);
    while (!atomic_load(&j.waiting))
        sched_yield();
    usleep(20000); /* most likely inside the join's wait by now */
    assert_int_equal(atomic_load(&j.rc), 1);
    assert_int_equal(vcpu_rt_stop(rt, false), VCPU_EBUSY);
    assert_int_equal(vcpu_rt_stop(rt, true), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(atomic_load(&j.rc), VCPU_ESTATE);
    assert_int_equal(vcpu_rt_vm_join(rt, j.vm), VCPU_ESTATE);
    vcpu_rt_destroy(rt);
}

static void test_rt_bad_arguments_are_refused(void **state)
{
    (void)state;
    vcpu_rt_t *rt = (vcpu_rt_t *)0x1;
    assert_int_equal(vcpu_rt_create(NULL, &rt), VCPU_EINVAL);
    assert_null(rt);
    struct vcpu_rt_attr a = {.abi = 9};
    assert_int_equal(vcpu_rt_create(&a, &rt), VCPU_EABI);
    a.abi = VCPU_RT_ABI;
    a.policy = "nosuch";
    assert_int_equal(vcpu_rt_create(&a, &rt), VCPU_ENOENT);
    a.policy = "rr";
    a.policy_args = "slice_us=x";
    assert_int_equal(vcpu_rt_create(&a, &rt), VCPU_EPARSE);
    a.policy_args = NULL;
    a.topology = "garbage:1";
    assert_int_equal(vcpu_rt_create(&a, &rt), VCPU_ETOPO);
    a.topology = NULL;
    a.cpus = "zz";
    assert_int_equal(vcpu_rt_create(&a, &rt), VCPU_EINVAL);
    a.cpus = NULL;
    a.flags = 1u << 30;
    assert_int_equal(vcpu_rt_create(&a, &rt), VCPU_EINVAL);
    a.flags = 0;
    assert_int_equal(vcpu_rt_create(&a, &rt), 0);
    vcpu_vm_t vm;
    assert_int_equal(vcpu_rt_vm_create(rt, 0, short_entry, NULL, NULL, &vm),
                     VCPU_EINVAL);
    assert_int_equal(vcpu_rt_vm_create(rt, 1, NULL, NULL, NULL, &vm),
                     VCPU_EINVAL);
    assert_int_equal(vcpu_rt_stop(rt, false), VCPU_ESTATE);
    assert_int_equal(vcpu_rt_pcpu_set_online(rt, 0, false), VCPU_ESTATE);
    assert_int_equal(vcpu_rt_pcpu_set_speed(rt, 99, 500), VCPU_ESRCH);
    assert_int_equal(vcpu_rt_pcpu_set_speed(rt, 0, 0), VCPU_ERANGE);
    assert_int_equal(vcpu_rt_vm_join(rt, 77), VCPU_ESRCH);
    assert_int_equal(vcpu_rt_start(rt), 0);
    assert_int_equal(vcpu_rt_start(rt), VCPU_EBUSY);
    assert_int_equal(vcpu_self(), VCPU_NONE); /* not a vCPU */
    vcpu_yield();                             /* a no-op outside */
    vcpu_preempt_point();
    vcpu_rt_destroy(rt);
    vcpu_rt_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rt_256_vcpus_on_2_workers_compute_exactly),
        cmocka_unit_test(test_rt_yield_storm_on_4_workers),
        cmocka_unit_test(test_rt_more_vcpus_than_ids_over_its_life),
        cmocka_unit_test(test_rt_spawn_storm_recycles_ids_across_workers),
        cmocka_unit_test(test_rt_mutex_barrier_cond_sleep),
        cmocka_unit_test(test_rt_offline_pcpu_at_switch_points),
        cmocka_unit_test(test_rt_timer_preemption_stops_a_hog),
        cmocka_unit_test(test_rt_offline_pcpu_in_timer_mode),
        cmocka_unit_test(test_rt_dh_suspends_one_of_four_on_three),
        cmocka_unit_test(test_rt_policy_swap_under_load_loses_nothing),
        cmocka_unit_test(test_rt_monitor_sees_affinity_shrink),
        cmocka_unit_test(test_rt_trace_csv_and_chrome),
        cmocka_unit_test(test_rt_joined_vm_ids_are_reused),
        cmocka_unit_test(test_rt_detached_vm_ids_are_reused),
        cmocka_unit_test(test_rt_join_without_workers_returns),
        cmocka_unit_test(test_rt_bad_arguments_are_refused),
    };
    return cmocka_run_group_tests_name("runtime", tests, NULL, NULL);
}
