// SPDX-License-Identifier: LGPL-2.1-or-later
/* Trace records: names of events and the CSV form shared by the runtime
 * and the simulator. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vcpu/trace.h>

static const char *const names[] = {
#define NAME_(n) #n,
    VCPU_TRACE_EVENTS(NAME_)
#undef NAME_
};

const char *vcpu_trace_event_name(unsigned event)
{
    return event < VCPU_TRACE_NEVENTS ? names[event] : "?";
}

int vcpu_trace_event_parse(const char *name)
{
    for (unsigned i = 0; name && i < VCPU_TRACE_NEVENTS; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return VCPU_EINVAL;
}

static long long id_out(uint32_t id)
{
    return id == VCPU_NONE ? -1 : (long long)id;
}

int vcpu_trace_format(const struct vcpu_trace_rec *r, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%" PRIu64 ",%s,%lld,%lld,%lld,%" PRId64 "\n",
                     r->time_ns, vcpu_trace_event_name(r->event),
                     id_out(r->pcpu), id_out(r->vcpu), id_out(r->vm), r->arg);
    if (n < 0 || (size_t)n >= len)
        return VCPU_ERANGE;
    return n;
}

/* Parse one id field: -1 means none, else 0..UINT32_MAX-1. */
static int parse_id(const char *s, char **end, uint32_t *out)
{
    errno = 0;
    long long x = strtoll(s, end, 10);
    if (errno || *end == s || x < -1 || x >= (long long)VCPU_NONE)
        return VCPU_EPARSE;
    *out = x < 0 ? VCPU_NONE : (uint32_t)x;
    return 0;
}

int vcpu_trace_parse(const char *line, struct vcpu_trace_rec *r)
{
    if (!line || !r)
        return VCPU_EINVAL;
    char *end;
    errno = 0;
    if (*line == '-')
        return VCPU_EPARSE;
    r->time_ns = strtoull(line, &end, 10);
    if (errno || end == line || *end != ',')
        return VCPU_EPARSE;
    const char *ev = end + 1;
    const char *comma = strchr(ev, ',');
    if (!comma || comma - ev >= 32)
        return VCPU_EPARSE;
    char name[32];
    memcpy(name, ev, (size_t)(comma - ev));
    name[comma - ev] = '\0';
    int e = vcpu_trace_event_parse(name);
    if (e < 0)
        return VCPU_EPARSE;
    r->event = (uint32_t)e;
    if (parse_id(comma + 1, &end, &r->pcpu) || *end != ',' ||
        parse_id(end + 1, &end, &r->vcpu) || *end != ',' ||
        parse_id(end + 1, &end, &r->vm) || *end != ',')
        return VCPU_EPARSE;
    const char *a = end + 1;
    errno = 0;
    r->arg = strtoll(a, &end, 10);
    if (errno || end == a)
        return VCPU_EPARSE;
    if (*end == '\r')
        end++;
    if (*end == '\n')
        end++;
    return *end ? VCPU_EPARSE : 0;
}
