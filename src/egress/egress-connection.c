/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The life of one proxied connection.
 *
 *   HEAD       reading the request head, under HeaderTimeoutSec=
 *   RESOLVING  the name is being looked up in a thread (egress-resolve.c)
 *   CONNECTING connect() to the next allowed address; with the lookup under ConnectTimeoutSec=
 *   RELAY      bytes both ways, under IdleTimeoutSec=: spliced through a pipe per direction, so
 *              they go from socket to socket inside the kernel without being copied through
 *              the proxy, as much as either side takes per wake-up; both sockets stay watched
 *              edge-triggered for both directions, so that a busy tunnel costs no epoll_ctl()
 *              per wake-up and a socket that stays ready is not polled again on every
 *              epoll_wait() of the whole proxy
 *   CLOSING    a refusal or an error response is written, then the connection is closed
 *
 * Every connection ends with exactly one journal entry: the decision, and for relayed ones the
 * bytes each way. */

#include <assert.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "egress-connection.h"
#include "egress-log.h"
#include "egress-request.h"
#include "egress-resolve.h"
#include "log.h"
#include "strv.h"

#define RELAY_BUFFER_SIZE (64U * 1024U)
/* 1 MiB pipes made bench/egress.py's 200 tunnels 20 times slower, not faster, and they would
 * use up the kernel's per-user pipe allowance (fs.pipe-user-pages-soft) four times sooner. */
#define RELAY_PIPE_SIZE (256 * 1024)
/* Bytes one direction moves per wake-up before the other connections get their turn. */
#define RELAY_BURST_MAX (1024U * 1024U)

typedef enum ConnectionState {
        STATE_HEAD,
        STATE_RESOLVING,
        STATE_CONNECTING,
        STATE_RELAY,
        STATE_CLOSING,
} ConnectionState;

/* Bytes read from one side and not yet written to the other: in data (the request head, what
 * came with it, and the proxy's own responses), and once relaying, in the pipe behind them. */
typedef struct RelayBuffer {
        size_t start, end;
        bool eof;                       /* the reading side sent EOF */
        bool shut;                      /* ...and it was passed on with shutdown() */
        int pipe[2];                    /* -EBADF until the relay begins */
        size_t piped, pipe_size;        /* bytes in the pipe, and what it holds */
        bool pipe_full;                 /* the last splice into it found no room */
        uint8_t data[RELAY_BUFFER_SIZE];
} RelayBuffer;

struct EgressConnection {
        EgressManager *manager;
        EgressConnection *prev, *next;
        PeerIdentity *identity;
        SessionCount *count;
        SessionCount *user_count;       /* the caller's user, whatever the session */
        EgressCounts reported;          /* what count has been told already */

        ConnectionState state;
        int client_fd, upstream_fd, resolve_fd;
        sd_event_source *client_source, *upstream_source, *resolve_source, *timer;
        sd_event_source *more;          /* a burst was cut short: go on after the others */
        uint32_t client_events, upstream_events;
        uint64_t last_activity;

        EgressRequest request;
        EgressHost host;
        const char *result;             /* the journal's OPENMONO_EGRESS_RESULT= */
        EgressAddresses addresses;
        unsigned next_address;
        char address[INET6_ADDRSTRLEN];

        uint64_t bytes_out, bytes_in;
        RelayBuffer to_upstream, to_client;
};

static void connection_log(EgressConnection *c) {
        EgressDecision d = {
                .session = c->identity->session,
                .user = c->identity->user_name,
                .uid = c->identity->uid,
                .name = c->host.name[0] ? c->host.name : c->request.host,
                .port = c->request.port,
                .result = c->result ?: "aborted",
                .address = c->address[0] ? c->address : NULL,
                .bytes_out = c->bytes_out,
                .bytes_in = c->bytes_in,
        };

        if (egress_manager_log_take(c->manager, c->identity->uid, &d.held_back))
                egress_log_decision(&d, streq(d.result, "allowed") ? LOG_INFO : LOG_NOTICE);
}

