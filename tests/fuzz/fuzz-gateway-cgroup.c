/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads a session from /proc/PID/cgroup contents and from a single path. The kernel writes
 * those, but the names in them come from whoever created the cgroups, users included: a match
 * must always carry a valid session ID. */

#include <stdint.h>

#include "peer-identity.h"
#include "session-policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int r, char *session) {
        if (r < 0 && r != -EBADMSG && r != -ENOMEM)
                abort();
        if ((r == 1) != (session != NULL))
                abort();
        if (session && !session_id_is_valid(session))
                abort();
        free(session);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *path = NULL;
        char *session = NULL;
        uid_t uid;
        int r;

        if (size > 64 * 1024)
                return 0;
        r = cgroup_file_parse_session((const char *) data, size, &uid, &session);
        check(r, session);
        session = NULL;
        path = strndup((const char *) data, size);
        if (!path)
                return 0;
        r = cgroup_path_parse_session(path, &uid, &session);
        check(r, session);
        return 0;
}
