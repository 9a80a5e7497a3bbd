/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prints, one per line, the systemd-run arguments that give a unit the same sandbox as an
 * ad-hoc OpenMono session of USER on WORKSPACE with network POLICY, for the reference side of
 * bench/session-start. It goes through the same policy function as the controller; what the
 * controller adds outside it (the git identity credential, the pinned mounts) the script adds
 * or reports. Exits 3 for a network policy this build does not know. */

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>

#include "session-policy.h"
#include "strv.h"
#include "unit-props.h"

int main(int argc, char *argv[]) {
        _cleanup_(session_policy_freep) SessionPolicy *p = session_policy_new();
        _cleanup_(unit_properties_freep) UnitProperties *u = NULL;
        _cleanup_strv_free_ char **args = NULL;
        struct passwd *pw;
        int r;

        if (argc < 6) {
                fprintf(stderr, "Usage: %s USER WORKSPACE STORAGE POLICY COMMAND [ARGS...]\n", argv[0]);
                return 2;
        }
        pw = getpwnam(argv[1]);
        if (!p || !pw) {
                fprintf(stderr, "Unknown user %s\n", argv[1]);
                return 1;
        }
        p->owner_uid = pw->pw_uid;
        p->owner_gid = pw->pw_gid;
        p->identity = SESSION_IDENTITY_OWNER;
        p->network = network_policy_from_string(argv[4]);
        /* Its own exit status: bench/session-start.sh skips a policy this build does not know. */
        if (p->network < 0) {
                fprintf(stderr, "Unknown network policy %s\n", argv[4]);
                return 3;
        }
        /* NO_MODEL_URL=1: the reference without the model relay, to measure what it costs. */
        p->model_url = !getenv("NO_MODEL_URL");
        /* Each session has a network of its own, named after its id: sessions started one after
         * the other must not wait for the network of the one before to go. */
        if (!(p->session_id = strdup(getenv("BENCH_SESSION_ID") ?: "bench")) || !(p->project = strdup("bench")) ||
            !(p->owner_name = strdup(pw->pw_name)) || !(p->workspace = strdup(argv[2])) ||
            /* The raw unit binds the directory itself: pinning it is part of what openmonoctl's
             * time measures. */
            !(p->workspace_mount = strdup(argv[2])) ||
            !(p->storage = strdup(argv[3])) || strv_extend(&p->environment, "HOME=/storage") < 0)
                return 1;
        for (int i = 5; i < argc; i++)
                if (strv_extend(&p->argv, argv[i]) < 0)
                        return 1;

        r = session_policy_to_unit_properties(p, &u);
        if (r >= 0)
                r = unit_properties_to_run_args(u, &args);
        if (r < 0) {
                fprintf(stderr, "Cannot build the properties: %s\n", strerror(-r));
                return 1;
        }
        STRV_FOREACH(a, args)
                puts(*a);
        return 0;
}