/* Passes on to the session's counts what changed since the last time. */
static void connection_report(EgressConnection *c) {
        EgressCounts now = c->reported, delta;

        if (!c->count)
                return;
        now.bytes_sent = c->bytes_out;
        now.bytes_received = c->bytes_in;
        delta = (EgressCounts) {
                .bytes_sent = now.bytes_sent - c->reported.bytes_sent,
                .bytes_received = now.bytes_received - c->reported.bytes_received,
        };
        egress_manager_count_add(c->manager, c->count, &delta);
        c->reported = now;
}

/* Counts the connection's decision once, when it is made. */
static void connection_count_decision(EgressConnection *c, bool allowed) {
        EgressCounts delta = { .allowed = allowed, .denied = !allowed };

        if (c->count)
                egress_manager_count_add(c->manager, c->count, &delta);
}

static int relay_pipe_open(RelayBuffer *b) {
        int size;

        if (pipe2(b->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
                b->pipe[0] = b->pipe[1] = -EBADF;
                return -errno;
        }
        (void) fcntl(b->pipe[1], F_SETPIPE_SZ, RELAY_PIPE_SIZE);
        size = fcntl(b->pipe[1], F_GETPIPE_SZ);
        b->pipe_size = size > 0 ? (size_t) size : 4096;
        return 0;
}

static void relay_buffer_done(RelayBuffer *b) {
        b->pipe[0] = safe_close(b->pipe[0]);
        b->pipe[1] = safe_close(b->pipe[1]);
        b->piped = 0;
}

EgressConnection *egress_connection_free(EgressConnection *c) {
        EgressManager *m;

        if (!c)
                return NULL;
        m = c->manager;
        if (c->identity && c->result)
                connection_log(c);
        connection_report(c);
        if (c->prev)
                c->prev->next = c->next;
        else if (m->connections == c)
                m->connections = c->next;
        if (c->next)
                c->next->prev = c->prev;
        m->n_connections--;
        if (c->count)
                egress_manager_count_release(m, c->count);
        if (c->user_count)
                egress_manager_count_release(m, c->user_count);

        sd_event_source_disable_unref(c->client_source);
        sd_event_source_disable_unref(c->upstream_source);
        sd_event_source_disable_unref(c->resolve_source);
        sd_event_source_disable_unref(c->timer);
        sd_event_source_disable_unref(c->more);
        safe_close(c->client_fd);
        safe_close(c->upstream_fd);
        safe_close(c->resolve_fd);
        relay_buffer_done(&c->to_upstream);
        relay_buffer_done(&c->to_client);
        egress_request_done(&c->request);
        peer_identity_free(c->identity);
        return mfree(c);
}

static int source_set_events(sd_event_source *s, uint32_t *current, uint32_t want) {
        int r;

        if (!s || *current == want)
                return 0;
        if (want == 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_OFF);
        else {
                r = sd_event_source_set_io_events(s, want);
                if (r >= 0 && *current == 0)
                        r = sd_event_source_set_enabled(s, SD_EVENT_ON);
        }
        if (r >= 0)
                *current = want;
        return r;
}

static bool buffer_empty(const RelayBuffer *b) {
        return b->start == b->end;
}

static bool buffer_has_space(const RelayBuffer *b) {
        return b->end < sizeof(b->data);
}

/* Whether bytes wait to be written out, buffered or piped. */
static bool relay_pending(const RelayBuffer *b) {
        return !buffer_empty(b) || b->piped > 0;
}

/* Whether the reading side is worth watching: the pipe has room. */
static bool relay_wants_input(const RelayBuffer *b) {
        return !b->eof && !b->pipe_full;
}

/* What each socket must be watched for, from the state and the buffers. */
static int connection_update_events(EgressConnection *c) {
        uint32_t client = 0, upstream = 0;
        int r;

        switch (c->state) {
        case STATE_HEAD:
                client = EPOLLIN;
                break;
        case STATE_RESOLVING:
                break;
        case STATE_CONNECTING:
                upstream = EPOLLOUT;
                break;
        case STATE_RELAY:
                /* Edge-triggered: each pump runs until its sockets say EAGAIN, so the next edge
                 * is bound to come, except after a burst cut short for fairness, which c->more
                 * picks up without asking the kernel. */
                client = upstream = EPOLLIN | EPOLLOUT | EPOLLET;
                break;
        case STATE_CLOSING:
                /* Reading on (and dropping what comes) lets the response arrive: closing a
                 * socket with unread bytes resets it, and the client may never see the 403. */
                client = EPOLLIN | (buffer_empty(&c->to_client) ? 0 : EPOLLOUT);
                break;
        }
        r = source_set_events(c->client_source, &c->client_events, client);
        if (r >= 0)
                r = source_set_events(c->upstream_source, &c->upstream_events, upstream);
        return r;
}

static int timer_set(EgressConnection *c, uint64_t usec) {
        uint64_t t;
        int r;

        r = sd_event_now(c->manager->event, CLOCK_MONOTONIC, &t);
        if (r < 0)
                return r;
        r = sd_event_source_set_time(c->timer, usec == 0 ? UINT64_MAX : t + usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        return r;
}

/* Reads into b. Returns the bytes read, 0 at EOF, or a negative errno (-EAGAIN). */
static ssize_t buffer_fill(RelayBuffer *b, int fd) {
        ssize_t n;

        if (b->start == b->end)
                b->start = b->end = 0;
        n = read(fd, b->data + b->end, sizeof(b->data) - b->end);
        if (n < 0)
                return -errno;
        b->end += (size_t) n;
        return n;
}

/* Writes out of b. Returns the bytes written or a negative errno (-EAGAIN). */
static ssize_t buffer_flush(RelayBuffer *b, int fd) {
        ssize_t n;

        if (buffer_empty(b))
                return 0;
        n = send(fd, b->data + b->start, b->end - b->start, MSG_NOSIGNAL);
        if (n < 0)
                return -errno;
        b->start += (size_t) n;
        /* An emptied buffer starts over, or a full one that was drained would never be read
         * into again. */
        if (b->start == b->end)
                b->start = b->end = 0;
        return n;
}

static void buffer_set(RelayBuffer *b, const void *p, size_t n) {
        assert(n <= sizeof(b->data));

        memcpy(b->data, p, n);
        b->start = 0;
        b->end = n;
}

/* Replaces whatever was to go to the client with a response, and closes after it. */
static int connection_respond(EgressConnection *c, unsigned status, const char *phrase,
                              const char *result, const char *body) {
        char head[256];
        int n;

        n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %u %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, phrase, strlen(body));
        assert(n > 0 && (size_t) n < sizeof(head));
        buffer_set(&c->to_client, head, (size_t) n);
        if (strlen(body) <= sizeof(c->to_client.data) - (size_t) n) {
                memcpy(c->to_client.data + n, body, strlen(body));
                c->to_client.end += strlen(body);
        }
        c->to_upstream.start = c->to_upstream.end = 0;
        c->result = result;
        c->state = STATE_CLOSING;
        c->upstream_source = sd_event_source_disable_unref(c->upstream_source);
        c->upstream_fd = safe_close(c->upstream_fd);
        c->resolve_source = sd_event_source_disable_unref(c->resolve_source);
        c->resolve_fd = safe_close(c->resolve_fd);
        (void) timer_set(c, 5 * 1000000ULL);
        return connection_update_events(c);
}

/* The 403 that names the policy and the name, so that whoever reads the agent's output knows
 * what to ask the administrator for. */
static int connection_deny(EgressConnection *c, EgressVerdict v) {
        char body[512];

        connection_count_decision(c, /* allowed= */ false);
        (void) snprintf(body, sizeof(body),
                        "Blocked by the OpenMono egress policy AllowDomain=: %s port %u is not allowed "
                        "(%s). Ask the administrator to add the name to AllowDomain= of the session's "
                        "policy.\n",
                        c->host.name[0] ? c->host.name : (c->request.host ?: "-"),
                        (unsigned) c->request.port, egress_verdict_to_string(v));
        return connection_respond(c, 403, "Forbidden", egress_verdict_to_string(v), body);
}

static int connection_respond_error(EgressConnection *c, int error) {
        switch (error) {
        case -E2BIG:
                return connection_respond(c, 431, "Request Header Fields Too Large", "bad-request",
                                          "The request head is too large.\n");
        case -EPROTONOSUPPORT:
                return connection_respond(c, 400, "Bad Request", "bad-request",
                                          "Only http:// URLs are forwarded; use CONNECT for TLS.\n");
        case -EINVAL:
                return connection_respond(c, 400, "Bad Request", "invalid-name",
                                          "The host is not a valid name.\n");
        case -ENOENT:
                return connection_respond(c, 502, "Bad Gateway", "no-such-name",
                                          "The name could not be resolved.\n");
        case -ETIMEDOUT:
                return connection_respond(c, 504, "Gateway Timeout", "connect-timeout",
                                          "The upstream did not answer in time.\n");
        case -ECONNREFUSED:
        case -EHOSTUNREACH:
        case -ENETUNREACH:
                return connection_respond(c, 502, "Bad Gateway", "connect-failed",
                                          "The upstream could not be reached.\n");
        default:
                return connection_respond(c, 400, "Bad Request", "bad-request",
                                          "The request is malformed.\n");
        }
}

static int on_upstream(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static int on_more(sd_event_source *s, void *userdata);

static int socket_connect(const EgressAddress *a, uint16_t port) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        socklen_t len;
        int fd;

        if (a->family == AF_INET) {
                sa.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(port) };
                memcpy(&sa.in.sin_addr, a->address, 4);
                len = sizeof(sa.in);
        } else {
                sa.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(port) };
                memcpy(&sa.in6.sin6_addr, a->address, 16);
                len = sizeof(sa.in6);
        }
        fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0)
                return -errno;
        if (connect(fd, &sa.sa, len) < 0 && errno != EINPROGRESS) {
                int k = -errno;

                safe_close(fd);
                return k;
        }
        return fd;
}

