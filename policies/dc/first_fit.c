// SPDX-License-Identifier: LGPL-2.1-or-later
/* first_fit: the lowest-index host with room (a segment tree of free
 * capacity makes it O(log hosts)). Packs the low hosts full and leaves
 * the high ones empty (good for switching hosts off); does badly at
 * spreading load, and large VMs wait behind fragmented low hosts. */
#include <vcpu/place.h>

static uint32_t first_fit_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                                const struct vcpu_vm_req *req)
{
    (void)vm;
    return vpp_find_first(ctx, req);
}

const struct vcpu_place_ops first_fit_ops = {
    .place = first_fit_place,
    .abi = VCPU_PLACE_ABI,
    .name = "first_fit",
    .description = "lowest-index host with room; fragments the low hosts, "
                   "does not spread load",
};
