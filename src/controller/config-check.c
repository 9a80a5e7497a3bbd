/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration check: every file the controller would read, parsed the way it parses them,
 * with each problem printed once. A check reads only; it never changes what a running
 * controller uses. */

#include <dirent.h>
#include <sys/stat.h>

#include "config-check.h"
#include "cron-job.h"
#include "manager-config.h"
#include "project.h"
#include "strv.h"
#include "template.h"

typedef int (*CheckLoadFunc)(const char *root, const char *state_dir, const char *name, ConfigDiagnostics *diag);

int config_check_entry_name(const char *entry, const char *suffix, bool (*valid)(const char *), char **ret) {
        size_t n = strlen(entry), k = strlen(suffix);
        _cleanup_free_ char *name = NULL;

        /* NAME.suffix.d/ holds the drop-ins of NAME.suffix. */
        if (n > 2 && streq(entry + n - 2, ".d"))
                n -= 2;
        if (n <= k || strncmp(entry + n - k, suffix, k) != 0)
                return 0;
        name = strndup(entry, n - k);
        if (!name)
                return -ENOMEM;
        if (!valid(name))
                return 0;
        *ret = steal_ptr(name);
        return 1;
}

static void report(FILE *out, ConfigCheckResult *res, const ConfigDiagnostics *diag, int r) {
        STRV_FOREACH(w, diag->warnings) {
                fprintf(out, "warning: %s\n", *w);
                res->warnings++;
        }
        if (r < 0) {
                fprintf(out, "error: %s\n", diag->error ?: strerror(-r));
                res->errors++;
        }
}

/* Collects the valid names in dir, warning about every entry that is not NAME.suffix. */
static int scan_dir(const char *dir, const char *suffix, bool (*valid)(const char *), char ***names, FILE *out,
                    ConfigCheckResult *res) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        int r;

        if (!d && errno == ENOENT)
                return 0;
        if (!d) {
                fprintf(out, "error: %s: cannot open directory: %s\n", dir, strerror(errno));
                res->errors++;
                return 0;
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *name = NULL;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = config_check_entry_name(de->d_name, suffix, valid, &name);
                if (r < 0)
                        return r;
                if (r == 0) {
                        fprintf(out, "warning: %s/%s: not a NAME%s file with a valid name, ignored\n", dir,
                                de->d_name, suffix);
                        res->warnings++;
                } else if (!strv_contains(*names, name) && strv_consume(names, steal_ptr(name)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* One kind of file: NAME.suffix in each of dirs, loaded by load. */
typedef struct CheckKind {
        const char *suffix;
        bool (*valid)(const char *name);
        CheckLoadFunc load;
} CheckKind;

static int check_kind(const CheckKind *k, const char *const *dirs, const char *root, const char *state_dir,
                      FILE *out, ConfigCheckResult *res) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        for (const char *const *d = dirs; *d; d++) {
                r = scan_dir(*d, k->suffix, k->valid, &names, out, res);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(n, names) {
                _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};

                r = k->load(root, state_dir, *n, &diag);
                if (r == -ENOMEM)
                        return r;
                report(out, res, &diag, r);
        }
        return 0;
}

static int load_template(const char *root, const char *state_dir, const char *name, ConfigDiagnostics *diag) {
        _cleanup_(template_freep) Template *t = NULL;

        return template_load(name, root, &t, diag);
}

/* A project is also broken when the template it names is. */
static int load_project(const char *root, const char *state_dir, const char *name, ConfigDiagnostics *diag) {
        _cleanup_(project_dirs_done) ProjectDirs dirs = {};
        _cleanup_(project_freep) Project *p = NULL;
        int r;

        r = project_dirs_init(&dirs, root, state_dir);
        if (r < 0)
                return r;
        r = project_load(&dirs, name, &p, diag);
        if (r < 0 || !p->template)
                return r;
        r = load_template(root, state_dir, p->template, diag);
        if (r < 0 && diag->error) {
                char *e = NULL;
                if (asprintf(&e, "project %s: template %s: %s", name, p->template, diag->error) < 0)
                        return -ENOMEM;
                free_and_replace(diag->error, e);
        }
        return r;
}

static int load_cron_job(const char *root, const char *state_dir, const char *name, ConfigDiagnostics *diag) {
        _cleanup_(cron_dirs_done) CronDirs dirs = {};
        _cleanup_(cron_job_freep) CronJob *j = NULL;
        int r;

        r = cron_dirs_init(&dirs, root, state_dir);
        return r < 0 ? r : cron_job_load(&dirs, name, &j, diag);
}

static int check_manager_config(const char *root, FILE *out, ConfigCheckResult *res) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        ManagerConfig c;
        int r;

        manager_config_init(&c);
        r = manager_config_load(root, &c, &diag);
        manager_config_done(&c);
        if (r == -ENOMEM)
                return r;
        report(out, res, &diag, r);
        return 0;
}

int config_check_all(const char *root, const char *state_dir, FILE *out, ConfigCheckResult *ret) {
        _cleanup_(project_dirs_done) ProjectDirs pd = {};
        _cleanup_(cron_dirs_done) CronDirs cd = {};
        _cleanup_strv_free_ char **templates = NULL;
        ConfigCheckResult res = {};
        int r;

        r = project_dirs_init(&pd, root, state_dir);
        if (r >= 0)
                r = cron_dirs_init(&cd, root, state_dir);
        for (const char *const *d = CONFIG_DIRS_STANDARD; r >= 0 && *d; d++)
                r = strv_extendf(&templates, "%s%s/templates", root ?: "", *d);
        if (r >= 0)
                r = check_manager_config(root, out, &res);
        if (r >= 0)
                r = check_kind(&(const CheckKind) { ".project", project_name_is_valid, load_project },
                               (const char *const[]) { pd.system, pd.user, NULL }, root, state_dir, out, &res);
        if (r >= 0)
                r = check_kind(&(const CheckKind) { ".template", project_name_is_valid, load_template },
                               (const char *const *) templates, root, state_dir, out, &res);
        if (r >= 0)
                r = check_kind(&(const CheckKind) { ".job", cron_job_name_is_valid, load_cron_job },
                               (const char *const[]) { cd.system, cd.user, NULL }, root, state_dir, out, &res);
        if (r < 0)
                return r;
        *ret = res;
        return 0;
}
