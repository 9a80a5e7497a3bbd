/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Terminal forwarding for interactive sessions. Keystrokes, including Ctrl-C, go to the session's
 * terminal as they are, so they reach its foreground process as on a local terminal. */

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>

#include "log.h"
#include "macro.h"
#include "pty-forward.h"

struct PtyForward {
        int master;
        struct termios saved;
        bool saved_valid;
        sd_event_source *stdin_source, *master_source, *winch_source;
};

int pty_open(int *ret_master, int *ret_peer) {
        _cleanup_close_ int master = -EBADF, peer = -EBADF;
        struct winsize ws;
        const char *name;

        master = posix_openpt(O_RDWR|O_NOCTTY|O_CLOEXEC);
        if (master < 0)
                return -errno;
        if (grantpt(master) < 0 || unlockpt(master) < 0)
                return -errno;
        name = ptsname(master);
        if (!name)
                return -errno;
        peer = open(name, O_RDWR|O_NOCTTY|O_CLOEXEC);
        if (peer < 0)
                return -errno;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) >= 0)
                (void) ioctl(master, TIOCSWINSZ, &ws);
        *ret_master = steal_fd(master);
        *ret_peer = steal_fd(peer);
        return 0;
}

/* Copies what is there from one fd to another. Short writes to a terminal are rare enough that
 * blocking briefly on the rest is simpler than buffering. Returns <0 at EOF or error. */
static int shovel(int from, int to) {
        char buf[4096];
        ssize_t k = read(from, buf, sizeof buf);

        if (k < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (k == 0)
                return -EPIPE;
        for (ssize_t done = 0; done < k;) {
                ssize_t w = write(to, buf + done, (size_t) (k - done));
                if (w < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                done += w;
        }
        return 0;
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PtyForward *f = userdata;

        if (shovel(STDIN_FILENO, f->master) < 0)
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

static int on_master(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PtyForward *f = userdata;

        /* EIO once the session closed its end: nothing more will come. */
        if (shovel(f->master, STDOUT_FILENO) < 0)
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

static int on_winch(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        PtyForward *f = userdata;
        struct winsize ws;

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) >= 0)
                (void) ioctl(f->master, TIOCSWINSZ, &ws);
        return 0;
}

static int make_raw(PtyForward *f) {
        struct termios raw;

        if (tcgetattr(STDIN_FILENO, &f->saved) < 0)
                return 0;       /* not a terminal: nothing to change */
        f->saved_valid = true;
        raw = f->saved;
        cfmakeraw(&raw);
        raw.c_oflag = f->saved.c_oflag;         /* keep our own output processing */
        return NEG_ERRNO(tcsetattr(STDIN_FILENO, TCSANOW, &raw));
}

int pty_forward_new(sd_event *e, int master, PtyForward **ret) {
        _cleanup_(pty_forward_freep) PtyForward *f = NULL;
        sigset_t mask;
        int r;

        f = calloc(1, sizeof(*f));
        if (!f) {
                safe_close(master);
                return -ENOMEM;
        }
        f->master = master;
        (void) fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        sigemptyset(&mask);
        sigaddset(&mask, SIGWINCH);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_add_io(e, &f->master_source, master, EPOLLIN, on_master, f);
        if (r >= 0) {
                r = sd_event_add_io(e, &f->stdin_source, STDIN_FILENO, EPOLLIN, on_stdin, f);
                if (r == -EPERM)
                        r = 0;  /* stdin is a regular file or /dev/null: nothing to forward */
        }
        if (r >= 0)
                r = sd_event_add_signal(e, &f->winch_source, SIGWINCH, on_winch, f);
        if (r >= 0)
                r = make_raw(f);
        if (r < 0)
                return r;
        *ret = steal_ptr(f);
        return 0;
}

PtyForward *pty_forward_free(PtyForward *f) {
        if (!f)
                return NULL;
        /* Whatever the session printed last is still in the pty. */
        if (f->master >= 0) {
                int n = 0;
                while (ioctl(f->master, FIONREAD, &n) >= 0 && n > 0 && shovel(f->master, STDOUT_FILENO) >= 0)
                        ;
        }
        if (f->saved_valid)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &f->saved);
        sd_event_source_disable_unref(f->stdin_source);
        sd_event_source_disable_unref(f->master_source);
        sd_event_source_disable_unref(f->winch_source);
        safe_close(f->master);
        free(f);
        return NULL;
}
