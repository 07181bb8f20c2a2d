/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guard-paged stack pool (stack.h): one mmap per stack with a PROT_NONE
 * page below it, placed on a NUMA node with mbind(MPOL_PREFERRED) when
 * asked and possible, recycled LIFO so a reused stack is likely cache-warm.
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <numa.h>
#include <numaif.h>

#include <vcpu/errno.h>

#include "stack.h"

#if defined(__SANITIZE_ADDRESS__)
#define STACK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STACK_ASAN 1
#endif
#endif
#ifdef STACK_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* Highest NUMA node the fixed-size mbind mask can name. */
#define MAX_NODE 1023
#define ULONG_BITS (sizeof(unsigned long) * CHAR_BIT)
/* mbind reads maxnode - 1 bits: one spare word covers the off-by-one. */
#define MASK_WORDS ((MAX_NODE + 1) / ULONG_BITS + 1)

struct vcpu__stack_pool {
    pthread_mutex_t lock;
    size_t size;  /* usable bytes per stack */
    size_t guard; /* guard bytes below each stack (one page) */
    unsigned max; /* cap on nall */
    int node;     /* NUMA node for mbind, or -1 */
    unsigned nall, navail, cap;
    void **all;   /* every mapping (its guard page), for destroy */
    void **avail; /* usable bases of free stacks, LIFO */
    unsigned long mask[MASK_WORDS];
};

/* Drop the shadow poisoning an exited context left on its stack. */
static void unpoison(void *base, size_t size)
{
#ifdef STACK_ASAN
    __asan_unpoison_memory_region(base, size);
#else
    (void)base, (void)size;
#endif
}

/* The node if stacks can be placed on it here, else -1 (degrade). */
static int usable_node(int node)
{
    if (node < 0 || node > MAX_NODE || numa_available() < 0)
        return -1;
    if (node > numa_max_node() ||
        !numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)node))
        return -1;
    return node;
}

int vcpu__stack_pool_create(size_t stack_size, unsigned max_stacks,
                            int numa_node, vcpu__stack_pool_t **out)
{
    if (!out)
        return VCPU_EINVAL;
    *out = NULL;
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t)pg : 4096;
    if (!stack_size)
        stack_size = VCPU__STACK_SIZE_DEFAULT;
    if (numa_node < -1 || stack_size > SIZE_MAX / 4)
        return VCPU_EINVAL;
    struct vcpu__stack_pool *p = calloc(1, sizeof *p);
    if (!p)
        return VCPU_ENOMEM;
    if (pthread_mutex_init(&p->lock, NULL)) {
        free(p);
        return VCPU_ENOMEM;
    }
    p->size = (stack_size + page - 1) / page * page;
    p->guard = page;
    p->max = max_stacks ? max_stacks : VCPU__STACK_MAX_DEFAULT;
    p->node = usable_node(numa_node);
    if (p->node >= 0)
        p->mask[(unsigned)p->node / ULONG_BITS] =
            1ul << ((unsigned)p->node % ULONG_BITS);
    *out = p;
    return 0;
}

void vcpu__stack_pool_destroy(vcpu__stack_pool_t *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < p->nall; i++) {
        unpoison((char *)p->all[i] + p->guard, p->size);
        munmap(p->all[i], p->guard + p->size);
    }
    free(p->all);
    free(p->avail);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* Room for one more mapping in both arrays (so put never allocates). */
static int grow(struct vcpu__stack_pool *p)
{
    size_t cap = p->cap ? (size_t)p->cap * 2 : 16;
    if (cap > p->max)
        cap = p->max;
    void **all = realloc(p->all, cap * sizeof *all);
    if (!all)
        return VCPU_ENOMEM;
    p->all = all;
    void **avail = realloc(p->avail, cap * sizeof *avail);
    if (!avail)
        return VCPU_ENOMEM;
    p->avail = avail;
    p->cap = (unsigned)cap;
    return 0;
}

/* Preferred, not strict: a full node falls back instead of failing. A
 * refusal (e.g. seccomp in a container) turns placement off for good. */
static void place(struct vcpu__stack_pool *p, void *base)
{
    if (mbind(base, p->size, MPOL_PREFERRED, p->mask, MASK_WORDS * ULONG_BITS,
              0))
        p->node = -1;
}

static int map_stack(struct vcpu__stack_pool *p, void **base)
{
    if (p->nall >= p->max)
        return VCPU_ENOSPC;
    if (p->nall == p->cap && grow(p))
        return VCPU_ENOMEM;
    size_t len = p->guard + p->size;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (m == MAP_FAILED)
        return VCPU_ENOMEM;
    if (mprotect(m, p->guard, PROT_NONE)) {
        munmap(m, len);
        return VCPU_ENOMEM;
    }
    if (p->node >= 0)
        place(p, m + p->guard);
    p->all[p->nall++] = m;
    *base = m + p->guard;
    return 0;
}

int vcpu__stack_get(vcpu__stack_pool_t *p, void **base)
{
    *base = NULL;
    pthread_mutex_lock(&p->lock);
    int err = 0;
    if (p->navail)
        *base = p->avail[--p->navail];
    else
        err = map_stack(p, base);
    pthread_mutex_unlock(&p->lock);
    return err;
}

void vcpu__stack_put(vcpu__stack_pool_t *p, void *base)
{
    unpoison(base, p->size);
    pthread_mutex_lock(&p->lock);
    if (p->navail >= p->nall) {
        fprintf(stderr,
                "libvcpu: stack %p put twice or into the wrong "
                "pool\n",
                base);
        abort();
    }
    p->avail[p->navail++] = base;
    pthread_mutex_unlock(&p->lock);
}

size_t vcpu__stack_pool_stack_size(const vcpu__stack_pool_t *p)
{
    return p->size;
}

bool vcpu__stack_pool_is_numa_bound(vcpu__stack_pool_t *p)
{
    pthread_mutex_lock(&p->lock);
    bool bound = p->node >= 0;
    pthread_mutex_unlock(&p->lock);
    return bound;
}

unsigned vcpu__stack_pool_count(vcpu__stack_pool_t *p)
{
    pthread_mutex_lock(&p->lock);
    unsigned n = p->nall;
    pthread_mutex_unlock(&p->lock);
    return n;
}
