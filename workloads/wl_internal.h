/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by the workload library's files: buffered line input through
 * zlib, field splitting and number parsing, problem reports, the VM
 * builder the readers fill, and the per-format reader table. */
#ifndef WL_INTERNAL_H
#define WL_INTERNAL_H

#include <stdarg.h>

#include <zlib.h>

#include "wl.h"

#define WL_MAX_LINE (4u << 20) /* longer lines are errors */
#define WL_NS_PER_S 1e9

/* A line reader: plain or gzip files alike (zlib reads both). */
struct wl_lines {
    gzFile gz;
    char *buf;
    size_t cap, len, pos;
    unsigned fills; /* reads so far: the buffer grows for large files */
    bool eof;
    bool skipping; /* inside a line longer than WL_MAX_LINE */
    bool failed;   /* the last read failed after returning data: @why */
    char why[128];
    uint64_t lineno;
    uint64_t bytes;
};

/* Open @path; 0, or -errno / -EIO. */
int wl__lines_open(struct wl_lines *r, const char *path);
/* Next line without its "\n" or "\r\n", NUL-terminated, writable until
 * the next call. Return 1, 0 at the end, -1 (read error: @what says why),
 * -2 (a line past WL_MAX_LINE, skipped). */
int wl__lines_next(struct wl_lines *r, char **line, size_t *len,
                   const char **what);
void wl__lines_close(struct wl_lines *r);

/* Split @line in place at @sep; at most @max fields (a count of @max + 1
 * means "more"). wl__split_ws splits at runs of blanks. */
unsigned wl__split(char *line, char sep, char **f, unsigned max);
unsigned wl__split_ws(char *line, char **f, unsigned max);

/* A decimal number (sign, digits, '.', exponent). Return 0, -1 empty,
 * -2 not a number, -3 out of range (|x| > 1e300). */
int wl__num(const char *s, double *out);

/* One reading of a utilisation series. */
struct wl_reading {
    double dt_ns; /* trace ns until the next reading */
    double util;  /* 0..1 */
};

struct wl_series {
    struct wl_reading *r;
    size_t n, cap;
};
int wl__series_push(struct wl_series *s, double dt_ns, double util);
void wl__series_free(struct wl_series *s);

/* A VM as a reader makes it, in trace time. */
struct wl_vmb {
    uint64_t id, trace_ns, lifetime_ns, memory_mb, group, line;
    unsigned vcpus;
    uint64_t loops;
    struct wl_phase *ph;
    unsigned nph, cap;
    char label[64]; /* name suffix; "" = the id */
};

/* A format: open its state, make the next VM (1), 0 at the end, -1 on a
 * fatal problem; close. */
struct wl_reader {
    enum wl_format fmt;
    const char *name;
    bool has_vms;
    bool sorted; /* VMs come in trace-time order */
    bool folder; /* accepts a folder of files */
    int (*open)(wl_source_t *s);
    int (*next)(wl_source_t *s, struct wl_vmb *b);
    void (*close)(wl_source_t *s);
};

extern const struct wl_reader wl__swf, wl__azure_vmtable, wl__azure_cpu,
    wl__google_task, wl__google_job, wl__google_machine, wl__google_usage,
    wl__alibaba_meta, wl__alibaba_usage, wl__bitbrains, wl__planetlab,
    wl__vtrace;

struct wl_meta_pair {
    char *label, *value;
};

struct wl_slot; /* a finished VM waiting in the reorder heap */
struct wl_genstate;

struct wl_source {
    struct wl_opts o;
    const struct wl_reader *rd;
    char *path;       /* as given */
    char *prefix;     /* VM names */
    const char *file; /* the file being read, for messages */
    struct wl_lines in;
    bool in_open;
    void *fs; /* the format's state */
    struct wl_stats st;
    char err[512];
    int state; /* 0 running, 1 input done, 2 ended, -1 failed */
    gsl_rng *rng;
    struct wl_slot **heap;
    unsigned nheap;
    size_t heap_bytes;
    struct wl_slot *out; /* handed out by the last wl_next */
    uint64_t seq, last_arrival;
    struct wl_meta_pair *meta;
    unsigned nmeta, capmeta;
    char **files; /* a folder's files, in reading order */
    unsigned nfiles;
    struct wl_genstate *gen;
    struct wl_vmb b;
};

