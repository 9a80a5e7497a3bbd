/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The secret methods of io.openmono.Manager (SetSecret, ListSecrets, RemoveSecret,
 * RotateSecretKey), the audit trail of secrets, and their delivery to sessions as systemd
 * credentials. Users manage their own secrets; other users' secrets and the defaults need an
 * administrator or polkit. Values travel in one direction only, into the store: no method
 * returns them, and nothing logs them. */

#include <pwd.h>

#include <sodium.h>

#include "log.h"
#include "manager.h"
#include "message-ids.h"
#include "openmono-errors.h"
#include "project.h"
#include "secret-store.h"
#include "secret-trust.h"
#include "session-policy.h"
#include "strv.h"
#include "user-util.h"

static int get_store(Manager *m, SecretStore **ret) {
        int r;

        if (!m->secrets) {
                r = secret_store_new(m->state_dir, &m->secrets);
                if (r < 0)
                        return r;
        }
        *ret = m->secrets;
        return 0;
}

/* Journal entry for a secret event; never carries the value. owner SECRET_OWNER_DEFAULT leaves
 * OPENMONO_USER= empty, as the catalog says. */
static void audit_secret(const char *message_id, const char *event, uid_t owner, const char *name,
                         uid_t caller, const char *session, const char *project, const char *message) {
        _cleanup_strv_free_ char **fields = NULL;
        _cleanup_free_ char *user = NULL;
        int r;

        if (owner != SECRET_OWNER_DEFAULT)
                (void) uid_to_name(owner, &user);
        r = strv_extendf(&fields, "MESSAGE_ID=%s", message_id);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_EVENT=%s", event);
        if (r >= 0 && name)
                r = strv_extendf(&fields, "OPENMONO_SECRET=%s", name);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_USER=%s", owner == SECRET_OWNER_DEFAULT ? "" : strna(user));
        if (r >= 0 && owner != SECRET_OWNER_DEFAULT)
                r = strv_extendf(&fields, "OPENMONO_UID=%u", (unsigned) owner);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_CALLER_UID=%u", (unsigned) caller);
        if (r >= 0 && session)
                r = strv_extendf(&fields, "OPENMONO_SESSION=%s", session);
        if (r >= 0 && project)
                r = strv_extendf(&fields, "OPENMONO_PROJECT=%s", project);
        if (r >= 0)
                r = strv_extendf(&fields, "MESSAGE=%s", message);
        if (r < 0) {
                log_oom();
                return;
        }
        log_struct(LOG_INFO, 0, fields);
}

static const char *owner_label(uid_t owner, char buf[static 32]) {
        if (owner == SECRET_OWNER_DEFAULT)
                return "the defaults";
        snprintf(buf, 32, "UID %u", (unsigned) owner);
        return buf;
}

/* Whose secrets a call is about: the caller's own, another user's ("user"), or the defaults
 * ("default"). Returns 0, or -EINVAL and the bad parameter in *ret_bad. */
static int parse_owner(json_object *params, uid_t caller, uid_t *ret, const char **ret_bad) {
        const char *user = NULL;
        bool is_default = false;
        struct passwd *pw;

        *ret_bad = "user";
        if (json_get_string(params, "user", &user) == -EINVAL)
                return -EINVAL;
        *ret_bad = "default";
        if (json_get_bool(params, "default", &is_default) == -EINVAL || (is_default && user))
                return -EINVAL;
        if (is_default) {
                *ret = SECRET_OWNER_DEFAULT;
                return 0;
        }
        if (!user) {
                *ret = caller;
                return 0;
        }
        *ret_bad = "user";
        pw = getpwnam(user);
        if (!pw || pw->pw_uid == SECRET_OWNER_DEFAULT)
                return -EINVAL;
        *ret = pw->pw_uid;
        return 0;
}

