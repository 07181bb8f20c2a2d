/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy side of libvcpu: struct vcpu_policy_ops and the vp_* helpers a
 * policy may call from its callbacks. Compiles alone; includes only types.h
 * and errno.h, so a policy is the same object code under the runtime and
 * under the simulator. */
#ifndef VCPU_POLICY_H
#define VCPU_POLICY_H

#ifdef __cplusplus
extern "C" {
#endif

#include "errno.h"
#include "types.h"

/** ABI version of struct vcpu_policy_ops and the vp_* contract. */
#define VCPU_POLICY_ABI 2u

/** The core instance as a policy sees it; only valid inside callbacks. */
typedef struct vp_ctx vp_ctx_t;

/*
 * vCPU lifecycle. Every transition is made by the core, under the core's
 * lock when the environment is multi-threaded (see vcpu/core.h):
 *
 *          wake                 pick (dispatch)
 *   NEW ---------> RUNNABLE -------------------> RUNNING
 *                   ^   ^  <--------------------  |  |  |
 *                   |   |   yield / preempt /     |  |  | exit
 *            wake   |   |   slice expiry          |  |  v
 *   BLOCKED --------+   |                 block   |  | EXITED
 *      ^----------------+-------------------------+  |
 *                       | resume                     | suspend (policy or
 *                   SUSPENDED <----------------------+  operator; a RUNNING
 *                                                       vCPU stops first)
 *
 * A RUNNABLE vCPU is in exactly one dispatch queue (DSQ); no other state is
 * in any DSQ. A BLOCKED vCPU suspended meanwhile wakes into SUSPENDED.
 */
enum vp_vcpu_state {
    VP_VCPU_NEW = 0,
    VP_VCPU_RUNNABLE,
    VP_VCPU_RUNNING,
    VP_VCPU_BLOCKED,
    VP_VCPU_SUSPENDED,
    VP_VCPU_EXITED,
};

/** pCPU states. ONLINE pCPUs also have a speed (VCPU_SPEED_NOMINAL = 1.0). */
enum vp_pcpu_state {
    VP_PCPU_OFFLINE = 0,
    VP_PCPU_ONLINE = 1,
};

/** Policy flags (struct vcpu_policy_ops.flags). */
enum vp_policy_flags {
    /** No ONLINE pCPU idles while an eligible RUNNABLE vCPU waits
     *  (invariant 5 is checked for this policy). */
    VP_WORK_CONSERVING = 1u << 0,
    /** Every callback runs under one core-wide lock. Without it a policy
     *  must be thread-safe (see "Concurrency" in vcpu/core.h). */
    VP_SERIALIZED = 1u << 1,
};

/** Why enqueue() is called (flags argument). */
enum vp_enq_flags {
    VP_ENQ_WAKEUP = 1u << 0,    /**< from NEW or BLOCKED */
    VP_ENQ_PREEMPTED = 1u << 1, /**< slice expired or preempted */
    VP_ENQ_YIELD = 1u << 2,     /**< the vCPU yielded */
    VP_ENQ_REQUEUE = 1u << 3,   /**< taken back from an offline pCPU's
                                     local DSQ or a destroyed DSQ */
    VP_ENQ_RESUME = 1u << 4,    /**< resumed from SUSPENDED */
};

/** Dispatch queue ids. Shared DSQs: 0..VP_DSQ_MAX_ID, made by the policy. */
typedef uint64_t vp_dsq_t;
#define VP_DSQ_MAX_ID ((vp_dsq_t)(1u << 20) - 1)
/** The built-in global FIFO every core has (sched_ext's SCX_DSQ_GLOBAL). */
#define VP_DSQ_GLOBAL ((vp_dsq_t)1 << 62)
/** pCPU @p's local DSQ: what @p runs next, in order. */
#define VP_DSQ_LOCAL_ON(p) (((vp_dsq_t)1 << 63) | (vp_dsq_t)(p))

/** Kinds of shared DSQs. */
enum vp_dsq_kind {
    VP_DSQ_FIFO = 0, /**< first in, first out */
    VP_DSQ_PRIQ = 1, /**< ascending 64-bit key, FIFO among equal keys */
};

/** vp_dsq_insert flags. */
enum vp_insert_flags {
    VP_INSERT_HEAD = 1u << 0, /**< FIFO and local DSQs: at the head */
};

/** Arguments of init(). */
struct vp_init_args {
    uint32_t abi;      /**< VCPU_POLICY_ABI of the host */
    unsigned npcpus;   /**< pCPUs in the topology (online or not) */
    uint64_t slice_ns; /**< the environment's default time slice */
    uint64_t seed;     /**< the run's seed (vp_rand is already seeded) */
};

/** What changed on a pCPU (pcpu_change()). */
struct vp_pcpu_change {
    unsigned old_state; /**< enum vp_pcpu_state */
    unsigned new_state;
    uint32_t old_speed; /**< thousandths of nominal */
    uint32_t new_speed;
};

/** Types of policy arguments (struct vp_param). */
enum vp_param_type {
    VP_PARAM_U64 = 1,
    VP_PARAM_DOUBLE,
    VP_PARAM_BOOL,
};

/**
 * struct vp_param - One argument a policy accepts, e.g. "slice_us=500".
 * The table ends with an entry whose @name is NULL. The core parses the
 * argument string "k=v,k=v" against it before init() and rejects unknown
 * keys and malformed values.
 */
struct vp_param {
    const char *name;
    unsigned type;   /**< enum vp_param_type */
    const char *def; /**< default, as text */
    const char *doc; /**< one line, with the unit */
};

/**
 * struct vcpu_policy_ops - A scheduling policy. Every callback is optional:
 * a table with only .abi and .name loads and behaves as one global FIFO.
 * All callbacks run with the core lock held (or the DSQ locks they touch,
 * for a policy without VP_SERIALIZED), must not block, and may call only
 * vp_* helpers: time from vp_now(), randomness from vp_rand(), no clock,
 * rand(), threads or I/O, so the same file runs deterministically in sim.
 */
struct vcpu_policy_ops {
    uint32_t abi;   /**< VCPU_POLICY_ABI the policy was built against */
    uint32_t flags; /**< enum vp_policy_flags */

    /**
     * init - Set up private state (vp_state() is zeroed, sized
     * @state_size). Called once, before any other callback.
     * Return: 0, or a negative VCPU_E* to refuse (creation fails with it).
     * NULL: nothing to set up.
     */
    int (*init)(vp_ctx_t *ctx, const struct vp_init_args *args);
    /** fini - Tear down; only after a successful init(). NULL: nothing. */
    void (*fini)(vp_ctx_t *ctx);

    /**
     * vm_add - A VM was created (before any of its vCPUs). Its id may be
     * a removed VM's (the runtime reuses the ids of joined VMs, as it
     * does vCPU ids): vp_vm_data() is zeroed again, but what the policy
     * made itself for that id stays, e.g. a DSQ named after the VM
     * (vp_dsq_create() then returns VCPU_EEXIST; the DSQ is empty).
     * NULL: none.
     */
    void (*vm_add)(vp_ctx_t *ctx, vcpu_vm_t vm);
    /** vm_remove - A VM's last vCPU is gone; the VM goes. NULL: none. */
    void (*vm_remove)(vp_ctx_t *ctx, vcpu_vm_t vm);
    /** vcpu_add - vCPU @v was created, in state NEW. NULL: none. */
    void (*vcpu_add)(vp_ctx_t *ctx, vcpu_id_t v);
    /** vcpu_remove - vCPU @v exited; it is in no DSQ. NULL: none. */
    void (*vcpu_remove)(vp_ctx_t *ctx, vcpu_id_t v);

    /**
     * select_pcpu - Wake-up placement of @v (RUNNABLE, in no DSQ); @prev is
     * the pCPU it last ran on (VCPU_NONE if never). The return value is a
     * hint stored as the vCPU's target (vp_vcpu_target). If the callback
     * inserts @v into a DSQ itself, enqueue() is skipped.
     * NULL: @prev if @v's VM allows it and it is online, else VCPU_NONE.
     */
    vcpu_pcpu_t (*select_pcpu)(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t prev,
                               unsigned enq_flags);
    /**
     * enqueue - @v became RUNNABLE: insert it into a DSQ (vp_dsq_insert) or
     * suspend it (vp_suspend). Leaving it nowhere breaks invariant 3.
     * NULL: insert into VP_DSQ_GLOBAL and kick an idle allowed pCPU.
     */
    void (*enqueue)(vp_ctx_t *ctx, vcpu_id_t v, unsigned enq_flags);
    /**
     * dispatch - @p's local DSQ and the global DSQ are empty and @p is
     * asking for work: move vCPUs into @p's local DSQ
     * (vp_dsq_move_to_local). If it stays empty, @p idles.
     * NULL: @p idles.
     */
    void (*dispatch)(vp_ctx_t *ctx, vcpu_pcpu_t p);
    /** running - @v starts running on @p. NULL: none. */
    void (*running)(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p);
    /**
     * stopping - @v stops running on @p; @still_runnable tells whether it
     * will be enqueued again (preempted, yielded) or not (blocked, exited,
     * suspended). vp_vcpu_runtime() already includes this run. NULL: none.
     */
    void (*stopping)(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p,
                     bool still_runnable);
    /**
     * yield - A shortcut the environment may take when @v, running on @p,
     * yields and @p picks its next vCPU in the same call (the runtime's
     * vcpu_yield). Called after stopping(), with @v RUNNABLE and in no
     * DSQ, and only while @p's local DSQ is empty. Return true, with
     * *@dsq a FIFO DSQ that is not @p's local one and *@slice_ns, to
     * promise that enqueue(@v, VP_ENQ_YIELD) would now do nothing but
     * insert @v at *@dsq's tail with that slice, and that dispatch(@p)
     * would then do nothing but move *@dsq's first vCPU @p may run into
     * @p's local DSQ: the core does exactly that instead of calling them
     * (same trace, same state). Must not change any state (read-only
     * vp_* helpers only). Return false for the usual enqueue and pick.
     * NULL: always the usual path (the built-in default enqueue takes a
     * shortcut of its own through VP_DSQ_GLOBAL).
     */
    bool (*yield)(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t p, vp_dsq_t *dsq,
                  uint64_t *slice_ns);
    /**
     * tick - Periodic tick (or slice check) on @p while it runs
     * vp_pcpu_curr(p). May call vp_preempt(ctx, p) or vp_slice_set().
     * The core preempts on its own when the slice is used up. NULL: none.
     */
    void (*tick)(vp_ctx_t *ctx, vcpu_pcpu_t p);
    /**
     * pcpu_change - @p went online/offline or changed speed. When it went
     * offline its vCPU has been stopped (and enqueued again) and, after the
     * callback returns, the core re-enqueues (VP_ENQ_REQUEUE) whatever is
     * still in @p's local DSQ. NULL: none.
     */
    void (*pcpu_change)(vp_ctx_t *ctx, vcpu_pcpu_t p,
                        const struct vp_pcpu_change *c);
    /** dump - Describe private state with vp_dump_printf(). NULL: none. */
    void (*dump)(vp_ctx_t *ctx);

    const char *name;              /**< registry name, [a-z0-9_]+ */
    const char *description;       /**< one line; where it does badly */
    const struct vp_param *params; /**< accepted arguments, or NULL */
    size_t state_size;             /**< bytes of vp_state(), zeroed */
    size_t pcpu_data_size; /**< bytes of vp_pcpu_data() per pCPU, zeroed */
    size_t vcpu_data_size; /**< bytes of vp_vcpu_data() per vCPU, zeroed */
    size_t vm_data_size;   /**< bytes of vp_vm_data() per VM, zeroed */
};

/*
 * Helpers. Context for all: policy callback; they do not block.
 * Undefined: ids out of range (a vCPU or VM id never created, a pCPU id >=
 * vp_npcpus()) unless an error return is documented.
 */

/* ---- time, randomness, private data, arguments ---------------------- */

/** Current time of the event being handled, in ns. */
VCPU_API vcpu_time_t vp_now(const vp_ctx_t *ctx);
/** 64 uniformly random bits from the run's seeded generator. */
VCPU_API uint64_t vp_rand(vp_ctx_t *ctx);
/** Uniform integer in [0, n), n > 0, from the run's generator. */
VCPU_API uint64_t vp_rand_below(vp_ctx_t *ctx, uint64_t n);
/** The environment's default slice (ns). */
VCPU_API uint64_t vp_slice_ns(const vp_ctx_t *ctx);
/** Private state (ops.state_size bytes, zeroed at init). */
VCPU_API void *vp_state(vp_ctx_t *ctx);
/** Per-pCPU, per-vCPU and per-VM private data (sizes in the ops table). */
VCPU_API void *vp_pcpu_data(vp_ctx_t *ctx, vcpu_pcpu_t p);
VCPU_API void *vp_vcpu_data(vp_ctx_t *ctx, vcpu_id_t v);
VCPU_API void *vp_vm_data(vp_ctx_t *ctx, vcpu_vm_t vm);
/** Value of an argument declared in ops.params (or its default). */
VCPU_API uint64_t vp_arg_u64(const vp_ctx_t *ctx, const char *name);
VCPU_API double vp_arg_double(const vp_ctx_t *ctx, const char *name);
VCPU_API bool vp_arg_bool(const vp_ctx_t *ctx, const char *name);

/* ---- dispatch queues ------------------------------------------------ */

/**
 * vp_dsq_create - Make shared DSQ @id (0..VP_DSQ_MAX_ID) of @kind.
 * Return: 0, VCPU_EINVAL (bad id or kind), VCPU_EEXIST, VCPU_ENOMEM.
 */
VCPU_API int vp_dsq_create(vp_ctx_t *ctx, vp_dsq_t id, unsigned kind);
/**
 * vp_dsq_insert - Queue RUNNABLE @v (in no DSQ) on @dsq: a shared FIFO,
 * VP_DSQ_GLOBAL or VP_DSQ_LOCAL_ON(p); it will run with slice @slice_ns
 * (0 = the default). For a PRIQ use vp_dsq_insert_key().
 * Return: 0, VCPU_ENOENT (no such DSQ), VCPU_EINVAL (@v not RUNNABLE, already
 * queued, or @dsq is a PRIQ).
 */
VCPU_API int vp_dsq_insert(vp_ctx_t *ctx, vp_dsq_t dsq, vcpu_id_t v,
                           uint64_t slice_ns, unsigned insert_flags);
/** vp_dsq_insert_key - As vp_dsq_insert, into a PRIQ DSQ, ordered by @key. */
VCPU_API int vp_dsq_insert_key(vp_ctx_t *ctx, vp_dsq_t dsq, vcpu_id_t v,
                               uint64_t key, uint64_t slice_ns);
/**
 * vp_dsq_move_to_local - Move the first vCPU of shared @dsq whose VM allows
 * @p into @p's local DSQ.
 * Return: the vCPU moved, or VCPU_NONE (none eligible, or no such DSQ).
 */
VCPU_API vcpu_id_t vp_dsq_move_to_local(vp_ctx_t *ctx, vp_dsq_t dsq,
                                        vcpu_pcpu_t p);
/**
 * vp_dsq_move - Move queued @v from its DSQ to @dsq (key @key for a PRIQ,
 * ignored otherwise), keeping its slice. For balancing and stealing.
 * Return: 0, VCPU_EINVAL (@v not queued), VCPU_ENOENT (no such DSQ).
 */
VCPU_API int vp_dsq_move(vp_ctx_t *ctx, vcpu_id_t v, vp_dsq_t dsq,
                         uint64_t key);
/** Number of vCPUs queued on @dsq (0 for an unknown DSQ). */
VCPU_API unsigned vp_dsq_nr(const vp_ctx_t *ctx, vp_dsq_t dsq);
/** First queued vCPU of @dsq (in dispatch order), or VCPU_NONE. */
VCPU_API vcpu_id_t vp_dsq_first(const vp_ctx_t *ctx, vp_dsq_t dsq);
/** The vCPU after queued @v in its DSQ, or VCPU_NONE. */
VCPU_API vcpu_id_t vp_dsq_next(const vp_ctx_t *ctx, vcpu_id_t v);
/** Key of queued @v (PRIQ), 0 otherwise. */
VCPU_API uint64_t vp_dsq_key(const vp_ctx_t *ctx, vcpu_id_t v);
/** The DSQ @v is queued on; meaningful only when vp_vcpu_is_queued(). */
VCPU_API vp_dsq_t vp_vcpu_dsq(const vp_ctx_t *ctx, vcpu_id_t v);
/** Whether @v is queued on any DSQ. */
VCPU_API bool vp_vcpu_is_queued(const vp_ctx_t *ctx, vcpu_id_t v);

/* ---- actions --------------------------------------------------------- */

/** vp_kick - Ask pCPU @p to look for work (the environment wakes it). */
VCPU_API void vp_kick(vp_ctx_t *ctx, vcpu_pcpu_t p);
/**
 * vp_kick_idle - Kick an idle online pCPU that @v's VM allows, the nearest
 * to @near in the topology (any if @near is VCPU_NONE).
 * Return: the pCPU kicked, or VCPU_NONE if none is idle.
 */
VCPU_API vcpu_pcpu_t vp_kick_idle(vp_ctx_t *ctx, vcpu_id_t v, vcpu_pcpu_t near);
/** vp_idle_find - As vp_kick_idle without kicking (nor claiming). */
VCPU_API vcpu_pcpu_t vp_idle_find(const vp_ctx_t *ctx, vcpu_id_t v,
                                  vcpu_pcpu_t near);
/** vp_preempt - Stop @p's running vCPU at the next preemption point. */
VCPU_API void vp_preempt(vp_ctx_t *ctx, vcpu_pcpu_t p);
/** vp_slice_set - Change the remaining slice of @p's running vCPU. */
VCPU_API void vp_slice_set(vp_ctx_t *ctx, vcpu_pcpu_t p, uint64_t slice_ns);
/**
 * vp_suspend - Park @v (RUNNABLE: taken off its DSQ; RUNNING: preempted and
 * parked when it stops; BLOCKED: parked when it wakes).
 * Return: 0 (also when the policy had already suspended @v), VCPU_ESTATE
 * (@v is NEW or EXITED).
 */
VCPU_API int vp_suspend(vp_ctx_t *ctx, vcpu_id_t v);
/**
 * vp_resume - Undo vp_suspend. @v becomes RUNNABLE (and is enqueued with
 * VP_ENQ_RESUME) unless an operator suspension still holds it.
 * Return: 0, VCPU_ESTATE (not suspended by the policy).
 */
VCPU_API int vp_resume(vp_ctx_t *ctx, vcpu_id_t v);
/**
 * vp_abort - Give up: the host logs @fmt with @code and falls back to the
 * default policy (one global FIFO) at the next environment call.
 */
VCPU_API void vp_abort(vp_ctx_t *ctx, int code, const char *fmt, ...)
    VCPU_PRINTF(3, 4);
/** vp_dump_printf - Output for the dump() callback. */
VCPU_API void vp_dump_printf(vp_ctx_t *ctx, const char *fmt, ...)
    VCPU_PRINTF(2, 3);

/* ---- vCPUs ----------------------------------------------------------- */

/** Number of vCPU ids ever created (ids are 0..n-1). */
VCPU_API unsigned vp_nvcpus(const vp_ctx_t *ctx);
/** State (enum vp_vcpu_state). */
VCPU_API unsigned vp_vcpu_state(const vp_ctx_t *ctx, vcpu_id_t v);
/** The VM @v belongs to. */
VCPU_API vcpu_vm_t vp_vcpu_vm(const vp_ctx_t *ctx, vcpu_id_t v);
/** Index of @v inside its VM (0..nvcpus-1). */
VCPU_API unsigned vp_vcpu_index(const vp_ctx_t *ctx, vcpu_id_t v);
/** pCPU @v runs on, or last ran on (VCPU_NONE if it never ran). */
VCPU_API vcpu_pcpu_t vp_vcpu_pcpu(const vp_ctx_t *ctx, vcpu_id_t v);
/** Target chosen by select_pcpu at its last wake-up (or VCPU_NONE). */
VCPU_API vcpu_pcpu_t vp_vcpu_target(const vp_ctx_t *ctx, vcpu_id_t v);
/** Total time @v has run (ns, wall), including the current run so far. */
VCPU_API uint64_t vp_vcpu_runtime(const vp_ctx_t *ctx, vcpu_id_t v);
/** Work @v has done: run time scaled by pCPU speed (reference ns). */
VCPU_API uint64_t vp_vcpu_work(const vp_ctx_t *ctx, vcpu_id_t v);
/** Whether @v is suspended by the policy (vp_suspend). */
VCPU_API bool vp_vcpu_is_policy_suspended(const vp_ctx_t *ctx, vcpu_id_t v);
/** Priority hint from the environment (higher = more critical), 0 default. */
VCPU_API int vp_vcpu_prio(const vp_ctx_t *ctx, vcpu_id_t v);

/* ---- VMs ------------------------------------------------------------- */

/** Number of VM ids ever created (ids are 0..n-1). */
VCPU_API unsigned vp_nvms(const vp_ctx_t *ctx);
/** Whether VM @vm exists (created, not removed). */
VCPU_API bool vp_vm_is_live(const vp_ctx_t *ctx, vcpu_vm_t vm);
/** Weight (default 100). */
VCPU_API unsigned vp_vm_weight(const vp_ctx_t *ctx, vcpu_vm_t vm);
/** Cap in thousandths of one pCPU (1500 = 1.5 pCPUs); 0 = uncapped. */
VCPU_API unsigned vp_vm_cap(const vp_ctx_t *ctx, vcpu_vm_t vm);
/** Number of vCPUs the VM has now (not exited). */
VCPU_API unsigned vp_vm_nvcpus(const vp_ctx_t *ctx, vcpu_vm_t vm);
/** The @i-th vCPU of the VM ever created (0..vp_vm_nvcpus_total-1). */
VCPU_API vcpu_id_t vp_vm_vcpu(const vp_ctx_t *ctx, vcpu_vm_t vm, unsigned i);
/** vCPUs the environment said the VM would have (0 if it did not say). */
VCPU_API unsigned vp_vm_nvcpus_hint(const vp_ctx_t *ctx, vcpu_vm_t vm);
/** Number of vCPUs ever created in the VM (exited ones included). */
VCPU_API unsigned vp_vm_nvcpus_total(const vp_ctx_t *ctx, vcpu_vm_t vm);
/** Whether the VM allows pCPU @p. */
VCPU_API bool vp_vm_allows(const vp_ctx_t *ctx, vcpu_vm_t vm, vcpu_pcpu_t p);

/* ---- pCPUs and topology ---------------------------------------------- */

/** Number of pCPUs (P): ids 0..P-1. */
VCPU_API unsigned vp_npcpus(const vp_ctx_t *ctx);
/** Number of ONLINE pCPUs. */
VCPU_API unsigned vp_nr_online(const vp_ctx_t *ctx);
/** State (enum vp_pcpu_state). */
VCPU_API unsigned vp_pcpu_state(const vp_ctx_t *ctx, vcpu_pcpu_t p);
/** Speed in thousandths of nominal (0 when offline). */
VCPU_API uint32_t vp_pcpu_speed(const vp_ctx_t *ctx, vcpu_pcpu_t p);
/** Whether @p is online, runs nothing and has not been kicked. */
VCPU_API bool vp_pcpu_is_idle(const vp_ctx_t *ctx, vcpu_pcpu_t p);
/** vCPU running on @p, or VCPU_NONE. */
VCPU_API vcpu_id_t vp_pcpu_curr(const vp_ctx_t *ctx, vcpu_pcpu_t p);
/** Number of topology levels (0 = PU .. n-1 = machine). */
VCPU_API unsigned vp_topo_nlevels(const vp_ctx_t *ctx);
/** Kinds of a level (mask of enum vcpu_topo_kind in vcpu/topo.h). */
VCPU_API unsigned vp_topo_level_kinds(const vp_ctx_t *ctx, unsigned level);
/** Objects at a level. */
VCPU_API unsigned vp_topo_level_width(const vp_ctx_t *ctx, unsigned level);
/** Index of @p's ancestor at @level. */
VCPU_API unsigned vp_topo_ancestor(const vp_ctx_t *ctx, vcpu_pcpu_t p,
                                   unsigned level);
/** pCPUs under object @idx of @level: [*first, *first + *n). */
VCPU_API void vp_topo_span(const vp_ctx_t *ctx, unsigned level, unsigned idx,
                           vcpu_pcpu_t *first, unsigned *n);
/** Level of the lowest common ancestor of @a and @b (0 when equal). */
VCPU_API unsigned vp_topo_distance(const vp_ctx_t *ctx, vcpu_pcpu_t a,
                                   vcpu_pcpu_t b);
/** Core kind of @p (0 = least efficient) and the number of kinds. */
VCPU_API unsigned vp_topo_corekind(const vp_ctx_t *ctx, vcpu_pcpu_t p);
VCPU_API unsigned vp_topo_ncorekinds(const vp_ctx_t *ctx);

#ifdef __cplusplus
}
#endif
#endif /* VCPU_POLICY_H */
