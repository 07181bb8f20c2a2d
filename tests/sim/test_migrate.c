// SPDX-License-Identifier: GPL-3.0-or-later
/* Pre-copy migration: stop-and-copy times exactly, an idle VM in one
 * round, the stop rules (threshold, rate, Xen's 30 rounds and 3x memory),
 * a non-converging VM ends, failures keep the VM on the source with a
 * reason, concurrent migrations slow each other and the service, the
 * trace rows; and a seeded random property (every migration ends, no link
 * over capacity) that prints its seed and shrinks a failing case. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "migrate.h"

#define MB 1000000ull
#define MBIT SIM_MIG_MBIT
#define SEC 1000000000ull

#define MAXM 64

struct fix {
    sim_net_t *net;
    sim_mig_t *mig;
    struct sim_mig_result res[MAXM];
    bool done[MAXM];
    unsigned ndone, ndown, nrounds;
};

static void on_down(void *ctx, uint32_t mig, uint32_t vm)
{
    (void)mig;
    (void)vm;
    ((struct fix *)ctx)->ndown++;
}

static void on_round(void *ctx, uint32_t mig, const struct sim_mig_round *r)
{
    (void)mig;
    (void)r;
    ((struct fix *)ctx)->nrounds++;
}

static void on_done(void *ctx, uint32_t mig, const struct sim_mig_result *r)
{
    struct fix *f = ctx;
    assert_true(mig < MAXM);
    assert_false(f->done[mig]);
    f->done[mig] = true;
    f->res[mig] = *r;
    f->ndone++;
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(sim_net_create(&f->net), 0);
    struct sim_mig_cbs cbs = {on_down, on_round, on_done, f};
    assert_int_equal(sim_mig_create(f->net, &cbs, &f->mig), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    sim_mig_destroy(f->mig);
    sim_net_destroy(f->net);
    free(f);
    return 0;
}

static uint32_t link(struct fix *f, uint64_t cap_bps)
{
    uint32_t id;
    assert_int_equal(sim_net_link_add(f->net, cap_bps, 0, &id), 0);
    return id;
}

static uint32_t start(struct fix *f, const uint32_t *path, unsigned np,
                      const struct sim_mig_vm *vm,
                      const struct sim_mig_params *p)
{
    struct sim_mig_args a = {SIM_MIG_ABI, 0, 1, path, np, vm, p};
    uint32_t id;
    assert_int_equal(sim_mig_start(f->mig, &a, &id), 0);
    return id;
}

static void run(struct fix *f)
{
    uint64_t t;
    while ((t = sim_mig_next_time(f->mig)) != UINT64_MAX)
        sim_mig_run_until(f->mig, t);
}

static void test_migrate_stop_and_copy_exact(void **state)
{
    struct fix *f = *state;
    uint32_t l = link(f, 10000 * MBIT), path[] = {l};
    struct sim_mig_vm vm = {.abi = SIM_MIG_ABI, .mem_bytes = 512 * MB};
    const uint64_t rates[] = {128, 256, 512}, secs[] = {32, 16, 8};
    for (unsigned i = 0; i < 3; i++) {
        struct sim_mig_params p = {.abi = SIM_MIG_ABI,
                                   .flags = SIM_MIG_NO_PRECOPY,
                                   .max_rate_bps = rates[i] * MBIT};
        uint32_t id = start(f, path, 1, &vm, &p);
        run(f);
        assert_true(f->done[id]);
        assert_true(f->res[id].ok);
        assert_int_equal(f->res[id].reason, SIM_MIG_STOP_NOPRECOPY);
        assert_int_equal(f->res[id].total_ns, secs[i] * SEC);
        assert_int_equal(f->res[id].downtime_ns, secs[i] * SEC);
        assert_int_equal(f->res[id].bytes, 512 * MB);
    }
}

static void test_migrate_idle_vm_one_round(void **state)
{
    struct fix *f = *state;
    uint32_t l = link(f, 1000 * MBIT), path[] = {l};
    struct sim_mig_vm vm = {.abi = SIM_MIG_ABI, .mem_bytes = 800 * MB};
    struct sim_mig_params p = {.abi = SIM_MIG_ABI, .resume_ns = 20000000};
    uint32_t id = start(f, path, 1, &vm, &p);
    run(f);
    /* 800 MB at the minimum 100 Mbit/s, nothing dirty, then resume. */
    assert_true(f->res[id].ok);
    assert_int_equal(f->res[id].reason, SIM_MIG_STOP_THRESHOLD);
    assert_int_equal(f->res[id].rounds, 1);
    assert_int_equal(f->res[id].total_ns, 64 * SEC + 20000000);
    assert_int_equal(f->res[id].downtime_ns, 20000000);
    assert_int_equal(f->ndown, 1);
}

