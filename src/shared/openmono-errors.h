/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Varlink errors of io.openmono.Manager, shared by the controller and its clients. Each
 * carries a "message" parameter meant for humans. */

#define OM_ERROR_PERMISSION_DENIED "io.openmono.Manager.PermissionDenied"
/* The caller asked for more than a ceiling allows (network, CIDRs, limits); the message names it. */
#define OM_ERROR_EXCEEDS_CEILING "io.openmono.Manager.ExceedsCeiling"
#define OM_ERROR_SYSTEMD_UNAVAILABLE "io.openmono.Manager.SystemdUnavailable"
#define OM_ERROR_NO_SUCH_SESSION "io.openmono.Manager.NoSuchSession"
#define OM_ERROR_TOO_MANY_SESSIONS "io.openmono.Manager.TooManySessions"
#define OM_ERROR_BAD_WORKSPACE "io.openmono.Manager.BadWorkspace"
#define OM_ERROR_COMMAND_NOT_FOUND "io.openmono.Manager.CommandNotFound"
#define OM_ERROR_START_FAILED "io.openmono.Manager.StartFailed"
#define OM_ERROR_CONFIG_BROKEN "io.openmono.Manager.ConfigBroken"
#define OM_ERROR_NO_SUCH_PROJECT "io.openmono.Manager.NoSuchProject"
#define OM_ERROR_PROJECT_EXISTS "io.openmono.Manager.ProjectExists"
#define OM_ERROR_BAD_PROJECT "io.openmono.Manager.BadProject"
#define OM_ERROR_NO_SUCH_SECRET "io.openmono.Manager.NoSuchSecret"
#define OM_ERROR_SECRET_DAMAGED "io.openmono.Manager.SecretDamaged"
#define OM_ERROR_NO_SUCH_TRANSCRIPT "io.openmono.Manager.NoSuchTranscript"
#define OM_ERROR_NO_SUCH_CRON_JOB "io.openmono.Manager.NoSuchCronJob"
#define OM_ERROR_CRON_JOB_EXISTS "io.openmono.Manager.CronJobExists"
#define OM_ERROR_BAD_CRON_JOB "io.openmono.Manager.BadCronJob"
#define OM_ERROR_CRON_DISABLED "io.openmono.Manager.CronDisabled"
