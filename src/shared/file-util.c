/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loops over read() and write() that cope with short transfers and EINTR. */

#include <assert.h>

#include "file-util.h"
#include "macro.h"

int read_fd_full(int fd, size_t max, char **ret, size_t *ret_n) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;

        assert(ret);
        for (;;) {
                ssize_t k;

                if (allocated - n < 4096) {
                        size_t want = MAX(allocated * 2, (size_t) 8192);
                        char *b;

                        if (n > max)
                                return -EFBIG;
                        b = realloc(buf, MIN(want, max + 2));
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        allocated = MIN(want, max + 2);
                }
                k = read(fd, buf + n, allocated - n - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > max)
                        return -EFBIG;
        }
        buf[n] = 0;
        *ret = steal_ptr(buf);
        if (ret_n)
                *ret_n = n;
        return 0;
}

int write_fd_full(int fd, const char *buf, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, buf, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                buf += k;
                n -= (size_t) k;
        }
        return 0;
}

bool buffer_is_binary(const char *buf, size_t n) {
        return memchr(buf, 0, MIN(n, (size_t) 8192)) != NULL;
}
