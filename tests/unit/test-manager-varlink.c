/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The controller's Varlink surface: the IDL it serves and the handlers it binds must match, and
 * the methods that need no systemd answer correctly over a real connection. */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "manager.h"

static void test_idl_matches_handlers(void **state) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_free_ char *name = NULL;

        assert_int_equal(manager_new(&m), 0);
        assert_int_equal(varlink_server_check_bindings(m->varlink, &name), 0);
        assert_null(name);
}

static volatile bool stop_loop;

static void *run_loop(void *p) {
        Manager *m = p;

        while (!stop_loop)
                (void) sd_event_run(m->event, 20000);
        return NULL;
}

static void test_ping_and_bad_parameters(void **state) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(varlink_unrefp) Varlink *client = NULL;
        _cleanup_(json_object_putp) json_object *junk = json_object_new_object();
        json_object *reply;
        const char *error;
        pthread_t thread;
        int sp[2];

        assert_int_equal(manager_new(&m), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, sp), 0);
        assert_int_equal(varlink_server_add_connection(m->varlink, sp[0], NULL), 0);
        assert_int_equal(varlink_connect_fd(sp[1], &client), 0);
        varlink_set_timeout(client, 5000000);

        /* The controller answers from its own loop, run by a thread so the test can make plain
         * blocking calls. */
        stop_loop = false;
        assert_int_equal(pthread_create(&thread, NULL, run_loop, m), 0);
        assert_int_equal(varlink_call(client, "io.openmono.Manager.Ping", NULL, &reply, &error), 0);
        assert_null(error);
        json_add_int64(junk, "unexpected", 1);
        assert_int_equal(varlink_call(client, "io.openmono.Manager.Ping", junk, &reply, &error), 0);
        assert_string_equal(error, VARLINK_ERROR_INVALID_PARAMETER);
        assert_int_equal(varlink_call(client, "io.openmono.Manager.GetStatus", junk, &reply, &error), 0);
        assert_string_equal(error, VARLINK_ERROR_INVALID_PARAMETER);
        stop_loop = true;
        pthread_join(thread, NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_idl_matches_handlers),
                cmocka_unit_test(test_ping_and_bad_parameters),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
