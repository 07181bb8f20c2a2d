// SPDX-License-Identifier: GPL-3.0-or-later
/* Simulator throughput on one thread, two models:
 * - phold: ROSS's PHOLD on the event engine alone (1,024 LPs, one event
 *   each, every event schedules one more 1 + exp(1) time units later, to a
 *   uniformly random LP with probability 0.25, else to itself; 1 unit =
 *   1,000 ns). Baseline in the same run: the same model on a textbook
 *   binary heap of the same records (same order, so the same events).
 * - hosts: the host tier, N hosts x P pCPUs x K vCPUs per pCPU in 4-vCPU
 *   VMs, half CPU-bound (compute exp 5 ms, forever) and half I/O-bound
 *   (compute exp 200 us, block exp 1 ms), under each policy asked for.
 *   Baseline in the same run: the same scenario under "fifo", the policy
 *   table with only a name.
 * - scaling: hosts at several sizes (vCPUs 10^4 .. 10^6), CSV for a plot.
 *
 * Medians over --reps repetitions (GSL). Events are those the engine pops
 * in the timed interval (after a warm-up), cancelled ones included; sim/s
 * is simulated seconds per wall second, which fewer events cannot fake.
 * Memory: bytes the allocator holds for the model (glibc mallinfo2,
 * in-use + mmapped) minus the event queue's array, divided by the vCPUs
 * ("total/vCPU", every host, pCPU and VM structure included), and the
 * marginal cost of one more vCPU, (mem(2K) - mem(K)) / (vcpus(2K) -
 * vcpus(K)), which leaves out what does not grow with vCPUs. Peak RSS
 * is getrusage's, for the whole process.
 *
 * usage: sim_bench phold   [--lps N] [--end UNITS] [--remote P]
 *                          [--unit-ns NS] [--reps N] [--csv FILE]
 *        sim_bench hosts   [--hosts N] [--topo SPEC] [--per-pcpu K]
 *                          [--policy A,B] [--baseline NAME|none]
 *                          [--duration D] [--warmup D] [--slice D]
 *                          [--reps N] [--no-marginal] [--csv FILE]
 *        sim_bench scaling [--vcpus A,B,...] (and the hosts options) */
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include <vcpu/vcpu.h>

#include "engine.h"
#include "model.h"
#include "scenario.h"

#define MAX_REPS 99
#define MAX_POL 8
#define MAX_SIZES 32

struct opts {
    /* phold */
    unsigned lps;
    double end_units, remote;
    uint64_t unit_ns;
    /* hosts and scaling */
    unsigned hosts, per_pcpu, npol, nsizes;
    const char *topo, *baseline;
    const char *pol[MAX_POL];
    uint64_t duration_ns, warmup_ns, slice_ns;
    unsigned long sizes[MAX_SIZES];
    bool marginal;
    /* all */
    unsigned reps;
    uint64_t seed;
    const char *csv;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double median(double *x, unsigned n)
{
    double s[MAX_REPS];
    memcpy(s, x, n * sizeof *s);
    gsl_sort(s, 1, n);
    return gsl_stats_median_from_sorted_data(s, 1, n);
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

/* Bytes the allocator holds for the program right now. */
static double heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
}

static FILE *open_csv(const char *path, const char *header)
{
    if (!path)
        return NULL;
    FILE *f = fopen(path, "a");
    if (!f) {
        perror(path);
        exit(73);
    }
    if (ftell(f) == 0)
        fprintf(f, "%s\n", header);
    return f;
}

/* ---- PHOLD ------------------------------------------------------------- */

/* The baseline queue: a binary min-heap of the engine's records, ordered
 * by (time, seq) like the engine, so both process the same events. */
struct bheap {
    struct sim_event *h;
    size_t n, cap;
    uint64_t seq, now;
};

static bool bh_before(const struct sim_event *x, const struct sim_event *y)
{
    return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

static void bh_push(struct bheap *q, uint64_t t, uint32_t a)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 1024;
        q->h = realloc(q->h, q->cap * sizeof *q->h);
        if (!q->h)
            abort();
    }
    struct sim_event ev = {.time = t, .seq = q->seq++, .a = a};
    size_t i = q->n++;
    while (i > 0 && bh_before(&ev, &q->h[(i - 1) / 2])) {
        q->h[i] = q->h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->h[i] = ev;
}

static struct sim_event bh_pop(struct bheap *q)
{
    struct sim_event top = q->h[0], last = q->h[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && bh_before(&q->h[c + 1], &q->h[c]))
            c++;
        if (!bh_before(&q->h[c], &last))
            break;
        q->h[i] = q->h[c];
        i = c;
    }
    if (q->n)
        q->h[i] = last;
    q->now = top.time;
    return top;
}

