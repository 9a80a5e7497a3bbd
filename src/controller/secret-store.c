/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The encrypted secret store (see secret-store.h): the record format, the master key, the
 * files below <state>/secrets/, key rotation, and staging decrypted values for systemd's
 * LoadCredential=. Key material and decrypted values live in sodium_malloc() memory (guarded,
 * locked where the system allows) and are wiped before they are freed. Nothing here logs. */

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <sodium.h>

#include "fs-util.h"
#include "secret-store.h"

/* "OMS1", a random nonce, then the ciphertext with its tag. */
#define RECORD_MAGIC "OMS1"
#define RECORD_MAGIC_SIZE 4U
#define RECORD_NONCE_SIZE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define RECORD_HEADER_SIZE (RECORD_MAGIC_SIZE + RECORD_NONCE_SIZE)
#define RECORD_TAG_SIZE crypto_aead_xchacha20poly1305_ietf_ABYTES
#define RECORD_SIZE_MAX (RECORD_HEADER_SIZE + SECRET_VALUE_MAX + RECORD_TAG_SIZE)

/* The KDF context (8 bytes) and the subkey id of the defaults, beyond every 32-bit uid. */
#define KDF_CONTEXT "OMSecret"
#define KDF_ID_DEFAULT (UINT64_C(1) << 32)

#define DEFAULTS_DIR "defaults"
#define MASTER_KEY_FILE "master.key"

struct SecretStore {
        char *dir;                      /* <state>/secrets */
        char *new_dir;                  /* <state>/secrets.new, used while rotating */
        uint8_t *master_key;            /* sodium_malloc(), NULL until first use */
        bool key_from_credential;
};

static void sodium_freep(void *p) {
        sodium_free(*(void **) p);
}
#define _cleanup_sodium_free_ _cleanup_(sodium_freep)

bool secret_name_is_valid(const char *s) {
        size_t n;

        if (!s || s[0] == '.')
                return false;
        n = strlen(s);
        return n >= 1 && n <= SECRET_NAME_MAX &&
                strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

SecretValue *secret_value_free(SecretValue *v) {
        if (!v)
                return NULL;
        sodium_free(v->data);
        free(v);
        return NULL;
}

static int secret_value_new(size_t size, SecretValue **ret) {
        _cleanup_(secret_value_freep) SecretValue *v = calloc(1, sizeof(SecretValue));

        if (!v)
                return -ENOMEM;
        v->data = sodium_malloc(size + 1);
        if (!v->data)
                return -ENOMEM;
        v->data[size] = 0;
        v->size = size;
        *ret = steal_ptr(v);
        return 0;
}

/* "<uid>:<name>" or "default:<name>": binds a record to where it belongs. */
static int associated_data(uid_t owner, const char *name, char buf[static 96]) {
        int n = owner == SECRET_OWNER_DEFAULT ? snprintf(buf, 96, "default:%s", name) :
                                                snprintf(buf, 96, "%u:%s", (unsigned) owner, name);
        return n > 0 && n < 96 ? n : -EINVAL;
}

static int derive_key(const uint8_t *master_key, uid_t owner, uint8_t **ret) {
        uint8_t *k = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

        if (!k)
                return -ENOMEM;
        if (crypto_kdf_derive_from_key(k, crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
                                       owner == SECRET_OWNER_DEFAULT ? KDF_ID_DEFAULT : (uint64_t) owner,
                                       KDF_CONTEXT, master_key) != 0) {
                sodium_free(k);
                return -EINVAL;
        }
        *ret = k;
        return 0;
}

int secret_record_seal(const uint8_t master_key[static SECRET_MASTER_KEY_SIZE], uid_t owner, const char *name,
                       const void *value, size_t size, uint8_t **ret, size_t *ret_size) {
        _cleanup_sodium_free_ uint8_t *key = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        unsigned long long clen;
        char ad[96];
        int n, r;

        if (sodium_init() < 0)
                return -EIO;
        if (!secret_name_is_valid(name) || size > SECRET_VALUE_MAX)
                return -EINVAL;
        n = associated_data(owner, name, ad);
        if (n < 0)
                return n;
        r = derive_key(master_key, owner, &key);
        if (r < 0)
                return r;
        buf = malloc(RECORD_HEADER_SIZE + size + RECORD_TAG_SIZE);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, RECORD_MAGIC, RECORD_MAGIC_SIZE);
        randombytes_buf(buf + RECORD_MAGIC_SIZE, RECORD_NONCE_SIZE);
        if (crypto_aead_xchacha20poly1305_ietf_encrypt(buf + RECORD_HEADER_SIZE, &clen, value, size,
                                                       (const uint8_t *) ad, (size_t) n, NULL,
                                                       buf + RECORD_MAGIC_SIZE, key) != 0)
                return -EINVAL;
        *ret_size = RECORD_HEADER_SIZE + (size_t) clen;
        *ret = steal_ptr(buf);
        return 0;
}

