// SPDX-License-Identifier: GPL-3.0-or-later
/* The datacenter tier: CloudSim's provisioning example to the nanosecond,
 * admission and its queue, memory and CPU limits, failures (lose and
 * restart), energy of the linear power model, idle hosts switched off,
 * consolidation, phase programs against the host tier, and the scenario
 * errors of the datacenter: section. */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dc.h"
#include "model.h"

#define S 1000000000ull

static struct sim_scenario *parse(const char *yaml, const char *const *sets,
                                  unsigned nsets)
{
    struct sim_scenario *s = NULL;
    char err[1024];
    int rc = sim_scenario_parse("test.yaml", yaml, strlen(yaml), sets, nsets,
                                &s, err, sizeof err);
    if (rc)
        fail_msg("scenario: %s", err);
    return s;
}

/* A scenario's error message, or "" if it loads. */
static const char *error_of(const char *yaml, char *err, size_t len)
{
    struct sim_scenario *s = NULL;
    err[0] = '\0';
    if (sim_scenario_parse("bad.yaml", yaml, strlen(yaml), NULL, 0, &s, err,
                           len) == 0)
        sim_scenario_free(s);
    return err;
}

static struct sim_dc *run(const struct sim_scenario *s, uint64_t until)
{
    struct sim_dc *dc = NULL;
    char err[1024];
    struct sim_dc_opts o = {.scn = s, .seed = 1, .check = true};
    if (sim_dc_create(&o, &dc, err, sizeof err))
        fail_msg("create: %s", err);
    if (sim_dc_run(dc, until, NULL, NULL, NULL))
        fail_msg("run: %s", sim_dc_error(dc));
    return dc;
}

/* ---- CloudSim's four combinations (Calheiros et al., SP&E 2011) ------------ */

static const char cloudsim[] = "name: cs\n"
                               "duration: 100s\n"
                               "hosts:\n"
                               "  - topology: 'pack:1 core:2 pu:1'\n"
                               "datacenter:\n"
                               "  vm_sharing: space\n"
                               "  overcommit: {cpu: 1}\n"
                               "vms:\n"
                               "  - name: vm1\n"
                               "    vcpus: 2\n"
                               "    tasks: [{count: 4, work: 10s}]\n"
                               "  - name: vm2\n"
                               "    vcpus: 2\n"
                               "    tasks: [{count: 4, work: 10s}]\n";

static void check_combo(const char *vm, const char *task, const int *want)
{
    char a[64], b[64], c[64];
    snprintf(a, sizeof a, "datacenter.vm_sharing=%s", vm);
    snprintf(b, sizeof b, "datacenter.task_sharing=%s", task);
    snprintf(c, sizeof c, "datacenter.overcommit.cpu=%s",
             strcmp(vm, "time") ? "1" : "2");
    const char *sets[] = {a, b, c};
    struct sim_scenario *s = parse(cloudsim, sets, 3);
    struct sim_dc *dc = run(s, 0);
    for (unsigned i = 0; i < 8; i++) {
        uint64_t st, fin;
        assert_int_equal(sim_dc_task_times(dc, i / 4, i % 4, &st, &fin), 0);
        if (fin != (uint64_t)want[i] * 10 * S)
            fail_msg("%s/%s: t%u finished at %" PRIu64 " ns, want %dT", vm,
                     task, i + 1, fin, want[i]);
    }
    assert_string_equal(sim_dc_vm_state(dc, 0), "done");
    assert_string_equal(sim_dc_vm_state(dc, 1), "done");
    sim_dc_destroy(dc);
    sim_scenario_free(s);
}

static void test_cloudsim_space_space(void **st)
{
    (void)st;
    static const int w[] = {1, 1, 2, 2, 3, 3, 4, 4};
    check_combo("space", "space", w);
}

static void test_cloudsim_space_time(void **st)
{
    (void)st;
    static const int w[] = {2, 2, 2, 2, 4, 4, 4, 4};
    check_combo("space", "time", w);
}

static void test_cloudsim_time_space(void **st)
{
    (void)st;
    static const int w[] = {2, 2, 4, 4, 2, 2, 4, 4};
    check_combo("time", "space", w);
}

