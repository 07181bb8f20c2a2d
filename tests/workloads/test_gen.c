// SPDX-License-Identifier: GPL-3.0-or-later
/* The generators: the same seed gives the same VMs, and arrivals, sizes,
 * lifetimes and demands match their distributions' means within a
 * statistical tolerance (several standard errors of the sample mean). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wl.h"

#define MS 1000000.0
#define SEC 1e9

static const struct wl_size sizes[] = {
    {1, 1024, 0.5},
    {2, 4096, 0.3},
    {8, 32768, 0.2},
};

static struct wl_gen base(void)
{
    return (struct wl_gen){
        .abi = WL_ABI,
        .arrivals = {.kind = WL_ARR_POISSON, .rate_per_s = {100, 0}},
        .sizes = sizes,
        .nsizes = 3,
        .lifetime = {WL_DIST_LOGNORMAL, 2 * SEC, 1 * SEC},
        .demand = {.kind = WL_DEM_UTIL,
                   .util_min = 0.2,
                   .util_max = 0.6,
                   .burst_ns = 10000000},
        .limit = 20000,
        .seed = 42,
    };
}

static wl_source_t *open_gen(const struct wl_gen *g)
{
    wl_source_t *s;
    char err[256];
    if (wl_gen_open(g, &s, err, sizeof err))
        fail_msg("wl_gen_open: %s", err);
    return s;
}

struct sums {
    uint64_t n, by_vcpus[9];
    double gap, life, busy_frac, first_half;
    uint64_t last;
};

/* Drain @g; @period_ns: count arrivals in the first half of each period. */
static struct sums run(const struct wl_gen *g, uint64_t period_ns)
{
    struct sums t = {0};
    wl_source_t *s = open_gen(g);
    struct wl_vm vm;
    while (wl_next(s, &vm) == 1) {
        t.gap += (double)(vm.arrival_ns - t.last);
        t.last = vm.arrival_ns;
        t.life += (double)vm.lifetime_ns;
        t.by_vcpus[vm.vcpus <= 8 ? vm.vcpus : 0]++;
        if (period_ns)
            t.first_half += vm.arrival_ns % period_ns < period_ns / 2;
        if (g->demand.kind == WL_DEM_UTIL && vm.nphases == 2)
            t.busy_frac +=
                vm.phases[0].d.a / (vm.phases[0].d.a + vm.phases[1].d.a);
        t.n++;
    }
    assert_int_equal(wl_stats(s)->vms, t.n);
    wl_close(s);
    return t;
}

static void near(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%s: %g, want %g within %g%%", what, got, want, rel * 100);
}

static void test_wl_gen_same_seed_same_vms(void **state)
{
    (void)state;
    struct wl_gen g = base();
    g.limit = 500;
    g.demand = (struct wl_demand){.kind = WL_DEM_UTIL,
                                  .util_min = 0.1,
                                  .util_max = 0.9,
                                  .burst_ns = 1000000,
                                  .exp_bursts = true};
    wl_source_t *a = open_gen(&g), *b = open_gen(&g);
    g.seed = 43;
    wl_source_t *c = open_gen(&g);
    struct wl_vm x, y, z;
    unsigned differ = 0;
    for (unsigned i = 0; i < 500; i++) {
        assert_int_equal(wl_next(a, &x), 1);
        assert_int_equal(wl_next(b, &y), 1);
        assert_int_equal(wl_next(c, &z), 1);
        assert_int_equal(x.arrival_ns, y.arrival_ns);
        assert_int_equal(x.vcpus, y.vcpus);
        assert_int_equal(x.lifetime_ns, y.lifetime_ns);
        assert_int_equal(x.loops, y.loops);
        assert_int_equal(x.nphases, y.nphases);
        for (unsigned k = 0; k < x.nphases; k++) {
            assert_int_equal(x.phases[k].kind, y.phases[k].kind);
            assert_int_equal(x.phases[k].d.kind, y.phases[k].d.kind);
            assert_true(x.phases[k].d.a == y.phases[k].d.a);
            assert_true(x.phases[k].d.b == y.phases[k].d.b);
        }
        assert_string_equal(x.name, y.name);
        differ += x.arrival_ns != z.arrival_ns;
    }
    assert_int_equal(wl_next(a, &x), 0);
    assert_true(differ > 400);
    wl_close(a);
    wl_close(b);
    wl_close(c);
}

