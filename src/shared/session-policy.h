/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A resolved session: everything the controller decided about one agent session (who it runs as,
 * what it sees, what it may reach, how much it may use, what it runs), and the one function that
 * turns it into the properties of its transient service unit. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

typedef struct UnitProperties UnitProperties;

/* Path of the inference gateway's socket, bound into every session at the same path. */
#define SESSION_INFERENCE_SOCKET_DEFAULT "/run/openmono/inference.sock"

/* The gateway as an OpenAI base URL on the session's own loopback, for agents that speak HTTP:
 * openmono-session-init listens there and relays to the inference socket (see
 * session_policy_has_model_url()). Not an ephemeral port, so nothing the session connects to
 * takes it first. */
#define SESSION_MODEL_PORT 4870
#define SESSION_MODEL_URL "http://127.0.0.1:" XSTRINGIFY(SESSION_MODEL_PORT) "/v1"
#define SESSION_INIT_PATH LIBEXECDIR "/openmono/openmono-session-init"

/* The egress proxy's socket, bound into the sessions that may use it at the same path, and the
 * relay to it on the session's loopback that HTTP_PROXY/HTTPS_PROXY name (see
 * session_policy_has_egress_relay()). The relay runs in the session's cgroup, so the proxy knows
 * the session from the kernel, as the gateway does. */
#define SESSION_EGRESS_SOCKET_DEFAULT RUNDIR "/egress.sock"
#define SESSION_EGRESS_PORT 4871
#define SESSION_EGRESS_PROXY_URL "http://127.0.0.1:" XSTRINGIFY(SESSION_EGRESS_PORT)

/* Where the sandbox sees the session's files. */
#define SESSION_WORKSPACE_DIR "/workspace"
#define SESSION_STORAGE_DIR "/storage"

/* What runs an agent task in a session. */
#define SESSION_AGENT_PATH BINDIR "/openmono-agent"

/* The journal namespace all session output goes to (LogNamespace=), served by its own
 * systemd-journald@openmono.service with its own files and size limits, so that no session can
 * rotate the controller's audit trail out of the system journal. Readers of session output open
 * this namespace: journalctl --namespace=openmono, sd_journal_open_namespace(). */
#define SESSION_LOG_NAMESPACE "openmono"

/* Journal entries a session may write per interval and priority before journald drops the rest:
 * fairness between the sessions that share the namespace. journald scales the burst with free
 * disk space (x4 from 4 GiB free) and counts five priority groups apart. */
#define SESSION_LOG_RATE_LIMIT_INTERVAL_USEC (UINT64_C(30) * 1000000)
#define SESSION_LOG_RATE_LIMIT_BURST 2000U

/* DynamicUser= keeps managed workspaces below this StateDirectory= prefix; systemd stores them in
 * /var/lib/private/ and points a symlink from /var/lib/ at them. It is not below /var/lib/openmono:
 * that is hidden from sessions, and systemd 252 cannot set up a dynamic user's state directory
 * below an inaccessible path (the unit fails with 226/NAMESPACE). */
#define SESSION_STATE_SUBDIR "openmono-workspaces"
/* The transcripts of a dynamic project's sessions, one StateDirectory= per project and caller
 * (SESSION_TRANSCRIPT_SUBDIR/<project>/<uid>), never in the workspace its other users share. */
#define SESSION_TRANSCRIPT_SUBDIR "openmono-transcripts"

/* "om-" plus the project name must be a valid user name of at most 31 characters. */
#define PROJECT_NAME_MAX 28
#define SESSION_ID_MAX 64

typedef enum SessionIdentity {
        SESSION_IDENTITY_OWNER,         /* User=<owner>: files in the workspace belong to the owner */
        SESSION_IDENTITY_DYNAMIC,       /* DynamicUser=yes, User=om-<project>, StateDirectory= workspace */
        _SESSION_IDENTITY_MAX,
        _SESSION_IDENTITY_INVALID = -EINVAL,
} SessionIdentity;

typedef enum NetworkPolicy {
        NETWORK_POLICY_NONE,            /* PrivateNetwork=yes */
        NETWORK_POLICY_INTRANET,        /* RFC 1918 and ULA ranges plus the extra CIDRs */
        NETWORK_POLICY_INTERNET,        /* no IP restriction */
        NETWORK_POLICY_ALLOWLIST,       /* only the extra CIDRs */
        NETWORK_POLICY_PROXY,           /* PrivateNetwork=yes: out only through the egress proxy */
        _NETWORK_POLICY_MAX,
        _NETWORK_POLICY_INVALID = -EINVAL,
} NetworkPolicy;

typedef enum SessionStdio {
        SESSION_STDIO_INHERIT,          /* the caller's terminal or pipes, passed as stdio_fds */
        SESSION_STDIO_JOURNAL,          /* detached: output goes to the journal */
        _SESSION_STDIO_MAX,
        _SESSION_STDIO_INVALID = -EINVAL,
} SessionStdio;

/* One secret handed to the session with LoadCredential=: systemd reads the staged file (root-only,
 * outside the sandbox) and exposes it as $CREDENTIALS_DIRECTORY/<name>. */
typedef struct SessionCredential {
        char *name;
        char *path;
} SessionCredential;

