// SPDX-License-Identifier: LGPL-2.1-or-later
/* Topology: load with hwloc, flatten into per-level arrays indexed by pCPU,
 * then drop the hwloc topology. Also the datacenter levels above a host. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

#include "topo_internal.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* errno left by a failed hwloc call, as a VCPU_E* code. */
static int err_from_errno(int e)
{
    switch (e) {
    case ENOMEM:
        return VCPU_ENOMEM;
    case ENOENT:
        return VCPU_ENOENT;
    case EACCES:
        return VCPU_EACCES;
    default:
        return VCPU_ETOPO;
    }
}

/* Bit number of a single kind bit, or -1. */
static int kind_index(unsigned kind)
{
    for (int i = 0; i < VCPU__TOPO_NKINDS; i++) {
        if (kind == 1u << i)
            return i;
    }
    return -1;
}

/* Kind bit of a normal hwloc type; 0 for types without one (L5, i-caches). */
static unsigned kind_of_type(hwloc_obj_type_t type)
{
    switch (type) {
    case HWLOC_OBJ_PU:
        return VCPU_TOPO_PU;
    case HWLOC_OBJ_CORE:
        return VCPU_TOPO_CORE;
    case HWLOC_OBJ_L1CACHE:
        return VCPU_TOPO_L1;
    case HWLOC_OBJ_L2CACHE:
        return VCPU_TOPO_L2;
    case HWLOC_OBJ_L3CACHE:
        return VCPU_TOPO_L3;
    case HWLOC_OBJ_L4CACHE:
        return VCPU_TOPO_L4;
    case HWLOC_OBJ_GROUP:
        return VCPU_TOPO_GROUP;
    case HWLOC_OBJ_DIE:
        return VCPU_TOPO_DIE;
    case HWLOC_OBJ_PACKAGE:
        return VCPU_TOPO_PACKAGE;
    case HWLOC_OBJ_MACHINE:
        return VCPU_TOPO_MACHINE;
    default:
        return 0;
    }
}

static void topo_free(vcpu_topo_t *t)
{
    for (unsigned l = 0; l < VCPU_TOPO_MAX_LEVELS; l++) {
        free(t->level[l].anc);
        free(t->level[l].first);
    }
    free(t->os_index);
    free(t->numa);
    free(t->corekind);
    free(t->kind_eff);
    free(t->kind_npcpus);
    free(t->source);
    free(t);
}

/* ------------------------------------------------------------------ */
/* Building the compact form from a loaded hwloc topology              */
/* ------------------------------------------------------------------ */

struct build {
    hwloc_topology_t h;
    vcpu_topo_t *t;
    hwloc_obj_t *pus; /* [npcpus]: the allowed PUs, in logical order */
    int *depth_level; /* [PU depth + 1]: level each normal depth joined */
};

static int collect_pcpus(struct build *b)
{
    hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(b->h);
    int n = hwloc_get_nbobjs_by_type(b->h, HWLOC_OBJ_PU);
    if (n <= 0)
        return VCPU_ETOPO;
    b->pus = calloc((size_t)n, sizeof *b->pus);
    if (!b->pus)
        return VCPU_ENOMEM;
    unsigned np = 0;
    for (unsigned i = 0; i < (unsigned)n; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(b->h, HWLOC_OBJ_PU, i);
        if (hwloc_bitmap_isset(allowed, pu->os_index))
            b->pus[np++] = pu;
    }
    if (np == 0)
        return VCPU_ETOPO;
    vcpu_topo_t *t = b->t;
    t->npcpus = np;
    t->os_index = calloc(np, sizeof *t->os_index);
    t->numa = calloc(np, sizeof *t->numa);
    t->corekind = calloc(np, sizeof *t->corekind);
    if (!t->os_index || !t->numa || !t->corekind)
        return VCPU_ENOMEM;
    for (unsigned p = 0; p < np; p++)
        t->os_index[p] = b->pus[p]->os_index;
    return 0;
}

/* The object at @depth above @obj, or NULL when its branch skips @depth
 * (hwloc does not promise that a depth covers every PU). */
static hwloc_obj_t ancestor_at(hwloc_obj_t obj, int depth)
{
    while (obj && obj->depth > depth)
        obj = obj->parent;
    return obj && obj->depth == depth ? obj : NULL;
}

