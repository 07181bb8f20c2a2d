// SPDX-License-Identifier: GPL-3.0-or-later
/* property.place: seeded random cases against every placement policy.
 * A case is a random datacenter (hosts of random sizes in random racks,
 * clusters and datacenters, random overcommit ratios and queue discipline)
 * and a random stream of arrivals, departures, retries, host failures,
 * repairs, power-offs, boots, requeues and migrations. After every
 * operation: the core's invariants (vcpu_place_check), no policy error
 * (a choice of a host that is not ON, full or excluded), the queue's
 * discipline (after a retry no waiting VM that may go fits a host), and
 * the policy's own property on every placement it makes: first_fit the
 * lowest fitting host, best_fit the fullest, worst_fit the emptiest,
 * vcluster under the lowest rack/cluster/datacenter around its group that
 * has room. Failing cases are shrunk (ddmin over the operations) and
 * printed with a replay line. Broken policies prove each check fires.
 * VCPU_SEED, VCPU_CASES as for the other property tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vcpu/vcpu.h>

#include "harness.h"

/* ---- cases ------------------------------------------------------------- */

enum pop_kind {
    P_ADD,     /* a vCPUs, b MB, c group (0 none), d group size */
    P_REMOVE,  /* a: which VM id (mod ids) */
    P_RETRY,   /* */
    P_FAIL,    /* a: host */
    P_REPAIR,  /* a: host (to ON) */
    P_OFF,     /* a: host (only if empty) */
    P_BOOT,    /* a: host: OFF -> BOOTING -> ON */
    P_REQUEUE, /* a: which evicted VM */
    P_MIGRATE, /* a: which placed VM: ask the target, begin */
    P_MIG_END, /* a: which migrating VM, b: ok */
    P_NKINDS
};

static const char *const pop_names[] = {"add",     "remove", "retry", "fail",
                                        "repair",  "off",    "boot",  "requeue",
                                        "migrate", "mig_end"};

static const unsigned pop_weights[P_NKINDS] = {
    [P_ADD] = 30,    [P_REMOVE] = 14, [P_RETRY] = 10, [P_FAIL] = 4,
    [P_REPAIR] = 5,  [P_OFF] = 3,     [P_BOOT] = 4,   [P_REQUEUE] = 8,
    [P_MIGRATE] = 8, [P_MIG_END] = 8,
};

struct pop {
    uint8_t kind;
    uint32_t a, b, c, d;
};

struct pcase_dc {
    uint64_t seed;
    struct pop *ops;
    unsigned nops;
};

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(rnd(s) % n);
}

static void case_generate(struct pcase_dc *pc, uint64_t seed, unsigned max)
{
    uint64_t s = seed * 7919 + 1;
    pc->seed = seed;
    pc->nops = 1 + below(&s, max);
    pc->ops = calloc(pc->nops, sizeof *pc->ops);
    unsigned total = 0;
    for (unsigned k = 0; k < P_NKINDS; k++)
        total += pop_weights[k];
    for (unsigned i = 0; i < pc->nops; i++) {
        unsigned x = below(&s, total), k = 0;
        while (x >= pop_weights[k])
            x -= pop_weights[k++];
        struct pop *o = &pc->ops[i];
        o->kind = (uint8_t)k;
        o->a = (uint32_t)rnd(&s);
        o->b = (uint32_t)rnd(&s);
        o->c = (uint32_t)rnd(&s);
        o->d = (uint32_t)rnd(&s);
        if (k == P_ADD) {
            o->a = 1 + below(&s, below(&s, 4) ? 4 : 12);
            o->b = below(&s, 4) ? below(&s, 6000) : below(&s, 20000);
            o->c = below(&s, 3) ? 0 : 1 + below(&s, 4);
            o->d = below(&s, 6);
        }
    }
}

static void case_print(const struct pcase_dc *pc, FILE *f)
{
    fprintf(f, "case seed=%#llx, %u operations:\n",
            (unsigned long long)pc->seed, pc->nops);
    for (unsigned i = 0; i < pc->nops; i++) {
        const struct pop *o = &pc->ops[i];
        fprintf(f, "  %-8s %u %u %u %u\n", pop_names[o->kind], o->a, o->b, o->c,
                o->d);
    }
}

/* ---- the datacenter of a case (from its seed only, so shrinking keeps it) */