static void test_cloudsim_time_time(void **st)
{
    (void)st;
    static const int w[] = {4, 4, 4, 4, 4, 4, 4, 4};
    check_combo("time", "time", w);
}

/* ---- admission --------------------------------------------------------------- */

/* Two hosts of 4 pCPUs and 8 GB. A 6 GB VM fits one host; the next 6 GB
 * VM the other; a third waits until the first leaves at 10 s; a 16 GB VM
 * can never fit and is rejected. */
static void test_admission_queue(void **st)
{
    (void)st;
    static const char y[] =
        "duration: 100s\n"
        "hosts: [{topology: 'pack:1 core:4 pu:1', count: 2, memory: 8GB}]\n"
        "datacenter: {placement: first-fit}\n"
        "vms:\n"
        "  - {name: a, vcpus: 1, memory: 6GB, tasks: [{work: 10s}]}\n"
        "  - {name: b, vcpus: 1, memory: 6GB, tasks: [{work: 20s}]}\n"
        "  - {name: c, vcpus: 1, memory: 6GB, tasks: [{work: 5s}]}\n"
        "  - {name: d, vcpus: 1, memory: 16GB, tasks: [{work: 5s}]}\n";
    struct sim_scenario *s = parse(y, NULL, 0);
    struct sim_dc *dc = run(s, 5 * S);
    assert_string_equal(sim_dc_vm_state(dc, 2), "waiting");
    assert_string_equal(sim_dc_vm_state(dc, 3), "rejected");
    assert_int_equal(sim_dc_vm_host(dc, 0), 0);
    assert_int_equal(sim_dc_vm_host(dc, 1), 1);
    if (sim_dc_run(dc, 0, NULL, NULL, NULL))
        fail_msg("run: %s", sim_dc_error(dc));
    uint64_t st0, fin;
    assert_int_equal(sim_dc_task_times(dc, 2, 0, &st0, &fin), 0);
    assert_int_equal(st0, 10 * S); /* when a left */
    assert_int_equal(fin, 15 * S);
    struct sim_dc_totals t;
    sim_dc_totals(dc, &t);
    assert_int_equal(t.done, 3);
    assert_int_equal(t.rejected, 1);
    assert_true(fabs(t.max_wait_s - 10) < 1e-9);
    sim_dc_destroy(dc);
    sim_scenario_free(s);
}

/* ---- failures ------------------------------------------------------------------- */

static const char failing[] =
    "duration: 100s\n"
    "hosts: [{topology: 'pack:1 core:2 pu:1', count: 2}]\n"
    "datacenter:\n"
    "  overcommit: {cpu: 2}\n"
    "  failures: [{host: 0, at: 5s, repair: 50s}]\n"
    "vms:\n"
    "  - {name: a, count: 3, vcpus: 1, tasks: [{work: 10s}]}\n";

static void test_failure_restart(void **st)
{
    (void)st;
    struct sim_scenario *s = parse(failing, NULL, 0);
    struct sim_dc *dc = run(s, 0);
    struct sim_dc_totals t;
    sim_dc_totals(dc, &t);
    /* first-fit: all three on host 0 (2 pCPUs, overcommit 2); it fails at
     * 5 s; they start again from scratch on host 1 (2 pCPUs for 3 tasks
     * of 10 s: done at 5 + 15 = 20 s). */
    assert_int_equal(t.host_failures, 1);
    assert_int_equal(t.restarts, 3);
    assert_int_equal(t.done, 3);
    assert_int_equal(t.lost, 0);
    for (unsigned v = 0; v < 3; v++) {
        uint64_t a, b;
        assert_int_equal(sim_dc_task_times(dc, v, 0, &a, &b), 0);
        assert_int_equal(a, 5 * S);
        assert_int_equal(b, 20 * S);
    }
    sim_dc_destroy(dc);
    sim_scenario_free(s);
}

static void test_failure_lose(void **st)
{
    (void)st;
    const char *sets[] = {"datacenter.on_failure=lose"};
    struct sim_scenario *s = parse(failing, sets, 1);
    struct sim_dc *dc = run(s, 0);
    struct sim_dc_totals t;
    sim_dc_totals(dc, &t);
    assert_int_equal(t.lost, 3);
    assert_int_equal(t.done, 0);
    assert_int_equal(t.vms, 3);
    for (unsigned v = 0; v < 3; v++)
        assert_string_equal(sim_dc_vm_state(dc, v), "lost");
    sim_dc_destroy(dc);
    sim_scenario_free(s);
}

