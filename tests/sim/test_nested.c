// SPDX-License-Identifier: GPL-3.0-or-later
/* Nested scheduling in the host tier (docs/nested.md): CloudSim's
 * time/space and time/time combinations with real host and guest
 * policies, work conservation with more tasks than vCPUs, two-level
 * effects (steal, slice aliasing), the scenario errors of the nested keys,
 * and a seeded random property (VCPU_SEED, VCPU_NESTED_CASES) with
 * shrinking. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"

#define MS 1000000ull
#define S 1000000000ull

static struct sim_scenario *parse(const char *yaml, const char *const *sets,
                                  unsigned nsets)
{
    struct sim_scenario *s = NULL;
    char err[1024];
    if (sim_scenario_parse("test.yaml", yaml, strlen(yaml), sets, nsets, &s,
                           err, sizeof err))
        fail_msg("scenario: %s", err);
    return s;
}

static struct sim_model *run(const struct sim_scenario *s, FILE *gtrace)
{
    struct sim_model *m = NULL;
    char err[1024];
    struct sim_model_opts o = {
        .scn = s, .seed = 1, .check = true, .guest_trace = gtrace};
    if (sim_model_create(&o, &m, err, sizeof err))
        fail_msg("create: %s", err);
    if (sim_model_run(m, 0, NULL, NULL, NULL))
        fail_msg("run: %s", sim_model_error(m));
    return m;
}

static uint64_t finish_of(struct sim_model *m, unsigned vm, unsigned t)
{
    struct sim_task_result r;
    assert_int_equal(sim_model_task(m, vm, t, &r), 0);
    if (r.state != SIM_TASK_DONE)
        fail_msg("VM %u task %u not done (%" PRIu64 " of %" PRIu64 " ns)", vm,
                 t, r.done_ns, r.work_ns);
    return r.finish_ns;
}

/* ---- CloudSim's combinations in the host tier ------------------------------ */

/* One host of 2 pCPUs, two 2-vCPU VMs of 4 tasks of T = 10 s: the host
 * time-shares the vCPUs (fair or rr, 1 ms), the guest space-shares
 * (tasks run to completion in order: t1, t2 at 2T, t3, t4 at 4T) or
 * time-shares (every task at 4T). The datacenter tier gets these to the
 * nanosecond (test_dc.c test_cloudsim_time_*); here real policies at both
 * levels must come within three slices. */
static const char cloudsim[] = "name: nested\n"
                               "duration: 100s\n"
                               "slice: 1ms\n"
                               "hosts:\n"
                               "  - topology: 'pack:1 core:2 pu:1'\n"
                               "vms:\n"
                               "  - name: vm1\n"
                               "    vcpus: 2\n"
                               "    tasks: [{count: 4, work: 10s}]\n"
                               "    guest_policy: rr\n"
                               "  - name: vm2\n"
                               "    vcpus: 2\n"
                               "    tasks: [{count: 4, work: 10s}]\n"
                               "    guest_policy: rr\n";

static void combo(const char *host, const char *guest, const char *gslice,
                  const int *want, uint64_t tol_ns)
{
    char a[64], b[64], c[64], d[64], e[64];
    snprintf(a, sizeof a, "policy=%s", host);
    snprintf(b, sizeof b, "vms.0.guest_policy=%s", guest);
    snprintf(c, sizeof c, "vms.1.guest_policy=%s", guest);
    snprintf(d, sizeof d, "vms.0.guest_slice=%s", gslice);
    snprintf(e, sizeof e, "vms.1.guest_slice=%s", gslice);
    const char *sets[] = {a, b, c, d, e};
    struct sim_scenario *s = parse(cloudsim, sets, 5);
    struct sim_model *m = run(s, NULL);
    for (unsigned i = 0; i < 8; i++) {
        uint64_t fin = finish_of(m, i / 4, i % 4);
        uint64_t w = (uint64_t)want[i] * 10 * S;
        uint64_t off = fin > w ? fin - w : w - fin;
        print_message("  %s/%s(%s): vm%u t%u finished at %.6f s (want %dT)\n",
                      host, guest, gslice, i / 4 + 1, i % 4 + 1, fin * 1e-9,
                      want[i]);
        if (off > tol_ns)
            fail_msg("%s/%s: vm%u t%u finished at %" PRIu64 " ns, want %dT "
                     "within %" PRIu64 " ns",
                     host, guest, i / 4 + 1, i % 4 + 1, fin, want[i], tol_ns);
    }
    sim_model_destroy(m);
    sim_scenario_free(s);
}

