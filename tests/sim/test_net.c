// SPDX-License-Identifier: GPL-3.0-or-later
/* The flow-level network: max-min fair shares with known answers, exact
 * completion times, link failure, and a seeded random property (no link
 * over capacity, every flow at its cap or at the largest rate of a
 * saturated link, incremental = from scratch; under a rate quantum,
 * feasible between boundaries and max-min at them) that shrinks a failing
 * case and prints it. VCPU_SEED picks the seed; VCPU_NET_CASES the count. */
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

#include "net.h"

#define MBIT 1000000ull

static uint32_t link(sim_net_t *n, uint64_t cap, uint64_t lat)
{
    uint32_t id;
    assert_int_equal(sim_net_link_add(n, cap, lat, &id), 0);
    return id;
}

static uint32_t flow(sim_net_t *n, const uint32_t *path, unsigned np,
                     uint64_t cap, uint64_t bytes, sim_net_done_fn *cb,
                     void *ctx)
{
    struct sim_net_flow_args a = {SIM_NET_ABI, path, np, cap, bytes, cb, ctx};
    uint32_t id;
    assert_int_equal(sim_net_flow_start(n, &a, &id), 0);
    return id;
}

static void test_net_two_links_max_min(void **state)
{
    (void)state;
    sim_net_t *n;
    assert_int_equal(sim_net_create(&n), 0);
    /* L0 (10) carries a and b; L1 (4) carries b and c: L1 is the
     * bottleneck (b = c = 2), then a takes the rest of L0 (8). */
    uint32_t l0 = link(n, 10 * MBIT, 0), l1 = link(n, 4 * MBIT, 0);
    uint32_t pa[] = {l0}, pb[] = {l0, l1}, pc[] = {l1};
    uint32_t a = flow(n, pa, 1, 0, 0, NULL, NULL);
    uint32_t b = flow(n, pb, 2, 0, 0, NULL, NULL);
    uint32_t c = flow(n, pc, 1, 0, 0, NULL, NULL);
    assert_true(fabs(sim_net_flow_rate(n, a) - 8e6) < 1e-3);
    assert_true(fabs(sim_net_flow_rate(n, b) - 2e6) < 1e-3);
    assert_true(fabs(sim_net_flow_rate(n, c) - 2e6) < 1e-3);
    /* c leaves: L1 (b alone) fills at 4 before L0's share (5) is reached,
     * then a takes the rest of L0: 6. */
    assert_int_equal(sim_net_flow_stop(n, c), 0);
    assert_true(fabs(sim_net_flow_rate(n, b) - 4e6) < 1e-3);
    assert_true(fabs(sim_net_flow_rate(n, a) - 6e6) < 1e-3);
    sim_net_destroy(n);
}

static void test_net_caps_release_share(void **state)
{
    (void)state;
    sim_net_t *n;
    assert_int_equal(sim_net_create(&n), 0);
    uint32_t l = link(n, 10 * MBIT, 0), p[] = {l};
    uint32_t a = flow(n, p, 1, 2 * MBIT, 0, NULL, NULL);
    uint32_t b = flow(n, p, 1, 0, 0, NULL, NULL);
    uint32_t c = flow(n, p, 1, 0, 0, NULL, NULL);
    assert_true(fabs(sim_net_flow_rate(n, a) - 2e6) < 1e-3);
    assert_true(fabs(sim_net_flow_rate(n, b) - 4e6) < 1e-3);
    assert_true(fabs(sim_net_flow_rate(n, c) - 4e6) < 1e-3);
    assert_int_equal(sim_net_flow_set_cap(n, a, 0), 0);
    assert_true(fabs(sim_net_flow_rate(n, a) - 10e6 / 3) < 1e-3);
    assert_true(fabs(sim_net_link_load(n, l) - 10e6) < 1e-3);
    sim_net_destroy(n);
}