static const char *const host_kinds[] = {
    "pack:1 core:2 pu:1", "pack:1 core:4 pu:1", "pack:2 core:2 pu:2"};
#define NKINDS (sizeof host_kinds / sizeof host_kinds[0])
static vcpu_topo_t *kind_topo[NKINDS];

struct world {
    vcpu_dctopo_t *dc;
    vcpu_place_t *pc;
    unsigned nhosts;
    unsigned queue;
    char log[1024];
    unsigned nlog;
};

static void on_log(void *arg, const char *line)
{
    struct world *w = arg;
    if (!w->nlog++)
        snprintf(w->log, sizeof w->log, "%s", line);
}

static int world_make(struct world *w, uint64_t seed,
                      const struct vcpu_place_ops *ops)
{
    uint64_t s = seed ^ 0xdc;
    for (unsigned k = 0; k < NKINDS; k++)
        if (!kind_topo[k] && vcpu_topo_load(host_kinds[k], &kind_topo[k]))
            return -1;
    unsigned ndcs = 1 + below(&s, 2), ncl = ndcs + below(&s, 3);
    unsigned nracks = ncl + below(&s, 5), nh = nracks + below(&s, 20);
    uint32_t type[40], rack[40], rcl[12], cdc[8];
    uint64_t mem[40];
    for (unsigned c = 0; c < ncl; c++)
        cdc[c] = c < ndcs ? c : below(&s, ndcs);
    for (unsigned r = 0; r < nracks; r++)
        rcl[r] = r < ncl ? r : below(&s, ncl);
    for (unsigned h = 0; h < nh; h++) {
        rack[h] = h < nracks ? nracks - 1 - h : below(&s, nracks);
        type[h] = below(&s, NKINDS);
        mem[h] = 4096u << below(&s, 3);
    }
    struct vcpu_dctopo_attr da = {
        VCPU_DCTOPO_ABI, NKINDS, kind_topo, nh,  type, rack,
        nracks,          rcl,    ncl,       cdc, ndcs};
    if (vcpu_dctopo_create(&da, &w->dc))
        return -1;
    static const uint32_t cr[] = {1000, 1500, 2000}, mr[] = {1000, 1250};
    struct vcpu_place_attr pa = {
        .abi = VCPU_PLACE_ABI,
        .topo = w->dc,
        .host_mem_mb = mem,
        .cpu_overcommit_milli = cr[below(&s, 3)],
        .mem_overcommit_milli = mr[below(&s, 2)],
        .queue = below(&s, 2),
        .check = true,
        .log = on_log,
        .log_arg = w,
        .seed = seed,
    };
    w->nhosts = nh;
    w->queue = pa.queue;
    char err[256];
    return vcpu_place_create(&pa, ops, NULL, &w->pc, err, sizeof err);
}

static void world_free(struct world *w)
{
    vcpu_place_destroy(w->pc);
    vcpu_dctopo_destroy(w->dc);
}

/* ---- brute-force expectations -------------------------------------------- */

static bool fits(const struct world *w, uint32_t h, const struct vcpu_vm_req *r,
                 uint32_t excl)
{
    const vcpu_place_t *pc = w->pc;
    return h != excl && vcpu_place_host_state(pc, h) == VCPU_HOST_ON &&
           vcpu_place_host_used_vcpus(pc, h) + (uint64_t)r->vcpus <=
               vcpu_place_host_cap_vcpus(pc, h) &&
           vcpu_place_host_used_mem_mb(pc, h) + r->mem_mb <=
               vcpu_place_host_cap_mem_mb(pc, h);
}

static int64_t free_cpu(const struct world *w, uint32_t h)
{
    return (int64_t)vcpu_place_host_cap_vcpus(w->pc, h) -
           vcpu_place_host_used_vcpus(w->pc, h);
}

static int64_t free_mem(const struct world *w, uint32_t h)
{
    return (int64_t)(vcpu_place_host_cap_mem_mb(w->pc, h) -
                     vcpu_place_host_used_mem_mb(w->pc, h));
}

