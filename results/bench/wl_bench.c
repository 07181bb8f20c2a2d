// SPDX-License-Identifier: GPL-3.0-or-later
/* Workload readers: parse throughput per format on one core, and memory
 * that does not grow with the trace.
 *
 * Each format's sample from the shared data folder is repeated into a
 * temporary folder until it is about --mb MB ("1x"), and ten times that
 * ("10x"); each repetition moves the times on (and renames Alibaba's
 * machines, whose times are per machine) so that the file stays valid and
 * in order: Azure readings and libvcpu traces go on for the same VMs.
 * Throughput: wl_open and wl_next over the 10x file, every VM mapped, in
 * this process; MB/s counts the uncompressed bytes per second of this
 * thread's CPU time (one core; wall-clock MB/s beside it, which other
 * load on a shared machine lowers); medians of --reps runs after one
 * untimed run (warm page cache). Memory: the peak RSS of a
 * fresh process (this program re-run with --rss) reading the 1x file, and
 * the 10x one: for a streaming reader the two are about equal.
 *
 * usage: wl_bench [--data DIR] [--tmp DIR] [--mb M] [--reps N]
 *                 [--formats a,b,...] [--csv FILE] [--keep]
 *        wl_bench --rss FILE FORMAT  (one read; prints records)
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "wl.h"

#ifndef WL_BENCH_DATA
#define WL_BENCH_DATA "../shared/data"
#endif

#define MAX_REPS 99

struct opts {
    const char *data, *tmp, *csv, *only;
    double mb;
    unsigned reps;
    bool keep;
};

/* ---- inputs -------------------------------------------------------------- */

/* Write one line of repetition @rep (shifting times by @rep x @shift in
 * the file's unit, renaming where needed) to @out. */
typedef void (*emit_fn)(FILE *out, char *line, unsigned rep, double shift);

struct bench_fmt {
    const char *name; /* also the wl format name */
    const char *src;  /* under the data folder */
    double shift;     /* per repetition, in the file's time unit */
    emit_fn emit;
    bool gz;     /* write the input gzip-compressed */
    bool folder; /* PlanetLab: copies of the day folder */
};

/* Split a copy of @line at @sep into at most 32 fields. */
static unsigned fields(char *line, char sep, char **f)
{
    unsigned n = 0;
    for (char *p = line; n < 32;) {
        f[n++] = p;
        if (!(p = strchr(p, sep)))
            break;
        *p++ = '\0';
    }
    return n;
}

static void join(FILE *out, char **f, unsigned n, const char *sep)
{
    for (unsigned i = 0; i < n; i++)
        fprintf(out, "%s%s", i ? sep : "", f[i]);
    fputc('\n', out);
}

/* The time in field @i moved on. */
static void shift_field(char **f, unsigned i, unsigned rep, double shift,
                        char *buf, size_t len)
{
    snprintf(buf, len, "%.0f", strtod(f[i], NULL) + rep * shift);
    f[i] = buf;
}

static void emit_swf(FILE *out, char *l, unsigned rep, double shift)
{
    if (l[0] == ';') {
        if (!rep)
            fprintf(out, "%s\n", l);
        return;
    }
    char *end, buf[32];
    long job = strtol(l, &end, 10);
    double submit = strtod(end, &end);
    snprintf(buf, sizeof buf, "%.0f", submit + rep * shift);
    fprintf(out, "%ld %s%s\n", job, buf, end);
}

static void emit_csv_time0(FILE *out, char *l, unsigned rep, double shift)
{
    char *f[32], buf[40];
    unsigned n = fields(l, ',', f);
    shift_field(f, 0, rep, shift, buf, sizeof buf);
    join(out, f, n, ",");
}

static void emit_vmtable(FILE *out, char *l, unsigned rep, double shift)
{
    char *f[32], a[40], b[40];
    unsigned n = fields(l, ',', f);
    shift_field(f, 3, rep, shift, a, sizeof a);
    shift_field(f, 4, rep, shift, b, sizeof b);
    join(out, f, n, ",");
}

/* Alibaba: every repetition is other machines (times are per machine). */
static void emit_alibaba(FILE *out, char *l, unsigned rep, double shift)
{
    char *f[32], id[40];
    unsigned n = fields(l, ',', f);
    (void)shift;
    snprintf(id, sizeof id, "m_%lu",
             strtoul(f[0] + 2, NULL, 10) + 100000ul * rep);
    f[0] = id;
    join(out, f, n, ",");
}