/* Connects to the next resolved address that the policy allows. Every address is judged here,
 * after resolution and right before connect(): a name that is allowed but resolves to loopback,
 * metadata or the host itself is refused, however the resolver was made to say so. */
static int connection_connect_next(EgressConnection *c) {
        EgressVerdict denied = EGRESS_ALLOWED;
        int last_error = -EHOSTUNREACH, r;

        r = egress_manager_refresh_host_addresses(c->manager);
        if (r < 0)
                log_debug_errno(r, "Failed to re-read the host's addresses, using the old ones: %m");
        while (c->next_address < c->addresses.n) {
                const EgressAddress *a = &c->addresses.items[c->next_address++];
                EgressVerdict v = egress_policy_check_address(&c->manager->config.policy, a->family, a->address);
                int fd;

                if (v != EGRESS_ALLOWED) {
                        if (denied == EGRESS_ALLOWED)
                                denied = v;
                        (void) inet_ntop(a->family, a->address, c->address, sizeof(c->address));
                        continue;
                }
                fd = socket_connect(a, c->request.port);
                if (fd < 0) {
                        last_error = fd;
                        continue;
                }
                (void) inet_ntop(a->family, a->address, c->address, sizeof(c->address));
                c->upstream_fd = fd;
                c->upstream_events = EPOLLOUT;
                r = sd_event_add_io(c->manager->event, &c->upstream_source, fd, EPOLLOUT, on_upstream, c);
                if (r < 0)
                        return r;
                c->state = STATE_CONNECTING;
                return connection_update_events(c);
        }
        if (denied != EGRESS_ALLOWED && c->upstream_fd < 0 && last_error == -EHOSTUNREACH)
                return connection_deny(c, denied);
        return connection_respond_error(c, last_error);
}

