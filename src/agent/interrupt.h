/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SIGINT and SIGTERM as a flag. Every blocking wait in the agent (the model request, a tool's
 * child process, a retry's back-off) looks at it, so a stop request ends the current step
 * cleanly, kills the tool's processes and leaves the transcript whole. */

#include <stdbool.h>
#include <stdint.h>

/* Installs the handlers, without SA_RESTART so that blocking calls return EINTR. */
int interrupt_install(void);
/* Returns true once a signal arrived (and until interrupt_reset()). */
bool interrupt_requested(void);
/* Returns the signal that arrived, or 0. */
int interrupt_signal(void);
/* Forgets a request, e.g. after Ctrl-C ended one interactive turn. */
void interrupt_reset(void);
/* Sleeps usec, returning early with -ECANCELED when a signal arrives. Returns 0 otherwise. */
int interrupt_sleep(uint64_t usec);
