// SPDX-License-Identifier: GPL-3.0-or-later
/* Live policy swaps among random operations: every invariant holds across
 * each swap (no vCPU lost or queued twice, work conservation under the new
 * policy), and runs stay deterministic. VCPU_SEED / VCPU_CASES as usual. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "harness.h"

static void test_property_live_swaps_keep_invariants(void **state)
{
    (void)state;
    uint64_t base = harness_seed(0x5a900000u);
    unsigned cases = harness_cases(1500);
    char msg[2048];
    for (unsigned i = 0; i < cases; i++) {
        const struct vcpu_policy_ops *start =
            vcpu_policy_at(i % vcpu_policy_count());
        struct pcase pc;
        pcase_generate_swaps(&pc, base + i, 160);
        if (pcase_run(&pc, start, NULL, true, msg, sizeof msg)) {
            fprintf(stderr, "start '%s', seed %" PRIu64 ": %s\n", start->name,
                    pc.seed, msg);
            unsigned runs = pcase_shrink(&pc, start, NULL, true, NULL);
            fprintf(stderr, "shrunk in %u runs:\n", runs);
            pcase_print(&pc, stderr);
            pcase_free(&pc);
            fail();
        }
        pcase_free(&pc);
    }
    printf("%u cases with live swaps from seed %#" PRIx64 ": ok\n", cases,
           base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property_live_swaps_keep_invariants),
    };
    return cmocka_run_group_tests_name("swap", tests, NULL, NULL);
}
