/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Workloads for the simulator: a stream of VM arrivals, read from recorded
 * traces (SWF, Azure, Google 2011, Alibaba 2018, Bitbrains, PlanetLab, the
 * libvcpu trace CSV) or drawn from seeded generators. docs/workloads.md
 * states how each format maps to VMs. */
#ifndef WL_H
#define WL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#define WL_ABI 1

/* ------------------------------------------------------------------ */
/* Formats                                                             */
/* ------------------------------------------------------------------ */

enum wl_format {
    WL_FMT_AUTO = 0,       /* detect from content and name */
    WL_FMT_SWF,            /* Parallel Workloads Archive, plain or .gz */
    WL_FMT_AZURE_VMTABLE,  /* Azure V1/V2 vmtable (11 columns) */
    WL_FMT_AZURE_CPU,      /* Azure vm_cpu_readings (5 columns) */
    WL_FMT_GOOGLE_TASK,    /* Google 2011 task_events (13 columns) */
    WL_FMT_GOOGLE_JOB,     /* Google 2011 job_events (8 columns) */
    WL_FMT_GOOGLE_MACHINE, /* Google 2011 machine_events: records only */
    WL_FMT_GOOGLE_USAGE,   /* Google 2011 task_usage: records only */
    WL_FMT_ALIBABA_META,   /* Alibaba 2018 machine_meta: records only */
    WL_FMT_ALIBABA_USAGE,  /* Alibaba 2018 machine_usage */
    WL_FMT_BITBRAINS,      /* GWA-T-12 per-VM file, or a folder of them */
    WL_FMT_PLANETLAB,      /* one VM per file, a folder per day */
    WL_FMT_VTRACE,         /* libvcpu trace CSV (vcpu/trace.h) */
    WL_FMT_COUNT
};

/* "swf", "azure-vmtable", ...; "?" if out of range. Static. */
const char *wl_format_name(enum wl_format f);
/* The format named @name, or -1. */
int wl_format_parse(const char *name);
/* True if the format's records become VMs (false: records only, for
 * trace-info). */
bool wl_format_has_vms(enum wl_format f);

/*
 * wl_detect - Tell the format of @path (a file, or a folder for Bitbrains
 * and PlanetLab) from its first lines and its name.
 * Return: 0, or -1 with "path: what" in @err (unreadable, unknown, empty).
 * Context: any thread; reads the file.
 */
