/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What openmonoctl says when the controller answers with an error: every error name the
 * controller can send maps to a sentence and to an exit code, and a rejected parameter is named
 * as the user wrote it (the option, not the JSON key of the protocol). */

#include <stdio.h>

#include "ctl.h"
#include "log.h"
#include "openmono-errors.h"

static const CtlError errors[] = {
        { OM_ERROR_PERMISSION_DENIED, -EACCES, "Permission denied." },
        { OM_ERROR_SYSTEMD_UNAVAILABLE, -EREMOTEIO,
          "The controller cannot reach systemd; see: journalctl -u openmonod.service" },
        { OM_ERROR_NO_SUCH_SESSION, -ENOENT, "No such session (see: openmonoctl session list)." },
        { OM_ERROR_TOO_MANY_SESSIONS, -EREMOTEIO, "Too many sessions are running; stop one first." },
        { OM_ERROR_BAD_WORKSPACE, -EREMOTEIO, "This directory cannot be a workspace." },
        { OM_ERROR_COMMAND_NOT_FOUND, -EREMOTEIO, "The command does not exist in the sandbox." },
        { OM_ERROR_START_FAILED, -EREMOTEIO,
          "The session could not be started; see: journalctl -u openmonod.service" },
        { OM_ERROR_CONFIG_BROKEN, -EREMOTEIO,
          "The controller's configuration is broken; no session starts until it is fixed "
          "(see: openmonoctl config check)." },
        { OM_ERROR_NO_SUCH_PROJECT, -ENOENT, "No such project (see: openmonoctl project list)." },
        { OM_ERROR_PROJECT_EXISTS, -EEXIST, "A project of this name exists already." },
        { OM_ERROR_BAD_PROJECT, -EREMOTEIO, "The project is not valid." },
        { OM_ERROR_NO_SUCH_SECRET, -ENOENT, "No such secret (see: openmonoctl secret list)." },
        { OM_ERROR_SECRET_DAMAGED, -EREMOTEIO, "A stored secret is damaged; an administrator must set it again." },
        { OM_ERROR_NO_SUCH_CRON_JOB, -ENOENT, "No such scheduled job (see: openmonoctl cron list)." },
        { OM_ERROR_CRON_JOB_EXISTS, -EEXIST, "A scheduled job of this name exists already." },
        { OM_ERROR_BAD_CRON_JOB, -EREMOTEIO, "The scheduled job is not valid." },
        { OM_ERROR_EXCEEDS_CEILING, -EACCES, "This goes beyond what the site or the project allows." },
        { OM_ERROR_CRON_DISABLED, -EREMOTEIO, "Scheduled jobs are disabled on this machine." },
        { OM_ERROR_NO_SUCH_TRANSCRIPT, -ENOENT, "No such transcript (see: openmonoctl transcript list)." },

        { VARLINK_ERROR_INVALID_PARAMETER, -EINVAL, "The controller refused an argument." },
        { VARLINK_ERROR_PERMISSION_DENIED, -EACCES, "Permission denied." },
        { VARLINK_ERROR_INTERFACE_NOT_FOUND, -EOPNOTSUPP,
          "The controller does not offer this; is it older than openmonoctl? (see: openmonoctl status)" },
        { VARLINK_ERROR_METHOD_NOT_FOUND, -EOPNOTSUPP,
          "The controller does not offer this; is it older than openmonoctl? (see: openmonoctl status)" },
        { "org.varlink.service.MethodNotImplemented", -EOPNOTSUPP, "The controller does not implement this." },
        { VARLINK_ERROR_EXPECTED_MORE, -EPROTO, "The controller expected a call that waits for more replies." },
        { VARLINK_ERROR_SYSTEM, -EREMOTEIO, "The controller failed." },
        { VARLINK_ERROR_DISCONNECTED, -ECONNRESET, "Lost the connection to the controller." },
};

