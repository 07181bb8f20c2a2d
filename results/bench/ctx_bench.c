// SPDX-License-Identifier: GPL-3.0-or-later
/* Raw context-switch cost: a ping-pong between the main stack and one
 * context, for libvcpu's assembly (vcpu__ctx_switch), Boost.Context's
 * fcontext (jump_fcontext, through its C ABI) and glibc swapcontext, in the
 * same run on the same guard-paged stacks. Target: libvcpu <= 1.5x fcontext.
 *
 * usage: ctx_bench [--switches N] [--reps N] [--cpu N] [--csv FILE]
 * Output: median, min and max ns per switch over the repetitions, and each
 * median's ratio to fcontext's. Under a sanitizer only libvcpu runs (the
 * others are not annotated for it, and the numbers would mean nothing). */
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include <vcpu/errno.h>

#include "runtime/ctx.h"
#include "runtime/stack.h"

/* Boost.Context's C ABI (libboost_context.so; the header is C++). */
typedef void *fcontext_t;
struct transfer_t {
    fcontext_t fctx;
    void *data;
};
struct transfer_t jump_fcontext(fcontext_t const to, void *vp);
fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(struct transfer_t));

#define MAX_REPS 99

struct opts {
    unsigned long switches;
    unsigned reps;
    int cpu;
    const char *csv;
};

/* One implementation: prepare once, then time @rounds round trips. */
struct impl {
    const char *name;
    void (*init)(void *stack, size_t size);
    void (*run)(unsigned long rounds);
    void (*fini)(void);
    double ns[MAX_REPS];
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- libvcpu ------------------------------------------------------------ */

static struct vcpu__ctx lv_main, lv_ctx;
static int lv_stop;

static void lv_entry(void *arg)
{
    (void)arg;
    while (!lv_stop)
        vcpu__ctx_switch(&lv_ctx, &lv_main);
    vcpu__ctx_exit(&lv_ctx, &lv_main);
}

static void lv_init(void *stack, size_t size)
{
    vcpu__ctx_make(&lv_ctx, stack, size, lv_entry, NULL);
}

static void lv_run(unsigned long rounds)
{
    for (unsigned long i = 0; i < rounds; i++)
        vcpu__ctx_switch(&lv_main, &lv_ctx);
}

static void lv_fini(void)
{
    lv_stop = 1;
    vcpu__ctx_switch(&lv_main, &lv_ctx);
    vcpu__ctx_fini(&lv_ctx);
}

/* ---- Boost.Context fcontext --------------------------------------------- */

static fcontext_t fc_ctx;

static void fc_entry(struct transfer_t t)
{
    for (;;)
        t = jump_fcontext(t.fctx, NULL);
}

static void fc_init(void *stack, size_t size)
{
    fc_ctx = make_fcontext((char *)stack + size, size, fc_entry);
}

static void fc_run(unsigned long rounds)
{
    fcontext_t f = fc_ctx;
    for (unsigned long i = 0; i < rounds; i++)
        f = jump_fcontext(f, NULL).fctx;
    fc_ctx = f;
}

static void fc_fini(void)
{
    /* The context stays suspended; its stack goes back to the pool. */
}

/* ---- glibc swapcontext -------------------------------------------------- */

static ucontext_t uc_main, uc_ctx;

static void uc_entry(void)
{
    for (;;)
        swapcontext(&uc_ctx, &uc_main);
}

static void uc_init(void *stack, size_t size)
{
    getcontext(&uc_ctx);
    uc_ctx.uc_stack.ss_sp = stack;
    uc_ctx.uc_stack.ss_size = size;
    uc_ctx.uc_link = NULL;
    makecontext(&uc_ctx, uc_entry, 0);
}

static void uc_run(unsigned long rounds)
{
    for (unsigned long i = 0; i < rounds; i++)
        swapcontext(&uc_main, &uc_ctx);
}

static void uc_fini(void)
{
}

/* ---- driver ------------------------------------------------------------- */

static struct impl impls[] = {
    {"libvcpu", lv_init, lv_run, lv_fini, {0}},
    {"fcontext", fc_init, fc_run, fc_fini, {0}},
    {"swapcontext", uc_init, uc_run, uc_fini, {0}},
};
#define NIMPL (sizeof impls / sizeof impls[0])

static void usage(void)
{
    fprintf(stderr, "usage: ctx_bench [--switches N] [--reps N] [--cpu N] "
                    "[--csv FILE]\n");
    exit(64);
}

static void parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"switches", required_argument, NULL, 'n'},
        {"reps", required_argument, NULL, 'r'},
        {"cpu", required_argument, NULL, 'p'},
        {"csv", required_argument, NULL, 'c'},
        {0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "n:r:p:c:", lo, NULL)) != -1) {
        if (ch == 'n')
            o->switches = strtoul(optarg, NULL, 0);
        else if (ch == 'r')
            o->reps = (unsigned)strtoul(optarg, NULL, 0);
        else if (ch == 'p')
            o->cpu = atoi(optarg);
        else if (ch == 'c')
            o->csv = optarg;
        else
            usage();
    }
    if (optind != argc || o->switches < 2 || !o->reps || o->reps > MAX_REPS)
        usage();
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set))
        fprintf(stderr, "ctx_bench: cannot pin to CPU %d; running unpinned\n",
                cpu);
}

