// SPDX-License-Identifier: GPL-3.0-or-later
/* Cross-run report: means and 95% confidence intervals of each VM's
 * slowdown per policy over seeds, and the figure that compares them. */
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "cli.h"
#include "report.h"

#define MAX_POL 32
/* Past this many VMs the figure (one bar group per VM) is unreadable and
 * slow to draw: only the tables are written. */
#define MAX_PLOT_VMS 1000

struct sample {
    unsigned pol, vm;
    double slowdown;
};

struct report {
    const struct sim_scenario *scn;
    char *dir;
    char *pols[MAX_POL];
    unsigned npol;
    char **vms; /* "name#replica" */
    unsigned nvm;
    unsigned *slot; /* hash of vms: index + 1, 0 = free; nslot a power of 2 */
    unsigned nslot;
    struct sample *s;
    size_t ns, cap;
    size_t *order; /* samples by (vm, pol), each group in run order */
    char *runs;    /* runs.csv body */
    size_t runs_len;
    FILE *runs_f;
};

struct report *report_create(const struct sim_scenario *s, const char *dir)
{
    struct report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->scn = s;
    r->dir = strdup(dir);
    r->runs_f = open_memstream(&r->runs, &r->runs_len);
    fprintf(r->runs_f, "policy,seed,events,simulated_ns,wall_s\n");
    return r;
}

static unsigned hash(const char *k)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 16777619u;
    return h;
}

/* Make the VM hash at least twice as large as the VM table will be. */
static int rehash(struct report *r, unsigned want)
{
    if (2 * want <= r->nslot)
        return 0;
    unsigned n = r->nslot ? r->nslot : 64;
    while (n < 2 * want)
        n *= 2;
    unsigned *t = calloc(n, sizeof *t);
    if (!t)
        return -ENOMEM;
    for (unsigned i = 0; i < r->nvm; i++) {
        unsigned j = hash(r->vms[i]) & (n - 1);
        while (t[j])
            j = (j + 1) & (n - 1);
        t[j] = i + 1;
    }
    free(r->slot);
    r->slot = t;
    r->nslot = n;
    return 0;
}

/* Index of VM @key, added if new (a hash: thousands of VMs per run). */
static unsigned intern_vm(struct report *r, const char *key)
{
    unsigned j = hash(key) & (r->nslot - 1);
    for (; r->slot[j]; j = (j + 1) & (r->nslot - 1))
        if (!strcmp(r->vms[r->slot[j] - 1], key))
            return r->slot[j] - 1;
    r->vms[r->nvm] = strdup(key);
    r->slot[j] = ++r->nvm;
    return r->nvm - 1;
}

/* Index of @key in @tab, added if absent. */
static unsigned intern(char **tab, unsigned *n, const char *key)
{
    for (unsigned i = 0; i < *n; i++)
        if (!strcmp(tab[i], key))
            return i;
    tab[*n] = strdup(key);
    return (*n)++;
}

void report_add(struct report *r, struct sim_model *m, const char *policy,
                uint64_t seed, double wall_s)
{
    if (!r)
        return;
    fprintf(r->runs_f, "%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.3f\n", policy,
            seed, sim_model_events(m), sim_model_now(m), wall_s);
    if (r->npol == MAX_POL)
        return;
    unsigned p = intern(r->pols, &r->npol, policy);
    unsigned n = sim_model_nvms(m);
    char **vms = realloc(r->vms, (r->nvm + n) * sizeof *r->vms);
    if (!vms || rehash(r, r->nvm + n)) {
        r->vms = vms ? vms : r->vms;
        return;
    }
    r->vms = vms;
    for (unsigned i = 0; i < n; i++) {
        struct sim_vm_result vr;
        sim_model_vm_result(m, i, &vr);
        char key[256];
        snprintf(key, sizeof key, "%s#%u", vr.name, vr.replica);
        if (r->ns == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 64;
            r->s = realloc(r->s, r->cap * sizeof *r->s);
        }
        r->s[r->ns++] = (struct sample){p, intern_vm(r, key), vr.slowdown};
    }
}

static int by_vm_pol(const void *a, const void *b, void *arg)
{
    const struct sample *s = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (s[i].vm != s[j].vm)
        return s[i].vm < s[j].vm ? -1 : 1;
    if (s[i].pol != s[j].pol)
        return s[i].pol < s[j].pol ? -1 : 1;
    return i < j ? -1 : i > j; /* run order within a group */
}

/* Mean and half-width of the 95% CI of @pol's slowdowns for @vm; *@next:
 * where in r->order that group starts (the groups are read in order). */
