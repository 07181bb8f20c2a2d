/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Portable context backend (ctx.h) on getcontext/makecontext/swapcontext:
 * used where no assembly exists, or with the CMake option VCPU_CTX_FALLBACK.
 * Slower (swapcontext switches the signal mask with a system call). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctx.h"

#if !VCPU__CTX_ASM

_Noreturn static void die(const char *what)
{
    perror(what);
    abort();
}

/* makecontext passes int arguments only: the pointer comes in two halves. */
static void uc_start(unsigned hi, unsigned lo)
{
    uint64_t p = (uint64_t)hi << 32 | lo;
    vcpu__ctx_boot((struct vcpu__ctx *)(uintptr_t)p);
}

void vcpu__ctx_prepare(struct vcpu__ctx *c)
{
    if (getcontext(&c->uc))
        die("libvcpu: getcontext");
    c->uc.uc_stack.ss_sp = c->stack_lo;
    c->uc.uc_stack.ss_size = c->stack_size;
    c->uc.uc_link = NULL;
    uint64_t p = (uintptr_t)c;
    makecontext(&c->uc, (void (*)(void))uc_start, 2, (unsigned)(p >> 32),
                (unsigned)p);
}

void vcpu__ctx_swap(struct vcpu__ctx *from, struct vcpu__ctx *to)
{
    if (swapcontext(&from->uc, &to->uc))
        die("libvcpu: swapcontext");
}

#endif /* !VCPU__CTX_ASM */
