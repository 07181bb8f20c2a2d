// SPDX-License-Identifier: LGPL-2.1-or-later
/* The placement core: hosts with vCPU slots and memory under overcommit
 * ratios, VMs that arrive, wait, are placed by a policy, migrate, are
 * evicted and leave (docs/placement.md). Deterministic: no clock, no
 * threads; the policy's choices are checked and a bad one replaced. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "place_internal.h"

void vcpu__place_logf(const struct vcpu_place *pc, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (pc->log)
        pc->log(pc->log_arg, line);
    else
        fprintf(stderr, "%s\n", line);
}

static struct place_vm *pvm_at(struct vcpu_place *pc, vcpu_dcvm_t vm)
{
    return &pc->vms[vm];
}

static bool vm_ok(const struct vcpu_place *pc, vcpu_dcvm_t vm)
{
    return vm < pc->nvms && pc->vms[vm].state != VCPU_DCVM_GONE;
}

/* After a state-changing call: the invariants, in checking mode. */
static int done(struct vcpu_place *pc, int rc)
{
    if (!pc->check)
        return rc;
    char msg[768];
    if (vcpu_place_check(pc, msg, sizeof msg) == 0)
        return rc;
    vcpu__place_logf(pc, "%s", msg);
    return VCPU_EINVARIANT;
}

/* ---- the waiting queue: one bit per VM id, so arrival order is id order */

static void q_add(struct vcpu_place *pc, vcpu_dcvm_t vm)
{
    pc->waiting[vm / 64] |= (uint64_t)1 << (vm % 64);
    pc->nwaiting++;
    pc->vms[vm].state = VCPU_DCVM_WAITING;
}

static void q_del(struct vcpu_place *pc, vcpu_dcvm_t vm)
{
    pc->waiting[vm / 64] &= ~((uint64_t)1 << (vm % 64));
    pc->nwaiting--;
}

/* First waiting VM with id >= @from, or VCPU_NONE. */
static vcpu_dcvm_t q_next(const struct vcpu_place *pc, vcpu_dcvm_t from)
{
    if (!pc->nwaiting)
        return VCPU_NONE;
    unsigned nwords = (pc->nvms + 63) / 64;
    for (unsigned w = from / 64; w < nwords; w++) {
        uint64_t bits = pc->waiting[w];
        if (w == from / 64)
            bits &= ~(uint64_t)0 << (from % 64);
        if (bits)
            return w * 64 + (unsigned)__builtin_ctzll(bits);
    }
    return VCPU_NONE;
}

/* ---- holdings: a VM's resources on a host, linked into its list ------- */

static uint32_t *link_of(struct vcpu_place *pc, uint32_t slot, int dir)
{
    return &pc->vms[SLOT_VM(slot)].link[slot & 1][dir];
}

static void list_add(struct vcpu_place *pc, uint32_t h, uint32_t slot)
{
    struct place_host *ph = &pc->hosts[h];
    *link_of(pc, slot, 0) = VCPU_NONE;
    *link_of(pc, slot, 1) = ph->first;
    if (ph->first != VCPU_NONE)
        *link_of(pc, ph->first, 0) = slot;
    ph->first = slot;
}

static void list_del(struct vcpu_place *pc, uint32_t h, uint32_t slot)
{
    uint32_t prev = *link_of(pc, slot, 0), next = *link_of(pc, slot, 1);
    if (prev != VCPU_NONE)
        *link_of(pc, prev, 1) = next;
    else
        pc->hosts[h].first = next;
    if (next != VCPU_NONE)
        *link_of(pc, next, 0) = prev;
}

static void hold(struct vcpu_place *pc, vcpu_dcvm_t vm, uint32_t h, int k)
{
    struct place_vm *v = pvm_at(pc, vm);
    struct place_host *ph = &pc->hosts[h];
    ph->used_vcpus += v->req.vcpus;
    ph->used_mem += v->req.mem_mb;
    ph->nvms++;
    list_add(pc, h, SLOT(vm, k));
    if (k)
        v->target = h;
    else
        v->host = h;
    vcpu__fit_update(pc, h);
    if (pc->ops->placed) {
        pc->in_callback = true;
        pc->ops->placed(PCTX(pc), vm, h);
        pc->in_callback = false;
    }
}

