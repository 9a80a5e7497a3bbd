/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Resolving a name without blocking the event loop. libsystemd 252 does not export sd-resolve,
 * so each lookup runs getaddrinfo() in a short-lived thread of its own, which writes the answer
 * into a pipe in one write() (smaller than PIPE_BUF, hence atomic) and exits. The event loop
 * watches the read end; closing it abandons the lookup, and the thread's write then fails with
 * EPIPE (SIGPIPE is ignored) and changes nothing. */

#include <stdint.h>
#include <sys/types.h>

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

/* Lookups in flight, per user and in total. A lookup counts from its start until its thread
 * exits, not until its connection closes: a resolver slower than ConnectTimeoutSec= leaves
 * threads behind that hold memory after their connections timed out, and those must keep
 * counting or one user could pile them up without end. */
typedef struct EgressLookupUser {
        uid_t uid;
        unsigned n;
} EgressLookupUser;

typedef struct EgressLookupCounts {
        EgressLookupUser *users;        /* only users with lookups in flight */
        size_t n_users, n_allocated;
        unsigned total;
} EgressLookupCounts;

/* Counts one more lookup for uid. Returns 0, -EDQUOT if uid has max_per_user in flight, -EBUSY
 * if all users have max_total, or -ENOMEM. */
int egress_lookup_counts_acquire(EgressLookupCounts *c, uid_t uid, unsigned max_per_user,
                                 unsigned max_total);
/* uid's lookup is over. */
void egress_lookup_counts_release(EgressLookupCounts *c, uid_t uid);
/* How many lookups uid has in flight. */
unsigned egress_lookup_counts_get(const EgressLookupCounts *c, uid_t uid);
void egress_lookup_counts_done(EgressLookupCounts *c);

/* Starts resolving name (copied) for uid, counted in the process-wide lookups in flight against
 * max_per_user and max_total. Returns the read end of the pipe (non-blocking, close-on-exec),
 * which becomes readable when egress_resolve_read() can fetch the answer, or a negative errno:
 * -EDQUOT or -EBUSY when a limit is reached (see egress_lookup_counts_acquire()). */
int egress_resolve_start(const char *name, uid_t uid, unsigned max_per_user, unsigned max_total);
/* The process-wide lookups in flight: uid's, and (if ret_total is not NULL) all of them. */
unsigned egress_resolve_in_flight(uid_t uid, unsigned *ret_total);

/* Reads the answer from fd. Returns 0, -EAGAIN if it is not there yet, or another negative errno.
 * ret->error says whether the name resolved. */
int egress_resolve_read(int fd, EgressAddresses *ret);
