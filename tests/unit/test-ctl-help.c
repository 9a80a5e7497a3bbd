/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every verb and sub-verb in openmonoctl's table answers -h and --help with its own text and exit
 * status 0, wherever the option stands, without contacting the controller: the sockets point at
 * paths that do not exist, so any attempt would fail with status 3 and a message on stderr. The
 * binary under test is $OPENMONOCTL. */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"
#include "macro.h"

#define OUTPUT_MAX 16384

/* Reads fd to the end into buf (NUL-terminated). */
static void read_all(int fd, char *buf, size_t size) {
        size_t n = 0;
        ssize_t k;

        while (n < size - 1 && (k = read(fd, buf + n, size - 1 - n)) > 0)
                n += (size_t) k;
        buf[n] = 0;
}

/* Runs openmonoctl with args; returns its exit status and what it wrote to stdout and stderr. */
static int run_ctl(char **args, char *out, char *err) {
        const char *ctl = getenv("OPENMONOCTL");
        int po[2], pe[2], status;
        pid_t pid;

        assert_non_null(ctl);
        assert_int_equal(pipe2(po, O_CLOEXEC), 0);
        assert_int_equal(pipe2(pe, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(po[1], STDOUT_FILENO);
                dup2(pe[1], STDERR_FILENO);
                setenv("OPENMONO_SOCKET", "/nonexistent/io.openmono.Manager", 1);
                setenv("OPENMONO_INFERENCE_SOCKET", "/nonexistent/inference", 1);
                args[0] = (char *) ctl;
                execv(ctl, args);
                _exit(127);
        }
        close(po[1]);
        close(pe[1]);
        read_all(po[0], out, OUTPUT_MAX);
        read_all(pe[0], err, OUTPUT_MAX);
        close(po[0]);
        close(pe[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* "openmonoctl VERB [SUB] [WORD] FLAG" prints the help of VERB [SUB]. */
static void check_help(const CtlVerb *v, const char *word, const char *flag) {
        char out[OUTPUT_MAX], err[OUTPUT_MAX], expect[128];
        char *args[6] = { NULL };
        size_t n = 1;

        args[n++] = (char *) v->verb;
        if (v->sub)
                args[n++] = (char *) v->sub;
        if (word)
                args[n++] = (char *) word;
        args[n++] = (char *) flag;
        snprintf(expect, sizeof expect, "openmonoctl %s%s%s", v->verb, v->sub ? " " : "", v->sub ?: "");

        print_message("%s %s %s %s\n", v->verb, v->sub ?: "", word ?: "", flag);
        assert_int_equal(run_ctl(args, out, err), 0);
        assert_string_equal(err, "");
        /* Its own text: the first line names exactly this verb and sub-verb. */
        assert_true(startswith(out, expect));
        assert_true(out[strlen(expect)] == ' ' || out[strlen(expect)] == '\n');
        assert_non_null(strstr(out, v->summary));
}

static void test_every_verb_has_help(void **state) {
        for (size_t i = 0; i < ctl_n_verbs; i++) {
                const CtlVerb *v = &ctl_verbs[i];

                check_help(v, NULL, "--help");
                check_help(v, NULL, "-h");
                /* After a name or an option, where "--help" used to be taken for a name. */
                check_help(v, "some-name", "--help");
                check_help(v, "--json", "-h");
        }
}

static void test_verbs_are_dispatched(void **state) {
        /* Every sub-verb belongs to a verb that runs; verbs and sub-verbs are not listed twice. */
        for (size_t i = 0; i < ctl_n_verbs; i++) {
                const CtlVerb *v = &ctl_verbs[i];

                assert_non_null(v->summary);
                assert_non_null(v->synopsis);
                assert_true(v->sub ? !v->run : !!v->run);
                assert_ptr_equal(ctl_verb_find(v->verb, v->sub), v);
                assert_non_null(ctl_verb_find(v->verb, NULL));
        }
}

static void test_help_stops_at_double_dash(void **state) {
        char out[OUTPUT_MAX], err[OUTPUT_MAX];
        char *args[] = { NULL, "run", "-w", "/nonexistent", "--", "make", "--help", NULL };

        /* "--help" of the command run in the session is the command's. */
        assert_int_not_equal(run_ctl(args, out, err), 0);
        assert_null(strstr(out, "openmonoctl run"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_verbs_are_dispatched),
                cmocka_unit_test(test_every_verb_has_help),
                cmocka_unit_test(test_help_stops_at_double_dash),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
