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
 * cost about as much as the netlink code would, and stay readable by any administrator.
 *
 * What session networks change on the host beyond their own links (forwarding, accept_ra) is
 * recorded in SESSION_NETNS_STATE_FILE before it is changed, and given back when the last
 * session network goes, by `remove` or, after a crash, by `sweep`. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "conf-parser.h"
#include "fs-util.h"
#include "log.h"
#include "macro.h"
#include "session-netns.h"
#include "strv.h"

#define LOCK_FILE "/run/openmono/netns.lock"
#define SYSFS_NET "/sys/class/net"
#define PROC_SYS_NET "/proc/sys/net"

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

/* Reads the one-character value of a sysctl below /proc/sys/net ("ipv4/ip_forward"). Returns
 * the character, or a negative errno (-ENOENT where the kernel or the link has no such knob). */
static int sysctl_read(const char *path) {
        _cleanup_fclose_ FILE *f = NULL;
        char full[PATH_MAX];
        int c;

        snprintf(full, sizeof(full), PROC_SYS_NET "/%s", path);
        f = fopen(full, "re");
        if (!f)
                return -errno;
        c = fgetc(f);
        return c == EOF ? -EIO : c;
}

static int sysctl_write(const char *path, char value) {
        _cleanup_close_ int fd = -EBADF;
        char full[PATH_MAX], line[2] = { value, '\n' };

        snprintf(full, sizeof(full), PROC_SYS_NET "/%s", path);
        fd = open(full, O_WRONLY|O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return write(fd, line, sizeof(line)) == (ssize_t) sizeof(line) ? 0 : -errno;
}

/* Loads SESSION_NETNS_STATE_FILE. Returns 0, -ENOENT when there is none, -EBADMSG when it does
 * not parse, or another negative errno. */
static int state_load(SessionNetnsState *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        char text[16384];
        size_t n;

        f = fopen(SESSION_NETNS_STATE_FILE, "re");
        if (!f)
                return -errno;
        n = fread(text, 1, sizeof(text) - 1, f);
        if (ferror(f))
                return -EIO;
        text[n] = '\0';
        return session_netns_state_from_string(text, ret) < 0 ? -EBADMSG : 0;
}

static int state_save(const SessionNetnsState *s) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = session_netns_state_to_string(s, &text);
        if (r < 0)
                return r;
        return write_file_atomic(SESSION_NETNS_STATE_FILE, text, strlen(text), 0644);
}

/* Gives back what the state file says session networks changed, wherever it still holds what
 * OpenMono set (an administrator's later change wins), and removes the file. */
static void state_undo(void) {
        _cleanup_(session_netns_state_done) SessionNetnsState s = {};
        int r;

        r = state_load(&s);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                log_warning_errno(r, "Cannot read %s, leaving net.ipv4.ip_forward, net.ipv6.conf.*.forwarding "
                                  "and accept_ra as they are: %m", SESSION_NETNS_STATE_FILE);
                (void) unlink(SESSION_NETNS_STATE_FILE);
                return;
        }
        STRV_FOREACH(u, s.undo) {
                char path[PATH_MAX], ours, before;
                size_t n;

                if (session_netns_undo_parse(*u, &n, &ours, &before) < 0 || n >= sizeof(path))
                        continue;
                memcpy(path, *u, n);
                path[n] = '\0';
                if (sysctl_read(path) != ours)
                        continue;
                r = sysctl_write(path, before);
                if (r < 0)
                        log_warning_errno(r, "Failed to set %s back to %c, ignoring: %m", path, before);
                else
                        log_info("Set %s back to %c, as it was before session networks", path, before);
        }
        (void) unlink(SESSION_NETNS_STATE_FILE);
}

/* The table and what the state file records exist only while some session network does. Undo
 * first: dropping the table first would forward everything for a moment. */
static void release_host_if_unused(void) {
        if (list_links(NULL, NULL) != 0)
                return;
        state_undo();
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
        release_host_if_unused();
        return r;
}

