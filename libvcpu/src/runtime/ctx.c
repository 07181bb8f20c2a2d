/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Backend-independent half of the context switch (ctx.h): making and
 * finishing contexts, the first frame of the assembly backends, and the
 * fiber annotations AddressSanitizer and ThreadSanitizer need to follow a
 * stack switch. Normal assembly builds call vcpu__ctx_swap() directly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctx.h"

#ifdef VCPU__CTX_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef VCPU__CTX_TSAN
#include <sanitizer/tsan_interface.h>
#endif

_Noreturn static void die(const char *msg)
{
    fprintf(stderr, "libvcpu: %s\n", msg);
    abort();
}

/*
 * Before the stack changes: tell ASan where the destination stack is (and
 * where to keep our fake stack, or NULL when we leave for good), and TSan
 * which fiber runs next. Synchronising switch: @to sees all our writes.
 *
 * Always inlined, even at -O0: as a call of its own, its instrumented
 * return would pop @to's TSan shadow stack after the fiber switch, and
 * every vcpu__ctx_exit() would leave @to one frame short (clang crashes).
 */
__attribute__((always_inline)) static inline void
leave(struct vcpu__ctx *from, struct vcpu__ctx *to, void **fake_stack)
{
    to->from = from;
#ifdef VCPU__CTX_ASAN
    __sanitizer_start_switch_fiber(fake_stack, to->stack_lo, to->stack_size);
#else
    (void)fake_stack;
#endif
#ifdef VCPU__CTX_TSAN
    /* A thread's own context learns its fiber here, on its first switch. */
    from->tsan_fiber = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
}

/*
 * Back on a stack: finish the ASan switch. ASan reports the bounds of the
 * stack we came from; a thread's own context (never made: no entry) has no
 * other source for them, and they are needed to switch back to it.
 */
__attribute__((always_inline)) static inline void arrive(struct vcpu__ctx *self,
                                                         void *fake_stack)
{
#ifdef VCPU__CTX_ASAN
    const void *lo = NULL;
    size_t size = 0;
    __sanitizer_finish_switch_fiber(fake_stack, &lo, &size);
    if (self->from && !self->from->entry) {
        self->from->stack_lo = (void *)lo;
        self->from->stack_size = size;
    }
#else
    (void)self, (void)fake_stack;
#endif
}

void vcpu__ctx_make(struct vcpu__ctx *c, void *stack_base, size_t stack_size,
                    void (*entry)(void *), void *arg)
{
    if (!stack_base || stack_size < 4096 || !entry)
        die("vcpu__ctx_make: bad stack or entry");
    *c = (struct vcpu__ctx){.entry = entry,
                            .arg = arg,
                            .stack_lo = stack_base,
                            .stack_size = stack_size};
#ifdef VCPU__CTX_ASAN
    /* A reused stack still carries the redzones of its previous frames. */
    __asan_unpoison_memory_region(stack_base, stack_size);
#endif
#ifdef VCPU__CTX_TSAN
    c->tsan_fiber = __tsan_create_fiber(0);
    c->owns_fiber = 1;
#endif
    vcpu__ctx_prepare(c);
}

void vcpu__ctx_fini(struct vcpu__ctx *c)
{
#ifdef VCPU__CTX_TSAN
    if (c->owns_fiber)
        __tsan_destroy_fiber(c->tsan_fiber);
#endif
    c->tsan_fiber = NULL;
    c->owns_fiber = 0;
}

_Noreturn void vcpu__ctx_boot(struct vcpu__ctx *self)
{
    arrive(self, NULL);
    self->entry(self->arg);
    fprintf(stderr,
            "libvcpu: the entry function of context %p returned; it must "
            "end with vcpu__ctx_exit()\n",
            (void *)self);
    abort();
}

#if !VCPU__CTX_ASM || VCPU__CTX_ANNOTATE
void vcpu__ctx_switch(struct vcpu__ctx *from, struct vcpu__ctx *to)
{
    void *fake_stack = NULL;
    leave(from, to, &fake_stack);
    vcpu__ctx_swap(from, to);
    arrive(from, fake_stack);
}
#endif

_Noreturn void vcpu__ctx_exit(struct vcpu__ctx *from, struct vcpu__ctx *to)
{
    leave(from, to, NULL);
    vcpu__ctx_swap(from, to);
    die("a context was resumed after vcpu__ctx_exit()");
}

/* ---- first frame of the assembly backends ------------------------------ */

#if VCPU__CTX_ASM && defined(__x86_64__)
void vcpu__ctx_start(void); /* ctx_x86_64.S: rdi = r12; call boot */

/*
 * The frame vcpu__ctx_swap() pops, lowest address first: MXCSR and x87
 * control word, r15 r14 r13 r12 rbx rbp, return address, then an aligned
 * zero slot so vcpu__ctx_start runs with rsp % 16 == 0 (as before a call).
 */
void vcpu__ctx_prepare(struct vcpu__ctx *c)
{
    uintptr_t top = ((uintptr_t)c->stack_lo + c->stack_size) & ~(uintptr_t)15;
    uint64_t *f = (uint64_t *)(top - 80);
    uint32_t mxcsr;
    uint16_t fpucw;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(fpucw));
    for (int i = 0; i < 10; i++)
        f[i] = 0; /* rbp = 0 ends frame-pointer unwinds here */
    f[0] = (mxcsr & ~UINT32_C(0x3f)) | (uint64_t)fpucw << 32;
    f[4] = (uintptr_t)c; /* r12 */
    f[7] = (uintptr_t)vcpu__ctx_start;
    c->sp = f;
}
#elif VCPU__CTX_ASM && defined(__aarch64__)
void vcpu__ctx_start(void); /* ctx_aarch64.S: x0 = x19; bl boot */

/*
 * The 176-byte frame vcpu__ctx_swap() pops: x19-x30 at 0..88, d8-d15 at
 * 96..152, FPCR at 160. x29 = 0 ends frame-record unwinds here.
 */
void vcpu__ctx_prepare(struct vcpu__ctx *c)
{
    uintptr_t top = ((uintptr_t)c->stack_lo + c->stack_size) & ~(uintptr_t)15;
    uint64_t *f = (uint64_t *)(top - 176);
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    for (int i = 0; i < 22; i++)
        f[i] = 0;
    f[0] = (uintptr_t)c;                /* x19 */
    f[11] = (uintptr_t)vcpu__ctx_start; /* x30 */
    f[20] = fpcr;
    c->sp = f;
}
#endif
