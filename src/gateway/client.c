/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A connection's admission and its request deadline.
 *
 * MHD's connection timeout counts idleness, so a client that sends one byte of its headers a
 * second keeps a connection forever, and enough such clients fill the gateway (slowloris). The
 * deadline counts from the connection's start, or from the end of the previous answer on a
 * kept-alive connection, to the moment the whole request is in: RequestReadTimeoutSec=. A
 * client that has not sent its request by then has its connection closed. */

#include "client.h"
#include "http-server.h"
#include "log.h"
#include "manager.h"

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        Client *c = userdata;

        log_debug("%s (PID %i) did not send a complete request in time (RequestReadTimeoutSec=), closing.",
                  c->identity->user_name, (int) c->identity->pid);
        http_close_connection(c->manager->http, c->fd);
        return 0;
}

static int arm_deadline(Client *c) {
        uint64_t usec = c->manager->config->request_read_timeout_usec;
        int r;

        if (!c->deadline)
                return sd_event_add_time_relative(c->manager->event, &c->deadline, CLOCK_MONOTONIC, usec,
                                                  100 * 1000, on_deadline, c);
        r = sd_event_source_set_time_relative(c->deadline, usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(c->deadline, SD_EVENT_ONESHOT);
}

int client_new(Manager *m, int fd, PeerIdentity *id, Client **ret) {
        _cleanup_(client_freep) Client *c = NULL;
        ConnectionSlot slot = {};
        int r;

        r = connection_table_admit(m->connections, id->uid, id->session, &slot);
        if (r != CONNECTION_ADMITTED)
                return r;
        c = calloc(1, sizeof(*c));
        if (!c) {
                connection_table_release(m->connections, &slot);
                return -ENOMEM;
        }
        c->manager = m;
        c->fd = fd;
        c->slot = slot;
        r = arm_deadline(c);
        if (r < 0)
                return r;
        c->identity = id;
        *ret = steal_ptr(c);
        return 0;
}

Client *client_free(Client *c) {
        if (!c)
                return NULL;
        connection_table_release(c->manager->connections, &c->slot);
        sd_event_source_disable_unref(c->deadline);
        peer_identity_free(c->identity);
        return mfree(c);
}

void client_request_read(Client *c) {
        (void) sd_event_source_set_enabled(c->deadline, SD_EVENT_OFF);
}

void client_request_done(Client *c) {
        int r = arm_deadline(c);

        if (r < 0) {
                log_debug_errno(r, "Cannot arm a connection's request deadline, closing it: %m");
                http_close_connection(c->manager->http, c->fd);
        }
}
