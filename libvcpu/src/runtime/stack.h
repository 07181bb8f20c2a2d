/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pool of guard-paged vCPU stacks: mmap'd once, optionally placed on a NUMA
 * node, then recycled through an O(1) free list. Nothing here is API. */
#ifndef VCPU_RUNTIME_STACK_H
#define VCPU_RUNTIME_STACK_H

#include <stdbool.h>
#include <stddef.h>

/* Defaults for a zero size or cap. */
#define VCPU__STACK_SIZE_DEFAULT (64u * 1024u)
#define VCPU__STACK_MAX_DEFAULT 65536u

/*
 * Synchronisation: vcpu__stack_get() and vcpu__stack_put() take the pool's
 * mutex, so any thread may return a stack to the pool it came from (a vCPU
 * may exit on another worker than the one that created it). The runtime
 * keeps one pool per worker, so the mutex is uncontended in the normal case.
 *
 *   create/destroy  vs anything    caller excludes (owner thread)
 *   get/put/count/is_numa_bound    pool mutex
 *   stack_size                     any time (immutable after create)
 *
 * Each stack is one mapping: a PROT_NONE guard page, then the usable stack
 * (which grows down towards the guard). Stacks are never unmapped before
 * vcpu__stack_pool_destroy(); a put stack keeps its pages for the next get.
 * Every mapping costs two kernel VMAs, so vm.max_map_count (65530 by
 * default) bounds the process to about 32k stacks; beyond it mmap fails
 * and get returns VCPU_ENOMEM.
 */
typedef struct vcpu__stack_pool vcpu__stack_pool_t;

/**
 * vcpu__stack_pool_create - Create an empty pool.
 * @stack_size: usable bytes per stack, rounded up to whole pages;
 *              0 means VCPU__STACK_SIZE_DEFAULT (64 KiB)
 * @max_stacks: most stacks the pool will ever map; 0 means
 *              VCPU__STACK_MAX_DEFAULT
 * @numa_node: node to place the stacks' memory on (preferred, not strict),
 *             or -1. Ignored when libnuma reports no NUMA support, the node
 *             does not exist, or the kernel refuses the policy; see
 *             vcpu__stack_pool_is_numa_bound().
 * @out: the pool; NULL on failure
 *
 * Partner: vcpu__stack_pool_destroy(). No stack is mapped yet.
 * Return: 0, VCPU_EINVAL (@out NULL, @stack_size too large, @numa_node <
 * -1), VCPU_ENOMEM.
 * Context: any thread; does not block.
 */
int vcpu__stack_pool_create(size_t stack_size, unsigned max_stacks,
                            int numa_node, vcpu__stack_pool_t **out);

/**
 * vcpu__stack_pool_destroy - Unmap every stack of @p, including those not
 * yet put back (their contexts must no longer run), and free @p.
 * NULL is a no-op.
 * Context: owner thread, no get/put running; does not block.
 */
void vcpu__stack_pool_destroy(vcpu__stack_pool_t *p);

/**
 * vcpu__stack_get - Take a stack: a free one (most recently put first),
 * else a new mapping.
 * @p: the pool;  @base: lowest usable address of the stack; NULL on failure
 *
 * The stack has vcpu__stack_pool_stack_size(@p) usable bytes from @base up,
 * with the guard page just below @base. A recycled stack keeps its old
 * contents.
 * Return: 0, VCPU_ENOSPC (@p already holds max_stacks stacks, none free),
 * VCPU_ENOMEM (mmap or bookkeeping failed; nothing leaked).
 * Context: any thread; may block (pool mutex; mmap on a miss).
 */
int vcpu__stack_get(vcpu__stack_pool_t *p, void **base);

/**
 * vcpu__stack_put - Give back a stack obtained from @p's vcpu__stack_get().
 * O(1); never fails.
 * Undefined: a stack from another pool, one put twice, one still running.
 * Context: any thread; may block (pool mutex).
 */
void vcpu__stack_put(vcpu__stack_pool_t *p, void *base);

/** vcpu__stack_pool_stack_size - Usable bytes per stack (page multiple). */
size_t vcpu__stack_pool_stack_size(const vcpu__stack_pool_t *p);

/** vcpu__stack_pool_is_numa_bound - Whether new stacks are placed on the
 * node given at create: false when that request degraded, at create or at
 * the first mbind() the kernel refused. */
bool vcpu__stack_pool_is_numa_bound(vcpu__stack_pool_t *p);

/** vcpu__stack_pool_count - Stacks mapped so far (free or in use). */
unsigned vcpu__stack_pool_count(vcpu__stack_pool_t *p);

#endif /* VCPU_RUNTIME_STACK_H */
