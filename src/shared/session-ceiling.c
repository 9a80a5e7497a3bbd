/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ceiling rules: whether a layer of session settings stays within what the layers before it
 * allow, and the message that says which ceiling it exceeds when it does not. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cidr.h"
#include "egress-name.h"
#include "parse-util.h"
#include "session-ceiling.h"
#include "strv.h"

static const char *const limit_parameter[_SESSION_LIMIT_MAX] = {
        [SESSION_LIMIT_MEMORY_MAX] = "memory_max",
        [SESSION_LIMIT_TASKS_MAX] = "tasks_max",
        [SESSION_LIMIT_CPU_QUOTA] = "cpu_quota_percent",
        [SESSION_LIMIT_RUNTIME_MAX] = "runtime_max_usec",
};

static const char *const limit_key[_SESSION_LIMIT_MAX] = {
        [SESSION_LIMIT_MEMORY_MAX] = "MemoryMax",
        [SESSION_LIMIT_TASKS_MAX] = "TasksMax",
        [SESSION_LIMIT_CPU_QUOTA] = "CPUQuota",
        [SESSION_LIMIT_RUNTIME_MAX] = "RuntimeMaxSec",
};

static const char *const limit_ceiling_key[_SESSION_LIMIT_MAX] = {
        [SESSION_LIMIT_MEMORY_MAX] = "MemoryMaxCeiling",
        [SESSION_LIMIT_TASKS_MAX] = "TasksMaxCeiling",
        [SESSION_LIMIT_CPU_QUOTA] = "CPUQuotaCeiling",
        [SESSION_LIMIT_RUNTIME_MAX] = "RuntimeMaxSecCeiling",
};

const char *session_limit_to_ceiling_key(SessionLimit l) {
        return l >= 0 && l < _SESSION_LIMIT_MAX ? limit_ceiling_key[l] : NULL;
}

const char *session_limit_to_parameter(SessionLimit l) {
        return l >= 0 && l < _SESSION_LIMIT_MAX ? limit_parameter[l] : NULL;
}

const char *session_limit_to_key(SessionLimit l) {
        return l >= 0 && l < _SESSION_LIMIT_MAX ? limit_key[l] : NULL;
}

uint64_t session_settings_get_limit(const SessionSettings *s, SessionLimit l) {
        switch (l) {
        case SESSION_LIMIT_MEMORY_MAX:
                return s->memory_max;
        case SESSION_LIMIT_TASKS_MAX:
                return s->tasks_max;
        case SESSION_LIMIT_CPU_QUOTA:
                return s->cpu_quota_percent > 0 ? s->cpu_quota_percent : UINT64_MAX;
        case SESSION_LIMIT_RUNTIME_MAX:
                return s->runtime_max_usec;
        default:
                return UINT64_MAX;
        }
}

/* The largest binary unit that divides v evenly, as parse_size() reads it back. */
static void format_size(uint64_t v, char *buf, size_t n) {
        static const char suffixes[] = "KMGTPE";
        int i = -1;

        while (v > 0 && v % 1024 == 0 && i + 1 < (int) sizeof(suffixes) - 1) {
                v /= 1024;
                i++;
        }
        if (i < 0)
                snprintf(buf, n, "%" PRIu64, v);
        else
                snprintf(buf, n, "%" PRIu64 "%c", v, suffixes[i]);
}

char *session_limit_format(SessionLimit l, uint64_t v, char *buf, size_t n) {
        if (v == UINT64_MAX)
                snprintf(buf, n, "infinity");
        else if (l == SESSION_LIMIT_MEMORY_MAX)
                format_size(v, buf, n);
        else if (l == SESSION_LIMIT_CPU_QUOTA)
                snprintf(buf, n, "%" PRIu64 "%%", v);
        else if (l == SESSION_LIMIT_RUNTIME_MAX)
                format_timespan(buf, n, v);
        else
                snprintf(buf, n, "%" PRIu64, v);
        return buf;
}

/* How open a network policy is. */
static int network_rank(NetworkPolicy n) {
        /* proxy reaches names within the site's AllowDomain= only, which intranet and allowlist
         * sessions get on top of their addresses. */
        static const int rank[_NETWORK_POLICY_MAX] = {
                [NETWORK_POLICY_NONE] = 0,
                [NETWORK_POLICY_PROXY] = 1,
                [NETWORK_POLICY_ALLOWLIST] = 2,
                [NETWORK_POLICY_INTRANET] = 3,
                [NETWORK_POLICY_INTERNET] = 4,
        };
        return n >= 0 && n < _NETWORK_POLICY_MAX ? rank[n] : 0;
}

/* "memory_max 64T" for a request, "MemoryMax=64T of project 'app'" for a project. */
static int describe_value(SessionLimit l, uint64_t v, const char *layer_name, char **ret) {
        char value[FORMAT_TIMESPAN_MAX];

        session_limit_format(l, v, value, sizeof(value));
        if (!layer_name)
                return asprintf(ret, "%s %s", limit_parameter[l], value) < 0 ? -ENOMEM : 0;
        return asprintf(ret, "%s=%s of %s", limit_key[l], value, layer_name) < 0 ? -ENOMEM : 0;
}

