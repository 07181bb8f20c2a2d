/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One fuzz input through a workload reader: the bytes become a file (a
 * memfd, no disk) read to the end in both error modes, with options that
 * reach the resampling, coarsening and reordering paths. Shared by the
 * libFuzzer targets (tests/fuzz/fuzz_reader.c, built by run.sh) and the
 * unit test that replays tests/fuzz/regressions/. */
#ifndef WL_FUZZ_HARNESS_H
#define WL_FUZZ_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wl.h"

static inline double fuzz_drain(wl_source_t *s)
{
    struct wl_vm vm;
    double sum = 0;
    for (unsigned n = 0; n < 200000 && wl_next(s, &vm) == 1; n++) {
        sum += (double)vm.arrival_ns + vm.vcpus + (double)vm.loops;
        for (unsigned i = 0; i < vm.nphases; i++)
            sum += vm.phases[i].d.a + vm.phases[i].kind;
        sum += vm.name[0];
    }
    const char *label, *value;
    for (unsigned i = 0; wl_meta_at(s, i, &label, &value); i++)
        sum += label[0] + value[0];
    return sum + (double)wl_stats(s)->records;
}

/* Return 0 (inputs never fail; a bug crashes or trips a sanitizer). */
static inline int fuzz_one(enum wl_format format, const uint8_t *data,
                           size_t size)
{
    int fd = memfd_create("wlfuzz", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    for (size_t off = 0; off < size;) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    for (int fatal = 0; fatal < 2; fatal++) {
        struct wl_opts o = {.abi = WL_ABI,
                            .format = format,
                            .fatal = fatal,
                            .burst_ns = fatal ? 0 : 1000000000ull,
                            .max_phases = 16,
                            .reorder = 4,
                            .lookahead_ns = 1000000000ull,
                            .scale = fatal ? 0.5 : 1};
        wl_source_t *s;
        if (wl_open(path, &o, &s, err, sizeof err) == 0) {
            volatile double sink = fuzz_drain(s);
            (void)sink;
            wl_close(s);
        }
    }
    close(fd);
    return 0;
}

#endif /* WL_FUZZ_HARNESS_H */
