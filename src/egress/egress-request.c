/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing the head of a proxy request and rewriting it for the upstream. */

#include <assert.h>
#include <stdio.h>
#include <strings.h>

#include "egress-request.h"
#include "parse-util.h"

void egress_request_done(EgressRequest *r) {
        assert(r);

        r->host = mfree(r->host);
        r->forward = mfree(r->forward);
        r->forward_len = 0;
}

/* RFC 9110 token characters, for methods and header names. */
static bool char_is_tchar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                strchr("!#$%&'*+-.^_`|~", c);
}

static bool span_is_token(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!s[i] || !char_is_tchar(s[i]))
                        return false;
        return n > 0;
}

/* The end of the head: the offset just past the first CRLFCRLF, or 0. */
static size_t head_end(const char *buf, size_t n) {
        for (size_t i = 0; i + 3 < n; i++)
                if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
                        return i + 4;
        return 0;
}

static int port_parse(const char *s, size_t n, uint16_t *ret) {
        unsigned v = 0;

        if (n == 0 || n > 5)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EBADMSG;
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        if (v == 0 || v > 65535)
                return -EBADMSG;
        *ret = (uint16_t) v;
        return 0;
}

int egress_authority_split(const char *s, size_t n, uint16_t default_port, char **ret_host,
                           uint16_t *ret_port) {
        const char *colon = NULL, *close;
        uint16_t port = default_port;
        size_t hn = n;
        char *h;

        close = n > 0 && s[0] == '[' ? memchr(s, ']', n) : NULL;
        if (n > 0 && s[0] == '[' && !close)
                return -EBADMSG;
        for (const char *p = close ? close : s; p < s + n; p++)
                if (*p == ':')
                        colon = p;
        if (!close && colon && memchr(s, ':', (size_t) (colon - s)))
                return -EBADMSG;        /* an unbracketed IPv6 address */
        if (close && (size_t) (close - s) + 1 != (colon ? (size_t) (colon - s) : n))
                return -EBADMSG;
        if (colon) {
                hn = (size_t) (colon - s);
                if (port_parse(colon + 1, n - hn - 1, &port) < 0)
                        return -EBADMSG;
        }
        if (hn == 0 || port == 0 || memchr(s, '@', hn))
                return -EBADMSG;
        h = strndup(s, hn);
        if (!h)
                return -ENOMEM;
        *ret_host = h;
        *ret_port = port;
        return 0;
}

/* Headers the proxy sets itself or that concern only the hop to the proxy. */
static bool header_is_dropped(const char *name, size_t n) {
        static const char *const dropped[] = {
                "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
                "Proxy-Authenticate", "TE", "Trailer", "Upgrade",
        };

        for (size_t i = 0; i < ELEMENTSOF(dropped); i++)
                if (strlen(dropped[i]) == n && strncasecmp(dropped[i], name, n) == 0)
                        return true;
        return false;
}

/* Checks one header line (without its CRLF) and copies it to f unless it is dropped. */
static int header_line(const char *line, size_t n, FILE *f) {
        const char *colon = memchr(line, ':', n);

        if (!colon || !span_is_token(line, (size_t) (colon - line)))
                return -EBADMSG;
        for (const char *p = colon + 1; p < line + n; p++)
                if ((unsigned char) *p < 0x20 ? *p != '\t' : *p == 0x7f)
                        return -EBADMSG;
        if (f && !header_is_dropped(line, (size_t) (colon - line)))
                fprintf(f, "%.*s\r\n", (int) n, line);
        return 0;
}

static int headers_parse(const char *p, const char *end, FILE *f) {
        while (p < end) {
                const char *eol = memchr(p, '\r', (size_t) (end - p));
                int r;

                if (!eol || eol + 1 >= end || eol[1] != '\n' || memchr(p, '\n', (size_t) (eol - p)))
                        return -EBADMSG;
                if (eol == p)
                        return 0;       /* the empty line that ends the head */
                r = header_line(p, (size_t) (eol - p), f);
                if (r < 0)
                        return r;
                p = eol + 2;
        }
        return -EBADMSG;
}

