// SPDX-License-Identifier: GPL-3.0-or-later
/* The scenario reader's YAML layer: errors placed at a node's file:line:col
 * (or at the --set argument that made the node), field paths, shape checks
 * with "did you mean" for unknown keys, and typed scalar readers including
 * durations ("1.5s"), which are parsed exactly, without floating point. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_internal.h"

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static const char *set_arg_of(const struct sim_scn *c, struct fy_node *n)
{
    for (unsigned i = 0; i < c->nsets; i++)
        if (c->sets[i].node == n)
            return c->sets[i].arg;
    return NULL;
}

/* First scalar at or under @n (a mapping's first key, a list's first
 * item), or NULL; *arg is set if the way there passes a --set node. */
static struct fy_node *first_scalar(const struct sim_scn *c, struct fy_node *n,
                                    const char **arg)
{
    while (n && !(*arg = c ? set_arg_of(c, n) : NULL) &&
           fy_node_get_type(n) != FYNT_SCALAR) {
        void *it = NULL;
        if (fy_node_get_type(n) == FYNT_SEQUENCE) {
            n = fy_node_sequence_iterate(n, &it);
        } else {
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            n = p ? fy_node_pair_key(p) : NULL;
        }
    }
    return *arg ? NULL : n;
}

static bool scalar_pos(struct fy_node *n, int *line, int *col)
{
    struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;

    if (!m || m->line < 0)
        return false;
    *line = m->line + 1;
    *col = m->column + 1;
    return true;
}

static struct fy_node *key_of(struct fy_node *map, struct fy_node *value)
{
    struct fy_node_pair *p;
    void *it = NULL;

    while ((p = fy_node_mapping_iterate(map, &it)))
        if (fy_node_pair_value(p) == value)
            return fy_node_pair_key(p);
    return NULL;
}

/*
 * Where @n starts, from scalar tokens only. libfyaml 0.7 exports no
 * fy_node_get_start_mark(), and fy_diag_node_report() on a collection
 * crashes once --set has put nodes parsed from another string into it. So
 * a collection is placed at its first scalar (for a block mapping that is
 * where libfyaml places it too; one column right of a flow bracket), and
 * an empty one or an empty value at the key naming it. A --set node on
 * the way yields *arg instead.
 */
static bool node_pos(const struct sim_scn *c, struct fy_node *n, int *line,
                     int *col, const char **arg)
{
    for (unsigned depth = 0; n && depth < 64; depth++) {
        struct fy_node *s = first_scalar(c, n, arg);
        if (*arg)
            return false;
        if (s && scalar_pos(s, line, col))
            return true; /* an empty value ("key:") has no token */
        struct fy_node *parent = fy_node_get_parent(n);
        if (parent && fy_node_get_type(parent) == FYNT_MAPPING) {
            struct fy_node *key = key_of(parent, n);
            if (key && (*arg = set_arg_of(c, key)))
                return false;
            if (key)
                return scalar_pos(key, line, col);
        }
        n = parent;
    }
    return false;
}

int sim_scn_fail(struct sim_scn *c, struct fy_node *at, const char *path,
                 const char *fmt, ...)
{
    if (c->failed)
        return -1;
    c->failed = true;
    if (!c->err || !c->errlen)
        return -1;

    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);

    const char *sep = path && *path ? ": " : "";
    const char *arg = NULL;
    int line = 1, col = 1;
    if (at)
        node_pos(c, at, &line, &col, &arg);
    if (arg)
        snprintf(c->err, c->errlen, "%s: --set '%s': %s%s%s", c->file, arg,
                 path ? path : "", sep, what);
    else
        snprintf(c->err, c->errlen, "%s:%d:%d: %s%s%s", c->file, line, col,
                 path ? path : "", sep, what);
    return -1;
}

/* 1-based line where @n starts, 0 if unknown. */
unsigned sim_scn_line(struct fy_node *n)
{
    const char *arg = NULL;
    int line = 0, col;

    if (!scalar_pos(first_scalar(NULL, n, &arg), &line, &col))
        return 0;
    return (unsigned)line;
}

/* ------------------------------------------------------------------ */
/* Paths                                                               */
/* ------------------------------------------------------------------ */

