/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmono-netns: builds and removes the network namespace of one session, and sweeps what a
 * crash left behind. Run by systemd as openmono-netns@<id>.service (add on start, remove on
 * stop) and by the controller's ExecStartPre= (sweep), never by users.
 *
 * Why a unit and not the controller: the namespace has to be mounted in the host's mount
 * namespace for NetworkNamespacePath= to find it, and the controller lives in a mount namespace
 * of its own (ProtectSystem=, PrivateTmp=...). A unit that the session BindsTo= also ties the
 * namespace's life to the session's in PID 1, which outlives any controller crash. Why `ip` and
 * `nft` and not hand-written netlink: two batches and one ruleset, each applied by one process,
 * cost about as much as the netlink code would, and stay readable by any administrator. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "fs-util.h"
#include "log.h"
#include "macro.h"
#include "session-netns.h"
#include "strv.h"

#define LOCK_FILE "/run/openmono/netns.lock"
#define SYSFS_NET "/sys/class/net"

/* Runs argv with input on its stdin; its output goes to ours (the journal). Returns 0 when it
 * exits with 0, -EIO when it fails, or a negative errno. */
static int run_with_input(char *const *argv, const char *input) {
        int pipefd[2], status;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                safe_close(pipefd[0]);
                safe_close(pipefd[1]);
                return -errno;
        }
        if (pid == 0) {
                if (dup2(pipefd[0], STDIN_FILENO) < 0)
                        _exit(127);
                execv(argv[0], argv);
                _exit(127);
        }
        safe_close(pipefd[0]);
        /* Batches are a few hundred bytes, far below the pipe buffer. */
        (void) !write(pipefd[1], input, strlen(input));
        safe_close(pipefd[1]);
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int ip_batch(const char *netns, const char *batch) {
        char *host[] = { (char *) "/usr/sbin/ip", (char *) "-batch", (char *) "-", NULL };
        char *inside[] = { (char *) "/usr/sbin/ip", (char *) "-n", (char *) netns, (char *) "-batch",
                           (char *) "-", NULL };

        return run_with_input(netns ? inside : host, batch);
}

static int nft_apply(const char *ruleset) {
        char *argv[] = { (char *) "/usr/sbin/nft", (char *) "-f", (char *) "-", NULL };

        return run_with_input(argv, ruleset);
}

/* Reads the alias of a host link ("openmono-<id>"); an empty string when it has none. */
static int link_alias(const char *link, char ret[static 128]) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[PATH_MAX];

        snprintf(path, sizeof(path), SYSFS_NET "/%s/ifalias", link);
        ret[0] = '\0';
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (!fgets(ret, 128, f))
                ret[0] = '\0';
        ret[strcspn(ret, "\n")] = '\0';
        return 0;
}

/* Collects the indices of all host links of the pool and, if ret_links is not NULL, their
 * names paired with their aliases ("om-3", "openmono-<id>", ...). Returns their number. */
static int list_links(uint32_t **ret_used, char ***ret_links) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ uint32_t *used = NULL;
        _cleanup_strv_free_ char **links = NULL;
        size_t n = 0;
        struct dirent *de;

        d = opendir(SYSFS_NET);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char alias[128];
                uint32_t index, *u;

                if (session_netns_link_index(de->d_name, &index) < 0)
                        continue;
                u = reallocarray(used, n + 1, sizeof(uint32_t));
                if (!u)
                        return -ENOMEM;
                used = u;
                used[n++] = index;
                (void) link_alias(de->d_name, alias);
                if (ret_links && (strv_extend(&links, de->d_name) < 0 || strv_extend(&links, alias) < 0))
                        return -ENOMEM;
        }
        if (ret_used)
                *ret_used = steal_ptr(used);
        if (ret_links)
                *ret_links = steal_ptr(links);
        return (int) n;
}

static int link_delete(const char *link) {
        _cleanup_free_ char *batch = NULL;

        if (asprintf(&batch, "link del %s\n", link) < 0)
                return -ENOMEM;
        return ip_batch(/* netns= */ NULL, batch);
}

static bool netns_exists(const char *name) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), SESSION_NETNS_DIR "/%s", name);
        return access(path, F_OK) == 0;
}

/* The table exists only while some session network does. */
static void drop_table_if_unused(void) {
        if (list_links(NULL, NULL) == 0)
                (void) nft_apply("table inet openmono {}\ndelete table inet openmono\n");
}

