// SPDX-License-Identifier: GPL-3.0-or-later
/* The property-test harness: a deterministic environment for one core
 * (kicks, preemptions, slice expiry), random cases from GSL generators,
 * replay, and shrinking of failing cases. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/core_batch.h" /* vcpu__core_vm_release */
#include "harness.h"

#define MAX_SETTLE_ROUNDS 1000000u

struct drv {
    vcpu_core_t *core;
    vcpu_topo_t *topo;
    unsigned npcpus;
    vcpu_time_t now;
    /* pending kicks and preempts, deduplicated by flags */
    vcpu_pcpu_t *kicks, *preempts;
    unsigned nkicks, npreempts;
    bool *kicked, *preempted;
    /* live VMs in creation order */
    vcpu_vm_t *vms;
    unsigned nvms, cap_vms;
    bool recycle; /* VCPU_CORE_RECYCLE: removed VMs' ids are released */
    FILE *trace;
    char *trace_buf;
    size_t trace_len;
    bool failed;
    char err[2048];
};

static void fail(struct drv *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct drv *d, const char *fmt, ...)
{
    if (d->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    d->failed = true;
}

/* ---- environment callbacks ------------------------------------------- */

static void env_kick(void *arg, vcpu_pcpu_t p)
{
    struct drv *d = arg;
    if (!d->kicked[p]) {
        d->kicked[p] = true;
        d->kicks[d->nkicks++] = p;
    }
}

static void env_preempt(void *arg, vcpu_pcpu_t p)
{
    struct drv *d = arg;
    if (!d->preempted[p]) {
        d->preempted[p] = true;
        d->preempts[d->npreempts++] = p;
    }
}

static void env_trace(void *arg, const struct vcpu_trace_rec *r)
{
    struct drv *d = arg;
    char line[128];
    if (d->trace && vcpu_trace_format(r, line, sizeof line) > 0)
        fputs(line, d->trace);
}

static void env_log(void *arg, const char *line)
{
    (void)arg;
    (void)line; /* reports come back through vcpu_core_error() */
}

static const struct vcpu_core_env drv_env = {
    .abi = VCPU_CORE_ABI,
    .kick = env_kick,
    .preempt = env_preempt,
    .trace = env_trace,
    .log = env_log,
};

/* ---- lifecycle --------------------------------------------------------- */

static int alloc_drv(struct drv *d)
{
    unsigned p = d->npcpus;
    d->kicks = calloc(p, sizeof *d->kicks);
    d->preempts = calloc(p, sizeof *d->preempts);
    d->kicked = calloc(p, sizeof *d->kicked);
    d->preempted = calloc(p, sizeof *d->preempted);
    return d->kicks && d->preempts && d->kicked && d->preempted ? 0
                                                                : VCPU_ENOMEM;
}

int drv_create(const struct drv_opts *o, struct drv **out, char *err,
               size_t errlen)
{
    *out = NULL;
    struct drv *d = calloc(1, sizeof *d);
    if (!d)
        return VCPU_ENOMEM;
    int rc = o->topo_obj ? 0 : vcpu_topo_load(o->topo, &d->topo);
    if (o->topo_obj)
        d->topo = vcpu_topo_ref((vcpu_topo_t *)o->topo_obj);
    if (rc) {
        snprintf(err, errlen, "topology '%s': %s", o->topo, vcpu_strerror(rc));
        free(d);
        return rc;
    }
    d->npcpus = vcpu_topo_npcpus(d->topo);
    if ((rc = alloc_drv(d)))
        goto fail;
    if (o->keep_trace)
        d->trace = open_memstream(&d->trace_buf, &d->trace_len);
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI,
        .topo = d->topo,
        .ops = o->ops,
        .policy_args = o->args,
        .seed = o->seed,
        .slice_ns = o->slice_ns ? o->slice_ns : 1000000,
        /* half the cases recycle the ids of removed VMs */
        .flags = VCPU_CORE_CHECK | (o->seed & 1 ? VCPU_CORE_RECYCLE : 0),
        .env = &drv_env,
        .env_arg = d,
    };
    d->recycle = o->seed & 1;
    if ((rc = vcpu_core_create(&a, &d->core))) {
        snprintf(err, errlen, "core: %s", vcpu_strerror(rc));
        goto fail;
    }
    *out = d;
    return 0;
fail:
    drv_destroy(d);
    return rc;
}

