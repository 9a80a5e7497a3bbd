/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated string vectors ("strv"), owned with every element. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* Frees every element and the vector; returns NULL. */
char **strv_free(char **l);
DEFINE_PTR_CLEANUP(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);

/* Appends s, taking ownership of it even on failure. Returns 0 or -ENOMEM. */
int strv_consume(char ***l, char *s);
/* Appends a copy of s. Returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);
/* Appends a formatted string. Returns 0 or -ENOMEM. */
int strv_extendf(char ***l, const char *format, ...) _printf_(2, 3);

/* Appends copies of all of other. Returns 0 or -ENOMEM (l then holds a part of them). */
int strv_extend_strv(char ***l, char *const *other);
/* Returns a deep copy of l (NULL for NULL), or NULL when out of memory. */
char **strv_copy(char *const *l);

/* Joins the elements with separator between them. Returns a new string or NULL (no memory). */
char *strv_join(char *const *l, const char *separator);

/* Splits s at any of the separator characters, skipping empty pieces. Returns 0 or -ENOMEM. */
int strv_split(const char *s, const char *separators, char ***ret);

#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
