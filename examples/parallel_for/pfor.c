// SPDX-License-Identifier: GPL-3.0-or-later
/* A parallel-for on libvcpu that keeps making progress while pCPUs are
 * taken offline and brought back: the loop runs on as many vCPUs as the
 * machine has pCPUs, each grabbing chunks of iterations from a shared
 * counter; a controller thread takes pCPUs away and returns them while the
 * loop runs. The vCPUs never notice: the policy moves or suspends them.
 *
 * usage: pfor [TOPOLOGY] [POLICY]   (default "pack:1 core:4 pu:1", dh) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <vcpu/rt.h>

struct pfor {
    uint64_t n, grain;
    _Atomic uint64_t next;
    void (*body)(uint64_t i, void *arg);
    void *arg;
};

static void pfor_worker(void *p)
{
    struct pfor *f = p;
    for (;;) {
        uint64_t lo = atomic_fetch_add(&f->next, f->grain);
        if (lo >= f->n)
            return;
        uint64_t hi = lo + f->grain < f->n ? lo + f->grain : f->n;
        for (uint64_t i = lo; i < hi; i++)
            f->body(i, f->arg);
        vcpu_preempt_point(); /* a chunk is a switch point */
    }
}

/* Run body(i, arg) for i in [0, n) on one vCPU per pCPU of @rt. */
static int pfor(vcpu_rt_t *rt, uint64_t n, uint64_t grain,
                void (*body)(uint64_t, void *), void *arg)
{
    struct pfor f = {n, grain ? grain : 1, 0, body, arg};
    vcpu_vm_t vm;
    int rc =
        vcpu_rt_vm_create(rt, vcpu_rt_npcpus(rt), pfor_worker, &f, NULL, &vm);
    return rc ? rc : vcpu_rt_vm_join(rt, vm);
}

/* ---- the demo: sum of i * i mod 7919 over 40 million iterations ---- */

static _Atomic uint64_t done_count;
static _Atomic uint64_t sum;

static void body(uint64_t i, void *arg)
{
    (void)arg;
    atomic_fetch_add_explicit(&sum, (i * i) % 7919, memory_order_relaxed);
    atomic_fetch_add_explicit(&done_count, 1, memory_order_relaxed);
}

struct ctl {
    vcpu_rt_t *rt;
    _Atomic int stop;
    unsigned changes;
};

static void *controller(void *p)
{
    struct ctl *c = p;
    unsigned np = vcpu_rt_npcpus(c->rt);
    for (unsigned k = 0; !atomic_load(&c->stop); k++) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        vcpu_pcpu_t q = 1 + k % (np > 1 ? np - 1 : 1);
        bool online = (k / (np > 1 ? np - 1 : 1)) % 2; /* off, then back */
        if (np > 1 && !vcpu_rt_pcpu_set_online(c->rt, q, online))
            c->changes++;
        uint64_t d = atomic_load(&done_count);
        printf("  t=%3u0 ms  pCPU %u %s  %5.1f%% done\n", 2 * k + 2, q,
               online ? "back" : "off ", 100.0 * (double)d / 40e6);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct vcpu_rt_attr a = {
        .abi = VCPU_RT_ABI,
        .topology = argc > 1 ? argv[1] : "pack:1 core:4 pu:1",
        .policy = argc > 2 ? argv[2] : "dh",
    };
    vcpu_rt_t *rt;
    int rc = vcpu_rt_create(&a, &rt);
    if (rc || (rc = vcpu_rt_start(rt))) {
        fprintf(stderr, "pfor: %s\n", vcpu_strerror(rc));
        return 1;
    }
    struct ctl c = {rt, 0, 0};
    pthread_t t;
    pthread_create(&t, NULL, controller, &c);
    const uint64_t n = 40000000;
    rc = pfor(rt, n, 4096, body, NULL);
    atomic_store(&c.stop, 1);
    pthread_join(t, NULL);
    uint64_t expect = 0;
    for (uint64_t i = 0; i < n; i++)
        expect += (i * i) % 7919;
    printf("pfor over %u pCPUs (%s): %s, %u pCPU changes during the loop, "
           "sum %s\n",
           vcpu_rt_npcpus(rt), a.policy, rc ? vcpu_strerror(rc) : "done",
           c.changes, atomic_load(&sum) == expect ? "correct" : "WRONG");
    vcpu_rt_destroy(rt);
    return rc || atomic_load(&sum) != expect || c.changes == 0;
}
