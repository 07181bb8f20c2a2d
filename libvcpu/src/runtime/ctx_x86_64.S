/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* x86-64 System V context switch for struct vcpu__ctx (ctx.h): saves the
 * callee-saved registers, the x87 control word and MXCSR on the current
 * stack, swaps rsp, restores the same from the other stack. Assembled only
 * on x86-64, and not with VCPU_CTX_FALLBACK (ctx_ucontext.c). */
#if defined(__x86_64__) && !defined(VCPU_CTX_FALLBACK)

        .text

/* void vcpu__ctx_swap(struct vcpu__ctx *from, struct vcpu__ctx *to)
 * rdi = from, rsi = to; the saved sp is at offset 0 of both. The frame
 * layout is the one vcpu__ctx_prepare() (ctx.c) builds. */
        .globl  vcpu__ctx_swap
        .hidden vcpu__ctx_swap
        .type   vcpu__ctx_swap, @function
        .p2align 4
vcpu__ctx_swap:
        .cfi_startproc
        pushq   %rbp
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %rbp, 0
        pushq   %rbx
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %rbx, 0
        pushq   %r12
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r12, 0
        pushq   %r13
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r13, 0
        pushq   %r14
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r14, 0
        pushq   %r15
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r15, 0
        subq    $8, %rsp
        .cfi_adjust_cfa_offset 8
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    56(%rsp), %rax  /* our return address (see the end) */

        movq    %rsp, (%rdi)
        movq    (%rsi), %rsp
        /* Same frame layout on the new stack: the CFI above still holds. */

        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        .cfi_adjust_cfa_offset -8
        popq    %r15
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r15
        popq    %r14
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r14
        popq    %r13
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r13
        popq    %r12
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r12
        popq    %rbx
        .cfi_adjust_cfa_offset -8
        .cfi_restore %rbx
        popq    %rbp
        .cfi_adjust_cfa_offset -8
        .cfi_restore %rbp
        /* The return stack buffer predicts the address pushed by our own
         * call. When the other context stopped at the same call (vCPUs
         * yielding to each other from vcpu_yield), ret is predicted and
         * keeps the buffer in step with the stack. Otherwise ret would
         * mispredict on every switch, and an indirect jmp is predicted
         * from its history (it leaves our call's entry in the buffer:
         * the next ret mispredicts once). */
        cmpq    (%rsp), %rax
        jne     1f
        ret
1:
        popq    %rcx
        .cfi_adjust_cfa_offset -8
        .cfi_register %rip, %rcx
        jmp     *%rcx
        .cfi_endproc
        .size   vcpu__ctx_swap, .-vcpu__ctx_swap

/* First instruction of a made context, reached by vcpu__ctx_swap's jmp
 * with rsp 16-byte aligned and r12 = the context. vcpu__ctx_boot never
 * returns; the undefined return address ends unwinds here. */
        .globl  vcpu__ctx_start
        .hidden vcpu__ctx_start
        .type   vcpu__ctx_start, @function
        .p2align 4
vcpu__ctx_start:
        .cfi_startproc
        .cfi_undefined %rip
        movq    %r12, %rdi
        call    vcpu__ctx_boot
        ud2
        .cfi_endproc
        .size   vcpu__ctx_start, .-vcpu__ctx_start

#endif /* __x86_64__ && !VCPU_CTX_FALLBACK */

#if defined(__linux__) && defined(__ELF__)
        .section .note.GNU-stack,"",%progbits
#endif
