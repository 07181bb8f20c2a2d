// SPDX-License-Identifier: LGPL-2.1-or-later
/* best_fit: the fullest host with room (fewest free vCPU slots, then least
 * free memory, then lowest index), from a treap keyed by free capacity:
 * consolidates, so empty hosts can be switched off. Does badly on load
 * balance (hot hosts run at the ratio's limit) and under failures (a
 * host's loss takes many VMs), and it leaves slivers too small to use. */
#include <vcpu/place.h>

static uint32_t best_fit_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                               const struct vcpu_vm_req *req)
{
    (void)vm;
    return vpp_find_best(ctx, req);
}

const struct vcpu_place_ops best_fit_ops = {
    .place = best_fit_place,
    .abi = VCPU_PLACE_ABI,
    .name = "best_fit",
    .description = "fullest host with room (consolidating); hot hosts, "
                   "many VMs lost per host failure",
};
