/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The HTTP surface of the gateway: MHD's callbacks, which route each request, and the answers
 * that need no upstream transfer (/health, /v1/models, /v1/openmono/usage). */

#include "http-server.h"

/* The callbacks to pass to http_server_new(), with the Manager as userdata. */
extern const HttpServerCallbacks api_callbacks;
