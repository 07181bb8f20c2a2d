// SPDX-License-Identifier: GPL-3.0-or-later
/* The simulator against queueing theory (formulas nobody here derived):
 * - one pCPU, Poisson arrivals, exponential work, rr with a slice much
 *   shorter than the mean work (processor sharing): mean response time
 *   E[S] / (1 - rho) within 3% at rho = 0.5 and 0.8;
 * - c pCPUs, each job a 1-vCPU VM running to completion on a pCPU of its
 *   own in arrival order (space sharing, FCFS admission): mean wait within
 *   3% of the Erlang-C formula;
 * - two CPU-bound VMs with weights 1:2 under fair on one pCPU: CPU shares
 *   1:2 within 1%.
 * Seeds come from VCPU_SEED (default fixed) and are printed. */
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
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "model.h"

static uint64_t base_seed(void)
{
    const char *s = getenv("VCPU_SEED");
    return s && *s ? strtoull(s, NULL, 0) : 20261124;
}

/* ---- an open system: Poisson arrivals of 1-vCPU jobs ---------------------- */

struct poisson {
    gsl_rng *r;
    double rate_per_ns;
    uint64_t t, n, max;
    const struct sim_vm_spec *job;
};

static int poisson_next(void *arg, struct sim_arrival *out)
{
    struct poisson *p = arg;
    if (p->n == p->max)
        return 0;
    p->t += (uint64_t)llround(gsl_ran_exponential(p->r, 1 / p->rate_per_ns));
    out->spec = p->job;
    out->time_ns = p->t;
    out->host = 0;
    out->replica = (unsigned)p->n++;
    return 1;
}

struct open_run {
    const char *topo, *policy;
    uint64_t mean_work_ns, slice_ns;
    double rho_total; /* lambda * E[S] */
    uint64_t jobs, warmup;
    double mean_response, mean_wait;
};

static void run_open(struct open_run *o, uint64_t seed)
{
    struct sim_phase ph = {.kind = SIM_PH_COMPUTE,
                           .d = {SIM_DIST_EXP, (double)o->mean_work_ns, 0}};
    struct sim_vm_spec job = {.name = "job",
                              .count = 1,
                              .vcpus = 1,
                              .weight = 100,
                              .host = 0,
                              .wl = {&ph, 1, 1}};
    struct sim_host_spec host = {.topo = (char *)o->topo, .count = 1};
    struct sim_scenario scn = {
        .file = "test",
        .name = "open",
        .seed = seed,
        .policy = (char *)o->policy,
        .slice_ns = o->slice_ns,
        .hosts = &host,
        .nhosts = 1,
        .duration_ns = UINT64_MAX / 4,
    };
    struct poisson src = {gsl_rng_alloc(gsl_rng_mt19937),
                          o->rho_total / (double)o->mean_work_ns,
                          0,
                          0,
                          o->jobs,
                          &job};
    gsl_rng_set(src.r, (unsigned long)seed);
    struct sim_model_opts mo = {
        .scn = &scn, .seed = seed, .source = {poisson_next, &src}};
    struct sim_model *m;
    char err[512];
    assert_int_equal(sim_model_create(&mo, &m, err, sizeof err), 0);
    /* run until every job has left */
    assert_int_equal(sim_model_run(m, UINT64_MAX / 4, NULL, NULL, NULL), 0);
    double resp = 0, wait = 0;
    unsigned n = 0;
    for (unsigned i = (unsigned)o->warmup; i < sim_model_nvms(m); i++) {
        struct sim_vm_result r;
        sim_model_vm_result(m, i, &r);
        assert_true(r.finish_ns > 0);
        resp += (double)(r.finish_ns - r.start_ns);
        wait += (double)r.wait_ns;
        n++;
    }
    o->mean_response = resp / n;
    o->mean_wait = wait / n;
    sim_model_destroy(m);
    gsl_rng_free(src.r);
}

static void check_ps(double rho, uint64_t jobs)
{
    uint64_t seed = base_seed();
    struct open_run o = {"core:1 pu:1", "rr",      1000000, 20000, rho,
                         jobs,          jobs / 20, 0,       0};
    run_open(&o, seed);
    double expect = 1000000 / (1 - rho);
    double err = fabs(o.mean_response - expect) / expect;
    printf("M/M/1-PS rho=%.1f seed=%" PRIu64 ": mean response %.1f us, "
           "theory %.1f us, error %.2f%%\n",
           rho, seed, o.mean_response / 1e3, expect / 1e3, 100 * err);
    assert_true(err < 0.03);
}

