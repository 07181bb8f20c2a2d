// SPDX-License-Identifier: GPL-3.0-or-later
/* The SimGrid side of results/bench/simgrid: HOSTS hosts of 16 cores at
 * 1 Gflop/s, each running 4 VMs of 4 vCPUs (SimGrid's VM model), one actor
 * per vCPU executing once: CPU-bound, and no contention (16 executions on
 * 16 cores), so each completes at its flops / 1e9 s. The flops are those
 * of vms.yaml's vCPUs under vcpusim, 1 flop per reference ns: with
 * --uniform MIN MAX (ns) each vCPU's is drawn exactly as vcpusim draws
 * its compute phase (host h: GSL mt19937 seeded with seed * 1000003 + h +
 * 1; one gsl_ran_flat per vCPU in arrival order, VMs h, h + HOSTS, ...;
 * rounded with llround), so every execution ends at its own instant;
 * without it each executes FLOPS. With --novm the same actors run directly
 * on the hosts. The platform is an empty zone (no network: nothing
 * communicates), the cheapest SimGrid offers; --full-zone makes it a full
 * zone (a route table of hosts^2 entries), as most SimGrid examples do.
 * Built by results/bench/run.sh with pkg-config simgrid gsl.
 *
 * usage: sg_vms HOSTS [FLOPS] [--uniform MIN MAX] [--seed S] [--novm]
 *        [--full-zone] [--csv FILE]
 *        [SimGrid options, e.g. --log=root.thres:critical]
 * Output: one line "hosts,vms,executions,finished,sim_s,setup_s,run_s"
 * (setup: platform, VMs and actors; run: the simulation) and, with --csv,
 * each execution's completion time (s) in order. */
#include <simgrid/s4u.hpp>
#include <simgrid/s4u/VirtualMachine.hpp>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;

namespace
{
constexpr int kCores = 16, kVms = 4, kVcpus = 4;
std::vector<double> done; // completion time by execution, -1 if none

void worker(size_t idx, double flops)
{
    sg4::this_actor::execute(flops);
    done[idx] = sg4::Engine::get_clock();
}
} // namespace

int main(int argc, char **argv)
{
    sg4::Engine e(&argc, argv);
    long hosts = 0;
    double flops = 1e9;
    bool novm = false, full = false;
    const char *csv = nullptr;
    double umin = 0, umax = 0;
    unsigned long seed = 1;
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!std::strcmp(argv[i], "--novm"))
            novm = true;
        else if (!std::strcmp(argv[i], "--full-zone"))
            full = true;
        else if (!std::strcmp(argv[i], "--csv") && i + 1 < argc)
            csv = argv[++i];
        else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = std::strtoul(argv[++i], nullptr, 0);
        else if (!std::strcmp(argv[i], "--uniform") && i + 2 < argc) {
            umin = std::atof(argv[++i]);
            umax = std::atof(argv[++i]);
        } else if (npos++ == 0)
            hosts = std::atol(argv[i]);
        else
            flops = std::atof(argv[i]);
    }
    if (hosts <= 0 || flops <= 0 || umax < umin) {
        std::fprintf(stderr, "usage: sg_vms HOSTS [FLOPS] [--uniform MIN MAX] "
                             "[--seed S] [--novm] [--full-zone] [--csv F]\n");
        return 64;
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    auto t0 = std::chrono::steady_clock::now();
    auto *zone =
        full ? sg4::create_full_zone("world") : sg4::create_empty_zone("world");
    std::vector<sg4::Host *> pms;
    for (long h = 0; h < hosts; h++)
        pms.push_back(zone->create_host("h" + std::to_string(h), 1e9)
                          ->set_core_count(kCores)
                          ->seal());
    zone->seal();
    done.assign(static_cast<size_t>(hosts) * kVms * kVcpus, -1.0);
    size_t idx = 0;
    for (long h = 0; h < hosts; h++) {
        gsl_rng_set(rng, seed * 1000003u + static_cast<unsigned long>(h) + 1);
        for (int v = 0; v < kVms; v++) {
            sg4::Host *where = pms[h];
            if (!novm) {
                auto *vm = pms[h]->create_vm(
                    "vm" + std::to_string(h) + "_" + std::to_string(v), kVcpus);
                vm->start();
                where = vm;
            }
            for (int k = 0; k < kVcpus; k++, idx++) {
                double w = umax > 0 ? static_cast<double>(std::llround(
                                          gsl_ran_flat(rng, umin, umax)))
                                    : flops;
                sg4::Actor::create("w", where, worker, idx, w);
            }
        }
    }
    auto t1 = std::chrono::steady_clock::now();
    gsl_rng_free(rng);
    e.run();
    auto t2 = std::chrono::steady_clock::now();
    double setup = std::chrono::duration<double>(t1 - t0).count();
    double run = std::chrono::duration<double>(t2 - t1).count();
    size_t finished = 0;
    for (double t : done)
        finished += t >= 0;
    std::printf("%ld,%ld,%zu,%zu,%.9f,%.4f,%.4f\n", hosts,
                novm ? 0 : hosts * kVms, done.size(), finished,
                sg4::Engine::get_clock(), setup, run);
    if (csv) {
        FILE *f = std::fopen(csv, "w");
        if (!f) {
            std::perror(csv);
            return 73;
        }
        std::fprintf(f, "execution,completion_s\n");
        for (size_t i = 0; i < done.size(); i++)
            std::fprintf(f, "%zu,%.9f\n", i, done[i]);
        std::fclose(f);
    }
    return finished == done.size() ? 0 : 1;
}
