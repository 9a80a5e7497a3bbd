/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The exit status of a session's command, as run, shell and session wait exit with it and
 * openmonoctl(1) documents it under EXIT STATUS: one mapping, so that the three agree. */

#include <string.h>

#include "ctl.h"
#include "json-util.h"
#include "log.h"
#include "parse-util.h"

/* systemd's names of the steps before the command runs (its EXIT_* statuses). */
static const char *const exec_steps[] = {
        [200 - 200] = "CHDIR", "NICE", "FDS", "EXEC", "MEMORY", "LIMITS", "OOM_ADJUST", "SIGNAL_MASK",
        "STDIN", "STDOUT", "CHROOT", "IOPRIO", "TIMERSLACK", "SECUREBITS", "SETSCHEDULER", "CPUAFFINITY",
        "GROUP", "USER", "CAPABILITIES", "CGROUP", "SETSID", "CONFIRM", "STDERR", NULL, "PAM", "NETWORK",
        "NAMESPACE", "NO_NEW_PRIVILEGES", "SECCOMP", "SELINUX_CONTEXT", "PERSONALITY", "APPARMOR_PROFILE",
        "ADDRESS_FAMILIES", "RUNTIME_DIRECTORY", NULL, "CHOWN", "SMACK_PROCESS_LABEL", "KEYRING",
        "STATE_DIRECTORY", "CACHE_DIRECTORY", "LOGS_DIRECTORY", "CONFIGURATION_DIRECTORY", "NUMA_POLICY",
        "CREDENTIALS", NULL, "BPF",
};

/* The command never ran: systemd failed at a step before it (the controller found why in the
 * journal), or, without that entry, exec itself failed (203). Says so as shells and
 * container runtimes do: 127 not found, 126 not executable, 125 the sandbox failed. Returns
 * -1 for a status that is the command's own. */
static int spawn_failure_exit_code(json_object *session, const char *command, int64_t status) {
        const char *executable = NULL, *unit = NULL, *step;
        int64_t e = 0;

        (void) json_get_int64(session, "spawn_errno", &e);
        (void) json_get_string(session, "spawn_executable", &executable);
        (void) json_get_string(session, "unit", &unit);
        if (e <= 0 && status != 203)
                return -1;              /* the command's own status */
        step = status >= 200 && status - 200 < (int64_t) ELEMENTSOF(exec_steps) ? exec_steps[status - 200] : NULL;
        if (status == 203) {
                executable = executable ?: command ?: "the command";
                if (e > 0)
                        log_error("Cannot execute %s: %s", executable, strerror((int) e));
                else
                        log_error("Cannot execute %s.", executable);
                return e == ENOENT || e == 0 ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
        }
        log_error("The sandbox could not be set up: systemd failed at step %s: %s; see: journalctl -u %s",
                  strna(step), strerror((int) e), strna(unit));
        return EXIT_SANDBOX_FAILED;
}

int ctl_session_exit_code(json_object *session, const char *command) {
        const char *exit = NULL, *result = NULL, *id = NULL;
        int64_t status = 1;
        uint64_t limit = 0;
        char buf[FORMAT_TIMESPAN_MAX];
        int code;

        (void) json_get_string(session, "exit", &exit);
        (void) json_get_string(session, "result", &result);
        (void) json_get_string(session, "id", &id);
        (void) json_get_int64(session, "exit_status", &status);
        if (streq_ptr(result, "timeout")) {
                if (json_get_uint64(session, "runtime_max_usec", &limit) >= 0)
                        log_error("Session %s stopped: runtime limit %s reached.", strna(id),
                                  format_timespan(buf, sizeof buf, limit));
                else
                        log_error("Session %s stopped: runtime limit reached.", strna(id));
                return EXIT_RUNTIME_LIMIT;
        }
        if (streq_ptr(result, "oom-kill"))
                log_error("Session %s was killed: out of memory (see --memory-max).", strna(id));
        if (streq_ptr(exit, "exited")) {
                code = streq_ptr(result, "exit-code") ? spawn_failure_exit_code(session, command, status) : -1;
                return code >= 0 ? code : (int) status;
        }
        if (streq_ptr(exit, "killed"))
                return 128 + (int) status;
        return EXIT_FAILURE;
}
