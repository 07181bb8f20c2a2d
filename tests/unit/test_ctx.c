// SPDX-License-Identifier: GPL-3.0-or-later
/* runtime/ctx.h: switching between user-level contexts keeps values,
 * callee-saved registers and per-context FP control state; stacks are
 * bounded by their guard page. cmocka asserts run only on the main stack:
 * contexts record what they saw and the test checks it afterwards. */
#include <fcntl.h>
#include <fenv.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <vcpu/errno.h>

#include "runtime/ctx.h"
#include "runtime/stack.h"

#if VCPU__CTX_ANNOTATE
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

#define BIG_STACK (256u * 1024u) /* room for libc calls made in contexts */

struct fx {
    vcpu__stack_pool_t *pool;  /* BIG_STACK stacks */
    vcpu__stack_pool_t *small; /* default 64 KiB stacks */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(vcpu__stack_pool_create(BIG_STACK, 0, -1, &f->pool), 0);
    assert_int_equal(vcpu__stack_pool_create(0, 0, -1, &f->small), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vcpu__stack_pool_destroy(f->pool);
    vcpu__stack_pool_destroy(f->small);
    free(f);
    return 0;
}

static void make_on(vcpu__stack_pool_t *p, struct vcpu__ctx *c,
                    void (*entry)(void *), void *arg)
{
    void *base;
    assert_int_equal(vcpu__stack_get(p, &base), 0);
    vcpu__ctx_make(c, base, vcpu__stack_pool_stack_size(p), entry, arg);
}

static void unmake_on(vcpu__stack_pool_t *p, struct vcpu__ctx *c)
{
    vcpu__stack_put(p, c->stack_lo);
    vcpu__ctx_fini(c);
}

/* ---- ping-pong ---------------------------------------------------------- */

struct pp {
    struct vcpu__ctx main, a, b;
    long value, rounds, errors;
    int done;
};

static void pp_a(void *arg)
{
    struct pp *s = arg;
    for (long i = 0; i < s->rounds; i++) {
        s->errors += s->value != 2 * i;
        s->value++;
        vcpu__ctx_switch(&s->a, &s->b);
    }
    s->done = 1;
    vcpu__ctx_switch(&s->a, &s->b); /* let b exit first */
    vcpu__ctx_exit(&s->a, &s->main);
}

static void pp_b(void *arg)
{
    struct pp *s = arg;
    while (!s->done) {
        s->errors += s->value % 2 != 1;
        s->value++;
        vcpu__ctx_switch(&s->b, &s->a);
    }
    vcpu__ctx_exit(&s->b, &s->a);
}

static void test_ctx_ping_pong_passes_values(void **state)
{
    struct fx *f = *state;
    struct pp s = {.rounds = 100000};
    make_on(f->pool, &s.a, pp_a, &s);
    make_on(f->pool, &s.b, pp_b, &s);
    vcpu__ctx_switch(&s.main, &s.a);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.value, 2 * s.rounds);
    unmake_on(f->pool, &s.a);
    unmake_on(f->pool, &s.b);
}

/* ---- one call site, many contexts ---------------------------------------- */

/* The swap returns with ret when the context it resumes stopped at the
 * same call as its own (vCPUs yielding from vcpu_yield), else with an
 * indirect jmp: both must leave the resumed stack exactly as its call
 * left it. A ring of contexts that hop from one shared call, and every
 * third round from another, takes both exits in every combination: the
 * order of visits and each context's locals must hold. (Which exit is
 * faster is the benchmark's business: rt_bench pingpong.) */
#define HOPS 3

struct hops {
    struct vcpu__ctx main, c[HOPS];
    long rounds, step, errors;
    int done;
};

static struct hops *hops_s;

__attribute__((noinline)) static void hops_hop(int i)
{
    vcpu__ctx_switch(&hops_s->c[i], &hops_s->c[(i + 1) % HOPS]);
}

