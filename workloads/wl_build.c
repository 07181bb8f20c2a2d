// SPDX-License-Identifier: GPL-3.0-or-later
/* Building a VM's program from what a trace records: a utilisation series
 * becomes compute/idle bursts (resampled to a stated granularity, and
 * coarsened so that no program passes max_phases), a steady utilisation
 * becomes a looped burst pair. Also the header metadata table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wl_internal.h"

int wl__series_push(struct wl_series *s, double dt_ns, double util)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 512;
        struct wl_reading *r = realloc(s->r, cap * sizeof *r);
        if (!r)
            return -1;
        s->r = r;
        s->cap = cap;
    }
    util = util < 0 ? 0 : util > 1 ? 1 : util;
    s->r[s->n++] = (struct wl_reading){dt_ns, util};
    return 0;
}

void wl__series_free(struct wl_series *s)
{
    free(s->r);
    memset(s, 0, sizeof *s);
}

/* ---- the program -------------------------------------------------------- */

void wl__vmb_reset(struct wl_vmb *b)
{
    struct wl_phase *ph = b->ph;
    unsigned cap = b->cap;
    memset(b, 0, sizeof *b);
    b->ph = ph;
    b->cap = cap;
    b->vcpus = 1;
    b->loops = 1;
}

int wl__vmb_phase(struct wl_vmb *b, const struct wl_phase *p)
{
    if (b->nph == b->cap) {
        unsigned cap = b->cap ? 2 * b->cap : 16;
        struct wl_phase *ph = realloc(b->ph, cap * sizeof *ph);
        if (!ph)
            return -1;
        b->ph = ph;
        b->cap = cap;
    }
    b->ph[b->nph++] = *p;
    return 0;
}

int wl__vmb_const(struct wl_vmb *b, unsigned kind, double ns)
{
    if (!(ns > 0))
        return 0;
    struct wl_phase *last = b->nph ? &b->ph[b->nph - 1] : NULL;
    if (last && last->kind == kind && last->d.kind == WL_DIST_CONST) {
        last->d.a += ns;
        return 0;
    }
    struct wl_phase p = {.kind = kind, .d = {WL_DIST_CONST, ns, 0}};
    return wl__vmb_phase(b, &p);
}

/* One window of @len ns of which @busy computing. */
static int window(struct wl_vmb *b, double busy, double len)
{
    if (busy > len)
        busy = len;
    if (wl__vmb_const(b, WL_PH_COMPUTE, busy) ||
        wl__vmb_const(b, WL_PH_BLOCK, len - busy))
        return -1;
    return 0;
}

/* Time-weighted utilisation over windows of @w ns. */
static int resample(struct wl_vmb *b, const struct wl_series *ser, double w)
{
    double filled = 0, busy = 0;
    for (size_t i = 0; i < ser->n; i++) {
        double left = ser->r[i].dt_ns, u = ser->r[i].util;
        while (left > 0) {
            double take = fmin(left, w - filled);
            busy += u * take;
            filled += take;
            left -= take;
            if (filled >= w * (1 - 1e-12)) {
                if (window(b, busy, filled))
                    return -1;
                filled = busy = 0;
            }
        }
    }
    return filled > 0 ? window(b, busy, filled) : 0;
}

int wl__vmb_series(wl_source_t *s, struct wl_vmb *b,
                   const struct wl_series *ser)
{
    double total = 0;
    for (size_t i = 0; i < ser->n; i++)
        total += ser->r[i].dt_ns;
    b->loops = 1;
    b->lifetime_ns = total < 9e18 ? (uint64_t)llround(total) : UINT64_MAX / 2;
    unsigned maxp = s->o.max_phases < 4 ? 4 : s->o.max_phases;
    double w = (double)s->o.burst_ns;
    double pairs = w > 0 ? ceil(total / w) : (double)ser->n;
    if (pairs * 2 > maxp) {
        w = total / (double)((maxp - 2) / 2);
        s->st.coarsened++;
    }
    int rc = 0;
    if (w > 0) {
        rc = resample(b, ser, w);
    } else {
        for (size_t i = 0; i < ser->n && !rc; i++)
            rc = window(b, ser->r[i].util * ser->r[i].dt_ns, ser->r[i].dt_ns);
    }
    if (!rc && !b->nph)
        rc = wl__vmb_const(b, WL_PH_COMPUTE, 1);
    return rc;
}

int wl__vmb_steady(wl_source_t *s, struct wl_vmb *b, double u, double life_ns,
                   double dflt_burst_ns)
{
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    b->lifetime_ns =
        life_ns < 9e18 ? (uint64_t)llround(life_ns) : UINT64_MAX / 2;
    b->loops = 1;
    if (life_ns < 1)
        life_ns = 1;
    if (u >= 0.999)
        return wl__vmb_const(b, WL_PH_COMPUTE, life_ns);
    double w = s->o.burst_ns ? (double)s->o.burst_ns : dflt_burst_ns;
    if (!(w > 0) || w >= life_ns)
        w = life_ns;
    double loops = fmax(1.0, floor(life_ns / w + 0.5));
    b->loops = (uint64_t)loops;
    if (window(b, u * w, w))
        return -1;
    return b->nph ? 0 : wl__vmb_const(b, WL_PH_COMPUTE, 1);
}

void wl__vmb_vcpus(wl_source_t *s, struct wl_vmb *b, double vcpus)
{
    unsigned max = s->o.max_vcpus;
    if (!(vcpus >= 1))
        vcpus = 1;
    if (vcpus > max) {
        vcpus = max;
        s->st.clamped++;
    }
    b->vcpus = (unsigned)vcpus;
}

/* ---- metadata ----------------------------------------------------------- */

int wl__meta_add(wl_source_t *s, const char *label, const char *value)
{
    if (s->nmeta == s->capmeta) {
        unsigned cap = s->capmeta ? 2 * s->capmeta : 16;
        struct wl_meta_pair *m = realloc(s->meta, cap * sizeof *m);
        if (!m)
            return -1;
        s->meta = m;
        s->capmeta = cap;
    }
    struct wl_meta_pair *p = &s->meta[s->nmeta];
    p->label = strdup(label);
    p->value = strdup(value);
    if (!p->label || !p->value) {
        free(p->label);
        free(p->value);
        return -1;
    }
    s->nmeta++;
    return 0;
}

int wl__meta_append(wl_source_t *s, const char *more)
{
    if (!s->nmeta)
        return 0;
    struct wl_meta_pair *p = &s->meta[s->nmeta - 1];
    size_t a = strlen(p->value), b = strlen(more);
    char *v = realloc(p->value, a + b + 2);
    if (!v)
        return -1;
    v[a] = ' ';
    memcpy(v + a + 1, more, b + 1);
    p->value = v;
    return 0;
}
