/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* list_files, glob and grep. All three walk the workspace with walk_tree(), which never
 * follows symlinks; grep hands the search to ripgrep when it is installed, since it is much
 * faster and knows .gitignore, and falls back to POSIX regular expressions otherwise. */

#include <fcntl.h>
#include <regex.h>
#include <sys/stat.h>

#include "file-util.h"
#include "glob-match.h"
#include "output-cap.h"
#include "spawn.h"
#include "tool.h"
#include "walk.h"

#define LIST_ENTRIES_MAX 2000U
#define GREP_MATCHES_MAX 500U
#define GREP_FILE_MAX (4U * 1024U * 1024U)
#define GREP_LINE_MAX 400

typedef struct Listing {
        OutputCap cap;
        size_t n;
        size_t max;
        const char *pattern;    /* for glob */
        regex_t *regex;         /* for grep */
        const char *file_glob;  /* for grep */
        const char *prefix;     /* the start directory relative to the workspace, "" for the top */
} Listing;

static int listing_init(Listing *l, ToolContext *ctx, size_t max) {
        *l = (Listing) { .max = max };
        return output_cap_init(&l->cap, ctx->output_cap);
}

static int listing_add(Listing *l, const char *line, size_t n) {
        if (l->n >= l->max)
                return -ENOSPC;
        l->n++;
        output_cap_add(&l->cap, line, n);
        output_cap_add(&l->cap, "\n", 1);
        return 0;
}

static bool fd_is_directory(int fd) {
        struct stat st;

        return fstat(fd, &st) >= 0 && S_ISDIR(st.st_mode);
}

/* Opens the directory a search starts in (beneath the workspace); grep may also start at a
 * regular file. */
static int open_start_full(ToolContext *ctx, json_object *args, bool dir_only, const char **ret_path,
                           ToolResult *ret) {
        const char *path = ".";
        int fd;

        (void) tool_arg_string(args, "path", &path);
        fd = workspace_open_file(ctx->workspace, path, O_RDONLY|O_NONBLOCK|(dir_only ? O_DIRECTORY : 0), 0);
        if (fd < 0)
                return tool_result_errorf(ret, "cannot open directory %s: %s", path,
                                          fd == -EXDEV ? "the path leads outside the workspace" : strerror(-fd)), -1;
        *ret_path = workspace_relative(ctx->workspace, path);
        return fd;
}

static int open_start(ToolContext *ctx, json_object *args, const char **ret_path, ToolResult *ret) {
        return open_start_full(ctx, args, true, ret_path, ret);
}

/* Finishes a listing into the result, saying when it was cut off. */
static int listing_finish(Listing *l, int walk_result, const char *what, ToolResult *ret) {
        _cleanup_free_ char *s = NULL;
        char *t;

        if (walk_result < 0 && walk_result != -ENOSPC)
                return walk_result;
        if (output_cap_finish(&l->cap, &s) < 0)
                return -ENOMEM;
        if (l->n == 0)
                return tool_result_printf(ret, "no %s", what);
        if (walk_result == -ENOSPC && asprintf(&t, "%s[stopped after %zu %s]", s, l->n, what) >= 0)
                return tool_result_take(ret, t);
        return tool_result_take(ret, steal_ptr(s));
}

static int on_list(int parent_fd, const char *name, const char *path, bool is_dir, void *userdata) {
        _cleanup_free_ char *line = NULL;
        int n;

        n = asprintf(&line, "%s%s", path, is_dir ? "/" : "");
        return n < 0 ? -ENOMEM : listing_add(userdata, line, (size_t) n);
}

static int run_list_files(ToolContext *ctx, json_object *args, ToolResult *ret) {
        _cleanup_close_ int fd = -EBADF;
        const char *path;
        bool recursive = false;
        Listing l;
        int r;

        fd = open_start(ctx, args, &path, ret);
        if (fd < 0)
                return ret->output ? 0 : -ENOMEM;
        (void) tool_arg_bool(args, "recursive", &recursive);
        if (listing_init(&l, ctx, LIST_ENTRIES_MAX) < 0)
                return -ENOMEM;
        r = walk_tree(fd, streq(path, ".") ? "" : path, recursive ? 32 : 1, on_list, &l);
        r = listing_finish(&l, r, "entries", ret);
        output_cap_done(&l.cap);
        return r;
}

