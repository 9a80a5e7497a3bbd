/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* HTTP/1.1 on the inference socket, parsed by libmicrohttpd. MHD runs without threads of its
 * own: its epoll fd and its timeout are event sources in our sd-event loop, and requests that
 * wait (for a slot, for the upstream) are suspended connections. */

#include <microhttpd.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct HttpServer HttpServer;

typedef struct HttpServerCallbacks {
        MHD_AccessHandlerCallback access;
        MHD_RequestCompletedCallback completed;
        /* A connection was accepted on fd and MHD has not seen it yet. Returns 0 and sets
         * *ret_context, which becomes the connection's MHD socket context, to let it in; or a
         * negative errno, and fd is closed at once (the callback may write a refusal first). */
        int (*admit)(void *userdata, int fd, void **ret_context);
        /* The connection with context is closed (c is NULL if MHD never started it). */
        void (*closed)(void *userdata, struct MHD_Connection *c, void *context);
} HttpServerCallbacks;

/* Serves HTTP on the listening socket fd, which it makes non-blocking and, on success, takes
 * over. The callbacks get userdata as their closure. Returns 0, or -EIO if MHD refused to
 * start. */
int http_server_new(sd_event *event, int fd, const HttpServerCallbacks *cb, void *userdata, HttpServer **ret);
/* Stops serving; every connection is closed and its requests completed. */
HttpServer *http_server_free(HttpServer *s);
DEFINE_PTR_CLEANUP(HttpServer *, http_server_free);

/* Runs MHD once more from the event loop: after MHD_resume_connection(), which in our mode
 * (no MHD threads) takes effect only in the next MHD_run(). */
void http_server_kick(HttpServer *s);

/* Queues a complete JSON response. Returns MHD_YES or MHD_NO, for the access handler. */
enum MHD_Result http_respond_json(struct MHD_Connection *c, unsigned status, const char *json);
/* Queues an OpenAI-style error object (see openai_error_json()). */
enum MHD_Result http_respond_error(struct MHD_Connection *c, unsigned status, const char *type,
                                   const char *code, const char *format, ...) _printf_(5, 6);

/* The connected socket of c, or -EBADF. */
int http_connection_fd(struct MHD_Connection *c);

/* Writes a complete HTTP answer with the JSON body to fd, which is about to be closed, without
 * waiting; reason is the status line's text. */
void http_refuse(int fd, unsigned status, const char *reason, const char *json);

/* Makes MHD close the connection on fd (one of its own) soon, from the event loop. */
void http_close_connection(HttpServer *s, int fd);