/* Returns >0 if the caller may manage owner's secrets, 0 while polkit decides, <0 if denied. */
static int authorize_owner(Manager *m, Varlink *l, uid_t caller, uid_t owner, VarlinkMethod method,
                           json_object *params) {
        sd_bus *bus;
        int r;

        if (owner == caller || uid_is_admin(caller) > 0)
                return 1;
        r = manager_get_bus(m, &bus);
        if (r < 0)
                return r;
        return polkit_check(m->polkit, bus, l,
                            owner == SECRET_OWNER_DEFAULT ? "io.openmono.secret.set-default" :
                                                            "io.openmono.secret.manage-all",
                            (const char *const[]) { "verb", "manage", NULL }, method, params, m);
}

static int reply_store_error(Varlink *l, int r, const char *name, uid_t owner) {
        char buf[32];

        return varlink_errorf(l, VARLINK_ERROR_SYSTEM, "Failed to access secret '%s' of %s: %s", name,
                              owner_label(owner, buf), strerror(-r));
}

static int method_set_secret(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        Manager *m = userdata;
        json_object *value;
        SecretStore *store;
        const char *name, *bad, *v;
        char msg[160];
        struct ucred u;
        uid_t owner;
        size_t n;
        int r;

        if (json_get_string(params, "name", &name) < 0 || !secret_name_is_valid(name))
                return varlink_error_invalid_parameter(l, "name");
        if (!json_object_object_get_ex(params, "value", &value) || !json_object_is_type(value, json_type_string) ||
            (size_t) json_object_get_string_len(value) > SECRET_VALUE_MAX)
                return varlink_error_invalid_parameter(l, "value");
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        if (parse_owner(params, u.uid, &owner, &bad) < 0)
                return varlink_error_invalid_parameter(l, bad);
        r = authorize_owner(m, l, u.uid, owner, method_set_secret, params);
        if (r <= 0)
                return r == 0 ? 0 : varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                                   "Not allowed to set secrets of %s.",
                                                   owner == SECRET_OWNER_DEFAULT ? "all users" : "another user");
        v = json_object_get_string(value);
        n = (size_t) json_object_get_string_len(value);
        r = get_store(m, &store);
        if (r >= 0)
                r = secret_store_set(store, owner, name, v, n);
        /* The parsed request is the only other copy of the value the controller holds. */
        sodium_memzero((char *) v, n);
        if (r < 0)
                return reply_store_error(l, r, name, owner);
        snprintf(msg, sizeof msg, "Secret %s of %s set by UID %u.", name, owner_label(owner, (char[32]) {}),
                 (unsigned) u.uid);
        audit_secret(OPENMONO_MESSAGE_SECRET_SET, "secret-set", owner, name, u.uid, NULL, NULL, msg);
        return varlink_reply(l, NULL);
}

static int method_remove_secret(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        Manager *m = userdata;
        SecretStore *store;
        const char *name, *bad;
        char msg[160];
        struct ucred u;
        uid_t owner;
        int r;

        if (json_get_string(params, "name", &name) < 0 || !secret_name_is_valid(name))
                return varlink_error_invalid_parameter(l, "name");
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        if (parse_owner(params, u.uid, &owner, &bad) < 0)
                return varlink_error_invalid_parameter(l, bad);
        r = authorize_owner(m, l, u.uid, owner, method_remove_secret, params);
        if (r <= 0)
                return r == 0 ? 0 : varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                                   "Not allowed to remove secrets of %s.",
                                                   owner == SECRET_OWNER_DEFAULT ? "all users" : "another user");
        r = get_store(m, &store);
        if (r >= 0)
                r = secret_store_remove(store, owner, name);
        if (r == -ENOENT)
                return varlink_errorf(l, OM_ERROR_NO_SUCH_SECRET, "No secret '%s'.", name);
        if (r < 0)
                return reply_store_error(l, r, name, owner);
        snprintf(msg, sizeof msg, "Secret %s of %s deleted by UID %u.", name, owner_label(owner, (char[32]) {}),
                 (unsigned) u.uid);
        audit_secret(OPENMONO_MESSAGE_SECRET_DELETED, "secret-deleted", owner, name, u.uid, NULL, NULL, msg);
        return varlink_reply(l, NULL);
}

