// SPDX-License-Identifier: GPL-3.0-or-later
/* Synthetic workloads (GSL, seeded): Poisson, 2-state MMPP and diurnal
 * (sinusoidal rate, by thinning) arrivals; sizes from an empirical table;
 * lifetimes from a distribution; and per-vCPU demand as utilisation
 * bursts, bulk-synchronous supersteps with barriers, or spin-lock critical
 * sections. wl.h documents every parameter and its unit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "wl_internal.h"

wl_source_t *wl__source_for_gen(const char *prefix);
int wl__gen_next(wl_source_t *s, struct wl_vmb *b);
void wl__gen_free(wl_source_t *s);

struct wl_genstate {
    struct wl_gen g;
    struct wl_size *sizes;
    gsl_rng *rng;
    gsl_ran_discrete_t *table;
    double t_ns, state_end_ns;
    unsigned state; /* MMPP */
    uint64_t count;
};

/* ---- distributions ------------------------------------------------------ */

double wl_dist_mean(const struct wl_dist *d)
{
    switch (d->kind) {
    case WL_DIST_UNIFORM:
        return (d->a + d->b) / 2;
    case WL_DIST_PARETO:
        return d->b > 1 ? d->b * d->a / (d->b - 1) : INFINITY;
    case WL_DIST_WEIBULL:
        return d->a * gsl_sf_gamma(1 + 1 / d->b);
    default: /* CONST, EXP, NORMAL, LOGNORMAL: a is the mean */
        return d->a;
    }
}

double wl_dist_draw(gsl_rng *r, const struct wl_dist *d)
{
    double x;
    switch (d->kind) {
    case WL_DIST_EXP:
        x = gsl_ran_exponential(r, d->a);
        break;
    case WL_DIST_UNIFORM:
        x = gsl_ran_flat(r, d->a, d->b);
        break;
    case WL_DIST_NORMAL:
        x = d->a + gsl_ran_gaussian(r, d->b);
        break;
    case WL_DIST_LOGNORMAL: {
        double s2 = log1p((d->b * d->b) / (d->a * d->a));
        x = gsl_ran_lognormal(r, log(d->a) - s2 / 2, sqrt(s2));
        break;
    }
    case WL_DIST_PARETO:
        x = gsl_ran_pareto(r, d->b, d->a);
        break;
    case WL_DIST_WEIBULL:
        x = gsl_ran_weibull(r, d->a, d->b);
        break;
    default:
        x = d->a;
        break;
    }
    return x > 0 ? x : 0;
}

/* "field: what" for a distribution that cannot be drawn; NULL if fine. */
static const char *dist_problem(const struct wl_dist *d)
{
    if (d->kind > WL_DIST_WEIBULL)
        return "unknown distribution";
    if (!isfinite(d->a) || !isfinite(d->b) || d->a < 0 || d->b < 0)
        return "parameters must be finite and not negative";
    switch (d->kind) {
    case WL_DIST_UNIFORM:
        return d->b > d->a ? NULL : "max must be more than min";
    case WL_DIST_PARETO:
    case WL_DIST_WEIBULL:
        return d->a > 0 && d->b > 0 ? NULL : "scale and shape must be > 0";
    default:
        return d->a > 0 ? NULL : "mean (or value) must be > 0";
    }
}

/* ---- arrivals ----------------------------------------------------------- */

double wl_arrivals_mean_rate(const struct wl_arrivals *a)
{
    if (a->kind != WL_ARR_MMPP)
        return a->rate_per_s[0];
    double d0 = (double)a->dwell_ns[0], d1 = (double)a->dwell_ns[1];
    return (a->rate_per_s[0] * d0 + a->rate_per_s[1] * d1) / (d0 + d1);
}

static double gap_ns(gsl_rng *r, double rate_per_s)
{
    return rate_per_s > 0 ? gsl_ran_exponential(r, 1e9 / rate_per_s) : INFINITY;
}

static void mmpp_next(struct wl_genstate *st)
{
    const struct wl_arrivals *a = &st->g.arrivals;
    for (;;) {
        double g = gap_ns(st->rng, a->rate_per_s[st->state]);
        if (st->t_ns + g < st->state_end_ns) {
            st->t_ns += g;
            return;
        }
        /* Memoryless: restart the draw in the other state. */
        st->t_ns = st->state_end_ns;
        st->state ^= 1;
        st->state_end_ns +=
            gsl_ran_exponential(st->rng, (double)a->dwell_ns[st->state]);
    }
}

