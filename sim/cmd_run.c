// SPDX-License-Identifier: GPL-3.0-or-later
/* `vcpusim run` and `vcpusim validate`: run a scenario under its policy and
 * the policies it compares, over one or more seeds; write per-run tables,
 * a summary, cross-seed means with 95% confidence intervals, and a figure. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vcpu/vcpu.h>

#include "cli.h"
#include "feed.h"
#include "model.h"
#include "report.h"
#include "scenario.h"

#define MAX_SETS 64

struct run_opts {
    const char *file, *out, *policy;
    const char *sets[MAX_SETS];
    unsigned nsets;
    uint64_t seed_lo, seed_hi;
    bool seeds_given, quiet, trace, check;
};

static volatile bool stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = true;
}

double sim_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- progress line ---------------------------------------------------------- */

/* The progress line on a terminal (run and the datacenter runner): the
 * simulated time (in hours for runs of an hour or more), events/s, ETA. */
void sim_progress_show(void *arg, uint64_t now, uint64_t events)
{
    struct sim_progress *pr = arg;
    double t = sim_wall_now();
    if (t - pr->last < 0.25)
        return;
    pr->last = t;
    double el = t - pr->t0, frac = (double)now / (double)pr->end_ns;
    double eta = frac > 0 ? el * (1 - frac) / frac : 0;
    bool hours = pr->end_ns >= 3600000000000ull;
    double unit = hours ? 3.6e12 : 1e9;
    fprintf(stderr, "\r%s  sim %.*f/%.*f %s  %.2fM events/s  ETA %.1f s   ",
            pr->label, hours ? 1 : 3, now / unit, hours ? 1 : 3,
            pr->end_ns / unit, hours ? "h" : "s",
            events / (el > 0 ? el : 1) * 1e-6, eta);
}

/* ---- one run ------------------------------------------------------------------ */

typedef int (*table_fn)(struct sim_model *, FILE *);

static int write_table(const char *dir, const char *name, table_fn fn,
                       struct sim_model *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    int rc = fn(m, f);
    fclose(f);
    if (!rc)
        rc = sim_write_atomic(dir, name, buf, len);
    free(buf);
    return rc;
}

static int write_summary(const char *dir, const struct sim_scenario *s,
                         struct sim_model *m, uint64_t seed, double wall,
                         bool partial)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    uint64_t ev = sim_model_events(m);
    fprintf(f,
            "scenario: %s\nfile: %s\npolicy: %s\npolicy_args: %s\n"
            "seed: %" PRIu64 "\nduration_ns: %" PRIu64 "\n"
            "simulated_ns: %" PRIu64 "\nevents: %" PRIu64 "\n"
            "hosts: %u\nvms: %u\nwall_s: %.3f\nevents_per_s: %.0f\n"
            "version: %s\npartial: %s\n",
            s->name, s->file, sim_model_policy(m),
            s->policy_args ? s->policy_args : "", seed, s->duration_ns,
            sim_model_now(m), ev, sim_model_nhosts(m), sim_model_nvms(m), wall,
            wall > 0 ? ev / wall : 0.0, vcpu_version(),
            partial ? "yes (interrupted)" : "no");
    fclose(f);
    int rc = sim_write_atomic(dir, "summary.txt", buf, len);
    free(buf);
    return rc;
}

/* Some VM runs tasks under a guest policy (docs/nested.md). */
static bool has_guests(const struct sim_scenario *s)
{
    for (unsigned i = 0; i < s->nvms; i++)
        if (s->vms[i].guest_policy)
            return true;
    return false;
}

static int write_results(const char *dir, const struct sim_scenario *s,
                         struct sim_model *m, uint64_t seed, double wall,
                         bool partial)
{
    int rc = write_table(dir, "vcpus.csv", sim_model_write_vcpus, m);
    if (!rc)
        rc = write_table(dir, "vms.csv", sim_model_write_vms, m);
    if (!rc)
        rc = write_table(dir, "pcpus.csv", sim_model_write_pcpus, m);
    if (!rc)
        rc = write_table(dir, "hosts.csv", sim_model_write_hosts, m);
    if (!rc && has_guests(s))
        rc = write_table(dir, "tasks.csv", sim_model_write_tasks, m);
    if (!rc)
        rc = write_summary(dir, s, m, seed, wall, partial);
    return rc;
}

