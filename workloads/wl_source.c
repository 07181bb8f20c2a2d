// SPDX-License-Identifier: GPL-3.0-or-later
/* A source of VM arrivals: opens a trace with its format's reader, applies
 * the window, the sampling and the time scale, puts VMs in arrival order
 * through a bounded reorder heap, and keeps the counters and the header
 * metadata. The generators (wl_gen.c) plug into the same pull loop. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "wl_internal.h"

/* Defined in wl_gen.c: the generator's next VM (1) or 0 at its end. */
int wl__gen_next(wl_source_t *s, struct wl_vmb *b);
void wl__gen_free(wl_source_t *s);

static const struct wl_reader *const readers[WL_FMT_COUNT] = {
    [WL_FMT_SWF] = &wl__swf,
    [WL_FMT_AZURE_VMTABLE] = &wl__azure_vmtable,
    [WL_FMT_AZURE_CPU] = &wl__azure_cpu,
    [WL_FMT_GOOGLE_TASK] = &wl__google_task,
    [WL_FMT_GOOGLE_JOB] = &wl__google_job,
    [WL_FMT_GOOGLE_MACHINE] = &wl__google_machine,
    [WL_FMT_GOOGLE_USAGE] = &wl__google_usage,
    [WL_FMT_ALIBABA_META] = &wl__alibaba_meta,
    [WL_FMT_ALIBABA_USAGE] = &wl__alibaba_usage,
    [WL_FMT_BITBRAINS] = &wl__bitbrains,
    [WL_FMT_PLANETLAB] = &wl__planetlab,
    [WL_FMT_VTRACE] = &wl__vtrace,
};

struct wl_slot {
    struct wl_vm vm;
    uint64_t seq;
    char name[160];
    struct wl_phase ph[];
};

/* The reorder heap holds at most opts.reorder VMs and about this many
 * bytes of them, so that long per-VM series cannot make it grow. */
#define REORDER_BYTES (4u << 20)

static size_t slot_bytes(const struct wl_slot *x)
{
    return sizeof *x + x->vm.nphases * sizeof x->ph[0];
}

const char *wl_format_name(enum wl_format f)
{
    if (f == WL_FMT_AUTO)
        return "auto";
    return f > 0 && f < WL_FMT_COUNT ? readers[f]->name : "?";
}

int wl_format_parse(const char *name)
{
    for (int f = 0; f < WL_FMT_COUNT; f++)
        if (!strcmp(name, wl_format_name((enum wl_format)f)))
            return f;
    return -1;
}

bool wl_format_has_vms(enum wl_format f)
{
    return f > 0 && f < WL_FMT_COUNT && readers[f]->has_vms;
}

/* ---- options ------------------------------------------------------------ */

static int check_opts(struct wl_opts *o, char *err, size_t errlen)
{
    if (o->sample == 0)
        o->sample = 1;
    if (o->scale == 0)
        o->scale = 1;
    if (!(o->sample > 0 && o->sample <= 1)) {
        snprintf(err, errlen, "sample: %g is not in (0, 1]", o->sample);
        return -1;
    }
    if (!(o->scale > 0 && o->scale < 1e12)) {
        snprintf(err, errlen, "scale: %g is not a positive factor", o->scale);
        return -1;
    }
    if (o->end_ns && o->end_ns <= o->start_ns) {
        snprintf(err, errlen, "window: the end is not after the start");
        return -1;
    }
    o->max_vcpus = o->max_vcpus ? o->max_vcpus : 4096;
    o->cores_per_unit = o->cores_per_unit > 0 ? o->cores_per_unit : 32;
    o->mem_per_unit_mb = o->mem_per_unit_mb > 0 ? o->mem_per_unit_mb : 131072;
    o->lookahead_ns = o->lookahead_ns ? o->lookahead_ns : 3600 * 1000000000ull;
    o->reorder = o->reorder ? o->reorder : 256;
    o->max_phases = o->max_phases ? o->max_phases : 4096;
    return 0;
}

