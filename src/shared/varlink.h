/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Varlink wire protocol: NUL-terminated JSON objects over a Unix stream socket, with file
 * descriptors passed as SCM_RIGHTS along with a message, in both directions.
 *
 * A Varlink is one connection. On the server side it is created by a VarlinkServer for every
 * accepted socket and handed to method callbacks, which answer with varlink_reply(),
 * varlink_notify() (a "continues" reply, for calls with "more") or varlink_error(), at once or
 * later (take a reference to answer later). On the client side varlink_call() and
 * varlink_call_more() block; varlink_attach_event() + varlink_invoke() work asynchronously. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <systemd/sd-event.h>

#include "json-util.h"

typedef struct Varlink Varlink;
typedef struct VarlinkServer VarlinkServer;

/* Standard errors of the org.varlink.service interface. */
#define VARLINK_ERROR_INTERFACE_NOT_FOUND "org.varlink.service.InterfaceNotFound"
#define VARLINK_ERROR_METHOD_NOT_FOUND "org.varlink.service.MethodNotFound"
#define VARLINK_ERROR_INVALID_PARAMETER "org.varlink.service.InvalidParameter"
#define VARLINK_ERROR_PERMISSION_DENIED "org.varlink.service.PermissionDenied"
#define VARLINK_ERROR_EXPECTED_MORE "org.varlink.service.ExpectedMore"
/* Sent when a method fails with a plain errno; parameters carry "errno" and "message". */
#define VARLINK_ERROR_SYSTEM "io.openmono.SystemError"
/* Generated on the client side when the peer goes away before the final reply. */
#define VARLINK_ERROR_DISCONNECTED "io.openmono.Disconnected"

/* More fds than this with one message are a protocol error. */
#define VARLINK_FDS_MAX 16U

/* Backpressure on server connections: while more than VARLINK_OUTPUT_HIGH bytes of replies wait
 * for the peer to read them, no further call is read from it; a connection whose unread replies
 * would exceed VARLINK_OUTPUT_MAX (a stream of "continues" replies, or one huge reply) is
 * closed. */
#define VARLINK_OUTPUT_HIGH (256U * 1024U)
#define VARLINK_OUTPUT_MAX (4U * 1024U * 1024U)

typedef enum VarlinkMethodFlags {
        VARLINK_METHOD_ONEWAY = 1 << 0,
        VARLINK_METHOD_MORE = 1 << 1,
} VarlinkMethodFlags;

/* Server side: called for each method call. Return <0 to have a generic error sent (unless a
 * reply was already queued); return >=0 after replying, or without replying to answer later. */
typedef int (*VarlinkMethod)(Varlink *link, json_object *parameters, VarlinkMethodFlags flags,
                             void *userdata);
/* Client side: called for each reply; error_id is NULL for a successful one. Return <0 to stop. */
typedef int (*VarlinkReplyCallback)(Varlink *link, json_object *parameters, const char *error_id,
                                    bool continues, void *userdata);
/* Server side: called once when a connection closes. */
typedef void (*VarlinkDisconnect)(VarlinkServer *server, Varlink *link, void *userdata);

Varlink *varlink_ref(Varlink *l);
Varlink *varlink_unref(Varlink *l);
DEFINE_PTR_CLEANUP(Varlink *, varlink_unref);

/* Connects to a Varlink socket at path. Returns 0, or a negative errno from socket()/connect(). */
int varlink_connect_address(const char *path, Varlink **ret);
/* Wraps an already connected socket, taking ownership of fd. */
int varlink_connect_fd(int fd, Varlink **ret);
/* Closes the connection; pending replies are dropped. Safe to call more than once. */
void varlink_close(Varlink *l);
bool varlink_is_connected(Varlink *l);

void varlink_set_userdata(Varlink *l, void *userdata);
void *varlink_get_userdata(Varlink *l);
VarlinkServer *varlink_get_server(Varlink *l);
/* Peer credentials taken with SO_PEERCRED when the connection was set up. */
int varlink_get_peer_ucred(Varlink *l, struct ucred *ret);
/* Bytes queued for the peer and not yet written to the socket. */
size_t varlink_get_output_pending(Varlink *l);
/* Timeout for blocking calls, in µs; 0 means wait forever. The default is 60 s. */
void varlink_set_timeout(Varlink *l, uint64_t usec);

