/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How many connections each user and each session holds, and whether one more may open. Pure
 * bookkeeping: the caller identifies the peer, asks, and closes what is refused. Users and
 * sessions are forgotten when their last connection closes, so the lists hold only who is
 * connected now and a linear search is cheap. */

#include <errno.h>
#include <sys/types.h>

#include "macro.h"

typedef enum ConnectionVerdict {
        CONNECTION_ADMITTED,
        CONNECTION_SESSION_FULL,        /* the session holds MaxConnectionsPerSession= */
        CONNECTION_USER_FULL,           /* the user holds MaxConnectionsPerUser= */
        CONNECTION_OUTSIDE_FULL,        /* the user's connections from outside any session */
        CONNECTION_GATEWAY_FULL,        /* MaxConnections= for everybody together */
        _CONNECTION_VERDICT_MAX,
        _CONNECTION_VERDICT_INVALID = -EINVAL,
} ConnectionVerdict;

const char *connection_verdict_to_string(ConnectionVerdict v);
ConnectionVerdict connection_verdict_from_string(const char *s);

typedef struct ConnectionUser ConnectionUser;
typedef struct ConnectionSession ConnectionSession;

typedef struct ConnectionTable {
        unsigned max_total;
        unsigned max_per_user;          /* in and outside sessions together */
        unsigned max_per_session;
        unsigned max_outside;           /* per user, outside sessions; 0: only max_per_user */
        unsigned n_total;
        ConnectionUser *users;
} ConnectionTable;

/* An admitted connection's place in the table, embedded in the caller's connection object. */
typedef struct ConnectionSlot {
        ConnectionUser *user;
        ConnectionSession *session;     /* NULL outside sessions */
} ConnectionSlot;

int connection_table_new(ConnectionTable **ret);
/* Frees the table; slots still taken must not be released afterwards. */
ConnectionTable *connection_table_free(ConnectionTable *t);
DEFINE_PTR_CLEANUP(ConnectionTable *, connection_table_free);

/* Changes the limits; connections above a lowered one stay open. */
void connection_table_set_limits(ConnectionTable *t, unsigned max_total, unsigned max_per_user,
                                 unsigned max_per_session, unsigned max_outside);

/* Takes a slot for a connection of uid from session (NULL: outside any session). Returns
 * CONNECTION_ADMITTED and fills *ret, the limit that refuses it (nothing counted, *ret left
 * alone), or -ENOMEM. The narrowest limit is named: the session's before the user's before
 * the gateway's. */
int connection_table_admit(ConnectionTable *t, uid_t uid, const char *session, ConnectionSlot *ret);

/* Gives the slot back; a slot not taken (zeroed) is left alone. Afterwards it is zeroed. */
void connection_table_release(ConnectionTable *t, ConnectionSlot *slot);

/* How many connections uid holds, and how many of them session has (if not NULL). */
void connection_table_counts(const ConnectionTable *t, uid_t uid, const char *session,
                             unsigned *ret_user, unsigned *ret_session);
