/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A simulation scenario: hosts, VMs and their guest workloads, policy,
 * faults, outputs. Read from YAML (libfyaml) with every error reported as
 * file:line:col: field: what. Times are integer nanoseconds. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wl.h"

/* A random (or constant) quantity; durations are in ns. */
enum sim_dist_kind {
    SIM_DIST_CONST = 0, /* value = a */
    SIM_DIST_EXP,       /* mean = a */
    SIM_DIST_UNIFORM,   /* [a, b) */
    SIM_DIST_NORMAL,    /* mean a, sd b (truncated at 0) */
    SIM_DIST_LOGNORMAL, /* mean a, sd b (of the value, not of the log) */
    SIM_DIST_PARETO,    /* scale a (minimum), shape b */
    SIM_DIST_WEIBULL,   /* scale a, shape b */
};

struct sim_dist {
    unsigned kind; /* enum sim_dist_kind */
    double a, b;
};

enum sim_phase_kind {
    SIM_PH_COMPUTE = 0, /* work (reference ns) drawn from d */
    SIM_PH_BLOCK,       /* blocked (I/O, idle) for d */
    SIM_PH_BARRIER,     /* wait for every vCPU of the VM */
    SIM_PH_LOCK,        /* take spin lock lock_id, compute d, release */
};

struct sim_phase {
    unsigned kind; /* enum sim_phase_kind */
    struct sim_dist d;
    unsigned lock_id; /* SIM_PH_LOCK: 0..SIM_MAX_LOCKS-1, per VM */
};

#define SIM_MAX_LOCKS 16

/* A guest program run by each vCPU: the phases in order, @loops times
 * (0 = until the end of the simulation). */
struct sim_workload {
    struct sim_phase *phases;
    unsigned nphases;
    uint64_t loops;
};

/* Tasks a VM runs (datacenter tier, or the host tier under a guest
 * policy): @count tasks of work drawn from
 * @work (reference ns of one pCPU at speed 1), all ready when the VM
 * starts. */
struct sim_task_spec {
    unsigned count;
    struct sim_dist work;
};

/* How the tasks (or phase programs) of one VM share its vCPUs, and how
 * the VMs of one host share its pCPUs, in the datacenter tier's host
 * model (CloudSim's two provisioning policies). */
enum sim_sharing {
    SIM_SHARE_DEFAULT = 0, /* the datacenter section's choice */
    SIM_SHARE_TIME,        /* processor sharing */
    SIM_SHARE_SPACE,       /* one per vCPU (pCPU), the rest wait in order */
};

struct sim_vm_spec {
    char *name;
    unsigned count;    /* identical VMs made from this entry (default 1) */
    unsigned vcpus;    /* >= 1 */
    unsigned weight;   /* default 100 */
    unsigned cap;      /* thousandths of a pCPU, 0 = none */
    int prio;          /* criticality hint for every vCPU (default 0) */
    int host;          /* host index, -1 = spread round-robin */
    uint64_t start_ns; /* arrival time */
    unsigned *allowed; /* pCPU ids on its host, NULL = all */
    unsigned nallowed;
    struct sim_workload wl; /* nphases 0: no phase program (tasks only) */
    /* Datacenter tier */
    uint64_t mem_mb;             /* memory it asks for (default 0) */
    struct sim_task_spec *tasks; /* NULL: none */
    unsigned ntasks;
    unsigned task_sharing; /* enum sim_sharing */
    uint32_t group;        /* virtual cluster (0 = none) */
    /* Memory dirtying while it migrates (writable working set) */
    uint64_t wws_mb;       /* hot set */
    uint64_t wws_rate_Bps; /* writes into it, bytes/s */
    uint64_t bg_rate_Bps;  /* writes over the rest */
    unsigned line;         /* where it was defined, for messages */
    /* Host tier: nested scheduling of the tasks (docs/nested.md) */
    char *guest_policy;      /* registry name or .so path; NULL: none */
    char *guest_args;        /* "k=v,..." or NULL */
    uint64_t guest_slice_ns; /* 0: the scenario's slice */
};

/* Power drawn by a host at a CPU utilisation: linear from idle to peak,
 * or interpolated in a table at 0, 10, ..., 100% (SPECpower style). */