static int add_infos(json_object *list, SecretStore *store, uid_t owner, const char *scope) {
        _cleanup_free_ SecretInfo *infos = NULL;
        size_t n;
        int r;

        r = secret_store_list(store, owner, &infos, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();

                if (!o || json_object_array_add(list, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
                r = json_add_string(o, "name", infos[i].name);
                if (r >= 0)
                        r = json_add_string(o, "scope", scope);
                if (r >= 0)
                        r = json_add_uint64(o, "modified_realtime_usec", infos[i].modified_usec);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int method_list_secrets(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        json_object *list = json_object_new_array();
        Manager *m = userdata;
        SecretStore *store;
        const char *bad;
        struct ucred u;
        uid_t owner;
        int r;

        if (!reply || !list || json_add_take(reply, "secrets", list) < 0)
                return -ENOMEM;
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        if (parse_owner(params, u.uid, &owner, &bad) < 0)
                return varlink_error_invalid_parameter(l, bad);
        /* The names of the defaults are no secret: everyone receives them. */
        if (owner != SECRET_OWNER_DEFAULT) {
                r = authorize_owner(m, l, u.uid, owner, method_list_secrets, params);
                if (r <= 0)
                        return r == 0 ? 0 : varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                                           "Not allowed to list the secrets of another user.");
        }
        r = get_store(m, &store);
        if (r >= 0 && owner != SECRET_OWNER_DEFAULT)
                r = add_infos(list, store, owner, "user");
        if (r >= 0)
                r = add_infos(list, store, SECRET_OWNER_DEFAULT, "default");
        return r < 0 ? r : varlink_reply(l, reply);
}

static int method_rotate_secret_key(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        _cleanup_free_ char *bad = NULL;
        Manager *m = userdata;
        SecretStore *store;
        char msg[160];
        struct ucred u;
        int r;

        if (!reply)
                return -ENOMEM;
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        if (uid_is_admin(u.uid) <= 0)
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED, "Only administrators may replace the master key.");
        r = get_store(m, &store);
        if (r >= 0)
                r = secret_store_rotate_key(store, &bad);
        if (r == -EOPNOTSUPP)
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                      "The master key comes from the credential " SECRET_MASTER_KEY_CREDENTIAL
                                      " of openmonod.service; see openmonod(8) on how to replace it.");
        if (r == -EBADMSG)
                return varlink_errorf(l, OM_ERROR_SECRET_DAMAGED,
                                      "Secret %s does not decrypt (damaged or moved); nothing was changed. "
                                      "Remove or set it again, then retry.", strna(bad));
        if (r < 0)
                return varlink_errorf(l, VARLINK_ERROR_SYSTEM, "Failed to replace the master key: %s", strerror(-r));
        snprintf(msg, sizeof msg, "Master key of the secret store replaced by UID %u; %d secrets re-encrypted.",
                 (unsigned) u.uid, r);
        audit_secret(OPENMONO_MESSAGE_SECRET_KEY_ROTATED, "secret-key-rotated", SECRET_OWNER_DEFAULT, NULL, u.uid,
                     NULL, NULL, msg);
        r = json_add_int64(reply, "secrets", r);
        return r < 0 ? r : varlink_reply(l, reply);
}

/* The user whose secret a source stands for, SECRET_OWNER_DEFAULT for the defaults only. */
static uid_t source_uid(SecretSource src, const SecretTrust *t) {
        return src == SECRET_SOURCE_OWNER ? t->owner : src == SECRET_SOURCE_CALLER ? t->caller : SECRET_OWNER_DEFAULT;
}

/* Journal entry for one delivery: whose secret (OPENMONO_USER=, empty for a default), whose
 * project (OPENMONO_PROJECT_OWNER=), who asked (OPENMONO_CALLER_UID=) and which session. */
static void audit_delivery(const char *name, uid_t secret_owner, const Project *proj, const SecretTrust *t,
                           SecretSource src, const SessionPolicy *p) {
        _cleanup_strv_free_ char **fields = NULL;
        _cleanup_free_ char *user = NULL;
        int r;

        if (secret_owner != SECRET_OWNER_DEFAULT)
                (void) uid_to_name(secret_owner, &user);
        r = strv_extendf(&fields, "MESSAGE_ID=%s", OPENMONO_MESSAGE_SECRET_DELIVERED);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_EVENT=secret-delivered");
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_SECRET=%s", name);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_USER=%s", secret_owner == SECRET_OWNER_DEFAULT ? "" : strna(user));
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_SECRET_SOURCE=%s", secret_source_to_string(src));
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_PROJECT_OWNER=%s", proj->owner);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_CALLER_UID=%u", (unsigned) t->caller);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_SESSION=%s", p->session_id);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_PROJECT=%s", p->project);
        if (r >= 0)
                r = strv_extendf(&fields, "MESSAGE=Secret %s of %s delivered to session %s of project %s "
                                 "(owner %s), started by UID %u.", name,
                                 secret_owner == SECRET_OWNER_DEFAULT ? "the defaults" : strna(user),
                                 p->session_id, p->project, proj->owner, (unsigned) t->caller);
        if (r < 0) {
                log_oom();
                return;
        }
        log_struct(LOG_INFO, 0, fields);
}