static int on_resolved(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        EgressConnection *c = userdata;
        int r;

        r = egress_resolve_read(fd, &c->addresses);
        if (r == -EAGAIN)
                return 0;
        c->resolve_source = sd_event_source_disable_unref(c->resolve_source);
        c->resolve_fd = safe_close(c->resolve_fd);
        if (r >= 0)
                r = c->addresses.error;
        if (r >= 0)
                r = connection_connect_next(c);
        else
                r = connection_respond_error(c, -ENOENT);       /* whether missing or unreachable */
        if (r < 0)
                egress_connection_free(c);
        return 0;
}

/* A lookup refused for the limits on lookups in flight: the caller's own, or everybody's. */
static int connection_refuse_lookup(EgressConnection *c, int error) {
        char body[256];
        bool user = error == -EDQUOT;

        connection_count_decision(c, /* allowed= */ false);
        (void) snprintf(body, sizeof(body),
                        "The egress proxy has too many name lookups in flight (%s%u reached); "
                        "try again when earlier ones have finished.\n",
                        user ? "MaxLookupsPerUser=" : "MaxLookups=",
                        user ? c->manager->config.max_lookups_per_user : c->manager->config.max_lookups);
        return connection_respond(c, 503, "Service Unavailable",
                                  user ? "user-lookups-full" : "lookups-full", body);
}