void drv_destroy(struct drv *d)
{
    if (!d)
        return;
    vcpu_core_destroy(d->core);
    if (d->trace)
        fclose(d->trace);
    free(d->trace_buf);
    vcpu_topo_unref(d->topo);
    free(d->kicks);
    free(d->preempts);
    free(d->kicked);
    free(d->preempted);
    free(d->vms);
    free(d);
}

vcpu_core_t *drv_core(struct drv *d)
{
    return d->core;
}

const vcpu_topo_t *drv_topo(const struct drv *d)
{
    return d->topo;
}

vcpu_time_t drv_now(const struct drv *d)
{
    return d->now;
}

const char *drv_trace(const struct drv *d, size_t *len)
{
    if (d->trace)
        fflush(d->trace);
    if (len)
        *len = d->trace_len;
    return d->trace_buf ? d->trace_buf : "";
}

const char *drv_error(const struct drv *d)
{
    return d->err;
}

bool drv_failed(const struct drv *d)
{
    return d->failed;
}

/* ---- settling and time ------------------------------------------------ */

/* A core call's result: invariant reports fail the driver. */
static int note(struct drv *d, int rc, const char *what)
{
    if (rc == VCPU_EINVARIANT)
        fail(d, "%s: %s", what, vcpu_core_error(d->core));
    return rc;
}

int drv_settle(struct drv *d)
{
    unsigned rounds = 0;
    while ((d->nkicks || d->npreempts) && !d->failed) {
        if (++rounds > MAX_SETTLE_ROUNDS) {
            fail(d, "kicks never settle at t=%" PRIu64 " (livelock)", d->now);
            return VCPU_EINVARIANT;
        }
        if (d->npreempts) {
            vcpu_pcpu_t p = d->preempts[--d->npreempts];
            d->preempted[p] = false;
            note(d, vcpu_core_preempt(d->core, d->now, p), "preempt");
            continue;
        }
        vcpu_pcpu_t p = d->kicks[--d->nkicks];
        d->kicked[p] = false;
        vcpu_id_t v;
        int rc = vcpu_core_pick(d->core, d->now, p, &v, NULL);
        if (rc != VCPU_ENODEV && rc != VCPU_EBUSY)
            note(d, rc, "pick");
    }
    if (d->failed)
        return VCPU_EINVARIANT;
    return note(d, vcpu_core_check_settled(d->core), "settled");
}

/* Earliest slice end at or before @limit among busy pCPUs. */
static vcpu_pcpu_t next_expiry(struct drv *d, vcpu_time_t limit,
                               vcpu_time_t *when)
{
    vcpu_pcpu_t best = VCPU_NONE;
    for (vcpu_pcpu_t p = 0; p < d->npcpus; p++) {
        if (vcpu_core_pcpu_curr(d->core, p) == VCPU_NONE)
            continue;
        vcpu_time_t e = vcpu_core_slice_end(d->core, p);
        if (e <= limit && (best == VCPU_NONE || e < *when)) {
            best = p;
            *when = e;
        }
    }
    return best;
}

int drv_advance(struct drv *d, uint64_t dt_ns)
{
    vcpu_time_t target = d->now + dt_ns;
    for (unsigned guard = 0; !d->failed; guard++) {
        vcpu_time_t when = 0;
        vcpu_pcpu_t p = next_expiry(d, target, &when);
        if (p == VCPU_NONE)
            break;
        if (guard > 10000000u) {
            fail(d, "slices never end before t=%" PRIu64, target);
            break;
        }
        if (when > d->now)
            d->now = when;
        note(d, vcpu_core_tick(d->core, d->now, p, NULL), "tick");
        drv_settle(d);
    }
    if (!d->failed)
        d->now = target;
    return d->failed ? VCPU_EINVARIANT : 0;
}

/* ---- wrappers ----------------------------------------------------------- */

static int settled(struct drv *d, int rc, const char *what)
{
    note(d, rc, what);
    if (!d->failed)
        drv_settle(d);
    return d->failed ? VCPU_EINVARIANT : rc;
}

