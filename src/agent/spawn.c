/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fork(), then in the child only async-signal-safe work plus the seccomp load (the agent is
 * single-threaded, so allocating there is safe); in the parent a poll() loop over the output
 * pipe and a pidfd for the child, which wakes on output, exit, timeout and signals alike. */

#include <assert.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "interrupt.h"
#include "output-cap.h"
#include "sandbox.h"
#include "spawn.h"

/* After SIGTERM a command gets this long before SIGKILL. */
#define KILL_GRACE_USEC (2U * 1000000U)
/* Without a pidfd, how often to look for the child's exit. */
#define POLL_TICK_MSEC 20

void spawn_result_done(SpawnResult *r) {
        if (!r)
                return;
        free(r->output);
        *r = (SpawnResult) {};
}

__attribute__((__noreturn__)) static void child(const SpawnOptions *o, int out_fd) {
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigset_t none;
        int null_fd;

        (void) setpgid(0, 0);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        (void) sigaction(SIGINT, &dfl, NULL);
        (void) sigaction(SIGTERM, &dfl, NULL);
        (void) sigaction(SIGPIPE, &dfl, NULL);

        null_fd = open("/dev/null", O_RDONLY|O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
            dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)
                _exit(127);
        if (o->cwd_fd >= 0 && fchdir(o->cwd_fd) < 0)
                _exit(127);
        if (o->seccomp && sandbox_seccomp_install() < 0) {
                static const char msg[] = "openmono-agent: cannot install the command's seccomp filter\n";
                (void) !write(STDERR_FILENO, msg, sizeof msg - 1);
                _exit(127);
        }
        execvp(o->argv[0], o->argv);
        _exit(127);
}

static void kill_group(pid_t pid, int sig) {
        (void) kill(-pid, sig);
        (void) kill(pid, sig);
}

typedef struct Run {
        pid_t pid;
        int out_fd;
        int pid_fd;
        OutputCap cap;
        bool exited;
        int status;
        uint64_t start;
        uint64_t term_sent;     /* when SIGTERM went out, or 0 */
} Run;

static void read_output(Run *run) {
        char buf[16384];
        ssize_t n;

        while (run->out_fd >= 0) {
                n = read(run->out_fd, buf, sizeof buf);
                if (n > 0) {
                        output_cap_add(&run->cap, buf, (size_t) n);
                        continue;
                }
                if (n == 0 || (errno != EINTR && errno != EAGAIN))
                        run->out_fd = safe_close(run->out_fd);
                break;
        }
}

static void check_exit(Run *run) {
        int status;

        if (!run->exited && waitpid(run->pid, &status, WNOHANG) == run->pid) {
                run->exited = true;
                run->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
}

/* Sends SIGTERM once, SIGKILL after the grace period. */
static void stop(Run *run) {
        uint64_t n = now(CLOCK_MONOTONIC);

        if (run->term_sent == 0) {
                kill_group(run->pid, SIGTERM);
                run->term_sent = n;
        } else if (n - run->term_sent > KILL_GRACE_USEC)
                kill_group(run->pid, SIGKILL);
}

static int poll_timeout(const Run *run, uint64_t deadline) {
        uint64_t n = now(CLOCK_MONOTONIC), left;

        if (run->term_sent)
                return 100;
        if (deadline == 0)
                return run->pid_fd < 0 ? POLL_TICK_MSEC : -1;
        left = deadline > n ? (deadline - n + 999) / 1000 : 0;
        return (int) MIN(left, run->pid_fd < 0 ? (uint64_t) POLL_TICK_MSEC : (uint64_t) INT32_MAX);
}

static void wait_loop(Run *run, const SpawnOptions *o, SpawnResult *res) {
        uint64_t deadline = o->timeout_usec ? run->start + o->timeout_usec : 0;

        while (!run->exited) {
                struct pollfd p[2] = {
                        { .fd = run->out_fd, .events = POLLIN },
                        { .fd = run->pid_fd, .events = POLLIN },
                };

                if (interrupt_requested() && !res->cancelled)
                        res->cancelled = true;
                if (deadline && now(CLOCK_MONOTONIC) >= deadline && !res->cancelled)
                        res->timed_out = true;
                if (res->cancelled || res->timed_out)
                        stop(run);

                (void) poll(p, 2, poll_timeout(run, deadline));
                if (p[0].revents)
                        read_output(run);
                check_exit(run);
        }
        /* Whatever the command left behind goes with it, and takes the pipe's last writers. */
        kill_group(run->pid, SIGKILL);
        read_output(run);
}

int spawn_run(const SpawnOptions *o, SpawnResult *ret) {
        Run run = { .out_fd = -EBADF, .pid_fd = -EBADF };
        int pipe_fds[2];
        int r;

        assert(o);
        assert(o->argv && o->argv[0]);
        assert(ret);

        r = output_cap_init(&run.cap, o->output_cap);
        if (r < 0)
                return r;
        if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
                output_cap_done(&run.cap);
                return -errno;
        }
        run.start = now(CLOCK_MONOTONIC);
        run.pid = fork();
        if (run.pid < 0) {
                r = -errno;
                safe_close(pipe_fds[0]);
                safe_close(pipe_fds[1]);
                output_cap_done(&run.cap);
                return r;
        }
        if (run.pid == 0)
                child(o, pipe_fds[1]);

        safe_close(pipe_fds[1]);
        run.out_fd = pipe_fds[0];
        /* Non-blocking, so draining stops when the pipe is empty even while a background
         * process still holds its write end. */
        (void) fcntl(run.out_fd, F_SETFL, O_NONBLOCK);
        (void) setpgid(run.pid, run.pid);       /* no race with kill_group() before the child's own */
        run.pid_fd = (int) syscall(SYS_pidfd_open, run.pid, 0);

        *ret = (SpawnResult) {};
        wait_loop(&run, o, ret);
        safe_close(run.out_fd);
        safe_close(run.pid_fd);

        ret->exit_status = run.status;
        ret->bytes = run.cap.total;
        ret->duration_usec = now(CLOCK_MONOTONIC) - run.start;
        r = output_cap_finish(&run.cap, &ret->output);
        output_cap_done(&run.cap);
        return r;
}