int secret_record_open(const uint8_t master_key[static SECRET_MASTER_KEY_SIZE], uid_t owner, const char *name,
                       const void *data, size_t size, SecretValue **ret) {
        _cleanup_(secret_value_freep) SecretValue *v = NULL;
        _cleanup_sodium_free_ uint8_t *key = NULL;
        const uint8_t *p = data;
        unsigned long long mlen;
        char ad[96];
        int n, r;

        if (sodium_init() < 0)
                return -EIO;
        if (size < RECORD_HEADER_SIZE + RECORD_TAG_SIZE || size > RECORD_SIZE_MAX ||
            memcmp(p, RECORD_MAGIC, RECORD_MAGIC_SIZE) != 0)
                return -EBADMSG;
        n = associated_data(owner, name, ad);
        if (n < 0)
                return -EBADMSG;
        r = derive_key(master_key, owner, &key);
        if (r < 0)
                return r;
        r = secret_value_new(size - RECORD_HEADER_SIZE - RECORD_TAG_SIZE, &v);
        if (r < 0)
                return r;
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(v->data, &mlen, NULL, p + RECORD_HEADER_SIZE,
                                                       size - RECORD_HEADER_SIZE, (const uint8_t *) ad,
                                                       (size_t) n, p + RECORD_MAGIC_SIZE, key) != 0)
                return -EBADMSG;
        *ret = steal_ptr(v);
        return 0;
}

/* Reads a whole file of at most max bytes into a new buffer; longer files are -EFBIG. */
static int read_file_at(int dfd, const char *name, size_t max, uint8_t **ret, size_t *ret_size) {
        _cleanup_close_ int fd = NEG_ERRNO(openat(dfd, name, O_RDONLY|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY));
        _cleanup_free_ uint8_t *buf = NULL;
        size_t n = 0;

        if (fd < 0)
                return fd;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + n, max + 1 - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > max)
                        return -EFBIG;
        }
        *ret = steal_ptr(buf);
        *ret_size = n;
        return 0;
}

