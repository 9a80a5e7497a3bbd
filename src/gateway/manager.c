/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gateway's lifecycle: configuration (and keeping the last good one on reload), socket
 * activation, the dispatch of queued requests, and shutdown. */

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <systemd/sd-daemon.h>

#include "api.h"
#include "log.h"
#include "socket-util.h"
#include "manager.h"
#include "request.h"
#include "strv.h"
#include "upstream.h"

#define SOCKET_FD_NAME "openmono-gatewayd.socket"

static void free_upstreams(Upstream **a, size_t n) {
        for (size_t i = 0; i < n; i++)
                upstream_free(a[i]);
        free(a);
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* Close every connection first: their requests end (and are accounted) while
         * everything they refer to still exists. */
        for (Request *r = m->requests; r; r = r->next)
                request_abort(r);
        m->http = http_server_free(m->http);
        free_upstreams(m->upstreams, m->n_upstreams);
        sd_event_source_disable_unref(m->dispatch_event);
        curl_glue_free(m->curl);
        scheduler_free(m->scheduler);
        connection_table_free(m->connections);
        peer_cache_free(m->peers);
        accounting_free(m->accounting);
        gateway_config_unref(m->config);
        strv_free(m->config_dirs);
        free(m->config_root);
        free(m->credentials_dir);
        if (m->bound_path)
                (void) unlink(m->bound_path);
        free(m->bound_path);
        sd_event_unref(m->event);
        return mfree(m);
}

static int on_dispatch(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        SchedulerJob *j;

        while ((j = scheduler_next(m->scheduler)))
                request_start(j->userdata);
        return 0;
}

void manager_schedule_dispatch(Manager *m) {
        (void) sd_event_source_set_enabled(m->dispatch_event, SD_EVENT_ONESHOT);
}

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        const char *creds;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->start_realtime = now(CLOCK_REALTIME);
        r = strv_extend(&m->config_dirs, PKGDATADIR);
        if (r >= 0)
                r = strv_extend(&m->config_dirs, PKGSYSCONFDIR);
        if (r >= 0)
                r = strv_extend(&m->config_dirs, RUNDIR);
        if (r < 0)
                return r;
        creds = getenv("CREDENTIALS_DIRECTORY");
        if (creds && !(m->credentials_dir = strdup(creds)))
                return -ENOMEM;

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = curl_glue_new(m->event, &m->curl);
        if (r < 0)
                return r;
        r = scheduler_new(GATEWAY_MAX_CONCURRENT_DEFAULT, GATEWAY_PER_USER_CONCURRENT_DEFAULT,
                          GATEWAY_MAX_QUEUED_PER_USER_DEFAULT, &m->scheduler);
        if (r < 0)
                return r;
        r = connection_table_new(&m->connections);
        if (r >= 0)
                r = peer_cache_new(&m->peers);
        if (r < 0)
                return r;
        r = accounting_new(&m->accounting);
        if (r < 0)
                return r;
        r = sd_event_add_defer(m->event, &m->dispatch_event, on_dispatch, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->dispatch_event, SD_EVENT_OFF);
        *ret = steal_ptr(m);
        return 0;
}

Upstream *manager_find_upstream(Manager *m, const char *name) {
        for (size_t i = 0; name && i < m->n_upstreams; i++)
                if (streq(m->upstreams[i]->config->name, name))
                        return m->upstreams[i];
        return NULL;
}

/* Swaps c in, with fresh runtime state for its upstreams that keeps what the old one knew. */
static int manager_apply_config(Manager *m, GatewayConfig *c) {
        _cleanup_(gateway_config_unrefp) GatewayConfig *old_config = m->config;
        Upstream **a, **old = m->upstreams;
        size_t n_old = m->n_upstreams;
        int r;

        a = calloc(c->n_upstreams, sizeof(Upstream *));
        if (!a)
                return -ENOMEM;
        m->config = gateway_config_ref(c);
        for (size_t i = 0; i < c->n_upstreams; i++) {
                r = upstream_new(m, c->upstreams[i], manager_find_upstream(m, c->upstreams[i]->name), &a[i]);
                if (r < 0) {
                        free_upstreams(a, i);
                        gateway_config_unref(m->config);
                        m->config = steal_ptr(old_config);
                        return r;
                }
        }
        m->upstreams = a;
        m->n_upstreams = c->n_upstreams;
        free_upstreams(old, n_old);
        scheduler_set_limits(m->scheduler, c->max_concurrent, c->per_user_concurrent, c->max_queued_per_user);
        scheduler_set_session_limit(m->scheduler, c->max_queued_per_session);
        connection_table_set_limits(m->connections, c->max_connections, c->max_connections_per_user,
                                    c->max_connections_per_session, api_outside_session_connections(c));
        manager_schedule_dispatch(m);
        return 0;
}

