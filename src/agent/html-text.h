/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Turns an HTML page into readable text for the model, with libxml2's forgiving HTML parser:
 * scripts, styles and other invisible parts are dropped, block elements become line breaks,
 * list items get a bullet, runs of white space collapse, and link targets follow their text. */

#include <stddef.h>

/* Converts n bytes of HTML. Returns 0 and a new NUL-terminated string in *ret, or -ENOMEM, or
 * -EBADMSG if libxml2 could make no document of it at all. */
int html_to_text(const char *html, size_t n, char **ret);
