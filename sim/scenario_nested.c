// SPDX-License-Identifier: GPL-3.0-or-later
/* The scenario's nested scheduling keys (docs/nested.md): a VM's tasks run
 * in the host tier under guest_policy (guest_args, guest_slice). Whether
 * tasks need a guest policy is decided with the whole scenario in
 * sim_scn_dc_check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vcpu/vcpu.h>

#include "scenario_internal.h"

struct args_log {
    char msg[256];
};

static void args_log(void *arg, const char *line)
{
    struct args_log *l = arg;
    if (!l->msg[0])
        snprintf(l->msg, sizeof l->msg, "%s", line);
}

/* Built-in policies parse their arguments when a core is made: make one on
 * a one-pCPU machine now, so a bad key fails here with its line. */
static int check_args(struct sim_scn *c, struct fy_node *n, const char *path,
                      const struct sim_vm_spec *v)
{
    const struct vcpu_policy_ops *ops = vcpu_policy_find(v->guest_policy);
    if (!ops)
        return 0; /* .so policies: checked when the VM starts */
    vcpu_topo_t *t;
    if (vcpu_topo_load("pack:1 core:1 pu:1", &t))
        return 0;
    struct args_log l = {{0}};
    struct vcpu_core_env env = {.abi = VCPU_CORE_ABI, .log = args_log};
    struct vcpu_core_attr a = {.abi = VCPU_CORE_ABI,
                               .topo = t,
                               .ops = ops,
                               .policy_args = v->guest_args,
                               .slice_ns = v->guest_slice_ns ? v->guest_slice_ns
                                                             : c->s->slice_ns,
                               .flags = VCPU_CORE_NOCHECK,
                               .env = &env,
                               .env_arg = &l};
    vcpu_core_t *core;
    int rc = vcpu_core_create(&a, &core);
    vcpu_core_destroy(rc ? NULL : core);
    vcpu_topo_unref(t);
    if (!rc)
        return 0;
    return sim_scn_fail(
        c, n, path, "guest policy '%s' refuses %s: %s", v->guest_policy,
        v->guest_args ? "these arguments or slice" : "this slice",
        l.msg[0] ? l.msg : vcpu_strerror(rc));
}

int sim_scn_vm_guest(struct sim_scn *c, struct fy_node *n, const char *path,
                     struct sim_vm_spec *v)
{
    char p[SIM_SCN_PATH];
    struct fy_node *pol = sim_scn_get(n, "guest_policy");
    struct fy_node *args = sim_scn_get(n, "guest_args");
    struct fy_node *slice = sim_scn_get(n, "guest_slice");

    if (!pol) {
        if (args || slice)
            return sim_scn_fail(
                c, args ? args : slice,
                sim_scn_path(p, path, args ? "guest_args" : "guest_slice"),
                "needs guest_policy: (the policy that "
                "schedules the VM's tasks)");
        return 0;
    }
    sim_scn_path(p, path, "guest_policy");
    if (sim_scn_policy_name(c, pol, p, &v->guest_policy))
        return -1;
    if (!v->ntasks)
        return sim_scn_fail(c, pol, p,
                            "a guest policy schedules tasks: add tasks: "
                            "[{count: N, work: 10s}]");
    if (sim_scn_get(n, "workload"))
        return sim_scn_fail(c, sim_scn_get(n, "workload"),
                            sim_scn_path(p, path, "workload"),
                            "a VM with guest_policy runs its tasks, not a "
                            "workload program");
    if (sim_scn_duration(c, slice, sim_scn_path(p, path, "guest_slice"),
                         &v->guest_slice_ns))
        return -1;
    if (slice && !v->guest_slice_ns)
        return sim_scn_fail(c, slice, p, "must be more than 0");
    if (sim_scn_str(c, args, sim_scn_path(p, path, "guest_args"),
                    &v->guest_args))
        return -1;
    if (!args)
        sim_scn_path(p, path, slice ? "guest_slice" : "guest_policy");
    return check_args(c, args ? args : slice ? slice : pol, p, v);
}