/* Next hop of an event at LP @lp: (delay in ns, destination). */
static inline uint64_t phold_hop(const struct opts *o, gsl_rng *r, uint32_t lp,
                                 uint32_t *dest)
{
    double u = (double)o->unit_ns;
    uint64_t delay = o->unit_ns + (uint64_t)llround(gsl_ran_exponential(r, u));
    *dest = gsl_rng_uniform(r) < o->remote
                ? (uint32_t)gsl_rng_uniform_int(r, o->lps)
                : lp;
    return delay;
}

static uint64_t phold_engine(const struct opts *o, gsl_rng *r, uint64_t end)
{
    sim_engine_t *e;
    if (sim_engine_create(2 * o->lps, &e))
        abort();
    for (uint32_t lp = 0; lp < o->lps; lp++) {
        uint32_t d;
        sim_event_push(e, phold_hop(o, r, lp, &d), 1, 0, lp, 0, 0);
    }
    uint64_t n = 0;
    struct sim_event ev;
    while (sim_engine_peek_time(e) <= end && sim_event_pop(e, &ev)) {
        n++;
        uint32_t d;
        uint64_t dt = phold_hop(o, r, ev.a, &d);
        sim_event_push(e, ev.time + dt, 1, 0, d, 0, 0);
    }
    sim_engine_destroy(e);
    return n;
}

static uint64_t phold_binary(const struct opts *o, gsl_rng *r, uint64_t end)
{
    struct bheap q = {0};
    for (uint32_t lp = 0; lp < o->lps; lp++) {
        uint32_t d;
        bh_push(&q, phold_hop(o, r, lp, &d), lp);
    }
    uint64_t n = 0;
    while (q.n && q.h[0].time <= end) {
        struct sim_event ev = bh_pop(&q);
        n++;
        uint32_t d;
        uint64_t dt = phold_hop(o, r, ev.a, &d);
        bh_push(&q, ev.time + dt, d);
    }
    free(q.h);
    return n;
}

static int cmd_phold(const struct opts *o)
{
    uint64_t end = (uint64_t)(o->end_units * (double)o->unit_ns);
    double eng[MAX_REPS], bin[MAX_REPS];
    uint64_t ne = 0, nb = 0;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    printf("# phold: %u LPs, end %.0f units (1 unit = %" PRIu64
           " ns), remote %.2f, %u reps\n",
           o->lps, o->end_units, o->unit_ns, o->remote, o->reps);
    for (unsigned i = 0; i < o->reps; i++) { /* interleaved: same drift */
        gsl_rng_set(r, (unsigned long)o->seed);
        double t0 = now_s();
        ne = phold_engine(o, r, end);
        eng[i] = (double)ne / (now_s() - t0);
        gsl_rng_set(r, (unsigned long)o->seed);
        t0 = now_s();
        nb = phold_binary(o, r, end);
        bin[i] = (double)nb / (now_s() - t0);
    }
    gsl_rng_free(r);
    if (ne != nb) {
        fprintf(stderr,
                "sim_bench: engines disagree: %" PRIu64 " vs %" PRIu64
                " events\n",
                ne, nb);
        return 70;
    }
    double me = median(eng, o->reps), mb = median(bin, o->reps);
    printf("%-10s %12s %14s %14s %8s\n", "queue", "events", "median ev/s",
           "min ev/s", "ratio");
    gsl_sort(eng, 1, o->reps);
    gsl_sort(bin, 1, o->reps);
    printf("%-10s %12" PRIu64 " %14.0f %14.0f %8.2f\n", "4-ary", ne, me, eng[0],
           me / mb);
    printf("%-10s %12" PRIu64 " %14.0f %14.0f %8.2f\n", "binary", nb, mb,
           bin[0], 1.0);
    FILE *csv = open_csv(o->csv, "model,queue,lps,end_units,unit_ns,remote,"
                                 "events,reps,median_ev_s,min_ev_s,max_ev_s,"
                                 "ratio_vs_binary");
    if (csv) {
        fprintf(csv,
                "phold,4-ary,%u,%.0f,%" PRIu64 ",%.2f,%" PRIu64
                ",%u,%.0f,%.0f,%.0f,%.3f\n",
                o->lps, o->end_units, o->unit_ns, o->remote, ne, o->reps, me,
                eng[0], eng[o->reps - 1], me / mb);
        fprintf(csv,
                "phold,binary,%u,%.0f,%" PRIu64 ",%.2f,%" PRIu64
                ",%u,%.0f,%.0f,%.0f,1.000\n",
                o->lps, o->end_units, o->unit_ns, o->remote, nb, o->reps, mb,
                bin[0], bin[o->reps - 1]);
        fclose(csv);
    }
    return 0;
}

