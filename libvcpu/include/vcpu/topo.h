/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Compact, immutable machine topology built from hwloc, and the datacenter
 * levels (host, rack, cluster, datacenter) the simulator stacks above it. */
#ifndef VCPU_TOPO_H
#define VCPU_TOPO_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdio.h>

#include "errno.h"
#include "types.h"

/*
 * Model. pCPUs are hwloc PUs numbered 0..P-1 in hwloc's logical order, so
 * the pCPUs under any object form one contiguous range. The tree has levels
 * 0 (PU) .. nlevels-1 (the machine). Each level is one hwloc depth of the
 * normal tree; hwloc depths that split the PUs exactly as the level below
 * (an L1 cache per core, a package with one die) are merged into that level,
 * and the level keeps every kind it stands for as a bit mask. NUMA nodes
 * (memory children in hwloc 2) mark the level of the object they hang from.
 * distance(a, b) is the level of the lowest common ancestor: 0 for a == b.
 */

/** Kinds of levels, as bits: one level may stand for several. */
enum vcpu_topo_kind {
    VCPU_TOPO_PU = 1u << 0,
    VCPU_TOPO_CORE = 1u << 1,
    VCPU_TOPO_L1 = 1u << 2,
    VCPU_TOPO_L2 = 1u << 3,
    VCPU_TOPO_L3 = 1u << 4,
    VCPU_TOPO_L4 = 1u << 5,
    VCPU_TOPO_GROUP = 1u << 6,
    VCPU_TOPO_DIE = 1u << 7,
    VCPU_TOPO_NUMA = 1u << 8,
    VCPU_TOPO_PACKAGE = 1u << 9,
    VCPU_TOPO_MACHINE = 1u << 10,
    /* Above the machine: only in a datacenter topology. */
    VCPU_TOPO_RACK = 1u << 11,
    VCPU_TOPO_CLUSTER = 1u << 12,
    VCPU_TOPO_DATACENTER = 1u << 13,
    VCPU_TOPO_WORLD = 1u << 14,
};

/** Most levels a host topology can have (hwloc depths rarely pass 12). */
#define VCPU_TOPO_MAX_LEVELS 24

/** Opaque, immutable, reference-counted topology. */
typedef struct vcpu_topo vcpu_topo_t;

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

/**
 * vcpu_topo_load_system - Topology of the running machine, restricted to
 * the PUs this process may use.
 * @out: receives the topology (NULL on failure); free with vcpu_topo_unref()
 *
 * "May use" is hwloc's allowed cpuset (cgroup cpuset), not the calling
 * thread's affinity mask.
 * Return: 0, VCPU_ENOMEM, VCPU_ETOPO (hwloc failed or no usable PU).
 * Context: any thread; may block (reads sysfs).
 */
VCPU_API int vcpu_topo_load_system(vcpu_topo_t **out);

/**
 * vcpu_topo_load_xml - Topology from an hwloc XML file (format 2.x).
 * @path: file name
 * @out: receives the topology (NULL on failure); free with vcpu_topo_unref()
 *
 * Only the allowed PUs of the file become pCPUs.
 * Return: 0, VCPU_EINVAL (NULL argument), VCPU_ENOENT (no such file),
 * VCPU_EACCES (unreadable), VCPU_ETOPO (hwloc rejects the file or it has no
 * usable PU), VCPU_ENOMEM.
 * Context: any thread; may block (file I/O).
 */
VCPU_API int vcpu_topo_load_xml(const char *path, vcpu_topo_t **out);

/**
 * vcpu_topo_load_synthetic - Topology from an hwloc synthetic description,
 * e.g. "pack:2 l3:2 core:8 pu:2".
 * @desc: the description (hwloc syntax)
 * @out: receives the topology (NULL on failure); free with vcpu_topo_unref()
 *
 * Return: 0, VCPU_EINVAL (NULL), VCPU_ETOPO (hwloc rejects @desc), VCPU_ENOMEM.
 * Context: any thread; does not block.
 */
VCPU_API int vcpu_topo_load_synthetic(const char *desc, vcpu_topo_t **out);