int drv_vm_add(struct drv *d, const struct vcpu_vm_attr *a, vcpu_vm_t *vm)
{
    int rc = vcpu_core_vm_add(d->core, d->now, a, vm);
    if (rc == 0) {
        if (d->nvms == d->cap_vms) {
            d->cap_vms = d->cap_vms ? 2 * d->cap_vms : 8;
            d->vms = realloc(d->vms, d->cap_vms * sizeof *d->vms);
        }
        d->vms[d->nvms++] = *vm;
    }
    return settled(d, rc, "vm_add");
}

int drv_vcpu_add(struct drv *d, vcpu_vm_t vm, vcpu_id_t *v)
{
    return settled(d, vcpu_core_vcpu_add(d->core, d->now, vm, v), "vcpu_add");
}

int drv_wake(struct drv *d, vcpu_id_t v)
{
    return settled(d, vcpu_core_wake(d->core, d->now, v), "wake");
}

int drv_block(struct drv *d, vcpu_id_t v)
{
    return settled(d, vcpu_core_block(d->core, d->now, v), "block");
}

int drv_yield(struct drv *d, vcpu_id_t v)
{
    return settled(d, vcpu_core_yield(d->core, d->now, v), "yield");
}

int drv_exit(struct drv *d, vcpu_id_t v)
{
    return settled(d, vcpu_core_exit(d->core, d->now, v), "exit");
}

int drv_pcpu_online(struct drv *d, vcpu_pcpu_t p, bool online)
{
    return settled(d, vcpu_core_pcpu_set_online(d->core, d->now, p, online),
                   online ? "online" : "offline");
}

int drv_pcpu_speed(struct drv *d, vcpu_pcpu_t p, uint32_t speed)
{
    return settled(d, vcpu_core_pcpu_set_speed(d->core, d->now, p, speed),
                   "speed");
}

int drv_suspend(struct drv *d, vcpu_id_t v)
{
    return settled(d, vcpu_core_suspend(d->core, d->now, v), "suspend");
}

int drv_resume(struct drv *d, vcpu_id_t v)
{
    return settled(d, vcpu_core_resume(d->core, d->now, v), "resume");
}

int drv_set_policy(struct drv *d, const struct vcpu_policy_ops *ops)
{
    return settled(d, vcpu_core_set_policy(d->core, d->now, ops, NULL),
                   "set_policy");
}

int drv_vm_remove(struct drv *d, vcpu_vm_t vm)
{
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(d->core) && !d->failed; v++)
        if (vcpu_core_vcpu_vm(d->core, v) == vm &&
            vcpu_core_vcpu_state(d->core, v) != VP_VCPU_EXITED)
            drv_exit(d, v);
    int rc = settled(d, vcpu_core_vm_remove(d->core, d->now, vm), "vm_remove");
    /* as the runtime's join does: a later vm_add may take the id again */
    if (rc == 0 && d->recycle)
        rc = settled(d, vcpu__core_vm_release(d->core, vm), "vm_release");
    for (unsigned i = 0; rc == 0 && i < d->nvms; i++)
        if (d->vms[i] == vm) {
            memmove(d->vms + i, d->vms + i + 1,
                    (d->nvms - i - 1) * sizeof *d->vms);
            d->nvms--;
            break;
        }
    return rc;
}

unsigned drv_nvms(const struct drv *d)
{
    return d->nvms;
}

vcpu_vm_t drv_vm_at(const struct drv *d, unsigned k)
{
    return k < d->nvms ? d->vms[k] : VCPU_NONE;
}

unsigned drv_count_state(const struct drv *d, unsigned state)
{
    unsigned n = 0;
    for (vcpu_id_t v = 0; v < vcpu_core_nvcpus(d->core); v++)
        n += vcpu_core_vcpu_state(d->core, v) == state;
    return n;
}

unsigned drv_count_online(const struct drv *d)
{
    unsigned n = 0;
    for (vcpu_pcpu_t p = 0; p < d->npcpus; p++)
        n += vcpu_core_pcpu_state(d->core, p) == VP_PCPU_ONLINE;
    return n;
}
