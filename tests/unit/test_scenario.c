// SPDX-License-Identifier: GPL-3.0-or-later
/* sim/scenario.h: the built-in and example scenarios, a full example, one
 * test per kind of error (with its exact file:line:col and field), --set
 * overrides, durations, YAML syntax errors, XML hosts and relative paths. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <vcpu/core.h>

#include "scenario.h"

#define XML_DIR VCPU_TEST_SHARED_DATA "/hwloc-xml"
#define ZEN_XML XML_DIR "/AMD-17h-Zen-2xEpyc-7451.xml"

/* A minimal valid scenario, one line per string; tests append to it or
 * splice lines into the VM (line numbers in comments). */
#define HEAD                                                                   \
    "duration: 1s\n"                         /* 1 */                           \
    "hosts:\n"                               /* 2 */                           \
    "  - topology: \"pack:1 core:4 pu:1\"\n" /* 3 */                           \
    "vms:\n"                                 /* 4 */
#define VM                                                                     \
    "  - name: a\n"  /* 5 */                                                   \
    "    vcpus: 2\n" /* 6 */
#define WL                                                                     \
    "    workload:\n"          /* 7 (8 after one spliced line) */              \
    "      phases:\n"          /* 8 */                                         \
    "        - compute: 1ms\n" /* 9 */
#define MINIMAL HEAD VM WL

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static char err[1024];

static struct sim_scenario *parse_sets(const char *yaml,
                                       const char *const *sets, unsigned n)
{
    struct sim_scenario *s = NULL;
    err[0] = '\0';
    int rc = sim_scenario_parse("t.yaml", yaml, strlen(yaml), sets, n, &s, err,
                                sizeof err);
    if (rc)
        fail_msg("unexpected error: %s", err);
    assert_non_null(s);
    return s;
}

static struct sim_scenario *parse_ok(const char *yaml)
{
    return parse_sets(yaml, NULL, 0);
}

/* The message must start with @prefix and contain @what. */
static void expect_sets(const char *yaml, const char *const *sets, unsigned n,
                        const char *prefix, const char *what)
{
    struct sim_scenario *s = (struct sim_scenario *)1;
    err[0] = '\0';
    int rc = sim_scenario_parse("t.yaml", yaml, strlen(yaml), sets, n, &s, err,
                                sizeof err);
    assert_int_equal(rc, -1);
    assert_null(s);
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("got '%s', want prefix '%s'", err, prefix);
    if (what && !strstr(err, what))
        fail_msg("got '%s', want it to contain '%s'", err, what);
}

static void expect_err(const char *yaml, const char *prefix, const char *what)
{
    expect_sets(yaml, NULL, 0, prefix, what);
}

static bool have_dir(const char *path)
{
    DIR *d = opendir(path);
    if (d)
        closedir(d);
    return d != NULL;
}

/* ------------------------------------------------------------------ */
/* Valid scenarios                                                     */
/* ------------------------------------------------------------------ */

/* Without fair and dh built in, only "compare" can be wrong. */
static void test_scenario_default_parses(void **state)
{
    static const char *const no_compare[] = {"compare=[]"};
    struct sim_scenario *s = parse_sets(sim_default_scenario, no_compare, 1);

    assert_string_equal(s->name, "default");
    assert_int_equal(s->duration_ns, 2000000000);
    assert_int_equal(s->seed, 1);
    assert_string_equal(s->policy, "rr");
    assert_int_equal(s->nhosts, 1);
    assert_string_equal(s->hosts[0].topo, "pack:1 l3:2 core:4 pu:1");
    assert_int_equal(s->nvms, 4);
    unsigned vcpus = 0;
    for (unsigned i = 0; i < s->nvms; i++)
        vcpus += s->vms[i].vcpus;
    assert_int_equal(vcpus, 14);
    assert_int_equal(s->vms[1].wl.phases[1].kind, SIM_PH_BARRIER);
    assert_int_equal(s->vms[3].wl.phases[1].kind, SIM_PH_LOCK);
    assert_int_equal(s->nfaults, 2);
    assert_int_equal(s->faults[0].at_ns, 800000000);
    assert_int_equal(s->faults[0].action, SIM_FAULT_OFFLINE);
    assert_int_equal(s->faults[1].at_ns, 1400000000);
    assert_false(s->trace);
    assert_string_equal(s->out_dir, "out/default");
    sim_scenario_free(s);

    /* As it stands, once fair and dh are built in. */
    struct sim_scenario *full = NULL;
    int rc = sim_scenario_parse(SIM_DEFAULT_NAME, sim_default_scenario,
                                strlen(sim_default_scenario), NULL, 0, &full,
                                err, sizeof err);
    if (!vcpu_policy_find("fair") || !vcpu_policy_find("dh")) {
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err, "compare["));
        return;
    }
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(full->ncompare, 2);
    assert_string_equal(full->compare[0], "fair");
    assert_string_equal(full->compare[1], "dh");
    sim_scenario_free(full);
}

