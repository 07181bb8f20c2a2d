// SPDX-License-Identifier: GPL-3.0-or-later
/* Input for the trace readers: a buffered line reader over zlib (plain and
 * gzip files alike, read in large blocks, lines split in place), and the
 * list of files in a trace folder. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wl_internal.h"

#define FIRST (64u << 10) /* small files (and fuzz inputs) stay cheap */
#define BLOCK (1u << 20)  /* larger ones are read a megabyte at a time */

int wl__lines_open(struct wl_lines *r, const char *path)
{
    memset(r, 0, sizeof *r);
    errno = 0;
    r->gz = gzopen(path, "rb");
    if (!r->gz)
        return errno ? -errno : -ENOMEM;
    gzbuffer(r->gz, 64u << 10);
    r->cap = FIRST;
    if (!(r->buf = malloc(r->cap))) {
        gzclose(r->gz);
        r->gz = NULL;
        return -ENOMEM;
    }
    return 0;
}

void wl__lines_close(struct wl_lines *r)
{
    if (r->gz)
        gzclose(r->gz);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* Make room for more input: drop what was consumed, grow a buffer that one
 * line fills, or start skipping a line that is too long. */
static int make_room(struct wl_lines *r)
{
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    bool full = r->len + 1 >= r->cap;
    if (!full && (r->cap >= BLOCK || r->fills < 2))
        return 0;
    if (full && r->cap >= WL_MAX_LINE) {
        r->skipping = true;
        r->len = 0;
        return 0;
    }
    char *b = realloc(r->buf, r->cap * 2);
    if (!b)
        return -1;
    r->buf = b;
    r->cap *= 2;
    return 0;
}

/* Read a block; 1 if some, 0 at the end, -1 on an error (@what). Data
 * read before an error (a truncated gzip stream) is returned first. */
static int fill(struct wl_lines *r, const char **what)
{
    if (r->failed) {
        *what = r->why;
        return -1;
    }
    if (make_room(r)) {
        *what = "out of memory";
        return -1;
    }
    int n = gzread(r->gz, r->buf + r->len, (unsigned)(r->cap - r->len - 1));
    int zerr = Z_OK;
    const char *msg = gzerror(r->gz, &zerr);
    if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
        if (zerr == Z_ERRNO)
            msg = strerror(errno);
        else if (zerr == Z_BUF_ERROR)
            msg = "truncated gzip stream (unexpected end of file)";
        snprintf(r->why, sizeof r->why, "%s", msg && *msg ? msg : "read error");
        r->failed = true;
        if (n <= 0) {
            *what = r->why;
            return -1;
        }
    }
    if (n == 0)
        return 0;
    r->fills++;
    r->len += (size_t)n;
    r->bytes += (uint64_t)n;
    return 1;
}

static int take(struct wl_lines *r, char *start, size_t l, char **line,
                size_t *len)
{
    start[l] = '\0';
    if (l && start[l - 1] == '\r')
        start[--l] = '\0';
    r->lineno++;
    *line = start;
    *len = l;
    return 1;
}

int wl__lines_next(struct wl_lines *r, char **line, size_t *len,
                   const char **what)
{
    for (;;) {
        char *start = r->buf + r->pos;
        char *nl = memchr(start, '\n', r->len - r->pos);
        if (nl) {
            r->pos = (size_t)(nl - r->buf) + 1;
            if (r->skipping) {
                r->skipping = false;
                r->lineno++;
                return -2;
            }
            return take(r, start, (size_t)(nl - start), line, len);
        }
        if (r->eof) {
            if (r->skipping) {
                r->skipping = false;
                r->lineno++;
                return -2;
            }
            if (r->pos == r->len)
                return 0;
            r->pos = r->len; /* a last line without '\n' */
            return take(r, start, r->len - (size_t)(start - r->buf), line, len);
        }
        int rc = fill(r, what);
        if (rc < 0)
            return -1;
        if (rc == 0)
            r->eof = true;
    }
}

/* ---- folders ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct names {
    char **v;
    unsigned n, cap;
};

static int names_add(struct names *ns, const char *dir, const char *name)
{
    if (ns->n == ns->cap) {
        unsigned cap = ns->cap ? 2 * ns->cap : 64;
        char **v = realloc(ns->v, cap * sizeof *v);
        if (!v)
            return -1;
        ns->v = v;
        ns->cap = cap;
    }
    size_t len = strlen(dir) + strlen(name) + 2;
    if (!(ns->v[ns->n] = malloc(len)))
        return -1;
    snprintf(ns->v[ns->n++], len, "%s/%s", dir, name);
    return 0;
}

static void names_free(struct names *ns)
{
    for (unsigned i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
}

/* Regular files and folders of @dir (hidden entries left out), sorted. */
static int scan(const char *dir, struct names *files, struct names *dirs)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st))
            continue;
        if (S_ISREG(st.st_mode))
            rc = names_add(files, dir, e->d_name);
        else if (S_ISDIR(st.st_mode) && dirs)
            rc = names_add(dirs, dir, e->d_name);
    }
    closedir(d);
    if (files->n)
        qsort(files->v, files->n, sizeof *files->v, cmp_str);
    if (dirs && dirs->n)
        qsort(dirs->v, dirs->n, sizeof *dirs->v, cmp_str);
    return rc ? -ENOMEM : 0;
}

int wl__list_folder(wl_source_t *s, const char *path)
{
    struct names files = {0}, dirs = {0};
    int rc = scan(path, &files, &dirs);
    bool nested = !rc && !files.n; /* a folder of day or month folders */
    for (unsigned i = 0; nested && !rc && i < dirs.n; i++)
        rc = scan(dirs.v[i], &files, NULL);
    names_free(&dirs);
    if (rc) {
        names_free(&files);
        return wl__fail(s, "%s: cannot list: %s", path, strerror(-rc));
    }
    s->files = files.v;
    s->nfiles = files.n;
    return 0;
}
