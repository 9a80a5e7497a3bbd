/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-session AllowDomain= lists, read from the files the controller writes, cached by file
 * version. */

#include <assert.h>
#include <sys/stat.h>

#include "conf-parser.h"
#include "egress-config.h"
#include "egress-session-policy.h"
#include "session-policy.h"
#include "session-settings.h"
#include "strv.h"

static const ConfigItem session_items[] = {
        { "Session", "AllowDomain", config_parse_domain_patterns, 0 },
        {}
};

bool egress_file_stamp_equal(const EgressFileStamp *a, const EgressFileStamp *b) {
        assert(a);
        assert(b);

        if (a->retry || b->retry || a->exists != b->exists)
                return false;
        if (!a->exists)
                return true;
        return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
                a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

int egress_session_policy_parse(const char *name, const void *buf, size_t size, char ***ret_domains,
                                char **ret_error) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        char **domains = NULL;
        int r;

        assert(ret_domains);

        r = config_parse_buffer(name, buf, size, session_items, &domains, &diag);
        if (r < 0) {
                strv_free(domains);
                if (ret_error)
                        *ret_error = steal_ptr(diag.error);
                return r;
        }
        *ret_domains = domains;
        return 0;
}

int egress_session_policy_cache_new(const char *dir, EgressSessionPolicyCache **ret) {
        EgressSessionPolicyCache *c;

        assert(ret);

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->dir = strdup(dir ?: EGRESS_SESSION_POLICY_DIR);
        if (!c->dir)
                return free(c), -ENOMEM;
        *ret = c;
        return 0;
}

static void entry_unlink(EgressSessionPolicyCache *c, EgressSessionPolicy *e) {
        if (e->prev)
                e->prev->next = e->next;
        else
                c->entries = e->next;
        if (e->next)
                e->next->prev = e->prev;
        e->prev = e->next = NULL;
}

static void entry_push_front(EgressSessionPolicyCache *c, EgressSessionPolicy *e) {
        e->next = c->entries;
        if (c->entries)
                c->entries->prev = e;
        c->entries = e;
}

static EgressSessionPolicy *entry_free(EgressSessionPolicyCache *c, EgressSessionPolicy *e) {
        entry_unlink(c, e);
        c->n--;
        free(e->session);
        free(e->path);
        strv_free(e->allow_domains);
        free(e->error);
        return mfree(e);
}

EgressSessionPolicyCache *egress_session_policy_cache_free(EgressSessionPolicyCache *c) {
        if (!c)
                return NULL;
        while (c->entries)
                entry_free(c, c->entries);
        free(c->dir);
        return mfree(c);
}

static int entry_new(EgressSessionPolicyCache *c, const char *session, EgressSessionPolicy **ret) {
        EgressSessionPolicy *e;

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->session = strdup(session);
        if (!e->session || asprintf(&e->path, "%s/%s.conf", c->dir, session) < 0) {
                free(e->session);
                return free(e), -ENOMEM;
        }
        /* Not yet read: a stamp no file has, so the first lookup reads it. */
        e->stamp = (EgressFileStamp) { .retry = true };
        if (c->n >= EGRESS_SESSION_POLICY_CACHE_MAX) {
                EgressSessionPolicy *last = c->entries;

                while (last->next)
                        last = last->next;
                entry_free(c, last);
        }
        entry_push_front(c, e);
        c->n++;
        *ret = e;
        return 0;
}

static void stamp_from_stat(EgressFileStamp *s, const struct stat *st) {
        *s = (EgressFileStamp) {
                .exists = true,
                .dev = st->st_dev,
                .ino = st->st_ino,
                .size = st->st_size,
                .mtime = st->st_mtim,
        };
}

/* Replaces the entry's list with what the file says now; on any failure the entry allows
 * nothing and says why. Returns 0 or -ENOMEM. */
static int entry_load(EgressSessionPolicy *e, const EgressFileStamp *stamp, int stat_error) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        char **domains = NULL;
        int r;

        e->allow_domains = strv_free(e->allow_domains);
        e->error = mfree(e->error);
        e->stamp = *stamp;
        if (stat_error < 0)
                r = stat_error;
        else
                r = config_parse_file(e->path, session_items, &domains, &diag);
        if (r >= 0) {
                e->allow_domains = domains;
                return 0;
        }
        strv_free(domains);
        if (diag.error)
                e->error = steal_ptr(diag.error);
        else if (asprintf(&e->error, "%s: %s", e->path,
                          r == -EBADFD ? "not a regular file" : strerror(-r)) < 0)
                e->error = NULL;
        if (!e->error) {
                /* Not even the reason fits: still fail closed, and make the next lookup retry. */
                e->stamp.retry = true;
                return -ENOMEM;
        }
        return 0;
}

int egress_session_policy_get(EgressSessionPolicyCache *c, const char *session,
                              const EgressSessionPolicy **ret) {
        EgressSessionPolicy *e = NULL;
        EgressFileStamp stamp = {};
        struct stat st;
        int stat_error = 0, r;

        assert(c);
        assert(ret);

        if (!session_id_is_valid(session))
                return -EINVAL;
        for (EgressSessionPolicy *i = c->entries; i; i = i->next)
                if (streq(i->session, session)) {
                        e = i;
                        break;
                }
        if (e) {
                entry_unlink(c, e);
                entry_push_front(c, e);
        } else {
                r = entry_new(c, session, &e);
                if (r < 0)
                        return r;
        }
        if (stat(e->path, &st) < 0)
                stat_error = -errno;
        else if (!S_ISREG(st.st_mode))
                stat_error = -EBADFD;
        if (stat_error >= 0)
                stamp_from_stat(&stamp, &st);
        else if (stat_error != -ENOENT)
                stamp.retry = true;     /* unreadable or odd: look again on the next connection */
        *ret = e;
        if (egress_file_stamp_equal(&stamp, &e->stamp))
                return 0;
        r = entry_load(e, &stamp, stat_error);
        return r < 0 ? r : 1;
}
