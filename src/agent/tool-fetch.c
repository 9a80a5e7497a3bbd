/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* web_fetch: an HTTP(S) GET with libcurl, bounded in size and time, with HTML turned into
 * text. What the session may reach is the session's network policy's business, not ours; we
 * only keep curl to http and https, so a model cannot read file:// or talk to other protocols. */

#include <strings.h>

#include <curl/curl.h>

#include "html-text.h"
#include "interrupt.h"
#include "output-cap.h"
#include "tool.h"

DEFINE_FOREIGN_CLEANUP(CURL *, curl_easy_cleanup);

typedef struct Download {
        char *buf;
        size_t n, max;
        bool truncated;
} Download;

static size_t on_data(char *p, size_t size, size_t nmemb, void *userdata) {
        Download *d = userdata;
        size_t n = size * nmemb, k = MIN(n, d->max - d->n);
        char *b;

        if (k < n)
                d->truncated = true;
        if (k == 0)
                return 0;       /* ends the transfer; what we have is kept */
        b = realloc(d->buf, d->n + k + 1);
        if (!b)
                return 0;
        memcpy(b + d->n, p, k);
        d->n += k;
        b[d->n] = 0;
        d->buf = b;
        return k < n ? 0 : n;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
        return interrupt_requested();
}

static int fetch(ToolContext *ctx, const char *url, Download *d, long *ret_status, char **ret_type, ToolResult *ret) {
        _cleanup_(curl_easy_cleanupp) CURL *h = curl_easy_init();
        const char *type = NULL;
        CURLcode code;

        if (!h)
                return -ENOMEM;
        if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long) (ctx->fetch_timeout_usec / 1000)) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_USERAGENT, "openmono-agent/" PROJECT_VERSION) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_WRITEDATA, d) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK)
                return tool_result_errorf(ret, "cannot set up the request for %s", url), 0;

        code = curl_easy_perform(h);
        if (code == CURLE_ABORTED_BY_CALLBACK) {
                ret->cancelled = true;
                return tool_result_errorf(ret, "cancelled"), 0;
        }
        if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && d->truncated))
                return tool_result_errorf(ret, "cannot fetch %s: %s", url, curl_easy_strerror(code)), 0;
        (void) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, ret_status);
        (void) curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
        *ret_type = strdup(type ?: "");
        return *ret_type ? 1 : -ENOMEM;
}

static int run_web_fetch(ToolContext *ctx, json_object *args, ToolResult *ret) {
        _cleanup_free_ char *type = NULL, *text = NULL, *capped = NULL;
        Download d = { .max = ctx->fetch_max_bytes };
        const char *url;
        long status = 0;
        int r;

        if (tool_arg_string(args, "url", &url) < 0 ||
            (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
                return tool_result_errorf(ret, "web_fetch needs an http:// or https:// 'url'");
        r = fetch(ctx, url, &d, &status, &type, ret);
        if (r <= 0) {
                free(d.buf);
                return r;
        }
        if (d.buf && strcasestr(type, "html"))
                r = html_to_text(d.buf, d.n, &text);
        else
                r = (text = strdup(d.buf ?: "")) ? 0 : -ENOMEM;
        free(d.buf);
        if (r == -ENOMEM || (r >= 0 && output_cap_string(text, ctx->output_cap, &capped) < 0))
                return -ENOMEM;
        if (r < 0)
                return tool_result_errorf(ret, "cannot read the HTML of %s", url);
        r = tool_result_printf(ret, "[HTTP %ld, %s%s]\n%s", status, isempty(type) ? "no content type" : type,
                               d.truncated ? ", cut off at the size limit" : "", capped);
        if (r >= 0 && status >= 400)
                ret->exit_status = 1;
        return r;
}

const ToolDefinition tool_web_fetch = {
        .name = "web_fetch",
        .description = "Fetch a web page or file over HTTP(S) and return it as text (HTML is converted to "
                       "readable text). What can be reached depends on the session's network policy.",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"url\":{\"type\":\"string\",\"description\":\"The http:// or https:// URL.\"}"
                      "},\"required\":[\"url\"]}",
        .run = run_web_fetch,
        .summary_arg = "url",
};
