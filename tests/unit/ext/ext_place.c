// SPDX-License-Identifier: GPL-3.0-or-later
/* An external placement policy built as a shared object for unit.place:
 * the highest-index host with room ("ext_last_fit"), by a plain scan with
 * vpp_fits. Built good, with a wrong ABI (EXT_WRONG_ABI) and with an entry
 * that refuses (EXT_REFUSE). */
#include <vcpu/place.h>

static uint32_t last_fit_place(vpp_ctx_t *ctx, vcpu_dcvm_t vm,
                               const struct vcpu_vm_req *req)
{
    (void)vm;
    for (uint32_t h = vpp_nhosts(ctx); h-- > 0;)
        if (vpp_fits(ctx, h, req))
            return h;
    return VCPU_HOST_NONE;
}

static const struct vcpu_place_ops last_fit_ops __attribute__((unused)) = {
    .place = last_fit_place,
#ifdef EXT_WRONG_ABI
    .abi = VCPU_PLACE_ABI + 41,
#else
    .abi = VCPU_PLACE_ABI,
#endif
    .name = "ext_last_fit",
    .description = "highest-index host with room (test policy)",
};

__attribute__((visibility("default"))) const struct vcpu_place_ops *
vcpu_place_entry(uint32_t host_abi);

const struct vcpu_place_ops *vcpu_place_entry(uint32_t host_abi)
{
#ifdef EXT_REFUSE
    (void)host_abi;
    return NULL;
#else
    return host_abi == VCPU_PLACE_ABI ? &last_fit_ops : NULL;
#endif
}
