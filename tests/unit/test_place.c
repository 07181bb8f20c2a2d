// SPDX-License-Identifier: GPL-3.0-or-later
/* unit.place: the placement core (admission, queue disciplines, ratios,
 * failures, migration reservations, policy errors, the invariant checker)
 * and the placement registry (built-ins, a shared object). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <vcpu/vcpu.h>

#include "core/place_internal.h"

/* 8 hosts: 0-3 have 4 pCPUs, 4-7 have 8; racks of two (0,0,1,1,2,2,3,3),
 * racks 0-1 in cluster 0 and 2-3 in cluster 1; 16 GB each. */
struct fx {
    vcpu_topo_t *types[2];
    vcpu_dctopo_t *dc;
    vcpu_place_t *pc;
    char log[4096];
    unsigned nlog;
};

static const uint32_t host_type[8] = {0, 0, 0, 0, 1, 1, 1, 1};
static const uint32_t host_rack[8] = {0, 0, 1, 1, 2, 2, 3, 3};
static const uint32_t rack_cluster[4] = {0, 0, 1, 1};
static const uint32_t cluster_dc[2] = {0, 0};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    assert_int_equal(vcpu_topo_load("pack:1 core:4 pu:1", &fx->types[0]), 0);
    assert_int_equal(vcpu_topo_load("pack:1 core:8 pu:1", &fx->types[1]), 0);
    struct vcpu_dctopo_attr a = {
        .abi = VCPU_DCTOPO_ABI,
        .ntypes = 2,
        .types = fx->types,
        .nhosts = 8,
        .host_type = host_type,
        .host_rack = host_rack,
        .nracks = 4,
        .rack_cluster = rack_cluster,
        .nclusters = 2,
        .cluster_dc = cluster_dc,
        .ndcs = 1,
    };
    assert_int_equal(vcpu_dctopo_create(&a, &fx->dc), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    if (fx->pc)
        assert_int_equal(vcpu_place_check(fx->pc, NULL, 0), 0);
    vcpu_place_destroy(fx->pc);
    vcpu_dctopo_destroy(fx->dc);
    vcpu_topo_unref(fx->types[0]);
    vcpu_topo_unref(fx->types[1]);
    free(fx);
    return 0;
}

static void on_log(void *arg, const char *line)
{
    struct fx *fx = arg;
    fx->nlog++;
    snprintf(fx->log, sizeof fx->log, "%s", line);
}

static struct vcpu_place_attr attr_of(struct fx *fx, unsigned queue)
{
    return (struct vcpu_place_attr){
        .abi = VCPU_PLACE_ABI,
        .topo = fx->dc,
        .mem_mb = 16384,
        .queue = queue,
        .check = true,
        .log = on_log,
        .log_arg = fx,
    };
}

static void make(struct fx *fx, const char *policy, unsigned queue)
{
    struct vcpu_place_attr a = attr_of(fx, queue);
    char err[256];
    assert_int_equal(vcpu_place_create(&a, vcpu_place_find(policy), NULL,
                                       &fx->pc, err, sizeof err),
                     0);
}

static struct vcpu_vm_req req(uint32_t vcpus, uint64_t mem, uint32_t group)
{
    return (struct vcpu_vm_req){VCPU_PLACE_ABI, vcpus, mem, group, 0};
}

static int add(struct fx *fx, uint32_t vcpus, uint64_t mem, uint32_t *host)
{
    struct vcpu_vm_req r = req(vcpus, mem, 0);
    vcpu_dcvm_t vm;
    uint32_t h;
    int rc = vcpu_place_vm_add(fx->pc, 0, &r, &vm, &h);
    if (host)
        *host = h;
    return rc;
}

static void test_place_registry_builtins(void **state)
{
    (void)state;
    assert_int_equal(vcpu_place_count(), 4);
    const char *names[] = {"first_fit", "best_fit", "worst_fit", "vcluster"};
    for (unsigned i = 0; i < 4; i++) {
        const struct vcpu_place_ops *o = vcpu_place_find(names[i]);
        assert_non_null(o);
        assert_int_equal(vcpu_place_validate(o, NULL, 0), 0);
    }
    assert_null(vcpu_place_find("rr")); /* a vCPU policy is another kind */
    assert_null(vcpu_place_at(4));
    struct vcpu_place_ops bad = {.abi = VCPU_PLACE_ABI + 1, .name = "x"};
    assert_int_equal(vcpu_place_validate(&bad, NULL, 0), VCPU_EABI);
    bad.abi = VCPU_PLACE_ABI;
    bad.name = "Bad Name";
    assert_int_equal(vcpu_place_validate(&bad, NULL, 0), VCPU_EINVAL);
}

