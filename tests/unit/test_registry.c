// SPDX-License-Identifier: GPL-3.0-or-later
/* The policy registry: built-ins by name, external policies from shared
 * objects (dlopen) with their ABI checked, and clear errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <vcpu/vcpu.h>

static void test_registry_loads_external_policy(void **state)
{
    (void)state;
    vcpu_policy_lib_t *lib = NULL;
    char err[256] = "";
    assert_int_equal(vcpu_policy_open(EXT_POLICY_SO, &lib, err, sizeof err), 0);
    const struct vcpu_policy_ops *ops = vcpu_policy_lib_ops(lib);
    assert_string_equal(ops->name, "ext_lifo");
    /* It schedules: LIFO order on one pCPU. */
    vcpu_topo_t *t;
    assert_int_equal(vcpu_topo_load_synthetic("core:1 pu:1", &t), 0);
    struct vcpu_core_attr a = {
        .abi = VCPU_CORE_ABI, .topo = t, .ops = ops, .flags = VCPU_CORE_CHECK};
    vcpu_core_t *c;
    assert_int_equal(vcpu_core_create(&a, &c), 0);
    vcpu_vm_t vm;
    vcpu_core_vm_add(c, 0, NULL, &vm);
    vcpu_id_t v[3], got;
    for (int i = 0; i < 3; i++) {
        vcpu_core_vcpu_add(c, 0, vm, &v[i]);
        vcpu_core_wake(c, 0, v[i]);
    }
    assert_int_equal(vcpu_core_pick(c, 1, 0, &got, NULL), 0);
    assert_int_equal(got, v[2]);
    vcpu_core_destroy(c);
    vcpu_topo_unref(t);
    vcpu_policy_close(lib);
}

static void test_registry_rejects_wrong_abi(void **state)
{
    (void)state;
    vcpu_policy_lib_t *lib = (vcpu_policy_lib_t *)0x1;
    char err[256] = "";
    assert_int_equal(vcpu_policy_open(EXT_BADABI_SO, &lib, err, sizeof err),
                     VCPU_EABI);
    assert_null(lib);
    assert_non_null(strstr(err, "ABI"));
}

static void test_registry_rejects_refusing_entry(void **state)
{
    (void)state;
    vcpu_policy_lib_t *lib;
    char err[256] = "";
    assert_int_equal(vcpu_policy_open(EXT_REFUSE_SO, &lib, err, sizeof err),
                     VCPU_EPOLICY);
    assert_non_null(strstr(err, "refused"));
}

static void test_registry_rejects_object_without_entry(void **state)
{
    (void)state;
    vcpu_policy_lib_t *lib;
    char err[256] = "";
    assert_int_equal(vcpu_policy_open(EXT_NOENTRY_SO, &lib, err, sizeof err),
                     VCPU_ENOSYS);
    assert_non_null(strstr(err, "vcpu_policy_entry"));
}

static void test_registry_missing_file_is_enoent(void **state)
{
    (void)state;
    vcpu_policy_lib_t *lib;
    char err[256] = "";
    assert_int_equal(
        vcpu_policy_open("/nonexistent/policy.so", &lib, err, sizeof err),
        VCPU_ENOENT);
    assert_non_null(strstr(err, "nonexistent"));
    assert_int_equal(vcpu_policy_open(NULL, &lib, NULL, 0), VCPU_EINVAL);
    vcpu_policy_close(NULL);
}

static void test_registry_unknown_name_is_null(void **state)
{
    (void)state;
    assert_null(vcpu_policy_find("no_such_policy"));
    assert_non_null(vcpu_policy_find("rr"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_loads_external_policy),
        cmocka_unit_test(test_registry_rejects_wrong_abi),
        cmocka_unit_test(test_registry_rejects_refusing_entry),
        cmocka_unit_test(test_registry_rejects_object_without_entry),
        cmocka_unit_test(test_registry_missing_file_is_enoent),
        cmocka_unit_test(test_registry_unknown_name_is_null),
    };
    return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
