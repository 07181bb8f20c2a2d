// SPDX-License-Identifier: GPL-3.0-or-later
/* libFuzzer target for one workload reader: FUZZ_FORMAT names it
 * (WL_FMT_AUTO: format detection first). Built by tests/fuzz/run.sh. */
#include "fuzz_harness.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT WL_FMT_AUTO
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_one(FUZZ_FORMAT, data, size);
}
