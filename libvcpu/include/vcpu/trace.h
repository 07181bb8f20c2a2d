/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Trace records shared by the runtime and the simulator, and their CSV
 * form: time_ns,event,pcpu,vcpu,vm,arg (DESIGN.md §6). */
#ifndef VCPU_TRACE_H
#define VCPU_TRACE_H

#ifdef __cplusplus
extern "C" {
#endif

#include "errno.h"
#include "types.h"

/* X(NAME): the events, in the order of their numeric values. */
#define VCPU_TRACE_EVENTS(X)                                                   \
    X(RUN)     /* vcpu starts on pcpu; arg = slice ns */                       \
    X(STOP)    /* vcpu leaves pcpu; arg = enum vcpu_stop_reason */             \
    X(MIGRATE) /* vcpu starts on a pcpu other than its last; arg = from */     \
    X(SUSPEND) /* vcpu parked; arg = 1 policy, 2 operator */                   \
    X(RESUME)  /* vcpu unparked; arg as SUSPEND */                             \
    X(BLOCK)   /* vcpu blocks */                                               \
    X(WAKE)    /* vcpu becomes runnable; arg = target pcpu */                  \
    X(EXIT)    /* vcpu exits */                                                \
    X(PCPU_OFFLINE)     /* pcpu goes offline */                                \
    X(PCPU_ONLINE)      /* pcpu comes online; arg = speed */                   \
    X(PCPU_SPEED)       /* pcpu speed changes; arg = new speed (1000 = 1.0) */ \
    X(VM_ADD)           /* vm created; arg = vcpu count hint */                \
    X(VM_REMOVE)        /* vm removed */                                       \
    X(VM_MIGRATE_START) /* vm starts leaving its host; arg = target host */    \
    X(VM_MIGRATE_END)   /* vm runs on its new host; arg = downtime ns */       \
    X(POLICY)           /* policy swapped or aborted; arg = error code */

enum vcpu_trace_event {
#define VCPU_TRACE_ENUM_(n) VCPU_TRACE_##n,
    VCPU_TRACE_EVENTS(VCPU_TRACE_ENUM_)
#undef VCPU_TRACE_ENUM_
        VCPU_TRACE_NEVENTS
};

/** Why a vCPU stopped (STOP's arg). */
enum vcpu_stop_reason {
    VCPU_STOP_PREEMPT = 0, /**< slice expired or preempted */
    VCPU_STOP_YIELD,
    VCPU_STOP_BLOCK,
    VCPU_STOP_EXIT,
    VCPU_STOP_SUSPEND,
    VCPU_STOP_OFFLINE, /**< its pCPU went offline */
};

/** One trace record. Ids are VCPU_NONE where they do not apply. */
struct vcpu_trace_rec {
    vcpu_time_t time_ns;
    uint32_t event; /**< enum vcpu_trace_event */
    vcpu_pcpu_t pcpu;
    vcpu_id_t vcpu;
    vcpu_vm_t vm;
    int64_t arg;
};

/** The CSV header line, without newline. */
#define VCPU_TRACE_CSV_HEADER "time_ns,event,pcpu,vcpu,vm,arg"

/** Name of an event ("RUN", ...), "?" if unknown; static. */
VCPU_API const char *vcpu_trace_event_name(unsigned event);

/**
 * vcpu_trace_event_parse - Event number of @name.
 * Return: 0..VCPU_TRACE_NEVENTS-1, or VCPU_EINVAL.
 */
VCPU_API int vcpu_trace_event_parse(const char *name);

/**
 * vcpu_trace_format - Write @r as one CSV line with '\n' into @buf (ids that
 * are VCPU_NONE are written as -1).
 * Return: the length written (excluding NUL), or VCPU_ERANGE if @len is too
 * small (64 bytes always suffice).
 * Context: any thread; does not block.
 */
VCPU_API int vcpu_trace_format(const struct vcpu_trace_rec *r, char *buf,
                               size_t len);

/**
 * vcpu_trace_parse - Parse one CSV line (with or without newline).
 * Return: 0, VCPU_EPARSE (wrong field count, unknown event, bad number).
 */
VCPU_API int vcpu_trace_parse(const char *line, struct vcpu_trace_rec *r);

#ifdef __cplusplus
}
#endif
#endif /* VCPU_TRACE_H */