static void hops_entry(void *arg)
{
    int i = (int)(intptr_t)arg;
    struct hops *s = hops_s;
    long mine = 0; /* a local: lives on this context's stack */
    for (long r = 0; r < s->rounds; r++) {
        s->errors += s->step != r * HOPS + i;
        s->errors += mine != 7 * r;
        s->step++;
        mine += 7;
        if (r % 3 == (long)i)
            vcpu__ctx_switch(&s->c[i], &s->c[(i + 1) % HOPS]);
        else
            hops_hop(i);
    }
    if (++s->done == HOPS)
        vcpu__ctx_exit(&s->c[i], &s->main);
    vcpu__ctx_exit(&s->c[i], &s->c[(i + 1) % HOPS]);
}

static void test_ctx_shared_call_site_ring(void **state)
{
    struct fx *f = *state;
    struct hops s = {.rounds = 30000};
    hops_s = &s;
    for (int i = 0; i < HOPS; i++)
        make_on(f->pool, &s.c[i], hops_entry, (void *)(intptr_t)i);
    vcpu__ctx_switch(&s.main, &s.c[0]);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.step, HOPS * s.rounds);
    assert_int_equal(s.done, HOPS);
    for (int i = 0; i < HOPS; i++)
        unmake_on(f->pool, &s.c[i]);
}

/* ---- callee-saved registers and FP values ------------------------------- */

/* Set every callee-saved register to garbage right before a switch: if the
 * switch failed to restore them, the other context's live values break. */
#if defined(__x86_64__)
#define TRASH_REGS()                                                           \
    __asm__ volatile("movq $-1, %%rbx\n\tmovq $-1, %%r12\n\t"                  \
                     "movq $-1, %%r13\n\tmovq $-1, %%r14\n\t"                  \
                     "movq $-1, %%r15\n\t"                                     \
                     :                                                         \
                     :                                                         \
                     : "rbx", "r12", "r13", "r14", "r15")
#elif defined(__aarch64__)
#define TRASH_REGS()                                                           \
    __asm__ volatile("mov x19, #-1\n\tmov x20, #-1\n\tmov x21, #-1\n\t"        \
                     "mov x22, #-1\n\tmov x23, #-1\n\tmov x24, #-1\n\t"        \
                     "mov x25, #-1\n\tmov x26, #-1\n\tmov x27, #-1\n\t"        \
                     "mov x28, #-1\n\tfmov d8, #-1.0\n\tfmov d9, #-1.0\n\t"    \
                     "fmov d10, #-1.0\n\tfmov d11, #-1.0\n\t"                  \
                     "fmov d12, #-1.0\n\tfmov d13, #-1.0\n\t"                  \
                     "fmov d14, #-1.0\n\tfmov d15, #-1.0\n\t"                  \
                     :                                                         \
                     :                                                         \
                     : "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", \
                       "x27", "x28", "d8", "d9", "d10", "d11", "d12", "d13",   \
                       "d14", "d15")
#else
#define TRASH_REGS() ((void)0)
#endif

struct regs {
    struct vcpu__ctx main, victim, trasher;
    unsigned long seed, out_l;
    double out_d;
    int done;
};

/* Eleven integers and eight doubles live across every switch: at -O1 and
 * above they fill the callee-saved registers (x86-64 has no callee-saved
 * FP registers: there the doubles sit in spill slots), so only a correct
 * restore gives the same result as the run without switches (@s NULL). */
