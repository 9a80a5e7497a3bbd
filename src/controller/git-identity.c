/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The git identity a session's commits carry when its user has configured none. Without one,
 * git guesses user@host.(none) and refuses to commit; a session must not need setup for that. */

#include <assert.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "git-identity.h"
#include "macro.h"
#include "string-util.h"

/* Writes s as a double-quoted git config value. git unescapes \" and \\ only; control characters
 * (a newline would end the value and start a section) are left out. */
static void put_quoted(FILE *f, const char *s, size_t n) {
        fputc('"', f);
        for (size_t i = 0; i < n && s[i]; i++) {
                unsigned char c = s[i];

                if (c < ' ' || c == 0x7f)
                        continue;
                if (c == '"' || c == '\\')
                        fputc('\\', f);
                fputc(c, f);
        }
        fputc('"', f);
}

int git_identity_format(const char *user, const char *gecos, const char *domain, char **ret) {
        _cleanup_free_ char *addr = NULL, *buf = NULL;
        size_t size = 0, n;
        FILE *f;

        assert(ret);
        if (isempty(user) || isempty(domain))
                return -EINVAL;
        if (asprintf(&addr, "%s@%s", user, domain) < 0)
                return -ENOMEM;
        /* GECOS is "Full Name,room,work phone,home phone,other"; only the name is a name. */
        n = gecos ? strcspn(gecos, ",") : 0;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("# Written by openmonod. ~/.gitconfig and the repository's config override it.\n"
              "[user]\n\tname = ", f);
        if (n > 0)
                put_quoted(f, gecos, n);
        else
                put_quoted(f, user, strlen(user));
        fputs("\n\temail = ", f);
        put_quoted(f, addr, strlen(addr));
        /* This file replaces the system config for git (GIT_CONFIG_SYSTEM); the site's own comes
         * after it and so wins over these defaults. A missing file is ignored by git. */
        fputs("\n[include]\n\tpath = /etc/gitconfig\n", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = steal_ptr(buf);
        return 0;
}

int git_identity_for_uid(uid_t uid, const char *domain, char **ret) {
        struct utsname u;
        struct passwd *pw;

        assert(ret);
        errno = 0;
        pw = getpwuid(uid);
        if (!pw)
                return errno > 0 ? -errno : -ESRCH;
        if (isempty(domain)) {
                if (uname(&u) < 0)
                        return -errno;
                domain = u.nodename;
        }
        return git_identity_format(pw->pw_name, pw->pw_gecos, domain, ret);
}
