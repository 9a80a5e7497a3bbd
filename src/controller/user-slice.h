/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The per-user slice openmono-u<UID>.slice, which holds all of one user's sessions, and the totals
 * the site's [UserSlice] section sets on it. */

#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "manager-config.h"
#include "unit-props.h"

typedef struct Manager Manager;

/* The properties [UserSlice] puts on a user's slice; unset limits are "infinity", so that a limit
 * removed from the config is removed from the slice too. Returns 0 or -ENOMEM. */
int user_slice_properties(const UserSliceLimits *limits, UnitProperties **ret);

/* Builds the SetUnitProperties call that puts the totals on uid's slice in systemd (runtime only:
 * they follow the config, not the disk). systemd loads a slice without a unit file on demand, so
 * this works whether or not the slice exists yet. Returns 0 or a negative errno. */
int user_slice_new_call(Manager *m, uid_t uid, sd_bus_message **ret);
