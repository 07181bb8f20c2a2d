// SPDX-License-Identifier: LGPL-2.1-or-later
/* The placement core's invariant checker: a full O(hosts + VMs) pass,
 * after every state-changing call in checking mode and in the property
 * tests. A failure names the invariant, the host or VM and the time. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "place_internal.h"

static const char *const inv_names[] = {
    [1] = "no VM on a host that is not ON",
    [2] = "no host past its vCPU or memory overcommit ratio",
    [3] = "a host's usage is the sum of what its VMs ask",
    [4] = "every admitted VM placed exactly once, or waiting once",
    [5] = "the search indices agree with the hosts",
};

struct ctx {
    const struct vcpu_place *pc;
    char *err;
    size_t len;
};

static int fail(const struct ctx *c, int inv, const char *fmt, ...)
    VCPU_PRINTF(3, 4);

static int fail(const struct ctx *c, int inv, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (c->err && c->len)
        snprintf(c->err, c->len,
                 "placement invariant %d (%s) broken at t=%llu ns under "
                 "policy '%s': %s",
                 inv, inv_names[inv], (unsigned long long)c->pc->now,
                 c->pc->ops->name, what);
    return VCPU_EINVARIANT;
}

static bool queued(const struct vcpu_place *pc, vcpu_dcvm_t vm)
{
    return pc->waiting[vm / 64] >> (vm % 64) & 1;
}

/* Invariant 4 for one VM: its state, its host fields, its queue bit. */
static int check_vm(const struct ctx *c, vcpu_dcvm_t vm)
{
    const struct vcpu_place *pc = c->pc;
    const struct place_vm *v = &pc->vms[vm];
    bool q = queued(pc, vm);
    bool host = v->host < pc->nhosts, target = v->target < pc->nhosts;
    bool none = v->host == VCPU_HOST_NONE && v->target == VCPU_HOST_NONE;
    switch (v->state) {
    case VCPU_DCVM_WAITING:
        if (q && none)
            return 0;
        break;
    case VCPU_DCVM_PLACED:
        if (!q && host && v->target == VCPU_HOST_NONE)
            return 0;
        break;
    case VCPU_DCVM_MIGRATING:
        if (!q && host && target && v->host != v->target)
            return 0;
        break;
    case VCPU_DCVM_EVICTED:
    case VCPU_DCVM_GONE:
        if (!q && none)
            return 0;
        break;
    default:
        break;
    }
    return fail(c, 4,
                "VM %u is in state %u with host %d, target %d and is%s "
                "queued",
                vm, v->state, (int)v->host, (int)v->target, q ? "" : " not");
}

struct usage {
    uint64_t cpu, mem;
    unsigned n;
};

static int check_vms(const struct ctx *c, struct usage *use)
{
    const struct vcpu_place *pc = c->pc;
    unsigned nq = 0;
    for (vcpu_dcvm_t vm = 0; vm < pc->nvms; vm++) {
        int rc = check_vm(c, vm);
        if (rc)
            return rc;
        const struct place_vm *v = &pc->vms[vm];
        nq += v->state == VCPU_DCVM_WAITING;
        const uint32_t hs[2] = {v->host, v->target};
        for (int k = 0; k < 2; k++) {
            if (hs[k] == VCPU_HOST_NONE)
                continue;
            use[hs[k]].cpu += v->req.vcpus;
            use[hs[k]].mem += v->req.mem_mb;
            use[hs[k]].n++;
        }
    }
    if (nq != pc->nwaiting)
        return fail(c, 4, "%u VMs wait but the queue counts %u", nq,
                    pc->nwaiting);
    return 0;
}

/* Invariant 3 for a host's list: every entry is a holding of this host. */
static int check_list(const struct ctx *c, uint32_t h)
{
    const struct vcpu_place *pc = c->pc;
    unsigned n = 0;
    for (uint32_t s = pc->hosts[h].first; s != VCPU_NONE; n++) {
        if (SLOT_VM(s) >= pc->nvms || n > pc->hosts[h].nvms)
            return fail(c, 3, "host %u's list is broken at slot %u", h, s);
        const struct place_vm *v = &pc->vms[SLOT_VM(s)];
        if (((s & 1) ? v->target : v->host) != h)
            return fail(c, 3, "host %u lists VM %u (slot %u) it does not hold",
                        h, SLOT_VM(s), s & 1);
        s = v->link[s & 1][1];
    }
    if (n != pc->hosts[h].nvms)
        return fail(c, 3, "host %u lists %u VMs, counts %u", h, n,
                    pc->hosts[h].nvms);
    return 0;
}

static int check_host(const struct ctx *c, uint32_t h, const struct usage *u)
{
    const struct place_host *ph = &c->pc->hosts[h];
    if (ph->state != VCPU_HOST_ON && (ph->nvms || u->n))
        return fail(c, 1, "host %u is in state %u and holds %u VMs", h,
                    ph->state, u->n);
    if (ph->used_vcpus > ph->cap_vcpus || ph->used_mem > ph->cap_mem)
        return fail(
            c, 2, "host %u uses %u of %u vCPU slots and %llu of %llu MB", h,
            ph->used_vcpus, ph->cap_vcpus, (unsigned long long)ph->used_mem,
            (unsigned long long)ph->cap_mem);
    if (u->cpu != ph->used_vcpus || u->mem != ph->used_mem || u->n != ph->nvms)
        return fail(c, 3,
                    "host %u counts %u vCPUs, %llu MB, %u VMs; its VMs ask "
                    "%llu, %llu MB, %u",
                    h, ph->used_vcpus, (unsigned long long)ph->used_mem,
                    ph->nvms, (unsigned long long)u->cpu,
                    (unsigned long long)u->mem, u->n);
    return check_list(c, h);
}

int vcpu_place_check(const vcpu_place_t *pc, char *err, size_t errlen)
{
    if (!pc)
        return VCPU_EINVAL;
    struct ctx c = {pc, err, errlen};
    if (err && errlen)
        err[0] = '\0';
    struct usage *use = calloc(pc->nhosts, sizeof *use);
    if (!use)
        return VCPU_ENOMEM;
    int rc = check_vms(&c, use);
    for (uint32_t h = 0; !rc && h < pc->nhosts; h++)
        rc = check_host(&c, h, &use[h]);
    free(use);
    if (rc)
        return rc;
    char why[256];
    if (vcpu__fit_check(pc, why, sizeof why))
        return fail(&c, 5, "%s", why);
    return 0;
}