static int on_glob(int parent_fd, const char *name, const char *path, bool is_dir, void *userdata) {
        Listing *l = userdata;

        _cleanup_free_ char *line = NULL;
        int n;

        if (is_dir || !glob_match(l->pattern, path))
                return 0;
        n = asprintf(&line, "%s%s%s", l->prefix, *l->prefix ? "/" : "", path);
        return n < 0 ? -ENOMEM : listing_add(l, line, (size_t) n);
}

static int run_glob(ToolContext *ctx, json_object *args, ToolResult *ret) {
        _cleanup_close_ int fd = -EBADF;
        const char *path;
        Listing l;
        int r;

        fd = open_start(ctx, args, &path, ret);
        if (fd < 0)
                return ret->output ? 0 : -ENOMEM;
        if (listing_init(&l, ctx, LIST_ENTRIES_MAX) < 0)
                return -ENOMEM;
        if (tool_arg_string(args, "pattern", &l.pattern) < 0 || isempty(l.pattern))
                r = tool_result_errorf(ret, "glob needs a string argument 'pattern'");
        else {
                /* Patterns are matched against paths relative to the start directory. */
                l.prefix = streq(path, ".") ? "" : path;
                r = walk_tree(fd, "", 32, on_glob, &l);
                r = listing_finish(&l, r, "matching files", ret);
        }
        output_cap_done(&l.cap);
        return r;
}

