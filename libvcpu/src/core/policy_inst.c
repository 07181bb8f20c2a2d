// SPDX-License-Identifier: LGPL-2.1-or-later
/* Installing a policy in a core: its private data, its arguments, init and
 * fini, and swapping one policy for another without losing a vCPU. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core_internal.h"
#include "place_internal.h"

/* The default policy: a table with only a name (one global FIFO). */
const struct vcpu_policy_ops vcpu__fifo_ops = {
    .abi = VCPU_POLICY_ABI,
    .name = "fifo",
    .description = "the empty ops table: one global FIFO, default slice; "
                   "ignores topology, weights and caps",
    .flags = VP_WORK_CONSERVING,
};

/* ---- arguments "k=v,k=v" ------------------------------------------------ */

static int find_param(const struct vcpu_policy_ops *o, const char *name,
                      size_t len)
{
    for (unsigned i = 0; o->params && o->params[i].name; i++)
        if (strlen(o->params[i].name) == len &&
            strncmp(o->params[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

static int parse_value(const struct vp_param *p, const char *s,
                       struct arg_val *out)
{
    char *end = NULL;
    errno = 0;
    switch (p->type) {
    case VP_PARAM_U64:
        if (*s == '-' || *s == '\0')
            return VCPU_EPARSE;
        out->u = strtoull(s, &end, 0);
        break;
    case VP_PARAM_DOUBLE:
        out->d = strtod(s, &end);
        if (end != s && !isfinite(out->d))
            return VCPU_EPARSE;
        break;
    case VP_PARAM_BOOL:
        if (!strcasecmp(s, "1") || !strcasecmp(s, "true") ||
            !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
            out->u = 1;
        else if (!strcasecmp(s, "0") || !strcasecmp(s, "false") ||
                 !strcasecmp(s, "no") || !strcasecmp(s, "off"))
            out->u = 0;
        else
            return VCPU_EPARSE;
        return 0;
    default:
        return VCPU_EPARSE;
    }
    return (errno || end == s || *end) ? VCPU_EPARSE : 0;
}

static int parse_one(struct vcpu_core *c, const struct vcpu_policy_ops *o,
                     struct arg_val *args, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq) {
        vcpu__logf(c, "policy '%s': argument '%s': expected key=value", o->name,
                   kv);
        return VCPU_EPARSE;
    }
    int i = find_param(o, kv, (size_t)(eq - kv));
    if (i < 0) {
        vcpu__logf(c, "policy '%s': unknown argument '%.*s'", o->name,
                   (int)(eq - kv), kv);
        return VCPU_EPARSE;
    }
    if (parse_value(&o->params[i], eq + 1, &args[i])) {
        vcpu__logf(c, "policy '%s': argument '%s': bad value '%s'", o->name,
                   o->params[i].name, eq + 1);
        return VCPU_EPARSE;
    }
    return 0;
}

static int parse_args(struct vcpu_core *c, const struct vcpu_policy_ops *o,
                      const char *text, struct arg_val *args)
{
    for (unsigned i = 0; o->params && o->params[i].name; i++) {
        int rc = parse_value(&o->params[i], o->params[i].def, &args[i]);
        VCPU_ASSERT(rc == 0); /* vcpu_policy_validate checked defaults */
    }
    if (!text || !*text)
        return 0;
    char *copy = strdup(text);
    if (!copy)
        return VCPU_ENOMEM;
    int rc = 0;
    char *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv && !rc;
         kv = strtok_r(NULL, ",", &save))
        rc = parse_one(c, o, args, kv);
    free(copy);
    return rc;
}

/* The same parsing for a placement core, which has no core to log to:
 * the reason goes to @err. */
int vcpu__params_parse(const struct vp_param *params, const char *who,
                       const char *text, struct arg_val *args, char *err,
                       size_t len)
{
    struct vcpu_policy_ops o = {.name = who, .params = params};
    for (unsigned i = 0; params && params[i].name; i++)
        if (parse_value(&params[i], params[i].def, &args[i]))
            return VCPU_EINVAL;
    if (!text || !*text)
        return 0;
    char *copy = strdup(text);
    if (!copy)
        return VCPU_ENOMEM;
    int rc = 0;
    char *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv && !rc;
         kv = strtok_r(NULL, ",", &save)) {
        const char *eq = strchr(kv, '=');
        int i = eq ? find_param(&o, kv, (size_t)(eq - kv)) : -1;
        if (i < 0 || parse_value(&params[i], eq + 1, &args[i])) {
            if (err && len)
                snprintf(err, len, "policy '%s': bad argument '%s'", who, kv);
            rc = VCPU_EPARSE;
        }
    }
    free(copy);
    return rc;
}

static const struct vp_param *param_named(const struct vcpu_core *c,
                                          const char *name, int *idx)
{
    const struct vcpu_policy_ops *o = c->pol.ops;
    int i = find_param(o, name, strlen(name));
    *idx = i;
    return i < 0 ? NULL : &o->params[i];
}

uint64_t vp_arg_u64(const vp_ctx_t *ctx, const char *name)
{
    const struct vcpu_core *c = (const struct vcpu_core *)ctx;
    int i;
    const struct vp_param *p = param_named(c, name, &i);
    VCPU_ASSERT(p && p->type != VP_PARAM_DOUBLE);
    return c->pol.args[i].u;
}

double vp_arg_double(const vp_ctx_t *ctx, const char *name)
{
    const struct vcpu_core *c = (const struct vcpu_core *)ctx;
    int i;
    const struct vp_param *p = param_named(c, name, &i);
    VCPU_ASSERT(p && p->type == VP_PARAM_DOUBLE);
    return c->pol.args[i].d;
}

bool vp_arg_bool(const vp_ctx_t *ctx, const char *name)
{
    return vp_arg_u64(ctx, name) != 0;
}

/* ---- private data ---------------------------------------------------- */

static int grow_data(char ***tab, unsigned n, size_t size)
{
    if (!size || n % CHUNK_SIZE)
        return 0;
    unsigned chunk = n / CHUNK_SIZE;
    char **t = vcpu__chunk_dir(*tab, chunk);
    if (!t)
        return VCPU_ENOMEM;
    *tab = t;
    t[chunk] = calloc(CHUNK_SIZE, size);
    return t[chunk] ? 0 : VCPU_ENOMEM;
}

/* Called before the vCPU table takes vCPU number c->nvcpus. */
int vcpu__policy_grow_vcpus(struct vcpu_core *c)
{
    return grow_data(&c->pol.vcpu_data, c->nvcpus, c->pol.ops->vcpu_data_size);
}

int vcpu__policy_grow_vms(struct vcpu_core *c)
{
    return grow_data(&c->pol.vm_data, c->nvms, c->pol.ops->vm_data_size);
}

static void free_data(char **tab, unsigned n)
{
    if (!tab)
        return;
    for (unsigned i = 0; i < (n + CHUNK_SIZE - 1) / CHUNK_SIZE; i++)
        free(tab[i]);
    free(tab);
}

/* Allocate a fresh instance's data for the vCPUs and VMs already there. */
static int alloc_data(struct vcpu_core *c, struct policy_inst *pi)
{
    const struct vcpu_policy_ops *o = pi->ops;
    if (o->state_size && !(pi->state = calloc(1, o->state_size)))
        return VCPU_ENOMEM;
    if (o->pcpu_data_size &&
        !(pi->pcpu_data = calloc(c->npcpus, o->pcpu_data_size)))
        return VCPU_ENOMEM;
    for (unsigned n = 0; n < c->nvcpus; n += CHUNK_SIZE)
        if (grow_data(&pi->vcpu_data, n, o->vcpu_data_size))
            return VCPU_ENOMEM;
    for (unsigned n = 0; n < c->nvms; n += CHUNK_SIZE)
        if (grow_data(&pi->vm_data, n, o->vm_data_size))
            return VCPU_ENOMEM;
    return 0;
}

static void free_inst(struct vcpu_core *c, struct policy_inst *pi)
{
    free(pi->state);
    free(pi->pcpu_data);
    free_data(pi->vcpu_data, c->nvcpus);
    free_data(pi->vm_data, c->nvms);
    free(pi->args);
    memset(pi, 0, sizeof *pi);
}

/* ---- attach / detach --------------------------------------------------- */

static int prepare(struct vcpu_core *c, struct policy_inst *pi,
                   const struct vcpu_policy_ops *o, const char *args)
{
    char msg[256];
    int rc = vcpu_policy_validate(o, msg, sizeof msg);
    if (rc) {
        vcpu__logf(c, "%s", msg);
        return rc;
    }
    memset(pi, 0, sizeof *pi);
    pi->ops = o;
    while (o->params && o->params[pi->nparams].name)
        pi->nparams++;
    pi->args = calloc(pi->nparams + 1, sizeof *pi->args);
    if (!pi->args)
        return VCPU_ENOMEM;
    if ((rc = parse_args(c, o, args, pi->args)))
        return rc;
    return alloc_data(c, pi);
}

/* Run init and tell the policy of every live VM and vCPU. */
static int start(struct vcpu_core *c)
{
    const struct vcpu_policy_ops *o = c->pol.ops;
    struct vp_init_args ia = {VCPU_POLICY_ABI, c->npcpus, c->slice_ns, c->seed};
    c->in_callback = true;
    int rc = o->init ? o->init(CTX(c), &ia) : 0;
    c->in_callback = false;
    if (rc)
        return rc > 0 ? VCPU_EPOLICY : rc;
    c->pol.inited = true;
    vcpu__lane_refresh(c);
    c->in_callback = true;
    for (unsigned vm = 0; vm < c->nvms; vm++)
        if (vm_at(c, vm)->live && o->vm_add)
            o->vm_add(CTX(c), vm);
    for (unsigned v = 0; v < c->nvcpus; v++)
        if (vcpu_at(c, v)->state != VP_VCPU_EXITED && o->vcpu_add)
            o->vcpu_add(CTX(c), v);
    c->in_callback = false;
    return 0;
}

int vcpu__policy_attach(struct vcpu_core *c, const struct vcpu_policy_ops *o,
                        const char *args)
{
    int rc = prepare(c, &c->pol, o, args);
    if (!rc)
        rc = start(c);
    if (rc) {
        free_inst(c, &c->pol);
        return rc;
    }
    return 0;
}

void vcpu__policy_detach(struct vcpu_core *c)
{
    /* Shared DSQs belong to the policy: what is queued there (or in the
     * global DSQ) waits in a list to be enqueued under the next policy. */
    c->lane = false; /* until the next policy starts */
    if (c->pol.inited && c->pol.ops->fini) {
        c->in_callback = true;
        c->pol.ops->fini(CTX(c));
        c->in_callback = false;
    }
    free_inst(c, &c->pol);
}

/* Take every vCPU queued in a shared or the global DSQ off its queue, in
 * vCPU id order (deterministic), and return how many. */
static unsigned unqueue_shared(struct vcpu_core *c, vcpu_id_t *out)
{
    unsigned n = 0;
    for (vcpu_id_t v = 0; v < c->nvcpus; v++) {
        struct vcpu_ent *e = vcpu_at(c, v);
        if (e->dsq && !(e->dsq->id & ((vp_dsq_t)1 << 63))) {
            vcpu__dsq_remove(c, v);
            out[n++] = v;
        }
    }
    return n;
}

int vcpu__policy_swap(struct vcpu_core *c, const struct vcpu_policy_ops *o,
                      const char *args)
{
    struct policy_inst next;
    int rc = prepare(c, &next, o, args);
    if (rc) {
        free_inst(c, &next);
        return rc;
    }
    vcpu_id_t *moved = malloc((c->nvcpus + 1) * sizeof *moved);
    if (!moved) {
        free_inst(c, &next);
        return VCPU_ENOMEM;
    }
    unsigned n = unqueue_shared(c, moved);
    const char *old = c->pol.ops->name;
    vcpu__policy_detach(c);
    vcpu__dsq_free_shared(c);
    c->pol = next;
    rc = start(c);
    if (rc) {
        vcpu__logf(c, "policy '%s' failed to start (%s) after '%s'", o->name,
                   vcpu_err_name(rc), old);
        free_inst(c, &c->pol);
        vcpu__dsq_free_shared(c);
        int rc2 = vcpu__policy_attach(c, &vcpu__fifo_ops, NULL);
        VCPU_ASSERT(rc2 == 0);
    }
    vcpu__emit(c, VCPU_TRACE_POLICY, VCPU_NONE, VCPU_NONE, rc);
    for (unsigned i = 0; i < n; i++)
        vcpu__enqueue(c, moved[i], VP_ENQ_REQUEUE);
    free(moved);
    /* Suspensions were the old policy's decisions: the new one starts
     * from none (an operator's suspensions stay). */
    for (vcpu_id_t v = 0; v < c->nvcpus; v++)
        if (vcpu_at(c, v)->susp & SUSP_POLICY)
            vcpu__unpark(c, v, SUSP_POLICY);
    return rc;
}
