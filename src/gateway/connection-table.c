/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The connection table: a list of the users with open connections, each with the list of its
 * sessions that have some. Every local user may connect to the inference socket, so without
 * these counts one of them could hold every connection the gateway has and starve the rest;
 * with them, a user can only use up their own share. */

#include "connection-table.h"

struct ConnectionSession {
        char *id;
        unsigned n;
        ConnectionSession *next;
};

struct ConnectionUser {
        uid_t uid;
        unsigned n;                     /* in and outside sessions */
        unsigned n_outside;
        ConnectionSession *sessions;
        ConnectionUser *next;
};

static const char *const verdict_table[_CONNECTION_VERDICT_MAX] = {
        [CONNECTION_ADMITTED] = "admitted",
        [CONNECTION_SESSION_FULL] = "session-full",
        [CONNECTION_USER_FULL] = "user-full",
        [CONNECTION_OUTSIDE_FULL] = "outside-full",
        [CONNECTION_GATEWAY_FULL] = "gateway-full",
};

const char *connection_verdict_to_string(ConnectionVerdict v) {
        return v >= 0 && v < _CONNECTION_VERDICT_MAX ? verdict_table[v] : NULL;
}

ConnectionVerdict connection_verdict_from_string(const char *s) {
        for (int i = 0; s && i < _CONNECTION_VERDICT_MAX; i++)
                if (streq(verdict_table[i], s))
                        return i;
        return _CONNECTION_VERDICT_INVALID;
}

int connection_table_new(ConnectionTable **ret) {
        ConnectionTable *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        *ret = t;
        return 0;
}

ConnectionTable *connection_table_free(ConnectionTable *t) {
        if (!t)
                return NULL;
        while (t->users) {
                ConnectionUser *u = t->users;

                t->users = u->next;
                while (u->sessions) {
                        ConnectionSession *s = u->sessions;

                        u->sessions = s->next;
                        free(s->id);
                        free(s);
                }
                free(u);
        }
        return mfree(t);
}

void connection_table_set_limits(ConnectionTable *t, unsigned max_total, unsigned max_per_user,
                                 unsigned max_per_session, unsigned max_outside) {
        t->max_total = max_total;
        t->max_per_user = max_per_user;
        t->max_per_session = max_per_session;
        t->max_outside = max_outside;
}

static ConnectionUser *find_user(const ConnectionTable *t, uid_t uid) {
        for (ConnectionUser *u = t->users; u; u = u->next)
                if (u->uid == uid)
                        return u;
        return NULL;
}

static ConnectionSession *find_session(const ConnectionUser *u, const char *id) {
        for (ConnectionSession *s = u ? u->sessions : NULL; s; s = s->next)
                if (streq(s->id, id))
                        return s;
        return NULL;
}

static ConnectionVerdict judge(const ConnectionTable *t, const ConnectionUser *u, const ConnectionSession *s,
                               const char *session) {
        if (session && s && s->n >= t->max_per_session)
                return CONNECTION_SESSION_FULL;
        if (session && !s && t->max_per_session == 0)
                return CONNECTION_SESSION_FULL;
        if ((u ? u->n : 0) >= t->max_per_user)
                return CONNECTION_USER_FULL;
        if (!session && t->max_outside > 0 && u && u->n_outside >= t->max_outside)
                return CONNECTION_OUTSIDE_FULL;
        if (t->n_total >= t->max_total)
                return CONNECTION_GATEWAY_FULL;
        return CONNECTION_ADMITTED;
}

/* Finds or adds the entries the connection counts in; on OOM nothing is left behind. */
static int get_entries(ConnectionTable *t, uid_t uid, const char *session, ConnectionUser **ret_user,
                       ConnectionSession **ret_session) {
        ConnectionUser *u = find_user(t, uid);
        ConnectionSession *s = session ? find_session(u, session) : NULL;
        bool new_user = !u;

        if (!u) {
                u = calloc(1, sizeof(*u));
                if (!u)
                        return -ENOMEM;
                u->uid = uid;
        }
        if (session && !s) {
                s = calloc(1, sizeof(*s));
                if (!s || !(s->id = strdup(session))) {
                        free(s);
                        if (new_user)
                                free(u);
                        return -ENOMEM;
                }
                s->next = u->sessions;
                u->sessions = s;
        }
        if (new_user) {
                u->next = t->users;
                t->users = u;
        }
        *ret_user = u;
        *ret_session = s;
        return 0;
}

int connection_table_admit(ConnectionTable *t, uid_t uid, const char *session, ConnectionSlot *ret) {
        ConnectionUser *u = find_user(t, uid);
        ConnectionSession *s = session ? find_session(u, session) : NULL;
        ConnectionVerdict v;
        int r;

        v = judge(t, u, s, session);
        if (v != CONNECTION_ADMITTED)
                return v;
        r = get_entries(t, uid, session, &u, &s);
        if (r < 0)
                return r;
        u->n++;
        if (s)
                s->n++;
        else
                u->n_outside++;
        t->n_total++;
        *ret = (ConnectionSlot) { .user = u, .session = s };
        return CONNECTION_ADMITTED;
}

static void unlink_session(ConnectionUser *u, ConnectionSession *s) {
        for (ConnectionSession **p = &u->sessions; *p; p = &(*p)->next)
                if (*p == s) {
                        *p = s->next;
                        break;
                }
        free(s->id);
        free(s);
}

static void unlink_user(ConnectionTable *t, ConnectionUser *u) {
        for (ConnectionUser **p = &t->users; *p; p = &(*p)->next)
                if (*p == u) {
                        *p = u->next;
                        break;
                }
        free(u);
}

void connection_table_release(ConnectionTable *t, ConnectionSlot *slot) {
        ConnectionUser *u = slot->user;
        ConnectionSession *s = slot->session;

        if (!u)
                return;
        if (s && --s->n == 0)
                unlink_session(u, s);
        if (!s)
                u->n_outside--;
        if (--u->n == 0)
                unlink_user(t, u);
        t->n_total--;
        *slot = (ConnectionSlot) {};
}

void connection_table_counts(const ConnectionTable *t, uid_t uid, const char *session,
                             unsigned *ret_user, unsigned *ret_session) {
        const ConnectionUser *u = find_user(t, uid);
        const ConnectionSession *s = session ? find_session(u, session) : NULL;

        *ret_user = u ? u->n : 0;
        *ret_session = s ? s->n : 0;
}
