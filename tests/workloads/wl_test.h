/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers of the workload tests: a temporary folder, files written into
 * it, and a source drained while its problems are collected. */
#ifndef WL_TEST_H
#define WL_TEST_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "wl.h"

static char tmp_dir[256];

static inline int rm_entry(const char *path, const struct stat *st, int flag,
                           struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline int tmp_setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/wltest.XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static inline int tmp_teardown(void **state)
{
    (void)state;
    return nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write @text to tmp_dir/@name (folders made as needed); the path is in a
 * static buffer. */
static inline const char *put(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    for (char *p = path + strlen(tmp_dir) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

/* Write @text gzip-compressed. */
static inline const char *put_gz(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    gzFile g = gzopen(path, "wb");
    if (!g)
        return NULL;
    gzwrite(g, text, (unsigned)strlen(text));
    gzclose(g);
    return path;
}

struct drained {
    int open_rc, rc; /* wl_open's; the last wl_next's */
    uint64_t vms;
    unsigned nprob;
    char prob[4][512];
    char err[512]; /* wl_open's message, or wl_error */
    struct wl_stats st;
    struct wl_vm first, last;
    char first_name[160], last_name[160];
    uint64_t first_phase_ns[2];
    double busy_ns, life_ns; /* over every VM: compute and all phases */
};

static inline void collect(void *arg, const char *msg)
{
    struct drained *d = arg;
    if (d->nprob < 4)
        snprintf(d->prob[d->nprob], sizeof d->prob[0], "%s", msg);
    d->nprob++;
}

static inline void account(struct drained *d, const struct wl_vm *vm)
{
    for (unsigned i = 0; i < vm->nphases; i++) {
        double x = vm->phases[i].d.a * (double)(vm->loops ? vm->loops : 1);
        if (vm->phases[i].kind == WL_PH_COMPUTE)
            d->busy_ns += x;
        d->life_ns += x;
    }
}

/* Open @path (@o may be NULL) and read it to the end. */
static inline void drain(const char *path, const struct wl_opts *o,
                         struct drained *d)
{
    struct wl_opts opts = o ? *o : (struct wl_opts){.abi = WL_ABI};
    wl_source_t *s;
    struct wl_vm vm;
    memset(d, 0, sizeof *d);
    opts.report = collect;
    opts.report_arg = d;
    d->open_rc = wl_open(path, &opts, &s, d->err, sizeof d->err);
    if (d->open_rc)
        return;
    while ((d->rc = wl_next(s, &vm)) == 1) {
        if (!d->vms++) {
            d->first = vm;
            snprintf(d->first_name, sizeof d->first_name, "%s", vm.name);
            for (unsigned i = 0; i < 2 && i < vm.nphases; i++)
                d->first_phase_ns[i] = (uint64_t)vm.phases[i].d.a;
        }
        d->last = vm;
        snprintf(d->last_name, sizeof d->last_name, "%s", vm.name);
        account(d, &vm);
    }
    d->first.name = d->first_name;
    d->first.phases = NULL;
    d->last.name = d->last_name;
    d->last.phases = NULL;
    if (d->rc < 0)
        snprintf(d->err, sizeof d->err, "%s", wl_error(s));
    d->st = *wl_stats(s);
    wl_close(s);
}

#endif /* WL_TEST_H */