int secret_store_new(const char *state_dir, SecretStore **ret) {
        SecretStore *s = calloc(1, sizeof(SecretStore));

        if (!s)
                return -ENOMEM;
        if (asprintf(&s->dir, "%s/secrets", state_dir) < 0 || asprintf(&s->new_dir, "%s/secrets.new", state_dir) < 0) {
                secret_store_free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

SecretStore *secret_store_free(SecretStore *s) {
        if (!s)
                return NULL;
        sodium_free(s->master_key);
        free(s->dir);
        free(s->new_dir);
        free(s);
        return NULL;
}

static int mkdir_private(const char *path) {
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* The key given by the administrator through systemd-creds: 32 bytes are the key itself, any
 * other content of at least 16 bytes is hashed down to one. */
static int load_credential_key(uint8_t *key) {
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        const char *creds = getenv("CREDENTIALS_DIRECTORY");
        size_t n;
        int r;

        if (isempty(creds))
                return 0;
        if (asprintf(&path, "%s/" SECRET_MASTER_KEY_CREDENTIAL, creds) < 0)
                return -ENOMEM;
        r = read_file_at(AT_FDCWD, path, 4096, &buf, &n);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (n == SECRET_MASTER_KEY_SIZE)
                memcpy(key, buf, n);
        else if (n >= 16)
                crypto_generichash(key, SECRET_MASTER_KEY_SIZE, buf, n, NULL, 0);
        else
                r = -EBADMSG;
        sodium_memzero(buf, n);
        return r < 0 ? r : 1;
}

/* Writes a new random key to dir/master.key unless one exists: the file is complete before it
 * appears under its name, and link() refuses to replace a key another process made first. */
static int create_key_file(const char *dir, uint8_t *key) {
        _cleanup_free_ char *tmp = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (asprintf(&tmp, "%s/.#" MASTER_KEY_FILE "XXXXXX", dir) < 0 ||
            asprintf(&path, "%s/" MASTER_KEY_FILE, dir) < 0)
                return -ENOMEM;
        fd = NEG_ERRNO(mkostemp(tmp, O_CLOEXEC));
        if (fd < 0)
                return fd;
        randombytes_buf(key, SECRET_MASTER_KEY_SIZE);
        r = NEG_ERRNO(fchmod(fd, 0600));
        if (r >= 0 && write(fd, key, SECRET_MASTER_KEY_SIZE) != (ssize_t) SECRET_MASTER_KEY_SIZE)
                r = -EIO;
        if (r >= 0)
                r = NEG_ERRNO(fsync(fd));
        if (r >= 0)
                r = NEG_ERRNO(link(tmp, path));
        (void) unlink(tmp);
        return r;
}

static int load_key_file(const char *dir, uint8_t *key) {
        _cleanup_close_ int dfd = NEG_ERRNO(open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC));
        _cleanup_free_ uint8_t *buf = NULL;
        size_t n;
        int r;

        if (dfd < 0)
                return dfd;
        r = read_file_at(dfd, MASTER_KEY_FILE, SECRET_MASTER_KEY_SIZE, &buf, &n);
        if (r == -EFBIG || (r >= 0 && n != SECRET_MASTER_KEY_SIZE))
                r = -EBADMSG;
        if (r >= 0)
                memcpy(key, buf, n);
        if (buf)
                sodium_memzero(buf, SECRET_MASTER_KEY_SIZE);
        return r;
}

static int secret_store_load_key(SecretStore *s) {
        _cleanup_sodium_free_ uint8_t *key = NULL;
        int r;

        if (s->master_key)
                return 0;
        if (sodium_init() < 0)
                return -EIO;
        key = sodium_malloc(SECRET_MASTER_KEY_SIZE);
        if (!key)
                return -ENOMEM;
        r = mkdir_private(s->dir);
        if (r < 0)
                return r;
        r = load_credential_key(key);
        if (r < 0)
                return r;
        if (r > 0)
                s->key_from_credential = true;
        else {
                r = load_key_file(s->dir, key);
                if (r == -ENOENT) {
                        r = create_key_file(s->dir, key);
                        if (r == -EEXIST)
                                r = load_key_file(s->dir, key);
                }
                if (r < 0)
                        return r;
        }
        (void) sodium_mprotect_readonly(key);
        s->master_key = steal_ptr(key);
        return 0;
}

int secret_store_key_from_credential(SecretStore *s) {
        int r = secret_store_load_key(s);

        return r < 0 ? r : s->key_from_credential;
}

static int owner_dir(const char *base, uid_t owner, char **ret) {
        int n = owner == SECRET_OWNER_DEFAULT ? asprintf(ret, "%s/" DEFAULTS_DIR, base) :
                                                asprintf(ret, "%s/%u", base, (unsigned) owner);
        return n < 0 ? -ENOMEM : 0;
}

int secret_store_set(SecretStore *s, uid_t owner, const char *name, const void *value, size_t size) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        _cleanup_free_ uint8_t *record = NULL;
        size_t n;
        int r;

        if (!secret_name_is_valid(name) || size > SECRET_VALUE_MAX)
                return -EINVAL;
        r = secret_store_load_key(s);
        if (r < 0)
                return r;
        r = owner_dir(s->dir, owner, &dir);
        if (r < 0)
                return r;
        r = mkdir_private(dir);
        if (r < 0)
                return r;
        r = secret_record_seal(s->master_key, owner, name, value, size, &record, &n);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        return write_file_atomic(path, record, n, 0600);
}

static int get_at(const uint8_t *key, int dfd, uid_t owner, const char *name, SecretValue **ret) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t n;
        int r;

        r = read_file_at(dfd, name, RECORD_SIZE_MAX, &buf, &n);
        if (r == -EFBIG)
                return -EBADMSG;
        if (r < 0)
                return r;
        return secret_record_open(key, owner, name, buf, n, ret);
}

int secret_store_get(SecretStore *s, uid_t owner, const char *name, SecretValue **ret) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -EBADF;
        int r;

        if (!secret_name_is_valid(name))
                return -EINVAL;
        r = secret_store_load_key(s);
        if (r < 0)
                return r;
        r = owner_dir(s->dir, owner, &dir);
        if (r < 0)
                return r;
        dfd = NEG_ERRNO(open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC));
        if (dfd < 0)
                return dfd;
        return get_at(s->master_key, dfd, owner, name, ret);
}

