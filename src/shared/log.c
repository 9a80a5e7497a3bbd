/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process-wide log target and level, and the two ways out: stderr and sd_journal. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <systemd/sd-journal.h>

#include "log.h"

static LogTarget log_target = LOG_TARGET_AUTO;
static int log_max_level = LOG_INFO;

static const char *const log_target_table[_LOG_TARGET_MAX] = {
        [LOG_TARGET_AUTO] = "auto",
        [LOG_TARGET_CONSOLE] = "console",
        [LOG_TARGET_JOURNAL] = "journal",
};

static const char *const log_level_table[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "err",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

const char *log_target_to_string(LogTarget t) {
        return t >= 0 && t < _LOG_TARGET_MAX ? log_target_table[t] : NULL;
}

LogTarget log_target_from_string(const char *s) {
        for (int i = 0; s && i < _LOG_TARGET_MAX; i++)
                if (streq(log_target_table[i], s))
                        return i;
        return _LOG_TARGET_INVALID;
}

int log_level_from_string(const char *s) {
        for (size_t i = 0; s && i < ELEMENTSOF(log_level_table); i++)
                if (streq(log_level_table[i], s))
                        return (int) i;
        return -EINVAL;
}

void log_set_target(LogTarget t) {
        log_target = t;
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

void log_parse_environment(void) {
        int l = log_level_from_string(getenv("OPENMONO_LOG_LEVEL"));

        if (l >= 0)
                log_max_level = l;
}

bool fd_is_journal_stream(int fd) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(fd, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

static bool use_journal(void) {
        static int cached = -1;

        if (log_target != LOG_TARGET_AUTO)
                return log_target == LOG_TARGET_JOURNAL;
        if (cached < 0)
                cached = fd_is_journal_stream(STDERR_FILENO);
        return cached;
}

static int send_journal(int level, int error, const char *file, int line, const char *func,
                        char *const *fields) {
        char prio[32], errbuf[32], codefile[256], codeline[32], codefunc[256], ident[128];
        struct iovec iov[64];
        size_t n = 0;

        snprintf(prio, sizeof prio, "PRIORITY=%i", level);
        snprintf(codefile, sizeof codefile, "CODE_FILE=%s", file);
        snprintf(codeline, sizeof codeline, "CODE_LINE=%i", line);
        snprintf(codefunc, sizeof codefunc, "CODE_FUNC=%s", func);
        snprintf(ident, sizeof ident, "SYSLOG_IDENTIFIER=%s", program_invocation_short_name);
        iov[n++] = (struct iovec) { prio, strlen(prio) };
        iov[n++] = (struct iovec) { codefile, strlen(codefile) };
        iov[n++] = (struct iovec) { codeline, strlen(codeline) };
        iov[n++] = (struct iovec) { codefunc, strlen(codefunc) };
        iov[n++] = (struct iovec) { ident, strlen(ident) };
        if (error != 0) {
                snprintf(errbuf, sizeof errbuf, "ERRNO=%i", abs(error));
                iov[n++] = (struct iovec) { errbuf, strlen(errbuf) };
        }
        for (; *fields && n < ELEMENTSOF(iov); fields++)
                iov[n++] = (struct iovec) { *fields, strlen(*fields) };

        return sd_journal_sendv(iov, (int) n);
}

static void send_console(const char *message) {
        fprintf(stderr, "%s\n", message);
}

int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        char *const *fields) {
        int saved = errno;

        if (level > log_max_level)
                goto finish;

        if (use_journal() && send_journal(level, error, file, line, func, fields) >= 0)
                goto finish;

        for (char *const *f = fields; *f; f++) {
                const char *m = startswith(*f, "MESSAGE=");
                if (m)
                        send_console(m);
        }
finish:
        errno = saved;
        return error == 0 ? 0 : -abs(error);
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        char buf[2048 + sizeof "MESSAGE="] = "MESSAGE=";
        char *fields[] = { buf, NULL };
        va_list ap;

        if (level > log_max_level)
                return error == 0 ? 0 : -abs(error);

        if (error != 0)
                errno = abs(error);
        va_start(ap, format);
        vsnprintf(buf + strlen("MESSAGE="), sizeof buf - strlen("MESSAGE="), format, ap);
        va_end(ap);

        return log_struct_internal(level, error, file, line, func, fields);
}

void log_trace_error(int error, const char *file, int line, const char *func) {
        if (log_max_level >= LOG_DEBUG)
                log_internal(LOG_DEBUG, error, file, line, func, "Error origin: %m");
}
