/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One Varlink connection: framing, fd passing, and the call/reply state machine for both ends.
 * All I/O is non-blocking; blocking client calls loop over varlink_process() and poll(). */

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "log.h"
#include "varlink-internal.h"

#define VARLINK_CLIENT_INPUT_MAX (64U * 1024U * 1024U)
#define VARLINK_READ_SIZE (64U * 1024U)
#define VARLINK_DEFAULT_TIMEOUT_USEC (60ULL * 1000000ULL)

typedef enum VarlinkState {
        VARLINK_CLIENT_IDLE,            /* no call outstanding */
        VARLINK_CLIENT_AWAITING,        /* a call was sent; waiting for (more) replies */
        VARLINK_SERVER_IDLE,            /* waiting for the next call */
        VARLINK_SERVER_PROCESSING,      /* a call is being handled; its final reply is owed */
        VARLINK_DISCONNECTED,
} VarlinkState;

struct Varlink {
        unsigned n_ref;
        int fd;
        VarlinkState state;
        VarlinkServer *server;
        struct ucred ucred;
        bool ucred_valid;
        void *userdata;
        uint64_t timeout_usec;

        char *input;
        size_t input_used, input_allocated, input_max;
        int *input_fds;                 /* received, not yet claimed by a message */
        size_t n_input_fds;
        int *current_fds;               /* belong to the message being handled */
        size_t n_current_fds;

        char *output;
        size_t output_used, output_sent, output_allocated;
        int *output_fds;                /* go out with the byte at output_fds_at */
        size_t n_output_fds, output_fds_at;
        int *pushed_fds;                /* go with the next message queued */
        size_t n_pushed_fds;

        json_object *current;           /* the message being handled */
        VarlinkMethodFlags current_flags;
        const char *reply_error;        /* client: result of the last reply, in current */
        json_object *reply_parameters;

        VarlinkReplyCallback reply_cb;
        void *reply_userdata;
        sd_event_source *io_source;
        sd_event_source *defer_source;
};

static void close_fds(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                safe_close(fds[i]);
}

static int append_fds(int **fds, size_t *n, const int *add, size_t n_add) {
        int *a = reallocarray(*fds, *n + n_add, sizeof(int));

        if (!a)
                return -ENOMEM;
        memcpy(a + *n, add, n_add * sizeof(int));
        *fds = a;
        *n += n_add;
        return 0;
}

static void release_current(Varlink *l) {
        close_fds(l->current_fds, l->n_current_fds);
        l->current_fds = mfree(l->current_fds);
        l->n_current_fds = 0;
        json_object_put(steal_ptr(l->current));
        l->reply_error = NULL;
        l->reply_parameters = NULL;
}

static void schedule(Varlink *l);
static bool wants_input(Varlink *l);

void varlink_close(Varlink *l) {
        bool had_server;

        if (!l || l->state == VARLINK_DISCONNECTED)
                return;

        l->state = VARLINK_DISCONNECTED;
        l->io_source = sd_event_source_disable_unref(l->io_source);
        l->defer_source = sd_event_source_disable_unref(l->defer_source);

        /* Tell the server first, so it has forgotten the connection by the time the peer sees
         * the socket close; the server drops its reference, so hold one meanwhile. */
        had_server = l->server;
        if (had_server) {
                varlink_ref(l);
                varlink_server_on_disconnect(l->server, l);
        }

        l->fd = safe_close(l->fd);
        close_fds(l->input_fds, l->n_input_fds);
        l->n_input_fds = 0;
        close_fds(l->output_fds, l->n_output_fds);
        l->n_output_fds = 0;
        close_fds(l->pushed_fds, l->n_pushed_fds);
        l->n_pushed_fds = 0;
        l->input_used = l->output_used = l->output_sent = 0;

        if (had_server)
                varlink_unref(l);
}