/*
 * Number the objects of @depth by pCPU into @anc and return how many there
 * are. Logical PU order keeps each object's PUs contiguous, so a new index
 * starts where the ancestor changes. A pCPU whose branch skips @depth keeps
 * its object of the level below (@below).
 */
static unsigned index_depth(const struct build *b, int depth,
                            const uint32_t *below, uint32_t *anc)
{
    hwloc_obj_t prev = NULL;
    unsigned n = 0;
    for (unsigned p = 0; p < b->t->npcpus; p++) {
        hwloc_obj_t o = ancestor_at(b->pus[p], depth);
        if (p == 0 || o != prev || (!o && below[p] != below[p - 1]))
            n++;
        anc[p] = n - 1;
        prev = o;
    }
    return n;
}

static int add_depth(struct build *b, int depth)
{
    vcpu_topo_t *t = b->t;
    unsigned kind = kind_of_type(hwloc_get_depth_type(b->h, depth));
    struct vcpu__topo_level *below =
        t->nlevels ? &t->level[t->nlevels - 1] : NULL;
    uint32_t *anc = malloc(t->npcpus * sizeof *anc);
    if (!anc)
        return VCPU_ENOMEM;
    unsigned width = index_depth(b, depth, below ? below->anc : NULL, anc);
    /* A coarser partition with as many parts is the same partition. */
    if (below && width == below->width) {
        free(anc);
        below->kinds |= kind;
        b->depth_level[depth] = (int)t->nlevels - 1;
        return 0;
    }
    if (t->nlevels == VCPU_TOPO_MAX_LEVELS) {
        free(anc);
        return VCPU_ETOPO;
    }
    struct vcpu__topo_level *lv = &t->level[t->nlevels];
    lv->kinds = kind;
    lv->width = width;
    lv->anc = anc;
    b->depth_level[depth] = (int)t->nlevels++;
    return 0;
}

static int build_spans(vcpu_topo_t *t)
{
    for (unsigned l = 0; l < t->nlevels; l++) {
        struct vcpu__topo_level *lv = &t->level[l];
        lv->first = malloc((lv->width + 1) * sizeof *lv->first);
        if (!lv->first)
            return VCPU_ENOMEM;
        for (unsigned p = t->npcpus; p-- > 0;)
            lv->first[lv->anc[p]] = p;
        lv->first[lv->width] = t->npcpus;
    }
    return 0;
}

static int build_levels(struct build *b)
{
    int pu_depth = hwloc_get_type_depth(b->h, HWLOC_OBJ_PU);
    if (pu_depth < 0)
        return VCPU_ETOPO;
    b->depth_level = calloc((size_t)pu_depth + 1, sizeof *b->depth_level);
    if (!b->depth_level)
        return VCPU_ENOMEM;
    for (int d = pu_depth; d >= 0; d--) {
        int err = add_depth(b, d);
        if (err)
            return err;
    }
    return build_spans(b->t);
}

/* NUMA nodes mark their normal parent's level; numa[p] is the first node
 * (logical order) whose cpuset holds p, so DDR wins over MCDRAM on KNL. */
static void mark_numa(struct build *b)
{
    vcpu_topo_t *t = b->t;
    int n = hwloc_get_nbobjs_by_type(b->h, HWLOC_OBJ_NUMANODE);
    for (int i = n - 1; i >= 0; i--) {
        hwloc_obj_t node =
            hwloc_get_obj_by_type(b->h, HWLOC_OBJ_NUMANODE, (unsigned)i);
        hwloc_obj_t up = node->parent;
        while (up && !hwloc_obj_type_is_normal(up->type))
            up = up->parent;
        if (up)
            t->level[b->depth_level[up->depth]].kinds |= VCPU_TOPO_NUMA;
        for (unsigned p = 0; p < t->npcpus; p++) {
            if (hwloc_bitmap_isset(node->cpuset, t->os_index[p]))
                t->numa[p] = (uint32_t)i;
        }
    }
    t->count[kind_index(VCPU_TOPO_NUMA)] = n > 0 ? (unsigned)n : 0;
}

/* Counts as hwloc gives them; Groups may sit at several depths. */
static void count_kinds(struct build *b)
{
    int depth = hwloc_topology_get_depth(b->h);
    for (int d = 0; d < depth; d++) {
        unsigned kind = kind_of_type(hwloc_get_depth_type(b->h, d));
        if (kind)
            b->t->count[kind_index(kind)] += hwloc_get_nbobjs_by_depth(b->h, d);
    }
    b->t->count[kind_index(VCPU_TOPO_PU)] = b->t->npcpus;
}

