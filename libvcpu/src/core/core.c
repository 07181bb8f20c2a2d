// SPDX-License-Identifier: LGPL-2.1-or-later
/* The scheduling core's state machine: what the environment reports (wake,
 * block, yield, exit, tick, pick, pCPU changes) turned into policy callbacks
 * and DSQ moves, with time accounting and the invariant checker. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core_batch.h"
#include "core_internal.h"

#define DEFAULT_SLICE_NS 5000000ull

void vcpu__assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "libvcpu: assertion failed: %s (%s:%d)\n", expr, file,
            line);
    abort();
}

/* ---- diagnostics --------------------------------------------------- */

void vcpu__logf(struct vcpu_core *c, const char *fmt, ...)
{
    char line[ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (c->env.log)
        c->env.log(c->env_arg, line);
    else
        fprintf(stderr, "libvcpu: %s\n", line);
}

static void emit_rec(struct vcpu_core *c, const struct vcpu_trace_rec *r)
{
    c->nr_events++;
    if (c->check)
        c->ring[c->ring_pos++ % TRACE_RING] = *r;
    if (c->trace_mask & ((uint64_t)1 << r->event))
        c->env.trace(c->env_arg, r);
}

static void emit_vm(struct vcpu_core *c, unsigned event, vcpu_vm_t vm,
                    int64_t arg)
{
    struct vcpu_trace_rec r = {c->now, event, VCPU_NONE, VCPU_NONE, vm, arg};
    emit_rec(c, &r);
}

void vcpu__emit_rec(struct vcpu_core *c, unsigned event, vcpu_pcpu_t p,
                    vcpu_id_t v, vcpu_vm_t vm, int64_t arg)
{
    struct vcpu_trace_rec r = {
        .time_ns = c->now,
        .event = event,
        .pcpu = p,
        .vcpu = v,
        .vm = vm,
        .arg = arg,
    };
    emit_rec(c, &r);
}
/* ---- accounting ---------------------------------------------------- */

/* Charge the time since e->since to the bucket of e's current state. */
static void charge_state(struct vcpu_core *c, struct vcpu_ent *e)
{
    uint64_t d = c->now - e->since;
    switch (e->state) {
    case VP_VCPU_RUNNABLE:
        e->st.wait_ns += d;
        break;
    case VP_VCPU_BLOCKED:
        e->st.blocked_ns += d;
        break;
    case VP_VCPU_SUSPENDED:
        e->st.suspended_ns += d;
        break;
    default:
        break;
    }
    e->since = c->now;
}

void vcpu__set_state(struct vcpu_core *c, struct vcpu_ent *e, unsigned state)
{
    charge_state(c, e);
    c->nstate[e->state]--;
    c->nstate[state]++;
    e->state = (uint8_t)state;
}

/* Charge a running vCPU's time since its last accounting to it and its
 * pCPU, scaled by the pCPU's speed for the work done. */
static void account_run(struct vcpu_core *c, struct vcpu_ent *e)
{
    struct pcpu_ent *pc = &c->pcpus[e->pcpu];
    uint64_t d = c->now - e->since;
    e->st.run_ns += d;
    e->st.work_ns += d * pc->speed / VCPU_SPEED_NOMINAL;
    pc->st.busy_ns += d;
    e->since = c->now;
}

uint64_t vcpu__run_so_far(const struct vcpu_core *c, const struct vcpu_ent *e)
{
    uint64_t r = e->st.run_ns;
    if (e->state == VP_VCPU_RUNNING)
        r += c->now - e->since;
    return r;
}

static void account_online(struct vcpu_core *c, struct pcpu_ent *pc)
{
    if (pc->state == VP_PCPU_ONLINE)
        pc->st.online_ns += c->now - pc->online_since;
    pc->online_since = c->now;
}

/* ---- idle mask, kicks, preemption ---------------------------------- */

/* Inlined where every stop runs it. */
__attribute__((always_inline)) static inline void kick_pcpu(struct vcpu_core *c,
                                                            vcpu_pcpu_t p)
{
    struct pcpu_ent *pc = &c->pcpus[p];
    if (pc->state != VP_PCPU_ONLINE || pc->curr != VCPU_NONE || pc->kicked)
        return;
    pc->kicked = true;
    vcpu__idle_update(c, p);
    if (c->env.kick && p != c->answering)
        c->env.kick(c->env_arg, p);
}

void vcpu__kick(struct vcpu_core *c, vcpu_pcpu_t p)
{
    kick_pcpu(c, p);
}

void vcpu__request_preempt(struct vcpu_core *c, vcpu_pcpu_t p)
{
    struct pcpu_ent *pc = &c->pcpus[p];
    if (pc->curr == VCPU_NONE || pc->preempt_pending)
        return;
    pc->preempt_pending = true;
    if (c->env.preempt)
        c->env.preempt(c->env_arg, p);
}

/* ---- enqueue / suspend ---------------------------------------------- */

void vcpu__enqueue(struct vcpu_core *c, vcpu_id_t v, unsigned flags)
{
    struct vcpu_ent *e = vcpu_at(c, v);
    VCPU_ASSERT(e->state == VP_VCPU_RUNNABLE && !e->dsq);
    const struct vcpu_policy_ops *o = c->pol.ops;
    c->in_callback = true;
    if (o->enqueue) {
        o->enqueue(CTX(c), v, flags);
    } else {
        /* An idle pCPU that may run @v gets it in its local DSQ (as
         * sched_ext's default does): a shared queue would let the kicked
         * pCPU take another vCPU and leave this one waiting beside an
         * idle pCPU its mask allows. */
        vcpu_pcpu_t p = vp_idle_find(CTX(c), v, e->pcpu);
        e->slice_ns = 0;
        vcpu__dsq_push(c, p == VCPU_NONE ? &c->global : &c->pcpus[p].local, v,
                       0, false);
        if (p != VCPU_NONE)
            vcpu__kick(c, p);
    }
    c->in_callback = false;
}

/* Park @v for @src. RUNNABLE: off its DSQ now; RUNNING: preempted, parked
 * when it stops; NEW/BLOCKED: parked when it wakes. */
void vcpu__park(struct vcpu_core *c, vcpu_id_t v, unsigned src)
{
    struct vcpu_ent *e = vcpu_at(c, v);
    bool first = e->susp == 0;
    e->susp |= (uint8_t)src;
    if (!first)
        return;
    if (e->state == VP_VCPU_RUNNABLE) {
        if (e->dsq)
            vcpu__dsq_remove(c, v);
        vcpu__set_state(c, e, VP_VCPU_SUSPENDED);
        e->st.nr_suspends++;
        vcpu__emit(c, VCPU_TRACE_SUSPEND, VCPU_NONE, v, src);
    } else if (e->state == VP_VCPU_RUNNING) {
        vcpu__request_preempt(c, e->pcpu);
    }
}

int vcpu__unpark(struct vcpu_core *c, vcpu_id_t v, unsigned src)
{
    struct vcpu_ent *e = vcpu_at(c, v);
    if (!(e->susp & src))
        return VCPU_ESTATE;
    e->susp &= (uint8_t)~src;
    if (e->susp || e->state != VP_VCPU_SUSPENDED)
        return 0;
    vcpu__set_state(c, e, VP_VCPU_RUNNABLE);
    vcpu__emit(c, VCPU_TRACE_RESUME, VCPU_NONE, v, src);
    vcpu__enqueue(c, v, VP_ENQ_RESUME);
    return 0;
}

/* ---- stopping the running vCPU -------------------------------------- */

static void remove_vcpu(struct vcpu_core *c, vcpu_id_t v);

/* @p's vCPU stops for @why (enum vcpu_stop_reason). */
static void stop_curr(struct vcpu_core *c, vcpu_pcpu_t p, unsigned why)
{
    struct pcpu_ent *pc = &c->pcpus[p];
    vcpu_id_t v = pc->curr;
    struct vcpu_ent *e = vcpu_at(c, v);
    bool again = why == VCPU_STOP_PREEMPT || why == VCPU_STOP_YIELD ||
                 why == VCPU_STOP_OFFLINE;
    bool park = again && e->susp;

    account_run(c, e);
    pc->curr = VCPU_NONE;
    pc->preempt_pending = false;
    pc->slice_end = 0;
    if (why == VCPU_STOP_PREEMPT)
        e->st.nr_preemptions++;
    if (c->pol.ops->stopping) {
        c->in_callback = true;
        c->pol.ops->stopping(CTX(c), v, p, again && !park);
        c->in_callback = false;
    }
    vcpu__emit_ent(c, VCPU_TRACE_STOP, p, e, park ? VCPU_STOP_SUSPEND : why);
    if (park) {
        vcpu__set_state(c, e, VP_VCPU_SUSPENDED);
        e->st.nr_suspends++;
        vcpu__emit(c, VCPU_TRACE_SUSPEND, VCPU_NONE, v, e->susp);
    } else if (again) {
        vcpu__set_state(c, e, VP_VCPU_RUNNABLE);
        vcpu__enqueue(c, v,
                      why == VCPU_STOP_YIELD ? VP_ENQ_YIELD : VP_ENQ_PREEMPTED);
    } else if (why == VCPU_STOP_BLOCK) {
        vcpu__set_state(c, e, VP_VCPU_BLOCKED);
        vcpu__emit(c, VCPU_TRACE_BLOCK, p, v, 0);
    } else {
        remove_vcpu(c, v);
    }
    vcpu__idle_update(c, p);
    kick_pcpu(c, p);
}

/* ---- entry and exit of every environment call ----------------------- */

/* Every call's entry: the lock (VCPU_CORE_THREADSAFE) and the time. The
 * lock is taken out of line (it would weigh on the simulator's calls,
 * which take none), except by the runtime's yield (enter_inline). */
__attribute__((always_inline)) static inline int
enter_with(struct vcpu_core *c, vcpu_time_t now, bool inline_lock)
{
    if (c->flags & VCPU_CORE_THREADSAFE) {
        if (inline_lock)
            vcpu__lock(&c->lock);
        else
            vcpu__lock_call(&c->lock); /* spins a little: calls are short */
    }
    if (__builtin_expect(c->broken, 0)) {
        if (c->flags & VCPU_CORE_THREADSAFE)
            vcpu__unlock_call(&c->lock);
        return VCPU_EINVARIANT;
    }
    if (now > c->now)
        c->now = now;
    return 0;
}

static int enter(struct vcpu_core *c, vcpu_time_t now)
{
    return enter_with(c, now, false);
}

static void fall_back(struct vcpu_core *c)
{
    vcpu__logf(c, "policy '%s' aborted (%s): %s; falling back to '%s'",
               c->pol.ops->name, vcpu_err_name(c->abort_code), c->err,
               vcpu__fifo_ops.name);
    c->aborted = false;
    int rc = vcpu__policy_swap(c, &vcpu__fifo_ops, NULL);
    VCPU_ASSERT(rc == 0);
}

static int leave(struct vcpu_core *c, int rc)
{
    if (c->aborted)
        fall_back(c);
    if (c->check && rc >= 0 && vcpu__check(c, false) != 0)
        rc = VCPU_EINVARIANT;
    if (c->flags & VCPU_CORE_THREADSAFE)
        vcpu__unlock(&c->lock);
    return rc;
}

/* enter() for a call about vCPU @v or VM @vm (VCPU_NONE: none): the id is
 * checked under the lock (the tables grow under it: another thread may be
 * adding), before the time moves. */
__attribute__((always_inline)) static inline int
enter_ids(struct vcpu_core *c, vcpu_time_t now, vcpu_id_t v, vcpu_vm_t vm,
          bool inline_lock)
{
    int rc = enter_with(c, 0, inline_lock);
    if (rc)
        return rc;
    if (__builtin_expect((v != VCPU_NONE && v >= c->nvcpus) ||
                             (vm != VCPU_NONE && vm >= c->nvms),
                         0))
        return leave(c, VCPU_ESRCH);
    if (__builtin_expect(now > c->now, 1)) /* time moves on, mostly */
        c->now = now;
    return 0;
}

static int enter_vcpu(struct vcpu_core *c, vcpu_time_t now, vcpu_id_t v)
{
    return enter_ids(c, now, v, VCPU_NONE, false);
}

static int enter_vm(struct vcpu_core *c, vcpu_time_t now, vcpu_vm_t vm)
{
    return enter_ids(c, now, VCPU_NONE, vm, false);
}

/* ---- vCPU events ---------------------------------------------------- */

/* The body of vcpu_core_wake, under the lock. */
static int wake_locked(struct vcpu_core *c, vcpu_id_t v)
{
    struct vcpu_ent *e = vcpu_at(c, v);
    if (e->state != VP_VCPU_NEW && e->state != VP_VCPU_BLOCKED)
        return VCPU_ESTATE;
    unsigned flags = VP_ENQ_WAKEUP;
    if (e->susp) {
        vcpu__set_state(c, e, VP_VCPU_SUSPENDED);
        e->st.nr_suspends++;
        vcpu__emit(c, VCPU_TRACE_WAKE, VCPU_NONE, v, -1);
        vcpu__emit(c, VCPU_TRACE_SUSPEND, VCPU_NONE, v, e->susp);
        return 0;
    }
    vcpu__set_state(c, e, VP_VCPU_RUNNABLE);
    const struct vcpu_policy_ops *o = c->pol.ops;
    vcpu_pcpu_t t = VCPU_NONE;
    c->in_callback = true;
    if (o->select_pcpu)
        t = o->select_pcpu(CTX(c), v, e->pcpu, flags);
    else if (e->pcpu != VCPU_NONE && vm_allows(c, e->vm, e->pcpu) &&
             c->pcpus[e->pcpu].state == VP_PCPU_ONLINE)
        t = e->pcpu;
    c->in_callback = false;
    e->target = t < c->npcpus ? t : VCPU_NONE;
    vcpu__emit(c, VCPU_TRACE_WAKE, VCPU_NONE, v,
               e->target == VCPU_NONE ? -1 : (int64_t)e->target);
    if (!e->dsq && e->state == VP_VCPU_RUNNABLE)
        vcpu__enqueue(c, v, flags);
    return 0;
}

int vcpu_core_wake(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v)
{
    int rc = enter_vcpu(c, now, v);
    if (rc)
        return rc;
    return leave(c, wake_locked(c, v));
}

/* Common part of block/yield/exit of a running vCPU. */
static int stop_running(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v,
                        unsigned why)
{
    int rc = enter_vcpu(c, now, v);
    if (rc)
        return rc;
    struct vcpu_ent *e = vcpu_at(c, v);
    if (e->state != VP_VCPU_RUNNING)
        return leave(c, VCPU_ESTATE);
    stop_curr(c, e->pcpu, why);
    return leave(c, 0);
}

int vcpu_core_block(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v)
{
    return stop_running(c, now, v, VCPU_STOP_BLOCK);
}

int vcpu_core_yield(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v)
{
    return stop_running(c, now, v, VCPU_STOP_YIELD);
}

/* @v leaves for good: it is in no DSQ and runs nowhere. */
static void remove_vcpu(struct vcpu_core *c, vcpu_id_t v)
{
    struct vcpu_ent *e = vcpu_at(c, v);
    struct vm_ent *vm = vm_at(c, e->vm);
    vcpu__set_state(c, e, VP_VCPU_EXITED); /* since: the exit time */
    vm->nvcpus--;
    vcpu__emit(c, VCPU_TRACE_EXIT, VCPU_NONE, v, 0);
    if (c->pol.ops->vcpu_remove) {
        c->in_callback = true;
        c->pol.ops->vcpu_remove(CTX(c), v);
        c->in_callback = false;
    }
}

int vcpu_core_exit(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v)
{
    int rc = enter_vcpu(c, now, v);
    if (rc)
        return rc;
    struct vcpu_ent *e = vcpu_at(c, v);
    if (e->state == VP_VCPU_EXITED)
        return leave(c, VCPU_ESTATE);
    if (e->state == VP_VCPU_RUNNING) {
        stop_curr(c, e->pcpu, VCPU_STOP_EXIT);
        return leave(c, 0);
    }
    if (e->dsq)
        vcpu__dsq_remove(c, v);
    remove_vcpu(c, v);
    return leave(c, 0);
}

int vcpu_core_suspend(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v)
{
    int rc = enter_vcpu(c, now, v);
    if (rc)
        return rc;
    if (vcpu_at(c, v)->state == VP_VCPU_EXITED)
        return leave(c, VCPU_ESTATE);
    vcpu__park(c, v, SUSP_OPERATOR);
    return leave(c, 0);
}

int vcpu_core_resume(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v)
{
    int rc = enter_vcpu(c, now, v);
    if (rc)
        return rc;
    return leave(c, vcpu__unpark(c, v, SUSP_OPERATOR));
}

/* ---- pCPU events ---------------------------------------------------- */

int vcpu_core_preempt(vcpu_core_t *c, vcpu_time_t now, vcpu_pcpu_t p)
{
    if (p >= c->npcpus)
        return VCPU_ESRCH;
    int rc = enter(c, now);
    if (rc)
        return rc;
    if (c->pcpus[p].curr != VCPU_NONE && c->pcpus[p].preempt_pending)
        stop_curr(c, p, VCPU_STOP_PREEMPT);
    return leave(c, 0);
}

int vcpu_core_tick(vcpu_core_t *c, vcpu_time_t now, vcpu_pcpu_t p,
                   bool *out_preempted)
{
    if (out_preempted)
        *out_preempted = false;
    if (p >= c->npcpus)
        return VCPU_ESRCH;
    int rc = enter(c, now);
    if (rc)
        return rc;
    struct pcpu_ent *pc = &c->pcpus[p];
    if (pc->curr == VCPU_NONE)
        return leave(c, 0);
    account_run(c, vcpu_at(c, pc->curr));
    if (c->pol.ops->tick) {
        c->in_callback = true;
        c->pol.ops->tick(CTX(c), p);
        c->in_callback = false;
    }
    if (pc->curr != VCPU_NONE &&
        (c->now >= pc->slice_end || pc->preempt_pending)) {
        stop_curr(c, p, VCPU_STOP_PREEMPT);
        if (out_preempted)
            *out_preempted = true;
    }
    return leave(c, 0);
}

/* Start RUNNABLE, dequeued @v on idle @p. */
/* Inlined in both picks (the usual one and the yield shortcut). */
__attribute__((always_inline)) static inline void
run_ent(struct vcpu_core *c, vcpu_pcpu_t p, struct vcpu_ent *e)
{
    struct pcpu_ent *pc = &c->pcpus[p];
    vcpu_id_t v = e->id;
    vcpu_pcpu_t from = e->pcpu;
    vcpu__set_state(c, e, VP_VCPU_RUNNING);
    e->pcpu = p;
    e->st.nr_runs++;
    pc->st.nr_runs++;
    pc->curr = v;
    pc->preempt_pending = false;
    uint64_t slice = e->slice_ns ? e->slice_ns : c->slice_ns;
    pc->slice_end = c->now + slice;
    if (from != VCPU_NONE && from != p) {
        e->st.nr_migrations++;
        vcpu__emit_ent(c, VCPU_TRACE_MIGRATE, p, e, from);
    }
    vcpu__emit_ent(c, VCPU_TRACE_RUN, p, e, (int64_t)slice);
    if (c->pol.ops->running) {
        c->in_callback = true;
        c->pol.ops->running(CTX(c), v, p);
        c->in_callback = false;
    }
    if (e->susp) /* parked while dispatching: stop at once */
        vcpu__request_preempt(c, p);
}

static void run_on(struct vcpu_core *c, vcpu_pcpu_t p, vcpu_id_t v)
{
    run_ent(c, p, vcpu_at(c, v));
}

static vcpu_id_t find_work(struct vcpu_core *c, vcpu_pcpu_t p)
{
    struct pcpu_ent *pc = &c->pcpus[p];
    vcpu_id_t v = vcpu__dsq_pop_first(c, &pc->local);
    if (v != VCPU_NONE)
        return v;
    if (c->global.nr) {
        v = vcpu__dsq_pop_eligible(c, &c->global, p);
        if (v != VCPU_NONE)
            return v;
    }
    if (!c->pol.ops->dispatch)
        return VCPU_NONE;
    c->in_callback = true;
    c->pol.ops->dispatch(CTX(c), p);
    c->in_callback = false;
    return vcpu__dsq_pop_first(c, &pc->local);
}

/* The body of vcpu_core_pick, under the lock. */
static int pick_locked(struct vcpu_core *c, vcpu_pcpu_t p, vcpu_id_t *out_v,
                       uint64_t *out_slice_ns)
{
    struct pcpu_ent *pc = &c->pcpus[p];
    if (pc->state != VP_PCPU_ONLINE)
        return VCPU_ENODEV;
    if (pc->curr != VCPU_NONE) {
        pc->kicked = false;
        return VCPU_EBUSY;
    }
    pc->kicked = false;
    vcpu_id_t v = find_work(c, p);
    if (v != VCPU_NONE && pc->state == VP_PCPU_ONLINE &&
        pc->curr == VCPU_NONE) {
        run_on(c, p, v);
        if (out_v)
            *out_v = v;
        if (out_slice_ns)
            *out_slice_ns = pc->slice_end - c->now;
    } else if (v != VCPU_NONE) {
        vcpu__enqueue(c, v, VP_ENQ_REQUEUE);
    }
    /* A kick of @p from inside its own dispatch is answered by this pick;
     * left set, it would hide @p from every later kick. */
    pc->kicked = false;
    vcpu__idle_update(c, p);
    return 0;
}

int vcpu_core_pick(vcpu_core_t *c, vcpu_time_t now, vcpu_pcpu_t p,
                   vcpu_id_t *out_v, uint64_t *out_slice_ns)
{
    if (out_v)
        *out_v = VCPU_NONE;
    if (out_slice_ns)
        *out_slice_ns = 0;
    if (p >= c->npcpus)
        return VCPU_ESRCH;
    int rc = enter(c, now);
    if (rc)
        return rc;
    return leave(c, pick_locked(c, p, out_v, out_slice_ns));
}

/* Re-enqueue once whatever @p's local DSQ holds (it went offline). */
static void requeue_local(struct vcpu_core *c, vcpu_pcpu_t p)
{
    struct dsq *q = &c->pcpus[p].local;
    unsigned n = q->nr;
    for (unsigned i = 0; i < n; i++) {
        vcpu_id_t v = vcpu__dsq_pop_first(c, q);
        if (v == VCPU_NONE)
            break;
        vcpu__enqueue(c, v, VP_ENQ_REQUEUE);
    }
}

static void call_pcpu_change(struct vcpu_core *c, vcpu_pcpu_t p,
                             const struct vp_pcpu_change *ch)
{
    if (!c->pol.ops->pcpu_change)
        return;
    c->in_callback = true;
    c->pol.ops->pcpu_change(CTX(c), p, ch);
    c->in_callback = false;
}

int vcpu_core_pcpu_set_online(vcpu_core_t *c, vcpu_time_t now, vcpu_pcpu_t p,
                              bool online)
{
    if (p >= c->npcpus)
        return VCPU_ESRCH;
    int rc = enter(c, now);
    if (rc)
        return rc;
    struct pcpu_ent *pc = &c->pcpus[p];
    unsigned ns = online ? VP_PCPU_ONLINE : VP_PCPU_OFFLINE;
    if (pc->state == ns)
        return leave(c, 0);
    struct vp_pcpu_change ch = {pc->state, ns, pc->speed, pc->speed};
    account_online(c, pc);
    pc->state = (uint8_t)ns;
    c->nr_online += online ? 1 : -1;
    pc->kicked = false;
    vcpu__idle_update(c, p);
    if (online) {
        vcpu__emit(c, VCPU_TRACE_PCPU_ONLINE, p, VCPU_NONE, pc->speed);
        call_pcpu_change(c, p, &ch);
        vcpu__kick(c, p);
        return leave(c, 0);
    }
    vcpu__emit(c, VCPU_TRACE_PCPU_OFFLINE, p, VCPU_NONE, 0);
    if (pc->curr != VCPU_NONE)
        stop_curr(c, p, VCPU_STOP_OFFLINE);
    call_pcpu_change(c, p, &ch);
    requeue_local(c, p);
    return leave(c, 0);
}

int vcpu_core_pcpu_set_speed(vcpu_core_t *c, vcpu_time_t now, vcpu_pcpu_t p,
                             uint32_t speed)
{
    if (p >= c->npcpus)
        return VCPU_ESRCH;
    if (speed < 1 || speed > 100000)
        return VCPU_ERANGE;
    int rc = enter(c, now);
    if (rc)
        return rc;
    struct pcpu_ent *pc = &c->pcpus[p];
    if (pc->speed == speed)
        return leave(c, 0);
    if (pc->curr != VCPU_NONE)
        account_run(c, vcpu_at(c, pc->curr));
    struct vp_pcpu_change ch = {pc->state, pc->state, pc->speed, speed};
    pc->speed = speed;
    vcpu__emit(c, VCPU_TRACE_PCPU_SPEED, p, VCPU_NONE, speed);
    call_pcpu_change(c, p, &ch);
    return leave(c, 0);
}

/* ---- VMs and vCPUs --------------------------------------------------- */

/* Make room for one more item in a chunked table. */
void *vcpu__chunk_dir(void *dir, unsigned k)
{
    if (k & (k - 1)) /* not a power of two: there is room */
        return dir;
    return realloc(dir, (k ? 2 * (size_t)k : 1) * sizeof(void *));
}

static int grow_chunks(void ***tab, unsigned *nchunks, unsigned n, size_t item)
{
    if (n < *nchunks * CHUNK_SIZE)
        return 0;
    void **t = vcpu__chunk_dir(*tab, *nchunks);
    if (!t)
        return VCPU_ENOMEM;
    *tab = t;
    t[*nchunks] = calloc(CHUNK_SIZE, item);
    if (!t[*nchunks])
        return VCPU_ENOMEM;
    (*nchunks)++;
    return 0;
}

static int set_allowed(struct vcpu_core *c, struct vm_ent *vm,
                       const struct vcpu_vm_attr *a)
{
    if (!a->nallowed)
        return 0;
    if (!a->allowed)
        return VCPU_EINVAL;
    vm->allowed = calloc(c->nwords, sizeof *vm->allowed);
    if (!vm->allowed)
        return VCPU_ENOMEM;
    c->any_allowed = true;
    for (unsigned i = 0; i < a->nallowed; i++) {
        if (a->allowed[i] >= c->npcpus)
            return VCPU_EINVAL;
        bit_set(vm->allowed, a->allowed[i]);
    }
    return 0;
}

int vcpu_core_vm_add(vcpu_core_t *c, vcpu_time_t now,
                     const struct vcpu_vm_attr *attr, vcpu_vm_t *out)
{
    static const struct vcpu_vm_attr defaults = {.abi = VCPU_CORE_ABI};
    if (out)
        *out = VCPU_NONE;
    if (!out)
        return VCPU_EINVAL;
    const struct vcpu_vm_attr *a = attr ? attr : &defaults;
    if (a->abi != VCPU_CORE_ABI)
        return VCPU_EABI;
    if (a->weight > 10000 || a->cap > 1000u * c->npcpus)
        return VCPU_EINVAL;
    int rc = enter(c, now);
    if (rc)
        return rc;
    /* a released id (VCPU_CORE_RECYCLE), the lowest; else a new one */
    vcpu_vm_t id = c->nvms;
    bool reuse = false;
    for (unsigned w = 0; c->nfree_vms && w < c->free_vm_words; w++)
        if (c->free_vms[w]) {
            id = w * 64 + (unsigned)__builtin_ctzll(c->free_vms[w]);
            reuse = true;
            break;
        }
    if (!reuse) {
        rc = grow_chunks((void ***)&c->vms, &c->vm_chunks, c->nvms,
                         sizeof(struct vm_ent));
        if (!rc)
            rc = vcpu__policy_grow_vms(c);
        if (rc)
            return leave(c, rc);
    }
    struct vm_ent *vm = vm_at(c, id);
    memset(vm, 0, sizeof *vm); /* a released VM kept no arrays */
    if ((rc = set_allowed(c, vm, a))) {
        free(vm->allowed);
        vm->allowed = NULL;
        return leave(c, rc);
    }
    vm->live = true;
    vm->weight = a->weight ? a->weight : 100;
    vm->cap = a->cap;
    vm->nvcpus_hint = a->nvcpus_hint;
    if (a->nvcpus_hint && a->nvcpus_hint <= 65536 && /* its id list, once */
        (vm->vcpus = malloc(a->nvcpus_hint * sizeof *vm->vcpus)))
        vm->cap_ids = a->nvcpus_hint; /* (else it grows as it goes) */
    if (reuse) {
        bit_clear(c->free_vms, id);
        c->nfree_vms--;
        if (c->pol.ops->vm_data_size) /* as a new chunk's: zeroed */
            memset(vp_vm_data(CTX(c), id), 0, c->pol.ops->vm_data_size);
    } else {
        c->nvms++;
    }
    *out = id;
    emit_vm(c, VCPU_TRACE_VM_ADD, id, a->nvcpus_hint);
    if (c->pol.ops->vm_add) {
        c->in_callback = true;
        c->pol.ops->vm_add(CTX(c), id);
        c->in_callback = false;
    }
    return leave(c, 0);
}

static int free_vm_ids(struct vcpu_core *c, struct vm_ent *e);

int vcpu_core_vm_remove(vcpu_core_t *c, vcpu_time_t now, vcpu_vm_t vm)
{
    int rc = enter_vm(c, now, vm);
    if (rc)
        return rc;
    struct vm_ent *e = vm_at(c, vm);
    if (!e->live)
        return leave(c, VCPU_ESRCH);
    if (e->nvcpus)
        return leave(c, VCPU_EBUSY);
    if (c->pol.ops->vm_remove) {
        c->in_callback = true;
        c->pol.ops->vm_remove(CTX(c), vm);
        c->in_callback = false;
    }
    e->live = false;
    emit_vm(c, VCPU_TRACE_VM_REMOVE, vm, 0);
    if (c->flags & VCPU_CORE_RECYCLE)
        rc = free_vm_ids(c, e); /* ENOMEM: the ids stay unused, no harm */
    return leave(c, rc == VCPU_ENOMEM ? 0 : rc);
}

int vcpu__core_vm_release(vcpu_core_t *c, vcpu_vm_t vm)
{
    if (!(c->flags & VCPU_CORE_RECYCLE))
        return VCPU_EINVAL;
    int rc = enter_vm(c, 0, vm);
    if (rc)
        return rc;
    struct vm_ent *e = vm_at(c, vm);
    if (e->live)
        return leave(c, VCPU_EBUSY);
    unsigned words = (c->nvms + 63) / 64;
    if (words > c->free_vm_words) {
        uint64_t *b = realloc(c->free_vms, words * sizeof *b);
        if (!b)
            return leave(c, VCPU_ENOMEM);
        memset(b + c->free_vm_words, 0, (words - c->free_vm_words) * sizeof *b);
        c->free_vms = b;
        c->free_vm_words = words;
    }
    if (bit_test(c->free_vms, vm))
        return leave(c, VCPU_ESRCH); /* released already */
    bit_set(c->free_vms, vm);
    c->nfree_vms++;
    free(e->allowed); /* its vCPU list went with the removal */
    free(e->vcpus);
    e->allowed = NULL;
    e->vcpus = NULL;
    e->ntotal = e->cap_ids = 0;
    return leave(c, 0);
}

static int vm_push_vcpu(struct vm_ent *vm, vcpu_id_t v)
{
    if (vm->ntotal == vm->cap_ids) {
        unsigned n = vm->cap_ids ? 2 * vm->cap_ids : 4;
        vcpu_id_t *ids = realloc(vm->vcpus, n * sizeof *ids);
        if (!ids)
            return VCPU_ENOMEM;
        vm->vcpus = ids;
        vm->cap_ids = n;
    }
    vm->vcpus[vm->ntotal++] = v;
    vm->nvcpus++;
    return 0;
}

/* ---- recycled ids (VCPU_CORE_RECYCLE) -------------------------------- */

/* The lowest free id from @start on, or VCPU_NONE. */
static vcpu_id_t next_free(const struct vcpu_core *c, vcpu_id_t start)
{
    unsigned w = start >> 6 > c->free_lo ? start >> 6 : c->free_lo;
    for (; w < c->free_words; w++) {
        uint64_t m = c->free_ids[w];
        if (w == start >> 6)
            m &= ~(uint64_t)0 << (start & 63);
        if (m)
            return w * 64 + (unsigned)__builtin_ctzll(m);
    }
    return VCPU_NONE;
}

static void take_free(struct vcpu_core *c, vcpu_id_t v)
{
    bit_clear(c->free_ids, v);
    c->nfree--;
    while (c->free_lo < c->free_words && !c->free_ids[c->free_lo])
        c->free_lo++;
}

/* The ids of removed VM @e become free; the VM lists none any more. */
static int free_vm_ids(struct vcpu_core *c, struct vm_ent *e)
{
    unsigned words = (c->nvcpus + 63) / 64;
    if (words > c->free_words) {
        uint64_t *b = realloc(c->free_ids, words * sizeof *b);
        if (!b)
            return VCPU_ENOMEM;
        memset(b + c->free_words, 0, (words - c->free_words) * sizeof *b);
        c->free_ids = b;
        c->free_words = words;
    }
    for (unsigned i = 0; i < e->ntotal; i++) {
        vcpu_id_t v = e->vcpus[i];
        VCPU_ASSERT(vcpu_at(c, v)->state == VP_VCPU_EXITED &&
                    !bit_test(c->free_ids, v));
        bit_set(c->free_ids, v);
        if (v >> 6 < c->free_lo)
            c->free_lo = v >> 6;
    }
    c->nfree += e->ntotal;
    free(e->vcpus);
    e->vcpus = NULL;
    e->ntotal = e->cap_ids = 0;
    return 0;
}

/* The body of vcpu_core_vcpu_add, under the lock. */
static int vcpu_add_locked(struct vcpu_core *c, vcpu_vm_t vm, vcpu_id_t *out)
{
    struct vm_ent *ve = vm_at(c, vm);
    if (!ve->live)
        return VCPU_ESRCH;
    int rc = 0;
    /* a VM's ids ascend (vp_vcpu_index): a free id past its last, or new */
    vcpu_id_t v =
        c->nfree ? next_free(c, ve->ntotal ? ve->vcpus[ve->ntotal - 1] + 1 : 0)
                 : VCPU_NONE;
    bool reuse = v != VCPU_NONE;
    if (!reuse)
        v = c->nvcpus;
    if (!reuse && !(c->nvcpus & (CHUNK_SIZE - 1))) { /* whole chunks */
        rc = grow_chunks((void ***)&c->vcpus, &c->vcpu_chunks, c->nvcpus,
                         sizeof(struct vcpu_ent));
        if (!rc)
            rc = vcpu__policy_grow_vcpus(c);
    }
    if (!rc)
        rc = vm_push_vcpu(ve, v);
    if (rc)
        return rc;
    if (reuse) {
        take_free(c, v);
        c->nstate[VP_VCPU_EXITED]--;
        c->recycled_run_ns += vcpu_at(c, v)->st.run_ns; /* invariant 6 */
        if (c->pol.ops->vcpu_data_size) /* as a new chunk's: zeroed */
            memset(vp_vcpu_data(CTX(c), v), 0, c->pol.ops->vcpu_data_size);
    } else {
        c->nvcpus++;
    }
    /* field by field, not memset: the compiler makes a 168-byte clear a
     * "rep stos", whose start-up (~30 cycles here) costs more than these
     * stores (the assertion below catches a field added but not set) */
    struct vcpu_ent *e = vcpu_at(c, v);
    _Static_assert(sizeof(struct vcpu_ent) == 168 &&
                       offsetof(struct vcpu_ent, st) == 96,
                   "a new vcpu_ent field: initialise it here");
    memset(&e->q, 0, sizeof e->q);
    e->dsq = NULL;
    e->key = e->seq = e->slice_ns = 0;
    e->since = c->now;
    e->id = v;
    e->vm = vm;
    e->pcpu = e->target = VCPU_NONE;
    e->prio = 0;
    e->state = VP_VCPU_NEW;
    e->susp = 0;
    e->st = (struct vcpu_counters){0};
    c->nstate[VP_VCPU_NEW]++;
    if (c->pol.ops->vcpu_add) {
        c->in_callback = true;
        c->pol.ops->vcpu_add(CTX(c), v);
        c->in_callback = false;
    }
    *out = v;
    return 0;
}

int vcpu_core_vcpu_add(vcpu_core_t *c, vcpu_time_t now, vcpu_vm_t vm,
                       vcpu_id_t *out)
{
    if (out)
        *out = VCPU_NONE;
    if (!out)
        return VCPU_EINVAL;
    int rc = enter_vm(c, now, vm);
    if (rc)
        return rc;
    return leave(c, vcpu_add_locked(c, vm, out));
}

int vcpu_core_vcpu_set_prio(vcpu_core_t *c, vcpu_id_t v, int prio)
{
    int rc = enter_vcpu(c, 0, v);
    if (rc)
        return rc;
    vcpu_at(c, v)->prio = prio;
    return leave(c, 0);
}

/* ---- several steps under one lock (core_batch.h) ----------------------- */

/* Between two steps of one batch call: what leave() does between two
 * calls, except the check, which runs once at the end. */
static void between(struct vcpu_core *c)
{
    if (c->aborted)
        fall_back(c);
}

/* Where a yield shortcut sends @e (ops.yield, or the built-in default
 * enqueue: the global FIFO when no idle pCPU would take it); NULL: none. */
static struct dsq *yield_dsq(struct vcpu_core *c, struct vcpu_ent *e,
                             vcpu_pcpu_t p, uint64_t *slice_ns)
{
    const struct vcpu_policy_ops *o = c->pol.ops;
    if (!o->yield) {
        if (o->enqueue || vp_idle_find(CTX(c), e->id, p) != VCPU_NONE)
            return NULL;
        *slice_ns = 0;
        return &c->global;
    }
    if (c->global.nr) /* the pick would take it first */
        return NULL;
    vp_dsq_t id = 0;
    c->in_callback = true;
    bool ok = o->yield(CTX(c), e->id, p, &id, slice_ns);
    c->in_callback = false;
    if (!ok || c->aborted)
        return NULL;
    struct dsq *q = vcpu__dsq_lookup(c, id);
    if (!q || q->kind != VP_DSQ_FIFO || q == &c->pcpus[p].local)
        return NULL;
    return q;
}

/*
 * vcpu_core_yield(@e) then vcpu_core_pick(@p), @e running on @p, not
 * parked, @p's local DSQ empty: stop_curr(YIELD) and pick_locked with the
 * policy's enqueue and dispatch replaced by what ops.yield promised they
 * would do, when it does. Same records, counters and callbacks otherwise.
 */
static int yield_pick(struct vcpu_core *c, struct vcpu_ent *e, vcpu_pcpu_t p,
                      vcpu_id_t *out_v, uint64_t *out_slice_ns)
{
    struct pcpu_ent *pc = &c->pcpus[p];
    vcpu_id_t v = e->id;
    account_run(c, e);
    pc->curr = VCPU_NONE;
    pc->preempt_pending = false;
    pc->slice_end = 0;
    if (c->pol.ops->stopping) {
        c->in_callback = true;
        c->pol.ops->stopping(CTX(c), v, p, true);
        c->in_callback = false;
    }
    vcpu__emit_ent(c, VCPU_TRACE_STOP, p, e, VCPU_STOP_YIELD);
    vcpu__set_state(c, e, VP_VCPU_RUNNABLE);
    uint64_t slice = 0;
    struct dsq *q = e->susp ? NULL : yield_dsq(c, e, p, &slice);
    if (!q) { /* the rest of stop_curr, then the usual pick */
        c->answering = p;
        vcpu__enqueue(c, v, VP_ENQ_YIELD);
        vcpu__idle_update(c, p);
        vcpu__kick(c, p);
        c->answering = VCPU_NONE;
        between(c);
        return pick_locked(c, p, out_v, out_slice_ns);
    }
    e->slice_ns = slice;
    vcpu__dsq_push_ent(c, q, e, 0, false);
    /* stop_curr's kick of @p, answered here: its idle bit would go on and
     * off, and the pick clears it */
    pc->kicked = false;
    if (q != &c->global)
        c->seq++; /* the hop through the local DSQ dispatch would make */
    struct vcpu_ent *u = vcpu__dsq_pop_eligible_ent(c, q, p);
    VCPU_ASSERT(u); /* @v at least */
    run_ent(c, p, u);
    *out_v = u->id;
    *out_slice_ns = pc->slice_end - c->now;
    return 0;
}

/* Records a switch makes; when a trace or the checker wants any of them,
 * no lane (below). */
#define LANE_RECS                                                              \
    ((uint64_t)1 << VCPU_TRACE_STOP | (uint64_t)1 << VCPU_TRACE_RUN |          \
     (uint64_t)1 << VCPU_TRACE_MIGRATE)

/* What of the lane's conditions changes only with the policy (and the
 * checker and trace, fixed at creation): once per policy start. */
void vcpu__lane_refresh(struct vcpu_core *c)
{
    const struct vcpu_policy_ops *o = c->pol.ops;
    c->lane = o && o->yield && !o->stopping && !o->running && !c->check &&
              !(c->trace_mask & LANE_RECS);
}

/*
 * yield_pick's common case, written out: @e yields on @p at full speed,
 * not parked, nothing waits in @p's local DSQ nor the global one, no
 * record is wanted, the policy has a yield shortcut and no stopping or
 * running callback, and its shortcut names a FIFO DSQ whose first vCPU
 * may run anywhere. Then the stop and the pick change exactly what
 * yield_pick would (the per-state counts cancel out: one RUNNING vCPU
 * becomes RUNNABLE and one RUNNABLE one RUNNING), in one pass, with the
 * time read once. False, with nothing changed, when a condition fails.
 */
static bool yield_lane(struct vcpu_core *c, struct vcpu_ent *e, vcpu_pcpu_t p,
                       vcpu_id_t *out_v, uint64_t *out_slice_ns)
{
    struct pcpu_ent *pc = &c->pcpus[p];
    if (__builtin_expect(!c->lane || e->susp || pc->local.nr || c->global.nr ||
                             pc->speed != VCPU_SPEED_NOMINAL,
                         0))
        return false;
    const struct vcpu_policy_ops *o = c->pol.ops;
    /* what the policy sees during its shortcut: @e stopped, RUNNABLE */
    vcpu_id_t cur = pc->curr;
    pc->curr = VCPU_NONE;
    e->state = VP_VCPU_RUNNABLE;
    vp_dsq_t id = 0;
    uint64_t slice = 0;
    c->in_callback = true;
    bool ok = o->yield(CTX(c), e->id, p, &id, &slice);
    c->in_callback = false;
    struct dsq *q = ok && !c->aborted ? vcpu__dsq_lookup(c, id) : NULL;
    bool fifo = q && q->kind == VP_DSQ_FIFO && q != &pc->local;
    struct vcpu_ent *u = fifo ? TAILQ_FIRST(&q->fifo) : NULL;
    bool masks = __builtin_expect(c->any_allowed, 0);
    if (u && masks && vm_at(c, u->vm)->allowed)
        u = NULL; /* the eligible search is yield_pick's */
    else if (fifo && !u && !(masks && vm_at(c, e->vm)->allowed))
        u = e; /* an empty FIFO: @e goes in and comes straight out */
    if (__builtin_expect(!u, 0)) {
        pc->curr = cur;
        e->state = VP_VCPU_RUNNING;
        return false;
    }
    vcpu_time_t now = c->now;
    uint64_t d = now - e->since;
    e->st.run_ns += d;
    e->st.work_ns += d;
    pc->st.busy_ns += d;
    e->since = now;
    pc->preempt_pending = false;
    pc->kicked = false;
    /* @e to the tail, @u off the head (the same entry when it was empty) */
    e->key = 0;
    e->seq = c->seq++;
    e->slice_ns = slice;
    if (u != e) {
        e->dsq = q;
        TAILQ_INSERT_TAIL(&q->fifo, e, q.link);
        TAILQ_REMOVE(&q->fifo, u, q.link);
        u->dsq = NULL;
        u->st.wait_ns += now - u->since;
        u->since = now;
        e->state = VP_VCPU_RUNNABLE;
    }
    if (q != &c->global)
        c->seq++; /* the hop through the local DSQ dispatch would make */
    u->state = VP_VCPU_RUNNING;
    vcpu_pcpu_t from = u->pcpu;
    u->pcpu = p;
    u->st.nr_runs++;
    pc->st.nr_runs++;
    pc->curr = u->id;
    uint64_t s =
        __builtin_expect(u->slice_ns != 0, 1) ? u->slice_ns : c->slice_ns;
    pc->slice_end = now + s;
    c->nr_events += 2; /* STOP, RUN */
    if (__builtin_expect(from != VCPU_NONE && from != p, 0)) {
        u->st.nr_migrations++;
        c->nr_events++; /* MIGRATE */
    }
    *out_v = u->id;
    *out_slice_ns = s;
    return true;
}

/* vcpu__core_yield_pick without the lane, the lock held. */
__attribute__((noinline)) static struct vcpu__pick
yield_pick_slow(struct vcpu_core *c, struct vcpu_ent *e)
{
    struct vcpu__pick r = {0, VCPU_NONE, 0};
    vcpu_pcpu_t p = e->pcpu;
    if (e->state != VP_VCPU_RUNNING)
        r.rc = leave(c, VCPU_ESTATE);
    else if (!e->susp && !c->pcpus[p].local.nr)
        r.rc = leave(c, yield_pick(c, e, p, &r.v, &r.slice_ns));
    else {
        c->answering = p;
        stop_curr(c, p, VCPU_STOP_YIELD);
        c->answering = VCPU_NONE;
        between(c);
        r.rc = leave(c, pick_locked(c, p, &r.v, &r.slice_ns));
    }
    return r;
}

/**
 * vcpu__core_yield_pick - vcpu__core_stop_pick(@v, VCPU_STOP_YIELD) with
 * both outs: the runtime's vcpu_yield. The same contract, through the
 * lane above when it applies.
 */
struct vcpu__pick vcpu__core_yield_pick(vcpu_core_t *c, vcpu_time_t now,
                                        vcpu_id_t v)
{
    struct vcpu__pick r = {0, VCPU_NONE, 0};
    /* enter_ids, for a call that always names a vCPU (VCPU_NONE is out
     * of range too), laid out for the lane */
    r.rc = enter_with(c, 0, true);
    if (!r.rc && __builtin_expect(v >= c->nvcpus, 0))
        r.rc = leave(c, VCPU_ESRCH);
    if (__builtin_expect(r.rc, 0))
        return r;
    if (__builtin_expect(now > c->now, 1))
        c->now = now;
    struct vcpu_ent *e = vcpu_at(c, v);
    if (__builtin_expect(e->state == VP_VCPU_RUNNING &&
                             yield_lane(c, e, e->pcpu, &r.v, &r.slice_ns),
                         1)) {
        /* leave(): the lane runs without the checker, and a policy that
         * aborts in its shortcut makes it fail */
        if (__builtin_expect(c->flags & VCPU_CORE_THREADSAFE, 1))
            vcpu__unlock(&c->lock);
        return r;
    }
    return yield_pick_slow(c, e);
}

int vcpu__core_stop_pick(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v,
                         unsigned why, vcpu_id_t *out_v, uint64_t *out_slice_ns)
{
    if (!out_v != !out_slice_ns)
        return VCPU_EINVAL;
    if (out_v) {
        *out_v = VCPU_NONE;
        *out_slice_ns = 0;
    }
    if (why != VCPU_STOP_YIELD && why != VCPU_STOP_BLOCK &&
        why != VCPU_STOP_EXIT)
        return VCPU_EINVAL;
    int rc = enter_vcpu(c, now, v);
    if (rc)
        return rc;
    struct vcpu_ent *e = vcpu_at(c, v);
    if (e->state != VP_VCPU_RUNNING)
        return leave(c, VCPU_ESTATE);
    vcpu_pcpu_t p = e->pcpu;
    if (!out_v) {
        stop_curr(c, p, why);
    } else if (why == VCPU_STOP_YIELD && !e->susp && !c->pcpus[p].local.nr) {
        return leave(c, yield_pick(c, e, p, out_v, out_slice_ns));
    } else {
        c->answering = p;
        stop_curr(c, p, why);
        c->answering = VCPU_NONE;
        between(c);
        rc = pick_locked(c, p, out_v, out_slice_ns);
    }
    /* the VM's last vCPU is gone (the core's count, under the lock) */
    if (!rc && why == VCPU_STOP_EXIT && !vm_at(c, e->vm)->nvcpus)
        rc = 1;
    return leave(c, rc);
}

int vcpu__core_vcpu_add_n(vcpu_core_t *c, vcpu_time_t now, vcpu_vm_t vm,
                          unsigned n, vcpu_id_t *ids)
{
    if (!ids || !n)
        return VCPU_EINVAL;
    ids[0] = VCPU_NONE;
    int rc = enter_vm(c, now, vm);
    if (rc)
        return rc;
    unsigned i;
    for (i = 0; i < n && !rc; i++) {
        rc = vcpu_add_locked(c, vm, &ids[i]);
        between(c);
    }
    if (rc) {
        for (unsigned k = 0; k + 1 < i; k++) { /* the last one failed */
            remove_vcpu(c, ids[k]);
            between(c);
        }
        ids[0] = VCPU_NONE;
        return leave(c, rc);
    }
    return leave(c, 0);
}

int vcpu__core_wake_n(vcpu_core_t *c, vcpu_time_t now, const vcpu_id_t *ids,
                      unsigned n)
{
    if (!ids)
        return VCPU_EINVAL;
    int rc = enter_with(c, 0, false);
    if (rc)
        return rc;
    for (unsigned i = 0; i < n; i++) /* under the lock: the table grows */
        if (ids[i] >= c->nvcpus)
            return leave(c, VCPU_ESRCH);
    if (now > c->now)
        c->now = now;
    for (unsigned i = 0; i < n; i++) {
        int r = wake_locked(c, ids[i]);
        if (r && !rc)
            rc = r;
        between(c);
    }
    return leave(c, rc);
}

/* ---- create / destroy -------------------------------------------------- */

static int check_attr(const struct vcpu_core_attr *a)
{
    if (!a || !a->topo)
        return VCPU_EINVAL;
    if (a->abi != VCPU_CORE_ABI)
        return VCPU_EABI;
    if (a->flags & ~(unsigned)(VCPU_CORE_CHECK | VCPU_CORE_THREADSAFE |
                               VCPU_CORE_NOCHECK | VCPU_CORE_RECYCLE))
        return VCPU_EINVAL;
    if (a->env && a->env->abi != VCPU_CORE_ABI)
        return VCPU_EABI;
    return 0;
}

static int init_pcpus(struct vcpu_core *c)
{
    c->npcpus = vcpu_topo_npcpus(c->topo);
    c->nwords = (c->npcpus + 63) / 64;
    c->pcpus = calloc(c->npcpus, sizeof *c->pcpus);
    c->idle = calloc(c->nwords, sizeof *c->idle);
    if (!c->pcpus || !c->idle)
        return VCPU_ENOMEM;
    for (unsigned p = 0; p < c->npcpus; p++) {
        struct pcpu_ent *pc = &c->pcpus[p];
        vcpu__dsq_init(&pc->local, VP_DSQ_LOCAL_ON(p), VP_DSQ_FIFO);
        pc->curr = VCPU_NONE;
        pc->speed = VCPU_SPEED_NOMINAL;
        pc->state = VP_PCPU_ONLINE;
        pc->online_since = c->now;
        pc->st.abi = VCPU_CORE_ABI;
        vcpu__idle_update(c, p);
    }
    c->nr_online = c->npcpus;
    return 0;
}

static bool env_check_requested(void)
{
    const char *s = getenv("VCPU_CHECK");
    return s && *s && strcmp(s, "0") != 0;
}

int vcpu_core_create(const struct vcpu_core_attr *attr, vcpu_core_t **out)
{
    if (!out)
        return VCPU_EINVAL;
    *out = NULL;
    int rc = check_attr(attr);
    if (rc)
        return rc;
    struct vcpu_core *c = calloc(1, sizeof *c);
    if (!c)
        return VCPU_ENOMEM;
    c->topo = vcpu_topo_ref((vcpu_topo_t *)attr->topo);
    c->now = c->start_ns = attr->start_ns;
    c->seed = attr->seed;
    c->slice_ns = attr->slice_ns ? attr->slice_ns : DEFAULT_SLICE_NS;
    c->flags = attr->flags;
    c->check = (attr->flags & VCPU_CORE_CHECK) ||
               (!(attr->flags & VCPU_CORE_NOCHECK) && env_check_requested());
    if (attr->env)
        c->env = *attr->env;
    c->trace_mask = !c->env.trace       ? 0
                    : c->env.trace_mask ? c->env.trace_mask
                                        : ~(uint64_t)0;
    c->env_arg = attr->env_arg;
    unsigned short s[3] = {(unsigned short)attr->seed,
                           (unsigned short)(attr->seed >> 16),
                           (unsigned short)(attr->seed >> 32)};
    seed48_r(s, &c->rng);
    vcpu__lock_init(&c->lock);
    c->answering = VCPU_NONE;
    vcpu__dsq_init(&c->global, VP_DSQ_GLOBAL, VP_DSQ_FIFO);
    if ((rc = init_pcpus(c)))
        goto fail;
    rc = vcpu__policy_attach(c, attr->ops ? attr->ops : &vcpu__fifo_ops,
                             attr->policy_args);
    if (rc)
        goto fail;
    *out = c;
    return 0;
fail:
    vcpu_core_destroy(c);
    return rc;
}

static void free_tables(struct vcpu_core *c)
{
    for (unsigned i = 0; i < c->nvms; i++) {
        free(vm_at(c, i)->vcpus);
        free(vm_at(c, i)->allowed);
    }
    for (unsigned i = 0; i < c->vm_chunks; i++)
        free(c->vms[i]);
    free(c->vms);
    for (unsigned i = 0; i < c->vcpu_chunks; i++)
        free(c->vcpus[i]);
    free(c->vcpus);
    free(c->free_ids);
    free(c->free_vms);
}

void vcpu_core_destroy(vcpu_core_t *c)
{
    if (!c)
        return;
    /* Empty every queue so detaching the policy finds its DSQs empty. */
    for (unsigned v = 0; v < c->nvcpus; v++)
        if (vcpu_at(c, v)->dsq)
            vcpu__dsq_remove(c, v);
    if (c->pol.ops)
        vcpu__policy_detach(c);
    vcpu__dsq_free_shared(c);
    free_tables(c);
    free(c->pcpus);
    free(c->idle);
    vcpu_topo_unref((vcpu_topo_t *)c->topo);
    free(c);
}

int vcpu_core_set_policy(vcpu_core_t *c, vcpu_time_t now,
                         const struct vcpu_policy_ops *ops,
                         const char *policy_args)
{
    if (!c || !ops)
        return VCPU_EINVAL;
    int rc = vcpu_policy_validate(ops, NULL, 0);
    if (rc)
        return rc;
    if ((rc = enter(c, now)))
        return rc;
    rc = vcpu__policy_swap(c, ops, policy_args);
    return leave(c, rc);
}

/* ---- checks and queries ------------------------------------------------ */

int vcpu_core_advance(vcpu_core_t *c, vcpu_time_t now)
{
    int rc = enter(c, now);
    return rc ? rc : leave(c, 0);
}

int vcpu_core_check_settled(vcpu_core_t *c)
{
    int rc = enter(c, 0); /* 0: the time stays */
    if (rc)
        return rc;
    rc = vcpu__check(c, true);
    if (c->flags & VCPU_CORE_THREADSAFE)
        vcpu__unlock(&c->lock);
    return rc;
}

int vcpu_core_check(vcpu_core_t *c)
{
    int rc = enter(c, 0);
    if (rc)
        return rc;
    rc = vcpu__check(c, false);
    if (c->flags & VCPU_CORE_THREADSAFE)
        vcpu__unlock(&c->lock);
    return rc;
}
