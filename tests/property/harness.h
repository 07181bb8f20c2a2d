/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Property-test harness: a deterministic test environment that drives one
 * core instance (kicks delivered, preemptions honoured, slices expired),
 * seeded random cases of operations, shrinking of failing cases, and
 * policy-specific properties checked after every step. */
#ifndef VCPU_TEST_HARNESS_H
#define VCPU_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vcpu/vcpu.h>

/* ------------------------------------------------------------------ */
/* The driver: an environment for one core                             */
/* ------------------------------------------------------------------ */

/*
 * The driver plays the environment the way the simulator does: kicked
 * pCPUs call vcpu_core_pick at once, preempt requests are honoured at once,
 * time advances in steps and each running vCPU's slice expiry is a tick.
 * After every operation it "settles" (delivers kicks until none are left)
 * and calls vcpu_core_check_settled, so invariant 5 is checked for
 * work-conserving policies. The trace is kept in memory (CSV) for the
 * determinism check.
 */
struct drv;

struct drv_opts {
    const char *topo;            /* topology spec (vcpu_topo_load) */
    const vcpu_topo_t *topo_obj; /* or an already loaded one (ref'd) */
    const struct vcpu_policy_ops *ops;
    const char *args; /* policy arguments */
    uint64_t seed;
    uint64_t slice_ns; /* 0: 1 ms */
    bool keep_trace;   /* keep the CSV trace in memory */
};

/* Create; returns 0 or a VCPU_E* code (message in @err). */
int drv_create(const struct drv_opts *o, struct drv **out, char *err,
               size_t errlen);
void drv_destroy(struct drv *d);

vcpu_core_t *drv_core(struct drv *d);
const vcpu_topo_t *drv_topo(const struct drv *d);
vcpu_time_t drv_now(const struct drv *d);
/* The in-memory trace (NUL-terminated CSV, no header) and its length. */
const char *drv_trace(const struct drv *d, size_t *len);
/* First error seen (invariant report or failed call), "" if none. */
const char *drv_error(const struct drv *d);
bool drv_failed(const struct drv *d);

/* Deliver pending kicks and preemptions until quiet, then check all
 * invariants including work conservation. Returns 0 or VCPU_EINVARIANT. */
int drv_settle(struct drv *d);

/* Advance time by @dt_ns: every slice that expires on the way is a tick at
 * its expiry time (and a periodic tick every slice on busy pCPUs), each
 * followed by settling. Returns 0 or the first error. */
int drv_advance(struct drv *d, uint64_t dt_ns);

/* Thin wrappers that call the core at drv_now() and then settle. Each
 * returns the core's code (VCPU_ESTATE etc. are returned, not failures);
 * VCPU_EINVARIANT marks the driver failed. */
int drv_vm_add(struct drv *d, const struct vcpu_vm_attr *a, vcpu_vm_t *vm);
int drv_vcpu_add(struct drv *d, vcpu_vm_t vm, vcpu_id_t *v);
int drv_wake(struct drv *d, vcpu_id_t v);
int drv_block(struct drv *d, vcpu_id_t v);
int drv_yield(struct drv *d, vcpu_id_t v);
int drv_exit(struct drv *d, vcpu_id_t v);
int drv_pcpu_online(struct drv *d, vcpu_pcpu_t p, bool online);
int drv_pcpu_speed(struct drv *d, vcpu_pcpu_t p, uint32_t speed);
int drv_suspend(struct drv *d, vcpu_id_t v);
int drv_resume(struct drv *d, vcpu_id_t v);
/* Swap the policy live (vcpu_core_set_policy). */
int drv_set_policy(struct drv *d, const struct vcpu_policy_ops *ops);
/* Exit every live vCPU of @vm, then remove it. */
int drv_vm_remove(struct drv *d, vcpu_vm_t vm);

/* Live VMs, in creation order. */
unsigned drv_nvms(const struct drv *d);
vcpu_vm_t drv_vm_at(const struct drv *d, unsigned k);

