// SPDX-License-Identifier: GPL-3.0-or-later
/* topo.h: loading (system, XML, synthetic), levels and merging, spans,
 * distances, counts against hwloc's own, core kinds, datacenter levels. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hwloc.h>
#include <vcpu/topo.h>

#include "core/topo_internal.h"

#define XML_DIR VCPU_TEST_SHARED_DATA "/hwloc-xml"
#define HYBRID XML_DIR "/20em64t-hybrid-1p6c2t+2ca4co1t.xml"
#define GB10 XML_DIR "/nvidia-dgx-gb10.xml"
#define BIG XML_DIR "/192em64t-24n8c2t.xml"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static void skip_without_data(void)
{
    DIR *d = opendir(XML_DIR);
    if (!d)
        skip();
    closedir(d);
}

static vcpu_topo_t *load_ok(const char *spec)
{
    vcpu_topo_t *t = NULL;
    int err = vcpu_topo_load(spec, &t);
    if (err)
        fail_msg("%s: %s", spec, vcpu_err_name(err));
    assert_non_null(t);
    return t;
}

typedef void (*xml_fn)(const char *path);

/* Call @fn on every .xml file of the shared data; returns how many. */
static unsigned for_each_xml(xml_fn fn)
{
    DIR *d = opendir(XML_DIR);
    assert_non_null(d);
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".xml") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", XML_DIR, e->d_name);
        fn(path);
        n++;
    }
    closedir(d);
    return n;
}

/* What hwloc itself reports for a file, loaded with its defaults. */
struct hw_counts {
    unsigned pu, core, package, numa, l3, group;
};

static struct hw_counts hwloc_counts(const char *path)
{
    hwloc_topology_t h;
    assert_int_equal(hwloc_topology_init(&h), 0);
    assert_int_equal(hwloc_topology_set_xml(h, path), 0);
    assert_int_equal(hwloc_topology_load(h), 0);
    struct hw_counts c = {0};
    hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(h);
    hwloc_obj_t pu = NULL;
    while ((pu = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_PU, pu)))
        c.pu += hwloc_bitmap_isset(allowed, pu->os_index);
    c.core = (unsigned)hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_CORE);
    c.package = (unsigned)hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PACKAGE);
    c.numa = (unsigned)hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_NUMANODE);
    c.l3 = (unsigned)hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_L3CACHE);
    for (int d = 0; d < hwloc_topology_get_depth(h); d++) {
        if (hwloc_get_depth_type(h, d) == HWLOC_OBJ_GROUP)
            c.group += hwloc_get_nbobjs_by_depth(h, d);
    }
    hwloc_topology_destroy(h);
    return c;
}

/* Spans tile 0..P-1 in order, and each pCPU lies in its ancestor's. */
static void check_spans(const vcpu_topo_t *t)
{
    unsigned np = vcpu_topo_npcpus(t);
    for (unsigned l = 0; l < vcpu_topo_nlevels(t); l++) {
        vcpu_pcpu_t next = 0;
        for (unsigned i = 0; i < vcpu_topo_level_width(t, l); i++) {
            vcpu_pcpu_t first;
            unsigned n;
            vcpu_topo_span(t, l, i, &first, &n);
            assert_int_equal(first, next);
            assert_true(n > 0);
            next = first + n;
        }
        assert_int_equal(next, np);
        for (vcpu_pcpu_t p = 0; p < np; p++) {
            vcpu_pcpu_t first;
            unsigned n;
            vcpu_topo_span(t, l, vcpu_topo_ancestor(t, p, l), &first, &n);
            assert_true(p >= first && p < first + n);
        }
    }
}

/* Level shape: PU at 0, machine on top, strictly coarser going up, and
 * the tree nests (one parent per object). */
static void check_levels(const vcpu_topo_t *t)
{
    unsigned nl = vcpu_topo_nlevels(t), np = vcpu_topo_npcpus(t);
    assert_true(nl >= 1 && nl <= VCPU_TOPO_MAX_LEVELS);
    assert_true(vcpu_topo_level_kinds(t, 0) & VCPU_TOPO_PU);
    assert_true(vcpu_topo_level_kinds(t, nl - 1) & VCPU_TOPO_MACHINE);
    assert_int_equal(vcpu_topo_level_width(t, 0), np);
    assert_int_equal(vcpu_topo_level_width(t, nl - 1), 1);
    for (unsigned l = 1; l < nl; l++) {
        assert_true(vcpu_topo_level_width(t, l) <
                    vcpu_topo_level_width(t, l - 1));
        for (vcpu_pcpu_t p = 1; p < np; p++) {
            bool same_below = vcpu_topo_ancestor(t, p, l - 1) ==
                              vcpu_topo_ancestor(t, p - 1, l - 1);
            if (same_below)
                assert_int_equal(vcpu_topo_ancestor(t, p, l),
                                 vcpu_topo_ancestor(t, p - 1, l));
        }
    }
}