static const char full_example[] =
    "name: full-1\n"
    "seed: 42\n"
    "duration: 1.5s\n"
    "policy: {name: rr, args: {a: 1, b: x}}\n"
    "compare: [fifo, rr]\n"
    "slice: 500us\n"
    "migration_penalty: [0, 2us, 10us]\n"
    "ple_window: 50us\n"
    "check: true\n"
    "trace: true\n"
    "out: results/full\n"
    "hosts:\n"
    "  - {topology: \"pack:1 core:4 pu:1\", count: 2}\n"
    "  - \"pack:2 core:2 pu:2\"\n"
    "vms:\n"
    "  - name: db\n"
    "    count: 3\n"
    "    vcpus: 4\n"
    "    weight: 250\n"
    "    cap: 1.5\n"
    "    prio: -2\n"
    "    host: 2\n"
    "    start: 10ms\n"
    "    allowed: [0, 7]\n"
    "    workload:\n"
    "      loops: 5\n"
    "      phases:\n"
    "        - compute: {dist: exp, mean: 500us}\n"
    "        - block: {dist: uniform, min: 1ms, max: 3ms}\n"
    "        - barrier\n"
    "        - barrier: {}\n"
    "        - barrier:\n"
    "        - lock: {id: 15, hold: {dist: normal, mean: 20us, sd: 5us}}\n"
    "        - compute: {dist: lognormal, mean: 1ms, sd: 1ms}\n"
    "        - compute: {dist: pareto, scale: 100us, shape: 1.5}\n"
    "        - compute: {dist: weibull, scale: 1ms, shape: 0.7}\n"
    "        - block: {dist: const, value: 0.5ms}\n"
    "  - vcpus: 1\n"
    "    workload: {phases: [compute: 1ms]}\n"
    "faults:\n"
    "  - {at: 100ms, host: 1, pcpu: 3, action: offline}\n"
    "  - {at: 200ms, pcpu: 2, action: speed, speed: 0.5}\n"
    "  - {mtbf: {dist: exp, mean: 10s}, mttr: 1s, host: 0}\n";

static void check_full_vm(const struct sim_vm_spec *v)
{
    assert_string_equal(v->name, "db");
    assert_int_equal(v->count, 3);
    assert_int_equal(v->vcpus, 4);
    assert_int_equal(v->weight, 250);
    assert_int_equal(v->cap, 1500);
    assert_int_equal(v->prio, -2);
    assert_int_equal(v->host, 2);
    assert_int_equal(v->start_ns, 10000000);
    assert_int_equal(v->nallowed, 2);
    assert_int_equal(v->allowed[1], 7);
    assert_int_equal(v->line, 16);
    assert_int_equal(v->wl.loops, 5);
    assert_int_equal(v->wl.nphases, 10);
    const struct sim_phase *ph = v->wl.phases;
    assert_int_equal(ph[0].kind, SIM_PH_COMPUTE);
    assert_int_equal(ph[0].d.kind, SIM_DIST_EXP);
    assert_true(ph[0].d.a == 500000.0);
    assert_int_equal(ph[1].kind, SIM_PH_BLOCK);
    assert_int_equal(ph[1].d.kind, SIM_DIST_UNIFORM);
    assert_true(ph[1].d.a == 1e6 && ph[1].d.b == 3e6);
    for (int i = 2; i <= 4; i++)
        assert_int_equal(ph[i].kind, SIM_PH_BARRIER);
    assert_int_equal(ph[5].kind, SIM_PH_LOCK);
    assert_int_equal(ph[5].lock_id, 15);
    assert_int_equal(ph[5].d.kind, SIM_DIST_NORMAL);
    assert_true(ph[5].d.a == 20000.0 && ph[5].d.b == 5000.0);
    assert_int_equal(ph[6].d.kind, SIM_DIST_LOGNORMAL);
    assert_int_equal(ph[7].d.kind, SIM_DIST_PARETO);
    assert_true(ph[7].d.a == 100000.0 && ph[7].d.b == 1.5);
    assert_int_equal(ph[8].d.kind, SIM_DIST_WEIBULL);
    assert_true(ph[8].d.b == 0.7);
    assert_int_equal(ph[9].d.kind, SIM_DIST_CONST);
    assert_true(ph[9].d.a == 500000.0);
}