/* Open dir/NAME (trace.csv, guest_trace.csv) under a temporary name,
 * renamed when complete; @prefix goes before the header. */
static FILE *open_trace_as(const char *dir, const char *name,
                           const char *prefix, char *tmp, size_t len)
{
    if (sim_mkdirs(dir) ||
        snprintf(tmp, len, "%s/.%s.partial", dir, name) >= (int)len)
        return NULL;
    FILE *f = fopen(tmp, "w");
    if (f)
        fprintf(f, "%s%s\n", prefix, VCPU_TRACE_CSV_HEADER);
    return f;
}

static FILE *open_trace(const char *dir, char *tmp, size_t len)
{
    return open_trace_as(dir, "trace.csv", "", tmp, len);
}

static int close_trace_as(FILE *f, const char *tmp, const char *dir,
                          const char *name, bool ok)
{
    if (!f)
        return 0;
    int rc = fclose(f) ? -errno : 0;
    if (!ok)
        return rc; /* keep the .partial file: it says what it is */
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return -ENAMETOOLONG;
    return rc ? rc : (rename(tmp, path) ? -errno : 0);
}

static int close_trace(FILE *f, const char *tmp, const char *dir, bool ok)
{
    return close_trace_as(f, tmp, dir, "trace.csv", ok);
}

/* The scenario's sources for one run, or NULL if it has none. */
static int open_feed(const struct run_opts *o, const struct sim_scenario *s,
                     uint64_t seed, struct sim_feed **feed,
                     struct sim_model_opts *mo)
{
    char err[2048];
    *feed = NULL;
    if (!s->nsources)
        return 0;
    if (sim_feed_create(s, seed, o->quiet ? NULL : stderr, feed, err,
                        sizeof err)) {
        fprintf(stderr, "vcpusim: %s\n", err);
        return -1;
    }
    mo->source = sim_feed_source(*feed);
    return 0;
}

/* Run @s under @ops (NULL: the scenario's) with @seed into @dir. */
static int run_one(const struct run_opts *o, const struct sim_scenario *s,
                   const struct vcpu_policy_ops *ops, uint64_t seed,
                   const char *dir, struct report *rep)
{
    char err[2048], tmp[4096], gtmp[4096];
    FILE *trace =
        (o->trace || s->trace) ? open_trace(dir, tmp, sizeof tmp) : NULL;
    FILE *gtrace =
        trace && has_guests(s)
            ? open_trace_as(dir, "guest_trace.csv", "vm,", gtmp, sizeof gtmp)
            : NULL;
    struct sim_model_opts mo = {
        .scn = s,
        .ops = ops,
        .seed = seed,
        .trace = trace,
        .guest_trace = gtrace,
        .check = o->check,
        .policy_args = ops ? NULL : s->policy_args,
    };
    struct sim_model *m;
    struct sim_feed *feed;
    int bad_feed = open_feed(o, s, seed, &feed, &mo);
    if (bad_feed || sim_model_create(&mo, &m, err, sizeof err)) {
        if (!bad_feed)
            fprintf(stderr, "vcpusim: %s: %s\n", s->file, err);
        sim_feed_destroy(feed);
        close_trace(trace, tmp, dir, false);
        close_trace_as(gtrace, gtmp, dir, "guest_trace.csv", false);
        return SIM_EXIT_DATAERR;
    }
    char label[160];
    snprintf(label, sizeof label, "[%s seed %" PRIu64 "]", sim_model_policy(m),
             seed);
    struct sim_progress pr = {label, s->duration_ns, sim_wall_now(), 0};
    bool tty = !o->quiet && isatty(STDERR_FILENO);
    double t0 = sim_wall_now();
    int rc = sim_model_run(m, 0, &stop_requested,
                           tty ? sim_progress_show : NULL, &pr);
    double wall = sim_wall_now() - t0;
    if (tty)
        fprintf(stderr, "\r%*s\r", 100, "");
    if (rc)
        fprintf(stderr, "vcpusim: %s: %s\n", label,
                feed && sim_feed_error(feed) ? sim_feed_error(feed)
                                             : sim_model_error(m));
    int wr = write_results(dir, s, m, seed, wall, stop_requested || rc);
    if (wr)
        fprintf(stderr, "vcpusim: cannot write results in %s: %s\n", dir,
                strerror(-wr));
    close_trace(trace, tmp, dir, !rc && !stop_requested);
    close_trace_as(gtrace, gtmp, dir, "guest_trace.csv",
                   !rc && !stop_requested);
    report_add(rep, m, sim_model_policy(m), seed, wall);
    if (!o->quiet)
        fprintf(stderr,
                "%s %" PRIu64 " events in %.2f s (%.2fM events/s) "
                "-> %s\n",
                label, sim_model_events(m), wall,
                sim_model_events(m) / (wall > 0 ? wall : 1) * 1e-6, dir);
    sim_model_destroy(m);
    if (feed && !o->quiet)
        sim_feed_summary(feed, stderr);
    sim_feed_destroy(feed); /* after the model: it borrowed the specs */
    return rc ? SIM_EXIT_FAIL : wr ? SIM_EXIT_CANTCREAT : SIM_EXIT_OK;
}

