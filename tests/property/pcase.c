// SPDX-License-Identifier: GPL-3.0-or-later
/* Random cases for the property harness: generation from a seed (GSL's
 * MT19937), application against a driver, running with the determinism
 * check, and shrinking by delta debugging over the operations. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "harness.h"

#ifndef VCPU_TEST_SHARED_DATA
#define VCPU_TEST_SHARED_DATA "../shared/data"
#endif
#define XML(f) VCPU_TEST_SHARED_DATA "/hwloc-xml/" f

/* Topologies of the random cases: synthetic shapes and real machines.
 * Weights favour the small ones, where interleavings are densest. */
static const struct {
    const char *spec;
    unsigned weight;
} topos[] = {
    {"core:1 pu:1", 3},
    {"core:2 pu:1", 4},
    {"pack:1 core:3 pu:1", 4},
    {"pack:1 core:4 pu:1", 5},
    {"pack:2 core:2 pu:2", 5},
    {"pack:2 l3:2 core:2 pu:2", 4},
    {"pack:2 l3:2 core:4 pu:2", 2},
    {XML("power8gpudistances.xml"), 2},
    {XML("20em64t-hybrid-1p6c2t+2ca4co1t.xml"), 2},
    {XML("nvidia-dgx-gb10.xml"), 2},
    {XML("AMD-17h-Zen-2xEpyc-7451.xml"), 1},
    {XML("Intel-Skylake-2xXeon6140.xml"), 1},
};
#define NTOPOS (sizeof topos / sizeof topos[0])

/* Loaded once per process: XML parsing is slow next to a case. */
static vcpu_topo_t *topo_cache[NTOPOS];

static const vcpu_topo_t *cached_topo(const char *spec)
{
    for (unsigned i = 0; i < NTOPOS; i++) {
        if (strcmp(topos[i].spec, spec) != 0)
            continue;
        if (!topo_cache[i] && vcpu_topo_load(spec, &topo_cache[i]) != 0)
            return NULL;
        return topo_cache[i];
    }
    return NULL;
}

uint64_t harness_seed(uint64_t def)
{
    const char *s = getenv("VCPU_SEED");
    return s && *s ? strtoull(s, NULL, 0) : def;
}

unsigned harness_cases(unsigned def)
{
    const char *s = getenv("VCPU_CASES");
    return s && *s ? (unsigned)strtoul(s, NULL, 0) : def;
}

/* ---- generation ------------------------------------------------------- */

static const unsigned op_weights[OP_NKINDS] = {
    [OP_WAKE] = 16,    [OP_BLOCK] = 12,    [OP_YIELD] = 8,   [OP_EXIT] = 3,
    [OP_ADVANCE] = 30, [OP_OFFLINE] = 4,   [OP_ONLINE] = 5,  [OP_SPEED] = 4,
    [OP_VM_ADD] = 4,   [OP_VM_REMOVE] = 2, [OP_SUSPEND] = 3, [OP_RESUME] = 3,
};

static unsigned pick_weighted(gsl_rng *r, const unsigned *w, unsigned n)
{
    unsigned total = 0;
    for (unsigned i = 0; i < n; i++)
        total += w[i];
    unsigned x = (unsigned)gsl_rng_uniform_int(r, total);
    for (unsigned i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

static struct op random_vm_add(gsl_rng *r)
{
    struct op o = {.kind = OP_VM_ADD};
    o.a = 1 + (uint32_t)gsl_rng_uniform_int(r, 8);
    o.b = gsl_rng_uniform(r) < 0.5 ? 100 : 1 + gsl_rng_uniform_int(r, 400);
    o.c = gsl_rng_uniform(r) < 0.25 ? 1 + (uint32_t)gsl_rng_get(r) : 0;
    o.d = gsl_rng_uniform(r) < 0.15 ? 100 + gsl_rng_uniform_int(r, 2000) : 0;
    return o;
}

static struct op random_op(gsl_rng *r, bool swaps)
{
    unsigned w[OP_NKINDS];
    memcpy(w, op_weights, sizeof w);
    if (swaps)
        w[OP_SWAP] = 3;
    unsigned k = pick_weighted(r, w, OP_NKINDS);
    struct op o = {.kind = (uint8_t)k};
    switch (k) {
    case OP_ADVANCE:
        /* mostly within a slice (1 ms), sometimes many slices */
        o.a = gsl_rng_uniform(r) < 0.8
                  ? 1 + (uint32_t)gsl_rng_uniform_int(r, 1500000)
                  : 1 + (uint32_t)gsl_rng_uniform_int(r, 20000000);
        break;
    case OP_SPEED:
        o.a = (uint32_t)gsl_rng_get(r);
        o.b = 100 + (uint32_t)gsl_rng_uniform_int(r, 1900);
        break;
    case OP_VM_ADD:
        return random_vm_add(r);
    default:
        o.a = (uint32_t)gsl_rng_get(r);
        break;
    }
    return o;
}

static const char *random_topo(gsl_rng *r)
{
    unsigned w[NTOPOS];
    for (unsigned i = 0; i < NTOPOS; i++) /* XML files only if present */
        w[i] = strchr(topos[i].spec, '/') && access(topos[i].spec, R_OK)
                   ? 0
                   : topos[i].weight;
    return topos[pick_weighted(r, w, NTOPOS)].spec;
}

static void generate(struct pcase *pc, uint64_t seed, unsigned max_ops,
                     bool swaps)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, (unsigned long)seed);
    pc->seed = seed;
    pc->topo = random_topo(r);
    pc->nops = 1 + (unsigned)gsl_rng_uniform_int(r, max_ops);
    pc->ops = calloc(pc->nops, sizeof *pc->ops);
    unsigned nvm = 1 + (unsigned)gsl_rng_uniform_int(r, 4);
    for (unsigned i = 0; i < pc->nops; i++)
        pc->ops[i] = i < nvm ? random_vm_add(r) : random_op(r, swaps);
    gsl_rng_free(r);
}