static void release(struct vcpu_place *pc, vcpu_dcvm_t vm, int k)
{
    struct place_vm *v = pvm_at(pc, vm);
    uint32_t h = k ? v->target : v->host;
    struct place_host *ph = &pc->hosts[h];
    ph->used_vcpus -= v->req.vcpus;
    ph->used_mem -= v->req.mem_mb;
    ph->nvms--;
    list_del(pc, h, SLOT(vm, k));
    if (k)
        v->target = VCPU_HOST_NONE;
    else
        v->host = VCPU_HOST_NONE;
    vcpu__fit_update(pc, h);
    pc->dirty = true;
    if (pc->ops->released) {
        pc->in_callback = true;
        pc->ops->released(PCTX(pc), vm, h);
        pc->in_callback = false;
    }
}

/* ---- asking the policy ------------------------------------------------- */

static const char *bad_choice(const struct vcpu_place *pc, uint32_t h,
                              const struct vcpu_vm_req *req, uint32_t excl)
{
    if (h >= pc->nhosts)
        return "no such host";
    if (h == excl)
        return "it is the VM's own host";
    if (pc->hosts[h].state != VCPU_HOST_ON)
        return "the host is not ON";
    if (!host_fits(&pc->hosts[h], req))
        return "the VM does not fit under the overcommit ratios";
    return NULL;
}

/* The policy's host for @vm (@excl excluded), checked; a bad choice is
 * logged, counted and replaced by first-fit. */
static uint32_t choose(struct vcpu_place *pc, vcpu_dcvm_t vm, uint32_t excl,
                       bool migrate)
{
    const struct vcpu_place_ops *o = pc->ops;
    const struct vcpu_vm_req *req = &pc->vms[vm].req;
    uint32_t h;
    pc->exclude = excl;
    pc->in_callback = true;
    if (migrate && o->migrate_target)
        h = o->migrate_target(PCTX(pc), vm, req, excl);
    else if (o->place)
        h = o->place(PCTX(pc), vm, req);
    else
        h = vcpu__fit_first(pc, req, excl);
    pc->in_callback = false;
    const char *why = h == VCPU_HOST_NONE ? NULL : bad_choice(pc, h, req, excl);
    if (why) {
        pc->policy_errors++;
        vcpu__place_logf(pc,
                         "placement policy '%s' chose host %u for VM %u at "
                         "t=%llu ns: %s; first-fit instead",
                         o->name, h, vm, (unsigned long long)pc->now, why);
        h = vcpu__fit_first(pc, req, excl);
    }
    pc->exclude = VCPU_HOST_NONE;
    return h;
}

/* Place @vm now if the policy finds a host. */
static bool try_place(struct vcpu_place *pc, vcpu_dcvm_t vm)
{
    if (!vcpu__fit_any(pc, &pc->vms[vm].req))
        return false; /* no host has room: spare the policy the question */
    uint32_t h = choose(pc, vm, VCPU_HOST_NONE, false);
    if (h == VCPU_HOST_NONE)
        return false;
    hold(pc, vm, h, 0);
    pc->vms[vm].state = VCPU_DCVM_PLACED;
    return true;
}

/* ---- creation ---------------------------------------------------------- */

static uint64_t ratio(uint64_t x, uint32_t milli)
{
    return x / 1000 * milli + x % 1000 * milli / 1000;
}

static int check_attr(const struct vcpu_place_attr *a, char *err, size_t len)
{
    const char *why = NULL;
    int rc = VCPU_EINVAL;
    if (!a)
        why = "no attributes";
    else if (a->abi != VCPU_PLACE_ABI) {
        why = "attributes have another ABI version";
        rc = VCPU_EABI;
    } else if (!a->topo || !vcpu_dctopo_nhosts(a->topo))
        why = "no datacenter topology";
    else if (a->queue > VCPU_QUEUE_BACKFILL)
        why = "unknown queue discipline";
    if (why && err && len)
        snprintf(err, len, "%s", why);
    return why ? rc : 0;
}

/* Hosts not dominated by another in both vCPU slots and memory. */
static int frontier_init(struct vcpu_place *pc)
{
    pc->front_cpu = malloc(pc->nhosts * sizeof *pc->front_cpu);
    pc->front_mem = malloc(pc->nhosts * sizeof *pc->front_mem);
    if (!pc->front_cpu || !pc->front_mem)
        return VCPU_ENOMEM;
    for (uint32_t h = 0; h < pc->nhosts; h++) {
        const struct place_host *ph = &pc->hosts[h];
        bool dominated = false;
        for (unsigned i = 0; i < pc->nfront && !dominated; i++)
            dominated = pc->front_cpu[i] >= ph->cap_vcpus &&
                        pc->front_mem[i] >= ph->cap_mem;
        if (dominated)
            continue;
        unsigned k = 0; /* drop what the new one dominates */
        for (unsigned i = 0; i < pc->nfront; i++)
            if (!(ph->cap_vcpus >= pc->front_cpu[i] &&
                  ph->cap_mem >= pc->front_mem[i])) {
                pc->front_cpu[k] = pc->front_cpu[i];
                pc->front_mem[k++] = pc->front_mem[i];
            }
        pc->front_cpu[k] = ph->cap_vcpus;
        pc->front_mem[k++] = ph->cap_mem;
        pc->nfront = k;
    }
    return 0;
}