/* Space in the guest: dh (the most critical tasks hold the vCPUs, the rest
 * wait suspended, no time sharing) and fifo with a slice longer than any
 * task. fifo with the default slice rotates (the core preempts at slice
 * expiry), which is why it is not the space-sharing guest. */
static void test_nested_cloudsim_time_space(void **st)
{
    (void)st;
    static const int w[] = {2, 2, 4, 4, 2, 2, 4, 4};
    combo("fair", "dh", "1ms", w, 3 * MS);
    combo("rr", "dh", "1ms", w, 3 * MS);
    combo("fair", "fifo", "1000s", w, 3 * MS);
    combo("rr", "fifo", "1000s", w, 3 * MS);

    struct sim_scenario *s = parse(
        cloudsim,
        (const char *[]){"vms.0.guest_policy=fifo", "vms.1.guest_policy=fifo"},
        2);
    struct sim_model *m = run(s, NULL);
    struct sim_task_result r;
    assert_int_equal(sim_model_task(m, 0, 2, &r), 0);
    assert_true(r.start_ns < 10 * MS); /* t3 starts at once: it rotates */
    sim_model_destroy(m);
    sim_scenario_free(s);
}

/* Time in the guest: rr with a 10 ms guest slice over the host's 1 ms (a
 * guest slice equal to the host's aliases with it: see
 * test_nested_two_level_aliasing). */
static void test_nested_cloudsim_time_time(void **st)
{
    (void)st;
    static const int w[] = {4, 4, 4, 4, 4, 4, 4, 4};
    combo("fair", "rr", "10ms", w, 30 * MS);
    combo("rr", "rr", "10ms", w, 30 * MS);
    combo("fair", "fair", "10ms", w, 30 * MS);
}

/* ---- work conservation -------------------------------------------------------- */

/* 7 tasks of random work on 3 vCPUs (guest rr), next to a plain VM, on a
 * host of 2 pCPUs of which one runs at half speed for a while: every task
 * ends, and the work the tasks got is the work the host gave the VM's
 * vCPUs (run time x speed), to a nanosecond per run. */
static void test_nested_more_tasks_than_vcpus(void **st)
{
    (void)st;
    static const char y[] =
        "duration: 60s\n"
        "policy: fair\n"
        "hosts: [{topology: 'pack:1 core:2 pu:1'}]\n"
        "faults:\n"
        "  - {at: 1s, pcpu: 1, action: speed, speed: 0.5}\n"
        "  - {at: 3s, pcpu: 1, action: speed, speed: 1}\n"
        "vms:\n"
        "  - name: nested\n"
        "    vcpus: 3\n"
        "    guest_policy: rr\n"
        "    guest_slice: 2ms\n"
        "    tasks:\n"
        "      - {count: 5, work: {dist: uniform, min: 100ms, max: 2s}}\n"
        "      - {count: 2, work: 1s}\n"
        "  - name: plain\n"
        "    vcpus: 1\n"
        "    workload: {loops: 20, phases: [{compute: 100ms}, "
        "{block: 50ms}]}\n";
    struct sim_scenario *s = parse(y, NULL, 0);
    struct sim_model *m = run(s, NULL);
    assert_int_equal(sim_model_ntasks(m, 0), 7);
    uint64_t work = 0, last = 0;
    for (unsigned t = 0; t < 7; t++) {
        struct sim_task_result r;
        assert_int_equal(sim_model_task(m, 0, t, &r), 0);
        assert_int_equal(r.state, SIM_TASK_DONE);
        assert_int_equal(r.done_ns, r.work_ns);
        work += r.work_ns;
        last = r.finish_ns > last ? r.finish_ns : last;
    }
    struct sim_vm *vm = sim_model_vm(m, 0);
    struct sim_host *h = sim_model_host(m, 0);
    assert_int_equal(vm->finish_ns, last);
    uint64_t given = 0, runs = 0;
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        struct vcpu_vcpu_stats vs = {.abi = VCPU_CORE_ABI};
        assert_int_equal(vcpu_core_vcpu_stats(h->core, vm->first + i, &vs), 0);
        assert_int_equal(vs.state, VP_VCPU_EXITED);
        given += vs.work_ns;
        runs += vs.nr_runs;
    }
    print_message("  tasks' work %.9f s, host gave %.9f s in %" PRIu64
                  " runs, VM done at %.6f s\n",
                  work * 1e-9, given * 1e-9, runs, last * 1e-9);
    uint64_t off = given > work ? given - work : work - given;
    if (off > runs)
        fail_msg("work %" PRIu64 " ns, host gave %" PRIu64 " ns", work, given);
    sim_model_destroy(m);
    sim_scenario_free(s);
}

