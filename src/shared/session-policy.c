/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SessionPolicy is the controller's decision about one session, and session_policy_to_unit_properties()
 * is the only place where that decision becomes a sandbox. Every property a session unit gets is
 * set here, area by area, with the reason it is there; nothing else adds properties to a session. */

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "session-netns.h"
#include "session-policy.h"
#include "string-util.h"
#include "strv.h"
#include "unit-props.h"

static const char *const session_identity_table[_SESSION_IDENTITY_MAX] = {
        [SESSION_IDENTITY_OWNER] = "owner",
        [SESSION_IDENTITY_DYNAMIC] = "dynamic",
};

static const char *const network_policy_table[_NETWORK_POLICY_MAX] = {
        [NETWORK_POLICY_NONE] = "none",
        [NETWORK_POLICY_INTRANET] = "intranet",
        [NETWORK_POLICY_INTERNET] = "internet",
        [NETWORK_POLICY_ALLOWLIST] = "allowlist",
        [NETWORK_POLICY_PROXY] = "proxy",
};

static const char *const session_stdio_table[_SESSION_STDIO_MAX] = {
        [SESSION_STDIO_INHERIT] = "inherit",
        [SESSION_STDIO_JOURNAL] = "journal",
};

static int lookup(const char *const *table, int n, const char *s) {
        for (int i = 0; s && i < n; i++)
                if (streq(table[i], s))
                        return i;
        return -EINVAL;
}

const char *session_identity_to_string(SessionIdentity i) {
        return i >= 0 && i < _SESSION_IDENTITY_MAX ? session_identity_table[i] : NULL;
}

SessionIdentity session_identity_from_string(const char *s) {
        return lookup(session_identity_table, _SESSION_IDENTITY_MAX, s);
}

const char *network_policy_to_string(NetworkPolicy p) {
        return p >= 0 && p < _NETWORK_POLICY_MAX ? network_policy_table[p] : NULL;
}

NetworkPolicy network_policy_from_string(const char *s) {
        return lookup(network_policy_table, _NETWORK_POLICY_MAX, s);
}

const char *session_stdio_to_string(SessionStdio s) {
        return s >= 0 && s < _SESSION_STDIO_MAX ? session_stdio_table[s] : NULL;
}

SessionStdio session_stdio_from_string(const char *s) {
        return lookup(session_stdio_table, _SESSION_STDIO_MAX, s);
}

SessionPolicy *session_policy_new(void) {
        SessionPolicy *p = calloc(1, sizeof(SessionPolicy));

        if (!p)
                return NULL;
        *p = (SessionPolicy) {
                .owner_uid = (uid_t) -1,
                .owner_gid = (gid_t) -1,
                .identity = SESSION_IDENTITY_OWNER,
                .network = NETWORK_POLICY_INTRANET,
                .model_url = true,
                .memory_max = UINT64_C(4) * 1024 * 1024 * 1024,
                .cpu_quota_percent = 0,
                .tasks_max = 512,
                .runtime_max_usec = UINT64_C(4) * 3600 * 1000000,
                .io_weight = 50,
                .stdio = SESSION_STDIO_JOURNAL,
                .stdio_fds = { -EBADF, -EBADF, -EBADF },
        };
        p->inference_socket = strdup(SESSION_INFERENCE_SOCKET_DEFAULT);
        p->egress_socket = strdup(SESSION_EGRESS_SOCKET_DEFAULT);
        if (!p->inference_socket || !p->egress_socket)
                return session_policy_free(p);
        return p;
}

SessionPolicy *session_policy_free(SessionPolicy *p) {
        if (!p)
                return NULL;
        free(p->session_id);
        free(p->project);
        free(p->owner_name);
        free(p->workspace);
        free(p->workspace_mount);
        free(p->storage);
        free(p->transcripts);
        free(p->inference_socket);
        free(p->egress_socket);
        strv_free(p->allowed_cidrs);
        strv_free(p->allowed_domains);
        strv_free(p->unreachable_cidrs);
        strv_free(p->argv);
        strv_free(p->environment);
        for (size_t i = 0; i < p->n_credentials; i++) {
                free(p->credentials[i].name);
                free(p->credentials[i].path);
        }
        free(p->credentials);
        for (size_t i = 0; i < ELEMENTSOF(p->stdio_fds); i++)
                safe_close(p->stdio_fds[i]);
        return mfree(p);
}

static bool string_has_cc(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 0x7f)
                        return true;
        return false;
}

/* Absolute, no control characters, and no "." or ".." components, so that what systemd mounts is
 * exactly the path the controller checked. */
static bool path_is_safe(const char *s) {
        if (!s || s[0] != '/' || string_has_cc(s) || strlen(s) >= 4096)
                return false;
        for (const char *c = s; c; c = strchr(c + 1, '/')) {
                size_t n = strcspn(c + 1, "/");

                if ((n == 1 && c[1] == '.') || (n == 2 && c[1] == '.' && c[2] == '.'))
                        return false;
        }
        return true;
}

/* Credential names become file names in $CREDENTIALS_DIRECTORY; ':' is refused because it ends
 * the name in LoadCredential= syntax. */
static bool credential_name_is_valid(const char *s) {
        return !isempty(s) && strlen(s) <= 255 && !strpbrk(s, "/:") && !string_has_cc(s) &&
                !streq(s, ".") && !streq(s, "..");
}

