/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Varlink server: accepting connections within limits, routing calls to bound methods,
 * and the org.varlink.service interface (GetInfo, GetInterfaceDescription). */

#include <sys/epoll.h>
#include <sys/socket.h>

#include "log.h"
#include "strv.h"
#include "varlink-internal.h"

#define VARLINK_CONNECTIONS_MAX 1024U
/* Enough for a user's sessions (16 each by default) to be watched at once, plus a few calls;
 * low enough that one user's connections, each holding at most its input limit and its unread
 * output, cannot take much of the controller's memory. */
#define VARLINK_CONNECTIONS_PER_UID_MAX 32U

static const char service_interface[] =
        "interface org.varlink.service\n"
        "method GetInfo() -> (vendor: string, product: string, version: string, url: string, interfaces: []string)\n"
        "method GetInterfaceDescription(interface: string) -> (description: string)\n"
        "error InterfaceNotFound (interface: string)\n"
        "error MethodNotFound (method: string)\n"
        "error MethodNotImplemented (method: string)\n"
        "error InvalidParameter (parameter: string)\n"
        "error PermissionDenied ()\n"
        "error ExpectedMore ()\n";

typedef struct VarlinkInterface {
        char *name;
        char *description;
} VarlinkInterface;

typedef struct VarlinkBinding {
        char *method;
        VarlinkMethod callback;
} VarlinkBinding;

struct VarlinkServer {
        sd_event *event;
        void *userdata;
        char *vendor, *product, *version, *url;
        VarlinkInterface *interfaces;
        size_t n_interfaces;
        VarlinkBinding *bindings;
        size_t n_bindings;
        sd_event_source **listeners;
        size_t n_listeners;
        Varlink **links;
        size_t n_links;
        VarlinkDisconnect on_disconnect;
};