/* ---- two-level effects ---------------------------------------------------------- */

/* Steal: one pCPU shared by a nested VM (one task of 1 s) and a hog. The
 * task stalls while its vCPU is descheduled, yet stays current in the
 * guest, which believes it ran the whole time: done at ~2 s, guest run
 * time ~2 s, host run time of the vCPU 1 s. */
static void test_nested_two_level_steal(void **st)
{
    (void)st;
    static const char y[] =
        "duration: 20s\n"
        "policy: rr\n"
        "hosts: [{topology: 'pack:1 core:1 pu:1'}]\n"
        "vms:\n"
        "  - {name: nested, vcpus: 1, guest_policy: rr,\n"
        "     tasks: [{work: 1s}]}\n"
        "  - {name: hog, vcpus: 1, workload: {loops: 1, phases: "
        "[{compute: 10s}]}}\n";
    struct sim_scenario *s = parse(y, NULL, 0);
    struct sim_model *m = run(s, NULL);
    struct sim_task_result r;
    assert_int_equal(sim_model_task(m, 0, 0, &r), 0);
    struct sim_vm *vm = sim_model_vm(m, 0);
    struct vcpu_vcpu_stats vs = {.abi = VCPU_CORE_ABI};
    vcpu_core_vcpu_stats(sim_model_host(m, 0)->core, vm->first, &vs);
    print_message("  task done at %.6f s, guest run %.6f s, host run %.6f "
                  "s\n",
                  r.finish_ns * 1e-9, r.guest_run_ns * 1e-9, vs.run_ns * 1e-9);
    assert_int_equal(r.state, SIM_TASK_DONE);
    assert_true(r.finish_ns >= 2 * S - 2 * MS && r.finish_ns <= 2 * S + 2 * MS);
    assert_true(r.guest_run_ns >= 2 * S - 2 * MS);
    assert_int_equal(vs.run_ns, 1 * S);
    sim_model_destroy(m);
    sim_scenario_free(s);
}

/* Aliasing: the same 2-on-1 overcommit, two tasks of T = 1 s, guest rr at
 * the host's slice. The guest rotates its tasks every 1 ms of wall time and
 * the host its vCPUs every 1 ms, so one task's slices always fall while
 * the vCPU runs and the other's while it is descheduled: the guest
 * dispatches both alike, but one gets the whole vCPU (done at 2T) and the
 * other nothing until then (done at 4T). With a 10 ms guest slice they
 * share the vCPU fairly and both end near 4T. */