/* Random failures on every host: VMs are conserved (each is done, lost,
 * running, waiting or rejected), and placement invariants hold throughout
 * (checked after every call). */
static void test_failure_random(void **st)
{
    (void)st;
    static const char y[] =
        "duration: 2000s\n"
        "hosts: [{topology: 'pack:1 core:4 pu:1', count: 20, memory: 16GB}]\n"
        "datacenter:\n"
        "  overcommit: {cpu: 1.5}\n"
        "  failures: [{mtbf: {dist: exp, mean: 300s}, "
        "mttr: {dist: exp, mean: 60s}}]\n"
        "vms:\n"
        "  - {name: a, count: 60, vcpus: 2, memory: 3GB, start: 0,\n"
        "     tasks: [{count: 3, work: {dist: exp, mean: 100s}}]}\n";
    struct sim_scenario *s = parse(y, NULL, 0);
    struct sim_dc *dc = run(s, 0);
    struct sim_dc_totals t;
    sim_dc_totals(dc, &t);
    assert_true(t.host_failures > 20);
    assert_int_equal(t.done + t.lost + t.running + t.waiting + t.rejected,
                     t.vms);
    assert_int_equal(t.vms, 60);
    assert_true(t.restarts > 0);
    sim_dc_destroy(dc);
    sim_scenario_free(s);
}

/* ---- energy and power management ---------------------------------------------- */

/* One host of 2 pCPUs, 100 W idle, 200 W peak; one VM keeps one pCPU busy
 * for an hour: 150 W for 1 h = 0.15 kWh. */
static void test_energy_linear(void **st)
{
    (void)st;
    static const char y[] =
        "duration: 3600s\n"
        "hosts: [{topology: 'pack:1 core:2 pu:1', power: {idle: 100, peak: "
        "200}}]\n"
        "datacenter: {}\n"
        "vms: [{name: a, vcpus: 1, tasks: [{work: 3600s}]}]\n";
    struct sim_scenario *s = parse(y, NULL, 0);
    struct sim_dc *dc = run(s, 0);
    struct sim_dc_totals t;
    sim_dc_totals(dc, &t);
    assert_true(fabs(t.energy_kwh - 0.15) < 1e-9);
    assert_true(fabs(t.slatah) < 1e-12); /* never at 100% */
    sim_dc_destroy(dc);
    sim_scenario_free(s);
}

/* A power table: 2 pCPUs fully busy = the 100% entry. Two idle hosts
 * switched off after 10 s idle and 10 s shutting down draw idle power for
 * 20 s only. */
static void test_energy_table_and_off(void **st)
{
    (void)st;
    static const char y[] =
        "duration: 1000s\n"
        "hosts: [{topology: 'pack:1 core:2 pu:1', count: 3,\n"
        "  power: [86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117]}]\n"
        "datacenter:\n"
        "  power_management: {switch_off_idle: true, idle: 10s, off: 10s}\n"
        "vms: [{name: a, vcpus: 2, tasks: [{count: 2, work: 1000s}]}]\n";
    struct sim_scenario *s = parse(y, NULL, 0);
    struct sim_dc *dc = run(s, 0);
    struct sim_dc_totals t;
    sim_dc_totals(dc, &t);
    double want = (117.0 * 1000 + 2 * 86.0 * 20) / 3.6e6;
    if (fabs(t.energy_kwh - want) > 1e-9)
        fail_msg("energy %.9f kWh, want %.9f", t.energy_kwh, want);
    /* the busy host is at 100% for all its 1000 s; the others were on
     * (idle, then shutting down) for 20 s each */
    assert_true(fabs(t.slatah - 1000.0 / 1040) < 1e-12);
    sim_dc_destroy(dc);
    sim_scenario_free(s);
}

