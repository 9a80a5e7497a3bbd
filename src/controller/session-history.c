/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The history of ended sessions: one small root-only JSON file per session in STATEDIR/history,
 * written once when the session ends and never changed, read back by GetSession, WatchSession
 * and ListSessions. The state directory, not the runtime one: a reboot does not erase what
 * sessions did. */

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <systemd/sd-messages.h>

#include "fs-util.h"
#include "json-util.h"
#include "macro.h"
#include "parse-util.h"
#include "session-history.h"
#include "session-policy.h"

static int history_path(const char *state_dir, const char *id, char *buf, size_t n) {
        if (!session_id_is_valid(id))
                return -EINVAL;
        snprintf(buf, n, "%s/history/%s.json", state_dir, id);
        return 0;
}

int session_history_add(const char *state_dir, json_object *session) {
        char dir[PATH_MAX], path[PATH_MAX];
        const char *id = NULL, *text;
        int r;

        if (json_get_string(session, "id", &id) < 0)
                return -EINVAL;
        r = history_path(state_dir, id, path, sizeof path);
        if (r < 0)
                return r;
        snprintf(dir, sizeof dir, "%s/history", state_dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        text = json_object_to_json_string_ext(session, JSON_C_TO_STRING_PLAIN);
        r = write_file_atomic(path, text, strlen(text), 0600);
        if (r < 0)
                return r;
        session_history_prune(state_dir, now(CLOCK_REALTIME));
        return 0;
}

static int read_entry(int dfd, const char *name, json_object **ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        int fd, r;
        size_t n = 0;

        fd = openat(dfd, name, O_RDONLY|O_NOFOLLOW|O_CLOEXEC);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "re");
        if (!f) {
                safe_close(fd);
                return -errno;
        }
        if (getdelim(&text, &n, 0, f) < 0)
                return -EIO;
        r = json_parse(text, strlen(text), ret);
        return r < 0 ? -EBADMSG : 0;
}

int session_history_get(const char *state_dir, const char *id, json_object **ret) {
        char path[PATH_MAX];
        int r;

        r = history_path(state_dir, id, path, sizeof path);
        if (r < 0)
                return -ENOENT;
        return read_entry(AT_FDCWD, path, ret);
}