static void test_nested_two_level_aliasing(void **st)
{
    (void)st;
    static const char y[] =
        "duration: 20s\n"
        "policy: rr\n"
        "slice: 1ms\n"
        "hosts: [{topology: 'pack:1 core:1 pu:1'}]\n"
        "vms:\n"
        "  - {name: nested, vcpus: 1, guest_policy: rr, guest_slice: 1ms,\n"
        "     tasks: [{count: 2, work: 1s}]}\n"
        "  - {name: hog, vcpus: 1, workload: {loops: 1, phases: "
        "[{compute: 10s}]}}\n";
    struct sim_scenario *s = parse(y, NULL, 0);
    struct sim_model *m = run(s, NULL);
    struct sim_task_result a, b;
    assert_int_equal(sim_model_task(m, 0, 0, &a), 0);
    assert_int_equal(sim_model_task(m, 0, 1, &b), 0);
    print_message("  guest slice 1ms: t1 done at %.6f s (%u runs), t2 at "
                  "%.6f s (%u runs)\n",
                  a.finish_ns * 1e-9, a.guest_runs, b.finish_ns * 1e-9,
                  b.guest_runs);
    uint64_t lo = a.finish_ns < b.finish_ns ? a.finish_ns : b.finish_ns;
    uint64_t hi = a.finish_ns < b.finish_ns ? b.finish_ns : a.finish_ns;
    assert_true(lo <= 2 * S + 3 * MS); /* all of the vCPU's time */
    assert_true(hi >= 4 * S - 3 * MS); /* none until the other ended */
    assert_true(a.guest_runs > 400 && b.guest_runs > 400); /* both "ran" */
    sim_model_destroy(m);
    sim_scenario_free(s);

    s = parse(y, (const char *[]){"vms.0.guest_slice=10ms"}, 1);
    m = run(s, NULL);
    assert_int_equal(sim_model_task(m, 0, 0, &a), 0);
    assert_int_equal(sim_model_task(m, 0, 1, &b), 0);
    print_message("  guest slice 10ms: t1 done at %.6f s, t2 at %.6f s\n",
                  a.finish_ns * 1e-9, b.finish_ns * 1e-9);
    assert_true(a.finish_ns >= 4 * S - 30 * MS && a.finish_ns <= 4 * S);
    assert_true(b.finish_ns >= 4 * S - 30 * MS && b.finish_ns <= 4 * S);
    sim_model_destroy(m);
    sim_scenario_free(s);
}

/* ---- scenario errors ---------------------------------------------------------------- */

static const char *error_of(const char *yaml, char *err, size_t len)
{
    struct sim_scenario *s = NULL;
    err[0] = '\0';
    if (sim_scenario_parse("bad.yaml", yaml, strlen(yaml), NULL, 0, &s, err,
                           len) == 0)
        sim_scenario_free(s);
    return err;
}

static void expect_error(const char *vm, const char *want)
{
    char y[1024], err[1024];
    snprintf(y, sizeof y,
             "duration: 1s\n"
             "hosts: [{topology: 'pack:1 core:2 pu:1'}]\n"
             "vms:\n"
             "  - %s\n",
             vm);
    error_of(y, err, sizeof err);
    if (!strstr(err, want))
        fail_msg("%s: got '%s', want '%s'", vm, err, want);
}

static void test_nested_scenario_errors(void **st)
{
    (void)st;
    expect_error("{vcpus: 1, tasks: [{work: 1s}]}",
                 "bad.yaml:4:6: vms[0]: tasks in the host tier run under a "
                 "guest policy");
    expect_error("{vcpus: 1, tasks: [{work: 1s}], guest_policy: rx}",
                 "bad.yaml:4:51: vms[0].guest_policy: unknown policy 'rx' "
                 "(did you mean 'rr'?)");
    expect_error("{vcpus: 1, guest_policy: rr, workload: {phases: "
                 "[{compute: 1ms}]}}",
                 "vms[0].guest_policy: a guest policy schedules tasks");
    expect_error("{vcpus: 1, tasks: [{work: 1s}], guest_policy: rr, "
                 "workload: {phases: [{compute: 1ms}]}}",
                 "vms[0].workload: a VM with guest_policy runs its tasks");
    expect_error("{vcpus: 1, tasks: [{work: 1s}], guest_policy: rr, "
                 "guest_args: 'nope=1'}",
                 "vms[0].guest_args: guest policy 'rr' refuses these "
                 "arguments or slice: policy 'rr': unknown argument 'nope'");
    expect_error("{vcpus: 1, tasks: [{work: 1s}], guest_policy: fair, "
                 "guest_slice: 1000s}",
                 "vms[0].guest_slice: guest policy 'fair' refuses this "
                 "slice");
    expect_error("{vcpus: 1, tasks: [{work: 1s}], guest_policy: rr, "
                 "guest_slice: 0}",
                 "vms[0].guest_slice: must be more than 0");
    expect_error("{vcpus: 1, guest_slice: 1ms, workload: {phases: "
                 "[{compute: 1ms}]}}",
                 "vms[0].guest_slice: needs guest_policy");
    char err[1024];
    error_of("duration: 1s\n"
             "hosts: [{topology: 'pack:1 core:2 pu:1'}]\n"
             "datacenter: {}\n"
             "vms: [{vcpus: 1, tasks: [{work: 1s}], guest_policy: rr}]\n",
             err, sizeof err);
    assert_non_null(strstr(err, "guest_policy is read by the host tier only"));
}

