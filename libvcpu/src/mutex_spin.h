/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Locks whose critical sections are short: a blocked thread costs a futex
 * wake-up (~10 us on a virtual machine) for a wait that is usually a few
 * hundred ns, so try for a few microseconds first. vcpu__mutex_lock does
 * that for a pthread mutex (glibc's PTHREAD_MUTEX_ADAPTIVE_NP does the
 * same, but its uncontended path costs twice the normal one); struct
 * vcpu__lock is the same idea in a futex word, with a bias (the core's
 * lock: taken once or twice per context switch). Nothing here is API. */
#ifndef VCPU_MUTEX_SPIN_H
#define VCPU_MUTEX_SPIN_H

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The library's thread-local variables: initial-exec, so that libvcpu.so
 * reaches them as an executable does (an offset from the thread pointer)
 * and not through __tls_get_addr, a call at every yield. They take a few
 * bytes of the static TLS block: loading libvcpu.so with dlopen() needs
 * glibc's spare static TLS (hundreds of bytes by default). */
#define VCPU__TLS __thread __attribute__((tls_model("initial-exec")))

#define VCPU__SPIN_TRIES 100 /* x (pause + trylock): ~3-5 us on x86 */

static inline void vcpu__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static inline void vcpu__mutex_lock(pthread_mutex_t *m)
{
    if (!pthread_mutex_trylock(m))
        return;
    for (int i = 0; i < VCPU__SPIN_TRIES; i++) {
        vcpu__cpu_relax();
        if (!pthread_mutex_trylock(m))
            return;
    }
    pthread_mutex_lock(m);
}

/*
 * The core's lock: a futex lock (Drepper, "Futexes are tricky", mutex 3:
 * word 0 free, 1 held, 2 held with waiters) with a bias.
 *
 * The bias: a thread that takes the lock many times in a row with nobody
 * else taking it (a worker yielding between vCPUs of its own) is made the
 * lock's owner. The owner then enters without a locked instruction: it
 * marks itself inside, and checks that nobody asked for the lock back (an
 * asymmetric Dekker: plain stores and loads on the owner's side, a
 * membarrier(2) system call on the other side). Any other thread takes
 * the futex word first, then revokes the bias: it raises revoke, runs
 * membarrier (every thread of the process passes a full barrier), waits
 * until the owner is not inside, and clears the owner. A revocation costs
 * microseconds, so the bias is granted again only after twice as many
 * uncontended calls as last time (up to VCPU__BIAS_MAX). Without
 * membarrier's private expedited command (old kernels, valgrind) there is
 * never a bias. The slow paths are in core/lock.c.
 */
#define VCPU__BIAS_MIN 64u
#define VCPU__BIAS_MAX 65536u

struct vcpu__lock {
    _Atomic uint32_t word;
    _Atomic(const void *) owner; /* biased to this thread's token, or NULL */
    _Atomic uint32_t inside;     /* the owner is in, through the bias */
    _Atomic uint32_t revoke;     /* another thread wants the lock back */
    bool held_biased;            /* the holder came in through the bias */
    const void *cand;            /* the last thread through the word ... */
    uint32_t streak;             /* ... and its calls in a row */
    uint32_t need;               /* calls in a row that earn the bias */
};

extern VCPU__TLS char vcpu__lock_token; /* its address names the thread */

void vcpu__lock_init(struct vcpu__lock *l);
void vcpu__lock_slow(struct vcpu__lock *l);
void vcpu__lock_wake(struct vcpu__lock *l);
/* The same as the inline vcpu__lock/vcpu__unlock below, out of line: for
 * callers where the inline code would only weigh on the path that takes
 * no lock (the simulator's core calls). */
void vcpu__lock_call(struct vcpu__lock *l);
void vcpu__unlock_call(struct vcpu__lock *l);

/* Inline for the runtime's yield, where the bias is the common case:
 * laid out as the straight path. */
static inline void vcpu__lock(struct vcpu__lock *l)
{
    if (__builtin_expect(
            atomic_load_explicit(&l->owner, memory_order_relaxed) ==
                &vcpu__lock_token,
            1)) {
        atomic_store_explicit(&l->inside, 1, memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst); /* the barrier is theirs */
        if (__builtin_expect(
                !atomic_load_explicit(&l->revoke, memory_order_acquire) &&
                    atomic_load_explicit(&l->owner, memory_order_relaxed) ==
                        &vcpu__lock_token,
                1)) {
            l->held_biased = true;
            return;
        }
        atomic_store_explicit(&l->inside, 0, memory_order_release);
    }
    vcpu__lock_slow(l);
}

static inline void vcpu__unlock(struct vcpu__lock *l)
{
    if (__builtin_expect(l->held_biased, 1)) {
        l->held_biased = false;
        atomic_store_explicit(&l->inside, 0, memory_order_release);
        return;
    }
    if (atomic_exchange_explicit(&l->word, 0, memory_order_release) == 2)
        vcpu__lock_wake(l);
}

#endif /* VCPU_MUTEX_SPIN_H */
