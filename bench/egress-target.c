/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The upstream for bench/egress.py: a TCP server that is never the bottleneck, so that what
 * the benchmark measures is the path to it. After a connection's first byte it serves one of:
 *   'P'  echo: every byte read is written back (round trips on an open connection)
 *   'R'  one answer: writes "OK\n" and closes (a whole request on a new connection)
 *   'B'  bulk: writes the number of MiB given by the next byte, then closes
 * One thread per connection; runs until killed. A third argument sets the TCP congestion control
 * of every connection it sends on (the same for direct and proxied ones). */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char zeros[256 * 1024];
static const char *congestion;          /* TCP_CONGESTION for every connection, or NULL */

static void serve_echo(int fd) {
        char buf[4096];
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (write(fd, buf, (size_t) n) != n)
                        return;
}

static void serve_bulk(int fd) {
        unsigned char mib;
        size_t left;

        if (read(fd, &mib, 1) != 1)
                return;
        left = (size_t) mib * 1024 * 1024;
        while (left > 0) {
                ssize_t n = write(fd, zeros, left < sizeof(zeros) ? left : sizeof(zeros));

                if (n <= 0)
                        return;
                left -= (size_t) n;
        }
}

static void *serve(void *userdata) {
        int fd = (int) (intptr_t) userdata, one = 1;
        char mode;

        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (congestion)
                (void) setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, congestion, strlen(congestion));
        if (read(fd, &mode, 1) == 1) {
                if (mode == 'P')
                        serve_echo(fd);
                else if (mode == 'R')
                        (void) !write(fd, "OK\n", 3);
                else if (mode == 'B')
                        serve_bulk(fd);
        }
        close(fd);
        return NULL;
}

int main(int argc, char *argv[]) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        int fd, one = 1;

        if ((argc != 3 && argc != 4) || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
                fprintf(stderr, "usage: %s ADDRESS PORT [CONGESTION-CONTROL]\n", argv[0]);
                return EXIT_FAILURE;
        }
        congestion = argc == 4 ? argv[3] : NULL;
        sa.sin_port = htons((uint16_t) atoi(argv[2]));
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0) {
                perror("listen");
                return EXIT_FAILURE;
        }
        for (;;) {
                pthread_attr_t attr;
                pthread_t t;
                int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

                if (c < 0)
                        continue;
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                pthread_attr_setstacksize(&attr, 64 * 1024);
                if (pthread_create(&t, &attr, serve, (void *) (intptr_t) c) != 0)
                        close(c);
                pthread_attr_destroy(&attr);
        }
}
