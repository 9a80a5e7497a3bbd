/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NSS lookups with the buffer handling the reentrant getpw*_r() calls need. */

#include <grp.h>
#include <pwd.h>

#include "macro.h"
#include "user-util.h"

#define NSS_BUFFER_MAX (1024U * 1024U)

/* Calls getpwuid_r() with a growing buffer. Returns 0 with *ret pointing into *buf. */
static int getpwuid_alloc(uid_t uid, struct passwd *pw, char **buf) {
        for (size_t size = 4096; size <= NSS_BUFFER_MAX; size *= 2) {
                struct passwd *result = NULL;
                char *b = realloc(*buf, size);
                int r;

                if (!b)
                        return -ENOMEM;
                *buf = b;
                r = getpwuid_r(uid, pw, b, size, &result);
                if (r == ERANGE)
                        continue;
                if (r != 0)
                        return -r;
                return result ? 0 : -ENOENT;
        }
        return -ERANGE;
}

int uid_to_name(uid_t uid, char **ret) {
        _cleanup_free_ char *buf = NULL;
        struct passwd pw;
        char *n;
        int r;

        r = getpwuid_alloc(uid, &pw, &buf);
        if (r < 0)
                return r;
        n = strdup(pw.pw_name);
        if (!n)
                return -ENOMEM;
        *ret = n;
        return 0;
}

int uid_in_group(uid_t uid, const char *group) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        struct passwd pw;
        struct group *g;
        int n = 64, r;

        if (uid == 0)
                return 1;
        errno = 0;
        g = getgrnam(group);
        if (!g)
                return errno > 0 ? -errno : -ENOENT;
        gid_t gid = g->gr_gid;

        r = getpwuid_alloc(uid, &pw, &buf);
        if (r < 0)
                return r;
        if (pw.pw_gid == gid)
                return 1;
        for (int tries = 0; tries < 2; tries++) {
                gid_t *a = reallocarray(groups, (size_t) n, sizeof(gid_t));
                if (!a)
                        return -ENOMEM;
                groups = a;
                if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) >= 0)
                        break;
        }
        for (int i = 0; i < n; i++)
                if (groups[i] == gid)
                        return 1;
        return 0;
}

int uid_is_admin(uid_t uid) {
        int r = uid_in_group(uid, ADMIN_GROUP);

        return r > 0;
}
