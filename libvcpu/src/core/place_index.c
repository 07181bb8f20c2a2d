// SPDX-License-Identifier: LGPL-2.1-or-later
/* Search indices of a placement core: a segment tree of free capacity in
 * host order (first-fit), one in domain order (first-fit inside a rack or
 * cluster, domain sums) and a treap keyed by free capacity (best- and
 * worst-fit). All O(log hosts) per update and, nearly always, per query. */
#include <stdio.h>
#include <string.h>

#include "place_internal.h"

#define NIL UINT32_MAX

/* ---- segment trees --------------------------------------------------- */

static void leaf_set(struct fit_node *n, const struct place_host *h)
{
    n->cpu = host_free_cpu(h);
    n->mem = host_free_mem(h);
    bool on = h->state == VCPU_HOST_ON;
    n->scpu = on ? (uint64_t)n->cpu : 0;
    n->smem = on ? (uint64_t)n->mem : 0;
}

static void pull(struct fit_node *n, unsigned i)
{
    const struct fit_node *a = &n[2 * i], *b = &n[2 * i + 1];
    n[i].cpu = a->cpu > b->cpu ? a->cpu : b->cpu;
    n[i].mem = a->mem > b->mem ? a->mem : b->mem;
    n[i].scpu = a->scpu + b->scpu;
    n[i].smem = a->smem + b->smem;
}

static int tree_init(struct vcpu_place *pc, struct fit_tree *t,
                     const uint32_t *pos)
{
    t->size = 1;
    while (t->size < pc->nhosts)
        t->size *= 2;
    t->pos = pos;
    t->n = calloc(2 * (size_t)t->size, sizeof *t->n);
    if (!t->n)
        return VCPU_ENOMEM;
    for (unsigned i = 0; i < t->size; i++) {
        struct fit_node *leaf = &t->n[t->size + i];
        if (i < pc->nhosts)
            leaf_set(leaf, &pc->hosts[pos ? pos[i] : i]);
        else
            leaf->cpu = leaf->mem = -1;
    }
    for (unsigned i = t->size - 1; i >= 1; i--)
        pull(t->n, i);
    return 0;
}

static void tree_update(struct fit_tree *t, unsigned p,
                        const struct place_host *h)
{
    unsigned i = t->size + p;
    leaf_set(&t->n[i], h);
    for (i /= 2; i >= 1; i /= 2)
        pull(t->n, i);
}

struct query {
    int64_t cpu, mem;
    unsigned lo, hi; /* positions */
    unsigned excl;   /* position, or UINT32_MAX */
};

/* Leftmost position in [q->lo, q->hi) whose host has room. The maxima
 * may come from different hosts, so a subtree can be entered in vain;
 * that costs a few extra paths, not a scan. */
static int64_t tree_first(const struct fit_tree *t, unsigned i, unsigned nlo,
                          unsigned nhi, const struct query *q)
{
    if (nhi <= q->lo || q->hi <= nlo || t->n[i].cpu < q->cpu ||
        t->n[i].mem < q->mem)
        return -1;
    if (nhi - nlo == 1)
        return nlo == q->excl ? -1 : (int64_t)nlo;
    unsigned mid = nlo + (nhi - nlo) / 2;
    int64_t r = tree_first(t, 2 * i, nlo, mid, q);
    return r >= 0 ? r : tree_first(t, 2 * i + 1, mid, nhi, q);
}

static void tree_sum(const struct fit_tree *t, unsigned i, unsigned nlo,
                     unsigned nhi, unsigned lo, unsigned hi, uint64_t *cpu,
                     uint64_t *mem)
{
    if (nhi <= lo || hi <= nlo)
        return;
    if (lo <= nlo && nhi <= hi) {
        *cpu += t->n[i].scpu;
        *mem += t->n[i].smem;
        return;
    }
    unsigned mid = nlo + (nhi - nlo) / 2;
    tree_sum(t, 2 * i, nlo, mid, lo, hi, cpu, mem);
    tree_sum(t, 2 * i + 1, mid, nhi, lo, hi, cpu, mem);
}

/* ---- treap --------------------------------------------------------- */

static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

static bool key_lt(const struct fit_treap *T, uint32_t a, int64_t c, int64_t m,
                   uint32_t h)
{
    if (T->kcpu[a] != c)
        return T->kcpu[a] < c;
    if (T->kmem[a] != m)
        return T->kmem[a] < m;
    return a < h;
}

