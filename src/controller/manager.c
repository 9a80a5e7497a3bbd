/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The controller's lifecycle: socket activation, the event loop, idle exit and reload. */

#include <inttypes.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "manager.h"

#define SOCKET_FD_NAME "openmonod.socket"

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        varlink_server_free(m->varlink);
        sd_event_source_disable_unref(m->idle_timer);
        sd_bus_flush_close_unref(m->bus);
        if (m->bound_path)
                (void) unlink(m->bound_path);
        free(m->bound_path);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

static uint64_t now_usec(clockid_t clock) {
        uint64_t t = 0;

        (void) sd_event_now(NULL, clock, &t);
        if (t == 0) {
                struct timespec ts;
                clock_gettime(clock, &ts);
                t = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
        }
        return t;
}

static void on_disconnect(VarlinkServer *s, Varlink *l, void *userdata);

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->idle_timeout_usec = MANAGER_IDLE_TIMEOUT_DEFAULT_USEC;
        m->start_monotonic = now_usec(CLOCK_MONOTONIC);
        m->start_realtime = now_usec(CLOCK_REALTIME);

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
        log_debug("No clients for %" PRIu64 " ms, exiting.", m->idle_timeout_usec / 1000);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Idle, exiting.");
        return sd_event_exit(m->event, 0);
}

static void arm_idle_timer(Manager *m) {
        uint64_t when = now_usec(CLOCK_MONOTONIC) + m->idle_timeout_usec;
        int r;

        if (m->idle_timeout_usec == 0)
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

/* Binds and listens on path ourselves, for running without socket activation. */
static int listen_path(Manager *m, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = NEG_ERRNO(socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0));
        if (fd < 0)
                return fd;
        (void) unlink(path);
        r = NEG_ERRNO(bind(fd, (struct sockaddr *) &sa, sizeof(sa)));
        if (r < 0)
                return r;
        m->bound_path = strdup(path);
        if (!m->bound_path)
                return -ENOMEM;
        /* Authorization happens per call, so every local user may connect. */
        (void) chmod(path, 0666);
        r = NEG_ERRNO(listen(fd, SOMAXCONN));
        if (r < 0)
                return r;
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
        (void) sd_notify(false, "READY=1\nSTATUS=Serving.");
        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}
