// SPDX-License-Identifier: GPL-3.0-or-later
/* Scenario sources (sim/scenario_src.c) and the feed that gives them to the
 * model (sim/feed.c): what the reader stores, its errors at file:line:col,
 * the merge by time with the vms list, and whole runs that reproduce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "feed.h"
#include "model.h"
#include "scenario.h"
#include "wl_test.h"

#define HEAD                                                                   \
    "duration: 1s\n"                         /* 1 */                           \
    "hosts:\n"                               /* 2 */                           \
    "  - topology: \"pack:1 core:4 pu:1\"\n" /* 3 */                           \
    "sources:\n"                             /* 4 */

static char err[2048];
static char swf_path[512];

static int setup(void **state)
{
    if (tmp_setup(state))
        return -1;
    /* jobs at 0, 10 and 20 s, running 100 s on 4, 2 and 1 processors */
    const char *p = put("t.swf", "; Computer: test\n"
                                 "1 0 5 100 4 -1 -1 4 200 -1 1 1 1 -1 -1 -1 "
                                 "-1 -1\n"
                                 "2 10 5 100 2 -1 -1 2 200 -1 1 1 1 -1 -1 -1 "
                                 "-1 -1\n"
                                 "3 20 5 100 1 -1 -1 1 200 -1 1 1 1 -1 -1 -1 "
                                 "-1 -1\n");
    snprintf(swf_path, sizeof swf_path, "%s", p);
    put("machine_meta.csv", "m_1,0,219,17,96,100,USING\n");
    return 0;
}