static void test_place_create_rejects_bad_attr(void **state)
{
    struct fx *fx = *state;
    struct vcpu_place_attr a = attr_of(fx, VCPU_QUEUE_FIFO);
    vcpu_place_t *pc = (vcpu_place_t *)&a;
    assert_int_equal(vcpu_place_create(NULL, NULL, NULL, &pc, NULL, 0),
                     VCPU_EINVAL);
    assert_null(pc);
    a.abi = 99;
    assert_int_equal(vcpu_place_create(&a, NULL, NULL, &pc, NULL, 0),
                     VCPU_EABI);
    a = attr_of(fx, 7);
    assert_int_equal(vcpu_place_create(&a, NULL, NULL, &pc, NULL, 0),
                     VCPU_EINVAL);
    a = attr_of(fx, VCPU_QUEUE_FIFO);
    char err[128];
    assert_int_equal(vcpu_place_create(&a, vcpu_place_find("first_fit"),
                                       "nope=1", &pc, err, sizeof err),
                     VCPU_EPARSE);
    assert_non_null(strstr(err, "nope"));
    assert_int_equal(vcpu_place_create(&a, NULL, NULL, &pc, NULL, 0), 0);
    assert_string_equal(vcpu_place_ops(pc)->name, "first_fit");
    vcpu_place_destroy(pc);
    vcpu_place_destroy(NULL);
}

static void test_place_first_fit_fills_low_hosts(void **state)
{
    struct fx *fx = *state;
    make(fx, "first_fit", VCPU_QUEUE_FIFO);
    uint32_t h;
    assert_int_equal(add(fx, 3, 1000, &h), 0);
    assert_int_equal(h, 0);
    assert_int_equal(add(fx, 2, 1000, &h), 0);
    assert_int_equal(h, 1); /* host 0 has one slot left */
    assert_int_equal(add(fx, 1, 1000, &h), 0);
    assert_int_equal(h, 0);
    assert_int_equal(add(fx, 8, 1000, &h), 0);
    assert_int_equal(h, 4);
    assert_int_equal(vcpu_place_host_used_vcpus(fx->pc, 0), 4);
    assert_int_equal(vcpu_place_host_nvms(fx->pc, 0), 2);
    assert_int_equal(vcpu_place_vm_state(fx->pc, 0), VCPU_DCVM_PLACED);
    assert_int_equal(vcpu_place_vm_host(fx->pc, 3), 4);
}

static void test_place_rejects_what_never_fits(void **state)
{
    struct fx *fx = *state;
    make(fx, "first_fit", VCPU_QUEUE_FIFO);
    uint32_t h;
    assert_int_equal(add(fx, 9, 1, &h), VCPU_E2BIG);
    assert_int_equal(h, VCPU_HOST_NONE);
    assert_int_equal(add(fx, 1, 16385, &h), VCPU_E2BIG);
    assert_int_equal(add(fx, 0, 1, &h), VCPU_EINVAL);
    assert_int_equal(vcpu_place_nvms(fx->pc), 0);
    struct vcpu_vm_req r = req(1, 1, 0);
    r.abi = 0;
    vcpu_dcvm_t vm;
    assert_int_equal(vcpu_place_vm_add(fx->pc, 0, &r, &vm, &h), VCPU_EINVAL);
}

static void test_place_overcommit_ratios(void **state)
{
    struct fx *fx = *state;
    struct vcpu_place_attr a = attr_of(fx, VCPU_QUEUE_BACKFILL);
    a.cpu_overcommit_milli = 2000;
    a.mem_overcommit_milli = 1500;
    assert_int_equal(vcpu_place_create(&a, NULL, NULL, &fx->pc, NULL, 0), 0);
    assert_int_equal(vcpu_place_host_cap_vcpus(fx->pc, 0), 8);
    assert_int_equal(vcpu_place_host_cap_mem_mb(fx->pc, 0), 24576);
    uint32_t h;
    assert_int_equal(add(fx, 16, 24576, &h), 0);
    assert_int_equal(h, 4);
    assert_int_equal(add(fx, 8, 24577, &h), VCPU_E2BIG);
}

static unsigned fill(struct fx *fx)
{
    unsigned n = 0;
    while (add(fx, 4, 0, NULL) == 0)
        n++;
    return n;
}