static void check_per_pcpu(const vcpu_topo_t *t)
{
    unsigned numa = vcpu_topo_count(t, VCPU_TOPO_NUMA);
    int nl = vcpu_topo_level_of(t, VCPU_TOPO_NUMA);
    for (vcpu_pcpu_t p = 0; p < vcpu_topo_npcpus(t); p++) {
        assert_true(vcpu_topo_numa_of(t, p) < (numa ? numa : 1));
        assert_true(vcpu_topo_corekind_of(t, p) < vcpu_topo_ncorekinds(t));
        assert_int_equal(vcpu_topo_distance(t, p, p), 0);
        if (p > 0)
            assert_true(vcpu_topo_os_index(t, p) !=
                        vcpu_topo_os_index(t, p - 1));
        if (nl < 0)
            continue;
        /* pCPUs under one NUMA-level object share their node. */
        vcpu_pcpu_t first;
        unsigned n;
        vcpu_topo_span(t, (unsigned)nl, vcpu_topo_ancestor(t, p, nl), &first,
                       &n);
        assert_int_equal(vcpu_topo_numa_of(t, p), vcpu_topo_numa_of(t, first));
    }
}

/* A kind that one hwloc depth stands for has one object per level slot. */
static void check_widths(const vcpu_topo_t *t)
{
    static const unsigned kinds[] = {VCPU_TOPO_CORE, VCPU_TOPO_L1,
                                     VCPU_TOPO_L2,   VCPU_TOPO_L3,
                                     VCPU_TOPO_DIE,  VCPU_TOPO_PACKAGE};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        int l = vcpu_topo_level_of(t, kinds[i]);
        if (l < 0) {
            assert_int_equal(vcpu_topo_count(t, kinds[i]), 0);
            continue;
        }
        assert_int_equal(vcpu_topo_level_width(t, (unsigned)l),
                         vcpu_topo_count(t, kinds[i]));
    }
}

static void check_all(const vcpu_topo_t *t)
{
    check_levels(t);
    check_spans(t);
    check_per_pcpu(t);
    check_widths(t);
}

/* Every triple: d(a,c) <= max(d(a,b), d(b,c)); symmetric; zero on a. */
static void check_ultrametric(const vcpu_topo_t *t)
{
    unsigned np = vcpu_topo_npcpus(t);
    for (vcpu_pcpu_t a = 0; a < np; a++) {
        for (vcpu_pcpu_t b = 0; b < np; b++) {
            unsigned ab = vcpu_topo_distance(t, a, b);
            assert_int_equal(ab, vcpu_topo_distance(t, b, a));
            assert_true((ab == 0) == (a == b));
            for (vcpu_pcpu_t c = 0; c < np; c++) {
                unsigned bc = vcpu_topo_distance(t, b, c);
                unsigned ac = vcpu_topo_distance(t, a, c);
                assert_true(ac <= (ab > bc ? ab : bc));
            }
        }
    }
}

static char *print_to_string(const vcpu_topo_t *t, bool tree)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    vcpu_topo_print(t, f, tree);
    assert_int_equal(fclose(f), 0);
    assert_non_null(buf);
    return buf;
}

static unsigned count_lines(const char *s)
{
    unsigned n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ------------------------------------------------------------------ */
/* XML                                                                 */
/* ------------------------------------------------------------------ */

static void xml_counts_match(const char *path)
{
    struct hw_counts want = hwloc_counts(path);
    vcpu_topo_t *t = NULL;
    assert_int_equal(vcpu_topo_load_xml(path, &t), 0);
    assert_string_equal(vcpu_topo_source(t), path);
    assert_int_equal(vcpu_topo_npcpus(t), want.pu);
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_PU), want.pu);
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_CORE), want.core);
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_PACKAGE), want.package);
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_NUMA), want.numa);
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_L3), want.l3);
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_GROUP), want.group);
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_MACHINE), 1);
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_RACK), 0);
    check_all(t);
    vcpu_topo_unref(t);
}