static void tr_pull(struct fit_treap *T, uint32_t t)
{
    int64_t m = T->kmem[t];
    if (T->l[t] != NIL && T->maxmem[T->l[t]] > m)
        m = T->maxmem[T->l[t]];
    if (T->r[t] != NIL && T->maxmem[T->r[t]] > m)
        m = T->maxmem[T->r[t]];
    T->maxmem[t] = m;
}

/* Split @t into keys < (c, m, h) and the rest. */
static void tr_split(struct fit_treap *T, uint32_t t, int64_t c, int64_t m,
                     uint32_t h, uint32_t *L, uint32_t *R)
{
    if (t == NIL) {
        *L = *R = NIL;
        return;
    }
    if (key_lt(T, t, c, m, h)) {
        tr_split(T, T->r[t], c, m, h, &T->r[t], R);
        *L = t;
    } else {
        tr_split(T, T->l[t], c, m, h, L, &T->l[t]);
        *R = t;
    }
    tr_pull(T, t);
}

static uint32_t tr_merge(struct fit_treap *T, uint32_t a, uint32_t b)
{
    if (a == NIL)
        return b;
    if (b == NIL)
        return a;
    if (T->prio[a] > T->prio[b]) {
        T->r[a] = tr_merge(T, T->r[a], b);
        tr_pull(T, a);
        return a;
    }
    T->l[b] = tr_merge(T, a, T->l[b]);
    tr_pull(T, b);
    return b;
}

static void tr_insert(struct fit_treap *T, uint32_t h,
                      const struct place_host *ph)
{
    T->kcpu[h] = host_free_cpu(ph);
    T->kmem[h] = host_free_mem(ph);
    T->maxmem[h] = T->kmem[h];
    T->l[h] = T->r[h] = NIL;
    uint32_t L, R;
    tr_split(T, T->root, T->kcpu[h], T->kmem[h], h, &L, &R);
    T->root = tr_merge(T, tr_merge(T, L, h), R);
    T->in[h] = true;
}

static void tr_remove(struct fit_treap *T, uint32_t h)
{
    uint32_t L, M, R;
    tr_split(T, T->root, T->kcpu[h], T->kmem[h], h, &L, &R);
    tr_split(T, R, T->kcpu[h], T->kmem[h], h + 1, &M, &R);
    VCPU_ASSERT(M == h && T->l[h] == NIL && T->r[h] == NIL);
    T->root = tr_merge(T, L, R);
    T->in[h] = false;
}

static void tr_update(struct vcpu_place *pc, uint32_t h)
{
    struct fit_treap *T = &pc->treap;
    if (T->in[h])
        tr_remove(T, h);
    if (pc->hosts[h].state == VCPU_HOST_ON)
        tr_insert(T, h, &pc->hosts[h]);
}

static void tr_free(struct fit_treap *T)
{
    free(T->l);
    free(T->r);
    free(T->prio);
    free(T->kcpu);
    free(T->kmem);
    free(T->maxmem);
    free(T->in);
    memset(T, 0, sizeof *T);
}

static int tr_build(struct vcpu_place *pc)
{
    struct fit_treap *T = &pc->treap;
    size_t n = pc->nhosts;
    T->l = malloc(n * sizeof *T->l);
    T->r = malloc(n * sizeof *T->r);
    T->prio = malloc(n * sizeof *T->prio);
    T->kcpu = malloc(n * sizeof *T->kcpu);
    T->kmem = malloc(n * sizeof *T->kmem);
    T->maxmem = malloc(n * sizeof *T->maxmem);
    T->in = calloc(n, sizeof *T->in);
    if (!T->l || !T->r || !T->prio || !T->kcpu || !T->kmem || !T->maxmem ||
        !T->in) {
        tr_free(T);
        return VCPU_ENOMEM;
    }
    T->root = NIL;
    for (uint32_t h = 0; h < n; h++) {
        T->prio[h] = mix32(h + 0x9e3779b9U);
        if (pc->hosts[h].state == VCPU_HOST_ON)
            tr_insert(T, h, &pc->hosts[h]);
    }
    T->built = true;
    return 0;
}

