/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl secret: set, list and remove secrets, and replace the store's master key. A value
 * is read from standard input or typed at a prompt that does not echo; it never appears on the
 * command line, where every local user could read it in /proc. */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <termios.h>
#include <time.h>

#include "ctl.h"
#include "log.h"

/* As the controller's SECRET_VALUE_MAX. */
#define VALUE_MAX (64U * 1024U)

static const char *arg_user = NULL;
static bool arg_default = false;

/* Reads at most VALUE_MAX bytes; a final newline is dropped, so "echo TOKEN |" works. */
static int read_value_fd(int fd, char *buf, size_t *ret_size) {
        size_t n = 0;

        for (;;) {
                ssize_t k = read(fd, buf + n, VALUE_MAX + 1 - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "Failed to read the secret's value: %m");
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > VALUE_MAX)
                        return log_error_errno(EFBIG, "The value is longer than %u bytes.", VALUE_MAX);
        }
        if (n > 0 && buf[n - 1] == '\n')
                n--;
        *ret_size = n;
        return 0;
}

/* Asks on the terminal with echo off, and reads one line. */
static int prompt_value(const char *name, char *buf, size_t *ret_size) {
        struct termios old, quiet;
        size_t n = 0;
        int r = 0;

        if (tcgetattr(STDIN_FILENO, &old) < 0)
                return log_error_errno(errno, "Failed to read the terminal's settings: %m");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t) ECHO;
        quiet.c_lflag |= ECHONL;
        fprintf(stderr, "Value of secret %s: ", name);
        fflush(stderr);
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) < 0)
                return log_error_errno(errno, "Failed to turn off echo: %m");
        for (;;) {
                char c;
                ssize_t k = read(STDIN_FILENO, &c, 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        r = -errno;
                if (k <= 0 || c == '\n')
                        break;
                if (n >= VALUE_MAX) {
                        r = -EFBIG;
                        break;
                }
                buf[n++] = c;
        }
        (void) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        if (r < 0)
                return log_error_errno(r, "Failed to read the secret's value: %m");
        *ret_size = n;
        return 0;
}

static int add_owner(json_object *params) {
        int r = 0;

        if (arg_user)
                r = json_add_string(params, "user", arg_user);
        if (r >= 0 && arg_default)
                r = json_add_bool(params, "default", true);
        return r;
}

static int call(const char *method, json_object *params, json_object **ret_reply) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        json_object *reply;
        int r;

        r = ctl_connect(&link);
        if (r >= 0)
                r = ctl_call(link, method, params, &reply);
        if (r >= 0 && ret_reply)
                *ret_reply = json_object_get(reply);
        return r;
}

static int secret_set(const char *name) {
        _cleanup_(json_object_putp) json_object *params = json_object_new_object();
        _cleanup_free_ char *buf = malloc(VALUE_MAX + 1);
        json_object *v;
        size_t n = 0;
        int r;

        if (!params || !buf)
                return log_oom();
        r = isatty(STDIN_FILENO) ? prompt_value(name, buf, &n) : read_value_fd(STDIN_FILENO, buf, &n);
        if (r < 0)
                goto finish;
        v = json_object_new_string_len(buf, (int) n);
        r = json_add_string(params, "name", name);
        if (r >= 0)
                r = json_add_take(params, "value", v);
        if (r >= 0)
                r = add_owner(params);
        if (r < 0) {
                r = log_oom();
                goto finish;
        }
        r = call("io.openmono.Manager.SetSecret", params, NULL);
        /* Wipe the copies this process made; the controller does the same with its own. */
        explicit_bzero((char *) json_object_get_string(v), n);
finish:
        explicit_bzero(buf, VALUE_MAX + 1);
        return r;
}

static int secret_remove(const char *name) {
        _cleanup_(json_object_putp) json_object *params = json_object_new_object();

        if (!params || json_add_string(params, "name", name) < 0 || add_owner(params) < 0)
                return log_oom();
        return call("io.openmono.Manager.RemoveSecret", params, NULL);
}

static const char *format_time(char buf[static 32], uint64_t usec) {
        time_t t = (time_t) (usec / 1000000U);
        struct tm tm;

        if (!localtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, 32, "-");
        return buf;
}

static int secret_list(void) {
        _cleanup_(json_object_putp) json_object *params = json_object_new_object(), *reply = NULL;
        json_object *list = NULL;
        size_t n;
        int r;

        if (!params || add_owner(params) < 0)
                return log_oom();
        r = call("io.openmono.Manager.ListSecrets", params, &reply);
        if (r < 0)
                return r;
        (void) json_get_array(reply, "secrets", &list);
        if (arg_json) {
                ctl_print_json(list);
                return 0;
        }
        n = list ? json_object_array_length(list) : 0;
        if (arg_legend)
                printf("%-32s %-8s %s\n", "NAME", "SCOPE", "MODIFIED");
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(list, i);
                const char *name = "-", *scope = "-";
                uint64_t t = 0;
                char buf[32];

                (void) json_get_string(o, "name", &name);
                (void) json_get_string(o, "scope", &scope);
                (void) json_get_uint64(o, "modified_realtime_usec", &t);
                printf("%-32s %-8s %s\n", name, scope, format_time(buf, t));
        }
        if (arg_legend)
                printf("\n%zu secret%s listed.\n", n, n == 1 ? "" : "s");
        return 0;
}

static int secret_rotate_key(void) {
        _cleanup_(json_object_putp) json_object *reply = NULL;
        int64_t n = 0;
        int r;

        r = call("io.openmono.Manager.RotateSecretKey", NULL, &reply);
        if (r < 0)
                return r;
        if (arg_json) {
                ctl_print_json(reply);
                return 0;
        }
        (void) json_get_int64(reply, "secrets", &n);
        printf("Master key replaced; %" PRIi64 " secret%s re-encrypted.\n", n, n == 1 ? "" : "s");
        return 0;
}

/* Returns the index of the first argument after the options, or <0 on a usage error. */
static int parse_secret_options(int argc, char *argv[]) {
        enum { ARG_USER = 0x100, ARG_DEFAULT };
        static const struct option options[] = {
                { "user",    required_argument, NULL, ARG_USER    },
                { "default", no_argument,       NULL, ARG_DEFAULT },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case ARG_USER:
                        arg_user = optarg;
                        break;
                case ARG_DEFAULT:
                        arg_default = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (arg_user && arg_default)
                return log_error_errno(EINVAL, "--user and --default exclude each other.");
        return optind;
}

int verb_secret(int argc, char *argv[]) {
        const char *sub;
        int i, n;

        i = parse_secret_options(argc, argv);
        if (i <= 0)
                return i;
        n = argc - i;
        sub = n > 0 ? argv[i] : "list";
        if (streq(sub, "list") && n <= 1)
                return secret_list();
        if (streq(sub, "set") && n == 2)
                return secret_set(argv[i + 1]);
        if ((streq(sub, "rm") || streq(sub, "remove")) && n == 2)
                return secret_remove(argv[i + 1]);
        if (streq(sub, "rotate-key") && n == 1 && !arg_user && !arg_default)
                return secret_rotate_key();
        return log_error_errno(EINVAL, "Usage: %s secret [--user=USER|--default] list|set NAME|rm NAME, or secret rotate-key",
                               program_invocation_short_name);
}
