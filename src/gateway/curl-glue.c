/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The curl multi handle in the event loop. CURLMOPT_SOCKETFUNCTION gives us one event source
 * per socket curl wants watched, CURLMOPT_TIMERFUNCTION one timer; both call
 * curl_multi_socket_action() and then collect finished transfers. A transfer's callback runs
 * from the loop, never from inside curl, so it may add or remove transfers freely. */

#include <sys/epoll.h>

#include "curl-glue.h"

/* What the glue keeps per transfer, in CURLOPT_PRIVATE, and on a list: curl 7.88 cannot
 * enumerate a multi handle's transfers for us. */
typedef struct Transfer {
        CURL *easy;
        CurlDoneFunc done;
        void *userdata;
        struct Transfer *prev, *next;
} Transfer;

struct CurlGlue {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        Transfer *transfers;
};

/* Takes easy out of the multi handle and forgets it; returns its Transfer, to be freed. */
static Transfer *transfer_detach(CurlGlue *g, CURL *easy) {
        Transfer *t = NULL;

        (void) curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &t);
        (void) curl_multi_remove_handle(g->multi, easy);
        (void) curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        if (!t)
                return NULL;
        if (t->prev)
                t->prev->next = t->next;
        else
                g->transfers = t->next;
        if (t->next)
                t->next->prev = t->prev;
        return t;
}

static void collect_done(CurlGlue *g) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(g->multi, &left))) {
                CURL *easy = msg->easy_handle;
                CURLcode result = msg->data.result;
                Transfer *t;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                t = transfer_detach(g, easy);
                if (t) {
                        Transfer copy = *t;
                        free(t);
                        copy.done(easy, result, copy.userdata);
                }
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        CurlGlue *g = userdata;
        int action = 0, running;

        if (revents & (EPOLLIN|EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;
        (void) curl_multi_socket_action(g->multi, fd, action, &running);
        collect_done(g);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        CurlGlue *g = userdata;
        int running;

        (void) curl_multi_socket_action(g->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        collect_done(g);
        return 0;
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userdata, void *socketp) {
        CurlGlue *g = userdata;
        sd_event_source *s = socketp;
        uint32_t events = 0;

        if (what == CURL_POLL_REMOVE) {
                if (s) {
                        (void) curl_multi_assign(g->multi, fd, NULL);
                        sd_event_source_disable_unref(s);
                }
                return 0;
        }
        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;
        if (s)
                return sd_event_source_set_io_events(s, events) < 0 ? -1 : 0;
        if (sd_event_add_io(g->event, &s, fd, events, on_io, g) < 0)
                return -1;
        (void) sd_event_source_set_description(s, "curl-socket");
        (void) curl_multi_assign(g->multi, fd, s);
        return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userdata) {
        CurlGlue *g = userdata;
        uint64_t when;

        if (timeout_ms < 0)
                return sd_event_source_set_enabled(g->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
        /* 0 means "now": a time in the past fires on the next loop iteration. */
        when = timeout_ms == 0 ? 1 : now(CLOCK_MONOTONIC) + (uint64_t) timeout_ms * 1000;
        if (sd_event_source_set_time(g->timer, when) < 0 ||
            sd_event_source_set_enabled(g->timer, SD_EVENT_ONESHOT) < 0)
                return -1;
        return 0;
}

int curl_glue_new(sd_event *event, CurlGlue **ret) {
        _cleanup_(curl_glue_freep) CurlGlue *g = NULL;
        int r;

        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->event = sd_event_ref(event);
        /* Accuracy 1 µs: curl's timeouts are mostly "act now", and sd-event would otherwise
         * coalesce them into a wake-up up to the accuracy later, adding that to every request. */
        r = sd_event_add_time(event, &g->timer, CLOCK_MONOTONIC, UINT64_MAX, 1, on_timer, g);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(g->timer, "curl-timer");
        g->multi = curl_multi_init();
        if (!g->multi)
                return -ENOMEM;
        if (curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_SOCKETDATA, g) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERDATA, g) != CURLM_OK)
                return -EIO;
        *ret = steal_ptr(g);
        return 0;
}

CurlGlue *curl_glue_free(CurlGlue *g) {
        if (!g)
                return NULL;
        while (g->transfers)
                free(transfer_detach(g, g->transfers->easy));
        if (g->multi)
                curl_multi_cleanup(g->multi);
        sd_event_source_disable_unref(g->timer);
        sd_event_unref(g->event);
        return mfree(g);
}

int curl_glue_add(CurlGlue *g, CURL *easy, CurlDoneFunc done, void *userdata) {
        Transfer *t = malloc(sizeof(*t));

        if (!t)
                return -ENOMEM;
        *t = (Transfer) { .easy = easy, .done = done, .userdata = userdata, .next = g->transfers };
        (void) curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
        if (curl_multi_add_handle(g->multi, easy) != CURLM_OK) {
                (void) curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
                free(t);
                return -EIO;
        }
        if (g->transfers)
                g->transfers->prev = t;
        g->transfers = t;
        return 0;
}

void curl_glue_remove(CurlGlue *g, CURL *easy) {
        if (easy)
                free(transfer_detach(g, easy));
}

int curl_glue_unpause(CurlGlue *g, CURL *easy) {
        /* curl delivers what it held back from inside this call and arms its timer for the
         * rest; collect_done() then runs from the timer as usual. */
        return curl_easy_pause(easy, CURLPAUSE_CONT) == CURLE_OK ? 0 : -EIO;
}
