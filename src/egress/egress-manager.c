/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The egress proxy's root object: listening, accepting, identifying callers, counting their
 * connections, and reloading the settings. */

#include <assert.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include "egress-connection.h"
#include "egress-manager.h"
#include "fs-util.h"
#include "log-budget.h"
#include "log.h"
#include "socket-util.h"
#include "strv.h"

#define LISTENERS_MAX 64
#define HOST_ADDRESSES_MAX_AGE_USEC (5ULL * 1000000)
#define COUNTS_INTERVAL_USEC (1ULL * 1000000)
#define IN_SET_FAMILY(f) ((f) == AF_INET || (f) == AF_INET6)

struct SessionCount {
        SessionCount *next;
        unsigned n;                     /* connections open */
        bool session;                   /* key is a session ID, whose counts are written */
        bool dirty;                     /* counts changed since they were last written */
        EgressCounts counts;
        char key[];
};

struct UserLog {
        UserLog *next;
        uid_t uid;
        LogBudget budget;
};

int egress_manager_new(EgressManager **ret) {
        _cleanup_(egress_manager_freep) EgressManager *m = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        egress_config_init(&m->config);
        m->counts_dir = strdup(getenv("RUNTIME_DIRECTORY") ?: EGRESS_COUNTS_DIR);
        if (!m->counts_dir)
                return -ENOMEM;
        r = sd_event_default(&m->event);
        if (r >= 0)
                r = peer_cache_new(&m->peers);
        if (r >= 0)
                r = egress_session_policy_cache_new(/* dir= */ NULL, &m->session_policies);
        if (r < 0)
                return r;
        *ret = steal_ptr(m);
        return 0;
}

EgressManager *egress_manager_free(EgressManager *m) {
        if (!m)
                return NULL;
        while (m->connections)
                egress_connection_free(m->connections);
        /* What the last second did must not be lost when the proxy stops. */
        egress_manager_counts_flush(m);
        sd_event_source_disable_unref(m->counts_timer);
        for (size_t i = 0; i < m->n_listeners; i++)
                sd_event_source_disable_unref(m->listeners[i]);
        free(m->listeners);
        if (m->bound_path)
                (void) unlink(m->bound_path);
        free(m->bound_path);
        while (m->counts) {
                SessionCount *n = m->counts->next;

                free(m->counts);
                m->counts = n;
        }
        while (m->user_logs) {
                UserLog *n = m->user_logs->next;

                free(m->user_logs);
                m->user_logs = n;
        }
        egress_config_done(&m->config);
        egress_session_policy_cache_free(m->session_policies);
        free(m->counts_dir);
        strv_free(m->config_dirs);
        peer_cache_free(m->peers);
        sd_event_unref(m->event);
        return mfree(m);
}

int egress_manager_load_config(EgressManager *m) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        int r;

        r = egress_config_load(NULL, (const char *const *) m->config_dirs, &m->config, &diag);
        STRV_FOREACH(w, diag.warnings)
                log_warning("%s, ignoring.", *w);
        if (r < 0)
                return log_error_errno(r, "%s", diag.error ?: "Failed to load the configuration: %m");
        m->host_addresses_read = 0;
        r = egress_manager_refresh_host_addresses(m);
        if (r < 0)
                return log_error_errno(r, "Failed to read the host's own addresses: %m");
        log_debug("Loaded the configuration: %zu AllowDomain= patterns, %zu ports.",
                  strv_length(m->config.policy.allow_domains), m->config.policy.n_ports);
        return 0;
}

/* The host's own addresses, which no session may reach through the proxy: services bound to
 * them (the model servers, databases, anything on 0.0.0.0) are the host's, not the internet's.
 * Re-read at most every few seconds, as addresses come and go. */