static Varlink *varlink_free(Varlink *l) {
        varlink_close(l);
        release_current(l);
        if (l->input)
                explicit_bzero(l->input, l->input_allocated);
        free(l->input);
        free(l->input_fds);
        free(l->output);
        free(l->output_fds);
        free(l->pushed_fds);
        free(l);
        return NULL;
}

Varlink *varlink_ref(Varlink *l) {
        if (l)
                l->n_ref++;
        return l;
}

Varlink *varlink_unref(Varlink *l) {
        if (!l || --l->n_ref > 0)
                return NULL;
        return varlink_free(l);
}

static int varlink_new(int fd, Varlink **ret) {
        Varlink *l;
        socklen_t sl = sizeof(struct ucred);

        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->n_ref = 1;
        l->fd = fd;
        l->timeout_usec = VARLINK_DEFAULT_TIMEOUT_USEC;
        l->input_max = VARLINK_CLIENT_INPUT_MAX;
        l->state = VARLINK_CLIENT_IDLE;
        l->ucred_valid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &l->ucred, &sl) >= 0;
        *ret = l;
        return 0;
}

int varlink_connect_fd(int fd, Varlink **ret) {
        int r;

        r = NEG_ERRNO(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
        if (r < 0)
                return r;
        return varlink_new(fd, ret);
}

int varlink_connect_address(const char *path, Varlink **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);

        fd = NEG_ERRNO(socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0));
        if (fd < 0)
                return fd;
        /* Connect while blocking: a socket-activated server may take a moment to accept. */
        r = NEG_ERRNO(connect(fd, (struct sockaddr *) &sa, sizeof(sa)));
        if (r < 0)
                return r;
        r = varlink_connect_fd(fd, ret);
        if (r >= 0)
                fd = -EBADF;
        return r;
}

int varlink_new_server_link(VarlinkServer *s, int fd, Varlink **ret) {
        Varlink *l;
        int r;

        r = varlink_connect_fd(fd, &l);
        if (r < 0)
                return r;
        l->server = s;
        l->state = VARLINK_SERVER_IDLE;
        l->input_max = VARLINK_SERVER_INPUT_MAX;
        *ret = l;
        return 0;
}

void varlink_detach_server(Varlink *l) {
        l->server = NULL;
}

bool varlink_is_connected(Varlink *l) {
        return l && l->state != VARLINK_DISCONNECTED;
}

void varlink_set_userdata(Varlink *l, void *userdata) {
        l->userdata = userdata;
}

void *varlink_get_userdata(Varlink *l) {
        return l->userdata;
}

VarlinkServer *varlink_get_server(Varlink *l) {
        return l->server;
}

int varlink_get_peer_ucred(Varlink *l, struct ucred *ret) {
        if (!l->ucred_valid)
                return -ENODATA;
        *ret = l->ucred;
        return 0;
}

void varlink_set_timeout(Varlink *l, uint64_t usec) {
        l->timeout_usec = usec;
}

int varlink_push_fd(Varlink *l, int fd) {
        int r;

        if (fd < 0)
                return -EBADF;
        if (l->n_pushed_fds >= VARLINK_FDS_MAX) {
                safe_close(fd);
                return -ENOBUFS;
        }
        r = append_fds(&l->pushed_fds, &l->n_pushed_fds, &fd, 1);
        if (r < 0)
                safe_close(fd);
        return r;
}

int varlink_take_fd(Varlink *l, unsigned idx) {
        int fd;

        if (idx >= l->n_current_fds || l->current_fds[idx] < 0)
                return -ENXIO;
        fd = l->current_fds[idx];
        l->current_fds[idx] = -EBADF;
        return fd;
}

unsigned varlink_n_received_fds(Varlink *l) {
        return (unsigned) l->n_current_fds;
}

size_t varlink_get_output_pending(Varlink *l) {
        return l->output_used - l->output_sent;
}

/* Drops what was sent from the front of the output buffer, so a connection that is always a
 * little behind does not grow its buffer by everything it ever sent. */
