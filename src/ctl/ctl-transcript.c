/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl transcript list|show: the agent's transcripts, read on the host. They live where
 * only sessions and root reach them (a user's /storage, a dynamic project's state), so the
 * controller finds them for the caller and passes an fd to read. */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "ctl.h"
#include "log.h"

static const char *arg_user = NULL;
static bool arg_all = false;

static const char *str_field(json_object *o, const char *key) {
        const char *s = NULL;

        (void) json_get_string(o, key, &s);
        return s ?: "-";
}

static int compare_modified(const void *a, const void *b) {
        uint64_t x = 0, y = 0;

        (void) json_get_uint64(*(json_object *const *) a, "modified_realtime_usec", &x);
        (void) json_get_uint64(*(json_object *const *) b, "modified_realtime_usec", &y);
        return x < y ? -1 : x > y;
}

static json_object *whose_params(void) {
        json_object *p = json_object_new_object();

        if (p && ((arg_user && json_add_string(p, "user", arg_user) < 0) ||
                  (arg_all && json_add_bool(p, "all", true) < 0)))
                p = (json_object_put(p), NULL);
        return p;
}

static int transcript_list(void) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        _cleanup_(json_object_putp) json_object *params = whose_params();
        json_object *reply, *list = NULL;
        size_t n;
        int r;

        if (!params)
                return log_oom();
        r = ctl_connect(&link);
        if (r < 0)
                return r;
        r = ctl_call(link, "io.openmono.Manager.ListTranscripts", params, &reply);
        if (r < 0)
                return r;
        (void) json_get_array(reply, "transcripts", &list);
        if (list)
                json_object_array_sort(list, compare_modified);
        if (arg_json) {
                ctl_print_json(list);
                return 0;
        }
        n = list ? json_object_array_length(list) : 0;
        if (arg_legend)
                printf("%-22s %-10s %-12s %-19s %10s\n", "ID", "USER", "PROJECT", "MODIFIED", "SIZE");
        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(list, i);
                uint64_t usec = 0, size = 0;
                char buf[32] = "-";
                time_t s;

                (void) json_get_uint64(t, "modified_realtime_usec", &usec);
                (void) json_get_uint64(t, "size", &size);
                s = (time_t) (usec / 1000000U);
                if (usec > 0)
                        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", localtime(&s));
                printf("%-22s %-10s %-12s %-19s %10" PRIu64 "\n", str_field(t, "id"), str_field(t, "user"),
                       str_field(t, "project"), buf, size);
        }
        if (arg_legend)
                printf("\n%zu transcript%s.\n", n, n == 1 ? "" : "s");
        return 0;
}

/* Copies fd to stdout. */
static int copy_out(int fd) {
        char buf[64 * 1024];

        for (;;) {
                ssize_t k = read(fd, buf, sizeof buf);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return log_error_errno(errno, "Failed to read the transcript: %m");
                if (k == 0)
                        return fflush(stdout) == 0 ? 0 : log_error_errno(errno, "Failed to write: %m");
                if (fwrite(buf, 1, (size_t) k, stdout) != (size_t) k)
                        return log_error_errno(errno, "Failed to write: %m");
        }
}

static int transcript_show(const char *id) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        _cleanup_(json_object_putp) json_object *params = whose_params();
        _cleanup_close_ int fd = -EBADF;
        json_object *reply;
        int r;

        if (!params || json_add_string(params, "id", id) < 0)
                return log_oom();
        r = ctl_connect(&link);
        if (r < 0)
                return r;
        r = ctl_call(link, "io.openmono.Manager.OpenTranscript", params, &reply);
        if (r < 0)
                return r;
        fd = varlink_take_fd(link, 0);
        if (fd < 0)
                return log_error_errno(fd, "The controller sent no transcript to read.");
        return copy_out(fd);
}

static int parse_transcript_options(int argc, char *argv[]) {
        enum { ARG_USER = 0x100, ARG_ALL };
        static const struct option options[] = {
                { "user", required_argument, NULL, ARG_USER },
                { "all",  no_argument,       NULL, ARG_ALL  },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case ARG_USER:
                        arg_user = optarg;
                        break;
                case ARG_ALL:
                        arg_all = true;
                        break;
                default:
                        return -EINVAL;
                }
        return optind;
}

int verb_transcript(int argc, char *argv[]) {
        const char *sub;
        int i, n;

        /* getopt permutes, so options may follow the subcommand: "transcript list --all". */
        i = parse_transcript_options(argc, argv);
        if (i <= 0)
                return i;
        n = argc - i;
        sub = n > 0 ? argv[i] : "list";
        if (streq(sub, "list") && n <= 1)
                return transcript_list();
        if (streq(sub, "show") && n == 2 && !arg_all)
                return transcript_show(argv[i + 1]);
        return log_error_errno(EINVAL, "Usage: %s transcript [--user=USER] list [--all] | show ID",
                               program_invocation_short_name);
}