static void test_scenario_full_example(void **state)
{
    struct sim_scenario *s = parse_ok(full_example);

    assert_string_equal(s->file, "t.yaml");
    assert_string_equal(s->name, "full-1");
    assert_int_equal(s->seed, 42);
    assert_int_equal(s->duration_ns, 1500000000);
    assert_string_equal(s->policy, "rr");
    assert_string_equal(s->policy_args, "a=1,b=x");
    assert_int_equal(s->ncompare, 2);
    assert_string_equal(s->compare[0], "fifo");
    assert_int_equal(s->slice_ns, 500000);
    assert_int_equal(s->npenalty, 3);
    assert_int_equal(s->penalty_ns[2], 10000);
    assert_int_equal(s->ple_window_ns, 50000);
    assert_true(s->check && s->trace);
    assert_string_equal(s->out_dir, "results/full");
    assert_int_equal(s->nhosts, 2);
    assert_int_equal(s->hosts[0].count, 2);
    assert_int_equal(s->hosts[0].line, 13);
    assert_string_equal(s->hosts[1].topo, "pack:2 core:2 pu:2");
    assert_int_equal(s->hosts[1].count, 1);
    assert_int_equal(s->nvms, 2);
    check_full_vm(&s->vms[0]);
    const struct sim_vm_spec *v = &s->vms[1];
    assert_string_equal(v->name, "vm1");
    assert_int_equal(v->count, 1);
    assert_int_equal(v->weight, 100);
    assert_int_equal(v->cap, 0);
    assert_int_equal(v->host, -1);
    assert_null(v->allowed);
    assert_int_equal(s->nfaults, 3);
    assert_int_equal(s->faults[0].host, 1);
    assert_int_equal(s->faults[0].pcpu, 3);
    assert_int_equal(s->faults[1].host, -1);
    assert_int_equal(s->faults[1].action, SIM_FAULT_SPEED);
    assert_int_equal(s->faults[1].speed, 500);
    assert_true(s->faults[2].random);
    assert_int_equal(s->faults[2].pcpu, -1);
    assert_int_equal(s->faults[2].mtbf.kind, SIM_DIST_EXP);
    assert_true(s->faults[2].mttr.a == 1e9);
    assert_int_equal(s->faults[2].line, 43);
    sim_scenario_free(s);
}

static void test_scenario_defaults(void **state)
{
    struct sim_scenario *s = parse_ok(MINIMAL);

    assert_string_equal(s->name, "t");
    assert_int_equal(s->seed, 1);
    assert_int_equal(s->slice_ns, 1000000);
    assert_string_equal(s->policy, "rr");
    assert_null(s->policy_args);
    assert_int_equal(s->ncompare, 0);
    assert_int_equal(s->npenalty, 0);
    assert_int_equal(s->ple_window_ns, 0);
    assert_false(s->trace || s->check);
    assert_string_equal(s->out_dir, "out/t");
    assert_int_equal(s->nfaults, 0);
    assert_int_equal(s->vms[0].wl.loops, 0);
    sim_scenario_free(s);
    sim_scenario_free(NULL);
}

/* ------------------------------------------------------------------ */
/* Errors: position and field                                          */
/* ------------------------------------------------------------------ */

static void test_scenario_error_unknown_keys(void **state)
{
    expect_err(HEAD "  - name: a\n    vcpu: 2\n" WL,
               "t.yaml:6:5: vms[0].vcpu: unknown key (did you mean 'vcpus'?)",
               NULL);
    expect_err("duraton: 1s\n", "t.yaml:1:1: duraton: unknown key",
               "did you mean 'duration'?");
    expect_err(MINIMAL "colour: red\n", "t.yaml:10:1: colour: unknown key",
               "expected one of: name, seed, duration");
    expect_err(HEAD VM "    workload:\n      phase:\n",
               "t.yaml:8:7: vms[0].workload.phase: unknown key",
               "did you mean 'phases'?");
}

static void test_scenario_error_types(void **state)
{
    expect_err("- a\n- b\n", "t.yaml:1:3: a scenario is a mapping", NULL);
    expect_err("duration: 1s\nhosts: pack:1\n",
               "t.yaml:2:8: hosts: expected a list, got a scalar", NULL);
    expect_err(HEAD "  - name: a\n    vcpus: [2]\n" WL,
               "t.yaml:6:13: vms[0].vcpus: expected a single value, got a "
               "list",
               NULL);
    expect_err(HEAD "  - name: a\n    vcpus: two\n" WL,
               "t.yaml:6:12: vms[0].vcpus: expected a whole number, got "
               "'two'",
               NULL);
    expect_err(HEAD VM "    weight:\n" WL,
               "t.yaml:7:5: vms[0].weight: has no value", NULL);
    expect_err(MINIMAL "trace: yes\n",
               "t.yaml:10:8: trace: expected true or false", NULL);
    expect_err(HEAD "  - name: a b\n    vcpus: 2\n" WL,
               "t.yaml:5:11: vms[0].name: 'a b' is not a name", NULL);
    expect_err(HEAD VM WL "  - name: a\n    vcpus: 1\n" WL,
               "t.yaml:10:11: vms[1].name: 'a' is also the name of vms[0]",
               NULL);
}

