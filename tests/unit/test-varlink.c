/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Drives the Varlink server and client against each other over a socketpair: the server runs
 * its own sd-event loop in a thread, the client makes blocking calls from the test. */

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "varlink.h"

static const char test_interface[] =
        "interface io.openmono.Test\n"
        "method Echo(value: string) -> (value: string)\n"
        "method Count(n: int) -> (i: int)\n"
        "method Fail() -> ()\n"
        "method PassFd() -> (bytes: string)\n"
        "method Flood(n: int) -> (junk: string)\n";

typedef struct Fixture {
        sd_event *event;
        VarlinkServer *server;
        pthread_t thread;
        int client_fd;
        int quit_fd[2];
        Varlink *server_link;           /* the server's end, owned by the server */
} Fixture;

/* Calls the server has answered, for tests that watch it from the client's thread. */
static unsigned n_served;

static int method_echo(Varlink *l, json_object *p, VarlinkMethodFlags flags, void *userdata) {
        const char *v;

        if (json_get_string(p, "value", &v) < 0)
                return varlink_error_invalid_parameter(l, "value");
        __atomic_add_fetch(&n_served, 1, __ATOMIC_SEQ_CST);
        return varlink_reply(l, p);
}

static int method_count(Varlink *l, json_object *p, VarlinkMethodFlags flags, void *userdata) {
        int64_t n;

        if (json_get_int64(p, "n", &n) < 0 || n < 1 || n > 100)
                return varlink_error_invalid_parameter(l, "n");
        if (!(flags & VARLINK_METHOD_MORE))
                return varlink_error(l, VARLINK_ERROR_EXPECTED_MORE, NULL);
        for (int64_t i = 0; i < n; i++) {
                _cleanup_(json_object_putp) json_object *r = json_object_new_object();
                json_add_int64(r, "i", i);
                if (i + 1 < n)
                        varlink_notify(l, r);
                else
                        varlink_reply(l, r);
        }
        return 0;
}

static int method_fail(Varlink *l, json_object *p, VarlinkMethodFlags flags, void *userdata) {
        return -ENOSPC;
}

/* Reads what the client sent through the fd and answers with a pipe of its own. */
static int method_pass_fd(Varlink *l, json_object *p, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *r = json_object_new_object();
        _cleanup_close_ int fd = varlink_take_fd(l, 0);
        char buf[64] = {};
        int pipefd[2];

        if (fd < 0)
                return varlink_error_invalid_parameter(l, "fd");
        assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        assert_int_equal(write(pipefd[1], "pong", 4), 4);
        safe_close(pipefd[1]);
        assert_int_equal(varlink_push_fd(l, pipefd[0]), 0);
        json_add_string(r, "bytes", buf);
        return varlink_reply(l, r);
}

/* Streams n replies of 4 KiB without waiting for the client, as a "more" method may. */
static int method_flood(Varlink *l, json_object *p, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *r = json_object_new_object();
        char junk[4096];
        int64_t n;

        if (json_get_int64(p, "n", &n) < 0 || !(flags & VARLINK_METHOD_MORE))
                return varlink_error_invalid_parameter(l, "n");
        memset(junk, 'j', sizeof junk - 1);
        junk[sizeof junk - 1] = 0;
        json_add_string(r, "junk", junk);
        for (int64_t i = 0; i < n; i++)
                if (varlink_notify(l, r) < 0)
                        return 0;       /* the connection is gone */
        return varlink_reply(l, r);
}

static int on_quit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void *server_thread(void *p) {
        Fixture *f = p;

        sd_event_loop(f->event);
        return NULL;
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        int sp[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, sp), 0);
        assert_int_equal(pipe2(f->quit_fd, O_CLOEXEC), 0);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(sd_event_add_io(f->event, NULL, f->quit_fd[0], EPOLLIN, on_quit, NULL), 0);
        assert_int_equal(varlink_server_new(f->event, &f->server), 0);
        assert_int_equal(varlink_server_set_info(f->server, "OpenMono", "test", "1", "https://example.org"), 0);
        assert_int_equal(varlink_server_add_interface(f->server, "io.openmono.Test", test_interface), 0);
        assert_int_equal(varlink_server_bind_method(f->server, "io.openmono.Test.Echo", method_echo), 0);
        assert_int_equal(varlink_server_bind_methods(f->server, (const VarlinkMethodBinding[]) {
                                { "io.openmono.Test.Count", method_count },
                                { "io.openmono.Test.Fail", method_fail },
                                { "io.openmono.Test.PassFd", method_pass_fd },
                                { "io.openmono.Test.Flood", method_flood },
                         }, 4), 0);
        assert_int_equal(varlink_server_add_connection(f->server, sp[0], &f->server_link), 0);
        f->client_fd = sp[1];
        assert_int_equal(pthread_create(&f->thread, NULL, server_thread, f), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        assert_int_equal(write(f->quit_fd[1], "x", 1), 1);
        pthread_join(f->thread, NULL);
        varlink_server_free(f->server);
        sd_event_unref(f->event);
        safe_close(f->client_fd);
        safe_close(f->quit_fd[0]);
        safe_close(f->quit_fd[1]);
        free(f);
        return 0;
}