static void test_topo_xml_counts_match_hwloc(void **state)
{
    (void)state;
    skip_without_data();
    assert_true(for_each_xml(xml_counts_match) >= 10);
}

struct readme_row {
    const char *file;
    unsigned pu, core, package, numa;
};

static void test_topo_xml_readme_spot_checks(void **state)
{
    (void)state;
    skip_without_data();
    static const struct readme_row rows[] = {
        {"AMD-17h-Zen-2xEpyc-7451.xml", 96, 48, 2, 8},
        {"192em64t-24n8c2t.xml", 384, 192, 24, 24},
        {"Intel-KnightsLanding-XeonPhi-7210.xml", 256, 64, 1, 1},
        {"20em64t-hybrid-1p6c2t+2ca4co1t.xml", 20, 14, 1, 1},
        {"power8gpudistances.xml", 16, 8, 2, 2},
        {"96em64t-4n4d3ca2co-pci.xml", 96, 96, 16, 4},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char spec[4096];
        snprintf(spec, sizeof spec, "xml:%s/%s", XML_DIR, rows[i].file);
        vcpu_topo_t *t = load_ok(spec);
        assert_int_equal(vcpu_topo_npcpus(t), rows[i].pu);
        assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_CORE), rows[i].core);
        assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_PACKAGE),
                         rows[i].package);
        assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_NUMA), rows[i].numa);
        vcpu_topo_unref(t);
    }
}

/* Epyc 7451: L1 and L2 are per core, so they share the core's level; each
 * die is a Group holding one NUMA node. */
static void test_topo_xml_merges_levels(void **state)
{
    (void)state;
    skip_without_data();
    vcpu_topo_t *t = load_ok(XML_DIR "/AMD-17h-Zen-2xEpyc-7451.xml");
    int core = vcpu_topo_level_of(t, VCPU_TOPO_CORE);
    assert_int_equal(core, 1);
    assert_int_equal(vcpu_topo_level_kinds(t, 1),
                     VCPU_TOPO_CORE | VCPU_TOPO_L1 | VCPU_TOPO_L2);
    int numa = vcpu_topo_level_of(t, VCPU_TOPO_NUMA);
    assert_true(numa > core);
    assert_true(vcpu_topo_level_kinds(t, (unsigned)numa) & VCPU_TOPO_GROUP);
    assert_int_equal(vcpu_topo_level_width(t, (unsigned)numa), 8);
    assert_int_equal(vcpu_topo_level_of(t, VCPU_TOPO_RACK), -1);
    vcpu_topo_unref(t);
}

/* ------------------------------------------------------------------ */
/* Synthetic                                                           */
/* ------------------------------------------------------------------ */

static void test_topo_synthetic_pack_l3_core_pu(void **state)
{
    (void)state;
    vcpu_topo_t *t = load_ok("pack:2 l3:2 core:8 pu:2");
    assert_string_equal(vcpu_topo_source(t),
                        "synthetic:pack:2 l3:2 core:8 pu:2");
    assert_int_equal(vcpu_topo_npcpus(t), 64);
    assert_int_equal(vcpu_topo_nlevels(t), 5);
    static const unsigned kinds[] = {VCPU_TOPO_PU, VCPU_TOPO_CORE, VCPU_TOPO_L3,
                                     VCPU_TOPO_PACKAGE,
                                     VCPU_TOPO_MACHINE | VCPU_TOPO_NUMA};
    static const unsigned widths[] = {64, 32, 4, 2, 1};
    for (unsigned l = 0; l < 5; l++) {
        assert_int_equal(vcpu_topo_level_kinds(t, l), kinds[l]);
        assert_int_equal(vcpu_topo_level_width(t, l), widths[l]);
    }
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_L3), 4);
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_NUMA), 1);
    assert_int_equal(vcpu_topo_ncorekinds(t), 1);
    assert_int_equal(vcpu_topo_corekind_efficiency(t, 0), -1);
    check_all(t);
    vcpu_topo_unref(t);
}

static void test_topo_synthetic_merges_core_into_pu(void **state)
{
    (void)state;
    vcpu_topo_t *t = load_ok("synthetic:pack:2 core:2 pu:1");
    assert_int_equal(vcpu_topo_npcpus(t), 4);
    assert_int_equal(vcpu_topo_nlevels(t), 3);
    assert_int_equal(vcpu_topo_level_kinds(t, 0),
                     VCPU_TOPO_PU | VCPU_TOPO_CORE);
    assert_int_equal(vcpu_topo_level_of(t, VCPU_TOPO_CORE), 0);
    assert_int_equal(vcpu_topo_level_of(t, VCPU_TOPO_PACKAGE), 1);
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_CORE), 4);
    assert_int_equal(vcpu_topo_distance(t, 0, 1), 1);
    assert_int_equal(vcpu_topo_distance(t, 1, 2), 2);
    check_all(t);
    vcpu_topo_unref(t);
}