static void on_placed(void *arg, vcpu_dcvm_t vm, uint32_t host)
{
    (void)host;
    vcpu_dcvm_t *log = arg;
    log[log[0]++ + 1] = vm;
}

static void test_place_fifo_head_blocks(void **state)
{
    struct fx *fx = *state;
    make(fx, "first_fit", VCPU_QUEUE_FIFO);
    assert_int_equal(fill(fx), 12); /* 4 small hosts x1, 4 big x2 */
    /* The last add failed with EAGAIN and waits: VM 12 (4 vCPUs). */
    assert_int_equal(vcpu_place_nwaiting(fx->pc), 1);
    assert_int_equal(add(fx, 8, 0, NULL), VCPU_EAGAIN);      /* VM 13 */
    assert_int_equal(add(fx, 1, 0, NULL), VCPU_EAGAIN);      /* 14 behind */
    assert_int_equal(vcpu_place_vm_remove(fx->pc, 1, 0), 0); /* host 0 */
    vcpu_dcvm_t log[8] = {0};
    assert_int_equal(vcpu_place_retry(fx->pc, 1, on_placed, log), 0);
    /* 12 takes host 0; 13 needs 8 and blocks 14. */
    assert_int_equal(log[0], 1);
    assert_int_equal(log[1], 12);
    assert_int_equal(vcpu_place_nwaiting(fx->pc), 2);
    assert_int_equal(vcpu_place_vm_state(fx->pc, 14), VCPU_DCVM_WAITING);
    /* Removing the blocker lets 14 go. */
    assert_int_equal(vcpu_place_vm_remove(fx->pc, 2, 13), 0);
    assert_int_equal(vcpu_place_vm_remove(fx->pc, 2, 1), 0);
    log[0] = 0;
    assert_int_equal(vcpu_place_retry(fx->pc, 2, on_placed, log), 0);
    assert_int_equal(log[0], 1);
    assert_int_equal(log[1], 14);
    assert_int_equal(vcpu_place_vm_remove(fx->pc, 2, 13), VCPU_ESRCH);
}

static void test_place_backfill_passes_big_head(void **state)
{
    struct fx *fx = *state;
    make(fx, "first_fit", VCPU_QUEUE_BACKFILL);
    fill(fx);
    assert_int_equal(add(fx, 8, 0, NULL), VCPU_EAGAIN); /* 13 */
    assert_int_equal(add(fx, 2, 0, NULL), VCPU_EAGAIN); /* 14 */
    assert_int_equal(vcpu_place_vm_remove(fx->pc, 1, 0), 0);
    vcpu_dcvm_t log[8] = {0};
    assert_int_equal(vcpu_place_retry(fx->pc, 1, on_placed, log), 0);
    assert_int_equal(log[0], 1); /* 12 (4 vCPUs) fits host 0 */
    assert_int_equal(log[1], 12);
    assert_int_equal(vcpu_place_vm_remove(fx->pc, 1, 2), 0); /* host 2 */
    log[0] = 0;
    assert_int_equal(vcpu_place_retry(fx->pc, 1, on_placed, log), 0);
    assert_int_equal(log[0], 1); /* 14 passes 13 */
    assert_int_equal(log[1], 14);
    /* A new arrival is tried at once even though 13 waits. */
    assert_int_equal(add(fx, 2, 0, NULL), 0);
}

static void on_evicted(void *arg, vcpu_dcvm_t vm)
{
    vcpu_dcvm_t *log = arg;
    log[log[0]++ + 1] = vm;
}

static void test_place_failure_evicts_and_requeue(void **state)
{
    struct fx *fx = *state;
    make(fx, "first_fit", VCPU_QUEUE_FIFO);
    uint32_t h;
    for (int i = 0; i < 3; i++)
        assert_int_equal(add(fx, 1, 100, &h), 0); /* VMs 0-2 on host 0 */
    assert_int_equal(
        vcpu_place_host_set_state(fx->pc, 1, 0, VCPU_HOST_OFF, NULL, NULL),
        VCPU_EBUSY);
    vcpu_dcvm_t log[8] = {0};
    assert_int_equal(vcpu_place_host_set_state(fx->pc, 1, 0, VCPU_HOST_FAILED,
                                               on_evicted, log),
                     0);
    assert_int_equal(log[0], 3);
    assert_int_equal(log[1], 0);
    assert_int_equal(log[3], 2);
    assert_int_equal(vcpu_place_host_nvms(fx->pc, 0), 0);
    assert_int_equal(vcpu_place_vm_state(fx->pc, 1), VCPU_DCVM_EVICTED);
    assert_int_equal(add(fx, 1, 0, &h), 0);
    assert_int_equal(h, 1); /* not on the failed host */
    assert_int_equal(vcpu_place_vm_requeue(fx->pc, 2, 0, &h), 0);
    assert_int_equal(h, 1);
    assert_int_equal(vcpu_place_vm_requeue(fx->pc, 2, 0, &h), VCPU_ESTATE);
    assert_int_equal(vcpu_place_vm_remove(fx->pc, 2, 1), 0); /* lost */
    assert_int_equal(
        vcpu_place_host_set_state(fx->pc, 3, 0, VCPU_HOST_ON, NULL, NULL), 0);
    assert_int_equal(vcpu_place_vm_requeue(fx->pc, 3, 2, &h), 0);
    assert_int_equal(h, 0);
    assert_int_equal(
        vcpu_place_host_set_state(fx->pc, 3, 9, VCPU_HOST_ON, NULL, NULL),
        VCPU_EINVAL);
}

