// SPDX-License-Identifier: GPL-3.0-or-later
/* `vcpusim run` on a scenario with a datacenter: section: one run of the
 * datacenter tier per seed, its tables and a figure (power, hosts on and
 * utilisation over time), and the totals across seeds with 95% confidence
 * intervals (summary.csv). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include <vcpu/vcpu.h>

#include "cli.h"
#include "dc.h"
#include "feed.h"

typedef int (*dc_table_fn)(const struct sim_dc *, FILE *);

static int table(const char *dir, const char *name, dc_table_fn fn,
                 const struct sim_dc *dc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    int rc = fn(dc, f);
    fclose(f);
    if (!rc)
        rc = sim_write_atomic(dir, name, buf, len);
    free(buf);
    return rc;
}

static int summary(const char *dir, const struct sim_scenario *s,
                   const struct sim_dc *dc, uint64_t seed, double wall,
                   bool partial)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    uint64_t ev = sim_dc_events(dc);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru); /* ru_maxrss: KiB, the process so far */
    fprintf(f,
            "scenario: %s\nfile: %s\nmodel: datacenter (flow-level hosts)\n"
            "seed: %" PRIu64 "\nduration_ns: %" PRIu64 "\n"
            "simulated_ns: %" PRIu64 "\nevents: %" PRIu64 "\n"
            "wall_s: %.3f\nevents_per_s: %.0f\npeak_rss_mb: %.1f\n"
            "version: %s\npartial: %s\n",
            s->name, s->file, seed, s->duration_ns, sim_dc_now(dc), ev, wall,
            wall > 0 ? ev / wall : 0.0, ru.ru_maxrss / 1024.0, vcpu_version(),
            partial ? "yes (interrupted or failed)" : "no");
    sim_dc_write_summary(dc, f);
    fclose(f);
    int rc = sim_write_atomic(dir, "summary.txt", buf, len);
    free(buf);
    return rc;
}

static const char plot_script[] =
    "# Hosts switched on, power and utilisation over time.\n"
    "# Rebuild: gnuplot datacenter.gp (in this folder)\n"
    "set terminal pngcairo size 1000,640 noenhanced font ',11'\n"
    "set output 'datacenter.png'\n"
    "set datafile separator ','\nset datafile columnheaders\n"
    "set multiplot layout 2,1 title '%s'\n"
    "set xlabel 'simulated time (h)'\nset grid\n"
    "set ylabel 'power (kW)'\nset y2label 'hosts on'\n"
    "set ytics nomirror\nset y2tics\n"
    "plot 'series.csv' using ($1/3600):($5/1000) with lines lw 2 "
    "title 'power', '' using ($1/3600):2 axes x1y2 with lines title "
    "'hosts on'\n"
    "unset y2tics\nunset y2label\nset ytics mirror\n"
    "set ylabel 'VMs / utilisation (%%)'\n"
    "plot 'series.csv' using ($1/3600):3 with lines title 'VMs running', "
    "'' using ($1/3600):4 with lines title 'VMs waiting', "
    "'' using ($1/3600):($6*100) with lines title 'utilisation of hosts on "
    "(%%)'\n"
    "unset multiplot\n";

static int plot(const char *dir, const struct sim_scenario *s, bool quiet)
{
    char script[4096], cmd[8192];
    int n = snprintf(script, sizeof script, plot_script, s->name);
    int rc = sim_write_atomic(dir, "datacenter.gp", script, (size_t)n);
    if (rc)
        return rc;
    snprintf(cmd, sizeof cmd,
             "cd '%s' && gnuplot datacenter.gp 2>gnuplot.log && "
             "rm -f gnuplot.log",
             dir);
    if (system(cmd) != 0) {
        fprintf(stderr,
                "vcpusim: gnuplot failed (see %s/gnuplot.log); the tables "
                "are written\n",
                dir);
        return -EIO;
    }
    if (!quiet)
        fprintf(stderr, "vcpusim: figure %s/datacenter.png\n", dir);
    return 0;
}

static FILE *open_trace(const char *dir, char *tmp, size_t len)
{
    if (sim_mkdirs(dir) ||
        snprintf(tmp, len, "%s/.trace.csv.partial", dir) >= (int)len)
        return NULL;
    return fopen(tmp, "w");
}

