// SPDX-License-Identifier: GPL-3.0-or-later
/* runtime/stack.h: page rounding, LIFO reuse, the cap (VCPU_ENOSPC), mmap
 * failure (VCPU_ENOMEM), guard pages, NUMA placement that degrades, destroy
 * unmapping everything, and get/put from several threads. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <numa.h>
#include <numaif.h>
#include <vcpu/errno.h>

#include "runtime/ctx.h" /* VCPU__CTX_ANNOTATE: built with a sanitizer */
#include "runtime/stack.h"

static size_t page(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

static int setup(void **state)
{
    vcpu__stack_pool_t *p;
    assert_int_equal(vcpu__stack_pool_create(0, 8, -1, &p), 0);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    vcpu__stack_pool_destroy(*state);
    return 0;
}

static void test_stack_create_rounds_and_rejects(void **state)
{
    (void)state;
    vcpu__stack_pool_t *p = (void *)1;
    assert_int_equal(vcpu__stack_pool_create(0, 0, -2, &p), VCPU_EINVAL);
    assert_null(p);
    assert_int_equal(vcpu__stack_pool_create(SIZE_MAX, 0, -1, &p), VCPU_EINVAL);
    assert_int_equal(vcpu__stack_pool_create(0, 0, -1, NULL), VCPU_EINVAL);
    assert_int_equal(vcpu__stack_pool_create(1000, 0, -1, &p), 0);
    assert_int_equal(vcpu__stack_pool_stack_size(p), page());
    assert_int_equal(vcpu__stack_pool_count(p), 0);
    vcpu__stack_pool_destroy(p);
    assert_int_equal(vcpu__stack_pool_create(0, 0, -1, &p), 0);
    assert_int_equal(vcpu__stack_pool_stack_size(p), 64 * 1024);
    vcpu__stack_pool_destroy(p);
    vcpu__stack_pool_destroy(NULL);
}

static void test_stack_get_put_reuses_lifo(void **state)
{
    vcpu__stack_pool_t *p = *state;
    void *a, *b, *c;
    assert_int_equal(vcpu__stack_get(p, &a), 0);
    assert_int_equal(vcpu__stack_get(p, &b), 0);
    assert_ptr_not_equal(a, b);
    assert_int_equal((uintptr_t)a % page(), 0);
    memset(a, 0xa5, vcpu__stack_pool_stack_size(p)); /* all of it usable */
    vcpu__stack_put(p, a);
    vcpu__stack_put(p, b);
    assert_int_equal(vcpu__stack_get(p, &c), 0);
    assert_ptr_equal(c, b); /* most recently put first */
    assert_int_equal(vcpu__stack_get(p, &c), 0);
    assert_ptr_equal(c, a);
    assert_int_equal(vcpu__stack_pool_count(p), 2);
    vcpu__stack_put(p, a);
    vcpu__stack_put(p, b);
}

static void test_stack_cap_returns_enospc(void **state)
{
    vcpu__stack_pool_t *p = *state;
    void *s[8], *extra = (void *)1;
    for (int i = 0; i < 8; i++)
        assert_int_equal(vcpu__stack_get(p, &s[i]), 0);
    assert_int_equal(vcpu__stack_get(p, &extra), VCPU_ENOSPC);
    assert_null(extra);
    vcpu__stack_put(p, s[3]);
    assert_int_equal(vcpu__stack_get(p, &extra), 0);
    assert_ptr_equal(extra, s[3]);
    assert_int_equal(vcpu__stack_pool_count(p), 8);
    for (int i = 0; i < 8; i++)
        vcpu__stack_put(p, s[i]);
}

static void test_stack_mmap_failure_returns_enomem(void **state)
{
    (void)state;
    /* 1 PiB: larger than any user address space mmap hands out. */
    vcpu__stack_pool_t *p;
    void *s = (void *)1;
    assert_int_equal(vcpu__stack_pool_create((size_t)1 << 50, 0, -1, &p), 0);
    assert_int_equal(vcpu__stack_get(p, &s), VCPU_ENOMEM);
    assert_null(s);
    assert_int_equal(vcpu__stack_pool_count(p), 0);
    vcpu__stack_pool_destroy(p);
}

/* Child: exhaust a small address-space limit; 0 if get said VCPU_ENOMEM. */
static int exhaust_rlimit(void)
{
    struct rlimit rl = {.rlim_cur = 1u << 30, .rlim_max = 1u << 30};
    vcpu__stack_pool_t *p;
    if (vcpu__stack_pool_create(1 << 20, 1u << 20, -1, &p))
        return 2;
    if (setrlimit(RLIMIT_AS, &rl))
        return 3;
    for (;;) {
        void *s;
        int err = vcpu__stack_get(p, &s);
        if (err == VCPU_ENOMEM)
            return 0;
        if (err)
            return 4;
    }
}

static void test_stack_address_space_exhaustion_is_enomem(void **state)
{
    (void)state;
    if (VCPU__CTX_ANNOTATE)
        skip(); /* sanitizers reserve terabytes: RLIMIT_AS kills them */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(exhaust_rlimit());
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_stack_guard_page_faults(void **state)
{
    vcpu__stack_pool_t *p = *state;
    void *s;
    assert_int_equal(vcpu__stack_get(p, &s), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL); /* not cmocka's handler */
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 2);
        ((volatile char *)s)[-(long)page()] = 1;
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!VCPU__CTX_ANNOTATE) {
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), SIGSEGV);
    }
    vcpu__stack_put(p, s);
}