static unsigned stats(const struct report *r, unsigned pol, unsigned vm,
                      size_t *next, double *mean, double *half)
{
    double x[10000];
    unsigned n = 0;
    size_t k = *next;
    for (; k < r->ns && r->s[r->order[k]].vm == vm &&
           r->s[r->order[k]].pol == pol;
         k++) {
        const struct sample *s = &r->s[r->order[k]];
        if (s->slowdown > 0 && n < 10000)
            x[n++] = s->slowdown;
    }
    *next = k;
    *mean = n ? gsl_stats_mean(x, 1, n) : 0;
    *half = n > 1 ? gsl_cdf_tdist_Pinv(0.975, n - 1) * gsl_stats_sd(x, 1, n) /
                        sqrt((double)n)
                  : 0;
    return n;
}

static char *slowdown_table(struct report *r, size_t *len)
{
    r->order = malloc((r->ns ? r->ns : 1) * sizeof *r->order);
    if (!r->order)
        return NULL;
    for (size_t i = 0; i < r->ns; i++)
        r->order[i] = i;
    qsort_r(r->order, r->ns, sizeof *r->order, by_vm_pol, r->s);
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    fprintf(f, "vm");
    for (unsigned p = 0; p < r->npol; p++)
        fprintf(f, ",%s_mean,%s_ci95,%s_n", r->pols[p], r->pols[p], r->pols[p]);
    fprintf(f, "\n");
    size_t next = 0;
    for (unsigned v = 0; v < r->nvm; v++) {
        fprintf(f, "%s", r->vms[v]);
        for (unsigned p = 0; p < r->npol; p++) {
            double mean, half;
            unsigned n = stats(r, p, v, &next, &mean, &half);
            fprintf(f, ",%.6f,%.6f,%u", mean, half, n);
        }
        fprintf(f, "\n");
    }
    fclose(f);
    return buf;
}

static char *gnuplot_script(const struct report *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    fprintf(f,
            "# Per-VM slowdown by policy (mean over seeds, 95%% CI).\n"
            "# Rebuild: gnuplot slowdown.gp (in this folder)\n"
            "set terminal pngcairo size 1000,560 noenhanced font ',11'\n"
            "set output 'slowdown.png'\n"
            "set datafile separator ','\nset datafile columnheaders\n"
            "set title \"%s: slowdown per VM (elapsed x vCPUs / demand "
            "done; 1 = dedicated cores)\"\n"
            "set ylabel 'slowdown'\nset yrange [0:*]\nset grid ytics\n"
            "set style data histogram\n"
            "set style histogram errorbars gap 2 lw 1\n"
            "set style fill solid 0.7 border -1\n"
            "set key top left\nset xtics rotate by -20\n"
            "plot ",
            r->scn->name);
    for (unsigned p = 0; p < r->npol; p++)
        fprintf(f, "%s'slowdown.csv' using %u:%u:xtic(1) title '%s'",
                p ? ", \\\n     " : "", 2 + 3 * p, 3 + 3 * p, r->pols[p]);
    fprintf(f, "\n");
    fclose(f);
    return buf;
}

static int plot(const char *dir, bool quiet)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && gnuplot slowdown.gp 2>gnuplot.log && "
             "rm -f gnuplot.log",
             dir);
    int rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr,
                "vcpusim: gnuplot failed (see %s/gnuplot.log); the "
                "tables are written\n",
                dir);
        return SIM_EXIT_FAIL;
    }
    if (!quiet)
        fprintf(stderr, "vcpusim: figure %s/slowdown.png\n", dir);
    return SIM_EXIT_OK;
}

static void report_free(struct report *r)
{
    for (unsigned i = 0; i < r->npol; i++)
        free(r->pols[i]);
    for (unsigned i = 0; i < r->nvm; i++)
        free(r->vms[i]);
    free(r->vms);
    free(r->slot);
    free(r->s);
    free(r->order);
    free(r->runs);
    free(r->dir);
    free(r);
}

int report_finish(struct report *r, bool partial, bool quiet)
{
    if (!r)
        return SIM_EXIT_FAIL;
    fclose(r->runs_f);
    size_t len;
    char *tab = slowdown_table(r, &len);
    int rc = tab ? sim_write_atomic(r->dir, "slowdown.csv", tab, len) : -ENOMEM;
    free(tab);
    if (!rc)
        rc = sim_write_atomic(r->dir, "runs.csv", r->runs, r->runs_len);
    char *gp = gnuplot_script(r, &len);
    if (!rc)
        rc = sim_write_atomic(r->dir, "slowdown.gp", gp, len);
    free(gp);
    if (!rc && partial)
        rc = sim_write_atomic(r->dir, "PARTIAL",
                              "this run was interrupted or failed: the "
                              "results cover part of it\n",
                              67);
    int code = rc ? SIM_EXIT_CANTCREAT : SIM_EXIT_OK;
    if (rc)
        fprintf(stderr, "vcpusim: cannot write in %s: %s\n", r->dir,
                strerror(-rc));
    else if (r->nvm > MAX_PLOT_VMS && !quiet)
        fprintf(stderr, "vcpusim: %u VMs: no figure (tables only)\n", r->nvm);
    else if (r->nvm && r->npol && r->nvm <= MAX_PLOT_VMS)
        code = plot(r->dir, quiet);
    report_free(r);
    return code;
}