VarlinkServer *varlink_server_free(VarlinkServer *s) {
        if (!s)
                return NULL;
        /* Closing a link calls back into varlink_server_on_disconnect(), which drops it. */
        while (s->n_links > 0)
                varlink_close(s->links[s->n_links - 1]);
        for (size_t i = 0; i < s->n_listeners; i++) {
                safe_close(sd_event_source_get_io_fd(s->listeners[i]));
                sd_event_source_disable_unref(s->listeners[i]);
        }
        for (size_t i = 0; i < s->n_interfaces; i++) {
                free(s->interfaces[i].name);
                free(s->interfaces[i].description);
        }
        for (size_t i = 0; i < s->n_bindings; i++)
                free(s->bindings[i].method);
        free(s->listeners);
        free(s->links);
        free(s->interfaces);
        free(s->bindings);
        free(s->vendor);
        free(s->product);
        free(s->version);
        free(s->url);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

int varlink_server_new(sd_event *e, VarlinkServer **ret) {
        _cleanup_(varlink_server_freep) VarlinkServer *s = NULL;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(e);
        r = varlink_server_add_interface(s, "org.varlink.service", service_interface);
        if (r < 0)
                return r;
        *ret = steal_ptr(s);
        return 0;
}

void varlink_server_set_userdata(VarlinkServer *s, void *userdata) {
        s->userdata = userdata;
}

void *varlink_server_get_userdata(VarlinkServer *s) {
        return s->userdata;
}

sd_event *varlink_server_get_event(VarlinkServer *s) {
        return s->event;
}

void varlink_server_set_disconnect(VarlinkServer *s, VarlinkDisconnect cb) {
        s->on_disconnect = cb;
}

unsigned varlink_server_n_connections(VarlinkServer *s) {
        return (unsigned) s->n_links;
}

static int replace_string(char **p, const char *s) {
        char *c = strdup(s);

        if (!c)
                return -ENOMEM;
        free(*p);
        *p = c;
        return 0;
}

int varlink_server_set_info(VarlinkServer *s, const char *vendor, const char *product,
                            const char *version, const char *url) {
        int r;

        r = replace_string(&s->vendor, vendor);
        if (r >= 0)
                r = replace_string(&s->product, product);
        if (r >= 0)
                r = replace_string(&s->version, version);
        if (r >= 0)
                r = replace_string(&s->url, url);
        return r;
}

static VarlinkInterface *find_interface(VarlinkServer *s, const char *name, size_t len) {
        for (size_t i = 0; i < s->n_interfaces; i++)
                if (strlen(s->interfaces[i].name) == len && strncmp(s->interfaces[i].name, name, len) == 0)
                        return s->interfaces + i;
        return NULL;
}

int varlink_server_add_interface(VarlinkServer *s, const char *name, const char *description) {
        VarlinkInterface *a;

        if (find_interface(s, name, strlen(name)))
                return -EEXIST;
        a = reallocarray(s->interfaces, s->n_interfaces + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        s->interfaces = a;
        a[s->n_interfaces] = (VarlinkInterface) { strdup(name), strdup(description) };
        if (!a[s->n_interfaces].name || !a[s->n_interfaces].description) {
                free(a[s->n_interfaces].name);
                free(a[s->n_interfaces].description);
                return -ENOMEM;
        }
        s->n_interfaces++;
        return 0;
}

static VarlinkBinding *find_binding(VarlinkServer *s, const char *method) {
        for (size_t i = 0; i < s->n_bindings; i++)
                if (streq(s->bindings[i].method, method))
                        return s->bindings + i;
        return NULL;
}

int varlink_server_bind_method(VarlinkServer *s, const char *method, VarlinkMethod cb) {
        const char *dot = strrchr(method, '.');
        VarlinkBinding *a;

        if (!dot || !find_interface(s, method, (size_t) (dot - method)))
                return -EINVAL;
        if (find_binding(s, method))
                return -EEXIST;
        a = reallocarray(s->bindings, s->n_bindings + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        s->bindings = a;
        a[s->n_bindings].method = strdup(method);
        if (!a[s->n_bindings].method)
                return -ENOMEM;
        a[s->n_bindings++].callback = cb;
        return 0;
}

int varlink_server_bind_methods(VarlinkServer *s, const VarlinkMethodBinding *table, size_t n) {
        for (size_t i = 0; i < n; i++) {
                int r = varlink_server_bind_method(s, table[i].method, table[i].callback);
                if (r < 0)
                        return r;
        }
        return 0;
}

static unsigned connections_of_uid(VarlinkServer *s, uid_t uid) {
        unsigned n = 0;

        for (size_t i = 0; i < s->n_links; i++) {
                struct ucred u;
                if (varlink_get_peer_ucred(s->links[i], &u) >= 0 && u.uid == uid)
                        n++;
        }
        return n;
}

int varlink_server_add_connection(VarlinkServer *s, int fd, Varlink **ret) {
        _cleanup_(varlink_unrefp) Varlink *l = NULL;
        Varlink **a;
        struct ucred u;
        int r;

        r = varlink_new_server_link(s, fd, &l);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        /* Root is never limited, so an administrator can always get in. */
        if (varlink_get_peer_ucred(l, &u) < 0 ||
            s->n_links >= VARLINK_CONNECTIONS_MAX ||
            (u.uid != 0 && connections_of_uid(s, u.uid) >= VARLINK_CONNECTIONS_PER_UID_MAX)) {
                varlink_detach_server(l);
                return -EDQUOT;
        }
        a = reallocarray(s->links, s->n_links + 1, sizeof(Varlink *));
        if (!a) {
                varlink_detach_server(l);
                return -ENOMEM;
        }
        s->links = a;
        r = varlink_attach_event(l, s->event, 0);
        if (r < 0) {
                varlink_detach_server(l);
                return r;
        }
        s->links[s->n_links++] = varlink_ref(l);
        if (ret)
                *ret = l;
        return 0;
}

static int on_accept(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        VarlinkServer *s = userdata;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK|SOCK_CLOEXEC);
        if (cfd < 0) {
                if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                        log_debug_errno(errno, "Failed to accept connection, ignoring: %m");
                return 0;
        }
        r = varlink_server_add_connection(s, cfd, NULL);
        if (r < 0)
                log_debug_errno(r, "Refused connection: %m");
        return 0;
}

int varlink_server_listen_fd(VarlinkServer *s, int fd) {
        sd_event_source **a;
        int r;

        a = reallocarray(s->listeners, s->n_listeners + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        s->listeners = a;
        r = sd_event_add_io(s->event, &a[s->n_listeners], fd, EPOLLIN, on_accept, s);
        if (r < 0)
                return r;
        s->n_listeners++;
        return 0;
}

void varlink_server_on_disconnect(VarlinkServer *s, Varlink *l) {
        for (size_t i = 0; i < s->n_links; i++) {
                if (s->links[i] != l)
                        continue;
                memmove(s->links + i, s->links + i + 1, (s->n_links - i - 1) * sizeof(Varlink *));
                s->n_links--;
                varlink_detach_server(l);
                if (s->on_disconnect)
                        s->on_disconnect(s, l, s->userdata);
                varlink_unref(l);
                return;
        }
}

static int method_get_info(Varlink *l, json_object *parameters, VarlinkMethodFlags flags, void *userdata) {
        VarlinkServer *s = varlink_get_server(l);
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        json_object *names = json_object_new_array();
        int r;

        if (!reply || !names) {
                json_object_put(names);
                return -ENOMEM;
        }
        for (size_t i = 0; i < s->n_interfaces; i++)
                if (json_object_array_add(names, json_object_new_string(s->interfaces[i].name)) < 0) {
                        json_object_put(names);
                        return -ENOMEM;
                }
        r = json_add_take(reply, "interfaces", names);
        if (r >= 0)
                r = json_add_string(reply, "vendor", strna(s->vendor));
        if (r >= 0)
                r = json_add_string(reply, "product", strna(s->product));
        if (r >= 0)
                r = json_add_string(reply, "version", strna(s->version));
        if (r >= 0)
                r = json_add_string(reply, "url", strna(s->url));
        return r < 0 ? r : varlink_reply(l, reply);
}

static int method_get_interface_description(Varlink *l, json_object *parameters, VarlinkMethodFlags flags,
                                            void *userdata) {
        VarlinkServer *s = varlink_get_server(l);
        _cleanup_(json_object_putp) json_object *reply = NULL;
        VarlinkInterface *i;
        const char *name;
        int r;

        if (json_get_string(parameters, "interface", &name) < 0)
                return varlink_error_invalid_parameter(l, "interface");
        i = find_interface(s, name, strlen(name));
        if (!i) {
                reply = json_object_new_object();
                r = reply ? json_add_string(reply, "interface", name) : -ENOMEM;
                return r < 0 ? r : varlink_error(l, VARLINK_ERROR_INTERFACE_NOT_FOUND, reply);
        }
        reply = json_object_new_object();
        r = reply ? json_add_string(reply, "description", i->description) : -ENOMEM;
        return r < 0 ? r : varlink_reply(l, reply);
}

static int error_with_string(Varlink *l, const char *error_id, const char *key, const char *value) {
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        int r = p ? json_add_string(p, key, value) : -ENOMEM;

        return r < 0 ? r : varlink_error(l, error_id, p);
}

int varlink_server_dispatch(VarlinkServer *s, Varlink *l, const char *method, json_object *parameters,
                            VarlinkMethodFlags flags) {
        const char *dot = strrchr(method, '.');
        VarlinkBinding *b;

        if (streq(method, "org.varlink.service.GetInfo"))
                return method_get_info(l, parameters, flags, s->userdata);
        if (streq(method, "org.varlink.service.GetInterfaceDescription"))
                return method_get_interface_description(l, parameters, flags, s->userdata);

        if (!dot || !find_interface(s, method, (size_t) (dot - method))) {
                _cleanup_free_ char *iface = dot ? strndup(method, (size_t) (dot - method)) : strdup(method);
                return iface ? error_with_string(l, VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface", iface)
                             : -ENOMEM;
        }
        b = find_binding(s, method);
        if (!b)
                return error_with_string(l, VARLINK_ERROR_METHOD_NOT_FOUND, "method", method);
        return b->callback(l, parameters, flags, s->userdata);
}

/* Checks one IDL against the bindings: every "method Name(" line must be bound. */
static int check_interface(VarlinkServer *s, const VarlinkInterface *i, char **ret_name) {
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        r = strv_split(i->description, "\n", &lines);
        if (r < 0)
                return r;
        STRV_FOREACH(line, lines) {
                const char *m = startswith(*line, "method ");
                _cleanup_free_ char *full = NULL;

                if (!m)
                        continue;
                if (asprintf(&full, "%s.%.*s", i->name, (int) strcspn(m, "( "), m) < 0)
                        return -ENOMEM;
                if (!streq(i->name, "org.varlink.service") && !find_binding(s, full)) {
                        *ret_name = steal_ptr(full);
                        return -EBADR;
                }
        }
        return 0;
}

/* Checks that a binding's method is declared in its interface's IDL. */
static bool binding_declared(VarlinkServer *s, const VarlinkBinding *b) {
        const char *dot = strrchr(b->method, '.');
        const VarlinkInterface *i = find_interface(s, b->method, (size_t) (dot - b->method));
        _cleanup_free_ char *needle = NULL;

        if (!i || asprintf(&needle, "\nmethod %s(", dot + 1) < 0)
                return false;
        return startswith(i->description, needle + 1) || strstr(i->description, needle);
}

int varlink_server_check_bindings(VarlinkServer *s, char **ret_name) {
        int r;

        for (size_t i = 0; i < s->n_interfaces; i++) {
                r = check_interface(s, s->interfaces + i, ret_name);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < s->n_bindings; i++)
                if (!binding_declared(s, s->bindings + i)) {
                        *ret_name = strdup(s->bindings[i].method);
                        return *ret_name ? -EBADR : -ENOMEM;
                }
        return 0;
}
