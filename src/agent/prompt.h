/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The system prompt: a built-in default (or a file given with --system-prompt), followed by the
 * workspace's own AGENTS.md, where projects keep instructions for coding agents. */

#include "workspace.h"

/* AGENTS.md is read up to this size; beyond it the rest is left out with a note. */
#define PROMPT_AGENTS_MD_MAX (64U * 1024U)

/* Builds the prompt. override_path replaces the default if not NULL. Returns 0 and a new
 * string, or a negative errno if the override cannot be read. */
int prompt_build(const char *override_path, const Workspace *w, char **ret);
