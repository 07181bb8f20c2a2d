/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The environment side of the scheduling core: what the runtime and the
 * simulator (or any other adapter) call to drive one core instance, and the
 * policy registry. Deterministic: no clock, no threads of its own; every
 * call that changes state carries `now` from the environment. */
#ifndef VCPU_CORE_H
#define VCPU_CORE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdio.h>

#include "errno.h"
#include "policy.h"
#include "topo.h"
#include "trace.h"
#include "types.h"

/*
 * Contract.
 * - The environment owns time: each call passes `now`; a `now` earlier than
 *   the core's current time is taken as the current time (clocks of several
 *   threads may disagree by a little).
 * - A pCPU is idle or runs one vCPU. When an idle online pCPU should look
 *   for work, the core calls env.kick(p); the environment then calls
 *   vcpu_core_pick(p) "soon" (the runtime wakes the worker, the simulator
 *   posts an event). A pCPU whose vCPU stops becomes idle and is kicked.
 * - A running vCPU stops only through vcpu_core_block/yield/exit/preempt/
 *   tick, called by the environment for that vCPU's pCPU. When the policy
 *   or the core wants it stopped, env.preempt(p) is called and the
 *   environment calls vcpu_core_preempt(p) at its next preemption point.
 * - Invariants (DESIGN.md §3) are checked after every call when checking is
 *   on (VCPU_CORE_CHECK or VCPU_CHECK=1 in the environment); invariant 5
 *   (work conservation) only by vcpu_core_check_settled(), which the
 *   environment calls when it has no kick left to deliver at this instant.
 *   A broken invariant makes the call return VCPU_EINVARIANT; every later
 *   call returns it too, and vcpu_core_error() says what broke.
 *
 * Concurrency. A core instance is single-threaded unless created with
 * VCPU_CORE_THREADSAFE: then every call takes one core-wide lock, so every
 * policy runs serialized (VP_SERIALIZED or not) in this version.
 */

/** Opaque core instance. */
typedef struct vcpu_core vcpu_core_t;

/** Callbacks from the core to its environment. All optional. */
struct vcpu_core_env {
    uint32_t abi; /**< VCPU_CORE_ABI */
    /** kick - idle pCPU @p should call vcpu_core_pick. Context: inside a
     *  core call, core lock held: must not call back into the core. */
    void (*kick)(void *arg, vcpu_pcpu_t p);
    /** preempt - @p's running vCPU should stop (vcpu_core_preempt) at the
     *  next preemption point. Same context as kick. */
    void (*preempt)(void *arg, vcpu_pcpu_t p);
    /** trace - one trace record. Same context as kick. */
    void (*trace)(void *arg, const struct vcpu_trace_rec *r);
    /** log - a diagnostic line (policy abort, invariant report, dump). */
    void (*log)(void *arg, const char *line);
    /** trace_mask - the records trace receives: bit (1 << event) of each
     *  enum vcpu_trace_event wanted; 0 = every record. An environment that
     *  follows only RUN and STOP saves the call for the others. */
    uint64_t trace_mask;
};

#define VCPU_CORE_ABI 1u

/** Flags of struct vcpu_core_attr. */
enum vcpu_core_flags {
    VCPU_CORE_CHECK = 1u << 0,      /**< check invariants after every call */
    VCPU_CORE_THREADSAFE = 1u << 1, /**< one core-wide lock per call */
    VCPU_CORE_NOCHECK = 1u << 2,    /**< ignore VCPU_CHECK=1 */
    /** reuse the ids of a removed VM's vCPUs (vcpu_core_vm_remove) */
    VCPU_CORE_RECYCLE = 1u << 3,
};

/**
 * struct vcpu_core_attr - How to create a core. Zero fields mean defaults.
 * @abi: VCPU_CORE_ABI
 * @topo: the machine (a reference is taken)
 * @ops: the policy (borrowed: must outlive the core); NULL = default FIFO
 * @policy_args: "k=v,k=v" checked against ops->params; NULL = defaults
 * @seed: seed of vp_rand
 * @slice_ns: default slice; 0 = 5 ms
 * @flags: enum vcpu_core_flags
 * @env, @env_arg: callbacks (borrowed) and their argument
 * @start_ns: the core's initial time
 */
struct vcpu_core_attr {
    uint32_t abi;
    const vcpu_topo_t *topo;
    const struct vcpu_policy_ops *ops;
    const char *policy_args;
    uint64_t seed;
    uint64_t slice_ns;
    unsigned flags;
    const struct vcpu_core_env *env;
    void *env_arg;
    vcpu_time_t start_ns;
};

