/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whole-file reads and writes on file descriptors (the agent's file tools, config files). */

#include <stdbool.h>
#include <stddef.h>

/* Reads the rest of fd, at most max bytes. Returns 0 and a NUL-terminated buffer (length in
 * *ret_n), -EFBIG if the file is larger, or a negative errno. */
int read_fd_full(int fd, size_t max, char **ret, size_t *ret_n);

/* Writes all n bytes. Returns 0 or a negative errno. */
int write_fd_full(int fd, const char *buf, size_t n);

/* Returns true if the first bytes of buf hold a NUL, the usual sign of a binary file. */
bool buffer_is_binary(const char *buf, size_t n);
