/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Live migration by pre-copy (Clark et al., NSDI 2005) on the flow-level
 * network of net.h: reservation, iterative pre-copy under the paper's
 * dynamic rate limit, stop-and-copy, commitment, activation. It owns an
 * event queue, not the main loop: merge sim_mig_next_time() with the other
 * components' and call sim_mig_run_until(). docs/migration.md */
#ifndef SIM_MIGRATE_H
#define SIM_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "net.h"

#define SIM_MIG_ABI 1
#define SIM_MIG_MBIT 1000000ull /* bit/s in a Mbit/s (the paper's unit) */

typedef struct sim_mig sim_mig_t;

/* Why pre-copy stopped (a success's reason) or why a migration failed. */
enum sim_mig_reason {
    SIM_MIG_STOP_THRESHOLD = 0, /* less than threshold_bytes left */
    SIM_MIG_STOP_RATE,          /* the next rate would exceed the maximum */
    SIM_MIG_STOP_ROUNDS,        /* max_rounds (Xen: 30) */
    SIM_MIG_STOP_SENT,          /* max_sent_pct of memory sent (Xen: 300) */
    SIM_MIG_STOP_PAGES,         /* fewer than min_pages dirty (Xen: 50) */
    SIM_MIG_STOP_NOPRECOPY,     /* SIM_MIG_NO_PRECOPY: stop-and-copy only */
    SIM_MIG_STOP_STALL,         /* stall_rounds rounds without shrinking */
    SIM_MIG_STOP_LIMIT,         /* SIM_MIG_ROUND_LIMIT rounds: a safety net */
    SIM_MIG_FAIL_LINK,          /* a link of the path went down */
    SIM_MIG_FAIL_TARGET,        /* the target host failed */
    SIM_MIG_FAIL_SOURCE,        /* the source host failed (VM lost) */
    SIM_MIG_FAIL_ABORT,         /* sim_mig_abort() */
    SIM_MIG_NREASONS
};

#define SIM_MIG_ROUND_LIMIT 1000u

enum sim_mig_flags {
    SIM_MIG_NO_PRECOPY = 1u << 0, /* plain stop-and-copy at max_rate */
};

/* Rate control and stop rules. Plain data; zero fields take the default
 * in brackets (the paper's, or Xen 3's where the paper gives none). */
struct sim_mig_params {
    uint32_t abi;              /* SIM_MIG_ABI */
    uint32_t flags;            /* enum sim_mig_flags */
    uint64_t min_rate_bps;     /* first round's rate [100 Mbit/s] */
    uint64_t max_rate_bps;     /* rate cap; stop-and-copy's [500 Mbit/s] */
    uint64_t increment_bps;    /* added to the dirtying rate [50 Mbit/s] */
    uint64_t threshold_bytes;  /* stop when less is dirty [256 KiB] */
    uint32_t max_rounds;       /* pre-copy rounds [no limit; Xen: 30] */
    uint32_t max_sent_pct;     /* sent vs memory, % [no limit; Xen: 300] */
    uint32_t min_pages;        /* stop below this many [off; Xen: 50] */
    uint32_t page_bytes;       /* [4096] */
    uint64_t reserve_ns;       /* reservation on the target [0] */
    uint64_t commit_ns;        /* commitment handshake [0] */
    uint64_t resume_ns;        /* activation on the target [0] */
    uint32_t cpu_pct_per_gbps; /* source CPU, % of a core per Gbit/s [0] */
    uint32_t stall_rounds;     /* stop after this many rounds in a row
                                * that left >= 99% of what they sent
                                * dirty (a congested path) [5] */
};

/* A piece of a dirtying trace: from @t_ns after the migration starts
 * until the next point, these rates replace the VM's. */
struct sim_mig_dirty_point {
    uint64_t t_ns;
    uint64_t wws_rate_Bps; /* writes into the hot set, bytes/s */
    uint64_t bg_rate_Bps;  /* writes over the rest */
};

/* The VM's memory and its writable working set: a hot set of wws_bytes
 * written at wws_rate_Bps, the rest at bg_rate_Bps, writes uniform within
 * each; a page is dirty if written since it was last sent. */
struct sim_mig_vm {
    uint32_t abi; /* SIM_MIG_ABI */
    uint32_t vm;  /* the caller's id, for callbacks and the trace */
    uint64_t mem_bytes;
    uint64_t wws_bytes;
    uint64_t wws_rate_Bps;
    uint64_t bg_rate_Bps;
    const struct sim_mig_dirty_point *trace; /* optional; copied */
    unsigned ntrace;                         /* sorted by t_ns */
};

/* One pre-copy round or the stop-and-copy (round == rounds + 1). */
struct sim_mig_round {
    uint32_t round; /* 1, 2, ... */
    bool stop_copy; /* the VM was down during it */
    uint64_t start_ns, end_ns;
    uint64_t bytes;       /* sent in it */
    uint64_t rate_bps;    /* its rate limit */
    uint64_t dirty_bytes; /* dirtied during it: the next round's */
};

struct sim_mig_result {
    bool ok;    /* the VM runs on the target */
    int reason; /* enum sim_mig_reason */
    uint32_t vm;
    uint64_t start_ns; /* sim_mig_start() */
    uint64_t down_ns;  /* when stop-and-copy began; 0 if never */
    uint64_t downtime_ns;
    uint64_t total_ns; /* start to activation (or to failure) */
    uint64_t bytes;    /* sent, stop-and-copy included */
    uint32_t rounds;   /* pre-copy rounds completed */
};