static void diurnal_next(struct wl_genstate *st)
{
    const struct wl_arrivals *a = &st->g.arrivals;
    double peak = a->rate_per_s[0] * (1 + a->amplitude);
    for (;;) {
        st->t_ns += gap_ns(st->rng, peak);
        double x =
            2 * M_PI * (st->t_ns + (double)a->phase_ns) / (double)a->period_ns;
        double rate = a->rate_per_s[0] * (1 + a->amplitude * sin(x));
        if (gsl_rng_uniform(st->rng) * peak < rate)
            return;
    }
}

static void next_arrival(struct wl_genstate *st)
{
    switch (st->g.arrivals.kind) {
    case WL_ARR_MMPP:
        mmpp_next(st);
        break;
    case WL_ARR_DIURNAL:
        diurnal_next(st);
        break;
    default:
        st->t_ns += gap_ns(st->rng, st->g.arrivals.rate_per_s[0]);
        break;
    }
}

/* ---- demand ------------------------------------------------------------- */

static int dist_phase(struct wl_vmb *b, unsigned kind, unsigned lock,
                      const struct wl_dist *d)
{
    struct wl_phase p = {.kind = kind, .lock_id = lock, .d = *d};
    return wl__vmb_phase(b, &p);
}

static double loops_for(double life, double period)
{
    return period > 0 ? fmin(fmax(1, floor(life / period + 0.5)), 1e18) : 1;
}

static int util_program(struct wl_genstate *st, struct wl_vmb *b, double life)
{
    const struct wl_demand *d = &st->g.demand;
    double u =
        d->util_min + (d->util_max - d->util_min) * gsl_rng_uniform(st->rng);
    double w = (double)d->burst_ns;
    unsigned k = d->exp_bursts ? WL_DIST_EXP : WL_DIST_CONST;
    struct wl_dist c = {k, u * w, 0}, i = {k, (1 - u) * w, 0};
    b->loops = (uint64_t)loops_for(life, w);
    if ((c.a > 0 && dist_phase(b, WL_PH_COMPUTE, 0, &c)) ||
        (i.a > 0 && dist_phase(b, WL_PH_BLOCK, 0, &i)))
        return -1;
    return 0;
}

static int bsp_program(struct wl_genstate *st, struct wl_vmb *b, double life)
{
    const struct wl_demand *d = &st->g.demand;
    struct wl_phase bar = {.kind = WL_PH_BARRIER};
    if (dist_phase(b, WL_PH_COMPUTE, 0, &d->work) || wl__vmb_phase(b, &bar) ||
        (d->comm.a > 0 && dist_phase(b, WL_PH_BLOCK, 0, &d->comm)))
        return -1;
    double step =
        wl_dist_mean(&d->work) + (d->comm.a > 0 ? wl_dist_mean(&d->comm) : 0);
    b->loops = (uint64_t)loops_for(life, step);
    return 0;
}

static int lock_program(struct wl_genstate *st, struct wl_vmb *b, double life)
{
    const struct wl_demand *d = &st->g.demand;
    for (unsigned i = 0; i < d->nlocks; i++)
        if (dist_phase(b, WL_PH_COMPUTE, 0, &d->work) ||
            dist_phase(b, WL_PH_LOCK, i, &d->hold))
            return -1;
    double step = d->nlocks * (wl_dist_mean(&d->work) + wl_dist_mean(&d->hold));
    b->loops = (uint64_t)loops_for(life, step);
    return 0;
}

/* ---- the source --------------------------------------------------------- */

int wl__gen_next(wl_source_t *s, struct wl_vmb *b)
{
    struct wl_genstate *st = s->gen;
    const struct wl_gen *g = &st->g;
    if (g->limit && st->count >= g->limit)
        return 0;
    next_arrival(st);
    if (!isfinite(st->t_ns) || st->t_ns >= 1.8e19 ||
        (g->until_ns && st->t_ns >= (double)g->until_ns))
        return 0;
    const struct wl_size *z = &st->sizes[gsl_ran_discrete(st->rng, st->table)];
    double life = wl_dist_draw(st->rng, &g->lifetime);
    b->id = st->count++;
    b->trace_ns = (uint64_t)st->t_ns;
    b->lifetime_ns = life < 1.8e19 ? (uint64_t)life : UINT64_MAX;
    b->vcpus = z->vcpus;
    b->memory_mb = z->memory_mb;
    int rc = g->demand.kind == WL_DEM_BSP    ? bsp_program(st, b, life)
             : g->demand.kind == WL_DEM_LOCK ? lock_program(st, b, life)
                                             : util_program(st, b, life);
    if (!rc && !b->nph)
        rc = wl__vmb_const(b, WL_PH_BLOCK, fmax(life, 1));
    return rc ? wl__fail(s, "generator: out of memory") : 1;
}