static int connection_resolve(EgressConnection *c) {
        const EgressConfig *config = &c->manager->config;
        int r;

        r = egress_resolve_start(c->host.name, c->identity->uid,
                                 config->max_lookups_per_user, config->max_lookups);
        if (r == -EDQUOT || r == -EBUSY)
                return connection_refuse_lookup(c, r);
        if (r < 0)
                return r;
        c->resolve_fd = r;
        r = sd_event_add_io(c->manager->event, &c->resolve_source, c->resolve_fd, EPOLLIN, on_resolved, c);
        if (r < 0)
                return r;
        c->state = STATE_RESOLVING;
        r = timer_set(c, c->manager->config.connect_timeout_usec);
        if (r >= 0)
                r = connection_update_events(c);
        return r;
}

/* Moves what followed the head to the front of to_upstream, behind the forwarded head if any. */
static int connection_take_head(EgressConnection *c, size_t head) {
        RelayBuffer *b = &c->to_upstream;
        size_t rest = b->end - b->start - head;

        if (c->request.forward_len + rest > sizeof(b->data))
                return -E2BIG;
        memmove(b->data + c->request.forward_len, b->data + b->start + head, rest);
        if (c->request.forward)
                memcpy(b->data, c->request.forward, c->request.forward_len);
        b->start = 0;
        b->end = c->request.forward_len + rest;
        c->request.forward = mfree(c->request.forward);
        return 0;
}

/* The AllowDomain= list that judges the caller: its session's own file, never the site's list;
 * outside sessions, the site's. Returns 1 and sets *ret, 0 after refusing the request because
 * the session has no usable file, or a negative errno. */
static int connection_allow_domains(EgressConnection *c, char ***ret) {
        const char *session = c->identity->session;
        const EgressSessionPolicy *p;
        char body[1024];
        int r;

        if (!session) {
                *ret = c->manager->config.policy.allow_domains;
                return 1;
        }
        r = egress_session_policy_get(c->manager->session_policies, session, &p);
        if (r < 0)
                return r;
        if (r > 0)
                egress_log_session_policy(session, p->path, strv_length(p->allow_domains), p->error);
        if (!p->error) {
                *ret = p->allow_domains;
                return 1;
        }
        connection_count_decision(c, /* allowed= */ false);
        (void) snprintf(body, sizeof(body),
                        "Blocked by the OpenMono egress policy: session %s has no usable list of allowed "
                        "names (%s), so nothing is allowed.\n", session, p->error);
        r = connection_respond(c, 403, "Forbidden", "no-session-policy", body);
        return r < 0 ? r : 0;
}