/* ---- hosts ----------------------------------------------------------------- */

/* A programmatic scenario: @hosts hosts of @topo, K vCPUs per pCPU in
 * 4-vCPU VMs spread round robin, half CPU-bound, half I/O-bound. */
struct hscn {
    struct sim_phase cpu_ph[1], io_ph[2];
    struct sim_vm_spec vms[2];
    struct sim_host_spec host;
    struct sim_scenario s;
    unsigned long nvcpus;
};

static void hscn_init(struct hscn *h, const struct opts *o, unsigned hosts,
                      unsigned npcpus, unsigned per_pcpu)
{
    memset(h, 0, sizeof *h);
    h->cpu_ph[0] =
        (struct sim_phase){SIM_PH_COMPUTE, {SIM_DIST_EXP, 5e6, 0}, 0};
    h->io_ph[0] = (struct sim_phase){SIM_PH_COMPUTE, {SIM_DIST_EXP, 2e5, 0}, 0};
    h->io_ph[1] = (struct sim_phase){SIM_PH_BLOCK, {SIM_DIST_EXP, 1e6, 0}, 0};
    unsigned long nvm = ((unsigned long)hosts * npcpus * per_pcpu + 3) / 4;
    h->vms[0] = (struct sim_vm_spec){.name = "cpu",
                                     .count = (unsigned)(nvm / 2),
                                     .vcpus = 4,
                                     .weight = 100,
                                     .host = -1,
                                     .wl = {h->cpu_ph, 1, 0}};
    h->vms[1] = (struct sim_vm_spec){.name = "io",
                                     .count = (unsigned)(nvm - nvm / 2),
                                     .vcpus = 4,
                                     .weight = 100,
                                     .host = -1,
                                     .wl = {h->io_ph, 2, 0}};
    h->host = (struct sim_host_spec){.topo = (char *)o->topo, .count = hosts};
    h->s = (struct sim_scenario){
        .file = "sim_bench",
        .name = "hosts",
        .seed = o->seed,
        .duration_ns = o->warmup_ns + o->duration_ns,
        .policy = "rr",
        .slice_ns = o->slice_ns,
        .hosts = &h->host,
        .nhosts = 1,
        .vms = h->vms,
        .nvms = h->vms[0].count ? 2 : 1,
    };
    if (!h->vms[0].count)
        h->s.vms = &h->vms[1];
    h->nvcpus = 4 * nvm;
}

struct hrun {
    double ev_s, sim_s, events, mem;
};

