/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Socket helpers. */

#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
#include "socket-util.h"

int socket_listen_unix(const char *path, mode_t mode) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = NEG_ERRNO(socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0));
        if (fd < 0)
                return fd;
        (void) unlink(path);
        r = NEG_ERRNO(bind(fd, (struct sockaddr *) &sa, sizeof(sa)));
        if (r >= 0)
                r = NEG_ERRNO(chmod(path, mode));
        if (r >= 0)
                r = NEG_ERRNO(listen(fd, SOMAXCONN));
        return r < 0 ? r : steal_fd(fd);
}