/* Leftmost node of @t with free memory >= @rm, @excl skipped. */
static uint32_t tr_leftmost(const struct fit_treap *T, uint32_t t, int64_t rm,
                            uint32_t excl)
{
    if (t == NIL || T->maxmem[t] < rm)
        return NIL;
    uint32_t x = tr_leftmost(T, T->l[t], rm, excl);
    if (x != NIL)
        return x;
    if (T->kmem[t] >= rm && t != excl)
        return t;
    return tr_leftmost(T, T->r[t], rm, excl);
}

static uint32_t tr_rightmost(const struct fit_treap *T, uint32_t t, int64_t rm,
                             uint32_t excl)
{
    if (t == NIL || T->maxmem[t] < rm)
        return NIL;
    uint32_t x = tr_rightmost(T, T->r[t], rm, excl);
    if (x != NIL)
        return x;
    if (T->kmem[t] >= rm && t != excl)
        return t;
    return tr_rightmost(T, T->l[t], rm, excl);
}

/* Leftmost node with key >= (c, m, h) and free memory >= @rm. */
static uint32_t tr_lower(const struct fit_treap *T, uint32_t t, int64_t c,
                         int64_t m, uint32_t h, int64_t rm, uint32_t excl)
{
    if (t == NIL || T->maxmem[t] < rm)
        return NIL;
    if (key_lt(T, t, c, m, h))
        return tr_lower(T, T->r[t], c, m, h, rm, excl);
    uint32_t x = tr_lower(T, T->l[t], c, m, h, rm, excl);
    if (x != NIL)
        return x;
    if (T->kmem[t] >= rm && t != excl)
        return t;
    return tr_leftmost(T, T->r[t], rm, excl);
}

/* ---- the index as a whole ---------------------------------------------- */

struct dom_key {
    uint32_t dc, cl, rk, h;
};

static int dom_cmp(const void *a, const void *b)
{
    const struct dom_key *x = a, *y = b;
    if (x->dc != y->dc)
        return x->dc < y->dc ? -1 : 1;
    if (x->cl != y->cl)
        return x->cl < y->cl ? -1 : 1;
    if (x->rk != y->rk)
        return x->rk < y->rk ? -1 : 1;
    return x->h < y->h ? -1 : x->h > y->h;
}

static const unsigned dom_kind[DOM_KINDS] = {
    VCPU_TOPO_RACK, VCPU_TOPO_CLUSTER, VCPU_TOPO_DATACENTER, VCPU_TOPO_WORLD};

int vcpu__dom_of_kind(unsigned kind)
{
    for (int d = 0; d < DOM_KINDS; d++)
        if (dom_kind[d] == kind)
            return d;
    return -1;
}

static int dom_ranges(struct vcpu_place *pc, const struct dom_key *keys)
{
    for (int d = 0; d < DOM_KINDS; d++) {
        unsigned n = 0;
        for (unsigned i = 0; i < pc->nhosts; i++) {
            uint32_t id = d == DOM_RACK      ? keys[i].rk
                          : d == DOM_CLUSTER ? keys[i].cl
                          : d == DOM_DC      ? keys[i].dc
                                             : 0;
            if (id + 1 > n)
                n = id + 1;
        }
        struct place_domains *D = &pc->dom[d];
        D->n = n;
        D->lo = calloc(n, sizeof *D->lo);
        D->hi = calloc(n, sizeof *D->hi);
        if (!D->lo || !D->hi)
            return VCPU_ENOMEM;
        for (unsigned i = pc->nhosts; i-- > 0;) {
            uint32_t id = d == DOM_RACK      ? keys[i].rk
                          : d == DOM_CLUSTER ? keys[i].cl
                          : d == DOM_DC      ? keys[i].dc
                                             : 0;
            D->lo[id] = i;
            if (!D->hi[id])
                D->hi[id] = i + 1;
        }
    }
    return 0;
}