const char *sim_scn_path(char *out, const char *parent, const char *key)
{
    if (!parent || !*parent)
        snprintf(out, SIM_SCN_PATH, "%s", key);
    else
        snprintf(out, SIM_SCN_PATH, "%s.%s", parent, key);
    return out;
}

const char *sim_scn_index(char *out, const char *parent, unsigned i)
{
    snprintf(out, SIM_SCN_PATH, "%s[%u]", parent, i);
    return out;
}

/* ------------------------------------------------------------------ */
/* Shapes                                                              */
/* ------------------------------------------------------------------ */

static const char *kind_name(struct fy_node *n)
{
    switch (fy_node_get_type(n)) {
    case FYNT_MAPPING:
        return "a mapping";
    case FYNT_SEQUENCE:
        return "a list";
    default:
        return "a scalar";
    }
}

/* Optimal string alignment distance (a swap counts once); 99 if long. */
static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned d[33][33];

    if (la > 32 || lb > 32)
        return 99;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            unsigned cost = a[i - 1] != b[j - 1];
            unsigned v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *sim_scn_closest(const char *s, const char *const *names)
{
    const char *best = NULL;
    unsigned bestd = 3;

    for (; *names; names++) {
        unsigned d = edit_distance(s, *names);
        if (d < bestd && d < strlen(*names)) {
            bestd = d;
            best = *names;
        }
    }
    return best;
}

static int unknown_key(struct sim_scn *c, struct fy_node *key, const char *path,
                       const char *name, const char *const *keys)
{
    char p[SIM_SCN_PATH], list[256] = "";
    const char *near = sim_scn_closest(name, keys);

    sim_scn_path(p, path, name);
    if (near)
        return sim_scn_fail(c, key, p, "unknown key (did you mean '%s'?)",
                            near);
    for (const char *const *k = keys; *k; k++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", *k);
    }
    return sim_scn_fail(c, key, p, "unknown key (expected one of: %s)", list);
}

static bool in_list(const char *s, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(s, *names) == 0)
            return true;
    return false;
}

int sim_scn_map(struct sim_scn *c, struct fy_node *n, const char *path,
                const char *const *keys)
{
    struct fy_node_pair *pair;
    void *it = NULL;

    if (fy_node_get_type(n) != FYNT_MAPPING)
        return sim_scn_fail(c, n, path, "expected a mapping, got %s",
                            kind_name(n));
    while ((pair = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *key = fy_node_pair_key(pair);
        const char *name;
        if (!key || fy_node_get_type(key) != FYNT_SCALAR)
            return sim_scn_fail(c, key ? key : n, path,
                                "keys must be plain names");
        name = fy_node_get_scalar0(key);
        if (!name)
            return sim_scn_fail(c, key, path, "out of memory");
        if (keys && !in_list(name, keys))
            return unknown_key(c, key, path, name, keys);
    }
    return 0;
}

int sim_scn_seq(struct sim_scn *c, struct fy_node *n, const char *path,
                unsigned *count)
{
    if (fy_node_get_type(n) != FYNT_SEQUENCE)
        return sim_scn_fail(c, n, path, "expected a list, got %s",
                            kind_name(n));
    int k = fy_node_sequence_item_count(n);
    *count = k > 0 ? (unsigned)k : 0;
    return 0;
}

struct fy_node *sim_scn_get(struct fy_node *map, const char *key)
{
    return fy_node_mapping_lookup_by_string(map, key, FY_NT);
}

int sim_scn_need(struct sim_scn *c, struct fy_node *map, const char *path,
                 const char *key, struct fy_node **out)
{
    char p[SIM_SCN_PATH];

    *out = sim_scn_get(map, key);
    if (*out)
        return 0;
    return sim_scn_fail(c, map, sim_scn_path(p, path, key),
                        "missing (required)");
}

const char *sim_scn_scalar(struct sim_scn *c, struct fy_node *n,
                           const char *path)
{
    if (fy_node_get_type(n) != FYNT_SCALAR) {
        sim_scn_fail(c, n, path, "expected a single value, got %s",
                     kind_name(n));
        return NULL;
    }
    const char *s = fy_node_get_scalar0(n);
    if (!s)
        sim_scn_fail(c, n, path, "out of memory");
    else if (!*s)
        sim_scn_fail(c, n, path, "has no value");
    return s && *s ? s : NULL;
}

/* "", "~", "null" or {}: what "barrier:" and "barrier: {}" give. */
bool sim_scn_is_empty(struct fy_node *n)
{
    if (!n)
        return true;
    if (fy_node_get_type(n) == FYNT_MAPPING)
        return fy_node_mapping_item_count(n) == 0;
    if (fy_node_get_type(n) != FYNT_SCALAR)
        return false;
    const char *s = fy_node_get_scalar0(n);
    return s && (!*s || !strcmp(s, "~") || !strcmp(s, "null"));
}

/* ------------------------------------------------------------------ */
/* Typed values                                                        */
/* ------------------------------------------------------------------ */

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

int sim_scn_uint(struct sim_scn *c, struct fy_node *n, const char *path,
                 uint64_t min, uint64_t max, uint64_t *out)
{
    if (!n)
        return 0;
    const char *s = sim_scn_scalar(c, n, path);
    if (!s)
        return -1;
    if (s[0] == '-' && all_digits(s + 1))
        return sim_scn_fail(c, n, path, "must not be negative");
    if (!all_digits(s))
        return sim_scn_fail(c, n, path, "expected a whole number, got '%s'", s);
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE || v > max)
        return sim_scn_fail(c, n, path, "must be at most %" PRIu64, max);
    if (v < min)
        return sim_scn_fail(c, n, path, "must be at least %" PRIu64, min);
    *out = v;
    return 0;
}

