/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Connects our terminal to a pseudo-terminal whose other end a session uses as its terminal,
 * the way systemd-run --pty does: raw mode here, bytes both ways, window size kept in sync. */

#include <systemd/sd-event.h>

typedef struct PtyForward PtyForward;

/* Opens a new pty. Returns 0 with the master in *ret_master and the peer (for the session) in
 * *ret_peer, both sized like our terminal. */
int pty_open(int *ret_master, int *ret_peer);

/* Starts forwarding between stdin/stdout and master (taking ownership of master) on e, putting
 * our terminal into raw mode until pty_forward_free(). */
int pty_forward_new(sd_event *e, int master, PtyForward **ret);
/* Restores the terminal and flushes what the session wrote last. */
PtyForward *pty_forward_free(PtyForward *f);
DEFINE_PTR_CLEANUP(PtyForward *, pty_forward_free);