static int dom_init(struct vcpu_place *pc)
{
    unsigned n = pc->nhosts;
    struct dom_key *keys = malloc(n * sizeof *keys);
    pc->dom_hosts = malloc(n * sizeof *pc->dom_hosts);
    pc->dom_pos = malloc(n * sizeof *pc->dom_pos);
    if (!keys || !pc->dom_hosts || !pc->dom_pos) {
        free(keys);
        return VCPU_ENOMEM;
    }
    for (unsigned h = 0; h < n; h++)
        keys[h] = (struct dom_key){
            vcpu_dctopo_ancestor(pc->topo, h, VCPU_TOPO_DATACENTER),
            vcpu_dctopo_ancestor(pc->topo, h, VCPU_TOPO_CLUSTER),
            vcpu_dctopo_ancestor(pc->topo, h, VCPU_TOPO_RACK), h};
    qsort(keys, n, sizeof *keys, dom_cmp);
    bool identity = true;
    for (unsigned i = 0; i < n; i++) {
        pc->dom_hosts[i] = keys[i].h;
        pc->dom_pos[keys[i].h] = i;
        identity = identity && keys[i].h == i;
    }
    int rc = dom_ranges(pc, keys);
    free(keys);
    if (rc)
        return rc;
    if (identity) {
        pc->by_domain = pc->by_index;
        return 0;
    }
    return tree_init(pc, &pc->by_domain, pc->dom_hosts);
}

int vcpu__fit_init(struct vcpu_place *pc)
{
    int rc = tree_init(pc, &pc->by_index, NULL);
    return rc ? rc : dom_init(pc);
}

void vcpu__fit_free(struct vcpu_place *pc)
{
    if (pc->by_domain.n != pc->by_index.n)
        free(pc->by_domain.n);
    free(pc->by_index.n);
    free(pc->dom_hosts);
    free(pc->dom_pos);
    for (int d = 0; d < DOM_KINDS; d++) {
        free(pc->dom[d].lo);
        free(pc->dom[d].hi);
    }
    tr_free(&pc->treap);
}

void vcpu__fit_update(struct vcpu_place *pc, uint32_t h)
{
    tree_update(&pc->by_index, h, &pc->hosts[h]);
    if (pc->by_domain.n != pc->by_index.n)
        tree_update(&pc->by_domain, pc->dom_pos[h], &pc->hosts[h]);
    if (pc->treap.built)
        tr_update(pc, h);
}

uint32_t vcpu__fit_first(const struct vcpu_place *pc,
                         const struct vcpu_vm_req *req, uint32_t exclude)
{
    struct query q = {req->vcpus, (int64_t)req->mem_mb, 0, pc->nhosts, exclude};
    if (req->mem_mb > INT64_MAX)
        return VCPU_HOST_NONE;
    int64_t p = tree_first(&pc->by_index, 1, 0, pc->by_index.size, &q);
    return p < 0 ? VCPU_HOST_NONE : (uint32_t)p;
}

uint32_t vcpu__fit_first_in(const struct vcpu_place *pc, unsigned dom,
                            unsigned idx, const struct vcpu_vm_req *req,
                            uint32_t exclude)
{
    if (dom >= DOM_KINDS || idx >= pc->dom[dom].n || req->mem_mb > INT64_MAX)
        return VCPU_HOST_NONE;
    struct query q = {req->vcpus, (int64_t)req->mem_mb, pc->dom[dom].lo[idx],
                      pc->dom[dom].hi[idx],
                      exclude == VCPU_HOST_NONE ? UINT32_MAX
                                                : pc->dom_pos[exclude]};
    int64_t p = tree_first(&pc->by_domain, 1, 0, pc->by_domain.size, &q);
    return p < 0 ? VCPU_HOST_NONE : pc->dom_hosts[p];
}

void vcpu__fit_domain_sum(const struct vcpu_place *pc, unsigned dom,
                          unsigned idx, uint64_t *cpu, uint64_t *mem)
{
    *cpu = *mem = 0;
    if (dom >= DOM_KINDS || idx >= pc->dom[dom].n)
        return;
    tree_sum(&pc->by_domain, 1, 0, pc->by_domain.size, pc->dom[dom].lo[idx],
             pc->dom[dom].hi[idx], cpu, mem);
}

bool vcpu__fit_any(const struct vcpu_place *pc, const struct vcpu_vm_req *req)
{
    const struct fit_node *root = &pc->by_index.n[1];
    return root->cpu >= (int64_t)req->vcpus && req->mem_mb <= INT64_MAX &&
           root->mem >= (int64_t)req->mem_mb;
}

uint32_t vcpu__fit_best(struct vcpu_place *pc, const struct vcpu_vm_req *req,
                        uint32_t exclude)
{
    if (!pc->treap.built && tr_build(pc))
        return vcpu__fit_first(pc, req, exclude); /* out of memory */
    if (req->mem_mb > INT64_MAX)
        return VCPU_HOST_NONE;
    const struct fit_treap *T = &pc->treap;
    uint32_t h = tr_lower(T, T->root, req->vcpus, INT64_MIN, 0,
                          (int64_t)req->mem_mb, exclude);
    return h == NIL ? VCPU_HOST_NONE : h;
}