struct log {
    uint64_t t[8];
    int status[8];
    unsigned n;
    sim_net_t *net;
};

static void logged(void *ctx, uint32_t f, int status)
{
    (void)f;
    struct log *lg = ctx;
    lg->t[lg->n] = sim_net_now(lg->net);
    lg->status[lg->n++] = status;
}

static void test_net_completion_times_exact(void **state)
{
    (void)state;
    sim_net_t *n;
    assert_int_equal(sim_net_create(&n), 0);
    struct log lg = {.net = n};
    /* 16 Mbit/s shared by 1 MB and 2 MB: both at 8 until 1 s, then the
     * second alone, 1 MB at 16: 0.5 s more; plus 1 ms of latency. */
    uint32_t l = link(n, 16 * MBIT, 1000000), p[] = {l};
    flow(n, p, 1, 0, 1000000, logged, &lg);
    flow(n, p, 1, 0, 2000000, logged, &lg);
    assert_int_equal(sim_net_next_time(n), 1000000000);
    sim_net_run_until(n, 10000000000ull);
    assert_int_equal(lg.n, 2);
    assert_int_equal(lg.t[0], 1001000000);
    assert_int_equal(lg.t[1], 1501000000);
    assert_int_equal(sim_net_flow_count(n), 0);
    sim_net_destroy(n);
}

static void test_net_link_down_fails_flows(void **state)
{
    (void)state;
    sim_net_t *n;
    assert_int_equal(sim_net_create(&n), 0);
    struct log lg = {.net = n};
    uint32_t l0 = link(n, 8 * MBIT, 0), l1 = link(n, 8 * MBIT, 0);
    uint32_t p0[] = {l0, l1}, p1[] = {l1};
    flow(n, p0, 2, 0, 8000000, logged, &lg);
    uint32_t b = flow(n, p1, 1, 0, 0, NULL, NULL);
    sim_net_run_until(n, 500000000);
    assert_int_equal(sim_net_link_down(n, l0), 0);
    sim_net_run_until(n, 500000000);
    assert_int_equal(lg.n, 1);
    assert_int_equal(lg.status[0], SIM_NET_LINK_DOWN);
    assert_int_equal(lg.t[0], 500000000);
    assert_true(fabs(sim_net_flow_rate(n, b) - 8e6) < 1e-3);
    struct sim_net_flow_args a = {SIM_NET_ABI, p0, 2, 0, 1, NULL, NULL};
    uint32_t id;
    assert_int_equal(sim_net_flow_start(n, &a, &id), -ENETDOWN);
    sim_net_destroy(n);
}

static void test_net_quantum_defers_changes(void **state)
{
    (void)state;
    sim_net_t *n;
    assert_int_equal(sim_net_create(&n), 0);
    sim_net_set_quantum(n, 1000000); /* 1 ms */
    uint32_t l = link(n, 10 * MBIT, 0), p[] = {l};
    uint32_t a = flow(n, p, 1, 0, 0, NULL, NULL); /* at 0, a boundary */
    assert_true(fabs(sim_net_flow_rate(n, a) - 10e6) < 1e-3);
    sim_net_run_until(n, 500000);
    uint32_t b = flow(n, p, 1, 0, 0, NULL, NULL); /* nothing left for b */
    assert_true(fabs(sim_net_flow_rate(n, a) - 10e6) < 1e-3);
    assert_true(sim_net_flow_rate(n, b) == 0);
    assert_int_equal(sim_net_next_time(n), 1000000);
    sim_net_run_until(n, 1000000);
    assert_true(fabs(sim_net_flow_rate(n, a) - 5e6) < 1e-3);
    assert_true(fabs(sim_net_flow_rate(n, b) - 5e6) < 1e-3);
    /* b leaves: a keeps 5 until the next boundary; a new flow over the
     * same path takes the 5 b freed at once */
    sim_net_run_until(n, 1500000);
    assert_int_equal(sim_net_flow_stop(n, b), 0);
    assert_true(fabs(sim_net_flow_rate(n, a) - 5e6) < 1e-3);
    uint32_t c = flow(n, p, 1, 0, 0, NULL, NULL);
    assert_true(fabs(sim_net_flow_rate(n, c) - 5e6) < 1e-3);
    assert_true(fabs(sim_net_flow_sent(n, a) - 1562.5) < 1e-6);
    sim_net_run_until(n, 2000000);
    assert_true(fabs(sim_net_flow_rate(n, a) - 5e6) < 1e-3);
    /* back to exact: a pending change settles at once */
    sim_net_run_until(n, 2500000);
    uint32_t d = flow(n, p, 1, 0, 0, NULL, NULL);
    sim_net_set_quantum(n, 0);
    assert_true(fabs(sim_net_flow_rate(n, d) - 10e6 / 3) < 1e-3);
    assert_true(fabs(sim_net_flow_rate(n, a) - 10e6 / 3) < 1e-3);
    sim_net_destroy(n);
}