static void test_theory_mm1_processor_sharing_rho_05(void **state)
{
    (void)state;
    check_ps(0.5, 200000);
}

static void test_theory_mm1_processor_sharing_rho_08(void **state)
{
    (void)state;
    check_ps(0.8, 400000);
}

/* Erlang C: probability that an arrival waits in M/M/c. */
static double erlang_c(unsigned c, double a)
{
    double term = 1, sum = 1; /* a^k / k! for k = 0 */
    for (unsigned k = 1; k < c; k++) {
        term *= a / k;
        sum += term;
    }
    double last = term * a / c * c / (c - a); /* a^c/c! * c/(c-a) */
    return last / (sum + last);
}

static void test_theory_mmc_fcfs_matches_erlang_c(void **state)
{
    (void)state;
    uint64_t seed = base_seed() + 1;
    const unsigned c = 4;
    const double util = 0.8, es = 1e6;
    /* a slice far longer than any job: nobody is preempted, so each job
     * holds a pCPU of its own until done, admitted in arrival order */
    struct open_run o = {"pack:1 core:4 pu:1",
                         "rr",
                         (uint64_t)es,
                         (uint64_t)1e15,
                         util * c,
                         300000,
                         15000,
                         0,
                         0};
    run_open(&o, seed);
    double a = util * c, lambda = a / es, mu = 1 / es;
    double expect = erlang_c(c, a) / (c * mu - lambda);
    double err = fabs(o.mean_wait - expect) / expect;
    printf("M/M/%u FCFS util=%.1f seed=%" PRIu64 ": mean wait %.1f us, "
           "Erlang C %.1f us, error %.2f%%\n",
           c, util, seed, o.mean_wait / 1e3, expect / 1e3, 100 * err);
    assert_true(err < 0.03);
}

static void test_theory_fair_weights_give_proportional_shares(void **state)
{
    (void)state;
    if (!vcpu_policy_find("fair"))
        skip();
    struct sim_phase ph = {.kind = SIM_PH_COMPUTE,
                           .d = {SIM_DIST_CONST, 1e18, 0}};
    struct sim_vm_spec vms[2] = {
        {.name = "w1",
         .count = 1,
         .vcpus = 1,
         .weight = 100,
         .host = 0,
         .wl = {&ph, 1, 1}},
        {.name = "w2",
         .count = 1,
         .vcpus = 1,
         .weight = 200,
         .host = 0,
         .wl = {&ph, 1, 1}},
    };
    struct sim_host_spec host = {.topo = "core:1 pu:1", .count = 1};
    struct sim_scenario scn = {
        .file = "test",
        .name = "fair",
        .seed = base_seed(),
        .policy = "fair",
        .slice_ns = 1000000,
        .hosts = &host,
        .nhosts = 1,
        .vms = vms,
        .nvms = 2,
        .duration_ns = 60000000000ull,
    };
    struct sim_model_opts mo = {.scn = &scn, .seed = scn.seed};
    struct sim_model *m;
    char err[512];
    assert_int_equal(sim_model_create(&mo, &m, err, sizeof err), 0);
    assert_int_equal(sim_model_run(m, 0, NULL, NULL, NULL), 0);
    struct sim_vm_result a, b;
    sim_model_vm_result(m, 0, &a);
    sim_model_vm_result(m, 1, &b);
    double ratio = (double)b.run_ns / (double)a.run_ns;
    printf("fair 1:2 on one pCPU over 60 s: run %.3f s vs %.3f s, ratio "
           "%.4f\n",
           a.run_ns * 1e-9, b.run_ns * 1e-9, ratio);
    assert_true(fabs(ratio - 2.0) / 2.0 < 0.01);
    sim_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_theory_mm1_processor_sharing_rho_05),
        cmocka_unit_test(test_theory_mm1_processor_sharing_rho_08),
        cmocka_unit_test(test_theory_mmc_fcfs_matches_erlang_c),
        cmocka_unit_test(test_theory_fair_weights_give_proportional_shares),
    };
    return cmocka_run_group_tests_name("theory", tests, NULL, NULL);
}
