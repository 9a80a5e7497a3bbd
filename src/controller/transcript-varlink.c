/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The transcript methods of io.openmono.Manager. Agents write their transcripts inside the
 * sandbox, to paths that only exist there: a user's own sessions to /storage (the controller's
 * STATEDIR/storage/UID, which the user cannot reach from the host), a dynamic project's to the
 * caller's StateDirectory= below /var/lib/private. The controller finds them for the caller and
 * hands over a read-only fd. Everything below those roots was written from inside a sandbox, so
 * no path is followed: each component is opened with O_NOFOLLOW, and a transcript must be a
 * regular file with one link. A user sees their own transcripts; administrators everyone's. */

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>

#include "json-util.h"
#include "log.h"
#include "manager.h"
#include "openmono-errors.h"
#include "parse-util.h"
#include "session-policy.h"
#include "string-util.h"
#include "user-util.h"

#define DYNAMIC_TRANSCRIPTS_DIR "/var/lib/private/" SESSION_TRANSCRIPT_SUBDIR
/* Where openmono-agent puts them below $HOME (= /storage) when nothing else is set. */
#define STORAGE_TRANSCRIPTS_PATH ".local/state/openmono/transcripts"
#define TRANSCRIPT_SUFFIX ".jsonl"
#define UID_INVALID ((uid_t) -1)

/* Opens path below dir_fd one component at a time, following no symlink. Returns the fd of the
 * last directory or a negative errno. */
static int open_below(int dir_fd, const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int fd = -EBADF;
        char *saveptr = NULL;

        if (!copy)
                return -ENOMEM;
        fd = NEG_ERRNO(fcntl(dir_fd, F_DUPFD_CLOEXEC, 3));
        for (char *c = strtok_r(copy, "/", &saveptr); fd >= 0 && c; c = strtok_r(NULL, "/", &saveptr)) {
                int next = NEG_ERRNO(openat(fd, c, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC));

                safe_close(fd);
                fd = next;
        }
        return fd < 0 ? fd : steal_fd(fd);
}

static const char *suffix_start(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);

        return n > k && streq(s + n - k, suffix) ? s + n - k : NULL;
}

static int open_root(const char *path) {
        return NEG_ERRNO(open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC));
}

/* The ids the agent gives: [0-9A-Za-z-], as "20260101-120000-a1b2c3". */
static bool transcript_id_is_valid(const char *id) {
        return !isempty(id) && strlen(id) <= 64 &&
                strspn(id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") == strlen(id);
}

static int transcript_json(const char *id, uid_t uid, const char *project, const struct stat *st,
                           json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *user = NULL;
        int r;

        if (!o)
                return -ENOMEM;
        (void) uid_to_name(uid, &user);
        r = json_add_string(o, "id", id);
        if (r >= 0)
                r = json_add_string(o, "user", user);
        if (r >= 0)
                r = json_add_int64(o, "uid", uid);
        if (r >= 0)
                r = json_add_string(o, "project", project);
        if (r >= 0)
                r = json_add_uint64(o, "size", (uint64_t) st->st_size);
        if (r >= 0)
                r = json_add_uint64(o, "modified_realtime_usec",
                                    (uint64_t) st->st_mtim.tv_sec * 1000000U + (uint64_t) st->st_mtim.tv_nsec / 1000U);
        if (r < 0)
                return r;
        *ret = steal_ptr(o);
        return 0;
}

/* Adds the transcripts of one directory to list. With want set, only that id: then *ret_fd gets
 * it opened for reading and the function returns 1. Returns 0 or a negative errno otherwise. */
static int scan_dir(int dir_fd, uid_t uid, const char *project, const char *want, json_object *list,
                    int *ret_fd) {
        _cleanup_(closedirp) DIR *d = NULL;
        int fd, r;

        fd = NEG_ERRNO(fcntl(dir_fd, F_DUPFD_CLOEXEC, 3));
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        for (struct dirent *de; (de = readdir(d)); ) {
                _cleanup_free_ char *id = NULL;
                json_object *o = NULL;
                const char *end = suffix_start(de->d_name, TRANSCRIPT_SUFFIX);
                struct stat st;

                if (!end || !(id = strndup(de->d_name, (size_t) (end - de->d_name))) || !transcript_id_is_valid(id))
                        continue;
                if (want && !streq(id, want))
                        continue;
                fd = NEG_ERRNO(openat(dir_fd, de->d_name, O_RDONLY|O_NOFOLLOW|O_NOCTTY|O_NONBLOCK|O_CLOEXEC));
                if (fd < 0)
                        continue;
                if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
                        safe_close(fd);
                        continue;
                }
                r = transcript_json(id, uid, project, &st, &o);
                if (r >= 0 && json_object_array_add(list, o) < 0) {
                        json_object_put(o);
                        r = -ENOMEM;
                }
                if (r < 0 || !want) {
                        safe_close(fd);
                        if (r < 0)
                                return r;
                        continue;
                }
                *ret_fd = fd;
                return 1;
        }
        return 0;
}