static int check_limits(const SessionCeiling *c, const SessionSettings *layer, const char *layer_name,
                        char **ret_message) {
        for (SessionLimit l = 0; l < _SESSION_LIMIT_MAX; l++) {
                _cleanup_free_ char *what = NULL;
                uint64_t v = session_settings_get_limit(layer, l);
                char ceiling[FORMAT_TIMESPAN_MAX];

                if (v == UINT64_MAX || c->limit[l] == UINT64_MAX || v <= c->limit[l])
                        continue;
                if (describe_value(l, v, layer_name, &what) < 0)
                        return -ENOMEM;
                session_limit_format(l, c->limit[l], ceiling, sizeof(ceiling));
                if (asprintf(ret_message, "%s exceeds the ceiling %s=%s set in %s.", what,
                             c->limit_key[l] ?: limit_key[l], ceiling, strna(c->limit_origin[l])) < 0)
                        return -ENOMEM;
                return -EPERM;
        }
        return 0;
}

static int check_network(const SessionCeiling *c, NetworkPolicy n, const char *layer_name, char **ret_message) {
        const char *most = network_policy_to_string(c->network);

        if (n < 0 || network_rank(n) <= network_rank(c->network))
                return 0;
        if (n == NETWORK_POLICY_INTERNET)
                return asprintf(ret_message, "Only administrators may give a session unrestricted internet access; "
                                "%s allows at most network '%s'.", strna(c->network_origin), most) < 0 ? -ENOMEM : -EPERM;
        return asprintf(ret_message, "%s '%s' exceeds the ceiling: %s allows at most network '%s'.",
                        layer_name ? "Network=" : "network", network_policy_to_string(n),
                        strna(c->network_origin), most) < 0 ? -ENOMEM : -EPERM;
}

/* The default AllowCeiling= repeats the intranet ranges: list each once in messages. */
static int extend_unique(char ***l, char *const *add) {
        STRV_FOREACH(a, add)
                if (!strv_contains(*l, *a) && strv_extend(l, *a) < 0)
                        return -ENOMEM;
        return 0;
}

/* What allow lists may hold below c: the intranet ranges under intranet, the list in effect, and
 * what the site lets users add. Returns their number and a new array, or -ENOMEM. */
static int allowed_ranges(const SessionCeiling *c, Cidr **ret, char ***ret_strings) {
        _cleanup_strv_free_ char **l = NULL;
        int r = 0;

        if (c->network == NETWORK_POLICY_INTRANET)
                r = extend_unique(&l, session_policy_intranet_cidrs());
        if (r >= 0)
                r = extend_unique(&l, c->allow);
        if (r >= 0)
                r = extend_unique(&l, c->allow_ceiling);
        if (r < 0)
                return -ENOMEM;
        /* The strings come from validated config and checked layers; a bad one allows nothing. */
        r = cidr_list_parse(l, ret, NULL);
        if (r == -EINVAL)
                r = 0, *ret = NULL;
        if (r >= 0)
                *ret_strings = steal_ptr(l);
        return r;
}

static int check_allow(const SessionCeiling *c, char *const *allow, const char *layer_name, char **ret_message) {
        _cleanup_strv_free_ char **strings = NULL;
        _cleanup_free_ Cidr *ceiling = NULL;
        _cleanup_free_ char *list = NULL;
        int n;

        if (!allow || c->network == NETWORK_POLICY_INTERNET)
                return 0;
        if (c->network == NETWORK_POLICY_NONE || c->network == NETWORK_POLICY_PROXY)
                return asprintf(ret_message, "%s%s exceeds the ceiling set in %s: network '%s' allows no addresses.",
                                layer_name ? "Allow= of " : "allow", layer_name ?: "",
                                strna(c->network_origin), network_policy_to_string(c->network)) < 0 ? -ENOMEM : -EPERM;
        n = allowed_ranges(c, &ceiling, &strings);
        if (n < 0)
                return n;
        STRV_FOREACH(a, allow) {
                Cidr x;
                int r;

                if (cidr_from_string(*a, &x) < 0)
                        return asprintf(ret_message, "'%s' is not a CIDR.", *a) < 0 ? -ENOMEM : -EPERM;
                r = cidr_covered_by(&x, ceiling, (size_t) n);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                list = strv_join(strings, " ");
                if (!list)
                        return -ENOMEM;
                return asprintf(ret_message, "%s%s %s exceeds the ceiling set in %s%s: allow lists may hold only %s.",
                                layer_name ? "Allow= of " : "allow", layer_name ?: "", *a,
                                strna(c->network_origin), c->allow_ceiling ? " (AllowCeiling=)" : "",
                                isempty(list) ? "nothing" : list) < 0 ? -ENOMEM : -EPERM;
        }
        return 0;
}

int session_ceiling_check(const SessionCeiling *c, const SessionSettings *layer, const char *layer_name,
                          char **ret_message) {
        int r;

        r = check_network(c, layer->network, layer_name, ret_message);
        if (r == 0)
                r = check_allow(c, layer->allow, layer_name, ret_message);
        if (r == 0)
                r = check_limits(c, layer, layer_name, ret_message);
        return r;
}

