// SPDX-License-Identifier: LGPL-2.1-or-later
/* worst_fit: the emptiest host with room (most free vCPU slots, then most
 * free memory, then lowest index), from a treap keyed by free capacity:
 * spreads load, so VMs contend least. Does badly on energy (every host
 * stays on) and for large VMs, which find no host with a big enough hole
 * once small ones are spread everywhere. */
#include <vcpu/place.h>

static uint32_t worst_fit_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                                const struct vcpu_vm_req *req)
{
    (void)vm;
    return vpp_find_worst(ctx, req);
}

const struct vcpu_place_ops worst_fit_ops = {
    .place = worst_fit_place,
    .abi = VCPU_PLACE_ABI,
    .name = "worst_fit",
    .description = "emptiest host with room (spreading); keeps every host "
                   "on, strands large VMs",
};
