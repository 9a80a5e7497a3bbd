/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Resolving a name without blocking the event loop. libsystemd 252 does not export sd-resolve,
 * so each lookup runs getaddrinfo() in a short-lived thread of its own, which writes the answer
 * into a pipe in one write() (smaller than PIPE_BUF, hence atomic) and exits. The event loop
 * watches the read end; closing it abandons the lookup, and the thread's write then fails with
 * EPIPE (SIGPIPE is ignored) and changes nothing. */

#include <stdint.h>

#include "macro.h"

#define EGRESS_ADDRESSES_MAX 16U

typedef struct EgressAddress {
        int family;
        uint8_t address[16];
} EgressAddress;

typedef struct EgressAddresses {
        int error;                      /* 0, or a negative errno (-ENOENT: no such name) */
        unsigned n;
        EgressAddress items[EGRESS_ADDRESSES_MAX];
} EgressAddresses;

/* Starts resolving name (copied). Returns the read end of the pipe (non-blocking, close-on-exec),
 * which becomes readable when egress_resolve_read() can fetch the answer, or a negative errno. */
int egress_resolve_start(const char *name);

/* Reads the answer from fd. Returns 0, -EAGAIN if it is not there yet, or another negative errno.
 * ret->error says whether the name resolved. */
int egress_resolve_read(int fd, EgressAddresses *ret);
