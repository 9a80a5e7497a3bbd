/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the scheduled-job methods ask of systemd, without waiting for it: checking a schedule
 * with systemd-analyze (a child process watched by the event loop) and bringing the timers in
 * line with the job files (StopUnit, Reload, StartUnit, one reply after the other). The
 * controller has one thread; a daemon-reload can take seconds, and every other client would
 * wait that long. Each operation keeps the Varlink call pending and the job, and hands both to
 * its done callback at the end. */

#include <fcntl.h>
#include <sys/wait.h>

#include "cron.h"
#include "log.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

/* Enough for systemd-analyze's complaint; it fits the pipe, so it is read once the child exited. */
#define ANALYZE_OUTPUT_MAX 1024U

typedef enum CronStep {
        CRON_STEP_STOP,
        CRON_STEP_RELOAD,
        CRON_STEP_START,
        CRON_STEP_DONE,
} CronStep;

typedef struct CronOp {
        Manager *manager;
        Varlink *link;
        CronJob *job;
        bool active;                    /* the job's timer runs after the change */
        CronStep step;
        char *unit;                     /* the timer or service the chain starts or stops */
        sd_bus_slot *slot;
        CronDone done;
        sd_event_source *child;
        int output_fd;
} CronOp;

static CronOp *cron_op_free(CronOp *op) {
        if (!op)
                return NULL;
        sd_bus_slot_unref(op->slot);
        sd_event_source_disable_unref(op->child);
        safe_close(op->output_fd);
        varlink_unref(op->link);
        cron_job_free(op->job);
        free(op->unit);
        free(op);
        return NULL;
}

/* Ends the operation: the callback answers the call and may keep the job (steal it). */
static void cron_op_finish(CronOp *op, int r, const char *why) {
        op->done(op->manager, op->link, &op->job, r, why);
        cron_op_free(op);
}

/* Creates the operation; if that fails, done hears it at once. Returns NULL then. */
static CronOp *cron_op_new(Manager *m, Varlink *link, CronJob *job, const char *unit, CronDone done) {
        CronOp *op = calloc(1, sizeof(*op));

        if (op) {
                *op = (CronOp) {
                        .manager = m,
                        .link = varlink_ref(link),
                        .job = job,
                        .done = done,
                        .output_fd = -EBADF,
                        .unit = unit ? strdup(unit) : NULL,
                };
                if (!unit || op->unit)
                        return op;
                op->job = NULL;
                cron_op_free(op);
        }
        done(m, link, &job, -ENOMEM, NULL);
        cron_job_free(job);
        return NULL;
}

static int cron_op_next(CronOp *op);

static int on_step_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        CronOp *op = userdata;
        int r;

        op->slot = sd_bus_slot_unref(op->slot);
        /* Stopping a timer that is not running fails harmlessly; a failed Reload or start is
         * what the caller hears. */
        if (e && op->step != CRON_STEP_STOP) {
                log_warning("Failed to bring systemd in line with scheduled job %s: %s", op->job->name, e->message);
                cron_op_finish(op, -sd_bus_message_get_errno(reply) ?: -EIO, e->message);
                return 0;
        }
        op->step++;
        r = cron_op_next(op);
        if (r < 0)
                cron_op_finish(op, r, "cannot reach systemd");
        return 0;
}

/* Sends the next call of the chain, skipping what this change does not need. Finishes the
 * operation itself when nothing is left; returns <0 if a call could not be sent. */
static int cron_op_next(CronOp *op) {
        sd_bus *bus;
        int r;

        if (op->step == CRON_STEP_STOP && op->active)
                op->step++;
        if (op->step == CRON_STEP_START && !op->active)
                op->step++;
        if (op->step == CRON_STEP_DONE) {
                cron_op_finish(op, 0, NULL);
                return 0;
        }
        r = manager_get_bus(op->manager, &bus);
        if (r < 0)
                return r;
        if (op->step == CRON_STEP_RELOAD)
                /* Reload re-runs the generators and answers once the new units are loaded. */
                return sd_bus_call_method_async(bus, &op->slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                                "Reload", on_step_reply, op, NULL);
        return sd_bus_call_method_async(bus, &op->slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                        op->step == CRON_STEP_STOP ? "StopUnit" : "StartUnit", on_step_reply, op,
                                        "ss", op->unit, "replace");
}

static void cron_op_run(CronOp *op, CronStep first, bool active) {
        int r;

        op->step = first;
        op->active = active;
        r = cron_op_next(op);
        if (r < 0)
                cron_op_finish(op, r, "cannot reach systemd");
}

void cron_sync_systemd(Manager *m, Varlink *link, CronJob *job, bool active, CronDone done) {
        _cleanup_free_ char *timer = NULL;
        CronOp *op;

        if (cron_job_timer_name(job->name, &timer) < 0) {
                done(m, link, &job, -ENOMEM, NULL);
                cron_job_free(job);
                return;
        }
        op = cron_op_new(m, link, job, timer, done);
        if (op)
                cron_op_run(op, CRON_STEP_STOP, active);
}

void cron_start_unit(Manager *m, Varlink *link, CronJob *job, const char *unit, CronDone done) {
        CronOp *op = cron_op_new(m, link, job, unit, done);

        if (op)
                cron_op_run(op, CRON_STEP_START, /* active= */ true);
}

static int on_analyze_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        CronOp *op = userdata;
        char buf[ANALYZE_OUTPUT_MAX];
        ssize_t n;

        n = read(op->output_fd, buf, sizeof buf - 1);
        buf[MAX(n, (ssize_t) 0)] = 0;
        /* systemd-analyze's first line says what is wrong with the expression. */
        buf[strcspn(buf, "\n")] = 0;
        if (si->si_code == CLD_EXITED && si->si_status == 0)
                cron_op_finish(op, 0, NULL);
        else if (si->si_code == CLD_EXITED && si->si_status == 127)
                cron_op_finish(op, -ENOENT, "systemd-analyze is not installed");
        else
                cron_op_finish(op, -EINVAL, buf);
        return 0;
}

/* Starts "systemd-analyze calendar -- expr" with its output going to a pipe. */
static int spawn_analyze(const char *expr, pid_t *ret_pid, int *ret_fd) {
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
        int fds[2];
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        rfd = fds[0];
        wfd = fds[1];
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY|O_CLOEXEC);
                sigset_t all;

                /* The controller blocks the signals it handles through sd-event. */
                sigfillset(&all);
                (void) sigprocmask(SIG_UNBLOCK, &all, NULL);
                if (null < 0 || dup2(null, 0) < 0 || dup2(wfd, 1) < 0 || dup2(wfd, 2) < 0)
                        _exit(126);
                execlp("systemd-analyze", "systemd-analyze", "calendar", "--", expr, (char *) NULL);
                _exit(127);
        }
        if (fcntl(rfd, F_SETFL, O_NONBLOCK) < 0)
                return -errno;
        *ret_pid = pid;
        *ret_fd = steal_fd(rfd);
        return 0;
}

void cron_check_calendar(Manager *m, Varlink *link, CronJob *job, const char *expr, CronDone done) {
        CronOp *op = cron_op_new(m, link, job, /* unit= */ NULL, done);
        pid_t pid = 0;
        int r;

        if (!op)
                return;
        r = spawn_analyze(expr, &pid, &op->output_fd);
        if (r >= 0) {
                r = sd_event_add_child(m->event, &op->child, pid, WEXITED, on_analyze_exit, op);
                if (r < 0) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, NULL, 0);
                }
        }
        if (r < 0)
                cron_op_finish(op, r, "cannot run systemd-analyze");
}