int egress_manager_refresh_host_addresses(EgressManager *m) {
        _cleanup_(cidr_list_done) CidrList l = {};
        struct ifaddrs *ifa = NULL;
        uint64_t t = now(CLOCK_MONOTONIC);
        int r = 0;

        if (m->host_addresses_read > 0 && t < m->host_addresses_read + HOST_ADDRESSES_MAX_AGE_USEC)
                return 0;
        if (getifaddrs(&ifa) < 0)
                return -errno;
        for (struct ifaddrs *i = ifa; i && r >= 0; i = i->ifa_next) {
                Cidr c = {};

                if (!i->ifa_addr || !IN_SET_FAMILY(i->ifa_addr->sa_family))
                        continue;
                c.family = i->ifa_addr->sa_family;
                if (c.family == AF_INET) {
                        memcpy(c.address, &((struct sockaddr_in *) i->ifa_addr)->sin_addr, 4);
                        c.prefixlen = 32;
                } else {
                        memcpy(c.address, &((struct sockaddr_in6 *) i->ifa_addr)->sin6_addr, 16);
                        c.prefixlen = 128;
                }
                r = cidr_list_append(&l, &c);
        }
        freeifaddrs(ifa);
        if (r < 0)
                return r;
        cidr_list_done(&m->config.policy.host);
        m->config.policy.host = l;
        l = (CidrList) {};
        m->host_addresses_read = t;
        return 0;
}

static SessionCount *count_find(EgressManager *m, const char *key) {
        for (SessionCount *c = m->counts; c; c = c->next)
                if (streq(c->key, key))
                        return c;
        return NULL;
}

/* A restarted proxy goes on from what its predecessor wrote: the controller shows the session's
 * whole life, not the time since the last restart. */
static void count_load(EgressManager *m, SessionCount *c) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(safe_fclosep) FILE *f = NULL;
        char text[EGRESS_COUNTS_TEXT_MAX];
        size_t n;

        if (asprintf(&path, "%s/%s", m->counts_dir, c->key) < 0)
                return;
        f = fopen(path, "re");
        if (!f)
                return;
        n = fread(text, 1, sizeof(text), f);
        if (egress_counts_parse(text, n, &c->counts) < 0)
                log_warning("Ignoring the unreadable counts in %s.", path);
}

static int count_acquire(EgressManager *m, const char *key, bool session, unsigned max, SessionCount **ret) {
        SessionCount *c = count_find(m, key);

        if (c) {
                if (c->n >= max)
                        return -EUSERS;
                c->n++;
                *ret = c;
                return 0;
        }
        c = calloc(1, sizeof(SessionCount) + strlen(key) + 1);
        if (!c)
                return -ENOMEM;
        c->n = 1;
        c->session = session;
        strcpy(c->key, key);
        if (session)
                count_load(m, c);
        c->next = m->counts;
        m->counts = c;
        *ret = c;
        return 0;
}

int egress_manager_count_acquire(EgressManager *m, const char *key, bool session, SessionCount **ret) {
        return count_acquire(m, key, session, m->config.max_connections_per_session, ret);
}

/* Sessions are no limit on their user, who may run many: without this one user's sessions could
 * hold every connection the proxy has, and nobody else's would be served. */
int egress_manager_user_acquire(EgressManager *m, uid_t uid, SessionCount **ret) {
        char key[32];

        (void) snprintf(key, sizeof(key), "user:%u", (unsigned) uid);
        return count_acquire(m, key, /* session= */ false, m->config.max_connections_per_user, ret);
}

static void count_free(EgressManager *m, SessionCount *c) {
        for (SessionCount **p = &m->counts; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        free(c);
                        return;
                }
}

void egress_manager_count_release(EgressManager *m, SessionCount *c) {
        assert(c->n > 0);

        if (--c->n == 0 && !c->dirty)
                count_free(m, c);
}

/* Finds uid's budget, and forgets those of users who have been quiet long enough to have a
 * full one again and owe no count of held-back entries. */