struct sim_power {
    bool set;   /* given; else the datacenter's default */
    bool table; /* table_w, else idle_w..peak_w */
    double idle_w, peak_w;
    double table_w[11];
};

struct sim_host_spec {
    char *topo;     /* hwloc synthetic string or XML file (resolved path) */
    unsigned count; /* hosts of this type (default 1) */
    /* Datacenter tier */
    uint64_t mem_mb; /* memory (0: unlimited) */
    uint32_t speed;  /* thousandths of the reference pCPU (default 1000) */
    struct sim_power power;
    unsigned line;
};

/* The datacenter tier (scenario_dc.c; docs/datacenter.md). */
enum sim_dc_link_level {
    SIM_LINK_HOST = 0, /* host to its rack switch */
    SIM_LINK_RACK,     /* rack to its cluster */
    SIM_LINK_CLUSTER,  /* cluster to its datacenter */
    SIM_LINK_LEVELS
};

struct sim_dc_link {
    uint64_t bw_bps;     /* bit/s */
    uint64_t latency_ns; /* one way */
};

enum sim_dc_on_failure {
    SIM_FAIL_RESTART = 0, /* VMs of a failed host start again elsewhere */
    SIM_FAIL_LOSE,        /* they are lost (counted) */
};

/* A host failure: one-off (at_ns, repair after repair_ns; 0 = never) or a
 * random process (mtbf/mttr) on one host or every host. */
struct sim_dc_failure {
    int host; /* -1 = every host (random processes only) */
    bool random;
    uint64_t at_ns, repair_ns;
    struct sim_dist mtbf, mttr;
    unsigned line;
};

struct sim_dc_spec {
    unsigned hosts_per_rack;    /* default 40 */
    unsigned racks_per_cluster; /* default 10 */
    unsigned clusters_per_dc;   /* default 0: one datacenter */
    struct sim_dc_link link[SIM_LINK_LEVELS];
    char *placement; /* placement policy (default "first-fit") */
    char *placement_args;
    uint32_t cpu_overcommit_milli; /* vCPUs per pCPU x1000 (default 1000) */
    uint32_t mem_overcommit_milli; /* default 1000 */
    unsigned queue;                /* 0 fifo, 1 backfill */
    unsigned vm_sharing;           /* enum sim_sharing (default time) */
    unsigned task_sharing;         /* default for VMs (default time) */
    struct sim_power power;        /* default for host types */
    /* Power management: idle hosts off after idle_ns (when on) */
    bool power_off_idle;
    uint64_t idle_ns, off_ns, boot_ns;
    bool start_off; /* hosts start switched off */
    struct sim_dc_failure *failures;
    unsigned nfailures;
    unsigned on_failure; /* enum sim_dc_on_failure */
    /* Consolidation (threshold, minimum migration time selection) */
    bool consolidate;
    uint64_t interval_ns;           /* default 300 s */
    uint32_t upper_milli;           /* overloaded above (default 800) */
    uint32_t lower_milli;           /* underloaded below (default 200) */
    uint32_t mig_degradation_milli; /* VM speed lost while migrating (100) */
    bool target_policy;  /* targets from the placement policy, not fullest */
    uint64_t sample_ns;  /* series.csv period (default 300 s) */
    bool bursts_as_load; /* a compute phase and the block phase after
                               it: one constant load (bursts: load) */
    /* Live migration by pre-copy (docs/migration.md); 0 = default */
    struct sim_dc_mig {
        uint64_t min_rate_bps, max_rate_bps, increment_bps;
        uint64_t threshold_bytes, resume_ns;
        unsigned max_rounds, max_sent_pct, min_pages;
        uint64_t quantum_ns;   /* network rates recomputed at most this
                                  often (sim_net_set_quantum); 0 = exact */
        unsigned max_per_host; /* transfers leaving a host at once (1);
                                  0 = no limit */
        bool xen;       /* Xen's stop rules: 30 rounds, 3x memory, 50 pages */
        bool stop_copy; /* no pre-copy: stop-and-copy at the maximum rate */
    } mig;
    unsigned line;
};

enum sim_fault_action {
    SIM_FAULT_OFFLINE = 0,
    SIM_FAULT_ONLINE,
    SIM_FAULT_SPEED,
};

