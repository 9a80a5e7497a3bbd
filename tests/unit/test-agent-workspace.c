/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Path containment of the file tools and the semantics of edit_file, on a real directory:
 * "..", absolute paths, symlinks out of the workspace and /proc magic links are refused; exact
 * edits succeed once and fail clearly on no match or several. */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "file-util.h"
#include "text-edit.h"
#include "tool.h"
#include "workspace.h"

static char root[] = "/tmp/test-agent-workspace-XXXXXX";
static char ws[sizeof root + 8];

static int setup(void **state) {
        if (!mkdtemp(root))
                return -1;
        snprintf(ws, sizeof ws, "%s/ws", root);
        if (mkdir(ws, 0755) < 0)
                return -1;
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

/* The path of name in the workspace, in a static buffer. */
static const char *in_ws(const char *name) {
        static char p[256];

        snprintf(p, sizeof p, "%s/%s", ws, name);
        return p;
}

static void write_at(const char *dir, const char *name, const char *content) {
        char path[256];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static char *read_at(const char *dir, const char *name) {
        _cleanup_close_ int fd = -EBADF;
        char path[256], *s;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        fd = open(path, O_RDONLY|O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(read_fd_full(fd, 1 << 20, &s, NULL), 0);
        return s;
}

static void test_containment(void **state) {
        _cleanup_(workspace_freep) Workspace *w = NULL;
        _cleanup_free_ char *abs_inside = NULL;
        char link_target[256];
        int fd;

        write_at(root, "secret", "outside");
        write_at(ws, "inside", "fine");
        snprintf(link_target, sizeof link_target, "%s/secret", root);
        assert_int_equal(symlink(link_target, in_ws("abs-link")), 0);
        assert_int_equal(symlink("../secret", in_ws("rel-link")), 0);
        assert_int_equal(symlink("inside", in_ws("ok-link")), 0);
        assert_int_equal(symlink("/proc/self/root/etc/passwd", in_ws("magic-link")), 0);

        assert_int_equal(workspace_open(ws, &w), 0);
        fd = workspace_open_file(w, "inside", O_RDONLY, 0);
        assert_true(fd >= 0);
        safe_close(fd);
        fd = workspace_open_file(w, "ok-link", O_RDONLY, 0);
        assert_true(fd >= 0);
        safe_close(fd);
        assert_int_equal(asprintf(&abs_inside, "%s/inside", w->path) > 0, 1);
        fd = workspace_open_file(w, abs_inside, O_RDONLY, 0);
        assert_true(fd >= 0);
        safe_close(fd);

        assert_int_equal(workspace_open_file(w, "../secret", O_RDONLY, 0), -EXDEV);
        assert_int_equal(workspace_open_file(w, "sub/../../secret", O_RDONLY, 0), -ENOENT);
        assert_int_equal(workspace_open_file(w, link_target, O_RDONLY, 0), -EXDEV);
        assert_int_equal(workspace_open_file(w, "/etc/passwd", O_RDONLY, 0), -EXDEV);
        assert_int_equal(workspace_open_file(w, "abs-link", O_RDONLY, 0), -EXDEV);
        assert_int_equal(workspace_open_file(w, "rel-link", O_RDONLY, 0), -EXDEV);
        assert_int_equal(workspace_open_file(w, "rel-link", O_WRONLY|O_CREAT|O_TRUNC, 0644), -EXDEV);
        assert_int_equal(workspace_open_file(w, "magic-link", O_RDONLY, 0), -EXDEV);
        assert_string_equal(workspace_relative(w, "/workspace/a/b"), "a/b");
        assert_string_equal(workspace_relative(w, ""), ".");
        assert_null(workspace_relative(w, "/workspacex/a"));
}

/* The user-space walk used where seccomp refuses openat2() must refuse the same paths. */
static void test_containment_emulated(void **state) {
        _cleanup_close_ int dir = open(ws, O_PATH|O_DIRECTORY|O_CLOEXEC);
        static const char *const refused[] = { "../secret", "abs-link", "rel-link", "magic-link", "/etc/passwd",
                                               "sub/../../secret", "ok-link/../../secret" };
        int fd;

        assert_true(dir >= 0);
        assert_int_equal(symlink("../ws/inside", in_ws("loop-in")), 0);
        assert_int_equal(symlink("self", in_ws("self")), 0);
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                fd = openat_beneath_emulated(dir, refused[i], O_RDONLY, 0);
                if (fd >= 0 || (fd != -EXDEV && fd != -ENOENT && fd != -ENOTDIR))
                        fail_msg("%s: %i", refused[i], fd);
        }
        assert_int_equal(openat_beneath_emulated(dir, "rel-link", O_WRONLY|O_CREAT|O_TRUNC, 0644), -EXDEV);
        assert_int_equal(openat_beneath_emulated(dir, "loop-in", O_RDONLY, 0), -EXDEV);
        assert_int_equal(openat_beneath_emulated(dir, "self", O_RDONLY, 0), -ELOOP);
        fd = openat_beneath_emulated(dir, "ok-link", O_RDONLY, 0);
        assert_true(fd >= 0);
        safe_close(fd);
        fd = openat_beneath_emulated(dir, "./inside", O_RDONLY, 0);
        assert_true(fd >= 0);
        safe_close(fd);
        fd = openat_beneath_emulated(dir, "created.txt", O_WRONLY|O_CREAT|O_EXCL, 0644);
        assert_true(fd >= 0);
        safe_close(fd);
        fd = openat_beneath_emulated(dir, ".", O_RDONLY|O_DIRECTORY, 0);
        assert_true(fd >= 0);
        safe_close(fd);
}

static void test_mkdir_parents(void **state) {
        _cleanup_(workspace_freep) Workspace *w = NULL;
        char p[256];
        struct stat st;

        assert_int_equal(workspace_open(ws, &w), 0);
        assert_int_equal(workspace_mkdir_parents(w, "a/b/c/file.txt"), 0);
        snprintf(p, sizeof p, "%s/a/b/c", ws);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        snprintf(p, sizeof p, "%s/out-dir", ws);
        assert_int_equal(symlink(root, p), 0);
        assert_int_equal(workspace_mkdir_parents(w, "out-dir/x/file"), -EXDEV);
        snprintf(p, sizeof p, "%s/x", root);
        assert_int_equal(access(p, F_OK), -1);
}

static void test_text_replace(void **state) {
        _cleanup_free_ char *out = NULL;
        size_t n;

        assert_int_equal(text_replace("a b a", 5, "b", "xyz", false, &out, &n), 1);
        assert_string_equal(out, "a xyz a");
        assert_int_equal(n, 7);
        assert_int_equal(text_replace("a b a", 5, "a", "c", false, &out, &n), -ENOTUNIQ);
        assert_int_equal(n, 2);
        assert_int_equal(text_replace("a b a", 5, "q", "c", false, &out, &n), -ENOENT);
        assert_int_equal(text_replace("a b a", 5, "", "c", false, &out, &n), -EINVAL);
        free(out);
        assert_int_equal(text_replace("aaaa", 4, "aa", "b", true, &out, &n), 2);
        assert_string_equal(out, "bb");
}

static void run_tool(Workspace *w, const char *name, const char *args, ToolResult *res) {
        ToolContext ctx = { .workspace = w, .output_cap = 4096, .command_timeout_usec = 5000000,
                            .command_timeout_max_usec = 5000000 };
        ToolCall call = { .id = (char *) "c", .name = (char *) name, .arguments = (char *) args };

        assert_int_equal(tool_run_call(&ctx, &call, res), 0);
}

static void test_edit_file_tool(void **state) {
        _cleanup_(workspace_freep) Workspace *w = NULL;
        _cleanup_free_ char *s = NULL;
        ToolResult res = {};

        write_at(ws, "code.c", "int f(void) {\n        return 1;\n}\nint g(void) {\n        return 1;\n}\n");
        assert_int_equal(workspace_open(ws, &w), 0);

        run_tool(w, "edit_file", "{\"path\":\"code.c\",\"old_text\":\"return 1;\",\"new_text\":\"return 2;\"}", &res);
        assert_int_equal(res.exit_status, 1);
        assert_non_null(strstr(res.output, "occurs 2 times"));
        tool_result_done(&res);

        run_tool(w, "edit_file", "{\"path\":\"code.c\",\"old_text\":\"return 3;\",\"new_text\":\"x\"}", &res);
        assert_int_equal(res.exit_status, 1);
        assert_non_null(strstr(res.output, "not found"));
        tool_result_done(&res);

        run_tool(w, "edit_file", "{\"path\":\"code.c\",\"old_string\":\"g(void) {\\n        return 1;\","
                                 "\"new_string\":\"g(void) {\\n        return 2;\"}", &res);
        assert_int_equal(res.exit_status, 0);
        tool_result_done(&res);
        s = read_at(ws, "code.c");
        assert_string_equal(s, "int f(void) {\n        return 1;\n}\nint g(void) {\n        return 2;\n}\n");

        run_tool(w, "edit_file", "{\"path\":\"../secret\",\"old_text\":\"out\",\"new_text\":\"in\"}", &res);
        assert_int_equal(res.exit_status, 1);
        assert_non_null(strstr(res.output, "outside the workspace"));
        tool_result_done(&res);

        run_tool(w, "write_file", "{\"path\":\"new/dir/f.txt\",\"content\":\"hello\"}", &res);
        assert_int_equal(res.exit_status, 0);
        tool_result_done(&res);
        run_tool(w, "read_file", "{\"path\":\"new/dir/f.txt\"}", &res);
        assert_string_equal(res.output, "hello");
        tool_result_done(&res);
        run_tool(w, "read_file", "{\"path\":\"code.c\",\"start_line\":\"2\",\"end_line\":2}", &res);
        assert_string_equal(res.output, "[lines 2-2 of 6 in code.c]\n        return 1;\n");
        tool_result_done(&res);
        run_tool(w, "no_such_tool", "{}", &res);
        assert_int_equal(res.exit_status, 1);
        tool_result_done(&res);
        run_tool(w, "read_file", "not json", &res);
        assert_non_null(strstr(res.output, "not a JSON object"));
        tool_result_done(&res);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_containment),
                cmocka_unit_test(test_containment_emulated),
                cmocka_unit_test(test_mkdir_parents),
                cmocka_unit_test(test_text_replace),
                cmocka_unit_test(test_edit_file_tool),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
