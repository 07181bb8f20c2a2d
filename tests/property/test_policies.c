// SPDX-License-Identifier: GPL-3.0-or-later
/* Every registered policy against seeded random cases with the invariant
 * checker on, its own properties, and the determinism check. A failure
 * prints the seed, a shrunk operation list and the command to replay it.
 * VCPU_SEED sets the base seed, VCPU_CASES the cases per policy,
 * VCPU_POLICY restricts the run to one policy. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define DEFAULT_CASES 2000
#define MAX_OPS 160

static int run_policy(const struct vcpu_policy_ops *ops)
{
    const struct policy_props *pp = policy_props_find(ops->name);
    uint64_t base = harness_seed(0x5eed0000u);
    unsigned cases = harness_cases(DEFAULT_CASES);
    char msg[2048];
    for (unsigned i = 0; i < cases; i++) {
        struct pcase pc;
        pcase_generate(&pc, base + i, MAX_OPS);
        if (pcase_run(&pc, ops, pp, true, msg, sizeof msg) == 0) {
            pcase_free(&pc);
            continue;
        }
        fprintf(stderr, "policy '%s' FAILED on case seed %" PRIu64 ":\n  %s\n",
                ops->name, pc.seed, msg);
        unsigned runs = pcase_shrink(&pc, ops, pp, true, NULL);
        pcase_run(&pc, ops, pp, true, msg, sizeof msg);
        fprintf(stderr, "shrunk in %u runs to %u operations:\n  %s\n", runs,
                pc.nops, msg);
        pcase_print(&pc, stderr);
        fprintf(stderr,
                "replay: VCPU_SEED=%" PRIu64 " VCPU_CASES=1 "
                "VCPU_POLICY=%s %s\n",
                pc.seed, ops->name, "tests/property/test_property_policies");
        pcase_free(&pc);
        return -1;
    }
    printf("policy %-6s %u cases from seed %#" PRIx64 ": ok\n", ops->name,
           cases, base);
    return 0;
}

static void test_property_every_policy_keeps_invariants(void **state)
{
    (void)state;
    const char *only = getenv("VCPU_POLICY");
    unsigned tested = 0;
    for (unsigned i = 0; i < vcpu_policy_count(); i++) {
        const struct vcpu_policy_ops *ops = vcpu_policy_at(i);
        if (only && *only && strcmp(only, ops->name) != 0)
            continue;
        assert_int_equal(run_policy(ops), 0);
        tested++;
    }
    assert_true(tested > 0);
}

/* A table with only a name is a valid policy (the global FIFO). */
static void test_property_name_only_table_behaves_as_fifo(void **state)
{
    (void)state;
    static const struct vcpu_policy_ops bare = {
        .abi = VCPU_POLICY_ABI,
        .name = "bare",
    };
    char msg[2048];
    uint64_t base = harness_seed(0xba5e0000u);
    for (unsigned i = 0; i < harness_cases(DEFAULT_CASES) / 5 + 1; i++) {
        struct pcase pc;
        pcase_generate(&pc, base + i, MAX_OPS);
        int rc = pcase_run(&pc, &bare, NULL, false, msg, sizeof msg);
        if (rc)
            fprintf(stderr, "seed %" PRIu64 ": %s\n", pc.seed, msg);
        pcase_free(&pc);
        assert_int_equal(rc, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property_every_policy_keeps_invariants),
        cmocka_unit_test(test_property_name_only_table_behaves_as_fifo),
    };
    return cmocka_run_group_tests_name("property", tests, NULL, NULL);
}
