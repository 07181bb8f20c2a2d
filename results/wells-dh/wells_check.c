// SPDX-License-Identifier: GPL-3.0-or-later
/* Reads the runtime's and the simulator's traces of the Wells experiment
 * for one policy, writes what the Gantt figure draws (run segments, pCPU
 * windows, migrations, suspensions), and checks:
 *   1. while pCPU 3 is offline, at most three vCPUs run at any moment and
 *      nothing runs on pCPU 3;
 *   2. under dh, a vCPU is suspended during that window (under rr and fair
 *      the four are time-shared instead, and nothing is suspended);
 *   3. all four vCPUs finish (EXIT);
 *   4. each vCPU's completion time agrees between runtime and simulator
 *      within the tolerance (10%): the runtime's time is the median over
 *      its runs (this machine is shared and noisy); checks 1-3 hold in
 *      every run.
 * usage: wells_check POLICY OUTDIR SIM_TRACE RUNTIME_TRACE...
 * Exit 0 when every check holds; the report goes to OUTDIR/checks-POLICY.txt
 * and stdout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vcpu/trace.h>

#define NV 4
#define NP 4
#define MAXR 200000
#define TOLERANCE 0.10

struct trace {
    struct vcpu_trace_rec *r;
    size_t n;
    uint64_t t0;               /* VM_ADD: time zero */
    uint64_t off_from, off_to; /* pCPU 3 offline window */
    uint64_t slow_from;        /* pCPU 2 slowed */
    uint64_t exit_at[NV];
    unsigned exits, suspends_in_window, max_running, ran_on_offline;
};

static int load(const char *path, struct trace *t)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "wells_check: cannot open %s\n", path);
        return -1;
    }
    t->r = calloc(MAXR, sizeof *t->r);
    char line[256];
    unsigned lineno = 0;
    while (fgets(line, sizeof line, f) && t->n < MAXR) {
        lineno++;
        if (lineno == 1 && !strncmp(line, "time_ns", 7))
            continue;
        if (vcpu_trace_parse(line, &t->r[t->n])) {
            fprintf(stderr, "wells_check: %s:%u: malformed record\n", path,
                    lineno);
            fclose(f);
            return -1;
        }
        t->n++;
    }
    fclose(f);
    return 0;
}

static double ms(const struct trace *t, uint64_t x)
{
    return (double)(x - t->t0) / 1e6;
}

/* One pass: windows, running counts, segments, marks. */
static void analyse(struct trace *t, FILE *seg, FILE *marks)
{
    uint64_t start[NP];
    vcpu_id_t on[NP];
    for (int p = 0; p < NP; p++)
        on[p] = VCPU_NONE;
    unsigned running = 0;
    t->off_from = t->off_to = t->slow_from = UINT64_MAX;
    for (size_t i = 0; i < t->n; i++) {
        const struct vcpu_trace_rec *r = &t->r[i];
        bool in_window = r->time_ns >= t->off_from && r->time_ns < t->off_to;
        switch (r->event) {
        case VCPU_TRACE_VM_ADD:
            t->t0 = r->time_ns;
            break;
        case VCPU_TRACE_PCPU_OFFLINE:
            if (r->pcpu == 3)
                t->off_from = r->time_ns;
            break;
        case VCPU_TRACE_PCPU_ONLINE:
            if (r->pcpu == 3 && t->off_from != UINT64_MAX)
                t->off_to = r->time_ns;
            break;
        case VCPU_TRACE_PCPU_SPEED:
            if (r->pcpu == 2 && r->arg < 1000)
                t->slow_from = r->time_ns;
            break;
        case VCPU_TRACE_RUN:
            if (r->pcpu >= NP)
                break;
            on[r->pcpu] = r->vcpu;
            start[r->pcpu] = r->time_ns;
            running++;
            if (in_window && running > t->max_running)
                t->max_running = running;
            if (in_window && r->pcpu == 3)
                t->ran_on_offline++;
            break;
        case VCPU_TRACE_STOP:
            if (r->pcpu >= NP || on[r->pcpu] == VCPU_NONE)
                break;
            if (r->time_ns > start[r->pcpu])
                fprintf(seg, "%u %.4f %.4f %u\n", r->pcpu,
                        ms(t, start[r->pcpu]), ms(t, r->time_ns), on[r->pcpu]);
            on[r->pcpu] = VCPU_NONE;
            running--;
            break;
        case VCPU_TRACE_MIGRATE:
            fprintf(marks, "migrate %.4f %u %u\n", ms(t, r->time_ns), r->pcpu,
                    r->vcpu);
            break;
        case VCPU_TRACE_SUSPEND:
            fprintf(marks, "suspend %.4f -1 %u\n", ms(t, r->time_ns), r->vcpu);
            t->suspends_in_window += in_window;
            break;
        case VCPU_TRACE_EXIT:
            if (r->vcpu < NV) {
                t->exit_at[r->vcpu] = r->time_ns;
                t->exits++;
            }
            break;
        }
    }
}

static int write_windows(const struct trace *t, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    double end = t->off_to == UINT64_MAX ? 1e9 : ms(t, t->off_to);
    fprintf(f, "off_from = %.4f\noff_to = %.4f\nslow_from = %.4f\n",
            ms(t, t->off_from), end,
            t->slow_from == UINT64_MAX ? end : ms(t, t->slow_from));
    return fclose(f);
}