/* ---- options ------------------------------------------------------------------ */

static int parse_seeds(const char *arg, struct run_opts *o)
{
    char *end;
    errno = 0;
    o->seed_lo = strtoull(arg, &end, 0);
    if (errno || end == arg || *arg == '-')
        return -1;
    o->seed_hi = o->seed_lo;
    if (strncmp(end, "..", 2) == 0) {
        const char *b = end + 2;
        o->seed_hi = strtoull(b, &end, 0);
        if (errno || end == b || *b == '-' || o->seed_hi < o->seed_lo ||
            o->seed_hi - o->seed_lo >= 10000)
            return -1;
    }
    o->seeds_given = true;
    return *end ? -1 : 0;
}

static void run_usage(FILE *f)
{
    fprintf(f,
            "usage: vcpusim run [SCENARIO] [options]\n"
            "  SCENARIO          a YAML file (default: the built-in default)\n"
            "  --seed N          one seed (default: the scenario's)\n"
            "  --seeds A..B      every seed from A to B; means with 95%% CI\n"
            "  --out DIR         results folder (default: the scenario's)\n"
            "  --set KEY=VALUE   override a scenario field (repeatable)\n"
            "  --policy NAME     run only this policy\n"
            "  --trace           write trace.csv\n"
            "  --check           check the scheduler invariants (slow)\n"
            "  --quiet           no progress line\n");
}

static int parse_run(int argc, char **argv, struct run_opts *o)
{
    static const struct option lo[] = {
        {"seed", required_argument, NULL, 's'},
        {"seeds", required_argument, NULL, 'S'},
        {"out", required_argument, NULL, 'o'},
        {"set", required_argument, NULL, 'x'},
        {"policy", required_argument, NULL, 'p'},
        {"trace", no_argument, NULL, 't'},
        {"check", no_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "s:S:o:x:p:tcqh", lo, NULL)) != -1) {
        switch (ch) {
        case 's':
        case 'S':
            if (parse_seeds(optarg, o) ||
                (ch == 's' && o->seed_lo != o->seed_hi)) {
                fprintf(stderr, "vcpusim run: bad seed '%s'\n", optarg);
                return SIM_EXIT_USAGE;
            }
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'x':
            if (o->nsets == MAX_SETS || !strchr(optarg, '=')) {
                fprintf(stderr,
                        "vcpusim run: --set wants KEY=VALUE (at "
                        "most %d)\n",
                        MAX_SETS);
                return SIM_EXIT_USAGE;
            }
            o->sets[o->nsets++] = optarg;
            break;
        case 'p':
            o->policy = optarg;
            break;
        case 't':
            o->trace = true;
            break;
        case 'c':
            o->check = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            run_usage(stdout);
            return -1;
        default:
            run_usage(stderr);
            return SIM_EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "vcpusim run: one SCENARIO at most\n");
        return SIM_EXIT_USAGE;
    }
    o->file = optind < argc ? argv[optind] : NULL;
    return 0;
}

static int load(const struct run_opts *o, struct sim_scenario **s)
{
    char err[2048];
    int rc =
        o->file
            ? sim_scenario_load(o->file, o->sets, o->nsets, s, err, sizeof err)
            : sim_scenario_parse(SIM_DEFAULT_NAME, sim_default_scenario,
                                 strlen(sim_default_scenario), o->sets,
                                 o->nsets, s, err, sizeof err);
    if (rc == 0)
        return 0;
    fprintf(stderr, "vcpusim: %s\n", err);
    return rc == -2 ? SIM_EXIT_NOINPUT : SIM_EXIT_DATAERR;
}