/* Every implementation once per repetition, so drift hits all alike. */
static int measure(const struct opts *o, size_t nimpl)
{
    vcpu__stack_pool_t *pool;
    if (vcpu__stack_pool_create(0, 0, -1, &pool))
        return -1;
    void *stk[NIMPL];
    size_t size = vcpu__stack_pool_stack_size(pool);
    unsigned long rounds = o->switches / 2;
    for (size_t i = 0; i < nimpl; i++) {
        if (vcpu__stack_get(pool, &stk[i])) {
            vcpu__stack_pool_destroy(pool);
            return -1;
        }
        impls[i].init(stk[i], size);
        impls[i].run(rounds / 10 + 1); /* warm-up */
    }
    for (unsigned r = 0; r < o->reps; r++) {
        for (size_t i = 0; i < nimpl; i++) {
            double t0 = now_ns();
            impls[i].run(rounds);
            impls[i].ns[r] = (now_ns() - t0) / (2.0 * (double)rounds);
        }
    }
    for (size_t i = 0; i < nimpl; i++)
        impls[i].fini();
    vcpu__stack_pool_destroy(pool);
    return 0;
}

static void report(const struct opts *o, size_t nimpl, FILE *csv)
{
    double med[NIMPL];
    for (size_t i = 0; i < nimpl; i++) {
        gsl_sort(impls[i].ns, 1, o->reps);
        med[i] = gsl_stats_median_from_sorted_data(impls[i].ns, 1, o->reps);
    }
    double base = nimpl > 1 ? med[1] : 0; /* fcontext */
    printf("%-12s %10s %10s %10s %12s\n", "impl", "median_ns", "min_ns",
           "max_ns", "vs_fcontext");
    for (size_t i = 0; i < nimpl; i++) {
        struct impl *m = &impls[i];
        double ratio = base > 0 ? med[i] / base : 0;
        printf("%-12s %10.2f %10.2f %10.2f %12.2f\n", m->name, med[i], m->ns[0],
               m->ns[o->reps - 1], ratio);
        if (csv)
            fprintf(csv, "%s,%lu,%u,%.3f,%.3f,%.3f,%.3f\n", m->name,
                    o->switches, o->reps, med[i], m->ns[0], m->ns[o->reps - 1],
                    ratio);
    }
    if (base > 0)
        printf("# libvcpu/fcontext = %.2f (target <= 1.50: %s)\n",
               med[0] / base, med[0] / base <= 1.5 ? "met" : "MISSED");
}

static FILE *open_csv(const char *path)
{
    FILE *f = fopen(path, "a");
    if (f && ftell(f) == 0)
        fprintf(f, "impl,switches,reps,median_ns,min_ns,max_ns,"
                   "ratio_vs_fcontext\n");
    return f;
}

int main(int argc, char **argv)
{
    struct opts o = {.switches = 20000000, .reps = 11, .cpu = -1};
    parse(argc, argv, &o);
    printf("#");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    if (o.cpu >= 0)
        pin(o.cpu);
    size_t nimpl = VCPU__CTX_ANNOTATE ? 1 : NIMPL;
    printf("# %lu switches x %u reps, 64 KiB guard-paged stacks, %s%s\n",
           o.switches, o.reps, VCPU__CTX_ASM ? "assembly" : "ucontext fallback",
           VCPU__CTX_ANNOTATE ? "; sanitizer build: libvcpu only" : "");
    FILE *csv = NULL;
    if (o.csv && !(csv = open_csv(o.csv))) {
        perror(o.csv);
        return 73;
    }
    int rc = measure(&o, nimpl);
    if (rc)
        fprintf(stderr, "ctx_bench: cannot get stacks\n");
    else
        report(&o, nimpl, csv);
    if (csv)
        fclose(csv);
    return rc ? 70 : 0;
}
