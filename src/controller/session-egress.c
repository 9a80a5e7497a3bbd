/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The files between the controller and the egress proxy: each session's list of names, and the
 * proxy's counts for it. */

#include <assert.h>
#include <dirent.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "egress-name.h"
#include "fs-util.h"
#include "macro.h"
#include "parse-util.h"
#include "session-egress.h"
#include "session-policy.h"
#include "strv.h"

#define CONF_SUFFIX ".conf"
/* Largest counts file read: the most the proxy writes (the directory is the proxy's, root-only). */
#define COUNTS_MAX EGRESS_COUNTS_TEXT_MAX

int session_egress_format(const char *id, char *const *domains, char **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        /* The same syntax as every other OpenMono file: the proxy reads it with conf-parser. */
        fprintf(f, "# openmono: egress policy of session %s\n[Session]\n", id);
        STRV_FOREACH(d, domains)
                fprintf(f, "AllowDomain=%s\n", *d);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = steal_ptr(text);
        return 0;
}

static int policy_path(const char *runtime_dir, const char *id, char **ret) {
        if (!session_id_is_valid(id))
                return -EINVAL;
        return asprintf(ret, "%s/" SESSION_EGRESS_SUBDIR "/%s" CONF_SUFFIX, runtime_dir, id) < 0 ? -ENOMEM : 0;
}

int session_egress_effective(char *const *own, char *const *project, char *const *site, char ***ret) {
        _cleanup_strv_free_ char **ceiling = NULL;
        int r;

        assert(ret);

        if (!project && !own) {
                *ret = strv_copy(site ?: (char *const[]) { NULL });
                return *ret ? 0 : -ENOMEM;
        }
        if (!project)
                return egress_pattern_list_clamp(own, site, ret);
        r = egress_pattern_list_clamp(project, site, &ceiling);
        if (r < 0 || !own) {
                *ret = r < 0 ? NULL : steal_ptr(ceiling);
                return r;
        }
        return egress_pattern_list_clamp(own, ceiling, ret);
}

int session_egress_write(const char *runtime_dir, const char *id, char *const *domains) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct group *g;
        int r;

        r = policy_path(runtime_dir, id, &path);
        if (r < 0)
                return r;
        errno = 0;
        g = getgrnam(SESSION_EGRESS_GROUP);
        if (!g)
                return errno > 0 ? -errno : -ESRCH;
        r = session_egress_format(id, domains, &text);
        if (r < 0)
                return r;
        return write_file_atomic_full(path, text, strlen(text), 0640, 0, g->gr_gid);
}

static int unlink_missing_ok(const char *path) {
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int session_egress_remove(const char *runtime_dir, const char *counts_dir, const char *id) {
        _cleanup_free_ char *path = NULL, *counts = NULL;
        int r, k;

        r = policy_path(runtime_dir, id, &path);
        if (r < 0)
                return r;
        if (counts_dir && asprintf(&counts, "%s/%s", counts_dir, id) < 0)
                return -ENOMEM;
        r = unlink_missing_ok(path);
        k = counts ? unlink_missing_ok(counts) : 0;
        return r < 0 ? r : k;
}

/* The session a file in the policy directory belongs to: "<id>.conf", or a temporary file
 * "<id>.conf.#XXXXXX" that a crash left behind (which never belongs to anybody). Returns 1 for
 * a policy file, 0 for a temporary one, -EINVAL for anything else. */
static int policy_file_id(const char *name, char *id, size_t n) {
        const char *suffix = strstr(name, CONF_SUFFIX);
        size_t l = suffix ? (size_t) (suffix - name) : 0;

        if (!suffix || l == 0 || l >= n)
                return -EINVAL;
        memcpy(id, name, l);
        id[l] = 0;
        if (!session_id_is_valid(id))
                return -EINVAL;
        if (streq(suffix, CONF_SUFFIX))
                return 1;
        return startswith(suffix, CONF_SUFFIX ".#") ? 0 : -EINVAL;
}

int session_egress_sweep(const char *runtime_dir, bool (*keep)(const char *id, void *userdata), void *userdata) {
        _cleanup_(closedirp) DIR *d = NULL;
        char path[PATH_MAX], id[SESSION_ID_MAX + 1];
        struct dirent *de;
        int n = 0;

        snprintf(path, sizeof path, "%s/" SESSION_EGRESS_SUBDIR, runtime_dir);
        d = opendir(path);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                int r = policy_file_id(de->d_name, id, sizeof id);

                if (r < 0 || (r > 0 && keep(id, userdata)))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) >= 0)
                        n++;
        }
        return n;
}

int session_egress_counts_read(const char *counts_dir, const char *id, EgressCounts *ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        char buf[COUNTS_MAX];
        size_t n;

        if (!session_id_is_valid(id))
                return -EINVAL;
        if (asprintf(&path, "%s/%s", counts_dir, id) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        n = fread(buf, 1, COUNTS_MAX, f);
        if (ferror(f))
                return -EIO;
        return egress_counts_parse(buf, n, ret);
}