/* ---- random property ------------------------------------------------------------------ */

#define PMAX_VMS 3
#define PMAX_TASKS 6

struct pvm {
    unsigned vcpus, ntasks, gpol, gslice;
    unsigned work_ms[PMAX_TASKS];
};

struct pcase {
    unsigned npcpus, hpol, nvms;
    bool plain; /* a plain VM next to the nested ones */
    bool fault; /* host pCPU 0 offline from 5 ms to 15 ms, then slow */
    struct pvm vm[PMAX_VMS];
};

static const char *const gslices[] = {"", "500us", "2ms", "1000s"};

static unsigned npolicies(void)
{
    unsigned n = 0;
    while (vcpu_policy_at(n))
        n++;
    return n;
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void pgen(uint64_t seed, struct pcase *c)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    unsigned np = npolicies();
    memset(c, 0, sizeof *c);
    c->npcpus = 1 + rnd(&x) % 4;
    c->hpol = rnd(&x) % np;
    c->nvms = 1 + rnd(&x) % PMAX_VMS;
    c->plain = rnd(&x) % 3 == 0;
    c->fault = rnd(&x) % 3 == 0;
    for (unsigned i = 0; i < c->nvms; i++) {
        struct pvm *v = &c->vm[i];
        v->vcpus = 1 + rnd(&x) % 3;
        v->ntasks = 1 + rnd(&x) % PMAX_TASKS;
        v->gpol = rnd(&x) % np;
        v->gslice = rnd(&x) % 4;
        if (v->gslice == 3 && !strcmp(vcpu_policy_at(v->gpol)->name, "fair"))
            v->gslice = 2; /* fair refuses a slice past its period */
        for (unsigned t = 0; t < v->ntasks; t++)
            v->work_ms[t] = 1 + rnd(&x) % 40;
    }
}

static void pyaml(const struct pcase *c, char *y, size_t len)
{
    size_t n =
        (size_t)snprintf(y, len,
                         "duration: 30s\nslice: 1ms\ncheck: true\npolicy: %s\n"
                         "hosts: [{topology: 'pack:1 core:%u pu:1'}]\nvms:\n",
                         vcpu_policy_at(c->hpol)->name, c->npcpus);
    for (unsigned i = 0; i < c->nvms; i++) {
        const struct pvm *v = &c->vm[i];
        n += (size_t)snprintf(y + n, len - n,
                              "  - name: v%u\n    vcpus: %u\n"
                              "    guest_policy: %s\n",
                              i, v->vcpus, vcpu_policy_at(v->gpol)->name);
        if (*gslices[v->gslice])
            n += (size_t)snprintf(y + n, len - n, "    guest_slice: %s\n",
                                  gslices[v->gslice]);
        n += (size_t)snprintf(y + n, len - n, "    tasks:\n");
        for (unsigned t = 0; t < v->ntasks; t++)
            n += (size_t)snprintf(y + n, len - n, "      - {work: %ums}\n",
                                  v->work_ms[t]);
    }
    if (c->plain)
        n += (size_t)snprintf(
            y + n, len - n,
            "  - {name: plain, vcpus: 2, workload: {loops: 10, phases: "
            "[{compute: 3ms}, {block: 2ms}]}}\n");
    if (c->fault)
        snprintf(y + n, len - n,
                 "faults:\n"
                 "  - {at: 5ms, pcpu: 0, action: offline}\n"
                 "  - {at: 15ms, pcpu: 0, action: online}\n"
                 "  - {at: 16ms, pcpu: 0, action: speed, speed: 0.3}\n");
}

/* The guest trace: no task is current on two guest pCPUs of its VM at
 * once, and a guest pCPU runs one task at a time. */