static int read_corekind(struct build *b, unsigned k, hwloc_bitmap_t set)
{
    vcpu_topo_t *t = b->t;
    int rc =
        hwloc_cpukinds_get_info(b->h, k, set, &t->kind_eff[k], NULL, NULL, 0);
    if (rc < 0)
        return err_from_errno(errno);
    for (unsigned p = 0; p < t->npcpus; p++) {
        if (hwloc_bitmap_isset(set, t->os_index[p]))
            t->corekind[p] = k;
    }
    return 0;
}

/* A PU that hwloc puts in no kind stays in kind 0. */
static int build_corekinds(struct build *b)
{
    vcpu_topo_t *t = b->t;
    int nr = hwloc_cpukinds_get_nr(b->h, 0);
    if (nr < 0)
        return err_from_errno(errno);
    t->ncorekinds = nr > 0 ? (unsigned)nr : 1;
    t->kind_eff = malloc(t->ncorekinds * sizeof *t->kind_eff);
    t->kind_npcpus = calloc(t->ncorekinds, sizeof *t->kind_npcpus);
    if (!t->kind_eff || !t->kind_npcpus)
        return VCPU_ENOMEM;
    t->kind_eff[0] = -1;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set)
        return VCPU_ENOMEM;
    int err = 0;
    for (unsigned k = 0; k < (unsigned)nr && !err; k++)
        err = read_corekind(b, k, set);
    hwloc_bitmap_free(set);
    for (unsigned p = 0; p < t->npcpus; p++)
        t->kind_npcpus[t->corekind[p]]++;
    return err;
}

static char *join(const char *prefix, const char *name)
{
    size_t a = strlen(prefix), n = strlen(name);
    char *s = malloc(a + n + 1);
    if (s) {
        memcpy(s, prefix, a);
        memcpy(s + a, name, n + 1);
    }
    return s;
}