static void test_scenario_error_missing(void **state)
{
    expect_err("hosts: []\n", "t.yaml:1:1: duration: missing (required)", NULL);
    expect_err("duration: 1s\nvms: []\n",
               "t.yaml:1:1: hosts: missing (required)", NULL);
    expect_err(HEAD "  []\n", "t.yaml:4:1: vms: must list at least one VM",
               NULL);
    expect_err("duration: 1s\nhosts:\n  - {count: 1}\nvms: []\n",
               "t.yaml:3:6: hosts[0].topology: missing (required)", NULL);
    expect_err(HEAD "  - name: a\n" WL,
               "t.yaml:5:5: vms[0].vcpus: missing (required)", NULL);
    expect_err(HEAD VM, "t.yaml:5:5: vms[0].workload: missing (required)",
               NULL);
    expect_err(HEAD VM "    workload:\n      phases: []\n",
               "t.yaml:8:7: vms[0].workload.phases: must list at least one "
               "phase",
               NULL);
}

static void test_scenario_error_vm_numbers(void **state)
{
    expect_err(HEAD VM "    count: 0\n" WL,
               "t.yaml:7:12: vms[0].count: must be at least 1", NULL);
    expect_err(HEAD "  - name: a\n    vcpus: 4097\n" WL,
               "t.yaml:6:12: vms[0].vcpus: must be at most 4096", NULL);
    expect_err(HEAD "  - name: a\n    vcpus: 0\n" WL,
               "t.yaml:6:12: vms[0].vcpus: must be at least 1", NULL);
    expect_err(HEAD VM "    weight: 0\n" WL,
               "t.yaml:7:13: vms[0].weight: must be at least 1", NULL);
    expect_err(HEAD VM "    weight: 10001\n" WL,
               "t.yaml:7:13: vms[0].weight: must be at most 10000", NULL);
    expect_err(HEAD VM "    cap: 0\n" WL,
               "t.yaml:7:10: vms[0].cap: must be more than 0", NULL);
    expect_err(HEAD VM "    cap: -0.5\n" WL,
               "t.yaml:7:10: vms[0].cap: must be more than 0", NULL);
    expect_err(HEAD VM "    cap: 50\n" WL,
               "t.yaml:7:10: vms[0].cap: 50 pCPUs is more than 2 vCPUs", NULL);
    expect_err(HEAD VM "    start: 1s\n" WL,
               "t.yaml:7:12: vms[0].start: starts at or after the end", NULL);
    expect_err(HEAD VM "    workload:\n      loops: -1\n"
                       "      phases: [compute: 1ms]\n",
               "t.yaml:8:14: vms[0].workload.loops: must not be negative",
               NULL);
}

static void test_scenario_error_hosts(void **state)
{
    expect_err(HEAD VM "    host: 1\n" WL,
               "t.yaml:7:11: vms[0].host: host 1 does not exist (there is 1: "
               "0..0)",
               NULL);
    expect_err(HEAD VM "    allowed: [0, 4]\n" WL,
               "t.yaml:7:18: vms[0].allowed[1]: pCPU 4 does not exist on host "
               "0 (it has 4: 0..3)",
               NULL);
    expect_err(HEAD VM "    allowed: [1, 1]\n" WL,
               "t.yaml:7:18: vms[0].allowed[1]: pCPU 1 is listed twice", NULL);
    expect_err("duration: 1s\nhosts:\n  - topology: nosuch.xml\nvms: []\n",
               "t.yaml:3:15: hosts[0].topology: cannot read 'nosuch.xml': ",
               "No such file");
    expect_err("duration: 1s\nhosts:\n  - topology: \"pack:x\"\nvms: []\n",
               "t.yaml:3:16: hosts[0].topology: cannot load topology", NULL);
    expect_err("duration: 1s\nhosts:\n  - {topology: x, count: 0}\nvms: []\n",
               "t.yaml:3:26: hosts[0].count: must be at least 1", NULL);
}