static int connection_on_head(EgressConnection *c) {
        RelayBuffer *b = &c->to_upstream;
        EgressPolicy policy;
        EgressVerdict v;
        int k, r;

        k = egress_request_parse((const char *) b->data + b->start, b->end - b->start, &c->request);
        if (k == 0)
                return 0;
        if (k < 0)
                return connection_respond_error(c, k);
        if (!c->identity->session && !c->manager->config.allow_non_session) {
                connection_count_decision(c, /* allowed= */ false);
                return connection_respond(c, 403, "Forbidden", "not-a-session",
                                          "Blocked by the OpenMono egress policy: the proxy serves "
                                          "OpenMono sessions only.\n");
        }
        if (egress_host_normalize(c->request.host, strlen(c->request.host), &c->host) < 0)
                return connection_respond_error(c, -EINVAL);
        /* The site's ports and address rules, with the caller's list of names. */
        policy = c->manager->config.policy;
        r = connection_allow_domains(c, &policy.allow_domains);
        if (r <= 0)
                return r;
        v = egress_policy_check_request(&policy, &c->host, c->request.port);
        if (v != EGRESS_ALLOWED)
                return connection_deny(c, v);
        k = connection_take_head(c, (size_t) k);
        if (k < 0)
                return connection_respond_error(c, k);
        return connection_resolve(c);
}