static Varlink *client(Fixture *f) {
        Varlink *l;

        assert_int_equal(varlink_connect_fd(dup(f->client_fd), &l), 0);
        varlink_set_timeout(l, 5ULL * 1000000ULL);
        return l;
}

static void test_call_reply(void **state) {
        _cleanup_(varlink_unrefp) Varlink *l = client(*state);
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        json_object *reply;
        const char *error, *v;

        json_add_string(p, "value", "hello");
        assert_int_equal(varlink_call(l, "io.openmono.Test.Echo", p, &reply, &error), 0);
        assert_null(error);
        assert_int_equal(json_get_string(reply, "value", &v), 0);
        assert_string_equal(v, "hello");

        /* The connection takes a second call after the first. */
        assert_int_equal(varlink_call(l, "io.openmono.Test.Echo", NULL, &reply, &error), 0);
        assert_string_equal(error, VARLINK_ERROR_INVALID_PARAMETER);
        assert_int_equal(json_get_string(reply, "parameter", &v), 0);
        assert_string_equal(v, "value");
}

static void test_unknown_methods(void **state) {
        _cleanup_(varlink_unrefp) Varlink *l = client(*state);
        json_object *reply;
        const char *error, *v;

        assert_int_equal(varlink_call(l, "io.openmono.Test.Nope", NULL, &reply, &error), 0);
        assert_string_equal(error, VARLINK_ERROR_METHOD_NOT_FOUND);
        assert_int_equal(varlink_call(l, "com.example.Other.Nope", NULL, &reply, &error), 0);
        assert_string_equal(error, VARLINK_ERROR_INTERFACE_NOT_FOUND);
        assert_int_equal(json_get_string(reply, "interface", &v), 0);
        assert_string_equal(v, "com.example.Other");
        assert_int_equal(varlink_call(l, "nodot", NULL, &reply, &error), 0);
        assert_string_equal(error, VARLINK_ERROR_INTERFACE_NOT_FOUND);
}

static void test_errno_becomes_system_error(void **state) {
        _cleanup_(varlink_unrefp) Varlink *l = client(*state);
        json_object *reply;
        const char *error;
        int64_t e;

        assert_int_equal(varlink_call(l, "io.openmono.Test.Fail", NULL, &reply, &error), 0);
        assert_string_equal(error, VARLINK_ERROR_SYSTEM);
        assert_int_equal(json_get_int64(reply, "errno", &e), 0);
        assert_int_equal(e, ENOSPC);
}

static int count_cb(Varlink *l, json_object *p, const char *error, bool continues, void *userdata) {
        int *seen = userdata;
        int64_t i;

        assert_null(error);
        assert_int_equal(json_get_int64(p, "i", &i), 0);
        assert_int_equal(i, *seen);
        assert_int_equal(continues, i < 4);
        (*seen)++;
        return 0;
}

static void test_more(void **state) {
        _cleanup_(varlink_unrefp) Varlink *l = client(*state);
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        json_object *reply;
        const char *error;
        int seen = 0;

        json_add_int64(p, "n", 5);
        assert_int_equal(varlink_call_more(l, "io.openmono.Test.Count", p, count_cb, &seen), 0);
        assert_int_equal(seen, 5);
        assert_int_equal(varlink_call(l, "io.openmono.Test.Count", p, &reply, &error), 0);
        assert_string_equal(error, VARLINK_ERROR_EXPECTED_MORE);
}

static void test_fd_passing(void **state) {
        _cleanup_(varlink_unrefp) Varlink *l = client(*state);
        _cleanup_close_ int back = -EBADF;
        json_object *reply;
        const char *error, *bytes;
        char buf[8] = {};
        int pipefd[2];

        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        assert_int_equal(write(pipefd[1], "ping", 4), 4);
        safe_close(pipefd[1]);
        assert_int_equal(varlink_push_fd(l, pipefd[0]), 0);
        assert_int_equal(varlink_call(l, "io.openmono.Test.PassFd", NULL, &reply, &error), 0);
        assert_null(error);
        assert_int_equal(json_get_string(reply, "bytes", &bytes), 0);
        assert_string_equal(bytes, "ping");
        assert_int_equal(varlink_n_received_fds(l), 1);
        back = varlink_take_fd(l, 0);
        assert_true(back >= 0);
        assert_int_equal(read(back, buf, sizeof(buf)), 4);
        assert_string_equal(buf, "pong");
        assert_int_equal(varlink_take_fd(l, 0), -ENXIO);

        /* Without an fd the method refuses instead of crashing. */
        assert_int_equal(varlink_call(l, "io.openmono.Test.PassFd", NULL, &reply, &error), 0);
        assert_string_equal(error, VARLINK_ERROR_INVALID_PARAMETER);
}