static void test_scenario_error_phases(void **state)
{
    const char *h = HEAD VM "    workload:\n      phases:\n";
    char y[512];

#define PHASE(line) (snprintf(y, sizeof y, "%s        - %s\n", h, line), y)
    expect_err(PHASE("lock: {id: 16, hold: 1us}"),
               "t.yaml:9:22: vms[0].workload.phases[0].lock.id: lock ids go "
               "from 0 to 15",
               NULL);
    expect_err(PHASE("lock: {id: 1}"),
               "t.yaml:9:18: vms[0].workload.phases[0].lock.hold: missing",
               NULL);
    expect_err(PHASE("compute: {dist: expo, mean: 1ms}"),
               "t.yaml:9:27: vms[0].workload.phases[0].compute.dist: unknown "
               "distribution 'expo'",
               NULL);
    expect_err(PHASE("compute: {dist: exp}"),
               "t.yaml:9:21: vms[0].workload.phases[0].compute.mean: missing "
               "(required)",
               NULL);
    expect_err(PHASE("compute: {dist: exp, mean: 1ms, sd: 1us}"),
               "t.yaml:9:43: vms[0].workload.phases[0].compute.sd: does not "
               "apply to dist exp (it takes mean)",
               NULL);
    expect_err(PHASE("compute: {dist: uniform, min: 2ms, max: 1ms}"),
               "t.yaml:9:51: vms[0].workload.phases[0].compute.max: must be "
               "more than min",
               NULL);
    expect_err(PHASE("compute: {dist: pareto, scale: 1ms, shape: 0}"),
               "t.yaml:9:54: vms[0].workload.phases[0].compute.shape: must "
               "be in (0, 1000]",
               NULL);
    expect_err(PHASE("compute: {dist: exp, mean: -1ms}"),
               "t.yaml:9:38: vms[0].workload.phases[0].compute.mean: must not "
               "be negative",
               NULL);
    expect_err(PHASE("block: {value: 1ms}"),
               "t.yaml:9:19: vms[0].workload.phases[0].block.dist: missing",
               NULL);
    expect_err(PHASE("{compute: 1ms, block: 1ms}"),
               "t.yaml:9:12: vms[0].workload.phases[0]: a phase has exactly "
               "one of",
               NULL);
    expect_err(PHASE("barrier: 3"),
               "t.yaml:9:20: vms[0].workload.phases[0].barrier: takes no "
               "parameters",
               NULL);
    expect_err(PHASE("sleep"),
               "t.yaml:9:11: vms[0].workload.phases[0]: 'sleep' is not a phase",
               NULL);
    expect_err(PHASE("barrier"),
               "t.yaml:9:11: vms[0].workload.phases: no phase takes any time",
               NULL);
#undef PHASE
}

static void test_scenario_error_policy(void **state)
{
    expect_err(MINIMAL "policy: nosuch\n",
               "t.yaml:10:9: policy: unknown policy 'nosuch' (built in: fifo",
               NULL);
    expect_err(MINIMAL "compare: [rr, nope]\n",
               "t.yaml:10:15: compare[1]: unknown policy 'nope'", NULL);
    expect_err(MINIMAL "policy: {args: x}\n",
               "t.yaml:10:10: policy.name: missing (required)", NULL);
    expect_err(MINIMAL "policy: ./nosuch.so\n",
               "t.yaml:10:9: policy: cannot read './nosuch.so'", NULL);
    struct sim_scenario *s = parse_ok(MINIMAL "policy: libx.so\n");
    assert_string_equal(s->policy, "libx.so"); /* left to dlopen's search */
    sim_scenario_free(s);
}

static void test_scenario_error_faults(void **state)
{
    char y[512];

#define FAULT(f) (snprintf(y, sizeof y, "%sfaults:\n  - %s\n", MINIMAL, f), y)
    expect_err(FAULT("{at: 2s, pcpu: 1, action: offline}"),
               "t.yaml:11:10: faults[0].at: is at or after the end of the run",
               NULL);
    expect_err(FAULT("{at: 1s, pcpu: 1, action: offline}"),
               "t.yaml:11:10: faults[0].at: is at or after the end", NULL);
    expect_err(FAULT("{at: 1ms, pcpu: 1, action: speed, speed: 0}"),
               "t.yaml:11:46: faults[0].speed: must be in (0, 100]", NULL);
    expect_err(FAULT("{at: 1ms, pcpu: 1, action: speed, speed: 101}"),
               "t.yaml:11:46: faults[0].speed: must be in (0, 100]", NULL);
    expect_err(FAULT("{at: 1ms, pcpu: 1, action: speed}"),
               "t.yaml:11:6: faults[0].speed: missing (required)", NULL);
    expect_err(FAULT("{at: 1ms, pcpu: 1, action: offline, speed: 2}"),
               "t.yaml:11:48: faults[0].speed: only applies to action: speed",
               NULL);
    expect_err(FAULT("{at: 1ms, pcpu: 1, action: explode}"),
               "t.yaml:11:32: faults[0].action: 'explode' is not an action",
               NULL);
    expect_err(FAULT("{at: 1ms, pcpu: 4, action: offline}"),
               "t.yaml:11:21: faults[0].pcpu: pCPU 4 does not exist on host 0",
               NULL);
    expect_err(FAULT("{at: 1ms, action: offline}"),
               "t.yaml:11:6: faults[0].pcpu: missing (required)", NULL);
    expect_err(FAULT("{at: 1ms, host: 3, pcpu: 0, action: offline}"),
               "t.yaml:11:21: faults[0].host: host 3 does not exist", NULL);
    expect_err(FAULT("{pcpu: 0, action: offline}"),
               "t.yaml:11:6: faults[0]: a fault needs 'at'", NULL);
    expect_err(FAULT("{mtbf: 1s, pcpu: 0}"),
               "t.yaml:11:6: faults[0].mttr: missing (required)", NULL);
    expect_err(FAULT("{mtbf: 1s, mttr: 1ms, at: 1ms}"),
               "t.yaml:11:31: faults[0].at: does not apply to a random fault",
               NULL);
#undef FAULT
}

