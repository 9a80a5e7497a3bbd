/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The secret store: values survive a round trip, a changed, cut, swapped or renamed file fails
 * to open with -EBADMSG while the others keep working, concurrent writers leave one intact
 * value, and key rotation re-encrypts everything or nothing. */

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "fs-util.h"
#include "secret-store.h"

static char state_dir[] = "/tmp/test-secret-store-XXXXXX";

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup(void **state) {
        assert_non_null(mkdtemp(state_dir));
        unsetenv("CREDENTIALS_DIRECTORY");
        return 0;
}

static int teardown(void **state) {
        (void) nftw(state_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        strcpy(state_dir, "/tmp/test-secret-store-XXXXXX");
        return 0;
}

static char *path_of(const char *rel) {
        char *p;

        assert_true(asprintf(&p, "%s/secrets/%s", state_dir, rel) > 0);
        return p;
}

static void assert_value(SecretStore *s, uid_t owner, const char *name, const char *expected) {
        _cleanup_(secret_value_freep) SecretValue *v = NULL;

        assert_int_equal(secret_store_get(s, owner, name, &v), 0);
        assert_int_equal(v->size, strlen(expected));
        assert_memory_equal(v->data, expected, v->size);
}

static void test_names(void **state) {
        assert_true(secret_name_is_valid("GIT_TOKEN"));
        assert_true(secret_name_is_valid("a.b-c_9"));
        assert_false(secret_name_is_valid(""));
        assert_false(secret_name_is_valid("."));
        assert_false(secret_name_is_valid(".."));
        assert_false(secret_name_is_valid(".hidden"));
        assert_false(secret_name_is_valid("a/b"));
        assert_false(secret_name_is_valid("a:b"));
        assert_false(secret_name_is_valid("x.#tmp"));
        assert_true(secret_name_is_valid("0123456789012345678901234567890123456789012345678901234567890123"));
        assert_false(secret_name_is_valid("01234567890123456789012345678901234567890123456789012345678901234"));
}

static void test_round_trip(void **state) {
        _cleanup_(secret_store_freep) SecretStore *s = NULL;
        _cleanup_(secret_value_freep) SecretValue *v = NULL;
        _cleanup_free_ SecretInfo *infos = NULL;
        _cleanup_free_ char *key = path_of("master.key"), *file = path_of("1000/GIT_TOKEN");
        struct stat st;
        size_t n;

        assert_int_equal(secret_store_new(state_dir, &s), 0);
        assert_int_equal(secret_store_get(s, 1000, "GIT_TOKEN", &v), -ENOENT);
        assert_int_equal(secret_store_set(s, 1000, "GIT_TOKEN", "ghp_secret", 10), 0);
        assert_int_equal(secret_store_set(s, 1000, "EMPTY", "", 0), 0);
        assert_value(s, 1000, "GIT_TOKEN", "ghp_secret");
        assert_value(s, 1000, "EMPTY", "");
        assert_int_equal(secret_store_set(s, 1000, "GIT_TOKEN", "second", 6), 0);
        assert_value(s, 1000, "GIT_TOKEN", "second");
        assert_int_equal(secret_store_get(s, 1001, "GIT_TOKEN", &v), -ENOENT);

        /* The key and the files are root's alone, and the value is not in the file. */
        assert_int_equal(stat(key, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(st.st_size, SECRET_MASTER_KEY_SIZE);
        assert_int_equal(stat(file, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);

        assert_int_equal(secret_store_list(s, 1000, &infos, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(infos[0].name, "EMPTY");
        assert_string_equal(infos[1].name, "GIT_TOKEN");
        assert_true(infos[1].modified_usec > 0);

        assert_int_equal(secret_store_set(s, 1000, "../x", "v", 1), -EINVAL);
        assert_int_equal(secret_store_remove(s, 1000, "GIT_TOKEN"), 0);
        assert_int_equal(secret_store_remove(s, 1000, "GIT_TOKEN"), -ENOENT);
        assert_int_equal(secret_store_get(s, 1000, "GIT_TOKEN", &v), -ENOENT);

        /* A second store on the same directory reads the same key. */
        s = secret_store_free(s);
        assert_int_equal(secret_store_new(state_dir, &s), 0);
        assert_value(s, 1000, "EMPTY", "");
}

static void test_defaults(void **state) {
        _cleanup_(secret_store_freep) SecretStore *s = NULL;
        _cleanup_(secret_value_freep) SecretValue *v = NULL;

        assert_int_equal(secret_store_new(state_dir, &s), 0);
        assert_int_equal(secret_store_set(s, SECRET_OWNER_DEFAULT, "PROXY", "site", 4), 0);
        assert_int_equal(secret_store_lookup(s, 1000, "PROXY", &v), 1);
        assert_memory_equal(v->data, "site", 4);
        v = secret_value_free(v);
        assert_int_equal(secret_store_set(s, 1000, "PROXY", "mine", 4), 0);
        assert_int_equal(secret_store_lookup(s, 1000, "PROXY", &v), 0);
        assert_memory_equal(v->data, "mine", 4);
        v = secret_value_free(v);
        assert_int_equal(secret_store_lookup(s, 1001, "PROXY", &v), 1);
        assert_memory_equal(v->data, "site", 4);
        v = secret_value_free(v);
        assert_int_equal(secret_store_lookup(s, 1001, "NONE", &v), -ENOENT);
}

static void copy_file(const char *from, const char *to) {
        char buf[4096];
        int in = open(from, O_RDONLY), out;
        ssize_t n;

        assert_true(in >= 0);
        n = read(in, buf, sizeof buf);
        assert_true(n > 0);
        close(in);
        out = open(to, O_WRONLY|O_CREAT|O_TRUNC, 0600);
        assert_true(out >= 0);
        assert_int_equal(write(out, buf, (size_t) n), n);
        close(out);
}

static void test_tamper(void **state) {
        _cleanup_(secret_store_freep) SecretStore *s = NULL;
        _cleanup_(secret_value_freep) SecretValue *v = NULL;
        _cleanup_free_ char *a = path_of("1000/A"), *b = path_of("1000/B"), *c = path_of("1000/C"),
                *other = path_of("1001/A"), *def = path_of("defaults/A"), *renamed = path_of("1000/RENAMED");
        struct stat st;
        char byte;
        int fd;

        assert_int_equal(secret_store_new(state_dir, &s), 0);
        assert_int_equal(secret_store_set(s, 1000, "A", "alpha", 5), 0);
        assert_int_equal(secret_store_set(s, 1000, "B", "bravo", 5), 0);
        assert_int_equal(secret_store_set(s, 1000, "C", "charlie", 7), 0);
        assert_int_equal(secret_store_set(s, 1001, "OWN", "x", 1), 0);
        assert_int_equal(secret_store_set(s, SECRET_OWNER_DEFAULT, "D", "y", 1), 0);

        /* A file of one user, copied to another user or to the defaults, does not open. */
        copy_file(a, other);
        assert_int_equal(secret_store_get(s, 1001, "A", &v), -EBADMSG);
        copy_file(a, def);
        assert_int_equal(secret_store_get(s, SECRET_OWNER_DEFAULT, "A", &v), -EBADMSG);
        /* Nor under another name. */
        copy_file(a, renamed);
        assert_int_equal(secret_store_get(s, 1000, "RENAMED", &v), -EBADMSG);

        /* One flipped bit in the ciphertext. */
        fd = open(b, O_RDWR);
        assert_true(fd >= 0);
        assert_int_equal(pread(fd, &byte, 1, 40), 1);
        byte ^= 1;
        assert_int_equal(pwrite(fd, &byte, 1, 40), 1);
        close(fd);
        assert_int_equal(secret_store_get(s, 1000, "B", &v), -EBADMSG);

        /* Cut short, and emptied. */
        assert_int_equal(stat(c, &st), 0);
        assert_int_equal(truncate(c, st.st_size - 1), 0);
        assert_int_equal(secret_store_get(s, 1000, "C", &v), -EBADMSG);
        assert_int_equal(truncate(c, 0), 0);
        assert_int_equal(secret_store_get(s, 1000, "C", &v), -EBADMSG);

        /* The others keep working. */
        assert_value(s, 1000, "A", "alpha");
        assert_value(s, 1001, "OWN", "x");
        assert_value(s, SECRET_OWNER_DEFAULT, "D", "y");
}

static void test_record_bounds(void **state) {
        _cleanup_(secret_value_freep) SecretValue *v = NULL;
        _cleanup_free_ uint8_t *rec = NULL;
        uint8_t key[SECRET_MASTER_KEY_SIZE] = { 1 }, other[SECRET_MASTER_KEY_SIZE] = { 2 };
        size_t n;

        assert_int_equal(secret_record_seal(key, 5, "N", "value", 5, &rec, &n), 0);
        assert_int_equal(secret_record_open(key, 5, "N", rec, n, &v), 0);
        assert_memory_equal(v->data, "value", 5);
        v = secret_value_free(v);
        assert_int_equal(secret_record_open(other, 5, "N", rec, n, &v), -EBADMSG);
        assert_int_equal(secret_record_open(key, 6, "N", rec, n, &v), -EBADMSG);
        assert_int_equal(secret_record_open(key, 5, "N", rec, 3, &v), -EBADMSG);
        assert_int_equal(secret_record_open(key, 5, "N", "", 0, &v), -EBADMSG);
        rec[0] = 'X';
        assert_int_equal(secret_record_open(key, 5, "N", rec, n, &v), -EBADMSG);
        assert_null(v);
}

static void test_concurrent_sets(void **state) {
        _cleanup_(secret_store_freep) SecretStore *s = NULL;
        _cleanup_(secret_value_freep) SecretValue *v = NULL;
        _cleanup_free_ SecretInfo *infos = NULL;
        size_t n;
        enum { WRITERS = 8, ROUNDS = 40 };

        /* Each writer makes its own store, so the first ones also race to create the key. */
        for (int i = 0; i < WRITERS; i++) {
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        SecretStore *c = NULL;
                        char value[64];
                        int r = secret_store_new(state_dir, &c);

                        snprintf(value, sizeof value, "value-of-writer-%i-%s", i, "padding-padding");
                        for (int k = 0; r >= 0 && k < ROUNDS; k++)
                                r = secret_store_set(c, 1000, "RACE", value, strlen(value));
                        secret_store_free(c);
                        _exit(r < 0 ? 1 : 0);
                }
        }
        for (int i = 0; i < WRITERS; i++) {
                int status;
                assert_true(wait(&status) > 0);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        assert_int_equal(secret_store_new(state_dir, &s), 0);
        assert_int_equal(secret_store_get(s, 1000, "RACE", &v), 0);
        assert_non_null(strstr((char *) v->data, "value-of-writer-"));
        assert_int_equal(v->size, strlen("value-of-writer-0-padding-padding"));
        /* No temporary file is left or listed. */
        assert_int_equal(secret_store_list(s, 1000, &infos, &n), 0);
        assert_int_equal(n, 1);
}

static void read_key(uint8_t key[static SECRET_MASTER_KEY_SIZE]) {
        _cleanup_free_ char *p = path_of("master.key");
        int fd = open(p, O_RDONLY);

        assert_true(fd >= 0);
        assert_int_equal(read(fd, key, SECRET_MASTER_KEY_SIZE), SECRET_MASTER_KEY_SIZE);
        close(fd);
}

static void test_rotate(void **state) {
        _cleanup_(secret_store_freep) SecretStore *s = NULL, *fresh = NULL;
        _cleanup_(secret_value_freep) SecretValue *v = NULL;
        _cleanup_free_ char *bad = NULL, *file = path_of("1000/A"), *broken = path_of("1001/BROKEN"),
                *leftover = NULL;
        uint8_t before[SECRET_MASTER_KEY_SIZE], after[SECRET_MASTER_KEY_SIZE], buf[512];
        ssize_t n;
        int fd;

        assert_int_equal(secret_store_new(state_dir, &s), 0);
        assert_int_equal(secret_store_set(s, 1000, "A", "alpha", 5), 0);
        assert_int_equal(secret_store_set(s, 1000, "B", "bravo", 5), 0);
        assert_int_equal(secret_store_set(s, 1001, "A", "other", 5), 0);
        assert_int_equal(secret_store_set(s, SECRET_OWNER_DEFAULT, "D", "dflt", 4), 0);
        read_key(before);

        assert_int_equal(secret_store_rotate_key(s, &bad), 4);
        assert_null(bad);
        read_key(after);
        assert_memory_not_equal(before, after, SECRET_MASTER_KEY_SIZE);
        assert_value(s, 1000, "A", "alpha");
        assert_value(s, 1000, "B", "bravo");
        assert_value(s, 1001, "A", "other");
        assert_value(s, SECRET_OWNER_DEFAULT, "D", "dflt");
        /* A new store reads the new key from disk; the old key opens nothing any more. */
        assert_int_equal(secret_store_new(state_dir, &fresh), 0);
        assert_value(fresh, 1000, "A", "alpha");
        fd = open(file, O_RDONLY);
        assert_true(fd >= 0);
        n = read(fd, buf, sizeof buf);
        close(fd);
        assert_true(n > 0);
        assert_int_equal(secret_record_open(before, 1000, "A", buf, (size_t) n, &v), -EBADMSG);
        assert_true(asprintf(&leftover, "%s/secrets.new", state_dir) > 0);
        assert_int_equal(access(leftover, F_OK), -1);

        /* A secret that does not decrypt stops the rotation before anything changes. */
        fd = open(broken, O_WRONLY|O_CREAT|O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "OMS1garbagegarbagegarbagegarbagegarbagegarbage", 46), 46);
        close(fd);
        assert_int_equal(secret_store_rotate_key(s, &bad), -EBADMSG);
        assert_string_equal(bad, "1001/BROKEN");
        read_key(before);
        assert_memory_equal(before, after, SECRET_MASTER_KEY_SIZE);
        assert_value(s, 1000, "A", "alpha");
        assert_value(fresh, 1001, "A", "other");
        assert_int_equal(access(leftover, F_OK), -1);
}

static void test_credential_key(void **state) {
        _cleanup_(secret_store_freep) SecretStore *s = NULL, *again = NULL;
        _cleanup_free_ char *creds = NULL, *keyfile = NULL, *bad = NULL, *master = path_of("master.key");
        int fd;

        assert_true(asprintf(&creds, "%s/creds", state_dir) > 0);
        assert_int_equal(mkdir(creds, 0700), 0);
        assert_true(asprintf(&keyfile, "%s/" SECRET_MASTER_KEY_CREDENTIAL, creds) > 0);
        fd = open(keyfile, O_WRONLY|O_CREAT|O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "an administrator's key of any length\n", 37), 37);
        close(fd);
        setenv("CREDENTIALS_DIRECTORY", creds, 1);

        assert_int_equal(secret_store_new(state_dir, &s), 0);
        assert_int_equal(secret_store_key_from_credential(s), 1);
        assert_int_equal(secret_store_set(s, 1000, "A", "alpha", 5), 0);
        /* No key file is made when the credential provides the key. */
        assert_int_equal(access(master, F_OK), -1);
        assert_int_equal(secret_store_rotate_key(s, &bad), -EOPNOTSUPP);
        assert_int_equal(secret_store_new(state_dir, &again), 0);
        assert_value(again, 1000, "A", "alpha");
        unsetenv("CREDENTIALS_DIRECTORY");
}

static void test_staging(void **state) {
        _cleanup_(secret_store_freep) SecretStore *s = NULL;
        _cleanup_(secret_value_freep) SecretValue *v = NULL;
        _cleanup_free_ char *path = NULL, *path2 = NULL, *dir = NULL;
        struct stat st;

        assert_int_equal(secret_store_new(state_dir, &s), 0);
        assert_int_equal(secret_store_set(s, 1000, "GIT_TOKEN", "tok", 3), 0);
        assert_int_equal(secret_store_get(s, 1000, "GIT_TOKEN", &v), 0);
        assert_int_equal(secret_stage(state_dir, "abc123", "GIT_TOKEN", v, &path), 0);
        assert_int_equal(secret_stage(state_dir, "def456", "GIT_TOKEN", v, &path2), 0);
        assert_int_equal(secret_stage(state_dir, "../x", "GIT_TOKEN", v, &dir), -EINVAL);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(st.st_size, 3);
        assert_true(asprintf(&dir, "%s/credentials/abc123", state_dir) > 0);
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);

        assert_int_equal(secret_unstage(state_dir, "abc123"), 1);
        assert_int_equal(access(dir, F_OK), -1);
        assert_int_equal(secret_unstage(state_dir, "abc123"), 0);
        assert_int_equal(access(path2, F_OK), 0);
        assert_int_equal(secret_unstage_all(state_dir), 1);
        assert_int_equal(access(path2, F_OK), -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
                cmocka_unit_test_setup_teardown(test_tamper, setup, teardown),
                cmocka_unit_test(test_record_bounds),
                cmocka_unit_test_setup_teardown(test_concurrent_sets, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
                cmocka_unit_test_setup_teardown(test_credential_key, setup, teardown),
                cmocka_unit_test_setup_teardown(test_staging, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
