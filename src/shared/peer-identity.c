/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Identifying the peer of a connection to one of our daemons from the kernel's view of it.
 *
 * SO_PEERCRED gives the uid and PID the peer had when it called connect(). The uid is fixed
 * then and cannot be spoofed; the PID only names a process, and by the time we look at
 * /proc/PID/cgroup the connecting process may have exited and its PID been reused (its socket
 * can live on in a child). SO_PEERPIDFD, which would pin the process itself, is newer than
 * the kernels we support, so this is what we do instead:
 *
 *   1. pidfd_open(PID) pins whichever process has the PID now;
 *   2. /proc/PID/status and /proc/PID/cgroup are read;
 *   3. the pidfd must still not have exited, so both files described the pinned process;
 *   4. that process's effective uid must be the uid SO_PEERCRED reported.
 *
 * A process that took over the PID therefore belongs to the same user as the caller, and the
 * worst a race can do is credit a request to another session of that same user. It can never
 * make one user's request count as another's, nor turn a process outside any session into
 * one inside (a session's processes run as its owner or as a project's DynamicUser, and in
 * either case the slice names the owner). Identification happens when the connection is
 * accepted, right after connect(), which keeps the window small to begin with. */

#include <fcntl.h>
#include <poll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>

#include "peer-identity.h"
#include "session-policy.h"
#include "user-util.h"

/* systemd's range for DynamicUser= uids (61184…65519). */
#define DYNAMIC_UID_MIN 61184U
#define DYNAMIC_UID_MAX 65519U
#define PROC_FILE_MAX (64U * 1024U)

PeerIdentity *peer_identity_free(PeerIdentity *p) {
        if (!p)
                return NULL;
        free(p->session);
        free(p->user_name);
        return mfree(p);
}

