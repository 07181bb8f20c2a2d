// SPDX-License-Identifier: GPL-3.0-or-later
/* Format detection: the first lines of a file (its header, the shape of its
 * first data line) decide; the file name breaks ties and names the format
 * of an empty file. A folder takes the format of its first file. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <vcpu/trace.h>

#include "wl_internal.h"

#define SNIFF_LINES 16

static const struct {
    const char *part;
    enum wl_format fmt;
} hints[] = {
    {".swf", WL_FMT_SWF},
    {"vmtable", WL_FMT_AZURE_VMTABLE},
    {"cpu_readings", WL_FMT_AZURE_CPU},
    {"task_events", WL_FMT_GOOGLE_TASK},
    {"task-events", WL_FMT_GOOGLE_TASK},
    {"job_events", WL_FMT_GOOGLE_JOB},
    {"job-events", WL_FMT_GOOGLE_JOB},
    {"machine_events", WL_FMT_GOOGLE_MACHINE},
    {"machine-events", WL_FMT_GOOGLE_MACHINE},
    {"task_usage", WL_FMT_GOOGLE_USAGE},
    {"task-usage", WL_FMT_GOOGLE_USAGE},
    {"machine_meta", WL_FMT_ALIBABA_META},
    {"machine_usage", WL_FMT_ALIBABA_USAGE},
    {"bitbrains", WL_FMT_BITBRAINS},
    {"planetlab", WL_FMT_PLANETLAB},
    {"trace.csv", WL_FMT_VTRACE},
};

static enum wl_format by_name(const char *name)
{
    char low[512];
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof low; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[i] = '\0';
    for (unsigned h = 0; h < sizeof hints / sizeof hints[0]; h++)
        if (strstr(low, hints[h].part))
            return hints[h].fmt;
    return WL_FMT_AUTO;
}

static bool all_numbers(char **f, unsigned n)
{
    double v;
    for (unsigned i = 0; i < n; i++)
        if (wl__num(f[i], &v))
            return false;
    return true;
}

static enum wl_format by_header(const char *h)
{
    if (!strncmp(h, "Timestamp [ms]", 14) || strstr(h, ";\t"))
        return WL_FMT_BITBRAINS;
    if (!strncmp(h, "time_ns,event", 13))
        return WL_FMT_VTRACE;
    if (h[0] != '#')
        return WL_FMT_AUTO;
    if (strstr(h, "Task index") || strstr(h, "task index"))
        return strstr(h, "measurement period") ? WL_FMT_GOOGLE_USAGE
                                               : WL_FMT_GOOGLE_TASK;
    if (strstr(h, "Machine ID") && strstr(h, "Platform"))
        return WL_FMT_GOOGLE_MACHINE;
    return WL_FMT_AUTO;
}

/* The shape of one data line (a copy: splitting writes into it). */
static enum wl_format by_data(const char *line)
{
    char a[4096], b[4096], *f[32];
    snprintf(a, sizeof a, "%s", line);
    snprintf(b, sizeof b, "%s", line);
    unsigned nw = wl__split_ws(a, f, 31);
    if (nw == 18 && all_numbers(f, 18))
        return WL_FMT_SWF;
    unsigned n = wl__split(b, ',', f, 31);
    double v;
    if (n == 1 && !wl__num(f[0], &v))
        return WL_FMT_PLANETLAB;
    if (n == 6 && vcpu_trace_event_parse(f[1]) >= 0)
        return WL_FMT_VTRACE;
    if (!strncmp(f[0], "m_", 2))
        return n == 7   ? WL_FMT_ALIBABA_META
               : n == 9 ? WL_FMT_ALIBABA_USAGE
                        : WL_FMT_AUTO;
    if (n == 11 && wl__num(f[0], &v))
        return WL_FMT_AZURE_VMTABLE;
    if (n == 5 && !wl__num(f[0], &v) && wl__num(f[1], &v))
        return WL_FMT_AZURE_CPU;
    switch (n) {
    case 13:
        return WL_FMT_GOOGLE_TASK;
    case 8:
        return WL_FMT_GOOGLE_JOB;
    case 6:
        return WL_FMT_GOOGLE_MACHINE;
    case 20:
        return WL_FMT_GOOGLE_USAGE;
    default:
        return WL_FMT_AUTO;
    }
}