/* Flatten loaded @h; the source is @prefix followed by @name. */
static int build(hwloc_topology_t h, const char *prefix, const char *name,
                 vcpu_topo_t **out)
{
    struct build b = {.h = h};
    int err = VCPU_ENOMEM;
    b.t = calloc(1, sizeof *b.t);
    if (!b.t)
        goto fail;
    atomic_init(&b.t->refs, 1);
    b.t->source = join(prefix, name);
    if (!b.t->source)
        goto fail_topo;
    err = collect_pcpus(&b);
    if (err)
        goto fail_topo;
    err = build_levels(&b);
    if (err)
        goto fail_topo;
    mark_numa(&b);
    count_kinds(&b);
    err = build_corekinds(&b);
    if (err)
        goto fail_topo;
    free(b.depth_level);
    free(b.pus);
    *out = b.t;
    return 0;
fail_topo:
    topo_free(b.t);
fail:
    free(b.depth_level);
    free(b.pus);
    return err;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

/* Only the normal tree and NUMA nodes are used: drop I/O, Misc and
 * i-caches (hwloc's defaults already, said here so it stays so). */
static int set_filters(hwloc_topology_t h)
{
    const enum hwloc_type_filter_e none = HWLOC_TYPE_FILTER_KEEP_NONE;
    if (hwloc_topology_set_io_types_filter(h, none) < 0 ||
        hwloc_topology_set_icache_types_filter(h, none) < 0 ||
        hwloc_topology_set_type_filter(h, HWLOC_OBJ_MISC, none) < 0)
        return err_from_errno(errno);
    return 0;
}

static int hw_open(hwloc_topology_t *h)
{
    if (hwloc_topology_init(h) < 0)
        return err_from_errno(errno);
    int err = set_filters(*h);
    if (err)
        hwloc_topology_destroy(*h);
    return err;
}

/* Load @h, flatten it, and destroy it whatever happens. */
static int hw_finish(hwloc_topology_t h, const char *prefix, const char *name,
                     vcpu_topo_t **out)
{
    int err;
    if (hwloc_topology_load(h) < 0) {
        err = errno == ENOMEM ? VCPU_ENOMEM : VCPU_ETOPO;
        goto out;
    }
    err = build(h, prefix, name, out);
out:
    hwloc_topology_destroy(h);
    return err;
}

int vcpu_topo_load_system(vcpu_topo_t **out)
{
    if (!out)
        return VCPU_EINVAL;
    *out = NULL;
    hwloc_topology_t h;
    int err = hw_open(&h);
    if (err)
        return err;
    return hw_finish(h, "system", "", out);
}

int vcpu_topo_load_xml(const char *path, vcpu_topo_t **out)
{
    if (!out)
        return VCPU_EINVAL;
    *out = NULL;
    if (!path)
        return VCPU_EINVAL;
    hwloc_topology_t h;
    int err = hw_open(&h);
    if (err)
        return err;
    if (hwloc_topology_set_xml(h, path) < 0) {
        err = err_from_errno(errno);
        goto fail;
    }
    return hw_finish(h, "", path, out);
fail:
    hwloc_topology_destroy(h);
    return err;
}

int vcpu_topo_load_synthetic(const char *desc, vcpu_topo_t **out)
{
    if (!out)
        return VCPU_EINVAL;
    *out = NULL;
    if (!desc)
        return VCPU_EINVAL;
    hwloc_topology_t h;
    int err = hw_open(&h);
    if (err)
        return err;
    if (hwloc_topology_set_synthetic(h, desc) < 0) {
        err = errno == ENOMEM ? VCPU_ENOMEM : VCPU_ETOPO;
        goto fail;
    }
    return hw_finish(h, "synthetic:", desc, out);
fail:
    hwloc_topology_destroy(h);
    return err;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int vcpu_topo_load(const char *spec, vcpu_topo_t **out)
{
    if (!out)
        return VCPU_EINVAL;
    *out = NULL;
    if (!spec)
        return VCPU_EINVAL;
    size_t n = strlen(spec);
    if (strcmp(spec, "system") == 0)
        return vcpu_topo_load_system(out);
    if (has_prefix(spec, "synthetic:"))
        return vcpu_topo_load_synthetic(spec + strlen("synthetic:"), out);
    if (has_prefix(spec, "xml:"))
        return vcpu_topo_load_xml(spec + strlen("xml:"), out);
    if (n >= 4 && strcmp(spec + n - 4, ".xml") == 0)
        return vcpu_topo_load_xml(spec, out);
    return vcpu_topo_load_synthetic(spec, out);
}

vcpu_topo_t *vcpu_topo_ref(vcpu_topo_t *t)
{
    if (t)
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void vcpu_topo_unref(vcpu_topo_t *t)
{
    if (!t)
        return;
    /* Release so every holder's reads happen before the free (acquire). */
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_release) != 1)
        return;
    atomic_thread_fence(memory_order_acquire);
    topo_free(t);
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

unsigned vcpu_topo_npcpus(const vcpu_topo_t *t)
{
    return t->npcpus;
}

unsigned vcpu_topo_nlevels(const vcpu_topo_t *t)
{
    return t->nlevels;
}

unsigned vcpu_topo_level_kinds(const vcpu_topo_t *t, unsigned level)
{
    return t->level[level].kinds;
}

int vcpu_topo_level_of(const vcpu_topo_t *t, unsigned kind)
{
    for (unsigned l = 0; l < t->nlevels; l++) {
        if (kind && (t->level[l].kinds & kind))
            return (int)l;
    }
    return -1;
}

unsigned vcpu_topo_level_width(const vcpu_topo_t *t, unsigned level)
{
    return t->level[level].width;
}

unsigned vcpu_topo_ancestor(const vcpu_topo_t *t, vcpu_pcpu_t p, unsigned level)
{
    return t->level[level].anc[p];
}

void vcpu_topo_span(const vcpu_topo_t *t, unsigned level, unsigned idx,
                    vcpu_pcpu_t *first, unsigned *n)
{
    const uint32_t *f = t->level[level].first;
    *first = f[idx];
    *n = f[idx + 1] - f[idx];
}

unsigned vcpu_topo_distance(const vcpu_topo_t *t, vcpu_pcpu_t a, vcpu_pcpu_t b)
{
    unsigned l = 0;
    while (t->level[l].anc[a] != t->level[l].anc[b])
        l++; /* the top level has width 1, so this stops */
    return l;
}

unsigned vcpu_topo_count(const vcpu_topo_t *t, unsigned kind)
{
    int i = kind_index(kind);
    return i < 0 ? 0 : t->count[i];
}

unsigned vcpu_topo_numa_of(const vcpu_topo_t *t, vcpu_pcpu_t p)
{
    return t->numa[p];
}

unsigned vcpu_topo_os_index(const vcpu_topo_t *t, vcpu_pcpu_t p)
{
    return t->os_index[p];
}

unsigned vcpu_topo_ncorekinds(const vcpu_topo_t *t)
{
    return t->ncorekinds;
}

unsigned vcpu_topo_corekind_of(const vcpu_topo_t *t, vcpu_pcpu_t p)
{
    return t->corekind[p];
}

int vcpu_topo_corekind_efficiency(const vcpu_topo_t *t, unsigned kind)
{
    return kind < t->ncorekinds ? t->kind_eff[kind] : -1;
}

const char *vcpu_topo_kind_name(unsigned kind)
{
    static const char *const names[VCPU__TOPO_NKINDS] = {
        "pu",      "core",  "l1",      "l2",         "l3",
        "l4",      "group", "die",     "numa",       "package",
        "machine", "rack",  "cluster", "datacenter", "world",
    };
    int i = kind_index(kind);
    return i < 0 ? "?" : names[i];
}

const char *vcpu_topo_source(const vcpu_topo_t *t)
{
    return t->source;
}

/* ------------------------------------------------------------------ */
/* Printing                                                            */
/* ------------------------------------------------------------------ */

enum { KINDS_STR_LEN = 128 };

/* "core+l1+l2"; "-" for a level without a known kind. */
static const char *kinds_str(unsigned kinds, char buf[KINDS_STR_LEN])
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < VCPU__TOPO_NKINDS; i++) {
        if (!(kinds & (1u << i)))
            continue;
        int w = snprintf(buf + len, KINDS_STR_LEN - len, "%s%s", len ? "+" : "",
                         vcpu_topo_kind_name(1u << i));
        if (w > 0 && (size_t)w < KINDS_STR_LEN - len)
            len += (size_t)w;
    }
    return len ? buf : "-";
}

