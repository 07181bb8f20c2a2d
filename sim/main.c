// SPDX-License-Identifier: GPL-3.0-or-later
/* vcpusim: the command-line front end of the simulator. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vcpu/vcpu.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: vcpusim [--help] [--version] COMMAND [ARGS]\n"
               "\n"
               "commands:\n"
               "  run [SCENARIO] [--seed N|--seeds A..B] [--out DIR] "
               "[--set K=V]\n"
               "                 run a scenario (default: the built-in one)\n"
               "  validate FILE  check a scenario without running it\n"
               "  topo [SPEC] [--tree] [--out DIR]\n"
               "                 show a topology as libvcpu's core sees it;\n"
               "                 SPEC: 'system' (default), an hwloc XML file,\n"
               "                 or an hwloc synthetic string\n"
               "  policies       list the built-in policies and their "
               "arguments\n"
               "  trace-info FILE...\n"
               "                 format, records, time span, VM sizes and "
               "durations,\n"
               "                 and problems of recorded traces\n"
               "  migrate FILE [--out DIR]\n"
               "                 live migrations by pre-copy over a flow "
               "network\n"
               "\n"
               "Run 'vcpusim COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0},
    };
    int ch;
    /* '+': stop at the first non-option, the command. */
    while ((ch = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("vcpusim %s\n", vcpu_version());
            return 0;
        default:
            usage(stderr);
            return SIM_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return SIM_EXIT_USAGE;
    }
    const char *cmd = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    optind = 0; /* glibc: 0 re-initialises getopt for the command */
    if (strcmp(cmd, "topo") == 0)
        return sim_cmd_topo(sub_argc, sub_argv);
    if (strcmp(cmd, "run") == 0)
        return sim_cmd_run(sub_argc, sub_argv);
    if (strcmp(cmd, "validate") == 0)
        return sim_cmd_validate(sub_argc, sub_argv);
    if (strcmp(cmd, "policies") == 0)
        return sim_cmd_policies(sub_argc, sub_argv);
    if (strcmp(cmd, "migrate") == 0)
        return sim_cmd_migrate(sub_argc, sub_argv);
    if (strcmp(cmd, "trace-info") == 0)
        return sim_cmd_trace_info(sub_argc, sub_argv);
    fprintf(stderr, "vcpusim: unknown command '%s'\n", cmd);
    usage(stderr);
    return SIM_EXIT_USAGE;
}