static struct sim_model *hmodel(const struct hscn *h, const char *policy,
                                uint64_t seed)
{
    struct sim_model_opts mo = {
        .scn = &h->s, .ops = vcpu_policy_find(policy), .seed = seed};
    if (!mo.ops) {
        fprintf(stderr, "sim_bench: unknown policy '%s'\n", policy);
        exit(64);
    }
    char err[2048];
    struct sim_model *m;
    if (sim_model_create(&mo, &m, err, sizeof err)) {
        fprintf(stderr, "sim_bench: %s\n", err);
        exit(70);
    }
    return m;
}

static void hrun_check(struct sim_model *m, int rc)
{
    if (rc) {
        fprintf(stderr, "sim_bench: %s\n", sim_model_error(m));
        exit(70);
    }
}

/* Bytes held for a model of @h after its warm-up, beyond the queue. */
static double model_bytes(const struct hscn *h, const struct opts *o,
                          const char *policy)
{
    double before = heap_bytes();
    struct sim_model *m = hmodel(h, policy, o->seed);
    hrun_check(m, sim_model_run(m, o->warmup_ns, NULL, NULL, NULL));
    double b = heap_bytes() - before - (double)sim_model_queue_bytes(m);
    sim_model_destroy(m);
    return b;
}

/* One repetition: build, warm up (untimed), run the timed interval. */
static struct hrun hosts_once(const struct hscn *h, const struct opts *o,
                              const char *policy)
{
    double before = heap_bytes();
    struct sim_model *m = hmodel(h, policy, o->seed);
    hrun_check(m, sim_model_run(m, o->warmup_ns, NULL, NULL, NULL));
    uint64_t e0 = sim_model_events(m);
    double t0 = now_s();
    hrun_check(
        m, sim_model_run(m, o->warmup_ns + o->duration_ns, NULL, NULL, NULL));
    double wall = now_s() - t0;
    struct hrun r = {.events = (double)(sim_model_events(m) - e0)};
    r.ev_s = r.events / wall;
    r.sim_s = (double)o->duration_ns * 1e-9 / wall;
    r.mem = heap_bytes() - before - (double)sim_model_queue_bytes(m);
    sim_model_destroy(m);
    return r;
}

struct hres {
    const char *policy;
    unsigned long nvcpus;
    unsigned hosts, npcpus;
    double med, min, max, sim_s, events, total_b, marginal_b;
};

static struct hres hosts_policy(const struct opts *o, unsigned hosts,
                                unsigned npcpus, const char *policy)
{
    struct hscn h;
    hscn_init(&h, o, hosts, npcpus, o->per_pcpu);
    double ev[MAX_REPS], ss[MAX_REPS];
    struct hres res = {
        .policy = policy, .nvcpus = h.nvcpus, .hosts = hosts, .npcpus = npcpus};
    for (unsigned i = 0; i < o->reps; i++) {
        struct hrun r = hosts_once(&h, o, policy);
        ev[i] = r.ev_s;
        ss[i] = r.sim_s;
        res.events = r.events;
        res.total_b = r.mem / (double)h.nvcpus;
    }
    res.med = median(ev, o->reps);
    res.sim_s = median(ss, o->reps);
    gsl_sort(ev, 1, o->reps);
    res.min = ev[0];
    res.max = ev[o->reps - 1];
    res.marginal_b = NAN;
    if (o->marginal) {
        struct hscn h2;
        hscn_init(&h2, o, hosts, npcpus, 2 * o->per_pcpu);
        double m1 = model_bytes(&h, o, policy),
               m2 = model_bytes(&h2, o, policy);
        res.marginal_b = (m2 - m1) / (double)(h2.nvcpus - h.nvcpus);
    }
    return res;
}

static const char hosts_hdr[] =
    "model,policy,hosts,pcpus_per_host,vcpus,duration_ns,reps,events,"
    "median_ev_s,min_ev_s,max_ev_s,sim_s_per_s,total_b_per_vcpu,"
    "marginal_b_per_vcpu,ratio_vs_baseline,peak_rss_mib";

