/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A flow-level network: links (capacity, latency) and flows over paths of
 * links, sharing bandwidth by max-min fairness (progressive filling). Rates
 * are recomputed lazily, once per instant, and only over the flows a change
 * can reach through links that can saturate. It owns its event queue but
 * not the main loop: see sim_net_next_time() and sim_net_run_until(). */
#ifndef SIM_NET_H
#define SIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_NET_ABI 1
#define SIM_NET_NONE UINT32_MAX

typedef struct sim_net sim_net_t;

/* How a flow ended (the @status of its callback). */
enum sim_net_status {
    SIM_NET_DONE = 0,      /* all its bytes arrived */
    SIM_NET_LINK_DOWN = 1, /* a link on its path failed */
};

/* A flow ended; fires from inside sim_net_run_until(), at the time the
 * last byte arrives (transmission end plus the path's latency). The flow id
 * is free again when this returns. */
typedef void sim_net_done_fn(void *ctx, uint32_t flow, int status);

/* Plain data for sim_net_flow_start(); @path is copied. */
struct sim_net_flow_args {
    uint32_t abi;          /* SIM_NET_ABI */
    const uint32_t *path;  /* link ids, at least one */
    unsigned npath;        /* <= 64 */
    uint64_t cap_bps;      /* rate cap (a service's demand); 0 = none */
    uint64_t bytes;        /* bytes to carry; 0 = unbounded (service) */
    sim_net_done_fn *done; /* optional */
    void *ctx;
};

/* ------------------------------------------------------------------ */
/* The network                                                         */
/* ------------------------------------------------------------------ */

/**
 * sim_net_create - An empty network at time 0; partner sim_net_destroy().
 * Return: 0, -ENOMEM.
 * Context: simulator thread; does not block.
 */
int sim_net_create(sim_net_t **out);
void sim_net_destroy(sim_net_t *n);

/**
 * sim_net_set_quantum - Trade exactness for speed: settle rates at most
 * once per @quantum_ns of simulated time, at its multiples; 0 (the
 * default) settles at every instant with changes.
 * @n: network;  @quantum_ns: 0 or the period, ns
 *
 * Between a change and the next multiple, the other flows keep their
 * rates, a new flow carries nothing, an ended flow's share stays unused
 * and a lowered cap applies to its flow at once: no link ever exceeds its
 * capacity, no flow its cap, and at each multiple the rates are exactly
 * max-min for the flows then present. So each change reaches the others
 * at most @quantum_ns late (see docs/migration.md for the bound).
 * sim_net_next_time() reports the pending multiple as an event.
 * Context: simulator thread, not from a callback; does not block.
 */
void sim_net_set_quantum(sim_net_t *n, uint64_t quantum_ns);

/* Current time: that of the last sim_net_run_until(). */
uint64_t sim_net_now(const sim_net_t *n);

/**
 * sim_net_next_time - Time of the next event (a flow's last byte
 * arriving, a failure being reported, a quantum's end with changes
 * pending), UINT64_MAX if none. Settles the rates of pending changes
 * first (if due), hence not const.
 * Context: simulator thread, not from a callback; does not block.
 */
uint64_t sim_net_next_time(sim_net_t *n);

/**
 * sim_net_run_until - Process every event with time <= @t (callbacks fire
 * from here, and may start, stop or re-cap flows), then set the time to @t.
 * Undefined: @t earlier than sim_net_now().
 * Context: simulator thread, not from a callback; does not block.
 */
void sim_net_run_until(sim_net_t *n, uint64_t t);

/* ------------------------------------------------------------------ */
/* Links                                                               */
/* ------------------------------------------------------------------ */

/* Add a link; *@out its id (0, 1, ... in order). Return 0, -EINVAL
 * (capacity 0), -ENOMEM. */
int sim_net_link_add(sim_net_t *n, uint64_t capacity_bps, uint64_t latency_ns,
                     uint32_t *out);
unsigned sim_net_link_count(const sim_net_t *n);

/* Take a link down: every flow over it ends with SIM_NET_LINK_DOWN (its
 * callback fires at the current time, from sim_net_run_until()); new
 * flows over it are refused until sim_net_link_up(). Return 0, -EINVAL. */
int sim_net_link_down(sim_net_t *n, uint32_t link);
int sim_net_link_up(sim_net_t *n, uint32_t link);
bool sim_net_link_is_up(const sim_net_t *n, uint32_t link);

/* Sum of the rates of the flows over @link, bit/s (settles first, if due:
 * see sim_net_set_quantum()). */
double sim_net_link_load(sim_net_t *n, uint32_t link);
uint64_t sim_net_link_capacity(const sim_net_t *n, uint32_t link);

/* ------------------------------------------------------------------ */
/* Flows                                                               */
/* ------------------------------------------------------------------ */

/**
 * sim_net_flow_start - Start a flow at the current time.
 * Return: 0 and *@out its id, -EINVAL (no path, bad link, unbounded and
 * uncapped over nothing), -ENETDOWN (a link is down; no callback),
 * -ENOMEM.
 * Context: simulator thread, callbacks included; does not block.
 */
int sim_net_flow_start(sim_net_t *n, const struct sim_net_flow_args *a,
                       uint32_t *out);

/* Stop a flow now, without its callback. Return 0, -EINVAL (no such flow
 * or already ended). */
int sim_net_flow_stop(sim_net_t *n, uint32_t flow);

/* Change a flow's cap (0 = none) from now. Return 0, -EINVAL. */
int sim_net_flow_set_cap(sim_net_t *n, uint32_t flow, uint64_t cap_bps);

/* Its rate now, bit/s (settles first, if due); 0 for no such flow. */
double sim_net_flow_rate(sim_net_t *n, uint32_t flow);

/* Bytes it has sent up to now; 0 for no such flow. */
double sim_net_flow_sent(sim_net_t *n, uint32_t flow);

/* Flows started but not ended (those in their latency tail included). */
size_t sim_net_flow_count(const sim_net_t *n);

/* Rate recomputations so far and flows they touched (for benchmarks). */
uint64_t sim_net_recomputes(const sim_net_t *n, uint64_t *flows_touched);

#endif /* SIM_NET_H */
