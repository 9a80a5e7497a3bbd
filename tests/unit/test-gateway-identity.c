/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who is calling: session and owner from a cgroup path and from /proc/PID/cgroup, strict
 * enough that a cgroup a user made themselves cannot pass for a session; and a real peer
 * identified over a socket pair. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "peer-identity.h"

static void test_session_paths(void **state) {
        _cleanup_free_ char *id = NULL;
        uid_t uid = 0;

        assert_int_equal(cgroup_path_parse_session("/openmono.slice/openmono-u1000.slice/openmono-session-abc123.service",
                                                   &uid, &id), 1);
        assert_int_equal(uid, 1000);
        assert_string_equal(id, "abc123");
        id = mfree(id);
        assert_int_equal(cgroup_path_parse_session("/openmono.slice/openmono-u0.slice/openmono-session-a_b-c.service",
                                                   &uid, &id), 1);
        assert_int_equal(uid, 0);
        assert_string_equal(id, "a_b-c");
}

static void test_not_sessions(void **state) {
        static const char *const paths[] = {
                "/",
                "/system.slice/sshd.service",
                "/user.slice/user-1000.slice/session-3.scope",
                /* A user's own delegated subtree can hold cgroups of any name. */
                "/user.slice/user-1000.slice/user@1000.service/openmono.slice/openmono-u0.slice/openmono-session-x.service",
                "/openmono.slice/openmono-u1000.slice/openmono-session-x.service/sub",
                "/openmono.slice/openmono-u1000.slice/openmono-session-.service",
                "/openmono.slice/openmono-u1000.slice/openmono-session-x.scope",
                "/openmono.slice/openmono-u1000.slice/openmono-session-x",
                "/openmono.slice/openmono-u1000.slice",
                "/openmono.slice/openmono-u.slice/openmono-session-x.service",
                "/openmono.slice/openmono-u01.slice/openmono-session-x.service",
                "/openmono.slice/openmono-u-1.slice/openmono-session-x.service",
                "/openmono.slice/openmono-u4294967295.slice/openmono-session-x.service",
                "/openmono.slice/openmono-u99999999999999999999.slice/openmono-session-x.service",
                "/openmono.slice/openmono-u1000.slice/openmono-session-a/b.service",
                "/openmono.slice/openmono-u1000.slice/openmono-session-a.b.service",
                "/openmono.slice/openmono-u1000.slice/openmono-session--x.service",
                "openmono.slice/openmono-u1000.slice/openmono-session-x.service",
                "//openmono.slice/openmono-u1000.slice/openmono-session-x.service",
        };
        _cleanup_free_ char *id = NULL;
        uid_t uid = 42;

        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                if (cgroup_path_parse_session(paths[i], &uid, &id) != 0)
                        fail_msg("%s was taken for a session", paths[i]);
                assert_null(id);
                assert_int_equal(uid, 42);
        }
}

static void test_cgroup_file(void **state) {
        static const char unified[] = "0::/openmono.slice/openmono-u1001.slice/openmono-session-s1.service\n";
        static const char hybrid[] =
                "12:memory:/system.slice\n"
                "1:name=systemd:/openmono.slice/openmono-u1002.slice/openmono-session-s2.service\n"
                "0::/system.slice/foo.service\n";
        static const char outside[] = "0::/user.slice/user-1000.slice/session-1.scope\n";
        _cleanup_free_ char *id = NULL;
        uid_t uid;

        assert_int_equal(cgroup_file_parse_session(unified, strlen(unified), &uid, &id), 1);
        assert_int_equal(uid, 1001);
        assert_string_equal(id, "s1");
        id = mfree(id);
        assert_int_equal(cgroup_file_parse_session(hybrid, strlen(hybrid), &uid, &id), 1);
        assert_int_equal(uid, 1002);
        assert_string_equal(id, "s2");
        id = mfree(id);
        assert_int_equal(cgroup_file_parse_session(outside, strlen(outside), &uid, &id), 0);
        assert_int_equal(cgroup_file_parse_session("", 0, &uid, &id), -EBADMSG);
        assert_int_equal(cgroup_file_parse_session("garbage", 7, &uid, &id), -EBADMSG);
        /* Without its newline, and cut short: only the bytes given count. */
        assert_int_equal(cgroup_file_parse_session(unified, strlen(unified) - 1, &uid, &id), 1);
        id = mfree(id);
        assert_int_equal(cgroup_file_parse_session(unified, strlen(unified) - 10, &uid, &id), 0);
}

