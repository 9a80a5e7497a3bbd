/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* read_file, write_file and edit_file. Every path goes through workspace_open_file(), so these
 * tools can only touch what lies beneath the workspace, symlinks included. */

#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "file-util.h"
#include "output-cap.h"
#include "text-edit.h"
#include "tool.h"

/* Files above this size are not read whole: the model should use grep or a line range. */
#define FILE_READ_MAX (8U * 1024U * 1024U)

static const char *path_error(int r) {
        return r == -EXDEV ? "the path leads outside the workspace" :
               r == -ELOOP ? "the path leads outside the workspace or through a symlink loop" :
               strerror(-r);
}

static int open_for_read(ToolContext *ctx, const char *path, ToolResult *ret, char **ret_buf, size_t *ret_n) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        fd = workspace_open_file(ctx->workspace, path, O_RDONLY|O_NOCTTY|O_NONBLOCK, 0);
        if (fd < 0)
                return tool_result_errorf(ret, "cannot open %s: %s", path, path_error(fd)), 0;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return tool_result_errorf(ret, "%s is not a regular file", path), 0;
        r = read_fd_full(fd, FILE_READ_MAX, ret_buf, ret_n);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return tool_result_errorf(ret, "cannot read %s: %s", path,
                                          r == -EFBIG ? "file too large, read a line range or grep it" : strerror(-r)), 0;
        return 1;
}

/* Finds the start of line number l (1-based) in buf; returns the end of buf if there are fewer. */
static const char *line_start(const char *buf, const char *end, uint64_t l) {
        const char *p = buf;

        for (uint64_t i = 1; i < l && p < end; i++) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));

                p = nl ? nl + 1 : end;
        }
        return p;
}

static uint64_t count_lines(const char *buf, size_t n) {
        uint64_t lines = 0;

        for (const char *p = buf; (p = memchr(p, '\n', n - (size_t) (p - buf))); p++)
                lines++;
        return lines + (n > 0 && buf[n - 1] != '\n');
}

static int run_read_file(ToolContext *ctx, json_object *args, ToolResult *ret) {
        _cleanup_free_ char *buf = NULL, *capped = NULL, *s = NULL;
        uint64_t first = 1, last = UINT64_MAX, total;
        const char *path, *a, *b;
        size_t n;
        int r;

        if (tool_arg_string(args, "path", &path) < 0)
                return tool_result_errorf(ret, "read_file needs a string argument 'path'");
        if (tool_arg_uint64(args, "start_line", &first) == -EINVAL || tool_arg_uint64(args, "end_line", &last) == -EINVAL)
                return tool_result_errorf(ret, "start_line and end_line must be line numbers");
        r = open_for_read(ctx, path, ret, &buf, &n);
        if (r <= 0)
                return r;
        if (buffer_is_binary(buf, n))
                return tool_result_errorf(ret, "%s is a binary file of %zu bytes", path, n);

        total = count_lines(buf, n);
        first = MAX(first, (uint64_t) 1);
        a = line_start(buf, buf + n, first);
        b = last == UINT64_MAX ? buf + n : line_start(a, buf + n, last - MIN(last, first) + 2);
        if (last < first || a == buf + n)
                return total == 0 ? tool_result_printf(ret, "(%s is empty)", path) :
                       tool_result_errorf(ret, "%s has %" PRIu64 " lines; lines %" PRIu64 "-%" PRIu64 " do not exist",
                                          path, total, first, last == UINT64_MAX ? total : last);

        s = strndup(a, (size_t) (b - a));
        if (!s || output_cap_string(s, ctx->output_cap, &capped) < 0)
                return -ENOMEM;
        if (first == 1 && b == buf + n)
                return tool_result_take(ret, steal_ptr(capped));
        return tool_result_printf(ret, "[lines %" PRIu64 "-%" PRIu64 " of %" PRIu64 " in %s]\n%s", first,
                                  MIN(last, total), total, path, capped);
}

/* Opens path for writing, creating parent directories; reports failures as results. */
static int open_for_write(ToolContext *ctx, const char *path, int flags, ToolResult *ret) {
        int fd, r;

        r = workspace_mkdir_parents(ctx->workspace, path);
        if (r < 0 && r != -EEXIST)
                return tool_result_errorf(ret, "cannot create the directories of %s: %s", path, path_error(r)), -1;
        fd = workspace_open_file(ctx->workspace, path, flags|O_WRONLY|O_NOCTTY, 0644);
        if (fd < 0)
                return tool_result_errorf(ret, "cannot open %s for writing: %s", path, path_error(fd)), -1;
        return fd;
}

