/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvcpu runtime: more vCPUs than cores. VMs of vCPUs (user-level
 * contexts with their own stacks) run on worker threads pinned one per pCPU
 * with hwloc; a scheduling policy from the registry decides which vCPU runs
 * where, migrates and suspends them. */
#ifndef VCPU_RT_H
#define VCPU_RT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdio.h>

#include "core.h"
#include "errno.h"
#include "types.h"

/** Opaque runtime handle. */
typedef struct vcpu_rt vcpu_rt_t;

/** Flags of struct vcpu_rt_attr. */
enum vcpu_rt_flags {
    /** Timer-driven preemption: a POSIX timer per worker sends a signal
     *  every slice; a vCPU that never yields is switched out from the
     *  handler unless it is inside vcpu_preempt_disable(). */
    VCPU_RT_PREEMPT_TIMER = 1u << 0,
    /** Check the scheduler's invariants after every core call (slow). */
    VCPU_RT_CHECK = 1u << 1,
    /** Keep a per-worker trace ring (vcpu_rt_trace_write_*). */
    VCPU_RT_TRACE = 1u << 2,
    /** Start the monitor thread: affinity, hotplug, cpufreq, steal. */
    VCPU_RT_MONITOR = 1u << 3,
};

/**
 * struct vcpu_rt_attr - How to build a runtime. Zero fields mean defaults.
 * @abi: VCPU_RT_ABI
 * @topology: NULL or "system": the pCPUs are the CPUs this process may use.
 *     Otherwise an hwloc synthetic string or XML file (vcpu_topo_load):
 *     an *emulated* topology, possibly larger than the machine, whose
 *     workers are mapped round-robin onto the real CPUs (a testing mode:
 *     policies see the emulated machine, time is shared underneath).
 * @cpus: OS CPU list ("0-3,6") to restrict the system topology; NULL: all
 *     allowed CPUs
 * @policy: registry name or path of a policy shared object; NULL: "rr"
 * @policy_args: "k=v,..."
 * @slice_ns: default slice, 0 = 1 ms
 * @seed: the policy's vp_rand seed
 * @stack_size: vCPU stack bytes, 0 = 64 KiB (a guard page is added)
 * @max_vcpus: vCPUs alive at once, 0 = 65536
 * @flags: enum vcpu_rt_flags
 * @idle_spin_ns: how long an idle worker spins before it sleeps, 0 = 50 µs
 * @trace_records: trace ring size per worker, 0 = 65536
 * @monitor_period_ns: monitor poll period, 0 = 10 ms
 */
struct vcpu_rt_attr {
    uint32_t abi;
    const char *topology;
    const char *cpus;
    const char *policy;
    const char *policy_args;
    uint64_t slice_ns;
    uint64_t seed;
    size_t stack_size;
    unsigned max_vcpus;
    unsigned flags;
    uint64_t idle_spin_ns;
    size_t trace_records;
    uint64_t monitor_period_ns;
};
#define VCPU_RT_ABI 1u

/** Entry function of a vCPU; vcpu_self_index() tells which one it is. */
typedef void (*vcpu_entry_fn)(void *arg);

/* ------------------------------------------------------------------ */
/* Lifecycle (staged like hwloc: create, set, start, use, stop, destroy) */
/* ------------------------------------------------------------------ */

/**
 * vcpu_rt_create - Build a runtime (no thread yet).
 * Return: 0, VCPU_EINVAL (bad attr), VCPU_EABI, VCPU_ETOPO, VCPU_ENOENT
 * (unknown policy), VCPU_EPARSE (bad policy_args), VCPU_ENOMEM.
 * Context: any thread; may block (loads the topology). Partner:
 * vcpu_rt_destroy.
 */
VCPU_API int vcpu_rt_create(const struct vcpu_rt_attr *attr, vcpu_rt_t **out);