static void test_topo_synthetic_single_pu_is_one_level(void **state)
{
    (void)state;
    vcpu_topo_t *t = load_ok("core:1 pu:1");
    assert_int_equal(vcpu_topo_npcpus(t), 1);
    assert_int_equal(vcpu_topo_nlevels(t), 1);
    assert_int_equal(vcpu_topo_level_kinds(t, 0),
                     VCPU_TOPO_PU | VCPU_TOPO_CORE | VCPU_TOPO_MACHINE |
                         VCPU_TOPO_NUMA);
    assert_int_equal(vcpu_topo_os_index(t, 0), 0);
    check_all(t);
    vcpu_topo_unref(t);
}

static void test_topo_synthetic_numa_marks_parent_level(void **state)
{
    (void)state;
    vcpu_topo_t *t = load_ok("pack:2 [numa] core:2 pu:2");
    assert_int_equal(vcpu_topo_count(t, VCPU_TOPO_NUMA), 2);
    assert_int_equal(vcpu_topo_level_of(t, VCPU_TOPO_NUMA),
                     vcpu_topo_level_of(t, VCPU_TOPO_PACKAGE));
    assert_int_equal(vcpu_topo_numa_of(t, 0), 0);
    assert_int_equal(vcpu_topo_numa_of(t, 7), 1);
    check_all(t);
    vcpu_topo_unref(t);
}

/* ------------------------------------------------------------------ */
/* Distances and spans                                                 */
/* ------------------------------------------------------------------ */

static void test_topo_distance_properties(void **state)
{
    (void)state;
    vcpu_topo_t *t = load_ok("pack:2 l3:2 core:8 pu:2");
    check_ultrametric(t);
    /* SMT siblings are closer than cores sharing an L3, than packages. */
    unsigned smt = vcpu_topo_distance(t, 0, 1);
    unsigned l3 = vcpu_topo_distance(t, 0, 2);
    unsigned pack = vcpu_topo_distance(t, 0, 63);
    assert_int_equal(smt, (unsigned)vcpu_topo_level_of(t, VCPU_TOPO_CORE));
    assert_int_equal(l3, (unsigned)vcpu_topo_level_of(t, VCPU_TOPO_L3));
    assert_true(smt < l3 && l3 < pack);
    assert_int_equal(pack, vcpu_topo_nlevels(t) - 1);
    vcpu_topo_unref(t);
    t = load_ok("pack:2 core:2 pu:1");
    check_ultrametric(t);
    vcpu_topo_unref(t);
}

static void test_topo_distance_ultrametric_on_xml(void **state)
{
    (void)state;
    skip_without_data();
    vcpu_topo_t *t = load_ok(HYBRID);
    check_ultrametric(t);
    vcpu_topo_unref(t);
}

static void test_topo_span_matches_ancestors(void **state)
{
    (void)state;
    vcpu_topo_t *t = load_ok("pack:3 l3:2 core:3 pu:2");
    check_spans(t);
    int pack = vcpu_topo_level_of(t, VCPU_TOPO_PACKAGE);
    vcpu_pcpu_t first;
    unsigned n;
    vcpu_topo_span(t, (unsigned)pack, 2, &first, &n);
    assert_int_equal(first, 24);
    assert_int_equal(n, 12);
    vcpu_topo_span(t, vcpu_topo_nlevels(t) - 1, 0, &first, &n);
    assert_int_equal(first, 0);
    assert_int_equal(n, 36);
    vcpu_topo_unref(t);
}

/* ------------------------------------------------------------------ */
/* Core kinds                                                          */
/* ------------------------------------------------------------------ */