int peer_identity_to_string(const PeerIdentity *p, char **ret) {
        char *s;

        if (p->session ? asprintf(&s, "%s/%s", p->user_name, p->session) < 0 : !(s = strdup(p->user_name)))
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* Parses "<prefix><decimal><suffix>" exactly; the number must fit a uid_t and not be -1. */
static bool parse_uid_name(const char *s, size_t n, const char *prefix, const char *suffix, uid_t *ret) {
        size_t lp = strlen(prefix), ls = strlen(suffix);
        uint64_t v = 0;

        if (n <= lp + ls || strncmp(s, prefix, lp) != 0 || strncmp(s + n - ls, suffix, ls) != 0)
                return false;
        for (size_t i = lp; i < n - ls; i++) {
                if (s[i] < '0' || s[i] > '9' || (i == lp && s[i] == '0' && i + 1 < n - ls))
                        return false;
                v = v * 10 + (uint64_t) (s[i] - '0');
                if (v >= UINT32_MAX)
                        return false;
        }
        *ret = (uid_t) v;
        return true;
}

int cgroup_path_parse_session(const char *path, uid_t *ret_uid, char **ret_session) {
        const char *p, *slash, *unit;
        char *id;
        uid_t uid;

        p = startswith(path, "/" SESSION_SLICE "/");
        if (!p)
                return 0;
        slash = strchr(p, '/');
        if (!slash || !parse_uid_name(p, (size_t) (slash - p), "openmono-u", ".slice", &uid))
                return 0;
        unit = startswith(slash + 1, "openmono-session-");
        /* Nothing may follow the unit: deeper cgroups are not the session's own. */
        if (!unit || strchr(unit, '/'))
                return 0;
        if (strlen(unit) <= strlen(".service") || !streq(unit + strlen(unit) - strlen(".service"), ".service"))
                return 0;
        id = strndup(unit, strlen(unit) - strlen(".service"));
        if (!id)
                return -ENOMEM;
        if (!session_id_is_valid(id)) {
                free(id);
                return 0;
        }
        *ret_uid = uid;
        *ret_session = id;
        return 1;
}

int cgroup_file_parse_session(const char *contents, size_t n, uid_t *ret_uid, char **ret_session) {
        _cleanup_free_ char *unified = NULL, *named = NULL;
        const char *end = contents + n;

        for (const char *l = contents; l < end;) {
                const char *nl = memchr(l, '\n', (size_t) (end - l)) ?: end;
                size_t len = (size_t) (nl - l);
                const char *path = NULL;
                char **slot = NULL;

                if (len >= 3 && strncmp(l, "0::", 3) == 0)
                        path = l + 3, slot = &unified;
                else {
                        const char *c = memchr(l, ':', len);
                        if (c && (size_t) (nl - c) > 15 && strncmp(c, ":name=systemd:", 14) == 0)
                                path = c + 14, slot = &named;
                }
                if (slot && !*slot && !memchr(path, 0, (size_t) (nl - path))) {
                        *slot = strndup(path, (size_t) (nl - path));
                        if (!*slot)
                                return -ENOMEM;
                }
                l = nl + 1;
        }
        /* On a hybrid layout systemd keeps its tree in name=systemd; the unified line then
         * shows a tree systemd does not manage by unit, so that one decides. */
        if (named)
                return cgroup_path_parse_session(named, ret_uid, ret_session);
        if (unified)
                return cgroup_path_parse_session(unified, ret_uid, ret_session);
        return -EBADMSG;
}

static int read_proc_file(pid_t pid, const char *name, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        char path[64];
        size_t n = 0;
        ssize_t k;

        snprintf(path, sizeof path, "/proc/%i/%s", (int) pid, name);
        fd = NEG_ERRNO(open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY));
        if (fd < 0)
                return fd == -ENOENT ? -ESRCH : fd;
        buf = malloc(PROC_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        while (n < PROC_FILE_MAX && (k = read(fd, buf + n, PROC_FILE_MAX - n)) != 0) {
                if (k < 0)
                        return errno == ESRCH ? -ESRCH : -errno;
                n += (size_t) k;
        }
        buf[n] = 0;
        *ret = steal_ptr(buf);
        *ret_size = n;
        return 0;
}

/* The effective uid from the "Uid:" line of /proc/PID/status. */
static int status_euid(const char *status, uid_t *ret) {
        const char *l = strstr(status, "\nUid:");
        unsigned real, eff;

        if (!l || sscanf(l + 5, "%u %u", &real, &eff) != 2)
                return -EBADMSG;
        *ret = (uid_t) eff;
        return 0;
}

static bool pidfd_exited(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        return poll(&p, 1, 0) != 0;
}

/* Identifies p->pid; on success hands the pidfd that pinned it to *ret_pidfd if not NULL. */
static int identify_process(PeerIdentity *p, int *ret_pidfd) {
        _cleanup_free_ char *status = NULL, *cgroup = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        size_t n_status, n_cgroup;
        uid_t euid, owner;
        int r;

        pidfd = NEG_ERRNO(pidfd_open(p->pid, 0));
        if (pidfd < 0)
                return pidfd;
        r = read_proc_file(p->pid, "status", &status, &n_status);
        if (r >= 0)
                r = read_proc_file(p->pid, "cgroup", &cgroup, &n_cgroup);
        if (r < 0)
                return r;
        if (pidfd_exited(pidfd))
                return -ESRCH;
        r = status_euid(status, &euid);
        if (r < 0)
                return r;
        if (euid != p->peer_uid)
                return -ESRCH;          /* not the process that connected */

        r = cgroup_file_parse_session(cgroup, n_cgroup, &owner, &p->session);
        if (r < 0 && r != -EBADMSG)
                return r;
        /* Session processes run as the owner or as a project's dynamic user; anything else in
         * there is not what the controller started, and is treated as outside any session. */
        if (r > 0 && owner != p->peer_uid &&
            (p->peer_uid < DYNAMIC_UID_MIN || p->peer_uid > DYNAMIC_UID_MAX))
                p->session = mfree(p->session);
        else if (r > 0)
                p->uid = owner;
        if (ret_pidfd)
                *ret_pidfd = steal_fd(pidfd);
        return 0;
}

static int peer_credentials(int fd, struct ucred *ret) {
        socklen_t len = sizeof(*ret);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ret, &len) < 0)
                return -errno;
        if (len != sizeof(*ret) || ret->pid <= 0)
                return -ENODATA;
        return 0;
}

