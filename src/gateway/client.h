/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One connection on the inference socket, from accept to close: who is calling (established
 * once, right after connect()), the connection's place in the per-user and per-session counts,
 * and the deadline by which the client must have sent its request. It is the connection's
 * socket context in MHD; every request on the connection refers to its identity. */

#include <systemd/sd-event.h>

#include "connection-table.h"
#include "peer-identity.h"
#include "macro.h"

typedef struct Manager Manager;

typedef struct Client {
        Manager *manager;
        PeerIdentity *identity;
        int fd;                         /* MHD's; shut down only when the deadline passes */
        ConnectionSlot slot;
        sd_event_source *deadline;      /* armed while a request is incomplete or not begun */
} Client;

/* Lets the peer id on fd in if the connection limits allow, and arms the deadline for its first
 * request. Returns 0 and a new Client that owns id; a positive ConnectionVerdict when a limit
 * refuses the connection (id stays the caller's); or -ENOMEM. */
int client_new(Manager *m, int fd, PeerIdentity *id, Client **ret);
/* Gives the connection's slot back and frees the client. */
Client *client_free(Client *c);
DEFINE_PTR_CLEANUP(Client *, client_free);

/* The request is in, headers and body: the deadline is off while it is served. */
void client_request_read(Client *c);
/* The answer is out and the connection stays open: the next request gets a new deadline, which
 * also bounds how long the connection may sit idle. */
void client_request_done(Client *c);
