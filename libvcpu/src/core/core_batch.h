/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Environment calls that take several steps under one acquisition of the
 * core's lock: the runtime's hot paths (a vCPU stops and its worker picks
 * the next; a VM's vCPUs are made and woken together). Each is exactly the
 * sequence of public calls it names, with no other call in between: same
 * state, same trace records in the same order, same policy callbacks; a
 * policy that aborts in one step is replaced before the next step, as it
 * would be between two calls. The invariant checker (VCPU_CORE_CHECK) runs
 * once, at the end. Library-internal (the runtime uses them); not API. */
#ifndef VCPU_CORE_BATCH_H
#define VCPU_CORE_BATCH_H

#include <vcpu/core.h>

/**
 * vcpu__core_stop_pick - vcpu_core_yield/_block/_exit(@v), then
 * vcpu_core_pick() on the pCPU @v was running on. The stop's kick of that
 * pCPU is not sent: this pick answers it. A yield takes the policy's
 * shortcut (ops.yield) when it offers one.
 * @why: VCPU_STOP_YIELD, VCPU_STOP_BLOCK or VCPU_STOP_EXIT
 * @out_v, @out_slice_ns: as vcpu_core_pick's (VCPU_NONE, 0 on failure);
 * both NULL: no pick (the stop alone)
 *
 * Return: 0; 1 when @v exited and was the last vCPU of its VM that had
 * not (the core's own count: exactly one exit of a VM says so);
 * VCPU_EINVAL (@why, one out NULL), VCPU_ESRCH (@v), VCPU_ESTATE (@v not
 * RUNNING: nothing done), else the pick's error.
 * Context: any thread; does not block (the core's lock).
 */
int vcpu__core_stop_pick(vcpu_core_t *c, vcpu_time_t now, vcpu_id_t v,
                         unsigned why, vcpu_id_t *out_v,
                         uint64_t *out_slice_ns);
/* What vcpu__core_yield_pick returns (two registers on x86-64 and
 * aarch64): its return code, and what it picked as the outs of
 * vcpu__core_stop_pick. */
struct vcpu__pick {
    int rc;
    vcpu_id_t v;
    uint64_t slice_ns;
};

/* vcpu__core_stop_pick(@v, VCPU_STOP_YIELD) with both outs: the runtime's
 * yield, with a lane for the common case. */
struct vcpu__pick vcpu__core_yield_pick(vcpu_core_t *c, vcpu_time_t now,
                                        vcpu_id_t v);

/**
 * vcpu__core_vm_release - With VCPU_CORE_RECYCLE, give removed VM @vm's id
 * back: a later vcpu_core_vm_add may return it (the lowest released id
 * first), with fresh state and zeroed policy data. Until then the id
 * names a removed VM, as without the flag. The runtime releases a VM when
 * its join returns.
 * Return: 0, VCPU_EINVAL (no VCPU_CORE_RECYCLE), VCPU_ESRCH (no such VM,
 * or released already), VCPU_EBUSY (@vm not removed), VCPU_ENOMEM.
 * Context: any thread (the core's lock).
 */
int vcpu__core_vm_release(vcpu_core_t *c, vcpu_vm_t vm);

/**
 * vcpu__core_vcpu_add_n - @n times vcpu_core_vcpu_add(@vm): the new ids,
 * ascending, in @ids[0 .. @n - 1] (consecutive unless the core recycles
 * ids: VCPU_CORE_RECYCLE).
 *
 * On failure none is left: those already added exit again (as
 * vcpu_core_exit on a NEW vCPU), and @ids[0] is VCPU_NONE.
 * Return: 0, VCPU_EINVAL (@n 0, @ids NULL), or vcpu_core_vcpu_add's.
 * Context: any thread; does not block (the core's lock).
 */
int vcpu__core_vcpu_add_n(vcpu_core_t *c, vcpu_time_t now, vcpu_vm_t vm,
                          unsigned n, vcpu_id_t *ids);

/**
 * vcpu__core_wake_n - vcpu_core_wake() of @ids[0 .. @n - 1], in order.
 * Every one is tried; the first error is returned.
 * Return: 0, VCPU_EINVAL (@ids NULL), VCPU_ESRCH (an id out of range:
 * none woken), VCPU_ESTATE.
 * Context: any thread; does not block (the core's lock).
 */
int vcpu__core_wake_n(vcpu_core_t *c, vcpu_time_t now, const vcpu_id_t *ids,
                      unsigned n);

#endif /* VCPU_CORE_BATCH_H */
