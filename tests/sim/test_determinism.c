// SPDX-License-Identifier: GPL-3.0-or-later
/* The simulator is deterministic: the same scenario and seed give
 * byte-identical result tables and traces (the default scenario and every
 * example that needs no shared data), and another seed gives other ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "scenario.h"

/* Run @s with @seed; return every table and the trace as one string. */
static char *run(const struct sim_scenario *s, uint64_t seed)
{
    char *buf = NULL, *tr = NULL;
    size_t len = 0, tlen = 0;
    FILE *trace = open_memstream(&tr, &tlen);
    struct sim_model_opts o = {.scn = s, .seed = seed, .trace = trace};
    struct sim_model *m;
    char err[512];
    assert_int_equal(sim_model_create(&o, &m, err, sizeof err), 0);
    assert_int_equal(sim_model_run(m, 0, NULL, NULL, NULL), 0);
    FILE *f = open_memstream(&buf, &len);
    sim_model_write_vcpus(m, f);
    sim_model_write_vms(m, f);
    sim_model_write_pcpus(m, f);
    sim_model_write_hosts(m, f);
    fprintf(f, "events %llu\n", (unsigned long long)sim_model_events(m));
    sim_model_destroy(m);
    fclose(trace);
    fputs(tr, f);
    fclose(f);
    free(tr);
    return buf;
}

static void check_scenario(const struct sim_scenario *s)
{
    char *a = run(s, 7), *b = run(s, 7), *c = run(s, 8);
    assert_true(strlen(a) > 1000);
    assert_string_equal(a, b); /* byte for byte */
    assert_true(strcmp(a, c) != 0);
    free(a);
    free(b);
    free(c);
}

static void test_sim_default_scenario_is_deterministic(void **state)
{
    (void)state;
    struct sim_scenario *s;
    char err[512];
    assert_int_equal(sim_scenario_parse(SIM_DEFAULT_NAME, sim_default_scenario,
                                        strlen(sim_default_scenario), NULL, 0,
                                        &s, err, sizeof err),
                     0);
    const char *pols[] = {"rr", "fair", "space", "vhier", "dh"};
    for (unsigned i = 0; i < 5; i++) {
        char *keep = s->policy;
        s->policy = (char *)pols[i];
        check_scenario(s);
        s->policy = keep;
    }
    sim_scenario_free(s);
}

static void test_sim_example_scenarios_are_deterministic(void **state)
{
    (void)state;
    const char *files[] = {"dh-4on3.yaml", "lock-holder.yaml", "mm1-ps.yaml"};
    for (unsigned i = 0; i < 3; i++) {
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/%s", VCPU_SCENARIOS_DIR, files[i]);
        struct sim_scenario *s;
        int rc = sim_scenario_load(path, NULL, 0, &s, err, sizeof err);
        if (rc)
            fail_msg("%s", err);
        check_scenario(s);
        sim_scenario_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_default_scenario_is_deterministic),
        cmocka_unit_test(test_sim_example_scenarios_are_deterministic),
    };
    return cmocka_run_group_tests_name("determinism", tests, NULL, NULL);
}