static UserLog *user_log_find(EgressManager *m, uid_t uid, uint64_t t) {
        UserLog *found = NULL;

        for (UserLog **p = &m->user_logs; *p;) {
                UserLog *u = *p;

                if (u->uid == uid)
                        found = u;
                else if (u->budget.suppressed == 0 &&
                         t >= u->budget.last_usec + LOG_BUDGET_BURST * LOG_BUDGET_INTERVAL_USEC) {
                        *p = u->next;
                        free(u);
                        continue;
                }
                p = &u->next;
        }
        return found;
}

/* Without this, a session could send refused requests as fast as it can connect: each is an
 * entry, journald's rate limit for the proxy then drops everybody's, and the flood rotates the
 * audit trail away. */
bool egress_manager_log_take(EgressManager *m, uid_t uid, uint64_t *ret_held) {
        uint64_t t = now(CLOCK_MONOTONIC);
        UserLog *u = user_log_find(m, uid, t);

        *ret_held = 0;
        if (!u) {
                u = calloc(1, sizeof(*u));
                if (!u)
                        return true;    /* rather an entry too many than one lost */
                u->uid = uid;
                u->next = m->user_logs;
                m->user_logs = u;
        }
        if (!log_budget_take(&u->budget, t))
                return false;
        *ret_held = u->budget.suppressed;
        u->budget.suppressed = 0;
        return true;
}

/* Any local user can fill MaxConnections= and keep knocking; one warning per refusal would flood
 * the journal for everybody, so these share a budget of their own. */
static void full_log(EgressManager *m) {
        if (!log_budget_take(&m->full_budget, now(CLOCK_MONOTONIC)))
                return;
        log_warning("Refusing a connection: MaxConnections=%u reached (%" PRIu64 " more refused "
                    "before, not logged).", m->config.max_connections, m->full_budget.suppressed);
        m->full_budget.suppressed = 0;
}

static int on_counts_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        egress_manager_counts_flush(userdata);
        return 0;
}

/* Arms the timer for a second after the last write, or now if that is past already. */
static void counts_schedule(EgressManager *m) {
        uint64_t at = m->counts_written + COUNTS_INTERVAL_USEC;
        int r;

        if (m->counts_timer) {
                int enabled = SD_EVENT_OFF;

                (void) sd_event_source_get_enabled(m->counts_timer, &enabled);
                if (enabled != SD_EVENT_OFF)
                        return;
                r = sd_event_source_set_time(m->counts_timer, at);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->counts_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(m->event, &m->counts_timer, CLOCK_MONOTONIC, at, 0,
                                      on_counts_timer, m);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule writing the counts, ignoring: %m");
}

void egress_manager_count_add(EgressManager *m, SessionCount *c, const EgressCounts *delta) {
        if (!c->session || (delta->allowed | delta->denied | delta->bytes_sent | delta->bytes_received) == 0)
                return;
        c->counts.allowed += delta->allowed;
        c->counts.denied += delta->denied;
        c->counts.bytes_sent += delta->bytes_sent;
        c->counts.bytes_received += delta->bytes_received;
        c->dirty = true;
        counts_schedule(m);
}

static int count_write(EgressManager *m, SessionCount *c) {
        _cleanup_free_ char *path = NULL;
        char text[EGRESS_COUNTS_TEXT_MAX];
        size_t n;

        if (asprintf(&path, "%s/%s", m->counts_dir, c->key) < 0)
                return -ENOMEM;
        n = egress_counts_format(&c->counts, text, sizeof(text));
        return write_file_atomic(path, text, n, 0600);
}

void egress_manager_counts_flush(EgressManager *m) {
        SessionCount *next;
        int r, failed = 0;

        for (SessionCount *c = m->counts; c; c = next) {
                next = c->next;
                if (c->dirty) {
                        r = count_write(m, c);
                        if (r < 0 && failed == 0)
                                failed = r;
                        /* A session whose file cannot be written must not hold memory forever;
                         * its counts stay in the journal's entries. */
                        c->dirty = false;
                }
                if (c->n == 0)
                        count_free(m, c);
        }
        if (failed < 0 && !m->counts_write_failed)
                log_warning_errno(failed, "Failed to write the sessions' counts to %s, ignoring: %m",
                                  m->counts_dir);
        else if (failed == 0 && m->counts_write_failed)
                log_info("Writing the sessions' counts to %s works again.", m->counts_dir);
        m->counts_write_failed = failed < 0;
        m->counts_written = now(CLOCK_MONOTONIC);
}

/* Identifies the caller while it is surely still connected, and hands the socket on. */
static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        EgressManager *m = userdata;
        _cleanup_(peer_identity_freep) PeerIdentity *id = NULL;
        _cleanup_close_ int cfd = -EBADF;
        const char *session;
        bool in_session;
        char key[32];
        int r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;       /* EAGAIN, or a caller that already left */
        if (m->n_connections >= m->config.max_connections) {
                full_log(m);
                return 0;
        }
        r = peer_identity_from_socket_cached(m->peers, cfd, now(CLOCK_MONOTONIC), &id);
        if (r < 0) {
                log_debug_errno(r, "Failed to identify a caller, closing its connection: %m");
                return 0;
        }
        (void) snprintf(key, sizeof(key), "uid:%u", (unsigned) id->uid);
        in_session = id->session;
        session = id->session ?: key;
        r = egress_connection_new(m, steal_fd(cfd), steal_ptr(id), session, in_session);
        if (r < 0 && r != -EUSERS)
                log_warning_errno(r, "Failed to serve a connection, ignoring: %m");
        return 0;
}