static bool can_ever_fit(const struct vcpu_place *pc,
                         const struct vcpu_vm_req *r)
{
    for (unsigned i = 0; i < pc->nfront; i++)
        if (pc->front_cpu[i] >= r->vcpus && pc->front_mem[i] >= r->mem_mb)
            return true;
    return false;
}

static int hosts_init(struct vcpu_place *pc, const struct vcpu_place_attr *a)
{
    uint32_t cr = a->cpu_overcommit_milli ? a->cpu_overcommit_milli : 1000;
    uint32_t mr = a->mem_overcommit_milli ? a->mem_overcommit_milli : 1000;
    pc->hosts = calloc(pc->nhosts, sizeof *pc->hosts);
    if (!pc->hosts)
        return VCPU_ENOMEM;
    for (uint32_t h = 0; h < pc->nhosts; h++) {
        struct place_host *ph = &pc->hosts[h];
        ph->npcpus = vcpu_topo_npcpus(vcpu_dctopo_host(pc->topo, h));
        uint64_t slots = ratio(ph->npcpus, cr);
        ph->cap_vcpus = slots > UINT32_MAX ? UINT32_MAX : (uint32_t)slots;
        uint64_t mem = a->host_mem_mb ? a->host_mem_mb[h] : a->mem_mb;
        ph->cap_mem = ratio(mem, mr);
        if (ph->cap_mem > INT64_MAX)
            ph->cap_mem = INT64_MAX;
        ph->first = VCPU_NONE;
        ph->state = VCPU_HOST_ON;
    }
    return frontier_init(pc);
}

static int start_policy(struct vcpu_place *pc, const char *args, char *err,
                        size_t len)
{
    const struct vcpu_place_ops *o = pc->ops;
    unsigned n = 0;
    while (o->params && o->params[n].name)
        n++;
    pc->args = calloc(n + 1, sizeof *pc->args);
    if (!pc->args)
        return VCPU_ENOMEM;
    int rc = vcpu__params_parse(o->params, o->name, args, pc->args, err, len);
    if (rc)
        return rc;
    if (!o->init)
        return 0;
    pc->in_callback = true;
    rc = o->init(PCTX(pc));
    pc->in_callback = false;
    if (rc && err && len)
        snprintf(err, len, "placement policy '%s': init failed: %s", o->name,
                 vcpu_strerror(rc));
    return rc > 0 ? VCPU_EPOLICY : rc;
}

static void free_pc(struct vcpu_place *pc)
{
    vcpu__fit_free(pc);
    free(pc->front_cpu);
    free(pc->front_mem);
    free(pc->hosts);
    free(pc->vms);
    free(pc->waiting);
    free(pc->args);
    free(pc);
}

int vcpu_place_create(const struct vcpu_place_attr *attr,
                      const struct vcpu_place_ops *ops, const char *args,
                      vcpu_place_t **out, char *err, size_t errlen)
{
    if (out)
        *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    int rc = check_attr(attr, err, errlen);
    if (rc || !out)
        return rc ? rc : VCPU_EINVAL;
    if (!ops)
        ops = vcpu_place_find("first_fit");
    if ((rc = vcpu_place_validate(ops, err, errlen)))
        return rc;
    struct vcpu_place *pc = calloc(1, sizeof *pc);
    if (!pc)
        return VCPU_ENOMEM;
    pc->ops = ops;
    pc->topo = attr->topo;
    pc->nhosts = vcpu_dctopo_nhosts(attr->topo);
    pc->queue = attr->queue;
    pc->check = attr->check;
    pc->log = attr->log;
    pc->log_arg = attr->log_arg;
    pc->rng = attr->seed ^ 0x5ca1ab1e0ddba11ULL;
    pc->exclude = VCPU_HOST_NONE;
    if ((rc = hosts_init(pc, attr)) || (rc = vcpu__fit_init(pc)) ||
        (rc = start_policy(pc, args, err, errlen))) {
        free_pc(pc);
        return rc;
    }
    *out = pc;
    return 0;
}