/**
 * vcpu_topo_load - Load by spec: "system", "synthetic:DESC", "xml:PATH", a
 * path ending in ".xml", or else an hwloc synthetic description.
 * Return and context: as the loader chosen.
 */
VCPU_API int vcpu_topo_load(const char *spec, vcpu_topo_t **out);

/**
 * vcpu_topo_ref - Take a reference.
 * Return: @t (NULL for NULL). Context: any thread; does not block.
 */
VCPU_API vcpu_topo_t *vcpu_topo_ref(vcpu_topo_t *t);

/**
 * vcpu_topo_unref - Drop a reference; the last one frees. NULL is a no-op.
 * Context: any thread; does not block.
 */
VCPU_API void vcpu_topo_unref(vcpu_topo_t *t);

/* ------------------------------------------------------------------ */
/* Queries: all O(1) unless noted; any thread; never block.            */
/* Undefined: a pCPU id >= vcpu_topo_npcpus(), a level >= nlevels, or  */
/* an object index >= the level's width.                               */
/* ------------------------------------------------------------------ */

/** Number of pCPUs (P). */
VCPU_API unsigned vcpu_topo_npcpus(const vcpu_topo_t *t);

/** Number of levels; level 0 is the PU, nlevels-1 the machine. */
VCPU_API unsigned vcpu_topo_nlevels(const vcpu_topo_t *t);

/** Kinds (mask of enum vcpu_topo_kind) a level stands for. */
VCPU_API unsigned vcpu_topo_level_kinds(const vcpu_topo_t *t, unsigned level);

/** Lowest level standing for @kind (one bit), or -1 if none does. */
VCPU_API int vcpu_topo_level_of(const vcpu_topo_t *t, unsigned kind);

/** Number of objects at @level. */
VCPU_API unsigned vcpu_topo_level_width(const vcpu_topo_t *t, unsigned level);

/** Index (0..width-1) of @p's ancestor at @level. */
VCPU_API unsigned vcpu_topo_ancestor(const vcpu_topo_t *t, vcpu_pcpu_t p,
                                     unsigned level);

/** The pCPUs under object @idx of @level are [*first, *first + *n). */
VCPU_API void vcpu_topo_span(const vcpu_topo_t *t, unsigned level, unsigned idx,
                             vcpu_pcpu_t *first, unsigned *n);

/** Level of the lowest common ancestor of @a and @b (0 when a == b). */
VCPU_API unsigned vcpu_topo_distance(const vcpu_topo_t *t, vcpu_pcpu_t a,
                                     vcpu_pcpu_t b);

/**
 * vcpu_topo_count - How many objects of @kind (one bit) the machine has,
 * as hwloc counts them (NUMA nodes included even when they share a level;
 * Groups summed over every depth they sit at; PU counts pCPUs).
 * Return: the count, 0 if the machine has none of that kind or @kind is
 * not a single bit.
 */
VCPU_API unsigned vcpu_topo_count(const vcpu_topo_t *t, unsigned kind);

/** NUMA node index (0..count(NUMA)-1) local to @p; 0 without NUMA. */
VCPU_API unsigned vcpu_topo_numa_of(const vcpu_topo_t *t, vcpu_pcpu_t p);

/** OS index of @p's PU (what sched_setaffinity and hwloc binding use). */
VCPU_API unsigned vcpu_topo_os_index(const vcpu_topo_t *t, vcpu_pcpu_t p);

/** Number of core kinds (hwloc cpukinds); 1 on a homogeneous machine. */
VCPU_API unsigned vcpu_topo_ncorekinds(const vcpu_topo_t *t);

/**
 * vcpu_topo_corekind_of - Core kind of @p: 0 is the least efficient kind,
 * ncorekinds-1 the most (hwloc's ranking, e.g. E-cores 0, P-cores 1).
 */
VCPU_API unsigned vcpu_topo_corekind_of(const vcpu_topo_t *t, vcpu_pcpu_t p);

/** hwloc's efficiency value of a core kind; -1 if hwloc gave none or
 * @kind >= ncorekinds. */
VCPU_API int vcpu_topo_corekind_efficiency(const vcpu_topo_t *t, unsigned kind);

/** Name of a single kind bit ("core", "numa", ...); "?" for others. */
VCPU_API const char *vcpu_topo_kind_name(unsigned kind);