/* ---- problems ---- */

/* Report a problem at line @line of the current file as
 * "file:line: field: what" (line 0: "file: field: what"). Return 1 (skip
 * and go on) or -1 (fatal: the source fails with this message). */
int wl__bad_at(wl_source_t *s, uint64_t line, const char *field,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* At the line just read. */
int wl__bad(wl_source_t *s, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A failure that no option skips (I/O, memory): the source fails. */
int wl__fail(wl_source_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- typed fields: 0 ok, 1 reported (skip the line), -1 fatal ---- */

/* Any finite number. */
int wl__f_num(wl_source_t *s, const char *f, const char *field, double *v);
/* A number >= @min (the message says "negative" for min 0). */
int wl__f_min(wl_source_t *s, const char *f, const char *field, double min,
              double *v);
/* A whole number in [min, max]. */
int wl__f_int(wl_source_t *s, const char *f, const char *field, double min,
              double max, double *v);
/* A time of @v units of @unit_ns each, >= 0, as ns (<= 2^63). */
int wl__f_time(wl_source_t *s, const char *f, const char *field, double unit_ns,
               uint64_t *ns);
/* Like the above for a value already parsed. */
int wl__to_ns(wl_source_t *s, double v, const char *field, double unit_ns,
              uint64_t *ns);
/* The field count: @n must equal @want. */
int wl__f_count(wl_source_t *s, unsigned n, unsigned want);
/* @t must not be before *@last (then *@last = @t). */
int wl__f_mono(wl_source_t *s, uint64_t *last, uint64_t t, const char *field);

/* A record at trace time @t_ns was parsed. */
void wl__saw(wl_source_t *s, uint64_t t_ns);

/* ---- input ---- */

/* Open @path as the current file (closing the previous one). */
int wl__open_file(wl_source_t *s, const char *path);
/* The next line of the current file: 1, 0 at its end, -1 fatal. Lines too
 * long are reported (and skipped, or fatal). */
int wl__line(wl_source_t *s, char **line, size_t *len);

/* ---- building a VM ---- */

void wl__vmb_reset(struct wl_vmb *b);
/* Append a constant phase of @ns (merged into the previous phase of the
 * same kind; 0 is dropped). 0 or -1 (memory). */
int wl__vmb_const(struct wl_vmb *b, unsigned kind, double ns);
int wl__vmb_phase(struct wl_vmb *b, const struct wl_phase *p);
/* The program of a utilisation series, resampled to bursts of
 * opts.burst_ns (none: a pair per reading) and coarsened to fit
 * max_phases; sets lifetime_ns and loops = 1. 0 or -1 (memory). */
int wl__vmb_series(wl_source_t *s, struct wl_vmb *b,
                   const struct wl_series *ser);
/* A program of @u utilisation for @life_ns: pairs of opts.burst_ns (or
 * @dflt_burst_ns) looped; u >= 0.999 is one compute phase. */
int wl__vmb_steady(wl_source_t *s, struct wl_vmb *b, double u, double life_ns,
                   double dflt_burst_ns);
/* Cut vCPUs to max_vcpus (counted) and make sure vcpus >= 1. */
void wl__vmb_vcpus(wl_source_t *s, struct wl_vmb *b, double vcpus);

/* ---- metadata ---- */

int wl__meta_add(wl_source_t *s, const char *label, const char *value);
int wl__meta_append(wl_source_t *s, const char *more);

/* ---- folders ---- */

/* The files of folder @path (one level, or two when it holds only
 * folders), sorted by name, into s->files. 0 or -1. */
int wl__list_folder(wl_source_t *s, const char *path);

/* ---- detection ---- */

enum wl_format wl__sniff_lines(const char *name, char **lines, unsigned n);

#endif /* WL_INTERNAL_H */