/* ---- property ------------------------------------------------------------ */

#define PMAXL 12
#define PMAXF 40

struct pflow {
    uint32_t path[4];
    unsigned np;
    uint64_t cap;
    bool gone; /* stopped in the second phase */
    uint64_t cap2;
};

struct pcase {
    uint64_t lcap[PMAXL];
    unsigned nl, nf;
    struct pflow f[PMAXF];
};

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void gen(uint64_t seed, struct pcase *c)
{
    uint64_t s = seed * 2654435761u + 1;
    memset(c, 0, sizeof *c);
    c->nl = 1 + rnd(&s) % PMAXL;
    for (unsigned i = 0; i < c->nl; i++)
        c->lcap[i] = (1 + rnd(&s) % 100) * MBIT;
    c->nf = 1 + rnd(&s) % PMAXF;
    for (unsigned i = 0; i < c->nf; i++) {
        struct pflow *f = &c->f[i];
        unsigned want = 1 + rnd(&s) % 4;
        for (unsigned k = 0; k < want; k++) {
            uint32_t l = rnd(&s) % c->nl;
            bool dup = false;
            for (unsigned j = 0; j < f->np; j++)
                dup |= f->path[j] == l;
            if (!dup)
                f->path[f->np++] = l;
        }
        f->cap = rnd(&s) % 3 ? (1 + rnd(&s) % 60) * MBIT : 0;
        f->gone = rnd(&s) % 4 == 0;
        f->cap2 = rnd(&s) % 4 == 0 ? (rnd(&s) % 50) * MBIT : f->cap;
    }
}

/* Max-min conditions on @n's rates (only feasibility: no link over its
 * capacity, no flow over its cap, unless @exact); message into @why. */
static bool check_rates(sim_net_t *n, const struct pcase *c,
                        const uint32_t *ids, bool phase2, bool exact, char *why,
                        size_t len)
{
    double load[PMAXL] = {0}, maxr[PMAXL] = {0};
    for (unsigned i = 0; i < c->nf; i++) {
        if (phase2 && c->f[i].gone)
            continue;
        double r = sim_net_flow_rate(n, ids[i]);
        for (unsigned j = 0; j < c->f[i].np; j++) {
            load[c->f[i].path[j]] += r;
            if (r > maxr[c->f[i].path[j]])
                maxr[c->f[i].path[j]] = r;
        }
    }
    for (unsigned l = 0; l < c->nl; l++) {
        if (load[l] > (double)c->lcap[l] * (1 + 1e-9) + 1e-3) {
            snprintf(why, len, "link %u over capacity: %.3f > %llu", l, load[l],
                     (unsigned long long)c->lcap[l]);
            return false;
        }
    }
    for (unsigned i = 0; i < c->nf; i++) {
        if (phase2 && c->f[i].gone)
            continue;
        uint64_t cap = phase2 ? c->f[i].cap2 : c->f[i].cap;
        double r = sim_net_flow_rate(n, ids[i]);
        if (cap && r > (double)cap * (1 + 1e-9) + 1e-3) {
            snprintf(why, len, "flow %u above its cap", i);
            return false;
        }
        if (!exact)
            continue;
        if (cap && r >= (double)cap * (1 - 1e-9) - 1e-3)
            continue;
        bool bottleneck = false;
        for (unsigned j = 0; j < c->f[i].np; j++) {
            unsigned l = c->f[i].path[j];
            bottleneck |= load[l] >= (double)c->lcap[l] * (1 - 1e-9) - 1e-3 &&
                          r >= maxr[l] * (1 - 1e-9) - 1e-3;
        }
        if (!bottleneck) {
            snprintf(why, len, "flow %u (rate %.3f) has no bottleneck", i, r);
            return false;
        }
    }
    return true;
}