/**
 * vcpu_rt_start - Start the workers (one per pCPU, bound with hwloc).
 * Return: 0, VCPU_EBUSY (already started), VCPU_EAGAIN (no thread),
 * VCPU_EPERM (binding refused).
 * Context: owner thread; may block.
 */
VCPU_API int vcpu_rt_start(vcpu_rt_t *rt);

/**
 * vcpu_rt_stop - Stop the workers once every VM has finished; with @force,
 * stop now and abandon vCPUs still alive.
 * Return: 0, VCPU_ESTATE (not started), VCPU_EBUSY (vCPUs alive, !@force).
 * Context: owner thread, not a vCPU; may block.
 */
VCPU_API int vcpu_rt_stop(vcpu_rt_t *rt, bool force);

/** vcpu_rt_destroy - Free (stopping first, forced). NULL: no-op. */
VCPU_API void vcpu_rt_destroy(vcpu_rt_t *rt);

/** The core instance the runtime drives (for queries; do not drive it). */
VCPU_API vcpu_core_t *vcpu_rt_core(vcpu_rt_t *rt);

/** Number of pCPUs (workers). */
VCPU_API unsigned vcpu_rt_npcpus(const vcpu_rt_t *rt);

/* ------------------------------------------------------------------ */
/* VMs                                                                 */
/* ------------------------------------------------------------------ */

/**
 * vcpu_rt_vm_create - Create a VM of @nvcpus vCPUs, each running
 * @entry(@arg), and make them runnable.
 * @attr: weight, cap, allowed pCPUs (may be NULL)
 * Return: 0, VCPU_EINVAL, VCPU_ENOSPC (max_vcpus, or the 65,536 ids held
 * by VMs not finished), VCPU_ENOMEM (stacks).
 * If it fails, no vCPU of the VM ever runs. The vCPUs' ids are those of
 * finished VMs when some are free (the lowest first), else new ones.
 * Context: any thread, including a vCPU; does not block.
 */
VCPU_API int vcpu_rt_vm_create(vcpu_rt_t *rt, unsigned nvcpus,
                               vcpu_entry_fn entry, void *arg,
                               const struct vcpu_vm_attr *attr, vcpu_vm_t *out);

/**
 * vcpu_rt_vm_join - Wait until every vCPU of @vm has exited.
 *
 * The first join that returns 0 gives @vm's id back: a later
 * vcpu_rt_vm_create may return it for a new VM. Join a VM once, as a
 * pthread: joining it again returns VCPU_ESRCH until its id names a new
 * VM, and then waits for that one. A VM neither joined nor detached
 * (vcpu_rt_vm_detach) keeps its id (about 100 bytes) until the runtime is
 * destroyed.
 * Return: 0, VCPU_ESRCH, VCPU_EDEADLK (called from a vCPU of @vm),
 * VCPU_ESTATE (@vm unfinished and the workers not running: before
 * vcpu_rt_start, or stopped meanwhile by vcpu_rt_stop(@force)).
 * Context: not a vCPU of @vm; may block.
 */
VCPU_API int vcpu_rt_vm_join(vcpu_rt_t *rt, vcpu_vm_t vm);

/**
 * vcpu_rt_vm_detach - Give @vm's id back when its last vCPU exits (at
 * once if it has), without a join, as pthread_detach: for VMs nobody
 * waits for. A detached VM cannot be joined (a join already waiting
 * still returns when it finishes).
 * Return: 0, VCPU_EINVAL (@rt NULL), VCPU_ESRCH (no such VM, or joined or
 * detached already).
 * Context: any thread, a vCPU of @vm included; does not block.
 */
VCPU_API int vcpu_rt_vm_detach(vcpu_rt_t *rt, vcpu_vm_t vm);

/* ------------------------------------------------------------------ */
/* Inside a vCPU. Context: a vCPU of a started runtime (undefined       */
/* elsewhere unless stated).                                           */
/* ------------------------------------------------------------------ */

