/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The AllowDomain= list of each session, as the controller writes it to
 * EGRESS_SESSION_POLICY_DIR/<SESSION-ID>.conf:
 *
 *         [Session]
 *         AllowDomain=*.allowed.test
 *
 * A peer in a session is judged by its session's file and nothing else. A file that is missing
 * or does not parse leaves the session a policy that allows nothing, with the reason, so that
 * the proxy fails closed and says why. Parsed lists are cached per session; each lookup costs a
 * stat(), and a file whose inode, size or modification time changed is read again, so the
 * controller's rewrite on reload applies to the next connection. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "macro.h"

#define EGRESS_SESSION_POLICY_DIR RUNDIR "/egress"
/* More sessions than this at once and the least recently used list is read again when needed. */
#define EGRESS_SESSION_POLICY_CACHE_MAX 1024U

/* What identifies one version of a file. A missing file has its own stamp. */
typedef struct EgressFileStamp {
        bool retry;                     /* equal to no stamp: the file is read on every lookup */
        bool exists;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
} EgressFileStamp;

typedef struct EgressSessionPolicy EgressSessionPolicy;
struct EgressSessionPolicy {
        EgressSessionPolicy *prev, *next;
        char *session;
        char *path;
        EgressFileStamp stamp;
        char **allow_domains;           /* normalised patterns; NULL allows nothing */
        char *error;                    /* why nothing is allowed: the file is missing or broken */
};

typedef struct EgressSessionPolicyCache {
        char *dir;
        EgressSessionPolicy *entries;   /* most recently used first */
        size_t n;
} EgressSessionPolicyCache;

/* Whether two stamps name the same version of a file. */
bool egress_file_stamp_equal(const EgressFileStamp *a, const EgressFileStamp *b);

/* Parses size bytes of a session policy file called name (for the messages). Returns 0 and sets
 * *ret_domains (NULL for an empty list), or a negative errno and sets *ret_error to what is wrong
 * with the file, if it can say. Unknown keys are ignored: they may be the controller's. */
int egress_session_policy_parse(const char *name, const void *buf, size_t size, char ***ret_domains,
                                char **ret_error);

/* dir NULL: EGRESS_SESSION_POLICY_DIR. Returns 0 or -ENOMEM. */
int egress_session_policy_cache_new(const char *dir, EgressSessionPolicyCache **ret);
EgressSessionPolicyCache *egress_session_policy_cache_free(EgressSessionPolicyCache *c);
DEFINE_PTR_CLEANUP(EgressSessionPolicyCache *, egress_session_policy_cache_free);

/* Looks up session's policy, reading its file again if it changed. Sets *ret to an entry owned by
 * the cache, valid until the next lookup; (*ret)->error says whether it allows anything. Returns
 * 1 if the file was (re)read, 0 if the cached list still holds, -EINVAL for a session ID that is
 * not a file name, or -ENOMEM. */
int egress_session_policy_get(EgressSessionPolicyCache *c, const char *session,
                              const EgressSessionPolicy **ret);