/* [Network] of openmono.conf; the controller reports its other keys, only fatal errors matter. */
static int pools_load(SessionNetnsPools *ret) {
        static const ConfigItem items[] = {
                SESSION_NETNS_CONFIG_ITEMS(0),
                {}
        };
        ConfigDiagnostics diag = {};
        SessionNetnsPools p;
        int r;

        session_netns_pools_init(&p);
        r = config_parse_standard("openmono.conf", CONFIG_DIRS_STANDARD, /* root= */ NULL, items, &p, &diag);
        if (r < 0)
                log_error("%s", diag.error ?: "Failed to read openmono.conf");
        config_diagnostics_done(&diag);
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}

static bool host_has_ipv6(void) {
        return sysctl_read("ipv6/conf/default/disable_ipv6") == '0';
}

/* Appends to *undo how to give the IPv6 links back their router advertisements and their own
 * forwarding once all.forwarding is 0 again: the kernel ignores advertisements on links that
 * forward unless accept_ra is 2, and writing all.forwarding sets every link's forwarding. */
static int plan_ipv6_links(char ***undo) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_strv_free_ char **ra = NULL;
        struct dirent *de;

        d = opendir(PROC_SYS_NET "/ipv6/conf");
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char path[PATH_MAX];
                int fwd;

                if (de->d_name[0] == '.' || streq(de->d_name, "all") ||
                    startswith(de->d_name, SESSION_NETNS_LINK_PREFIX))
                        continue;
                snprintf(path, sizeof(path), "ipv6/conf/%s/forwarding", de->d_name);
                fwd = sysctl_read(path);
                if (fwd == '1' && strv_extendf(undo, "%s 0 1", path) < 0)
                        return -ENOMEM;
                snprintf(path, sizeof(path), "ipv6/conf/%s/accept_ra", de->d_name);
                if (fwd == '0' && sysctl_read(path) == '1' && strv_extendf(&ra, "%s 2 1", path) < 0)
                        return -ENOMEM;
        }
        return strv_extend_strv(undo, ra) < 0 ? -ENOMEM : 0;
}

/* Adds to s the undo lines of the switches session networks need that are not made yet, and
 * saves s before any of them is made: a crash in between leaves lines whose OURS never came. */
static int state_plan(SessionNetnsState *s, bool is_new) {
        size_t before = strv_length(s->undo);
        int c, r;

        c = sysctl_read("ipv4/ip_forward");
        if (c < 0)
                return c;
        if (c != '1' && !session_netns_state_has_undo(s, "ipv4/ip_forward") &&
            strv_extendf(&s->undo, "ipv4/ip_forward 1 %c", c) < 0)
                return -ENOMEM;
        if (s->pools.pool6.family == AF_INET6) {
                c = sysctl_read("ipv6/conf/all/forwarding");
                if (c < 0)
                        return c;
                if (c != '1' && !session_netns_state_has_undo(s, "ipv6/conf/all/forwarding")) {
                        /* all.forwarding first: undoing it resets what the lines after it fix. */
                        if (strv_extendf(&s->undo, "ipv6/conf/all/forwarding 1 %c", c) < 0)
                                return -ENOMEM;
                        r = plan_ipv6_links(&s->undo);
                        if (r < 0)
                                return r;
                }
        }
        return is_new || strv_length(s->undo) != before ? state_save(s) : 0;
}

/* Loads the state of the session networks on the host, or starts it from openmono.conf when
 * this is the first one. Returns 1 for a new state, 0 for a loaded one, or a negative errno. */
static int state_get(SessionNetnsState *ret) {
        int r;

        r = state_load(ret);
        if (r != -ENOENT)
                return r == -EBADMSG ? log_error_errno(r, "%s is damaged, remove it once no session runs: %m",
                                                       SESSION_NETNS_STATE_FILE) : r;
        r = pools_load(&ret->pools);
        if (r < 0)
                return r;
        if (!host_has_ipv6()) {
                log_info("IPv6 is disabled on this host, session networks route IPv4 only");
                ret->pools.pool6 = (Cidr) {};
        }
        return 1;
}