static void test_wl_gen_poisson_sizes_lognormal(void **state)
{
    (void)state;
    struct wl_gen g = base();
    struct sums t = run(&g, 0);
    assert_int_equal(t.n, 20000);
    near(t.gap / t.n, 10 * MS, 0.03, "Poisson gap");
    near((double)t.by_vcpus[1] / t.n, 0.5, 0.03, "P(1 vCPU)");
    near((double)t.by_vcpus[2] / t.n, 0.3, 0.05, "P(2 vCPUs)");
    near((double)t.by_vcpus[8] / t.n, 0.2, 0.06, "P(8 vCPUs)");
    near(t.life / t.n, 2 * SEC, 0.03, "lognormal lifetime");
    near(t.busy_frac / t.n, 0.4, 0.03, "utilisation");
    near(wl_dist_mean(&g.lifetime), 2 * SEC, 1e-12, "lognormal mean");
}

static void test_wl_gen_pareto_weibull(void **state)
{
    (void)state;
    struct wl_gen g = base();
    g.lifetime = (struct wl_dist){WL_DIST_PARETO, 1 * SEC, 3};
    struct sums t = run(&g, 0);
    near(wl_dist_mean(&g.lifetime), 1.5 * SEC, 1e-12, "Pareto mean");
    near(t.life / t.n, 1.5 * SEC, 0.03, "Pareto lifetime");
    g.lifetime = (struct wl_dist){WL_DIST_WEIBULL, 1 * SEC, 1.5};
    t = run(&g, 0);
    near(wl_dist_mean(&g.lifetime), 0.902745 * SEC, 1e-5, "Weibull mean");
    near(t.life / t.n, 0.902745 * SEC, 0.03, "Weibull lifetime");
}

static void test_wl_gen_mmpp(void **state)
{
    (void)state;
    struct wl_gen g = base();
    g.arrivals = (struct wl_arrivals){.kind = WL_ARR_MMPP,
                                      .rate_per_s = {50, 5},
                                      .dwell_ns = {1000000000, 2000000000}};
    g.limit = 0;
    g.until_ns = 5000000000000ull; /* 5000 s: about 1700 state cycles */
    near(wl_arrivals_mean_rate(&g.arrivals), 20, 1e-12, "MMPP mean rate");
    struct sums t = run(&g, 0);
    near((double)t.n / 5000, 20, 0.05, "MMPP rate");
    assert_true(t.last < g.until_ns);
}

static void test_wl_gen_diurnal(void **state)
{
    (void)state;
    struct wl_gen g = base();
    uint64_t period = 10000000000ull;
    g.arrivals = (struct wl_arrivals){.kind = WL_ARR_DIURNAL,
                                      .rate_per_s = {20, 0},
                                      .amplitude = 0.8,
                                      .period_ns = period};
    g.limit = 0;
    g.until_ns = 100 * period;
    struct sums t = run(&g, period);
    near((double)t.n / 1000, 20, 0.03, "diurnal mean rate");
    /* sin > 0 over the first half: a share (1 + 2A/pi) / 2 of arrivals */
    near(t.first_half / t.n, 0.5 + 0.8 / M_PI, 0.03, "diurnal first half");
}

