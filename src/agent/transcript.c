/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transcript files. Each line is written with one fwrite() and flushed, so lines are whole
 * unless the machine dies mid-write, which transcript_resume() tolerates for the last line. */

#include <assert.h>
#include <fcntl.h>
#include <stdio_ext.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "json-util.h"
#include "transcript.h"

#define TRANSCRIPT_SUBDIR "transcripts"
#define TRANSCRIPT_SUFFIX ".jsonl"

int transcript_state_dir(const char *arg, char **ret) {
        const char *e;
        char *s;

        /* Set by openmonod where $STATE_DIRECTORY is a workspace other users share (dynamic
         * projects): there the transcripts get a directory of the caller's own. */
        e = getenv("OPENMONO_STATE_DIRECTORY");
        if (isempty(e))
                e = getenv("STATE_DIRECTORY");
        if (!isempty(e))
                s = strndup(e, strcspn(e, ":"));
        else if (!isempty(arg))
                s = strdup(arg);
        else if (!isempty(e = getenv("XDG_STATE_HOME")))
                s = asprintf(&s, "%s/openmono", e) < 0 ? NULL : s;
        else if (!isempty(e = getenv("HOME")))
                s = asprintf(&s, "%s/.local/state/openmono", e) < 0 ? NULL : s;
        else
                return -ENOENT;
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* mkdir -p with mode 0700 for the directories we create. */
static int mkdir_p(const char *path) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, 0700) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int new_id(char **ret) {
        uint8_t rnd[3];
        char stamp[32];
        time_t t = time(NULL);
        struct tm tm;

        if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
                return -EIO;
        if (!localtime_r(&t, &tm) || strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm) == 0)
                return -EINVAL;
        return asprintf(ret, "%s-%02x%02x%02x", stamp, rnd[0], rnd[1], rnd[2]) < 0 ? -ENOMEM : 0;
}

static int transcript_open_file(const char *path, const char *id, int flags, Transcript **ret) {
        _cleanup_(transcript_freep) Transcript *t = NULL;
        int fd;

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->path = strdup(path);
        t->id = strdup(id);
        if (!t->path || !t->id)
                return -ENOMEM;
        fd = NEG_ERRNO(open(path, flags|O_WRONLY|O_APPEND|O_CLOEXEC|O_NOCTTY, 0600));
        if (fd < 0)
                return fd;
        t->f = fdopen(fd, "ae");
        if (!t->f) {
                safe_close(fd);
                return -errno;
        }
        *ret = steal_ptr(t);
        return 0;
}

int transcript_create(const char *state_dir, Transcript **ret) {
        _cleanup_free_ char *dir = NULL, *id = NULL, *path = NULL;
        int r;

        if (asprintf(&dir, "%s/" TRANSCRIPT_SUBDIR, state_dir) < 0)
                return -ENOMEM;
        r = mkdir_p(dir);
        if (r < 0)
                return r;
        r = new_id(&id);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s" TRANSCRIPT_SUFFIX, dir, id) < 0)
                return -ENOMEM;
        return transcript_open_file(path, id, O_CREAT|O_EXCL, ret);
}

Transcript *transcript_free(Transcript *t) {
        if (!t)
                return NULL;
        safe_fclose(t->f);
        free(t->path);
        free(t->id);
        return mfree(t);
}

static int resolve_path(const char *state_dir, const char *what, char **ret_path, char **ret_id) {
        const char *base, *suffix;
        char *path, *id;

        if (strchr(what, '/') || (strlen(what) > strlen(TRANSCRIPT_SUFFIX) &&
                                 streq(what + strlen(what) - strlen(TRANSCRIPT_SUFFIX), TRANSCRIPT_SUFFIX)))
                path = strdup(what);
        else if (asprintf(&path, "%s/" TRANSCRIPT_SUBDIR "/%s" TRANSCRIPT_SUFFIX, state_dir, what) < 0)
                path = NULL;
        if (!path)
                return -ENOMEM;
        base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        suffix = strstr(base, TRANSCRIPT_SUFFIX);
        id = strndup(base, suffix ? (size_t) (suffix - base) : strlen(base));
        if (!id) {
                free(path);
                return -ENOMEM;
        }
        *ret_path = path;
        *ret_id = id;
        return 0;
}

/* Reads the "message" lines of a transcript into a new array. */
static int load_messages(const char *path, json_object **ret) {
        _cleanup_(json_object_putp) json_object *messages = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t allocated = 0;
        ssize_t n;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        messages = json_object_new_array();
        if (!messages)
                return -ENOMEM;
        while ((n = getline(&line, &allocated, f)) >= 0) {
                _cleanup_(json_object_putp) json_object *o = NULL;
                json_object *m;
                const char *type;

                if (json_parse(line, (size_t) n, &o) < 0)
                        continue;       /* a last line cut short */
                if (json_get_string(o, "type", &type) < 0 || !streq(type, "message") ||
                    json_get_object(o, "message", &m) < 0)
                        continue;
                if (json_object_array_add(messages, json_object_get(m)) < 0)
                        return -ENOMEM;
        }
        if (json_object_array_length(messages) == 0)
                return -EBADMSG;
        *ret = steal_ptr(messages);
        return 0;
}

int transcript_resume(const char *state_dir, const char *what, Transcript **ret, json_object **ret_messages) {
        _cleanup_(json_object_putp) json_object *messages = NULL;
        _cleanup_free_ char *path = NULL, *id = NULL;
        int r;

        assert(what);
        r = resolve_path(state_dir, what, &path, &id);
        if (r < 0)
                return r;
        r = load_messages(path, &messages);
        if (r < 0)
                return r;
        r = transcript_open_file(path, id, 0, ret);
        if (r < 0)
                return r;
        *ret_messages = steal_ptr(messages);
        return 0;
}

int transcript_write(Transcript *t, const char *type, json_object *fields) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        const char *s;

        if (!t)
                return 0;
        o = json_object_new_object();
        if (!o || json_add_string(o, "type", type) < 0 ||
            json_add_uint64(o, "time", now(CLOCK_REALTIME)) < 0)
                return -ENOMEM;
        if (fields) {
                json_object_object_foreach(fields, key, value)
                        if (json_object_object_add(o, key, json_object_get(value)) < 0)
                                return -ENOMEM;
        }
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN|JSON_C_TO_STRING_NOSLASHESCAPE);
        errno = 0;
        if (fprintf(t->f, "%s\n", s) < 0 || fflush(t->f) != 0) {
                int r = errno > 0 ? -errno : -EIO;

                /* stdio keeps what it could not write and would retry it before the next line,
                 * which could then land half; drop it, the line is lost either way. */
                __fpurge(t->f);
                clearerr(t->f);
                if (t->error == 0)
                        t->error = r;
                return r;
        }
        return 0;
}

int transcript_write_message(Transcript *t, json_object *message) {
        _cleanup_(json_object_putp) json_object *fields = json_object_new_object();

        if (!fields || json_object_object_add(fields, "message", json_object_get(message)) < 0)
                return -ENOMEM;
        return transcript_write(t, "message", fields);
}