/* The file's stem with characters other than [A-Za-z0-9_.-] as '_'. */
static char *default_prefix(const char *path)
{
    const char *b = path;
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    for (size_t i = 0; i + 1 < len; i++)
        if (path[i] == '/')
            b = path + i + 1;
    char *p = strndup(b, len - (size_t)(b - path));
    if (!p)
        return NULL;
    static const char *const ext[] = {".gz", ".csv", ".swf", ".txt"};
    for (unsigned i = 0; i < 4; i++) {
        size_t n = strlen(p), e = strlen(ext[i]);
        if (n > e && !strcasecmp(p + n - e, ext[i]))
            p[n - e] = '\0';
    }
    for (char *c = p; *c; c++)
        if (!strchr("_-.", *c) && !(*c >= '0' && *c <= '9') &&
            !((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z'))
            *c = '_';
    return p;
}

static wl_source_t *source_new(const struct wl_opts *o)
{
    wl_source_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (o)
        s->o = *o;
    s->o.abi = WL_ABI;
    s->o.prefix = NULL;
    return s;
}

static int sampling_rng(wl_source_t *s)
{
    if (s->o.sample >= 1)
        return 0;
    if (!(s->rng = gsl_rng_alloc(gsl_rng_mt19937)))
        return -1;
    gsl_rng_set(s->rng, s->o.seed);
    return 0;
}

static int open_reader(wl_source_t *s, const char *path, char *err,
                       size_t errlen)
{
    enum wl_format f = s->o.format;
    if (f == WL_FMT_AUTO && wl_detect(path, &f, err, errlen))
        return -1;
    if (f <= 0 || f >= WL_FMT_COUNT) {
        snprintf(err, errlen, "%s: format: unknown", path);
        return -1;
    }
    s->o.format = f;
    s->rd = readers[f];
    struct stat st;
    if (!stat(path, &st) && S_ISDIR(st.st_mode) && !s->rd->folder) {
        snprintf(err, errlen,
                 "%s: a folder: only bitbrains and planetlab traces are "
                 "read as folders",
                 path);
        return -1;
    }
    if (s->rd->open(s)) {
        snprintf(err, errlen, "%s", s->err);
        return -1;
    }
    return 0;
}

int wl_open(const char *path, const struct wl_opts *o, wl_source_t **out,
            char *err, size_t errlen)
{
    *out = NULL;
    wl_source_t *s = source_new(o);
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    char msg[512];
    int rc = check_opts(&s->o, msg, sizeof msg);
    if (rc)
        snprintf(err, errlen, "%s: %s", path, msg);
    else if (!(s->path = strdup(path)) ||
             !(s->prefix =
                   o && o->prefix ? strdup(o->prefix) : default_prefix(path)) ||
             sampling_rng(s))
        rc = -1, snprintf(err, errlen, "%s: out of memory", path);
    else
        rc = open_reader(s, path, err, errlen);
    if (rc) {
        wl_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

/* Shared with wl_gen.c: a source with no reader. */
wl_source_t *wl__source_for_gen(const char *prefix);
wl_source_t *wl__source_for_gen(const char *prefix)
{
    struct wl_opts o = {.abi = WL_ABI, .sample = 1, .scale = 1, .reorder = 1};
    wl_source_t *s = source_new(&o);
    if (!s)
        return NULL;
    char err[8];
    check_opts(&s->o, err, sizeof err);
    s->o.reorder = 1;
    if (!(s->prefix = strdup(prefix ? prefix : "gen"))) {
        free(s);
        return NULL;
    }
    return s;
}

/* ---- the reorder heap, keyed by (arrival, sequence) --------------------- */

static bool before(const struct wl_slot *a, const struct wl_slot *b)
{
    return a->vm.arrival_ns != b->vm.arrival_ns
               ? a->vm.arrival_ns < b->vm.arrival_ns
               : a->seq < b->seq;
}

static int heap_push(wl_source_t *s, struct wl_slot *x)
{
    if (!s->heap && !(s->heap = malloc(s->o.reorder * sizeof *s->heap)))
        return -1;
    unsigned i = s->nheap++;
    s->heap_bytes += slot_bytes(x);
    while (i && before(x, s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = x;
    return 0;
}

static struct wl_slot *heap_pop(wl_source_t *s)
{
    struct wl_slot *top = s->heap[0], *x = s->heap[--s->nheap];
    s->heap_bytes -= slot_bytes(top);
    unsigned i = 0, n = s->nheap;
    for (;;) {
        unsigned c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(s->heap[c + 1], s->heap[c]))
            c++;
        if (!before(s->heap[c], x))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (n)
        s->heap[i] = x;
    return top;
}

/* ---- from a built VM to a handed-out one -------------------------------- */

static void scale_dist(struct wl_dist *d, double k)
{
    d->a *= k;
    if (d->kind == WL_DIST_UNIFORM || d->kind == WL_DIST_NORMAL ||
        d->kind == WL_DIST_LOGNORMAL)
        d->b *= k;
}

static uint64_t scale_ns(uint64_t t, double k)
{
    if (k == 1)
        return t;
    double x = (double)t * k;
    return x >= 1.8e19 ? UINT64_MAX : (uint64_t)(x + 0.5);
}

/* "@prefix.@label" or "@prefix.@id" into @out (160 bytes), without the
 * cost of snprintf for each of millions of VMs. */
static void vm_name(const wl_source_t *s, const struct wl_vmb *b, char *out)
{
    size_t pl = strlen(s->prefix);
    pl = pl > 80 ? 80 : pl;
    memcpy(out, s->prefix, pl);
    out[pl++] = '.';
    if (b->label[0]) {
        size_t ll = strnlen(b->label, sizeof b->label - 1);
        memcpy(out + pl, b->label, ll);
        out[pl + ll] = '\0';
        return;
    }
    char digits[24];
    int n = 0;
    uint64_t v = b->id;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10));
    while (n)
        out[pl++] = digits[--n];
    out[pl] = '\0';
}

static struct wl_slot *finish(wl_source_t *s, const struct wl_vmb *b)
{
    struct wl_slot *x = malloc(sizeof *x + b->nph * sizeof x->ph[0]);
    if (!x)
        return NULL;
    double k = s->o.scale;
    memcpy(x->ph, b->ph, b->nph * sizeof x->ph[0]);
    for (unsigned i = 0; i < b->nph && k != 1; i++)
        scale_dist(&x->ph[i].d, k);
    vm_name(s, b, x->name);
    x->seq = s->seq++;
    x->vm = (struct wl_vm){
        .id = b->id,
        .name = x->name,
        .arrival_ns = scale_ns(b->trace_ns - s->o.start_ns, k),
        .trace_ns = b->trace_ns,
        .lifetime_ns = scale_ns(b->lifetime_ns, k),
        .memory_mb = b->memory_mb,
        .group = b->group,
        .vcpus = b->vcpus ? b->vcpus : 1,
        .nphases = b->nph,
        .loops = b->loops,
        .phases = x->ph,
        .line = b->line,
    };
    return x;
}

/* ---- the pull loop ------------------------------------------------------ */

static void input_done(wl_source_t *s)
{
    s->state = 1;
    if (!s->gen && !s->st.records && !s->st.errors && s->rd)
        wl__bad_at(s, 0, "records", "none (an empty file?)");
}

/* Read one VM into the heap: 1, 0 (left out), 2 (input done), -1. */
static int pull(wl_source_t *s)
{
    struct wl_vmb *b = &s->b;
    wl__vmb_reset(b);
    int rc = s->gen ? wl__gen_next(s, b) : s->rd->next(s, b);
    if (rc < 0 || s->state < 0)
        return -1;
    if (rc == 0) {
        input_done(s);
        return s->state < 0 ? -1 : 2;
    }
    if (b->trace_ns < s->o.start_ns ||
        (s->o.end_ns && b->trace_ns >= s->o.end_ns)) {
        s->st.filtered++;
        if (s->o.end_ns && b->trace_ns >= s->o.end_ns && s->rd && s->rd->sorted)
            return 2; /* nothing later can be inside the window */
        return 0;
    }
    if (s->rng && gsl_rng_uniform(s->rng) >= s->o.sample) {
        s->st.filtered++;
        return 0;
    }
    struct wl_slot *x = finish(s, b);
    if (!x || heap_push(s, x)) {
        free(x);
        return wl__fail(s, "%s: out of memory", s->path ? s->path : "gen");
    }
    return 1;
}

int wl_next(wl_source_t *s, struct wl_vm *vm)
{
    free(s->out);
    s->out = NULL;
    unsigned hold = s->rd && !s->rd->sorted ? s->o.reorder : 1;
    while (s->state == 0 && s->nheap < hold && s->heap_bytes < REORDER_BYTES) {
        int rc = pull(s);
        if (rc < 0)
            return -1;
        if (rc == 2 && s->state == 0)
            s->state = 1;
    }
    if (s->state < 0)
        return -1;
    if (!s->nheap) {
        s->state = 2;
        return 0;
    }
    struct wl_slot *x = heap_pop(s);
    if (x->vm.arrival_ns < s->last_arrival) {
        x->vm.arrival_ns = s->last_arrival;
        s->st.late++;
    }
    s->last_arrival = x->vm.arrival_ns;
    s->st.vms++;
    s->out = x;
    *vm = x->vm;
    return 1;
}

/* ---- accessors ---------------------------------------------------------- */

const char *wl_error(const wl_source_t *s)
{
    return s->err;
}

const struct wl_stats *wl_stats(const wl_source_t *s)
{
    return &s->st;
}

enum wl_format wl_source_format(const wl_source_t *s)
{
    return s->o.format;
}

const char *wl_meta(const wl_source_t *s, const char *label)
{
    for (unsigned i = 0; i < s->nmeta; i++)
        if (!strcasecmp(s->meta[i].label, label))
            return s->meta[i].value;
    return NULL;
}

bool wl_meta_at(const wl_source_t *s, unsigned i, const char **label,
                const char **value)
{
    if (i >= s->nmeta)
        return false;
    *label = s->meta[i].label;
    *value = s->meta[i].value;
    return true;
}

void wl_close(wl_source_t *s)
{
    if (!s)
        return;
    if (s->rd && s->rd->close)
        s->rd->close(s);
    wl__gen_free(s);
    if (s->in_open)
        wl__lines_close(&s->in);
    while (s->nheap)
        free(heap_pop(s));
    free(s->heap);
    free(s->out);
    for (unsigned i = 0; i < s->nmeta; i++) {
        free(s->meta[i].label);
        free(s->meta[i].value);
    }
    free(s->meta);
    for (unsigned i = 0; i < s->nfiles; i++)
        free(s->files[i]);
    free(s->files);
    free(s->b.ph);
    if (s->rng)
        gsl_rng_free(s->rng);
    free(s->path);
    free(s->prefix);
    free(s);
}
