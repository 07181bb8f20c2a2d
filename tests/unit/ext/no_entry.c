// SPDX-License-Identifier: GPL-3.0-or-later
/* A shared object without vcpu_policy_entry, for the registry tests. */
__attribute__((visibility("default"))) int not_a_policy(void);

int not_a_policy(void)
{
    return 42;
}
