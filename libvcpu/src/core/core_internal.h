/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private layout of a core instance, shared by core.c, dsq.c, vp.c,
 * check.c and policy_swap.c. Nothing here is API. */
#ifndef VCPU_CORE_INTERNAL_H
#define VCPU_CORE_INTERNAL_H

#include <pthread.h>
#include <stdlib.h>
#include <sys/queue.h>

#include <bsd/sys/tree.h>

#include <vcpu/core.h>

#include "mutex_spin.h"

/* A broken internal invariant is a bug: abort with file:line, any build. */
#define VCPU_ASSERT(x)                                                         \
    ((x) ? (void)0 : vcpu__assert_fail(#x, __FILE__, __LINE__))
void vcpu__assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));

/* Suspension sources (vcpu_ent.susp). */
enum { SUSP_POLICY = 1u << 0, SUSP_OPERATOR = 1u << 1 };

/* Items per chunk of the vCPU and VM tables: chunks keep addresses stable
 * (DSQ links point into them) while the tables grow. Small, so that a host
 * of a simulation with 128 vCPUs does not hold room for a thousand; the
 * chunk directories grow by doubling (vcpu__chunk_dir). */
#define CHUNK_SHIFT 4
#define CHUNK_SIZE (1u << CHUNK_SHIFT)

/* Counters of one vCPU (struct vcpu_vcpu_stats less what is derived). */
struct vcpu_counters {
    uint64_t run_ns, work_ns, wait_ns, blocked_ns, suspended_ns;
    uint64_t nr_runs, nr_migrations, nr_preemptions, nr_suspends;
};

struct dsq;

struct vcpu_ent {
    union {
        TAILQ_ENTRY(vcpu_ent) link; /* FIFO and local DSQs */
        RB_ENTRY(vcpu_ent) rb;      /* PRIQ DSQs */
    } q;
    struct dsq *dsq;   /* NULL when queued nowhere */
    uint64_t key;      /* PRIQ key */
    uint64_t seq;      /* insertion order: ties and determinism */
    uint64_t slice_ns; /* slice of the next (or current) run */
    /* Last state change, for the time buckets; while RUNNING, the time its
     * run is accounted up to (a RUNNING vCPU has no bucket); once EXITED,
     * the time of exit. */
    vcpu_time_t since;
    vcpu_id_t id;
    vcpu_vm_t vm;       /* (its index in the VM: vp_vcpu_index) */
    vcpu_pcpu_t pcpu;   /* current or last pCPU */
    vcpu_pcpu_t target; /* select_pcpu's answer at the last wake-up */
    int prio;
    uint8_t state; /* enum vp_vcpu_state */
    uint8_t susp;  /* SUSP_* bits */
    struct vcpu_counters st;
};

TAILQ_HEAD(vcpu_list, vcpu_ent);
RB_HEAD(vcpu_tree, vcpu_ent);

struct dsq {
    vp_dsq_t id;
    unsigned kind; /* enum vp_dsq_kind */
    unsigned nr;
    struct vcpu_list fifo;
    struct vcpu_tree tree;
};

struct pcpu_ent {
    struct dsq local;
    vcpu_id_t curr;
    vcpu_time_t slice_end;
    vcpu_time_t online_since;
    uint32_t speed;
    uint8_t state;        /* enum vp_pcpu_state */
    bool kicked;          /* kick sent, pick not yet called */
    bool preempt_pending; /* preempt sent for the current run */
    struct vcpu_pcpu_stats st;
};

struct vm_ent {
    bool live;
    unsigned weight, cap, nvcpus, ntotal, cap_ids, nvcpus_hint;
    vcpu_id_t *vcpus;  /* every vCPU ever created, in order */
    uint64_t *allowed; /* bitmap of pCPUs, NULL = all */
};

/* Parsed policy argument. */
struct arg_val {
    uint64_t u;
    double d;
};