/* The test runs outside any session, so it is itself: its own uid and PID, no session. */
static void test_peer_over_socketpair(void **state) {
        _cleanup_(peer_identity_freep) PeerIdentity *p = NULL;
        _cleanup_close_ int a = -EBADF, b = -EBADF;
        int fds[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        a = fds[0];
        b = fds[1];
        assert_int_equal(peer_identity_from_socket(a, &p), 0);
        assert_int_equal(p->uid, geteuid());
        assert_int_equal(p->peer_uid, geteuid());
        assert_int_equal(p->pid, getpid());
        assert_non_null(p->user_name);
        /* Whatever cgroup runs the tests, it is not an OpenMono session. */
        assert_null(p->session);
}

static void test_to_string(void **state) {
        PeerIdentity p = { .user_name = (char *) "alice" };
        _cleanup_free_ char *a = NULL, *b = NULL;

        assert_int_equal(peer_identity_to_string(&p, &a), 0);
        assert_string_equal(a, "alice");
        p.session = (char *) "s1";
        assert_int_equal(peer_identity_to_string(&p, &b), 0);
        assert_string_equal(b, "alice/s1");
}

/* A process that connects again is looked at once a second, not once per connection. */
static void test_cache_hit_and_age(void **state) {
        _cleanup_(peer_identity_freep) PeerIdentity *a = NULL, *b = NULL, *c = NULL;
        _cleanup_(peer_cache_freep) PeerCache *cache = NULL;
        _cleanup_close_ int x = -EBADF, y = -EBADF;
        int fds[2];

        assert_int_equal(peer_cache_new(&cache), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        x = fds[0];
        y = fds[1];
        assert_int_equal(peer_identity_from_socket_cached(cache, x, 1000, &a), 0);
        assert_int_equal(peer_identity_from_socket_cached(cache, x, 2000, &b), 1);
        assert_int_equal(b->pid, a->pid);
        assert_int_equal(b->uid, a->uid);
        assert_string_equal(b->user_name, a->user_name);
        assert_ptr_not_equal(b->user_name, a->user_name);       /* a copy each */
        assert_int_equal(peer_identity_from_socket_cached(cache, x, 1000 + PEER_CACHE_MAX_AGE_USEC, &c), 0);
}

/* A cached identity dies with its process: a PID that has exited is never taken from the
 * cache, so whoever gets the PID next is looked at afresh. */
static void test_cache_forgets_exited(void **state) {
        _cleanup_(peer_identity_freep) PeerIdentity *a = NULL, *b = NULL, *c = NULL;
        _cleanup_(peer_cache_freep) PeerCache *cache = NULL;
        _cleanup_close_ int l = -EBADF, conn = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 +
                        (socklen_t) snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "om-test-%i", (int) getpid());
        int go[2];
        pid_t child;

        assert_int_equal(peer_cache_new(&cache), 0);
        l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(l >= 0);
        assert_int_equal(bind(l, (struct sockaddr *) &sa, len), 0);
        assert_int_equal(listen(l, 1), 0);
        assert_int_equal(pipe(go), 0);
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                char ch;

                close(go[1]);
                if (s < 0 || connect(s, (struct sockaddr *) &sa, len) < 0)
                        _exit(1);
                (void) read(go[0], &ch, 1);     /* until the parent lets go */
                _exit(0);
        }
        close(go[0]);
        conn = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        assert_true(conn >= 0);
        assert_int_equal(peer_identity_from_socket_cached(cache, conn, 1000, &a), 0);
        assert_int_equal(a->pid, child);
        assert_int_equal(peer_identity_from_socket_cached(cache, conn, 1001, &b), 1);
        close(go[1]);
        assert_int_equal(waitpid(child, NULL, 0), child);
        /* Within the age limit, and still not from the cache: the process is gone. */
        assert_int_equal(peer_identity_from_socket_cached(cache, conn, 1002, &c), -ESRCH);
        assert_null(c);
}

static void test_not_a_socket(void **state) {
        PeerIdentity *p = NULL;
        int fds[2];

        assert_int_equal(pipe(fds), 0);
        assert_int_equal(peer_identity_from_socket(fds[0], &p), -ENOTSOCK);
        assert_null(p);
        safe_close(fds[0]);
        safe_close(fds[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_session_paths),
                cmocka_unit_test(test_not_sessions),
                cmocka_unit_test(test_cgroup_file),
                cmocka_unit_test(test_peer_over_socketpair),
                cmocka_unit_test(test_to_string),
                cmocka_unit_test(test_cache_hit_and_age),
                cmocka_unit_test(test_cache_forgets_exited),
                cmocka_unit_test(test_not_a_socket),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