static void print_range(FILE *f, unsigned first, unsigned n)
{
    if (n == 1)
        fprintf(f, "pCPU %u", first);
    else
        fprintf(f, "pCPUs %u-%u", first, first + n - 1);
}

static void print_summary(const vcpu_topo_t *t, FILE *f)
{
    char buf[KINDS_STR_LEN];
    fprintf(f, "topology %s\n", t->source);
    fprintf(f, "  pCPUs %u, cores %u, L3 %u, NUMA %u, packages %u\n", t->npcpus,
            vcpu_topo_count(t, VCPU_TOPO_CORE),
            vcpu_topo_count(t, VCPU_TOPO_L3),
            vcpu_topo_count(t, VCPU_TOPO_NUMA),
            vcpu_topo_count(t, VCPU_TOPO_PACKAGE));
    fprintf(f, "  levels %u (0 = pCPU):\n", t->nlevels);
    for (unsigned l = 0; l < t->nlevels; l++)
        fprintf(f, "    %2u  %-32s x%u\n", l, kinds_str(t->level[l].kinds, buf),
                t->level[l].width);
    fprintf(f, "  core kinds %u (0 = least efficient):\n", t->ncorekinds);
    for (unsigned k = 0; k < t->ncorekinds; k++)
        fprintf(f, "    %2u  efficiency %d, pCPUs %u\n", k, t->kind_eff[k],
                t->kind_npcpus[k]);
}

/* Objects of level @below under object @idx of @level. */
static unsigned sub_count(const vcpu_topo_t *t, unsigned level, unsigned idx,
                          unsigned below)
{
    const uint32_t *first = t->level[level].first;
    const uint32_t *anc = t->level[below].anc;
    return anc[first[idx + 1] - 1] - anc[first[idx]] + 1;
}

/* Same number of objects at every level below: enough to print "alike". */
static bool same_shape(const vcpu_topo_t *t, unsigned level, unsigned a,
                       unsigned b)
{
    for (unsigned l = 0; l < level; l++) {
        if (sub_count(t, level, a, l) != sub_count(t, level, b, l))
            return false;
    }
    return true;
}