static int manager_load(Manager *m, bool reload) {
        _cleanup_(gateway_config_unrefp) GatewayConfig *c = NULL;
        ConfigDiagnostics d = {};
        int r;

        r = gateway_config_load((const char *const *) m->config_dirs, m->config_root, m->credentials_dir, &c, &d);
        STRV_FOREACH(w, d.warnings)
                log_warning("%s", *w);
        if (r < 0) {
                if (d.error)
                        log_error("%s", d.error);
                log_error_errno(r, "Failed to load gateway.conf%s: %m", reload ? ", keeping the configuration in force"
                                                                             : "");
                config_diagnostics_done(&d);
                return r;
        }
        config_diagnostics_done(&d);
        r = manager_apply_config(m, c);
        if (r < 0)
                return log_error_errno(r, "Failed to apply the configuration: %m");
        log_info("Configuration loaded: %zu upstream(s), MaxConcurrent=%u, PerUserConcurrent=%u, "
                 "MaxQueuedPerUser=%u, MaxConnections=%u, MaxConnectionsPerUser=%u, "
                 "MaxConnectionsPerSession=%u%s.",
                 c->n_upstreams, c->max_concurrent, c->per_user_concurrent, c->max_queued_per_user,
                 c->max_connections, c->max_connections_per_user, c->max_connections_per_session,
                 m->fifo ? ", FIFO scheduling (debug)" : "");
        return 0;
}

int manager_load_config(Manager *m) {
        scheduler_set_fifo(m->scheduler, m->fifo);
        return manager_load(m, false);
}

int manager_reload(Manager *m) {
        int r;

        (void) sd_notify(false, "RELOADING=1\nSTATUS=Reloading configuration...");
        r = manager_load(m, true);
        (void) sd_notify(false, r < 0 ? "READY=1\nSTATUS=Serving; the last reload failed, see the log."
                                      : "READY=1\nSTATUS=Serving.");
        return r;
}

/* Binds and listens on path ourselves, for running without socket activation. Every local
 * user may connect; the gateway decides per connection whom it serves. */
static int listen_path(Manager *m, const char *path) {
        int fd = socket_listen_unix(path, 0666);

        if (fd < 0)
                return fd;
        m->bound_path = strdup(path);
        if (!m->bound_path)
                return safe_close(fd), -ENOMEM;
        return fd;
}

/* The socket systemd passed, checked to be what we expect; others are closed. */
static int take_passed_socket(void) {
        char **names = NULL;
        int n, fd = -EBADF;

        n = sd_listen_fds_with_names(/* unset_environment= */ true, &names);
        if (n < 0)
                return n;
        for (int i = 0; i < n; i++) {
                int k = SD_LISTEN_FDS_START + i;

                if (fd < 0 && (streq(names[i], SOCKET_FD_NAME) || streq(names[i], "unknown")) &&
                    sd_is_socket_unix(k, SOCK_STREAM, /* listening= */ 1, NULL, 0) > 0)
                        fd = k;
                else {
                        log_warning("Ignoring unexpected socket '%s' passed by systemd.", names[i]);
                        safe_close(k);
                }
                free(names[i]);
        }
        free(names);
        return fd;
}

int manager_listen(Manager *m, const char *fallback_path) {
        int fd, r;

        fd = take_passed_socket();
        if (fd < 0 && fd != -EBADF)
                return log_error_errno(fd, "Failed to read sockets passed by systemd: %m");
        if (fd < 0 && fallback_path) {
                fd = listen_path(m, fallback_path);
                if (fd < 0)
                        return log_error_errno(fd, "Failed to listen on %s: %m", fallback_path);
        }
        if (fd < 0)
                return log_error_errno(ENXIO, "No socket to listen on.");
        r = http_server_new(m->event, fd, &api_callbacks, m, &m->http);
        if (r < 0) {
                safe_close(fd);
                return log_error_errno(r, "Failed to start the HTTP server: %m");
        }
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) manager_reload(userdata);
        return 0;
}

int manager_run(Manager *m) {
        int r;

        r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to handle SIGHUP: %m");
        (void) sd_notify(false, "READY=1\nSTATUS=Serving.");
        r = sd_event_loop(m->event);
        (void) sd_notify(false, "STOPPING=1");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}

void manager_add_request(Manager *m, Request *r) {
        r->next = m->requests;
        if (m->requests)
                m->requests->prev = r;
        m->requests = r;
}

void manager_remove_request(Manager *m, Request *r) {
        if (r->prev)
                r->prev->next = r->next;
        else if (m->requests == r)
                m->requests = r->next;
        if (r->next)
                r->next->prev = r->prev;
        r->prev = r->next = NULL;
}