/* Which host a rule wants: 0 first, 1 best, 2 worst. */
static uint32_t expect_fit(const struct world *w, int rule,
                           const struct vcpu_vm_req *r, uint32_t excl)
{
    uint32_t best = VCPU_HOST_NONE;
    for (uint32_t h = 0; h < w->nhosts; h++) {
        if (!fits(w, h, r, excl))
            continue;
        if (best == VCPU_HOST_NONE) {
            best = h;
            continue;
        }
        int64_t dc = free_cpu(w, h) - free_cpu(w, best);
        int64_t dm = free_mem(w, h) - free_mem(w, best);
        if ((rule == 1 && (dc < 0 || (dc == 0 && dm < 0))) ||
            (rule == 2 && (dc > 0 || (dc == 0 && dm > 0))))
            best = h;
    }
    return best;
}

static const unsigned levels[] = {VCPU_TOPO_RACK, VCPU_TOPO_CLUSTER,
                                  VCPU_TOPO_DATACENTER, VCPU_TOPO_WORLD};

static unsigned anc(const struct world *w, uint32_t h, unsigned l)
{
    return vcpu_dctopo_ancestor(w->dc, h, levels[l]);
}

/* What a placement must give, computed before the call. */
struct expect {
    int kind;      /* 0 a host (want), 1 a domain, 2 only "somewhere" */
    uint32_t want; /* kind 0 */
    unsigned level, dom;
    bool room; /* some host fits */
};

/* vcluster: the lowest domain, at or above the lowest common one of the
 * group's hosts, that has a host with room. */
static bool vcluster_domain(const struct world *w, vcpu_dcvm_t self,
                            const struct vcpu_vm_req *r, uint32_t excl,
                            struct expect *e)
{
    uint32_t any = VCPU_HOST_NONE;
    unsigned lca = 0;
    for (vcpu_dcvm_t v = 0; v < vcpu_place_nvms(w->pc); v++) {
        const struct vcpu_vm_req *q = vcpu_place_vm_req(w->pc, v);
        uint32_t h = vcpu_place_vm_host(w->pc, v);
        if ((v == self && excl == VCPU_HOST_NONE) || q->group != r->group ||
            h == VCPU_HOST_NONE)
            continue;
        if (any == VCPU_HOST_NONE)
            any = h;
        while (anc(w, h, lca) != anc(w, any, lca))
            lca++;
    }
    if (any == VCPU_HOST_NONE)
        return false; /* the group's first VM: no rule */
    for (unsigned l = lca; l < 4; l++)
        for (uint32_t h = 0; h < w->nhosts; h++)
            if (anc(w, h, l) == anc(w, any, l) && fits(w, h, r, excl)) {
                e->level = l;
                e->dom = anc(w, any, l);
                return true;
            }
    return false;
}

static int rule_of(const char *policy)
{
    static const char *const names[] = {"first_fit", "best_fit", "worst_fit",
                                        "vcluster"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(policy, names[i]))
            return i;
    return -1;
}

static struct expect expect_for(const struct world *w, const char *policy,
                                vcpu_dcvm_t self, const struct vcpu_vm_req *r,
                                uint32_t excl)
{
    struct expect e = {.kind = 2};
    e.room = expect_fit(w, 0, r, excl) != VCPU_HOST_NONE;
    int rule = rule_of(policy);
    if (rule == 3 && !r->group)
        rule = 0;
    if (rule >= 0 && rule < 3) {
        e.kind = 0;
        e.want = expect_fit(w, rule, r, excl);
    } else if (rule == 3 && vcluster_domain(w, self, r, excl, &e)) {
        e.kind = 1;
    }
    return e;
}

/* Coverage of a run of cases, printed by run_policy. */
static struct {
    unsigned long ops, placed, by_rule, by_group, evicted, migrations;
} stats;

static int verify(const struct world *w, const struct expect *e,
                  const char *policy, vcpu_dcvm_t vm,
                  const struct vcpu_vm_req *r, uint32_t got, char *msg,
                  size_t len)
{
    stats.placed += got != VCPU_HOST_NONE;
    stats.by_rule += e->kind == 0 && got != VCPU_HOST_NONE;
    stats.by_group += e->kind == 1;
    static const char *const rules[] = {"lowest-index", "fullest", "emptiest"};
    if (e->kind == 0 && got != e->want) {
        snprintf(msg, len,
                 "%s property: VM %u (%u vCPUs, %llu MB) went to host %d, "
                 "the %s fitting host is %d",
                 policy, vm, r->vcpus, (unsigned long long)r->mem_mb, (int)got,
                 rules[rule_of(policy) % 3], (int)e->want);
        return -1;
    }
    if (e->kind == 1 &&
        (got == VCPU_HOST_NONE || anc(w, got, e->level) != e->dom)) {
        snprintf(msg, len,
                 "vcluster property: VM %u of group %u went to host %d, "
                 "outside the lowest domain with room (level %u, #%u)",
                 vm, r->group, (int)got, e->level, e->dom);
        return -1;
    }
    if (e->room && got == VCPU_HOST_NONE) {
        snprintf(msg, len, "liveness: VM %u waits though a host fits it", vm);
        return -1;
    }
    return 0;
}