static bool maxmin_ok(sim_net_t *n, const struct pcase *c, const uint32_t *ids,
                      bool phase2, char *why, size_t len)
{
    return check_rates(n, c, ids, phase2, true, why, len);
}

/* Run @c: all flows, check; stop/re-cap (phase 2), check, and compare with
 * a network built from scratch in the final state. */
static bool run_case(const struct pcase *c, char *why, size_t len)
{
    sim_net_t *n, *m;
    uint32_t ids[PMAXF], ids2[PMAXF];
    if (sim_net_create(&n) || sim_net_create(&m))
        abort();
    for (unsigned l = 0; l < c->nl; l++) {
        sim_net_link_add(n, c->lcap[l], 0, NULL);
        sim_net_link_add(m, c->lcap[l], 0, NULL);
    }
    bool ok = true;
    for (unsigned i = 0; i < c->nf; i++) {
        struct sim_net_flow_args a = {
            SIM_NET_ABI, c->f[i].path, c->f[i].np, c->f[i].cap, 0, NULL, NULL};
        sim_net_flow_start(n, &a, &ids[i]);
    }
    ok = maxmin_ok(n, c, ids, false, why, len);
    for (unsigned i = 0; ok && i < c->nf; i++) {
        if (c->f[i].gone)
            sim_net_flow_stop(n, ids[i]);
        else
            sim_net_flow_set_cap(n, ids[i], c->f[i].cap2);
    }
    for (unsigned i = 0; ok && i < c->nf; i++) {
        if (c->f[i].gone)
            continue;
        struct sim_net_flow_args a = {
            SIM_NET_ABI, c->f[i].path, c->f[i].np, c->f[i].cap2, 0, NULL, NULL};
        sim_net_flow_start(m, &a, &ids2[i]);
    }
    if (ok)
        ok = maxmin_ok(n, c, ids, true, why, len);
    for (unsigned i = 0; ok && i < c->nf; i++) {
        if (c->f[i].gone)
            continue;
        double a = sim_net_flow_rate(n, ids[i]);
        double b = sim_net_flow_rate(m, ids2[i]);
        if (fabs(a - b) > 1e-6 * (b + 1)) {
            snprintf(why, len, "flow %u: incremental %.3f, scratch %.3f", i, a,
                     b);
            ok = false;
        }
    }
    sim_net_destroy(n);
    sim_net_destroy(m);
    return ok;
}

#define QNS 1000000ull

/* Run @c under a quantum: changes half-way through a quantum keep every
 * rate feasible, and at its end the rates are max-min again. */
