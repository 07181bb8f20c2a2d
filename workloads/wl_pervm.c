// SPDX-License-Identifier: GPL-3.0-or-later
/* Readers of traces with one file per VM, from a file or a folder:
 * Bitbrains GWA-T-12 and PlanetLab. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wl_internal.h"

/* Mapping to VMs. Traces with one file per VM, read from a file or a folder of
 * them.
 * Bitbrains GWA-T-12: ';'+tab separated, a header line, timestamps in UNIX
 * seconds (not ms, despite the header). A file becomes a VM of its "CPU cores"
 * vCPUs and provisioned memory, arriving at its first sample, computing "CPU
 * usage [%]" of each interval until the next sample (the last one lasts as
 * long as the one before). Trace time 0 is the earliest first sample of the
 * source's files; files are read in that order.
 * PlanetLab (CoMon, as shipped with CloudSim): 288 integer percentages, one
 * per 5 minutes of a day; a file becomes a VM of opts.vcpus (1) vCPUs arriving
 * at 00:00 of its day (a YYYYMMDD folder name; days count from the first
 * folder), computing that share of each 5-minute slot. */

#define SLOT_NS (300 * 1e9)
#define DAY_NS (86400 * 1e9)

struct pervm {
    unsigned next;    /* next file */
    uint64_t *start;  /* Bitbrains: first sample of each file */
    uint64_t t0;      /* Bitbrains: earliest first sample */
    long first_day;   /* PlanetLab: day number of the first folder */
    const char *root; /* the path given */
};

/* ---- files -------------------------------------------------------------- */

static int list(wl_source_t *s)
{
    struct stat st;
    if (stat(s->path, &st))
        return wl__fail(s, "%s: cannot open: %m", s->path);
    if (S_ISDIR(st.st_mode))
        return wl__list_folder(s, s->path);
    if (!(s->files = malloc(sizeof *s->files)) ||
        !(s->files[0] = strdup(s->path)))
        return wl__fail(s, "%s: out of memory", s->path);
    s->nfiles = 1;
    return 0;
}

/* The file's path under the root, extension dropped, '/' as '.', other
 * characters outside [A-Za-z0-9_.-] as '_'. */
