// SPDX-License-Identifier: LGPL-2.1-or-later
/* vcpu_strerror / vcpu_err_name, generated from the one list in errno.h. */
#include <vcpu/errno.h>

#define STR_(x) #x
#define XSTR_(x) STR_(x)

const char *vcpu_version(void)
{
    return XSTR_(VCPU_VERSION_MAJOR) "." XSTR_(VCPU_VERSION_MINOR) "." XSTR_(
        VCPU_VERSION_PATCH);
}

const char *vcpu_strerror(int err)
{
    switch (err) {
#define CASE_(name, value, msg)                                                \
    case value:                                                                \
        return msg;
        VCPU_ERRNO_MAP(CASE_)
#undef CASE_
    }
    return "unknown error";
}

const char *vcpu_err_name(int err)
{
    switch (err) {
#define CASE_(name, value, msg)                                                \
    case value:                                                                \
        return "VCPU_" #name;
        VCPU_ERRNO_MAP(CASE_)
#undef CASE_
    }
    return "VCPU_EUNKNOWN";
}
