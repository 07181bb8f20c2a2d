// SPDX-License-Identifier: GPL-3.0-or-later
/* Readers of the Azure public VM traces (V1 2017, V2 2019): the vmtable
 * and the CPU readings. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wl_internal.h"

/* Mapping to VMs. Azure public VM traces (V1 2017, V2 2019), no header,
 * comma-separated.
 * vmtable: a row becomes a VM of vmcorecount vCPUs (a V2 bucket ">N" reads as
 * the next power of two above N) and vmmemory GB, arriving at vmcreated and
 * living until vmdeleted, computing avgcpu % of each 300 s burst (or of
 * opts.burst_ns); group = a hash of the deployment. Rows are not in time
 * order: the reorder buffer sorts them.
 * vm_cpu_readings: the readings of each vmid (avgcpu, 5-minute slots; a gap
 * between slots is idle) become one VM of opts.vcpus (1) vCPUs arriving at its
 * first reading. A VM's program is known only at the end of the file, so this
 * reader holds every reading (16 B each) until then. */

#define SLOT_NS (300 * 1000000000.0)

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ? h : 1;
}

static int az_open(wl_source_t *s)
{
    return wl__open_file(s, s->path);
}

/* A percentage in [0, 100]. */
static int pct(wl_source_t *s, const char *f, const char *field, double *v)
{
    int rc = wl__f_min(s, f, field, 0, v);
    if (!rc && *v > 100 + 1e-6)
        rc = wl__bad(s, field, "%s is more than 100 (percent)", f);
    return rc;
}

/* A count, or a V2 bucket ">N" read as the next power of two above N. */
static int bucket(wl_source_t *s, const char *f, const char *field, double *v)
{
    if (f[0] != '>')
        return wl__f_min(s, f, field, 0, v);
    int rc = wl__f_min(s, f + 1, field, 0, v);
    if (rc)
        return rc;
    double p = 1;
    while (p <= *v && p < 1e15)
        p *= 2;
    *v = p;
    return 0;
}

static int category(wl_source_t *s, const char *f)
{
    static const char *const ok[] = {"Delay-insensitive", "Interactive",
                                     "Unkown", "Unknown"};
    for (unsigned i = 0; i < 4; i++)
        if (!strcmp(f, ok[i]))
            return 0;
    return wl__bad(s, "vmcategory", "unknown category '%.40s'", f);
}

static int vmtable_row(wl_source_t *s, char *l, struct wl_vmb *b)
{
    char *f[12];
    double avg, x, cores, mem;
    uint64_t created, deleted;
    int rc = wl__f_count(s, wl__split(l, ',', f, 11), 11);
    if (!rc && !f[0][0])
        rc = wl__bad(s, "vmid", "empty");
    if (rc || (rc = wl__f_time(s, f[3], "vmcreated", 1e9, &created)) ||
        (rc = wl__f_time(s, f[4], "vmdeleted", 1e9, &deleted)) ||
        (rc = pct(s, f[5], "maxcpu", &x)) ||
        (rc = pct(s, f[6], "avgcpu", &avg)) ||
        (rc = pct(s, f[7], "p95maxcpu", &x)) || (rc = category(s, f[8])) ||
        (rc = bucket(s, f[9], "vmcorecount", &cores)) ||
        (rc = bucket(s, f[10], "vmmemory", &mem)))
        return rc;
    if (deleted < created)
        return wl__bad(s, "vmdeleted",
                       "negative lifetime (deleted at %s s, created at %s s)",
                       f[4], f[3]);
    wl__saw(s, created);
    wl__vmb_vcpus(s, b, ceil(cores));
    b->id = s->in.lineno;
    b->line = s->in.lineno;
    b->trace_ns = created;
    b->memory_mb = (uint64_t)llround(fmin(mem, 1e12) * 1024);
    b->group = fnv1a(f[2]);
    return wl__vmb_steady(s, b, avg / 100, (double)(deleted - created), SLOT_NS)
               ? wl__fail(s, "%s: out of memory", s->path)
               : 0;
}

static int vmtable_next(wl_source_t *s, struct wl_vmb *b)
{
    char *l;
    size_t len;
    int rc;
    while ((rc = wl__line(s, &l, &len)) == 1) {
        if (!len)
            continue;
        rc = vmtable_row(s, l, b);
        if (rc <= 0)
            return rc < 0 ? -1 : 1;
        wl__vmb_reset(b);
    }
    return rc;
}

const struct wl_reader wl__azure_vmtable = {
    .fmt = WL_FMT_AZURE_VMTABLE,
    .name = "azure-vmtable",
    .has_vms = true,
    .open = az_open,
    .next = vmtable_next,
};

/* ---- vm_cpu_readings ---------------------------------------------------- */

struct reading {
    uint64_t t;
    double u; /* a float would save nothing: the struct is 16 B anyway */
};

struct azvm {
    char *id;
    struct reading *r;
    size_t n, cap;
};

struct azcpu {
    struct azvm *vms;
    size_t nvms, capvms;
    size_t *slots; /* open addressing: index + 1, 0 = empty */
    size_t nslots;
    uint64_t last_t;
    size_t emitted;
    bool read_all;
};