/* Objects [a, b) of @level on one line. */
static void print_run(const vcpu_topo_t *t, FILE *f, unsigned level, unsigned a,
                      unsigned b, int indent, unsigned like)
{
    char buf[KINDS_STR_LEN];
    const uint32_t *first = t->level[level].first;
    fprintf(f, "%*s%s #%u", indent, "", kinds_str(t->level[level].kinds, buf),
            a);
    if (b - a > 1)
        fprintf(f, "-#%u", b - 1);
    if (like != VCPU_NONE)
        fprintf(f, " like #%u", like);
    fputs(": ", f);
    print_range(f, first[a], first[b] - first[a]);
    if (b - a > 1 && like == VCPU_NONE)
        fprintf(f, " (%u x %u)", b - a, first[a + 1] - first[a]);
    fputc('\n', f);
}

/*
 * One object and, down to @stop (the core level), its children. Runs of
 * alike siblings print once, so 24 packages of 8 cores take four lines.
 */
static void print_node(const vcpu_topo_t *t, FILE *f, unsigned level,
                       unsigned idx, unsigned stop, int indent)
{
    print_run(t, f, level, idx, idx + 1, indent, VCPU_NONE);
    if (level <= stop)
        return;
    unsigned cl = level - 1;
    const uint32_t *first = t->level[level].first;
    const uint32_t *anc = t->level[cl].anc;
    unsigned hi = anc[first[idx + 1] - 1];
    for (unsigned c = anc[first[idx]], end; c <= hi; c = end) {
        end = c + 1;
        while (end <= hi && same_shape(t, cl, c, end))
            end++;
        if (cl <= stop) {
            print_run(t, f, cl, c, end, indent + 2, VCPU_NONE);
            continue;
        }
        print_node(t, f, cl, c, stop, indent + 2);
        if (end - c > 1)
            print_run(t, f, cl, c + 1, end, indent + 2, c);
    }
}

void vcpu_topo_print(const vcpu_topo_t *t, FILE *f, bool tree)
{
    print_summary(t, f);
    if (!tree)
        return;
    int core = vcpu_topo_level_of(t, VCPU_TOPO_CORE);
    fputs("  tree:\n", f);
    print_node(t, f, t->nlevels - 1, 0, core > 0 ? (unsigned)core : 0, 4);
}

/* ------------------------------------------------------------------ */
/* Datacenter levels                                                   */
/* ------------------------------------------------------------------ */

struct vcpu_dctopo {
    unsigned ntypes;
    unsigned nhosts;
    unsigned nracks;
    unsigned nclusters;
    unsigned ndcs;
    vcpu_topo_t **types; /* one reference each */
    uint32_t *host_type;
    uint32_t *host_rack;
    uint32_t *rack_cluster;
    uint32_t *cluster_dc;
};

/* Every map[i] < limit; with @onto, every value below @limit is used. */
static int check_map(const uint32_t *map, unsigned n, unsigned limit, bool onto)
{
    if (!map)
        return VCPU_EINVAL;
    bool *hit = onto ? calloc(limit, sizeof *hit) : NULL;
    if (onto && !hit)
        return VCPU_ENOMEM;
    int err = 0;
    for (unsigned i = 0; i < n && !err; i++) {
        if (map[i] >= limit)
            err = VCPU_EINVAL;
        else if (hit)
            hit[map[i]] = true;
    }
    for (unsigned v = 0; onto && v < limit && !err; v++) {
        if (!hit[v])
            err = VCPU_EINVAL;
    }
    free(hit);
    return err;
}

static int check_attr(const struct vcpu_dctopo_attr *a)
{
    if (a->abi != VCPU_DCTOPO_ABI)
        return VCPU_EABI;
    if (!a->ntypes || !a->nhosts || !a->nracks || !a->nclusters || !a->ndcs ||
        !a->types)
        return VCPU_EINVAL;
    for (unsigned i = 0; i < a->ntypes; i++) {
        if (!a->types[i])
            return VCPU_EINVAL;
    }
    int err = check_map(a->host_type, a->nhosts, a->ntypes, false);
    if (!err)
        err = check_map(a->host_rack, a->nhosts, a->nracks, true);
    if (!err)
        err = check_map(a->rack_cluster, a->nracks, a->nclusters, true);
    if (!err)
        err = check_map(a->cluster_dc, a->nclusters, a->ndcs, true);
    return err;
}

