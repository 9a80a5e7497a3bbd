/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.openmono.Manager Varlink interface: its IDL and its method handlers. Handlers work in
 * the order parse, validate, authorize, act, reply. */

#include <sys/socket.h>

#include "cron.h"
#include "log.h"
#include "manager.h"
#include "openmono-errors.h"
#include "user-util.h"

static const char manager_interface[] =
        "# The OpenMono controller: runs sandboxed agent sessions for local users.\n"
        "interface io.openmono.Manager\n"
        "\n"
        "# The identity the controller took from the connection's peer credentials.\n"
        "type Caller (uid: int, user: ?string, admin: bool)\n"
        "\n"
        "# Answers at once; tells a client the controller is reachable.\n"
        "method Ping() -> ()\n"
        "\n"
        "# Describes the running controller. sessions is null when systemd cannot be asked.\n"
        "# config_error says why openmono.conf did not load; while it is set, no session starts.\n"
        "# config_warnings lists what the last load ignored (unknown keys, misnamed drop-ins).\n"
        "method GetStatus() -> (version: string, pid: int, uptime_usec: int, started_realtime_usec: int,"
        " connections: int, sessions: ?int, idle_timeout_usec: int, caller: Caller,"
        " config_error: ?string, config_warnings: []string)\n"
        "\n";

static const char manager_errors[] =
        "\n"
        "error PermissionDenied (message: string)\n"
        "error ExceedsCeiling (message: string)\n"
        "error SystemdUnavailable (message: string)\n"
        "error NoSuchSession (message: string)\n"
        "error TooManySessions (message: string)\n"
        "error BadWorkspace (message: string)\n"
        "error CommandNotFound (message: string)\n"
        "error StartFailed (message: string)\n"
        "error ConfigBroken (message: string)\n"
        "error NoSuchProject (message: string)\n"
        "error ProjectExists (message: string)\n"
        "error BadProject (message: string)\n"
        "error NoSuchSecret (message: string)\n"
        "error SecretDamaged (message: string)\n";

static int method_ping(Varlink *l, json_object *parameters, VarlinkMethodFlags flags, void *userdata) {
        if (json_object_object_length(parameters) > 0)
                return varlink_error_invalid_parameter(l, "parameters");
        return varlink_reply(l, NULL);
}

static int build_caller(Varlink *l, json_object **ret) {
        _cleanup_(json_object_putp) json_object *c = json_object_new_object();
        _cleanup_free_ char *name = NULL;
        struct ucred u;
        int r;

        if (!c)
                return -ENOMEM;
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        (void) uid_to_name(u.uid, &name);
        r = json_add_int64(c, "uid", u.uid);
        if (r >= 0)
                r = json_add_string(c, "user", name);
        if (r >= 0)
                r = json_add_bool(c, "admin", uid_is_admin(u.uid));
        if (r < 0)
                return r;
        *ret = steal_ptr(c);
        return 0;
}

static int method_get_status(Varlink *l, json_object *parameters, VarlinkMethodFlags flags, void *userdata) {
        Manager *m = userdata;
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        json_object *caller = NULL;
        uint64_t now = 0;
        int r, sessions;

        if (json_object_object_length(parameters) > 0)
                return varlink_error_invalid_parameter(l, "parameters");
        if (!reply)
                return -ENOMEM;

        sessions = manager_count_sessions(m);
        if (sessions < 0)
                log_warning_errno(sessions, "Failed to count sessions, reporting none: %m");
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);

        r = build_caller(l, &caller);
        if (r >= 0)
                r = json_add_take(reply, "caller", caller);
        if (r >= 0)
                r = json_add_string(reply, "version", PROJECT_VERSION);
        if (r >= 0)
                r = json_add_int64(reply, "pid", getpid());
        if (r >= 0)
                r = json_add_uint64(reply, "uptime_usec", now > m->start_monotonic ? now - m->start_monotonic : 0);
        if (r >= 0)
                r = json_add_uint64(reply, "started_realtime_usec", m->start_realtime);
        if (r >= 0)
                r = json_add_uint64(reply, "connections", varlink_server_n_connections(m->varlink));
        if (r >= 0)
                r = sessions >= 0 ? json_add_int64(reply, "sessions", sessions) : json_add_string(reply, "sessions", NULL);
        if (r >= 0)
                r = json_add_uint64(reply, "idle_timeout_usec", m->config.idle_timeout_usec);
        if (r >= 0)
                r = json_add_string(reply, "config_error", m->config_error);
        if (r >= 0)
                r = json_add_strv(reply, "config_warnings", m->config_warnings);
        return r < 0 ? r : varlink_reply(l, reply);
}

int manager_varlink_setup(Manager *m) {
        static const VarlinkMethodBinding methods[] = {
                { "io.openmono.Manager.Ping", method_ping },
                { "io.openmono.Manager.GetStatus", method_get_status },
        };
        _cleanup_free_ char *idl = NULL;
        int r;

        /* Each part of the interface keeps its IDL next to its handlers. */
        if (asprintf(&idl, "%s%s%s%s%s%s%s", manager_interface, session_varlink_idl(), project_varlink_idl(),
                     secret_varlink_idl(), cron_varlink_idl(), transcript_varlink_idl(), manager_errors) < 0)
                return -ENOMEM;
        r = varlink_server_add_interface(m->varlink, "io.openmono.Manager", idl);
        if (r < 0)
                return r;
        r = session_varlink_bind(m);
        if (r >= 0)
                r = project_varlink_bind(m);
        if (r >= 0)
                r = cron_varlink_bind(m);
        if (r >= 0)
                r = secret_varlink_bind(m);
        if (r >= 0)
                r = transcript_varlink_bind(m);
        if (r < 0)
                return r;
        return varlink_server_bind_methods(m->varlink, methods, ELEMENTSOF(methods));
}
