/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading the egress proxy's settings. */

#include <assert.h>
#include "egress-config.h"
#include "parse-util.h"
#include "session-settings.h"
#include "strv.h"

void egress_config_init(EgressConfig *c) {
        assert(c);

        *c = (EgressConfig) {
                .policy = { .ports = { 443, 80 }, .n_ports = 2 },
                .max_connections = 4096,
                .max_connections_per_session = 256,
                /* A quarter of all: a user may run MaxSessionsPerUser= sessions (16), and the
                 * per-session limit alone would let those hold every connection there is. */
                .max_connections_per_user = 1024,
                /* A lookup thread lives as long as the resolver takes, past ConnectTimeoutSec=
                 * when the resolver is slow on purpose, so these are far below the above. */
                .max_lookups = 256,
                .max_lookups_per_user = 32,
                .header_timeout_usec = 10 * 1000000ULL,
                .connect_timeout_usec = 10 * 1000000ULL,
                .idle_timeout_usec = 300 * 1000000ULL,
        };
}

void egress_config_done(EgressConfig *c) {
        assert(c);

        egress_policy_done(&c->policy);
}

static int config_parse_ports(const char *filename, unsigned line, const char *section,
                              const char *key, const char *value, void *data, char **ret_error) {
        EgressPolicy *p = data;
        unsigned port;

        if (isempty(value)) {
                p->n_ports = 0;
                return 0;
        }
        if (parse_unsigned(value, &port) < 0 || port == 0 || port > 65535)
                return config_error_invalid(ret_error, -EINVAL, "port", value);
        if (p->n_ports >= EGRESS_PORTS_MAX)
                return config_error_invalid(ret_error, -E2BIG, "port (too many)", value);
        p->ports[p->n_ports++] = (uint16_t) port;
        return 0;
}

static int config_parse_cidr_list(const char *filename, unsigned line, const char *section,
                                  const char *key, const char *value, void *data, char **ret_error) {
        CidrList *l = data;
        Cidr c;

        if (isempty(value)) {
                cidr_list_done(l);
                return 0;
        }
        if (cidr_from_string(value, &c) < 0)
                return config_error_invalid(ret_error, -EINVAL, "address prefix", value);
        return cidr_list_append(l, &c);
}

static int config_parse_nonzero(const char *filename, unsigned line, const char *section,
                                const char *key, const char *value, void *data, char **ret_error) {
        int r = config_parse_unsigned(filename, line, section, key, value, data, ret_error);

        if (r >= 0 && *(unsigned *) data == 0)
                return config_error_invalid(ret_error, -ERANGE, "count (at least 1)", value);
        return r;
}

#define POLICY(field) offsetof(EgressConfig, policy) + offsetof(EgressPolicy, field)

static const ConfigItem site_items[] = {
        { "Sessions", "AllowDomain", config_parse_domain_patterns, POLICY(allow_domains) },
        {}
};

static const ConfigItem egress_items[] = {
        { "Egress", "Ports",                     config_parse_ports,      offsetof(EgressConfig, policy) },
        { "Egress", "DenyAddress",               config_parse_cidr_list,  POLICY(reserved) },
        { "Egress", "AllowAddress",              config_parse_cidr_list,  POLICY(allow_private) },
        { "Egress", "MaxConnections",            config_parse_nonzero,    offsetof(EgressConfig, max_connections) },
        { "Egress", "MaxConnectionsPerSession",  config_parse_nonzero,    offsetof(EgressConfig, max_connections_per_session) },
        { "Egress", "MaxConnectionsPerUser",     config_parse_nonzero,    offsetof(EgressConfig, max_connections_per_user) },
        { "Egress", "MaxLookups",                config_parse_nonzero,    offsetof(EgressConfig, max_lookups) },
        { "Egress", "MaxLookupsPerUser",         config_parse_nonzero,    offsetof(EgressConfig, max_lookups_per_user) },
        { "Egress", "HeaderTimeoutSec",          config_parse_timespan,   offsetof(EgressConfig, header_timeout_usec) },
        { "Egress", "ConnectTimeoutSec",         config_parse_timespan,   offsetof(EgressConfig, connect_timeout_usec) },
        { "Egress", "IdleTimeoutSec",            config_parse_timespan,   offsetof(EgressConfig, idle_timeout_usec) },
        { "Egress", "AllowNonSession",           config_parse_bool,       offsetof(EgressConfig, allow_non_session) },
        {}
};

int egress_config_load(const char *root, const char *const *dirs, EgressConfig *ret,
                       ConfigDiagnostics *diag) {
        ConfigDiagnostics site_diag = {};
        EgressConfig c;
        int r;

        assert(ret);

        egress_config_init(&c);
        dirs = dirs ?: CONFIG_DIRS_STANDARD;
        /* openmono.conf belongs to the controller, which reports its other keys; only its
         * fatal errors matter here. */
        r = config_parse_standard("openmono.conf", dirs, root, site_items, &c, &site_diag);
        if (r < 0 && diag)
                free_and_replace(diag->error, site_diag.error);
        config_diagnostics_done(&site_diag);
        if (r >= 0)
                r = config_parse_standard("egress.conf", dirs, root, egress_items, &c, diag);
        if (r < 0) {
                egress_config_done(&c);
                return r;
        }
        /* "infinity" would overflow the timer arithmetic. */
        if (c.idle_timeout_usec == UINT64_MAX)
                c.idle_timeout_usec = 0;
        egress_config_done(ret);
        *ret = c;
        return 0;
}