static void hres_print(const struct hres *r, double base, FILE *csv,
                       const struct opts *o, const char *model)
{
    double ratio = base > 0 ? r->med / base : NAN;
    printf("%-6s %8lu %12.0f %12.0f %12.0f %8.3f %9.0f %9.0f %7.2f\n",
           r->policy, r->nvcpus, r->events, r->med, r->min, r->sim_s,
           r->total_b, r->marginal_b, ratio);
    if (csv)
        fprintf(csv,
                "%s,%s,%u,%u,%lu,%" PRIu64 ",%u,%.0f,%.0f,%.0f,%.0f,%.4f,"
                "%.1f,%.1f,%.3f,%.1f\n",
                model, r->policy, r->hosts, r->npcpus, r->nvcpus,
                o->duration_ns, o->reps, r->events, r->med, r->min, r->max,
                r->sim_s, r->total_b, r->marginal_b, ratio, peak_rss_mib());
}

static unsigned topo_npcpus(const char *spec)
{
    vcpu_topo_t *t;
    if (vcpu_topo_load(spec, &t)) {
        fprintf(stderr, "sim_bench: cannot load topology '%s'\n", spec);
        exit(66);
    }
    unsigned n = vcpu_topo_npcpus(t);
    vcpu_topo_unref(t);
    return n;
}

static void hosts_header(void)
{
    printf("%-6s %8s %12s %12s %12s %8s %9s %9s %7s\n", "policy", "vcpus",
           "events", "median/s", "min/s", "sim s/s", "B/vCPU", "marg B",
           "vs base");
}

static int cmd_hosts(const struct opts *o)
{
    unsigned np = topo_npcpus(o->topo);
    printf("# hosts: %u x '%s' (%u pCPUs), %u vCPUs/pCPU, slice %" PRIu64
           " ns, warm-up %" PRIu64 " ns, timed %" PRIu64 " ns, %u reps\n",
           o->hosts, o->topo, np, o->per_pcpu, o->slice_ns, o->warmup_ns,
           o->duration_ns, o->reps);
    hosts_header();
    FILE *csv = open_csv(o->csv, hosts_hdr);
    double base = 0;
    if (strcmp(o->baseline, "none") != 0) {
        struct hres b = hosts_policy(o, o->hosts, np, o->baseline);
        base = b.med;
        hres_print(&b, base, csv, o, "hosts");
    }
    for (unsigned i = 0; i < o->npol; i++) {
        struct hres r = hosts_policy(o, o->hosts, np, o->pol[i]);
        hres_print(&r, base, csv, o, "hosts");
    }
    printf("# peak RSS %.1f MiB\n", peak_rss_mib());
    if (csv)
        fclose(csv);
    return 0;
}

static int cmd_scaling(const struct opts *o)
{
    unsigned np = topo_npcpus(o->topo);
    printf("# scaling: hosts of '%s' (%u pCPUs), %u vCPUs/pCPU, timed %" PRIu64
           " ns after %" PRIu64 " ns, %u reps\n",
           o->topo, np, o->per_pcpu, o->duration_ns, o->warmup_ns, o->reps);
    hosts_header();
    FILE *csv = open_csv(o->csv, hosts_hdr);
    for (unsigned s = 0; s < o->nsizes; s++) {
        unsigned long per_host = (unsigned long)np * o->per_pcpu;
        unsigned hosts = (unsigned)((o->sizes[s] + per_host / 2) / per_host);
        for (unsigned i = 0; i < o->npol; i++) {
            struct hres r = hosts_policy(o, hosts ? hosts : 1, np, o->pol[i]);
            hres_print(&r, 0, csv, o, "scaling");
            fflush(stdout);
        }
    }
    if (csv)
        fclose(csv);
    return 0;
}