/* Counting helpers over the core's state. */
unsigned drv_count_state(const struct drv *d, unsigned state);
unsigned drv_count_online(const struct drv *d);

/* ------------------------------------------------------------------ */
/* Random cases                                                        */
/* ------------------------------------------------------------------ */

enum op_kind {
    OP_WAKE,      /* a = which NEW/BLOCKED vCPU (mod count) */
    OP_BLOCK,     /* a = which RUNNING vCPU */
    OP_YIELD,     /* a = which RUNNING vCPU */
    OP_EXIT,      /* a = which live vCPU */
    OP_ADVANCE,   /* a = ns */
    OP_OFFLINE,   /* a = pCPU (mod P) */
    OP_ONLINE,    /* a = pCPU */
    OP_SPEED,     /* a = pCPU, b = speed (thousandths) */
    OP_VM_ADD,    /* a = vCPUs, b = weight, c = allowed-mask seed (0 = all),
                   d = cap (thousandths, 0 = none) */
    OP_VM_REMOVE, /* a = which live VM */
    OP_SUSPEND,   /* a = which live vCPU (operator) */
    OP_RESUME,    /* a = which operator-suspended vCPU */
    OP_SWAP,      /* a = built-in policy (mod count): live policy swap */
    OP_NKINDS
};

struct op {
    uint8_t kind;
    uint32_t a, b, c, d;
};

/* A case: a topology, a policy, and operations. */
struct pcase {
    uint64_t seed;
    const char *topo;
    struct op *ops;
    unsigned nops;
};

/* Generate case @seed: a random topology from the harness's list, random
 * VM arrivals and a random operation sequence of up to @max_ops. */
void pcase_generate(struct pcase *pc, uint64_t seed, unsigned max_ops);
/* As pcase_generate, with live policy swaps among the operations. */
void pcase_generate_swaps(struct pcase *pc, uint64_t seed, unsigned max_ops);
void pcase_free(struct pcase *pc);
/* Print a case as replayable text. */
void pcase_print(const struct pcase *pc, FILE *f);

/* Apply one operation (resolved against the current state; an operation
 * that does not apply is a no-op). Returns 0 or VCPU_EINVARIANT. */
int drv_apply(struct drv *d, const struct op *op);

/* ------------------------------------------------------------------ */
/* Policy-specific properties                                          */
/* ------------------------------------------------------------------ */

/* A property checked after each settled operation of a random case
 * (step) and at its end (end). Both return 0, or non-zero with a message. */
struct policy_props {
    const char *policy;
    const char *args; /* policy arguments for the random cases */
    size_t priv_size; /* zeroed per case */
    int (*step)(struct drv *d, void *priv, char *msg, size_t len);
    int (*end)(struct drv *d, void *priv, char *msg, size_t len);
};

/* Properties of a built-in policy by name (props_<name>.c defines
 * <name>_props; the list is generated by CMake), or NULL. */
const struct policy_props *policy_props_find(const char *policy);

/* Run case @pc against @ops (+ properties @pp, may be NULL), optionally
 * twice to check determinism. Returns 0 or non-zero with @msg filled. */
int pcase_run(const struct pcase *pc, const struct vcpu_policy_ops *ops,
              const struct policy_props *pp, bool twice, char *msg, size_t len);

/* Shrink a failing case in place (delta debugging over its operations)
 * while pcase_run keeps failing (with @expect in its message, if not NULL).
 * Returns the number of runs spent. */
unsigned pcase_shrink(struct pcase *pc, const struct vcpu_policy_ops *ops,
                      const struct policy_props *pp, bool twice,
                      const char *expect);

/* Base seed and number of cases: VCPU_SEED and VCPU_CASES when set. */
uint64_t harness_seed(uint64_t def);
unsigned harness_cases(unsigned def);

#endif /* VCPU_TEST_HARNESS_H */
