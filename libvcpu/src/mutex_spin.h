/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Locking a pthread mutex whose critical sections are short: a blocked
 * thread costs a futex wake-up (~10 us on a virtual machine) for a wait
 * that is usually a few hundred ns, so try for a few microseconds first.
 * (glibc's PTHREAD_MUTEX_ADAPTIVE_NP does the same, but its uncontended
 * path costs twice the normal one.) Nothing here is API. */
#ifndef VCPU_MUTEX_SPIN_H
#define VCPU_MUTEX_SPIN_H

#include <pthread.h>

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

#endif /* VCPU_MUTEX_SPIN_H */
