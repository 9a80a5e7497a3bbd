/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Asynchronous polkit checks for Varlink calls: one pending query per call, answered by
 * running the method again once polkit has decided. */

#include <stdio.h>

#include "log.h"
#include "polkit.h"

typedef struct PolkitQuery PolkitQuery;

struct PolkitQuery {
        PolkitRegistry *registry;
        Varlink *link;
        char *action;
        sd_bus_slot *slot;
        int result;                     /* 0 while polkit has not answered */
        VarlinkMethod method;
        json_object *parameters;
        void *userdata;
        PolkitQuery *next;
};

struct PolkitRegistry {
        PolkitQuery *queries;
};

static PolkitQuery *polkit_query_free(PolkitQuery *q) {
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->slot);
        varlink_unref(q->link);
        json_object_put(q->parameters);
        free(q->action);
        free(q);
        return NULL;
}

static void registry_remove(PolkitRegistry *r, PolkitQuery *q) {
        for (PolkitQuery **p = &r->queries; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        return;
                }
}

int polkit_registry_new(PolkitRegistry **ret) {
        PolkitRegistry *r = calloc(1, sizeof(*r));

        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}

PolkitRegistry *polkit_registry_free(PolkitRegistry *r) {
        if (!r)
                return NULL;
        while (r->queries) {
                PolkitQuery *q = r->queries;
                r->queries = q->next;
                polkit_query_free(q);
        }
        free(r);
        return NULL;
}

int process_start_time(pid_t pid, uint64_t *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[64], buf[4096], *p;
        unsigned long long t;

        snprintf(path, sizeof path, "/proc/%i/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (!fgets(buf, sizeof buf, f))
                return -EIO;
        /* The command name may contain spaces and parentheses: skip past the last ')'. */
        p = strrchr(buf, ')');
        if (!p)
                return -EIO;
        /* Field 22 (starttime) is the 20th after the name. */
        if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                   &t) != 1)
                return -EIO;
        *ret = t;
        return 0;
}

static PolkitQuery *find_query(PolkitRegistry *r, Varlink *link, const char *action) {
        for (PolkitQuery *q = r->queries; q; q = q->next)
                if (q->link == link && streq(q->action, action))
                        return q;
        return NULL;
}

/* polkit answered: remember the result and run the method again, which now finds it. */
static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_debug("polkit check for %s failed: %s", q->action,
                          sd_bus_message_get_error(reply)->message);
                q->result = -sd_bus_message_get_errno(reply) ?: -EIO;
        } else {
                /* The reply is (bba{ss}): enter the struct and read the two flags; an unbalanced
                 * signature such as "(bb" is refused by sd-bus, which would deny every caller. */
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                q->result = r < 0 ? r : authorized ? 1 : -EACCES;
        }

        if (varlink_is_connected(q->link) && varlink_has_pending_call(q->link)) {
                VarlinkMethodFlags flags = varlink_call_wants_more(q->link) ? VARLINK_METHOD_MORE : 0;
                r = q->method(q->link, q->parameters, flags, q->userdata);
                if (r < 0 && varlink_has_pending_call(q->link))
                        (void) varlink_error_errno(q->link, r);
        }
        registry_remove(q->registry, q);
        polkit_query_free(q);
        return 0;
}

/* Builds org.freedesktop.PolicyKit1.Authority.CheckAuthorization for the caller of link. The
 * subject is the process by pid and start time (so a reused pid does not match) and uid. */
static int build_check(sd_bus *bus, Varlink *link, const char *action, const char *const *details,
                       sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        struct ucred u;
        uint64_t start;
        int r;

        r = varlink_get_peer_ucred(link, &u);
        if (r < 0)
                return r;
        r = process_start_time(u.pid, &start);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sa{sv})s", "unix-process", 3,
                                  "pid", "u", (uint32_t) u.pid,
                                  "start-time", "t", start,
                                  "uid", "i", (int32_t) u.uid,
                                  action);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "{ss}");
        for (const char *const *d = details; r >= 0 && d && d[0] && d[1]; d += 2)
                r = sd_bus_message_append(m, "{ss}", d[0], d[1]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        /* No interaction: a Varlink caller has no polkit agent we could reach. */
        if (r >= 0)
                r = sd_bus_message_append(m, "us", 0U, "");
        if (r < 0)
                return r;
        *ret = steal_ptr(m);
        return 0;
}

int polkit_check(PolkitRegistry *registry, sd_bus *bus, Varlink *link, const char *action,
                 const char *const *details, VarlinkMethod method, json_object *parameters,
                 void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        PolkitQuery *q;
        int r;

        q = find_query(registry, link, action);
        if (q)
                return q->result;       /* 0 while still waiting: the call stays pending */

        r = build_check(bus, link, action, details, &m);
        if (r < 0)
                return r;
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        *q = (PolkitQuery) {
                .registry = registry,
                .link = varlink_ref(link),
                .action = strdup(action),
                .method = method,
                .parameters = json_object_get(parameters),
                .userdata = userdata,
        };
        if (!q->action) {
                polkit_query_free(q);
                return -ENOMEM;
        }
        r = sd_bus_call_async(bus, &q->slot, m, on_check_reply, q, 0);
        if (r < 0) {
                polkit_query_free(q);
                return r;
        }
        q->next = registry->queries;
        registry->queries = q;
        return 0;
}