/* A user's own sessions: what the agent wrote to /storage. A missing directory holds nothing. */
static int scan_storage(Manager *m, uid_t uid, const char *want, json_object *list, int *ret_fd) {
        _cleanup_close_ int root = -EBADF, dir = -EBADF;
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/storage/%u", m->state_dir, (unsigned) uid) < 0)
                return -ENOMEM;
        root = open_root(path);
        if (root >= 0)
                dir = open_below(root, STORAGE_TRANSCRIPTS_PATH);
        if (root == -ENOMEM || dir == -ENOMEM)
                return -ENOMEM;
        return dir < 0 ? 0 : scan_dir(dir, uid, /* project= */ NULL, want, list, ret_fd);
}

/* A dynamic project's sessions: each caller's StateDirectory=, PROJECT/UID/transcripts. uid is
 * the caller's, or UID_INVALID for every caller's. */
static int scan_dynamic(uid_t uid, const char *want, json_object *list, int *ret_fd) {
        _cleanup_(closedirp) DIR *projects = NULL;
        int r;

        projects = opendir(DYNAMIC_TRANSCRIPTS_DIR);
        if (!projects)
                return errno == ENOMEM ? -ENOMEM : 0;
        for (struct dirent *p; (p = readdir(projects)); ) {
                _cleanup_(closedirp) DIR *callers = NULL;
                _cleanup_close_ int pfd = -EBADF;

                if (!project_name_is_valid(p->d_name))
                        continue;
                pfd = open_below(dirfd(projects), p->d_name);
                if (pfd < 0 || !(callers = fdopendir(fcntl(pfd, F_DUPFD_CLOEXEC, 3))))
                        continue;
                for (struct dirent *c; (c = readdir(callers)); ) {
                        _cleanup_free_ char *rel = NULL;
                        _cleanup_close_ int dir = -EBADF;
                        unsigned u;

                        if (parse_unsigned(c->d_name, &u) < 0 || (uid != UID_INVALID && u != uid))
                                continue;
                        if (asprintf(&rel, "%s/transcripts", c->d_name) < 0)
                                return -ENOMEM;
                        dir = open_below(pfd, rel);
                        if (dir < 0)
                                continue;
                        r = scan_dir(dir, (uid_t) u, p->d_name, want, list, ret_fd);
                        if (r != 0)
                                return r;
                }
        }
        return 0;
}

