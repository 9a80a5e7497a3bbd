/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmicrohttpd inside sd-event. MHD_USE_EPOLL without an internal thread gives one epoll fd
 * that becomes readable whenever any of MHD's sockets (the connections, and the event fd that
 * MHD_resume_connection() signals) needs attention; we watch that fd and call MHD_run(), then
 * re-arm a timer from MHD_get_timeout() for connection timeouts.
 *
 * We accept connections ourselves and hand MHD only those the admit callback lets in: MHD's
 * accept policy callback sees an address, which on a Unix socket says nothing, while the
 * caller's identity needs the socket itself. A connection that is refused is closed at once,
 * before MHD gives it any memory or counts it against its limit. */

#include <fcntl.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "http-server.h"
#include "log.h"
#include "openai.h"

/* Keep-alive connections that send nothing for this long are closed. Waiting for a slot or for
 * the upstream does not count: suspended connections have no timeout. */
#define HTTP_CONNECTION_TIMEOUT_SEC 300U
/* MHD's own limit only backs up the admit callback's, which is lower. */
#define HTTP_CONNECTION_LIMIT 16384U
#define HTTP_CONNECTION_MEMORY (64U * 1024U)
/* Connections accepted per wakeup: enough to empty the listen queue quickly (most of a flood
 * is refused at once, cheaply), few enough that MHD still runs in between. */
#define HTTP_ACCEPT_BATCH 256U
/* Out of file descriptors: wait this long before accepting again, instead of spinning. */
#define HTTP_ACCEPT_PAUSE_USEC (100ULL * 1000)

struct HttpServer {
        sd_event *event;
        struct MHD_Daemon *daemon;
        HttpServerCallbacks cb;
        void *userdata;
        int listen_fd;
        void *admitting;                /* the context of the connection being added */
        sd_event_source *io;
        sd_event_source *timer;
        sd_event_source *kick;
        sd_event_source *listen;
        sd_event_source *accept_pause;
};

static void update_timer(HttpServer *s) {
        MHD_UNSIGNED_LONG_LONG ms;

        if (MHD_get_timeout(s->daemon, &ms) != MHD_YES) {
                (void) sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_time(s->timer, now(CLOCK_MONOTONIC) + (uint64_t) ms * 1000);
        (void) sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
}

static void run(HttpServer *s) {
        if (MHD_run(s->daemon) != MHD_YES)
                log_debug("MHD_run() failed, carrying on.");
        update_timer(s);
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        run(userdata);
        return 0;
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        run(userdata);
        return 0;
}

static int on_kick(sd_event_source *src, void *userdata) {
        run(userdata);
        return 0;
}

void http_server_kick(HttpServer *s) {
        if (s)
                (void) sd_event_source_set_enabled(s->kick, SD_EVENT_ONESHOT);
}

_printf_(2, 0) static void on_mhd_log(void *cls, const char *format, va_list ap) {
        char buf[512];

        /* MHD reports clients that go away and the like here: nothing an operator acts on. */
        vsnprintf(buf, sizeof buf, format, ap);
        buf[strcspn(buf, "\n")] = 0;
        log_debug("libmicrohttpd: %s", buf);
}

static void on_mhd_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe) {
        HttpServer *s = cls;

        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                /* Called from within MHD_add_connection(), for the connection we are adding. */
                *socket_context = steal_ptr(s->admitting);
                return;
        }
        if (*socket_context && s->cb.closed)
                s->cb.closed(s->userdata, c, *socket_context);
        *socket_context = NULL;
}

static void add_connection(HttpServer *s, int fd, const struct sockaddr *sa, socklen_t len) {
        void *context = NULL;

        if (s->cb.admit(s->userdata, fd, &context) < 0) {
                safe_close(fd);
                return;
        }
        s->admitting = context;
        /* MHD closes fd if it fails, and reports a connection it had started as closed. */
        if (MHD_add_connection(s->daemon, fd, sa, len) != MHD_YES)
                log_debug_errno(errno, "libmicrohttpd did not take a connection: %m");
        if (s->admitting && s->cb.closed)
                s->cb.closed(s->userdata, NULL, s->admitting);
        s->admitting = NULL;
}

static int on_accept_pause(sd_event_source *src, uint64_t usec, void *userdata) {
        HttpServer *s = userdata;

        (void) sd_event_source_set_enabled(s->listen, SD_EVENT_ON);
        return 0;
}

static void pause_accepting(HttpServer *s) {
        int r;

        if (!s->accept_pause)
                r = sd_event_add_time_relative(s->event, &s->accept_pause, CLOCK_MONOTONIC,
                                               HTTP_ACCEPT_PAUSE_USEC, 0, on_accept_pause, s);
        else {
                r = sd_event_source_set_time_relative(s->accept_pause, HTTP_ACCEPT_PAUSE_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s->accept_pause, SD_EVENT_ONESHOT);
        }
        if (r >= 0)
                (void) sd_event_source_set_enabled(s->listen, SD_EVENT_OFF);
}

static int on_listen(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        HttpServer *s = userdata;

        for (unsigned i = 0; i < HTTP_ACCEPT_BATCH; i++) {
                struct sockaddr_storage sa;
                socklen_t len = sizeof(sa);
                int cfd;

                cfd = accept4(fd, (struct sockaddr *) &sa, &len, SOCK_NONBLOCK|SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                                log_warning_errno(errno, "Cannot accept connections for now: %m");
                                pause_accepting(s);
                                break;
                        }
                        if (errno == EAGAIN)
                                break;
                        continue;       /* ECONNABORTED and the like: that one is gone */
                }
                add_connection(s, cfd, (struct sockaddr *) &sa, len);
        }
        run(s);
        return 0;
}

