// SPDX-License-Identifier: GPL-3.0-or-later
/* Reader of the Standard Workload Format (Parallel Workloads Archive),
 * plain or gzip, header kept as metadata. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wl_internal.h"

/* Mapping to VMs. Standard Workload Format (Parallel Workloads Archive), plain
 * or gzip. Mapping: a job of p processors (allocated, else requested) becomes
 * a VM of p vCPUs arriving at its submit time and computing for its run time;
 * with opts.burst_ns and a known CPU time (field 6), it computes that share of
 * each burst and idles the rest. Memory: used (else requested) KB per
 * processor x p. Group: the SWF group ID. -1 means unknown; a job with an
 * unknown submit or run time or processor count makes no VM (counted as
 * unusable). Each record of a checkpointed job is its own VM. */

enum {
    F_JOB,
    F_SUBMIT,
    F_WAIT,
    F_RUN,
    F_PROCS,
    F_CPU,
    F_MEM,
    F_REQ_PROCS,
    F_REQ_TIME,
    F_REQ_MEM,
    F_STATUS,
    F_USER,
    F_GROUP,
    F_APP,
    F_QUEUE,
    F_PART,
    F_PREV,
    F_THINK,
    NFIELDS
};

static const char *const names[NFIELDS] = {"job number",
                                           "submit time",
                                           "wait time",
                                           "run time",
                                           "allocated processors",
                                           "average CPU time",
                                           "used memory",
                                           "requested processors",
                                           "requested time",
                                           "requested memory",
                                           "status",
                                           "user ID",
                                           "group ID",
                                           "executable number",
                                           "queue number",
                                           "partition number",
                                           "preceding job number",
                                           "think time"};

struct swf {
    uint64_t last_submit;
    bool cont;     /* the previous header line had a label */
    char *pending; /* the first data line, read with the header */
};

static void swf_close(wl_source_t *s)
{
    struct swf *st = s->fs;
    if (st)
        free(st->pending);
    free(st);
    s->fs = NULL;
}