static bool trace_ok(const char *buf, char *why, size_t len)
{
    enum { MAXP = 8 };
    int where[PMAX_VMS][PMAX_TASKS], on[PMAX_VMS][MAXP];
    memset(where, 0xff, sizeof where);
    memset(on, 0xff, sizeof on);
    const char *l;
    for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        unsigned vm = (unsigned)strtoul(l, NULL, 10);
        const char *rest = strchr(l, ',');
        struct vcpu_trace_rec r;
        char line[160];
        size_t k = strcspn(rest + 1, "\n");
        if (k >= sizeof line || vm >= PMAX_VMS)
            continue;
        memcpy(line, rest + 1, k);
        line[k] = '\0';
        if (vcpu_trace_parse(line, &r) || r.pcpu >= MAXP ||
            r.vcpu >= PMAX_TASKS)
            continue;
        if (r.event == VCPU_TRACE_RUN) {
            if (where[vm][r.vcpu] >= 0 || on[vm][r.pcpu] >= 0) {
                snprintf(why, len,
                         "t=%" PRIu64 ": VM %u task %u runs on guest pCPU "
                         "%u while current on %d (pCPU runs %d)",
                         (uint64_t)r.time_ns, vm, r.vcpu, r.pcpu,
                         where[vm][r.vcpu], on[vm][r.pcpu]);
                return false;
            }
            where[vm][r.vcpu] = (int)r.pcpu;
            on[vm][r.pcpu] = (int)r.vcpu;
        } else if (r.event == VCPU_TRACE_STOP) {
            where[vm][r.vcpu] = -1;
            on[vm][r.pcpu] = -1;
        }
    }
    return true;
}

/* The tasks of VM @i got the work the host gave its vCPUs (run time x
 * speed), up to rounding: a nanosecond per run. */
static bool work_conserved(struct sim_model *m, unsigned i, unsigned ntasks)
{
    struct sim_vm *vm = sim_model_vm(m, i);
    struct sim_host *h = sim_model_host(m, vm->host);
    uint64_t work = 0, given = 0, runs = 0;
    for (unsigned t = 0; t < ntasks; t++) {
        struct sim_task_result r;
        sim_model_task(m, i, t, &r);
        work += r.done_ns;
    }
    for (unsigned k = 0; k < vm->nvcpus; k++) {
        struct vcpu_vcpu_stats vs = {.abi = VCPU_CORE_ABI};
        vcpu_core_vcpu_stats(h->core, vm->first + k, &vs);
        given += vs.work_ns;
        runs += vs.nr_runs;
    }
    uint64_t off = given > work ? given - work : work - given;
    if (off > 2 * runs + 2)
        fprintf(stderr,
                "VM %u: work %" PRIu64 " ns, given %" PRIu64 " ns, %" PRIu64
                " runs\n",
                i, work, given, runs);
    return off <= 2 * runs + 2;
}

/* One run of @c: NULL if every check holds, else why (in @why). Writes the
 * guest trace and tasks.csv into @out for the determinism check. */
static bool prun(const struct pcase *c, char *why, size_t len, char **out,
                 size_t *outlen)
{
    char y[4096], err[1024];
    pyaml(c, y, sizeof y);
    struct sim_scenario *s = NULL;
    if (sim_scenario_parse("p.yaml", y, strlen(y), NULL, 0, &s, err,
                           sizeof err)) {
        snprintf(why, len, "scenario: %s", err);
        return false;
    }
    FILE *f = open_memstream(out, outlen);
    struct sim_model *m = NULL;
    struct sim_model_opts o = {
        .scn = s, .seed = 1, .check = true, .guest_trace = f};
    bool ok = false;
    if (sim_model_create(&o, &m, err, sizeof err))
        snprintf(why, len, "create: %s", err);
    else if (sim_model_run(m, 0, NULL, NULL, NULL))
        snprintf(why, len, "run: %.400s", sim_model_error(m));
    else
        ok = true;
    for (unsigned i = 0; ok && i < c->nvms; i++) {
        struct sim_vm *vm = sim_model_vm(m, i);
        for (unsigned t = 0; ok && t < c->vm[i].ntasks; t++) {
            struct sim_task_result r;
            sim_model_task(m, i, t, &r);
            if (r.state != SIM_TASK_DONE || r.done_ns != r.work_ns) {
                snprintf(why, len,
                         "VM %u task %u not done: %" PRIu64 " of %" PRIu64
                         " ns",
                         i, t, r.done_ns, r.work_ns);
                ok = false;
            } else if (r.finish_ns > vm->finish_ns) {
                snprintf(why, len, "VM %u finished before its task %u", i, t);
                ok = false;
            }
        }
        if (ok && !vm->finish_ns) {
            snprintf(why, len, "VM %u did not finish", i);
            ok = false;
        }
        if (ok && !work_conserved(m, i, c->vm[i].ntasks)) {
            snprintf(why, len,
                     "VM %u: its tasks' work is not what the host "
                     "gave its vCPUs",
                     i);
            ok = false;
        }
    }
    fflush(f);
    size_t tl = *outlen;
    if (m)
        sim_model_write_tasks(m, f);
    fclose(f);
    if (ok) {
        char *tr = strndup(*out, tl);
        ok = tr && trace_ok(tr, why, len);
        free(tr);
    }
    sim_model_destroy(m);
    sim_scenario_free(s);
    return ok;
}

