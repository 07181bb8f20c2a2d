// SPDX-License-Identifier: GPL-3.0-or-later
/* The Wells et al. experiment on the real runtime: one VM of 4 vCPUs on an
 * emulated 4-pCPU topology, a bulk-synchronous loop (compute, barrier),
 * pCPU 3 taken offline, pCPU 2 slowed to half speed, pCPU 3 brought back,
 * at the same times as results/wells-dh/wells.yaml. Writes the CSV trace
 * (and Chrome JSON) for the figure and the checks.
 *
 * "Compute" is measured in the time the core charges to the vCPU (its run
 * time), not in loop iterations: the workers of an emulated topology share
 * the machine's real CPUs, and run time is what a pCPU of the emulated
 * machine delivers. A slowed pCPU (duty-cycled worker) delivers it at half
 * the rate, as the simulator's speed factor does.
 *
 * usage: wells_rt --policy NAME --out DIR [--loops N] [--compute-ms N]
 *                 [--spin] */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <vcpu/rt.h>

struct job {
    vcpu_rt_t *rt;
    vcpu_barrier_t *barrier;
    unsigned loops;
    uint64_t compute_ns;
};

static uint64_t run_ns(vcpu_rt_t *rt)
{
    struct vcpu_vcpu_stats st;
    return vcpu_rt_vcpu_stats(rt, vcpu_self(), &st) ? 0 : st.run_ns;
}

static uint64_t mono_ns(void);

/* Hold the pCPU until the core has charged @ns more run time to this
 * vCPU, with a preemption point every 100 µs. The worker sleeps meanwhile
 * (a plain nanosleep blocks the worker thread, not the vCPU): the emulated
 * pCPU is busy while the real CPUs stay free, so four emulated pCPUs keep
 * their pace on a 2-core machine. --spin burns real CPU instead, for a
 * machine with a real core per worker. */
static bool spin_mode;

static void compute(vcpu_rt_t *rt, uint64_t ns)
{
    uint64_t until = run_ns(rt) + ns, now;
    while ((now = run_ns(rt)) < until) {
        uint64_t step = until - now < 100000 ? until - now : 100000;
        if (spin_mode) {
            uint64_t t = mono_ns() + step;
            while (mono_ns() < t)
                ;
        } else {
            struct timespec ts = {0, (long)step};
            nanosleep(&ts, NULL);
        }
        vcpu_preempt_point();
    }
}

static void body(void *arg)
{
    struct job *j = arg;
    for (unsigned i = 0; i < j->loops; i++) {
        compute(j->rt, j->compute_ns);
        vcpu_barrier_wait(j->barrier);
    }
}

static void sleep_until(uint64_t t0, uint64_t at_ns)
{
    uint64_t abs = t0 + at_ns;
    struct timespec ts = {(time_t)(abs / 1000000000u),
                          (long)(abs % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int write_traces(vcpu_rt_t *rt, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/trace.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f || vcpu_rt_trace_write_csv(rt, f) || fclose(f)) {
        fprintf(stderr, "wells_rt: cannot write %s\n", path);
        return 1;
    }
    snprintf(path, sizeof path, "%s/trace.json", dir);
    f = fopen(path, "w");
    if (!f || vcpu_rt_trace_write_chrome(rt, f) || fclose(f)) {
        fprintf(stderr, "wells_rt: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

static int run(const char *policy, const char *dir, struct job *j)
{
    struct vcpu_rt_attr a = {
        .abi = VCPU_RT_ABI,
        .topology = "pack:1 core:4 pu:1",
        .policy = policy,
        .slice_ns = 1000000,
        .flags = VCPU_RT_TRACE,
        .idle_spin_ns = 20000,
    };
    int rc = vcpu_rt_create(&a, &j->rt);
    if (rc) {
        fprintf(stderr, "wells_rt: %s: %s\n", policy, vcpu_strerror(rc));
        return 1;
    }
    vcpu_barrier_create(4, &j->barrier);
    vcpu_rt_start(j->rt);
    vcpu_vm_t vm;
    uint64_t t0 = mono_ns();
    vcpu_rt_vm_create(j->rt, 4, body, j, NULL, &vm);
    sleep_until(t0, 100000000);
    vcpu_rt_pcpu_set_online(j->rt, 3, false);
    sleep_until(t0, 200000000);
    vcpu_rt_pcpu_set_speed(j->rt, 2, 500);
    sleep_until(t0, 400000000);
    vcpu_rt_pcpu_set_online(j->rt, 3, true);
    vcpu_rt_vm_join(j->rt, vm);
    vcpu_rt_stop(j->rt, false);
    rc = write_traces(j->rt, dir);
    vcpu_barrier_destroy(j->barrier);
    vcpu_rt_destroy(j->rt);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"policy", required_argument, NULL, 'p'},
        {"out", required_argument, NULL, 'o'},
        {"loops", required_argument, NULL, 'l'},
        {"compute-ms", required_argument, NULL, 'c'},
        {"spin", no_argument, NULL, 's'},
        {0},
    };
    const char *policy = "dh", *out = "out/wells-dh/runtime";
    struct job j = {.loops = 15, .compute_ns = 20000000};
    int ch;
    while ((ch = getopt_long(argc, argv, "p:o:l:c:s", lo, NULL)) != -1) {
        switch (ch) {
        case 'p':
            policy = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'l':
            j.loops = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 'c':
            j.compute_ns = strtoull(optarg, NULL, 0) * 1000000;
            break;
        case 's':
            spin_mode = true;
            break;
        default:
            fprintf(stderr, "usage: wells_rt [--policy NAME] [--out DIR] "
                            "[--loops N] [--compute-ms N] [--spin]\n");
            return 64;
        }
    }
    if (!j.loops || !j.compute_ns) {
        fprintf(stderr, "wells_rt: --loops and --compute-ms must be > 0\n");
        return 64;
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", out);
    if (system(cmd) != 0)
        return 73;
    return run(policy, out, &j);
}