static void compact_output(Varlink *l) {
        if (l->output_sent == 0 || l->n_output_fds > 0)
                return;
        memmove(l->output, l->output + l->output_sent, l->output_used - l->output_sent);
        l->output_used -= l->output_sent;
        l->output_sent = 0;
}

/* Queues one message (the JSON text plus its NUL) with any pushed fds. A server connection
 * whose peer lets more than VARLINK_OUTPUT_MAX pile up unread is closed: it is not reading its
 * replies, and they would otherwise be kept in our memory for as long as it pleases. */
static int enqueue(Varlink *l, json_object *m) {
        const char *text;
        size_t n;
        char *b;

        if (l->state == VARLINK_DISCONNECTED)
                return -ENOTCONN;
        if (l->n_pushed_fds > 0 && l->n_output_fds > 0)
                return -EBUSY;          /* one batch of fds in flight at a time */

        text = json_to_string(m);
        if (!text)
                return -ENOMEM;
        n = strlen(text) + 1;
        if (l->server && varlink_get_output_pending(l) + n > VARLINK_OUTPUT_MAX) {
                log_debug("Peer does not read its replies (%zu bytes pending), closing.",
                          varlink_get_output_pending(l));
                varlink_close(l);
                return -ENOBUFS;
        }
        compact_output(l);
        if (l->output_used + n > l->output_allocated) {
                /* Grow geometrically: a stream of replies must not copy the buffer each time. */
                size_t a = MAX(l->output_used + n, 2 * l->output_allocated);
                b = realloc(l->output, a);
                if (!b)
                        return -ENOMEM;
                l->output = b;
                l->output_allocated = a;
        }
        if (l->n_pushed_fds > 0) {
                l->output_fds = steal_ptr(l->pushed_fds);
                l->n_output_fds = l->n_pushed_fds;
                l->n_pushed_fds = 0;
                l->output_fds_at = l->output_used;
        }
        memcpy(l->output + l->output_used, text, n);
        l->output_used += n;
        schedule(l);
        return 0;
}

/* Writes what it can. Returns 1 on progress, 0 if nothing was written, <0 on error. */
static int flush_output(Varlink *l) {
        struct iovec iov;
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * VARLINK_FDS_MAX)]; } control;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        size_t end = l->output_used;
        bool with_fds = false;
        ssize_t k;

        if (l->output_sent >= l->output_used)
                return 0;
        if (l->n_output_fds > 0) {
                if (l->output_sent < l->output_fds_at)
                        end = l->output_fds_at;         /* bytes before the fds' message first */
                else {
                        with_fds = true;
                        memset(&control, 0, sizeof(control));
                        mh.msg_control = &control;
                        mh.msg_controllen = CMSG_SPACE(sizeof(int) * l->n_output_fds);
                        control.h.cmsg_level = SOL_SOCKET;
                        control.h.cmsg_type = SCM_RIGHTS;
                        control.h.cmsg_len = CMSG_LEN(sizeof(int) * l->n_output_fds);
                        memcpy(CMSG_DATA(&control.h), l->output_fds, sizeof(int) * l->n_output_fds);
                }
        }
        iov = (struct iovec) { l->output + l->output_sent, end - l->output_sent };
        k = sendmsg(l->fd, &mh, MSG_DONTWAIT|MSG_NOSIGNAL);
        if (k < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;

        if (with_fds) {
                close_fds(l->output_fds, l->n_output_fds);
                l->output_fds = mfree(l->output_fds);
                l->n_output_fds = 0;
        }
        l->output_sent += (size_t) k;
        if (l->output_sent == l->output_used) {
                l->output_sent = l->output_used = 0;
                /* A burst is over: do not keep its buffer for the life of the connection. */
                if (l->output_allocated > VARLINK_READ_SIZE) {
                        l->output = mfree(l->output);
                        l->output_allocated = 0;
                }
        }
        return 1;
}