/** The running vCPU's id, VM and index in its VM; VCPU_NONE outside. */
VCPU_API vcpu_id_t vcpu_self(void);
VCPU_API vcpu_vm_t vcpu_self_vm(void);
VCPU_API unsigned vcpu_self_index(void);
/** The pCPU running the calling vCPU right now. */
VCPU_API vcpu_pcpu_t vcpu_self_pcpu(void);

/** vcpu_yield - Give the pCPU up; runnable again at once. */
VCPU_API void vcpu_yield(void);
/** vcpu_sleep_ns - Block for at least @ns (the worker runs others). */
VCPU_API void vcpu_sleep_ns(uint64_t ns);
/** vcpu_exit - End the vCPU (as returning from its entry does). */
VCPU_API _Noreturn void vcpu_exit(void);
/**
 * vcpu_preempt_point - An inexpensive cooperative preemption point: switches
 * out if the slice is used up or the policy asked. Any thread: a no-op
 * outside a vCPU.
 */
VCPU_API void vcpu_preempt_point(void);
/** Disable / enable timer preemption (nesting counts). */
VCPU_API void vcpu_preempt_disable(void);
VCPU_API void vcpu_preempt_enable(void);

/* ---- vCPU-aware synchronisation: block the vCPU, never the worker ---- */

typedef struct vcpu_mutex vcpu_mutex_t;
typedef struct vcpu_cond vcpu_cond_t;
typedef struct vcpu_barrier vcpu_barrier_t;

/** Create / destroy. Return: 0, VCPU_ENOMEM. destroy(NULL): no-op. */
VCPU_API int vcpu_mutex_create(vcpu_mutex_t **out);
VCPU_API void vcpu_mutex_destroy(vcpu_mutex_t *m);
VCPU_API void vcpu_mutex_lock(vcpu_mutex_t *m);
VCPU_API bool vcpu_mutex_trylock(vcpu_mutex_t *m);
VCPU_API void vcpu_mutex_unlock(vcpu_mutex_t *m);

VCPU_API int vcpu_cond_create(vcpu_cond_t **out);
VCPU_API void vcpu_cond_destroy(vcpu_cond_t *c);
/** Atomically release @m and block; @m is held again on return. */
VCPU_API void vcpu_cond_wait(vcpu_cond_t *c, vcpu_mutex_t *m);
VCPU_API void vcpu_cond_signal(vcpu_cond_t *c);
VCPU_API void vcpu_cond_broadcast(vcpu_cond_t *c);

/** A barrier for @count vCPUs. Return: 0, VCPU_EINVAL (0), VCPU_ENOMEM. */
VCPU_API int vcpu_barrier_create(unsigned count, vcpu_barrier_t **out);
VCPU_API void vcpu_barrier_destroy(vcpu_barrier_t *b);
/** Wait for @count vCPUs; true in exactly one of them (the last). */
VCPU_API bool vcpu_barrier_wait(vcpu_barrier_t *b);

/* ------------------------------------------------------------------ */
/* Dynamic heterogeneity                                                */
/* ------------------------------------------------------------------ */

/**
 * vcpu_rt_pcpu_set_online - Take pCPU @p offline (its worker stops running
 * vCPUs at its next switch point: a yield, a blocking call, a preemption
 * point, or the next timer tick in timer mode) or bring it back.
 * Return: 0, VCPU_ESRCH, VCPU_ESTATE (not started).
 * Context: any thread but a vCPU on @p; does not block.
 */
VCPU_API int vcpu_rt_pcpu_set_online(vcpu_rt_t *rt, vcpu_pcpu_t p, bool online);

/**
 * vcpu_rt_pcpu_set_speed - Run @p at @speed thousandths of its real speed,
 * emulated by duty-cycling its worker (500: it idles as long as it runs).
 * Return: 0, VCPU_ESRCH, VCPU_ERANGE (not 1..1000).
 */