static void test_scenario_error_durations(void **state)
{
    expect_err("duration: -1s\n",
               "t.yaml:1:11: duration: must not be "
               "negative",
               NULL);
    expect_err("duration: abc\n",
               "t.yaml:1:11: duration: 'abc' is not a duration", NULL);
    expect_err("duration: 99999999999h\n",
               "t.yaml:1:11: duration: '99999999999h' is too long", NULL);
    expect_err("duration: 0\n", "t.yaml:1:11: duration: must be more than 0",
               NULL);
    expect_err("duration: 1.5ns\n",
               "t.yaml:1:11: duration: '1.5ns' is not a whole number", NULL);
    expect_err(MINIMAL "slice: 0ms\n",
               "t.yaml:10:8: slice: must be more than 0", NULL);
    expect_err(MINIMAL "migration_penalty: [0, 1us, x]\n",
               "t.yaml:10:29: migration_penalty[2]: 'x' is not a duration",
               NULL);
}

static void test_scenario_error_yaml_syntax(void **state)
{
    expect_err("duration: 1s\nname: \"abc\n",
               "t.yaml:2:8: YAML syntax: ", "closing quote");
    expect_err("duration: 1s\nduration: 2s\n",
               "t.yaml:2:1: YAML syntax: duplicate key", NULL);
    expect_err("duration: 1s\nhosts: [a, b\nvms: []\n", "t.yaml:",
               "YAML syntax: flow sequence without a closing bracket");
    expect_err("", "t.yaml:1:1: the scenario is empty", NULL);
    expect_err("# nothing\n", "t.yaml:1:1: the scenario is empty", NULL);
    expect_err("duration: *nope\n", "t.yaml:1:12: YAML syntax: ", "alias");

    /* Anchors and merge keys work (resolved by libfyaml). */
    struct sim_scenario *s =
        parse_ok(HEAD "  - &base\n    name: a\n    vcpus: 2\n" WL
                      "  - <<: *base\n    name: b\n");
    assert_int_equal(s->nvms, 2);
    assert_int_equal(s->vms[1].vcpus, 2);
    assert_string_equal(s->vms[1].name, "b");
    sim_scenario_free(s);
}

/* ------------------------------------------------------------------ */
/* --set                                                               */
/* ------------------------------------------------------------------ */

static void test_scenario_set_overrides(void **state)
{
    static const char *const sets[] = {
        "seed=7",
        "vms.0.vcpus=8",
        "policy=fifo",
        "duration=5s",
        "trace=true",
        "vms[0].weight=300",
        "compare=[rr, fifo]",
        "vms.0.workload.phases.0.compute={dist: exp, mean: 2ms}",
        "vms.1={name: z, vcpus: 1, workload: {phases: [block: 1ms]}}",
        "compare.1=rr",
        "vms.0.allowed=[3]",
        "hosts.0.count=2"};
    struct sim_scenario *s = parse_sets(MINIMAL "seed: 3\n", sets, 12);

    assert_int_equal(s->seed, 7);
    assert_int_equal(s->vms[0].vcpus, 8);
    assert_int_equal(s->vms[0].weight, 300);
    assert_string_equal(s->policy, "fifo");
    assert_int_equal(s->duration_ns, 5000000000);
    assert_true(s->trace);
    assert_int_equal(s->ncompare, 2);
    assert_string_equal(s->compare[1], "rr");
    assert_int_equal(s->vms[0].wl.phases[0].d.kind, SIM_DIST_EXP);
    assert_int_equal(s->nvms, 2);
    assert_string_equal(s->vms[1].name, "z");
    assert_int_equal(s->vms[1].wl.phases[0].kind, SIM_PH_BLOCK);
    assert_int_equal(s->vms[0].allowed[0], 3);
    assert_int_equal(s->hosts[0].count, 2);
    sim_scenario_free(s);
}