/* 1 GB written uniformly at 50 MB/s (400 Mbit/s): rounds settle at
 * 450 Mbit/s, under the 500 maximum, and shrink by 400/450 each. */
static const struct sim_mig_vm busy = {
    .abi = SIM_MIG_ABI, .mem_bytes = 1000 * MB, .bg_rate_Bps = 50 * MB};

static void test_migrate_converges_by_threshold(void **state)
{
    struct fix *f = *state;
    uint32_t l = link(f, 10000 * MBIT), path[] = {l};
    uint32_t id = start(f, path, 1, &busy, NULL);
    run(f);
    assert_true(f->res[id].ok);
    assert_int_equal(f->res[id].reason, SIM_MIG_STOP_THRESHOLD);
    assert_true(f->res[id].rounds > 30);
    assert_true(f->res[id].bytes > 3 * busy.mem_bytes);
}

static void test_migrate_xen_30_rounds(void **state)
{
    struct fix *f = *state;
    uint32_t l = link(f, 10000 * MBIT), path[] = {l};
    struct sim_mig_params p = {.abi = SIM_MIG_ABI, .max_rounds = 30};
    uint32_t id = start(f, path, 1, &busy, &p);
    run(f);
    assert_true(f->res[id].ok);
    assert_int_equal(f->res[id].reason, SIM_MIG_STOP_ROUNDS);
    assert_int_equal(f->res[id].rounds, 30);
}

static void test_migrate_xen_3x_memory(void **state)
{
    struct fix *f = *state;
    uint32_t l = link(f, 10000 * MBIT), path[] = {l};
    struct sim_mig_params p;
    sim_mig_params_xen(&p);
    uint32_t id = start(f, path, 1, &busy, &p);
    run(f);
    assert_true(f->res[id].ok);
    assert_int_equal(f->res[id].reason, SIM_MIG_STOP_SENT);
    uint64_t pre = f->res[id].bytes; /* includes the stop-and-copy */
    assert_true(pre >= 3 * busy.mem_bytes);
    assert_true(f->res[id].rounds < 30);
}

static void test_migrate_non_converging_ends(void **state)
{
    struct fix *f = *state;
    uint32_t l = link(f, 10000 * MBIT), path[] = {l};
    /* Writes at 100 MB/s = 800 Mbit/s, above the 500 maximum. */
    struct sim_mig_vm vm = {.abi = SIM_MIG_ABI,
                            .mem_bytes = 1000 * MB,
                            .wws_bytes = 200 * MB,
                            .wws_rate_Bps = 100 * MB};
    uint32_t id = start(f, path, 1, &vm, NULL);
    run(f);
    assert_true(f->done[id]);
    assert_true(f->res[id].ok);
    assert_int_equal(f->res[id].reason, SIM_MIG_STOP_RATE);
    assert_true(f->res[id].downtime_ns > SEC / 10);
    assert_int_equal(sim_mig_running(f->mig), 0);
}