/* Searches one open file with the built-in matcher. */
static int grep_fd(int fd, const char *path, Listing *l) {
        _cleanup_free_ char *buf = NULL;
        size_t n, line_no = 0;
        char *p, *nl;
        int r;

        if (read_fd_full(fd, GREP_FILE_MAX, &buf, &n) < 0 || buffer_is_binary(buf, n))
                return 0;
        for (p = buf; p < buf + n; p = nl + 1) {
                _cleanup_free_ char *line = NULL;

                nl = memchr(p, '\n', (size_t) (buf + n - p)) ?: buf + n;
                *nl = 0;
                line_no++;
                if (regexec(l->regex, p, 0, NULL, 0) != 0)
                        continue;
                r = asprintf(&line, "%s:%zu:%.*s", path, line_no, GREP_LINE_MAX, p);
                if (r < 0)
                        return -ENOMEM;
                r = listing_add(l, line, (size_t) r);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int grep_file(int parent_fd, const char *name, const char *path, Listing *l) {
        _cleanup_close_ int fd = -EBADF;

        fd = openat(parent_fd, name, O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC);
        return fd < 0 ? 0 : grep_fd(fd, path, l);
}

static int on_grep(int parent_fd, const char *name, const char *path, bool is_dir, void *userdata) {
        Listing *l = userdata;
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

        if (is_dir)
                return 0;
        if (l->file_glob && !glob_match(l->file_glob, strchr(l->file_glob, '/') ? path : base))
                return 0;
        return grep_file(parent_fd, name, path, l);
}

static int grep_builtin(ToolContext *ctx, int fd, const char *path, const char *pattern, bool icase,
                        const char *file_glob, ToolResult *ret) {
        regex_t re;
        Listing l;
        int r;

        r = regcomp(&re, pattern, REG_EXTENDED|REG_NEWLINE|REG_NOSUB|(icase ? REG_ICASE : 0));
        if (r != 0)
                return tool_result_errorf(ret, "invalid regular expression: %s", pattern);
        if (listing_init(&l, ctx, GREP_MATCHES_MAX) < 0) {
                regfree(&re);
                return -ENOMEM;
        }
        l.regex = &re;
        l.file_glob = file_glob;
        if (fd_is_directory(fd))
                r = walk_tree(fd, streq(path, ".") ? "" : path, 32, on_grep, &l);
        else
                r = grep_fd(fd, path, &l);
        r = listing_finish(&l, r, "matches", ret);
        output_cap_done(&l.cap);
        regfree(&re);
        return r;
}

/* Returns true if an executable named name is in $PATH. */
static bool in_path(const char *name) {
        _cleanup_free_ char *copy = NULL;
        const char *path = getenv("PATH");

        copy = strdup(path ?: "/usr/bin:/bin");
        if (!copy)
                return false;
        for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s", dir, name) >= 0 && access(p, X_OK) == 0)
                        return true;
        }
        return false;
}

static int grep_ripgrep(ToolContext *ctx, const char *path, const char *pattern, bool icase,
                        const char *file_glob, ToolResult *ret) {
        _cleanup_(spawn_result_done) SpawnResult res = {};
        char max_count[32];
        const char *argv[16];
        size_t n = 0;
        int r;

        snprintf(max_count, sizeof max_count, "--max-count=%u", GREP_MATCHES_MAX);
        argv[n++] = "rg";
        argv[n++] = "--line-number";
        argv[n++] = "--no-heading";
        argv[n++] = "--color=never";
        argv[n++] = "--max-columns=" XSTRINGIFY(GREP_LINE_MAX);
        argv[n++] = max_count;
        if (icase)
                argv[n++] = "--ignore-case";
        if (file_glob) {
                argv[n++] = "--glob";
                argv[n++] = file_glob;
        }
        argv[n++] = "--regexp";
        argv[n++] = pattern;
        argv[n++] = "--";
        argv[n++] = path;
        argv[n] = NULL;

        r = spawn_run(&(SpawnOptions) {
                        .argv = (char *const *) argv,
                        .cwd_fd = ctx->workspace->fd,
                        .timeout_usec = ctx->command_timeout_usec,
                        .output_cap = ctx->output_cap,
                        .seccomp = ctx->seccomp,
                }, &res);
        if (r < 0)
                return r;
        ret->cancelled = res.cancelled;
        if (res.exit_status == 1 && res.bytes == 0)
                return tool_result_printf(ret, "no matches");
        if (res.exit_status != 0)
                return tool_result_errorf(ret, "rg failed with status %i: %s", res.exit_status, res.output);
        return tool_result_take(ret, steal_ptr(res.output));
}

static int run_grep(ToolContext *ctx, json_object *args, ToolResult *ret) {
        _cleanup_close_ int fd = -EBADF;
        const char *pattern, *path, *file_glob = NULL;
        bool icase = false;
        int r;

        if (tool_arg_string(args, "pattern", &pattern) < 0 || isempty(pattern))
                return tool_result_errorf(ret, "grep needs a string argument 'pattern'");
        (void) tool_arg_bool(args, "ignore_case", &icase);
        (void) tool_arg_string(args, "glob", &file_glob);

        /* Opening the start checks that it lies beneath the workspace. */
        fd = open_start_full(ctx, args, false, &path, ret);
        if (fd < 0)
                return ret->output ? 0 : -ENOMEM;
        if (in_path("rg")) {
                r = grep_ripgrep(ctx, path, pattern, icase, file_glob, ret);
                if (r != -ENOENT)
                        return r;
        }
        return grep_builtin(ctx, fd, path, pattern, icase, file_glob, ret);
}

const ToolDefinition tool_list_files = {
        .name = "list_files",
        .description = "List the files and directories in a workspace directory (directories end in '/'), "
                       "optionally recursively. .git is not descended into.",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"path\":{\"type\":\"string\",\"description\":\"Directory relative to the workspace (default: its top).\"},"
                      "\"recursive\":{\"type\":\"boolean\",\"description\":\"List subdirectories too.\"}"
                      "}}",
        .run = run_list_files,
        .summary_arg = "path",
};

const ToolDefinition tool_glob = {
        .name = "glob",
        .description = "Find files whose path matches a glob pattern such as 'src/**/*.c' or '*.md'. "
                       "'*' stays within a directory, '**' spans directories.",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"pattern\":{\"type\":\"string\",\"description\":\"The glob pattern.\"},"
                      "\"path\":{\"type\":\"string\",\"description\":\"Directory to search from (default: the workspace).\"}"
                      "},\"required\":[\"pattern\"]}",
        .run = run_glob,
        .summary_arg = "pattern",
};

const ToolDefinition tool_grep = {
        .name = "grep",
        .description = "Search file contents for a regular expression; prints path:line:text for each "
                       "matching line.",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"pattern\":{\"type\":\"string\",\"description\":\"Extended regular expression.\"},"
                      "\"path\":{\"type\":\"string\",\"description\":\"File or directory to search (default: the workspace).\"},"
                      "\"glob\":{\"type\":\"string\",\"description\":\"Only search files matching this glob, e.g. '*.c'.\"},"
                      "\"ignore_case\":{\"type\":\"boolean\"}"
                      "},\"required\":[\"pattern\"]}",
        .run = run_grep,
        .summary_arg = "pattern",
};