void vcpu_place_destroy(vcpu_place_t *pc)
{
    if (!pc)
        return;
    if (pc->ops->fini) {
        pc->in_callback = true;
        pc->ops->fini(PCTX(pc));
    }
    free_pc(pc);
}

/* ---- arrivals and departures ---------------------------------------------- */

static int grow_vms(struct vcpu_place *pc)
{
    if (pc->nvms < pc->cap_vms)
        return 0;
    if (pc->cap_vms >= VCPU_NONE / 4)
        return VCPU_ENFILE;
    unsigned cap = pc->cap_vms ? pc->cap_vms * 2 : 1024;
    struct place_vm *v = realloc(pc->vms, cap * sizeof *v);
    if (!v)
        return VCPU_ENOMEM;
    pc->vms = v;
    uint64_t *w = realloc(pc->waiting, cap / 64 * sizeof *w);
    if (!w)
        return VCPU_ENOMEM;
    memset(w + pc->cap_vms / 64, 0, (cap - pc->cap_vms) / 64 * sizeof *w);
    pc->waiting = w;
    pc->cap_vms = cap;
    return 0;
}

int vcpu_place_vm_add(vcpu_place_t *pc, uint64_t now,
                      const struct vcpu_vm_req *req, vcpu_dcvm_t *vm,
                      uint32_t *host)
{
    if (vm)
        *vm = VCPU_NONE;
    if (host)
        *host = VCPU_HOST_NONE;
    if (!pc || !req || !vm || !host || pc->in_callback ||
        req->abi != VCPU_PLACE_ABI || req->vcpus == 0)
        return VCPU_EINVAL;
    pc->now = now;
    if (!can_ever_fit(pc, req))
        return VCPU_E2BIG;
    int rc = grow_vms(pc);
    if (rc)
        return rc;
    vcpu_dcvm_t id = pc->nvms++;
    struct place_vm *v = pvm_at(pc, id);
    memset(v, 0, sizeof *v);
    v->req = *req;
    v->host = v->target = VCPU_HOST_NONE;
    *vm = id;
    if (!(pc->queue == VCPU_QUEUE_FIFO && pc->nwaiting) && try_place(pc, id)) {
        *host = v->host;
        return done(pc, 0);
    }
    q_add(pc, id);
    return done(pc, VCPU_EAGAIN);
}

int vcpu_place_vm_remove(vcpu_place_t *pc, uint64_t now, vcpu_dcvm_t vm)
{
    if (!pc || pc->in_callback)
        return VCPU_EINVAL;
    if (!vm_ok(pc, vm))
        return VCPU_ESRCH;
    pc->now = now;
    struct place_vm *v = pvm_at(pc, vm);
    switch (v->state) {
    case VCPU_DCVM_WAITING:
        q_del(pc, vm);
        pc->dirty = true; /* it may have blocked the head */
        break;
    case VCPU_DCVM_MIGRATING:
        release(pc, vm, 1);
        release(pc, vm, 0);
        break;
    case VCPU_DCVM_PLACED:
        release(pc, vm, 0);
        break;
    default: /* EVICTED: holds nothing */
        break;
    }
    v->state = VCPU_DCVM_GONE;
    return done(pc, 0);
}

int vcpu_place_retry(vcpu_place_t *pc, uint64_t now,
                     void (*placed)(void *arg, vcpu_dcvm_t vm, uint32_t host),
                     void *arg)
{
    if (!pc || pc->in_callback)
        return VCPU_EINVAL;
    pc->now = now;
    if (!pc->dirty || !pc->nwaiting)
        return 0;
    pc->dirty = false;
    for (vcpu_dcvm_t v = q_next(pc, 0); v != VCPU_NONE; v = q_next(pc, v + 1)) {
        if (pc->by_index.n[1].cpu < 1)
            break; /* not one free slot anywhere */
        if (!try_place(pc, v)) {
            if (pc->queue == VCPU_QUEUE_FIFO)
                break;
            pc->vms[v].state = VCPU_DCVM_WAITING;
            continue;
        }
        q_del(pc, v);
        if (placed)
            placed(arg, v, pc->vms[v].host);
    }
    return done(pc, 0);
}