int sim_scn_int(struct sim_scn *c, struct fy_node *n, const char *path,
                long long min, long long max, long long *out)
{
    if (!n)
        return 0;
    const char *s = sim_scn_scalar(c, n, path);
    if (!s)
        return -1;
    if (!all_digits(s[0] == '-' || s[0] == '+' ? s + 1 : s))
        return sim_scn_fail(c, n, path, "expected a whole number, got '%s'", s);
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE || v < min || v > max)
        return sim_scn_fail(c, n, path, "must be between %lld and %lld", min,
                            max);
    *out = v;
    return 0;
}

int sim_scn_double(struct sim_scn *c, struct fy_node *n, const char *path,
                   double *out)
{
    if (!n)
        return 0;
    const char *s = sim_scn_scalar(c, n, path);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return sim_scn_fail(c, n, path, "expected a number, got '%s'", s);
    *out = v;
    return 0;
}

int sim_scn_bool(struct sim_scn *c, struct fy_node *n, const char *path,
                 bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", NULL};
    static const char *const no[] = {"false", "False", "FALSE", NULL};

    if (!n)
        return 0;
    const char *s = sim_scn_scalar(c, n, path);
    if (!s)
        return -1;
    if (in_list(s, yes))
        *out = true;
    else if (in_list(s, no))
        *out = false;
    else
        return sim_scn_fail(c, n, path, "expected true or false, got '%s'", s);
    return 0;
}

int sim_scn_str(struct sim_scn *c, struct fy_node *n, const char *path,
                char **out)
{
    if (!n)
        return 0;
    const char *s = sim_scn_scalar(c, n, path);
    if (!s)
        return -1;
    char *dup = strdup(s);
    if (!dup)
        return sim_scn_fail(c, n, path, "out of memory");
    free(*out);
    *out = dup;
    return 0;
}

/* Names end up in file names and CSV columns: keep them plain. */
int sim_scn_name(struct sim_scn *c, struct fy_node *n, const char *path,
                 char **out)
{
    if (!n)
        return 0;
    const char *s = sim_scn_scalar(c, n, path);
    if (!s)
        return -1;
    size_t len = strlen(s);
    bool ok = len > 0 && len <= 64 && s[0] != '.';
    for (size_t i = 0; ok && i < len; i++)
        ok = isalnum((unsigned char)s[i]) || strchr("_-.", s[i]);
    if (!ok)
        return sim_scn_fail(c, n, path,
                            "'%s' is not a name (1-64 of A-Z a-z 0-9 _ - ., "
                            "not starting with '.')",
                            s);
    return sim_scn_str(c, n, path, out);
}

/* ------------------------------------------------------------------ */
/* Durations                                                           */
/* ------------------------------------------------------------------ */

