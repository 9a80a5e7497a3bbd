/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Routing and the small endpoints. A connection's identity is established once, when MHD
 * accepts it (right after the peer's connect(), see identity.c), and kept as the connection's
 * socket context for every request on it. */

#include "api.h"
#include "json-util.h"
#include "log.h"
#include "manager.h"
#include "request-internal.h"
#include "strv.h"
#include "upstream.h"
#include "user-util.h"

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
        PeerIdentity *id = NULL;
        int fd, k;

        if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
                *socket_context = peer_identity_free(*socket_context);
                return;
        }
        fd = http_connection_fd(c);
        k = fd < 0 ? fd : peer_identity_from_socket(fd, &id);
        if (k < 0)
                log_debug_errno(k, "Cannot identify the peer of a new connection, it may only ask for /health: %m");
        else
                log_debug("Connection from %s (UID %u, PID %i)%s%s.", id->user_name, (unsigned) id->peer_uid,
                          (int) id->pid, id->session ? " in session " : ", outside any session",
                          id->session ?: "");
        *socket_context = id;
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
        const union MHD_ConnectionInfo *info;
        Request *r = *req_cls;

        if (!r) {
                info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
                if (request_new(cls, c, info ? info->socket_context : NULL, route_from_request(method, url), &r) < 0)
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
        Request *r = *req_cls;

        if (!r)
                return;
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->result && !r->cancelled)
                r->cancelled = true;    /* the client went away while we were sending */
        *req_cls = request_free(r);
}

const HttpServerCallbacks api_callbacks = {
        .access = on_access,
        .completed = on_completed,
        .connection = on_connection,
};