/** Attributes of a VM (vcpu_core_vm_add). Zero fields mean defaults. */
struct vcpu_vm_attr {
    uint32_t abi;               /**< VCPU_CORE_ABI */
    unsigned weight;            /**< 0 = 100 */
    unsigned cap;               /**< thousandths of a pCPU; 0 = uncapped */
    unsigned nvcpus_hint;       /**< expected vCPUs, for space sharing */
    const vcpu_pcpu_t *allowed; /**< pCPUs the VM may use (borrowed) */
    unsigned nallowed;          /**< 0 = all pCPUs */
};

/** Counters of one vCPU (vcpu_core_vcpu_stats). Times in ns. */
struct vcpu_vcpu_stats {
    uint32_t abi;
    unsigned state;   /**< enum vp_vcpu_state */
    uint64_t run_ns;  /**< time RUNNING */
    uint64_t work_ns; /**< run time scaled by pCPU speed */
    uint64_t wait_ns; /**< time RUNNABLE */
    uint64_t blocked_ns;
    uint64_t suspended_ns;
    uint64_t nr_runs;       /**< times dispatched */
    uint64_t nr_migrations; /**< runs on a pCPU other than the last */
    uint64_t nr_preemptions;
    uint64_t nr_suspends;
    vcpu_time_t exit_ns; /**< time of exit (0 if alive) */
};

/** Counters of one pCPU (vcpu_core_pcpu_stats). Times in ns. */
struct vcpu_pcpu_stats {
    uint32_t abi;
    unsigned state;     /**< enum vp_pcpu_state */
    uint32_t speed;     /**< thousandths */
    uint64_t busy_ns;   /**< time running a vCPU */
    uint64_t online_ns; /**< time online */
    uint64_t nr_runs;
};

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

/**
 * vcpu_core_create - Make a core: every pCPU online at nominal speed, no
 * VM. Calls ops->init.
 * Return: 0, VCPU_EINVAL (NULL, bad flags, invalid ops table), VCPU_EABI
 * (attr or ops ABI), VCPU_EPARSE (bad policy_args; the reason goes to
 * env.log), init's own error, VCPU_ENOMEM.
 * Context: any thread; does not block. Partner: vcpu_core_destroy.
 */
VCPU_API int vcpu_core_create(const struct vcpu_core_attr *attr,
                              vcpu_core_t **out);

/** vcpu_core_destroy - Call ops->fini, free everything. NULL: no-op. */
VCPU_API void vcpu_core_destroy(vcpu_core_t *c);

/** The core's time (the largest `now` seen). */
VCPU_API vcpu_time_t vcpu_core_now(const vcpu_core_t *c);

/** What broke (invariant, policy abort), or "" if nothing. Static until
 *  the core is destroyed. */
VCPU_API const char *vcpu_core_error(const vcpu_core_t *c);

/** Name of the policy in use. */
VCPU_API const char *vcpu_core_policy_name(const vcpu_core_t *c);

/* ------------------------------------------------------------------ */
/* VMs and vCPUs                                                       */
/* ------------------------------------------------------------------ */

/**
 * vcpu_core_vm_add - Create a VM. Calls ops->vm_add.
 * Return: 0, VCPU_EINVAL (bad attr: pCPU out of range, weight > 10000),
 * VCPU_ENOMEM.
 */
VCPU_API int vcpu_core_vm_add(vcpu_core_t *c, vcpu_time_t now,
                              const struct vcpu_vm_attr *attr, vcpu_vm_t *out);

/**
 * vcpu_core_vm_remove - Remove a VM; all its vCPUs must have exited.
 * With VCPU_CORE_RECYCLE their ids become free: a later vcpu_core_vcpu_add
 * takes the lowest free id (a VM's ids stay ascending) with fresh counters,
 * so the old vCPUs' counters are gone and the VM lists no vCPU any more.
 * Without it, ids are never reused and every counter stays queryable.
 * Return: 0, VCPU_ESRCH (no such VM), VCPU_EBUSY (vCPUs alive).
 */
VCPU_API int vcpu_core_vm_remove(vcpu_core_t *c, vcpu_time_t now, vcpu_vm_t vm);

/**
 * vcpu_core_vcpu_add - Create a vCPU (state NEW) in @vm.
 * Return: 0, VCPU_ESRCH (no such VM), VCPU_ENOMEM.
 */
VCPU_API int vcpu_core_vcpu_add(vcpu_core_t *c, vcpu_time_t now, vcpu_vm_t vm,
                                vcpu_id_t *out);

/** vcpu_core_vcpu_set_prio - Criticality hint for policies (vp_vcpu_prio). */
VCPU_API int vcpu_core_vcpu_set_prio(vcpu_core_t *c, vcpu_id_t v, int prio);

/* ------------------------------------------------------------------ */
/* Events from the environment                                         */
/* All return 0, VCPU_ESRCH (unknown id), VCPU_ESTATE (wrong state for   */
/* the event), VCPU_EINVARIANT (checking on and an invariant broke).    */
/* ------------------------------------------------------------------ */

