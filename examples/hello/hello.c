// SPDX-License-Identifier: GPL-3.0-or-later
/* Links the installed libvcpu: load a topology (argv[1], default the
 * machine), run four vCPUs on it under the rr policy, print where they ran. */
#include <stdio.h>

#include <vcpu/vcpu.h>

int main(int argc, char **argv)
{
    vcpu_topo_t *topo = NULL;
    int rc = vcpu_topo_load(argc > 1 ? argv[1] : "system", &topo);
    if (rc) {
        fprintf(stderr, "hello: topology: %s\n", vcpu_strerror(rc));
        return 1;
    }
    struct vcpu_core_attr attr = {
        .abi = VCPU_CORE_ABI,
        .topo = topo,
        .ops = vcpu_policy_find("rr"),
    };
    vcpu_core_t *core = NULL;
    if ((rc = vcpu_core_create(&attr, &core))) {
        fprintf(stderr, "hello: core: %s\n", vcpu_strerror(rc));
        vcpu_topo_unref(topo);
        return 1;
    }
    vcpu_vm_t vm;
    vcpu_core_vm_add(core, 0, NULL, &vm);
    for (int i = 0; i < 4; i++) {
        vcpu_id_t v;
        vcpu_core_vcpu_add(core, 0, vm, &v);
        vcpu_core_wake(core, 0, v);
    }
    printf("libvcpu %s, %u pCPUs, policy %s\n", vcpu_version(),
           vcpu_topo_npcpus(topo), vcpu_core_policy_name(core));
    for (vcpu_pcpu_t p = 0; p < vcpu_core_npcpus(core); p++) {
        vcpu_id_t v;
        vcpu_core_pick(core, 1000, p, &v, NULL);
        if (v != VCPU_NONE)
            printf("  vCPU %u runs on pCPU %u\n", v, p);
    }
    vcpu_core_destroy(core);
    vcpu_topo_unref(topo);
    return 0;
}
