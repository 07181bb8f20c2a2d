/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error codes of libvcpu: 0 or a negative VCPU_E* value. On Linux the codes
 * that have a POSIX twin equal -errno; libvcpu's own sit in -4000..-4095. */
#ifndef VCPU_ERRNO_H
#define VCPU_ERRNO_H

#ifdef __cplusplus
extern "C" {
#endif

#include <errno.h>

#include "types.h"

/*
 * The one list: X(NAME, value, message). It generates the constants,
 * vcpu_strerror() and vcpu_err_name().
 */
#define VCPU_ERRNO_MAP(X)                                                      \
    X(OK, 0, "success")                                                        \
    X(EPERM, -EPERM, "operation not permitted")                                \
    X(ENOENT, -ENOENT, "no such entry")                                        \
    X(ESRCH, -ESRCH, "no such vCPU, pCPU or VM (or it has exited)")            \
    X(EINTR, -EINTR, "interrupted")                                            \
    X(EIO, -EIO, "input/output error")                                         \
    X(E2BIG, -E2BIG, "argument list too long")                                 \
    X(EAGAIN, -EAGAIN, "resource temporarily unavailable")                     \
    X(ENOMEM, -ENOMEM, "out of memory")                                        \
    X(EACCES, -EACCES, "permission denied")                                    \
    X(EBUSY, -EBUSY, "busy (object started or in use)")                        \
    X(EEXIST, -EEXIST, "already exists")                                       \
    X(EXDEV, -EXDEV, "object belongs to another instance")                     \
    X(ENODEV, -ENODEV, "no such device (pCPU offline)")                        \
    X(EINVAL, -EINVAL, "invalid argument")                                     \
    X(ENFILE, -ENFILE, "too many objects")                                     \
    X(ENOSPC, -ENOSPC, "no space left (capacity exhausted)")                   \
    X(ERANGE, -ERANGE, "value out of range")                                   \
    X(EDEADLK, -EDEADLK, "deadlock would occur")                               \
    X(ENOSYS, -ENOSYS, "not implemented")                                      \
    X(ENOTSUP, -ENOTSUP, "not supported")                                      \
    X(ETIMEDOUT, -ETIMEDOUT, "timed out")                                      \
    X(ECANCELED, -ECANCELED, "canceled")                                       \
    X(ETOPO, -4000, "topology cannot be loaded or is unusable")                \
    X(EABI, -4001, "ABI version mismatch")                                     \
    X(EPOLICY, -4002, "policy failed or aborted")                              \
    X(EINVARIANT, -4003, "scheduler invariant broken")                         \
    X(EPARSE, -4004, "malformed input")                                        \
    X(ESTATE, -4005, "operation not valid in the object's current state")      \
    X(EUNKNOWN, -4095, "unknown error")

/** Error codes. */
enum vcpu_errno {
#define VCPU_ERRNO_ENUM_(name, value, msg) VCPU_##name = (value),
    VCPU_ERRNO_MAP(VCPU_ERRNO_ENUM_)
#undef VCPU_ERRNO_ENUM_
};

/**
 * vcpu_strerror - Describe an error code.
 * @err: any int (0, a VCPU_E* code, or anything else)
 *
 * Return: a static string; "unknown error" for codes not in the list.
 * Context: any thread; does not block; never allocates.
 */
VCPU_API const char *vcpu_strerror(int err);

/**
 * vcpu_err_name - The constant's name of an error code, e.g. "VCPU_EINVAL".
 * @err: any int
 *
 * Return: a static string; "VCPU_EUNKNOWN" for codes not in the list.
 * Context: any thread; does not block; never allocates.
 */
VCPU_API const char *vcpu_err_name(int err);

#ifdef __cplusplus
}
#endif
#endif /* VCPU_ERRNO_H */
