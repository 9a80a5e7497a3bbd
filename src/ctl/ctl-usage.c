/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl usage: token totals per user, as the inference gateway counts them. The gateway
 * decides what the caller sees from the kernel's view of the connection: administrators every
 * user, everybody else their own line. */

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ctl.h"
#include "log.h"
#include "session-policy.h"

#define USAGE_REPLY_MAX (1024U * 1024U)
#define USAGE_TIMEOUT_MSEC 5000

static const char *gateway_socket(void) {
        return getenv("OPENMONO_INFERENCE_SOCKET") ?: SESSION_INFERENCE_SOCKET_DEFAULT;
}

static int connect_gateway(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *path = gateway_socket();
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(sa.sun_path))
                return log_error_errno(ENAMETOOLONG, "Gateway socket path too long: %s", path);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create a socket: %m");
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                log_error_errno(errno, "The inference gateway is not reachable at %s: %m\n"
                                "Is openmono-gatewayd.socket enabled? (systemctl enable --now openmono-gatewayd.socket)",
                                path);
                return -EHOSTDOWN;
        }
        return steal_fd(fd);
}

/* Sends one HTTP/1.0 GET and reads the whole answer; the server closes after it. */
static int http_get(int fd, const char *path, char **ret) {
        _cleanup_free_ char *buf = malloc(USAGE_REPLY_MAX + 1);
        char request[256];
        size_t n = 0;
        int len;

        if (!buf)
                return log_oom();
        len = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
        if (send(fd, request, (size_t) len, MSG_NOSIGNAL) != len)
                return log_error_errno(errno ?: EIO, "Failed to ask the gateway: %m");
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t k;

                if (poll(&p, 1, USAGE_TIMEOUT_MSEC) == 0)
                        return log_error_errno(ETIMEDOUT, "The gateway did not answer in time.");
                k = recv(fd, buf + n, USAGE_REPLY_MAX - n, 0);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return log_error_errno(errno, "Failed to read the gateway's answer: %m");
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n == USAGE_REPLY_MAX)
                        return log_error_errno(EFBIG, "The gateway's answer is too large.");
        }
        buf[n] = 0;
        *ret = steal_ptr(buf);
        return 0;
}

/* Returns the JSON body of an HTTP 200 answer, or logs the gateway's error message. */
static int parse_answer(const char *answer, json_object **ret) {
        const char *body = strstr(answer, "\r\n\r\n");
        _cleanup_(json_object_putp) json_object *j = NULL;
        json_object *error = NULL;
        const char *message = NULL;
        int status = 0;

        if (!body || sscanf(answer, "HTTP/%*d.%*d %d", &status) != 1)
                return log_error_errno(EBADMSG, "The gateway sent no valid HTTP answer.");
        body += 4;
        if (json_parse(body, strlen(body), &j) < 0)
                return log_error_errno(EBADMSG, "The gateway's answer is not JSON (HTTP %d).", status);
        if (status != 200) {
                (void) json_get_object(j, "error", &error);
                (void) json_get_string(error, "message", &message);
                log_error("The gateway refused: %s (HTTP %d)", message ?: "no reason given", status);
                return status == 403 ? -EACCES : -EIO;
        }
        *ret = steal_ptr(j);
        return 0;
}

/* A token total; one that holds estimates is marked "~", like the journal's. */
static void format_tokens(char *buf, size_t size, int64_t reported, int64_t estimated) {
        snprintf(buf, size, "%s%" PRIi64, estimated > 0 ? "~" : "", reported + estimated);
}

static void print_usage_table(json_object *users) {
        size_t n = users ? json_object_array_length(users) : 0;
        int64_t unreported = 0;

        if (arg_legend)
                printf("%-12s %9s %7s %14s %14s %8s %7s\n", "USER", "REQUESTS", "FAILED", "PROMPT-TOKENS",
                       "COMPL-TOKENS", "RUNNING", "QUEUED");
        for (size_t i = 0; i < n; i++) {
                json_object *u = json_object_array_get_idx(users, i);
                const char *name = NULL;
                char uid[32], prompt[32], completion[32];
                int64_t v[9] = {}, u_id = -1;
                static const char *const keys[] = { "requests", "failed", "prompt_tokens",
                                                    "completion_tokens", "running", "queued",
                                                    "estimated_prompt_tokens", "estimated_completion_tokens",
                                                    "unreported_requests" };

                (void) json_get_int64(u, "uid", &u_id);
                snprintf(uid, sizeof uid, "%" PRIi64, u_id);
                /* The gateway names users it has seen a request from; the rest by uid. */
                (void) json_get_string(u, "user", &name);
                for (size_t k = 0; k < ELEMENTSOF(keys); k++)
                        (void) json_get_int64(u, keys[k], &v[k]);
                format_tokens(prompt, sizeof prompt, v[2], v[6]);
                format_tokens(completion, sizeof completion, v[3], v[7]);
                unreported += v[8];
                printf("%-12s %9" PRIi64 " %7" PRIi64 " %14s %14s %8" PRIi64 " %7" PRIi64 "\n",
                       name ?: uid, v[0], v[1], prompt, completion, v[4], v[5]);
        }
        if (!arg_legend)
                return;
        printf("\n%zu user%s; totals since the gateway started.\n", n, n == 1 ? "" : "s");
        if (unreported > 0)
                printf("~: includes estimates for %" PRIi64 " request%s whose upstream reported no token usage.\n",
                       unreported, unreported == 1 ? "" : "s");
}

int verb_usage(int argc, char *argv[]) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_free_ char *answer = NULL;
        _cleanup_close_ int fd = -EBADF;
        json_object *users = NULL;
        int r;

        if (argc > 1)
                return log_error_errno(EINVAL, "'usage' takes no arguments.");
        fd = connect_gateway();
        if (fd < 0)
                return fd;
        r = http_get(fd, "/v1/openmono/usage", &answer);
        if (r >= 0)
                r = parse_answer(answer, &j);
        if (r < 0)
                return r;
        if (arg_json) {
                ctl_print_json(j);
                return 0;
        }
        (void) json_get_array(j, "users", &users);
        print_usage_table(users);
        return 0;
}
