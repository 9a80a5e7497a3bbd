/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The upstream model servers as seen from the sessions' networks. A session reaches the model
 * only through the gateway, which accounts, limits and attributes every request; an upstream on
 * an intranet address would otherwise sit inside the very ranges an intranet session may reach.
 * Names are resolved when the configuration is loaded, like the gateway does, so a changed
 * address takes a reload of both. */

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conf-parser.h"
#include "log.h"
#include "macro.h"
#include "session-netns.h"
#include "upstream-addresses.h"
#include "strv.h"

/* Only URL= matters here; the gateway itself validates gateway.conf and reports its errors. */
static const ConfigItem upstream_items[] = {
        { "Upstream", "URL", config_parse_strv, 0 },
        {}
};

static void freeaddrinfop(struct addrinfo **a) {
        if (*a)
                freeaddrinfo(*a);
}

/* Appends every address host resolves to as a host prefix. Returns the number added. */
static int resolve_host(const char *host, char ***l) {
        _cleanup_(freeaddrinfop) struct addrinfo *res = NULL;
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
        int n = 0;

        if (getaddrinfo(host, NULL, &hints, &res) != 0)
                return 0;
        for (struct addrinfo *a = res; a; a = a->ai_next) {
                char buf[INET6_ADDRSTRLEN + 5], s[INET6_ADDRSTRLEN];
                const void *addr = a->ai_family == AF_INET ?
                        (const void *) &((struct sockaddr_in *) a->ai_addr)->sin_addr :
                        (const void *) &((struct sockaddr_in6 *) a->ai_addr)->sin6_addr;

                if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
                    !inet_ntop(a->ai_family, addr, s, sizeof(s)))
                        continue;
                snprintf(buf, sizeof(buf), "%s/%u", s, a->ai_family == AF_INET ? 32U : 128U);
                if (strv_contains(*l, buf))
                        continue;
                if (strv_extend(l, buf) < 0)
                        return -ENOMEM;
                n++;
        }
        return n;
}

int upstream_addresses_load(const char *root, char ***ret, char ***ret_unresolved) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics diag = {};
        _cleanup_strv_free_ char **urls = NULL, **cidrs = NULL, **unresolved = NULL;
        int r;

        r = config_parse_standard("gateway.conf", CONFIG_DIRS_STANDARD, root, upstream_items, &urls, &diag);
        if (r < 0 && r != -ENOENT)
                log_debug_errno(r, "Failed to read the upstreams of gateway.conf, ignoring: %m");
        STRV_FOREACH(u, urls) {
                _cleanup_free_ char *host = NULL;

                if (session_netns_url_host(*u, &host) < 0)
                        continue;
                r = resolve_host(host, &cidrs);
                if (r < 0)
                        return r;
                if (r == 0 && strv_extend(&unresolved, host) < 0)
                        return -ENOMEM;
        }
        *ret = steal_ptr(cidrs);
        *ret_unresolved = steal_ptr(unresolved);
        return 0;
}