/* One installed policy: ops, state, arguments, data arrays. */
struct policy_inst {
    const struct vcpu_policy_ops *ops;
    void *state;
    char *pcpu_data;  /* npcpus * pcpu_data_size */
    char **vcpu_data; /* chunked like the vCPU table */
    char **vm_data;
    unsigned nparams;
    struct arg_val *args;
    bool inited;
};

#define TRACE_RING 16
#define ERR_LEN 2048

struct vcpu_core {
    const vcpu_topo_t *topo;
    unsigned npcpus, nwords; /* pCPUs, 64-bit words in a pCPU bitmap */
    struct pcpu_ent *pcpus;
    uint64_t *idle; /* online, no vCPU, not kicked */
    unsigned nr_idle, nr_online;

    struct vcpu_ent **vcpus; /* chunks */
    unsigned nvcpus, vcpu_chunks;
    /* VCPU_CORE_RECYCLE: ids of removed VMs, free for reuse (a bitmap over
     * the ids below nvcpus; words below free_lo are all zero) */
    uint64_t *free_ids;
    unsigned free_words, nfree, free_lo;
    uint64_t recycled_run_ns; /* run time of vCPUs whose ids were reused */
    /* ... and the ids of removed VMs released by their owner
     * (vcpu__core_vm_release), free for vcpu_core_vm_add */
    uint64_t *free_vms;
    unsigned free_vm_words, nfree_vms;
    struct vm_ent **vms;
    unsigned nvms, vm_chunks;

    struct dsq global;
    struct dsq **dsqs; /* shared DSQs by id, NULL where none */
    unsigned ndsq_slots;
    uint64_t seq;

    unsigned nstate[VP_VCPU_EXITED + 1]; /* vCPUs per state */
    struct policy_inst pol;
    struct drand48_data rng;
    uint64_t seed, slice_ns;
    vcpu_time_t now, start_ns;
    unsigned flags;
    bool check, broken, aborted, in_callback;
    /* the yield lane (core.c) may run: the policy has ops.yield and no
     * stopping or running callback, no checker, no record of a switch is
     * wanted; set by vcpu__lane_refresh when the policy starts */
    bool lane;
    bool any_allowed; /* some VM has an allowed mask (never cleared) */
    int abort_code;

    struct vcpu_core_env env;
    uint64_t trace_mask; /* records env.trace wants; 0 without env.trace */
    void *env_arg;
    struct vcpu__lock lock; /* VCPU_CORE_THREADSAFE */
    vcpu_pcpu_t answering;  /* kicks of it are answered in this call */

    struct vcpu_trace_rec ring[TRACE_RING];
    unsigned ring_pos;
    uint64_t nr_events;
    FILE *dump_out;
    char err[ERR_LEN];
};

#define CORE(ctx) ((struct vcpu_core *)(ctx))
#define CTX(c) ((vp_ctx_t *)(c))

static inline struct vcpu_ent *vcpu_at(const struct vcpu_core *c, vcpu_id_t v)
{
    return &c->vcpus[v >> CHUNK_SHIFT][v & (CHUNK_SIZE - 1)];
}

static inline struct vm_ent *vm_at(const struct vcpu_core *c, vcpu_vm_t vm)
{
    return &c->vms[vm >> CHUNK_SHIFT][vm & (CHUNK_SIZE - 1)];
}

