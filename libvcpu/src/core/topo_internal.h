/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Layout of the compact topology (vcpu/topo.h), for core files that want
 * the per-level arrays without a call per query. Read-only after load. */
#ifndef VCPU_CORE_TOPO_INTERNAL_H
#define VCPU_CORE_TOPO_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include <vcpu/topo.h>

/** Number of bits in enum vcpu_topo_kind (VCPU_TOPO_PU .. _WORLD). */
#define VCPU__TOPO_NKINDS 15

/*
 * One level of the tree. Ancestor indexes grow with the pCPU id, so the
 * span of object i is [first[i], first[i + 1]).
 */
struct vcpu__topo_level {
    unsigned kinds;  /* mask of enum vcpu_topo_kind */
    unsigned width;  /* objects at this level */
    uint32_t *anc;   /* [npcpus]: ancestor index of each pCPU */
    uint32_t *first; /* [width + 1]: first pCPU of each object, then P */
};

struct vcpu_topo {
    atomic_uint refs;
    unsigned npcpus;
    unsigned nlevels;
    unsigned ncorekinds;
    struct vcpu__topo_level level[VCPU_TOPO_MAX_LEVELS];
    unsigned count[VCPU__TOPO_NKINDS]; /* hwloc's count, by kind bit */
    uint32_t *os_index;                /* [npcpus] */
    uint32_t *numa;                    /* [npcpus]: NUMA node index */
    uint32_t *corekind;                /* [npcpus] */
    int *kind_eff;                     /* [ncorekinds], -1 if unknown */
    uint32_t *kind_npcpus;             /* [ncorekinds] */
    char *source;
};

#endif /* VCPU_CORE_TOPO_INTERNAL_H */