static void test_stack_numa_node_degrades(void **state)
{
    (void)state;
    vcpu__stack_pool_t *p;
    void *s;
    /* A node no machine has: the pool works, unplaced. */
    assert_int_equal(vcpu__stack_pool_create(0, 0, 1000, &p), 0);
    assert_false(vcpu__stack_pool_is_numa_bound(p));
    assert_int_equal(vcpu__stack_get(p, &s), 0);
    vcpu__stack_put(p, s);
    vcpu__stack_pool_destroy(p);

    /* Node 0 exists wherever NUMA works; elsewhere the request degrades. */
    assert_int_equal(vcpu__stack_pool_create(0, 0, 0, &p), 0);
    assert_int_equal(vcpu__stack_get(p, &s), 0);
    if (vcpu__stack_pool_is_numa_bound(p)) {
        int mode = -1;
        unsigned long mask[16] = {0};
        assert_int_equal(
            get_mempolicy(&mode, mask, sizeof mask * 8, s, MPOL_F_ADDR), 0);
        assert_int_equal(mode, MPOL_PREFERRED);
        assert_true(mask[0] & 1);
    } else {
        print_message("stack pool: NUMA placement degraded "
                      "(numa_available() = %d)\n",
                      numa_available());
    }
    memset(s, 1, vcpu__stack_pool_stack_size(p));
    vcpu__stack_put(p, s);
    vcpu__stack_pool_destroy(p);
}

static void test_stack_destroy_unmaps_outstanding(void **state)
{
    (void)state;
    vcpu__stack_pool_t *p;
    void *s[3];
    assert_int_equal(vcpu__stack_pool_create(0, 0, -1, &p), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(vcpu__stack_get(p, &s[i]), 0);
    vcpu__stack_put(p, s[1]); /* one free, two still out */
    vcpu__stack_pool_destroy(p);
    unsigned char vec;
    for (int i = 0; i < 3; i++)
        assert_int_equal(mincore(s[i], page(), &vec), -1); /* ENOMEM */
}

#define NTHREADS 4
#define NITER 2000

static void *churn(void *arg)
{
    vcpu__stack_pool_t *p = arg;
    for (int i = 0; i < NITER; i++) {
        void *s;
        if (vcpu__stack_get(p, &s))
            return (void *)1;
        *(volatile int *)s = i; /* owned exclusively until put */
        vcpu__stack_put(p, s);
    }
    return NULL;
}

static void test_stack_threads_share_a_pool(void **state)
{
    vcpu__stack_pool_t *p = *state;
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, churn, p), 0);
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        assert_int_equal(pthread_join(t[i], &ret), 0);
        assert_null(ret);
    }
    assert_true(vcpu__stack_pool_count(p) <= NTHREADS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_stack_create_rounds_and_rejects),
        T(test_stack_get_put_reuses_lifo),
        T(test_stack_cap_returns_enospc),
        T(test_stack_mmap_failure_returns_enomem),
        T(test_stack_address_space_exhaustion_is_enomem),
        T(test_stack_guard_page_faults),
        T(test_stack_numa_node_degrades),
        T(test_stack_destroy_unmaps_outstanding),
        T(test_stack_threads_share_a_pool),
    };
#undef T
    return cmocka_run_group_tests_name("stack", tests, NULL, NULL);
}
