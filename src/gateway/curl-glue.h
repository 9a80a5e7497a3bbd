/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libcurl's multi interface driven by sd-event: curl tells us which sockets and which timeout
 * to watch, sd-event tells curl when they fire, and finished transfers are handed back to the
 * callback they were added with. */

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct CurlGlue CurlGlue;

/* Called once per transfer, after it was taken out of the multi handle: the easy handle is the
 * caller's again (to free, or to add once more for a retry). */
typedef void (*CurlDoneFunc)(CURL *easy, CURLcode result, void *userdata);

int curl_glue_new(sd_event *event, CurlGlue **ret);
/* Aborts the transfers still running, without calling their callbacks. */
CurlGlue *curl_glue_free(CurlGlue *g);
DEFINE_PTR_CLEANUP(CurlGlue *, curl_glue_free);

/* Starts a transfer. The easy handle's CURLOPT_PRIVATE belongs to the glue from now until the
 * callback. Returns 0, -ENOMEM or -EIO. */
int curl_glue_add(CurlGlue *g, CURL *easy, CurlDoneFunc done, void *userdata);
/* Aborts a transfer added before; its callback is not called. Harmless for one that is not. */
void curl_glue_remove(CurlGlue *g, CURL *easy);
/* Lets a transfer paused by its write callback (CURL_WRITEFUNC_PAUSE) go on. Outside curl's
 * callbacks only. */
int curl_glue_unpause(CurlGlue *g, CURL *easy);

DEFINE_FOREIGN_CLEANUP(CURL *, curl_easy_cleanup);
DEFINE_FOREIGN_CLEANUP(struct curl_slist *, curl_slist_free_all);
