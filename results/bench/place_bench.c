// SPDX-License-Identifier: GPL-3.0-or-later
/* place_bench: placing VMs on a datacenter with every built-in placement
 * policy, against a naive first-fit that scans the hosts in order with
 * vpp_fits (the same answers as first_fit, checked). Wall time per
 * placement, median of --reps; results/bench/PLACEMENT.md.
 *
 * usage: place_bench [--hosts N] [--vms N] [--reps N] [--csv FILE]
 *                    [--no-naive]
 * Hosts alternate 16 and 32 pCPUs with 128 and 256 GB, 40 per rack, 25
 * racks per cluster; no overcommit. VMs have 1, 2, 4 or 8 vCPUs and 2-4 GB
 * per vCPU, and come in virtual clusters of 8 (group_size 8). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vcpu/vcpu.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t naive_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                            const struct vcpu_vm_req *req)
{
    (void)vm;
    for (uint32_t h = 0; h < vpp_nhosts(ctx); h++)
        if (vpp_fits(ctx, h, req))
            return h;
    return VCPU_HOST_NONE;
}

static const struct vcpu_place_ops naive_ops = {
    .place = naive_place,
    .abi = VCPU_PLACE_ABI,
    .name = "naive_first_fit",
    .description = "linear scan with vpp_fits (baseline)",
};

struct dc {
    vcpu_topo_t *types[2];
    vcpu_dctopo_t *topo;
    uint64_t *mem;
};

static int dc_make(struct dc *d, unsigned nhosts)
{
    if (vcpu_topo_load("pack:1 core:16 pu:1", &d->types[0]) ||
        vcpu_topo_load("pack:2 core:8 pu:2", &d->types[1]))
        return -1;
    unsigned nracks = (nhosts + 39) / 40, ncl = (nracks + 24) / 25;
    uint32_t *type = malloc(nhosts * sizeof *type);
    uint32_t *rack = malloc(nhosts * sizeof *rack);
    uint32_t *rcl = malloc(nracks * sizeof *rcl);
    uint32_t *cdc = calloc(ncl, sizeof *cdc);
    d->mem = malloc(nhosts * sizeof *d->mem);
    for (unsigned h = 0; h < nhosts; h++) {
        type[h] = h % 2;
        rack[h] = h / 40;
        d->mem[h] = h % 2 ? 262144 : 131072;
    }
    for (unsigned r = 0; r < nracks; r++)
        rcl[r] = r / 25;
    struct vcpu_dctopo_attr a = {
        VCPU_DCTOPO_ABI, 2,   d->types, nhosts, type, rack,
        nracks,          rcl, ncl,      cdc,    1};
    int rc = vcpu_dctopo_create(&a, &d->topo);
    free(type);
    free(rack);
    free(rcl);
    free(cdc);
    return rc;
}

static void make_vms(struct vcpu_vm_req *v, unsigned n)
{
    uint64_t s = 42;
    for (unsigned i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t x = (uint32_t)(s >> 33);
        uint32_t vcpus = 1u << (x % 4);
        v[i] = (struct vcpu_vm_req){VCPU_PLACE_ABI, vcpus,
                                    (uint64_t)vcpus * (2048 + (x >> 8) % 2049),
                                    1 + i / 8, 8};
    }
}

struct result {
    double s;
    unsigned placed, waiting;
};

static int run(const struct dc *d, unsigned nhosts,
               const struct vcpu_place_ops *ops, const struct vcpu_vm_req *v,
               unsigned n, uint32_t *hosts, struct result *r)
{
    struct vcpu_place_attr a = {.abi = VCPU_PLACE_ABI,
                                .topo = d->topo,
                                .host_mem_mb = d->mem,
                                .queue = VCPU_QUEUE_BACKFILL};
    vcpu_place_t *pc;
    char err[256];
    if (vcpu_place_create(&a, ops, NULL, &pc, err, sizeof err)) {
        fprintf(stderr, "place_bench: %s\n", err);
        return -1;
    }
    (void)nhosts;
    r->placed = r->waiting = 0;
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++) {
        vcpu_dcvm_t vm;
        int rc = vcpu_place_vm_add(pc, i, &v[i], &vm, &hosts[i]);
        r->placed += rc == 0;
        r->waiting += rc == VCPU_EAGAIN;
    }
    r->s = now_s() - t0;
    vcpu_place_destroy(pc);
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    unsigned nhosts = 50000, nvms = 100000, reps = 5;
    const char *csv = NULL;
    int naive = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--hosts") && i + 1 < argc)
            nhosts = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--vms") && i + 1 < argc)
            nvms = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
            csv = argv[++i];
        else if (!strcmp(argv[i], "--no-naive"))
            naive = 0;
        else {
            fprintf(stderr, "usage: place_bench [--hosts N] [--vms N] "
                            "[--reps N] [--csv FILE] [--no-naive]\n");
            return 64;
        }
    }
    if (!nhosts || !nvms || !reps)
        return 64;
    struct dc d = {0};
    if (dc_make(&d, nhosts)) {
        fprintf(stderr, "place_bench: cannot build the datacenter\n");
        return 1;
    }
    struct vcpu_vm_req *v = malloc(nvms * sizeof *v);
    uint32_t *ref = malloc(nvms * sizeof *ref);
    uint32_t *got = malloc(nvms * sizeof *got);
    double *t = malloc(reps * sizeof *t);
    make_vms(v, nvms);
    FILE *f = csv ? fopen(csv, "w") : NULL;
    if (f)
        fprintf(f, "policy,hosts,vms,reps,median_s,ns_per_placement,placed,"
                   "waiting\n");
    printf("%-16s %10s %14s %8s %8s\n", "policy", "median s", "ns/placement",
           "placed", "waiting");
    int bad = 0;
    unsigned npol = vcpu_place_count() + (unsigned)naive;
    for (unsigned p = 0; p < npol; p++) {
        const struct vcpu_place_ops *ops =
            p < vcpu_place_count() ? vcpu_place_at(p) : &naive_ops;
        struct result r = {0};
        for (unsigned k = 0; k < reps; k++) {
            if (run(&d, nhosts, ops, v, nvms,
                    !strcmp(ops->name, "first_fit") ? ref : got, &r))
                return 1;
            t[k] = r.s;
        }
        if (ops == &naive_ops && memcmp(ref, got, nvms * sizeof *ref)) {
            fprintf(stderr, "place_bench: naive and indexed first-fit "
                            "disagree\n");
            bad = 1;
        }
        qsort(t, reps, sizeof *t, cmp_d);
        double med =
            reps % 2 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
        printf("%-16s %10.4f %14.1f %8u %8u\n", ops->name, med,
               med * 1e9 / nvms, r.placed, r.waiting);
        if (f)
            fprintf(f, "%s,%u,%u,%u,%.6f,%.1f,%u,%u\n", ops->name, nhosts, nvms,
                    reps, med, med * 1e9 / nvms, r.placed, r.waiting);
    }
    if (f)
        fclose(f);
    free(v);
    free(ref);
    free(got);
    free(t);
    free(d.mem);
    vcpu_dctopo_destroy(d.topo);
    vcpu_topo_unref(d.types[0]);
    vcpu_topo_unref(d.types[1]);
    return bad;
}
