// SPDX-License-Identifier: LGPL-2.1-or-later
/* The monitor thread: notices real changes under the runtime and reports
 * them to the policy through the core. It polls (a period of 10 ms by
 * default): the process's allowed CPU set (sched_getaffinity, which follows
 * sched_setaffinity and cpusets), CPU hotplug (sysfs "online"), cpufreq
 * (scaling_cur_freq / cpuinfo_max_freq) and steal (a worker's thread CPU
 * time against the wall time it spent running vCPUs). Emulated topologies
 * share real CPUs between workers: there the monitor only watches
 * affinity. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_internal.h"

struct mon_cpu {
    bool allowed, online;
    uint32_t speed;
    uint64_t cpu_ns, wall_ns;
};

static void report(struct vcpu_rt *rt, unsigned kind, vcpu_pcpu_t p,
                   uint64_t value)
{
    if (!rt->monitor_fn)
        return;
    struct vcpu_rt_event e = {kind, p, value, vcpu__rt_now(rt) + rt->t0};
    rt->monitor_fn(rt->monitor_arg, &e);
}

static bool read_u64(const char *path, uint64_t *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    unsigned long long x;
    bool ok = fscanf(f, "%llu", &x) == 1;
    fclose(f);
    *out = x;
    return ok;
}

static bool cpu_online(unsigned cpu)
{
    char path[96];
    uint64_t v;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/online", cpu);
    return !read_u64(path, &v) || v != 0; /* no file: cannot go offline */
}

static uint32_t cpu_speed(unsigned cpu)
{
    char path[128];
    uint64_t cur, max;
    snprintf(path, sizeof path,
             "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_cur_freq", cpu);
    if (!read_u64(path, &cur))
        return VCPU_SPEED_NOMINAL;
    snprintf(path, sizeof path,
             "/sys/devices/system/cpu/cpu%u/cpufreq/cpuinfo_max_freq", cpu);
    if (!read_u64(path, &max) || !max || cur >= max)
        return VCPU_SPEED_NOMINAL;
    return (uint32_t)(cur * VCPU_SPEED_NOMINAL / max);
}

static void check_presence(struct vcpu_rt *rt, struct mon_cpu *m,
                           const cpu_set_t *aff)
{
    for (vcpu_pcpu_t p = 0; p < rt->nw; p++) {
        unsigned cpu = rt->w[p].os_cpu;
        bool allowed = CPU_ISSET(cpu, aff), online = cpu_online(cpu);
        if (allowed != m[p].allowed)
            report(rt,
                   allowed ? VCPU_RT_EV_AFFINITY_GAINED
                           : VCPU_RT_EV_AFFINITY_LOST,
                   p, cpu);
        if (online != m[p].online)
            report(rt, online ? VCPU_RT_EV_HOTPLUG_ON : VCPU_RT_EV_HOTPLUG_OFF,
                   p, cpu);
        bool was = m[p].allowed && m[p].online, is = allowed && online;
        if (was != is)
            vcpu_rt_pcpu_set_online(rt, p, is);
        m[p].allowed = allowed;
        m[p].online = online;
    }
}

static void check_speed_and_steal(struct vcpu_rt *rt, struct mon_cpu *m)
{
    for (vcpu_pcpu_t p = 0; p < rt->nw; p++) {
        struct rt_worker *w = &rt->w[p];
        uint32_t s = cpu_speed(w->os_cpu);
        if (s != m[p].speed) {
            report(rt, VCPU_RT_EV_FREQ, p, s);
            vcpu_core_pcpu_set_speed(rt->core, vcpu__rt_now(rt), p, s);
            m[p].speed = s;
        }
        clockid_t cid;
        struct timespec ts;
        if (pthread_getcpuclockid(w->thread, &cid) || clock_gettime(cid, &ts))
            continue;
        uint64_t cpu = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
        uint64_t wall = atomic_load(&w->busy_wall_ns);
        uint64_t dc = cpu - m[p].cpu_ns, dw = wall - m[p].wall_ns;
        m[p].cpu_ns = cpu;
        m[p].wall_ns = wall;
        if (dw > 1000000 && dc < dw && (dw - dc) * 20 > dw) /* > 5% */
            report(rt, VCPU_RT_EV_STEAL, p, (dw - dc) * 1000000 / dw);
    }
}

void *vcpu__monitor_main(void *arg)
{
    struct vcpu_rt *rt = arg;
    struct mon_cpu *m = calloc(rt->nw, sizeof *m);
    if (!m)
        return NULL;
    bool emulated = rt->nos < rt->nw;
    for (vcpu_pcpu_t p = 0; p < rt->nw; p++)
        m[p] = (struct mon_cpu){true, true, VCPU_SPEED_NOMINAL, 0, 0};
    uint64_t period =
        rt->attr.monitor_period_ns ? rt->attr.monitor_period_ns : 10000000;
    while (!atomic_load(&rt->stop_now)) {
        cpu_set_t aff;
        if (sched_getaffinity(getpid(), sizeof aff, &aff) == 0)
            check_presence(rt, m, &aff);
        if (!emulated)
            check_speed_and_steal(rt, m);
        struct timespec ts = {(time_t)(period / 1000000000u),
                              (long)(period % 1000000000u)};
        nanosleep(&ts, NULL);
    }
    free(m);
    return NULL;
}