/* Calls f for every entry file of the history, with its name and modification time. */
static int history_foreach(const char *state_dir, int (*f)(int dfd, const char *name, uint64_t mtime_usec,
                                                           void *userdata), void *userdata) {
        _cleanup_(closedirp) DIR *d = NULL;
        char dir[PATH_MAX];
        struct dirent *de;

        snprintf(dir, sizeof dir, "%s/history", state_dir);
        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                struct stat st;
                size_t l = strlen(de->d_name);
                if (l <= 5 || !streq(de->d_name + l - 5, ".json") || de->d_name[0] == '.' ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                int r = f(dirfd(d), de->d_name, (uint64_t) st.st_mtim.tv_sec * 1000000U + st.st_mtim.tv_nsec / 1000,
                          userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct ListContext {
        uid_t uid;
        json_object *list;
} ListContext;

static int list_one(int dfd, const char *name, uint64_t mtime_usec, void *userdata) {
        ListContext *c = userdata;
        json_object *o = NULL;
        int64_t uid;

        if (read_entry(dfd, name, &o) < 0)
                return 0;               /* a damaged entry hides only itself */
        if (c->uid != SESSION_HISTORY_ALL_USERS && (json_get_int64(o, "uid", &uid) < 0 || uid != (int64_t) c->uid)) {
                json_object_put(o);
                return 0;
        }
        if (json_object_array_add(c->list, o) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        return 0;
}

int session_history_list(const char *state_dir, uid_t uid, json_object *list) {
        ListContext c = { .uid = uid, .list = list };

        return history_foreach(state_dir, list_one, &c);
}

typedef struct PruneContext {
        uint64_t now_usec;
        uint64_t *kept;                 /* modification times of the entries not pruned by age */
        size_t n_kept;
        bool oom;
} PruneContext;

static int prune_old(int dfd, const char *name, uint64_t mtime_usec, void *userdata) {
        PruneContext *c = userdata;
        uint64_t *a;

        if (mtime_usec + SESSION_HISTORY_AGE_USEC < c->now_usec) {
                (void) unlinkat(dfd, name, 0);
                return 0;
        }
        a = reallocarray(c->kept, c->n_kept + 1, sizeof(uint64_t));
        if (!a) {
                c->oom = true;
                return 0;
        }
        c->kept = a;
        c->kept[c->n_kept++] = mtime_usec;
        return 0;
}

static int prune_older_than(int dfd, const char *name, uint64_t mtime_usec, void *userdata) {
        if (mtime_usec < *(uint64_t *) userdata)
                (void) unlinkat(dfd, name, 0);
        return 0;
}

static int cmp_u64_desc(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? 1 : x > y ? -1 : 0;
}

void session_history_prune(const char *state_dir, uint64_t now_usec) {
        PruneContext c = { .now_usec = now_usec };
        uint64_t cutoff;

        (void) history_foreach(state_dir, prune_old, &c);
        if (!c.oom && c.n_kept > SESSION_HISTORY_MAX) {
                /* Keep the newest; ties at the cutoff may keep a few more, never fewer. */
                qsort(c.kept, c.n_kept, sizeof(uint64_t), cmp_u64_desc);
                cutoff = c.kept[SESSION_HISTORY_MAX - 1];
                (void) history_foreach(state_dir, prune_older_than, &cutoff);
        }
        free(c.kept);
}

/* The value of field in the current entry, cut to fit buf; NULL if the entry has none. */
static const char *entry_field(sd_journal *j, const char *field, char *buf, size_t n) {
        size_t len, l = strlen(field);
        const void *data;

        if (sd_journal_get_data(j, field, &data, &len) < 0 || len <= l + 1)
                return NULL;
        snprintf(buf, n, "%.*s", (int) (len - l - 1), (const char *) data + l + 1);
        return buf;
}

/* Takes one of systemd's messages about the unit into o. Returns 1 if it says the unit ended. */
static int apply_unit_message(sd_journal *j, json_object *o) {
        char id[64], buf[64], msg[256];
        uint64_t u, t;

        if (!entry_field(j, "MESSAGE_ID", id, sizeof id))
                return 0;
        if (streq(id, SD_MESSAGE_UNIT_PROCESS_EXIT_STR) && entry_field(j, "MESSAGE", msg, sizeof msg) &&
            strstr(msg, ": Main process exited")) {
                if (entry_field(j, "EXIT_CODE", buf, sizeof buf))
                        (void) json_add_string(o, "exit", streq(buf, "exited") ? "exited" : "killed");
                if (entry_field(j, "EXIT_STATUS", buf, sizeof buf) && parse_uint64(buf, &u) >= 0 && u <= INT32_MAX)
                        (void) json_add_int64(o, "exit_status", (int64_t) u);
                return 0;
        }
        if (streq(id, SD_MESSAGE_UNIT_RESOURCES_STR)) {
                if (entry_field(j, "CPU_USAGE_NSEC", buf, sizeof buf) && parse_uint64(buf, &u) >= 0)
                        (void) json_add_uint64(o, "cpu_usage_nsec", u);
                return 0;
        }
        if (streq(id, SD_MESSAGE_UNIT_SUCCESS_STR))
                (void) json_add_string(o, "result", "success");
        else if (streq(id, SD_MESSAGE_UNIT_FAILURE_RESULT_STR))
                (void) json_add_string(o, "result", entry_field(j, "UNIT_RESULT", buf, sizeof buf) ?: "unknown");
        else
                return 0;
        if (sd_journal_get_realtime_usec(j, &t) >= 0)
                (void) json_add_uint64(o, "ended_realtime_usec", t);
        return 1;
}

int session_history_from_journal(sd_journal *j, const char *unit, json_object *o) {
        char match[128];
        const char *exit = NULL;
        int r, found = 0;

        sd_journal_flush_matches(j);
        snprintf(match, sizeof match, "UNIT=%s", unit);
        r = sd_journal_add_match(j, match, 0);
        if (r >= 0)
                r = sd_journal_add_match(j, "_PID=1", 0);
        if (r >= 0)
                r = sd_journal_seek_head(j);
        if (r < 0)
                return r;
        while ((r = sd_journal_next(j)) > 0)
                if (apply_unit_message(j, o) > 0)
                        found = 1;
        if (r < 0)
                return r;
        if (!found)
                return 0;
        /* systemd logs a clean exit only as "Deactivated successfully". */
        if (json_get_string(o, "exit", &exit) < 0) {
                const char *result = NULL;
                (void) json_get_string(o, "result", &result);
                (void) json_add_string(o, "exit", streq_ptr(result, "success") ? "exited" : "none");
                (void) json_add_int64(o, "exit_status", 0);
                exit = streq_ptr(result, "success") ? "exited" : "none";
        }
        r = json_add_string(o, "state", streq(exit, "none") ? "failed" : "exited");
        return r < 0 ? r : 1;
}