static void emit_bitbrains(FILE *out, char *l, unsigned rep, double shift)
{
    if (!strncmp(l, "Timestamp", 9)) {
        if (!rep)
            fprintf(out, "%s\n", l);
        return;
    }
    char *f[32], buf[40];
    unsigned n = fields(l, ';', f);
    shift_field(f, 0, rep, shift, buf, sizeof buf);
    join(out, f, n, ";");
}

/* libvcpu traces: the same VMs go on running. */
static void emit_vtrace(FILE *out, char *l, unsigned rep, double shift)
{
    if (!strncmp(l, "time_ns", 7)) {
        if (!rep)
            fprintf(out, "%s\n", l);
        return;
    }
    emit_csv_time0(out, l, rep, shift);
}

static const struct bench_fmt fmts[] = {
    {"swf", "swf/KTH-SP2-1996-2.1-cln.swf", 3e7, emit_swf, false, false},
    {"swf.gz", "swf/NASA-iPSC-1993-3.1-cln.swf.gz", 8e6, emit_swf, true, false},
    {"azure-vmtable", "azure/v1-2017/vmtable.first10.csv", 0, emit_vmtable,
     false, false},
    {"azure-cpu", "azure/v1-2017/vm_cpu_readings-file-1-of-125.first100.csv",
     300, emit_csv_time0, false, false},
    {"google-task",
     "google/2011/task_events-part-00000-of-00500.first20000.csv", 7.2e9,
     emit_csv_time0, false, false},
    {"google-job", "google/2011/job_events-part-00000-of-00500.csv", 1.08e10,
     emit_csv_time0, false, false},
    {"alibaba-meta", "alibaba/v2018/machine_meta.csv", 0, emit_alibaba, false,
     false},
    {"alibaba-usage", "alibaba/v2018/machine_usage.m_1932-m_1939.csv", 0,
     emit_alibaba, false, false},
    {"bitbrains", "bitbrains/fastStorage/opendc-sample-vm.csv", 2.6e6,
     emit_bitbrains, false, false},
    {"planetlab", "planetlab/20110303", 0, NULL, false, true},
    {"vcpu-trace", NULL, 2e6, emit_vtrace, false, false},
};
#define NFMTS (sizeof fmts / sizeof fmts[0])

/* A writer for plain or gzip output. */
struct sink {
    FILE *f;
    gzFile g;
    char *buf;
    size_t len;
};

static void sink_line(struct sink *k, const struct bench_fmt *bf, char *line,
                      unsigned rep)
{
    if (!k->g) {
        bf->emit(k->f, line, rep, bf->shift);
        return;
    }
    FILE *m = open_memstream(&k->buf, &k->len);
    bf->emit(m, line, rep, bf->shift);
    fclose(m);
    gzwrite(k->g, k->buf, (unsigned)k->len);
    free(k->buf);
}

/* The non-empty lines of @src. */
struct lines {
    char **v;
    size_t n;
};

static int load_lines(const char *src, struct lines *ls)
{
    char line[65536];
    gzFile in = gzopen(src, "rb");
    size_t cap = 0;
    if (!in)
        return -1;
    while (gzgets(in, line, sizeof line)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        if (ls->n == cap) {
            cap = cap ? 2 * cap : 1024;
            ls->v = realloc(ls->v, cap * sizeof *ls->v);
        }
        if (!ls->v || !(ls->v[ls->n++] = strdup(line)))
            return -1;
    }
    gzclose(in);
    return 0;
}

static void free_lines(struct lines *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        free(ls->v[i]);
    free(ls->v);
}

/* @reps repetitions of @src into @dst. */
static int repeat_file(const struct bench_fmt *bf, const char *src,
                       const char *dst, unsigned reps)
{
    struct sink k = {0};
    struct lines ls = {0};
    if (load_lines(src, &ls))
        return -1;
    if (bf->gz)
        k.g = gzopen(dst, "wb1");
    else
        k.f = fopen(dst, "w");
    if (!k.f && !k.g) {
        free_lines(&ls);
        return -1;
    }
    char line[65536];
    for (unsigned r = 0; r < reps; r++)
        for (size_t i = 0; i < ls.n; i++) {
            snprintf(line, sizeof line, "%s", ls.v[i]);
            sink_line(&k, bf, line, r);
        }
    if (k.g)
        gzclose(k.g);
    else
        fclose(k.f);
    free_lines(&ls);
    return 0;
}

/* PlanetLab: @reps day folders, each a copy of @src under a date. */
static int repeat_days(const char *src, const char *dst, unsigned reps)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dst);
    if (system(cmd))
        return -1;
    for (unsigned r = 0; r < reps; r++) {
        struct tm tm = {
            .tm_year = 111, .tm_mon = 2, .tm_mday = 3 + (int)r, .tm_hour = 12};
        mktime(&tm);
        char day[16];
        strftime(day, sizeof day, "%Y%m%d", &tm);
        snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/%s'", src, dst, day);
        if (system(cmd))
            return -1;
    }
    return 0;
}

