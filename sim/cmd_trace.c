// SPDX-License-Identifier: GPL-3.0-or-later
/* `vcpusim trace-info FILE...`: what a recorded trace holds, as the
 * workload readers see it: the format (detected from the content and the
 * name, or given), records, time span, VMs with their vCPU-count and
 * duration distributions (streaming GSL quantiles, constant memory), and
 * the problems found. Exit 65 if any file had problems, 66 if one could
 * not be opened. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rstat.h>

#include "cli.h"
#include "wl.h"

struct info_opts {
    enum wl_format format;
    bool fatal;
    unsigned show; /* problems printed per file */
};

/* Streaming summary of one quantity (GSL's P^2 quantile estimates). */
struct dist_sum {
    gsl_rstat_workspace *all;
    gsl_rstat_quantile_workspace *q[3]; /* 0.5, 0.9, 0.99 */
};

static const double qs[3] = {0.5, 0.9, 0.99};

static int sum_init(struct dist_sum *d)
{
    memset(d, 0, sizeof *d);
    d->all = gsl_rstat_alloc();
    for (unsigned i = 0; i < 3; i++)
        d->q[i] = gsl_rstat_quantile_alloc(qs[i]);
    return d->all && d->q[0] && d->q[1] && d->q[2] ? 0 : -1;
}

static void sum_free(struct dist_sum *d)
{
    if (d->all)
        gsl_rstat_free(d->all);
    for (unsigned i = 0; i < 3; i++)
        if (d->q[i])
            gsl_rstat_quantile_free(d->q[i]);
}

static void sum_add(struct dist_sum *d, double x)
{
    gsl_rstat_add(x, d->all);
    for (unsigned i = 0; i < 3; i++)
        gsl_rstat_quantile_add(x, d->q[i]);
}

static void sum_print(const char *what, struct dist_sum *d)
{
    if (!gsl_rstat_n(d->all)) {
        printf("  %-13s none\n", what);
        return;
    }
    printf("  %-13s min %g  median %g  p90 %g  p99 %g  max %g  mean %.4g\n",
           what, gsl_rstat_min(d->all), gsl_rstat_quantile_get(d->q[0]),
           gsl_rstat_quantile_get(d->q[1]), gsl_rstat_quantile_get(d->q[2]),
           gsl_rstat_max(d->all), gsl_rstat_mean(d->all));
}

/* vCPU counts are small integers: an exact histogram (4 KiB of counters,
 * whatever the trace's size) gives exact quantiles. */
#define MAX_VCPUS 4096

static void vcpus_print(const uint64_t *count, uint64_t n, double mean)
{
    if (!n) {
        printf("  %-13s none\n", "vCPUs");
        return;
    }
    unsigned at[3] = {0}, k = 0, lo = 0, hi = 0;
    const double want[3] = {0.5, 0.9, 0.99};
    uint64_t seen = 0;
    for (unsigned v = 0; v <= MAX_VCPUS; v++) {
        if (!count[v])
            continue;
        lo = lo ? lo : v;
        hi = v;
        seen += count[v];
        while (k < 3 && seen >= (uint64_t)(want[k] * (double)n + 0.999999))
            at[k++] = v;
    }
    printf("  %-13s min %u  median %u  p90 %u  p99 %u  max %u  mean %.4g\n",
           "vCPUs", lo, at[0], at[1], at[2], hi, mean);
}

/* ---- one file ----------------------------------------------------------- */

struct shown {
    unsigned n, max;
};

static void on_problem(void *arg, const char *msg)
{
    struct shown *s = arg;
    if (s->n++ < s->max)
        printf("  problem: %s\n", msg);
}

static void print_meta(const wl_source_t *s)
{
    static const char *const keys[] = {"Computer",      "Installation",
                                       "MaxJobs",       "MaxProcs",
                                       "UnixStartTime", "TimeZoneString"};
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = wl_meta(s, keys[i]);
        if (v)
            printf("  %-13s %s\n", keys[i], v);
    }
}