/* VMs waiting for switched-off hosts boot them (boot delay 30 s). */
static void test_boot_on_demand(void **st)
{
    (void)st;
    static const char y[] =
        "duration: 1000s\n"
        "hosts: [{topology: 'pack:1 core:2 pu:1', count: 4}]\n"
        "datacenter:\n"
        "  power_management: {switch_off_idle: true, start_off: true, "
        "boot: 30s}\n"
        "vms: [{name: a, count: 3, vcpus: 2, start: 100s, tasks: [{work: "
        "10s}]}]\n";
    struct sim_scenario *s = parse(y, NULL, 0);
    struct sim_dc *dc = run(s, 0);
    for (unsigned v = 0; v < 3; v++) {
        uint64_t a, b;
        assert_int_equal(sim_dc_task_times(dc, v, 0, &a, &b), 0);
        assert_int_equal(a, 130 * S);
        assert_int_equal(b, 140 * S);
    }
    struct sim_dc_totals t;
    sim_dc_totals(dc, &t);
    assert_true(fabs(t.mean_wait_s - 30) < 1e-9);
    sim_dc_destroy(dc);
    sim_scenario_free(s);
}

/* ---- consolidation ------------------------------------------------------------- */

/* Four hosts of 8 GB. Big VMs (6 GB, gone at 10 s) take hosts 0 and 1;
 * four light VMs (1 GB, half a vCPU busy) land two on host 0 and two on
 * host 1 (first-fit by memory). Once the big ones are gone both hosts are
 * underloaded (2 x 0.75 / 8 pCPUs < 0.3): consolidation moves host 0's
 * light VMs to host 1 (the lowest host that fits, host 0 itself
 * excluded) and host 0 is switched off. */
static void test_consolidation(void **st)
{
    (void)st;
    static const char y[] =
        "duration: 3600s\n"
        "hosts: [{topology: 'pack:1 core:8 pu:1', count: 4, memory: 8GB}]\n"
        "datacenter:\n"
        "  placement: first-fit\n"
        "  power_management: {switch_off_idle: true, idle: 60s, off: 10s}\n"
        "  consolidation: {interval: 300s, upper: 0.8, lower: 0.3}\n"
        "vms:\n"
        "  - {name: big, count: 2, vcpus: 1, memory: 6GB,\n"
        "     tasks: [{work: 10s}]}\n"
        "  - name: light\n"
        "    count: 4\n"
        "    vcpus: 1\n"
        "    memory: 1GB\n"
        "    start: 2s\n" /* computing from 298 to 301 s */
        "    workload: {phases: [{compute: 3s}, {block: 1s}]}\n";
    struct sim_scenario *s = parse(y, NULL, 0);
    struct sim_dc *dc = run(s, 0);
    struct sim_dc_totals t;
    sim_dc_totals(dc, &t);
    assert_int_equal(t.migrations, 2);
    for (unsigned v = 2; v < 6; v++)
        assert_int_equal(sim_dc_vm_host(dc, v), 1);
    assert_true(t.pdm > 0); /* migrations cost some work */
    assert_true(t.mean_active_hosts < 4);
    sim_dc_destroy(dc);
    sim_scenario_free(s);
}

/* ---- the flow-level host against the quantum-level host tier -------------------- */

/* Four CPU-bound 1-vCPU VMs on 2 pCPUs: processor sharing ends each at
 * exactly 2T; the host tier under rr with a 1 ms slice within 0.2%. */
