/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The default prompt says what the model needs to act well here and nothing it could learn
 * from the tool definitions: where it is, that nobody answers questions in autonomous mode,
 * and how to end. */

#include <fcntl.h>

#include "file-util.h"
#include "prompt.h"

static const char default_prompt[] =
        "You are openmono-agent, an autonomous coding agent working in a sandbox on the project in "
        "the workspace directory %s (your working directory). Use the tools to inspect, change, build "
        "and test the code. Paths are relative to the workspace; you cannot reach files outside it.\n"
        "\n"
        "Work in small verified steps: read before you edit, make exact edits with edit_file, run the "
        "build and the tests with bash after changes, and fix what fails. Nobody will answer "
        "questions while you work: decide sensibly yourself. Keep your messages short.\n"
        "\n"
        "When the task is done (or cannot be done), reply without calling a tool, with a brief "
        "summary of what you changed and how you checked it.\n";

static int read_file_at(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_n) {
        _cleanup_close_ int fd = -EBADF;

        fd = NEG_ERRNO(openat(dir_fd, path, O_RDONLY|O_CLOEXEC|O_NOCTTY));
        if (fd < 0)
                return fd;
        return read_fd_full(fd, max, ret, ret_n);
}

/* Reads AGENTS.md beneath the workspace; returns 0 with *ret NULL if there is none. */
static int read_agents_md(const Workspace *w, char **ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n;
        int r;

        *ret = NULL;
        fd = workspace_open_file(w, "AGENTS.md", O_RDONLY|O_NOCTTY|O_NONBLOCK, 0);
        if (fd < 0)
                return fd == -ENOMEM ? fd : 0;
        r = read_fd_full(fd, PROMPT_AGENTS_MD_MAX, &buf, &n);
        if (r == -EFBIG) {
                /* Too large: take what fits and say so. */
                safe_close(fd);
                fd = workspace_open_file(w, "AGENTS.md", O_RDONLY|O_NOCTTY|O_NONBLOCK, 0);
                buf = calloc(1, PROMPT_AGENTS_MD_MAX + 64);
                if (fd < 0 || !buf)
                        return fd < 0 ? 0 : -ENOMEM;
                n = (size_t) MAX(read(fd, buf, PROMPT_AGENTS_MD_MAX), (ssize_t) 0);
                strcpy(buf + n, "\n[... AGENTS.md shortened ...]\n");
                r = 0;
        }
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        *ret = steal_ptr(buf);
        return 0;
}

int prompt_build(const char *override_path, const Workspace *w, char **ret) {
        _cleanup_free_ char *base = NULL, *agents = NULL;
        int r;

        if (override_path) {
                r = read_file_at(AT_FDCWD, override_path, PROMPT_AGENTS_MD_MAX, &base, NULL);
                if (r < 0)
                        return r;
        } else if (asprintf(&base, default_prompt, w->path) < 0)
                return -ENOMEM;

        r = read_agents_md(w, &agents);
        if (r < 0)
                return r;
        if (!agents) {
                *ret = steal_ptr(base);
                return 0;
        }
        return asprintf(ret, "%s\nThe project's AGENTS.md says:\n\n%s", base, agents) < 0 ? -ENOMEM : 0;
}
