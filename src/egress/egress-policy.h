/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The egress proxy's decisions, as pure functions: whether a request's host and port may be
 * asked for at all, and whether an address a name resolved to may be connected to. The second
 * check is what makes DNS rebinding and SSRF fail: an allowed name is only as good as the
 * addresses it resolves to at the moment of connecting. */

#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "egress-name.h"
#include "macro.h"

typedef enum EgressVerdict {
        EGRESS_ALLOWED,
        EGRESS_DENIED_NAME,             /* no AllowDomain= pattern matches */
        EGRESS_DENIED_PORT,             /* the port is not in Ports= */
        EGRESS_DENIED_LITERAL,          /* an IP address instead of a name */
        EGRESS_DENIED_FORBIDDEN,        /* loopback, link-local, metadata, multicast, ... */
        EGRESS_DENIED_PRIVATE,          /* a private range not in AllowAddress= */
        EGRESS_DENIED_RESERVED,         /* the host's own addresses, model servers, DenyAddress= */
        _EGRESS_VERDICT_MAX,
        _EGRESS_VERDICT_INVALID = -EINVAL,
} EgressVerdict;

/* "allowed", "name-not-allowed", ... as written to the journal. */
const char *egress_verdict_to_string(EgressVerdict v);
EgressVerdict egress_verdict_from_string(const char *s);

#define EGRESS_PORTS_MAX 32U

typedef struct CidrList {
        Cidr *items;
        size_t n;
} CidrList;

typedef struct EgressPolicy {
        char **allow_domains;           /* normalised AllowDomain= patterns */
        uint16_t ports[EGRESS_PORTS_MAX];
        size_t n_ports;
        CidrList reserved;              /* never connected to, even when allowed below */
        CidrList host;                  /* the host's own addresses, also never connected to */
        CidrList allow_private;         /* private ranges that names may resolve into */
} EgressPolicy;

void egress_policy_done(EgressPolicy *p);

/* Appends c to l. Returns 0 or -ENOMEM. */
int cidr_list_append(CidrList *l, const Cidr *c);
void cidr_list_done(CidrList *l);

/* Judges a request before anything is resolved. */
EgressVerdict egress_policy_check_request(const EgressPolicy *p, const EgressHost *h, uint16_t port);

/* Judges one resolved address (4 or 16 bytes per family). */
EgressVerdict egress_policy_check_address(const EgressPolicy *p, int family, const uint8_t *address);
