/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who is calling, as the kernel tells it: the peer's credentials on the socket and the cgroup
 * of the peer process, which says whether it runs in an OpenMono session and whose. Nothing the
 * caller sends has a say. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* The cgroup a session's processes live in, relative to the root of the cgroup tree. */
#define SESSION_SLICE "openmono.slice"

typedef struct PeerIdentity {
        uid_t uid;              /* whom the request counts for: the session's owner, or the peer */
        uid_t peer_uid;         /* the peer process's uid (a DynamicUser in project sessions) */
        pid_t pid;
        char *session;          /* the session ID, NULL outside any session */
        char *user_name;        /* the name of uid, or its number if it has none */
} PeerIdentity;

PeerIdentity *peer_identity_free(PeerIdentity *p);
DEFINE_PTR_CLEANUP(PeerIdentity *, peer_identity_free);

/* The identity as the gateway names it to upstreams: "USER" outside sessions, "USER/SESSION" in
 * one. Returns 0 and a new string, or -ENOMEM. */
int peer_identity_to_string(const PeerIdentity *p, char **ret);

/* Reads a session from one cgroup path, which must be exactly
 * "/openmono.slice/openmono-u<UID>.slice/openmono-session-<ID>.service". Any other path is
 * not a session, including the same names further down the tree: users may create cgroups
 * with any name below their own delegated ones. Returns 1 and sets *ret_uid and *ret_session
 * (a new string), 0 if path is not a session, or -ENOMEM. */
int cgroup_path_parse_session(const char *path, uid_t *ret_uid, char **ret_session);

/* Finds the session in the contents of /proc/PID/cgroup (n bytes, need not be NUL-terminated):
 * the unified hierarchy's "0::" line, or systemd's "name=systemd" line on a legacy layout.
 * Returns like cgroup_path_parse_session(); -EBADMSG if no such line is there. */
int cgroup_file_parse_session(const char *contents, size_t n, uid_t *ret_uid, char **ret_session);

/* Identifies the peer of the connected Unix socket fd. Returns 0 and a new PeerIdentity, or a
 * negative errno: -ESRCH when the peer process is gone, so that its session cannot be known. */
int peer_identity_from_socket(int fd, PeerIdentity **ret);

/* The last few peer processes identified, each pinned by a pidfd. */
#define PEER_CACHE_SIZE 16U
#define PEER_CACHE_MAX_AGE_USEC (1ULL * 1000000)

typedef struct PeerCacheEntry {
        int pidfd;
        uint64_t since;                 /* CLOCK_MONOTONIC when identified */
        PeerIdentity *identity;
} PeerCacheEntry;

typedef struct PeerCache {
        PeerCacheEntry entries[PEER_CACHE_SIZE];
        unsigned next;                  /* the entry replaced next */
} PeerCache;

int peer_cache_new(PeerCache **ret);
PeerCache *peer_cache_free(PeerCache *c);
DEFINE_PTR_CLEANUP(PeerCache *, peer_cache_free);

/* Like peer_identity_from_socket(), but a process that connects again while it lives, within
 * PEER_CACHE_MAX_AGE_USEC of being identified (t is now, CLOCK_MONOTONIC), is not looked at
 * again: one client with many connections, or a flood of them, costs one look a second.
 * Returns 0 after a fresh look, 1 from the cache, or a negative errno. */
int peer_identity_from_socket_cached(PeerCache *c, int fd, uint64_t t, PeerIdentity **ret);
