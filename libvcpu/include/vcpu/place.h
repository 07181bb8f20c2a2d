/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM placement over a datacenter topology: the placement core (hosts, VMs,
 * a waiting queue, live-migration reservations, invariants) and placement
 * policies, the second ops kind of the registry (docs/placement.md). */
#ifndef VCPU_PLACE_H
#define VCPU_PLACE_H

#ifdef __cplusplus
extern "C" {
#endif

#include "errno.h"
#include "policy.h"
#include "topo.h"
#include "types.h"

/** ABI version of struct vcpu_place_ops, vcpu_vm_req, vcpu_place_attr. */
#define VCPU_PLACE_ABI 1u

/** The placement core: one datacenter's hosts and VMs. Opaque. */
typedef struct vcpu_place vcpu_place_t;
/** What a placement policy's callbacks get. Opaque. */
typedef struct vpp_ctx vpp_ctx_t;
/** VM id in a placement core: dense from 0 in arrival order, never reused. */
typedef uint32_t vcpu_dcvm_t;

/** "No host": the invalid host index. */
#define VCPU_HOST_NONE UINT32_MAX

/*
 * Host states. Only an ON host takes VMs; a host in any other state holds
 * none (the invariant). Every transition is allowed, except that a host
 * that holds VMs (or a migration's reservation) cannot go OFF or BOOTING:
 * it must fail (its VMs are evicted) or be emptied first.
 */
enum vcpu_host_state {
    VCPU_HOST_ON = 0,
    VCPU_HOST_OFF,
    VCPU_HOST_BOOTING,
    VCPU_HOST_FAILED,
};

/*
 * VM states:
 *
 *   vm_add ──► WAITING ──(placed: add, retry, requeue)──► PLACED
 *                 ▲                                     │   ▲
 *                 │ requeue       migrate_begin ────────┘   │ migrate_end
 *                 │                         ▼               │
 *              EVICTED ◄──(its host FAILED)── MIGRATING ────┘
 *                 │          (from PLACED too)
 *   vm_remove from any state but GONE ──► GONE (the id is never reused)
 *
 * A VM added that fits at once goes straight to PLACED. EVICTED: its host
 * failed (or was switched off with it); it holds nothing and is in no
 * queue until the driver calls vcpu_place_vm_requeue or _vm_remove.
 */
enum vcpu_dcvm_state {
    VCPU_DCVM_WAITING = 1,
    VCPU_DCVM_PLACED,
    VCPU_DCVM_MIGRATING,
    VCPU_DCVM_GONE,
    VCPU_DCVM_EVICTED,
};

/**
 * struct vcpu_vm_req - What a VM asks for.
 * @abi: VCPU_PLACE_ABI
 * @vcpus: vCPUs, >= 1 (one vCPU takes one vCPU slot of a host: a host has
 *         npcpus * cpu_overcommit_milli / 1000 slots)
 * @mem_mb: memory (0 allowed)
 * @group: virtual cluster id; 0 = none
 * @group_size: VMs the virtual cluster will have (a hint for vcluster);
 *              0 = unknown
 */
struct vcpu_vm_req {
    uint32_t abi;
    uint32_t vcpus;
    uint64_t mem_mb;
    uint32_t group;
    uint32_t group_size;
};

/** Waiting-queue disciplines (vcpu_place_attr.queue). The queue is kept
 * in arrival order (VM id order); a requeued VM takes back its place. */
enum vcpu_place_queue {
    /** Strict FIFO: the head blocks the rest; a VM that arrives while
     * others wait queues behind them without being tried. */
    VCPU_QUEUE_FIFO = 0,
    /** Backfilling: every waiting VM that fits, in arrival order; a new
     * VM is tried at once even when others wait. */
    VCPU_QUEUE_BACKFILL,
};

/**
 * struct vcpu_place_attr - A placement core's datacenter and rules.
 * @abi: VCPU_PLACE_ABI
 * @topo: the datacenter (borrowed: must outlive the placement core); a
 *        host's pCPUs are those of its machine topology
 * @host_mem_mb: memory per host (nhosts entries, copied), or NULL: @mem_mb
 *               for every host
 * @mem_mb: memory of every host when @host_mem_mb is NULL
 * @cpu_overcommit_milli: vCPU slots per pCPU x1000 (1000 = one vCPU per
 *                        pCPU, space sharing); 0 = 1000
 * @mem_overcommit_milli: memory handed out per MB x1000; 0 = 1000
 * @queue: enum vcpu_place_queue
 * @check: run vcpu_place_check after every state-changing call; a broken
 *         invariant is logged and that call returns VCPU_EINVARIANT
 * @log: receives invariant reports and policy errors, one line each
 *       (no newline); NULL = stderr
 * @log_arg: passed to @log
 * @seed: seed of vpp_rand
 *
 * All hosts start ON.
 */
struct vcpu_place_attr {
    uint32_t abi;
    const vcpu_dctopo_t *topo;
    const uint64_t *host_mem_mb;
    uint64_t mem_mb;
    uint32_t cpu_overcommit_milli;
    uint32_t mem_overcommit_milli;
    unsigned queue;
    bool check;
    void (*log)(void *arg, const char *line);
    void *log_arg;
    uint64_t seed;
};

/** Placement policy flags (vcpu_place_ops.flags); none defined yet. */
enum vcpu_place_flags {
    VCPU_PLACE_FLAGS_NONE = 0,
};

/**
 * struct vcpu_place_ops - A placement policy. Every callback is optional:
 * a table with only .abi and .name places first-fit. Callbacks run on the
 * driver's thread inside a vcpu_place_* call, must not block, and may
 * call only vpp_* helpers (time from vpp_now, randomness from vpp_rand).
 */
struct vcpu_place_ops {
    uint32_t abi;   /**< VCPU_PLACE_ABI the policy was built against */
    uint32_t flags; /**< enum vcpu_place_flags */

    /**
     * init - Set up private state (vpp_set_priv). Called once, at
     * vcpu_place_create, before any other callback.
     * Return: 0, or a negative VCPU_E* (creation fails with it).
     */
    int (*init)(vpp_ctx_t *ctx);
    /** fini - Tear down; only after a successful init(). */
    void (*fini)(vpp_ctx_t *ctx);
    /**
     * place - Choose a host for @vm (not placed). Return a host, or
     * VCPU_HOST_NONE when none fits now (the VM waits). The core checks
     * the choice (in range, ON, fits under the ratios, not excluded); a
     * bad one is a policy error: logged, counted
     * (vcpu_place_policy_errors) and replaced by first-fit.
     * During vcpu_place_migrate_target the VM's own host is excluded
     * (vpp_excluded; vpp_fits and the vpp_find_* helpers honour it).
     * NULL: first-fit (vpp_find_first).
     */
    uint32_t (*place)(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                      const struct vcpu_vm_req *req);
    /**
     * migrate_target - Choose where PLACED @vm should move away from
     * @exclude_host (its host) to; VCPU_HOST_NONE = nowhere. Checked like
     * place(). NULL: place() with @exclude_host excluded.
     */
    uint32_t (*migrate_target)(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                               const struct vcpu_vm_req *req,
                               uint32_t exclude_host);
    /** placed - @vm now holds resources on @host (placement, or the
     * reservation of a migration's target). NULL: none. */
    void (*placed)(vpp_ctx_t *ctx, vcpu_dcvm_t vm, uint32_t host);
    /** released - @vm no longer holds resources on @host (departure,
     * eviction, the end of a migration). NULL: none. */
    void (*released)(vpp_ctx_t *ctx, vcpu_dcvm_t vm, uint32_t host);
    /** host_changed - @host went to @state (enum vcpu_host_state), after
     * its VMs were released. NULL: none. */
    void (*host_changed)(vpp_ctx_t *ctx, uint32_t host, unsigned state);

    const char *name;              /**< registry name, [a-z0-9_]{1,64} */
    const char *description;       /**< one line; where it does badly */
    const struct vp_param *params; /**< accepted arguments, or NULL */
};

/* ------------------------------------------------------------------ */
/* Policy-side helpers: legal only inside a placement callback; they   */
/* do not block. Undefined: a host >= vpp_nhosts or a VM never added.  */
/* ------------------------------------------------------------------ */

/** Number of hosts. */
VCPU_API unsigned vpp_nhosts(const vpp_ctx_t *ctx);
/** The datacenter topology. */
VCPU_API const vcpu_dctopo_t *vpp_topo(const vpp_ctx_t *ctx);
/** enum vcpu_host_state of @h. */
VCPU_API unsigned vpp_host_state(const vpp_ctx_t *ctx, uint32_t h);
/** Host excluded from this decision (a migrating VM's source), or NONE. */
VCPU_API uint32_t vpp_excluded(const vpp_ctx_t *ctx);
/** Whether @h is ON, not excluded, and @req fits under the ratios. */
VCPU_API bool vpp_fits(const vpp_ctx_t *ctx, uint32_t h,
                       const struct vcpu_vm_req *req);
/** pCPUs of @h; vCPU slots in use; slots free under the CPU ratio. */
VCPU_API uint32_t vpp_host_npcpus(const vpp_ctx_t *ctx, uint32_t h);
VCPU_API uint32_t vpp_host_used_vcpus(const vpp_ctx_t *ctx, uint32_t h);
VCPU_API uint32_t vpp_host_free_vcpus(const vpp_ctx_t *ctx, uint32_t h);
/** Memory of @h; in use; free under the memory ratio. */
VCPU_API uint64_t vpp_host_mem_mb(const vpp_ctx_t *ctx, uint32_t h);
VCPU_API uint64_t vpp_host_used_mem_mb(const vpp_ctx_t *ctx, uint32_t h);
VCPU_API uint64_t vpp_host_free_mem_mb(const vpp_ctx_t *ctx, uint32_t h);
/** VMs holding resources on @h (migration reservations included). */
VCPU_API unsigned vpp_host_nvms(const vpp_ctx_t *ctx, uint32_t h);
/** CPU utilisation of @h set by the driver, 0..1000. */
VCPU_API uint32_t vpp_host_util_milli(const vpp_ctx_t *ctx, uint32_t h);
/** Host of @vm (its source while migrating), VCPU_HOST_NONE if none. */
VCPU_API uint32_t vpp_vm_host(const vpp_ctx_t *ctx, vcpu_dcvm_t vm);
/** @vm's request (borrowed until the call that runs the callback ends). */
VCPU_API const struct vcpu_vm_req *vpp_vm_req(const vpp_ctx_t *ctx,
                                              vcpu_dcvm_t vm);
/** Private pointer of the policy (NULL until set). */
VCPU_API void *vpp_priv(const vpp_ctx_t *ctx);
VCPU_API void vpp_set_priv(vpp_ctx_t *ctx, void *p);
/** Value of an argument declared in ops.params (or its default). */
VCPU_API uint64_t vpp_arg_u64(const vpp_ctx_t *ctx, const char *name);
VCPU_API double vpp_arg_double(const vpp_ctx_t *ctx, const char *name);
VCPU_API bool vpp_arg_bool(const vpp_ctx_t *ctx, const char *name);
/** 64 random bits from the core's seeded generator; uniform in [0, n). */
VCPU_API uint64_t vpp_rand(vpp_ctx_t *ctx);
VCPU_API uint64_t vpp_rand_below(vpp_ctx_t *ctx, uint64_t n);
/** Time of the call being handled, ns. */
VCPU_API uint64_t vpp_now(const vpp_ctx_t *ctx);

/*
 * Domains: the racks, clusters and datacenters of the topology (kind is
 * VCPU_TOPO_RACK, _CLUSTER or _DATACENTER; VCPU_TOPO_WORLD is the one
 * domain of all hosts). Hosts of a domain need not have consecutive
 * indices; vpp_domain_hosts lists them in increasing order.
 */

/** Number of domains of @kind (0 for another kind). */
VCPU_API unsigned vpp_domain_count(const vpp_ctx_t *ctx, unsigned kind);
/** Hosts of domain @idx of @kind, increasing; *n receives the count. */
VCPU_API const uint32_t *vpp_domain_hosts(const vpp_ctx_t *ctx, unsigned kind,
                                          unsigned idx, unsigned *n);
/** Free vCPU slots and memory summed over the domain's ON hosts. */
VCPU_API void vpp_domain_free(const vpp_ctx_t *ctx, unsigned kind, unsigned idx,
                              uint64_t *vcpus, uint64_t *mem_mb);

/*
 * Indexed searches over the hosts that fit @req (ON, not excluded, room
 * under both ratios), O(log hosts) amortised; VCPU_HOST_NONE if none.
 */

/** Lowest host index that fits. */
VCPU_API uint32_t vpp_find_first(const vpp_ctx_t *ctx,
                                 const struct vcpu_vm_req *req);
/** The fullest host that fits: fewest free vCPU slots, then least free
 * memory, then lowest index. */
VCPU_API uint32_t vpp_find_best(const vpp_ctx_t *ctx,
                                const struct vcpu_vm_req *req);
/** The emptiest host that fits: most free vCPU slots, then most free
 * memory, then lowest index. */
VCPU_API uint32_t vpp_find_worst(const vpp_ctx_t *ctx,
                                 const struct vcpu_vm_req *req);
/** Lowest-index host of domain (@kind, @idx) that fits (in the domain's
 * host order, vpp_domain_hosts). */
VCPU_API uint32_t vpp_find_first_in(const vpp_ctx_t *ctx, unsigned kind,
                                    unsigned idx,
                                    const struct vcpu_vm_req *req);

/* ------------------------------------------------------------------ */
/* Driver side. Context for all: not from a callback; one thread at a  */
/* time per placement core (it has no lock); does not block.           */
/* ------------------------------------------------------------------ */

/**
 * vcpu_place_create - Make a placement core.
 * @attr: datacenter and rules (copied; attr->topo borrowed)
 * @ops: policy (borrowed: must outlive the core); NULL = first-fit
 * @args: "k=v,k=v" checked against ops->params; NULL = defaults
 * @out: receives the core (NULL on failure); free with vcpu_place_destroy
 * @err, @errlen: receive a message on failure (may be NULL)
 * Return: 0, VCPU_EINVAL, VCPU_EABI, VCPU_EPARSE (bad @args), VCPU_ENOMEM,
 * or what init() returned.
 */
VCPU_API int vcpu_place_create(const struct vcpu_place_attr *attr,
                               const struct vcpu_place_ops *ops,
                               const char *args, vcpu_place_t **out, char *err,
                               size_t errlen);
/** vcpu_place_destroy - Run fini() and free; NULL is a no-op. */
VCPU_API void vcpu_place_destroy(vcpu_place_t *pc);

/**
 * vcpu_place_vm_add - A VM arrives.
 * @req: what it asks for (copied)
 * @vm: receives its id (VCPU_NONE if rejected)
 * @host: receives its host, or VCPU_HOST_NONE when it waits
 * Return: 0 (placed on *@host), VCPU_EAGAIN (admitted, waiting),
 * VCPU_EINVAL (NULL, bad abi, vcpus == 0), VCPU_E2BIG (it fits no host of
 * the datacenter even empty: rejected, no id), VCPU_ENOMEM,
 * VCPU_EINVARIANT (checking mode).
 */
VCPU_API int vcpu_place_vm_add(vcpu_place_t *pc, uint64_t now,
                               const struct vcpu_vm_req *req, vcpu_dcvm_t *vm,
                               uint32_t *host);
/**
 * vcpu_place_vm_remove - Departure: frees what @vm holds (both hosts of a
 * migration) or takes it off the queue; it becomes GONE.
 * Return: 0, VCPU_ESRCH (no such VM, or GONE already), VCPU_EINVARIANT.
 */
VCPU_API int vcpu_place_vm_remove(vcpu_place_t *pc, uint64_t now,
                                  vcpu_dcvm_t vm);
/**
 * vcpu_place_retry - Try the waiting queue (after a departure, a host
 * switched on or repaired): FIFO places from the head until one does not
 * fit; BACKFILL tries every waiting VM in arrival order. @placed (may be
 * NULL) is called for each VM placed, in order. Cheap when nothing was
 * freed since the last retry.
 * Return: 0, VCPU_EINVARIANT.
 */
VCPU_API int vcpu_place_retry(vcpu_place_t *pc, uint64_t now,
                              void (*placed)(void *arg, vcpu_dcvm_t vm,
                                             uint32_t host),
                              void *arg);
/**
 * vcpu_place_host_set_state - Host @h goes to @state.
 * To FAILED (or OFF/BOOTING with nothing on it): migrations to @h are
 * cancelled (their VMs stay PLACED on their source; a later
 * vcpu_place_migrate_end for them returns VCPU_ESTATE), and every VM whose
 * host is @h (migrating away or not) becomes EVICTED and is reported to
 * @evicted (may be NULL) in VM id order; the driver then calls
 * vcpu_place_vm_remove (lost) or vcpu_place_vm_requeue (restart).
 * Return: 0, VCPU_EINVAL (bad @h or @state), VCPU_EBUSY (OFF or BOOTING
 * while @h holds VMs), VCPU_EINVARIANT.
 */
VCPU_API int vcpu_place_host_set_state(
    vcpu_place_t *pc, uint64_t now, uint32_t h, unsigned state,
    void (*evicted)(void *arg, vcpu_dcvm_t vm), void *arg);
/**
 * vcpu_place_vm_requeue - Restart an EVICTED @vm: placed now if the policy
 * finds a host (and, under FIFO, no earlier VM waits), else queued at its
 * arrival position (ahead of every VM that arrived after it).
 * Return: 0 (*@host set), VCPU_EAGAIN (waiting, *@host NONE), VCPU_ESRCH,
 * VCPU_ESTATE (not EVICTED), VCPU_EINVARIANT.
 */
VCPU_API int vcpu_place_vm_requeue(vcpu_place_t *pc, uint64_t now,
                                   vcpu_dcvm_t vm, uint32_t *host);

/**
 * vcpu_place_migrate_target - Ask the policy where PLACED @vm could move
 * (its host excluded); changes nothing.
 * Return: 0 (*@host set), VCPU_ENOSPC (nowhere; *@host NONE), VCPU_ESRCH,
 * VCPU_ESTATE (not PLACED).
 */
VCPU_API int vcpu_place_migrate_target(vcpu_place_t *pc, vcpu_dcvm_t vm,
                                       uint32_t *host);
/**
 * vcpu_place_migrate_begin - Reserve @vm's resources on @target; both
 * hosts hold them until vcpu_place_migrate_end. @vm becomes MIGRATING.
 * Return: 0, VCPU_ESRCH, VCPU_ESTATE (not PLACED), VCPU_EINVAL (bad
 * @target or its own host), VCPU_ENOSPC (@target not ON or too full),
 * VCPU_EINVARIANT.
 */
VCPU_API int vcpu_place_migrate_begin(vcpu_place_t *pc, uint64_t now,
                                      vcpu_dcvm_t vm, uint32_t target);
/**
 * vcpu_place_migrate_end - The migration of @vm ended: @ok releases the
 * source and the VM lives on the target; else the target is released.
 * Return: 0, VCPU_ESRCH, VCPU_ESTATE (not MIGRATING: e.g. cancelled by a
 * host failure), VCPU_EINVARIANT.
 */
VCPU_API int vcpu_place_migrate_end(vcpu_place_t *pc, uint64_t now,
                                    vcpu_dcvm_t vm, bool ok);
/** Set @h's CPU utilisation (0..1000) for policies. Return: 0, EINVAL. */
VCPU_API int vcpu_place_host_set_util(vcpu_place_t *pc, uint32_t h,
                                      uint32_t util_milli);

/* ---- queries: O(1), undefined for a bad host; a bad VM gives NONE/0 -- */

VCPU_API unsigned vcpu_place_nhosts(const vcpu_place_t *pc);
/** VM ids handed out so far (ids are 0..n-1). */
VCPU_API unsigned vcpu_place_nvms(const vcpu_place_t *pc);
VCPU_API uint32_t vcpu_place_vm_host(const vcpu_place_t *pc, vcpu_dcvm_t vm);
/** Target host of a MIGRATING VM, else VCPU_HOST_NONE. */
VCPU_API uint32_t vcpu_place_vm_target(const vcpu_place_t *pc, vcpu_dcvm_t vm);
/** enum vcpu_dcvm_state, 0 for an id never handed out. */
VCPU_API unsigned vcpu_place_vm_state(const vcpu_place_t *pc, vcpu_dcvm_t vm);
/** The VM's request (borrowed until the next vcpu_place_vm_add), or NULL. */
VCPU_API const struct vcpu_vm_req *vcpu_place_vm_req(const vcpu_place_t *pc,
                                                     vcpu_dcvm_t vm);
VCPU_API unsigned vcpu_place_host_state(const vcpu_place_t *pc, uint32_t h);
VCPU_API unsigned vcpu_place_host_nvms(const vcpu_place_t *pc, uint32_t h);
VCPU_API uint32_t vcpu_place_host_used_vcpus(const vcpu_place_t *pc,
                                             uint32_t h);
VCPU_API uint64_t vcpu_place_host_used_mem_mb(const vcpu_place_t *pc,
                                              uint32_t h);
/** vCPU slots (npcpus x cpu ratio) and memory (x mem ratio) of @h. */
VCPU_API uint32_t vcpu_place_host_cap_vcpus(const vcpu_place_t *pc, uint32_t h);
VCPU_API uint64_t vcpu_place_host_cap_mem_mb(const vcpu_place_t *pc,
                                             uint32_t h);
/**
 * vcpu_place_host_vms - The VMs holding resources on @h (migration
 * reservations included), at most @max of them into @out.
 * Return: how many there are (may exceed @max). O(that number).
 */
VCPU_API unsigned vcpu_place_host_vms(const vcpu_place_t *pc, uint32_t h,
                                      vcpu_dcvm_t *out, unsigned max);
/** VMs waiting in the queue. */
VCPU_API unsigned vcpu_place_nwaiting(const vcpu_place_t *pc);
/** Policy errors so far (bad choices replaced by first-fit). */
VCPU_API uint64_t vcpu_place_policy_errors(const vcpu_place_t *pc);
/** The policy in use. */
VCPU_API const struct vcpu_place_ops *vcpu_place_ops(const vcpu_place_t *pc);

/**
 * vcpu_place_check - Check the invariants (docs/placement.md): 1 no VM on
 * a host that is not ON; 2 no host past its vCPU or memory ratio; 3 each
 * host's usage is the sum of what its VMs ask; 4 every admitted VM is
 * placed exactly once (or waits once, or is evicted/gone and holds
 * nothing); 5 the search indices agree with the hosts. O(hosts + VMs).
 * Return: 0, or VCPU_EINVARIANT with a message in @err naming the
 * invariant, host, VM and time.
 */
VCPU_API int vcpu_place_check(const vcpu_place_t *pc, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Registry: built-in placement policies and shared objects            */
/* ------------------------------------------------------------------ */

/** Number of built-in placement policies. */
VCPU_API unsigned vcpu_place_count(void);
/** The @i-th built-in placement policy (NULL past the end). */
VCPU_API const struct vcpu_place_ops *vcpu_place_at(unsigned i);
/** Built-in placement policy by name ('-' matches '_': "first-fit"), or
 * NULL. */
VCPU_API const struct vcpu_place_ops *vcpu_place_find(const char *name);
/**
 * vcpu_place_validate - Check a table: ABI, name syntax, flags, params.
 * Return: 0, VCPU_EABI, VCPU_EINVAL (message in @err).
 */
VCPU_API int vcpu_place_validate(const struct vcpu_place_ops *ops, char *err,
                                 size_t errlen);

/** An external placement policy loaded from a shared object. */
typedef struct vcpu_place_lib vcpu_place_lib_t;

/**
 * The one symbol a placement-policy shared object exports:
 *   const struct vcpu_place_ops *vcpu_place_entry(uint32_t host_abi);
 * It returns its table (whose .abi the host checks), or NULL to refuse.
 */
#define VCPU_PLACE_ENTRY "vcpu_place_entry"
typedef const struct vcpu_place_ops *(*vcpu_place_entry_fn)(uint32_t abi);

/**
 * vcpu_place_open - Load a placement policy with dlopen.
 * Return: 0, VCPU_EINVAL, VCPU_ENOENT (dlopen failed), VCPU_ENOSYS (no
 * vcpu_place_entry), VCPU_EABI, VCPU_EPOLICY (entry refused), VCPU_ENOMEM.
 * Context: not from a callback; may block (file I/O). Partner:
 * vcpu_place_close, after every placement core using its ops is destroyed.
 */
VCPU_API int vcpu_place_open(const char *path, vcpu_place_lib_t **out,
                             char *err, size_t errlen);
/** The loaded table; borrowed until vcpu_place_close. */
VCPU_API const struct vcpu_place_ops *
vcpu_place_lib_ops(const vcpu_place_lib_t *lib);
/** vcpu_place_close - dlclose; NULL is a no-op. */
VCPU_API void vcpu_place_close(vcpu_place_lib_t *lib);

#ifdef __cplusplus
}
#endif
#endif /* VCPU_PLACE_H */