int wl_detect(const char *path, enum wl_format *out, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Distributions (the simulator's kinds; durations in ns)              */
/* ------------------------------------------------------------------ */

enum wl_dist_kind {
    WL_DIST_CONST = 0, /* a */
    WL_DIST_EXP,       /* mean a */
    WL_DIST_UNIFORM,   /* [a, b) */
    WL_DIST_NORMAL,    /* mean a, sd b, truncated at 0 */
    WL_DIST_LOGNORMAL, /* mean a and sd b of the value (not of its log) */
    WL_DIST_PARETO,    /* scale (minimum) a, shape b */
    WL_DIST_WEIBULL,   /* scale a, shape b */
};

struct wl_dist {
    unsigned kind; /* enum wl_dist_kind */
    double a, b;
};

/* Mean of @d (INFINITY for a Pareto with shape <= 1; the untruncated mean
 * for NORMAL). */
double wl_dist_mean(const struct wl_dist *d);
/* One draw from @d, >= 0. */
double wl_dist_draw(gsl_rng *r, const struct wl_dist *d);

/* ------------------------------------------------------------------ */
/* The workload model                                                  */
/* ------------------------------------------------------------------ */

enum wl_phase_kind {
    WL_PH_COMPUTE = 0, /* work of d reference ns */
    WL_PH_BLOCK,       /* blocked (idle, I/O) for d ns */
    WL_PH_BARRIER,     /* wait for every vCPU of the VM */
    WL_PH_LOCK,        /* spin lock lock_id, compute d, release */
};

struct wl_phase {
    unsigned kind;    /* enum wl_phase_kind */
    unsigned lock_id; /* WL_PH_LOCK: 0..15 */
    struct wl_dist d;
};

/*
 * One VM arrival. Every vCPU runs the same program (@phases in order,
 * @loops times; 0 = until the end of the run). Times are simulated ns:
 * (trace time - window start) x scale. Pointers are borrowed until the
 * next wl_next() or wl_close().
 */
struct wl_vm {
    uint64_t id;          /* the record's id (job number, ...) */
    const char *name;     /* "<prefix>.<id>" */
    uint64_t arrival_ns;  /* simulated arrival */
    uint64_t trace_ns;    /* arrival in trace time (before window/scale) */
    uint64_t lifetime_ns; /* as recorded, scaled; 0 = unknown */
    uint64_t memory_mb;   /* 0 = unknown */
    uint64_t group;       /* virtual cluster / job / user group; 0 = none */
    unsigned vcpus;       /* >= 1 */
    unsigned nphases;     /* >= 1 */
    uint64_t loops;
    const struct wl_phase *phases;
    uint64_t line; /* first line of the record (0: generated) */
};

/* ------------------------------------------------------------------ */
/* Sources                                                             */
/* ------------------------------------------------------------------ */

/* A source belongs to the thread that opened it; the calls below that do
 * not say otherwise are Context: the source's owner thread; do not block.
 * Sources share nothing, so different threads may each use their own. */
typedef struct wl_source wl_source_t;

/* How a trace becomes arrivals. A zero field means its default. */
struct wl_opts {
    uint32_t abi;          /* WL_ABI */
    enum wl_format format; /* WL_FMT_AUTO: wl_detect */
    bool fatal;            /* a bad line stops the source; else skip it */
    uint64_t start_ns;     /* window [start, end) in trace ns; VMs that */
    uint64_t end_ns;       /*   arrive outside it are left out; end 0: none */
    double sample;         /* keep each VM with this probability (0, 1] */
    double scale;          /* simulated ns per trace ns (0.001: 1000x faster) */
    uint64_t burst_ns;     /* utilisation to compute/idle bursts of this
                              length (trace ns); 0: one burst pair per
                              reading (SWF, vmtable: CPU-bound / 300 s) */
    unsigned max_vcpus;    /* larger VMs are cut to this (default 4096) */
    unsigned vcpus;        /* vCPUs when the trace has none: PlanetLab (1),
                              Azure readings (1), Alibaba usage (96), Google
                              jobs (1) */
    double cores_per_unit; /* Google: vCPUs of a CPU request of 1.0 (32) */
    double mem_per_unit_mb; /* Google: MB of a memory request of 1.0
                               (131072); Alibaba: ignored */
    uint64_t lookahead_ns;  /* Google: how far (trace ns) to look for a
                               task's end before it runs unbounded (1 h) */
    unsigned reorder;       /* VMs held to put a trace in arrival order
                               (256, and at most about 4 MiB of them);
                               later ones out of order are clamped */
    unsigned max_phases;    /* per VM program; longer series are averaged
                               over consecutive readings (4096) */
    uint64_t seed;          /* sampling draws */
    const char *prefix;     /* VM names; NULL: the file's stem */
    /* Each problem as "file:line: field: what" (NULL: kept in stats). */
    void (*report)(void *arg, const char *msg);
    void *report_arg;
};

/* Counters of a source; the time span is of every parsed record. */
struct wl_stats {
    uint64_t bytes;     /* uncompressed bytes read */
    uint64_t lines;     /* lines read (headers and comments included) */
    uint64_t records;   /* data records parsed */
    uint64_t errors;    /* problems (bad lines skipped, short files, ...) */
    uint64_t unusable;  /* records that make no VM (unknown run time, ...) */
    uint64_t filtered;  /* VMs left out by the window or the sampling */
    uint64_t clamped;   /* VMs cut to max_vcpus */
    uint64_t coarsened; /* VMs whose series was averaged to max_phases */
    uint64_t late;      /* VMs still out of order after the reorder buffer,
                          delayed to the previous arrival */
    uint64_t vms;       /* VMs handed out */
    uint64_t files;     /* files opened */
    bool has_time;
    uint64_t first_ns, last_ns; /* earliest and latest record, trace ns */
    char first_error[320];      /* the first problem, "" if none */
};

/*
 * wl_open - Open a recorded trace as a source of VM arrivals.
 * @path: a file (plain or .gz), or a folder (Bitbrains, PlanetLab)
 * @o: options (NULL: all defaults); copied, @o->prefix too
 * @out: the source (close with wl_close); NULL after a failure
 * Return: 0, or -1 with "path: what" in @err.
 * Context: any thread; reads the first lines to detect the format.
 */
int wl_open(const char *path, const struct wl_opts *o, wl_source_t **out,
            char *err, size_t errlen);

/*
 * wl_next - The next VM, in arrival order (see wl_opts.reorder).
 * Return: 1 (filled @vm), 0 at the end, -1 on a fatal problem (message in
 * wl_error()). After -1 or 0 every call returns the same.
 * Context: the source's owner thread; may block (file reads).
 */
int wl_next(wl_source_t *s, struct wl_vm *vm);

/* The message of the fatal problem, or "" if none. */
const char *wl_error(const wl_source_t *s);
const struct wl_stats *wl_stats(const wl_source_t *s);
enum wl_format wl_source_format(const wl_source_t *s);

/* Header metadata (SWF "; Label: value" lines; continuation lines are
 * joined with a space). wl_meta returns the first value of @label (case
 * insensitive) or NULL; wl_meta_at the @i-th pair, false past the end. */
const char *wl_meta(const wl_source_t *s, const char *label);
bool wl_meta_at(const wl_source_t *s, unsigned i, const char **label,
                const char **value);

/* Close @s (NULL is a no-op). Partner of wl_open and wl_gen_open. */
void wl_close(wl_source_t *s);

/* ------------------------------------------------------------------ */
/* Generators                                                          */
/* ------------------------------------------------------------------ */

enum wl_arrival_kind {
    WL_ARR_POISSON = 0, /* rate_per_s */
    WL_ARR_MMPP,        /* 2-state Markov-modulated Poisson */
    WL_ARR_DIURNAL,     /* sinusoidal rate, drawn by thinning */
};

/*
 * Arrival processes, in simulated time.
 * POISSON: exponential gaps of mean 1/rate_per_s s.
 * MMPP: state i (0, 1) has rate rate_per_s[i] and lasts an exponential time
 *   of mean dwell_ns[i]; starts in state 0. Long-run rate:
 *   (r0 d0 + r1 d1) / (d0 + d1).
 * DIURNAL: rate(t) = rate_per_s[0] (1 + amplitude sin(2 pi (t + phase_ns) /
 *   period_ns)), amplitude in [0, 1]; mean rate_per_s[0] over a period.
 */
struct wl_arrivals {
    unsigned kind;        /* enum wl_arrival_kind */
    double rate_per_s[2]; /* arrivals per simulated second */
    uint64_t dwell_ns[2]; /* MMPP: mean time in each state */
    double amplitude;     /* DIURNAL: 0..1 */
    uint64_t period_ns;   /* DIURNAL: e.g. 24 h */
    uint64_t phase_ns;    /* DIURNAL: shift of the sine */
};

/* One row of an empirical size table: drawn with probability p / sum(p). */
struct wl_size {
    unsigned vcpus;     /* >= 1 */
    uint64_t memory_mb; /* 0 = unknown */
    double p;           /* > 0, relative */
};

enum wl_demand_kind {
    WL_DEM_UTIL = 0, /* compute/idle bursts at a utilisation */
    WL_DEM_BSP,      /* bulk-synchronous: compute, barrier, comm */
    WL_DEM_LOCK,     /* compute, then a spin-lock critical section */
};

/*
 * What every vCPU of a generated VM does until its lifetime is spent
 * (loops = lifetime / the program's mean length, at least 1).
 * UTIL: compute u x burst_ns, block (1 - u) x burst_ns; u drawn per VM
 *   uniformly in [util_min, util_max] (0..1); exp_bursts makes both
 *   exponential with those means.
 * BSP: compute @work, barrier, block @comm (comm.a 0: no comm phase).
 * LOCK: compute @work, lock (id i mod nlocks) holding for @hold; one pair
 *   per lock, so nlocks (1..16) pairs per loop.
 */
struct wl_demand {
    unsigned kind; /* enum wl_demand_kind */
    double util_min, util_max;
    uint64_t burst_ns;
    bool exp_bursts;
    struct wl_dist work, comm, hold;
    unsigned nlocks;
};

struct wl_gen {
    uint32_t abi; /* WL_ABI */
    struct wl_arrivals arrivals;
    const struct wl_size *sizes; /* copied; NULL: one row {1 vCPU, p 1} */
    unsigned nsizes;
    struct wl_dist lifetime; /* ns; LOGNORMAL, PARETO, WEIBULL, ... */
    struct wl_demand demand;
    uint64_t start_ns; /* first arrival no earlier than this */
    uint64_t until_ns; /* no arrival at or after this; 0: none */
    uint64_t limit;    /* at most this many VMs; 0: no limit */
    uint64_t seed;
    const char *prefix; /* VM names (default "gen"); copied */
};

/*
 * wl_gen_open - A source that draws VMs from @g (GSL mt19937 seeded with
 * @g->seed: the same seed gives the same VMs).
 * Return: 0, or -1 with "field: what" in @err (bad parameters).
 * Context: any thread; does not block.
 */
int wl_gen_open(const struct wl_gen *g, wl_source_t **out, char *err,
                size_t errlen);

/* Long-run arrival rate of @a in VMs per simulated second. */
double wl_arrivals_mean_rate(const struct wl_arrivals *a);

#endif /* WL_H */
