// SPDX-License-Identifier: GPL-3.0-or-later
/* `vcpusim topo` and `vcpusim policies`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vcpu/vcpu.h>

#include "cli.h"

int sim_mkdirs(const char *dir)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int sim_write_atomic(const char *dir, const char *name, const char *data,
                     size_t len)
{
    char path[4096], tmp[4096];
    int mk = sim_mkdirs(dir);
    if (mk)
        return mk;
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/.%s.partial", dir, name) >=
            (int)sizeof tmp)
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return -errno;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return -e;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return -e;
    }
    return rename(tmp, path) == 0 ? 0 : -errno;
}

static int load_or_complain(const char *spec, vcpu_topo_t **t)
{
    int rc = vcpu_topo_load(spec, t);
    if (rc) {
        fprintf(stderr, "vcpusim topo: %s: %s\n", spec, vcpu_strerror(rc));
        return rc == VCPU_ENOENT ? SIM_EXIT_NOINPUT : SIM_EXIT_DATAERR;
    }
    return 0;
}

static int write_topo(const vcpu_topo_t *t, bool tree, const char *dir)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return SIM_EXIT_FAIL;
    vcpu_topo_print(t, f, tree);
    fclose(f);
    fwrite(buf, 1, len, stdout);
    int rc = 0;
    if (dir && (rc = sim_write_atomic(dir, "topology.txt", buf, len)))
        fprintf(stderr, "vcpusim topo: cannot write %s/topology.txt: %s\n", dir,
                strerror(-rc));
    else if (dir)
        fprintf(stderr, "vcpusim topo: wrote %s/topology.txt\n", dir);
    free(buf);
    return rc ? SIM_EXIT_CANTCREAT : SIM_EXIT_OK;
}

int sim_cmd_topo(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tree", no_argument, NULL, 't'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool tree = false;
    const char *out = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "to:h", opts, NULL)) != -1) {
        switch (ch) {
        case 't':
            tree = true;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            printf("usage: vcpusim topo [SPEC] [--tree] [--out DIR]\n");
            return SIM_EXIT_OK;
        default:
            return SIM_EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "vcpusim topo: one SPEC at most\n");
        return SIM_EXIT_USAGE;
    }
    const char *spec = optind < argc ? argv[optind] : "system";
    vcpu_topo_t *t = NULL;
    int rc = load_or_complain(spec, &t);
    if (rc)
        return rc;
    rc = write_topo(t, tree, out);
    vcpu_topo_unref(t);
    return rc;
}

int sim_cmd_policies(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (unsigned i = 0; i < vcpu_policy_count(); i++) {
        const struct vcpu_policy_ops *o = vcpu_policy_at(i);
        printf("%-8s %s%s\n", o->name,
               o->flags & VP_WORK_CONSERVING ? "[work-conserving] " : "",
               o->description ? o->description : "");
        for (unsigned j = 0; o->params && o->params[j].name; j++)
            printf("         %s=%s  %s\n", o->params[j].name, o->params[j].def,
                   o->params[j].doc);
    }
    return SIM_EXIT_OK;
}
