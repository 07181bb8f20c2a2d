/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AArch64 (AAPCS64) context switch for struct vcpu__ctx (ctx.h): saves
 * x19-x29, lr, d8-d15 and FPCR on the current stack, swaps sp, restores the
 * same from the other stack. Assembled only on aarch64, and not with
 * VCPU_CTX_FALLBACK (ctx_ucontext.c). */
#if defined(__aarch64__) && !defined(VCPU_CTX_FALLBACK)

        .text

/* void vcpu__ctx_swap(struct vcpu__ctx *from, struct vcpu__ctx *to)
 * x0 = from, x1 = to; the saved sp is at offset 0 of both. The 176-byte
 * frame is the one vcpu__ctx_prepare() (ctx.c) builds. */
        .globl  vcpu__ctx_swap
        .hidden vcpu__ctx_swap
        .type   vcpu__ctx_swap, %function
        .p2align 4
vcpu__ctx_swap:
        .cfi_startproc
        hint    #34                     /* bti c; a nop before ARMv8.5 */
        sub     sp, sp, #176
        .cfi_def_cfa_offset 176
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        .cfi_offset x29, -96
        .cfi_offset x30, -88
        stp     d8, d9, [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        mrs     x9, fpcr
        str     x9, [sp, #160]

        mov     x10, sp
        str     x10, [x0]
        ldr     x10, [x1]
        mov     sp, x10
        /* Same frame layout on the new stack: the CFI above still holds. */

        ldr     x10, [sp, #160]
        cmp     x9, x10                 /* writing FPCR is slow: skip it */
        b.eq    1f
        msr     fpcr, x10
1:
        ldp     x19, x20, [sp, #0]
        ldp     x21, x22, [sp, #16]
        ldp     x23, x24, [sp, #32]
        ldp     x25, x26, [sp, #48]
        ldp     x27, x28, [sp, #64]
        ldp     x29, x30, [sp, #80]
        ldp     d8, d9, [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        add     sp, sp, #176
        .cfi_def_cfa_offset 0
        .cfi_restore x29
        .cfi_restore x30
        ret
        .cfi_endproc
        .size   vcpu__ctx_swap, .-vcpu__ctx_swap

/* First instruction of a made context, reached by vcpu__ctx_swap's ret
 * with sp 16-byte aligned and x19 = the context. vcpu__ctx_boot never
 * returns; the undefined return address ends unwinds here. */
        .globl  vcpu__ctx_start
        .hidden vcpu__ctx_start
        .type   vcpu__ctx_start, %function
        .p2align 4
vcpu__ctx_start:
        .cfi_startproc
        .cfi_undefined x30
        hint    #34                     /* bti c */
        mov     x0, x19
        bl      vcpu__ctx_boot
        brk     #1
        .cfi_endproc
        .size   vcpu__ctx_start, .-vcpu__ctx_start

#endif /* __aarch64__ && !VCPU_CTX_FALLBACK */

#if defined(__linux__) && defined(__ELF__)
        .section .note.GNU-stack,"",%progbits
#endif
