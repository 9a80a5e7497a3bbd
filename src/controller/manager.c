/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The controller's lifecycle: socket activation, the event loop, idle exit and reload. */

#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "manager.h"
#include "message-ids.h"
#include "secret-store.h"
#include "session-egress.h"
#include "session-history.h"
#include "session.h"
#include "socket-util.h"
#include "strv.h"

#define SOCKET_FD_NAME "openmonod.socket"

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* Only our view of the sessions goes; their units keep running under systemd. */
        while (m->n_sessions > 0)
                session_free(m->sessions[m->n_sessions - 1]);
        free(m->sessions);
        polkit_registry_free(m->polkit);
        secret_store_free(m->secrets);
        varlink_server_free(m->varlink);
        sd_event_source_disable_unref(m->idle_timer);
        sd_event_source_disable_unref(m->sighup);
        sd_bus_flush_close_unref(m->bus);
        if (m->bound_path)
                (void) unlink(m->bound_path);
        free(m->bound_path);
        free(m->runtime_dir);
        free(m->state_dir);
        free(m->config_root);
        project_dirs_done(&m->project_dirs);
        manager_config_done(&m->config);
        free(m->config_error);
        strv_free(m->config_warnings);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

static void on_disconnect(VarlinkServer *s, Varlink *l, void *userdata);

/* Tells systemd we serve, and whether sessions wait for the configuration to be fixed, which
 * "systemctl status openmonod" then shows. */
static void manager_notify_ready(Manager *m) {
        if (m->config_error)
                (void) sd_notify(false, "READY=1\nSTATUS=Serving; configuration broken, refusing new sessions.");
        else
                (void) sd_notify(false, "READY=1\nSTATUS=Serving.");
}
static void arm_idle_timer(Manager *m);

static void apply_log_level(const Manager *m) {
        /* The environment wins, so a debug run never depends on what the config says. */
        if (m->config.log_level >= 0 && !getenv("OPENMONO_LOG_LEVEL"))
                log_set_max_level(m->config.log_level);
}

/* Says in the journal, with the catalog's explanation, that sessions wait for a good file. */
static void log_config_broken(const char *error) {
        _cleanup_strv_free_ char **fields = NULL;
        _cleanup_free_ char *file = NULL;
        unsigned line = 0;
        int r;

        /* The parser's messages start with "file:line: ". */
        if (sscanf(error, "%m[^:]:%u:", &file, &line) < 1)
                file = NULL;
        r = strv_extendf(&fields, "MESSAGE_ID=%s", OPENMONO_MESSAGE_CONFIG_ERROR);
        if (r >= 0)
                r = strv_extend(&fields, "OPENMONO_EVENT=config-broken");
        if (r >= 0 && file)
                r = strv_extendf(&fields, "CONFIG_FILE=%s", file);
        if (r >= 0 && line > 0)
                r = strv_extendf(&fields, "CONFIG_LINE=%u", line);
        if (r >= 0)
                r = strv_extendf(&fields, "MESSAGE=Configuration is broken, no new sessions start until it is "
                                 "fixed: %s", error);
        if (r < 0) {
                log_oom();
                return;
        }
        log_struct(LOG_ERR, 0, fields);
}

int manager_load_config(Manager *m) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        int r;

        r = manager_config_load(m->config_root, &m->config, &diag);
        STRV_FOREACH(w, diag.warnings)
                log_warning("%s", *w);
        strv_free(m->config_warnings);
        m->config_warnings = steal_ptr(diag.warnings);
        if (r < 0) {
                /* Neither the built-in defaults nor what an earlier file said are what the
                 * administrator wants now: refuse sessions rather than guess. */
                free(m->config_error);
                m->config_error = diag.error ? steal_ptr(diag.error) : strdup("Failed to read openmono.conf");
                log_config_broken(strna(m->config_error));
                return r;
        }
        m->config_error = mfree(m->config_error);
        STRV_FOREACH(h, m->config.upstream_unresolved)
                log_warning("Upstream host '%s' of gateway.conf does not resolve; sessions are not kept "
                            "from its addresses.", *h);
        apply_log_level(m);
        return 0;
}

/* Reloads the config the way systemd expects of Type=notify services with ExecReload=. Running
 * sessions keep the settings they started with. */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        (void) sd_notifyf(false, "RELOADING=1\nSTATUS=Reloading configuration.\nMONOTONIC_USEC=%" PRIu64,
                          now(CLOCK_MONOTONIC));
        if (manager_load_config(m) >= 0) {
                log_info("Configuration reloaded.");
                /* Unlike limits, which systemd holds for a running unit, the names a session
                 * reaches are asked for anew on every connection: a narrower list applies now. */
                manager_apply_egress(m, /* rewrite= */ false);
        }
        m->idle_timer = sd_event_source_disable_unref(m->idle_timer);
        if (varlink_server_n_connections(m->varlink) == 0)
                arm_idle_timer(m);
        manager_notify_ready(m);
        return 0;
}