/* Takes the SCM_RIGHTS fds out of a received message; anything else there is a protocol error. */
static int collect_fds(Varlink *l, struct msghdr *mh) {
        int r = 0;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                size_t n;

                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                if (r >= 0 && l->n_input_fds + n <= VARLINK_FDS_MAX)
                        r = append_fds(&l->input_fds, &l->n_input_fds, (int *) CMSG_DATA(c), n);
                else {
                        close_fds((int *) CMSG_DATA(c), n);
                        r = -EBADMSG;
                }
        }
        if (mh->msg_flags & MSG_CTRUNC)
                return -EBADMSG;
        return r;
}

/* Makes room for size bytes of input. Messages can carry secrets (SetSecret), so the old buffer
 * is wiped before it is freed instead of leaving a copy behind as realloc() would. */
static int reserve_input(Varlink *l, size_t size) {
        char *b;

        if (size <= l->input_allocated)
                return 0;
        b = malloc(size);
        if (!b)
                return -ENOMEM;
        if (l->input) {
                memcpy(b, l->input, l->input_used);
                explicit_bzero(l->input, l->input_allocated);
                free(l->input);
        }
        l->input = b;
        l->input_allocated = size;
        return 0;
}

/* Reads what is there. Returns 1 on progress, 0 if nothing was there, <0 on error or EOF. */
static int fill_input(Varlink *l) {
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * VARLINK_FDS_MAX)]; } control;
        struct iovec iov;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = &control, .msg_controllen = sizeof(control) };
        ssize_t k;
        int r;

        if (l->input_used >= l->input_max)
                return -ENOBUFS;        /* a message without end: the peer is broken or hostile */
        r = reserve_input(l, MIN(l->input_used + VARLINK_READ_SIZE, (size_t) l->input_max));
        if (r < 0)
                return r;
        iov = (struct iovec) { l->input + l->input_used,
                               MIN((size_t) VARLINK_READ_SIZE, l->input_max - l->input_used) };

        k = recvmsg(l->fd, &mh, MSG_DONTWAIT|MSG_CMSG_CLOEXEC);
        if (k < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        r = collect_fds(l, &mh);
        if (r < 0)
                return r;
        if (k == 0)
                return -ECONNRESET;
        l->input_used += (size_t) k;
        return 1;
}

/* Cuts the first complete message out of the input buffer. Returns 1 and a new reference in
 * *ret, 0 if none is complete yet, -EBADMSG if it is not a JSON object. */
static int next_message(Varlink *l, json_object **ret) {
        char *nul;
        size_t n;
        int r;

        if (l->input_used == 0)
                return 0;
        nul = memchr(l->input, 0, l->input_used);
        if (!nul)
                return 0;
        n = (size_t) (nul - l->input);
        r = json_parse(l->input, n, ret);
        memmove(l->input, nul + 1, l->input_used - n - 1);
        l->input_used -= n + 1;
        /* What was read is parsed: leave no copy of it (it may hold a secret's value). */
        explicit_bzero(l->input + l->input_used, n + 1);
        if (r < 0)
                return r;
        if (!json_object_is_type(*ret, json_type_object)) {
                json_object_put(steal_ptr(*ret));
                return -EBADMSG;
        }
        /* The fds that arrived so far belong to this message. */
        l->current_fds = steal_ptr(l->input_fds);
        l->n_current_fds = l->n_input_fds;
        l->n_input_fds = 0;
        return 1;
}

/* Validates a call and hands it to the server. Malformed calls get InvalidParameter and the
 * connection stays usable; the caller closes it only for unparsable bytes. */
