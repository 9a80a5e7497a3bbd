/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Templates: what the agent of a project's sessions is told and which model it asks. A template
 * is templates/NAME.template in the standard configuration directories (vendor, admin, runtime,
 * with drop-ins in NAME.template.d/), named by a project's [Agent] Template=. */

#include "conf-parser.h"

typedef struct Template {
        char *name;
        char *instructions;             /* [Template] Instructions=, lines joined by "\n" */
        char *model;                    /* [Template] Model=, NULL for the agent's default */
} Template;

Template *template_free(Template *t);
DEFINE_PTR_CLEANUP(Template *, template_free);

/* Reads template name from CONFIG_DIRS_STANDARD, each below root if not NULL (for tests).
 * Returns 0 and a new Template in *ret; -EINVAL for a bad name; -ENOENT if no directory has the
 * template; or the parse error. diag->error then says what is wrong, naming file and line. */
int template_load(const char *name, const char *root, Template **ret, ConfigDiagnostics *diag);