VCPU_API int vcpu_rt_pcpu_set_speed(vcpu_rt_t *rt, vcpu_pcpu_t p,
                                    uint32_t speed);

/** A change the monitor noticed, reported to the callback. */
struct vcpu_rt_event {
    unsigned kind;    /**< enum vcpu_rt_event_kind */
    vcpu_pcpu_t pcpu; /**< VCPU_NONE if not about one pCPU */
    uint64_t value;   /**< speed (thousandths), steal ppm, ... */
    uint64_t time_ns; /**< CLOCK_MONOTONIC */
};
enum vcpu_rt_event_kind {
    VCPU_RT_EV_AFFINITY_LOST = 1, /**< the process may no longer use it */
    VCPU_RT_EV_AFFINITY_GAINED,
    VCPU_RT_EV_HOTPLUG_OFF, /**< the OS took the CPU offline */
    VCPU_RT_EV_HOTPLUG_ON,
    VCPU_RT_EV_FREQ,  /**< cpufreq changed; value = speed */
    VCPU_RT_EV_STEAL, /**< steal over the last period, ppm */
};
typedef void (*vcpu_rt_event_fn)(void *arg, const struct vcpu_rt_event *e);

/**
 * vcpu_rt_set_monitor - Before start: a callback for what the monitor sees
 * (called on the monitor thread). The monitor also acts: a pCPU whose CPU
 * left the affinity set or went offline is taken offline, and back online
 * when it returns; cpufreq changes set the pCPU's speed.
 * Return: 0, VCPU_EBUSY (started).
 */
VCPU_API int vcpu_rt_set_monitor(vcpu_rt_t *rt, vcpu_rt_event_fn fn, void *arg);

/* ------------------------------------------------------------------ */
/* Policy, observability                                                */
/* ------------------------------------------------------------------ */

/**
 * vcpu_rt_set_policy - Swap the policy while vCPUs run: no vCPU is lost or
 * duplicated. Readers of the placement snapshot see either policy's
 * decisions through RCU.
 * Return: as vcpu_core_set_policy, or VCPU_ENOENT (unknown policy).
 * Context: any thread but a vCPU; may block (grace period).
 */
VCPU_API int vcpu_rt_set_policy(vcpu_rt_t *rt, const char *policy,
                                const char *args);

/**
 * vcpu_rt_snapshot - Which vCPU runs on each pCPU (VCPU_NONE: idle),
 * published with RCU: lock-free for the reader, consistent per pCPU.
 * @out: @n entries; Return: the number of pCPUs written.
 * Context: any thread; does not block.
 */
VCPU_API unsigned vcpu_rt_snapshot(vcpu_rt_t *rt, vcpu_id_t *out, unsigned n);

/** Counters of a vCPU / pCPU (see struct vcpu_vcpu_stats). A finished
 *  VM's vCPU keeps its counters until a new vCPU takes its id. */
VCPU_API int vcpu_rt_vcpu_stats(vcpu_rt_t *rt, vcpu_id_t v,
                                struct vcpu_vcpu_stats *out);
VCPU_API int vcpu_rt_pcpu_stats(vcpu_rt_t *rt, vcpu_pcpu_t p,
                                struct vcpu_pcpu_stats *out);

/**
 * vcpu_rt_trace_write_csv / _chrome - Write the trace rings (VCPU_RT_TRACE)
 * merged in time order as the CSV trace format (vcpu/trace.h) or as
 * Chrome/Perfetto trace-event JSON. Return: 0, VCPU_EINVAL (no trace),
 * VCPU_EIO. Context: after vcpu_rt_stop.
 */
VCPU_API int vcpu_rt_trace_write_csv(vcpu_rt_t *rt, FILE *f);
VCPU_API int vcpu_rt_trace_write_chrome(vcpu_rt_t *rt, FILE *f);

#ifdef __cplusplus
}
#endif
#endif /* VCPU_RT_H */
