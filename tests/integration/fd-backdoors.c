/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tries the system calls that make file descriptors behind the back of a session's filters and
 * prints one line each, "NAME: ok ..." or "NAME: ERRNO-NAME": io_uring's IORING_OP_SOCKET (which
 * makes sockets without socket(), past RestrictAddressFamilies=) for AF_NETLINK and AF_VSOCK, plain
 * socket() for the same families, userfaultfd, the keyring calls, pidfd_getfd, perf_event_open and
 * fanotify_init. The test builds it in the bed and runs it inside a session and, as a positive
 * control, as the same user outside. Raw system calls only: no liburing in the bed.
 *
 * "fd-backdoors hold" prints its PID and the address of a secret and sleeps; "fd-backdoors PID ADDRESS"
 * then also tries to read that secret with process_vm_readv(), from outside a session of the same
 * user into it. */

#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static void report(const char *name, long r) {
        if (r >= 0)
                printf("%s: ok (%ld)\n", name, r);
        else
                printf("%s: %s\n", name, strerrorname_np((int) -r) ?: "?");
}

static long neg_errno(long r) {
        return r < 0 ? -errno : r;
}

/* One IORING_OP_SOCKET through a fresh ring; returns the new fd or a negative errno. */
static long uring_socket(int domain, int type, int protocol) {
        struct io_uring_params p = {};
        struct io_uring_sqe *sqes;
        unsigned *sq_tail, *sq_array, *cq_head, *cq_tail;
        struct io_uring_cqe *cqes;
        void *sq, *cq;
        long r;
        int fd;

        fd = (int) neg_errno(syscall(__NR_io_uring_setup, 1, &p));
        if (fd < 0)
                return fd;
        sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ|PROT_WRITE,
                  MAP_SHARED|MAP_POPULATE, fd, IORING_OFF_SQ_RING);
        cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe), PROT_READ|PROT_WRITE,
                  MAP_SHARED|MAP_POPULATE, fd, IORING_OFF_CQ_RING);
        sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ|PROT_WRITE,
                    MAP_SHARED|MAP_POPULATE, fd, IORING_OFF_SQES);
        if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
                close(fd);
                return -ENOMEM;
        }
        sq_tail = (unsigned *) ((char *) sq + p.sq_off.tail);
        sq_array = (unsigned *) ((char *) sq + p.sq_off.array);
        cq_head = (unsigned *) ((char *) cq + p.cq_off.head);
        cq_tail = (unsigned *) ((char *) cq + p.cq_off.tail);
        cqes = (struct io_uring_cqe *) ((char *) cq + p.cq_off.cqes);

        memset(&sqes[0], 0, sizeof(sqes[0]));
        sqes[0].opcode = IORING_OP_SOCKET;
        sqes[0].fd = domain;
        sqes[0].off = (unsigned) type;
        sqes[0].len = (unsigned) protocol;
        sq_array[0] = 0;
        __atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);

        r = neg_errno(syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0));
        if (r >= 0)
                r = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) != *cq_head ? cqes[*cq_head & (p.cq_entries - 1)].res
                                                                         : -EAGAIN;
        close(fd);
        return r;
}

static void try_perf_event_open(void) {
        struct perf_event_attr a = {
                .type = PERF_TYPE_SOFTWARE,
                .size = sizeof(a),
                .config = PERF_COUNT_SW_TASK_CLOCK,
                .exclude_kernel = 1,
                .exclude_hv = 1,
        };

        report("perf_event_open", neg_errno(syscall(__NR_perf_event_open, &a, 0, -1, -1, 0)));
}

static char secret[] = "om-process-secret";

/* Reads the other process's secret: the same-user ptrace check, across the session boundary. */
static void try_process_vm_readv(const char *pid, const char *address) {
        char buf[sizeof(secret)] = {};
        struct iovec local = { buf, sizeof(buf) - 1 };
        struct iovec remote = { (void *) strtoul(address, NULL, 16), sizeof(buf) - 1 };
        long r = neg_errno(syscall(__NR_process_vm_readv, atoi(pid), &local, 1, &remote, 1, 0));

        if (r > 0)
                printf("process_vm_readv: ok (read \"%s\")\n", buf);
        else
                report("process_vm_readv", r);
}

int main(int argc, char *argv[]) {
        int pidfd;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc == 2 && strcmp(argv[1], "hold") == 0) {
                printf("%d %p\n", getpid(), (void *) secret);
                pause();
                return 0;
        }
        report("io_uring_setup", neg_errno(syscall(__NR_io_uring_setup, 1, &(struct io_uring_params) {})));
        report("io_uring socket AF_NETLINK", uring_socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG));
        report("io_uring socket AF_VSOCK", uring_socket(AF_VSOCK, SOCK_STREAM, 0));
        report("socket AF_NETLINK", neg_errno(socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG)));
        report("socket AF_VSOCK", neg_errno(socket(AF_VSOCK, SOCK_STREAM, 0)));
        report("userfaultfd", neg_errno(syscall(__NR_userfaultfd, 0)));
        report("add_key", neg_errno(syscall(__NR_add_key, "user", "om-test", "x", 1, -2 /* session */)));
        report("keyctl", neg_errno(syscall(__NR_keyctl, 0 /* GET_KEYRING_ID */, -3 /* @u */, 0)));
        pidfd = (int) neg_errno(syscall(__NR_pidfd_open, getpid(), 0));
        report("pidfd_open", pidfd);
        report("pidfd_getfd", pidfd < 0 ? pidfd : neg_errno(syscall(__NR_pidfd_getfd, pidfd, 1, 0)));
        try_perf_event_open();
        report("fanotify_init", neg_errno(fanotify_init(FAN_CLASS_NOTIF|FAN_REPORT_FID, 0)));
        if (argc == 3)
                try_process_vm_readv(argv[1], argv[2]);
        return 0;
}