static void test_service_interface(void **state) {
        _cleanup_(varlink_unrefp) Varlink *l = client(*state);
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();
        json_object *reply, *ifaces;
        const char *error, *desc;

        assert_int_equal(varlink_call(l, "org.varlink.service.GetInfo", NULL, &reply, &error), 0);
        assert_null(error);
        assert_int_equal(json_get_array(reply, "interfaces", &ifaces), 0);
        assert_int_equal(json_object_array_length(ifaces), 2);

        json_add_string(p, "interface", "io.openmono.Test");
        assert_int_equal(varlink_call(l, "org.varlink.service.GetInterfaceDescription", p, &reply, &error), 0);
        assert_null(error);
        assert_int_equal(json_get_string(reply, "description", &desc), 0);
        assert_string_equal(desc, test_interface);

        json_add_string(p, "interface", "io.openmono.Missing");
        assert_int_equal(varlink_call(l, "org.varlink.service.GetInterfaceDescription", p, &reply, &error), 0);
        assert_string_equal(error, VARLINK_ERROR_INTERFACE_NOT_FOUND);
}

/* Sends raw bytes and returns what comes back before the server closes or answers. */
static ssize_t raw_exchange(int fd, const char *data, size_t n, char *buf, size_t size) {
        ssize_t k;

        assert_int_equal(send(fd, data, n, MSG_NOSIGNAL), (ssize_t) n);
        k = recv(fd, buf, size - 1, 0);
        if (k >= 0)
                buf[k] = 0;
        return k;
}

static void test_malformed_call_keeps_connection(void **state) {
        Fixture *f = *state;
        char buf[512];

        assert_true(raw_exchange(f->client_fd, "{\"parameters\":{}}", 18, buf, sizeof buf) > 0);
        assert_non_null(strstr(buf, VARLINK_ERROR_INVALID_PARAMETER));
        assert_true(raw_exchange(f->client_fd, "{\"method\":5}", 13, buf, sizeof buf) > 0);
        assert_non_null(strstr(buf, VARLINK_ERROR_INVALID_PARAMETER));
        assert_true(raw_exchange(f->client_fd, "{\"method\":\"io.openmono.Test.Fail\",\"more\":\"x\"}", 46,
                                 buf, sizeof buf) > 0);
        assert_non_null(strstr(buf, VARLINK_ERROR_INVALID_PARAMETER));
}

static void test_garbage_closes_connection(void **state) {
        Fixture *f = *state;
        char buf[64];

        assert_int_equal(raw_exchange(f->client_fd, "\x01\xff{not json", 12, buf, sizeof buf), 0);
        assert_int_equal(varlink_server_n_connections(f->server), 0);
}

static void test_array_instead_of_object_closes(void **state) {
        Fixture *f = *state;
        char buf[64];

        assert_int_equal(raw_exchange(f->client_fd, "[1,2,3]", 8, buf, sizeof buf), 0);
}

static void test_endless_message_closes(void **state) {
        Fixture *f = *state;
        size_t n = 2 * 1024 * 1024;
        _cleanup_free_ char *junk = malloc(n);
        char buf[16];
        ssize_t k;

        memset(junk, 'a', n);
        /* The server stops reading at its limit and hangs up; the write may see EPIPE. */
        k = send(f->client_fd, junk, n, MSG_NOSIGNAL);
        assert_true(k > 0 || errno == EPIPE || errno == ECONNRESET);
        assert_true(recv(f->client_fd, buf, sizeof buf, 0) <= 0);
}

/* Sends as much of buf as the socket takes within timeout_ms of no progress; returns the bytes sent. */
static size_t send_until_stuck(int fd, const char *buf, size_t n, int timeout_ms) {
        size_t done = 0;

        while (done < n) {
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                ssize_t k = send(fd, buf + done, n - done, MSG_DONTWAIT|MSG_NOSIGNAL);

                if (k > 0) {
                        done += (size_t) k;
                        continue;
                }
                assert_true(k < 0 && errno == EAGAIN);
                if (poll(&p, 1, timeout_ms) == 0)
                        break;
        }
        return done;
}

/* Waits until the server has answered nothing more for a while, and returns the count. */
static unsigned wait_served_settled(void) {
        unsigned before;

        do {
                before = __atomic_load_n(&n_served, __ATOMIC_SEQ_CST);
                usleep(200 * 1000);
        } while (__atomic_load_n(&n_served, __ATOMIC_SEQ_CST) != before);
        return before;
}

