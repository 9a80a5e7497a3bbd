/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to a Varlink server connection, as a hostile local user could, and runs
 * the server until it has answered or hung up. Checks nothing but the absence of crashes, leaks
 * and hangs. */

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "varlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int method_echo(Varlink *l, json_object *p, VarlinkMethodFlags flags, void *userdata) {
        if (flags & VARLINK_METHOD_MORE)
                (void) varlink_notify(l, p);
        return varlink_reply(l, p);
}

static int method_fail(Varlink *l, json_object *p, VarlinkMethodFlags flags, void *userdata) {
        return -EIO;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(varlink_server_freep) VarlinkServer *s = NULL;
        _cleanup_close_ int peer = -EBADF;
        sd_event *e = NULL;
        char sink[65536];
        int sp[2];

        if (size > 256 * 1024)
                return 0;
        if (sd_event_new(&e) < 0 || socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, sp) < 0)
                abort();
        peer = sp[1];
        if (varlink_server_new(e, &s) < 0 ||
            varlink_server_add_interface(s, "io.openmono.Fuzz",
                                         "interface io.openmono.Fuzz\nmethod Echo() -> ()\nmethod Fail() -> ()\n") < 0 ||
            varlink_server_bind_method(s, "io.openmono.Fuzz.Echo", method_echo) < 0 ||
            varlink_server_bind_method(s, "io.openmono.Fuzz.Fail", method_fail) < 0 ||
            varlink_server_add_connection(s, sp[0], NULL) < 0)
                abort();

        for (size_t off = 0; off < size;) {
                ssize_t k = send(peer, data + off, size - off, MSG_DONTWAIT|MSG_NOSIGNAL);
                if (k <= 0)
                        break;
                off += (size_t) k;
                while (sd_event_run(e, 0) > 0)
                        while (recv(peer, sink, sizeof sink, MSG_DONTWAIT) > 0)
                                ;
        }
        (void) shutdown(peer, SHUT_WR);
        for (unsigned i = 0; i < 1000 && varlink_server_n_connections(s) > 0; i++) {
                if (sd_event_run(e, 0) < 0)
                        break;
                while (recv(peer, sink, sizeof sink, MSG_DONTWAIT) > 0)
                        ;
        }
        s = varlink_server_free(s);
        sd_event_unref(e);
        return 0;
}
