/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Template files: finding and parsing them. What a template means for a session (the agent's
 * system prompt, its model) is decided in session-varlink.c. */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "session-policy.h"
#include "strv.h"
#include "template.h"

#define TEMPLATE_SUFFIX ".template"

static const char *const template_dirs[] = {
        PKGDATADIR "/templates", PKGSYSCONFDIR "/templates", RUNDIR "/templates", NULL
};

Template *template_free(Template *t) {
        if (!t)
                return NULL;
        free(t->name);
        free(t->instructions);
        free(t->model);
        return mfree(t);
}

/* Instructions= appends a line, so a long prompt can be written over many assignments; an empty
 * value starts over (as for lists in systemd), so a drop-in can replace the text. */
static int config_parse_instructions(const char *filename, unsigned line, const char *section,
                                     const char *key, const char *value, void *data, char **ret_error) {
        char **text = data, *joined;

        if (!*value) {
                *text = mfree(*text);
                return 0;
        }
        if (!*text)
                return free_and_strdup(text, value);
        if (asprintf(&joined, "%s\n%s", *text, value) < 0)
                return -ENOMEM;
        free_and_replace(*text, joined);
        return 0;
}

static const ConfigItem template_items[] = {
        { "Template", "Instructions", config_parse_instructions, offsetof(Template, instructions) },
        { "Template", "Model",        config_parse_string,       offsetof(Template, model) },
        {}
};

/* Whether any directory has the main file or drop-ins: config_parse_standard() takes a missing
 * file for an empty one, but a project naming a template that is nowhere is a mistake. */
static int template_exists(const char *file, const char *root) {
        for (const char *const *d = template_dirs; *d; d++) {
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (asprintf(&path, "%s%s/%s", root ?: "", *d, file) < 0)
                        return -ENOMEM;
                if (lstat(path, &st) >= 0)
                        return 1;
                path = mfree(path);
                if (asprintf(&path, "%s%s/%s.d", root ?: "", *d, file) < 0)
                        return -ENOMEM;
                if (stat(path, &st) >= 0 && S_ISDIR(st.st_mode))
                        return 1;
        }
        return 0;
}

int template_load(const char *name, const char *root, Template **ret, ConfigDiagnostics *diag) {
        _cleanup_(template_freep) Template *t = NULL;
        _cleanup_free_ char *file = NULL;
        int r;

        /* Names follow the rules of project names: they end up in file names. */
        if (!project_name_is_valid(name))
                return -EINVAL;
        t = calloc(1, sizeof(Template));
        if (!t || !(t->name = strdup(name)) || asprintf(&file, "%s" TEMPLATE_SUFFIX, name) < 0)
                return -ENOMEM;
        r = template_exists(file, root);
        if (r < 0)
                return r;
        if (r == 0) {
                if (diag) {
                        free(diag->error);
                        diag->error = NULL;
                        (void) asprintf(&diag->error, "no template file %s in %s, %s or %s", file,
                                        template_dirs[0], template_dirs[1], template_dirs[2]);
                }
                return -ENOENT;
        }
        r = config_parse_standard(file, template_dirs, root, template_items, t, diag);
        if (r < 0)
                return r;
        *ret = steal_ptr(t);
        return 0;
}
