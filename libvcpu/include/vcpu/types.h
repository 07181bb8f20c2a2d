/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scalar ids, time and the export macro shared by every libvcpu header. */
#ifndef VCPU_TYPES_H
#define VCPU_TYPES_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define VCPU_API __attribute__((visibility("default")))
#else
#define VCPU_API
#endif

#if defined(__GNUC__)
#define VCPU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define VCPU_PRINTF(f, a)
#endif

/** Version of the library these headers belong to. */
#define VCPU_VERSION_MAJOR 0
#define VCPU_VERSION_MINOR 1
#define VCPU_VERSION_PATCH 0

/** vCPU id inside one core instance: 0..n-1, never reused (unless the core
 *  recycles the ids of removed VMs: VCPU_CORE_RECYCLE). */
typedef uint32_t vcpu_id_t;
/** pCPU id inside one topology: 0..P-1 in hwloc logical PU order. */
typedef uint32_t vcpu_pcpu_t;
/** VM (group of vCPUs) id inside one core instance, never reused. */
typedef uint32_t vcpu_vm_t;
/** Time in nanoseconds; the environment defines its origin. */
typedef uint64_t vcpu_time_t;

/** "No such vCPU / pCPU / VM": the invalid value of every id type. */
#define VCPU_NONE UINT32_MAX

/** Nominal speed of a pCPU, in thousandths (1000 = full speed). */
#define VCPU_SPEED_NOMINAL 1000u

/** Library version as "MAJOR.MINOR.PATCH"; a static string. */
VCPU_API const char *vcpu_version(void);

#ifdef __cplusplus
}
#endif
#endif /* VCPU_TYPES_H */