static void label_of(const struct pervm *p, const char *file, char *out,
                     size_t len)
{
    size_t rl = strlen(p->root);
    const char *rel = !strncmp(file, p->root, rl) && file[rl] == '/'
                          ? file + rl + 1
                      : strrchr(file, '/') ? strrchr(file, '/') + 1
                                           : file;
    snprintf(out, len, "%s", rel);
    char *dot = strrchr(out, '.');
    if (dot && dot != out && (!strcmp(dot, ".csv") || !strcmp(dot, ".gz")))
        *dot = '\0';
    for (char *c = out; *c; c++)
        if (*c == '/')
            *c = '.';
        else if (!strchr("_-.", *c) && !(*c >= '0' && *c <= '9') &&
                 !((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z'))
            *c = '_';
}

static int pervm_open(wl_source_t *s)
{
    struct pervm *p = calloc(1, sizeof *p);
    if (!(s->fs = p))
        return wl__fail(s, "%s: out of memory", s->path);
    p->root = s->path;
    return list(s);
}

static void pervm_close(wl_source_t *s)
{
    struct pervm *p = s->fs;
    if (p)
        free(p->start);
    free(p);
    s->fs = NULL;
}

/* ---- Bitbrains ---------------------------------------------------------- */

static const char *const bb_names[11] = {"Timestamp",
                                         "CPU cores",
                                         "CPU capacity provisioned",
                                         "CPU usage [MHZ]",
                                         "CPU usage [%]",
                                         "Memory capacity provisioned",
                                         "Memory usage",
                                         "Disk read throughput",
                                         "Disk write throughput",
                                         "Network received",
                                         "Network transmitted"};

struct bbrow {
    uint64_t t;
    double cores, util, mem_kb;
};

static int bb_row(wl_source_t *s, char *l, struct bbrow *r)
{
    char *f[12];
    double v[11];
    int rc = wl__f_count(s, wl__split(l, ';', f, 11), 11);
    for (unsigned i = 1; !rc && i < 11; i++)
        rc = wl__f_min(s, f[i], bb_names[i], 0, &v[i]);
    if (rc || (rc = wl__f_time(s, f[0], bb_names[0], 1e9, &r->t)))
        return rc;
    if (v[1] != floor(v[1]) || v[1] > 1e6)
        return wl__bad(s, bb_names[1], "'%s' is not a vCPU count", f[1]);
    r->cores = v[1];
    r->util = v[4] / 100;
    r->mem_kb = v[5];
    return 0;
}

static bool is_header(const char *l)
{
    return !strncmp(l, "Timestamp", 9);
}

/* The first sample of @file, or UINT64_MAX (reported when reading). */
static uint64_t bb_first(wl_source_t *s, const char *file)
{
    struct wl_lines r;
    uint64_t t = UINT64_MAX;
    if (wl__lines_open(&r, file))
        return t;
    char *l, *f[12];
    size_t len;
    const char *what;
    double v;
    while (wl__lines_next(&r, &l, &len, &what) == 1) {
        if (!len || is_header(l))
            continue;
        if (wl__split(l, ';', f, 11) == 11 && !wl__num(f[0], &v) && v >= 0 &&
            v < 9e9)
            t = (uint64_t)v * 1000000000ull;
        break;
    }
    wl__lines_close(&r);
    (void)s;
    return t;
}

static int by_start(const void *a, const void *b, void *arg)
{
    const uint64_t *st = arg;
    unsigned i = *(const unsigned *)a, j = *(const unsigned *)b;
    return st[i] != st[j] ? (st[i] < st[j] ? -1 : 1) : (i < j ? -1 : 1);
}

static int bb_open(wl_source_t *s)
{
    if (pervm_open(s))
        return -1;
    struct pervm *p = s->fs;
    unsigned n = s->nfiles, *ord = malloc(n * sizeof *ord);
    char **files = malloc(n * sizeof *files);
    p->start = malloc(n * sizeof *p->start);
    if (!ord || !files || !p->start) {
        free(ord);
        free(files);
        return wl__fail(s, "%s: out of memory", s->path);
    }
    p->t0 = UINT64_MAX;
    for (unsigned i = 0; i < n; i++) {
        ord[i] = i;
        p->start[i] = bb_first(s, s->files[i]);
        p->t0 = p->start[i] < p->t0 ? p->start[i] : p->t0;
    }
    qsort_r(ord, n, sizeof *ord, by_start, p->start);
    for (unsigned i = 0; i < n; i++)
        files[i] = s->files[ord[i]];
    memcpy(s->files, files, n * sizeof *files);
    free(files);
    free(ord);
    if (p->t0 == UINT64_MAX)
        p->t0 = 0;
    return 0;
}

/* Rows of the open file into @ser; the first one fills @first. */
static int bb_rows(wl_source_t *s, uint64_t t0, struct wl_series *ser,
                   struct bbrow *first, bool *any)
{
    struct bbrow r, prev = {0};
    uint64_t last = 0;
    double dt = SLOT_NS;
    char *l;
    size_t len;
    int rc;
    while ((rc = wl__line(s, &l, &len)) == 1) {
        if (!len || (s->in.lineno == 1 && is_header(l)))
            continue;
        if ((rc = bb_row(s, l, &r)) ||
            (rc = wl__f_mono(s, &last, r.t, bb_names[0]))) {
            if (rc < 0)
                return -1;
            continue;
        }
        wl__saw(s, r.t >= t0 ? r.t - t0 : 0);
        if (!*any)
            *first = r;
        else if (r.t > prev.t &&
                 wl__series_push(ser, dt = (double)(r.t - prev.t), prev.util))
            return -2;
        prev = r;
        *any = true;
    }
    if (rc < 0)
        return -1;
    return *any && wl__series_push(ser, dt, prev.util) ? -2 : 0;
}

static int bb_file(wl_source_t *s, struct pervm *p, struct wl_vmb *b)
{
    const char *file = s->files[p->next++];
    struct wl_series ser = {0};
    struct bbrow first = {0};
    bool any = false;
    if (wl__open_file(s, file))
        return -1;
    int rc = bb_rows(s, p->t0, &ser, &first, &any);
    if (!rc && !any)
        rc = wl__bad_at(s, 0, "records", "none (an empty file?)") < 0 ? -1 : 0;
    if (!rc && any) {
        if (strcmp(file, p->root)) /* a file of a folder: its path */
            label_of(p, file, b->label, sizeof b->label);
        b->id = p->next - 1;
        b->trace_ns = first.t - (first.t >= p->t0 ? p->t0 : first.t);
        b->memory_mb = (uint64_t)fmin(first.mem_kb / 1024, 1e15);
        wl__vmb_vcpus(s, b, first.cores);
        rc = wl__vmb_series(s, b, &ser) ? -2 : 1;
    }
    wl__series_free(&ser);
    if (rc == -2)
        return wl__fail(s, "%s: out of memory", file);
    return rc;
}

static int bb_next(wl_source_t *s, struct wl_vmb *b)
{
    struct pervm *p = s->fs;
    while (p->next < s->nfiles) {
        int rc = bb_file(s, p, b);
        if (rc)
            return rc;
        wl__vmb_reset(b);
    }
    return 0;
}

const struct wl_reader wl__bitbrains = {
    .fmt = WL_FMT_BITBRAINS,
    .name = "bitbrains",
    .has_vms = true,
    .sorted = true,
    .folder = true,
    .open = bb_open,
    .next = bb_next,
    .close = pervm_close,
};

/* ---- PlanetLab ---------------------------------------------------------- */

/* Days since 1970-01-01 of a YYYYMMDD name, or -1. */
static long day_number(const char *name)
{
    char *end;
    long v = strtol(name, &end, 10);
    if (end - name != 8 || *end)
        return -1;
    long y = v / 10000, m = v / 100 % 100, d = v % 100;
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    y -= m <= 2; /* days from civil (H. Hinnant) */
    long era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* The day of @file from its folder's name, or -1. */
static long file_day(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash)
        return -1;
    const char *dir = slash;
    while (dir > file && dir[-1] != '/')
        dir--;
    char name[16];
    if (slash - dir >= (long)sizeof name)
        return -1;
    snprintf(name, sizeof name, "%.*s", (int)(slash - dir), dir);
    return day_number(name);
}

static int pl_open(wl_source_t *s)
{
    if (pervm_open(s))
        return -1;
    struct pervm *p = s->fs;
    p->first_day = s->nfiles ? file_day(s->files[0]) : -1;
    return 0;
}

static int pl_rows(wl_source_t *s, struct wl_series *ser, uint64_t day)
{
    char *l;
    size_t len;
    int rc;
    while ((rc = wl__line(s, &l, &len)) == 1) {
        double u;
        if (!len)
            continue;
        if ((rc = wl__f_min(s, l, "utilisation", 0, &u)) == 0 && u > 100)
            rc = wl__bad(s, "utilisation", "%s is more than 100 (percent)", l);
        if (rc < 0)
            return -1;
        if (rc)
            continue;
        wl__saw(s, day + (uint64_t)(ser->n * SLOT_NS));
        if (wl__series_push(ser, SLOT_NS, u / 100))
            return wl__fail(s, "%s: out of memory", s->file);
    }
    return rc;
}

static int pl_file(wl_source_t *s, struct pervm *p, struct wl_vmb *b)
{
    const char *file = s->files[p->next++];
    struct wl_series ser = {0};
    long d = file_day(file);
    uint64_t day = d >= 0 && p->first_day >= 0 && d >= p->first_day
                       ? (uint64_t)((d - p->first_day) * DAY_NS)
                       : 0;
    if (wl__open_file(s, file) || pl_rows(s, &ser, day) < 0) {
        wl__series_free(&ser);
        return -1;
    }
    int rc = 0;
    if (!ser.n)
        rc = wl__bad_at(s, 0, "records", "none (an empty file?)") < 0 ? -1 : 0;
    else if (ser.n != 288)
        rc = wl__bad_at(s, s->in.lineno, "readings",
                        "%zu, expected 288 (24 h at 5 min)", ser.n);
    if (rc >= 0 && ser.n) { /* a short day is still a VM */
        if (strcmp(file, p->root))
            label_of(p, file, b->label, sizeof b->label);
        b->id = p->next - 1;
        b->trace_ns = day;
        wl__vmb_vcpus(s, b, s->o.vcpus ? s->o.vcpus : 1);
        rc = wl__vmb_series(s, b, &ser) ? wl__fail(s, "out of memory") : 1;
    }
    wl__series_free(&ser);
    return rc;
}

static int pl_next(wl_source_t *s, struct wl_vmb *b)
{
    struct pervm *p = s->fs;
    while (p->next < s->nfiles) {
        int rc = pl_file(s, p, b);
        if (rc)
            return rc;
        wl__vmb_reset(b);
    }
    return 0;
}

const struct wl_reader wl__planetlab = {
    .fmt = WL_FMT_PLANETLAB,
    .name = "planetlab",
    .has_vms = true,
    .sorted = true,
    .folder = true,
    .open = pl_open,
    .next = pl_next,
    .close = pervm_close,
};
