/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asking polkit whether a Varlink caller may do something, without blocking the event loop.
 *
 * A handler calls polkit_check() with the action. The first time, the check is sent to polkit
 * and 0 is returned: the handler returns too, leaving the call pending. When polkit answers,
 * the handler runs again with the same parameters, and this time polkit_check() returns the
 * answer: >0 allowed, -EACCES denied, or another negative errno if polkit failed. */

#include <stdbool.h>
#include <sys/socket.h>

#include <systemd/sd-bus.h>

#include "varlink.h"

typedef struct PolkitRegistry PolkitRegistry;

int polkit_registry_new(PolkitRegistry **ret);
/* Drops every query still waiting; their calls get no answer from here. */
PolkitRegistry *polkit_registry_free(PolkitRegistry *r);
DEFINE_PTR_CLEANUP(PolkitRegistry *, polkit_registry_free);

/* details: NULL or a NULL-terminated list of key, value, key, value... that polkit rules can
 * match (action.lookup("verb")). Returns >0 allowed, 0 pending, <0 denied or failed. */
int polkit_check(PolkitRegistry *registry, sd_bus *bus, Varlink *link, const char *action,
                 const char *const *details, VarlinkMethod method, json_object *parameters,
                 void *userdata);

/* Reads the start time of pid from /proc, which polkit uses with the pid to identify a
 * process without a race against pid reuse. */
int process_start_time(pid_t pid, uint64_t *ret);