void pcase_generate(struct pcase *pc, uint64_t seed, unsigned max_ops)
{
    generate(pc, seed, max_ops, false);
}

void pcase_generate_swaps(struct pcase *pc, uint64_t seed, unsigned max_ops)
{
    generate(pc, seed, max_ops, true);
}

void pcase_free(struct pcase *pc)
{
    free(pc->ops);
    pc->ops = NULL;
    pc->nops = 0;
}

static const char *const op_names[OP_NKINDS] = {
    "wake",  "block",  "yield",     "exit",    "advance", "offline", "online",
    "speed", "vm_add", "vm_remove", "suspend", "resume",  "swap",
};

void pcase_print(const struct pcase *pc, FILE *f)
{
    fprintf(f, "case seed=%" PRIu64 " topology='%s' ops=%u\n", pc->seed,
            pc->topo, pc->nops);
    for (unsigned i = 0; i < pc->nops; i++) {
        const struct op *o = &pc->ops[i];
        fprintf(f, "  %3u %-9s a=%u b=%u c=%u d=%u\n", i, op_names[o->kind],
                o->a, o->b, o->c, o->d);
    }
}

/* ---- application --------------------------------------------------------- */

/* The (k mod n)-th vCPU whose state is in @mask (bit per state). */
static vcpu_id_t nth_vcpu(struct drv *d, unsigned mask, uint32_t k)
{
    vcpu_core_t *c = drv_core(d);
    unsigned n = 0;
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(c); v++)
        n += (mask >> vcpu_core_vcpu_state(c, v)) & 1u;
    if (!n)
        return VCPU_NONE;
    k %= n;
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(c); v++)
        if (((mask >> vcpu_core_vcpu_state(c, v)) & 1u) && k-- == 0)
            return v;
    return VCPU_NONE;
}

#define ST(s) (1u << (s))
#define LIVE                                                                   \
    (ST(VP_VCPU_NEW) | ST(VP_VCPU_RUNNABLE) | ST(VP_VCPU_RUNNING) |            \
     ST(VP_VCPU_BLOCKED) | ST(VP_VCPU_SUSPENDED))

static int apply_vm_add(struct drv *d, const struct op *o)
{
    unsigned np = vcpu_topo_npcpus(drv_topo(d));
    vcpu_pcpu_t *allowed = calloc(np, sizeof *allowed);
    unsigned na = 0;
    if (o->c) { /* a pseudo-random subset from o->c, never empty */
        uint64_t x = o->c;
        for (vcpu_pcpu_t p = 0; p < np; p++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            if ((x >> 33) & 1u)
                allowed[na++] = p;
        }
        if (!na)
            allowed[na++] = o->c % np;
    }
    struct vcpu_vm_attr a = {
        .abi = VCPU_CORE_ABI,
        .weight = o->b,
        .nvcpus_hint = o->a,
        .cap = o->d <= 1000 * np ? o->d : 0,
        .allowed = allowed,
        .nallowed = na,
    };
    vcpu_vm_t vm;
    int rc = drv_vm_add(d, &a, &vm);
    free(allowed);
    for (unsigned i = 0; rc == 0 && i < o->a; i++) {
        vcpu_id_t v;
        if ((rc = drv_vcpu_add(d, vm, &v)) == 0)
            rc = drv_wake(d, v);
    }
    return rc;
}

static int apply_pcpu(struct drv *d, const struct op *o)
{
    unsigned np = vcpu_topo_npcpus(drv_topo(d));
    vcpu_pcpu_t p = o->a % np;
    switch (o->kind) {
    case OP_OFFLINE: /* keep one pCPU online so cases stay interesting */
        if (drv_count_online(d) <= 1)
            return 0;
        return drv_pcpu_online(d, p, false);
    case OP_ONLINE:
        return drv_pcpu_online(d, p, true);
    default:
        return drv_pcpu_speed(d, p, o->b ? o->b : VCPU_SPEED_NOMINAL);
    }
}

static int apply_vm_remove(struct drv *d, const struct op *o)
{
    unsigned n = drv_nvms(d);
    return n ? drv_vm_remove(d, drv_vm_at(d, o->a % n)) : 0;
}

