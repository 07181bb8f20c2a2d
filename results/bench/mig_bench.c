// SPDX-License-Identifier: GPL-3.0-or-later
/* Live migration at scale: N concurrent pre-copy migrations (sim/migrate.h)
 * across a fabric of H hosts in racks of 40 (host NIC up/down links, rack
 * up/down links), with a few host and link failures. Reports the wall time
 * per migration simulated (median of --reps) and checks that every
 * migration either completed or failed with a reason. --nic-gbps 1
 * --rack-gbps 10 oversubscribes the fabric; --quantum-us sets the
 * network's rate quantum (sim_net_set_quantum(); 0 = exact). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migrate.h"

#define RACK 40u
#define SEC 1000000000ull

struct opts {
    unsigned hosts, migs, reps, failures;
    uint64_t nic_gbps, rack_gbps, seed, quantum_us;
    const char *csv;
};

struct tally {
    unsigned ok, failed, bad, by_reason[SIM_MIG_NREASONS];
    uint64_t downtime_sum_ns, total_sum_ns, digest;
};

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void on_done(void *ctx, uint32_t mig, const struct sim_mig_result *r)
{
    struct tally *t = ctx;
    bool reason_ok = r->reason >= 0 && r->reason < SIM_MIG_NREASONS &&
                     r->ok == (r->reason < SIM_MIG_FAIL_LINK);
    if (!reason_ok)
        t->bad++;
    else
        t->by_reason[r->reason]++;
    r->ok ? t->ok++ : t->failed++;
    t->downtime_sum_ns += r->downtime_ns;
    t->total_sum_ns += r->total_ns;
    /* order-sensitive: any change in any outcome's time or order shows */
    uint64_t v[] = {
        mig,      (uint64_t)r->reason, r->downtime_ns, r->total_ns, r->bytes,
        r->rounds};
    for (int i = 0; i < 6; i++)
        t->digest = (t->digest ^ v[i]) * 0x100000001B3ull;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One run; returns wall seconds; fills @t and the simulated end. */
