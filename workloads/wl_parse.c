// SPDX-License-Identifier: GPL-3.0-or-later
/* Parsing helpers shared by the readers: field splitting, a fast decimal
 * parser (the common case without strtod, for throughput), typed fields
 * that report "file:line: field: what", and problem reports. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_internal.h"

/* ---- splitting ---------------------------------------------------------- */

static char *trim(char *f)
{
    while (*f == ' ' || *f == '\t')
        f++;
    char *e = f + strlen(f);
    while (e > f && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return f;
}

/* One pass over the bytes: fields are short, so a call to strchr per
 * field costs more than it saves. */
unsigned wl__split(char *line, char sep, char **f, unsigned max)
{
    unsigned n = 0;
    char *start = line;
    for (char *p = line;; p++) {
        if (*p != sep && *p)
            continue;
        if (n == max)
            return max + 1;
        bool last = !*p;
        *p = '\0';
        f[n++] = sep == ',' ? start : trim(start);
        if (last)
            return n;
        start = p + 1;
    }
}

unsigned wl__split_ws(char *line, char **f, unsigned max)
{
    unsigned n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return n;
        if (n == max)
            return max + 1;
        f[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
}

/* ---- numbers ------------------------------------------------------------ */

static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static double scale10(double m, int e)
{
    if (e >= 0 && e <= 22)
        return m * p10[e];
    if (e < 0 && e >= -22)
        return m / p10[-e];
    return m * pow(10.0, e);
}

/* Digits into *m (up to 19 significant ones); returns the digit count and
 * adds to *e the powers of ten dropped (@frac: digits after the point). */
static int digits(const char **pp, uint64_t *m, int *e, bool frac)
{
    const char *p = *pp;
    int n = 0;
    for (; *p >= '0' && *p <= '9'; p++, n++) {
        if (*m < 1000000000000000000ull) {
            *m = *m * 10 + (uint64_t)(*p - '0');
            if (frac)
                (*e)--;
        } else if (!frac) {
            (*e)++;
        }
    }
    *pp = p;
    return n;
}

static int exponent(const char **pp, int *e)
{
    const char *p = *pp + 1;
    int sign = 1, x = 0, n = 0;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    for (; *p >= '0' && *p <= '9'; p++, n++)
        if (x < 100000)
            x = x * 10 + (*p - '0');
    if (!n)
        return -1;
    *e += sign * x;
    *pp = p;
    return 0;
}

int wl__num(const char *s, double *out)
{
    const char *p = s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return -1;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    uint64_t m = 0;
    int e = 0, n = digits(&p, &m, &e, false);
    if (*p == '.') {
        p++;
        n += digits(&p, &m, &e, true);
    }
    if (!n || ((*p == 'e' || *p == 'E') && exponent(&p, &e)))
        return -2;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p)
        return -2;
    double v = m ? scale10((double)m, e) : 0.0;
    if (!isfinite(v) || v > 1e300)
        return -3;
    *out = neg ? -v : v;
    return 0;
}

/* ---- problems ----------------------------------------------------------- */

static int report(wl_source_t *s, const char *msg, bool always_fatal)
{
    s->st.errors++;
    if (!s->st.first_error[0])
        snprintf(s->st.first_error, sizeof s->st.first_error, "%s", msg);
    if (s->o.report)
        s->o.report(s->o.report_arg, msg);
    if (!always_fatal && !s->o.fatal)
        return 1;
    snprintf(s->err, sizeof s->err, "%s", msg);
    s->state = -1;
    return -1;
}

static int vbad(wl_source_t *s, uint64_t line, const char *field,
                const char *fmt, va_list ap)
{
    char what[256], msg[512];
    vsnprintf(what, sizeof what, fmt, ap);
    const char *file = s->file ? s->file : s->path;
    if (line)
        snprintf(msg, sizeof msg, "%s:%llu: %s: %s", file,
                 (unsigned long long)line, field, what);
    else
        snprintf(msg, sizeof msg, "%s: %s: %s", file, field, what);
    return report(s, msg, false);
}

int wl__bad_at(wl_source_t *s, uint64_t line, const char *field,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vbad(s, line, field, fmt, ap);
    va_end(ap);
    return rc;
}

int wl__bad(wl_source_t *s, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vbad(s, s->in.lineno, field, fmt, ap);
    va_end(ap);
    return rc;
}

int wl__fail(wl_source_t *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return report(s, msg, true);
}

/* ---- typed fields ------------------------------------------------------- */

static int num_bad(wl_source_t *s, const char *f, const char *field, int rc)
{
    if (rc == -1)
        return wl__bad(s, field, "empty");
    if (rc == -3)
        return wl__bad(s, field, "'%.40s' is out of range", f);
    return wl__bad(s, field, "'%.40s' is not a number", f);
}

int wl__f_num(wl_source_t *s, const char *f, const char *field, double *v)
{
    int rc = wl__num(f, v);
    return rc ? num_bad(s, f, field, rc) : 0;
}

int wl__f_min(wl_source_t *s, const char *f, const char *field, double min,
              double *v)
{
    int rc = wl__f_num(s, f, field, v);
    if (rc || *v >= min)
        return rc;
    if (min == 0)
        return wl__bad(s, field, "negative (%s)", f);
    return wl__bad(s, field, "%s is less than %g", f, min);
}

int wl__f_int(wl_source_t *s, const char *f, const char *field, double min,
              double max, double *v)
{
    int rc = wl__f_min(s, f, field, min, v);
    if (rc)
        return rc;
    if (*v > max)
        return wl__bad(s, field, "%s is out of range (at most %.0f)", f, max);
    if (*v != floor(*v))
        return wl__bad(s, field, "'%s' is not a whole number", f);
    return 0;
}

int wl__to_ns(wl_source_t *s, double v, const char *field, double unit_ns,
              uint64_t *ns)
{
    if (v < 0)
        return wl__bad(s, field, "negative (%.17g)", v);
    double x = v * unit_ns;
    if (!(x < 9.2e18))
        return wl__bad(s, field, "%.17g is out of range (past 2^63 ns)", v);
    *ns = (uint64_t)llround(x);
    return 0;
}

int wl__f_time(wl_source_t *s, const char *f, const char *field, double unit_ns,
               uint64_t *ns)
{
    double v;
    int rc = wl__f_num(s, f, field, &v);
    return rc ? rc : wl__to_ns(s, v, field, unit_ns, ns);
}

int wl__f_count(wl_source_t *s, unsigned n, unsigned want)
{
    if (n == want)
        return 0;
    if (n > want)
        return wl__bad(s, "columns", "more than %u", want);
    return wl__bad(s, "columns", "%u, expected %u", n, want);
}

int wl__f_mono(wl_source_t *s, uint64_t *last, uint64_t t, const char *field)
{
    if (t < *last)
        return wl__bad(s, field,
                       "goes back in time (%.9g s after %.9g s; the file "
                       "must be in time order)",
                       t / WL_NS_PER_S, *last / WL_NS_PER_S);
    *last = t;
    return 0;
}

void wl__saw(wl_source_t *s, uint64_t t)
{
    s->st.records++;
    if (!s->st.has_time) {
        s->st.has_time = true;
        s->st.first_ns = s->st.last_ns = t;
        return;
    }
    if (t < s->st.first_ns)
        s->st.first_ns = t;
    if (t > s->st.last_ns)
        s->st.last_ns = t;
}

/* ---- input of the current file ------------------------------------------ */

int wl__open_file(wl_source_t *s, const char *path)
{
    if (s->in_open)
        wl__lines_close(&s->in);
    s->in_open = false;
    s->file = path;
    int rc = wl__lines_open(&s->in, path);
    if (rc)
        return wl__fail(s, "%s: cannot open: %s", path, strerror(-rc));
    s->in_open = true;
    s->st.files++;
    return 0;
}

int wl__line(wl_source_t *s, char **line, size_t *len)
{
    for (;;) {
        const char *what = NULL;
        uint64_t before = s->in.bytes;
        int rc = wl__lines_next(&s->in, line, len, &what);
        s->st.bytes += s->in.bytes - before;
        if (rc == 1) {
            s->st.lines++;
            return 1;
        }
        if (rc == 0)
            return 0;
        if (rc == -1) {
            /* The rest of the file is lost: report, then end this file. */
            s->in.eof = true;
            s->in.pos = s->in.len;
            int r = wl__bad_at(s, s->in.lineno + 1, "input", "%s", what);
            return r < 0 ? -1 : 0;
        }
        s->st.lines++;
        if (wl__bad(s, "line", "longer than %u bytes", WL_MAX_LINE) < 0)
            return -1;
    }
}