/* Our kinds equal hwloc's, PU by PU, with hwloc's efficiencies. */
static void check_kinds_match_hwloc(const char *path, const vcpu_topo_t *t)
{
    hwloc_topology_t h;
    assert_int_equal(hwloc_topology_init(&h), 0);
    assert_int_equal(hwloc_topology_set_xml(h, path), 0);
    assert_int_equal(hwloc_topology_load(h), 0);
    int nr = hwloc_cpukinds_get_nr(h, 0);
    assert_int_equal(vcpu_topo_ncorekinds(t), nr);
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    for (int k = 0; k < nr; k++) {
        int eff;
        assert_int_equal(
            hwloc_cpukinds_get_info(h, (unsigned)k, set, &eff, NULL, NULL, 0),
            0);
        assert_int_equal(vcpu_topo_corekind_efficiency(t, (unsigned)k), eff);
        unsigned mine = 0;
        for (vcpu_pcpu_t p = 0; p < vcpu_topo_npcpus(t); p++) {
            bool in = hwloc_bitmap_isset(set, vcpu_topo_os_index(t, p));
            assert_int_equal(in, vcpu_topo_corekind_of(t, p) == (unsigned)k);
            mine += in;
        }
        assert_int_equal(mine, hwloc_bitmap_weight(set));
    }
    hwloc_bitmap_free(set);
    hwloc_topology_destroy(h);
}

static unsigned pcpus_of_kind(const vcpu_topo_t *t, unsigned k)
{
    unsigned n = 0;
    for (vcpu_pcpu_t p = 0; p < vcpu_topo_npcpus(t); p++)
        n += vcpu_topo_corekind_of(t, p) == k;
    return n;
}

static void test_topo_hybrid_keeps_core_kinds(void **state)
{
    (void)state;
    skip_without_data();
    vcpu_topo_t *t = load_ok(HYBRID);
    assert_int_equal(vcpu_topo_ncorekinds(t), 2);
    assert_int_equal(pcpus_of_kind(t, 1), 12); /* 6 P-cores, 2 threads */
    assert_int_equal(pcpus_of_kind(t, 0), 8);  /* 8 E-cores */
    assert_true(vcpu_topo_corekind_efficiency(t, 1) >
                vcpu_topo_corekind_efficiency(t, 0));
    check_kinds_match_hwloc(HYBRID, t);
    vcpu_topo_unref(t);
}

static void test_topo_gb10_has_two_core_kinds(void **state)
{
    (void)state;
    skip_without_data();
    vcpu_topo_t *t = load_ok(GB10);
    assert_int_equal(vcpu_topo_ncorekinds(t), 2);
    assert_int_equal(pcpus_of_kind(t, 0) + pcpus_of_kind(t, 1), 20);
    check_kinds_match_hwloc(GB10, t);
    vcpu_topo_unref(t);
}

/* ------------------------------------------------------------------ */
/* Bad input                                                           */
/* ------------------------------------------------------------------ */

static vcpu_topo_t *const SENTINEL = (vcpu_topo_t *)&SENTINEL;

static void test_topo_null_args_einval(void **state)
{
    (void)state;
    vcpu_topo_t *t = SENTINEL;
    assert_int_equal(vcpu_topo_load_xml(NULL, &t), VCPU_EINVAL);
    assert_null(t);
    t = SENTINEL;
    assert_int_equal(vcpu_topo_load_synthetic(NULL, &t), VCPU_EINVAL);
    assert_null(t);
    t = SENTINEL;
    assert_int_equal(vcpu_topo_load(NULL, &t), VCPU_EINVAL);
    assert_null(t);
    assert_int_equal(vcpu_topo_load_system(NULL), VCPU_EINVAL);
    assert_int_equal(vcpu_topo_load_xml("x.xml", NULL), VCPU_EINVAL);
    assert_int_equal(vcpu_topo_load_synthetic("pu:1", NULL), VCPU_EINVAL);
    assert_int_equal(vcpu_topo_load("pu:1", NULL), VCPU_EINVAL);
    vcpu_dctopo_t *dc = (vcpu_dctopo_t *)SENTINEL;
    assert_int_equal(vcpu_dctopo_create(NULL, &dc), VCPU_EINVAL);
    assert_null(dc);
    vcpu_topo_unref(NULL);
    vcpu_dctopo_destroy(NULL);
    assert_null(vcpu_topo_ref(NULL));
}

static void test_topo_missing_file_enoent(void **state)
{
    (void)state;
    vcpu_topo_t *t = SENTINEL;
    assert_int_equal(vcpu_topo_load_xml("/nonexistent/topo.xml", &t),
                     VCPU_ENOENT);
    assert_null(t);
    t = SENTINEL;
    assert_int_equal(vcpu_topo_load("/nonexistent/topo.xml", &t), VCPU_ENOENT);
    assert_null(t);
    assert_int_equal(vcpu_topo_load("xml:/nonexistent/topo", &t), VCPU_ENOENT);
    assert_null(t);
}