/** vcpu_core_wake - NEW or BLOCKED @v becomes RUNNABLE (select, enqueue). */
VCPU_API int vcpu_core_wake(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v);
/** vcpu_core_block - RUNNING @v blocks; its pCPU becomes idle. */
VCPU_API int vcpu_core_block(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v);
/** vcpu_core_yield - RUNNING @v gives up its pCPU and is enqueued again. */
VCPU_API int vcpu_core_yield(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v);
/** vcpu_core_exit - @v (any state but EXITED) exits; calls vcpu_remove. */
VCPU_API int vcpu_core_exit(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v);
/**
 * vcpu_core_preempt - Stop the vCPU running on @p (enqueued again, or
 * parked if a suspension is pending). No-op (0) if @p is idle.
 */
VCPU_API int vcpu_core_preempt(vcpu_core_t *c, vcpu_time_t now, vcpu_pcpu_t p);
/**
 * vcpu_core_tick - Periodic tick or slice-expiry check on @p: calls
 * ops->tick; preempts the running vCPU when its slice is used up or the
 * policy asked. @out_preempted (may be NULL) tells whether it stopped.
 */
VCPU_API int vcpu_core_tick(vcpu_core_t *c, vcpu_time_t now, vcpu_pcpu_t p,
                            bool *out_preempted);
/**
 * vcpu_core_pick - What should idle @p run now? Local DSQ, then the global
 * DSQ, then ops->dispatch, then the local DSQ again.
 * @out_v: the vCPU now RUNNING on @p, or VCPU_NONE (idle)
 * @out_slice_ns: its slice (may be NULL)
 * Return: 0, VCPU_EBUSY (@p runs a vCPU), VCPU_ENODEV (@p offline), ...
 */
VCPU_API int vcpu_core_pick(vcpu_core_t *c, vcpu_time_t now, vcpu_pcpu_t p,
                            vcpu_id_t *out_v, uint64_t *out_slice_ns);
/**
 * vcpu_core_pcpu_set_online - Bring @p online or take it offline. Offline:
 * its vCPU is stopped and enqueued again, its local DSQ emptied.
 * Taking the last pCPU offline is allowed: runnable vCPUs then wait.
 * Return: 0 (also when nothing changes), VCPU_ESRCH.
 */
VCPU_API int vcpu_core_pcpu_set_online(vcpu_core_t *c, vcpu_time_t now,
                                       vcpu_pcpu_t p, bool online);
/**
 * vcpu_core_pcpu_set_speed - Set @p's speed, thousandths of nominal
 * (1..100000). Return: 0, VCPU_ESRCH, VCPU_ERANGE.
 */
VCPU_API int vcpu_core_pcpu_set_speed(vcpu_core_t *c, vcpu_time_t now,
                                      vcpu_pcpu_t p, uint32_t speed);
/** vcpu_core_suspend - Operator suspension of @v (see vp_suspend). */
VCPU_API int vcpu_core_suspend(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v);
/** vcpu_core_resume - Undo vcpu_core_suspend. */
VCPU_API int vcpu_core_resume(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v);

/**
 * vcpu_core_check_settled - The environment has delivered every kick at
 * this instant: check all invariants, including work conservation.
 * Return: 0 or VCPU_EINVARIANT. Checks even when checking mode is off.
 */
VCPU_API int vcpu_core_check_settled(vcpu_core_t *c);

/** vcpu_core_check - As _settled without invariant 5. */
VCPU_API int vcpu_core_check(vcpu_core_t *c);

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

/** Number of vCPUs in @state (enum vp_vcpu_state) right now; O(1). */
VCPU_API unsigned vcpu_core_count_state(const vcpu_core_t *c, unsigned state);
/** The policy table in use (borrowed until the next policy change). */
VCPU_API const struct vcpu_policy_ops *
vcpu_core_policy_ops(const vcpu_core_t *c);
/**
 * vcpu_core_advance - Move the core's time to @now (no other effect), e.g.
 * to read counters at the end of a run.
 * Return: 0, VCPU_EINVARIANT.
 */
VCPU_API int vcpu_core_advance(vcpu_core_t *c, vcpu_time_t now);

VCPU_API unsigned vcpu_core_npcpus(const vcpu_core_t *c);
VCPU_API unsigned vcpu_core_nvcpus(const vcpu_core_t *c);
VCPU_API unsigned vcpu_core_vcpu_state(const vcpu_core_t *c, vcpu_id_t v);
VCPU_API vcpu_vm_t vcpu_core_vcpu_vm(const vcpu_core_t *c, vcpu_id_t v);
VCPU_API vcpu_pcpu_t vcpu_core_vcpu_pcpu(const vcpu_core_t *c, vcpu_id_t v);
/** Whether @v is suspended by the policy (1), the operator (2), both (3). */
VCPU_API unsigned vcpu_core_vcpu_suspended_by(const vcpu_core_t *c,
                                              vcpu_id_t v);
