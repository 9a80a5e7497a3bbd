/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Admission, routing and the small endpoints. A connection's identity is established once,
 * when it is accepted (right after the peer's connect(), see identity.c): a peer that cannot be
 * identified, or whose user or session holds its share of connections already, is closed at
 * once; the others get a Client (client.c) as MHD's socket context for every request on it. */

#include "api.h"
#include "client.h"
#include "json-util.h"
#include "log.h"
#include "manager.h"
#include "message-ids.h"
#include "request-internal.h"
#include "strv.h"
#include "upstream.h"
#include "user-util.h"

/* Refusals are logged at most this often, with the number left unlogged in between: a flood
 * of connections must not become a flood of journal entries. */
#define REFUSED_LOG_INTERVAL_USEC (10ULL * 1000000)
/* Connections a user may hold outside sessions when they may not use models: enough for
 * "openmonoctl usage" and health checks, nothing to hold the gateway with. */
#define OUTSIDE_SESSION_CONNECTIONS_MAX 4U

unsigned api_outside_session_connections(const GatewayConfig *c) {
        return c->allow_local_users ? 0 : OUTSIDE_SESSION_CONNECTIONS_MAX;
}

static const char *verdict_setting(ConnectionVerdict v) {
        switch (v) {
        case CONNECTION_SESSION_FULL:
                return "MaxConnectionsPerSession=";
        case CONNECTION_USER_FULL:
                return "MaxConnectionsPerUser=";
        case CONNECTION_OUTSIDE_FULL:
                return "the limit for callers outside sessions";
        default:
                return "MaxConnections=";
        }
}

static void log_refused_connection(Manager *m, const PeerIdentity *id, ConnectionVerdict v) {
        _cleanup_strv_free_ char **fields = NULL;
        uint64_t t = now(CLOCK_MONOTONIC);
        int k;

        if (m->refused_logged_usec > 0 && t < m->refused_logged_usec + REFUSED_LOG_INTERVAL_USEC) {
                m->n_refused_unlogged++;
                return;
        }
        k = strv_extendf(&fields, "MESSAGE_ID=%s", OPENMONO_MESSAGE_GATEWAY_CONNECTION_REFUSED);
        if (k >= 0)
                k = strv_extendf(&fields, "OPENMONO_USER=%s", id->user_name);
        if (k >= 0)
                k = strv_extendf(&fields, "OPENMONO_UID=%u", (unsigned) id->uid);
        if (k >= 0 && id->session)
                k = strv_extendf(&fields, "OPENMONO_SESSION=%s", id->session);
        if (k >= 0)
                k = strv_extendf(&fields, "OPENMONO_LIMIT=%s", connection_verdict_to_string(v));
        if (k >= 0)
                k = strv_extendf(&fields, "MESSAGE=Refused a connection of %s (PID %i%s%s): %s reached; "
                                 "%u more refused since the last such entry.", id->user_name, (int) id->pid,
                                 id->session ? ", session " : "", id->session ?: "", verdict_setting(v),
                                 m->n_refused_unlogged);
        if (k >= 0)
                log_struct(LOG_NOTICE, 0, fields);
        m->refused_logged_usec = t;
        m->n_refused_unlogged = 0;
}

static void refuse(int fd, const PeerIdentity *id, ConnectionVerdict v) {
        _cleanup_free_ char *json = NULL;
        bool full = v == CONNECTION_GATEWAY_FULL;

        json = openai_error_json(full ? "server_error" : "rate_limit_exceeded", "too_many_connections",
                                 "Too many connections%s%s (%s).", full ? "" : " of ",
                                 full ? "" : id->session ? "this session" : "this user", verdict_setting(v));
        if (json)
                http_refuse(fd, full ? 503 : 429, full ? "Service Unavailable" : "Too Many Requests", json);
}

/* Identity is established once, right after the peer's connect(), and decides at once whether
 * the connection is served at all. */
static int on_admit(void *userdata, int fd, void **ret_context) {
        _cleanup_(peer_identity_freep) PeerIdentity *id = NULL;
        Manager *m = userdata;
        Client *c;
        int k;

        k = peer_identity_from_socket_cached(m->peers, fd, now(CLOCK_MONOTONIC), &id);
        if (k < 0) {
                log_debug_errno(k, "Cannot identify the peer of a new connection, closing it: %m");
                return k;
        }
        k = client_new(m, fd, id, &c);
        if (k < 0)
                return log_debug_errno(k, "Cannot take a new connection: %m");
        if (k > 0) {
                log_refused_connection(m, id, k);
                refuse(fd, id, k);
                return -EUSERS;
        }
        log_debug("Connection from %s (UID %u, PID %i)%s%s.", id->user_name, (unsigned) id->peer_uid,
                  (int) id->pid, id->session ? " in session " : ", outside any session", id->session ?: "");
        id = NULL;              /* the client's now */
        *ret_context = c;
        return 0;
}

static void on_closed(void *userdata, struct MHD_Connection *connection, void *context) {
        client_free(context);
}

static Client *connection_client(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *info;

        info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

        return info ? info->socket_context : NULL;
}

static enum MHD_Result respond_owned(struct MHD_Connection *c, unsigned status, char *json) {
        enum MHD_Result ret = json ? http_respond_json(c, status, json) : MHD_NO;

        free(json);
        return ret;
}

static enum MHD_Result api_health(Manager *m, struct MHD_Connection *c) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *list = json_object_new_array();
        size_t up = 0;

        if (!o || json_add_take(o, "upstreams", list) < 0)
                return MHD_NO;
        for (size_t i = 0; i < m->n_upstreams; i++) {
                Upstream *u = m->upstreams[i];
                json_object *e = json_object_new_object();

                if (!e || json_object_array_add(list, e) < 0 || json_add_string(e, "name", u->config->name) < 0 ||
                    json_add_bool(e, "healthy", u->healthy) < 0 ||
                    (u->reason && json_add_string(e, "reason", u->reason) < 0))
                        return MHD_NO;
                up += u->healthy;
        }
        if (json_add_string(o, "status", up == m->n_upstreams ? "ok" : up > 0 ? "degraded" : "down") < 0 ||
            json_add_uint64(o, "running", m->scheduler->n_running) < 0 ||
            json_add_uint64(o, "queued", m->scheduler->n_queued) < 0)
                return MHD_NO;
        return respond_owned(c, up > 0 ? 200 : 503, strdup(json_to_string(o)));
}