static inline bool bit_test(const uint64_t *b, unsigned i)
{
    return (b[i >> 6] >> (i & 63)) & 1u;
}
static inline void bit_set(uint64_t *b, unsigned i)
{
    b[i >> 6] |= (uint64_t)1 << (i & 63);
}
static inline void bit_clear(uint64_t *b, unsigned i)
{
    b[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

static inline bool vm_allows(const struct vcpu_core *c, vcpu_vm_t vm,
                             vcpu_pcpu_t p)
{
    const struct vm_ent *e = vm_at(c, vm);
    return !e->allowed || bit_test(e->allowed, p);
}

/* core.c */
/* Room in a chunk directory for chunk number @k: it grows by doubling.
 * Return the directory (moved, maybe) or NULL (out of memory). */
void *vcpu__chunk_dir(void *dir, unsigned k);
void vcpu__emit_rec(struct vcpu_core *c, unsigned event, vcpu_pcpu_t p,
                    vcpu_id_t v, vcpu_vm_t vm, int64_t arg);
/* A trace record, built only when the checker's ring or env.trace wants
 * it: most are not, and this runs several times per core call. */
static inline void vcpu__emit(struct vcpu_core *c, unsigned event,
                              vcpu_pcpu_t p, vcpu_id_t v, int64_t arg)
{
    if (!c->check && !(c->trace_mask & ((uint64_t)1 << event))) {
        c->nr_events++;
        return;
    }
    vcpu__emit_rec(c, event, p, v,
                   v == VCPU_NONE ? VCPU_NONE : vcpu_at(c, v)->vm, arg);
}
/* The same for vCPU @e. */
static inline void vcpu__emit_ent(struct vcpu_core *c, unsigned event,
                                  vcpu_pcpu_t p, const struct vcpu_ent *e,
                                  int64_t arg)
{
    if (!c->check && !(c->trace_mask & ((uint64_t)1 << event))) {
        c->nr_events++;
        return;
    }
    vcpu__emit_rec(c, event, p, e->id, e->vm, arg);
}
void vcpu__logf(struct vcpu_core *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vcpu__enqueue(struct vcpu_core *c, vcpu_id_t v, unsigned flags);
void vcpu__lane_refresh(struct vcpu_core *c);
/* Keep @p's bit in the idle mask (online, no vCPU, not kicked) true. */
static inline void vcpu__idle_update(struct vcpu_core *c, vcpu_pcpu_t p)
{
    struct pcpu_ent *pc = &c->pcpus[p];
    bool idle =
        pc->state == VP_PCPU_ONLINE && pc->curr == VCPU_NONE && !pc->kicked;
    if (idle == bit_test(c->idle, p))
        return;
    if (idle) {
        bit_set(c->idle, p);
        c->nr_idle++;
    } else {
        bit_clear(c->idle, p);
        c->nr_idle--;
    }
}
void vcpu__kick(struct vcpu_core *c, vcpu_pcpu_t p);
void vcpu__request_preempt(struct vcpu_core *c, vcpu_pcpu_t p);
void vcpu__set_state(struct vcpu_core *c, struct vcpu_ent *e, unsigned state);
void vcpu__park(struct vcpu_core *c, vcpu_id_t v, unsigned src);
int vcpu__unpark(struct vcpu_core *c, vcpu_id_t v, unsigned src);
uint64_t vcpu__run_so_far(const struct vcpu_core *c, const struct vcpu_ent *e);

/* dsq.c. The FIFO paths are inline: every switch takes several. */
void vcpu__dsq_init(struct dsq *q, vp_dsq_t id, unsigned kind);
void vcpu__dsq_free_shared(struct vcpu_core *c);
void vcpu__dsq_tree_insert(struct dsq *q, struct vcpu_ent *e);
void vcpu__dsq_tree_remove(struct dsq *q, struct vcpu_ent *e);
struct vcpu_ent *vcpu__dsq_tree_first(const struct dsq *q);
struct vcpu_ent *vcpu__dsq_tree_next(const struct dsq *q, struct vcpu_ent *e);

static inline struct dsq *vcpu__dsq_lookup(struct vcpu_core *c, vp_dsq_t id)
{
    if (id & ((vp_dsq_t)1 << 63)) {
        vp_dsq_t p = id & ~((vp_dsq_t)1 << 63);
        return p < c->npcpus ? &c->pcpus[p].local : NULL;
    }
    if (id == VP_DSQ_GLOBAL)
        return &c->global;
    return id < c->ndsq_slots ? c->dsqs[id] : NULL;
}

static inline void vcpu__dsq_push_ent(struct vcpu_core *c, struct dsq *q,
                                      struct vcpu_ent *e, uint64_t key,
                                      bool head)
{
    VCPU_ASSERT(!e->dsq);
    e->key = key;
    e->seq = c->seq++;
    e->dsq = q;
    q->nr++;
    if (q->kind == VP_DSQ_PRIQ)
        vcpu__dsq_tree_insert(q, e);
    else if (head)
        TAILQ_INSERT_HEAD(&q->fifo, e, q.link);
    else
        TAILQ_INSERT_TAIL(&q->fifo, e, q.link);
}

static inline void vcpu__dsq_push(struct vcpu_core *c, struct dsq *q,
                                  vcpu_id_t v, uint64_t key, bool head)
{
    vcpu__dsq_push_ent(c, q, vcpu_at(c, v), key, head);
}

static inline void vcpu__dsq_remove_ent(struct dsq *q, struct vcpu_ent *e)
{
    VCPU_ASSERT(q && q->nr > 0);
    if (q->kind == VP_DSQ_PRIQ)
        vcpu__dsq_tree_remove(q, e);
    else
        TAILQ_REMOVE(&q->fifo, e, q.link);
    q->nr--;
    e->dsq = NULL;
}

static inline void vcpu__dsq_remove(struct vcpu_core *c, vcpu_id_t v)
{
    struct vcpu_ent *e = vcpu_at(c, v);
    vcpu__dsq_remove_ent(e->dsq, e);
}

static inline struct vcpu_ent *vcpu__dsq_first(const struct dsq *q)
{
    if (q->kind == VP_DSQ_PRIQ)
        return vcpu__dsq_tree_first(q);
    return TAILQ_FIRST(&q->fifo);
}

static inline struct vcpu_ent *vcpu__dsq_next(const struct dsq *q,
                                              struct vcpu_ent *e)
{
    if (q->kind == VP_DSQ_PRIQ)
        return vcpu__dsq_tree_next(q, e);
    return TAILQ_NEXT(e, q.link);
}

/* The first vCPU of @q that may run on @p, dequeued; NULL if none. */
static inline struct vcpu_ent *
vcpu__dsq_pop_eligible_ent(struct vcpu_core *c, struct dsq *q, vcpu_pcpu_t p)
{
    for (struct vcpu_ent *e = vcpu__dsq_first(q); e; e = vcpu__dsq_next(q, e)) {
        if (vm_allows(c, e->vm, p)) {
            vcpu__dsq_remove_ent(q, e);
            return e;
        }
    }
    return NULL;
}

static inline vcpu_id_t vcpu__dsq_pop_eligible(struct vcpu_core *c,
                                               struct dsq *q, vcpu_pcpu_t p)
{
    struct vcpu_ent *e = vcpu__dsq_pop_eligible_ent(c, q, p);
    return e ? e->id : VCPU_NONE;
}

static inline vcpu_id_t vcpu__dsq_pop_first(struct vcpu_core *c, struct dsq *q)
{
    (void)c;
    struct vcpu_ent *e = vcpu__dsq_first(q);
    if (!e)
        return VCPU_NONE;
    vcpu__dsq_remove_ent(q, e);
    return e->id;
}

/* policy_inst.c */
int vcpu__policy_attach(struct vcpu_core *c, const struct vcpu_policy_ops *o,
                        const char *args);
void vcpu__policy_detach(struct vcpu_core *c);
int vcpu__policy_swap(struct vcpu_core *c, const struct vcpu_policy_ops *o,
                      const char *args);
int vcpu__policy_grow_vcpus(struct vcpu_core *c);
int vcpu__policy_grow_vms(struct vcpu_core *c);
extern const struct vcpu_policy_ops vcpu__fifo_ops;

/* check.c */
int vcpu__check(struct vcpu_core *c, bool settled);

#endif /* VCPU_CORE_INTERNAL_H */