static void test_place_requeue_keeps_arrival_order(void **state)
{
    struct fx *fx = *state;
    make(fx, "first_fit", VCPU_QUEUE_FIFO);
    uint32_t h;
    assert_int_equal(add(fx, 4, 0, &h), 0); /* VM 0 on host 0 */
    for (uint32_t x = 1; x < 8; x++)
        assert_int_equal(
            vcpu_place_host_set_state(fx->pc, 0, x, VCPU_HOST_OFF, NULL, NULL),
            0);
    assert_int_equal(add(fx, 1, 0, &h), VCPU_EAGAIN); /* VM 1 waits */
    assert_int_equal(
        vcpu_place_host_set_state(fx->pc, 1, 0, VCPU_HOST_FAILED, NULL, NULL),
        0);
    assert_int_equal(vcpu_place_vm_requeue(fx->pc, 1, 0, &h), VCPU_EAGAIN);
    assert_int_equal(
        vcpu_place_host_set_state(fx->pc, 2, 0, VCPU_HOST_ON, NULL, NULL), 0);
    vcpu_dcvm_t log[8] = {0};
    assert_int_equal(vcpu_place_retry(fx->pc, 2, on_placed, log), 0);
    assert_int_equal(log[0], 1); /* VM 0 (earlier) first; VM 1 blocked */
    assert_int_equal(log[1], 0);
}

static void test_place_migration_reserves_both(void **state)
{
    struct fx *fx = *state;
    make(fx, "first_fit", VCPU_QUEUE_FIFO);
    uint32_t h, t;
    assert_int_equal(add(fx, 2, 4000, &h), 0);
    assert_int_equal(vcpu_place_migrate_target(fx->pc, 0, &t), 0);
    assert_int_equal(t, 1); /* first-fit, its own host excluded */
    assert_int_equal(vcpu_place_migrate_begin(fx->pc, 1, 0, 0), VCPU_EINVAL);
    assert_int_equal(vcpu_place_migrate_begin(fx->pc, 1, 0, t), 0);
    assert_int_equal(vcpu_place_vm_state(fx->pc, 0), VCPU_DCVM_MIGRATING);
    assert_int_equal(vcpu_place_host_used_vcpus(fx->pc, 0), 2);
    assert_int_equal(vcpu_place_host_used_vcpus(fx->pc, 1), 2);
    assert_int_equal(vcpu_place_host_used_mem_mb(fx->pc, 1), 4000);
    assert_int_equal(vcpu_place_migrate_end(fx->pc, 2, 0, true), 0);
    assert_int_equal(vcpu_place_vm_host(fx->pc, 0), 1);
    assert_int_equal(vcpu_place_host_nvms(fx->pc, 0), 0);
    /* A failed migration releases the target. */
    assert_int_equal(vcpu_place_migrate_begin(fx->pc, 3, 0, 5), 0);
    assert_int_equal(vcpu_place_migrate_end(fx->pc, 4, 0, false), 0);
    assert_int_equal(vcpu_place_host_nvms(fx->pc, 5), 0);
    assert_int_equal(vcpu_place_vm_host(fx->pc, 0), 1);
    /* The target fails: the migration is cancelled, the VM stays. */
    assert_int_equal(vcpu_place_migrate_begin(fx->pc, 5, 0, 6), 0);
    assert_int_equal(
        vcpu_place_host_set_state(fx->pc, 5, 6, VCPU_HOST_FAILED, NULL, NULL),
        0);
    assert_int_equal(vcpu_place_vm_state(fx->pc, 0), VCPU_DCVM_PLACED);
    assert_int_equal(vcpu_place_migrate_end(fx->pc, 6, 0, true), VCPU_ESTATE);
    /* The source fails: the VM is evicted, the target released. */
    vcpu_dcvm_t log[4] = {0};
    assert_int_equal(vcpu_place_migrate_begin(fx->pc, 7, 0, 7), 0);
    assert_int_equal(vcpu_place_host_set_state(fx->pc, 7, 1, VCPU_HOST_FAILED,
                                               on_evicted, log),
                     0);
    assert_int_equal(log[0], 1);
    assert_int_equal(vcpu_place_vm_state(fx->pc, 0), VCPU_DCVM_EVICTED);
    assert_int_equal(vcpu_place_host_nvms(fx->pc, 7), 0);
    /* Cannot reserve on a full or non-ON host. */
    assert_int_equal(add(fx, 1, 0, &h), 0);
    assert_int_equal(vcpu_place_migrate_begin(fx->pc, 8, 1, 6), VCPU_ENOSPC);
}