static int dispatch_call(Varlink *l) {
        json_object *parameters = NULL;
        const char *method;
        bool oneway = false, more = false;
        int r;

        if (json_get_string(l->current, "method", &method) < 0 ||
            json_get_bool(l->current, "oneway", &oneway) == -EINVAL ||
            json_get_bool(l->current, "more", &more) == -EINVAL ||
            json_get_object(l->current, "parameters", &parameters) == -EINVAL) {
                l->state = VARLINK_SERVER_PROCESSING;
                return varlink_error_invalid_parameter(l, "method");
        }
        if (!parameters) {
                r = json_add_take(l->current, "parameters", json_object_new_object());
                if (r < 0)
                        return r;
                (void) json_get_object(l->current, "parameters", &parameters);
        }

        l->current_flags = (oneway ? VARLINK_METHOD_ONEWAY : 0) | (more ? VARLINK_METHOD_MORE : 0);
        l->state = VARLINK_SERVER_PROCESSING;
        r = l->server ? varlink_server_dispatch(l->server, l, method, parameters, l->current_flags) : -ENOTCONN;
        if (r < 0 && l->state == VARLINK_SERVER_PROCESSING)
                return varlink_error_errno(l, r);
        if (oneway && l->state == VARLINK_SERVER_PROCESSING) {
                l->state = VARLINK_SERVER_IDLE;
                release_current(l);
        }
        return 0;
}

static int dispatch_reply(Varlink *l) {
        json_object *parameters = NULL;
        const char *error = NULL;
        bool continues = false;
        VarlinkReplyCallback cb = l->reply_cb;
        int r = 0;

        if (json_get_string(l->current, "error", &error) == -EINVAL ||
            json_get_bool(l->current, "continues", &continues) == -EINVAL ||
            json_get_object(l->current, "parameters", &parameters) == -EINVAL)
                return -EBADMSG;

        if (!continues) {
                l->state = VARLINK_CLIENT_IDLE;
                l->reply_cb = NULL;
        }
        l->reply_error = error;
        l->reply_parameters = parameters;
        if (cb)
                r = cb(l, parameters, error, continues, l->reply_userdata);
        return r;
}

static int dispatch_input(Varlink *l) {
        int r;

        /* Calls already buffered wait too while the peer is not reading. */
        if (!wants_input(l))
                return 0;
        release_current(l);
        r = next_message(l, &l->current);
        if (r <= 0)
                return r;
        r = l->state == VARLINK_SERVER_IDLE ? dispatch_call(l) : dispatch_reply(l);
        return r < 0 ? r : 1;
}

/* A server connection takes the next call only while the replies to earlier ones are being read:
 * a client that pipelines calls and never reads would otherwise make us buffer every reply. It
 * is not read from (its input event is off) until its output drains below the mark. */
static bool wants_input(Varlink *l) {
        if (l->state == VARLINK_SERVER_IDLE)
                return varlink_get_output_pending(l) < VARLINK_OUTPUT_HIGH;
        return l->state == VARLINK_CLIENT_AWAITING;
}

/* Fails an outstanding asynchronous call when the peer goes away. */
static void fail_pending(Varlink *l) {
        VarlinkReplyCallback cb = steal_ptr(l->reply_cb);

        if (l->state == VARLINK_CLIENT_AWAITING && cb)
                (void) cb(l, NULL, VARLINK_ERROR_DISCONNECTED, false, l->reply_userdata);
}

/* Does one step of work. Returns 1 if something happened, 0 if it must wait, <0 on error
 * (the connection is then closed). */
static int varlink_process(Varlink *l) {
        /* Keeps l alive while a callback drops the last other reference. */
        _cleanup_(varlink_unrefp) _unused_ Varlink *ref = varlink_ref(l);
        int r;

        if (l->state == VARLINK_DISCONNECTED)
                return -ENOTCONN;

        r = flush_output(l);
        if (r == 0)
                r = dispatch_input(l);
        if (r == 0 && wants_input(l))
                r = fill_input(l);
        if (r < 0) {
                log_debug_errno(r, "Varlink connection failed, closing: %m");
                fail_pending(l);
                varlink_close(l);
        }
        return r;
}

