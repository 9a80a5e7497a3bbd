/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Host names as the egress proxy compares them, and AllowDomain= patterns. Everything here is
 * pure: no I/O, no resolution, no logging.
 *
 * A host from a request is brought to one spelling before any rule looks at it, so that no
 * second spelling of a name or an address slips past a rule written for the first: ASCII case
 * is folded, one trailing dot is dropped, bytes outside ASCII are refused (IDNs must arrive as
 * punycode, and A-labels are what is compared), and anything that a resolver or inet_aton()
 * would take for an IPv4 address (2130706433, 0177.0.0.1, 0x7f.1) or an IPv6 one ([::1],
 * [::ffff:127.0.0.1]) becomes that address. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EGRESS_NAME_MAX 253U
/* The most patterns a session's list may have. Lists are matched on every request and clamped
 * pairwise on every reload, so whoever asks must not make them as long as a message allows. */
#define EGRESS_PATTERNS_MAX 256U

typedef enum EgressHostKind {
        EGRESS_HOST_NAME,
        EGRESS_HOST_ADDRESS,
        _EGRESS_HOST_KIND_MAX,
        _EGRESS_HOST_KIND_INVALID = -EINVAL,
} EgressHostKind;

typedef struct EgressHost {
        EgressHostKind kind;
        char name[EGRESS_NAME_MAX + 1];         /* the normalised name, or the address as text */
        int family;                             /* for addresses: AF_INET or AF_INET6 */
        uint8_t address[16];                    /* IPv4-mapped IPv6 addresses become AF_INET */
} EgressHost;

/* Normalises the n bytes at s (a URL or CONNECT host, brackets included for IPv6). Returns 0 and
 * fills *ret, or -EINVAL for anything that is neither a valid name nor an address: empty labels,
 * labels over 63 bytes, bytes outside [A-Za-z0-9_-], non-ASCII, a numeric last label that is no
 * IPv4 address ("1.2.3.4.5", "foo.123"). */
int egress_host_normalize(const char *s, size_t n, EgressHost *ret);

/* Turns an IPv6 address that carries an IPv4 one (mapped, compatible, NAT64) into that IPv4
 * address in place, so that it is judged as what the kernel or a gateway will send it as. */
void egress_address_unmap(int *family, uint8_t a[static 16]);

/* An AllowDomain= pattern: "name" matches that name only, "*.suffix" any name below suffix (not
 * suffix itself). Patterns are normalised like hosts; addresses and other wildcards are refused.
 * Returns 0 and a new normalised string in *ret, -EINVAL or -ENOMEM. */
int egress_pattern_normalize(const char *s, char **ret);

/* Whether the normalised pattern matches the normalised name. */
bool egress_pattern_match(const char *pattern, const char *name);
/* Whether one of the normalised patterns of l matches name. */
bool egress_pattern_list_match(char *const *l, const char *name);

/* Whether every name the pattern matches is matched by the ceiling pattern. */
bool egress_pattern_within(const char *pattern, const char *ceiling);
/* Returns the first pattern of l that no pattern of ceiling covers, or NULL if all are within.
 * This is the rule for projects and the command line: they may only narrow the site's list. */
const char *egress_pattern_list_outside(char *const *l, char *const *ceiling);
/* What is left of the normalised patterns requested under ceiling, when the ceiling has changed
 * since they were accepted: a requested pattern within a ceiling pattern stays, a ceiling pattern
 * within a requested one takes its place (the request asked for all of it, the ceiling gives
 * part), anything else goes. Each pattern once, in the order found. Returns 0 and a new list in
 * *ret (NULL when nothing is left), or -ENOMEM. */
int egress_pattern_list_clamp(char *const *requested, char *const *ceiling, char ***ret);