static int netns_remove(const char *id) {
        _cleanup_strv_free_ char **links = NULL;
        _cleanup_free_ char *name = NULL, *batch = NULL;
        int r = 0, k;

        if (asprintf(&name, SESSION_NETNS_NAME_PREFIX "%s", id) < 0)
                return -ENOMEM;
        /* Deleting the host's end deletes the pair at once; the namespace going would do it too,
         * but only when its last process has gone. */
        k = list_links(NULL, &links);
        if (k < 0)
                return k;
        for (char **l = links; l && l[0] && l[1]; l += 2)
                if (streq(l[1], name) && (k = link_delete(l[0])) < 0)
                        r = k;
        if (netns_exists(name)) {
                if (asprintf(&batch, "netns del %s\n", name) < 0)
                        return -ENOMEM;
                k = ip_batch(/* netns= */ NULL, batch);
                if (k < 0)
                        r = k;
        }
        drop_table_if_unused();
        return r;
}

static int write_ip_forward(void) {
        _cleanup_close_ int fd = -EBADF;

        fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY|O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return write(fd, "1\n", 2) == 2 ? 0 : -errno;
}

static int netns_add(const char *id) {
        _cleanup_free_ uint32_t *used = NULL;
        _cleanup_free_ char *host = NULL, *peer = NULL, *name = NULL;
        uint32_t index;
        int n, r;

        if (asprintf(&name, SESSION_NETNS_NAME_PREFIX "%s", id) < 0)
                return -ENOMEM;
        /* A namespace of this id is a leftover of an earlier start that failed half-way. */
        if (netns_exists(name))
                (void) netns_remove(id);
        n = list_links(&used, NULL);
        if (n < 0)
                return n;
        r = session_netns_pool_pick(used, (size_t) n, &index);
        if (r < 0)
                return r;
        if (session_netns_host_batch(id, index, &host) < 0 || session_netns_peer_batch(index, &peer) < 0)
                return -ENOMEM;
        r = nft_apply(session_netns_ruleset());
        if (r >= 0)
                r = write_ip_forward();
        if (r >= 0)
                r = ip_batch(/* netns= */ NULL, host);
        if (r >= 0)
                r = ip_batch(name, peer);
        if (r < 0)
                (void) netns_remove(id);
        return r;
}

/* Whether systemd still has the netns unit of id in any state but inactive or failed. */
static bool unit_alive(sd_bus *bus, const char *id) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *unit = NULL, *state = NULL;
        const char *path;

        if (asprintf(&unit, SESSION_NETNS_UNIT_PREFIX "%s.service", id) < 0)
                return true;
        if (sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnit", &error, &reply, "s", unit) < 0)
                return !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit");
        if (sd_bus_message_read(reply, "o", &path) < 0 ||
            sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                       "ActiveState", &error, &state) < 0)
                return true;    /* in doubt, leave it */
        return !streq(state, "inactive") && !streq(state, "failed");
}

/* Removes the namespaces whose unit systemd no longer runs, and host links whose namespace is
 * gone. Returns the number of leftovers removed. */
static int netns_sweep(void) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **links = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r, n = 0;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        d = opendir(SESSION_NETNS_DIR);
        while (d && (de = readdir(d))) {
                const char *id = startswith(de->d_name, SESSION_NETNS_NAME_PREFIX);

                if (!id || !session_netns_id_valid(id) || unit_alive(bus, id))
                        continue;
                log_info("Removing the network of ended session %s", id);
                n += netns_remove(id) >= 0;
        }
        r = list_links(NULL, &links);
        for (char **l = links; r > 0 && l[0] && l[1]; l += 2)
                if (!startswith(l[1], SESSION_NETNS_NAME_PREFIX) || !netns_exists(l[1])) {
                        log_info("Removing link %s of an ended session", l[0]);
                        n += link_delete(l[0]) >= 0;
                }
        drop_table_if_unused();
        return n;
}

static int take_lock(void) {
        int fd;

        /* One change at a time: two sessions starting together must not pick the same /31. */
        fd = open(LOCK_FILE, O_RDWR|O_CREAT|O_CLOEXEC|O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX) < 0) {
                safe_close(fd);
                return -errno;
        }
        return fd;
}

int main(int argc, char *argv[]) {
        _cleanup_close_ int lock = -EBADF;
        const char *verb = argc > 1 ? argv[1] : "";
        int r;

        log_parse_environment();
        if (!(streq(verb, "sweep") && argc == 2) &&
            !((streq(verb, "add") || streq(verb, "remove")) && argc == 3 && session_netns_id_valid(argv[2]))) {
                fprintf(stderr, "Usage: %s add|remove ID | sweep\n", program_invocation_short_name);
                return EXIT_FAILURE;
        }
        lock = take_lock();
        if (lock < 0)
                return log_error_errno(lock, "Failed to lock %s: %m", LOCK_FILE), EXIT_FAILURE;
        if (streq(verb, "add"))
                r = netns_add(argv[2]);
        else if (streq(verb, "remove"))
                r = netns_remove(argv[2]);
        else
                r = netns_sweep();
        if (r < 0)
                return log_error_errno(r, "Failed to %s the network of %s: %m", verb,
                                       argc > 2 ? argv[2] : "ended sessions"), EXIT_FAILURE;
        return EXIT_SUCCESS;
}
