/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pure rules of a session's own network namespace: the address pool its veth pair takes a
 * /31 from, the names of the namespace and links, the commands that build them, and the unit
 * properties that put the session into the namespace. No I/O, no logging. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct UnitProperties UnitProperties;

/* 100.64.0.0/10 (RFC 6598, shared address space): never an intranet range, and never on the
 * far side of the host's routes, so a session address cannot shadow a host the session may
 * reach. Each session takes a /31: the host's end is even, the session's end odd. */
#define SESSION_NETNS_POOL "100.64.0.0/10"
#define SESSION_NETNS_POOL_SIZE (UINT32_C(1) << 21)
/* Host ends are named "om-<index>", so the kernel's list of links is the allocation table and
 * survives a controller restart; the alias of each names its session. */
#define SESSION_NETNS_LINK_PREFIX "om-"
#define SESSION_NETNS_NAME_PREFIX "openmono-"
#define SESSION_NETNS_DIR "/run/netns"
#define SESSION_NETNS_UNIT_PREFIX "openmono-netns@"
/* The session's end of the pair, inside its namespace. */
#define SESSION_NETNS_PEER "eth0"

/* Whether id may name a session's namespace: 1-64 characters of [0-9a-z]. */
bool session_netns_id_valid(const char *id);

/* Picks the lowest index that is not among the n_used ones (any order, duplicates allowed).
 * Returns 0 and sets *ret, or -ENOSPC when the pool is full. */
int session_netns_pool_pick(const uint32_t *used, size_t n_used, uint32_t *ret);

/* Writes the host's and the session's address of the /31 of index as dotted quads (at least 16
 * bytes each). Returns 0, or -ERANGE when index lies outside the pool. */
int session_netns_pool_addresses(uint32_t index, char ret_host[static 16], char ret_session[static 16]);

/* Parses the index out of a host link name "om-<index>" written in canonical decimal. Returns 0,
 * or -EINVAL for any other name (leading zeros, signs, an index outside the pool). */
int session_netns_link_index(const char *name, uint32_t *ret);

/* Returns, in *ret, the `ip -batch` text that creates the namespace of session id and the veth
 * pair of index, and the text that configures the session's end from inside the namespace
 * (`ip -n NAME -batch`). Returns 0 or -ENOMEM / -EINVAL / -ERANGE. */
int session_netns_host_batch(const char *id, uint32_t index, char **ret);
int session_netns_peer_batch(uint32_t index, char **ret);

/* The complete `inet openmono` nftables table, replaced atomically whenever a session network is
 * created, so it is the same on every host whatever it held before. */
const char *session_netns_ruleset(void);

/* Adds the properties that put a session into its namespace: NetworkNamespacePath= and a
 * dependency on the openmono-netns@<id>.service that builds and removes it. */
int session_netns_add_properties(UnitProperties *u, const char *id);

/* Extracts the host of an http(s) URL: "http://[::1]:8080/v1" gives "::1". Returns 0 and a new
 * string in *ret, or -EINVAL / -ENOMEM. */
int session_netns_url_host(const char *url, char **ret);
