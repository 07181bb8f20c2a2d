// SPDX-License-Identifier: GPL-3.0-or-later
/* vhier driven through the core: VMs placed in whole L3/NUMA subtrees,
 * separate subtrees for separate VMs, re-placement when a pCPU goes
 * offline, and a smaller mean intra-VM distance than rr on the same case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <vcpu/vcpu.h>

#define MAXP 256

struct fx {
    vcpu_topo_t *topo;
    vcpu_core_t *core;
    vcpu_time_t now;
    vcpu_pcpu_t kicks[4 * MAXP], preempts[4 * MAXP];
    unsigned nkicks, npreempts;
};

static void on_kick(void *arg, vcpu_pcpu_t p)
{
    struct fx *f = arg;
    if (f->nkicks < 4 * MAXP)
        f->kicks[f->nkicks++] = p;
}

static void on_preempt(void *arg, vcpu_pcpu_t p)
{
    struct fx *f = arg;
    if (f->npreempts < 4 * MAXP)
        f->preempts[f->npreempts++] = p;
}

static const struct vcpu_core_env env = {
    .abi = VCPU_CORE_ABI, .kick = on_kick, .preempt = on_preempt};

static void make_core(struct fx *f, const char *topo, const char *policy)
{
    vcpu_core_destroy(f->core);
    f->core = NULL;
    f->nkicks = f->npreempts = 0;
    if (!f->topo)
        assert_int_equal(vcpu_topo_load(topo, &f->topo), 0);
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = f->topo,
        .ops = vcpu_policy_find(policy),
        .seed = 1,
        .slice_ns = 1000,
        .flags = VCPU_CORE_CHECK,
        .env = &env,
        .env_arg = f,
    };
    assert_non_null(a.ops);
    assert_int_equal(vcpu_core_create(&a, &f->core), 0);
}

static int setup(void **state)
{
    *state = calloc(1, sizeof(struct fx));
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vcpu_core_destroy(f->core);
    vcpu_topo_unref(f->topo);
    free(f);
    return 0;
}

/* Honour preemptions and deliver kicks until quiet (the environment). */
static void settle(struct fx *f)
{
    while (f->npreempts || f->nkicks) {
        vcpu_id_t v;
        if (f->npreempts)
            assert_int_equal(
                vcpu_core_preempt(f->core, f->now, f->preempts[--f->npreempts]),
                0);
        else
            vcpu_core_pick(f->core, f->now, f->kicks[--f->nkicks], &v, NULL);
    }
    assert_int_equal(vcpu_core_check_settled(f->core), 0);
}

static vcpu_vm_t add_vm(struct fx *f, unsigned nvcpus, vcpu_id_t *ids)
{
    vcpu_vm_t vm;
    assert_int_equal(vcpu_core_vm_add(f->core, f->now, NULL, &vm), 0);
    for (unsigned i = 0; i < nvcpus; i++)
        assert_int_equal(vcpu_core_vcpu_add(f->core, f->now, vm, &ids[i]), 0);
    return vm;
}

/* Level index of @kind in the fixture's topology. */
static unsigned level(struct fx *f, unsigned kind)
{
    int l = vcpu_topo_level_of(f->topo, kind);
    assert_true(l >= 0);
    return (unsigned)l;
}

/* The one @kind ancestor every running vCPU of @ids shares (fails if two
 * differ or none runs). */
static unsigned common(struct fx *f, const vcpu_id_t *ids, unsigned n,
                       unsigned kind)
{
    unsigned l = level(f, kind), anc = UINT32_MAX, running = 0;
    for (unsigned i = 0; i < n; i++) {
        if (vcpu_core_vcpu_state(f->core, ids[i]) != VP_VCPU_RUNNING)
            continue;
        unsigned a = vcpu_topo_ancestor(
            f->topo, vcpu_core_vcpu_pcpu(f->core, ids[i]), l);
        if (running++)
            assert_int_equal(a, anc);
        anc = a;
    }
    assert_true(running > 0);
    return anc;
}

