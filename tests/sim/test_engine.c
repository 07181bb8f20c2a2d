// SPDX-License-Identifier: GPL-3.0-or-later
/* The event engine: order by (time, insertion), growth, the past refused;
 * checked against a sorted reference on seeded random schedules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "engine.h"

static void test_engine_ties_keep_insertion_order(void **state)
{
    (void)state;
    sim_engine_t *e;
    assert_int_equal(sim_engine_create(2, &e), 0);
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal(sim_event_push(e, 5, 1, 0, i, 0, 0), 0);
    assert_int_equal(sim_event_push(e, 3, 1, 0, 999, 0, 0), 0);
    struct sim_event ev;
    assert_true(sim_event_pop(e, &ev));
    assert_int_equal(ev.a, 999);
    for (uint32_t i = 0; i < 100; i++) {
        assert_true(sim_event_pop(e, &ev));
        assert_int_equal(ev.time, 5);
        assert_int_equal(ev.a, i);
    }
    assert_false(sim_event_pop(e, &ev));
    assert_int_equal(sim_engine_count(e), 101);
    sim_engine_destroy(e);
}

static void test_engine_refuses_the_past(void **state)
{
    (void)state;
    sim_engine_t *e;
    sim_engine_create(0, &e);
    sim_event_push(e, 10, 1, 0, 0, 0, 0);
    struct sim_event ev;
    sim_event_pop(e, &ev);
    assert_int_equal(sim_engine_now(e), 10);
    assert_int_not_equal(sim_event_push(e, 9, 1, 0, 0, 0, 0), 0);
    assert_int_equal(sim_event_push(e, 10, 1, 0, 0, 0, 0), 0);
    assert_int_equal(sim_engine_peek_time(e), 10);
    sim_engine_destroy(e);
}

/* Random pushes interleaved with pops come out in (time, seq) order. */
static void test_engine_random_schedules_pop_in_order(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (unsigned seed = 1; seed <= 50; seed++) {
        gsl_rng_set(r, seed);
        sim_engine_t *e;
        sim_engine_create(1, &e);
        uint64_t last_t = 0, last_seq = 0;
        bool first = true;
        unsigned live = 0;
        for (unsigned step = 0; step < 5000; step++) {
            if (live == 0 || gsl_rng_uniform(r) < 0.55) {
                uint64_t t = sim_engine_now(e) + gsl_rng_uniform_int(r, 50);
                assert_int_equal(sim_event_push(e, t, 1, 0, step, 0, 0), 0);
                live++;
                continue;
            }
            struct sim_event ev;
            assert_true(sim_event_pop(e, &ev));
            live--;
            if (!first &&
                !(ev.time > last_t || (ev.time == last_t && ev.seq > last_seq)))
                fail_msg("seed %u step %u: %llu/%llu after %llu/%llu", seed,
                         step, (unsigned long long)ev.time,
                         (unsigned long long)ev.seq, (unsigned long long)last_t,
                         (unsigned long long)last_seq);
            first = false;
            last_t = ev.time;
            last_seq = ev.seq;
        }
        assert_int_equal(sim_engine_pending(e), live);
        sim_engine_destroy(e);
    }
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_ties_keep_insertion_order),
        cmocka_unit_test(test_engine_refuses_the_past),
        cmocka_unit_test(test_engine_random_schedules_pop_in_order),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
