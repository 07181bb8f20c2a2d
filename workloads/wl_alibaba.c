// SPDX-License-Identifier: GPL-3.0-or-later
/* Readers of Alibaba cluster-trace-v2018: machine usage (as VMs) and
 * machine meta (records only). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wl_internal.h"

/* Mapping to VMs. Alibaba cluster-trace-v2018: comma-separated, no header,
 * empty field = missing, times in s. machine_usage is grouped by machine, each
 * in time order: the rows of one machine become one VM of opts.vcpus (96, the
 * cpu_num of every machine in machine_meta) vCPUs arriving at its first
 * sample, computing cpu_util_percent of each interval until the next sample
 * (the last sample lasts as long as the one before). Machines start at about
 * the same time, so the reorder buffer sorts them. machine_meta describes
 * machines, not VMs: records only. */

struct alibaba {
    char machine[64]; /* machine of the pending row */
    uint64_t t, last_t;
    double util;
    bool pending, eof;
    uint64_t line;
};

static int ali_open(wl_source_t *s)
{
    if (!(s->fs = calloc(1, sizeof(struct alibaba))))
        return wl__fail(s, "%s: out of memory", s->path);
    return wl__open_file(s, s->path);
}

static void ali_close(wl_source_t *s)
{
    free(s->fs);
    s->fs = NULL;
}

static int machine_id(wl_source_t *s, const char *f)
{
    if (strncmp(f, "m_", 2) || !f[2] || strlen(f) > 60)
        return wl__bad(s, "machine_id", "'%.40s' is not m_<number>", f);
    return 0;
}

static int opt_num(wl_source_t *s, const char *f, const char *field, double min,
                   double max)
{
    double v;
    if (!f[0])
        return 0;
    int rc = wl__f_min(s, f, field, min, &v);
    if (!rc && v > max)
        rc = wl__bad(s, field, "%s is out of range (at most %g)", f, max);
    return rc;
}

/* Time @t of machine @m: in order within one machine. */
static int machine_time(wl_source_t *s, struct alibaba *a, const char *m,
                        uint64_t t)
{
    if (strcmp(m, a->machine)) {
        memcpy(a->machine, m, strlen(m) + 1); /* machine_id: <= 60 bytes */
        a->last_t = t;
        return 0;
    }
    return wl__f_mono(s, &a->last_t, t, "time_stamp");
}

/* ---- machine_usage ------------------------------------------------------ */

/* Parse a row into the pending one (machine, t, util). */
static int usage_row(wl_source_t *s, struct alibaba *a, char *l, char *m,
                     size_t mlen)
{
    char *f[10];
    double cpu, x;
    int rc = wl__f_count(s, wl__split(l, ',', f, 9), 9);
    if (rc || (rc = machine_id(s, f[0])) ||
        (rc = wl__f_time(s, f[1], "time_stamp", 1e9, &a->t)) ||
        (rc = wl__f_min(s, f[2], "cpu_util_percent", 0, &cpu)) ||
        (rc = opt_num(s, f[3], "mem_util_percent", 0, 100)) ||
        (rc = opt_num(s, f[4], "mem_gps", 0, 1e15)) ||
        (rc = opt_num(s, f[5], "mkpi", 0, 1e15)) ||
        (rc = opt_num(s, f[6], "net_in", 0, 1e15)) ||
        (rc = opt_num(s, f[7], "net_out", 0, 1e15)) ||
        (rc = opt_num(s, f[8], "disk_io_percent", -1, 101)))
        return rc;
    if (cpu > 100)
        return wl__bad(s, "cpu_util_percent", "%s is more than 100", f[2]);
    (void)x;
    (void)mlen;
    memcpy(m, f[0], strlen(f[0]) + 1); /* machine_id checked: <= 60 bytes */
    a->util = cpu / 100;
    return 0;
}

