// SPDX-License-Identifier: LGPL-2.1-or-later
/* Read-only queries of a core instance from its environment, and dump. */
#include <stdio.h>
#include <string.h>

#include "core_internal.h"

/* In VCPU_CORE_THREADSAFE mode a query takes the core's lock like any call
 * (never from an env callback, which already runs under it). */
static void rd_lock(const vcpu_core_t *c)
{
    if (__builtin_expect(c->flags & VCPU_CORE_THREADSAFE, 0))
        vcpu__lock_call((struct vcpu__lock *)&c->lock);
}

static void rd_unlock(const vcpu_core_t *c)
{
    if (__builtin_expect(c->flags & VCPU_CORE_THREADSAFE, 0))
        vcpu__unlock_call((struct vcpu__lock *)&c->lock);
}

#define LOCKED(type, c, expr)                                                  \
    do {                                                                       \
        rd_lock(c);                                                            \
        type r_ = (expr);                                                      \
        rd_unlock(c);                                                          \
        return r_;                                                             \
    } while (0)

vcpu_time_t vcpu_core_now(const vcpu_core_t *c)
{
    LOCKED(vcpu_time_t, c, c->now);
}

const char *vcpu_core_error(const vcpu_core_t *c)
{
    return c->err;
}

const char *vcpu_core_policy_name(const vcpu_core_t *c)
{
    return c->pol.ops->name;
}

unsigned vcpu_core_count_state(const vcpu_core_t *c, unsigned state)
{
    LOCKED(unsigned, c, state <= VP_VCPU_EXITED ? c->nstate[state] : 0);
}

const struct vcpu_policy_ops *vcpu_core_policy_ops(const vcpu_core_t *c)
{
    return c->pol.ops;
}

unsigned vcpu_core_npcpus(const vcpu_core_t *c)
{
    return c->npcpus;
}

unsigned vcpu_core_nvcpus(const vcpu_core_t *c)
{
    LOCKED(unsigned, c, c->nvcpus);
}

unsigned vcpu_core_vcpu_state(const vcpu_core_t *c, vcpu_id_t v)
{
    LOCKED(unsigned, c, v < c->nvcpus ? vcpu_at(c, v)->state : VP_VCPU_EXITED);
}

vcpu_vm_t vcpu_core_vcpu_vm(const vcpu_core_t *c, vcpu_id_t v)
{
    LOCKED(vcpu_vm_t, c, v < c->nvcpus ? vcpu_at(c, v)->vm : VCPU_NONE);
}

vcpu_pcpu_t vcpu_core_vcpu_pcpu(const vcpu_core_t *c, vcpu_id_t v)
{
    LOCKED(vcpu_pcpu_t, c, v < c->nvcpus ? vcpu_at(c, v)->pcpu : VCPU_NONE);
}

unsigned vcpu_core_vcpu_suspended_by(const vcpu_core_t *c, vcpu_id_t v)
{
    LOCKED(unsigned, c, v < c->nvcpus ? vcpu_at(c, v)->susp : 0);
}

bool vcpu_core_vm_allows(const vcpu_core_t *c, vcpu_vm_t vm, vcpu_pcpu_t p)
{
    LOCKED(bool, c, vm < c->nvms && p < c->npcpus && vm_allows(c, vm, p));
}

vcpu_id_t vcpu_core_pcpu_curr(const vcpu_core_t *c, vcpu_pcpu_t p)
{
    LOCKED(vcpu_id_t, c, p < c->npcpus ? c->pcpus[p].curr : VCPU_NONE);
}

unsigned vcpu_core_pcpu_state(const vcpu_core_t *c, vcpu_pcpu_t p)
{
    LOCKED(unsigned, c, p < c->npcpus ? c->pcpus[p].state : VP_PCPU_OFFLINE);
}

uint32_t vcpu_core_pcpu_speed(const vcpu_core_t *c, vcpu_pcpu_t p)
{
    LOCKED(uint32_t, c, p < c->npcpus ? c->pcpus[p].speed : 0);
}

vcpu_time_t vcpu_core_slice_end(const vcpu_core_t *c, vcpu_pcpu_t p)
{
    LOCKED(vcpu_time_t, c, p < c->npcpus ? c->pcpus[p].slice_end : 0);
}

