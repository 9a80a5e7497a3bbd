/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Connecting to the controller and turning its answers into messages and exit codes. */

#include <inttypes.h>
#include <stdio.h>

#include "ctl.h"
#include "egress-name.h"
#include "log.h"
#include "parse-util.h"
#include "session-policy.h"

#define DEFAULT_SOCKET RUNDIR "/io.openmono.Manager"

bool arg_json = false;
bool arg_legend = true;

int ctl_connect(Varlink **ret) {
        const char *path = getenv("OPENMONO_SOCKET") ?: DEFAULT_SOCKET;
        int r;

        r = varlink_connect_address(path, ret);
        if (r >= 0)
                return 0;

        switch (-r) {
        case ENOENT:
                log_error("The OpenMono controller is not reachable: %s does not exist.\n"
                          "Is OpenMono installed and its socket enabled? Try: systemctl enable --now openmonod.socket",
                          path);
                break;
        case ECONNREFUSED:
                log_error("The OpenMono controller is not reachable: nothing listens on %s.\n"
                          "Try: systemctl restart openmonod.socket", path);
                break;
        case EACCES:
                log_error("Not allowed to connect to the OpenMono controller at %s.", path);
                break;
        default:
                log_error_errno(r, "Failed to connect to the OpenMono controller at %s: %m", path);
        }
        return -EHOSTDOWN;
}

int ctl_call(Varlink *link, const char *method, json_object *parameters, json_object **ret_reply) {
        json_object *reply = NULL;
        const char *error_id = NULL;
        int r;

        r = varlink_call(link, method, parameters, &reply, &error_id);
        if (r == -ETIMEDOUT)
                return log_error_errno(r, "The controller did not answer %s in time.", method);
        if (r < 0)
                return log_error_errno(r, "Lost the connection to the controller during %s: %m", method);
        if (error_id)
                return ctl_handle_error(method, error_id, reply, parameters);
        if (ret_reply)
                *ret_reply = reply;
        return 0;
}

int ctl_exit_code(int r) {
        if (r >= CTL_EXIT_BASE)
                return r - CTL_EXIT_BASE;
        if (r >= 0)
                return EXIT_SUCCESS;
        switch (-r) {
        case EINVAL:
                return EXIT_USAGE;
        case EHOSTDOWN:
                return EXIT_UNREACHABLE;
        case EACCES:
        case EPERM:
                return EXIT_DENIED;
        default:
                return EXIT_FAILURE;
        }
}

void ctl_print_json(json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *ctl_format_duration(char *buf, size_t n, uint64_t usec) {
        uint64_t s = usec / 1000000U;

        if (s < 60)
                snprintf(buf, n, "%" PRIu64 ".%" PRIu64 "s", s, (usec % 1000000U) / 100000U);
        else if (s < 3600)
                snprintf(buf, n, "%" PRIu64 "min %" PRIu64 "s", s / 60, s % 60);
        else if (s < 86400)
                snprintf(buf, n, "%" PRIu64 "h %" PRIu64 "min", s / 3600, (s % 3600) / 60);
        else
                snprintf(buf, n, "%" PRIu64 "d %" PRIu64 "h", s / 86400, (s % 86400) / 3600);
        return buf;
}

/* Reports a malformed option value the same way for every option; it is a usage error whatever
 * the parser said (exit status 2). */
int ctl_bad_value(int r, const char *option, const char *value) {
        log_error("Invalid value for --%s: '%s'%s", option, value, r == -ERANGE ? " (out of range)." : ".");
        return -EINVAL;         /* a usage error, whatever the parser said */
}

/* CPU quota as systemd writes it ("150%"), or a bare number of percent. */
int ctl_parse_cpu_quota(const char *s, int64_t *ret) {
        unsigned v;
        uint64_t u;
        int r;

        r = strchr(s, '%') ? parse_percent(s, &v) : parse_uint64(s, &u);
        if (r < 0)
                return r;
        if (!strchr(s, '%')) {
                if (u > UINT32_MAX)
                        return -ERANGE;
                v = (unsigned) u;
        }
        /* As the controller accepts it: up to 1024 CPUs. */
        if (v == 0 || v > 100 * 1024)
                return -ERANGE;
        *ret = v;
        return 0;
}

int ctl_check_project_name(const char *name) {
        if (project_name_is_valid(name))
                return 0;
        return log_error_errno(EINVAL, "Invalid project name '%s': a name is 1 to 28 letters, digits, '_' or '-', "
                               "starting with a letter or digit.", name);
}

int ctl_check_network(const char *policy) {
        if (network_policy_from_string(policy) >= 0)
                return 0;
        return log_error_errno(EINVAL, "Invalid value for --network: '%s' (use none, proxy, intranet, allowlist or internet).",
                               policy);
}

int ctl_check_allow(const char *cidr) {
        if (cidr_is_valid(cidr))
                return 0;
        return log_error_errno(EINVAL, "Invalid value for --allow: '%s' is not an address or ADDRESS/PREFIXLEN "
                               "without host bits (e.g. 10.1.0.0/16).", cidr);
}

int ctl_check_allow_domain(const char *pattern) {
        _cleanup_free_ char *n = NULL;
        int r;

        r = egress_pattern_normalize(pattern, &n);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(EINVAL, "Invalid value for --allow-domain: '%s' is not a host name or "
                                       "*.SUFFIX (e.g. pypi.org, *.example.com).", pattern);
        return 0;
}

int ctl_check_allowlist(const char *policy, bool have_allow) {
        if (!streq_ptr(policy, "allowlist") || have_allow)
                return 0;
        return log_error_errno(EINVAL, "--network=allowlist needs at least one --allow=CIDR.");
}

int ctl_parse_limit(const char *option, const char *value, int (*parse)(const char *s, uint64_t *ret),
                    uint64_t *ret) {
        uint64_t v;
        int r;

        r = parse(value, &v);
        /* A limit of 0 would keep the session from ever running; the controller refuses it too. */
        if (r >= 0 && v == 0)
                r = -ERANGE;
        if (r < 0)
                return ctl_bad_value(r, option, value);
        *ret = v;
        return 0;
}