static void test_place_best_and_worst_fit(void **state)
{
    struct fx *fx = *state;
    make(fx, "best_fit", VCPU_QUEUE_FIFO);
    uint32_t h;
    assert_int_equal(add(fx, 3, 0, &h), 0);
    assert_int_equal(h, 0); /* all of a size: lowest index */
    assert_int_equal(add(fx, 1, 0, &h), 0);
    assert_int_equal(h, 0); /* the fullest that fits */
    assert_int_equal(add(fx, 6, 0, &h), 0);
    assert_int_equal(h, 4);
    assert_int_equal(add(fx, 2, 0, &h), 0);
    assert_int_equal(h, 4); /* 2 left on host 4 */
    vcpu_place_destroy(fx->pc);
    make(fx, "worst_fit", VCPU_QUEUE_FIFO);
    assert_int_equal(add(fx, 3, 0, &h), 0);
    assert_int_equal(h, 4);
    assert_int_equal(add(fx, 3, 0, &h), 0);
    assert_int_equal(h, 5);
    assert_int_equal(add(fx, 1, 100, &h), 0);
    assert_int_equal(h, 6);
    assert_int_equal(add(fx, 1, 0, &h), 0);
    assert_int_equal(h, 7); /* 6 has one slot fewer now */
}

static void test_place_vcluster_keeps_group_in_rack(void **state)
{
    struct fx *fx = *state;
    make(fx, "vcluster", VCPU_QUEUE_FIFO);
    uint32_t h;
    vcpu_dcvm_t vm;
    struct vcpu_vm_req r = req(4, 0, 7);
    r.group_size = 4; /* 16 vCPUs: only a rack of big hosts holds it */
    assert_int_equal(vcpu_place_vm_add(fx->pc, 0, &r, &vm, &h), 0);
    assert_int_equal(h, 4);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vcpu_place_vm_add(fx->pc, 0, &r, &vm, &h), 0);
        assert_int_equal(vcpu_dctopo_ancestor(fx->dc, h, VCPU_TOPO_RACK), 2);
    }
    /* Rack 2 is full: the next spills into cluster 1 (rack 3). */
    assert_int_equal(vcpu_place_vm_add(fx->pc, 0, &r, &vm, &h), 0);
    assert_int_equal(h, 6);
    /* Ungrouped: first-fit. */
    assert_int_equal(add(fx, 1, 0, &h), 0);
    assert_int_equal(h, 0);
}

/* A policy that always answers host 3, fit or not. */
static uint32_t stubborn_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                               const struct vcpu_vm_req *r)
{
    (void)ctx;
    (void)vm;
    (void)r;
    return 3;
}

static void test_place_bad_choice_is_policy_error(void **state)
{
    struct fx *fx = *state;
    static const struct vcpu_place_ops stubborn = {
        .place = stubborn_place, .abi = VCPU_PLACE_ABI, .name = "stubborn"};
    struct vcpu_place_attr a = attr_of(fx, VCPU_QUEUE_FIFO);
    assert_int_equal(vcpu_place_create(&a, &stubborn, NULL, &fx->pc, NULL, 0),
                     0);
    uint32_t h;
    assert_int_equal(add(fx, 4, 0, &h), 0);
    assert_int_equal(h, 3);
    assert_int_equal(vcpu_place_policy_errors(fx->pc), 0);
    assert_int_equal(add(fx, 4, 0, &h), 0);
    assert_int_equal(h, 0); /* host 3 is full: first-fit instead */
    assert_int_equal(vcpu_place_policy_errors(fx->pc), 1);
    assert_non_null(strstr(fx->log, "stubborn"));
    assert_non_null(strstr(fx->log, "does not fit"));
}

