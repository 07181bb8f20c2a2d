// SPDX-License-Identifier: LGPL-2.1-or-later
/* Dispatch queues: FIFO lists and key-ordered red-black trees (libbsd's
 * tree.h), looked up by id through a direct-mapped table. */
#include "core_internal.h"

static int ent_cmp(const struct vcpu_ent *a, const struct vcpu_ent *b)
{
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

/* RB_GENERATE_STATIC needs __unused, which libbsd leaves undefined. */
RB_GENERATE_INTERNAL(vcpu_tree, vcpu_ent, q.rb, ent_cmp,
                     __attribute__((unused)) static)

void vcpu__dsq_init(struct dsq *q, vp_dsq_t id, unsigned kind)
{
    q->id = id;
    q->kind = kind;
    q->nr = 0;
    TAILQ_INIT(&q->fifo);
    RB_INIT(&q->tree);
}

struct dsq *vcpu__dsq_lookup(struct vcpu_core *c, vp_dsq_t id)
{
    if (id & ((vp_dsq_t)1 << 63)) {
        vp_dsq_t p = id & ~((vp_dsq_t)1 << 63);
        return p < c->npcpus ? &c->pcpus[p].local : NULL;
    }
    if (id == VP_DSQ_GLOBAL)
        return &c->global;
    return id < c->ndsq_slots ? c->dsqs[id] : NULL;
}

void vcpu__dsq_push(struct vcpu_core *c, struct dsq *q, vcpu_id_t v,
                    uint64_t key, bool head)
{
    struct vcpu_ent *e = vcpu_at(c, v);
    VCPU_ASSERT(!e->dsq);
    e->key = key;
    e->seq = c->seq++;
    e->dsq = q;
    q->nr++;
    if (q->kind == VP_DSQ_PRIQ)
        RB_INSERT(vcpu_tree, &q->tree, e);
    else if (head)
        TAILQ_INSERT_HEAD(&q->fifo, e, q.link);
    else
        TAILQ_INSERT_TAIL(&q->fifo, e, q.link);
}

void vcpu__dsq_remove(struct vcpu_core *c, vcpu_id_t v)
{
    struct vcpu_ent *e = vcpu_at(c, v);
    struct dsq *q = e->dsq;
    VCPU_ASSERT(q && q->nr > 0);
    if (q->kind == VP_DSQ_PRIQ)
        RB_REMOVE(vcpu_tree, &q->tree, e);
    else
        TAILQ_REMOVE(&q->fifo, e, q.link);
    q->nr--;
    e->dsq = NULL;
}

struct vcpu_ent *vcpu__dsq_first(const struct dsq *q)
{
    if (q->kind == VP_DSQ_PRIQ)
        return RB_MIN(vcpu_tree, (struct vcpu_tree *)&q->tree);
    return TAILQ_FIRST(&q->fifo);
}

struct vcpu_ent *vcpu__dsq_next(const struct dsq *q, struct vcpu_ent *e)
{
    if (q->kind == VP_DSQ_PRIQ)
        return RB_NEXT(vcpu_tree, (struct vcpu_tree *)&q->tree, e);
    return TAILQ_NEXT(e, q.link);
}

vcpu_id_t vcpu__dsq_pop_first(struct vcpu_core *c, struct dsq *q)
{
    struct vcpu_ent *e = vcpu__dsq_first(q);
    if (!e)
        return VCPU_NONE;
    vcpu__dsq_remove(c, e->id);
    return e->id;
}

vcpu_id_t vcpu__dsq_pop_eligible(struct vcpu_core *c, struct dsq *q,
                                 vcpu_pcpu_t p)
{
    for (struct vcpu_ent *e = vcpu__dsq_first(q); e; e = vcpu__dsq_next(q, e)) {
        if (vm_allows(c, e->vm, p)) {
            vcpu__dsq_remove(c, e->id);
            return e->id;
        }
    }
    return VCPU_NONE;
}

void vcpu__dsq_free_shared(struct vcpu_core *c)
{
    for (unsigned i = 0; i < c->ndsq_slots; i++) {
        if (c->dsqs[i])
            VCPU_ASSERT(c->dsqs[i]->nr == 0);
        free(c->dsqs[i]);
    }
    free(c->dsqs);
    c->dsqs = NULL;
    c->ndsq_slots = 0;
}