/* Reads replies until n NULs (one per reply) have arrived; returns how many did. */
static size_t read_replies(int fd, size_t n) {
        char buf[64 * 1024];
        size_t seen = 0;

        while (seen < n) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t k;

                if (poll(&p, 1, 5000) <= 0)
                        break;
                k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (k <= 0)
                        break;
                for (ssize_t i = 0; i < k; i++)
                        seen += buf[i] == 0;
        }
        return seen;
}

/* A client that pipelines thousands of calls and never reads the replies: the server stops
 * reading from it, so what it buffers stays below the mark, and it serves every call once the
 * client reads. */
static void test_unread_replies_stop_reading(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *call = NULL, *stream = NULL;
        size_t n_calls = 20000, len, sent;
        unsigned served;

        assert_true(asprintf(&call, "{\"method\":\"io.openmono.Test.Echo\",\"parameters\":{\"value\":\"%01000d\"}}", 0) > 0);
        len = strlen(call) + 1;
        stream = malloc(len * n_calls);
        for (size_t i = 0; i < n_calls; i++)
                memcpy(stream + i * len, call, len);
        __atomic_store_n(&n_served, 0, __ATOMIC_SEQ_CST);

        sent = send_until_stuck(f->client_fd, stream, len * n_calls, 500) / len;
        served = wait_served_settled();
        print_message("# sent %zu calls (%zu bytes), served %u, server has %zu bytes unread\n",
                      sent, sent * len, served, varlink_get_output_pending(f->server_link));
        assert_true(sent < n_calls);            /* the client got stuck: the server stopped reading */
        assert_true(served < sent);
        assert_true(varlink_get_output_pending(f->server_link) <= VARLINK_OUTPUT_HIGH + len + 64);
        assert_int_equal(varlink_server_n_connections(f->server), 1);

        /* Reading resumes the server: every complete call gets its reply. */
        assert_int_equal(read_replies(f->client_fd, sent), sent);
        assert_int_equal(__atomic_load_n(&n_served, __ATOMIC_SEQ_CST), sent);
}

/* A stream of replies the client does not read is cut off at the hard cap. */
static void test_unread_stream_closes(void **state) {
        Fixture *f = *state;
        const char call[] = "{\"method\":\"io.openmono.Test.Flood\",\"more\":true,\"parameters\":{\"n\":4000}}";
        char buf[64];

        assert_int_equal(send(f->client_fd, call, sizeof call, MSG_NOSIGNAL), (ssize_t) sizeof call);
        for (int i = 0; i < 50 && varlink_server_n_connections(f->server) > 0; i++)
                usleep(100 * 1000);
        assert_int_equal(varlink_server_n_connections(f->server), 0);
        /* What was written before the cap can still be read, then the connection ends. */
        while (recv(f->client_fd, buf, sizeof buf, 0) > 0)
                ;
}

static void test_check_bindings(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *name = NULL;

        assert_int_equal(varlink_server_check_bindings(f->server, &name), 0);
        assert_int_equal(varlink_server_add_interface(f->server, "io.openmono.Extra",
                                                      "interface io.openmono.Extra\nmethod Lonely() -> ()\n"), 0);
        assert_int_equal(varlink_server_check_bindings(f->server, &name), -EBADR);
        assert_string_equal(name, "io.openmono.Extra.Lonely");
        assert_int_equal(varlink_server_bind_method(f->server, "io.openmono.Nope.X", method_fail), -EINVAL);
        /* A table stops at its first bad entry: here a method bound already. */
        assert_int_equal(varlink_server_bind_methods(f->server, (const VarlinkMethodBinding[]) {
                                { "io.openmono.Test.Echo", method_echo },
                         }, 1), -EEXIST);
}

static void test_disconnected_client(void **state) {
        Varlink *l;

        /* A connect to a path that does not exist fails cleanly. */
        assert_int_equal(varlink_connect_address("/nonexistent/socket", &l), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_call_reply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unknown_methods, setup, teardown),
                cmocka_unit_test_setup_teardown(test_errno_becomes_system_error, setup, teardown),
                cmocka_unit_test_setup_teardown(test_more, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fd_passing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_service_interface, setup, teardown),
                cmocka_unit_test_setup_teardown(test_malformed_call_keeps_connection, setup, teardown),
                cmocka_unit_test_setup_teardown(test_garbage_closes_connection, setup, teardown),
                cmocka_unit_test_setup_teardown(test_array_instead_of_object_closes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_endless_message_closes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_check_bindings, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unread_replies_stop_reading, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unread_stream_closes, setup, teardown),
                cmocka_unit_test(test_disconnected_client),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