int session_policy_add_credential(SessionPolicy *p, const char *name, const char *path) {
        SessionCredential *c;
        char *n, *f;

        assert(p);
        if (!credential_name_is_valid(name) || !path_is_safe(path))
                return -EINVAL;
        c = reallocarray(p->credentials, p->n_credentials + 1, sizeof(SessionCredential));
        if (!c)
                return -ENOMEM;
        p->credentials = c;
        if (strdup_pair(name, path, &n, &f) < 0)
                return -ENOMEM;
        c[p->n_credentials++] = (SessionCredential) { .name = n, .path = f };
        return 0;
}

/* [A-Za-z0-9][A-Za-z0-9_-]* of at most max characters. */
static bool simple_name_is_valid(const char *s, size_t max) {
        size_t n;

        if (isempty(s) || !isalnum((unsigned char) s[0]))
                return false;
        n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
        return s[n] == 0 && n <= max;
}

bool project_name_is_valid(const char *s) {
        return simple_name_is_valid(s, PROJECT_NAME_MAX);
}

bool session_id_is_valid(const char *s) {
        return simple_name_is_valid(s, SESSION_ID_MAX);
}

int session_unit_name(const char *session_id, char **ret) {
        if (!session_id_is_valid(session_id))
                return -EINVAL;
        return asprintf(ret, "openmono-session-%s.service", session_id) < 0 ? -ENOMEM : 0;
}

int session_slice_name(uid_t uid, char **ret) {
        return asprintf(ret, "openmono-u%u.slice", (unsigned) uid) < 0 ? -ENOMEM : 0;
}