/* Corrupt the core's state one way per invariant: the checker names it. */
static void test_place_check_catches_each_invariant(void **state)
{
    struct fx *fx = *state;
    make(fx, "first_fit", VCPU_QUEUE_FIFO);
    uint32_t h;
    assert_int_equal(add(fx, 2, 100, &h), 0);
    struct vcpu_place *pc = (struct vcpu_place *)fx->pc;
    char err[512];
    struct place_host save = pc->hosts[0];
    pc->hosts[0].state = VCPU_HOST_FAILED;
    assert_int_equal(vcpu_place_check(fx->pc, err, sizeof err),
                     VCPU_EINVARIANT);
    assert_non_null(strstr(err, "invariant 1"));
    pc->hosts[0] = save;
    pc->hosts[0].cap_mem = 50;
    assert_int_equal(vcpu_place_check(fx->pc, err, sizeof err),
                     VCPU_EINVARIANT);
    assert_non_null(strstr(err, "invariant 2"));
    pc->hosts[0] = save;
    pc->hosts[0].used_vcpus = 1;
    assert_int_equal(vcpu_place_check(fx->pc, err, sizeof err),
                     VCPU_EINVARIANT);
    assert_non_null(strstr(err, "invariant 3"));
    pc->hosts[0] = save;
    pc->vms[0].state = VCPU_DCVM_WAITING;
    assert_int_equal(vcpu_place_check(fx->pc, err, sizeof err),
                     VCPU_EINVARIANT);
    assert_non_null(strstr(err, "invariant 4"));
    pc->vms[0].state = VCPU_DCVM_PLACED;
    pc->by_index.n[pc->by_index.size].cpu = 99;
    assert_int_equal(vcpu_place_check(fx->pc, err, sizeof err),
                     VCPU_EINVARIANT);
    assert_non_null(strstr(err, "invariant 5"));
    vcpu__fit_update(pc, 0);
    assert_int_equal(vcpu_place_check(fx->pc, err, sizeof err), 0);
}

static void test_place_shared_object(void **state)
{
    struct fx *fx = *state;
    vcpu_place_lib_t *lib = NULL;
    char err[512];
    assert_int_equal(vcpu_place_open(EXT_PLACE_SO, &lib, err, sizeof err), 0);
    const struct vcpu_place_ops *o = vcpu_place_lib_ops(lib);
    assert_string_equal(o->name, "ext_last_fit");
    struct vcpu_place_attr a = attr_of(fx, VCPU_QUEUE_FIFO);
    assert_int_equal(vcpu_place_create(&a, o, NULL, &fx->pc, NULL, 0), 0);
    uint32_t h;
    assert_int_equal(add(fx, 1, 0, &h), 0);
    assert_int_equal(h, 7);
    vcpu_place_destroy(fx->pc);
    fx->pc = NULL;
    vcpu_place_close(lib);
    assert_int_equal(
        vcpu_place_open(EXT_PLACE_BADABI_SO, &lib, err, sizeof err), VCPU_EABI);
    assert_null(lib);
    assert_int_equal(
        vcpu_place_open(EXT_PLACE_REFUSE_SO, &lib, err, sizeof err),
        VCPU_EPOLICY);
    /* A vCPU-policy object has no vcpu_place_entry. */
    assert_int_equal(
        vcpu_place_open("/nonexistent/place.so", &lib, err, sizeof err),
        VCPU_ENOENT);
    vcpu_place_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_place_registry_builtins),
        T(test_place_create_rejects_bad_attr),
        T(test_place_first_fit_fills_low_hosts),
        T(test_place_rejects_what_never_fits),
        T(test_place_overcommit_ratios),
        T(test_place_fifo_head_blocks),
        T(test_place_backfill_passes_big_head),
        T(test_place_failure_evicts_and_requeue),
        T(test_place_requeue_keeps_arrival_order),
        T(test_place_migration_reserves_both),
        T(test_place_best_and_worst_fit),
        T(test_place_vcluster_keeps_group_in_rack),
        T(test_place_bad_choice_is_policy_error),
        T(test_place_check_catches_each_invariant),
        T(test_place_shared_object),
#undef T
    };
    return cmocka_run_group_tests_name("place", tests, NULL, NULL);
}
