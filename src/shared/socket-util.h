/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Creates a non-blocking listening Unix stream socket at path (replacing a stale one) with the
 * given file mode, for daemons started by hand instead of by their .socket unit. Returns the fd
 * or a negative errno (-ENAMETOOLONG for a path that does not fit). */
int socket_listen_unix(const char *path, mode_t mode);