/* Queues fd to be sent with the next outgoing message, taking ownership of it. */
int varlink_push_fd(Varlink *l, int fd);
/* Takes the idx-th fd received with the message being handled; the caller owns it.
 * Returns the fd, or -ENXIO if there is none at idx. */
int varlink_take_fd(Varlink *l, unsigned idx);
unsigned varlink_n_received_fds(Varlink *l);

/* Blocking call: returns 0 with *ret_parameters (borrowed until the next call on l) and
 * *ret_error_id (NULL on success, the error's name otherwise), or a negative errno when the
 * transport fails (-ETIMEDOUT, -ECONNRESET, -EBADMSG for an unparsable reply). */
int varlink_call(Varlink *l, const char *method, json_object *parameters,
                 json_object **ret_parameters, const char **ret_error_id);
/* Blocking call with "more": cb sees every reply until the final one. Returns like cb or 0. */
int varlink_call_more(Varlink *l, const char *method, json_object *parameters,
                      VarlinkReplyCallback cb, void *userdata);
/* Sends a oneway call and flushes it. */
int varlink_send_oneway(Varlink *l, const char *method, json_object *parameters);

/* Asynchronous client: attach to an event loop, then invoke; cb runs from the loop. */
int varlink_attach_event(Varlink *l, sd_event *e, int64_t priority);
int varlink_invoke(Varlink *l, const char *method, json_object *parameters, bool more,
                   VarlinkReplyCallback cb, void *userdata);

/* Server side replies to the call being handled. parameters may be NULL (an empty object);
 * the caller keeps its reference. After a final reply or error the next call is read. */
int varlink_reply(Varlink *l, json_object *parameters);
int varlink_notify(Varlink *l, json_object *parameters);
int varlink_error(Varlink *l, const char *error_id, json_object *parameters);
/* org.varlink.service.InvalidParameter naming the parameter. */
int varlink_error_invalid_parameter(Varlink *l, const char *parameter);
/* An error with a {"message": ...} parameter, for errors a human reads. */
int varlink_errorf(Varlink *l, const char *error_id, const char *format, ...) _printf_(3, 4);
/* The generic error for a negative errno. */
int varlink_error_errno(Varlink *l, int error);
/* True while a call is waiting for its final reply. */
bool varlink_has_pending_call(Varlink *l);
/* Whether the call being handled asked for "more". */
bool varlink_call_wants_more(Varlink *l);

/* Server. Connections are limited in number, per user, in input size and in unread output. */
int varlink_server_new(sd_event *e, VarlinkServer **ret);
VarlinkServer *varlink_server_free(VarlinkServer *s);
DEFINE_PTR_CLEANUP(VarlinkServer *, varlink_server_free);

void varlink_server_set_userdata(VarlinkServer *s, void *userdata);
void *varlink_server_get_userdata(VarlinkServer *s);
int varlink_server_set_info(VarlinkServer *s, const char *vendor, const char *product,
                            const char *version, const char *url);
/* Registers an interface and its IDL text, served by GetInterfaceDescription. */
int varlink_server_add_interface(VarlinkServer *s, const char *name, const char *description);
/* Binds a fully qualified method ("io.openmono.Manager.Ping") of a registered interface. */
int varlink_server_bind_method(VarlinkServer *s, const char *method, VarlinkMethod cb);
/* One entry of a method table for varlink_server_bind_methods(). */
typedef struct VarlinkMethodBinding {
        const char *method;
        VarlinkMethod callback;
} VarlinkMethodBinding;
/* Binds n methods; stops at the first failure and returns it. */
int varlink_server_bind_methods(VarlinkServer *s, const VarlinkMethodBinding *table, size_t n);
void varlink_server_set_disconnect(VarlinkServer *s, VarlinkDisconnect cb);
/* Listens on a bound, listening socket (e.g. from socket activation), taking ownership. */
int varlink_server_listen_fd(VarlinkServer *s, int fd);
/* Serves an already accepted connection, taking ownership of fd. */
int varlink_server_add_connection(VarlinkServer *s, int fd, Varlink **ret);
unsigned varlink_server_n_connections(VarlinkServer *s);
/* Checks that every method in every registered IDL is bound and every bound method is in its
 * IDL. Returns 0, or -EBADR with the first mismatch's name in *ret_name (owned by caller). */
int varlink_server_check_bindings(VarlinkServer *s, char **ret_name);