static void test_topo_garbage_synthetic_etopo(void **state)
{
    (void)state;
    static const char *const bad[] = {"garbage!!", "", "pack:0 pu:1",
                                      "pack:2 core:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vcpu_topo_t *t = SENTINEL;
        assert_int_equal(vcpu_topo_load_synthetic(bad[i], &t), VCPU_ETOPO);
        assert_null(t);
    }
    vcpu_topo_t *t = SENTINEL;
    assert_int_equal(vcpu_topo_load("synthetic:nonsense", &t), VCPU_ETOPO);
    assert_null(t);
}

static void load_garbage_file(const char *text)
{
    char path[] = "/tmp/test_topo_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    vcpu_topo_t *t = SENTINEL;
    int err = vcpu_topo_load_xml(path, &t);
    unlink(path);
    assert_int_equal(err, VCPU_ETOPO);
    assert_null(t);
}

static void test_topo_garbage_xml_etopo(void **state)
{
    (void)state;
    load_garbage_file("this is not xml <<<\n");
    load_garbage_file("");
    load_garbage_file("<?xml version=\"1.0\"?>\n<topology version=\"2.0\">"
                      "<object type=\"Bogus\"/></topology>\n");
}

/* ------------------------------------------------------------------ */
/* Lifetime, loading by spec, printing                                 */
/* ------------------------------------------------------------------ */

static void test_topo_ref_unref(void **state)
{
    (void)state;
    vcpu_topo_t *t = load_ok("pack:2 core:2 pu:2");
    assert_int_equal(atomic_load(&t->refs), 1);
    assert_ptr_equal(vcpu_topo_ref(t), t);
    assert_ptr_equal(vcpu_topo_ref(t), t);
    assert_int_equal(atomic_load(&t->refs), 3);
    vcpu_topo_unref(t);
    vcpu_topo_unref(t);
    assert_int_equal(atomic_load(&t->refs), 1);
    assert_int_equal(vcpu_topo_npcpus(t), 8);
    vcpu_topo_unref(t); /* frees; ASan reports a leak or double free */
}

static void test_topo_load_dispatches_by_spec(void **state)
{
    (void)state;
    vcpu_topo_t *t = load_ok("system");
    assert_string_equal(vcpu_topo_source(t), "system");
    assert_true(vcpu_topo_npcpus(t) >= 1);
    check_all(t);
    vcpu_topo_unref(t);
    t = load_ok("synthetic:core:2 pu:1");
    assert_string_equal(vcpu_topo_source(t), "synthetic:core:2 pu:1");
    assert_int_equal(vcpu_topo_npcpus(t), 2);
    vcpu_topo_unref(t);
    skip_without_data();
    t = load_ok("xml:" HYBRID);
    assert_string_equal(vcpu_topo_source(t), HYBRID);
    vcpu_topo_unref(t);
}

static void test_topo_kind_names(void **state)
{
    (void)state;
    assert_string_equal(vcpu_topo_kind_name(VCPU_TOPO_PU), "pu");
    assert_string_equal(vcpu_topo_kind_name(VCPU_TOPO_NUMA), "numa");
    assert_string_equal(vcpu_topo_kind_name(VCPU_TOPO_WORLD), "world");
    assert_string_equal(vcpu_topo_kind_name(0), "?");
    assert_string_equal(vcpu_topo_kind_name(VCPU_TOPO_PU | VCPU_TOPO_CORE),
                        "?");
    assert_string_equal(vcpu_topo_kind_name(1u << 20), "?");
}

static void test_topo_print_is_short(void **state)
{
    (void)state;
    vcpu_topo_t *t = load_ok("pack:2 l3:2 core:8 pu:2");
    char *s = print_to_string(t, true);
    assert_non_null(strstr(s, "pCPUs 64, cores 32, L3 4, NUMA 1"));
    assert_non_null(strstr(s, "core #0-#7: pCPUs 0-15 (8 x 2)"));
    free(s);
    vcpu_topo_unref(t);
    skip_without_data();
    t = load_ok(BIG);
    s = print_to_string(t, false);
    assert_non_null(strstr(s, "pCPUs 384, cores 192"));
    free(s);
    s = print_to_string(t, true);
    assert_true(count_lines(s) < 30);
    assert_non_null(strstr(s, "pCPUs 0-383"));
    free(s);
    vcpu_topo_unref(t);
}

