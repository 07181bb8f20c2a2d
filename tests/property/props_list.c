// SPDX-License-Identifier: GPL-3.0-or-later
/* Policy-specific properties by policy name: one props_<name>.c per policy
 * defines <name>_props; CMake generates the list. */
#include <string.h>

#include "harness.h"

#define DECLARE_(name) extern const struct policy_props name##_props;
#include "props_generated.h"
VCPU_POLICY_PROPS(DECLARE_)
#undef DECLARE_

static const struct policy_props *const all[] = {
#define ENTRY_(name) &name##_props,
    VCPU_POLICY_PROPS(ENTRY_)
#undef ENTRY_
        NULL,
};

const struct policy_props *policy_props_find(const char *policy)
{
    for (unsigned i = 0; all[i]; i++)
        if (strcmp(all[i]->policy, policy) == 0)
            return all[i];
    return NULL;
}