static int identify(const struct ucred *cred, int *ret_pidfd, PeerIdentity **ret) {
        _cleanup_(peer_identity_freep) PeerIdentity *p = NULL;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->pid = cred->pid;
        p->uid = p->peer_uid = cred->uid;
        r = identify_process(p, ret_pidfd);
        if (r < 0)
                return r;
        r = uid_to_name(p->uid, &p->user_name);
        if (r == -ENOENT || r == -ESRCH)
                r = asprintf(&p->user_name, "%u", (unsigned) p->uid) < 0 ? -ENOMEM : 0;
        if (r < 0) {
                if (ret_pidfd)
                        *ret_pidfd = safe_close(*ret_pidfd);
                return r;
        }
        *ret = steal_ptr(p);
        return 0;
}

int peer_identity_from_socket(int fd, PeerIdentity **ret) {
        struct ucred cred;
        int r;

        r = peer_credentials(fd, &cred);
        if (r < 0)
                return r;
        return identify(&cred, NULL, ret);
}

static PeerIdentity *peer_identity_dup(const PeerIdentity *p) {
        _cleanup_(peer_identity_freep) PeerIdentity *d = calloc(1, sizeof(*d));

        if (!d)
                return NULL;
        *d = (PeerIdentity) { .uid = p->uid, .peer_uid = p->peer_uid, .pid = p->pid };
        d->user_name = strdup(p->user_name);
        if (!d->user_name || (p->session && !(d->session = strdup(p->session))))
                return NULL;
        return steal_ptr(d);
}

static void cache_entry_done(PeerCacheEntry *e) {
        e->pidfd = safe_close(e->pidfd);
        e->identity = peer_identity_free(e->identity);
}

int peer_cache_new(PeerCache **ret) {
        PeerCache *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < PEER_CACHE_SIZE; i++)
                c->entries[i].pidfd = -EBADF;
        *ret = c;
        return 0;
}

PeerCache *peer_cache_free(PeerCache *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < PEER_CACHE_SIZE; i++)
                cache_entry_done(&c->entries[i]);
        return mfree(c);
}

/* An entry describes the connecting process only while its pidfd has not exited: until then
 * no other process can have its PID. Its cgroup and uids are only changed by privileged
 * callers; the age limit bounds how long a change like that, or a renamed user, goes
 * unnoticed. */
static const PeerIdentity *cache_find(PeerCache *c, const struct ucred *cred, uint64_t t) {
        for (size_t i = 0; i < PEER_CACHE_SIZE; i++) {
                PeerCacheEntry *e = &c->entries[i];

                if (!e->identity || e->identity->pid != cred->pid || e->identity->peer_uid != cred->uid)
                        continue;
                if (t >= e->since + PEER_CACHE_MAX_AGE_USEC || pidfd_exited(e->pidfd)) {
                        cache_entry_done(e);
                        return NULL;
                }
                return e->identity;
        }
        return NULL;
}

static void cache_add(PeerCache *c, const PeerIdentity *p, int pidfd, uint64_t t) {
        PeerCacheEntry *e = &c->entries[c->next];
        PeerIdentity *d = peer_identity_dup(p);

        if (!d) {
                safe_close(pidfd);
                return;         /* not cached, no harm */
        }
        cache_entry_done(e);
        *e = (PeerCacheEntry) { .pidfd = pidfd, .since = t, .identity = d };
        c->next = (c->next + 1) % PEER_CACHE_SIZE;
}

int peer_identity_from_socket_cached(PeerCache *c, int fd, uint64_t t, PeerIdentity **ret) {
        const PeerIdentity *hit;
        PeerIdentity *p;
        struct ucred cred;
        int pidfd = -EBADF, r;

        r = peer_credentials(fd, &cred);
        if (r < 0)
                return r;
        hit = cache_find(c, &cred, t);
        if (hit) {
                p = peer_identity_dup(hit);
                if (!p)
                        return -ENOMEM;
                *ret = p;
                return 1;
        }
        r = identify(&cred, &pidfd, &p);
        if (r < 0)
                return r;
        cache_add(c, p, pidfd, t);
        *ret = p;
        return 0;
}
