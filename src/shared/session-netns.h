/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pure rules of a session's own network namespace: the address pools its veth pair takes a
 * /31 and a /127 from, the names of the namespace and links, the record of what session networks
 * changed on the host, the commands that build them, and the unit properties that put the
 * session into the namespace. No I/O, no logging. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

typedef struct UnitProperties UnitProperties;

/* The default pools. 100.64.0.0/10 (RFC 6598, shared address space) is never an intranet range.
 * fd6f:6d6f:6e6f::/64 is a unique local prefix (RFC 4193) whose global ID spells "omono": fixed
 * so that it is the same on every host and recognisable in logs, and as unlikely as any other to
 * be a site's own ULA, whose global ID RFC 4193 has drawn at random. Where either does collide with a network the host reaches (100.64.0.0/10 is also Tailscale's and carrier-grade
 * NAT's), [Network] SessionAddressPool= and SessionAddressPool6= in openmono.conf move them. Each
 * session takes a /31 and a /127 (RFC 6164) at the same index: the host's end is the even address,
 * the session's end the odd one. */
#define SESSION_NETNS_POOL_DEFAULT "100.64.0.0/10"
#define SESSION_NETNS_POOL6_DEFAULT "fd6f:6d6f:6e6f::/64"
/* The prefix lengths a pool may have: at least 8 sessions, and no pool larger than the link
 * names can count (SESSION_NETNS_INDEX_MAX) or, for IPv6, than a site's /48. */
#define SESSION_NETNS_POOL_PREFIX_MIN 8U
#define SESSION_NETNS_POOL_PREFIX_MAX 28U
#define SESSION_NETNS_POOL6_PREFIX_MIN 48U
#define SESSION_NETNS_POOL6_PREFIX_MAX 124U
/* One more than the highest index of any pool (a /8 of /31s): link names of a pool configured
 * earlier stay recognisable whatever the pool is now. */
#define SESSION_NETNS_INDEX_MAX (UINT32_C(1) << 23)
/* Host ends are named "om-<index>", so the kernel's list of links is the allocation table and
 * survives a controller restart; the alias of each names its session. */
#define SESSION_NETNS_LINK_PREFIX "om-"
#define SESSION_NETNS_NAME_PREFIX "openmono-"
#define SESSION_NETNS_DIR "/run/netns"
#define SESSION_NETNS_UNIT_PREFIX "openmono-netns@"
/* The session's end of the pair, inside its namespace. */
#define SESSION_NETNS_PEER "eth0"
/* The link-local addresses of the two ends. The host needs one to send neighbour solicitations
 * for forwarded replies, the session one to revalidate its gateway's; both are the same on every
 * link, which is what link-local scope is for. */
#define SESSION_NETNS_HOST_LL "fe80::1"
#define SESSION_NETNS_PEER_LL "fe80::2"
/* What session networks changed on the host and how to undo it; present while any exists. */
#define SESSION_NETNS_STATE_FILE "/run/openmono/netns.state"

/* [Network] of openmono.conf: read by openmono-netns when it creates the first session network,
 * and checked by the controller, so that a bad pool fails `openmonoctl config check` and reload. */
typedef struct SessionNetnsPools {
        Cidr pool;                      /* SessionAddressPool=, IPv4 */
        Cidr pool6;                     /* SessionAddressPool6=; family 0 = IPv6 is not routed */
} SessionNetnsPools;

/* Sets p to the default pools. */
void session_netns_pools_init(SessionNetnsPools *p);

/* Checks that c can be the pool of family: that family, a prefix length within the limits above,
 * and no overlap with loopback, link-local, multicast or the other ranges of
 * cidr_forbidden_overlap(). Returns 0, or -EINVAL / -ERANGE with *ret_why (if not NULL) set to
 * a phrase for the error message. */
int session_netns_pool_check(const Cidr *c, int family, const char **ret_why);

/* ConfigParseFuncs for SessionAddressPool= and SessionAddressPool6= (data: a Cidr). An empty
 * value restores the default. */
int config_parse_session_pool(const char *filename, unsigned line, const char *section, const char *key,
                              const char *value, void *data, char **ret_error);
int config_parse_session_pool6(const char *filename, unsigned line, const char *section, const char *key,
                               const char *value, void *data, char **ret_error);
