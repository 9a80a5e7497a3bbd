/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The encrypted secret store: one file per secret below <state>/secrets/, <uid>/<name> for a
 * user's own secrets and defaults/<name> for the defaults administrators set for everyone.
 * Each file is sealed with XChaCha20-Poly1305 under a key derived for its owner from the host's
 * master key, with "<owner>:<name>" as associated data, so a file copied or renamed to another
 * user or name no longer opens. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* The owner of the defaults, as opposed to a user's uid. */
#define SECRET_OWNER_DEFAULT ((uid_t) -1)

#define SECRET_NAME_MAX 64
/* Large enough for tokens, keys and small certificates; systemd allows more per credential. */
#define SECRET_VALUE_MAX (64U * 1024U)

/* The name of the credential openmonod.service may be given the master key in. */
#define SECRET_MASTER_KEY_CREDENTIAL "openmono-master-key"
#define SECRET_MASTER_KEY_SIZE 32U

/* A decrypted value, kept in guarded, locked memory (sodium_malloc()); data is NUL-terminated
 * for convenience, size does not count the NUL. */
typedef struct SecretValue {
        size_t size;
        uint8_t *data;
} SecretValue;

/* Wipes and frees the value; accepts NULL and returns NULL. */
SecretValue *secret_value_free(SecretValue *v);
DEFINE_PTR_CLEANUP(SecretValue *, secret_value_free);

/* What ListSecrets shows: never the value. */
typedef struct SecretInfo {
        char name[SECRET_NAME_MAX + 1];
        uint64_t modified_usec;         /* CLOCK_REALTIME of the last set */
} SecretInfo;

typedef struct SecretStore SecretStore;

/* Returns true for 1…64 characters of [A-Za-z0-9_.-] not starting with a dot. */
bool secret_name_is_valid(const char *s);

/* Seals value for owner/name under master_key into a new buffer in *ret (the file's bytes).
 * Returns 0, -EINVAL or -ENOMEM. */
int secret_record_seal(const uint8_t master_key[static SECRET_MASTER_KEY_SIZE], uid_t owner, const char *name,
                       const void *value, size_t size, uint8_t **ret, size_t *ret_size);
/* Opens the bytes of a file. Returns 0 and the value in *ret; -EBADMSG when the file is not a
 * secret record, was changed, or belongs to another owner or name; -ENOMEM. */
int secret_record_open(const uint8_t master_key[static SECRET_MASTER_KEY_SIZE], uid_t owner, const char *name,
                       const void *data, size_t size, SecretValue **ret);

/* Creates a store below state_dir (its "secrets" subdirectory). The master key is read (or, the
 * first time, created) on first use: from $CREDENTIALS_DIRECTORY/openmono-master-key if that
 * exists, else from secrets/master.key. Returns 0 or -ENOMEM. */
int secret_store_new(const char *state_dir, SecretStore **ret);
SecretStore *secret_store_free(SecretStore *s);
DEFINE_PTR_CLEANUP(SecretStore *, secret_store_free);

/* Stores value as owner's secret name, replacing any earlier value atomically. Returns 0,
 * -EINVAL for a bad name or an oversized value, or another negative errno. */
int secret_store_set(SecretStore *s, uid_t owner, const char *name, const void *value, size_t size);
/* Reads owner's secret name. Returns 0 and the value, -ENOENT if there is none, -EBADMSG if the
 * file does not decrypt (tampered, truncated, moved from another user or name). */
int secret_store_get(SecretStore *s, uid_t owner, const char *name, SecretValue **ret);
/* Reads what a session of uid receives as name: the user's own value, else the default.
 * Returns 0 (own value), 1 (the default), -ENOENT, -EBADMSG like secret_store_get(). */
int secret_store_lookup(SecretStore *s, uid_t uid, const char *name, SecretValue **ret);
/* Deletes owner's secret name. Returns 0 or -ENOENT. */
int secret_store_remove(SecretStore *s, uid_t owner, const char *name);
/* Lists owner's secrets, sorted by name, without opening them. Returns 0 and a new array. */
int secret_store_list(SecretStore *s, uid_t owner, SecretInfo **ret, size_t *ret_n);
/* Replaces the master key with a new random one and re-encrypts every secret under it. All new
 * files and the new key are written to a new directory which then takes the place of the old
 * one in a single rename, so a crash leaves either everything old or everything new. Returns the
 * number of secrets re-encrypted; -EOPNOTSUPP when the key comes from a credential (the
 * administrator replaces that), -EBADMSG (naming nothing changed) when a secret does not decrypt:
 * *ret_bad is then its path relative to the store. */
int secret_store_rotate_key(SecretStore *s, char **ret_bad);
/* True when the master key comes from the service's credential. Loads the key if needed. */
int secret_store_key_from_credential(SecretStore *s);

/* Staging for delivery: <runtime_dir>/credentials/<session_id>/<name>, 0700 directory, 0600
 * files, root only. Returns 0 and the file's path in *ret_path. */
int secret_stage(const char *runtime_dir, const char *session_id, const char *name, const SecretValue *v,
                 char **ret_path);
/* Removes a session's staged files and directory. Returns 0 or 1 if anything was removed. */
int secret_unstage(const char *runtime_dir, const char *session_id);
/* Removes every session's staged files (left over from a crash). Returns the number removed. */
int secret_unstage_all(const char *runtime_dir);