/* The locality metric documented in policies/vhier.c: mean over VMs with
 * >= 2 RUNNING vCPUs of their mean pairwise pCPU distance. */
static double mean_distance(struct fx *f)
{
    unsigned nv = vcpu_core_nvcpus(f->core), nvm = 0;
    double sum = 0;
    for (vcpu_vm_t vm = 0;; vm++) {
        unsigned pairs = 0, dist = 0, seen = 0;
        for (vcpu_id_t a = 0; a < nv; a++) {
            if (vcpu_core_vcpu_vm(f->core, a) != vm)
                continue;
            seen++;
            for (vcpu_id_t b = a + 1; b < nv; b++) {
                if (vcpu_core_vcpu_vm(f->core, b) != vm ||
                    vcpu_core_vcpu_state(f->core, a) != VP_VCPU_RUNNING ||
                    vcpu_core_vcpu_state(f->core, b) != VP_VCPU_RUNNING)
                    continue;
                pairs++;
                dist +=
                    vcpu_topo_distance(f->topo, vcpu_core_vcpu_pcpu(f->core, a),
                                       vcpu_core_vcpu_pcpu(f->core, b));
            }
        }
        if (!seen)
            break;
        if (pairs)
            sum += (double)dist / pairs, nvm++;
    }
    return nvm ? sum / nvm : 0.0;
}

static void test_policy_vhier_vm_fits_one_l3(void **state)
{
    struct fx *f = *state;
    make_core(f, "pack:2 l3:2 core:4 pu:2", "vhier");
    vcpu_id_t ids[8];
    add_vm(f, 8, ids);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(vcpu_core_wake(f->core, f->now, ids[i]), 0);
    settle(f);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(vcpu_core_vcpu_state(f->core, ids[i]),
                         VP_VCPU_RUNNING);
    common(f, ids, 8, VCPU_TOPO_L3);
}

/* Two 8-vCPU VMs woken interleaved: vhier keeps each in its own L3; rr
 * scatters them over the first idle pCPUs, so its mean distance is larger.
 * Returns the mean distance under @policy. */
static double two_vms(struct fx *f, const char *policy, unsigned *l3)
{
    make_core(f, "pack:2 l3:2 core:4 pu:2", policy);
    vcpu_id_t a[8], b[8];
    add_vm(f, 8, a);
    add_vm(f, 8, b);
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(vcpu_core_wake(f->core, f->now, a[i]), 0);
        assert_int_equal(vcpu_core_wake(f->core, f->now, b[i]), 0);
        settle(f);
    }
    f->now += 10; /* keep the placement through a few slices */
    for (vcpu_pcpu_t p = 0; p < vcpu_core_npcpus(f->core); p++)
        vcpu_core_tick(f->core, f->now, p, NULL);
    settle(f);
    if (l3) {
        l3[0] = common(f, a, 8, VCPU_TOPO_L3);
        l3[1] = common(f, b, 8, VCPU_TOPO_L3);
    }
    return mean_distance(f);
}

static void test_policy_vhier_vms_get_separate_l3(void **state)
{
    struct fx *f = *state;
    unsigned l3[2];
    two_vms(f, "vhier", l3);
    assert_int_not_equal(l3[0], l3[1]);
}

static void test_policy_vhier_beats_rr_locality(void **state)
{
    struct fx *f = *state;
    double rr = two_vms(f, "rr", NULL);
    double vh = two_vms(f, "vhier", NULL);
    print_message("mean intra-VM distance: vhier %.3f, rr %.3f\n", vh, rr);
    assert_true(vh < rr);
}

static void test_policy_vhier_replaces_when_pcpu_goes_offline(void **state)
{
    struct fx *f = *state;
    make_core(f, "pack:2 l3:2 core:4 pu:2", "vhier");
    vcpu_id_t ids[8];
    add_vm(f, 8, ids);
    for (unsigned i = 0; i < 8; i++)
        vcpu_core_wake(f->core, f->now, ids[i]);
    settle(f);
    unsigned before = common(f, ids, 8, VCPU_TOPO_L3);
    vcpu_pcpu_t first;
    unsigned n;
    vcpu_topo_span(f->topo, level(f, VCPU_TOPO_L3), before, &first, &n);
    f->now += 100;
    assert_int_equal(vcpu_core_pcpu_set_online(f->core, f->now, first, false),
                     0);
    settle(f);
    /* Its L3 has 7 usable pCPUs left: the VM moves to a free one, whole. */
    assert_int_not_equal(common(f, ids, 8, VCPU_TOPO_L3), before);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(vcpu_core_vcpu_state(f->core, ids[i]),
                         VP_VCPU_RUNNING);
}