int vcpu_place_vm_requeue(vcpu_place_t *pc, uint64_t now, vcpu_dcvm_t vm,
                          uint32_t *host)
{
    if (host)
        *host = VCPU_HOST_NONE;
    if (!pc || !host || pc->in_callback)
        return VCPU_EINVAL;
    if (!vm_ok(pc, vm))
        return VCPU_ESRCH;
    if (pc->vms[vm].state != VCPU_DCVM_EVICTED)
        return VCPU_ESTATE;
    pc->now = now;
    bool blocked = pc->queue == VCPU_QUEUE_FIFO && q_next(pc, 0) < vm;
    if (!blocked && try_place(pc, vm)) {
        *host = pc->vms[vm].host;
        return done(pc, 0);
    }
    q_add(pc, vm);
    return done(pc, VCPU_EAGAIN);
}

/* ---- hosts --------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* @h fails: cancel migrations into it, evict what lives on it. Returns
 * the evicted VMs (malloc'd, id order) in *@out. */
static int evict_all(struct vcpu_place *pc, uint32_t h, vcpu_dcvm_t **out,
                     unsigned *n)
{
    *n = 0;
    *out = malloc((pc->hosts[h].nvms + 1) * sizeof **out);
    if (!*out)
        return VCPU_ENOMEM;
    for (uint32_t s = pc->hosts[h].first; s != VCPU_NONE;) {
        uint32_t next = *link_of(pc, s, 1);
        vcpu_dcvm_t vm = SLOT_VM(s);
        if (s & 1) {
            release(pc, vm, 1);
            pc->vms[vm].state = VCPU_DCVM_PLACED;
        } else {
            (*out)[(*n)++] = vm;
        }
        s = next;
    }
    qsort(*out, *n, sizeof **out, cmp_u32);
    for (unsigned i = 0; i < *n; i++) {
        vcpu_dcvm_t vm = (*out)[i];
        if (pc->vms[vm].state == VCPU_DCVM_MIGRATING)
            release(pc, vm, 1);
        release(pc, vm, 0);
        pc->vms[vm].state = VCPU_DCVM_EVICTED;
    }
    return 0;
}

int vcpu_place_host_set_state(vcpu_place_t *pc, uint64_t now, uint32_t h,
                              unsigned state,
                              void (*evicted)(void *arg, vcpu_dcvm_t vm),
                              void *arg)
{
    if (!pc || pc->in_callback || h >= pc->nhosts || state > VCPU_HOST_FAILED)
        return VCPU_EINVAL;
    pc->now = now;
    struct place_host *ph = &pc->hosts[h];
    if (ph->state == state)
        return done(pc, 0);
    if ((state == VCPU_HOST_OFF || state == VCPU_HOST_BOOTING) && ph->nvms)
        return VCPU_EBUSY;
    vcpu_dcvm_t *ev = NULL;
    unsigned nev = 0;
    if (ph->nvms && evict_all(pc, h, &ev, &nev))
        return VCPU_ENOMEM;
    ph->state = (uint8_t)state;
    vcpu__fit_update(pc, h);
    if (state == VCPU_HOST_ON)
        pc->dirty = true;
    if (pc->ops->host_changed) {
        pc->in_callback = true;
        pc->ops->host_changed(PCTX(pc), h, state);
        pc->in_callback = false;
    }
    for (unsigned i = 0; evicted && i < nev; i++)
        evicted(arg, ev[i]);
    free(ev);
    return done(pc, 0);
}

int vcpu_place_host_set_util(vcpu_place_t *pc, uint32_t h, uint32_t util_milli)
{
    if (!pc || h >= pc->nhosts || util_milli > 1000)
        return VCPU_EINVAL;
    pc->hosts[h].util = (uint16_t)util_milli;
    return 0;
}

/* ---- migration ---------------------------------------------------------- */

int vcpu_place_migrate_target(vcpu_place_t *pc, vcpu_dcvm_t vm, uint32_t *host)
{
    if (host)
        *host = VCPU_HOST_NONE;
    if (!pc || !host || pc->in_callback)
        return VCPU_EINVAL;
    if (!vm_ok(pc, vm))
        return VCPU_ESRCH;
    if (pc->vms[vm].state != VCPU_DCVM_PLACED)
        return VCPU_ESTATE;
    *host = choose(pc, vm, pc->vms[vm].host, true);
    return *host == VCPU_HOST_NONE ? VCPU_ENOSPC : 0;
}