/* "; Label: value", an indented continuation, or free text. */
static int header(wl_source_t *s, struct swf *st, const char *l)
{
    const char *t = l + 1;
    bool indented = t[0] == ' ' && t[1] == ' ';
    while (*t == ' ' || *t == '\t')
        t++;
    if (!*t) {
        st->cont = false;
        return 0;
    }
    if (st->cont && indented)
        return wl__meta_append(s, t);
    const char *p = t;
    while (isalnum((unsigned char)*p))
        p++;
    if (p > t && isalpha((unsigned char)*t) && *p == ':') {
        char label[64];
        snprintf(label, sizeof label, "%.*s", (int)(p - t), t);
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        char *v = strdup(p), *e = v ? v + strlen(v) : NULL;
        while (e && e > v && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        int rc = v ? wl__meta_add(s, label, v) : -1;
        free(v);
        st->cont = true;
        return rc;
    }
    st->cont = false;
    return wl__meta_add(s, "Text", t);
}

/* The header, so that wl_meta works right after wl_open. */
static int swf_open(wl_source_t *s)
{
    struct swf *st = calloc(1, sizeof *st);
    if (!(s->fs = st))
        return wl__fail(s, "%s: out of memory", s->path);
    if (wl__open_file(s, s->path))
        return -1;
    char *l;
    size_t len;
    int rc;
    while ((rc = wl__line(s, &l, &len)) == 1) {
        if (l[0] == ';') {
            if (header(s, st, l))
                return wl__fail(s, "%s: out of memory", s->path);
            continue;
        }
        if (!l[strspn(l, " \t")])
            continue;
        if (!(st->pending = strdup(l)))
            return wl__fail(s, "%s: out of memory", s->path);
        break;
    }
    return rc < 0 ? -1 : 0;
}

static int fields(wl_source_t *s, char *l, double *v)
{
    char *f[NFIELDS + 1];
    unsigned n = wl__split_ws(l, f, NFIELDS);
    int rc = wl__f_count(s, n, NFIELDS);
    for (unsigned i = 0; !rc && i < NFIELDS; i++) {
        rc = wl__f_num(s, f[i], names[i], &v[i]);
        if (!rc && v[i] < 0 && v[i] != -1)
            rc = wl__bad(s, names[i], "negative (%s; only -1 means unknown)",
                         f[i]);
    }
    return rc;
}

static int procs(wl_source_t *s, const double *v, double *p)
{
    *p = v[F_PROCS] > 0 ? v[F_PROCS] : v[F_REQ_PROCS];
    int field = v[F_PROCS] > 0 ? F_PROCS : F_REQ_PROCS;
    if (*p > 0 && *p != floor(*p))
        return wl__bad(s, names[field], "'%g' is not a whole number", *p);
    return 0;
}

/* 0: a VM in @b; 1: skipped (reported); 2: unusable; -1 fatal. */
static int record(wl_source_t *s, struct swf *st, char *l, struct wl_vmb *b)
{
    double v[NFIELDS], p;
    uint64_t submit, run;
    int rc = fields(s, l, v);
    if (rc)
        return rc;
    if (v[F_SUBMIT] < 0) {
        s->st.records++;
        return 2;
    }
    if ((rc = wl__to_ns(s, v[F_SUBMIT], names[F_SUBMIT], 1e9, &submit)) ||
        (rc = wl__to_ns(s, fmax(v[F_RUN], 0), names[F_RUN], 1e9, &run)) ||
        (rc = wl__f_mono(s, &st->last_submit, submit, names[F_SUBMIT])) ||
        (rc = procs(s, v, &p)))
        return rc;
    wl__saw(s, submit);
    if (v[F_RUN] < 0 || !(p > 0))
        return 2;
    wl__vmb_vcpus(s, b, p);
    b->id =
        v[F_JOB] >= 0 && v[F_JOB] < 1e18 ? (uint64_t)v[F_JOB] : s->in.lineno;
    b->trace_ns = submit;
    b->line = s->in.lineno;
    b->group = v[F_GROUP] > 0 ? (uint64_t)fmin(v[F_GROUP], 1e18) : 0;
    double mem = v[F_MEM] >= 0 ? v[F_MEM] : v[F_REQ_MEM];
    b->memory_mb = mem > 0 ? (uint64_t)fmin(mem * p / 1024, 1e15) : 0;
    double u = 1;
    if (s->o.burst_ns && v[F_CPU] >= 0 && v[F_RUN] > 0)
        u = v[F_CPU] / v[F_RUN];
    return wl__vmb_steady(s, b, u, (double)run, 0) ? -1 : 0;
}

static int swf_next(wl_source_t *s, struct wl_vmb *b)
{
    struct swf *st = s->fs;
    char *l;
    size_t len;
    int rc;
    if (st->pending) {
        rc = record(s, st, st->pending, b);
        free(st->pending);
        st->pending = NULL;
        if (rc <= 0)
            return rc < 0 ? -1 : 1;
        s->st.unusable += rc == 2;
        wl__vmb_reset(b);
    }
    while ((rc = wl__line(s, &l, &len)) == 1) {
        if (l[0] == ';') {
            if (header(s, st, l))
                return wl__fail(s, "%s: out of memory", s->path);
            continue;
        }
        if (!l[strspn(l, " \t")])
            continue;
        rc = record(s, st, l, b);
        if (rc <= 0)
            return rc < 0 ? -1 : 1;
        s->st.unusable += rc == 2;
        wl__vmb_reset(b);
    }
    return rc;
}

const struct wl_reader wl__swf = {
    .fmt = WL_FMT_SWF,
    .name = "swf",
    .has_vms = true,
    .sorted = true,
    .open = swf_open,
    .next = swf_next,
    .close = swf_close,
};