int session_ceiling_check_domains(const SessionCeiling *c, const SessionSettings *layer, const char *layer_name,
                                  char **ret_message) {
        _cleanup_free_ char *list = NULL;
        const char *bad;

        if (strv_length(layer->allow_domains) > EGRESS_PATTERNS_MAX)
                return asprintf(ret_message, "%s%s has %zu patterns, more than the %u a list may have.",
                                layer_name ? "AllowDomain= of " : "allow_domains", layer_name ?: "",
                                strv_length(layer->allow_domains), EGRESS_PATTERNS_MAX) < 0 ? -ENOMEM : -EPERM;
        bad = egress_pattern_list_outside(layer->allow_domains, c->allow_domains);
        if (!bad)
                return 0;
        list = strv_join(c->allow_domains, " ");
        if (!list)
                return -ENOMEM;
        return asprintf(ret_message, "%s%s%s%s exceeds the ceiling set in %s: %s%s.",
                        layer_name ? "AllowDomain=" : "allow_domains ", bad, layer_name ? " of " : "",
                        layer_name ?: "", strna(c->domains_origin),
                        isempty(list) ? "it allows no names" : "names must be within ", list) < 0 ? -ENOMEM : -EPERM;
}

int session_settings_check_forbidden(const SessionSettings *layer, const char *layer_name, char **ret_message) {
        STRV_FOREACH(a, layer->allow) {
                char buf[CIDR_STRING_MAX];
                const char *why;
                const Cidr *f;
                Cidr x;

                if (cidr_from_string(*a, &x) < 0)
                        return asprintf(ret_message, "'%s' is not a CIDR.", *a) < 0 ? -ENOMEM : -EPERM;
                f = cidr_forbidden_overlap(&x, &why);
                if (!f)
                        continue;
                if (x.prefixlen == 0)
                        return asprintf(ret_message, "%s%s %s is every address; only an administrator's network "
                                        "'internet' grants that.", layer_name ? "Allow= of " : "allow",
                                        layer_name ?: "", *a) < 0 ? -ENOMEM : -EPERM;
                return asprintf(ret_message,
                                "%s%s %s includes %s (%s), which no allow list may hold; only "
                                "an administrator's network 'internet' reaches them.",
                                layer_name ? "Allow= of " : "allow", layer_name ?: "", *a, why,
                                cidr_to_string(f, buf)) < 0 ? -ENOMEM : -EPERM;
        }
        return 0;
}

void session_ceiling_narrow(SessionCeiling *c, const SessionSettings *layer, const char *origin) {
        if (layer->network >= 0 || layer->allow) {
                if (layer->network >= 0)
                        c->network = layer->network;
                if (layer->allow)
                        c->allow = layer->allow;
                /* The project decided what its sessions reach: users add nothing to it. */
                c->allow_ceiling = NULL;
                c->network_origin = origin;
        }
        if (layer->allow_domains) {
                c->allow_domains = layer->allow_domains;
                c->domains_origin = origin;
        }
        for (SessionLimit l = 0; l < _SESSION_LIMIT_MAX; l++)
                if (session_settings_get_limit(layer, l) != UINT64_MAX) {
                        c->limit[l] = session_settings_get_limit(layer, l);
                        c->limit_key[l] = limit_key[l];
                        c->limit_origin[l] = origin;
                }
}

/* The value a policy has for l, UINT64_MAX if none. */
static uint64_t policy_limit(const SessionPolicy *p, SessionLimit l) {
        switch (l) {
        case SESSION_LIMIT_MEMORY_MAX:
                return p->memory_max;
        case SESSION_LIMIT_TASKS_MAX:
                return p->tasks_max;
        case SESSION_LIMIT_CPU_QUOTA:
                return p->cpu_quota_percent > 0 ? p->cpu_quota_percent : UINT64_MAX;
        case SESSION_LIMIT_RUNTIME_MAX:
                return p->runtime_max_usec;
        default:
                return UINT64_MAX;
        }
}

void session_ceiling_init_site(SessionCeiling *c, const SessionSettings *site, const SessionPolicy *p,
                               unsigned n_cpus, const char *origin) {
        *c = (SessionCeiling) {
                .network = p->network,
                .allow = p->allowed_cidrs,
                .allow_ceiling = site->allow ?: session_policy_intranet_cidrs(),
                .network_origin = origin,
                .allow_domains = p->allowed_domains,
                .domains_origin = origin,
        };
        for (SessionLimit l = 0; l < _SESSION_LIMIT_MAX; l++) {
                uint64_t v = session_settings_get_limit(site, l);

                if (v == UINT64_MAX)
                        v = policy_limit(p, l);
                /* No quota means the whole host: asking for more than it has is asking for more. */
                if (v == UINT64_MAX && l == SESSION_LIMIT_CPU_QUOTA)
                        v = (uint64_t) MAX(n_cpus, 1U) * 100;
                c->limit[l] = v;
                c->limit_key[l] = limit_ceiling_key[l];
                c->limit_origin[l] = origin;
        }
}
