/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Umbrella header: includes the others only. */
#ifndef VCPU_VCPU_H
#define VCPU_VCPU_H

#include "core.h"
#include "errno.h"
#include "place.h"
#include "policy.h"
#include "topo.h"
#include "trace.h"
#include "types.h"

#endif /* VCPU_VCPU_H */
