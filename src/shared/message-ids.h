/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* MESSAGE_ID= values of the journal entries operators search for; each is documented in
 * catalog/openmono.catalog. */

#define OPENMONO_MESSAGE_SESSION_STARTED "d60b362e3a9843ec855035cd85fa11fd"
#define OPENMONO_MESSAGE_SESSION_STOPPED "d1ec7d1ed3564125897a01101c59c0e4"
#define OPENMONO_MESSAGE_SESSION_START_FAILED "de98a56519944e8c8ba133582c190d38"