/* A scripted change (at_ns) or, with mtbf, a random failure process on
 * that pCPU (or on every pCPU when pcpu < 0): up-times drawn from mtbf,
 * down-times from mttr. */
struct sim_fault {
    uint64_t at_ns;
    int host;        /* -1 = every host */
    int pcpu;        /* -1 = every pCPU (random processes only) */
    unsigned action; /* enum sim_fault_action */
    uint32_t speed;  /* SIM_FAULT_SPEED: thousandths (500 = half) */
    bool random;     /* mtbf/mttr process instead of a one-off */
    struct sim_dist mtbf, mttr;
    unsigned line;
};

/* A source of VM arrivals besides the vms list (scenario_src.c): a recorded
 * trace read as a stream, or a generator. Its VMs have weight 100, no cap
 * and no pCPU restriction; docs/workloads.md has the mapping per format. */
enum sim_src_kind {
    SIM_SRC_TRACE = 0,
    SIM_SRC_GEN,
};

struct sim_src_spec {
    unsigned kind;       /* enum sim_src_kind */
    char *name;          /* VM name prefix (NULL: the file's stem) */
    char *path;          /* TRACE: file or folder, resolved */
    struct wl_opts opts; /* TRACE: format, window, sample, scale, ... */
    struct wl_gen gen;   /* GEN; gen.sizes points into @sizes */
    struct wl_size *sizes;
    bool seeded;     /* a seed was given; else derived from the run's */
    int host;        /* -1 = spread round-robin */
    unsigned count;  /* each VM arrives this many times (replicas sharing
                       one program); default 1 */
    uint64_t mem_mb; /* traces: memory of VMs the trace gives none */
    unsigned line;
};

struct sim_scenario {
    char *file; /* path, or "<builtin:NAME>" */
    char *name;
    uint64_t seed;        /* default 1 */
    uint64_t duration_ns; /* > 0 */
    char *policy;         /* registry name or path of a .so */
    char *policy_args;    /* "k=v,..." or NULL */
    char **compare;       /* extra policies to run the scenario under */
    unsigned ncompare;
    uint64_t slice_ns;      /* default 1 ms */
    uint64_t *penalty_ns;   /* migration warm-up by topology distance */
    unsigned npenalty;      /* penalty for distance d: [min(d, n-1)] */
    uint64_t ple_window_ns; /* pause-loop exit: spin this long, then
                               yield; 0 = spin until the lock is free */
    struct sim_host_spec *hosts;
    unsigned nhosts;
    struct sim_vm_spec *vms;
    unsigned nvms;
    struct sim_fault *faults;
    unsigned nfaults;
    bool trace;                   /* write trace.csv */
    bool check;                   /* invariant checking in the core */
    char *out_dir;                /* default "out/<name>" */
    struct sim_src_spec *sources; /* merged with vms by arrival time */
    unsigned nsources;
    struct sim_dc_spec *dc; /* datacenter: section, or NULL */
};

/*
 * sim_scenario_load - Read and validate a scenario file.
 * @path: the YAML file
 * @sets: "key=value" overrides (e.g. "seed=7", "vms.0.vcpus=8",
 *        "duration=20s"), applied to the document before validation;
 *        @nsets of them
 * @out: the scenario (free with sim_scenario_free)
 * @err: receives "file:line:col: field: what" on failure
 * Return: 0, or -1 (message in @err), or -2 if the file cannot be read.
 */
int sim_scenario_load(const char *path, const char *const *sets, unsigned nsets,
                      struct sim_scenario **out, char *err, size_t errlen);

/* As sim_scenario_load, from a string (@name is used in messages). */
int sim_scenario_parse(const char *name, const char *yaml, size_t len,
                       const char *const *sets, unsigned nsets,
                       struct sim_scenario **out, char *err, size_t errlen);

void sim_scenario_free(struct sim_scenario *s);

/* The built-in default scenario (YAML text) and its name. */
extern const char sim_default_scenario[];
#define SIM_DEFAULT_NAME "<builtin:default>"

/* Parse "2ms", "1.5s", "300us", "42" (ns) into ns. Return 0 or -1. */
int sim_parse_duration(const char *s, uint64_t *out_ns);

#endif /* SIM_SCENARIO_H */