enum dur_err { DUR_OK = 0, DUR_BAD, DUR_NEG, DUR_RANGE, DUR_FRAC };

static const struct {
    const char *name;
    uint64_t ns;
} dur_units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\u00b5s", 1000},
    {"ms", 1000000},
    {"s", 1000000000},
    {"min", UINT64_C(60000000000)},
    {"h", UINT64_C(3600000000000)},
    {"d", UINT64_C(86400000000000)},
};

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int dur_unit(const char *s, uint64_t *mult)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (!len) {
        *mult = 1;
        return DUR_OK;
    }
    for (size_t i = 0; i < sizeof dur_units / sizeof dur_units[0]; i++) {
        if (strlen(dur_units[i].name) == len &&
            !memcmp(s, dur_units[i].name, len)) {
            *mult = dur_units[i].ns;
            return DUR_OK;
        }
    }
    return DUR_BAD;
}

/* ip + 0.frac (frac has k significant digits) times mult, exactly. */
static int dur_scale(uint64_t ip, uint64_t frac, unsigned k, uint64_t mult,
                     uint64_t *out)
{
    uint64_t pow10 = 1;

    if (ip && mult > UINT64_MAX / ip)
        return DUR_RANGE;
    for (unsigned i = 0; i < k; i++)
        pow10 *= 10;
    uint64_t g = gcd_u64(mult, pow10), den = pow10 / g, m = mult / g;
    if (frac % den)
        return DUR_FRAC;
    uint64_t q = frac / den;
    if (q && m > UINT64_MAX / q)
        return DUR_RANGE;
    if (ip * mult > UINT64_MAX - q * m)
        return DUR_RANGE;
    *out = ip * mult + q * m;
    return DUR_OK;
}

static int parse_duration(const char *s, uint64_t *out)
{
    uint64_t ip = 0, frac = 0;
    unsigned k = 0, nd = 0;
    char fd[24];

    while (isspace((unsigned char)*s))
        s++;
    if (*s == '-')
        return DUR_NEG;
    for (; isdigit((unsigned char)*s); s++, nd++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (ip > (UINT64_MAX - d) / 10)
            return DUR_RANGE;
        ip = ip * 10 + d;
    }
    if (*s == '.') {
        unsigned n = 0;
        for (s++; isdigit((unsigned char)*s); s++, n++) {
            if (n < sizeof fd)
                fd[n] = *s;
            else if (*s != '0')
                return DUR_FRAC; /* 25+ digits: no unit makes whole ns */
        }
        if (!n)
            return DUR_BAD;
        n = n < sizeof fd ? n : (unsigned)sizeof fd;
        while (n && fd[n - 1] == '0')
            n--;
        if (n > 18)
            return DUR_FRAC; /* whole ns need at most 13 digits */
        for (k = 0; k < n; k++)
            frac = frac * 10 + (uint64_t)(fd[k] - '0');
        nd++;
    }
    if (!nd)
        return DUR_BAD;
    uint64_t mult;
    if (dur_unit(s, &mult))
        return DUR_BAD;
    return dur_scale(ip, frac, k, mult, out);
}

int sim_parse_duration(const char *s, uint64_t *out_ns)
{
    uint64_t v;

    if (!s || !out_ns || parse_duration(s, &v) != DUR_OK)
        return -1;
    *out_ns = v;
    return 0;
}

int sim_scn_duration(struct sim_scn *c, struct fy_node *n, const char *path,
                     uint64_t *out)
{
    if (!n)
        return 0;
    const char *s = sim_scn_scalar(c, n, path);
    if (!s)
        return -1;
    switch (parse_duration(s, out)) {
    case DUR_OK:
        return 0;
    case DUR_NEG:
        return sim_scn_fail(c, n, path, "must not be negative");
    case DUR_RANGE:
        return sim_scn_fail(c, n, path, "'%s' is too long (at most ~584 years)",
                            s);
    case DUR_FRAC:
        return sim_scn_fail(c, n, path,
                            "'%s' is not a whole number of nanoseconds", s);
    default:
        return sim_scn_fail(c, n, path,
                            "'%s' is not a duration (a number of ns, or a "
                            "number and a unit: ns us ms s min h d, as in 2ms "
                            "or 1.5s)",
                            s);
    }
}