static double run(const struct opts *o, struct tally *t, uint64_t *sim_end,
                  uint64_t *recomputes, uint64_t *touched)
{
    sim_net_t *net;
    sim_mig_t *mig;
    struct sim_mig_cbs cbs = {NULL, NULL, on_done, t};
    unsigned racks = (o->hosts + RACK - 1) / RACK;
    uint64_t s = o->seed * 0x9E3779B97F4A7C15ull + 1;
    memset(t, 0, sizeof *t);
    double t0 = now_s();
    if (sim_net_create(&net) || sim_mig_create(net, &cbs, &mig))
        abort();
    sim_net_set_quantum(net, o->quantum_us * 1000);
    /* links: host h up = 2h, down = 2h+1; rack r up/down after them */
    for (unsigned h = 0; h < o->hosts; h++)
        for (int k = 0; k < 2; k++)
            sim_net_link_add(net, o->nic_gbps * 1000000000ull, 5000, NULL);
    uint32_t rack0 = 2 * o->hosts;
    for (unsigned r = 0; r < racks; r++)
        for (int k = 0; k < 2; k++)
            sim_net_link_add(net, o->rack_gbps * 1000000000ull, 5000, NULL);
    /* migrations start over the first minute; failures over 2 minutes */
    uint64_t *at = malloc(o->migs * sizeof *at);
    for (unsigned i = 0; i < o->migs; i++)
        at[i] = rnd(&s) % (60 * SEC);
    qsort(at, o->migs, sizeof *at, cmp_u64);
    unsigned next = 0, nfail = 0;
    uint64_t fail_at = 0;
    for (;;) {
        uint64_t tn = sim_mig_next_time(mig);
        uint64_t ta = next < o->migs ? at[next] : UINT64_MAX;
        uint64_t tf = nfail < o->failures ? fail_at : UINT64_MAX;
        uint64_t tt = tn < ta ? tn : ta;
        tt = tt < tf ? tt : tf;
        if (tt == UINT64_MAX)
            break;
        sim_mig_run_until(mig, tt);
        if (tt == tf) { /* alternately a host and a host's uplink */
            uint32_t h = (uint32_t)(rnd(&s) % o->hosts);
            if (nfail % 2)
                sim_mig_fail_link(mig, 2 * h);
            else
                sim_mig_fail_host(mig, h);
            nfail++;
            fail_at += 120 * SEC / (o->failures + 1);
        }
        while (next < o->migs && at[next] <= tt) {
            uint32_t src = (uint32_t)(rnd(&s) % o->hosts);
            uint32_t dst = (uint32_t)(rnd(&s) % (o->hosts - 1));
            dst += dst >= src;
            uint32_t path[4], np = 0;
            path[np++] = 2 * src;
            if (src / RACK != dst / RACK) {
                path[np++] = rack0 + 2 * (src / RACK);
                path[np++] = rack0 + 2 * (dst / RACK) + 1;
            }
            path[np++] = 2 * dst + 1;
            uint64_t mem = (1 + rnd(&s) % 8) * 1000000000ull;
            struct sim_mig_vm vm = {
                .abi = SIM_MIG_ABI,
                .vm = next,
                .mem_bytes = mem,
                .wws_bytes = mem / 100 * (1 + rnd(&s) % 10),
                .wws_rate_Bps = (1 + rnd(&s) % 100) * 1000000ull,
                .bg_rate_Bps = (rnd(&s) % 10) * 100000ull,
            };
            struct sim_mig_args a = {SIM_MIG_ABI, src, dst, path,
                                     np,          &vm, NULL};
            uint32_t id;
            if (sim_mig_start(mig, &a, &id)) {
                t->failed++; /* refused: a link of its path is down */
                t->by_reason[SIM_MIG_FAIL_LINK]++;
            }
            next++;
        }
    }
    *sim_end = sim_net_now(net);
    *recomputes = sim_net_recomputes(net, touched);
    sim_mig_destroy(mig);
    sim_net_destroy(net);
    free(at);
    return now_s() - t0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct opts o = {1000, 10000, 5, 10, 10, 400, 1, 0, NULL};
    static const struct option lo[] = {
        {"hosts", required_argument, NULL, 'H'},
        {"migrations", required_argument, NULL, 'm'},
        {"reps", required_argument, NULL, 'r'},
        {"failures", required_argument, NULL, 'f'},
        {"nic-gbps", required_argument, NULL, 'n'},
        {"rack-gbps", required_argument, NULL, 'k'},
        {"seed", required_argument, NULL, 's'},
        {"quantum-us", required_argument, NULL, 'q'},
        {"csv", required_argument, NULL, 'c'},
        {0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        unsigned long long v = optarg ? strtoull(optarg, NULL, 0) : 0;
        switch (ch) {
        case 'H':
            o.hosts = (unsigned)v;
            break;
        case 'm':
            o.migs = (unsigned)v;
            break;
        case 'r':
            o.reps = (unsigned)v;
            break;
        case 'f':
            o.failures = (unsigned)v;
            break;
        case 'n':
            o.nic_gbps = v;
            break;
        case 'k':
            o.rack_gbps = v;
            break;
        case 's':
            o.seed = v;
            break;
        case 'q':
            o.quantum_us = v;
            break;
        case 'c':
            o.csv = optarg;
            break;
        default:
            fprintf(stderr, "usage: mig_bench [--hosts N] [--migrations N] "
                            "[--reps N] [--failures N] [--nic-gbps G] "
                            "[--rack-gbps G] [--seed S] [--quantum-us Q] "
                            "[--csv FILE]\n");
            return 64;
        }
    }
    if (o.hosts < 2 || !o.reps || !o.nic_gbps || !o.rack_gbps)
        return 64;
    double *wall = calloc(o.reps, sizeof *wall);
    struct tally t;
    uint64_t end = 0, rec = 0, touched = 0;
    int status = 0;
    for (unsigned r = 0; r < o.reps; r++) {
        wall[r] = run(&o, &t, &end, &rec, &touched);
        if (t.ok + t.failed != o.migs || t.bad) {
            fprintf(stderr, "mig_bench: %u ok + %u failed != %u (%u bad)\n",
                    t.ok, t.failed, o.migs, t.bad);
            status = 1;
        }
    }
    qsort(wall, o.reps, sizeof *wall, cmp_d);
    double med = o.reps % 2 ? wall[o.reps / 2]
                            : (wall[o.reps / 2 - 1] + wall[o.reps / 2]) / 2;
    printf("%u hosts, %u migrations, NIC %" PRIu64 " Gbit/s, rack %" PRIu64
           " Gbit/s, %u failures, rate quantum %" PRIu64
           " us: median wall %.4f s over %u reps = %.2f us "
           "per migration; simulated %.1f s; %" PRIu64
           " rate recomputes (%.0f flows each); "
           "%u completed, %u failed; every migration ended with a reason: "
           "%s\n",
           o.hosts, o.migs, o.nic_gbps, o.rack_gbps, o.failures, o.quantum_us,
           med, o.reps, med / o.migs * 1e6, end / 1e9, rec,
           rec ? (double)touched / (double)rec : 0.0, t.ok, t.failed,
           status ? "NO" : "yes");
    for (int i = 0; i < SIM_MIG_NREASONS; i++)
        if (t.by_reason[i])
            printf("  %-10s %u\n", sim_mig_reason_name(i), t.by_reason[i]);
    unsigned ended = t.ok + t.failed ? t.ok + t.failed : 1;
    printf("  mean total %.3f s, mean downtime %.3f ms\n",
           (double)t.total_sum_ns / ended / 1e9,
           (double)t.downtime_sum_ns / ended / 1e6);
    printf("  digest     %016" PRIx64 " (outcomes in order, last rep)\n",
           t.digest);
    if (o.csv) {
        FILE *f = fopen(o.csv, "w");
        if (f) {
            fprintf(f, "hosts,migrations,nic_gbps,rack_gbps,failures,reps,"
                       "median_wall_s,us_per_migration,sim_s,recomputes,"
                       "completed,failed,all_ended\n");
            fprintf(f,
                    "%u,%u,%" PRIu64 ",%" PRIu64
                    ",%u,%u,%.6f,%.3f,%.3f,%" PRIu64 ",%u,%u,%s\n",
                    o.hosts, o.migs, o.nic_gbps, o.rack_gbps, o.failures,
                    o.reps, med, med / o.migs * 1e6, end / 1e9, rec, t.ok,
                    t.failed, status ? "no" : "yes");
            fclose(f);
        }
    }
    free(wall);
    return status;
}