static void mix(struct regs *s, unsigned long seed, unsigned long *out_l,
                double *out_d)
{
    unsigned long a = seed, b = seed * 3, c = seed ^ 0x55, d = seed + 7,
                  e = ~seed;
    unsigned long g = seed << 2, h = seed - 11, i = seed * 5, j = seed * 7;
    unsigned long k = seed * 11, l = seed * 13;
    double x = (double)seed * 0.5, y = x + 0.25, z = 1.0 / (double)(seed | 1);
    double w = 3.0 - z, p = x * 2, q = y * 3, u = z * 4, v = w * 5;
    for (int r = 0; r < 1000; r++) {
        if (s)
            vcpu__ctx_switch(&s->victim, &s->trasher);
        a += r, b ^= a, c += b >> 3, d -= c, e += d * 5, g ^= e, h += g;
        i += h, j ^= i, k += j, l -= k;
        x = x * 1.0000001 + z, y -= x * 1e-3, z = z * 0.999 + w, w += y * 1e-6;
        p += x, q -= p * 1e-9, u += q, v = v * 0.5 + u;
    }
    *out_l = a + b + c + d + e + g + h + i + j + k + l;
    *out_d = x + y + z + w + p + q + u + v;
}

static void victim_entry(void *arg)
{
    struct regs *s = arg;
    mix(s, s->seed, &s->out_l, &s->out_d);
    s->done = 1;
    vcpu__ctx_exit(&s->victim, &s->trasher);
}

/* Garbage in every callee-saved register at each switch to the victim (the
 * clobbers keep the compiler from holding its own values there). */
static void trasher_entry(void *arg)
{
    struct regs *s = arg;
    while (!s->done) {
        TRASH_REGS();
        vcpu__ctx_switch(&s->trasher, &s->victim);
    }
    vcpu__ctx_exit(&s->trasher, &s->main);
}

static void test_ctx_callee_saved_and_fp_values_survive(void **state)
{
    struct fx *f = *state;
    struct regs s = {.seed = 987654321};
    make_on(f->pool, &s.victim, victim_entry, &s);
    make_on(f->pool, &s.trasher, trasher_entry, &s);
    vcpu__ctx_switch(&s.main, &s.trasher);
    unsigned long want_l;
    double want_d;
    mix(NULL, s.seed, &want_l, &want_d);
    assert_int_equal(s.out_l, want_l);
    assert_memory_equal(&s.out_d, &want_d, sizeof want_d);
    unmake_on(f->pool, &s.victim);
    unmake_on(f->pool, &s.trasher);
}

/* ---- FP control state is per context ------------------------------------ */

struct fpc {
    struct vcpu__ctx main, c;
    int start_mode, mode_after_switch;
    double third;
};

static void fpc_entry(void *arg)
{
    struct fpc *s = arg;
    s->start_mode = fegetround();
    fesetround(FE_UPWARD);
    vcpu__ctx_switch(&s->c, &s->main);
    s->mode_after_switch = fegetround();
    volatile double one = 1.0, three = 3.0;
    s->third = one / three; /* SSE/FPCR rounding, not just the x87 word */
    vcpu__ctx_exit(&s->c, &s->main);
}

static void test_ctx_fp_rounding_mode_is_per_context(void **state)
{
    struct fx *f = *state;
    struct fpc s = {0};
    assert_int_equal(fesetround(FE_DOWNWARD), 0);
    make_on(f->pool, &s.c, fpc_entry, &s); /* inherits FE_DOWNWARD */
    assert_int_equal(fesetround(FE_TONEAREST), 0);
    vcpu__ctx_switch(&s.main, &s.c);
    int main_mode = fegetround(); /* the context's FE_UPWARD must not leak */
    fesetround(FE_TOWARDZERO);
    vcpu__ctx_switch(&s.main, &s.c);
    int main_mode2 = fegetround();
    fesetround(FE_TONEAREST);
    assert_int_equal(s.start_mode, FE_DOWNWARD);
    assert_int_equal(main_mode, FE_TONEAREST);
    assert_int_equal(s.mode_after_switch, FE_UPWARD);
    assert_int_equal(main_mode2, FE_TOWARDZERO);
    volatile double one = 1.0, three = 3.0;
    assert_true(s.third > one / three); /* rounded up in the context */
    unmake_on(f->pool, &s.c);
}

/* ---- stacks: depth, guard page ------------------------------------------ */

struct deep {
    struct vcpu__ctx main, c;
    uintptr_t top;
    size_t want_bytes, used;
    unsigned long depth, sum;
};

