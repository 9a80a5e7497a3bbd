/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl status: what the controller reports about itself and about the caller. */

#include <inttypes.h>
#include <stdio.h>

#include "ctl.h"
#include "log.h"

/* Whether sessions can start at all, and what the administrator should look at. */
static void print_config_state(json_object *s) {
        json_object *warnings = NULL;
        const char *error = NULL;
        size_t n;

        (void) json_get_string(s, "config_error", &error);
        (void) json_get_array(s, "config_warnings", &warnings);
        n = warnings ? json_object_array_length(warnings) : 0;
        if (error)
                printf("     Config: BROKEN, no new sessions start until it is fixed:\n             %s\n", error);
        else
                printf("     Config: loaded%s\n", n > 0 ? " with warnings:" : "");
        for (size_t i = 0; i < n; i++)
                printf("             %s\n", json_object_get_string(json_object_array_get_idx(warnings, i)));
        if (error || n > 0)
                printf("             (\"openmonoctl config check\" checks every file)\n");
}

static void print_status(json_object *s) {
        json_object *caller = NULL;
        const char *version = "?", *user = NULL;
        int64_t pid = 0, sessions = -1, connections = 0, uid = -1;
        uint64_t uptime = 0, idle = 0;
        bool admin = false, has_sessions;
        char b1[64], b2[64];

        (void) json_get_string(s, "version", &version);
        (void) json_get_int64(s, "pid", &pid);
        (void) json_get_uint64(s, "uptime_usec", &uptime);
        (void) json_get_uint64(s, "idle_timeout_usec", &idle);
        (void) json_get_int64(s, "connections", &connections);
        has_sessions = json_get_int64(s, "sessions", &sessions) >= 0;
        (void) json_get_object(s, "caller", &caller);
        (void) json_get_int64(caller, "uid", &uid);
        (void) json_get_string(caller, "user", &user);
        (void) json_get_bool(caller, "admin", &admin);

        printf(" Controller: openmonod %s (PID %" PRIi64 ")\n", version, pid);
        printf("     Uptime: %s\n", ctl_format_duration(b1, sizeof b1, uptime));
        if (has_sessions)
                printf("   Sessions: %" PRIi64 " running\n", sessions);
        else
                printf("   Sessions: unknown (systemd did not answer)\n");
        printf("Connections: %" PRIi64 "\n", connections);
        if (idle > 0)
                printf("  Idle exit: after %s without clients\n", ctl_format_duration(b2, sizeof b2, idle));
        else
                printf("  Idle exit: never\n");
        printf("     Caller: %s (uid %" PRIi64 ")%s\n", user ?: "?", uid, admin ? ", administrator" : "");
        print_config_state(s);
}

int verb_status(int argc, char *argv[]) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        json_object *reply;
        int r;

        if (argc > 1)
                return log_error_errno(EINVAL, "'status' takes no arguments.");
        r = ctl_connect(&link);
        if (r < 0)
                return r;
        r = ctl_call(link, "io.openmono.Manager.GetStatus", NULL, &reply);
        if (r < 0)
                return r;
        if (arg_json)
                ctl_print_json(reply);
        else
                print_status(reply);
        return 0;
}