static double file_mb(const char *path)
{
    struct stat st;
    return stat(path, &st) ? 0 : (double)st.st_size / 1e6;
}

/* Uncompressed bytes of one repetition (via one read of the source). */
static double source_mb(const char *src)
{
    wl_source_t *s;
    char err[512];
    struct wl_vm vm;
    if (wl_open(src, NULL, &s, err, sizeof err))
        return 0;
    while (wl_next(s, &vm) == 1)
        ;
    double mb = (double)wl_stats(s)->bytes / 1e6;
    wl_close(s);
    return mb;
}

static int make_input(const struct opts *o, const struct bench_fmt *bf,
                      const char *src, unsigned reps, char *path, size_t len,
                      const char *tag)
{
    snprintf(path, len, "%s/%s.%s%s", o->tmp, bf->name, tag,
             bf->folder ? ""
             : bf->gz   ? ".swf.gz"
                        : ".csv");
    if (bf->folder)
        return repeat_days(src, path, reps);
    return repeat_file(bf, src, path, reps);
}

/* ---- measuring ------------------------------------------------------------- */

static double clock_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct read_result {
    double cpu_s, wall_s, bytes, records, vms, errors;
};

static int read_all(const char *path, const char *fmt, struct read_result *r)
{
    struct wl_opts o = {.abi = WL_ABI, .format = wl_format_parse(fmt)};
    wl_source_t *s;
    char err[512];
    struct wl_vm vm;
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
    if (wl_open(path, &o, &s, err, sizeof err)) {
        fprintf(stderr, "wl_bench: %s\n", err);
        return -1;
    }
    double sum = 0;
    while (wl_next(s, &vm) == 1)
        sum += vm.nphases;
    r->cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    r->wall_s = clock_s(CLOCK_MONOTONIC) - w0;
    const struct wl_stats *st = wl_stats(s);
    r->bytes = (double)st->bytes;
    r->records = (double)st->records;
    r->vms = (double)st->vms;
    r->errors = (double)st->errors;
    wl_close(s);
    return sum < 0 ? -1 : 0;
}

/* Peak RSS (KiB) of a fresh process reading @path. The child reports its
 * own VmHWM: getrusage and wait4 would also count the memory of this
 * process, which the child shares until it execs. */
static long rss_of(const char *path, const char *fmt)
{
    char exe[4096], cmd[9000];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    snprintf(cmd, sizeof cmd, "'%s' --rss '%s' '%s'", exe, path, fmt);
    FILE *p = popen(cmd, "r");
    long kib = -1;
    if (!p)
        return -1;
    if (fscanf(p, "%ld", &kib) != 1)
        kib = -1;
    return pclose(p) ? -1 : kib;
}

static double median(double *v, unsigned n)
{
    gsl_sort(v, 1, n);
    return gsl_stats_median_from_sorted_data(v, 1, n);
}

static const char *wl_name(const struct bench_fmt *bf)
{
    return strcmp(bf->name, "swf.gz") ? bf->name : "swf";
}

static int bench_one(const struct opts *o, const struct bench_fmt *bf,
                     FILE *csv)
{
    char src[4096], one[4096], ten[4096];
    if (bf->src)
        snprintf(src, sizeof src, "%s/%s", o->data, bf->src);
    else
        snprintf(src, sizeof src, "%s", VCPU_WL_SAMPLES "/trace.csv");
    double mb = source_mb(src);
    if (!(mb > 0)) {
        fprintf(stderr, "wl_bench: %s: cannot read %s\n", bf->name, src);
        return -1;
    }
    /* A day of PlanetLab is 1052 files: 2 and 20 days are enough. */
    unsigned reps = bf->folder ? 2 : (unsigned)ceil(o->mb / mb);
    if (make_input(o, bf, src, reps, one, sizeof one, "1x") ||
        make_input(o, bf, src, 10 * reps, ten, sizeof ten, "10x")) {
        fprintf(stderr, "wl_bench: %s: cannot write inputs in %s\n", bf->name,
                o->tmp);
        return -1;
    }
    struct read_result r;
    double mbs[MAX_REPS], wall[MAX_REPS], recs[MAX_REPS];
    if (read_all(ten, wl_name(bf), &r)) /* warm-up */
        return -1;
    for (unsigned i = 0; i < o->reps; i++) {
        if (read_all(ten, wl_name(bf), &r))
            return -1;
        mbs[i] = r.bytes / 1e6 / r.cpu_s;
        wall[i] = r.bytes / 1e6 / r.wall_s;
        recs[i] = r.records / r.cpu_s;
    }
    long rss1 = rss_of(one, wl_name(bf)), rss10 = rss_of(ten, wl_name(bf));
    double mmbs = median(mbs, o->reps), mrec = median(recs, o->reps);
    double mwall = median(wall, o->reps);
    printf("%-14s %6.1f MB %9.0f rec %7.1f MB/s (wall %6.1f) %6.3gM rec/s  "
           "RSS 1x %6ld KiB 10x %6ld KiB  (%.0f VMs, %.0f problems)\n",
           bf->name, r.bytes / 1e6, r.records, mmbs, mwall, mrec / 1e6, rss1,
           rss10, r.vms, r.errors);
    if (csv)
        fprintf(csv, "%s,%.1f,%.1f,%.0f,%u,%.1f,%.1f,%.0f,%ld,%ld,%.0f,%.0f\n",
                bf->name, r.bytes / 1e6, file_mb(ten), r.records, o->reps, mmbs,
                mwall, mrec, rss1, rss10, r.vms, r.errors);
    return 0;
}