static void test_migrate_failures_keep_vm_on_source(void **state)
{
    struct fix *f = *state;
    uint32_t l0 = link(f, 1000 * MBIT), l1 = link(f, 1000 * MBIT);
    uint32_t p0[] = {l0}, p1[] = {l1};
    struct sim_mig_vm vm = {.abi = SIM_MIG_ABI, .mem_bytes = 800 * MB};
    struct sim_mig_args a = {SIM_MIG_ABI, 0, 1, p0, 1, &vm, NULL};
    uint32_t m0, m1, m2;
    assert_int_equal(sim_mig_start(f->mig, &a, &m0), 0);
    a.src_host = 2;
    a.dst_host = 3;
    a.path = p1;
    assert_int_equal(sim_mig_start(f->mig, &a, &m1), 0);
    a.src_host = 4;
    a.dst_host = 5;
    assert_int_equal(sim_mig_start(f->mig, &a, &m2), 0);
    sim_mig_run_until(f->mig, 10 * SEC);
    assert_int_equal(sim_mig_fail_link(f->mig, l0), 0);
    assert_int_equal(sim_mig_fail_host(f->mig, 3), 1);
    assert_int_equal(sim_mig_abort(f->mig, m2), 0);
    assert_int_equal(f->ndone, 0); /* reported from run_until */
    sim_mig_run_until(f->mig, 10 * SEC);
    assert_int_equal(f->ndone, 3);
    assert_false(f->res[m0].ok);
    assert_int_equal(f->res[m0].reason, SIM_MIG_FAIL_LINK);
    assert_false(f->res[m1].ok);
    assert_int_equal(f->res[m1].reason, SIM_MIG_FAIL_TARGET);
    assert_int_equal(f->res[m2].reason, SIM_MIG_FAIL_ABORT);
    assert_int_equal(f->res[m0].total_ns, 10 * SEC);
    assert_int_equal(f->res[m0].downtime_ns, 0);
    assert_int_equal(f->ndown, 0);
    assert_int_equal(sim_net_flow_count(f->net), 0);
    assert_string_equal(sim_mig_reason_name(SIM_MIG_FAIL_TARGET), "target");
    /* A path over a failed link is refused up front. */
    a.path = p0;
    assert_int_equal(sim_mig_start(f->mig, &a, &m0), -ENETDOWN);
}

static void test_migrate_concurrent_slow_each_other(void **state)
{
    struct fix *f = *state;
    uint32_t l = link(f, 1000 * MBIT), path[] = {l};
    struct sim_mig_vm vm = {.abi = SIM_MIG_ABI, .mem_bytes = 1000 * MB};
    struct sim_mig_params p = {.abi = SIM_MIG_ABI,
                               .flags = SIM_MIG_NO_PRECOPY,
                               .max_rate_bps = 1000 * MBIT};
    uint32_t a = start(f, path, 1, &vm, &p);
    run(f);
    assert_int_equal(f->res[a].total_ns, 8 * SEC); /* alone */
    uint32_t b = start(f, path, 1, &vm, &p);
    uint32_t c = start(f, path, 1, &vm, &p);
    /* and a service flow: three ways */
    struct sim_net_flow_args s = {SIM_NET_ABI, path, 1, 0, 0, NULL, NULL};
    uint32_t svc;
    assert_int_equal(sim_net_flow_start(f->net, &s, &svc), 0);
    assert_true(fabs(sim_net_flow_rate(f->net, svc) - 1e9 / 3) < 1);
    run(f);
    assert_int_equal(f->res[b].total_ns, 24 * SEC);
    assert_int_equal(f->res[c].total_ns, 24 * SEC);
    assert_true(fabs(sim_net_flow_rate(f->net, svc) - 1e9) < 1);
    sim_net_flow_stop(f->net, svc);
}

static void test_migrate_trace_rows(void **state)
{
    struct fix *f = *state;
    char *buf = NULL;
    size_t len = 0;
    FILE *tf = open_memstream(&buf, &len);
    assert_non_null(tf);
    sim_mig_set_trace(f->mig, tf);
    uint32_t l = link(f, 1000 * MBIT), path[] = {l};
    struct sim_mig_vm vm = {.abi = SIM_MIG_ABI,
                            .vm = 7,
                            .mem_bytes = 100 * MB,
                            .wws_bytes = 1 * MB,
                            .wws_rate_Bps = 10 * MB};
    start(f, path, 1, &vm, NULL);
    run(f);
    fclose(tf);
    assert_non_null(strstr(buf, "0,VM_MIGRATE_START,-1,-1,7,1\n"));
    assert_non_null(strstr(buf, "0,VM_MIGRATE_RATE,-1,-1,7,100000000\n"));
    assert_non_null(strstr(buf, "8000000000,VM_MIGRATE_ROUND,-1,-1,7,"
                                "100000000\n"));
    assert_non_null(strstr(buf, ",VM_MIGRATE_DOWN,-1,-1,7,"));
    assert_non_null(strstr(buf, ",VM_MIGRATE_END,-1,-1,7,"));
    free(buf);
}