/* After a retry: nothing that may go fits a host. */
static int check_queue(const struct world *w, unsigned queue, char *msg,
                       size_t len)
{
    for (vcpu_dcvm_t v = 0; v < vcpu_place_nvms(w->pc); v++) {
        if (vcpu_place_vm_state(w->pc, v) != VCPU_DCVM_WAITING)
            continue;
        const struct vcpu_vm_req *r = vcpu_place_vm_req(w->pc, v);
        uint32_t h = expect_fit(w, 0, r, VCPU_HOST_NONE);
        if (h != VCPU_HOST_NONE) {
            snprintf(msg, len,
                     "queue discipline: after a retry VM %u waits but fits "
                     "host %u",
                     v, h);
            return -1;
        }
        if (queue == VCPU_QUEUE_FIFO)
            return 0; /* only the head may go */
    }
    return 0;
}

/* ---- running a case ---------------------------------------------------- */

struct run {
    struct world w;
    const char *rule; /* whose property to check */
    unsigned queue;
    char *msg;
    size_t len;
};

/* The VM in @state chosen by @a, or VCPU_NONE. */
static vcpu_dcvm_t pick_vm(const struct world *w, unsigned state, uint32_t a)
{
    unsigned n = vcpu_place_nvms(w->pc), k = 0;
    for (vcpu_dcvm_t v = 0; v < n; v++)
        k += vcpu_place_vm_state(w->pc, v) == state;
    if (!k)
        return VCPU_NONE;
    k = a % k;
    for (vcpu_dcvm_t v = 0; v < n; v++)
        if (vcpu_place_vm_state(w->pc, v) == state && k-- == 0)
            return v;
    return VCPU_NONE;
}

static bool earlier_waits(const struct world *w, vcpu_dcvm_t vm)
{
    for (vcpu_dcvm_t v = 0; v < vm; v++)
        if (vcpu_place_vm_state(w->pc, v) == VCPU_DCVM_WAITING)
            return true;
    return false;
}

static int op_add(struct run *R, const struct pop *o)
{
    struct world *w = &R->w;
    struct vcpu_vm_req r = {VCPU_PLACE_ABI, o->a, o->b, o->c, o->d};
    vcpu_dcvm_t vm = vcpu_place_nvms(w->pc), got_vm;
    bool tried =
        R->queue == VCPU_QUEUE_BACKFILL || vcpu_place_nwaiting(w->pc) == 0;
    struct expect e = expect_for(w, R->rule, vm, &r, VCPU_HOST_NONE);
    uint32_t host;
    int rc = vcpu_place_vm_add(w->pc, 1, &r, &got_vm, &host);
    if ((rc == 0 || rc == VCPU_EAGAIN) && tried)
        return verify(w, &e, R->rule, vm, &r, host, R->msg, R->len);
    return rc == 0 || rc == VCPU_EAGAIN || rc == VCPU_E2BIG ? 0 : rc;
}

static int op_requeue(struct run *R, const struct pop *o)
{
    struct world *w = &R->w;
    vcpu_dcvm_t vm = pick_vm(w, VCPU_DCVM_EVICTED, o->a);
    if (vm == VCPU_NONE)
        return 0;
    const struct vcpu_vm_req r = *vcpu_place_vm_req(w->pc, vm);
    stats.evicted++;
    bool tried = R->queue == VCPU_QUEUE_BACKFILL || !earlier_waits(w, vm);
    struct expect e = expect_for(w, R->rule, vm, &r, VCPU_HOST_NONE);
    uint32_t host;
    int rc = vcpu_place_vm_requeue(w->pc, 1, vm, &host);
    if ((rc == 0 || rc == VCPU_EAGAIN) && tried)
        return verify(w, &e, R->rule, vm, &r, host, R->msg, R->len);
    return rc == 0 || rc == VCPU_EAGAIN ? 0 : rc;
}