static int azcpu_open(wl_source_t *s)
{
    if (!(s->fs = calloc(1, sizeof(struct azcpu))))
        return wl__fail(s, "%s: out of memory", s->path);
    return wl__open_file(s, s->path);
}

static void azcpu_close(wl_source_t *s)
{
    struct azcpu *a = s->fs;
    if (!a)
        return;
    for (size_t i = 0; i < a->nvms; i++) {
        free(a->vms[i].id);
        free(a->vms[i].r);
    }
    free(a->vms);
    free(a->slots);
    free(a);
    s->fs = NULL;
}

static int rehash(struct azcpu *a)
{
    size_t n = a->nslots ? 2 * a->nslots : 1024;
    size_t *sl = calloc(n, sizeof *sl);
    if (!sl)
        return -1;
    for (size_t i = 0; i < a->nvms; i++) {
        size_t h = fnv1a(a->vms[i].id) & (n - 1);
        while (sl[h])
            h = (h + 1) & (n - 1);
        sl[h] = i + 1;
    }
    free(a->slots);
    a->slots = sl;
    a->nslots = n;
    return 0;
}

/* The VM of @id, added if new; NULL when out of memory. */
static struct azvm *vm_of(struct azcpu *a, const char *id)
{
    if ((a->nvms + 1) * 2 > a->nslots && rehash(a))
        return NULL;
    size_t h = fnv1a(id) & (a->nslots - 1);
    for (; a->slots[h]; h = (h + 1) & (a->nslots - 1))
        if (!strcmp(a->vms[a->slots[h] - 1].id, id))
            return &a->vms[a->slots[h] - 1];
    if (a->nvms == a->capvms) {
        size_t cap = a->capvms ? 2 * a->capvms : 256;
        struct azvm *v = realloc(a->vms, cap * sizeof *v);
        if (!v)
            return NULL;
        a->vms = v;
        a->capvms = cap;
    }
    struct azvm *v = &a->vms[a->nvms];
    memset(v, 0, sizeof *v);
    if (!(v->id = strdup(id)))
        return NULL;
    a->slots[h] = ++a->nvms;
    return v;
}

static int add_reading(struct azvm *v, uint64_t t, double u)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        struct reading *r = realloc(v->r, cap * sizeof *r);
        if (!r)
            return -1;
        v->r = r;
        v->cap = cap;
    }
    v->r[v->n++] = (struct reading){t, u};
    return 0;
}

static int cpu_row(wl_source_t *s, struct azcpu *a, char *l)
{
    char *f[6];
    double lo, hi, avg;
    uint64_t t;
    int rc = wl__f_count(s, wl__split(l, ',', f, 5), 5);
    if (!rc && !f[1][0])
        rc = wl__bad(s, "vmid", "empty");
    if (rc || (rc = wl__f_time(s, f[0], "timestamp", 1e9, &t)) ||
        (rc = pct(s, f[2], "mincpu", &lo)) ||
        (rc = pct(s, f[3], "maxcpu", &hi)) ||
        (rc = pct(s, f[4], "avgcpu", &avg)) ||
        (rc = wl__f_mono(s, &a->last_t, t, "timestamp")))
        return rc;
    wl__saw(s, t);
    struct azvm *v = vm_of(a, f[1]);
    if (!v || add_reading(v, t, avg / 100))
        return wl__fail(s, "%s: out of memory", s->path);
    return 0;
}

/* The series of @v: each reading fills its 5-minute slot, gaps idle. */
static int vm_series(const struct azvm *v, struct wl_series *ser)
{
    for (size_t i = 0; i < v->n; i++) {
        double gap =
            i + 1 < v->n ? (double)(v->r[i + 1].t - v->r[i].t) : SLOT_NS;
        if (gap <= 0)
            continue;
        double busy = fmin(gap, SLOT_NS);
        if (wl__series_push(ser, busy, v->r[i].u) ||
            (gap > busy && wl__series_push(ser, gap - busy, 0)))
            return -1;
    }
    return 0;
}

static int emit(wl_source_t *s, struct azcpu *a, struct wl_vmb *b)
{
    struct azvm *v = &a->vms[a->emitted];
    struct wl_series ser = {0};
    b->id = a->emitted++;
    b->trace_ns = v->r[0].t;
    wl__vmb_vcpus(s, b, s->o.vcpus ? s->o.vcpus : 1);
    int rc = vm_series(v, &ser) || wl__vmb_series(s, b, &ser);
    wl__series_free(&ser);
    free(v->r);
    v->r = NULL;
    return rc ? wl__fail(s, "%s: out of memory", s->path) : 1;
}

static int azcpu_next(wl_source_t *s, struct wl_vmb *b)
{
    struct azcpu *a = s->fs;
    char *l;
    size_t len;
    int rc;
    while (!a->read_all && (rc = wl__line(s, &l, &len)) != 0) {
        if (rc < 0 || (len && cpu_row(s, a, l) < 0))
            return -1;
    }
    a->read_all = true;
    return a->emitted < a->nvms ? emit(s, a, b) : 0;
}

const struct wl_reader wl__azure_cpu = {
    .fmt = WL_FMT_AZURE_CPU,
    .name = "azure-cpu",
    .has_vms = true,
    .sorted = true,
    .open = azcpu_open,
    .next = azcpu_next,
    .close = azcpu_close,
};