/* Callbacks, all optional; they fire from inside sim_mig_run_until() and
 * may start or fail migrations and flows. */
struct sim_mig_cbs {
    /* Stop-and-copy begins: the VM is paused on the source. */
    void (*down)(void *ctx, uint32_t mig, uint32_t vm);
    /* A round ended. */
    void (*round)(void *ctx, uint32_t mig, const struct sim_mig_round *r);
    /* It ended: @r->ok, the VM resumed on the target; else it stays on
     * the source (which resumes it if it was down), and @r->reason says
     * why. @mig is invalid afterwards. */
    void (*done)(void *ctx, uint32_t mig, const struct sim_mig_result *r);
    void *ctx;
};

/* What to migrate, where, how. @path (link ids of @net from source to
 * target) and @vm's trace are copied; NULL @params = all defaults. */
struct sim_mig_args {
    uint32_t abi; /* SIM_MIG_ABI */
    uint32_t src_host, dst_host;
    const uint32_t *path;
    unsigned npath;
    const struct sim_mig_vm *vm;
    const struct sim_mig_params *params;
};

/* ------------------------------------------------------------------ */
/* The migration system                                                */
/* ------------------------------------------------------------------ */

/**
 * sim_mig_create - Migrations over @net (borrowed; outlives the system);
 * partner sim_mig_destroy(), which abandons running migrations silently.
 * @cbs is copied (NULL: none).
 * Return: 0, -EINVAL, -ENOMEM.
 * Context: simulator thread; does not block.
 */
int sim_mig_create(sim_net_t *net, const struct sim_mig_cbs *cbs,
                   sim_mig_t **out);
void sim_mig_destroy(sim_mig_t *m);

/* Trace rows (time_ns,event,pcpu,vcpu,vm,arg; pcpu and vcpu -1) to @f
 * (borrowed; NULL = none): VM_MIGRATE_START (arg target host),
 * VM_MIGRATE_RATE (a round starts; arg its rate, bit/s),
 * VM_MIGRATE_ROUND (it ended; arg bytes sent), VM_MIGRATE_DOWN (stop-and-
 * copy begins; arg bytes to send), VM_MIGRATE_END (arg downtime ns),
 * VM_MIGRATE_FAIL (arg enum sim_mig_reason). No header is written. */
void sim_mig_set_trace(sim_mig_t *m, FILE *f);

/* Earliest event of the migrations or of their network; UINT64_MAX if
 * none. Context: simulator thread, not from a callback. */
uint64_t sim_mig_next_time(sim_mig_t *m);

/**
 * sim_mig_run_until - Process every migration and network event with
 * time <= @t, in time order, then bring the network to @t. Drive a network
 * shared with a migration system through this, not sim_net_run_until().
 * Context: simulator thread, not from a callback; does not block.
 */
void sim_mig_run_until(sim_mig_t *m, uint64_t t);

/* ------------------------------------------------------------------ */
/* Migrations                                                          */
/* ------------------------------------------------------------------ */

/**
 * sim_mig_start - Start migrating at the network's current time.
 * Return: 0 and *@out its id, -EINVAL (no path or memory, WWS larger
 * than memory, bad link), -ENETDOWN (a link is down), -ENOMEM. On error
 * no callback fires.
 * Context: simulator thread, callbacks included; does not block.
 */
int sim_mig_start(sim_mig_t *m, const struct sim_mig_args *a, uint32_t *out);

/* Fail a running migration (its done callback fires from the next
 * sim_mig_run_until() at the current time). Return 0, -EINVAL. */
int sim_mig_abort(sim_mig_t *m, uint32_t mig);

/* A host failed: every migration from it (SIM_MIG_FAIL_SOURCE) or to it
 * (SIM_MIG_FAIL_TARGET) fails. Return how many. */
unsigned sim_mig_fail_host(sim_mig_t *m, uint32_t host);

/* A link failed: sim_net_link_down(); migrations over it fail with
 * SIM_MIG_FAIL_LINK. Return 0, -EINVAL. */
int sim_mig_fail_link(sim_mig_t *m, uint32_t link);

/* Migrations started and not yet reported done. */
unsigned sim_mig_running(const sim_mig_t *m);

/* Fraction of a core the migration costs its source now
 * (cpu_pct_per_gbps x its rate); 0 for no such migration. */
double sim_mig_cpu_load(sim_mig_t *m, uint32_t mig);

/* Name of a reason ("threshold", "link", ...); static. */
const char *sim_mig_reason_name(int reason);

/* @p with its zero fields replaced by the defaults; the Xen variant also
 * sets Xen's stop rules (30 rounds, 300%, 50 pages). */
void sim_mig_params_resolve(const struct sim_mig_params *p,
                            struct sim_mig_params *out);
void sim_mig_params_xen(struct sim_mig_params *out);

/* Bytes a VM dirties (distinct, so at most its memory) between @t0_ns and
 * @t1_ns after a migration's start: for each class of size S written at
 * W bytes/s, S (1 - exp(-W t / S)). Exposed for tests. */
double sim_mig_dirtied(const struct sim_mig_vm *vm, uint64_t t0_ns,
                       uint64_t t1_ns);

#endif /* SIM_MIGRATE_H */