static int op_migrate(struct run *R, const struct pop *o)
{
    struct world *w = &R->w;
    vcpu_dcvm_t vm = pick_vm(w, VCPU_DCVM_PLACED, o->a);
    if (vm == VCPU_NONE)
        return 0;
    const struct vcpu_vm_req r = *vcpu_place_vm_req(w->pc, vm);
    uint32_t src = vcpu_place_vm_host(w->pc, vm), t;
    struct expect e = expect_for(w, R->rule, vm, &r, src);
    int rc = vcpu_place_migrate_target(w->pc, vm, &t);
    if (rc && rc != VCPU_ENOSPC)
        return rc;
    if (verify(w, &e, R->rule, vm, &r, t, R->msg, R->len))
        return -1;
    stats.migrations += t != VCPU_HOST_NONE;
    return t == VCPU_HOST_NONE ? 0 : vcpu_place_migrate_begin(w->pc, 1, vm, t);
}

static int op_host(struct run *R, const struct pop *o)
{
    struct world *w = &R->w;
    uint32_t h = o->a % w->nhosts;
    unsigned st = vcpu_place_host_state(w->pc, h), to;
    switch (o->kind) {
    case P_FAIL:
        to = VCPU_HOST_FAILED;
        break;
    case P_REPAIR:
        to = VCPU_HOST_ON;
        break;
    case P_OFF:
        if (vcpu_place_host_nvms(w->pc, h))
            return vcpu_place_host_set_state(w->pc, 1, h, VCPU_HOST_OFF, NULL,
                                             NULL) == VCPU_EBUSY
                       ? 0
                       : -2;
        to = VCPU_HOST_OFF;
        break;
    default: /* boot */
        if (st != VCPU_HOST_OFF && st != VCPU_HOST_BOOTING)
            return 0;
        to = st == VCPU_HOST_OFF ? VCPU_HOST_BOOTING : VCPU_HOST_ON;
        break;
    }
    return vcpu_place_host_set_state(w->pc, 1, h, to, NULL, NULL);
}

static int apply(struct run *R, const struct pop *o)
{
    struct world *w = &R->w;
    vcpu_dcvm_t vm;
    int rc;
    switch (o->kind) {
    case P_ADD:
        return op_add(R, o);
    case P_REMOVE:
        if (!vcpu_place_nvms(w->pc))
            return 0;
        rc = vcpu_place_vm_remove(w->pc, 1, o->a % vcpu_place_nvms(w->pc));
        return rc == VCPU_ESRCH ? 0 : rc;
    case P_RETRY:
        rc = vcpu_place_retry(w->pc, 1, NULL, NULL);
        return rc ? rc : check_queue(w, R->queue, R->msg, R->len);
    case P_REQUEUE:
        return op_requeue(R, o);
    case P_MIGRATE:
        return op_migrate(R, o);
    case P_MIG_END:
        vm = pick_vm(w, VCPU_DCVM_MIGRATING, o->a);
        return vm == VCPU_NONE ? 0
                               : vcpu_place_migrate_end(w->pc, 1, vm, o->b & 1);
    default:
        return op_host(R, o);
    }
}

/* Run a case of @ops checked against the rules of @rule. 0 or -1 with
 * @msg naming the operation and what broke. */
static int case_run(const struct pcase_dc *c, const struct vcpu_place_ops *ops,
                    const char *rule, char *msg, size_t len)
{
    struct run R = {.rule = rule, .msg = msg, .len = len};
    msg[0] = '\0';
    if (world_make(&R.w, c->seed, ops)) {
        snprintf(msg, len, "cannot make the datacenter of case %#llx",
                 (unsigned long long)c->seed);
        world_free(&R.w);
        return -1;
    }
    R.queue = R.w.queue;
    int rc = 0;
    for (unsigned i = 0; i < c->nops && !rc; i++) {
        char what[512] = "";
        R.msg = what;
        R.len = sizeof what;
        rc = apply(&R, &c->ops[i]);
        stats.ops++;
        if (!rc && vcpu_place_policy_errors(R.w.pc))
            snprintf(what, sizeof what, "policy error: %s", R.w.log), rc = -1;
        if (!rc && vcpu_place_check(R.w.pc, what, sizeof what))
            rc = -1;
        if (rc && !what[0])
            snprintf(what, sizeof what, "call failed: %s (%s)",
                     vcpu_err_name(rc), R.w.log);
        if (rc)
            snprintf(msg, len, "op #%u (%s): %s", i, pop_names[c->ops[i].kind],
                     what);
    }
    world_free(&R.w);
    return rc;
}

