/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Varlink errors of io.openmono.Manager, shared by the controller and its clients. Each
 * carries a "message" parameter meant for humans. */

#define OM_ERROR_PERMISSION_DENIED "io.openmono.Manager.PermissionDenied"
#define OM_ERROR_SYSTEMD_UNAVAILABLE "io.openmono.Manager.SystemdUnavailable"
