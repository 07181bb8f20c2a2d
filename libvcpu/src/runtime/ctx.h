/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* User-level execution contexts: the few instructions that move a worker
 * thread from one vCPU's stack to another's. Assembly on x86-64 and aarch64
 * (ctx_<arch>.S), ucontext elsewhere or with VCPU_CTX_FALLBACK; ctx.c adds
 * the AddressSanitizer/ThreadSanitizer fiber annotations. Nothing here is API.
 */
#ifndef VCPU_RUNTIME_CTX_H
#define VCPU_RUNTIME_CTX_H

#include <stddef.h>

/*
 * What a switch saves and restores (everything else is caller-saved by the
 * ABI, so the compiler has already spilled it around the call):
 *
 *   x86-64   rbx rbp r12-r15 rsp (and rip, as the return address), the x87
 *            control word and MXCSR
 *   aarch64  x19-x29 lr sp d8-d15 and FPCR
 *   fallback the whole ucontext_t, signal mask included (swapcontext)
 *
 * FP policy: the floating-point *control* state (rounding mode, exception
 * masks, flush-to-zero) is per context. fesetround() in one context does
 * not leak into another, and a new context starts with the control state
 * its creator had at vcpu__ctx_make() (the assembly backends clear MXCSR's
 * exception flags in it). On x86-64 the MXCSR exception flags travel with
 * their context too (a side effect of saving the whole register); x87
 * status and aarch64 FPSR flags do not.
 *
 * The signal mask is not part of an assembly context (no system call per
 * switch); only the ucontext fallback switches it. The x86-64 switch ends
 * in ret when the resumed context stopped at the same call as the running
 * one, else in an indirect jmp (see ctx_x86_64.S); either way it returns
 * to another stack's address, so it is not compatible with CET shadow
 * stacks. The objects carry no CET property note, so the linker marks
 * programs that contain them as not CET-enabled.
 *
 * Thread-local storage is not switched: a context resumed on another thread
 * sees that thread's TLS. Code running in a context that can migrate must
 * not keep a TLS address across a switch, and the compiler may do so behind
 * its back: glibc declares pthread_self() and __errno_location() (errno)
 * const, so within one function their results from before a switch may be
 * reused after it. Touch such state only in functions that do not switch.
 */

/* Backend: assembly where it exists, else the portable ucontext one. */
#if !defined(VCPU_CTX_FALLBACK) && (defined(__x86_64__) || defined(__aarch64__))
#define VCPU__CTX_ASM 1
#else
#define VCPU__CTX_ASM 0
#include <ucontext.h>
#endif

/* Sanitizers that must be told about stack switches (ctx.c). */
#if defined(__SANITIZE_ADDRESS__)
#define VCPU__CTX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VCPU__CTX_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define VCPU__CTX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VCPU__CTX_TSAN 1
#endif
#endif
#if defined(VCPU__CTX_ASAN) || defined(VCPU__CTX_TSAN)
#define VCPU__CTX_ANNOTATE 1
#else
#define VCPU__CTX_ANNOTATE 0
#endif

/**
 * struct vcpu__ctx - A suspended (or running) execution context.
 *
 * Fields are private to ctx*.c/.S, except that the owner may read
 * stack_lo/stack_size of a made context (the stack it gave). The layout
 * does not depend on the sanitizer flags, only on the backend. A context
 * must not be copied or moved while it is suspended (its saved state lives
 * on its own stack and the sanitizers keep pointers to it).
 *
 * A thread's own context (the one a worker runs on before its first switch)
 * needs no preparation: a zero-initialised struct is a valid @from.
 */
struct vcpu__ctx {
    void *sp; /* saved stack pointer: offset 0, used by the assembly */
    void (*entry)(void *);
    void *arg;
    void *stack_lo;    /* lowest usable stack address (ASan learns a thread */
    size_t stack_size; /* context's on its first switch away) */
    void *tsan_fiber;  /* ThreadSanitizer fiber of this context */
    struct vcpu__ctx *from; /* who switched here last (sanitizer builds) */
    int owns_fiber;         /* tsan_fiber was created by vcpu__ctx_make */
#if !VCPU__CTX_ASM
    ucontext_t uc;
#endif
};

/**
 * vcpu__ctx_make - Prepare @c to run @entry(@arg) on the given stack.
 * @c: storage owned by the caller; overwritten (vcpu__ctx_fini() it first
 *     if it held a made context)
 * @stack_base: lowest address of the stack (e.g. from vcpu__stack_get())
 * @stack_size: usable bytes from @stack_base up; at least 4 KiB
 * @entry: runs at the first switch to @c. It must never return: it ends by
 *         vcpu__ctx_exit() (or by switching away for good). If it returns,
 *         the process aborts with a message.
 * @arg: passed to @entry
 *
 * Partner: vcpu__ctx_fini(). The new context inherits the caller's FP
 * control state (see above).
 * Undefined: @c running; a stack in use by another context.
 * Context: any thread; does not block.
 */
void vcpu__ctx_make(struct vcpu__ctx *c, void *stack_base, size_t stack_size,
                    void (*entry)(void *), void *arg);

/**
 * vcpu__ctx_fini - Release what vcpu__ctx_make() took (a ThreadSanitizer
 * fiber); a no-op in normal builds. @c must not be running. The stack is
 * the caller's to free.
 * Context: any thread; does not block.
 */
void vcpu__ctx_fini(struct vcpu__ctx *c);

/**
 * vcpu__ctx_exit - Leave @from for good and resume @to.
 *
 * Like vcpu__ctx_switch(), but tells AddressSanitizer to drop @from's fake
 * stack. Resuming @from afterwards aborts. The owner then calls
 * vcpu__ctx_fini(@from) from another context and may reuse its stack.
 * Context: the thread running @from; does not return.
 */
_Noreturn void vcpu__ctx_exit(struct vcpu__ctx *from, struct vcpu__ctx *to);

/* ---- backend internals (ctx_*.S, ctx_ucontext.c, ctx.c) ---------------- */

/* Save callee-saved state on the current stack, store sp in from->sp, load
 * to->sp and return into @to. No sanitizer annotations. */
void vcpu__ctx_swap(struct vcpu__ctx *from, struct vcpu__ctx *to);

/* First code run by a made context (called by the backend's trampoline). */
_Noreturn void vcpu__ctx_boot(struct vcpu__ctx *self);

/* Build the backend's first frame on [stack_lo, stack_lo + size). */
void vcpu__ctx_prepare(struct vcpu__ctx *c);

/**
 * vcpu__ctx_switch - Suspend the running context into @from and resume @to.
 * @from: where the current state is saved; the running context
 * @to: a made context that has not run yet, or one suspended by a switch
 *
 * Returns when something switches back to @from. The switch is an opaque
 * call (a compiler barrier); handing a suspended context to another thread
 * needs the caller's own synchronisation (a lock or a release/acquire).
 * Under ThreadSanitizer every switch is a synchronising fiber switch, so
 * races between contexts that only ever run on one thread go unreported.
 * Undefined: @to running (on any thread) or exited; @from != the running
 * context.
 * Context: any thread; does not block.
 */
#if VCPU__CTX_ASM && !VCPU__CTX_ANNOTATE
static inline void vcpu__ctx_switch(struct vcpu__ctx *from,
                                    struct vcpu__ctx *to)
{
    vcpu__ctx_swap(from, to);
}
#else
void vcpu__ctx_switch(struct vcpu__ctx *from, struct vcpu__ctx *to);
#endif

#endif /* VCPU_RUNTIME_CTX_H */