int vcpu_core_vcpu_stats(const vcpu_core_t *c, vcpu_id_t v,
                         struct vcpu_vcpu_stats *out)
{
    if (!c || !out)
        return VCPU_EINVAL;
    rd_lock(c);
    if (v >= c->nvcpus) {
        rd_unlock(c);
        return VCPU_ESRCH;
    }
    const struct vcpu_ent *e = vcpu_at(c, v);
    const struct vcpu_counters *s = &e->st;
    *out = (struct vcpu_vcpu_stats){
        .abi = VCPU_CORE_ABI,
        .state = e->state,
        .run_ns = s->run_ns,
        .work_ns = s->work_ns,
        .wait_ns = s->wait_ns,
        .blocked_ns = s->blocked_ns,
        .suspended_ns = s->suspended_ns,
        .nr_runs = s->nr_runs,
        .nr_migrations = s->nr_migrations,
        .nr_preemptions = s->nr_preemptions,
        .nr_suspends = s->nr_suspends,
        .exit_ns = e->state == VP_VCPU_EXITED ? e->since : 0,
    };
    uint64_t d = c->now - e->since;
    switch (e->state) {
    case VP_VCPU_RUNNING:
        out->run_ns = vcpu__run_so_far(c, e);
        out->work_ns += d * c->pcpus[e->pcpu].speed / VCPU_SPEED_NOMINAL;
        break;
    case VP_VCPU_RUNNABLE:
        out->wait_ns += d;
        break;
    case VP_VCPU_BLOCKED:
        out->blocked_ns += d;
        break;
    case VP_VCPU_SUSPENDED:
        out->suspended_ns += d;
        break;
    default:
        break;
    }
    rd_unlock(c);
    return 0;
}

int vcpu_core_pcpu_stats(const vcpu_core_t *c, vcpu_pcpu_t p,
                         struct vcpu_pcpu_stats *out)
{
    if (!c || !out)
        return VCPU_EINVAL;
    if (p >= c->npcpus)
        return VCPU_ESRCH;
    rd_lock(c);
    const struct pcpu_ent *pc = &c->pcpus[p];
    *out = pc->st;
    out->state = pc->state;
    out->speed = pc->speed;
    if (pc->state == VP_PCPU_ONLINE)
        out->online_ns += c->now - pc->online_since;
    if (pc->curr != VCPU_NONE)
        out->busy_ns += c->now - vcpu_at(c, pc->curr)->since;
    rd_unlock(c);
    return 0;
}

static const char *const state_names[] = {"NEW",     "RUNNABLE",  "RUNNING",
                                          "BLOCKED", "SUSPENDED", "EXITED"};

void vcpu_core_dump(vcpu_core_t *c, FILE *f)
{
    if (!c)
        return;
    FILE *out = f ? f : stderr;
    fprintf(out,
            "core t=%llu policy=%s pcpus=%u online=%u idle=%u "
            "vcpus=%u vms=%u global=%u\n",
            (unsigned long long)c->now, c->pol.ops->name, c->npcpus,
            c->nr_online, c->nr_idle, c->nvcpus, c->nvms, c->global.nr);
    for (vcpu_pcpu_t p = 0; p < c->npcpus; p++) {
        const struct pcpu_ent *pc = &c->pcpus[p];
        fprintf(out, "  pcpu %u %s speed=%u curr=%d local=%u%s\n", p,
                pc->state ? "online" : "offline", pc->speed, (int)pc->curr,
                pc->local.nr, pc->kicked ? " kicked" : "");
    }
    for (vcpu_id_t v = 0; v < c->nvcpus; v++) {
        const struct vcpu_ent *e = vcpu_at(c, v);
        fprintf(out, "  vcpu %u vm=%u %s pcpu=%d dsq=%#llx susp=%u\n", v, e->vm,
                state_names[e->state], (int)e->pcpu,
                e->dsq ? (unsigned long long)e->dsq->id : 0ull, e->susp);
    }
    if (c->pol.ops->dump) {
        c->dump_out = out;
        c->pol.ops->dump(CTX(c));
        c->dump_out = NULL;
    }
}