static void test_fluid_vs_host_tier(void **st)
{
    (void)st;
    static const char base[] =
        "duration: 100s\n"
        "policy: rr\n"
        "hosts: [{topology: 'pack:1 core:2 pu:1'}]\n"
        "vms: [{name: a, count: 4, vcpus: 1,\n"
        "       workload: {loops: 1, phases: [{compute: 10s}]}}]\n";
    char dcy[1024];
    snprintf(dcy, sizeof dcy, "%sdatacenter: {overcommit: {cpu: 2}}\n", base);
    struct sim_scenario *s = parse(dcy, NULL, 0);
    struct sim_dc *dc = run(s, 0);
    char csv[65536];
    FILE *f = fmemopen(csv, sizeof csv, "w");
    sim_dc_write_vms(dc, f);
    fclose(f);
    sim_dc_destroy(dc);
    sim_scenario_free(s);
    /* every finish_s column (10th) is 20.000000000 */
    unsigned n = 0;
    for (char *l = strchr(csv, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
        char *p = l + 1;
        for (int c = 0; c < 9; c++)
            p = strchr(p, ',') + 1;
        assert_true(fabs(strtod(p, NULL) - 20.0) < 1e-9);
        n++;
    }
    assert_int_equal(n, 4);

    s = parse(base, NULL, 0);
    struct sim_model *m;
    char err[1024];
    struct sim_model_opts mo = {.scn = s, .seed = 1};
    assert_int_equal(sim_model_create(&mo, &m, err, sizeof err), 0);
    assert_int_equal(sim_model_run(m, 0, NULL, NULL, NULL), 0);
    for (unsigned i = 0; i < sim_model_nvms(m); i++) {
        struct sim_vm_result r;
        sim_model_vm_result(m, i, &r);
        double fin = (double)r.finish_ns * 1e-9;
        if (fabs(fin - 20.0) > 0.04)
            fail_msg("host tier: VM %u finished at %.6f s", i, fin);
    }
    sim_model_destroy(m);
    sim_scenario_free(s);
}

/* ---- scenario errors ------------------------------------------------------------- */

static void expect_error(const char *yaml, const char *needle)
{
    char err[1024];
    const char *e = error_of(yaml, err, sizeof err);
    if (!strstr(e, needle))
        fail_msg("expected an error with '%s', got '%s'", needle, e);
    assert_true(strncmp(e, "bad.yaml:", 9) == 0);
}

static void test_scenario_errors(void **st)
{
    (void)st;
    expect_error("duration: 1s\nhosts: ['pack:1 core:2 pu:1']\n"
                 "vms: [{vcpus: 1, tasks: [{work: 1s}]}]\n",
                 "datacenter");
    expect_error("duration: 1s\nhosts: [{topology: 'pack:1 core:2 pu:1', "
                 "power: [1, 2]}]\n"
                 "datacenter: {}\nvms: [{vcpus: 1, tasks: [{work: 1s}]}]\n",
                 "11 values");
    expect_error("duration: 1s\nhosts: ['pack:1 core:2 pu:1']\n"
                 "datacenter: {links: {host: {bandwidth: 10Gfoo}}}\n"
                 "vms: [{vcpus: 1, tasks: [{work: 1s}]}]\n",
                 "unknown unit");
    expect_error("duration: 1s\nhosts: ['pack:1 core:2 pu:1']\n"
                 "datacenter: {failures: [{host: 7, at: 1s}]}\n"
                 "vms: [{vcpus: 1, tasks: [{work: 1s}]}]\n",
                 "host");
    expect_error("duration: 1s\nhosts: ['pack:1 core:2 pu:1']\n"
                 "datacenter: {vm_sharing: space, overcommit: {cpu: 2}}\n"
                 "vms: [{vcpus: 1, tasks: [{work: 1s}]}]\n",
                 "overcommit");
    expect_error("duration: 1s\nhosts: ['pack:1 core:2 pu:1']\n"
                 "datacenter: {consolidation: {upper: 0.2, lower: 0.5}}\n"
                 "vms: [{vcpus: 1, tasks: [{work: 1s}]}]\n",
                 "below upper");
    expect_error(
        "duration: 1s\nhosts: ['pack:1 core:2 pu:1']\ndatacenter: {}\n"
        "vms: [{vcpus: 1, workload: {phases: [barrier, {compute: 1s}]}}]\n",
        "barriers");
    expect_error("duration: 1s\nhosts: ['pack:1 core:2 pu:1']\ndatacenter: {}\n"
                 "vms: [{vcpus: 1, memory: lots, tasks: [{work: 1s}]}]\n",
                 "memory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cloudsim_space_space),
        cmocka_unit_test(test_cloudsim_space_time),
        cmocka_unit_test(test_cloudsim_time_space),
        cmocka_unit_test(test_cloudsim_time_time),
        cmocka_unit_test(test_admission_queue),
        cmocka_unit_test(test_failure_restart),
        cmocka_unit_test(test_failure_lose),
        cmocka_unit_test(test_failure_random),
        cmocka_unit_test(test_energy_linear),
        cmocka_unit_test(test_energy_table_and_off),
        cmocka_unit_test(test_boot_on_demand),
        cmocka_unit_test(test_consolidation),
        cmocka_unit_test(test_fluid_vs_host_tier),
        cmocka_unit_test(test_scenario_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
