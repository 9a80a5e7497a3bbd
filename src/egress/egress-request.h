/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The head of a request to the egress proxy: "CONNECT host:port HTTP/1.1" or an absolute-form
 * "GET http://host[:port]/path HTTP/1.1", with its header lines. The parser is strict on
 * purpose (CRLF line ends, no folded headers, no NUL or control bytes, no userinfo in URLs)
 * because it is the first thing a session's bytes meet. Pure: no I/O. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* The largest head accepted; a session that sends more gets 431 and the connection is closed. */
#define EGRESS_REQUEST_HEAD_MAX (16U * 1024U)

typedef struct EgressRequest {
        bool connect;                   /* a CONNECT tunnel, else plain HTTP to forward */
        char *host;                     /* the host as written (brackets kept), not normalised */
        uint16_t port;
        char *forward;                  /* for plain HTTP: the head to send upstream */
        size_t forward_len;
} EgressRequest;

void egress_request_done(EgressRequest *r);

/* Parses the head at the start of the n bytes at buf. Returns 0 if the head is not complete yet,
 * or the head's length in bytes (what follows belongs to the body or the tunnel) and fills *ret;
 * -E2BIG if no complete head fits EGRESS_REQUEST_HEAD_MAX, -EBADMSG if it is malformed,
 * -EPROTONOSUPPORT for a scheme other than http:// (TLS must be tunnelled with CONNECT), -ENOMEM.
 * For plain HTTP the forwarded head has the request line in origin form, Host: set to the URL's
 * authority, hop-by-hop and Proxy-* headers dropped and "Connection: close" added: one request
 * per upstream connection, so that a session cannot steer later requests elsewhere. */
int egress_request_parse(const char *buf, size_t n, EgressRequest *ret);

/* Splits "host:port" or "[v6]:port" (n bytes) at the last colon outside brackets. default_port
 * is used when there is no port (0: a port is required). Returns 0, or -EBADMSG. */
int egress_authority_split(const char *s, size_t n, uint16_t default_port, char **ret_host,
                           uint16_t *ret_port);
