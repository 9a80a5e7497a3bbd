/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The semantics of edit_file, kept apart from file I/O so they can be tested on their own: an
 * exact, byte-for-byte match of the old text, which must be unique unless every occurrence is
 * to be replaced. Requiring uniqueness is what keeps a model from editing the wrong place. */

#include <stdbool.h>
#include <stddef.h>

/* Replaces old_text by new_text in the n bytes at text. Returns the number of replacements
 * (at least 1) and a new buffer in *ret (NUL-terminated, length in *ret_n); -EINVAL if old_text
 * is empty, -ENOENT if it does not occur, -ENOTUNIQ if it occurs more than once and all is
 * false (*ret_n is then set to the number of occurrences), or -ENOMEM. */
int text_replace(const char *text, size_t n, const char *old_text, const char *new_text, bool all,
                 char **ret, size_t *ret_n);