/* ---- options ----------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: sim_bench phold [--lps N] [--end UNITS] [--remote P] "
            "[--unit-ns NS]\n"
            "                       [--reps N] [--seed S] [--csv FILE]\n"
            "       sim_bench hosts [--hosts N] [--topo SPEC] [--per-pcpu K] "
            "[--policy A,B]\n"
            "                       [--baseline NAME|none] [--duration D] "
            "[--warmup D]\n"
            "                       [--slice D] [--reps N] [--no-marginal] "
            "[--csv FILE]\n"
            "       sim_bench scaling [--vcpus A,B,...] [hosts options]\n"
            "  D: a duration as in scenarios (1s, 200ms, 10min)\n");
    exit(64);
}

static uint64_t dur(const char *s)
{
    uint64_t ns;
    if (sim_parse_duration(s, &ns) || !ns) {
        fprintf(stderr, "sim_bench: bad duration '%s'\n", s);
        exit(64);
    }
    return ns;
}

static unsigned split(char *s, const char **out, unsigned max)
{
    unsigned n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, ",", &save); t && n < max;
         t = strtok_r(NULL, ",", &save))
        out[n++] = t;
    return n;
}

static void set_sizes(struct opts *o, char *arg)
{
    const char *t[MAX_SIZES];
    o->nsizes = split(arg, t, MAX_SIZES);
    for (unsigned i = 0; i < o->nsizes; i++)
        o->sizes[i] = strtoul(t[i], NULL, 0);
}

static void parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"lps", 1, NULL, 'l'},      {"end", 1, NULL, 'e'},
        {"remote", 1, NULL, 'R'},   {"unit-ns", 1, NULL, 'u'},
        {"hosts", 1, NULL, 'H'},    {"topo", 1, NULL, 't'},
        {"per-pcpu", 1, NULL, 'k'}, {"policy", 1, NULL, 'p'},
        {"baseline", 1, NULL, 'b'}, {"duration", 1, NULL, 'd'},
        {"warmup", 1, NULL, 'w'},   {"slice", 1, NULL, 's'},
        {"vcpus", 1, NULL, 'v'},    {"no-marginal", 0, NULL, 'M'},
        {"reps", 1, NULL, 'r'},     {"seed", 1, NULL, 'S'},
        {"csv", 1, NULL, 'c'},      {0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'l':
            o->lps = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 'e':
            o->end_units = strtod(optarg, NULL);
            break;
        case 'R':
            o->remote = strtod(optarg, NULL);
            break;
        case 'u':
            o->unit_ns = strtoull(optarg, NULL, 0);
            break;
        case 'H':
            o->hosts = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 't':
            o->topo = optarg;
            break;
        case 'k':
            o->per_pcpu = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 'p':
            o->npol = split(optarg, o->pol, MAX_POL);
            break;
        case 'b':
            o->baseline = optarg;
            break;
        case 'd':
            o->duration_ns = dur(optarg);
            break;
        case 'w':
            o->warmup_ns = dur(optarg);
            break;
        case 's':
            o->slice_ns = dur(optarg);
            break;
        case 'v':
            set_sizes(o, optarg);
            break;
        case 'M':
            o->marginal = false;
            break;
        case 'r':
            o->reps = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 'S':
            o->seed = strtoull(optarg, NULL, 0);
            break;
        case 'c':
            o->csv = optarg;
            break;
        default:
            usage();
        }
    }
    if (!o->reps || o->reps > MAX_REPS || !o->lps || !o->hosts ||
        !o->per_pcpu || !o->unit_ns || !o->npol)
        usage();
}

int main(int argc, char **argv)
{
    static char pols[] = "rr", sizes[] = "10000,30000,100000,300000,1000000";
    struct opts o = {.lps = 1024,
                     .end_units = 20000,
                     .remote = 0.25,
                     .unit_ns = 1000,
                     .hosts = 1000,
                     .per_pcpu = 4,
                     .topo = "pack:2 l3:2 core:8 pu:1",
                     .baseline = "fifo",
                     .duration_ns = 1000000000ull,
                     .warmup_ns = 100000000ull,
                     .slice_ns = 1000000ull,
                     .marginal = true,
                     .reps = 5,
                     .seed = 1};
    o.npol = split(pols, o.pol, MAX_POL);
    set_sizes(&o, sizes);
    if (argc < 2)
        usage();
    const char *cmd = argv[1];
    parse(argc - 1, argv + 1, &o);
    printf("#");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    if (!strcmp(cmd, "phold"))
        return cmd_phold(&o);
    if (!strcmp(cmd, "hosts"))
        return cmd_hosts(&o);
    if (!strcmp(cmd, "scaling"))
        return cmd_scaling(&o);
    usage();
}