static int start_daemon(HttpServer *s, const HttpServerCallbacks *cb, void *userdata) {
        s->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                                     MHD_USE_NO_LISTEN_SOCKET,
                                     0, NULL, NULL, cb->access, userdata,
                                     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                     MHD_OPTION_NOTIFY_COMPLETED, cb->completed, userdata,
                                     MHD_OPTION_NOTIFY_CONNECTION, on_mhd_connection, s,
                                     MHD_OPTION_CONNECTION_TIMEOUT, HTTP_CONNECTION_TIMEOUT_SEC,
                                     MHD_OPTION_CONNECTION_LIMIT, HTTP_CONNECTION_LIMIT,
                                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HTTP_CONNECTION_MEMORY,
                                     MHD_OPTION_END);
        return s->daemon ? 0 : -EIO;
}

static int add_sources(HttpServer *s) {
        const union MHD_DaemonInfo *info;
        int r;

        info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info || info->epoll_fd < 0)
                return -EIO;
        r = sd_event_add_io(s->event, &s->io, info->epoll_fd, EPOLLIN, on_io, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->io, "mhd-epoll");
        /* MHD asks for a timeout of 0 while it has buffered work: no coalescing, or large
         * uploads crawl at sd-event's default accuracy of 250 ms per round. */
        r = sd_event_add_time(s->event, &s->timer, CLOCK_MONOTONIC, UINT64_MAX, 1, on_timer, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->timer, "mhd-timer");
        r = sd_event_add_defer(s->event, &s->kick, on_kick, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(s->kick, SD_EVENT_OFF);
        (void) sd_event_source_set_description(s->kick, "mhd-kick");
        r = sd_event_add_io(s->event, &s->listen, s->listen_fd, EPOLLIN, on_listen, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->listen, "http-listen");
        return 0;
}

int http_server_new(sd_event *event, int fd, const HttpServerCallbacks *cb, void *userdata, HttpServer **ret) {
        _cleanup_(http_server_freep) HttpServer *s = NULL;
        int r, flags;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->listen_fd = -EBADF;
        s->event = sd_event_ref(event);
        s->cb = *cb;
        s->userdata = userdata;
        /* Accepting must never block the loop, whatever mode systemd passed the socket in. */
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        s->listen_fd = fd;
        r = start_daemon(s, cb, userdata);
        if (r >= 0)
                r = add_sources(s);
        if (r < 0) {
                s->listen_fd = -EBADF;  /* still the caller's */
                return r;
        }
        update_timer(s);
        *ret = steal_ptr(s);
        return 0;
}

HttpServer *http_server_free(HttpServer *s) {
        if (!s)
                return NULL;
        s->io = sd_event_source_disable_unref(s->io);
        s->timer = sd_event_source_disable_unref(s->timer);
        s->kick = sd_event_source_disable_unref(s->kick);
        s->listen = sd_event_source_disable_unref(s->listen);
        s->accept_pause = sd_event_source_disable_unref(s->accept_pause);
        safe_close(s->listen_fd);
        if (s->daemon) {
                /* Connections resumed for shutdown are closed by their handlers in this run;
                 * stopping MHD with connections still suspended is not allowed. */
                (void) MHD_run(s->daemon);
                MHD_stop_daemon(s->daemon);
        }
        sd_event_unref(s->event);
        return mfree(s);
}

enum MHD_Result http_respond_json(struct MHD_Connection *c, unsigned status, const char *json) {
        struct MHD_Response *resp;
        enum MHD_Result ret;

        resp = MHD_create_response_from_buffer(strlen(json), (void *) json, MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;
        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") != MHD_YES) {
                MHD_destroy_response(resp);
                return MHD_NO;
        }
        ret = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

enum MHD_Result http_respond_error(struct MHD_Connection *c, unsigned status, const char *type,
                                   const char *code, const char *format, ...) {
        _cleanup_free_ char *message = NULL, *json = NULL;
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&message, format, ap);
        va_end(ap);
        if (k < 0)
                return MHD_NO;
        json = openai_error_json(type, code, "%s", message);
        return json ? http_respond_json(c, status, json) : MHD_NO;
}

int http_connection_fd(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

        return info ? info->connect_fd : -EBADF;
}

void http_refuse(int fd, unsigned status, const char *reason, const char *json) {
        char head[256];
        struct iovec iov[2];
        int n;

        /* Best effort on a socket that is closed right after: the caller has likely not sent
         * its request yet, and a short answer fits the socket buffer without waiting. */
        n = snprintf(head, sizeof head,
                     "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n", status, reason, strlen(json));
        if (n < 0 || (size_t) n >= sizeof head)
                return;
        iov[0] = (struct iovec) { .iov_base = head, .iov_len = (size_t) n };
        iov[1] = (struct iovec) { .iov_base = (void *) json, .iov_len = strlen(json) };
        (void) sendmsg(fd, &(struct msghdr) { .msg_iov = iov, .msg_iovlen = 2 }, MSG_DONTWAIT|MSG_NOSIGNAL);
        (void) shutdown(fd, SHUT_WR);
}

void http_close_connection(HttpServer *s, int fd) {
        /* MHD has no call to close a connection it is reading from; a socket shut down under it
         * reads as the end of input, and MHD closes the connection and completes its request. */
        (void) shutdown(fd, SHUT_RDWR);
        http_server_kick(s);
}
