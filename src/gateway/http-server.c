/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmicrohttpd inside sd-event. MHD_USE_EPOLL without an internal thread gives one epoll fd
 * that becomes readable whenever any of MHD's sockets (the listener, the connections, and the
 * event fd that MHD_resume_connection() signals) needs attention; we watch that fd and call
 * MHD_run(), then re-arm a timer from MHD_get_timeout() for connection timeouts. */

#include <stdarg.h>
#include <sys/epoll.h>

#include "http-server.h"
#include "log.h"
#include "openai.h"

/* Keep-alive connections that send nothing for this long are closed. Waiting for a slot or for
 * the upstream does not count: suspended connections have no timeout. */
#define HTTP_CONNECTION_TIMEOUT_SEC 300U
#define HTTP_CONNECTION_LIMIT 1024U
#define HTTP_CONNECTION_MEMORY (64U * 1024U)

struct HttpServer {
        sd_event *event;
        struct MHD_Daemon *daemon;
        sd_event_source *io;
        sd_event_source *timer;
        sd_event_source *kick;
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

int http_server_new(sd_event *event, int fd, const HttpServerCallbacks *cb, void *userdata, HttpServer **ret) {
        _cleanup_(http_server_freep) HttpServer *s = NULL;
        const union MHD_DaemonInfo *info;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
                                     0, NULL, NULL, cb->access, userdata,
                                     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                     MHD_OPTION_LISTEN_SOCKET, fd,
                                     MHD_OPTION_NOTIFY_COMPLETED, cb->completed, userdata,
                                     MHD_OPTION_NOTIFY_CONNECTION, cb->connection, userdata,
                                     MHD_OPTION_CONNECTION_TIMEOUT, HTTP_CONNECTION_TIMEOUT_SEC,
                                     MHD_OPTION_CONNECTION_LIMIT, HTTP_CONNECTION_LIMIT,
                                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HTTP_CONNECTION_MEMORY,
                                     MHD_OPTION_END);
        if (!s->daemon)
                return -EIO;
        info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info || info->epoll_fd < 0)
                return -EIO;
        r = sd_event_add_io(event, &s->io, info->epoll_fd, EPOLLIN, on_io, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->io, "mhd-epoll");
        /* MHD asks for a timeout of 0 while it has buffered work: no coalescing, or large
         * uploads crawl at sd-event's default accuracy of 250 ms per round. */
        r = sd_event_add_time(event, &s->timer, CLOCK_MONOTONIC, UINT64_MAX, 1, on_timer, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->timer, "mhd-timer");
        r = sd_event_add_defer(event, &s->kick, on_kick, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(s->kick, SD_EVENT_OFF);
        (void) sd_event_source_set_description(s->kick, "mhd-kick");
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
