/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process-wide stop flag. */

#include <errno.h>
#include <signal.h>
#include <time.h>

#include "interrupt.h"

static volatile sig_atomic_t received;

static void on_signal(int sig) {
        received = sig;
}

int interrupt_install(void) {
        struct sigaction sa = { .sa_handler = on_signal };

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
                return -errno;
        return 0;
}

bool interrupt_requested(void) {
        return received != 0;
}

int interrupt_signal(void) {
        return received;
}

void interrupt_reset(void) {
        received = 0;
}

int interrupt_sleep(uint64_t usec) {
        struct timespec ts = { .tv_sec = (time_t) (usec / 1000000), .tv_nsec = (long) (usec % 1000000) * 1000 };

        while (!received && nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        return received ? -ECANCELED : 0;
}