uint32_t vcpu__fit_worst(struct vcpu_place *pc, const struct vcpu_vm_req *req,
                         uint32_t exclude)
{
    if (!pc->treap.built && tr_build(pc))
        return vcpu__fit_first(pc, req, exclude);
    if (req->mem_mb > INT64_MAX)
        return VCPU_HOST_NONE;
    const struct fit_treap *T = &pc->treap;
    int64_t rm = (int64_t)req->mem_mb;
    uint32_t w = tr_rightmost(T, T->root, rm, exclude);
    if (w == NIL || T->kcpu[w] < (int64_t)req->vcpus)
        return VCPU_HOST_NONE;
    uint32_t h = tr_lower(T, T->root, T->kcpu[w], T->kmem[w], 0, rm, exclude);
    return h == NIL ? VCPU_HOST_NONE : h;
}

/* ---- consistency (invariant 5) ------------------------------------------ */

static int check_tree(const struct vcpu_place *pc, const struct fit_tree *t,
                      const char *name, char *why, size_t len)
{
    for (unsigned i = 0; i < t->size; i++) {
        struct fit_node want = {.cpu = -1, .mem = -1};
        if (i < pc->nhosts)
            leaf_set(&want, &pc->hosts[t->pos ? t->pos[i] : i]);
        const struct fit_node *got = &t->n[t->size + i];
        if (memcmp(&want, got, sizeof want)) {
            snprintf(why, len,
                     "%s tree: position %u says %lld slots and %lld "
                     "MB free, the host has %lld and %lld",
                     name, i, (long long)got->cpu, (long long)got->mem,
                     (long long)want.cpu, (long long)want.mem);
            return -1;
        }
    }
    for (unsigned i = t->size - 1; i >= 1; i--) {
        struct fit_node tmp[4] = {{0}, {0}, t->n[2 * i], t->n[2 * i + 1]};
        pull(tmp, 1);
        if (memcmp(&tmp[1], &t->n[i], sizeof tmp[1])) {
            snprintf(why, len, "%s tree: inner node %u is stale", name, i);
            return -1;
        }
    }
    return 0;
}

/* In-order walk: keys increase, cached keys are current, maxima right. */
static int check_treap(const struct vcpu_place *pc, char *why, size_t len)
{
    const struct fit_treap *T = &pc->treap;
    unsigned on = 0, seen = 0;
    for (uint32_t h = 0; h < pc->nhosts; h++) {
        bool is_on = pc->hosts[h].state == VCPU_HOST_ON;
        on += is_on;
        if (T->in[h] != is_on ||
            (is_on && (T->kcpu[h] != host_free_cpu(&pc->hosts[h]) ||
                       T->kmem[h] != host_free_mem(&pc->hosts[h])))) {
            snprintf(why, len, "treap: host %u is stale", h);
            return -1;
        }
        if (is_on) {
            int64_t m = T->kmem[h];
            if (T->l[h] != NIL && T->maxmem[T->l[h]] > m)
                m = T->maxmem[T->l[h]];
            if (T->r[h] != NIL && T->maxmem[T->r[h]] > m)
                m = T->maxmem[T->r[h]];
            if (m != T->maxmem[h] ||
                (T->l[h] != NIL &&
                 !key_lt(T, T->l[h], T->kcpu[h], T->kmem[h], h)) ||
                (T->r[h] != NIL &&
                 key_lt(T, T->r[h], T->kcpu[h], T->kmem[h], h))) {
                snprintf(why, len, "treap: node %u out of order or stale", h);
                return -1;
            }
            seen += (T->l[h] != NIL) + (T->r[h] != NIL);
        }
    }
    if (on && seen + 1 != on) {
        snprintf(why, len, "treap: %u ON hosts, %u linked", on, seen + 1);
        return -1;
    }
    return 0;
}

int vcpu__fit_check(const struct vcpu_place *pc, char *why, size_t len)
{
    if (check_tree(pc, &pc->by_index, "host-order", why, len))
        return -1;
    if (pc->by_domain.n != pc->by_index.n &&
        check_tree(pc, &pc->by_domain, "domain-order", why, len))
        return -1;
    return pc->treap.built ? check_treap(pc, why, len) : 0;
}
