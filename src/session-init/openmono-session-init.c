/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmono-session-init: the first process of a session that offers the model or the egress proxy
 * on its loopback.
 *
 * For each it listens on 127.0.0.1:PORT in the session's own network namespace, leaves a
 * systemd-socket-proxyd behind that relays every connection to the Unix socket of the gateway or
 * of the egress proxy, and then becomes the session's command. A relay is a process of the session
 * unit, in its cgroup and under its sandbox, so the daemon behind it identifies what comes through
 * exactly as it identifies the session's own connections: the relay adds no right the session did
 * not have. The ports are reachable only from the session's network namespace; the controller uses
 * this helper only for sessions that have one of their own.
 *
 * The relay is started before the command and detached from it (its own session, no terminal,
 * reparented away), so the command sees no extra child and the terminal's signals do not reach
 * it; systemd stops it with the rest of the unit. */

#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "parse-util.h"

/* What a shell and openmonoctl(1) exit with for a command that does not exist, or that exists
 * but cannot be executed. */
#define EXIT_NOT_FOUND 127
#define EXIT_CANNOT_EXECUTE 126

/* One relay: a loopback port and the socket behind it. */
typedef struct Relay {
        const char *what;               /* for messages */
        unsigned port;
        const char *socket;
} Relay;

static Relay arg_model = { .what = "model URL" };
static Relay arg_egress = { .what = "egress proxy" };
static const char *arg_proxyd = SOCKET_PROXYD_PATH;

static int listen_loopback(unsigned port) {
        struct sockaddr_in sa = {
                .sin_family = AF_INET,
                .sin_port = htons((uint16_t) port),
                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
        };
        _cleanup_close_ int fd = -EBADF;
        int one = 1;

        fd = NEG_ERRNO(socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0));
        if (fd < 0)
                return fd;
        /* TCP_NODELAY is inherited by every accepted connection. systemd-socket-proxyd sets
         * nothing on them and passes on each write of the gateway as it comes: with Nagle's
         * algorithm an answer's body would wait for the client's delayed ACK of its headers,
         * 40 ms per request on a kept-alive connection (bench/model-endpoint.py). */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ||
            bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(fd, SOMAXCONN) < 0)
                return -errno;
        return steal_fd(fd);
}

/* In the relay: the listening socket becomes fd 3 as sd_listen_fds() expects, nothing else of
 * the session's (its terminal above all) stays open, and systemd-socket-proxyd takes over. */
_Noreturn static void exec_relay(int fd, const char *socket_path) {
        char pid[32];
        int null;

        /* dup2() onto itself would keep O_CLOEXEC, and the socket is often fd 3 already. */
        if (fd == 3 ? fcntl(fd, F_SETFD, 0) < 0 : dup2(fd, 3) < 0)
                _exit(EXIT_FAILURE);
        null = open("/dev/null", O_RDWR|O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
                _exit(EXIT_FAILURE);
        (void) close_range(4, ~0U, 0);
        snprintf(pid, sizeof pid, "%i", (int) getpid());
        if (setenv("LISTEN_FDS", "1", 1) < 0 || setenv("LISTEN_PID", pid, 1) < 0 ||
            setenv("SYSTEMD_LOG_TARGET", "journal", 1) < 0)
                _exit(EXIT_FAILURE);
        (void) unsetenv("LISTEN_FDNAMES");
        execl(arg_proxyd, arg_proxyd, socket_path, (char *) NULL);
        _exit(EXIT_FAILURE);
}

/* Forks twice: the middle process is reaped here, so the relay is nobody's child in the session
 * and a command that waits for all its children does not wait for it. */
static int start_relay(int fd, const char *socket_path) {
        pid_t pid;
        int status;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (setsid() < 0)
                        _exit(EXIT_FAILURE);
                pid = fork();
                if (pid < 0)
                        _exit(EXIT_FAILURE);
                if (pid == 0)
                        exec_relay(fd, socket_path);
                _exit(EXIT_SUCCESS);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* The session still runs its command without a relay: what it relays to is then out of reach
 * over HTTP, which the client reports, but nothing else the user asked for breaks. */
static void offer_relay(const Relay *relay) {
        int fd, r;

        if (relay->port == 0)
                return;
        fd = listen_loopback(relay->port);
        if (fd < 0) {
                fprintf(stderr, "openmono-session-init: cannot listen on 127.0.0.1:%u, no %s: %s\n",
                        relay->port, relay->what, strerror(-fd));
                return;
        }
        r = start_relay(fd, relay->socket);
        if (r < 0)
                fprintf(stderr, "openmono-session-init: cannot start the %s relay: %s\n", relay->what,
                        strerror(-r));
        safe_close(fd);
}

static int parse_port(const char *s, Relay *relay) {
        return parse_unsigned(s, &relay->port) < 0 || relay->port == 0 || relay->port > 65535 ? -EINVAL : 0;
}

/* A port without its socket, or the other way round, is a mistake of the caller's. */
static bool relay_is_valid(const Relay *relay) {
        return !relay->port == !relay->socket && (!relay->socket || relay->socket[0] == '/');
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "model-port",       required_argument, NULL, 'p' },
                { "inference-socket", required_argument, NULL, 's' },
                { "egress-port",      required_argument, NULL, 'e' },
                { "egress-socket",    required_argument, NULL, 'E' },
                { "socket-proxyd",    required_argument, NULL, 'P' },
                {}
        };
        int c;

        /* '+': options end at the first argument, which is the command. */
        while ((c = getopt_long(argc, argv, "+", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                case 'e':
                        if (parse_port(optarg, c == 'p' ? &arg_model : &arg_egress) < 0)
                                return -EINVAL;
                        break;
                case 's':
                        arg_model.socket = optarg;
                        break;
                case 'E':
                        arg_egress.socket = optarg;
                        break;
                case 'P':
                        arg_proxyd = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind >= argc || !relay_is_valid(&arg_model) || !relay_is_valid(&arg_egress) ||
            (!arg_model.port && !arg_egress.port))
                return -EINVAL;
        return optind;
}

int main(int argc, char *argv[]) {
        int i, r;

        i = parse_argv(argc, argv);
        if (i < 0) {
                fprintf(stderr, "Usage: %s [--model-port=PORT --inference-socket=PATH] "
                        "[--egress-port=PORT --egress-socket=PATH] [--] COMMAND [ARGS...]\n", argv[0]);
                return EXIT_FAILURE;
        }
        offer_relay(&arg_model);
        offer_relay(&arg_egress);
        execv(argv[i], argv + i);
        r = errno;
        fprintf(stderr, "Cannot execute %s: %s\n", argv[i], strerror(r));
        return r == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
}
