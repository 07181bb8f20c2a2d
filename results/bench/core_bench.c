// SPDX-License-Identifier: GPL-3.0-or-later
/* Core decisions per second on one thread: the cycle stop -> enqueue ->
 * pick -> run, driven through the environment API exactly as the runtime
 * and the simulator drive it, for every built-in policy. The name-only
 * table ("fifo") is the baseline measured in the same run.
 *
 * usage: core_bench [--topo SPEC] [--vcpus N] [--cycles N] [--reps N]
 *                   [--policy NAME] [--csv FILE]
 * Output: one line per policy: median cycles/s over the repetitions, min,
 * max, and the ratio to fifo's median. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include <vcpu/vcpu.h>

struct opts {
    const char *topo, *policy, *csv;
    unsigned vcpus, reps;
    unsigned long cycles;
};

static void nop_kick(void *arg, vcpu_pcpu_t p)
{
    (void)arg, (void)p;
}

static const struct vcpu_core_env env = {.abi = VCPU_CORE_ABI,
                                         .kick = nop_kick};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Fill every pCPU and queue the rest: the steady overloaded state. */
static int populate(vcpu_core_t *c, unsigned nvcpus, unsigned npcpus)
{
    unsigned per_vm = 4;
    vcpu_vm_t vm = 0;
    for (unsigned i = 0; i < nvcpus; i++) {
        if (i % per_vm == 0 && vcpu_core_vm_add(c, 0, NULL, &vm))
            return -1;
        vcpu_id_t v;
        if (vcpu_core_vcpu_add(c, 0, vm, &v) || vcpu_core_wake(c, 0, v))
            return -1;
    }
    for (vcpu_pcpu_t p = 0; p < npcpus; p++) {
        vcpu_id_t v;
        if (vcpu_core_pick(c, 0, p, &v, NULL))
            return -1;
    }
    return 0;
}

/* @cycles times: the pCPU in turn preempts its vCPU at the slice end
 * (stop -> enqueue) and picks the next (pick -> run). */
static double run_cycles(vcpu_core_t *c, unsigned npcpus, unsigned long cycles,
                         vcpu_time_t *now)
{
    double t0 = now_s();
    vcpu_pcpu_t p = 0;
    for (unsigned long i = 0; i < cycles; i++) {
        vcpu_time_t end = vcpu_core_slice_end(c, p);
        if (end > *now)
            *now = end;
        bool pre;
        vcpu_core_tick(c, *now, p, &pre);
        if (vcpu_core_pcpu_curr(c, p) == VCPU_NONE) {
            vcpu_id_t v;
            vcpu_core_pick(c, *now, p, &v, NULL);
        }
        if (++p == npcpus)
            p = 0;
    }
    return (double)cycles / (now_s() - t0);
}

static int bench_policy(const struct opts *o, const vcpu_topo_t *topo,
                        const struct vcpu_policy_ops *ops, double *res)
{
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = topo,
        .ops = ops,
        .seed = 1,
        .slice_ns = 1000000,
        .flags = VCPU_CORE_NOCHECK,
        .env = &env,
    };
    vcpu_core_t *c;
    if (vcpu_core_create(&a, &c))
        return -1;
    unsigned np = vcpu_topo_npcpus(topo);
    if (populate(c, o->vcpus, np)) {
        vcpu_core_destroy(c);
        return -1;
    }
    vcpu_time_t now = 0;
    run_cycles(c, np, o->cycles / 10, &now); /* warm-up */
    for (unsigned r = 0; r < o->reps; r++)
        res[r] = run_cycles(c, np, o->cycles, &now);
    vcpu_core_destroy(c);
    return 0;
}

static void parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"topo", required_argument, NULL, 't'},
        {"vcpus", required_argument, NULL, 'v'},
        {"cycles", required_argument, NULL, 'n'},
        {"reps", required_argument, NULL, 'r'},
        {"policy", required_argument, NULL, 'p'},
        {"csv", required_argument, NULL, 'c'},
        {0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "t:v:n:r:p:c:", lo, NULL)) != -1) {
        switch (ch) {
        case 't':
            o->topo = optarg;
            break;
        case 'v':
            o->vcpus = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 'n':
            o->cycles = strtoul(optarg, NULL, 0);
            break;
        case 'r':
            o->reps = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 'p':
            o->policy = optarg;
            break;
        case 'c':
            o->csv = optarg;
            break;
        default:
            fprintf(stderr,
                    "usage: core_bench [--topo SPEC] [--vcpus N] "
                    "[--cycles N] [--reps N] [--policy NAME] [--csv FILE]\n");
            exit(64);
        }
    }
    if (!o->vcpus || !o->cycles || !o->reps || o->reps > 99) {
        fprintf(stderr, "core_bench: --vcpus, --cycles and --reps (<100) "
                        "must be positive\n");
        exit(64);
    }
}

int main(int argc, char **argv)
{
    struct opts o = {.topo = "pack:4 l3:2 core:8 pu:1",
                     .vcpus = 256,
                     .cycles = 2000000,
                     .reps = 7};
    parse(argc, argv, &o);
    vcpu_topo_t *topo;
    if (vcpu_topo_load(o.topo, &topo)) {
        fprintf(stderr, "core_bench: cannot load topology '%s'\n", o.topo);
        return 66;
    }
    FILE *csv = o.csv ? fopen(o.csv, "a") : NULL;
    double base = 0;
    printf("# %u pCPUs, %u vCPUs, %lu cycles x %u reps, topology '%s'\n",
           vcpu_topo_npcpus(topo), o.vcpus, o.cycles, o.reps, o.topo);
    printf("%-8s %14s %14s %14s %8s\n", "policy", "median/s", "min/s", "max/s",
           "vs fifo");
    for (unsigned i = 0; i < vcpu_policy_count(); i++) {
        const struct vcpu_policy_ops *ops = vcpu_policy_at(i);
        if (o.policy && strcmp(o.policy, ops->name) && i != 0)
            continue;
        double res[100];
        if (bench_policy(&o, topo, ops, res)) {
            fprintf(stderr, "core_bench: policy %s failed\n", ops->name);
            continue;
        }
        gsl_sort(res, 1, o.reps);
        double med = gsl_stats_median_from_sorted_data(res, 1, o.reps);
        if (i == 0)
            base = med;
        printf("%-8s %14.0f %14.0f %14.0f %8.2f\n", ops->name, med, res[0],
               res[o.reps - 1], med / base);
        if (csv)
            fprintf(csv, "%s,%u,%u,%s,%.0f,%.0f,%.0f,%.3f\n", o.topo,
                    vcpu_topo_npcpus(topo), o.vcpus, ops->name, med, res[0],
                    res[o.reps - 1], med / base);
    }
    if (csv)
        fclose(csv);
    vcpu_topo_unref(topo);
    return 0;
}