/* Stages one secret from the source the trust rule chose. Returns 1 if staged, 0 if there is
 * none to give, <0 on failure (-EBADMSG: it does not decrypt). */
static int stage_one(Manager *m, SecretStore *store, const char *name, const Project *proj,
                     const SecretTrust *t, SecretSource src, SessionPolicy *p) {
        _cleanup_(secret_value_freep) SecretValue *v = NULL;
        _cleanup_free_ char *path = NULL;
        uid_t uid = source_uid(src, t);
        int r, scope;

        scope = uid == SECRET_OWNER_DEFAULT ? secret_store_get(store, uid, name, &v) :
                                              secret_store_lookup(store, uid, name, &v);
        if (scope == -ENOENT) {
                log_warning("Project %s grants secret %s, but there is none (source: %s) and no default; "
                            "session %s starts without it.", p->project, name, secret_source_to_string(src),
                            p->session_id);
                return 0;
        }
        if (scope < 0)
                return scope;
        r = secret_stage(m->runtime_dir, p->session_id, name, v, &path);
        if (r < 0)
                return r;
        r = session_policy_add_credential(p, name, path);
        if (r < 0)
                return r;
        audit_delivery(name, scope > 0 ? SECRET_OWNER_DEFAULT : uid, proj, t, src, p);
        return 1;
}

static int reply_stage_failed(Manager *m, Varlink *l, SessionPolicy *p, int r, const char *name) {
        (void) secret_unstage(m->runtime_dir, p->session_id);
        if (r == -EBADMSG) {
                log_error("Secret %s for session %s does not decrypt: its file was damaged, or moved from "
                          "another user or name. Set it again.", name, p->session_id);
                return varlink_errorf(l, OM_ERROR_SECRET_DAMAGED,
                                      "Secret '%s' cannot be decrypted (damaged, or moved from another "
                                      "user or name); set it again with 'openmonoctl secret set %s'.",
                                      name, name);
        }
        return varlink_errorf(l, OM_ERROR_START_FAILED, "Failed to hand the session its secrets: %s",
                              strerror(-r));
}