static uint32_t poll_events(Varlink *l) {
        return (l->output_used > l->output_sent ? POLLOUT : 0) | (wants_input(l) ? POLLIN : 0);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        _cleanup_(varlink_unrefp) Varlink *l = varlink_ref(userdata);
        int r;

        while ((r = varlink_process(l)) > 0)
                ;
        /* A hang-up is reported whatever we asked for; if nothing more can be read or written
         * (e.g. the peer left while its call is being handled), the connection is over. */
        if (r == 0 && (revents & (EPOLLHUP|EPOLLERR))) {
                fail_pending(l);
                varlink_close(l);
        }
        schedule(l);
        return 0;
}

static int on_defer(sd_event_source *s, void *userdata) {
        return on_io(NULL, -1, 0, userdata);
}

/* Updates what the event loop watches for; a reply queued from a callback also needs the
 * deferred pass because buffered input may already hold the next call. */
static void schedule(Varlink *l) {
        if (!l->io_source || l->state == VARLINK_DISCONNECTED)
                return;
        (void) sd_event_source_set_io_events(l->io_source, poll_events(l));
        if (wants_input(l) && l->input_used > 0 && memchr(l->input, 0, l->input_used))
                (void) sd_event_source_set_enabled(l->defer_source, SD_EVENT_ONESHOT);
}