/* Raises accept_ra where planned, then switches forwarding on; the state file says how to undo
 * each, and the ruleset that limits forwarding to sessions is in place already. */
static int state_apply(const SessionNetnsState *s) {
        int r;

        STRV_FOREACH(u, s->undo) {
                char path[PATH_MAX];
                size_t n;

                if (session_netns_undo_parse(*u, &n, NULL, NULL) < 0 || n >= sizeof(path) ||
                    n < strlen("/accept_ra") || !startswith(*u + n - strlen("/accept_ra"), "/accept_ra"))
                        continue;
                memcpy(path, *u, n);
                path[n] = '\0';
                if (sysctl_read(path) == '1')
                        (void) sysctl_write(path, '2');
        }
        r = sysctl_write("ipv4/ip_forward", '1');
        if (r >= 0 && s->pools.pool6.family == AF_INET6)
                r = sysctl_write("ipv6/conf/all/forwarding", '1');
        return r;
}

/* Applies the ruleset, then forwarding, then the pair of index: the rules that limit forwarding
 * are in place before it is switched on. */
static int netns_build(const SessionNetnsState *s, const char *id, uint32_t index) {
        _cleanup_free_ char *host = NULL, *peer = NULL, *name = NULL, *ruleset = NULL;
        char ra[PATH_MAX];
        int r;

        if (asprintf(&name, SESSION_NETNS_NAME_PREFIX "%s", id) < 0 ||
            session_netns_host_batch(s, id, index, &host) < 0 || session_netns_peer_batch(s, index, &peer) < 0 ||
            session_netns_ruleset(s, &ruleset) < 0)
                return -ENOMEM;
        r = nft_apply(ruleset);
        if (r >= 0)
                r = state_apply(s);
        if (r >= 0)
                r = ip_batch(/* netns= */ NULL, host);
        /* Never routes learned from a session: the input rules drop its advertisements already. */
        snprintf(ra, sizeof(ra), "ipv6/conf/" SESSION_NETNS_LINK_PREFIX "%u/accept_ra", index);
        if (r >= 0 && s->pools.pool6.family == AF_INET6)
                r = sysctl_write(ra, '0');
        if (r >= 0)
                r = ip_batch(name, peer);
        return r;
}

static int netns_add(const char *id) {
        _cleanup_(session_netns_state_done) SessionNetnsState s = {};
        _cleanup_free_ uint32_t *used = NULL;
        _cleanup_free_ char *name = NULL;
        uint32_t index;
        int n, r;

        if (asprintf(&name, SESSION_NETNS_NAME_PREFIX "%s", id) < 0)
                return -ENOMEM;
        /* A namespace of this id is a leftover of an earlier start that failed half-way. */
        if (netns_exists(name))
                (void) netns_remove(id);
        r = state_get(&s);
        if (r >= 0)
                r = state_plan(&s, /* is_new= */ r > 0);
        if (r >= 0)
                r = n = list_links(&used, NULL);
        if (r >= 0)
                r = session_netns_pool_pick(used, (size_t) n, session_netns_pools_capacity(&s.pools), &index);
        if (r >= 0)
                r = netns_build(&s, id, index);
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

/* The sweep runs as the controller's ExecStartPre=+, which systemd 252 starts in the controller's
 * own network namespace (PrivateNetwork=yes applies to "+" commands too): links, routes, nft and
 * the forwarding sysctls it must repair are those of PID 1's. */
static int join_host_network(void) {
        _cleanup_close_ int fd = -EBADF;

        fd = open("/proc/1/ns/net", O_RDONLY|O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

/* Removes the namespaces whose unit systemd no longer runs, and host links whose namespace is
 * gone. Returns the number of leftovers removed. */
static int netns_sweep(void) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **links = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r, n = 0;

        r = join_host_network();
        if (r < 0)
                return r;
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
        release_host_if_unused();
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