/* Decides and stages one name. Returns 1 to go on, 0 when it replied with an error. */
static int deliver(Manager *m, Varlink *l, SecretStore *store, const char *name, const Project *proj,
                   SecretTrust *t, char **caller_grants, SessionPolicy *p) {
        SecretSource src;
        int r;

        if (!secret_name_is_valid(name)) {
                log_warning("Project %s grants '%s', which is no valid secret name, ignoring.", p->project, name);
                return 1;
        }
        t->listed = strv_contains(proj->grants, name);
        t->caller_grants = strv_contains(caller_grants, name);
        src = secret_trust_decide(t);
        if (src == SECRET_SOURCE_REFUSED) {
                (void) secret_unstage(m->runtime_dir, p->session_id);
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                      "Project '%s' belongs to %s: administrators never hand their own "
                                      "secrets to a project they do not own (secret '%s').",
                                      proj->name, proj->owner, name);
        }
        if (src == SECRET_SOURCE_NONE)
                return 1;
        r = stage_one(m, store, name, proj, t, src, p);
        return r < 0 ? reply_stage_failed(m, l, p, r, name) : 1;
}

int manager_stage_secrets(Manager *m, Varlink *l, const Project *proj, uid_t caller, char **caller_grants,
                          SessionPolicy *p) {
        _cleanup_strv_free_ char **names = NULL;
        struct passwd *pw = getpwnam(proj->owner);
        SecretTrust t = {
                .caller = caller,
                /* An owner who no longer exists has no secrets; only the defaults remain. */
                .owner = pw ? pw->pw_uid : SECRET_OWNER_DEFAULT,
                .caller_is_admin = uid_is_admin(caller) > 0,
                .caller_admitted = project_admits(proj, caller),
                .system_project = proj->scope == PROJECT_SCOPE_SYSTEM,
        };
        SecretStore *store;
        int r;

        STRV_FOREACH(g, proj->grants)
                if (!strv_contains(names, *g) && strv_extend(&names, *g) < 0)
                        return -ENOMEM;
        STRV_FOREACH(g, caller_grants)
                if (!strv_contains(names, *g) && strv_extend(&names, *g) < 0)
                        return -ENOMEM;
        if (!names)
                return 1;
        r = get_store(m, &store);
        if (r < 0)
                return reply_stage_failed(m, l, p, r, NULL);
        STRV_FOREACH(n, names) {
                r = deliver(m, l, store, *n, proj, &t, caller_grants, p);
                if (r <= 0)
                        return r;
        }
        return 1;
}

static const char secret_interface_methods[] =
        "\n"
        "# A secret as listed: never its value. scope is \"user\" for the user's own, \"default\" for\n"
        "# one an administrator set for everyone (a user's own value of the same name wins).\n"
        "type Secret (name: string, scope: string, modified_realtime_usec: int)\n"
        "\n"
        "# Stores a secret of the caller, of another user (user, administrators), or a default for\n"
        "# all users (default, administrators). Names are 1-64 characters of [A-Za-z0-9_.-].\n"
        "method SetSecret(name: string, value: string, user: ?string, default: ?bool) -> ()\n"
        "# The caller's (or user's) secrets and the defaults; with default, the defaults only.\n"
        "method ListSecrets(user: ?string, default: ?bool) -> (secrets: []Secret)\n"
        "method RemoveSecret(name: string, user: ?string, default: ?bool) -> ()\n"
        "# Replaces the master key and re-encrypts every secret (administrators).\n"
        "method RotateSecretKey() -> (secrets: int)\n";

const char *secret_varlink_idl(void) {
        return secret_interface_methods;
}

int secret_varlink_bind(Manager *m) {
        static const VarlinkMethodBinding methods[] = {
                { "io.openmono.Manager.SetSecret", method_set_secret },
                { "io.openmono.Manager.ListSecrets", method_list_secrets },
                { "io.openmono.Manager.RemoveSecret", method_remove_secret },
                { "io.openmono.Manager.RotateSecretKey", method_rotate_secret_key },
        };

        return varlink_server_bind_methods(m->varlink, methods, ELEMENTSOF(methods));
}