static struct sim_scenario *parse(const char *fmt, ...)
{
    char yaml[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(yaml, sizeof yaml, fmt, ap);
    va_end(ap);
    struct sim_scenario *s = NULL;
    err[0] = '\0';
    sim_scenario_parse("t.yaml", yaml, strlen(yaml), NULL, 0, &s, err,
                       sizeof err);
    return s;
}

static void expect(struct sim_scenario *s, const char *prefix, const char *what)
{
    assert_null(s);
    if (strncmp(err, prefix, strlen(prefix)))
        fail_msg("got '%s', want prefix '%s'", err, prefix);
    if (what && !strstr(err, what))
        fail_msg("got '%s', want '%s' in it", err, what);
}

static void test_wl_sources_parse(void **state)
{
    (void)state;
    struct sim_scenario *s =
        parse(HEAD "  - trace: %s\n"
                   "    name: kth\n"
                   "    window: {start: 5s, end: 30s}\n"
                   "    sample: 0.5\n"
                   "    scale: 0.001\n"
                   "    burst: 2s\n"
                   "    on_error: fail\n"
                   "    host: 0\n"
                   "  - generator: mmpp\n"
                   "    rate: [40, 2]\n"
                   "    dwell: [200ms, 1s]\n"
                   "    sizes: [{vcpus: 2, memory: 2048, p: 1}]\n"
                   "    lifetime: {dist: pareto, scale: 100ms, shape: 1.5}\n"
                   "    demand: {lock: {work: 200us, hold: 20us, locks: 2}}\n",
              swf_path);
    if (!s)
        fail_msg("%s", err);
    assert_int_equal(s->nvms, 0);
    assert_int_equal(s->nsources, 2);
    const struct sim_src_spec *t = &s->sources[0], *g = &s->sources[1];
    assert_int_equal(t->kind, SIM_SRC_TRACE);
    assert_string_equal(t->name, "kth");
    assert_string_equal(t->path, swf_path);
    assert_int_equal(t->opts.format, WL_FMT_SWF);
    assert_int_equal(t->opts.start_ns, 5000000000ull);
    assert_int_equal(t->opts.end_ns, 30000000000ull);
    assert_true(t->opts.sample == 0.5 && t->opts.scale == 0.001);
    assert_int_equal(t->opts.burst_ns, 2000000000ull);
    assert_true(t->opts.fatal);
    assert_int_equal(t->host, 0);
    assert_false(t->seeded);
    assert_int_equal(g->kind, SIM_SRC_GEN);
    assert_string_equal(g->name, "gen1");
    assert_int_equal(g->gen.arrivals.kind, WL_ARR_MMPP);
    assert_int_equal(g->gen.arrivals.dwell_ns[1], 1000000000ull);
    assert_int_equal(g->gen.nsizes, 1);
    assert_int_equal(g->gen.sizes[0].memory_mb, 2048);
    assert_int_equal(g->gen.lifetime.kind, WL_DIST_PARETO);
    assert_int_equal(g->gen.demand.kind, WL_DEM_LOCK);
    assert_int_equal(g->gen.demand.nlocks, 2);
    assert_int_equal(g->gen.until_ns, 1000000000ull);
    assert_int_equal(g->host, -1);
    sim_scenario_free(s);
}

static void test_wl_sources_errors(void **state)
{
    (void)state;
    expect(parse(HEAD "  - trace: %s\n    smaple: 0.5\n", swf_path),
           "t.yaml:6:5: sources[0].smaple: ", "did you mean 'sample'");
    expect(parse(HEAD "  - trace: %s/nope.swf\n", tmp_dir),
           "t.yaml:5:12: sources[0].trace: ", "No such file");
    expect(parse(HEAD "  - trace: %s\n    format: swff\n", swf_path),
           "t.yaml:6:13: sources[0].format: ", "did you mean 'swf'");
    expect(parse(HEAD "  - trace: %s/machine_meta.csv\n", tmp_dir),
           "t.yaml:5:12: sources[0].format: ", "records but no VMs");
    expect(parse(HEAD "  - trace: %s\n    window: [5s, 2s]\n", swf_path),
           "t.yaml:6:18: sources[0].window[1]: ", "after the start");
    expect(parse(HEAD "  - trace: %s\n    sample: 0\n", swf_path),
           "t.yaml:6:13: sources[0].sample: ", "(0, 1]");
    expect(parse(HEAD "  - trace: %s\n    on_error: ignore\n", swf_path),
           "t.yaml:6:15: sources[0].on_error: ", "skip or fail");
    expect(parse(HEAD "  - trace: %s\n    host: 3\n", swf_path),
           "t.yaml:6:11: sources[0].host: ", "does not exist");
    expect(parse(HEAD "  - {rate: 5}\n"),
           "t.yaml:5:6: sources[0]: ", "needs a trace");
    expect(parse(HEAD "  - {generator: poison, rate: 5, lifetime: 1s}\n"),
           "t.yaml:5:17: sources[0].generator: ", "unknown generator");
    expect(parse(HEAD "  - {generator: mmpp, rate: [1, 2], lifetime: 1s}\n"),
           "t.yaml:5:6: sources[0].dwell: ", "missing");
    expect(parse(HEAD "  - {generator: poisson, rate: 5}\n"),
           "t.yaml:5:6: sources[0].lifetime: ", "missing");
    expect(parse(HEAD "  - {generator: poisson, rate: 5, lifetime: 1s,\n"
                      "     demand: {util: 1.5}}\n"),
           "t.yaml:6:21: sources[0].demand.util: ", "[0, 1]");
    expect(parse(HEAD "  - {generator: poisson, rate: 5, lifetime: 1s,\n"
                      "     demand: {util: 0.5, bsp: {work: 1ms}}}\n"),
           "t.yaml:6:15: sources[0].demand: ", "stand alone");
    expect(parse(HEAD), "t.yaml:4:1: sources: ", "expected a list");
    expect(parse("duration: 1s\nhosts: [\"pack:1 core:2 pu:1\"]\n"),
           "t.yaml:1:1: vms: ", "missing");
}

/* The vms list and the sources, merged by arrival time. */
static void test_wl_sources_feed_merges(void **state)
{
    (void)state;
    struct sim_scenario *s =
        parse("duration: 1s\n"
              "hosts: [\"pack:1 core:4 pu:1\"]\n"
              "vms:\n"
              "  - {name: late, start: 15ms, vcpus: 1,\n"
              "     workload: {loops: 1, phases: [compute: 1ms]}}\n"
              "  - {name: early, start: 5ms, count: 2, vcpus: 1,\n"
              "     workload: {loops: 1, phases: [compute: 1ms]}}\n"
              "sources:\n"
              "  - {trace: %s, scale: 0.001, name: j}\n"
              "  - {generator: poisson, rate: 100, limit: 5, lifetime: 10ms,\n"
              "     seed: 3}\n",
              swf_path);
    if (!s)
        fail_msg("%s", err);
    struct sim_feed *f;
    assert_int_equal(sim_feed_create(s, 1, NULL, &f, err, sizeof err), 0);
    struct sim_source src = sim_feed_source(f);
    struct sim_arrival a;
    uint64_t last = 0;
    unsigned n = 0, traced = 0;
    while (src.next(src.arg, &a) == 1) {
        assert_true(a.time_ns >= last);
        last = a.time_ns;
        traced += !strncmp(a.spec->name, "j.", 2);
        if (!strcmp(a.spec->name, "j.2")) {
            assert_int_equal(a.time_ns, 10000000);
            assert_int_equal(a.spec->vcpus, 2);
            assert_int_equal(a.spec->wl.nphases, 1);
            assert_int_equal(a.spec->wl.phases[0].kind, SIM_PH_COMPUTE);
            assert_true(a.spec->wl.phases[0].d.a == 100e6);
        }
        n++;
    }
    assert_int_equal(n, 3 + 3 + 5);
    assert_int_equal(traced, 3);
    assert_null(sim_feed_error(f));
    assert_true(sim_feed_arena_bytes(f) > 0);
    sim_feed_destroy(f);
    sim_scenario_free(s);
}

/* A run over a trace and a generator: every VM arrives, and a second run
 * with the same seed writes the same results. */
static char *run_once(const struct sim_scenario *s, uint64_t seed)
{
    struct sim_feed *f;
    struct sim_model *m;
    assert_int_equal(sim_feed_create(s, seed, NULL, &f, err, sizeof err), 0);
    struct sim_model_opts mo = {
        .scn = s, .seed = seed, .source = sim_feed_source(f)};
    if (sim_model_create(&mo, &m, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(sim_model_run(m, 0, NULL, NULL, NULL), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(sim_model_write_vms(m, out), 0);
    fclose(out);
    assert_int_equal(sim_model_nvms(m), 3 + 20);
    sim_model_destroy(m);
    sim_feed_destroy(f);
    return buf;
}

static void test_wl_sources_run_reproduces(void **state)
{
    (void)state;
    struct sim_scenario *s = parse(
        "duration: 400ms\n"
        "hosts: [\"pack:1 core:4 pu:1\"]\n"
        "sources:\n"
        "  - {trace: %s, scale: 0.001, burst: 10s}\n"
        "  - {generator: diurnal, rate: 200, period: 100ms, limit: 20,\n"
        "     sizes: [{vcpus: 2, p: 1}], lifetime: {dist: exp, mean: 5ms},\n"
        "     demand: {util: [0.2, 0.8], burst: 1ms, exp: true}}\n",
        swf_path);
    if (!s)
        fail_msg("%s", err);
    char *a = run_once(s, 7), *b = run_once(s, 7);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "t.1"));
    free(a);
    free(b);
    sim_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wl_sources_parse),
        cmocka_unit_test(test_wl_sources_errors),
        cmocka_unit_test(test_wl_sources_feed_merges),
        cmocka_unit_test(test_wl_sources_run_reproduces),
    };
    return cmocka_run_group_tests_name("wl_sources", tests, setup,
                                       tmp_teardown);
}