static int manager_add_listener(EgressManager *m, int fd) {
        sd_event_source **a;
        int r;

        if (m->n_listeners >= LISTENERS_MAX)
                return -EMFILE;
        a = reallocarray(m->listeners, m->n_listeners + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        m->listeners = a;
        r = sd_event_add_io(m->event, &a[m->n_listeners], fd, EPOLLIN, on_accept, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_io_fd_own(a[m->n_listeners], true);
        m->n_listeners++;
        return 0;
}

int egress_manager_listen(EgressManager *m, const char *path) {
        int n, fd, r;

        n = sd_listen_fds(/* unset_environment= */ true);
        if (n < 0)
                return log_error_errno(n, "Failed to receive sockets from systemd: %m");
        for (int i = 0; i < n; i++) {
                fd = SD_LISTEN_FDS_START + i;
                if (sd_is_socket_unix(fd, SOCK_STREAM, /* listening= */ 1, NULL, 0) <= 0) {
                        log_warning("Ignoring a passed socket that is not a listening Unix stream socket.");
                        safe_close(fd);
                        continue;
                }
                (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
                r = manager_add_listener(m, fd);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch a passed socket: %m");
        }
        if (m->n_listeners > 0)
                return 0;

        fd = socket_listen_unix(path, 0666);
        if (fd < 0)
                return log_error_errno(fd, "Failed to listen on %s: %m", path);
        m->bound_path = strdup(path);
        r = m->bound_path ? manager_add_listener(m, fd) : -ENOMEM;
        if (r < 0) {
                safe_close(fd);
                return log_error_errno(r, "Failed to watch %s: %m", path);
        }
        return 0;
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        EgressManager *m = userdata;

        (void) sd_notify(/* unset_environment= */ false, "RELOADING=1");
        if (egress_manager_load_config(m) >= 0)
                log_info("Reloaded the configuration.");
        (void) sd_notify(/* unset_environment= */ false, "READY=1");
        return 0;
}

int egress_manager_run(EgressManager *m) {
        int r;

        /* A session hanging up must not kill the proxy mid-write. */
        (void) signal(SIGPIPE, SIG_IGN);
        r = sd_event_add_signal(m->event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP | SD_EVENT_SIGNAL_PROCMASK, on_reload, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");
        (void) sd_notify(/* unset_environment= */ false, "READY=1");
        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}