/* ---- command line ------------------------------------------------------------ */

/* Read @path, then print this process's peak RSS (KiB). */
static int rss_child(const char *path, const char *fmt)
{
    struct read_result r;
    char line[256];
    long kib = -1;
    if (read_all(path, fmt, &r))
        return 1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    printf("%ld\n", kib);
    return kib < 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"data", required_argument, NULL, 'd'},
        {"tmp", required_argument, NULL, 't'},
        {"mb", required_argument, NULL, 'm'},
        {"reps", required_argument, NULL, 'r'},
        {"formats", required_argument, NULL, 'f'},
        {"csv", required_argument, NULL, 'c'},
        {"keep", no_argument, NULL, 'k'},
        {0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->data = optarg;
            break;
        case 't':
            o->tmp = optarg;
            break;
        case 'm':
            o->mb = atof(optarg);
            break;
        case 'r':
            o->reps = (unsigned)atoi(optarg);
            break;
        case 'f':
            o->only = optarg;
            break;
        case 'c':
            o->csv = optarg;
            break;
        case 'k':
            o->keep = true;
            break;
        default:
            fprintf(stderr, "usage: wl_bench [--data DIR] [--tmp DIR] [--mb M] "
                            "[--reps N] [--formats a,b] [--csv FILE] "
                            "[--keep]\n");
            return -1;
        }
    }
    if (o->reps < 1 || o->reps > MAX_REPS || !(o->mb > 0)) {
        fprintf(stderr, "wl_bench: --reps 1..%d, --mb > 0\n", MAX_REPS);
        return -1;
    }
    return 0;
}

static bool wanted(const struct opts *o, const char *name)
{
    if (!o->only)
        return true;
    size_t n = strlen(name);
    for (const char *p = o->only; (p = strstr(p, name)); p++)
        if ((p == o->only || p[-1] == ',') && (p[n] == ',' || !p[n]))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--rss"))
        return rss_child(argv[2], argv[3]);
    struct opts o = {.data = WL_BENCH_DATA, .mb = 20, .reps = 5};
    if (parse(argc, argv, &o))
        return 64;
    char tmp[] = "/tmp/wl_bench.XXXXXX";
    bool made = !o.tmp; /* only a folder made here is removed */
    if (made && !(o.tmp = mkdtemp(tmp))) {
        perror("wl_bench: mkdtemp");
        return 1;
    }
    FILE *csv = o.csv ? fopen(o.csv, "w") : NULL;
    if (csv)
        fprintf(csv, "format,mb,file_mb,records,reps,mb_per_cpu_s,"
                     "mb_per_wall_s,records_per_cpu_s,rss_1x_kib,rss_10x_kib,"
                     "vms,problems\n");
    printf("inputs in %s: 1x about %.0f MB, 10x ten times that; medians of "
           "%u runs\n",
           o.tmp, o.mb, o.reps);
    int rc = 0;
    for (unsigned i = 0; i < NFMTS && !rc; i++)
        if (wanted(&o, fmts[i].name))
            rc = bench_one(&o, &fmts[i], csv);
    if (csv)
        fclose(csv);
    if (made && !o.keep) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", o.tmp);
        if (system(cmd))
            fprintf(stderr, "wl_bench: could not remove %s\n", o.tmp);
    }
    return rc ? 1 : 0;
}