int vcpu_place_migrate_begin(vcpu_place_t *pc, uint64_t now, vcpu_dcvm_t vm,
                             uint32_t target)
{
    if (!pc || pc->in_callback)
        return VCPU_EINVAL;
    if (!vm_ok(pc, vm))
        return VCPU_ESRCH;
    struct place_vm *v = pvm_at(pc, vm);
    if (v->state != VCPU_DCVM_PLACED)
        return VCPU_ESTATE;
    if (target >= pc->nhosts || target == v->host)
        return VCPU_EINVAL;
    if (!host_fits(&pc->hosts[target], &v->req))
        return VCPU_ENOSPC;
    pc->now = now;
    hold(pc, vm, target, 1);
    v->state = VCPU_DCVM_MIGRATING;
    return done(pc, 0);
}

int vcpu_place_migrate_end(vcpu_place_t *pc, uint64_t now, vcpu_dcvm_t vm,
                           bool ok)
{
    if (!pc || pc->in_callback)
        return VCPU_EINVAL;
    if (!vm_ok(pc, vm))
        return VCPU_ESRCH;
    struct place_vm *v = pvm_at(pc, vm);
    if (v->state != VCPU_DCVM_MIGRATING)
        return VCPU_ESTATE;
    pc->now = now;
    if (!ok) {
        release(pc, vm, 1);
    } else {
        release(pc, vm, 0);
        uint32_t t = v->target;
        list_del(pc, t, SLOT(vm, 1));
        list_add(pc, t, SLOT(vm, 0));
        v->host = t;
        v->target = VCPU_HOST_NONE;
    }
    v->state = VCPU_DCVM_PLACED;
    return done(pc, 0);
}

/* ---- queries -------------------------------------------------------------- */

unsigned vcpu_place_nhosts(const vcpu_place_t *pc)
{
    return pc ? pc->nhosts : 0;
}

unsigned vcpu_place_nvms(const vcpu_place_t *pc)
{
    return pc ? pc->nvms : 0;
}

uint32_t vcpu_place_vm_host(const vcpu_place_t *pc, vcpu_dcvm_t vm)
{
    return pc && vm < pc->nvms ? pc->vms[vm].host : VCPU_HOST_NONE;
}

uint32_t vcpu_place_vm_target(const vcpu_place_t *pc, vcpu_dcvm_t vm)
{
    return pc && vm < pc->nvms ? pc->vms[vm].target : VCPU_HOST_NONE;
}

unsigned vcpu_place_vm_state(const vcpu_place_t *pc, vcpu_dcvm_t vm)
{
    return pc && vm < pc->nvms ? pc->vms[vm].state : 0;
}

const struct vcpu_vm_req *vcpu_place_vm_req(const vcpu_place_t *pc,
                                            vcpu_dcvm_t vm)
{
    return pc && vm < pc->nvms ? &pc->vms[vm].req : NULL;
}

unsigned vcpu_place_host_state(const vcpu_place_t *pc, uint32_t h)
{
    return pc->hosts[h].state;
}

unsigned vcpu_place_host_nvms(const vcpu_place_t *pc, uint32_t h)
{
    return pc->hosts[h].nvms;
}

uint32_t vcpu_place_host_used_vcpus(const vcpu_place_t *pc, uint32_t h)
{
    return pc->hosts[h].used_vcpus;
}

uint64_t vcpu_place_host_used_mem_mb(const vcpu_place_t *pc, uint32_t h)
{
    return pc->hosts[h].used_mem;
}

uint32_t vcpu_place_host_cap_vcpus(const vcpu_place_t *pc, uint32_t h)
{
    return pc->hosts[h].cap_vcpus;
}

uint64_t vcpu_place_host_cap_mem_mb(const vcpu_place_t *pc, uint32_t h)
{
    return pc->hosts[h].cap_mem;
}

unsigned vcpu_place_host_vms(const vcpu_place_t *pc, uint32_t h,
                             vcpu_dcvm_t *out, unsigned max)
{
    unsigned n = 0;
    for (uint32_t s = pc->hosts[h].first; s != VCPU_NONE;
         s = pc->vms[SLOT_VM(s)].link[s & 1][1], n++)
        if (out && n < max)
            out[n] = SLOT_VM(s);
    return n;
}

unsigned vcpu_place_nwaiting(const vcpu_place_t *pc)
{
    return pc ? pc->nwaiting : 0;
}

uint64_t vcpu_place_policy_errors(const vcpu_place_t *pc)
{
    return pc ? pc->policy_errors : 0;
}

const struct vcpu_place_ops *vcpu_place_ops(const vcpu_place_t *pc)
{
    return pc ? pc->ops : NULL;
}