static uint32_t *dup_map(const uint32_t *map, unsigned n)
{
    uint32_t *copy = malloc(n * sizeof *copy);
    if (copy)
        memcpy(copy, map, n * sizeof *copy);
    return copy;
}

int vcpu_dctopo_create(const struct vcpu_dctopo_attr *attr, vcpu_dctopo_t **out)
{
    if (!out)
        return VCPU_EINVAL;
    *out = NULL;
    if (!attr)
        return VCPU_EINVAL;
    int err = check_attr(attr);
    if (err)
        return err;
    vcpu_dctopo_t *dc = calloc(1, sizeof *dc);
    if (!dc)
        return VCPU_ENOMEM;
    dc->types = calloc(attr->ntypes, sizeof *dc->types);
    dc->host_type = dup_map(attr->host_type, attr->nhosts);
    dc->host_rack = dup_map(attr->host_rack, attr->nhosts);
    dc->rack_cluster = dup_map(attr->rack_cluster, attr->nracks);
    dc->cluster_dc = dup_map(attr->cluster_dc, attr->nclusters);
    if (!dc->types || !dc->host_type || !dc->host_rack || !dc->rack_cluster ||
        !dc->cluster_dc)
        goto fail;
    dc->ntypes = attr->ntypes;
    dc->nhosts = attr->nhosts;
    dc->nracks = attr->nracks;
    dc->nclusters = attr->nclusters;
    dc->ndcs = attr->ndcs;
    for (unsigned i = 0; i < dc->ntypes; i++)
        dc->types[i] = vcpu_topo_ref(attr->types[i]);
    *out = dc;
    return 0;
fail:
    vcpu_dctopo_destroy(dc); /* no reference taken yet: ntypes is 0 */
    return VCPU_ENOMEM;
}

void vcpu_dctopo_destroy(vcpu_dctopo_t *dc)
{
    if (!dc)
        return;
    for (unsigned i = 0; i < dc->ntypes; i++)
        vcpu_topo_unref(dc->types[i]);
    free(dc->types);
    free(dc->host_type);
    free(dc->host_rack);
    free(dc->rack_cluster);
    free(dc->cluster_dc);
    free(dc);
}

unsigned vcpu_dctopo_nhosts(const vcpu_dctopo_t *dc)
{
    return dc ? dc->nhosts : 0;
}

const vcpu_topo_t *vcpu_dctopo_host(const vcpu_dctopo_t *dc, unsigned h)
{
    if (!dc || h >= dc->nhosts)
        return NULL;
    return dc->types[dc->host_type[h]];
}

unsigned vcpu_dctopo_ancestor(const vcpu_dctopo_t *dc, unsigned h,
                              unsigned kind)
{
    if (!dc || h >= dc->nhosts)
        return VCPU_NONE;
    unsigned rack = dc->host_rack[h];
    switch (kind) {
    case VCPU_TOPO_MACHINE:
        return h;
    case VCPU_TOPO_RACK:
        return rack;
    case VCPU_TOPO_CLUSTER:
        return dc->rack_cluster[rack];
    case VCPU_TOPO_DATACENTER:
        return dc->cluster_dc[dc->rack_cluster[rack]];
    case VCPU_TOPO_WORLD:
        return 0;
    default:
        return VCPU_NONE;
    }
}

unsigned vcpu_dctopo_distance(const vcpu_dctopo_t *dc, unsigned ha,
                              vcpu_pcpu_t pa, unsigned hb, vcpu_pcpu_t pb)
{
    const vcpu_topo_t *ta = vcpu_dctopo_host(dc, ha);
    const vcpu_topo_t *tb = vcpu_dctopo_host(dc, hb);
    if (!ta || !tb || pa >= ta->npcpus || pb >= tb->npcpus)
        return 0;
    if (ha == hb)
        return vcpu_topo_level_kinds(ta, vcpu_topo_distance(ta, pa, pb));
    static const unsigned above[] = {VCPU_TOPO_RACK, VCPU_TOPO_CLUSTER,
                                     VCPU_TOPO_DATACENTER};
    for (unsigned i = 0; i < sizeof above / sizeof above[0]; i++) {
        if (vcpu_dctopo_ancestor(dc, ha, above[i]) ==
            vcpu_dctopo_ancestor(dc, hb, above[i]))
            return above[i];
    }
    return VCPU_TOPO_WORLD;
}