static int one(const struct sim_dc_cmd *o, const struct sim_scenario *s,
               uint64_t seed, const char *dir, struct sim_dc_totals *tot)
{
    char err[2048], tmp[4096];
    FILE *trace = o->trace ? open_trace(dir, tmp, sizeof tmp) : NULL;
    struct sim_dc_opts dopts = {
        .scn = s, .seed = seed, .trace = trace, .check = o->check};
    struct sim_feed *feed = NULL;
    if (s->nsources) {
        if (sim_feed_create(s, seed, o->quiet ? NULL : stderr, &feed, err,
                            sizeof err)) {
            fprintf(stderr, "vcpusim: %s\n", err);
            if (trace)
                fclose(trace);
            return SIM_EXIT_DATAERR;
        }
        dopts.source = sim_feed_source(feed);
    }
    struct sim_dc *dc;
    if (sim_dc_create(&dopts, &dc, err, sizeof err)) {
        fprintf(stderr, "vcpusim: %s: %s\n", s->file, err);
        sim_feed_destroy(feed);
        if (trace)
            fclose(trace);
        return SIM_EXIT_DATAERR;
    }
    char label[160];
    snprintf(label, sizeof label, "[%s seed %" PRIu64 "]", sim_dc_placement(dc),
             seed);
    struct sim_progress pr = {label, s->duration_ns, sim_wall_now(), 0};
    bool tty = !o->quiet && isatty(STDERR_FILENO);
    double t0 = sim_wall_now();
    int rc = sim_dc_run(dc, 0, o->stop, tty ? sim_progress_show : NULL, &pr);
    double wall = sim_wall_now() - t0;
    if (tty)
        fprintf(stderr, "\r%*s\r", 100, "");
    if (rc)
        fprintf(stderr, "vcpusim: %s: %s\n", label,
                feed && sim_feed_error(feed) ? sim_feed_error(feed)
                                             : sim_dc_error(dc));
    bool partial = rc || (o->stop && *o->stop);
    int wr = sim_mkdirs(dir);
    if (!wr)
        wr = table(dir, "hosts.csv", sim_dc_write_hosts, dc);
    if (!wr)
        wr = table(dir, "vms.csv", sim_dc_write_vms, dc);
    if (!wr)
        wr = table(dir, "tasks.csv", sim_dc_write_tasks, dc);
    if (!wr)
        wr = table(dir, "series.csv", sim_dc_write_series, dc);
    if (!wr)
        wr = summary(dir, s, dc, seed, wall, partial);
    if (wr)
        fprintf(stderr, "vcpusim: cannot write results in %s: %s\n", dir,
                strerror(-wr));
    else if (o->plot)
        plot(dir, s, o->quiet);
    if (trace) {
        fclose(trace);
        char path[4200];
        snprintf(path, sizeof path, "%s/trace.csv", dir);
        if (!partial)
            rename(tmp, path);
    }
    sim_dc_totals(dc, tot);
    if (!o->quiet)
        fprintf(stderr,
                "%s %" PRIu64 " events in %.2f s (%.2fM events/s), %.3f "
                "kWh, %" PRIu64 " migrations -> %s\n",
                label, sim_dc_events(dc), wall,
                sim_dc_events(dc) / (wall > 0 ? wall : 1) * 1e-6,
                tot->energy_kwh, tot->migrations, dir);
    sim_dc_destroy(dc);
    sim_feed_destroy(feed);
    return rc ? SIM_EXIT_FAIL : wr ? SIM_EXIT_CANTCREAT : SIM_EXIT_OK;
}

/* Mean and 95% CI half-width of @x[0..n). */
static void ci(const double *x, unsigned n, double *mean, double *half)
{
    *mean = n ? gsl_stats_mean(x, 1, n) : 0;
    *half = n > 1 ? gsl_cdf_tdist_Pinv(0.975, n - 1) * gsl_stats_sd(x, 1, n) /
                        sqrt((double)n)
                  : 0;
}

static int across(const char *out, const struct sim_dc_totals *t, unsigned n)
{
    static const char *const names[] = {"energy_kwh",
                                        "slatah",
                                        "pdm",
                                        "slav",
                                        "migrations",
                                        "mean_wait_s",
                                        "mean_active_hosts",
                                        "vms_done",
                                        "overload_loss"};
    enum { NM = sizeof names / sizeof names[0] };
    double *x = malloc((n ? n : 1) * sizeof *x);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!x || !f) {
        free(x);
        if (f)
            fclose(f);
        free(buf);
        return -ENOMEM;
    }
    fprintf(f, "metric,mean,ci95,runs\n");
    for (unsigned m = 0; m < NM; m++) {
        for (unsigned i = 0; i < n; i++) {
            const struct sim_dc_totals *r = &t[i];
            const double v[NM] = {r->energy_kwh,
                                  r->slatah,
                                  r->pdm,
                                  r->slav,
                                  (double)r->migrations,
                                  r->mean_wait_s,
                                  r->mean_active_hosts,
                                  (double)r->done,
                                  r->overload_loss};
            x[i] = v[m];
        }
        double mean, half;
        ci(x, n, &mean, &half);
        fprintf(f, "%s,%.9g,%.9g,%u\n", names[m], mean, half, n);
    }
    fclose(f);
    int rc = sim_write_atomic(out, "summary.csv", buf, len);
    free(buf);
    free(x);
    return rc;
}

int sim_cmd_run_dc(const struct sim_dc_cmd *o, const struct sim_scenario *s,
                   const char *out)
{
    unsigned n = (unsigned)(o->seed_hi - o->seed_lo + 1);
    struct sim_dc_totals *tot = calloc(n, sizeof *tot);
    if (!tot)
        return SIM_EXIT_FAIL;
    int rc = SIM_EXIT_OK;
    unsigned done = 0;
    for (uint64_t seed = o->seed_lo; seed <= o->seed_hi && rc == SIM_EXIT_OK;
         seed++) {
        char dir[4096];
        int len =
            n == 1 ? snprintf(dir, sizeof dir, "%s", out)
                   : snprintf(dir, sizeof dir, "%s/seed-%" PRIu64, out, seed);
        if (len >= (int)sizeof dir) {
            fprintf(stderr, "vcpusim: output path too long\n");
            rc = SIM_EXIT_USAGE;
            break;
        }
        rc = one(o, s, seed, dir, &tot[done]);
        if (rc == SIM_EXIT_OK)
            done++;
        if (o->stop && *o->stop)
            rc = SIM_EXIT_FAIL;
    }
    if (done && sim_mkdirs(out) == 0 && across(out, tot, done))
        fprintf(stderr, "vcpusim: cannot write %s/summary.csv\n", out);
    free(tot);
    return rc;
}