/** Whether VM @vm allows pCPU @p. */
VCPU_API bool vcpu_core_vm_allows(const vcpu_core_t *c, vcpu_vm_t vm,
                                  vcpu_pcpu_t p);
VCPU_API vcpu_id_t vcpu_core_pcpu_curr(const vcpu_core_t *c, vcpu_pcpu_t p);
VCPU_API unsigned vcpu_core_pcpu_state(const vcpu_core_t *c, vcpu_pcpu_t p);
VCPU_API uint32_t vcpu_core_pcpu_speed(const vcpu_core_t *c, vcpu_pcpu_t p);
/** Counters of @v, up to the core's current time. */
VCPU_API int vcpu_core_vcpu_stats(const vcpu_core_t *c, vcpu_id_t v,
                                  struct vcpu_vcpu_stats *out);
/** Counters of @p, up to the core's current time. */
VCPU_API int vcpu_core_pcpu_stats(const vcpu_core_t *c, vcpu_pcpu_t p,
                                  struct vcpu_pcpu_stats *out);
/**
 * vcpu_core_set_policy - Swap the policy: the old one is finalised, the new
 * one initialised and told of every live VM and vCPU; queued vCPUs are
 * enqueued again (VP_ENQ_REQUEUE), running ones keep running. No vCPU is
 * lost or duplicated. On failure the old policy stays.
 * Return: 0, VCPU_EINVAL, VCPU_EABI, VCPU_EPARSE, init's error, VCPU_ENOMEM.
 */
VCPU_API int vcpu_core_set_policy(vcpu_core_t *c, vcpu_time_t now,
                                  const struct vcpu_policy_ops *ops,
                                  const char *policy_args);

/** Time at which @p's running vCPU's slice ends (0 if idle). */
VCPU_API vcpu_time_t vcpu_core_slice_end(const vcpu_core_t *c, vcpu_pcpu_t p);

/** vcpu_core_dump - Core state and the policy's dump() to env.log / @f. */
VCPU_API void vcpu_core_dump(vcpu_core_t *c, FILE *f);

/* ------------------------------------------------------------------ */
/* Policy registry                                                     */
/* ------------------------------------------------------------------ */

/** Number of built-in policies. */
VCPU_API unsigned vcpu_policy_count(void);
/** The @i-th built-in policy (NULL past the end). */
VCPU_API const struct vcpu_policy_ops *vcpu_policy_at(unsigned i);
/** Built-in policy by name, or NULL. */
VCPU_API const struct vcpu_policy_ops *vcpu_policy_find(const char *name);

/** An external policy loaded from a shared object. */
typedef struct vcpu_policy_lib vcpu_policy_lib_t;

/**
 * The one symbol a policy shared object exports:
 *   const struct vcpu_policy_ops *vcpu_policy_entry(uint32_t host_abi);
 * It returns its table (whose .abi the host checks), or NULL to refuse.
 */
#define VCPU_POLICY_ENTRY "vcpu_policy_entry"
typedef const struct vcpu_policy_ops *(*vcpu_policy_entry_fn)(uint32_t abi);

/**
 * vcpu_policy_open - Load a policy from a shared object with dlopen.
 * @path: file (as dlopen takes it)
 * @out: receives the handle (NULL on failure)
 * @err, @errlen: receive a message on failure (may be NULL)
 * Return: 0, VCPU_EINVAL, VCPU_ENOENT (dlopen failed), VCPU_ENOSYS (no
 * vcpu_policy_entry), VCPU_EABI (ABI differs), VCPU_EPOLICY (entry refused
 * or table invalid), VCPU_ENOMEM.
 * Context: not from a callback; may block (file I/O). Partner:
 * vcpu_policy_close, after every core using its ops is destroyed.
 */
VCPU_API int vcpu_policy_open(const char *path, vcpu_policy_lib_t **out,
                              char *err, size_t errlen);
/** The loaded table; borrowed until vcpu_policy_close. */
VCPU_API const struct vcpu_policy_ops *
vcpu_policy_lib_ops(const vcpu_policy_lib_t *lib);
/** vcpu_policy_close - dlclose; NULL is a no-op. */
VCPU_API void vcpu_policy_close(vcpu_policy_lib_t *lib);

/**
 * vcpu_policy_validate - Check a table: ABI, name syntax, params.
 * Return: 0, VCPU_EABI, VCPU_EINVAL (message in @err).
 */
VCPU_API int vcpu_policy_validate(const struct vcpu_policy_ops *ops, char *err,
                                  size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* VCPU_CORE_H */