static int run_write_file(ToolContext *ctx, json_object *args, ToolResult *ret) {
        _cleanup_close_ int fd = -EBADF;
        const char *path, *content;
        int r;

        if (tool_arg_string(args, "path", &path) < 0 || tool_arg_string(args, "content", &content) < 0)
                return tool_result_errorf(ret, "write_file needs string arguments 'path' and 'content'");
        fd = open_for_write(ctx, path, O_CREAT|O_TRUNC, ret);
        if (fd < 0)
                return ret->output ? 0 : -ENOMEM;
        r = write_fd_full(fd, content, strlen(content));
        if (r < 0)
                return tool_result_errorf(ret, "cannot write %s: %s", path, strerror(-r));
        return tool_result_printf(ret, "wrote %zu bytes to %s", strlen(content), path);
}

static int get_edit_args(json_object *args, const char **path, const char **old_text, const char **new_text,
                         bool *all) {
        /* old_string/new_string are what several agents' models were trained on. */
        if (tool_arg_string(args, "path", path) < 0 ||
            (tool_arg_string(args, "old_text", old_text) < 0 && tool_arg_string(args, "old_string", old_text) < 0) ||
            (tool_arg_string(args, "new_text", new_text) < 0 && tool_arg_string(args, "new_string", new_text) < 0))
                return -EINVAL;
        *all = false;
        (void) tool_arg_bool(args, "replace_all", all);
        return 0;
}

static int run_edit_file(ToolContext *ctx, json_object *args, ToolResult *ret) {
        _cleanup_free_ char *buf = NULL, *out = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *path, *old_text, *new_text;
        size_t n, n_out = 0;
        int r, count;
        bool all;

        if (get_edit_args(args, &path, &old_text, &new_text, &all) < 0)
                return tool_result_errorf(ret, "edit_file needs string arguments 'path', 'old_text' and 'new_text'");
        r = open_for_read(ctx, path, ret, &buf, &n);
        if (r <= 0)
                return r;

        r = count = text_replace(buf, n, old_text, new_text, all, &out, &n_out);
        if (r == -ENOMEM)
                return r;
        if (r == -EINVAL)
                return tool_result_errorf(ret, "old_text is empty; use write_file to create a file");
        if (r == -ENOENT)
                return tool_result_errorf(ret, "old_text was not found in %s; read the file and copy the text exactly, "
                                          "whitespace included", path);
        if (r == -ENOTUNIQ)
                return tool_result_errorf(ret, "old_text occurs %zu times in %s; include more surrounding lines to make "
                                          "it unique, or set replace_all", n_out, path);

        fd = open_for_write(ctx, path, O_TRUNC, ret);
        if (fd < 0)
                return ret->output ? 0 : -ENOMEM;
        if ((r = write_fd_full(fd, out, n_out)) < 0)
                return tool_result_errorf(ret, "cannot write %s: %s", path, strerror(-r));
        return tool_result_printf(ret, "replaced %i occurrence%s in %s", count, count == 1 ? "" : "s", path);
}

const ToolDefinition tool_read_file = {
        .name = "read_file",
        .description = "Read a text file in the workspace, whole or a range of lines (1-based, inclusive). "
                       "Long files are shortened to their start and end; read them in ranges.",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"path\":{\"type\":\"string\",\"description\":\"Path relative to the workspace.\"},"
                      "\"start_line\":{\"type\":\"integer\",\"description\":\"First line to read (optional).\"},"
                      "\"end_line\":{\"type\":\"integer\",\"description\":\"Last line to read (optional).\"}"
                      "},\"required\":[\"path\"]}",
        .run = run_read_file,
        .summary_arg = "path",
};

const ToolDefinition tool_write_file = {
        .name = "write_file",
        .description = "Create or overwrite a file in the workspace with the given content. Missing parent "
                       "directories are created.",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"path\":{\"type\":\"string\",\"description\":\"Path relative to the workspace.\"},"
                      "\"content\":{\"type\":\"string\",\"description\":\"The complete new content.\"}"
                      "},\"required\":[\"path\",\"content\"]}",
        .run = run_write_file,
        .summary_arg = "path",
};

const ToolDefinition tool_edit_file = {
        .name = "edit_file",
        .description = "Replace an exact piece of text in a file. old_text must match the file byte for byte, "
                       "whitespace included, and occur exactly once unless replace_all is true.",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"path\":{\"type\":\"string\",\"description\":\"Path relative to the workspace.\"},"
                      "\"old_text\":{\"type\":\"string\",\"description\":\"The text to replace.\"},"
                      "\"new_text\":{\"type\":\"string\",\"description\":\"The replacement.\"},"
                      "\"replace_all\":{\"type\":\"boolean\",\"description\":\"Replace every occurrence.\"}"
                      "},\"required\":[\"path\",\"old_text\",\"new_text\"]}",
        .run = run_edit_file,
        .summary_arg = "path",
};
