/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The trust rule for secrets: whose secret a session receives.
 *
 * A session runs on a project, and the project's owner controls what runs there: its workspace,
 * its files, its Grant= list. So a Grant= list can only ever give away what belongs to whoever
 * wrote it, never the secrets of whoever happens to start a session. The rule, for each name:
 *
 *  1. A name in the project's Grant= gives the project owner's value (or the default). For a
 *     user's project the owner wrote Grant= and hands over their own secret to the users they
 *     let in (Users=, Groups=); an administrator who uses the project by role alone receives
 *     only the defaults, as administrators cannot read users' secrets otherwise either. A site
 *     project's file is an administrator's: its owner receives their own value, everyone else
 *     only the defaults, since no user agreed to share their secret there. root
 *     (openmono@NAME.service, timers) acts for the project, so it is treated as its owner.
 *  2. The caller's own value is given only when the caller is the project's owner, or when the
 *     caller hands the name over explicitly for this one run (openmonoctl run --grant NAME).
 *  3. root and administrators never hand their own secrets to a project they do not own, not
 *     even when they ask: what runs there is someone else's code, and an administrator's token
 *     opens more than anyone's. Such a request is refused rather than silently dropped, so
 *     that the administrator knows the session would run without it.
 *  4. Anything else gives nothing; sessions without a project never receive secrets.
 *
 * Every delivery is audited with the secret's owner, the project's owner and the session
 * (secret-varlink.c), so that a user can see where their secrets went. */

#include <assert.h>

#include "macro.h"
#include "secret-trust.h"

static const char *const secret_source_table[_SECRET_SOURCE_MAX] = {
        [SECRET_SOURCE_NONE] = "none",
        [SECRET_SOURCE_OWNER] = "owner",
        [SECRET_SOURCE_CALLER] = "caller",
        [SECRET_SOURCE_DEFAULT] = "default",
        [SECRET_SOURCE_REFUSED] = "refused",
};

const char *secret_source_to_string(SecretSource s) {
        return s >= 0 && s < _SECRET_SOURCE_MAX ? secret_source_table[s] : NULL;
}

SecretSource secret_source_from_string(const char *s) {
        for (SecretSource i = 0; s && i < _SECRET_SOURCE_MAX; i++)
                if (streq(s, secret_source_table[i]))
                        return i;
        return _SECRET_SOURCE_INVALID;
}

/* The value a name in Grant= stands for (rule 1). */
static SecretSource decide_listed(const SecretTrust *t) {
        if (t->caller == t->owner || t->caller == 0)
                return SECRET_SOURCE_OWNER;
        return !t->system_project && t->caller_admitted ? SECRET_SOURCE_OWNER : SECRET_SOURCE_DEFAULT;
}

SecretSource secret_trust_decide(const SecretTrust *t) {
        assert(t);

        if (t->caller_grants) {
                if (t->caller == t->owner)
                        return SECRET_SOURCE_CALLER;
                /* Rule 3: root counts as an administrator here, whoever it acts for. */
                if (t->caller == 0 || t->caller_is_admin)
                        return SECRET_SOURCE_REFUSED;
                return SECRET_SOURCE_CALLER;
        }
        if (t->listed)
                return decide_listed(t);
        return SECRET_SOURCE_NONE;
}
