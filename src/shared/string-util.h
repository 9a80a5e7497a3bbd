/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* Replaces the string *p with a newly formatted one. When out of memory *p becomes NULL (the
 * old string is freed either way) and -ENOMEM is returned; otherwise 0. */
int free_and_asprintf(char **p, const char *format, ...) _printf_(2, 3);
/* Copies both strings into *ret_a and *ret_b, or neither (then they are left alone). Returns 0
 * or -ENOMEM. */
int strdup_pair(const char *a, const char *b, char **ret_a, char **ret_b);