__attribute__((noinline)) static unsigned long recurse(struct deep *s,
                                                       unsigned long n)
{
    volatile unsigned char pad[200];
    pad[0] = (unsigned char)n;
    pad[199] = (unsigned char)(n >> 8);
    size_t used = s->top - (uintptr_t)__builtin_frame_address(0);
    if (used > s->used)
        s->used = used;
    if (used >= s->want_bytes) {
        s->depth = n;
        return pad[0];
    }
    return recurse(s, n + 1) + pad[0] + pad[199];
}

static void deep_entry(void *arg)
{
    struct deep *s = arg;
    s->top = (uintptr_t)s->c.stack_lo + s->c.stack_size;
    s->sum = recurse(s, 1);
    vcpu__ctx_exit(&s->c, &s->main);
}

static void test_ctx_deep_recursion_fits_64k_stack(void **state)
{
    struct fx *f = *state;
    assert_int_equal(vcpu__stack_pool_stack_size(f->small), 64 * 1024);
    struct deep s = {.want_bytes = 48 * 1024};
    make_on(f->small, &s.c, deep_entry, &s);
    vcpu__ctx_switch(&s.main, &s.c);
    assert_true(s.used >= s.want_bytes);
    assert_true(s.used < 64 * 1024);
    assert_true(s.depth > 10);
    assert_true(s.sum > 0);
    unmake_on(f->small, &s.c);
}

/* Runs @fn in a child with default SIGSEGV/SIGBUS handling (cmocka's own
 * handler would resume the test suite in the child) and stderr silenced. */
static int child_status(void (*fn)(void *), void *arg)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 2);
        fn(arg);
        _exit(0); /* survived: the test fails */
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

/* A memory fault, or a sanitizer's report of one (which may end in abort()
 * or exit(1) depending on its options). */
static void assert_crashed(int st)
{
    if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGSEGV || WTERMSIG(st) == SIGBUS))
        return;
    if (SANITIZED && ((WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) ||
                      (WIFEXITED(st) && WEXITSTATUS(st) != 0)))
        return;
    fail_msg("child did not crash: status 0x%x", st);
}

static void write_below(void *arg)
{
    volatile char *base = arg;
    base[-1] = 1;
}

static void overflow_entry(void *arg)
{
    struct deep *s = arg;
    s->top = (uintptr_t)s->c.stack_lo + s->c.stack_size;
    s->want_bytes = SIZE_MAX; /* never stops */
    recurse(s, 1);
}

static void run_overflow(void *arg)
{
    struct deep *s = arg;
    vcpu__ctx_switch(&s->main, &s->c);
}

static void test_ctx_guard_page_stops_overflow(void **state)
{
    struct fx *f = *state;
    void *base;
    assert_int_equal(vcpu__stack_get(f->small, &base), 0);
    assert_crashed(child_status(write_below, base));
    vcpu__stack_put(f->small, base);

    struct deep s = {0};
    make_on(f->small, &s.c, overflow_entry, &s);
    assert_crashed(child_status(run_overflow, &s));
    unmake_on(f->small, &s.c);
}

static void return_entry(void *arg)
{
    (void)arg; /* returns: the trampoline must abort */
}

static void run_returning(void *arg)
{
    struct fx *f = arg;
    struct vcpu__ctx main = {0}, c;
    make_on(f->pool, &c, return_entry, NULL);
    vcpu__ctx_switch(&main, &c);
}

static void test_ctx_entry_return_aborts(void **state)
{
    int st = child_status(run_returning, *state);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGABRT);
}

/* ---- many contexts, reuse of stacks, migration between threads ---------- */

#define NCTX 64

struct ring {
    struct vcpu__ctx main, c[NCTX];
    int turns, count[NCTX], cur;
};

static void ring_entry(void *arg)
{
    struct ring *s = arg;
    int me = s->cur;
    for (int t = 0; t < s->turns; t++) {
        s->count[me]++;
        vcpu__ctx_switch(&s->c[me], &s->main);
    }
    vcpu__ctx_exit(&s->c[me], &s->main);
}