static int add_model(json_object *list, char ***seen, const char *id, const char *owner) {
        json_object *e;

        if (strv_contains(*seen, id))
                return 0;
        if (strv_extend(seen, id) < 0)
                return -ENOMEM;
        e = json_object_new_object();
        if (!e || json_object_array_add(list, e) < 0)
                return -ENOMEM;
        if (json_add_string(e, "id", id) < 0 || json_add_string(e, "object", "model") < 0 ||
            json_add_int64(e, "created", 0) < 0 || json_add_string(e, "owned_by", owner) < 0)
                return -ENOMEM;
        return 0;
}

/* The models a client may ask for: each upstream's aliases, or what it listed itself if it
 * takes any model name. */
static enum MHD_Result api_models(Request *r) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_strv_free_ char **seen = NULL;
        json_object *list = json_object_new_array();
        Manager *m = r->manager;

        if (!request_caller_allowed(r)) {
                request_log_refused(r);
                json_object_put(list);
                return http_respond_error(r->connection, 403, "permission_error", "not_in_session",
                                          "The inference gateway serves OpenMono sessions only.");
        }
        if (!o || json_add_string(o, "object", "list") < 0 || json_add_take(o, "data", list) < 0)
                return MHD_NO;
        for (size_t i = 0; i < m->n_upstreams; i++) {
                const UpstreamConfig *c = m->upstreams[i]->config;
                char **models = c->models ?: m->upstreams[i]->models;

                STRV_FOREACH(id, models) {
                        _cleanup_free_ char *alias = strndup(*id, strcspn(*id, ":"));
                        if (!alias || add_model(list, &seen, c->models ? alias : *id, c->name) < 0)
                                return MHD_NO;
                }
        }
        return respond_owned(r->connection, 200, strdup(json_to_string(o)));
}

/* Administrators outside any session see everybody's totals; everybody else their own. A
 * session does not inherit its owner's administration rights: it runs an agent. */
static enum MHD_Result api_usage(Request *r) {
        const PeerIdentity *id = r->identity;
        uid_t filter;

        if (!id)
                return http_respond_error(r->connection, 403, "permission_error", "unidentified",
                                          "The gateway could not identify the calling process.");
        filter = !id->session && uid_is_admin(id->peer_uid) > 0 ? UID_INVALID : id->uid;
        return respond_owned(r->connection, 200, accounting_to_json(r->manager->accounting, r->manager->scheduler,
                                                                    filter, r->manager->start_realtime));
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **req_cls) {
        Client *client = connection_client(c);
        Request *r = *req_cls;

        if (!client)
                return MHD_NO;  /* not a connection we let in: cannot happen */
        if (!r) {
                if (request_new(cls, c, client->identity, route_from_request(method, url), &r) < 0)
                        return MHD_NO;
                *req_cls = r;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                if (r->route == ROUTE_CHAT)
                        request_upload(r, upload_data, *upload_data_size);
                *upload_data_size = 0;
                return MHD_YES;
        }
        client_request_read(client);
        switch (r->route) {
        case ROUTE_CHAT:
                return request_handle_chat(r);
        case ROUTE_HEALTH:
                return api_health(cls, c);
        case ROUTE_MODELS:
                return api_models(r);
        case ROUTE_USAGE:
                return api_usage(r);
        case ROUTE_BAD_METHOD:
                return http_respond_error(c, 405, "invalid_request_error", "method_not_allowed",
                                          "%s is not allowed on %s.", method, url);
        default:
                return http_respond_error(c, 404, "invalid_request_error", "not_found",
                                          "Unknown path; the gateway serves /v1/chat/completions and /v1/models.");
        }
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
        Client *client = connection_client(c);
        Request *r = *req_cls;

        if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && client)
                client_request_done(client);
        if (!r)
                return;
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->result && !r->cancelled)
                r->cancelled = true;    /* the client went away while we were sending */
        *req_cls = request_free(r);
}

const HttpServerCallbacks api_callbacks = {
        .access = on_access,
        .completed = on_completed,
        .admit = on_admit,
        .closed = on_closed,
};
