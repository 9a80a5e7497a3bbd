/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Replays fuzzer inputs without libFuzzer, so normal builds and sanitizer CI runs keep every
 * corpus input tested. Each argument is an input file or a directory whose files are all
 * replayed, in name order, through LLVMFuzzerTestOneInput(). A crash or sanitizer report ends
 * the process; an unreadable input or an empty corpus is a failure too, so that a mistyped path
 * cannot pass as a clean run. */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_input(const char *path, uint8_t **ret, size_t *ret_size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        size_t size = 0, allocated = 0;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        for (;;) {
                size_t k;

                if (size == allocated) {
                        uint8_t *b = realloc(buf, allocated = allocated * 2 + 4096);

                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                k = fread(buf + size, 1, allocated - size, f);
                size += k;
                if (k == 0)
                        break;
        }
        if (ferror(f))
                return -EIO;
        *ret = steal_ptr(buf);
        *ret_size = size;
        return 0;
}

static int replay_file(const char *path) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t size = 0;
        int r;

        r = read_input(path, &data, &size);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        printf("%s: %zu bytes\n", path, size);
        fflush(stdout);         /* so the last line names the input if it crashes */
        (void) LLVMFuzzerTestOneInput(data, size);
        return 1;
}

static int skip_hidden(const struct dirent *de) {
        return de->d_name[0] != '.';
}

/* Returns the number of inputs replayed, or a negative errno. */
static int replay_dir(const char *dir) {
        struct dirent **entries = NULL;
        int n, r = 0, count = 0;

        n = scandir(dir, &entries, skip_hidden, alphasort);
        if (n < 0) {
                fprintf(stderr, "%s: %m\n", dir);
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;

                if (r >= 0 && asprintf(&path, "%s/%s", dir, entries[i]->d_name) < 0)
                        r = -ENOMEM;
                if (r >= 0)
                        r = replay_file(path);
                if (r > 0)
                        count++;
                free(entries[i]);
        }
        free(entries);
        return r < 0 ? r : count;
}

int main(int argc, char *argv[]) {
        int total = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %m\n", argv[i]);
                        return EXIT_FAILURE;
                }
                r = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
                if (r < 0)
                        return EXIT_FAILURE;
                total += r;
        }
        if (total == 0) {
                fprintf(stderr, "No inputs to replay.\n");
                return EXIT_FAILURE;
        }
        printf("Replayed %i inputs.\n", total);
        return EXIT_SUCCESS;
}