static void test_migrate_dirty_model(void **state)
{
    (void)state;
    struct sim_mig_vm vm = {.abi = SIM_MIG_ABI,
                            .mem_bytes = 1000 * MB,
                            .wws_bytes = 10 * MB,
                            .wws_rate_Bps = 1000 * MB,
                            .bg_rate_Bps = 1 * MB};
    /* The hot set saturates in a second; the rest grows ~linearly. */
    double d = sim_mig_dirtied(&vm, 0, SEC);
    assert_true(d > 10 * MB + 0.99 * MB && d < 11 * MB);
    /* A trace replaces the rates from its points on. */
    struct sim_mig_dirty_point tr[] = {{2 * SEC, 0, 0}};
    vm.trace = tr;
    vm.ntrace = 1;
    assert_true(sim_mig_dirtied(&vm, 2 * SEC, 5 * SEC) == 0);
    assert_true(sim_mig_dirtied(&vm, SEC, 3 * SEC) > 10 * MB);
}

/* ---- property ------------------------------------------------------------ */

struct mcase {
    unsigned nl, nm;
    uint64_t lcap[8];
    struct {
        uint32_t path[3];
        unsigned np;
        uint64_t mem, wws, wrate, brate, max_rate, at;
        uint32_t flags, fail; /* fail: 0 none, 1 link, 2 host, 3 abort */
        uint64_t fail_at;
    } m[24];
};

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void mgen(uint64_t seed, struct mcase *c)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 7;
    memset(c, 0, sizeof *c);
    c->nl = 1 + rnd(&s) % 8;
    for (unsigned i = 0; i < c->nl; i++)
        c->lcap[i] = (100 + rnd(&s) % 2000) * MBIT;
    c->nm = 1 + rnd(&s) % 24;
    for (unsigned i = 0; i < c->nm; i++) {
        unsigned want = 1 + rnd(&s) % 3;
        for (unsigned k = 0; k < want; k++) {
            uint32_t l = rnd(&s) % c->nl;
            bool dup = false;
            for (unsigned j = 0; j < c->m[i].np; j++)
                dup |= c->m[i].path[j] == l;
            if (!dup)
                c->m[i].path[c->m[i].np++] = l;
        }
        c->m[i].mem = (1 + rnd(&s) % 200) * MB;
        c->m[i].wws = rnd(&s) % (c->m[i].mem / MB + 1) * MB;
        c->m[i].wrate = rnd(&s) % 200 * MB;
        c->m[i].brate = rnd(&s) % 20 * MB;
        c->m[i].max_rate = rnd(&s) % 2 ? (200 + rnd(&s) % 800) * MBIT : 0;
        c->m[i].at = rnd(&s) % (10 * SEC);
        c->m[i].flags = rnd(&s) % 8 == 0 ? SIM_MIG_NO_PRECOPY : 0;
        c->m[i].fail = rnd(&s) % 6 < 3 ? (uint32_t)(rnd(&s) % 4) : 0;
        c->m[i].fail_at = rnd(&s) % (20 * SEC);
    }
}

