// SPDX-License-Identifier: GPL-3.0-or-later
/* Workload sources as the model's arrival stream: the scenario's vms (in
 * start order) and each of its sources (one VM looked ahead per source)
 * merged by time; ties go to the vms list, then to sources in file order.
 * Each VM handed out is copied into an arena that lives as long as the
 * model, because the model borrows its spec, name and phases. */
#include <stdlib.h>
#include <string.h>

#include "feed.h"

_Static_assert((int)WL_PH_LOCK == (int)SIM_PH_LOCK &&
                   (int)WL_PH_BARRIER == (int)SIM_PH_BARRIER &&
                   (int)WL_DIST_WEIBULL == (int)SIM_DIST_WEIBULL &&
                   (int)WL_DIST_LOGNORMAL == (int)SIM_DIST_LOGNORMAL,
               "wl and sim phase and distribution kinds must match");

#define CHUNK (1u << 20)

struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

struct feed_src {
    const struct sim_src_spec *spec;
    wl_source_t *wl;
    struct sim_arrival pending;
    bool has, done;
    /* count > 1: the VMs arriving at one instant, handed out once each,
     * then again (replica 1), ... so replicas do not arrive side by side */
    struct sim_arrival *batch;
    unsigned nbatch, cap, bpos, rep;
    struct sim_arrival carry; /* read ahead: first of the next instant */
    bool has_carry;
    unsigned shown; /* problems printed */
    struct sim_feed *feed;
};

struct sim_feed {
    const struct sim_scenario *scn;
    unsigned *order; /* vms entries by start time */
    unsigned pos, replica;
    struct feed_src *src;
    unsigned nsrc;
    struct chunk *arena;
    size_t arena_bytes;
    FILE *log;
    char err[600];
};

/* ---- arena -------------------------------------------------------------- */