/* ddmin over the operations while the case fails with @expect in its
 * message. */
static void case_shrink(struct pcase_dc *c, const struct vcpu_place_ops *ops,
                        const char *rule, const char *expect)
{
    char msg[1024];
    struct pop *tmp = malloc(c->nops * sizeof *tmp);
    unsigned runs = 0;
    for (unsigned chunk = c->nops / 2; chunk >= 1; chunk /= 2) {
        bool progress = true;
        while (progress && runs < 20000) {
            progress = false;
            for (unsigned at = 0; at + chunk <= c->nops; at += chunk) {
                unsigned n = 0;
                for (unsigned i = 0; i < c->nops; i++)
                    if (i < at || i >= at + chunk)
                        tmp[n++] = c->ops[i];
                struct pcase_dc trial = {c->seed, tmp, n};
                runs++;
                if (n && case_run(&trial, ops, rule, msg, sizeof msg) &&
                    strstr(msg, expect)) {
                    memcpy(c->ops, tmp, n * sizeof *tmp);
                    c->nops = n;
                    progress = true;
                    break;
                }
            }
        }
    }
    free(tmp);
}

/* The property's name: the message up to the first ':' after "): ". */
static void expect_of(const char *msg, char *out, size_t len)
{
    const char *p = strstr(msg, "): ");
    p = p ? p + 3 : msg;
    size_t n = strcspn(p, ":");
    snprintf(out, len, "%.*s", (int)n, p);
}

#define MAX_OPS 120

/* Run @n cases from @base; on the first failure shrink it, print it with
 * its replay line and return -1 (message in @msg). */
static int run_cases(const struct vcpu_place_ops *ops, const char *rule,
                     uint64_t base, unsigned n, char *msg, size_t len,
                     unsigned *shrunk_ops)
{
    for (unsigned i = 0; i < n; i++) {
        struct pcase_dc c;
        case_generate(&c, base + i, MAX_OPS);
        if (!case_run(&c, ops, rule, msg, len)) {
            free(c.ops);
            continue;
        }
        char expect[256];
        expect_of(msg, expect, sizeof expect);
        case_shrink(&c, ops, rule, expect);
        case_run(&c, ops, rule, msg, len);
        fprintf(stderr, "placement policy '%s' (checked as %s): %s\n",
                ops->name, rule, msg);
        case_print(&c, stderr);
        fprintf(stderr, "replay: VCPU_SEED=%#llx VCPU_CASES=1 %s\n",
                (unsigned long long)c.seed, "test_property_place");
        if (shrunk_ops)
            *shrunk_ops = c.nops;
        free(c.ops);
        return -1;
    }
    return 0;
}

static void run_policy(const char *name)
{
    char msg[1024];
    const struct vcpu_place_ops *ops = vcpu_place_find(name);
    assert_non_null(ops);
    uint64_t base = harness_seed(0x91ace);
    unsigned n = harness_cases(1000);
    memset(&stats, 0, sizeof stats);
    if (run_cases(ops, name, base, n, msg, sizeof msg, NULL))
        fail_msg("%s", msg);
    printf("%s: %u cases from seed %#llx, %lu operations, %lu placements "
           "(%lu checked against the rule, %lu against the group's domain), "
           "%lu requeues, %lu migrations\n",
           name, n, (unsigned long long)base, stats.ops, stats.placed,
           stats.by_rule, stats.by_group, stats.evicted, stats.migrations);
}

static void test_place_first_fit(void **state)
{
    (void)state;
    run_policy("first_fit");
}

static void test_place_best_fit(void **state)
{
    (void)state;
    run_policy("best_fit");
}

static void test_place_worst_fit(void **state)
{
    (void)state;
    run_policy("worst_fit");
}

static void test_place_vcluster(void **state)
{
    (void)state;
    run_policy("vcluster");
}

/* ---- broken policies: each check of the harness fires ---------------- */