int varlink_attach_event(Varlink *l, sd_event *e, int64_t priority) {
        int r;

        r = sd_event_add_io(e, &l->io_source, l->fd, poll_events(l), on_io, l);
        if (r < 0)
                return r;
        r = sd_event_add_defer(e, &l->defer_source, on_defer, l);
        if (r < 0)
                return r;
        (void) sd_event_source_set_priority(l->io_source, priority);
        (void) sd_event_source_set_priority(l->defer_source, priority);
        schedule(l);
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* Runs the connection until it is idle again or the timeout passes. */
static int run_until_idle(Varlink *l) {
        uint64_t deadline = l->timeout_usec > 0 ? now_usec() + l->timeout_usec : 0;
        int r;

        while (l->state == VARLINK_CLIENT_AWAITING || l->output_used > l->output_sent) {
                struct pollfd p = { .fd = l->fd };
                int timeout_ms = -1;

                r = varlink_process(l);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                if (deadline > 0) {
                        uint64_t n = now_usec();
                        if (n >= deadline)
                                return -ETIMEDOUT;
                        timeout_ms = (int) MIN((deadline - n + 999) / 1000, (uint64_t) INT32_MAX);
                }
                p.events = (short) poll_events(l);
                if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
                        return -errno;
        }
        return 0;
}

static int enqueue_call(Varlink *l, const char *method, json_object *parameters, bool oneway, bool more) {
        _cleanup_(json_object_putp) json_object *m = json_object_new_object();
        int r;

        if (!m)
                return -ENOMEM;
        if (l->state != VARLINK_CLIENT_IDLE)
                return l->state == VARLINK_DISCONNECTED ? -ENOTCONN : -EBUSY;
        r = json_add_string(m, "method", method);
        if (r >= 0)
                r = json_add_take(m, "parameters",
                                  parameters ? json_object_get(parameters) : json_object_new_object());
        if (r >= 0 && oneway)
                r = json_add_bool(m, "oneway", true);
        if (r >= 0 && more)
                r = json_add_bool(m, "more", true);
        if (r >= 0)
                r = enqueue(l, m);
        if (r < 0)
                return r;
        release_current(l);
        if (!oneway)
                l->state = VARLINK_CLIENT_AWAITING;
        return 0;
}

int varlink_call(Varlink *l, const char *method, json_object *parameters,
                 json_object **ret_parameters, const char **ret_error_id) {
        int r;

        r = enqueue_call(l, method, parameters, /* oneway= */ false, /* more= */ false);
        if (r < 0)
                return r;
        l->reply_cb = NULL;
        r = run_until_idle(l);
        if (r < 0)
                return r;
        if (!l->current)
                return -ECONNRESET;
        if (ret_parameters)
                *ret_parameters = l->reply_parameters;
        if (ret_error_id)
                *ret_error_id = l->reply_error;
        return 0;
}

int varlink_call_more(Varlink *l, const char *method, json_object *parameters,
                      VarlinkReplyCallback cb, void *userdata) {
        int r;

        r = enqueue_call(l, method, parameters, /* oneway= */ false, /* more= */ true);
        if (r < 0)
                return r;
        l->reply_cb = cb;
        l->reply_userdata = userdata;
        /* A stream of replies has no overall deadline; the server decides when it ends. */
        uint64_t saved = l->timeout_usec;
        l->timeout_usec = 0;
        r = run_until_idle(l);
        l->timeout_usec = saved;
        return r;
}

int varlink_send_oneway(Varlink *l, const char *method, json_object *parameters) {
        int r = enqueue_call(l, method, parameters, /* oneway= */ true, /* more= */ false);

        return r < 0 ? r : run_until_idle(l);
}

int varlink_invoke(Varlink *l, const char *method, json_object *parameters, bool more,
                   VarlinkReplyCallback cb, void *userdata) {
        int r = enqueue_call(l, method, parameters, /* oneway= */ false, more);

        if (r < 0)
                return r;
        l->reply_cb = cb;
        l->reply_userdata = userdata;
        return 0;
}

bool varlink_has_pending_call(Varlink *l) {
        return l->state == VARLINK_SERVER_PROCESSING;
}

bool varlink_call_wants_more(Varlink *l) {
        return l->state == VARLINK_SERVER_PROCESSING && (l->current_flags & VARLINK_METHOD_MORE);
}

/* Queues a reply to the call being handled; final replies make the connection take the next
 * call. Replies to oneway calls are dropped, as the protocol says. */
static int send_reply(Varlink *l, const char *error_id, json_object *parameters, bool continues) {
        _cleanup_(json_object_putp) json_object *m = json_object_new_object();
        int r;

        if (l->state == VARLINK_DISCONNECTED)
                return -ENOTCONN;
        if (l->state != VARLINK_SERVER_PROCESSING)
                return -EBUSY;
        if (continues && !(l->current_flags & VARLINK_METHOD_MORE))
                return -EPROTO;
        if (!(l->current_flags & VARLINK_METHOD_ONEWAY)) {
                if (!m)
                        return -ENOMEM;
                r = json_add_take(m, "parameters",
                                  parameters ? json_object_get(parameters) : json_object_new_object());
                if (r >= 0 && error_id)
                        r = json_add_string(m, "error", error_id);
                if (r >= 0 && continues)
                        r = json_add_bool(m, "continues", true);
                if (r >= 0)
                        r = enqueue(l, m);
                if (r < 0)
                        return r;
        }
        if (!continues) {
                l->state = VARLINK_SERVER_IDLE;
                release_current(l);
                schedule(l);
        }
        return 0;
}

int varlink_reply(Varlink *l, json_object *parameters) {
        return send_reply(l, NULL, parameters, false);
}

int varlink_notify(Varlink *l, json_object *parameters) {
        return send_reply(l, NULL, parameters, true);
}

int varlink_error(Varlink *l, const char *error_id, json_object *parameters) {
        return send_reply(l, error_id, parameters, false);
}

int varlink_error_invalid_parameter(Varlink *l, const char *parameter) {
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        int r;

        if (!p)
                return -ENOMEM;
        r = json_add_string(p, "parameter", parameter);
        return r < 0 ? r : varlink_error(l, VARLINK_ERROR_INVALID_PARAMETER, p);
}

int varlink_errorf(Varlink *l, const char *error_id, const char *format, ...) {
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        _cleanup_free_ char *message = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0 || !p)
                return -ENOMEM;
        r = json_add_string(p, "message", message);
        return r < 0 ? r : varlink_error(l, error_id, p);
}

int varlink_error_errno(Varlink *l, int error) {
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        int r;

        if (!p)
                return -ENOMEM;
        r = json_add_int64(p, "errno", abs(error));
        if (r >= 0)
                r = json_add_string(p, "message", strerror(abs(error)));
        return r < 0 ? r : varlink_error(l, VARLINK_ERROR_SYSTEM, p);
}
