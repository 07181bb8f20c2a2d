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

void vcpu__dsq_tree_insert(struct dsq *q, struct vcpu_ent *e)
{
    RB_INSERT(vcpu_tree, &q->tree, e);
}

void vcpu__dsq_tree_remove(struct dsq *q, struct vcpu_ent *e)
{
    RB_REMOVE(vcpu_tree, &q->tree, e);
}

struct vcpu_ent *vcpu__dsq_tree_first(const struct dsq *q)
{
    return RB_MIN(vcpu_tree, (struct vcpu_tree *)&q->tree);
}

struct vcpu_ent *vcpu__dsq_tree_next(const struct dsq *q, struct vcpu_ent *e)
{
    return RB_NEXT(vcpu_tree, (struct vcpu_tree *)&q->tree, e);
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