static void *arena_alloc(struct sim_feed *f, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct chunk *c = f->arena;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK ? n : CHUNK;
        if (!(c = malloc(sizeof *c + cap)))
            return NULL;
        c->next = f->arena;
        c->used = 0;
        c->cap = cap;
        f->arena = c;
        f->arena_bytes += sizeof *c + cap;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static const struct sim_vm_spec *
to_spec(struct sim_feed *f, const struct feed_src *s, const struct wl_vm *vm)
{
    size_t nlen = strlen(vm->name) + 1;
    size_t ph = vm->nphases * sizeof(struct sim_phase);
    struct sim_vm_spec *sp = arena_alloc(f, sizeof *sp + ph + nlen);
    if (!sp)
        return NULL;
    struct sim_phase *phases = (struct sim_phase *)(sp + 1);
    char *name = (char *)(phases + vm->nphases);
    memcpy(name, vm->name, nlen);
    for (unsigned i = 0; i < vm->nphases; i++) {
        const struct wl_phase *w = &vm->phases[i];
        phases[i] = (struct sim_phase){
            .kind = w->kind,
            .d = {.kind = w->d.kind, .a = w->d.a, .b = w->d.b},
            .lock_id = w->lock_id,
        };
    }
    *sp = (struct sim_vm_spec){
        .name = name,
        .count = 1,
        .vcpus = vm->vcpus,
        .weight = 100,
        .host = s->spec->host,
        .start_ns = vm->arrival_ns,
        .wl = {.phases = phases, .nphases = vm->nphases, .loops = vm->loops},
        .mem_mb = vm->memory_mb ? vm->memory_mb : s->spec->mem_mb,
        .group = (uint32_t)vm->group,
        .line = s->spec->line,
    };
    return sp;
}

/* ---- sources ------------------------------------------------------------ */

static void on_problem(void *arg, const char *msg)
{
    struct feed_src *s = arg;
    if (s->feed->log && s->shown++ < 3)
        fprintf(s->feed->log, "vcpusim: %s%s\n", msg,
                s->spec->opts.fatal ? "" : " (skipped)");
}

static uint64_t derive_seed(uint64_t seed, unsigned i)
{
    uint64_t x = seed + 0x9e3779b97f4a7c15ull * (i + 1);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    return x ^ (x >> 31);
}

static int open_src(struct sim_feed *f, unsigned i, uint64_t seed, char *err,
                    size_t errlen)
{
    struct feed_src *s = &f->src[i];
    const struct sim_src_spec *sp = &f->scn->sources[i];
    s->spec = sp;
    s->feed = f;
    if (sp->kind == SIM_SRC_GEN) {
        struct wl_gen g = sp->gen;
        g.prefix = sp->name;
        g.seed = sp->seeded ? g.seed : derive_seed(seed, i);
        return wl_gen_open(&g, &s->wl, err, errlen);
    }
    struct wl_opts o = sp->opts;
    o.prefix = sp->name;
    o.seed = sp->seeded ? o.seed : derive_seed(seed, i);
    o.report = on_problem;
    o.report_arg = s;
    return wl_open(sp->path, &o, &s->wl, err, errlen);
}

/* The next VM of @s's trace or generator: 1, 0 at its end, -1 (f->err). */
static int read_one(struct sim_feed *f, struct feed_src *s,
                    struct sim_arrival *out)
{
    struct wl_vm vm;
    int rc = wl_next(s->wl, &vm);
    if (rc < 0) {
        snprintf(f->err, sizeof f->err, "%s", wl_error(s->wl));
        return -1;
    }
    if (rc == 0)
        return 0;
    const struct sim_vm_spec *sp = to_spec(f, s, &vm);
    if (!sp) {
        snprintf(f->err, sizeof f->err, "%s: out of memory", vm.name);
        return -1;
    }
    *out = (struct sim_arrival){sp, vm.arrival_ns, s->spec->host, 0};
    return 1;
}

/* A source with count > 1: read every VM of the next instant. */
static int read_batch(struct sim_feed *f, struct feed_src *s)
{
    s->nbatch = s->bpos = s->rep = 0;
    for (;;) {
        struct sim_arrival a;
        int rc = s->has_carry ? 1 : read_one(f, s, &a);
        if (rc < 0)
            return -1;
        if (s->has_carry) {
            a = s->carry;
            s->has_carry = false;
        }
        if (rc == 0)
            return 0;
        if (s->nbatch && a.time_ns != s->batch[0].time_ns) {
            s->carry = a;
            s->has_carry = true;
            return 0;
        }
        if (s->nbatch == s->cap) {
            unsigned cap = s->cap ? 2 * s->cap : 64;
            struct sim_arrival *b = realloc(s->batch, cap * sizeof *b);
            if (!b) {
                snprintf(f->err, sizeof f->err, "out of memory");
                return -1;
            }
            s->batch = b;
            s->cap = cap;
        }
        s->batch[s->nbatch++] = a;
    }
}

/* Look one VM ahead in @s: 0, or -1 (f->err set). */
static int refill(struct sim_feed *f, struct feed_src *s)
{
    if (s->has || s->done)
        return 0;
    unsigned count = s->spec->count ? s->spec->count : 1;
    if (count == 1) {
        int rc = read_one(f, s, &s->pending);
        if (rc < 0)
            return -1;
        s->done = rc == 0;
        s->has = rc == 1;
        return 0;
    }
    if (s->bpos == s->nbatch) {
        if (s->nbatch && s->rep + 1 < count) {
            s->bpos = 0; /* this instant's VMs again */
            s->rep++;
        } else if (read_batch(f, s)) {
            return -1;
        }
    }
    if (!s->nbatch) {
        s->done = true;
        return 0;
    }
    s->pending = s->batch[s->bpos++];
    s->pending.replica = s->rep;
    s->has = true;
    return 0;
}

/* ---- the stream --------------------------------------------------------- */

static int feed_next(void *arg, struct sim_arrival *out)
{
    struct sim_feed *f = arg;
    const struct sim_scenario *scn = f->scn;
    const struct sim_vm_spec *v =
        f->pos < scn->nvms ? &scn->vms[f->order[f->pos]] : NULL;
    struct feed_src *best = NULL;
    for (unsigned i = 0; i < f->nsrc; i++) {
        struct feed_src *s = &f->src[i];
        if (refill(f, s))
            return -1;
        if (s->has && (!best || s->pending.time_ns < best->pending.time_ns))
            best = s;
    }
    if (v && (!best || v->start_ns <= best->pending.time_ns)) {
        *out = (struct sim_arrival){v, v->start_ns, v->host, f->replica++};
        if (f->replica >= (v->count ? v->count : 1)) {
            f->pos++;
            f->replica = 0;
        }
        return 1;
    }
    if (!best)
        return 0;
    *out = best->pending;
    best->has = false;
    return 1;
}

static int by_start(const void *a, const void *b, void *arg)
{
    const struct sim_vm_spec *v = arg;
    unsigned i = *(const unsigned *)a, j = *(const unsigned *)b;
    if (v[i].start_ns != v[j].start_ns)
        return v[i].start_ns < v[j].start_ns ? -1 : 1;
    return i < j ? -1 : 1;
}

int sim_feed_create(const struct sim_scenario *s, uint64_t seed, FILE *log,
                    struct sim_feed **out, char *err, size_t errlen)
{
    *out = NULL;
    struct sim_feed *f = calloc(1, sizeof *f);
    if (!f || (s->nvms && !(f->order = malloc(s->nvms * sizeof *f->order))) ||
        (s->nsources && !(f->src = calloc(s->nsources, sizeof *f->src)))) {
        sim_feed_destroy(f);
        snprintf(err, errlen, "%s: out of memory", s->file);
        return -1;
    }
    f->scn = s;
    f->log = log;
    for (unsigned i = 0; i < s->nvms; i++)
        f->order[i] = i;
    if (s->nvms)
        qsort_r(f->order, s->nvms, sizeof *f->order, by_start, s->vms);
    for (unsigned i = 0; i < s->nsources; i++) {
        f->nsrc = i + 1;
        if (open_src(f, i, seed, err, errlen)) {
            sim_feed_destroy(f);
            return -1;
        }
    }
    *out = f;
    return 0;
}

struct sim_source sim_feed_source(struct sim_feed *f)
{
    return (struct sim_source){feed_next, f};
}

const char *sim_feed_error(const struct sim_feed *f)
{
    return f->err[0] ? f->err : NULL;
}

size_t sim_feed_arena_bytes(const struct sim_feed *f)
{
    return f->arena_bytes;
}

void sim_feed_summary(const struct sim_feed *f, FILE *out)
{
    for (unsigned i = 0; i < f->nsrc; i++) {
        const struct feed_src *s = &f->src[i];
        if (s->spec->kind != SIM_SRC_TRACE)
            continue;
        const struct wl_stats *st = wl_stats(s->wl);
        fprintf(out,
                "vcpusim: %s (%s): %llu records, %llu VMs so far, %llu "
                "unusable, %llu left out by window/sample, %llu problems%s\n",
                s->spec->path, wl_format_name(wl_source_format(s->wl)),
                (unsigned long long)st->records, (unsigned long long)st->vms,
                (unsigned long long)st->unusable,
                (unsigned long long)st->filtered,
                (unsigned long long)st->errors, st->errors ? " (skipped)" : "");
    }
}

void sim_feed_destroy(struct sim_feed *f)
{
    if (!f)
        return;
    for (unsigned i = 0; i < f->nsrc; i++) {
        wl_close(f->src[i].wl);
        free(f->src[i].batch);
    }
    while (f->arena) {
        struct chunk *c = f->arena;
        f->arena = c->next;
        free(c);
    }
    free(f->src);
    free(f->order);
    free(f);
}