static int connection_established(EgressConnection *c) {
        static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";
        int one = 1, r;

        r = relay_pipe_open(&c->to_upstream);
        if (r >= 0)
                r = relay_pipe_open(&c->to_client);
        if (r >= 0)
                r = sd_event_add_defer(c->manager->event, &c->more, on_more, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->more, SD_EVENT_OFF);
        if (r < 0) {
                log_warning_errno(r, "Failed to create the relay's pipes: %m");
                return connection_respond(c, 503, "Service Unavailable", "proxy-overloaded",
                                          "The proxy is out of resources.\n");
        }
        (void) setsockopt(c->upstream_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        connection_count_decision(c, /* allowed= */ true);
        c->state = STATE_RELAY;
        c->result = "allowed";
        (void) sd_event_now(c->manager->event, CLOCK_MONOTONIC, &c->last_activity);
        if (c->request.connect)
                buffer_set(&c->to_client, established, sizeof(established) - 1);
        (void) timer_set(c, c->manager->config.idle_timeout_usec);
        return connection_update_events(c);
}

/* Passes EOF on once everything read before it has been written. Returns 1 when both
 * directions are done and the connection can go. */
static int connection_pass_eof(EgressConnection *c) {
        if (c->to_upstream.eof && !c->to_upstream.shut && !relay_pending(&c->to_upstream)) {
                (void) shutdown(c->upstream_fd, SHUT_WR);
                c->to_upstream.shut = true;
        }
        if (c->to_client.eof && !c->to_client.shut && !relay_pending(&c->to_client)) {
                (void) shutdown(c->client_fd, SHUT_WR);
                c->to_client.shut = true;
        }
        return c->to_upstream.shut && c->to_client.shut;
}

/* Reads the request head into b. Returns 0 or a negative errno that ends the connection. */
static int head_read(EgressConnection *c, RelayBuffer *b, int from) {
        ssize_t n;

        if (!buffer_has_space(b) || b->eof)
                return 0;
        n = buffer_fill(b, from);
        if (n == -EAGAIN || n == -EINTR)
                return 0;
        if (n < 0)
                return (int) n;
        if (n == 0)
                b->eof = true;
        (void) sd_event_now(c->manager->event, CLOCK_MONOTONIC, &c->last_activity);
        return 0;
}

/* Writes to `to` what b holds: first the buffered bytes, which came before anything piped.
 * Returns the bytes written, 0 if `to` takes nothing now, or a negative errno. */
static ssize_t relay_flush(RelayBuffer *b, int to) {
        ssize_t n;

        if (!buffer_empty(b))
                n = buffer_flush(b, to);
        else if (b->piped > 0) {
                n = NEG_ERRNO(splice(b->pipe[0], NULL, to, NULL, b->piped, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
                if (n > 0) {
                        b->piped -= (size_t) n;
                        b->pipe_full = false;
                }
        } else
                return 0;
        return n == -EAGAIN || n == -EINTR ? 0 : n;
}

/* Splices what `from` has into b's pipe. Returns the bytes moved, 0 if none (b->eof is set at
 * EOF), or a negative errno. A full pipe and an empty socket say the same EAGAIN; a pipe that
 * holds anything is taken to be full then, so that `from` is not watched (and its readiness
 * does not spin the loop) until the pipe has drained some. */
static ssize_t relay_fill(RelayBuffer *b, int from) {
        ssize_t n;

        if (!relay_wants_input(b))
                return 0;
        n = NEG_ERRNO(splice(from, NULL, b->pipe[1], NULL, b->pipe_size, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
        if (n == 0)
                b->eof = true;
        else if (n > 0) {
                b->piped += (size_t) n;
                if (b->piped >= b->pipe_size)
                        b->pipe_full = true;
        } else if (n == -EAGAIN) {
                if (b->piped > 0)
                        b->pipe_full = true;
                return 0;
        } else if (n == -EINTR)
                return 0;
        return n;
}

/* Moves bytes from `from` to `to` through b until neither side takes more or a burst is done:
 * one wake-up moves what the kernel has, not one buffer's worth. Returns 0 or a negative errno
 * that ends the connection. */
static int relay_pump(EgressConnection *c, RelayBuffer *b, int from, int to, uint64_t *counter) {
        size_t moved = 0;
        ssize_t w, n;

        do {
                /* Fill the pipe as far as it goes before writing it out: fewer, larger writes
                 * wake the reader fewer times. */
                n = 0;
                for (ssize_t k; (k = relay_fill(b, from)) != 0; n += k)
                        if (k < 0)
                                return (int) k;
                w = relay_flush(b, to);
                if (w < 0)
                        return (int) w;
                *counter += (uint64_t) w;
                moved += (size_t) w + (size_t) n;
        } while ((w > 0 || n > 0) && moved < RELAY_BURST_MAX);
        if (moved >= RELAY_BURST_MAX)
                (void) sd_event_source_set_enabled(c->more, SD_EVENT_ONESHOT);
        if (moved > 0 || b->eof)
                (void) sd_event_now(c->manager->event, CLOCK_MONOTONIC, &c->last_activity);
        return 0;
}

/* Relays in the directions asked for, then passes EOF on. Returns 0, or a negative errno when
 * the connection is done. */
static int connection_relay(EgressConnection *c, bool to_upstream, bool to_client) {
        int r = 0;

        if (to_upstream)
                r = relay_pump(c, &c->to_upstream, c->client_fd, c->upstream_fd, &c->bytes_out);
        if (r >= 0 && to_client)
                r = relay_pump(c, &c->to_client, c->upstream_fd, c->client_fd, &c->bytes_in);
        if (r >= 0 && connection_pass_eof(c))
                r = -ECONNRESET;
        connection_report(c);
        return r;
}

static int on_more(sd_event_source *s, void *userdata) {
        EgressConnection *c = userdata;

        if (connection_relay(c, /* to_upstream= */ true, /* to_client= */ true) < 0)
                egress_connection_free(c);
        return 0;
}

/* After a refusal: write the response, then drop whatever the client still sends until it
 * closes (or the timer ends it). Returns 1 when the connection can go. */
static int connection_closing(EgressConnection *c, uint32_t revents) {
        uint8_t scratch[4096];

        if (revents & EPOLLOUT) {
                ssize_t w = buffer_flush(&c->to_client, c->client_fd);

                if (w < 0 && w != -EAGAIN && w != -EINTR)
                        return 1;
                if (w > 0)
                        c->bytes_in += (uint64_t) w;
        }
        if (buffer_empty(&c->to_client) && !c->to_client.shut) {
                (void) shutdown(c->client_fd, SHUT_WR);
                c->to_client.shut = true;
        }
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t n = read(c->client_fd, scratch, sizeof(scratch));

                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                        return 1;
        }
        return 0;
}

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        EgressConnection *c = userdata;
        int r = 0;

        switch (c->state) {
        case STATE_HEAD:
                r = head_read(c, &c->to_upstream, fd);
                if (r >= 0 && c->to_upstream.eof)
                        r = -ECONNRESET;        /* gone before asking for anything */
                if (r >= 0)
                        r = connection_on_head(c);
                break;
        case STATE_CLOSING:
                r = connection_closing(c, revents) > 0 ? -ECONNRESET : 0;
                break;
        case STATE_RELAY:
                /* Room to write matters only with something to write: the reading side's own
                 * edges bring the rest. */
                r = connection_relay(c, revents & (EPOLLIN | EPOLLHUP | EPOLLERR),
                                     (revents & EPOLLOUT) && relay_pending(&c->to_client));
                break;
        default:
                break;
        }
        if (r >= 0)
                r = connection_update_events(c);
        if (r < 0)
                egress_connection_free(c);
        return 0;
}

static int connection_on_connected(EgressConnection *c) {
        int error = 0, r;
        socklen_t len = sizeof(error);

        if (getsockopt(c->upstream_fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                error = errno;
        if (error != 0) {
                c->upstream_source = sd_event_source_disable_unref(c->upstream_source);
                c->upstream_fd = safe_close(c->upstream_fd);
                c->upstream_events = 0;
                return connection_connect_next(c);
        }
        r = connection_established(c);
        if (r < 0 || c->state != STATE_RELAY)
                return r;
        return connection_relay(c, /* to_upstream= */ true, /* to_client= */ true);
}

static int on_upstream(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        EgressConnection *c = userdata;
        int r = 0;

        if (c->state == STATE_CONNECTING)
                r = connection_on_connected(c);
        else if (c->state == STATE_RELAY)
                r = connection_relay(c, (revents & EPOLLOUT) && relay_pending(&c->to_upstream),
                                     revents & (EPOLLIN | EPOLLHUP | EPOLLERR));
        if (r >= 0)
                r = connection_update_events(c);
        if (r < 0)
                egress_connection_free(c);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        EgressConnection *c = userdata;
        uint64_t idle = c->manager->config.idle_timeout_usec;
        int r = -ETIMEDOUT;

        switch (c->state) {
        case STATE_RELAY:
                if (idle > 0 && c->last_activity + idle > usec) {
                        r = sd_event_source_set_time(s, c->last_activity + idle);
                        if (r >= 0)
                                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                        if (r >= 0)
                                return 0;
                }
                break;
        case STATE_HEAD:
                c->result = "header-timeout";
                break;
        case STATE_RESOLVING:
        case STATE_CONNECTING:
                r = connection_respond_error(c, -ETIMEDOUT);
                if (r >= 0)
                        return 0;
                break;
        case STATE_CLOSING:
                break;
        }
        egress_connection_free(c);
        return 0;
}

int egress_connection_new(EgressManager *m, int fd, PeerIdentity *id, const char *count_key, bool in_session) {
        _cleanup_close_ int cfd = fd;
        EgressConnection *c;
        int r;

        assert(m);
        assert(id);

        c = calloc(1, sizeof(*c));
        if (!c) {
                peer_identity_free(id);
                return -ENOMEM;
        }
        *c = (EgressConnection) {
                .manager = m,
                .identity = id,
                .client_fd = steal_fd(cfd),
                .upstream_fd = -EBADF,
                .resolve_fd = -EBADF,
                .to_upstream.pipe = { -EBADF, -EBADF },
                .to_client.pipe = { -EBADF, -EBADF },
                .client_events = EPOLLIN,
                .next = m->connections,
        };
        if (m->connections)
                m->connections->prev = c;
        m->connections = c;
        m->n_connections++;

        r = egress_manager_count_acquire(m, count_key, in_session, &c->count);
        if (r >= 0)
                r = egress_manager_user_acquire(m, id->uid, &c->user_count);
        if (r < 0) {
                c->result = "too-many-connections";
                egress_connection_free(c);
                return r;
        }
        r = sd_event_add_io(m->event, &c->client_source, c->client_fd, EPOLLIN, on_client, c);
        if (r >= 0)
                r = sd_event_add_time(m->event, &c->timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_timer, c);
        if (r >= 0)
                r = timer_set(c, m->config.header_timeout_usec);
        if (r < 0)
                egress_connection_free(c);
        return r;
}