int manager_handle_signals(Manager *m) {
        sigset_t mask;
        int r;

        /* sd-event takes signals only when they are blocked. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        /* sd_event_add_child() watches helpers such as systemd-analyze. */
        sigaddset(&mask, SIGCHLD);
        r = NEG_ERRNO(sigprocmask(SIG_BLOCK, &mask, NULL));
        if (r < 0)
                return r;
        r = sd_event_set_signal_exit(m->event, true);
        if (r < 0)
                return r;
        return sd_event_add_signal(m->event, &m->sighup, SIGHUP, on_sighup, m);
}

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        manager_config_init(&m->config);
        m->runtime_dir = strdup(RUNDIR);
        m->state_dir = strdup(STATEDIR);
        if (!m->runtime_dir || !m->state_dir)
                return -ENOMEM;
        r = project_dirs_init(&m->project_dirs, NULL, m->state_dir);
        if (r < 0)
                return r;
        r = polkit_registry_new(&m->polkit);
        if (r < 0)
                return r;
        m->start_monotonic = now(CLOCK_MONOTONIC);
        m->start_realtime = now(CLOCK_REALTIME);

        r = sd_event_new(&m->event);
        if (r < 0)
                return r;
        r = varlink_server_new(m->event, &m->varlink);
        if (r < 0)
                return r;
        varlink_server_set_userdata(m->varlink, m);
        varlink_server_set_disconnect(m->varlink, on_disconnect);
        r = varlink_server_set_info(m->varlink, "OpenMono", "openmonod", PROJECT_VERSION,
                                    "https://github.com/openmono/openmono");
        if (r < 0)
                return r;
        r = manager_varlink_setup(m);
        if (r < 0)
                return r;

        *ret = steal_ptr(m);
        return 0;
}

int manager_get_bus(Manager *m, sd_bus **ret) {
        int r;

        if (!m->bus) {
                r = sd_bus_open_system_with_description(&m->bus, "openmonod");
                if (r < 0)
                        return r;
                r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
                if (r >= 0)
                        /* systemd sends unit signals only to clients that subscribed. */
                        r = sd_bus_call_method(m->bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                               "org.freedesktop.systemd1.Manager", "Subscribe", NULL, NULL, NULL);
                if (r < 0) {
                        m->bus = sd_bus_flush_close_unref(m->bus);
                        return r;
                }
        }
        *ret = m->bus;
        return 0;
}

int manager_count_sessions(Manager *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus *bus;
        int r, n = 0;

        r = manager_get_bus(m, &bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "ListUnitsByPatterns", &error, &reply,
                               "asas", 2, "active", "activating", 1, "openmono-session-*.service");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_skip(reply, "(ssssssouso)")) > 0)
                n++;
        return r < 0 ? r : n;
}

/* Exits once the idle timeout passes with no client connected; connections re-arm it when
 * they close. systemd starts us again through the socket on the next connection. */
static int on_idle(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (varlink_server_n_connections(m->varlink) > 0)
                return 0;
        /* Running sessions are work: their end must still reach the audit trail. */
        if (manager_count_active_sessions(m) > 0) {
                arm_idle_timer(m);
                return 0;
        }
        log_debug("No clients for %" PRIu64 " ms, exiting.", m->config.idle_timeout_usec / 1000);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Idle, exiting.");
        return sd_event_exit(m->event, 0);
}

