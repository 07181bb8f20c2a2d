/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by the scenario reader's files (sim/scenario*.c): the parse
 * context, field paths, errors at a node's file:line:col, and typed readers
 * for YAML values. Not used outside the reader. */
#ifndef SIM_SCENARIO_INTERNAL_H
#define SIM_SCENARIO_INTERNAL_H

#include <libfyaml.h>

#include "scenario.h"

#define SIM_SCN_PATH 160 /* longest field path, "vms[3].workload..." */
#define SIM_SCN_MAX_COUNT 1000000u /* hosts or VMs made from one entry */
#define SIM_SCN_MAX_VCPUS 4096u
#define SIM_SCN_MAX_WEIGHT 10000u

/* A node put in the document by --set, and the argument that put it. */
struct sim_scn_set {
    struct fy_node *node;
    const char *arg;
};

/* One parse: everything it owns is freed by sim_scenario_parse's caller. */
struct sim_scn {
    const char *file;     /* name used in messages */
    const char *dir;      /* base of relative paths; NULL = current dir */
    struct fy_diag *diag; /* collects libfyaml's errors instead of printing */
    struct fy_document *fyd;
    struct sim_scenario *s;
    char *err;
    size_t errlen;
    bool failed;
    struct sim_scn_set *sets;
    unsigned nsets, capsets;
    unsigned *spec_npcpus; /* pCPUs of each hosts[] entry */
    unsigned nhosts;       /* hosts after expanding counts */
};

/* Errors: the first one wins; each returns -1 so callers can return it. */
int sim_scn_fail(struct sim_scn *c, struct fy_node *at, const char *path,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* 1-based line where @n starts (0 if unknown), for the specs' line. */
unsigned sim_scn_line(struct fy_node *n);

/* Paths: @out (SIM_SCN_PATH bytes) = "@parent.@key" or "@parent[@i]". */
const char *sim_scn_path(char *out, const char *parent, const char *key);
const char *sim_scn_index(char *out, const char *parent, unsigned i);

/* Shapes. sim_scn_keys fails on a key not in @keys (NULL-terminated). */
int sim_scn_map(struct sim_scn *c, struct fy_node *n, const char *path,
                const char *const *keys);
int sim_scn_seq(struct sim_scn *c, struct fy_node *n, const char *path,
                unsigned *count);
struct fy_node *sim_scn_get(struct fy_node *map, const char *key);
int sim_scn_need(struct sim_scn *c, struct fy_node *map, const char *path,
                 const char *key, struct fy_node **out);
const char *sim_scn_scalar(struct sim_scn *c, struct fy_node *n,
                           const char *path);
bool sim_scn_is_empty(struct fy_node *n);

/* The one of @names (NULL-terminated) @s is a likely typo of, or NULL. */
const char *sim_scn_closest(const char *s, const char *const *names);

/* Typed values; @n NULL leaves *out untouched and returns 0 (defaults). */
int sim_scn_uint(struct sim_scn *c, struct fy_node *n, const char *path,
                 uint64_t min, uint64_t max, uint64_t *out);
int sim_scn_int(struct sim_scn *c, struct fy_node *n, const char *path,
                long long min, long long max, long long *out);
int sim_scn_double(struct sim_scn *c, struct fy_node *n, const char *path,
                   double *out);
int sim_scn_bool(struct sim_scn *c, struct fy_node *n, const char *path,
                 bool *out);
int sim_scn_str(struct sim_scn *c, struct fy_node *n, const char *path,
                char **out);
int sim_scn_duration(struct sim_scn *c, struct fy_node *n, const char *path,
                     uint64_t *out);
int sim_scn_name(struct sim_scn *c, struct fy_node *n, const char *path,
                 char **out);

/* Apply one "KEY=VALUE" override to the document (scenario_set.c). */
int sim_scn_apply_set(struct sim_scn *c, struct fy_node *root, const char *arg);

/* Sections (scenario_spec.c). */
int sim_scn_dist(struct sim_scn *c, struct fy_node *n, const char *path,
                 struct sim_dist *out);
int sim_scn_hosts(struct sim_scn *c, struct fy_node *n);
int sim_scn_vms(struct sim_scn *c, struct fy_node *n);
int sim_scn_faults(struct sim_scn *c, struct fy_node *n);
int sim_scn_sources(struct sim_scn *c, struct fy_node *n); /* scenario_src.c */

/* The datacenter tier (scenario_dc.c). */
int sim_scn_datacenter(struct sim_scn *c, struct fy_node *n);
int sim_scn_host_dc(struct sim_scn *c, struct fy_node *n, const char *path,
                    struct sim_host_spec *h);
int sim_scn_vm_dc(struct sim_scn *c, struct fy_node *n, const char *path,
                  struct sim_vm_spec *v);
int sim_scn_power(struct sim_scn *c, struct fy_node *n, const char *path,
                  struct sim_power *out);
int sim_scn_dc_check(struct sim_scn *c, struct fy_node *root);
/* Nested scheduling (scenario_nested.c): guest_policy, guest_args,
 * guest_slice of a VM. */
int sim_scn_vm_guest(struct sim_scn *c, struct fy_node *n, const char *path,
                     struct sim_vm_spec *v);
/* A policy name (registry or .so path, checked) into *@out (scenario.c). */
int sim_scn_policy_name(struct sim_scn *c, struct fy_node *n, const char *path,
                        char **out);
/* A memory size ("512MB", "2GB", a bare number of MB) in MB. */
int sim_scn_size_mb(struct sim_scn *c, struct fy_node *n, const char *path,
                    uint64_t *out);

/* pCPUs of host @host (an index after expanding counts), or the fewest of
 * any host for -1. */
unsigned sim_scn_host_npcpus(const struct sim_scn *c, int host);

#endif /* SIM_SCENARIO_INTERNAL_H */
