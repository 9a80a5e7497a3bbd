/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What request.c (the client side) and request-upstream.c (the upstream side) share. */

#include "request.h"

/* Suspends the connection while the request waits, and watches the client for a hangup. */
void request_suspend(Request *r);
/* Lets MHD go on with the connection: send what is ready, or notice the cancellation. */
void request_resume(Request *r);

/* Ends the request with an OpenAI error of our own, or cuts a stream short if the answer has
 * begun. Stops the upstream transfer and frees the slot. message is for the client. */
void request_fail(Request *r, unsigned status, const char *result, const char *type, const char *code,
                  const char *message);

/* Aborts the upstream transfer, if any, and gives the scheduler slot back. Idempotent. */
void request_stop_upstream(Request *r);

/* Whether the answer waiting for the client is large enough to pause the upstream. */
bool request_out_full(Request *r);

bool request_caller_allowed(Request *r);
void request_log_refused(Request *r);
