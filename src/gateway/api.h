/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The HTTP surface of the gateway: MHD's callbacks, which route each request, and the answers
 * that need no upstream transfer (/health, /v1/models, /v1/openmono/usage). */

#include "gateway-config.h"
#include "http-server.h"

/* The callbacks to pass to http_server_new(), with the Manager as userdata. */
extern const HttpServerCallbacks api_callbacks;

/* How many connections one user may hold outside sessions under configuration c: a few if
 * they may not use models, else 0 (only MaxConnectionsPerUser= applies). */
unsigned api_outside_session_connections(const GatewayConfig *c);