static void test_scenario_set_errors(void **state)
{
    const char *a[] = {"vms.5.vcpus=1"};
    expect_sets(MINIMAL, a, 1,
                "t.yaml: --set 'vms.5.vcpus=1': vms.5 does not "
                "exist",
                NULL);
    const char *b[] = {"vms.0.vcpus=0"};
    expect_sets(MINIMAL, b, 1,
                "t.yaml: --set 'vms.0.vcpus=0': vms[0].vcpus: "
                "must be at least 1",
                NULL);
    const char *c[] = {"nosuch=1"};
    expect_sets(MINIMAL, c, 1, "t.yaml: --set 'nosuch=1': nosuch: unknown key",
                NULL);
    const char *d[] = {"seed"};
    expect_sets(MINIMAL, d, 1, "t.yaml: --set 'seed': expected KEY=VALUE",
                NULL);
    const char *e[] = {"compare=[rr,"};
    expect_sets(MINIMAL, e, 1,
                "t.yaml: --set 'compare=[rr,': the value is "
                "not valid YAML",
                NULL);
    const char *f[] = {"duration.x=1"};
    expect_sets(MINIMAL, f, 1,
                "t.yaml: --set 'duration.x=1': duration is a "
                "single value, it has no 'x'",
                NULL);
    const char *g[] = {"vms.3=1"};
    expect_sets(MINIMAL, g, 1,
                "t.yaml: --set 'vms.3=1': vms is a list of 1: "
                "'3' is not 0..1",
                NULL);
    const char *h[] = {"vms..vcpus=1"};
    expect_sets(MINIMAL, h, 1,
                "t.yaml: --set 'vms..vcpus=1': expected KEY=", NULL);
    const char *i[] = {"policy={name: nope}"};
    expect_sets(MINIMAL, i, 1,
                "t.yaml: --set 'policy={name: nope}': "
                "policy.name: unknown policy 'nope'",
                NULL);
    const char *j[] = {"vms.0.vcpu=4"};
    expect_sets(MINIMAL, j, 1,
                "t.yaml: --set 'vms.0.vcpu=4': vms[0].vcpu: "
                "unknown key (did you mean 'vcpus'?)",
                NULL);
}

/* ------------------------------------------------------------------ */
/* Durations                                                           */
/* ------------------------------------------------------------------ */

static uint64_t dur(const char *s)
{
    uint64_t v = 12345;
    if (sim_parse_duration(s, &v) != 0)
        fail_msg("'%s' should parse", s);
    return v;
}

static void bad_dur(const char *s)
{
    uint64_t v = 12345;
    if (sim_parse_duration(s, &v) != -1)
        fail_msg("'%s' should not parse (got %llu)", s ? s : "(null)",
                 (unsigned long long)v);
    assert_int_equal(v, 12345);
}

static void test_scenario_parse_duration(void **state)
{
    assert_int_equal(dur("0"), 0);
    assert_int_equal(dur("42"), 42);
    assert_int_equal(dur("42ns"), 42);
    assert_int_equal(dur("300us"), 300000);
    assert_int_equal(dur("2ms"), 2000000);
    assert_int_equal(dur("2 ms"), 2000000);
    assert_int_equal(dur("1.5s"), 1500000000);
    assert_int_equal(dur(".5s"), 500000000);
    assert_int_equal(dur("1min"), 60000000000ull);
    assert_int_equal(dur("2h"), 7200000000000ull);
    assert_int_equal(dur("1.0ns"), 1);
    assert_int_equal(dur("0.000000001s"), 1);
    assert_int_equal(dur("1.500000000000000000000000000000s"), 1500000000);
    assert_int_equal(dur("0.25us"), 250);
    assert_int_equal(dur("18446744073709551615"), UINT64_MAX);
    assert_int_equal(dur("18446744073.709551615s"), UINT64_MAX);
    assert_int_equal(dur("5124095h"), 5124095ull * 3600000000000ull);
    assert_int_equal(dur("\u00b5s"[0] ? "3\u00b5s" : "3us"), 3000);

    bad_dur(NULL);
    bad_dur("");
    bad_dur(" ");
    bad_dur("-1");
    bad_dur("-0s");
    bad_dur("+1s");
    bad_dur("abc");
    bad_dur("1e9");
    bad_dur("1.");
    bad_dur(".");
    bad_dur("1.5");
    bad_dur("0.5ns");
    bad_dur("0.0000000001s");
    bad_dur("1.0000000000000000000000001s");
    bad_dur("2MS");
    bad_dur("2 m s");
    bad_dur("1sec");
    bad_dur("18446744073709551616");
    bad_dur("18446744074s");
    bad_dur("5124096h");
    bad_dur("99999999999999999999999h");
}

/* ------------------------------------------------------------------ */
/* Files, XML hosts, relative paths                                    */
/* ------------------------------------------------------------------ */