/* Read until the next good row: 1 (pending set), 0 at the end, -1. */
static int read_row(wl_source_t *s, struct alibaba *a)
{
    char *l, m[64];
    size_t len;
    int rc;
    while ((rc = wl__line(s, &l, &len)) == 1) {
        if (!len)
            continue;
        rc = usage_row(s, a, l, m, sizeof m);
        if (rc < 0)
            return -1;
        if (rc == 0 && (rc = machine_time(s, a, m, a->t)) < 0)
            return -1;
        if (rc == 0) {
            wl__saw(s, a->t);
            a->line = s->in.lineno;
            return 1;
        }
    }
    return rc;
}

static int add(struct wl_series *ser, uint64_t from, uint64_t to, double u,
               double *dt)
{
    if (to > from)
        *dt = (double)(to - from);
    return to > from ? wl__series_push(ser, *dt, u) : 0;
}

/* The rows of the pending row's machine as one VM. */
static int machine_vm(wl_source_t *s, struct alibaba *a, struct wl_vmb *b)
{
    struct wl_series ser = {0};
    double dt = 10e9;
    char m[64];
    snprintf(m, sizeof m, "%s", a->machine);
    snprintf(b->label, sizeof b->label, "%s", m);
    b->id = strtoull(m + 2, NULL, 10);
    b->trace_ns = a->t;
    b->line = a->line;
    wl__vmb_vcpus(s, b, s->o.vcpus ? s->o.vcpus : 96);
    uint64_t t = a->t;
    double u = a->util;
    int rc;
    while ((rc = read_row(s, a)) == 1 && !strcmp(a->machine, m)) {
        if (add(&ser, t, a->t, u, &dt))
            goto nomem;
        t = a->t;
        u = a->util;
    }
    a->pending = rc == 1;
    if (rc < 0 || wl__series_push(&ser, dt, u) || wl__vmb_series(s, b, &ser))
        goto nomem;
    wl__series_free(&ser);
    return 1;
nomem:
    wl__series_free(&ser);
    return s->state < 0 ? -1 : wl__fail(s, "%s: out of memory", s->path);
}

static int usage_next(wl_source_t *s, struct wl_vmb *b)
{
    struct alibaba *a = s->fs;
    if (!a->pending) {
        int rc = read_row(s, a);
        if (rc <= 0)
            return rc;
    }
    return machine_vm(s, a, b);
}

const struct wl_reader wl__alibaba_usage = {
    .fmt = WL_FMT_ALIBABA_USAGE,
    .name = "alibaba-usage",
    .has_vms = true,
    .open = ali_open,
    .next = usage_next,
    .close = ali_close,
};

/* ---- machine_meta ------------------------------------------------------- */

static int meta_row(wl_source_t *s, struct alibaba *a, char *l)
{
    char *f[8];
    double x;
    uint64_t t;
    int rc = wl__f_count(s, wl__split(l, ',', f, 7), 7);
    if (rc || (rc = machine_id(s, f[0])) ||
        (rc = wl__f_time(s, f[1], "time_stamp", 1e9, &t)) ||
        (rc = wl__f_int(s, f[2], "failure_domain_1", 0, 9e15, &x)) ||
        (rc = wl__f_int(s, f[4], "cpu_num", 1, 1e6, &x)) ||
        (rc = wl__f_min(s, f[5], "mem_size", 0, &x)))
        return rc;
    if (!f[6][0])
        return wl__bad(s, "status", "empty");
    if ((rc = machine_time(s, a, f[0], t)))
        return rc;
    wl__saw(s, t);
    return 0;
}

static int meta_next(wl_source_t *s, struct wl_vmb *b)
{
    struct alibaba *a = s->fs;
    char *l;
    size_t len;
    int rc;
    (void)b;
    while ((rc = wl__line(s, &l, &len)) == 1)
        if (len && meta_row(s, a, l) < 0)
            return -1;
    return rc;
}

const struct wl_reader wl__alibaba_meta = {
    .fmt = WL_FMT_ALIBABA_META,
    .name = "alibaba-meta",
    .open = ali_open,
    .next = meta_next,
    .close = ali_close,
};
