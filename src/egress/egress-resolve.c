/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Name resolution in a thread per lookup. */

#include <assert.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "egress-resolve.h"

typedef struct Lookup {
        int fd;
        char name[];
} Lookup;

static void addresses_fill(const struct addrinfo *ai, EgressAddresses *a) {
        for (; ai && a->n < EGRESS_ADDRESSES_MAX; ai = ai->ai_next) {
                EgressAddress *e = &a->items[a->n];

                if (ai->ai_family == AF_INET) {
                        memcpy(e->address, &((const struct sockaddr_in *) ai->ai_addr)->sin_addr, 4);
                } else if (ai->ai_family == AF_INET6) {
                        memcpy(e->address, &((const struct sockaddr_in6 *) ai->ai_addr)->sin6_addr, 16);
                } else
                        continue;
                e->family = ai->ai_family;
                a->n++;
        }
}

static int gai_to_errno(int k) {
        switch (k) {
        case 0:
                return 0;
        case EAI_NONAME:
        case EAI_NODATA:
                return -ENOENT;
        case EAI_AGAIN:
                return -EAGAIN;
        case EAI_MEMORY:
                return -ENOMEM;
        case EAI_SYSTEM:
                return -errno;
        default:
                return -EIO;
        }
}

static void *lookup_thread(void *userdata) {
        Lookup *l = userdata;
        const struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
        struct addrinfo *ai = NULL;
        EgressAddresses a = {};

        a.error = gai_to_errno(getaddrinfo(l->name, NULL, &hints, &ai));
        if (ai) {
                addresses_fill(ai, &a);
                freeaddrinfo(ai);
        }
        if (a.error == 0 && a.n == 0)
                a.error = -ENOENT;
        (void) write(l->fd, &a, sizeof(a));
        safe_close(l->fd);
        free(l);
        return NULL;
}

int egress_resolve_start(const char *name) {
        _cleanup_close_ int rfd = -EBADF;
        pthread_attr_t attr;
        pthread_t t;
        int fds[2], k;
        Lookup *l;

        assert(name);

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        rfd = fds[0];
        if (fcntl(rfd, F_SETFL, O_NONBLOCK) < 0) {
                safe_close(fds[1]);
                return -errno;
        }
        l = malloc(sizeof(Lookup) + strlen(name) + 1);
        if (!l) {
                safe_close(fds[1]);
                return -ENOMEM;
        }
        l->fd = fds[1];
        strcpy(l->name, name);

        (void) pthread_attr_init(&attr);
        (void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        (void) pthread_attr_setstacksize(&attr, 256 * 1024);
        k = pthread_create(&t, &attr, lookup_thread, l);
        (void) pthread_attr_destroy(&attr);
        if (k != 0) {
                safe_close(l->fd);
                free(l);
                return -k;
        }
        return steal_fd(rfd);
}

int egress_resolve_read(int fd, EgressAddresses *ret) {
        EgressAddresses a;
        ssize_t n;

        assert(ret);

        n = read(fd, &a, sizeof(a));
        if (n < 0)
                return -errno;
        if (n != (ssize_t) sizeof(a))
                return n == 0 ? -EPIPE : -EIO;
        if (a.n > EGRESS_ADDRESSES_MAX)
                return -EIO;
        *ret = a;
        return 0;
}