int secret_store_lookup(SecretStore *s, uid_t uid, const char *name, SecretValue **ret) {
        int r = secret_store_get(s, uid, name, ret);

        if (r != -ENOENT)
                return r;
        r = secret_store_get(s, SECRET_OWNER_DEFAULT, name, ret);
        return r < 0 ? r : 1;
}

int secret_store_remove(SecretStore *s, uid_t owner, const char *name) {
        _cleanup_free_ char *path = NULL;

        if (!secret_name_is_valid(name))
                return -EINVAL;
        if (owner == SECRET_OWNER_DEFAULT ? asprintf(&path, "%s/" DEFAULTS_DIR "/%s", s->dir, name) < 0 :
                                            asprintf(&path, "%s/%u/%s", s->dir, (unsigned) owner, name) < 0)
                return -ENOMEM;
        return NEG_ERRNO(unlink(path));
}

static int info_compare(const void *a, const void *b) {
        return strcmp(((const SecretInfo *) a)->name, ((const SecretInfo *) b)->name);
}

int secret_store_list(SecretStore *s, uid_t owner, SecretInfo **ret, size_t *ret_n) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ SecretInfo *list = NULL;
        _cleanup_free_ char *dir = NULL;
        struct dirent *de;
        size_t n = 0;
        int r;

        r = owner_dir(s->dir, owner, &dir);
        if (r < 0)
                return r;
        d = opendir(dir);
        if (!d && errno != ENOENT)
                return -errno;
        while (d && (de = readdir(d))) {
                struct stat st;
                SecretInfo *l;

                /* Temporary files of an atomic write have a '#' and are no valid names. */
                if (!secret_name_is_valid(de->d_name) || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode))
                        continue;
                l = reallocarray(list, n + 1, sizeof(SecretInfo));
                if (!l)
                        return -ENOMEM;
                list = l;
                snprintf(list[n].name, sizeof list[n].name, "%s", de->d_name);
                list[n++].modified_usec = (uint64_t) st.st_mtim.tv_sec * 1000000U + (uint64_t) st.st_mtim.tv_nsec / 1000U;
        }
        if (n > 0)
                qsort(list, n, sizeof(SecretInfo), info_compare);
        *ret = steal_ptr(list);
        *ret_n = n;
        return 0;
}

/* Removes name below dfd and everything in it; the store is two levels deep. */
static int remove_tree_at(int dfd, const char *name, unsigned depth) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int fd;

        if (unlinkat(dfd, name, 0) >= 0 || errno == ENOENT)
                return 0;
        if ((errno != EISDIR && errno != EPERM) || depth == 0)
                return -errno;
        fd = openat(dfd, name, O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        (void) remove_tree_at(dirfd(d), de->d_name, depth - 1);
        return NEG_ERRNO(unlinkat(dfd, name, AT_REMOVEDIR));
}

/* Re-encrypts the secrets of one owner directory (name) into the same name below new_dir. */
static int rotate_dir(const uint8_t *old_key, const uint8_t *new_key, int dfd, const char *name,
                      const char *new_dir, char **ret_bad) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ char *target = NULL;
        struct dirent *de;
        unsigned long uid;
        uid_t owner;
        char *end;
        int fd, r, n = 0;

        if (streq(name, DEFAULTS_DIR))
                owner = SECRET_OWNER_DEFAULT;
        else {
                errno = 0;
                uid = strtoul(name, &end, 10);
                if (errno != 0 || *end || end == name || uid >= UINT32_MAX)
                        return 0;               /* not ours */
                owner = (uid_t) uid;
        }
        if (asprintf(&target, "%s/%s", new_dir, name) < 0)
                return -ENOMEM;
        r = mkdir_private(target);
        if (r < 0)
                return r;
        fd = openat(dfd, name, O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                _cleanup_(secret_value_freep) SecretValue *v = NULL;
                _cleanup_free_ uint8_t *record = NULL;
                _cleanup_free_ char *path = NULL;
                size_t size;

                if (!secret_name_is_valid(de->d_name))
                        continue;
                r = get_at(old_key, dirfd(d), owner, de->d_name, &v);
                if (r < 0) {
                        if (asprintf(ret_bad, "%s/%s", name, de->d_name) < 0)
                                *ret_bad = NULL;
                        return r;
                }
                r = secret_record_seal(new_key, owner, de->d_name, v->data, v->size, &record, &size);
                if (r < 0)
                        return r;
                if (asprintf(&path, "%s/%s", target, de->d_name) < 0)
                        return -ENOMEM;
                r = write_file_atomic(path, record, size, 0600);
                if (r < 0)
                        return r;
                n++;
        }
        return n;
}

