/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loads openmono.conf. All or nothing: a file with an error leaves the running config as it was. */

#include <stddef.h>

#include "log.h"
#include "manager-config.h"
#include "upstream-addresses.h"
#include "strv.h"

void manager_config_init(ManagerConfig *c) {
        *c = (ManagerConfig) {
                .idle_timeout_usec = MANAGER_IDLE_TIMEOUT_DEFAULT_USEC,
                .log_level = -1,
                .sessions_per_user_max = MANAGER_SESSIONS_PER_USER_DEFAULT,
                .sessions = SESSION_SETTINGS_UNSET,
                .ceiling = SESSION_SETTINGS_UNSET,
                .user_slice = {
                        .memory_max = UINT64_MAX,
                        .tasks_max = MANAGER_USER_TASKS_MAX_DEFAULT,
                },
                .cron = true,
        };
        session_netns_pools_init(&c->network);
}

void manager_config_done(ManagerConfig *c) {
        session_settings_done(&c->sessions);
        session_settings_done(&c->ceiling);
        c->upstream_cidrs = strv_free(c->upstream_cidrs);
        c->upstream_unresolved = strv_free(c->upstream_unresolved);
        c->mail_domain = mfree(c->mail_domain);
}

static int config_parse_log_level(const char *filename, unsigned line, const char *section,
                                  const char *key, const char *value, void *data, char **ret_error) {
        int level = log_level_from_string(value);

        if (level < 0)
                return config_error_invalid(ret_error, -EINVAL, "log level", value);
        *(int *) data = level;
        return 0;
}

static int config_parse_session_cap(const char *filename, unsigned line, const char *section,
                                    const char *key, const char *value, void *data, char **ret_error) {
        int r = config_parse_unsigned(filename, line, section, key, value, data, ret_error);

        if (r >= 0 && *(unsigned *) data == 0)
                return config_error_invalid(ret_error, -ERANGE, "session count (at least 1)", value);
        return r;
}

static const ConfigItem manager_config_items[] = {
        { "Controller", "IdleTimeoutSec",     config_parse_timespan,    offsetof(ManagerConfig, idle_timeout_usec) },
        { "Controller", "LogLevel",           config_parse_log_level,   offsetof(ManagerConfig, log_level) },
        { "Sessions",   "MaxSessionsPerUser", config_parse_session_cap, offsetof(ManagerConfig, sessions_per_user_max) },
        { "Sessions",   "MailDomain",         config_parse_string,      offsetof(ManagerConfig, mail_domain) },
        { "Features",   "Cron",               config_parse_bool,        offsetof(ManagerConfig, cron) },
        SESSION_SETTINGS_CONFIG_ITEMS("Sessions", offsetof(ManagerConfig, sessions)),
        SESSION_NETNS_CONFIG_ITEMS(offsetof(ManagerConfig, network)),
#define CEILING(field) (offsetof(ManagerConfig, ceiling) + offsetof(SessionSettings, field))
        { "Sessions",   "AllowCeiling",         config_parse_cidrs,    CEILING(allow) },
        { "Sessions",   "MemoryMaxCeiling",     config_parse_size,     CEILING(memory_max) },
        { "Sessions",   "TasksMaxCeiling",      config_parse_uint64,   CEILING(tasks_max) },
        { "Sessions",   "CPUQuotaCeiling",      config_parse_percent,  CEILING(cpu_quota_percent) },
        { "Sessions",   "RuntimeMaxSecCeiling", config_parse_timespan, CEILING(runtime_max_usec) },
#undef CEILING
#define USER_SLICE(field) (offsetof(ManagerConfig, user_slice) + offsetof(UserSliceLimits, field))
        { "UserSlice",  "MemoryMax",            config_parse_size,     USER_SLICE(memory_max) },
        { "UserSlice",  "TasksMax",             config_parse_uint64,   USER_SLICE(tasks_max) },
        { "UserSlice",  "CPUQuota",             config_parse_percent,  USER_SLICE(cpu_quota_percent) },
#undef USER_SLICE
        {}
};

int manager_config_load(const char *root, ManagerConfig *ret, ConfigDiagnostics *diag) {
        ManagerConfig c;
        int r;

        manager_config_init(&c);
        r = config_parse_standard("openmono.conf", CONFIG_DIRS_STANDARD, root, manager_config_items, &c, diag);
        if (r < 0) {
                manager_config_done(&c);
                return r;
        }
        /* "infinity" would overflow the timer arithmetic; it means what 0 means. */
        if (c.idle_timeout_usec == UINT64_MAX)
                c.idle_timeout_usec = 0;
        r = upstream_addresses_load(root, &c.upstream_cidrs, &c.upstream_unresolved);
        if (r < 0) {
                manager_config_done(&c);
                return r;
        }
        manager_config_done(ret);
        *ret = c;
        return 0;
}