enum wl_format wl__sniff_lines(const char *name, char **lines, unsigned n)
{
    enum wl_format hint = by_name(name), f = WL_FMT_AUTO;
    bool swf_comment = false;
    for (unsigned i = 0; i < n && f == WL_FMT_AUTO; i++) {
        const char *l = lines[i];
        if (i == 0 && (f = by_header(l)) != WL_FMT_AUTO)
            break;
        if (l[0] == ';') {
            swf_comment = true;
            continue;
        }
        if (l[0] == '#' || !l[0])
            continue;
        f = by_data(l);
    }
    if (f == WL_FMT_AUTO && swf_comment)
        f = WL_FMT_SWF;
    /* Column counts alone are weak for the Google tables: prefer a name. */
    if (hint != WL_FMT_AUTO &&
        (f == WL_FMT_AUTO ||
         (f >= WL_FMT_GOOGLE_TASK && f <= WL_FMT_GOOGLE_USAGE && hint != f &&
          hint >= WL_FMT_GOOGLE_TASK && hint <= WL_FMT_GOOGLE_USAGE)))
        f = hint;
    return f;
}

/* Up to SNIFF_LINES lines of @path; the count, or -1 (@err set). */
static int head(const char *path, char **lines, char *err, size_t errlen)
{
    struct wl_lines r;
    int rc = wl__lines_open(&r, path);
    if (rc) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
        return -1;
    }
    int n = 0;
    char *l;
    size_t len;
    const char *what = "";
    while (n < SNIFF_LINES && (rc = wl__lines_next(&r, &l, &len, &what))) {
        if (rc == -1)
            break;
        if (rc == 1 && !(lines[n++] = strdup(l)))
            break;
    }
    wl__lines_close(&r);
    if (rc == -1 && !n) {
        snprintf(err, errlen, "%s: cannot read: %s", path, what);
        return -1;
    }
    return n;
}

static int detect_file(const char *path, enum wl_format *out, char *err,
                       size_t errlen)
{
    char *lines[SNIFF_LINES] = {0};
    int n = head(path, lines, err, errlen);
    if (n < 0)
        return -1;
    *out = wl__sniff_lines(path, lines, (unsigned)n);
    for (int i = 0; i < n; i++)
        free(lines[i]);
    if (*out != WL_FMT_AUTO)
        return 0;
    snprintf(err, errlen,
             n ? "%s: format: not recognised (name it: swf, azure-vmtable, "
                 "...)"
               : "%s: format: cannot tell, the file is empty (name it)",
             path);
    return -1;
}

static int detect_folder(const char *path, enum wl_format *out, char *err,
                         size_t errlen)
{
    wl_source_t *tmp = calloc(1, sizeof *tmp);
    if (!tmp || wl__list_folder(tmp, path) || !tmp->nfiles) {
        snprintf(err, errlen, "%s: %s", path,
                 !tmp          ? "out of memory"
                 : tmp->err[0] ? tmp->err
                               : "an empty folder");
        if (tmp)
            wl_close(tmp);
        return -1;
    }
    int rc = detect_file(tmp->files[0], out, err, errlen);
    if (!rc && *out != WL_FMT_BITBRAINS && *out != WL_FMT_PLANETLAB) {
        snprintf(err, errlen,
                 "%s: a folder of %s files: only bitbrains and planetlab "
                 "traces are read as folders",
                 path, wl_format_name(*out));
        rc = -1;
    }
    wl_close(tmp);
    return rc;
}

int wl_detect(const char *path, enum wl_format *out, char *err, size_t errlen)
{
    struct stat st;
    *out = WL_FMT_AUTO;
    if (stat(path, &st)) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        return detect_folder(path, out, err, errlen);
    return detect_file(path, out, err, errlen);
}