static void print_counts(const wl_source_t *s, uint64_t unknown_life)
{
    const struct wl_stats *st = wl_stats(s);
    printf("  files         %llu (%llu bytes, %llu lines)\n",
           (unsigned long long)st->files, (unsigned long long)st->bytes,
           (unsigned long long)st->lines);
    printf("  records       %llu (%llu make no VM)\n",
           (unsigned long long)st->records, (unsigned long long)st->unusable);
    if (st->has_time)
        printf("  time span     %.3f s .. %.3f s (%.3f days)\n",
               st->first_ns * 1e-9, st->last_ns * 1e-9,
               (st->last_ns - st->first_ns) * 1e-9 / 86400);
    if (!wl_format_has_vms(wl_source_format(s))) {
        printf("  VMs           none (records only)\n");
        return;
    }
    printf("  VMs           %llu (%llu with no known end, %llu cut to "
           "max_vcpus, %llu series averaged)\n",
           (unsigned long long)st->vms, (unsigned long long)unknown_life,
           (unsigned long long)st->clamped, (unsigned long long)st->coarsened);
}

static int info_file(const char *path, const struct info_opts *io)
{
    struct shown shown = {0, io->show};
    struct wl_opts o = {.abi = WL_ABI,
                        .format = io->format,
                        .fatal = io->fatal,
                        .report = on_problem,
                        .report_arg = &shown};
    wl_source_t *s;
    char err[1024];
    printf("%s\n", path);
    if (wl_open(path, &o, &s, err, sizeof err)) {
        printf("  error: %s\n", err);
        return SIM_EXIT_NOINPUT;
    }
    printf("  format        %s%s\n", wl_format_name(wl_source_format(s)),
           io->format ? "" : " (detected)");
    struct dist_sum life = {0};
    uint64_t unknown = 0, *count = calloc(MAX_VCPUS + 1, sizeof *count);
    double total = 0;
    struct wl_vm vm;
    int rc = !count || sum_init(&life) ? -1 : 0;
    while (!rc && (rc = wl_next(s, &vm)) == 1) {
        count[vm.vcpus <= MAX_VCPUS ? vm.vcpus : MAX_VCPUS]++;
        total += vm.vcpus;
        if (vm.lifetime_ns || vm.loops)
            sum_add(&life, vm.lifetime_ns * 1e-9);
        else
            unknown++;
        rc = 0;
    }
    print_meta(s);
    print_counts(s, unknown);
    const struct wl_stats *st = wl_stats(s);
    vcpus_print(count, st->vms, st->vms ? total / (double)st->vms : 0);
    sum_print("duration (s)", &life);
    printf("  problems      %llu%s\n", (unsigned long long)st->errors,
           rc < 0 ? " (stopped at the first: --fatal)" : "");
    int ret = st->errors || rc < 0 ? SIM_EXIT_DATAERR : SIM_EXIT_OK;
    free(count);
    sum_free(&life);
    wl_close(s);
    return ret;
}

/* ---- the command -------------------------------------------------------- */

static void trace_usage(FILE *f)
{
    fprintf(f,
            "usage: vcpusim trace-info [options] FILE...\n"
            "  FILE              a trace file (plain or .gz), or a folder of\n"
            "                    Bitbrains or PlanetLab files\n"
            "  --format NAME     do not detect: swf, azure-vmtable, "
            "azure-cpu,\n"
            "                    google-task, google-job, google-machine,\n"
            "                    google-usage, alibaba-meta, alibaba-usage,\n"
            "                    bitbrains, planetlab, vcpu-trace\n"
            "  --fatal           stop a file at its first problem\n"
            "  --problems N      print the first N problems of a file (10)\n");
}

static int parse_info(int argc, char **argv, struct info_opts *io)
{
    static const struct option lo[] = {
        {"format", required_argument, NULL, 'f'},
        {"fatal", no_argument, NULL, 'F'},
        {"problems", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int ch, f;
    while ((ch = getopt_long(argc, argv, "f:Fp:h", lo, NULL)) != -1) {
        switch (ch) {
        case 'f':
            if ((f = wl_format_parse(optarg)) <= 0) {
                fprintf(stderr, "vcpusim trace-info: unknown format '%s'\n",
                        optarg);
                return SIM_EXIT_USAGE;
            }
            io->format = (enum wl_format)f;
            break;
        case 'F':
            io->fatal = true;
            break;
        case 'p':
            io->show = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'h':
            trace_usage(stdout);
            return -1;
        default:
            trace_usage(stderr);
            return SIM_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        trace_usage(stderr);
        return SIM_EXIT_USAGE;
    }
    return 0;
}

int sim_cmd_trace_info(int argc, char **argv)
{
    struct info_opts io = {.show = 10};
    int rc = parse_info(argc, argv, &io);
    if (rc)
        return rc < 0 ? SIM_EXIT_OK : rc;
    int worst = SIM_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        int r = info_file(argv[i], &io);
        worst = r > worst ? r : worst;
    }
    return worst;
}