static void test_policy_vhier_shares_when_full(void **state)
{
    struct fx *f = *state;
    make_core(f, "pack:2 l3:2 core:4 pu:2", "vhier");
    vcpu_id_t ids[5][8];
    for (unsigned vm = 0; vm < 5; vm++)
        add_vm(f, 8, ids[vm]);
    for (unsigned vm = 0; vm < 5; vm++)
        for (unsigned i = 0; i < 8; i++)
            vcpu_core_wake(f->core, f->now, ids[vm][i]);
    settle(f);
    /* Time-share: every VM runs inside one L3 at every slice boundary. */
    for (unsigned step = 0; step < 20; step++) {
        f->now += 1000;
        for (vcpu_pcpu_t p = 0; p < 32; p++)
            vcpu_core_tick(f->core, f->now, p, NULL);
        settle(f);
        for (unsigned vm = 0; vm < 5; vm++) {
            bool any = false;
            for (unsigned i = 0; i < 8; i++)
                any |= vcpu_core_vcpu_state(f->core, ids[vm][i]) ==
                       VP_VCPU_RUNNING;
            if (any)
                common(f, ids[vm], 8, VCPU_TOPO_L3);
        }
    }
    struct vcpu_vcpu_stats st;
    for (unsigned vm = 0; vm < 5; vm++) {
        assert_int_equal(vcpu_core_vcpu_stats(f->core, ids[vm][0], &st), 0);
        assert_true(st.run_ns > 0);
    }
}

static void test_policy_vhier_zen_vm_within_numa_node(void **state)
{
    struct fx *f = *state;
    const char *path =
        VCPU_TEST_SHARED_DATA "/hwloc-xml/AMD-17h-Zen-2xEpyc-7451.xml";
    if (access(path, R_OK) != 0)
        skip();
    make_core(f, path, "vhier");
    vcpu_id_t other[3], ids[6];
    add_vm(f, 3, other); /* takes part of the first L3 */
    add_vm(f, 6, ids);
    for (unsigned i = 0; i < 3; i++)
        vcpu_core_wake(f->core, f->now, other[i]);
    for (unsigned i = 0; i < 6; i++)
        vcpu_core_wake(f->core, f->now, ids[i]);
    settle(f);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(vcpu_core_vcpu_state(f->core, ids[i]),
                         VP_VCPU_RUNNING);
    common(f, ids, 6, VCPU_TOPO_NUMA);
    common(f, ids, 6, VCPU_TOPO_L3);
    assert_int_not_equal(common(f, ids, 6, VCPU_TOPO_L3),
                         common(f, other, 3, VCPU_TOPO_L3));
}

static void test_policy_vhier_dump_reports_distance(void **state)
{
    struct fx *f = *state;
    two_vms(f, "vhier", NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    vcpu_core_dump(f->core, out);
    fclose(out);
    assert_non_null(strstr(buf, "mean intra-VM distance"));
    assert_non_null(strstr(buf, "vm 1: level 2"));
    free(buf);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_policy_vhier_vm_fits_one_l3),
        T(test_policy_vhier_vms_get_separate_l3),
        T(test_policy_vhier_beats_rr_locality),
        T(test_policy_vhier_replaces_when_pcpu_goes_offline),
        T(test_policy_vhier_shares_when_full),
        T(test_policy_vhier_zen_vm_within_numa_node),
        T(test_policy_vhier_dump_reports_distance),
    };
#undef T
    return cmocka_run_group_tests_name("policy_vhier", tests, NULL, NULL);
}