static void ring_round(struct fx *f, struct ring *s)
{
    memset(s->count, 0, sizeof s->count);
    for (int i = 0; i < NCTX; i++)
        make_on(f->small, &s->c[i], ring_entry, s);
    for (int t = 0; t <= s->turns; t++) {
        for (s->cur = 0; s->cur < NCTX; s->cur++)
            vcpu__ctx_switch(&s->main, &s->c[s->cur]);
    }
    for (int i = 0; i < NCTX; i++) {
        assert_int_equal(s->count[i], s->turns);
        unmake_on(f->small, &s->c[i]);
    }
}

static void test_ctx_many_contexts_reuse_stacks(void **state)
{
    struct fx *f = *state;
    struct ring *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->turns = 50;
    ring_round(f, s);
    ring_round(f, s); /* the same stacks again, from the free list */
    assert_int_equal(vcpu__stack_pool_count(f->small), NCTX);
    free(s);
}

struct mig {
    struct vcpu__ctx c, *home;
    long seen[2]; /* kernel thread ids */
    long local_seen;
    int threads;
    sem_t parked, release;
};

/* Not pthread_self(): glibc declares it const, so the compiler may reuse
 * the value from before the switch, on the old thread (errno's address has
 * the same problem; see ctx.h). */
static long thread_id(void)
{
    return syscall(SYS_gettid);
}

static void mig_entry(void *arg)
{
    struct mig *s = arg;
    long local = 4242; /* lives on the context's stack across threads */
    s->seen[0] = thread_id();
    vcpu__ctx_switch(&s->c, s->home);
    s->seen[1] = thread_id();
    s->local_seen = local;
    vcpu__ctx_exit(&s->c, s->home);
}

/* The first thread starts the context and stays alive (so the two thread
 * ids differ) while the second resumes it; the semaphores order it. */
static void *mig_thread(void *arg)
{
    struct mig *s = arg;
    struct vcpu__ctx here = {0}; /* this thread's own context */
    s->home = &here;
    bool first = s->threads++ == 0;
    vcpu__ctx_switch(&here, &s->c);
    if (first) {
        sem_post(&s->parked);
        sem_wait(&s->release);
    }
    return NULL;
}

static void test_ctx_resumes_on_another_thread(void **state)
{
    struct fx *f = *state;
    struct mig s = {0};
    assert_int_equal(sem_init(&s.parked, 0, 0), 0);
    assert_int_equal(sem_init(&s.release, 0, 0), 0);
    make_on(f->pool, &s.c, mig_entry, &s);
    pthread_t t1, t2;
    assert_int_equal(pthread_create(&t1, NULL, mig_thread, &s), 0);
    assert_int_equal(sem_wait(&s.parked), 0);
    assert_int_equal(pthread_create(&t2, NULL, mig_thread, &s), 0);
    assert_int_equal(pthread_join(t2, NULL), 0);
    sem_post(&s.release);
    assert_int_equal(pthread_join(t1, NULL), 0);
    assert_int_not_equal(s.seen[0], s.seen[1]);
    assert_int_equal(s.local_seen, 4242);
    unmake_on(f->pool, &s.c);
    sem_destroy(&s.parked);
    sem_destroy(&s.release);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_ctx_ping_pong_passes_values),
        T(test_ctx_shared_call_site_ring),
        T(test_ctx_callee_saved_and_fp_values_survive),
        T(test_ctx_fp_rounding_mode_is_per_context),
        T(test_ctx_deep_recursion_fits_64k_stack),
        T(test_ctx_guard_page_stops_overflow),
        T(test_ctx_entry_return_aborts),
        T(test_ctx_many_contexts_reuse_stacks),
        T(test_ctx_resumes_on_another_thread),
    };
#undef T
    return cmocka_run_group_tests_name("ctx", tests, NULL, NULL);
}