static void test_scenario_zen_xml_bounds_allowed(void **state)
{
    char y[1024];

    if (!have_dir(XML_DIR))
        skip();
    snprintf(y, sizeof y,
             "duration: 1s\nhosts:\n  - topology: %s\nvms:\n  - name: a\n"
             "    vcpus: 2\n    allowed: [0, 95]\n" WL,
             ZEN_XML);
    struct sim_scenario *s = parse_ok(y);
    assert_string_equal(s->hosts[0].topo, ZEN_XML);
    assert_int_equal(s->vms[0].allowed[1], 95);
    sim_scenario_free(s);

    snprintf(y, sizeof y,
             "duration: 1s\nhosts:\n  - topology: %s\nvms:\n  - name: a\n"
             "    vcpus: 2\n    allowed: [0, 96]\n" WL,
             ZEN_XML);
    expect_err(y,
               "t.yaml:7:18: vms[0].allowed[1]: pCPU 96 does not exist on "
               "host 0 (it has 96: 0..95)",
               NULL);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* A relative XML path is relative to the scenario file, not the cwd. */
static void test_scenario_load_relative_paths(void **state)
{
    char dir[] = "/tmp/test_scenario.XXXXXX", path[256], xml[256], want[512];
    struct sim_scenario *s = (struct sim_scenario *)1;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    snprintf(xml, sizeof xml, "%s/zen.xml", dir);
    write_file(path, "duration: 1s\nhosts:\n  - topology: zen.xml\nvms:\n"
                     "  - {vcpus: 1, allowed: [95], workload: "
                     "{phases: [compute: 1ms]}}\n");

    int rc = sim_scenario_load(path, NULL, 0, &s, err, sizeof err);
    assert_int_equal(rc, -1);
    assert_null(s);
    snprintf(want, sizeof want,
             "%s:3:15: hosts[0].topology: cannot read '%s/zen.xml'", path, dir);
    if (strncmp(err, want, strlen(want)))
        fail_msg("got '%s', want '%s'", err, want);

    if (have_dir(XML_DIR)) {
        assert_int_equal(symlink(ZEN_XML, xml), 0);
        rc = sim_scenario_load(path, NULL, 0, &s, err, sizeof err);
        if (rc)
            fail_msg("%s", err);
        assert_string_equal(s->hosts[0].topo, xml);
        assert_string_equal(s->name, "s");
        sim_scenario_free(s);
        unlink(xml);
    }
    unlink(path);
    rc = sim_scenario_load(path, NULL, 0, &s, err, sizeof err);
    assert_int_equal(rc, -2);
    assert_null(s);
    assert_non_null(strstr(err, "No such file"));
    rmdir(dir);
}

/* Whether the example reads a trace from the shared data folder. */
static bool uses_shared_data(const char *path)
{
    char buf[8192] = "";
    FILE *f = fopen(path, "r");
    if (f) {
        buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
        fclose(f);
    }
    return strstr(buf, "shared/data/") != NULL;
}

/* Every example validates; scenarios naming policies that are not built in
 * yet are checked with policy and compare overridden instead. */
static void check_example(const char *path)
{
    static const char *const sets[] = {"policy=rr", "compare=[]"};
    struct sim_scenario *s = NULL;

    if ((strstr(path, "numa-zen") || uses_shared_data(path)) &&
        !have_dir(XML_DIR)) {
        print_message("skipped %s: no %s\n", path, XML_DIR);
        return;
    }
    int rc = sim_scenario_load(path, NULL, 0, &s, err, sizeof err);
    if (rc && strstr(err, "unknown policy")) {
        print_message("note: %s\n", err);
        rc = sim_scenario_load(path, sets, 2, &s, err, sizeof err);
    }
    if (rc)
        fail_msg("%s", err);
    assert_true((s->nvms > 0 || s->nsources > 0) && s->nhosts > 0);
    sim_scenario_free(s);
}

static void test_scenario_examples_validate(void **state)
{
    DIR *d = opendir(VCPU_SCENARIOS_DIR);
    unsigned n = 0;

    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        char path[4096];
        if (len < 5 || strcmp(e->d_name + len - 5, ".yaml"))
            continue;
        snprintf(path, sizeof path, "%s/%s", VCPU_SCENARIOS_DIR, e->d_name);
        check_example(path);
        n++;
    }
    closedir(d);
    assert_true(n >= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_default_parses),
        cmocka_unit_test(test_scenario_full_example),
        cmocka_unit_test(test_scenario_defaults),
        cmocka_unit_test(test_scenario_error_unknown_keys),
        cmocka_unit_test(test_scenario_error_types),
        cmocka_unit_test(test_scenario_error_missing),
        cmocka_unit_test(test_scenario_error_vm_numbers),
        cmocka_unit_test(test_scenario_error_hosts),
        cmocka_unit_test(test_scenario_error_phases),
        cmocka_unit_test(test_scenario_error_policy),
        cmocka_unit_test(test_scenario_error_faults),
        cmocka_unit_test(test_scenario_error_durations),
        cmocka_unit_test(test_scenario_error_yaml_syntax),
        cmocka_unit_test(test_scenario_set_overrides),
        cmocka_unit_test(test_scenario_set_errors),
        cmocka_unit_test(test_scenario_parse_duration),
        cmocka_unit_test(test_scenario_zen_xml_bounds_allowed),
        cmocka_unit_test(test_scenario_load_relative_paths),
        cmocka_unit_test(test_scenario_examples_validate),
    };
    return cmocka_run_group_tests_name("scenario", tests, NULL, NULL);
}