void wl__gen_free(wl_source_t *s)
{
    struct wl_genstate *st = s->gen;
    if (!st)
        return;
    if (st->table)
        gsl_ran_discrete_free(st->table);
    if (st->rng)
        gsl_rng_free(st->rng);
    free(st->sizes);
    free(st);
    s->gen = NULL;
}

static const char *arrivals_problem(const struct wl_arrivals *a)
{
    const double *r = a->rate_per_s;
    if (a->kind > WL_ARR_DIURNAL)
        return "arrivals: unknown process";
    if (!(r[0] >= 0 && r[1] >= 0 && isfinite(r[0]) && isfinite(r[1])))
        return "arrivals.rate: must be finite and not negative";
    if (a->kind == WL_ARR_MMPP)
        return !(r[0] > 0 || r[1] > 0) ? "arrivals.rate: one must be > 0"
               : !a->dwell_ns[0] || !a->dwell_ns[1]
                   ? "arrivals.dwell: both must be > 0"
                   : NULL;
    if (!(r[0] > 0))
        return "arrivals.rate: must be > 0";
    if (a->kind == WL_ARR_DIURNAL && !(a->amplitude >= 0 && a->amplitude <= 1))
        return "arrivals.amplitude: must be in [0, 1]";
    if (a->kind == WL_ARR_DIURNAL && !a->period_ns)
        return "arrivals.period: must be > 0";
    return NULL;
}

static const char *demand_problem(const struct wl_demand *d)
{
    const char *p;
    switch (d->kind) {
    case WL_DEM_UTIL:
        if (!(d->util_min >= 0 && d->util_min <= d->util_max &&
              d->util_max <= 1))
            return "demand.util: need 0 <= min <= max <= 1";
        return d->burst_ns ? NULL : "demand.burst: must be > 0";
    case WL_DEM_BSP:
        if ((p = dist_problem(&d->work)))
            return "demand.work: bad distribution";
        return d->comm.a > 0 && dist_problem(&d->comm)
                   ? "demand.comm: bad distribution"
                   : NULL;
    case WL_DEM_LOCK:
        if (d->nlocks < 1 || d->nlocks > 16)
            return "demand.locks: must be 1..16";
        if (dist_problem(&d->work) || dist_problem(&d->hold))
            return "demand.work/hold: bad distribution";
        return NULL;
    default:
        return "demand: unknown kind";
    }
}

static const char *gen_problem(const struct wl_gen *g)
{
    const char *p = arrivals_problem(&g->arrivals);
    if (p)
        return p;
    if ((p = dist_problem(&g->lifetime)))
        return "lifetime: bad distribution";
    if ((p = demand_problem(&g->demand)))
        return p;
    if (g->nsizes > 4096)
        return "sizes: at most 4096 rows";
    for (unsigned i = 0; i < g->nsizes; i++)
        if (g->sizes[i].vcpus < 1 || g->sizes[i].vcpus > 4096 ||
            !(g->sizes[i].p > 0) || !isfinite(g->sizes[i].p))
            return "sizes: each row needs 1..4096 vCPUs and p > 0";
    return NULL;
}

static int gen_setup(struct wl_genstate *st, const struct wl_gen *g)
{
    static const struct wl_size one = {1, 0, 1};
    unsigned n = g->nsizes ? g->nsizes : 1;
    const struct wl_size *src = g->nsizes ? g->sizes : &one;
    double *p = malloc(n * sizeof *p);
    st->sizes = malloc(n * sizeof *st->sizes);
    st->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!p || !st->sizes || !st->rng) {
        free(p);
        return -1;
    }
    memcpy(st->sizes, src, n * sizeof *src);
    for (unsigned i = 0; i < n; i++)
        p[i] = src[i].p;
    st->table = gsl_ran_discrete_preproc(n, p);
    free(p);
    gsl_rng_set(st->rng, g->seed);
    st->g = *g;
    st->g.sizes = st->sizes;
    st->g.nsizes = n;
    st->t_ns = (double)g->start_ns;
    if (g->arrivals.kind == WL_ARR_MMPP)
        st->state_end_ns =
            st->t_ns +
            gsl_ran_exponential(st->rng, (double)g->arrivals.dwell_ns[0]);
    return st->table ? 0 : -1;
}

int wl_gen_open(const struct wl_gen *g, wl_source_t **out, char *err,
                size_t errlen)
{
    *out = NULL;
    const char *p = gen_problem(g);
    if (p) {
        snprintf(err, errlen, "%s", p);
        return -1;
    }
    wl_source_t *s = wl__source_for_gen(g->prefix);
    if (!s || !(s->gen = calloc(1, sizeof *s->gen)) || gen_setup(s->gen, g)) {
        wl_close(s);
        snprintf(err, errlen, "generator: out of memory");
        return -1;
    }
    s->gen->g.prefix = NULL;
    *out = s;
    return 0;
}
