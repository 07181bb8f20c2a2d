/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private layout of a placement core, shared by place.c, place_index.c,
 * place_vpp.c and place_check.c. Nothing here is API. */
#ifndef VCPU_PLACE_INTERNAL_H
#define VCPU_PLACE_INTERNAL_H

#include <stdlib.h>

#include <vcpu/core.h>
#include <vcpu/place.h>

#include "core_internal.h"

/* One host: 40 bytes. Free capacity is cap - used; a host that is not ON
 * counts as having no room at all in the indices. */
struct place_host {
    uint64_t cap_mem, used_mem;
    uint32_t cap_vcpus, used_vcpus;
    uint32_t npcpus;
    uint32_t nvms;  /* holdings: VMs placed here and reservations */
    uint32_t first; /* first holding slot (vm * 2 + k) of its list */
    uint16_t util;
    uint8_t state;
};

/* Holding slots: a VM holds its host in slot 0 and, while migrating, its
 * target in slot 1; each slot links into the host's list. */
#define SLOT(vm, k) ((vm)*2u + (k))
#define SLOT_VM(s) ((s) >> 1)

/* One VM: 48 bytes. */
struct place_vm {
    struct vcpu_vm_req req;
    uint32_t host, target;
    uint32_t link[2][2]; /* [slot][0 prev, 1 next] */
    uint8_t state;       /* enum vcpu_dcvm_state */
};

/* Segment tree over positions of hosts: leaves say how much a host has
 * free (-1 when it is not ON), inner nodes the maxima and sums. */
struct fit_node {
    int64_t mem;   /* max free memory below */
    int64_t cpu;   /* max free vCPU slots below */
    uint64_t smem; /* sum of free memory of the ON hosts below */
    uint64_t scpu;
};

struct fit_tree {
    unsigned size;       /* leaves, a power of two */
    struct fit_node *n;  /* 2 * size, root at 1 */
    const uint32_t *pos; /* host at position, NULL = identity */
};

/* Treap of the ON hosts keyed by (free slots, free memory, index), each
 * node augmented with the maximum free memory under it: best- and
 * worst-fit in O(log hosts). Built at the first use. */
struct fit_treap {
    bool built;
    uint32_t root;
    uint32_t *l, *r, *prio;
    int64_t *kcpu, *kmem, *maxmem; /* key cached at insertion */
    bool *in;
};

/* Domains of one kind: domain i is positions [lo[i], hi[i]) of the
 * domain order (hosts sorted by datacenter, cluster, rack, index). */
struct place_domains {
    unsigned n;
    uint32_t *lo, *hi;
};

enum { DOM_RACK, DOM_CLUSTER, DOM_DC, DOM_WORLD, DOM_KINDS };

struct vcpu_place {
    const struct vcpu_place_ops *ops;
    const vcpu_dctopo_t *topo;
    unsigned nhosts;
    struct place_host *hosts;
    struct place_vm *vms;
    unsigned nvms, cap_vms;
    uint64_t *waiting; /* bit per VM id */
    unsigned nwaiting;
    unsigned queue;
    bool dirty; /* something was freed since the last retry */
    bool check;
    bool in_callback;
    uint32_t exclude;
    uint64_t now;
    uint64_t rng;
    uint64_t policy_errors;
    void *priv;
    struct arg_val *args;
    void (*log)(void *arg, const char *line);
    void *log_arg;

    /* indices */
    struct fit_tree by_index;  /* host order */
    struct fit_tree by_domain; /* domain order (may alias by_index) */
    uint32_t *dom_hosts;       /* hosts in domain order */
    uint32_t *dom_pos;         /* position of a host in domain order */
    struct place_domains dom[DOM_KINDS];
    struct fit_treap treap;
    /* Pareto frontier of host capacities: can a VM ever fit? */
    unsigned nfront;
    uint32_t *front_cpu;
    uint64_t *front_mem;
};

#define PCTX(pc) ((vpp_ctx_t *)(pc))
#define PC(ctx) ((struct vcpu_place *)(ctx))
#define CPC(ctx) ((const struct vcpu_place *)(ctx))

static inline int64_t host_free_cpu(const struct place_host *h)
{
    return h->state == VCPU_HOST_ON ? (int64_t)h->cap_vcpus - h->used_vcpus
                                    : -1;
}

static inline int64_t host_free_mem(const struct place_host *h)
{
    return h->state == VCPU_HOST_ON ? (int64_t)(h->cap_mem - h->used_mem) : -1;
}

static inline bool host_fits(const struct place_host *h,
                             const struct vcpu_vm_req *req)
{
    return h->state == VCPU_HOST_ON &&
           (uint64_t)h->used_vcpus + req->vcpus <= h->cap_vcpus &&
           h->used_mem + req->mem_mb <= h->cap_mem &&
           h->used_mem + req->mem_mb >= h->used_mem;
}

/* place_index.c */
int vcpu__fit_init(struct vcpu_place *pc);
void vcpu__fit_free(struct vcpu_place *pc);
void vcpu__fit_update(struct vcpu_place *pc, uint32_t h);
uint32_t vcpu__fit_first(const struct vcpu_place *pc,
                         const struct vcpu_vm_req *req, uint32_t exclude);
uint32_t vcpu__fit_first_in(const struct vcpu_place *pc, unsigned dom,
                            unsigned idx, const struct vcpu_vm_req *req,
                            uint32_t exclude);
uint32_t vcpu__fit_best(struct vcpu_place *pc, const struct vcpu_vm_req *req,
                        uint32_t exclude);
uint32_t vcpu__fit_worst(struct vcpu_place *pc, const struct vcpu_vm_req *req,
                         uint32_t exclude);
void vcpu__fit_domain_sum(const struct vcpu_place *pc, unsigned dom,
                          unsigned idx, uint64_t *cpu, uint64_t *mem);
bool vcpu__fit_any(const struct vcpu_place *pc, const struct vcpu_vm_req *req);
int vcpu__fit_check(const struct vcpu_place *pc, char *why, size_t len);
int vcpu__dom_of_kind(unsigned kind);

/* place.c */
void vcpu__place_logf(const struct vcpu_place *pc, const char *fmt, ...)
    VCPU_PRINTF(2, 3);

/* policy_inst.c: "k=v,k=v" against @params (defaults first); the reason
 * of a failure goes to @err. */
int vcpu__params_parse(const struct vp_param *params, const char *who,
                       const char *text, struct arg_val *args, char *err,
                       size_t len);

#endif /* VCPU_PLACE_INTERNAL_H */