/* A host that is not ON, when there is one. */
static uint32_t bp_dead_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                              const struct vcpu_vm_req *r)
{
    (void)vm;
    for (uint32_t h = 0; h < vpp_nhosts(ctx); h++)
        if (vpp_host_state(ctx, h) != VCPU_HOST_ON)
            return h;
    return vpp_find_first(ctx, r);
}

/* The fullest ON host, whether the VM fits or not. */
static uint32_t bp_overfill_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                                  const struct vcpu_vm_req *r)
{
    (void)vm;
    (void)r;
    uint32_t best = VCPU_HOST_NONE;
    for (uint32_t h = 0; h < vpp_nhosts(ctx); h++)
        if (vpp_host_state(ctx, h) == VCPU_HOST_ON &&
            (best == VCPU_HOST_NONE ||
             vpp_host_free_vcpus(ctx, h) < vpp_host_free_vcpus(ctx, best)))
            best = h;
    return best;
}

/* Every third VM is never placed. */
static uint32_t bp_lazy_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                              const struct vcpu_vm_req *r)
{
    return vm % 3 == 2 ? VCPU_HOST_NONE : vpp_find_first(ctx, r);
}

/* The highest fitting host. */
static uint32_t bp_last_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                              const struct vcpu_vm_req *r)
{
    (void)vm;
    for (uint32_t h = vpp_nhosts(ctx); h-- > 0;)
        if (vpp_fits(ctx, h, r))
            return h;
    return VCPU_HOST_NONE;
}

/* A random fitting host for a VM of a group (first-fit for the rest). */
static uint32_t bp_scatter_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                                 const struct vcpu_vm_req *r)
{
    (void)vm;
    if (!r->group)
        return vpp_find_first(ctx, r);
    uint32_t n = vpp_nhosts(ctx), start = (uint32_t)vpp_rand_below(ctx, n);
    for (uint32_t i = 0; i < n; i++)
        if (vpp_fits(ctx, (start + i) % n, r))
            return (start + i) % n;
    return VCPU_HOST_NONE;
}

#define BP(n)                                                                  \
    static const struct vcpu_place_ops bp_##n##_ops = {                        \
        .place = bp_##n##_place, .abi = VCPU_PLACE_ABI, .name = "bp_" #n}
BP(dead);
BP(overfill);
BP(lazy);
BP(last);
BP(scatter);

static void expect_caught(const struct vcpu_place_ops *ops, const char *rule,
                          const char *expect)
{
    char msg[1024] = "";
    unsigned nops = 0;
    int rc = run_cases(ops, rule, 0xb40c, 400, msg, sizeof msg, &nops);
    assert_int_equal(rc, -1);
    if (!strstr(msg, expect))
        fail_msg("%s: expected '%s', got: %s", ops->name, expect, msg);
    assert_true(nops <= 25); /* shrunk */
}

static void test_place_broken_dead_host(void **state)
{
    (void)state;
    expect_caught(&bp_dead_ops, "any", "the host is not ON");
}

static void test_place_broken_overcommit(void **state)
{
    (void)state;
    expect_caught(&bp_overfill_ops, "any", "does not fit under the overcommit");
}

static void test_place_broken_lazy(void **state)
{
    (void)state;
    expect_caught(&bp_lazy_ops, "any", "waits");
}

static void test_place_broken_rules(void **state)
{
    (void)state;
    expect_caught(&bp_last_ops, "first_fit", "first_fit property");
    expect_caught(vcpu_place_find("worst_fit"), "best_fit",
                  "best_fit property");
    expect_caught(vcpu_place_find("best_fit"), "worst_fit",
                  "worst_fit property");
    expect_caught(&bp_scatter_ops, "vcluster", "of group");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_place_first_fit),
        cmocka_unit_test(test_place_best_fit),
        cmocka_unit_test(test_place_worst_fit),
        cmocka_unit_test(test_place_vcluster),
        cmocka_unit_test(test_place_broken_dead_host),
        cmocka_unit_test(test_place_broken_overcommit),
        cmocka_unit_test(test_place_broken_lazy),
        cmocka_unit_test(test_place_broken_rules),
    };
    int rc = cmocka_run_group_tests_name("property.place", tests, NULL, NULL);
    for (unsigned k = 0; k < NKINDS; k++)
        vcpu_topo_unref(kind_topo[k]);
    return rc;
}
