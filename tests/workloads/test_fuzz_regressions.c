// SPDX-License-Identifier: GPL-3.0-or-later
/* Inputs the fuzzers found (tests/fuzz/regressions/<format>/), replayed
 * through the same harness under the sanitizers of the build; and every
 * sample of workloads/samples read as every format, which must never
 * crash whatever the mismatch. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fuzz/fuzz_harness.h"

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* Every regular file of @dir (but README.md) through @f. */
static unsigned replay_dir(const char *dir, enum wl_format f)
{
    DIR *d = opendir(dir);
    unsigned n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));) {
        char path[4096];
        size_t len;
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        uint8_t *data = slurp(path, &len);
        fuzz_one(f, data, len);
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

static void test_wl_fuzz_regressions_replay(void **state)
{
    (void)state;
    DIR *d = opendir(VCPU_FUZZ_REGRESSIONS);
    unsigned n = 0;
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md"))
            continue;
        int f = !strcmp(e->d_name, "auto") ? WL_FMT_AUTO
                                           : wl_format_parse(e->d_name);
        if (f < 0)
            fail_msg("regressions/%s: not a format name", e->d_name);
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", VCPU_FUZZ_REGRESSIONS, e->d_name);
        n += replay_dir(dir, (enum wl_format)f);
    }
    closedir(d);
    print_message("%u inputs\n", n);
    assert_true(n >= 1);
}

static void test_wl_fuzz_regressions_samples_as_every_format(void **state)
{
    (void)state;
    unsigned n = 0;
    for (int f = 0; f < WL_FMT_COUNT; f++)
        n += replay_dir(VCPU_WL_SAMPLES, (enum wl_format)f);
    assert_true(n >= 12 * WL_FMT_COUNT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wl_fuzz_regressions_replay),
        cmocka_unit_test(test_wl_fuzz_regressions_samples_as_every_format),
    };
    return cmocka_run_group_tests_name("wl_fuzz_regressions", tests, NULL,
                                       NULL);
}