/* Every user's storage, for administrators. */
static int scan_all_storage(Manager *m, json_object *list) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "%s/storage", m->state_dir) < 0)
                return -ENOMEM;
        d = opendir(path);
        if (!d)
                return errno == ENOMEM ? -ENOMEM : 0;
        for (struct dirent *de; (de = readdir(d)); ) {
                unsigned u;

                if (parse_unsigned(de->d_name, &u) < 0)
                        continue;
                r = scan_storage(m, (uid_t) u, /* want= */ NULL, list, /* ret_fd= */ NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Whose transcripts a call is about: the caller's, the named user's or, with all, everyone's
 * (UID_INVALID); only administrators may ask for anyone but themselves. Returns 1 to go on, 0
 * when it replied with an error. */
static int parse_whose(Varlink *l, json_object *params, uid_t *ret) {
        const char *user = NULL;
        bool all = false;
        struct passwd *pw;
        struct ucred u;
        int r;

        if (json_get_string(params, "user", &user) == -EINVAL)
                return varlink_error_invalid_parameter(l, "user");
        if (json_get_bool(params, "all", &all) == -EINVAL || (all && user))
                return varlink_error_invalid_parameter(l, "all");
        r = varlink_get_peer_ucred(l, &u);
        if (r < 0)
                return r;
        pw = user ? getpwnam(user) : NULL;
        if (user && !pw)
                return varlink_errorf(l, OM_ERROR_NO_SUCH_TRANSCRIPT, "There is no user '%s'.", user);
        *ret = all ? UID_INVALID : pw ? pw->pw_uid : u.uid;
        if (*ret != u.uid && uid_is_admin(u.uid) <= 0)
                return varlink_errorf(l, OM_ERROR_PERMISSION_DENIED,
                                      "Only administrators may read other users' transcripts.");
        return 1;
}

static int method_list_transcripts(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object(), *list = json_object_new_array();
        Manager *m = userdata;
        uid_t uid;
        int r;

        if (!reply || !list)
                return -ENOMEM;
        r = parse_whose(l, params, &uid);
        if (r <= 0)
                return r;
        r = uid == UID_INVALID ? scan_all_storage(m, list) : scan_storage(m, uid, NULL, list, NULL);
        if (r >= 0)
                r = scan_dynamic(uid, NULL, list, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to list transcripts: %m");
        r = json_add_take(reply, "transcripts", steal_ptr(list));
        return r < 0 ? r : varlink_reply(l, reply);
}

static int method_open_transcript(Varlink *l, json_object *params, VarlinkMethodFlags flags, void *userdata) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object(), *list = json_object_new_array();
        _cleanup_close_ int fd = -EBADF;
        Manager *m = userdata;
        const char *id = NULL;
        uid_t uid;
        int r;

        if (!reply || !list)
                return -ENOMEM;
        if (json_get_string(params, "id", &id) < 0 || !transcript_id_is_valid(id))
                return varlink_error_invalid_parameter(l, "id");
        r = parse_whose(l, params, &uid);
        if (r <= 0)
                return r;
        if (uid == UID_INVALID)
                return varlink_error_invalid_parameter(l, "all");
        r = scan_storage(m, uid, id, list, &fd);
        if (r == 0)
                r = scan_dynamic(uid, id, list, &fd);
        if (r < 0)
                return log_error_errno(r, "Failed to look for transcript %s: %m", id);
        if (r == 0)
                return varlink_errorf(l, OM_ERROR_NO_SUCH_TRANSCRIPT, "No transcript '%s'.", id);
        r = json_add_take(reply, "transcript", json_object_get(json_object_array_get_idx(list, 0)));
        if (r >= 0)
                r = varlink_push_fd(l, steal_fd(fd));
        return r < 0 ? r : varlink_reply(l, reply);
}

static const char transcript_interface_methods[] =
        "\n"
        "# An agent run's transcript: project is set for a dynamic project's sessions.\n"
        "type Transcript (id: string, user: ?string, uid: int, project: ?string, size: int,"
        " modified_realtime_usec: int)\n"
        "\n"
        "# The caller's transcripts; administrators may ask for another user's or for all.\n"
        "method ListTranscripts(user: ?string, all: ?bool) -> (transcripts: []Transcript)\n"
        "# Opens one read-only; the reply carries its file descriptor.\n"
        "method OpenTranscript(id: string, user: ?string) -> (transcript: Transcript)\n"
        "\n"
        "error NoSuchTranscript (message: string)\n";

const char *transcript_varlink_idl(void) {
        return transcript_interface_methods;
}

int transcript_varlink_bind(Manager *m) {
        static const VarlinkMethodBinding methods[] = {
                { "io.openmono.Manager.ListTranscripts", method_list_transcripts },
                { "io.openmono.Manager.OpenTranscript", method_open_transcript },
        };

        return varlink_server_bind_methods(m->varlink, methods, ELEMENTSOF(methods));
}