static int side(const char *policy, const char *which, const char *trace,
                const char *dir, struct trace *t)
{
    char p1[4096], p2[4096], p3[4096];
    snprintf(p1, sizeof p1, "%s/%s-%s.seg", dir, policy, which);
    snprintf(p2, sizeof p2, "%s/%s-%s.marks", dir, policy, which);
    snprintf(p3, sizeof p3, "%s/%s-%s.windows.gp", dir, policy, which);
    if (load(trace, t))
        return -1;
    FILE *seg = fopen(p1, "w"), *marks = fopen(p2, "w");
    if (!seg || !marks)
        return -1;
    /* t0 first: the VM_ADD record comes before any run */
    for (size_t i = 0; i < t->n; i++)
        if (t->r[i].event == VCPU_TRACE_VM_ADD) {
            t->t0 = t->r[i].time_ns;
            break;
        }
    analyse(t, seg, marks);
    fclose(seg);
    fclose(marks);
    return write_windows(t, p3);
}

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        bool ok_ = (cond);                                                     \
        fprintf(rep, "%s  ", ok_ ? "PASS" : "FAIL");                           \
        fprintf(rep, __VA_ARGS__);                                             \
        fputc('\n', rep);                                                      \
        failed += !ok_;                                                        \
    } while (0)

static int check_one(const char *policy, const char *name, struct trace *t,
                     FILE *rep)
{
    int failed = 0;
    CHECK(t->off_from != UINT64_MAX, "%s: pCPU 3 went offline (%.1f ms)", name,
          ms(t, t->off_from));
    CHECK(t->max_running <= 3,
          "%s: at most 3 vCPUs run while pCPU 3 is offline (max %u)", name,
          t->max_running);
    CHECK(t->ran_on_offline == 0,
          "%s: nothing runs on offline pCPU 3 (%u "
          "runs)",
          name, t->ran_on_offline);
    if (!strcmp(policy, "dh"))
        CHECK(t->suspends_in_window > 0,
              "%s: dh suspends a vCPU rather than time-sharing (%u "
              "suspensions in the window)",
              name, t->suspends_in_window);
    else
        fprintf(rep,
                "info  %s: %s time-shares: %u suspensions in the "
                "window\n",
                name, policy, t->suspends_in_window);
    CHECK(t->exits == NV, "%s: all %d vCPUs finish (%u)", name, NV, t->exits);
    return failed;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int compare_times(struct trace *rt, int nrt, struct trace *sim,
                         FILE *rep)
{
    int failed = 0;
    for (int v = 0; v < NV; v++) {
        double x[64];
        for (int k = 0; k < nrt; k++)
            x[k] = ms(&rt[k], rt[k].exit_at[v]);
        qsort(x, (size_t)nrt, sizeof x[0], cmp_double);
        double a = x[nrt / 2], b = ms(sim, sim->exit_at[v]);
        double err = b > 0 ? fabs(a - b) / b : 1;
        CHECK(err <= TOLERANCE,
              "vCPU %d completes at %.1f ms (runtime, median of %d runs: "
              "%.1f..%.1f) vs %.1f ms (simulator): %.1f%% apart (tolerance "
              "%.0f%%)",
              v, a, nrt, x[0], x[nrt - 1], b, 100 * err, 100 * TOLERANCE);
    }
    return failed;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc - 4 > 64) {
        fprintf(stderr, "usage: wells_check POLICY OUTDIR SIM_TRACE "
                        "RUNTIME_TRACE...\n");
        return 64;
    }
    const char *policy = argv[1], *dir = argv[2];
    int nrt = argc - 4;
    struct trace sim = {0}, *rt = calloc((size_t)nrt, sizeof *rt);
    if (side(policy, "sim", argv[3], dir, &sim))
        return 66;
    for (int k = 0; k < nrt; k++) /* the figure shows the first run */
        if (side(policy, k ? "runtime-more" : "runtime", argv[4 + k], dir,
                 &rt[k]))
            return 66;
    char path[4096];
    snprintf(path, sizeof path, "%s/checks-%s.txt", dir, policy);
    FILE *rep = fopen(path, "w");
    if (!rep)
        return 73;
    fprintf(rep, "Wells et al. 4 vCPUs on 3 cores, policy %s\n", policy);
    int failed = check_one(policy, "simulator", &sim, rep);
    for (int k = 0; k < nrt; k++) {
        char name[32];
        snprintf(name, sizeof name, "runtime run %d", k + 1);
        failed += check_one(policy, name, &rt[k], rep);
    }
    failed += compare_times(rt, nrt, &sim, rep);
    fprintf(rep, "%s\n", failed ? "SOME CHECKS FAILED" : "all checks hold");
    fclose(rep);
    FILE *in = fopen(path, "r");
    int c;
    while ((c = fgetc(in)) != EOF)
        putchar(c);
    fclose(in);
    for (int k = 0; k < nrt; k++)
        free(rt[k].r);
    free(rt);
    free(sim.r);
    return failed ? 1 : 0;
}
