/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Scratch directory trees for tests that read files: make one, fill it, remove it. Include after
 * <cmocka.h>. */

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "macro.h"

static inline int test_files_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static inline void rm_rf(const char *path) {
        assert_int_equal(nftw(path, test_files_remove_entry, 16, FTW_DEPTH|FTW_PHYS), 0);
}

static inline char *root_path(const char *root, const char *rel) {
        char *path = NULL;

        assert_true(asprintf(&path, "%s/%s", root, rel) > 0);
        return path;
}

/* Writes root/rel with content, creating the directories above it. */
static inline void write_file(const char *root, const char *rel, const char *content) {
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        assert_true(asprintf(&path, "%s/%s", root, rel) > 0);
        for (char *slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
                *slash = '/';
        }
        f = fopen(path, "we");
        assert_non_null(f);
        assert_true(fputs(content, f) >= 0);
}

/* A cmocka setup/teardown pair that gives each test a fresh directory in *state. */
static inline int setup_root(void **state) {
        char *root = strdup("/tmp/openmono-test-XXXXXX");

        if (!root || !mkdtemp(root))
                return -1;
        *state = root;
        return 0;
}

static inline int teardown_root(void **state) {
        rm_rf(*state);
        free(*state);
        return 0;
}
