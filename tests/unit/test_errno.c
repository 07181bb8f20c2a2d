// SPDX-License-Identifier: GPL-3.0-or-later
/* errno.h: constants, vcpu_strerror and vcpu_err_name from one list. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <vcpu/errno.h>

static void test_errno_posix_twins_equal_minus_errno(void **state)
{
    (void)state;
    assert_int_equal(VCPU_EINVAL, -EINVAL);
    assert_int_equal(VCPU_ENOMEM, -ENOMEM);
    assert_int_equal(VCPU_EBUSY, -EBUSY);
    assert_int_equal(VCPU_ESRCH, -ESRCH);
    assert_true(VCPU_ETOPO <= -4000 && VCPU_ETOPO >= -4095);
    assert_true(VCPU_EABI <= -4000 && VCPU_EABI >= -4095);
}

static void test_errno_names_match_constants(void **state)
{
    (void)state;
#define CHECK_(name, value, msg)                                               \
    assert_string_equal(vcpu_err_name(VCPU_##name), "VCPU_" #name);            \
    assert_string_equal(vcpu_strerror(VCPU_##name), msg);
    VCPU_ERRNO_MAP(CHECK_)
#undef CHECK_
}

static void test_errno_codes_are_unique(void **state)
{
    (void)state;
    static const int codes[] = {
#define CODE_(name, value, msg) value,
        VCPU_ERRNO_MAP(CODE_)
#undef CODE_
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        assert_true(codes[i] <= 0);
        for (size_t j = i + 1; j < n; j++)
            assert_int_not_equal(codes[i], codes[j]);
    }
}

static void test_errno_strerror_unknown_is_static(void **state)
{
    (void)state;
    const int odd[] = {1, 42, -3999, -4094, INT_MIN, INT_MAX, -100000};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        const char *a = vcpu_strerror(odd[i]);
        const char *b = vcpu_strerror(odd[i]);
        assert_non_null(a);
        assert_ptr_equal(a, b); /* static, not allocated per call */
        assert_string_equal(a, "unknown error");
        assert_string_equal(vcpu_err_name(odd[i]), "VCPU_EUNKNOWN");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errno_posix_twins_equal_minus_errno),
        cmocka_unit_test(test_errno_names_match_constants),
        cmocka_unit_test(test_errno_codes_are_unique),
        cmocka_unit_test(test_errno_strerror_unknown_is_static),
    };
    return cmocka_run_group_tests_name("errno", tests, NULL, NULL);
}