int drv_apply(struct drv *d, const struct op *o)
{
    vcpu_id_t v;
    switch (o->kind) {
    case OP_WAKE:
        v = nth_vcpu(d, ST(VP_VCPU_NEW) | ST(VP_VCPU_BLOCKED), o->a);
        return v == VCPU_NONE ? 0 : drv_wake(d, v);
    case OP_BLOCK:
    case OP_YIELD:
        v = nth_vcpu(d, ST(VP_VCPU_RUNNING), o->a);
        if (v == VCPU_NONE)
            return 0;
        return o->kind == OP_BLOCK ? drv_block(d, v) : drv_yield(d, v);
    case OP_EXIT:
        v = nth_vcpu(d, LIVE, o->a);
        return v == VCPU_NONE ? 0 : drv_exit(d, v);
    case OP_ADVANCE:
        return drv_advance(d, o->a);
    case OP_VM_ADD:
        return apply_vm_add(d, o);
    case OP_VM_REMOVE:
        return apply_vm_remove(d, o);
    case OP_SUSPEND:
        v = nth_vcpu(d, LIVE, o->a);
        return v == VCPU_NONE ? 0 : drv_suspend(d, v);
    case OP_RESUME:
        v = nth_vcpu(d, LIVE, o->a);
        return v == VCPU_NONE ? 0 : drv_resume(d, v);
    case OP_SWAP:
        return drv_set_policy(d, vcpu_policy_at(o->a % vcpu_policy_count()));
    default:
        return apply_pcpu(d, o);
    }
}

/* ---- running and shrinking ----------------------------------------------- */

static int run_once(const struct pcase *pc, const struct vcpu_policy_ops *ops,
                    const struct policy_props *pp, char **trace, size_t *tlen,
                    char *msg, size_t len)
{
    const vcpu_topo_t *t = cached_topo(pc->topo);
    struct drv_opts o = {
        .topo = pc->topo,
        .topo_obj = t,
        .ops = ops,
        .args = pp ? pp->args : NULL,
        .seed = pc->seed,
        .keep_trace = true,
    };
    struct drv *d;
    int rc = drv_create(&o, &d, msg, len);
    if (rc)
        return rc;
    void *priv = pp && pp->priv_size ? calloc(1, pp->priv_size) : NULL;
    rc = 0;
    for (unsigned i = 0; i < pc->nops && !rc; i++) {
        drv_apply(d, &pc->ops[i]);
        if (drv_failed(d)) {
            snprintf(msg, len, "op %u: %s", i, drv_error(d));
            rc = 1;
        } else if (pp && pp->step && pp->step(d, priv, msg, len)) {
            rc = 2;
        }
    }
    if (!rc && pp && pp->end && pp->end(d, priv, msg, len))
        rc = 3;
    size_t n;
    const char *tr = drv_trace(d, &n);
    *trace = malloc(n + 1);
    memcpy(*trace, tr, n + 1);
    *tlen = n;
    free(priv);
    drv_destroy(d);
    return rc;
}

int pcase_run(const struct pcase *pc, const struct vcpu_policy_ops *ops,
              const struct policy_props *pp, bool twice, char *msg, size_t len)
{
    char *t1 = NULL, *t2 = NULL;
    size_t n1 = 0, n2 = 0;
    msg[0] = '\0';
    int rc = run_once(pc, ops, pp, &t1, &n1, msg, len);
    if (!rc && twice) {
        rc = run_once(pc, ops, pp, &t2, &n2, msg, len);
        if (!rc && (n1 != n2 || memcmp(t1, t2, n1) != 0)) {
            size_t i = 0;
            while (i < n1 && i < n2 && t1[i] == t2[i])
                i++;
            snprintf(msg, len,
                     "invariant 7 (determinism) broken: two runs of the "
                     "same case differ at trace byte %zu (%zu vs %zu bytes)",
                     i, n1, n2);
            rc = 4;
        }
    }
    free(t1);
    free(t2);
    return rc;
}

/* Delta debugging (ddmin) over the operation list: drop chunks, halving
 * the chunk size, while the case still fails. */
unsigned pcase_shrink(struct pcase *pc, const struct vcpu_policy_ops *ops,
                      const struct policy_props *pp, bool twice,
                      const char *expect)
{
    char msg[2048];
    unsigned runs = 0;
    struct op *tmp = malloc(pc->nops * sizeof *tmp);
    for (unsigned chunk = pc->nops / 2; chunk >= 1; chunk /= 2) {
        bool progress = true;
        while (progress && runs < 20000) {
            progress = false;
            for (unsigned at = 0; at + chunk <= pc->nops; at += chunk) {
                unsigned n = 0;
                for (unsigned i = 0; i < pc->nops; i++)
                    if (i < at || i >= at + chunk)
                        tmp[n++] = pc->ops[i];
                struct pcase trial = *pc;
                trial.ops = tmp;
                trial.nops = n;
                runs++;
                if (n && pcase_run(&trial, ops, pp, twice, msg, sizeof msg) &&
                    (!expect || strstr(msg, expect))) {
                    memcpy(pc->ops, tmp, n * sizeof *tmp);
                    pc->nops = n;
                    progress = true;
                    break;
                }
            }
        }
    }
    free(tmp);
    return runs;
}
