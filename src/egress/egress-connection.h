/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One proxied connection: reading the request head from the session, the policy decision,
 * resolution, connecting upstream, then relaying bytes both ways until both sides are done. */

#include "egress-manager.h"

/* Takes over the accepted socket fd and starts serving it; it counts for count_key, a session ID
 * if in_session. Returns 0 or a negative errno (fd is closed then too). */
int egress_connection_new(EgressManager *m, int fd, PeerIdentity *id, const char *count_key, bool in_session);

EgressConnection *egress_connection_free(EgressConnection *c);
