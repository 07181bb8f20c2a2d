/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Locks whose critical sections are short: a blocked thread costs a futex
 * wake-up (~10 us on a virtual machine) for a wait that is usually a few
 * hundred ns, so try for a few microseconds first. vcpu__mutex_lock does
 * that for a pthread mutex (glibc's PTHREAD_MUTEX_ADAPTIVE_NP does the
 * same, but its uncontended path costs twice the normal one); struct
 * vcpu__lock is the same idea in one word, inline (the core's lock: taken
 * once or twice per context switch). Nothing here is API. */
#ifndef VCPU_MUTEX_SPIN_H
#define VCPU_MUTEX_SPIN_H

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* A futex lock (Drepper, "Futexes are tricky", mutex 3): 0 free, 1 held,
 * 2 held and someone may sleep on it. Lock: one CAS; unlock: one
 * exchange, and a FUTEX_WAKE only if the word said 2. */
struct vcpu__lock {
    _Atomic uint32_t word;
};

static inline void vcpu__lock_init(struct vcpu__lock *l)
{
    atomic_init(&l->word, 0);
}

static inline int vcpu__lock_try(struct vcpu__lock *l)
{
    uint32_t z = 0;
    return atomic_compare_exchange_strong_explicit(
        &l->word, &z, 1, memory_order_acquire, memory_order_relaxed);
}

__attribute__((noinline, cold)) static void
vcpu__lock_wait(struct vcpu__lock *l)
{
    for (int i = 0; i < VCPU__SPIN_TRIES; i++) {
        vcpu__cpu_relax();
        if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0 &&
            vcpu__lock_try(l))
            return;
    }
    while (atomic_exchange_explicit(&l->word, 2, memory_order_acquire) != 0)
        syscall(SYS_futex, (uint32_t *)&l->word, FUTEX_WAIT_PRIVATE, 2, NULL,
                NULL, 0);
}

static inline void vcpu__lock(struct vcpu__lock *l)
{
    if (!vcpu__lock_try(l))
        vcpu__lock_wait(l);
}

static inline void vcpu__unlock(struct vcpu__lock *l)
{
    if (atomic_exchange_explicit(&l->word, 0, memory_order_release) == 2)
        syscall(SYS_futex, (uint32_t *)&l->word, FUTEX_WAKE_PRIVATE, 1, NULL,
                NULL, 0);
}

#endif /* VCPU_MUTEX_SPIN_H */
