/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The controller's root object: it owns the event loop, the connection to systemd, the Varlink
 * server and the idle timer. Everything else the controller keeps hangs off it. */

#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "varlink.h"

#define MANAGER_SOCKET_PATH RUNDIR "/io.openmono.Manager"
#define MANAGER_IDLE_TIMEOUT_DEFAULT_USEC (60ULL * 1000000ULL)

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;                    /* system bus, connected on first use */
        VarlinkServer *varlink;
        sd_event_source *idle_timer;
        uint64_t idle_timeout_usec;     /* 0 = never exit when idle */
        uint64_t start_monotonic;
        uint64_t start_realtime;
        char *bound_path;               /* set when we bound the socket ourselves */
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_PTR_CLEANUP(Manager *, manager_free);

/* Takes the listening socket from systemd (socket activation); without one, binds
 * fallback_path itself (for running by hand). Returns the number of sockets served. */
int manager_listen(Manager *m, const char *fallback_path);
/* Runs the event loop until SIGTERM/SIGINT or the idle timeout. Returns the exit code. */
int manager_run(Manager *m);

/* Connects to the system bus on first use. */
int manager_get_bus(Manager *m, sd_bus **ret);
/* Counts session units systemd has loaded and active. Returns the count or a negative errno. */
int manager_count_sessions(Manager *m);

/* Registers the io.openmono.Manager interface on m->varlink. */
int manager_varlink_setup(Manager *m);
