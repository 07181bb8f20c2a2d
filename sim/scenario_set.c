// SPDX-License-Identifier: GPL-3.0-or-later
/* --set KEY=VALUE for the scenario reader: walk a dotted path ("vms.0.vcpus",
 * or "vms[0].vcpus") in the document, parse VALUE as YAML and put it there
 * (replacing a value, adding a key to a mapping, or appending to a list),
 * and remember the new nodes so errors in them name the --set argument. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_internal.h"

/* The newest error libfyaml collected, or NULL. */
static struct fy_diag_error *last_diag_error(struct fy_diag *diag)
{
    struct fy_diag_error *e, *last = NULL;
    void *it = NULL;

    while ((e = fy_diag_errors_iterate(diag, &it)))
        if (e->type >= FYET_ERROR)
            last = e;
    return last;
}

static int set_fail(struct sim_scn *c, const char *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int set_fail(struct sim_scn *c, const char *arg, const char *fmt, ...)
{
    char what[400];
    va_list ap;

    if (c->failed)
        return -1;
    c->failed = true;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: --set '%s': %s", c->file, arg, what);
    return -1;
}

/* Remember @n and everything under it as made by @arg, for messages. */
static int set_register(struct sim_scn *c, struct fy_node *n, const char *arg)
{
    if (c->nsets == c->capsets) {
        unsigned cap = c->capsets ? 2 * c->capsets : 16;
        struct sim_scn_set *p = realloc(c->sets, cap * sizeof *p);
        if (!p)
            return set_fail(c, arg, "out of memory");
        c->sets = p;
        c->capsets = cap;
    }
    c->sets[c->nsets++] = (struct sim_scn_set){n, arg};

    void *it = NULL;
    if (fy_node_get_type(n) == FYNT_SEQUENCE) {
        struct fy_node *e;
        while ((e = fy_node_sequence_iterate(n, &it)))
            if (set_register(c, e, arg))
                return -1;
    } else if (fy_node_get_type(n) == FYNT_MAPPING) {
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(n, &it)))
            if (set_register(c, fy_node_pair_key(p), arg) ||
                (fy_node_pair_value(p) &&
                 set_register(c, fy_node_pair_value(p), arg)))
                return -1;
    }
    return 0;
}

static bool is_index(const char *s, int *out)
{
    long v = 0;

    if (!*s || strlen(s) > 9)
        return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = (int)v;
    return true;
}

static struct fy_node *set_value(struct sim_scn *c, const char *arg,
                                 const char *value)
{
    struct fy_node *v;

    if (!*value)
        v = fy_node_create_scalar_copy(c->fyd, "", 0);
    else
        v = fy_node_build_from_string(c->fyd, value, FY_NT);
    if (!v) {
        struct fy_diag_error *e = last_diag_error(c->diag);
        set_fail(c, arg, "the value is not valid YAML%s%s",
                 e && e->msg ? ": " : "", e && e->msg ? e->msg : "");
    }
    return v;
}

/* Put @v at @key of @parent (a mapping: replace or add; a list: replace
 * item @key, or append when @key is its length). */
static int set_put(struct sim_scn *c, const char *arg, struct fy_node *parent,
                   const char *where, const char *key, struct fy_node *v)
{
    int i, rc = -1;

    if (fy_node_get_type(parent) == FYNT_MAPPING) {
        struct fy_node_pair *p =
            fy_node_mapping_lookup_pair_by_string(parent, key, FY_NT);
        if (p)
            return fy_node_pair_set_value(p, v);
        struct fy_node *k =
            fy_node_create_scalar_copy(c->fyd, key, strlen(key));
        if (!k || set_register(c, k, arg))
            return -1;
        return fy_node_mapping_append(parent, k, v);
    }
    if (fy_node_get_type(parent) != FYNT_SEQUENCE)
        return set_fail(c, arg, "%s is a single value, it has no '%s'", where,
                        key);
    int n = fy_node_sequence_item_count(parent);
    if (!is_index(key, &i) || i > n)
        return set_fail(c, arg, "%s is a list of %d: '%s' is not 0..%d", where,
                        n, key, n);
    if (i == n)
        return fy_node_sequence_append(parent, v);
    struct fy_node *old = fy_node_sequence_get_by_index(parent, i);
    if (!fy_node_sequence_insert_after(parent, old, v)) {
        fy_node_free(fy_node_sequence_remove(parent, old));
        rc = 0;
    }
    return rc;
}

/* Walk @path ("vms.0.vcpus"; "vms[0].vcpus" is the same) to the parent. */
static struct fy_node *set_walk(struct sim_scn *c, const char *arg,
                                struct fy_node *n, char *path, char **leaf,
                                char *where)
{
    char *comp = path, *dot;
    int i;

    where[0] = '\0';
    while ((dot = strchr(comp, '.'))) {
        *dot = '\0';
        struct fy_node *next = NULL;
        if (fy_node_get_type(n) == FYNT_MAPPING)
            next = fy_node_mapping_lookup_by_string(n, comp, FY_NT);
        else if (fy_node_get_type(n) == FYNT_SEQUENCE && is_index(comp, &i))
            next = fy_node_sequence_get_by_index(n, i);
        size_t len = strlen(where);
        snprintf(where + len, SIM_SCN_PATH - len, "%s%s", len ? "." : "", comp);
        if (!next) {
            set_fail(c, arg, "%s does not exist", where);
            return NULL;
        }
        n = next;
        comp = dot + 1;
    }
    *leaf = comp;
    if (!where[0])
        snprintf(where, SIM_SCN_PATH, "the scenario");
    return n;
}

/* "a[1][2].b" -> "a.1.2.b"; false on an empty component or bad brackets. */
static bool set_key(const char *arg, size_t len, char *out)
{
    size_t o = 0;

    if (!len || len >= SIM_SCN_PATH)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = arg[i];
        if (ch == '[')
            ch = '.';
        else if (ch == ']' &&
                 (i + 1 == len || arg[i + 1] == '.' || arg[i + 1] == '['))
            continue;
        else if (ch == ']')
            return false;
        out[o++] = ch;
    }
    out[o] = '\0';
    if (out[0] == '.' || out[o - 1] == '.' || strstr(out, ".."))
        return false;
    return true;
}

int sim_scn_apply_set(struct sim_scn *c, struct fy_node *root, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char key[SIM_SCN_PATH], where[SIM_SCN_PATH], *leaf;

    if (!eq || !set_key(arg, (size_t)(eq - arg), key))
        return set_fail(c, arg,
                        "expected KEY=VALUE, as in seed=7 or "
                        "vms.0.vcpus=8");
    struct fy_node *parent = set_walk(c, arg, root, key, &leaf, where);
    if (!parent)
        return -1;
    struct fy_node *v = set_value(c, arg, eq + 1);
    if (!v)
        return -1;
    if (set_put(c, arg, parent, where, leaf, v)) {
        fy_node_free(v); /* not in the document, so not freed with it */
        if (!c->failed)
            set_fail(c, arg, "cannot change the document");
        return -1;
    }
    return set_register(c, v, arg);
}