/* How the user names a parameter, so that "Invalid %s" reads well. method NULL matches any. */
static const struct {
        const char *parameter;
        const char *method;             /* a substring of the method's name, or NULL */
        const char *name;
} parameters[] = {
        { "name",                  "Project",   "project name" },
        { "name",                  "CronJob",   "job name" },
        { "name",                  "CronHistory", "job name" },
        { "name",                  "Secret",    "secret name" },
        { "id",                    "Transcript", "transcript ID" },
        { "id",                    NULL,        "session ID" },
        { "all",                   NULL,        "value for --all" },
        { "workspace",             NULL,        "workspace (-w)" },
        { "project",               NULL,        "project (-p)" },
        { "project_id",            NULL,        "value for --project-id" },
        { "network",               NULL,        "value for --network" },
        { "allow",                 NULL,        "value for --allow" },
        { "allow_domains",         NULL,        "value for --allow-domain" },
        { "memory_max",            NULL,        "value for --memory-max" },
        { "tasks_max",             NULL,        "value for --tasks-max" },
        { "cpu_quota_percent",     NULL,        "value for --cpu-quota" },
        { "runtime_max_usec",      NULL,        "value for --runtime-max" },
        { "grant",                 NULL,        "value for --grant" },
        { "users",                 NULL,        "value for --user" },
        { "groups",                NULL,        "value for --group" },
        { "identity",              NULL,        "value for --identity" },
        { "description",           NULL,        "value for --description" },
        { "task",                  "Session",   "task" },
        { "task",                  NULL,        "value for --task" },
        { "template",              NULL,        "value for --template" },
        { "command",               NULL,        "command (after '--')" },
        { "term",                  NULL,        "terminal type ($TERM)" },
        { "stdio",                 NULL,        "standard input and output (see --detach, --pipe)" },
        { "schedule",              NULL,        "value for --on-calendar or --every" },
        { "randomized_delay_usec", NULL,        "value for --randomized-delay" },
        { "time_limit_usec",       NULL,        "value for --time-limit" },
        { "persistent",            NULL,        "value for --persistent" },
        { "enabled",               NULL,        "value for --disabled" },
        { "user",                  NULL,        "value for --user" },
        { "default",               NULL,        "value for --default" },
        { "value",                 NULL,        "secret value" },
        { "limit",                 NULL,        "number of runs" },
        /* The request itself: openmonoctl and the controller disagree on the protocol. */
        { "parameters",            NULL,        "request (are openmonoctl and the controller of one version?)" },
        { "method",                NULL,        "request (are openmonoctl and the controller of one version?)" },
        { "interface",             NULL,        "interface name" },
};

const CtlError *ctl_error_find(const char *id) {
        for (size_t i = 0; i < ELEMENTSOF(errors); i++)
                if (streq(errors[i].id, id))
                        return &errors[i];
        return NULL;
}

const char *ctl_parameter_name(const char *method, const char *parameter) {
        for (size_t i = 0; i < ELEMENTSOF(parameters); i++)
                if (streq(parameters[i].parameter, parameter) &&
                    (!parameters[i].method || (method && strstr(method, parameters[i].method))))
                        return parameters[i].name;
        return NULL;
}

/* x The value is quoted when we sent it as a string, except
 * a secret's, which is never echoed. */
static void print_invalid_parameter(const char *method, const char *parameter, json_object *sent) {
        const char *name = ctl_parameter_name(method, parameter), *value = NULL;

        if (!streq(parameter, "value"))
                (void) json_get_string(sent, parameter, &value);
        if (name && value)
                log_error("Invalid %s: '%s'.", name, value);
        else if (name)
                log_error("Invalid %s.", name);
        else
                log_error("The controller refused the argument '%s'.", parameter);
}

int ctl_handle_error(const char *method, const char *error_id, json_object *reply, json_object *sent) {
        const CtlError *e = ctl_error_find(error_id);
        const char *message = NULL, *parameter = NULL;

        (void) json_get_string(reply, "message", &message);
        (void) json_get_string(reply, "parameter", &parameter);
        if (streq(error_id, VARLINK_ERROR_INVALID_PARAMETER) && parameter)
                print_invalid_parameter(method, parameter, sent);
        else if (message)
                log_error("%s", message);       /* the controller's own words are the most precise */
        else if (e)
                log_error("%s", e->sentence);
        else
                log_error("The controller failed (%s).", error_id);
        return e ? e->error : -EREMOTEIO;
}