static int write_new_key(const char *dir, const uint8_t *key) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/" MASTER_KEY_FILE, dir) < 0)
                return -ENOMEM;
        return write_file_atomic(path, key, SECRET_MASTER_KEY_SIZE, 0600);
}

static int rotate_into(SecretStore *s, const uint8_t *new_key, char **ret_bad) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r, n = 0;

        r = write_new_key(s->new_dir, new_key);
        if (r < 0)
                return r;
        d = opendir(s->dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                r = rotate_dir(s->master_key, new_key, dirfd(d), de->d_name, s->new_dir, ret_bad);
                if (r < 0)
                        return r;
                n += r;
        }
        return n;
}

int secret_store_rotate_key(SecretStore *s, char **ret_bad) {
        _cleanup_sodium_free_ uint8_t *new_key = NULL;
        int r, n;

        *ret_bad = NULL;
        r = secret_store_load_key(s);
        if (r < 0)
                return r;
        if (s->key_from_credential)
                return -EOPNOTSUPP;
        new_key = sodium_malloc(SECRET_MASTER_KEY_SIZE);
        if (!new_key)
                return -ENOMEM;
        randombytes_buf(new_key, SECRET_MASTER_KEY_SIZE);

        /* A leftover of an interrupted rotation is incomplete, or the old store: either way
         * not needed. */
        (void) remove_tree_at(AT_FDCWD, s->new_dir, 2);
        if (mkdir(s->new_dir, 0700) < 0)
                return -errno;
        n = rotate_into(s, new_key, ret_bad);
        if (n >= 0 && renameat2(AT_FDCWD, s->new_dir, AT_FDCWD, s->dir, RENAME_EXCHANGE) < 0)
                n = -errno;
        /* After the exchange secrets.new holds the old store; before it, the unfinished new one. */
        (void) remove_tree_at(AT_FDCWD, s->new_dir, 2);
        if (n < 0)
                return n;
        sodium_free(s->master_key);
        (void) sodium_mprotect_readonly(new_key);
        s->master_key = steal_ptr(new_key);
        return n;
}

static int staging_dir(const char *runtime_dir, const char *session_id, char **ret) {
        if (!session_id || !*session_id || strchr(session_id, '/') || session_id[0] == '.')
                return -EINVAL;
        return asprintf(ret, "%s/credentials/%s", runtime_dir, session_id) < 0 ? -ENOMEM : 0;
}

int secret_stage(const char *runtime_dir, const char *session_id, const char *name, const SecretValue *v,
                 char **ret_path) {
        _cleanup_free_ char *base = NULL, *dir = NULL, *path = NULL;
        int r;

        if (!secret_name_is_valid(name))
                return -EINVAL;
        r = staging_dir(runtime_dir, session_id, &dir);
        if (r < 0)
                return r;
        if (asprintf(&base, "%s/credentials", runtime_dir) < 0 || asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = mkdir_private(base);
        if (r >= 0)
                r = mkdir_private(dir);
        if (r >= 0)
                r = write_file_atomic(path, v->data, v->size, 0600);
        if (r < 0)
                return r;
        *ret_path = steal_ptr(path);
        return 0;
}

int secret_unstage(const char *runtime_dir, const char *session_id) {
        _cleanup_free_ char *dir = NULL;
        int r;

        r = staging_dir(runtime_dir, session_id, &dir);
        if (r < 0)
                return r;
        if (access(dir, F_OK) < 0)
                return errno == ENOENT ? 0 : -errno;
        r = remove_tree_at(AT_FDCWD, dir, 1);
        return r < 0 ? r : 1;
}

int secret_unstage_all(const char *runtime_dir) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ char *base = NULL;
        struct dirent *de;
        int n = 0;

        if (asprintf(&base, "%s/credentials", runtime_dir) < 0)
                return -ENOMEM;
        d = opendir(base);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && remove_tree_at(dirfd(d), de->d_name, 1) >= 0)
                        n++;
        return n;
}