typedef struct SessionPolicy {
        char *session_id;               /* the unit is openmono-session-<id>.service */
        char *project;
        uid_t owner_uid;                /* the user who asked; picks the slice */
        gid_t owner_gid;
        char *owner_name;               /* User= for SESSION_IDENTITY_OWNER */
        SessionIdentity identity;

        /* The owner's checkout, by the path the user knows it by: for display only, never handed
         * to systemd (a path through a directory a user controls can be swapped for a symlink
         * before systemd resolves it). Both must be NULL for SESSION_IDENTITY_DYNAMIC. */
        char *workspace;
        char *workspace_mount;          /* the controller's pin of that directory: the BindPaths= source */
        char *storage;                  /* host path bound at /storage (the controller's pin), or NULL */
        char *transcripts;              /* dynamic identity: StateDirectory= for the caller's
                                         * transcripts, relative to /var/lib, or NULL */
        char *inference_socket;         /* absolute path, bound at the same path if it exists */
        char *egress_socket;            /* the egress proxy's, bound likewise where the relay is offered */

        NetworkPolicy network;
        bool model_url;                 /* offer SESSION_MODEL_URL where the network allows it */
        char **allowed_cidrs;           /* extra CIDRs for intranet, the whole list for allowlist */
        char **unreachable_cidrs;       /* cut out of every allow list: the gateway's upstream servers */
        char **allowed_domains;         /* normalised AllowDomain= patterns the egress proxy lets through */
        bool allowed_domains_default;   /* they are the site's list, which the session follows when the
                                         * site changes it; otherwise they were asked for and stay
                                         * within whatever the site allows */
        bool allowed_domains_own;       /* the request asked for them, not the project: they stay what
                                         * was asked when the project changes its list */

        uint64_t memory_max;            /* bytes, UINT64_MAX = unset */
        unsigned cpu_quota_percent;     /* 100 = one CPU, 0 = unset */
        uint64_t tasks_max;             /* UINT64_MAX = unset */
        uint64_t runtime_max_usec;      /* UINT64_MAX = unset */
        uint64_t io_weight;             /* 1…10000, 0 = unset */

        char **argv;                    /* argv[0] is an absolute path */
        char **environment;             /* KEY=value, never secrets */
        SessionCredential *credentials;
        size_t n_credentials;

        SessionStdio stdio;
        int stdio_fds[3];               /* owned; used with SESSION_STDIO_INHERIT */
} SessionPolicy;

const char *session_identity_to_string(SessionIdentity i);
SessionIdentity session_identity_from_string(const char *s);
const char *network_policy_to_string(NetworkPolicy p);
NetworkPolicy network_policy_from_string(const char *s);
const char *session_stdio_to_string(SessionStdio s);
SessionStdio session_stdio_from_string(const char *s);

/* Returns a policy with safe defaults (intranet, TasksMax=512, MemoryMax=4G, RuntimeMaxSec=4h,
 * IOWeight=50, owner identity, journal output, the default inference socket) and nothing else set,
 * or NULL when out of memory. */
SessionPolicy *session_policy_new(void);
/* Frees the policy, its strings and closes its stdio fds; accepts NULL and returns NULL. */
SessionPolicy *session_policy_free(SessionPolicy *p);
DEFINE_PTR_CLEANUP(SessionPolicy *, session_policy_free);

/* Adds a credential, copying both strings. Returns 0, -EINVAL if the name or path is not
 * acceptable (see session_policy_validate()) or -ENOMEM. */
int session_policy_add_credential(SessionPolicy *p, const char *name, const char *path);

/* True if the session has a network namespace of its own, whose loopback nobody outside the
 * session reaches. */
bool session_policy_has_own_network(const SessionPolicy *p);
/* True if the session gets SESSION_MODEL_URL: asked for, an inference socket to relay to, and a
 * loopback of its own (on a shared one every local user could reach the relay, and be
 * counted as the session). */
bool session_policy_has_model_url(const SessionPolicy *p);
/* True if the session gets the relay to the egress proxy and HTTP_PROXY/HTTPS_PROXY: always under
 * the proxy policy, and under intranet and allowlist when it may reach names (allowed_domains is
 * not empty); never under none (nothing leaves) or internet (everything does, directly). */
bool session_policy_has_egress_relay(const SessionPolicy *p);

/* Checks that the policy can be turned into unit properties. Returns 0 or -EINVAL. */
int session_policy_validate(const SessionPolicy *p);

/* Turns a validated policy into the ordered properties of its transient service unit.
 * Returns 0 and a new list in *ret (free with unit_properties_free()), -EINVAL for a policy that
 * session_policy_validate() rejects, -EBADF if inherited stdio has no fds, or -ENOMEM. */
int session_policy_to_unit_properties(const SessionPolicy *p, UnitProperties **ret);

/* The ranges the intranet policy allows: RFC 1918 and the IPv6 unique local range. */
char *const *session_policy_intranet_cidrs(void);

/* Returns true for "ADDRESS" or "ADDRESS/PREFIXLEN" in IPv4 or IPv6 syntax with no host bits set
 * beyond the prefix length. */
bool cidr_is_valid(const char *s);
/* Parses a CIDR as cidr_is_valid() accepts it. ret_address receives 4 or 16 bytes in network
 * order. Returns 0 or -EINVAL. */
int cidr_parse(const char *s, int *ret_family, uint8_t ret_address[static 16], unsigned *ret_prefixlen);

/* Returns true for names that can be part of a unit name, a user name ("om-<name>") and a path
 * component: 1…28 characters of [A-Za-z0-9_-], starting with a letter or digit. */
bool project_name_is_valid(const char *s);
/* Returns true for session ids: 1…64 characters of [A-Za-z0-9_-], starting with a letter or digit. */
bool session_id_is_valid(const char *s);

/* Returns the unit name "openmono-session-<id>.service" in *ret. Returns 0, -EINVAL or -ENOMEM. */
int session_unit_name(const char *session_id, char **ret);
/* Returns the slice "openmono-u<uid>.slice" in *ret; systemd derives the parent openmono.slice
 * from the dash. Returns 0 or -ENOMEM. */
int session_slice_name(uid_t uid, char **ret);