/* ------------------------------------------------------------------ */
/* Datacenter                                                          */
/* ------------------------------------------------------------------ */

/* 5 hosts of 2 types in 4 racks, 3 clusters, 2 datacenters. */
struct dc_fixture {
    vcpu_topo_t *types[2];
    uint32_t host_type[5], host_rack[5], rack_cluster[4], cluster_dc[3];
    struct vcpu_dctopo_attr attr;
    vcpu_dctopo_t *dc;
};

static int dc_setup(void **state)
{
    struct dc_fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (vcpu_topo_load("pack:2 core:2 pu:2", &fx->types[0]) ||
        vcpu_topo_load("core:2 pu:1", &fx->types[1])) {
        vcpu_topo_unref(fx->types[0]);
        free(fx);
        return -1;
    }
    static const uint32_t ht[] = {0, 1, 0, 1, 0}, hr[] = {0, 0, 1, 2, 3},
                          rc[] = {0, 0, 1, 2}, cd[] = {0, 1, 0};
    memcpy(fx->host_type, ht, sizeof ht);
    memcpy(fx->host_rack, hr, sizeof hr);
    memcpy(fx->rack_cluster, rc, sizeof rc);
    memcpy(fx->cluster_dc, cd, sizeof cd);
    fx->attr = (struct vcpu_dctopo_attr){
        .abi = VCPU_DCTOPO_ABI,
        .ntypes = 2,
        .types = fx->types,
        .nhosts = 5,
        .host_type = fx->host_type,
        .host_rack = fx->host_rack,
        .nracks = 4,
        .rack_cluster = fx->rack_cluster,
        .nclusters = 3,
        .cluster_dc = fx->cluster_dc,
        .ndcs = 2,
    };
    *state = fx;
    return 0;
}

static int dc_teardown(void **state)
{
    struct dc_fixture *fx = *state;
    vcpu_dctopo_destroy(fx->dc);
    for (int i = 0; i < 2; i++) {
        if (fx->types[i] && atomic_load(&fx->types[i]->refs) != 1)
            return -1; /* the datacenter kept a reference */
        vcpu_topo_unref(fx->types[i]);
    }
    free(fx);
    return 0;
}

static void test_topo_dctopo_shares_host_types(void **state)
{
    struct dc_fixture *fx = *state;
    assert_int_equal(vcpu_dctopo_create(&fx->attr, &fx->dc), 0);
    assert_int_equal(vcpu_dctopo_nhosts(fx->dc), 5);
    assert_ptr_equal(vcpu_dctopo_host(fx->dc, 0), fx->types[0]);
    assert_ptr_equal(vcpu_dctopo_host(fx->dc, 2), fx->types[0]);
    assert_ptr_equal(vcpu_dctopo_host(fx->dc, 3), fx->types[1]);
    assert_null(vcpu_dctopo_host(fx->dc, 5));
    assert_int_equal(atomic_load(&fx->types[0]->refs), 2);
    assert_int_equal(vcpu_dctopo_ancestor(fx->dc, 4, VCPU_TOPO_RACK), 3);
    assert_int_equal(vcpu_dctopo_ancestor(fx->dc, 4, VCPU_TOPO_CLUSTER), 2);
    assert_int_equal(vcpu_dctopo_ancestor(fx->dc, 3, VCPU_TOPO_DATACENTER), 1);
    assert_int_equal(vcpu_dctopo_ancestor(fx->dc, 9, VCPU_TOPO_RACK),
                     VCPU_NONE);
    assert_int_equal(vcpu_dctopo_ancestor(fx->dc, 0, VCPU_TOPO_CORE),
                     VCPU_NONE);
}