static bool run_case_quantum(const struct pcase *c, char *why, size_t len)
{
    sim_net_t *n;
    uint32_t ids[PMAXF];
    if (sim_net_create(&n))
        abort();
    sim_net_set_quantum(n, QNS);
    for (unsigned l = 0; l < c->nl; l++)
        sim_net_link_add(n, c->lcap[l], 0, NULL);
    sim_net_run_until(n, QNS / 2);
    for (unsigned i = 0; i < c->nf; i++) {
        struct sim_net_flow_args a = {
            SIM_NET_ABI, c->f[i].path, c->f[i].np, c->f[i].cap, 0, NULL, NULL};
        sim_net_flow_start(n, &a, &ids[i]);
    }
    bool ok = check_rates(n, c, ids, false, false, why, len);
    if (ok && sim_net_next_time(n) != QNS) {
        snprintf(why, len, "next time not the quantum's end");
        ok = false;
    }
    sim_net_run_until(n, QNS);
    ok = ok && maxmin_ok(n, c, ids, false, why, len);
    sim_net_run_until(n, QNS + QNS / 2);
    for (unsigned i = 0; ok && i < c->nf; i++) {
        if (c->f[i].gone)
            sim_net_flow_stop(n, ids[i]);
        else
            sim_net_flow_set_cap(n, ids[i], c->f[i].cap2);
    }
    ok = ok && check_rates(n, c, ids, true, false, why, len);
    sim_net_run_until(n, 2 * QNS);
    ok = ok && maxmin_ok(n, c, ids, true, why, len);
    sim_net_destroy(n);
    return ok;
}

static void print_case(const struct pcase *c)
{
    fprintf(stderr, "minimal failing case: %u links, %u flows\n", c->nl, c->nf);
    for (unsigned l = 0; l < c->nl; l++)
        fprintf(stderr, "  link %u: %llu bit/s\n", l,
                (unsigned long long)c->lcap[l]);
    for (unsigned i = 0; i < c->nf; i++) {
        fprintf(stderr, "  flow %u: cap %llu -> %llu%s, path", i,
                (unsigned long long)c->f[i].cap,
                (unsigned long long)c->f[i].cap2,
                c->f[i].gone ? " (stopped)" : "");
        for (unsigned j = 0; j < c->f[i].np; j++)
            fprintf(stderr, " %u", c->f[i].path[j]);
        fprintf(stderr, "\n");
    }
}

/* Drop flows one at a time while the case still fails. */
static void shrink(struct pcase *c)
{
    char why[160];
    for (unsigned i = c->nf; i-- > 0;) {
        struct pcase t = *c;
        memmove(&t.f[i], &t.f[i + 1], (t.nf - i - 1) * sizeof t.f[0]);
        t.nf--;
        if (t.nf && (!run_case(&t, why, sizeof why) ||
                     !run_case_quantum(&t, why, sizeof why)))
            *c = t;
    }
}

static void test_net_random_maxmin_property(void **state)
{
    (void)state;
    const char *s = getenv("VCPU_SEED"), *k = getenv("VCPU_NET_CASES");
    uint64_t seed = s && *s ? strtoull(s, NULL, 0) : 20261124;
    unsigned cases = k && *k ? (unsigned)strtoul(k, NULL, 0) : 2000;
    fprintf(stderr, "net property: seed %llu, %u cases\n",
            (unsigned long long)seed, cases);
    for (unsigned i = 0; i < cases; i++) {
        struct pcase c;
        char why[160];
        gen(seed + i, &c);
        if (run_case(&c, why, sizeof why) &&
            run_case_quantum(&c, why, sizeof why))
            continue;
        fprintf(stderr, "case seed %llu: %s\n", (unsigned long long)(seed + i),
                why);
        shrink(&c);
        if (run_case(&c, why, sizeof why))
            run_case_quantum(&c, why, sizeof why);
        fprintf(stderr, "after shrinking: %s\n", why);
        print_case(&c);
        fail();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_net_two_links_max_min),
        cmocka_unit_test(test_net_caps_release_share),
        cmocka_unit_test(test_net_completion_times_exact),
        cmocka_unit_test(test_net_link_down_fails_flows),
        cmocka_unit_test(test_net_quantum_defers_changes),
        cmocka_unit_test(test_net_random_maxmin_property),
    };
    return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