static void arm_idle_timer(Manager *m) {
        uint64_t when = now(CLOCK_MONOTONIC) + m->config.idle_timeout_usec;
        int r;

        if (m->config.idle_timeout_usec == 0)
                return;
        if (m->idle_timer) {
                r = sd_event_source_set_time(m->idle_timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->idle_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(m->event, &m->idle_timer, CLOCK_MONOTONIC, when, 0, on_idle, m);
        if (r < 0)
                log_warning_errno(r, "Failed to arm idle timer, staying up: %m");
}

static void on_disconnect(VarlinkServer *s, Varlink *l, void *userdata) {
        Manager *m = userdata;

        if (varlink_server_n_connections(s) == 0)
                arm_idle_timer(m);
}

/* Binds and listens on path ourselves, for running without socket activation. Authorization
 * happens per call, so every local user may connect. */
static int listen_path(Manager *m, const char *path) {
        _cleanup_close_ int fd = socket_listen_unix(path, 0666);
        int r;

        if (fd < 0)
                return fd;
        m->bound_path = strdup(path);
        if (!m->bound_path)
                return -ENOMEM;
        r = varlink_server_listen_fd(m->varlink, fd);
        if (r >= 0)
                fd = -EBADF;
        return r;
}

int manager_listen(Manager *m, const char *fallback_path) {
        char **names = NULL;
        int n, served = 0, r;

        n = sd_listen_fds_with_names(/* unset_environment= */ true, &names);
        if (n < 0)
                return log_error_errno(n, "Failed to read sockets passed by systemd: %m");

        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                /* Accept only the socket we expect; anything else was passed by mistake. */
                if (!streq(names[i], SOCKET_FD_NAME) && !streq(names[i], "varlink") &&
                    !streq(names[i], "unknown")) {
                        log_warning("Ignoring unexpected socket '%s' passed by systemd.", names[i]);
                        safe_close(fd);
                } else if (sd_is_socket_unix(fd, SOCK_STREAM, /* listening= */ 1, NULL, 0) <= 0) {
                        log_warning("Ignoring socket '%s': not a listening Unix stream socket.", names[i]);
                        safe_close(fd);
                } else if ((r = varlink_server_listen_fd(m->varlink, fd)) < 0) {
                        safe_close(fd);
                        log_warning_errno(r, "Failed to serve socket '%s', ignoring: %m", names[i]);
                } else
                        served++;
                free(names[i]);
        }
        free(names);

        if (served == 0 && fallback_path) {
                r = listen_path(m, fallback_path);
                if (r < 0)
                        return log_error_errno(r, "Failed to listen on %s: %m", fallback_path);
                served = 1;
        }
        if (served == 0)
                return log_error_errno(ENXIO, "No socket to listen on.");
        return served;
}

int manager_run(Manager *m) {
        int r;

        arm_idle_timer(m);
        manager_notify_ready(m);
        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}

int manager_add_session(Manager *m, Session *s) {
        Session **a = reallocarray(m->sessions, m->n_sessions + 1, sizeof(Session *));

        if (!a)
                return -ENOMEM;
        m->sessions = a;
        a[m->n_sessions++] = s;
        return 0;
}

void manager_remove_session(Manager *m, Session *s) {
        for (size_t i = 0; i < m->n_sessions; i++)
                if (m->sessions[i] == s) {
                        memmove(m->sessions + i, m->sessions + i + 1, (m->n_sessions - i - 1) * sizeof(Session *));
                        m->n_sessions--;
                        return;
                }
}

Session *manager_find_session(Manager *m, const char *id) {
        for (size_t i = 0; i < m->n_sessions; i++)
                if (streq(m->sessions[i]->id, id))
                        return m->sessions[i];
        return NULL;
}

unsigned manager_count_active_sessions(Manager *m) {
        unsigned n = 0;

        for (size_t i = 0; i < m->n_sessions; i++)
                if (!session_state_is_final(m->sessions[i]->state))
                        n++;
        return n;
}

unsigned manager_count_user_sessions(Manager *m, uid_t uid) {
        unsigned n = 0;

        for (size_t i = 0; i < m->n_sessions; i++)
                if (m->sessions[i]->uid == uid && !session_state_is_final(m->sessions[i]->state))
                        n++;
        return n;
}

/* The owner's uid is part of the slice name, which systemd keeps for us: it is the one piece of
 * metadata that cannot be lost with the runtime directory. */
static int recover_uid_from_slice(Manager *m, Session *s) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *slice = NULL;
        unsigned uid;

        if (sd_bus_get_property_string(m->bus, "org.freedesktop.systemd1", s->unit_path,
                                       "org.freedesktop.systemd1.Service", "Slice", &error, &slice) < 0)
                return -EIO;
        if (sscanf(slice, "openmono-u%u.slice", &uid) != 1)
                return -EBADMSG;
        s->uid = (uid_t) uid;
        return 0;
}

static int recover_session(Manager *m, const char *unit) {
        _cleanup_free_ char *id = NULL;
        const char *p = startswith(unit, "openmono-session-");
        Session *s;
        int r;

        if (!p || !strstr(p, ".service"))
                return -EINVAL;
        id = strndup(p, strlen(p) - strlen(".service"));
        if (!id)
                return -ENOMEM;
        if (manager_find_session(m, id))
                return 0;
        r = session_new(m, id, &s);
        if (r < 0)
                return r;
        r = session_load(s);
        if (r < 0)
                log_warning_errno(r, "No saved metadata for session %s, using what systemd knows: %m", id);
        r = recover_uid_from_slice(m, s);
        if (r >= 0)
                r = session_watch_unit(s);
        if (r >= 0)
                r = session_ref_unit(s);
        if (r < 0) {
                session_free(s);
                return r;
        }
        s->state = SESSION_RUNNING;
        return 1;
}