#define SESSION_NETNS_CONFIG_ITEMS(offset)                                                      \
        { "Network", "SessionAddressPool",  config_parse_session_pool,                          \
          (offset) + offsetof(SessionNetnsPools, pool) },                                       \
        { "Network", "SessionAddressPool6", config_parse_session_pool6,                         \
          (offset) + offsetof(SessionNetnsPools, pool6) }

/* How many sessions the pools have room for (the smaller of the two, at most
 * SESSION_NETNS_INDEX_MAX). */
uint32_t session_netns_pools_capacity(const SessionNetnsPools *p);

/* Whether id may name a session's namespace: 1-64 characters of [0-9a-z]. */
bool session_netns_id_valid(const char *id);

/* Picks the lowest index below capacity that is not among the n_used ones (any order, duplicates
 * allowed). Returns 0 and sets *ret, or -ENOSPC when the pool is full. */
int session_netns_pool_pick(const uint32_t *used, size_t n_used, uint32_t capacity, uint32_t *ret);

/* Writes the host's (session_end false) or the session's address at index of pool, without a
 * prefix length. Returns 0, or -ERANGE when index lies outside the pool. */
#define SESSION_NETNS_ADDRESS_MAX 46
int session_netns_pool_address(const Cidr *pool, uint32_t index, bool session_end,
                               char ret[static SESSION_NETNS_ADDRESS_MAX]);

/* Parses the index out of a host link name "om-<index>" written in canonical decimal. Returns 0,
 * or -EINVAL for any other name (leading zeros, signs, an index of SESSION_NETNS_INDEX_MAX or
 * more). */
int session_netns_link_index(const char *name, uint32_t *ret);

/* What openmono-netns changed on the host for session networks, kept in SESSION_NETNS_STATE_FILE
 * from before the first change until the last session network is gone:
 *   pools  the pools every session network on the host takes its addresses from, fixed while any
 *          exists so that a changed openmono.conf cannot hand out an address in use;
 *   undo   "PATH OURS BEFORE" lines, PATH below /proc/sys/net: when the last session network
 *          goes, each PATH that still holds OURS gets BEFORE back, in this order. */
typedef struct SessionNetnsState {
        SessionNetnsPools pools;
        char **undo;
} SessionNetnsState;

void session_netns_state_done(SessionNetnsState *s);

/* Parses one undo line. PATH must be ipv4/ip_forward or ipv6/conf/<link>/(forwarding|accept_ra),
 * with <link> a valid interface name, "all" or "default"; OURS and BEFORE single digits 0-2.
 * Returns 0 and, for those not NULL, the path (pointing into line, up to the space) length and
 * the two values; or -EINVAL. */
int session_netns_undo_parse(const char *line, size_t *ret_path_len, char *ret_ours, char *ret_before);

/* Whether s has an undo line for path (with any values). */
bool session_netns_state_has_undo(const SessionNetnsState *s, const char *path);

/* Writes s as the text of the state file, or parses that text into a fresh *ret. Parsing is
 * strict: unknown keys, bad pools and bad undo lines give -EINVAL; *ret is untouched then. */
int session_netns_state_to_string(const SessionNetnsState *s, char **ret);
int session_netns_state_from_string(const char *text, SessionNetnsState *ret);

/* Returns, in *ret, the `ip -batch` text that creates the namespace of session id and the veth
 * pair of index with its addresses from s's pools, and the text that configures the session's
 * end from inside the namespace (`ip -n NAME -batch`). Returns 0 or -ENOMEM / -EINVAL / -ERANGE. */
int session_netns_host_batch(const SessionNetnsState *s, const char *id, uint32_t index, char **ret);
int session_netns_peer_batch(const SessionNetnsState *s, uint32_t index, char **ret);

/* The complete `inet openmono` nftables table for s, replaced atomically whenever a session
 * network is created, so it is the same on every host whatever it held before. Where s undoes
 * a switch of forwarding, forwarding of that family is limited to session traffic. Returns 0 and
 * a new string in *ret, or -ENOMEM. */
int session_netns_ruleset(const SessionNetnsState *s, char **ret);

/* Adds the properties that put a session into its namespace: NetworkNamespacePath= and a
 * dependency on the openmono-netns@<id>.service that builds and removes it. */
int session_netns_add_properties(UnitProperties *u, const char *id);

/* Extracts the host of an http(s) URL: "http://[::1]:8080/v1" gives "::1". Returns 0 and a new
 * string in *ret, or -EINVAL / -ENOMEM. */
int session_netns_url_host(const char *url, char **ret);
