/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Layered sandbox settings: parse them from config files and apply them to a session policy. */

#include <stdlib.h>

#include "egress-name.h"
#include "json-util.h"
#include "session-settings.h"
#include "strv.h"

void session_settings_done(SessionSettings *s) {
        s->allow = strv_free(s->allow);
        s->allow_domains = strv_free(s->allow_domains);
}

/* Replaces *dst with a copy of src, which may be empty but not NULL. */
static int replace_strv(char ***dst, char *const *src) {
        char **copy = strv_copy(src);

        if (!copy)
                return -ENOMEM;
        strv_free(*dst);
        *dst = copy;
        return 0;
}

int session_settings_merge(SessionSettings *dst, const SessionSettings *src) {
        if (src->network >= 0)
                dst->network = src->network;
        if (src->allow && replace_strv(&dst->allow, src->allow) < 0)
                return -ENOMEM;
        if (src->allow_domains && replace_strv(&dst->allow_domains, src->allow_domains) < 0)
                return -ENOMEM;
        if (src->memory_max != UINT64_MAX)
                dst->memory_max = src->memory_max;
        if (src->tasks_max != UINT64_MAX)
                dst->tasks_max = src->tasks_max;
        if (src->runtime_max_usec != UINT64_MAX)
                dst->runtime_max_usec = src->runtime_max_usec;
        if (src->cpu_quota_percent > 0)
                dst->cpu_quota_percent = src->cpu_quota_percent;
        return 0;
}

int session_settings_apply(const SessionSettings *s, SessionPolicy *p) {
        if (s->network >= 0)
                p->network = s->network;
        if (s->allow && replace_strv(&p->allowed_cidrs, s->allow) < 0)
                return -ENOMEM;
        if (s->allow_domains && replace_strv(&p->allowed_domains, s->allow_domains) < 0)
                return -ENOMEM;
        if (s->memory_max != UINT64_MAX)
                p->memory_max = s->memory_max;
        if (s->tasks_max != UINT64_MAX)
                p->tasks_max = s->tasks_max;
        if (s->runtime_max_usec != UINT64_MAX)
                p->runtime_max_usec = s->runtime_max_usec;
        if (s->cpu_quota_percent > 0)
                p->cpu_quota_percent = s->cpu_quota_percent;
        return 0;
}

int session_settings_validate(const SessionSettings *s, const char **ret_bad) {
        STRV_FOREACH(c, s->allow)
                if (!cidr_is_valid(*c)) {
                        *ret_bad = *c;
                        return -EINVAL;
                }
        return 0;
}

/* Limits are positive: 0 would not mean "no limit" to systemd but "nothing at all", and must not
 * silently mean "the default" either. */
static int get_u64(json_object *o, const char *key, uint64_t *field, const char **ret_bad) {
        uint64_t v;
        int r = json_get_uint64(o, key, &v);

        if (r >= 0 && v > 0)
                *field = v;
        if ((r < 0 && r != -ENOENT) || (r >= 0 && v == 0)) {
                *ret_bad = key;
                return -EINVAL;
        }
        return 0;
}

/* Normalises every pattern of l in place. Returns 0 or -EINVAL / -ENOMEM. */
static int normalize_domains(char **l) {
        for (char **d = l; d && *d; d++) {
                char *n;
                int r = egress_pattern_normalize(*d, &n);

                if (r < 0)
                        return r;
                free_and_replace(*d, n);
        }
        return 0;
}

/* "allow_domains": present and empty is a list of no names, unlike absent. */
static int get_domains(json_object *o, SessionSettings *s) {
        char **l = NULL;
        int r;

        r = json_get_strv(o, "allow_domains", &l);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return -EINVAL;
        strv_free(s->allow_domains);
        s->allow_domains = l;
        return normalize_domains(l);
}

int session_settings_from_json(json_object *o, SessionSettings *s, const char **ret_bad) {
        const char *network = NULL, *bad;
        char **allow = NULL;
        int64_t quota;
        int r;

        *ret_bad = "network";
        r = json_get_string(o, "network", &network);
        if (r == -EINVAL || (network && (s->network = network_policy_from_string(network)) < 0))
                return -EINVAL;
        *ret_bad = "allow";
        r = json_get_strv(o, "allow", &allow);
        if (r >= 0) {
                strv_free(s->allow);
                s->allow = allow;
                if (session_settings_validate(s, &bad) < 0)
                        return -EINVAL;
        } else if (r != -ENOENT)
                return -EINVAL;
        *ret_bad = "allow_domains";
        if (get_domains(o, s) < 0)
                return -EINVAL;
        if (get_u64(o, "memory_max", &s->memory_max, ret_bad) < 0 ||
            get_u64(o, "tasks_max", &s->tasks_max, ret_bad) < 0 ||
            get_u64(o, "runtime_max_usec", &s->runtime_max_usec, ret_bad) < 0)
                return -EINVAL;
        *ret_bad = "cpu_quota_percent";
        r = json_get_int64(o, "cpu_quota_percent", &quota);
        if (r == -ENOENT)
                return 0;
        if (r < 0 || quota < 1 || quota > 100 * 1024)
                return -EINVAL;
        s->cpu_quota_percent = (unsigned) quota;
        return 0;
}

DEFINE_CONFIG_PARSE_ENUM(config_parse_network_policy, network_policy_from_string, NetworkPolicy,
                         "network policy");

/* Like config_parse_strv(), but every word must be a CIDR, so a typo fails at load time with
 * file and line instead of when a session starts. */
int config_parse_cidrs(const char *filename, unsigned line, const char *section, const char *key,
                       const char *value, void *data, char **ret_error) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        r = config_parse_strv(filename, line, section, key, value, &words, ret_error);
        if (r < 0)
                return r;
        STRV_FOREACH(c, words)
                if (!cidr_is_valid(*c))
                        return config_error_invalid(ret_error, -EINVAL, "CIDR", *c);
        if (!words) {
                *(char ***) data = strv_free(*(char ***) data);
                return 0;
        }
        return strv_extend_strv((char ***) data, words) < 0 ? -ENOMEM : 0;
}

int config_parse_domain_patterns(const char *filename, unsigned line, const char *section, const char *key,
                                 const char *value, void *data, char **ret_error) {
        char ***l = data;
        char *p;
        int r;

        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }
        r = egress_pattern_normalize(value, &p);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return config_error_invalid(ret_error, r, "domain pattern (NAME or *.SUFFIX)", value);
        return strv_consume(l, p);
}