/* A session we saved metadata for but systemd no longer runs ended while no controller was
 * there to see it; systemd's own journal entries say how. */
static int recover_ended_session(Manager *m, const char *id) {
        Session *s;
        int r;

        r = session_new(m, id, &s);
        if (r < 0)
                return r;
        r = session_load(s);
        if (r < 0) {
                session_free(s);
                return r;
        }
        session_finish_from_journal(s);
        return 0;
}

static void recover_ended_sessions(Manager *m) {
        _cleanup_(closedirp) DIR *d = NULL;
        char path[PATH_MAX];
        struct dirent *de;

        snprintf(path, sizeof path, "%s/sessions", m->runtime_dir);
        d = opendir(path);
        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *id = NULL;
                size_t l = strlen(de->d_name);
                int r;

                if (l <= 5 || !streq(de->d_name + l - 5, ".json"))
                        continue;
                id = strndup(de->d_name, l - 5);
                if (!id)
                        return (void) log_oom();
                if (!session_id_is_valid(id) || manager_find_session(m, id))
                        continue;
                r = recover_ended_session(m, id);
                if (r < 0)
                        log_warning_errno(r, "Failed to recover ended session %s, ignoring: %m", id);
        }
}

int manager_recover_sessions(Manager *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *unit;
        sd_bus *bus;
        int r, n = 0;

        r = manager_get_bus(m, &bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "ListUnitsByPatterns", &error, &reply,
                               "asas", 4, "active", "activating", "deactivating", "reloading", 1,
                               "openmono-session-*.service");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssssssouso)", &unit, NULL, NULL, NULL, NULL, NULL, NULL,
                                        NULL, NULL, NULL)) > 0) {
                int k = recover_session(m, unit);
                if (k < 0)
                        log_warning_errno(k, "Failed to recover session unit %s, ignoring: %m", unit);
                else
                        n += k;
        }
        if (r < 0)
                return r;
        recover_ended_sessions(m);
        session_history_prune(m->state_dir, now(CLOCK_REALTIME));
        return n;
}

static bool session_has_egress(const char *id, void *userdata) {
        Session *s = manager_find_session(userdata, id);

        return s && s->egress;
}

/* The AllowDomain= list of s's project as its file says now, in *ret (NULL: it sets none). A
 * project that cannot be read now leaves the session the list it started with. */
static int session_project_domains(Manager *m, Session *s, char ***ret) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_(project_freep) Project *p = NULL;
        int r;

        *ret = NULL;
        if (!s->egress || !s->project)
                return 0;
        r = project_load(&m->project_dirs, s->project, &p, &diag);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                *ret = steal_ptr(p->sandbox.allow_domains);
                return 0;
        }
        if (s->egress_default || s->egress_own)
                return 0;
        *ret = strv_copy(s->egress_requested ?: (char *[]) { NULL });
        return *ret ? 0 : -ENOMEM;
}

static int apply_session_egress(Manager *m, Session *s, bool rewrite) {
        _cleanup_strv_free_ char **project = NULL;
        int r;

        r = session_project_domains(m, s, &project);
        if (r < 0)
                return r;
        return session_apply_egress(s, m->config.sessions.allow_domains, project, rewrite);
}

void manager_apply_egress(Manager *m, bool rewrite) {
        int r;

        /* A broken file says nothing about what the site wants now: keep what is there. */
        for (size_t i = 0; !m->config_error && i < m->n_sessions; i++) {
                r = apply_session_egress(m, m->sessions[i], rewrite);
                if (r < 0)
                        log_warning_errno(r, "Failed to update the egress policy of session %s, ignoring: %m",
                                          m->sessions[i]->id);
        }
        if (!rewrite)
                return;
        r = session_egress_sweep(m->runtime_dir, session_has_egress, m);
        if (r < 0)
                log_warning_errno(r, "Failed to remove egress policies of ended sessions, ignoring: %m");
}

int manager_ensure_storage(Manager *m, uid_t uid, gid_t gid, char **ret) {
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        if (asprintf(&path, "%s/storage/%u", m->state_dir, (unsigned) uid) < 0)
                return -ENOMEM;
        r = NEG_ERRNO(mkdir(path, 0700));
        if (r < 0 && r != -EEXIST)
                return r;
        if (r >= 0) {
                r = NEG_ERRNO(chown(path, uid, gid));
                if (r < 0)
                        return r;
        }
        /* lstat: a symlink planted here must not send the bind mount elsewhere. */
        if (lstat(path, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode) || st.st_uid != uid)
                return -EPERM;
        *ret = steal_ptr(path);
        return 0;
}