static int parse_prefixlen(const char *s, unsigned max, unsigned *ret) {
        unsigned v = 0;

        /* Plain decimal without sign, spaces or leading zeros: "08" is more likely a typo. */
        if (isempty(s) || strspn(s, "0123456789") != strlen(s) || strlen(s) > 3 || (s[0] == '0' && s[1]))
                return -EINVAL;
        for (; *s; s++)
                v = v * 10 + (unsigned) (*s - '0');
        if (v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static bool host_bits_clear(const uint8_t *a, unsigned bytes, unsigned prefixlen) {
        for (unsigned i = 0; i < bytes; i++) {
                unsigned keep = prefixlen >= (i + 1) * 8 ? 8 : prefixlen > i * 8 ? prefixlen - i * 8 : 0;
                uint8_t mask = keep == 0 ? 0 : (uint8_t) (0xff << (8 - keep));

                if (a[i] & ~mask)
                        return false;
        }
        return true;
}

int cidr_parse(const char *s, int *ret_family, uint8_t ret_address[static 16], unsigned *ret_prefixlen) {
        char buf[INET6_ADDRSTRLEN];
        uint8_t a[16] = {};
        const char *slash;
        unsigned prefixlen;
        size_t n;
        int family;

        if (isempty(s))
                return -EINVAL;
        slash = strchr(s, '/');
        n = slash ? (size_t) (slash - s) : strlen(s);
        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = 0;
        family = strchr(buf, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(family, buf, a) != 1)
                return -EINVAL;
        prefixlen = family == AF_INET ? 32 : 128;
        if (slash && parse_prefixlen(slash + 1, prefixlen, &prefixlen) < 0)
                return -EINVAL;
        if (!host_bits_clear(a, family == AF_INET ? 4 : 16, prefixlen))
                return -EINVAL;
        *ret_family = family;
        memcpy(ret_address, a, sizeof(a));
        *ret_prefixlen = prefixlen;
        return 0;
}

bool cidr_is_valid(const char *s) {
        uint8_t a[16];
        unsigned l;
        int f;

        return cidr_parse(s, &f, a, &l) >= 0;
}

static bool env_assignment_is_valid(const char *s) {
        size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

        return n > 0 && !isdigit((unsigned char) s[0]) && s[n] == '=' && !string_has_cc(s);
}

static int validate_identity(const SessionPolicy *p) {
        if (!session_id_is_valid(p->session_id) || !project_name_is_valid(p->project))
                return -EINVAL;
        if (p->owner_uid == (uid_t) -1)
                return -EINVAL;
        switch (p->identity) {
        case SESSION_IDENTITY_OWNER:
                /* A session never runs as root: with no capabilities root still owns the host's
                 * files. Root gets the dynamic identity instead. */
                if (p->owner_uid == 0 || isempty(p->owner_name) || streq(p->owner_name, "root") ||
                    strpbrk(p->owner_name, "/: ") || string_has_cc(p->owner_name))
                        return -EINVAL;
                return path_is_safe(p->workspace) && path_is_safe(p->workspace_mount) ? 0 : -EINVAL;
        case SESSION_IDENTITY_DYNAMIC:
                /* The workspace is the StateDirectory= systemd creates for the dynamic user; so
                 * are the transcripts, below SESSION_TRANSCRIPT_SUBDIR. */
                if (p->transcripts && (!startswith(p->transcripts, SESSION_TRANSCRIPT_SUBDIR "/") ||
                                       strstr(p->transcripts, "..") || strstr(p->transcripts, "//") ||
                                       strspn(p->transcripts, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                              "0123456789_/-") != strlen(p->transcripts)))
                        return -EINVAL;
                return p->workspace || p->workspace_mount ? -EINVAL : 0;
        default:
                return -EINVAL;
        }
}

static int validate_network(const SessionPolicy *p) {
        if (p->network < 0 || p->network >= _NETWORK_POLICY_MAX)
                return -EINVAL;
        STRV_FOREACH(c, p->allowed_cidrs)
                if (!cidr_is_valid(*c))
                        return -EINVAL;
        /* An empty allowlist would be "none" without PrivateNetwork=; say so instead. */
        if (p->network == NETWORK_POLICY_ALLOWLIST && strv_length(p->allowed_cidrs) == 0)
                return -EINVAL;
        return 0;
}

static int validate_exec(const SessionPolicy *p) {
        if (strv_length(p->argv) == 0 || !path_is_safe(p->argv[0]) || strchr(p->argv[0], '$'))
                return -EINVAL;
        STRV_FOREACH(e, p->environment)
                if (!env_assignment_is_valid(*e))
                        return -EINVAL;
        for (size_t i = 0; i < p->n_credentials; i++)
                if (!credential_name_is_valid(p->credentials[i].name) ||
                    !path_is_safe(p->credentials[i].path))
                        return -EINVAL;
        if (p->stdio < 0 || p->stdio >= _SESSION_STDIO_MAX)
                return -EINVAL;
        return 0;
}

int session_policy_validate(const SessionPolicy *p) {
        int r;

        assert(p);
        r = validate_identity(p);
        if (r < 0)
                return r;
        if ((p->storage && !path_is_safe(p->storage)) ||
            (p->inference_socket && !path_is_safe(p->inference_socket)) ||
            (p->egress_socket && !path_is_safe(p->egress_socket)))
                return -EINVAL;
        r = validate_network(p);
        if (r < 0)
                return r;
        if (p->memory_max == 0 || p->tasks_max == 0 || p->runtime_max_usec == 0 || p->io_weight > 10000)
                return -EINVAL;
        return validate_exec(p);
}

/* The builders below add one area each. They return 0 or the first negative errno. */

static int add_switches(UnitProperties *u, const char *const *names) {
        for (; *names; names++) {
                int r = unit_properties_add_boolean(u, *names, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_unit(const SessionPolicy *p, UnitProperties *u) {
        _cleanup_free_ char *description = NULL, *slice = NULL;
        int r;

        /* Every local user can read a unit's description: it names the session only. The
         * project of an ad-hoc session is the name of the owner's directory. */
        if (asprintf(&description, "OpenMono session %s", p->session_id) < 0)
                return -ENOMEM;
        r = session_slice_name(p->owner_uid, &slice);
        if (r < 0)
                return r;
        r = unit_properties_add_string(u, "Description", description);
        if (r >= 0)
                r = unit_properties_add_string(u, "Slice", slice);
        /* A failed session must not linger as a failed unit that blocks reusing its name. */
        if (r >= 0)
                r = unit_properties_add_string(u, "CollectMode", "inactive-or-failed");
        /* Type=exec: the start job fails when the command cannot be executed, so the caller gets
         * an error instead of a unit that dies right after "started". */
        if (r >= 0)
                r = unit_properties_add_string(u, "Type", "exec");
        return r;
}

/* Returns the host path systemd binds at /workspace: the controller's pin of the owner's checkout,
 * or the directory systemd keeps for a dynamic user's StateDirectory=. That lives under
 * /var/lib/private/; bind mount sources are resolved on the host, so this is the real directory
 * rather than the symlink in /var/lib/. No user controls a component of that path: /var/lib/private
 * is root's and 0700, openmono-workspaces is created by systemd and root's, and <project> is a
 * valid project name (no slash, no dots) whose directory only the dynamic user owns, in a parent it
 * cannot write, so it can be neither renamed nor replaced by a symlink. */
static int workspace_source(const SessionPolicy *p, char **ret) {
        if (p->identity == SESSION_IDENTITY_OWNER)
                *ret = strdup(p->workspace_mount);
        else if (asprintf(ret, "/var/lib/private/" SESSION_STATE_SUBDIR "/%s", p->project) < 0)
                *ret = NULL;
        return *ret ? 0 : -ENOMEM;
}

static int build_identity(const SessionPolicy *p, UnitProperties *u) {
        _cleanup_free_ char *user = NULL, *state = NULL, *group = NULL;
        char *dirs[3] = {};
        int r;

        if (p->identity == SESSION_IDENTITY_OWNER) {
                /* Files the agent writes belong to the owner, as if they had written them. */
                r = unit_properties_add_string(u, "User", p->owner_name);
                if (r < 0 || p->owner_gid == (gid_t) -1)
                        return r;
                if (asprintf(&group, "%u", (unsigned) p->owner_gid) < 0)
                        return -ENOMEM;
                return unit_properties_add_string(u, "Group", group);
        }

        /* A stable name gives a stable UID (systemd derives it from the name), so the project's
         * state directory keeps its owner from one session to the next. */
        if (asprintf(&user, "om-%s", p->project) < 0 ||
            asprintf(&state, SESSION_STATE_SUBDIR "/%s", p->project) < 0)
                return -ENOMEM;
        dirs[0] = state;
        /* The caller's transcripts: systemd makes /var/lib/private visible inside a dynamic
         * user's unit with only that unit's own directories in it, so other users' sessions of
         * the project, which run as the same dynamic user, never see this one. */
        dirs[1] = p->transcripts;
        r = unit_properties_add_boolean(u, "DynamicUser", true);
        if (r >= 0)
                r = unit_properties_add_string(u, "User", user);
        if (r >= 0)
                r = unit_properties_add_strv(u, "StateDirectory", dirs);
        return r;
}

/* /run is an allow list. Host sockets live there (libvirt, podman, containerd, PostgreSQL, userdb,
 * the system bus, PID 1's private bus...), many of them root-equivalent for groups that the owner
 * and so the session belong to, and new ones appear with every package; a deny list is always one
 * behind. A session gets an empty tmpfs at /run and, bound read-only on top, only what follows.
 *
 * What systemd 252 itself needs there, found in its src/core/namespace.c and tried on 252:
 * - It builds the namespace under /run/systemd/unit-root and takes the nodes it over-mounts for
 *   InaccessiblePaths= and ProtectKernelLogs= from the host's /run/systemd/inaccessible/, so a
 *   tmpfs on the session's /run does not take them away from it.
 * - It binds the unit's propagation directory at /run/systemd/incoming (root-only, for later
 *   `systemctl bind`) and fails the unit with 226/NAMESPACE ("... is masked by ...") when an
 *   InaccessiblePaths= entry covers it; that is why hiding /run/systemd fails. Its own mount
 *   lands on top of our tmpfs, as do /run/credentials (a tmpfs holding only the unit's own
 *   $CREDENTIALS_DIRECTORY) and the empty /run/user of ProtectHome=.
 * - Type=exec needs no /run/systemd/notify, and stdout/stderr are connected to the journal before
 *   the namespace is set up. The journal sockets, for programs that log themselves (syslog(3),
 *   sd_journal_print(3), logger, systemd-cat; /dev/log of PrivateDevices= points at dev-log), are
 *   not here: LogNamespace= (build_journal()) binds the sessions' own journal namespace at
 *   /run/systemd/journal, and a bind of the system journal's sockets would land on top of it.
 * /var/run is a symlink to /run on every host systemd supports (252 taints itself "var-run-bad"
 * otherwise), so it shows the same. '-': a path missing on the host is skipped. */
static const char *const run_visible_paths[] = {
        /* Where /etc/resolv.conf points on hosts with systemd-resolved, resolvconf or
         * NetworkManager: files only, so intranet sessions keep their DNS servers. resolved's
         * varlink socket is not among them: it would resolve names, an exfiltration channel, for
         * sessions without a network. */
        "/run/systemd/resolve/stub-resolv.conf",
        "/run/systemd/resolve/resolv.conf",
        "/run/resolvconf/resolv.conf",
        "/run/NetworkManager/resolv.conf",
        "/run/NetworkManager/no-stub-resolv.conf",
        NULL,
};

/* Places outside /run where root-equivalent sockets live, and the controller's own state. */
static const char *const inaccessible_paths[] = {
        /* Of the sessions' journal namespace, bound at /run/systemd/journal, only the sockets to
         * log to: not its (root-only) control socket, nor the files naming other sessions' streams. */
        "-/run/systemd/journal/io.systemd.journal",
        "-/run/systemd/journal/streams",
        "-" STATEDIR,                           /* the controller's state and secret store */
        "-/var/lib/incus",                      /* unix.socket: root-equivalent for group incus-admin */
        "-/var/lib/lxd",                        /* the same for group lxd */
        "-/var/snap",                           /* snaps' sockets: lxd, microk8s, docker... */
        "-/var/lib/snapd",
        "-/var/lib/docker",
        "-/var/lib/containerd",
        "-/var/lib/kubelet",                    /* pod-resources and device-plugin sockets */
        "-/var/lib/libvirt",
        NULL,
};

static int add_run_allow_list(const SessionPolicy *p, UnitProperties *u) {
        int r;

        r = unit_properties_add_tmpfs(u, "TemporaryFileSystem", "/run", "mode=0755,nosuid,nodev,noexec");
        for (const char *const *b = run_visible_paths; r >= 0 && *b; b++)
                r = unit_properties_add_bind_path(u, "BindReadOnlyPaths", *b, *b, true);
        /* The model is reached only through this socket; a path socket works even without a
         * network. '-': a gateway that is not installed must not keep sessions from starting.
         * The bind pins the socket's inode, which stays the same as long as openmono-gatewayd.socket
         * owns it, across restarts of the gateway itself. */
        if (r >= 0 && p->inference_socket)
                r = unit_properties_add_bind_path(u, "BindReadOnlyPaths", p->inference_socket,
                                                  p->inference_socket, true);
        /* The same for the egress proxy, only where the session may use it. */
        if (r >= 0 && session_policy_has_egress_relay(p))
                r = unit_properties_add_bind_path(u, "BindReadOnlyPaths", p->egress_socket,
                                                  p->egress_socket, true);
        /* A dynamic user has no passwd entry: its name comes from PID 1 through nss-systemd. That
         * socket answers user and group lookups only (its other method is for systemd-oomd's UID). */
        if (r >= 0 && p->identity == SESSION_IDENTITY_DYNAMIC)
                r = unit_properties_add_bind_path(u, "BindReadOnlyPaths",
                                                  "/run/systemd/userdb/io.systemd.DynamicUser",
                                                  "/run/systemd/userdb/io.systemd.DynamicUser", true);
        return r;
}

static int build_filesystem(const SessionPolicy *p, UnitProperties *u) {
        /* PrivateIPC: SysV IPC of the owner's other processes stays out of reach. */
        static const char *const switches[] = { "PrivateTmp", "PrivateDevices", "PrivateIPC", NULL };
        _cleanup_free_ char *workspace = NULL;
        int r;

        r = workspace_source(p, &workspace);
        if (r >= 0)
                r = unit_properties_add_string(u, "ProtectSystem", "strict");
        /* tmpfs rather than "yes": the owner's $HOME is then an empty directory that tools can
         * stat and enter, not one that fails with EACCES. */
        if (r >= 0)
                r = unit_properties_add_string(u, "ProtectHome", "tmpfs");
        if (r >= 0)
                r = add_switches(u, switches);
        if (r >= 0)
                r = unit_properties_add_string(u, "ProtectProc", "invisible");
        if (r >= 0)
                r = unit_properties_add_string(u, "ProcSubset", "pid");
        /* PrivateDevices= binds the host's /dev/shm into its private /dev: POSIX shared memory of
         * every user (world-writable segments, too) would stay in reach. */
        if (r >= 0)
                r = unit_properties_add_tmpfs(u, "TemporaryFileSystem", "/dev/shm", "mode=1777,nosuid,nodev");
        if (r >= 0)
                r = unit_properties_add_bind_path(u, "BindPaths", workspace, SESSION_WORKSPACE_DIR, false);
        if (r >= 0 && p->storage)
                r = unit_properties_add_bind_path(u, "BindPaths", p->storage, SESSION_STORAGE_DIR, false);
        if (r >= 0)
                r = add_run_allow_list(p, u);
        if (r >= 0)
                r = unit_properties_add_strv(u, "InaccessiblePaths", (char **) inaccessible_paths);
        if (r >= 0)
                r = unit_properties_add_string(u, "WorkingDirectory", SESSION_WORKSPACE_DIR);
        if (r >= 0)
                r = unit_properties_add_uint32(u, "UMask", 0022);
        return r;
}

/* RFC 1918 and the IPv6 unique local range. Loopback is not here: on the host's network namespace
 * 127.0.0.0/8 reaches every local daemon, which is the opposite of "intranet". */
static const char *const intranet_cidrs[] = {
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
        NULL,
};

char *const *session_policy_intranet_cidrs(void) {
        return (char *const *) intranet_cidrs;
}

static const char *const loopback_cidrs[] = { "127.0.0.0/8", "::1/128", NULL };

static int add_cidrs(UnitProperties *u, const char *name, char *const *cidrs) {
        STRV_FOREACH(c, cidrs) {
                uint8_t a[16];
                unsigned prefixlen;
                int family, r;

                r = cidr_parse(*c, &family, a, &prefixlen);
                if (r < 0)
                        return r;
                r = unit_properties_add_ip_address(u, name, family, a, prefixlen);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Adds cidrs minus the never-reachable ranges as IPAddressAllow=: IPAddressAllow= beats
 * IPAddressDeny=, so a range that must stay out is cut out of the list instead of denied. Those
 * are the forbidden ranges (unless forbidden is false: an administrator's "internet") and the
 * gateway's upstream servers, which a session reaches only through the gateway. fc00::/7, for
 * one, holds a cloud metadata address (AWS's fd00:ec2::254). */
static int add_allowed(UnitProperties *u, char *const *cidrs, const SessionPolicy *p, bool forbidden) {
        _cleanup_free_ Cidr *list = NULL, *minus = NULL;
        _cleanup_strv_free_ char **left = NULL;
        const Cidr *f;
        size_t n_forbidden;
        int n, m, r;

        n = cidr_list_parse(cidrs, &list, NULL);
        m = n < 0 ? 0 : cidr_list_parse(p->unreachable_cidrs, &minus, NULL);
        if (n < 0 || m < 0)
                return n < 0 ? n : m;
        f = cidr_forbidden_ranges(&n_forbidden);
        if (forbidden) {
                Cidr *all = reallocarray(minus, (size_t) m + n_forbidden, sizeof(Cidr));

                if (!all)
                        return -ENOMEM;
                minus = all;
                memcpy(minus + m, f, n_forbidden * sizeof(Cidr));
                m += (int) n_forbidden;
        }
        r = cidr_list_subtract_format(list, (size_t) n, minus, (size_t) m, &left);
        return r < 0 ? r : add_cidrs(u, "IPAddressAllow", left);
}

static int build_network(const SessionPolicy *p, UnitProperties *u) {
        static char *const any[] = { (char *) "0.0.0.0/0", (char *) "::/0", NULL };
        static char *const ip_families[] = {
                (char *) "AF_UNIX", (char *) "AF_INET", (char *) "AF_INET6", NULL,
        };
        int r = 0;

        /* proxy: nothing but lo, so no DNS and no route; the session leaves only through the
         * relays on its loopback, to the gateway and to the egress proxy. */
        if (p->network == NETWORK_POLICY_NONE || p->network == NETWORK_POLICY_PROXY)
                r = unit_properties_add_boolean(u, "PrivateNetwork", true);
        else {
                /* Every other policy runs in the session's own namespace, routed to the host but
                 * cut off from the host itself (session-netns.h); the filters below still decide
                 * where its packets may go. */
                r = session_netns_add_properties(u, p->session_id);
                /* Allow entries win over deny entries, so "deny any" plus a list is a list. */
                if (r >= 0 && (p->network != NETWORK_POLICY_INTERNET || p->unreachable_cidrs))
                        r = add_cidrs(u, "IPAddressDeny", any);
                if (r >= 0 && p->network == NETWORK_POLICY_INTERNET && p->unreachable_cidrs)
                        r = add_allowed(u, any, p, /* forbidden= */ false);
                if (r >= 0 && p->network == NETWORK_POLICY_INTRANET)
                        r = add_allowed(u, (char *const *) intranet_cidrs, p, /* forbidden= */ true);
                if (r >= 0 && p->network != NETWORK_POLICY_INTERNET)
                        r = add_allowed(u, p->allowed_cidrs, p, /* forbidden= */ true);
                /* The cgroup filters see loopback traffic too: in a namespace of its own the
                 * session must reach its own 127.0.0.1, where the model URL and its test servers
                 * listen. Never on the host's, which is every local daemon's. */
                if (r >= 0 && (p->network != NETWORK_POLICY_INTERNET || p->unreachable_cidrs) &&
                    session_policy_has_own_network(p))
                        r = add_cidrs(u, "IPAddressAllow", (char **) loopback_cidrs);
        }
        /* No AF_NETLINK, AF_PACKET or others: the IP filters above see AF_INET/AF_INET6 only.
         * Under PrivateNetwork= IP stays allowed: it reaches only the session's own loopback,
         * where test suites start their local servers. */
        if (r >= 0)
                r = unit_properties_add_name_list(u, "RestrictAddressFamilies", true, ip_families);
        /* Per-session traffic counters for the audit trail and for spotting exfiltration. */
        if (r >= 0)
                r = unit_properties_add_boolean(u, "IPAccounting", true);
        return r;
}

/* Taken out of @system-service; they fail with EPERM like any unprivileged attempt. Not listed
 * because @system-service never allowed them: bpf, perf_event_open, ptrace, pidfd_getfd,
 * open_by_handle_at, fanotify_init, the mount API (fsopen, fsmount, open_tree, move_mount), chroot
 * and pivot_root; unshare and setns are RestrictNamespaces=' job. process_vm_readv/writev and
 * kcmp stay: PrivateUsers= gives the session a user namespace of its own, and the kernel's ptrace
 * check then refuses every process outside the session, the owner's own included. */
static const char *const denied_syscalls[] = {
        /* Of @privileged, @system-service holds capset, @chown and the set*id calls. Only capset
         * goes: make and glibc's seteuid() call setresuid(), tar and cp -p call chown(), and
         * without capabilities (empty bounding set, NoNewPrivileges=) these can only switch
         * between IDs the process already has or give files to the owner's own groups. */
        "capset",
        /* Scheduling and rlimit calls: glibc raises limits with prlimit64(), which stays. */
        "@resources",
        /* io_uring creates sockets and files itself (IORING_OP_SOCKET, IORING_OP_OPENAT) without
         * the socket() that RestrictAddressFamilies= filters: AF_NETLINK and AF_VSOCK sockets in a
         * session otherwise. Builds use read()/write() and epoll. */
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        /* A favourite of kernel exploits for stretching race windows; only CRIU-style tools and a
         * few garbage collectors use it. */
        "userfaultfd",
        /* Kernel keyrings are per-user kernel state, not per session; builds do not use them and
         * KeyringMode=private already gives the session an empty session keyring. */
        "@keyring",
        NULL,
};

static int build_privileges(const SessionPolicy *p, UnitProperties *u) {
        static const char *const switches[] = {
                "NoNewPrivileges", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
                "ProtectControlGroups", "ProtectClock", "ProtectHostname", "LockPersonality",
                "RestrictSUIDSGID", "RestrictRealtime", "RemoveIPC", NULL,
        };
        static char *const service[] = { (char *) "@system-service", NULL };
        static char *const native[] = { (char *) "native", NULL };
        int r;

        /* MemoryDenyWriteExecute= is deliberately not set: it breaks every JIT the agent may run
         * (node, java, pypy, LuaJIT, PCRE2's JIT in grep -P). */
        r = add_switches(u, switches);
        /* A user namespace that maps only root and the session's own user: other users' files and
         * processes show up as "nobody", and capabilities inside it mean nothing on the host. */
        if (r >= 0)
                r = unit_properties_add_boolean(u, "PrivateUsers", true);
        /* Empty sets: the bus takes the capability mask and, for namespaces, the allowed set. */
        if (r >= 0)
                r = unit_properties_add_uint64(u, "CapabilityBoundingSet", 0);
        if (r >= 0)
                r = unit_properties_add_uint64(u, "AmbientCapabilities", 0);
        if (r >= 0)
                r = unit_properties_add_uint64(u, "RestrictNamespaces", 0);
        if (r >= 0)
                r = unit_properties_add_name_list(u, "SystemCallFilter", true, service);
        if (r >= 0)
                r = unit_properties_add_name_list(u, "SystemCallFilter", false, (char **) denied_syscalls);
        if (r >= 0)
                r = unit_properties_add_strv(u, "SystemCallArchitectures", native);
        if (r >= 0)
                r = unit_properties_add_int32(u, "SystemCallErrorNumber", EPERM);
        /* The session's keys stay its own, not the owner's login keyring. */
        if (r >= 0)
                r = unit_properties_add_string(u, "KeyringMode", "private");
        if (r >= 0)
                r = unit_properties_add_string(u, "DevicePolicy", "closed");
        return r;
}

/* Unset limits are left out, so the slice's and systemd's defaults apply. */
static int build_limits(const SessionPolicy *p, UnitProperties *u) {
        int r = 0;

        if (p->memory_max != UINT64_MAX)
                r = unit_properties_add_uint64(u, "MemoryMax", p->memory_max);
        /* CPUQuota=100% is 1 s of CPU time per second. */
        if (r >= 0 && p->cpu_quota_percent > 0)
                r = unit_properties_add_uint64(u, "CPUQuotaPerSecUSec",
                                               (uint64_t) p->cpu_quota_percent * 10000);
        if (r >= 0 && p->tasks_max != UINT64_MAX)
                r = unit_properties_add_uint64(u, "TasksMax", p->tasks_max);
        if (r >= 0 && p->runtime_max_usec != UINT64_MAX)
                r = unit_properties_add_uint64(u, "RuntimeMaxUSec", p->runtime_max_usec);
        if (r >= 0 && p->io_weight > 0)
                r = unit_properties_add_uint64(u, "IOWeight", p->io_weight);
        return r;
}

/* All that a session logs, by any way in (stdout, syslog(3) and /dev/log, sd_journal_send(),
 * systemd-cat), goes to a journal namespace of its own: systemd bind-mounts the namespace's
 * /run/systemd/journal.openmono over /run/systemd/journal inside the unit, and /dev/log points
 * there. The system journal, with the audit trail, is then out of a session's reach however much
 * it writes; the rate limit keeps one session from crowding out the others in the namespace.
 * Nothing else may bind anything at or below /run/systemd/journal into a session: a later bind
 * of the system journal's sockets would land on top of the namespace's. */
static int build_journal(UnitProperties *u) {
        int r;

        r = unit_properties_add_string(u, "LogNamespace", SESSION_LOG_NAMESPACE);
        if (r >= 0)
                r = unit_properties_add_uint64(u, "LogRateLimitIntervalUSec",
                                               SESSION_LOG_RATE_LIMIT_INTERVAL_USEC);
        if (r >= 0)
                r = unit_properties_add_uint32(u, "LogRateLimitBurst", SESSION_LOG_RATE_LIMIT_BURST);
        return r;
}

static int build_stdio(const SessionPolicy *p, UnitProperties *u) {
        static const char *const names[] = {
                "StandardInputFileDescriptor", "StandardOutputFileDescriptor", "StandardErrorFileDescriptor",
        };
        int r;

        r = build_journal(u);
        if (r < 0)
                return r;
        if (p->stdio == SESSION_STDIO_JOURNAL) {
                r = unit_properties_add_string(u, "StandardOutput", "journal");
                return r < 0 ? r : unit_properties_add_string(u, "StandardError", "journal");
        }
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                if (p->stdio_fds[i] < 0)
                        return -EBADF;
                r = unit_properties_add_fd(u, names[i], p->stdio_fds[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* systemd expands $VAR and ${VAR} in ExecStart= arguments when it runs them; "$$" is a literal
 * '$'. A prompt that mentions $HOME must reach the agent as written. */
static int escape_dollars(char *const *argv, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        STRV_FOREACH(a, argv) {
                char *e = malloc(strlen(*a) * 2 + 1), *q = e;

                if (!e)
                        return -ENOMEM;
                for (const char *s = *a; *s; s++) {
                        if (*s == '$')
                                *q++ = '$';
                        *q++ = *s;
                }
                *q = 0;
                if (strv_consume(&l, e) < 0)
                        return -ENOMEM;
        }
        *ret = steal_ptr(l);
        return 0;
}

bool session_policy_has_own_network(const SessionPolicy *p) {
        /* PrivateNetwork=yes: systemd makes a namespace with nothing but lo; every other policy
         * joins the session's own routed namespace (session-netns.h). Either way 127.0.0.1 is
         * the session's, never the host's. */
        return p->network >= 0 && p->network < _NETWORK_POLICY_MAX;
}

bool session_policy_has_model_url(const SessionPolicy *p) {
        return p->model_url && p->inference_socket && session_policy_has_own_network(p);
}

bool session_policy_has_egress_relay(const SessionPolicy *p) {
        if (!p->egress_socket || !session_policy_has_own_network(p))
                return false;
        if (p->network == NETWORK_POLICY_PROXY)
                return true;
        return (p->network == NETWORK_POLICY_INTRANET || p->network == NETWORK_POLICY_ALLOWLIST) &&
                strv_length(p->allowed_domains) > 0;
}

/* The model URL. The variables are what the OpenAI SDKs and the tools built on them read; the key
 * is a placeholder, since the gateway knows the caller from the kernel and ignores what the
 * request claims. */
static int add_model_url(const SessionPolicy *p, UnitProperties *u, char ***argv) {
        static char *const env[] = {
                (char *) "OPENAI_BASE_URL=" SESSION_MODEL_URL,
                (char *) "OPENAI_API_BASE=" SESSION_MODEL_URL,
                (char *) "OPENAI_API_KEY=openmono",
                NULL,
        };
        int r;

        r = strv_extend(argv, "--model-port=" XSTRINGIFY(SESSION_MODEL_PORT));
        if (r >= 0)
                r = strv_extendf(argv, "--inference-socket=%s", p->inference_socket);
        if (r >= 0)
                r = unit_properties_add_strv(u, "Environment", env);
        return r;
}

/* What clients must not send to the proxy: the session's own loopback (the model URL, test
 * servers) and, under intranet and allowlist, the ranges it reaches directly. curl, pip, git and
 * npm read CIDRs there. */
static int egress_no_proxy(const SessionPolicy *p, char **ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = strv_extend_strv(&l, (char *const[]) { (char *) "localhost", (char *) "127.0.0.1", (char *) "::1", NULL });
        if (r >= 0 && p->network == NETWORK_POLICY_INTRANET)
                r = strv_extend_strv(&l, (char *const *) intranet_cidrs);
        if (r >= 0 && p->network != NETWORK_POLICY_PROXY)
                r = strv_extend_strv(&l, p->allowed_cidrs);
        if (r < 0)
                return r;
        *ret = strv_join(l, ",");
        return *ret ? 0 : -ENOMEM;
}

/* The egress proxy, in both spellings of the variables: curl reads only the lower-case http_proxy,
 * Python and Go either, npm and git the upper-case ones too. */
static int add_egress_relay(const SessionPolicy *p, UnitProperties *u, char ***argv) {
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *no_proxy = NULL;
        int r;

        r = strv_extend(argv, "--egress-port=" XSTRINGIFY(SESSION_EGRESS_PORT));
        if (r >= 0)
                r = strv_extendf(argv, "--egress-socket=%s", p->egress_socket);
        if (r >= 0)
                r = egress_no_proxy(p, &no_proxy);
        for (const char *const *v = (const char *const[]) { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy",
                                                             "https_proxy", NULL };
             r >= 0 && *v; v++)
                r = strv_extendf(&env, "%s=" SESSION_EGRESS_PROXY_URL, *v);
        if (r >= 0)
                r = strv_extendf(&env, "NO_PROXY=%s", no_proxy);
        if (r >= 0)
                r = strv_extendf(&env, "no_proxy=%s", no_proxy);
        if (r >= 0)
                r = unit_properties_add_strv(u, "Environment", env);
        return r;
}

/* The relays on the session's loopback: openmono-session-init runs first, leaves them listening
 * and becomes the command. */
static int add_session_init(const SessionPolicy *p, UnitProperties *u, char ***argv) {
        int r;

        if (!session_policy_has_model_url(p) && !session_policy_has_egress_relay(p))
                return 0;
        r = strv_extend(argv, SESSION_INIT_PATH);
        if (r >= 0 && session_policy_has_model_url(p))
                r = add_model_url(p, u, argv);
        if (r >= 0 && session_policy_has_egress_relay(p))
                r = add_egress_relay(p, u, argv);
        if (r >= 0)
                r = strv_extend(argv, "--");
        return r;
}

static int build_exec(const SessionPolicy *p, UnitProperties *u) {
        _cleanup_strv_free_ char **command = NULL, **argv = NULL;
        int r = 0;

        if (p->environment && p->environment[0])
                r = unit_properties_add_strv(u, "Environment", p->environment);
        /* Secrets go in as credentials only: LoadCredential= reads a root-only staged file.
         * SetCredential= is never used, since systemd 252 writes its value into a world-readable
         * transient unit file and publishes it as a bus property. */
        for (size_t i = 0; r >= 0 && i < p->n_credentials; i++)
                r = unit_properties_add_credential(u, "LoadCredential", p->credentials[i].name,
                                                   p->credentials[i].path);
        if (r >= 0)
                r = build_stdio(p, u);
        if (r >= 0)
                r = add_session_init(p, u, &command);
        if (r >= 0)
                r = strv_extend_strv(&command, p->argv);
        if (r >= 0)
                r = escape_dollars(command, &argv);
        if (r >= 0)
                r = unit_properties_add_exec(u, "ExecStart", argv);
        return r;
}

int session_policy_to_unit_properties(const SessionPolicy *p, UnitProperties **ret) {
        static int (*const builders[])(const SessionPolicy *p, UnitProperties *u) = {
                build_unit, build_identity, build_filesystem, build_network,
                build_privileges, build_limits, build_exec,
        };
        _cleanup_(unit_properties_freep) UnitProperties *u = NULL;
        int r;

        assert(p);
        assert(ret);

        r = session_policy_validate(p);
        if (r < 0)
                return r;
        u = unit_properties_new();
        if (!u)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(builders); i++) {
                r = builders[i](p, u);
                if (r < 0)
                        return r;
        }
        *ret = steal_ptr(u);
        return 0;
}