/** Where the topology came from: "system", "synthetic:...", a path. */
VCPU_API const char *vcpu_topo_source(const vcpu_topo_t *t);

/**
 * vcpu_topo_print - Write a readable summary (counts, levels, core kinds)
 * and, with @tree, the level tree with pCPU ranges.
 * Context: any thread; may block (stdio).
 */
VCPU_API void vcpu_topo_print(const vcpu_topo_t *t, FILE *f, bool tree);

/* ------------------------------------------------------------------ */
/* Datacenter levels above the host                                    */
/* ------------------------------------------------------------------ */

/** Opaque datacenter topology: hosts, racks, clusters, datacenters. */
typedef struct vcpu_dctopo vcpu_dctopo_t;

/**
 * struct vcpu_dctopo_attr - Shape of a datacenter.
 * @abi: set to VCPU_DCTOPO_ABI
 * @ntypes: number of host types; @types their topologies (borrowed; each
 *          is ref'd by vcpu_dctopo_create, so hosts of a type share one)
 * @nhosts: hosts; @host_type[h] in 0..ntypes-1; @host_rack[h] its rack
 * @nracks: racks; @rack_cluster[r] its cluster
 * @nclusters: clusters; @cluster_dc[c] its datacenter
 * @ndcs: datacenters
 * Every index array is borrowed and copied.
 */
struct vcpu_dctopo_attr {
    uint32_t abi;
    unsigned ntypes;
    vcpu_topo_t *const *types;
    unsigned nhosts;
    const uint32_t *host_type;
    const uint32_t *host_rack;
    unsigned nracks;
    const uint32_t *rack_cluster;
    unsigned nclusters;
    const uint32_t *cluster_dc;
    unsigned ndcs;
};
#define VCPU_DCTOPO_ABI 1u

/**
 * vcpu_dctopo_create - Build a datacenter topology.
 * @attr: its shape (borrowed; copied)
 * @out: receives it (NULL on failure); free with vcpu_dctopo_destroy()
 *
 * Return: 0, VCPU_EINVAL (a NULL pointer or type, zero counts, an index out
 * of range, an unused level: a rack without hosts, a cluster without racks
 * or a datacenter without clusters), VCPU_EABI, VCPU_ENOMEM.
 * Context: any thread; does not block.
 */
VCPU_API int vcpu_dctopo_create(const struct vcpu_dctopo_attr *attr,
                                vcpu_dctopo_t **out);

/** vcpu_dctopo_destroy - Free; NULL is a no-op. Partner of _create. */
VCPU_API void vcpu_dctopo_destroy(vcpu_dctopo_t *dc);

/** Number of hosts. */
VCPU_API unsigned vcpu_dctopo_nhosts(const vcpu_dctopo_t *dc);

/** Host @h's machine topology (borrowed, shared by its host type, valid
 * until vcpu_dctopo_destroy()); NULL if @h is out of range. */
VCPU_API const vcpu_topo_t *vcpu_dctopo_host(const vcpu_dctopo_t *dc,
                                             unsigned h);

/** Ancestor of host @h at @kind: RACK, CLUSTER or DATACENTER (MACHINE
 * gives @h, WORLD 0); VCPU_NONE for another kind or a bad @h. */
VCPU_API unsigned vcpu_dctopo_ancestor(const vcpu_dctopo_t *dc, unsigned h,
                                       unsigned kind);

/**
 * vcpu_dctopo_distance - Kind of the lowest common ancestor of two pCPUs
 * on two hosts: the host level's kinds when @ha == @hb (e.g. VCPU_TOPO_PU,
 * VCPU_TOPO_CORE | VCPU_TOPO_L2, ...), else VCPU_TOPO_RACK, _CLUSTER,
 * _DATACENTER or _WORLD; 0 if a host or pCPU index is out of range.
 */
VCPU_API unsigned vcpu_dctopo_distance(const vcpu_dctopo_t *dc, unsigned ha,
                                       vcpu_pcpu_t pa, unsigned hb,
                                       vcpu_pcpu_t pb);

#ifdef __cplusplus
}
#endif
#endif /* VCPU_TOPO_H */