/* Splits an absolute-form target into authority and the origin-form rest. */
static int target_split(const char *t, size_t n, const char **ret_auth, size_t *ret_auth_len,
                        const char **ret_path, size_t *ret_path_len) {
        size_t a = 0;

        if (n < 7 || strncasecmp(t, "http://", 7) != 0)
                return n >= 8 && strncasecmp(t, "https://", 8) == 0 ? -EPROTONOSUPPORT : -EBADMSG;
        t += 7;
        n -= 7;
        while (a < n && !strchr("/?#", t[a]))
                a++;
        *ret_auth = t;
        *ret_auth_len = a;
        *ret_path = t + a;
        *ret_path_len = n - a;
        return 0;
}

static int forward_build(EgressRequest *r, const char *method, size_t mn, const char *path, size_t pn,
                         const char *auth, size_t an, const char *version, const char *headers,
                         const char *end) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        FILE *f;
        int k;

        f = open_memstream(&out, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "%.*s %s%.*s %s\r\nHost: %.*s\r\n", (int) mn, method, pn == 0 || path[0] != '/' ? "/" : "",
                (int) pn, path, version, (int) an, auth);
        k = headers_parse(headers, end, f);
        fputs("Connection: close\r\n\r\n", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        if (k < 0)
                return k;
        r->forward = steal_ptr(out);
        r->forward_len = len;
        return 0;
}

/* Splits "METHOD SP TARGET SP HTTP/1.x" (n bytes, no CRLF) into its three parts. */
static int request_line_split(const char *l, size_t n, size_t *ret_mn, const char **ret_target,
                              size_t *ret_tn, const char **ret_version) {
        const char *sp1 = memchr(l, ' ', n), *sp2, *v;
        size_t tn;

        if (!sp1 || !span_is_token(l, (size_t) (sp1 - l)))
                return -EBADMSG;
        sp2 = memchr(sp1 + 1, ' ', (size_t) (l + n - sp1 - 1));
        if (!sp2)
                return -EBADMSG;
        tn = (size_t) (sp2 - sp1 - 1);
        for (size_t i = 0; i < tn; i++)
                if ((unsigned char) sp1[1 + i] <= 0x20 || (unsigned char) sp1[1 + i] >= 0x7f)
                        return -EBADMSG;
        v = sp2 + 1;
        if ((size_t) (l + n - v) != 8 || (memcmp(v, "HTTP/1.1", 8) != 0 && memcmp(v, "HTTP/1.0", 8) != 0))
                return -EBADMSG;
        if (tn == 0)
                return -EBADMSG;
        *ret_mn = (size_t) (sp1 - l);
        *ret_target = sp1 + 1;
        *ret_tn = tn;
        *ret_version = v[7] == '1' ? "HTTP/1.1" : "HTTP/1.0";
        return 0;
}

int egress_request_parse(const char *buf, size_t n, EgressRequest *ret) {
        _cleanup_(egress_request_done) EgressRequest r = {};
        const char *eol, *target, *version, *auth, *path;
        size_t end, mn, tn, an, pn;
        int k;

        assert(buf || n == 0);
        assert(ret);

        end = head_end(buf, MIN(n, (size_t) EGRESS_REQUEST_HEAD_MAX));
        if (end == 0)
                return n >= EGRESS_REQUEST_HEAD_MAX ? -E2BIG : 0;
        eol = memchr(buf, '\r', end);
        k = request_line_split(buf, (size_t) (eol - buf), &mn, &target, &tn, &version);
        if (k < 0)
                return k;

        r.connect = mn == 7 && memcmp(buf, "CONNECT", 7) == 0;
        if (r.connect) {
                k = egress_authority_split(target, tn, 0, &r.host, &r.port);
                if (k >= 0)
                        k = headers_parse(eol + 2, buf + end, NULL);
        } else {
                k = target_split(target, tn, &auth, &an, &path, &pn);
                if (k >= 0)
                        k = egress_authority_split(auth, an, 80, &r.host, &r.port);
                if (k >= 0)
                        k = forward_build(&r, buf, mn, path, pn, auth, an, version, eol + 2, buf + end);
        }
        if (k < 0)
                return k;
        *ret = r;
        r = (EgressRequest) {};
        return (int) end;
}