static void test_wl_gen_bsp_lock(void **state)
{
    (void)state;
    struct wl_gen g = base();
    g.limit = 100;
    g.lifetime = (struct wl_dist){WL_DIST_CONST, 1 * SEC, 0};
    g.demand = (struct wl_demand){.kind = WL_DEM_BSP,
                                  .work = {WL_DIST_EXP, 2 * MS, 0},
                                  .comm = {WL_DIST_CONST, 0.5 * MS, 0}};
    wl_source_t *s = open_gen(&g);
    struct wl_vm vm;
    assert_int_equal(wl_next(s, &vm), 1);
    assert_int_equal(vm.nphases, 3);
    assert_int_equal(vm.phases[0].kind, WL_PH_COMPUTE);
    assert_int_equal(vm.phases[0].d.kind, WL_DIST_EXP);
    assert_int_equal(vm.phases[1].kind, WL_PH_BARRIER);
    assert_int_equal(vm.phases[2].kind, WL_PH_BLOCK);
    assert_int_equal(vm.loops, 400); /* 1 s of 2.5 ms steps */
    wl_close(s);
    g.demand = (struct wl_demand){.kind = WL_DEM_LOCK,
                                  .work = {WL_DIST_CONST, 200000, 0},
                                  .hold = {WL_DIST_EXP, 50000, 0},
                                  .nlocks = 2};
    s = open_gen(&g);
    assert_int_equal(wl_next(s, &vm), 1);
    assert_int_equal(vm.nphases, 4);
    assert_int_equal(vm.phases[1].kind, WL_PH_LOCK);
    assert_int_equal(vm.phases[1].lock_id, 0);
    assert_int_equal(vm.phases[3].lock_id, 1);
    assert_int_equal(vm.loops, 2000); /* 1 s of 2 x 250 us */
    wl_close(s);
}

static void test_wl_gen_bad_parameters(void **state)
{
    (void)state;
    wl_source_t *s;
    char err[256];
    struct wl_gen g = base();
    g.arrivals.rate_per_s[0] = 0;
    assert_int_equal(wl_gen_open(&g, &s, err, sizeof err), -1);
    assert_null(s);
    assert_non_null(strstr(err, "arrivals.rate"));
    g = base();
    g.arrivals.kind = WL_ARR_DIURNAL;
    g.arrivals.amplitude = 1.5;
    g.arrivals.period_ns = 1;
    assert_int_equal(wl_gen_open(&g, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "amplitude"));
    g = base();
    g.arrivals =
        (struct wl_arrivals){.kind = WL_ARR_MMPP, .rate_per_s = {1, 1}};
    assert_int_equal(wl_gen_open(&g, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "dwell"));
    g = base();
    g.lifetime = (struct wl_dist){WL_DIST_PARETO, 1, 0};
    assert_int_equal(wl_gen_open(&g, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "lifetime"));
    g = base();
    struct wl_size bad[] = {{1, 0, 0}};
    g.sizes = bad;
    g.nsizes = 1;
    assert_int_equal(wl_gen_open(&g, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "sizes"));
    g = base();
    g.demand.util_max = 1.5;
    assert_int_equal(wl_gen_open(&g, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "demand.util"));
    g = base();
    g.demand = (struct wl_demand){.kind = WL_DEM_LOCK,
                                  .work = {WL_DIST_CONST, 1, 0},
                                  .hold = {WL_DIST_CONST, 1, 0},
                                  .nlocks = 17};
    assert_int_equal(wl_gen_open(&g, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "locks"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wl_gen_same_seed_same_vms),
        cmocka_unit_test(test_wl_gen_poisson_sizes_lognormal),
        cmocka_unit_test(test_wl_gen_pareto_weibull),
        cmocka_unit_test(test_wl_gen_mmpp),
        cmocka_unit_test(test_wl_gen_diurnal),
        cmocka_unit_test(test_wl_gen_bsp_lock),
        cmocka_unit_test(test_wl_gen_bad_parameters),
    };
    return cmocka_run_group_tests_name("wl_gen", tests, NULL, NULL);
}