static void test_topo_dctopo_distance_kinds(void **state)
{
    struct dc_fixture *fx = *state;
    assert_int_equal(vcpu_dctopo_create(&fx->attr, &fx->dc), 0);
    const vcpu_dctopo_t *dc = fx->dc;
    assert_int_equal(vcpu_dctopo_distance(dc, 0, 3, 0, 3), VCPU_TOPO_PU);
    assert_int_equal(vcpu_dctopo_distance(dc, 0, 0, 0, 1), VCPU_TOPO_CORE);
    assert_int_equal(vcpu_dctopo_distance(dc, 0, 0, 0, 2), VCPU_TOPO_PACKAGE);
    assert_int_equal(vcpu_dctopo_distance(dc, 1, 0, 1, 1),
                     VCPU_TOPO_MACHINE | VCPU_TOPO_NUMA);
    assert_int_equal(vcpu_dctopo_distance(dc, 0, 0, 1, 0), VCPU_TOPO_RACK);
    assert_int_equal(vcpu_dctopo_distance(dc, 0, 0, 2, 0), VCPU_TOPO_CLUSTER);
    assert_int_equal(vcpu_dctopo_distance(dc, 0, 0, 4, 0),
                     VCPU_TOPO_DATACENTER);
    assert_int_equal(vcpu_dctopo_distance(dc, 0, 0, 3, 1), VCPU_TOPO_WORLD);
    assert_int_equal(vcpu_dctopo_distance(dc, 3, 1, 0, 0), VCPU_TOPO_WORLD);
    /* Bad host or pCPU: no kind. Host 1 has 2 pCPUs. */
    assert_int_equal(vcpu_dctopo_distance(dc, 0, 0, 5, 0), 0);
    assert_int_equal(vcpu_dctopo_distance(dc, 0, 0, 1, 2), 0);
}

static void expect_create(struct dc_fixture *fx, int want)
{
    vcpu_dctopo_t *dc = (vcpu_dctopo_t *)SENTINEL;
    assert_int_equal(vcpu_dctopo_create(&fx->attr, &dc), want);
    assert_null(dc);
}

static void test_topo_dctopo_rejects_bad_attr(void **state)
{
    struct dc_fixture *fx = *state;
    struct vcpu_dctopo_attr good = fx->attr;
    fx->attr.abi = 99;
    expect_create(fx, VCPU_EABI);
    fx->attr = good;
    fx->attr.nhosts = 0;
    expect_create(fx, VCPU_EINVAL);
    fx->attr = good;
    fx->attr.host_rack = NULL;
    expect_create(fx, VCPU_EINVAL);
    fx->attr = good;
    fx->host_type[2] = 2; /* no such type */
    expect_create(fx, VCPU_EINVAL);
    fx->host_type[2] = 0;
    fx->cluster_dc[1] = 2; /* no such datacenter */
    expect_create(fx, VCPU_EINVAL);
    fx->cluster_dc[1] = 1;
    fx->attr.nracks = 5; /* rack 4 holds no host */
    expect_create(fx, VCPU_EINVAL);
    fx->attr = good;
    vcpu_topo_t *const none[2] = {fx->types[0], NULL};
    fx->attr.types = none;
    expect_create(fx, VCPU_EINVAL);
    fx->attr = good;
    assert_int_equal(vcpu_dctopo_create(&fx->attr, NULL), VCPU_EINVAL);
    assert_int_equal(atomic_load(&fx->types[0]->refs), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topo_xml_counts_match_hwloc),
        cmocka_unit_test(test_topo_xml_readme_spot_checks),
        cmocka_unit_test(test_topo_xml_merges_levels),
        cmocka_unit_test(test_topo_synthetic_pack_l3_core_pu),
        cmocka_unit_test(test_topo_synthetic_merges_core_into_pu),
        cmocka_unit_test(test_topo_synthetic_single_pu_is_one_level),
        cmocka_unit_test(test_topo_synthetic_numa_marks_parent_level),
        cmocka_unit_test(test_topo_distance_properties),
        cmocka_unit_test(test_topo_distance_ultrametric_on_xml),
        cmocka_unit_test(test_topo_span_matches_ancestors),
        cmocka_unit_test(test_topo_hybrid_keeps_core_kinds),
        cmocka_unit_test(test_topo_gb10_has_two_core_kinds),
        cmocka_unit_test(test_topo_null_args_einval),
        cmocka_unit_test(test_topo_missing_file_enoent),
        cmocka_unit_test(test_topo_garbage_synthetic_etopo),
        cmocka_unit_test(test_topo_garbage_xml_etopo),
        cmocka_unit_test(test_topo_ref_unref),
        cmocka_unit_test(test_topo_load_dispatches_by_spec),
        cmocka_unit_test(test_topo_kind_names),
        cmocka_unit_test(test_topo_print_is_short),
        cmocka_unit_test_setup_teardown(test_topo_dctopo_shares_host_types,
                                        dc_setup, dc_teardown),
        cmocka_unit_test_setup_teardown(test_topo_dctopo_distance_kinds,
                                        dc_setup, dc_teardown),
        cmocka_unit_test_setup_teardown(test_topo_dctopo_rejects_bad_attr,
                                        dc_setup, dc_teardown),
    };
    return cmocka_run_group_tests_name("topo", tests, NULL, NULL);
}