/* The policies to run: the scenario's, then those it compares. */
static unsigned policy_list(const struct run_opts *o,
                            const struct sim_scenario *s, const char **out,
                            unsigned max)
{
    if (o->policy) {
        out[0] = o->policy;
        return 1;
    }
    unsigned n = 0;
    out[n++] = s->policy ? s->policy : "rr";
    for (unsigned i = 0; i < s->ncompare && n < max; i++)
        out[n++] = s->compare[i];
    return n;
}

static int run_all(const struct run_opts *o, const struct sim_scenario *s,
                   const char *out)
{
    const char *pols[32];
    unsigned np = policy_list(o, s, pols, 32);
    uint64_t lo = o->seeds_given ? o->seed_lo : s->seed;
    uint64_t hi = o->seeds_given ? o->seed_hi : s->seed;
    if (s->dc) {
        if (o->policy) {
            fprintf(stderr, "vcpusim: --policy names a host policy; a "
                            "datacenter scenario takes --set "
                            "datacenter.placement=NAME\n");
            return SIM_EXIT_USAGE;
        }
        struct sim_dc_cmd dco = {
            .seed_lo = lo,
            .seed_hi = hi,
            .quiet = o->quiet,
            .trace = o->trace || s->trace,
            .check = o->check,
            .plot = true,
            .stop = &stop_requested,
        };
        return sim_cmd_run_dc(&dco, s, out);
    }
    struct report *rep = report_create(s, out);
    int rc = SIM_EXIT_OK;
    for (unsigned i = 0; i < np && rc == SIM_EXIT_OK; i++) {
        const struct vcpu_policy_ops *ops = vcpu_policy_find(pols[i]);
        if (!ops && i > 0) {
            fprintf(stderr, "vcpusim: unknown policy '%s'\n", pols[i]);
            rc = SIM_EXIT_DATAERR;
            break;
        }
        for (uint64_t seed = lo; seed <= hi && rc == SIM_EXIT_OK; seed++) {
            char dir[4096];
            int n = lo == hi ? snprintf(dir, sizeof dir, "%s/%s", out, pols[i])
                             : snprintf(dir, sizeof dir, "%s/%s/seed-%" PRIu64,
                                        out, pols[i], seed);
            if (n >= (int)sizeof dir) {
                fprintf(stderr, "vcpusim: output path too long\n");
                rc = SIM_EXIT_USAGE;
                break;
            }
            struct sim_scenario one = *s;
            if (o->policy && !ops)
                one.policy = (char *)o->policy; /* a shared object */
            rc = run_one(o, &one, ops, seed, dir, rep);
            if (stop_requested)
                rc = SIM_EXIT_FAIL;
        }
    }
    int wr = report_finish(rep, stop_requested || rc != SIM_EXIT_OK, o->quiet);
    return rc != SIM_EXIT_OK ? rc : wr;
}

int sim_cmd_run(int argc, char **argv)
{
    struct run_opts o = {0};
    int rc = parse_run(argc, argv, &o);
    if (rc)
        return rc < 0 ? SIM_EXIT_OK : rc;
    struct sim_scenario *s;
    if ((rc = load(&o, &s)))
        return rc;
    char out[4096];
    snprintf(out, sizeof out, "%s",
             o.out        ? o.out
             : s->out_dir ? s->out_dir
                          : "out");
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    rc = run_all(&o, s, out);
    sim_scenario_free(s);
    return rc;
}

int sim_cmd_validate(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: vcpusim validate SCENARIO...\n");
        return argc < 2 ? SIM_EXIT_USAGE : SIM_EXIT_OK;
    }
    int worst = SIM_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        struct run_opts o = {.file = argv[i]};
        struct sim_scenario *s;
        int rc = load(&o, &s);
        if (rc) {
            worst = rc;
            continue;
        }
        printf("%s: ok (%u host types, %u VM entries, %u sources, %u "
               "faults, policy %s)\n",
               argv[i], s->nhosts, s->nvms, s->nsources, s->nfaults,
               s->policy ? s->policy : "rr");
        sim_scenario_free(s);
    }
    return worst;
}
