/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the connection (varlink.c) and the server (varlink-server.c) tell each other. */

#include "varlink.h"

/* Input limit of a server-side connection: requests are small, and a peer must not make us
 * buffer much by never sending the terminating NUL. */
#define VARLINK_SERVER_INPUT_MAX (1U * 1024U * 1024U)

/* Creates the server side of an accepted connection, taking ownership of fd. */
int varlink_new_server_link(VarlinkServer *s, int fd, Varlink **ret);
/* Detaches a connection from its server when the server goes away first. */
void varlink_detach_server(Varlink *l);

/* Called by a connection for each well-formed call. */
int varlink_server_dispatch(VarlinkServer *s, Varlink *l, const char *method, json_object *parameters,
                            VarlinkMethodFlags flags);
/* Called by a connection once when it closes. */
void varlink_server_on_disconnect(VarlinkServer *s, Varlink *l);
sd_event *varlink_server_get_event(VarlinkServer *s);