/* Run @c to the end; false and a reason in @why on a violation. */
static bool mrun(const struct mcase *c, char *why, size_t len)
{
    void *st;
    setup(&st);
    struct fix *f = st;
    for (unsigned l = 0; l < c->nl; l++)
        sim_net_link_add(f->net, c->lcap[l], 1000, NULL);
    uint32_t ids[24];
    bool started[24] = {0}, failed[24] = {0};
    unsigned nstarted = 0;
    bool ok = true;
    for (uint64_t t = 0; ok && t < 4000 * SEC;) {
        uint64_t next = sim_mig_next_time(f->mig);
        for (unsigned i = 0; i < c->nm; i++) {
            if (!started[i] && c->m[i].at < next)
                next = c->m[i].at;
            if (c->m[i].fail && !failed[i] && c->m[i].fail_at < next)
                next = c->m[i].fail_at;
        }
        if (next == UINT64_MAX)
            break;
        t = next < t ? t : next;
        sim_mig_run_until(f->mig, t);
        for (unsigned i = 0; i < c->nm; i++) {
            if (!started[i] && c->m[i].at <= t) {
                started[i] = true;
                struct sim_mig_vm vm = {SIM_MIG_ABI,   i,
                                        c->m[i].mem,   c->m[i].wws,
                                        c->m[i].wrate, c->m[i].brate,
                                        NULL,          0};
                struct sim_mig_params p = {.abi = SIM_MIG_ABI,
                                           .flags = c->m[i].flags,
                                           .max_rate_bps = c->m[i].max_rate};
                struct sim_mig_args a = {
                    SIM_MIG_ABI, i, 100 + i, c->m[i].path, c->m[i].np, &vm, &p};
                if (sim_mig_start(f->mig, &a, &ids[i]) == 0)
                    nstarted++;
                else
                    ids[i] = UINT32_MAX; /* its link is down */
            }
            if (c->m[i].fail && !failed[i] && c->m[i].fail_at <= t) {
                failed[i] = true;
                if (c->m[i].fail == 1)
                    sim_mig_fail_link(f->mig, c->m[i].path[0]);
                else if (c->m[i].fail == 2)
                    sim_mig_fail_host(f->mig, 100 + i);
                else if (started[i] && ids[i] != UINT32_MAX)
                    sim_mig_abort(f->mig, ids[i]);
            }
        }
        for (unsigned l = 0; l < c->nl; l++) {
            double load = sim_net_link_load(f->net, l);
            if (load > (double)c->lcap[l] * (1 + 1e-9) + 1) {
                snprintf(why, len, "t=%llu link %u over capacity",
                         (unsigned long long)t, l);
                ok = false;
            }
        }
    }
    if (ok && f->ndone != nstarted) {
        snprintf(why, len, "%u of %u migrations ended", f->ndone, nstarted);
        ok = false;
    }
    for (unsigned i = 0; ok && i < c->nm; i++) {
        if (!started[i] || ids[i] == UINT32_MAX)
            continue;
        const struct sim_mig_result *r = &f->res[ids[i]];
        if (r->ok != (r->reason < SIM_MIG_FAIL_LINK) ||
            (r->ok && r->downtime_ns > r->total_ns)) {
            snprintf(why, len, "migration %u: inconsistent result", i);
            ok = false;
        }
    }
    if (ok && sim_net_flow_count(f->net)) {
        snprintf(why, len, "flows left behind");
        ok = false;
    }
    teardown(&st);
    return ok;
}

static void test_migrate_random_property(void **state)
{
    (void)state;
    const char *s = getenv("VCPU_SEED"), *k = getenv("VCPU_MIG_CASES");
    uint64_t seed = s && *s ? strtoull(s, NULL, 0) : 20261124;
    unsigned cases = k && *k ? (unsigned)strtoul(k, NULL, 0) : 300;
    fprintf(stderr, "migrate property: seed %llu, %u cases\n",
            (unsigned long long)seed, cases);
    for (unsigned i = 0; i < cases; i++) {
        struct mcase c;
        char why[160];
        mgen(seed + i, &c);
        if (mrun(&c, why, sizeof why))
            continue;
        fprintf(stderr, "case seed %llu: %s\n", (unsigned long long)(seed + i),
                why);
        for (unsigned j = c.nm; j-- > 0;) { /* shrink: drop migrations */
            struct mcase t = c;
            memmove(&t.m[j], &t.m[j + 1], (t.nm - j - 1) * sizeof t.m[0]);
            t.nm--;
            if (t.nm && !mrun(&t, why, sizeof why))
                c = t;
        }
        mrun(&c, why, sizeof why);
        fprintf(stderr, "minimal: %u migrations over %u links: %s\n", c.nm,
                c.nl, why);
        for (unsigned j = 0; j < c.nm; j++)
            fprintf(stderr,
                    "  mig %u: mem %llu wws %llu wrate %llu brate %llu "
                    "max %llu at %llu flags %u fail %u@%llu\n",
                    j, (unsigned long long)c.m[j].mem,
                    (unsigned long long)c.m[j].wws,
                    (unsigned long long)c.m[j].wrate,
                    (unsigned long long)c.m[j].brate,
                    (unsigned long long)c.m[j].max_rate,
                    (unsigned long long)c.m[j].at, c.m[j].flags, c.m[j].fail,
                    (unsigned long long)c.m[j].fail_at);
        fail();
    }
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_migrate_stop_and_copy_exact),
        T(test_migrate_idle_vm_one_round),
        T(test_migrate_converges_by_threshold),
        T(test_migrate_xen_30_rounds),
        T(test_migrate_xen_3x_memory),
        T(test_migrate_non_converging_ends),
        T(test_migrate_failures_keep_vm_on_source),
        T(test_migrate_concurrent_slow_each_other),
        T(test_migrate_trace_rows),
        cmocka_unit_test(test_migrate_dirty_model),
        cmocka_unit_test(test_migrate_random_property),
    };
    return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