/* Both runs pass and agree byte for byte. */
static bool pcheck(const struct pcase *c, char *why, size_t len)
{
    char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    bool ok = prun(c, why, len, &a, &la) && prun(c, why, len, &b, &lb);
    if (ok && (la != lb || memcmp(a, b, la))) {
        snprintf(why, len, "two runs of one case differ");
        ok = false;
    }
    free(a);
    free(b);
    return ok;
}

/* Greedy shrinking: drop a VM, a task, a vCPU, a pCPU, the plain VM, while
 * the case still fails. */
static void pshrink(struct pcase *c, char *why, size_t len)
{
    for (bool again = true; again;) {
        again = false;
        struct pcase t;
        for (unsigned i = 0; i < c->nvms && c->nvms > 1; i++) {
            t = *c;
            memmove(&t.vm[i], &t.vm[i + 1], (t.nvms - i - 1) * sizeof t.vm[0]);
            t.nvms--;
            if (!pcheck(&t, why, len)) {
                *c = t;
                again = true;
            }
        }
        for (unsigned i = 0; i < c->nvms; i++) {
            t = *c;
            if (t.vm[i].ntasks > 1) {
                t.vm[i].ntasks--;
                if (!pcheck(&t, why, len)) {
                    *c = t;
                    again = true;
                }
            }
            t = *c;
            if (t.vm[i].vcpus > 1) {
                t.vm[i].vcpus--;
                if (!pcheck(&t, why, len)) {
                    *c = t;
                    again = true;
                }
            }
        }
        t = *c;
        t.fault = false;
        if (c->fault && !pcheck(&t, why, len)) {
            *c = t;
            again = true;
        }
        t = *c;
        t.plain = false;
        if (c->plain && !pcheck(&t, why, len)) {
            *c = t;
            again = true;
        }
        t = *c;
        t.npcpus--;
        if (c->npcpus > 1 && !pcheck(&t, why, len)) {
            *c = t;
            again = true;
        }
    }
    pcheck(c, why, len); /* the minimal case's own reason */
}

static void test_nested_random_property(void **st)
{
    (void)st;
    const char *s = getenv("VCPU_SEED"), *k = getenv("VCPU_NESTED_CASES");
    uint64_t seed = s && *s ? strtoull(s, NULL, 0) : 20260801;
    unsigned cases = k && *k ? (unsigned)strtoul(k, NULL, 0) : 150;
    fprintf(stderr, "nested property: seed %" PRIu64 ", %u cases\n", seed,
            cases);
    for (unsigned i = 0; i < cases; i++) {
        struct pcase c;
        char why[600], y[4096];
        pgen(seed + i, &c);
        if (pcheck(&c, why, sizeof why))
            continue;
        fprintf(stderr, "case seed %" PRIu64 ": %s\n", seed + i, why);
        pshrink(&c, why, sizeof why);
        pyaml(&c, y, sizeof y);
        fail_msg("minimal case (%s):\n%s\nreplay: VCPU_SEED=%" PRIu64
                 " VCPU_NESTED_CASES=1",
                 why, y, seed + i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_cloudsim_time_space),
        cmocka_unit_test(test_nested_cloudsim_time_time),
        cmocka_unit_test(test_nested_more_tasks_than_vcpus),
        cmocka_unit_test(test_nested_two_level_steal),
        cmocka_unit_test(test_nested_two_level_aliasing),
        cmocka_unit_test(test_nested_scenario_errors),
        cmocka_unit_test(test_nested_random_property),
    };
    return cmocka_run_group_tests_name("sim_nested", tests, NULL, NULL);
}
