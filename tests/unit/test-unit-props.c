/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks the two ways out of UnitProperties: the StartTransientUnit body, sent over a real D-Bus
 * connection and read back value by value, and the systemd-run arguments, assignment by assignment. */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "session-policy.h"
#include "strv.h"
#include "unit-props.h"

#define _cleanup_policy_ _cleanup_(session_policy_freep)
#define _cleanup_props_ _cleanup_(unit_properties_freep)

static SessionPolicy *make_policy(NetworkPolicy network, SessionIdentity identity) {
        SessionPolicy *p = session_policy_new();

        assert_non_null(p);
        p->session_id = strdup("s1");
        p->project = strdup("app");
        p->owner_uid = 1000;
        p->owner_gid = 1000;
        p->owner_name = strdup("alice");
        p->identity = identity;
        p->workspace = identity == SESSION_IDENTITY_OWNER ? strdup("/home/alice/src/app") : NULL;
        p->workspace_mount = identity == SESSION_IDENTITY_OWNER ? strdup("/run/openmono/mounts/s1/workspace") : NULL;
        p->storage = strdup("/srv/openmono-storage/alice");
        p->network = network;
        p->cpu_quota_percent = 150;
        if (network == NETWORK_POLICY_ALLOWLIST)
                assert_int_equal(strv_extend(&p->allowed_cidrs, "192.0.2.0/24"), 0);
        assert_int_equal(strv_extend(&p->argv, "/usr/bin/openmono-agent"), 0);
        assert_int_equal(strv_extend(&p->argv, "print $HOME"), 0);
        assert_int_equal(strv_extend(&p->environment, "LANG=C.UTF-8"), 0);
        assert_int_equal(session_policy_add_credential(p, "token", "/run/openmono/credentials/s1/token"), 0);
        return p;
}

static UnitProperties *build(const SessionPolicy *p) {
        UnitProperties *u = NULL;

        assert_int_equal(session_policy_to_unit_properties(p, &u), 0);
        return u;
}

/* Returns the assignments that follow "-p", in order, and in *ret_rest what comes after them. */
static char **assignments(char **args, char ***ret_rest) {
        char **l = NULL;

        assert_non_null(args);
        while (args[0] && streq(args[0], "-p")) {
                assert_non_null(args[1]);
                assert_non_null(strchr(args[1], '='));
                assert_int_equal(strv_extend(&l, args[1]), 0);
                args += 2;
        }
        *ret_rest = args;
        return l;
}

static void assert_strv_equal(char *const *a, const char *const *b) {
        size_t i = 0;

        for (; a && a[i] && b[i]; i++)
                assert_string_equal(a[i], b[i]);
        assert_null(a ? a[i] : NULL);
        assert_null(b[i]);
}

/* Removes the IPAddressAllow= entries in fc00::/7 from l; returns how many there were. None may
 * be the metadata address itself. */
static int drop_ula(char **l) {
        size_t kept = 0;
        int n = 0;

        for (size_t i = 0; l && l[i]; i++) {
                if (startswith(l[i], "IPAddressAllow=fc") || startswith(l[i], "IPAddressAllow=fd")) {
                        assert_string_not_equal(l[i], "IPAddressAllow=fd00:ec2::254/128");
                        free(l[i]);
                        n++;
                } else
                        l[kept++] = l[i];
        }
        if (l)
                l[kept] = NULL;
        return n;
}

static void test_run_args_session(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = NULL;
        _cleanup_strv_free_ char **args = NULL, **a = NULL;
        char **rest;

        /* The command as given; the model URL's relay in front of it has a test of its own. */
        p->model_url = false;
        u = build(p);
        assert_int_equal(unit_properties_to_run_args(u, &args), 0);
        a = assignments(args, &rest);
        /* fc00::/7 comes as the 121 prefixes around the cloud metadata address fd00:ec2::254. */
        assert_int_equal(drop_ula(a), 121);
        assert_strv_equal(a, (const char *[]) {
                "Description=OpenMono session s1",
                "Slice=openmono-u1000.slice",
                "CollectMode=inactive-or-failed",
                "Type=exec",
                "User=alice",
                "Group=1000",
                "ProtectSystem=strict",
                "ProtectHome=tmpfs",
                "PrivateTmp=yes",
                "PrivateDevices=yes",
                "PrivateIPC=yes",
                "ProtectProc=invisible",
                "ProcSubset=pid",
                "TemporaryFileSystem=/dev/shm:mode=1777,nosuid,nodev",
                "TemporaryFileSystem=/run:mode=0755,nosuid,nodev,noexec",
                "BindPaths=/run/openmono/mounts/s1/workspace:/workspace:rbind",
                "BindPaths=/srv/openmono-storage/alice:/storage:rbind",
                "BindReadOnlyPaths=-/run/systemd/resolve/stub-resolv.conf:/run/systemd/resolve/stub-resolv.conf:rbind",
                "BindReadOnlyPaths=-/run/systemd/resolve/resolv.conf:/run/systemd/resolve/resolv.conf:rbind",
                "BindReadOnlyPaths=-/run/resolvconf/resolv.conf:/run/resolvconf/resolv.conf:rbind",
                "BindReadOnlyPaths=-/run/NetworkManager/resolv.conf:/run/NetworkManager/resolv.conf:rbind",
                "BindReadOnlyPaths=-/run/NetworkManager/no-stub-resolv.conf:"
                "/run/NetworkManager/no-stub-resolv.conf:rbind",
                "BindReadOnlyPaths=-/run/openmono/inference.sock:/run/openmono/inference.sock:rbind",
                "InaccessiblePaths=-/run/systemd/journal/io.systemd.journal -/run/systemd/journal/streams "
                "-/var/lib/openmono -/var/lib/incus -/var/lib/lxd -/var/snap -/var/lib/snapd "
                "-/var/lib/docker -/var/lib/containerd -/var/lib/kubelet -/var/lib/libvirt",
                "WorkingDirectory=/workspace",
                "UMask=0022",
                "BindsTo=openmono-netns@s1.service",
                "After=openmono-netns@s1.service",
                "NetworkNamespacePath=/run/netns/openmono-s1",
                "IPAddressDeny=0.0.0.0/0",
                "IPAddressDeny=::/0",
                "IPAddressAllow=10.0.0.0/8",
                "IPAddressAllow=172.16.0.0/12",
                "IPAddressAllow=192.168.0.0/16",
                "IPAddressAllow=127.0.0.0/8",
                "IPAddressAllow=::1/128",
                "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                "IPAccounting=yes",
                "NoNewPrivileges=yes",
                "ProtectKernelTunables=yes",
                "ProtectKernelModules=yes",
                "ProtectKernelLogs=yes",
                "ProtectControlGroups=yes",
                "ProtectClock=yes",
                "ProtectHostname=yes",
                "LockPersonality=yes",
                "RestrictSUIDSGID=yes",
                "RestrictRealtime=yes",
                "RemoveIPC=yes",
                "PrivateUsers=yes",
                "CapabilityBoundingSet=",
                "AmbientCapabilities=",
                "RestrictNamespaces=yes",
                "SystemCallFilter=@system-service",
                "SystemCallFilter=~capset @resources io_uring_setup io_uring_enter io_uring_register "
                "userfaultfd @keyring",
                "SystemCallArchitectures=native",
                "SystemCallErrorNumber=EPERM",
                "KeyringMode=private",
                "DevicePolicy=closed",
                "MemoryMax=4294967296",
                "CPUQuota=150%",
                "TasksMax=512",
                "RuntimeMaxSec=14400000000us",
                "IOWeight=50",
                "Environment=LANG=C.UTF-8",
                "LoadCredential=token:/run/openmono/credentials/s1/token",
                "LogNamespace=openmono",
                "LogRateLimitIntervalSec=30000000us",
                "LogRateLimitBurst=2000",
                "StandardOutput=journal",
                "StandardError=journal",
                NULL,
        });
        /* The command comes last, as systemd-run's own ExecStart=, escaped the same way. */
        assert_strv_equal(rest, (const char *[]) { "--", "/usr/bin/openmono-agent", "print $$HOME", NULL });
}

static void test_run_args_none_dynamic(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_NONE, SESSION_IDENTITY_DYNAMIC);
        _cleanup_props_ UnitProperties *u = NULL;
        _cleanup_strv_free_ char **args = NULL, **a = NULL;
        int fds[2];
        char **rest;

        p->stdio = SESSION_STDIO_INHERIT;
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        p->stdio_fds[0] = fds[0];
        p->stdio_fds[1] = fds[1];
        p->stdio_fds[2] = fcntl(fds[1], F_DUPFD_CLOEXEC, 3);
        u = build(p);
        assert_int_equal(unit_properties_to_run_args(u, &args), 0);
        a = assignments(args, &rest);
        assert_true(strv_contains(a, "DynamicUser=yes"));
        assert_true(strv_contains(a, "User=om-app"));
        assert_true(strv_contains(a, "StateDirectory=openmono-workspaces/app"));
        assert_true(strv_contains(a, "BindPaths=/var/lib/private/openmono-workspaces/app:/workspace:rbind"));
        assert_true(strv_contains(a, "PrivateNetwork=yes"));
        assert_true(strv_contains(a, "BindReadOnlyPaths=-/run/systemd/userdb/io.systemd.DynamicUser:"
                                     "/run/systemd/userdb/io.systemd.DynamicUser:rbind"));
        assert_true(strv_contains(a, "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"));
        assert_false(strv_contains(a, "Group=1000"));
        STRV_FOREACH(s, a) {
                assert_null(startswith(*s, "IPAddress"));
                assert_null(startswith(*s, "Standard"));
        }
        /* The three stdio fds become systemd-run's own, passed with --pipe; the loopback is the
         * session's own, so the model relay starts first. */
        assert_strv_equal(rest, (const char *[]) {
                "--pipe", "--", SESSION_INIT_PATH, "--model-port=4870",
                "--inference-socket=/run/openmono/inference.sock", "--", "/usr/bin/openmono-agent",
                "print $$HOME", NULL });
}

/* Undoes quote_word() the way extract_first_word() with EXTRACT_UNQUOTE does for one word. */
static char *unquote(const char *s) {
        char *r = calloc(1, strlen(s) + 1), *q = r;
        bool quoted = false;

        assert_non_null(r);
        for (; *s; s++) {
                if (*s == '"')
                        quoted = !quoted;
                else if (*s == '\\' && s[1])
                        *q++ = *++s;
                else
                        *q++ = *s;
        }
        assert_false(quoted);
        return r;
}

static void test_run_args_quoting(void **state) {
        static char *const env[] = {
                (char *) "A=hello world", (char *) "B=say \"hi\"", (char *) "C=x\\y", NULL,
        };
        static char *const debug[] = { (char *) "@debug", NULL };
        _cleanup_props_ UnitProperties *u = unit_properties_new();
        _cleanup_strv_free_ char **args = NULL, **a = NULL;
        _cleanup_free_ char *w0 = NULL, *w1 = NULL;
        char **rest;

        assert_int_equal(unit_properties_add_strv(u, "Environment", env), 0);
        assert_int_equal(unit_properties_add_bind_path(u, "BindPaths", "/home/a/my app", "/data:set", true),
                         0);
        assert_int_equal(unit_properties_add_uint64(u, "CPUQuotaPerSecUSec", 123400), 0);
        assert_int_equal(unit_properties_add_uint64(u, "MemoryMax", UINT64_MAX), 0);
        assert_int_equal(unit_properties_add_uint64(u, "TimeoutStopUSec", 5000000), 0);
        assert_int_equal(unit_properties_add_uint32(u, "UMask", 0077), 0);
        assert_int_equal(unit_properties_add_name_list(u, "SystemCallFilter", false, debug), 0);
        assert_int_equal(unit_properties_to_run_args(u, &args), 0);
        a = assignments(args, &rest);
        assert_null(rest[0]);
        assert_strv_equal(a, (const char *[]) {
                "Environment=\"A=hello world\" \"B=say \\\"hi\\\"\" \"C=x\\\\y\"",
                "BindPaths=-\"/home/a/my app\":\"/data:set\":rbind",
                "CPUQuota=12.34%",
                "MemoryMax=infinity",
                "TimeoutStopSec=5000000us",
                "UMask=0077",
                "SystemCallFilter=~@debug",
                NULL,
        });
        w0 = unquote("\"B=say \\\"hi\\\"\"");
        assert_string_equal(w0, env[1]);
        w1 = unquote("\"C=x\\\\y\"");
        assert_string_equal(w1, env[2]);
}

/* Each of these has no systemd-run spelling with the same meaning, so rendering must fail. */
static void assert_unrenderable(int (*add)(UnitProperties *u)) {
        _cleanup_props_ UnitProperties *u = unit_properties_new();
        char **args = NULL;

        assert_int_equal(add(u), 0);
        assert_int_equal(unit_properties_to_run_args(u, &args), -EINVAL);
        assert_null(args);
}

static int add_newline(UnitProperties *u) {
        return unit_properties_add_string(u, "Description", "two\nlines");
}
static int add_spaced_name(UnitProperties *u) {
        static char *const names[] = { (char *) "a b", NULL };

        return unit_properties_add_name_list(u, "SystemCallFilter", true, names);
}
static int add_odd_quota(UnitProperties *u) {
        return unit_properties_add_uint64(u, "CPUQuotaPerSecUSec", 123);
}
static int add_capabilities(UnitProperties *u) {
        return unit_properties_add_uint64(u, "CapabilityBoundingSet", 1);
}
static int add_namespaces(UnitProperties *u) {
        return unit_properties_add_uint64(u, "RestrictNamespaces", 1);
}
static int add_exec_stop(UnitProperties *u) {
        return unit_properties_add_exec(u, "ExecStop", (char *[]) { (char *) "/bin/true", NULL });
}
static int add_two_commands(UnitProperties *u) {
        static char *const t[] = { (char *) "/bin/true", NULL };
        static char *const f[] = { (char *) "/bin/false", NULL };
        int r = unit_properties_add_exec(u, "ExecStart", t);

        return r < 0 ? r : unit_properties_add_exec(u, "ExecStart", f);
}
static int add_other_fd(UnitProperties *u) {
        return unit_properties_add_fd(u, "OpenFile", STDIN_FILENO);
}
static int add_colon_credential(UnitProperties *u) {
        return unit_properties_add_credential(u, "LoadCredential", "a:b", "/run/x");
}

static int add_colon_tmpfs(UnitProperties *u) {
        return unit_properties_add_tmpfs(u, "TemporaryFileSystem", "/a:b", "mode=0755");
}
static int add_spaced_tmpfs(UnitProperties *u) {
        return unit_properties_add_tmpfs(u, "TemporaryFileSystem", "/run", "mode=0755, ro");
}

static void test_run_args_refused(void **state) {
        assert_unrenderable(add_newline);
        assert_unrenderable(add_spaced_name);
        assert_unrenderable(add_odd_quota);
        assert_unrenderable(add_capabilities);
        assert_unrenderable(add_namespaces);
        assert_unrenderable(add_exec_stop);
        assert_unrenderable(add_two_commands);
        assert_unrenderable(add_other_fd);
        assert_unrenderable(add_colon_credential);
        assert_unrenderable(add_colon_tmpfs);
        assert_unrenderable(add_spaced_tmpfs);
}

/* Two ends of a socketpair: a client and an anonymous server, authenticated with each other. */
static void bus_pair(sd_bus **ret_client, sd_bus **ret_server) {
        sd_bus *a = NULL, *b = NULL;
        sd_id128_t id;
        int fds[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0, fds), 0);
        assert_int_equal(sd_id128_randomize(&id), 0);
        assert_int_equal(sd_bus_new(&a), 0);
        assert_int_equal(sd_bus_set_fd(a, fds[0], fds[0]), 0);
        assert_int_equal(sd_bus_negotiate_fds(a, 1), 0);
        assert_int_equal(sd_bus_start(a), 0);
        assert_int_equal(sd_bus_new(&b), 0);
        assert_int_equal(sd_bus_set_fd(b, fds[1], fds[1]), 0);
        assert_int_equal(sd_bus_set_server(b, 1, id), 0);
        assert_int_equal(sd_bus_set_anonymous(b, 1), 0);
        assert_int_equal(sd_bus_negotiate_fds(b, 1), 0);
        assert_int_equal(sd_bus_start(b), 0);
        for (int i = 0; i < 1000 && (sd_bus_is_ready(a) <= 0 || sd_bus_is_ready(b) <= 0); i++) {
                assert_true(sd_bus_process(a, NULL) >= 0);
                assert_true(sd_bus_process(b, NULL) >= 0);
        }
        assert_int_equal(sd_bus_is_ready(a), 1);
        assert_int_equal(sd_bus_is_ready(b), 1);
        *ret_client = a;
        *ret_server = b;
}

static void read_bind_paths(sd_bus_message *m, const UnitProperty *p) {
        assert_int_equal(sd_bus_message_enter_container(m, 'a', "(ssbt)"), 1);
        for (size_t i = 0; i < p->bind_paths.n_items; i++) {
                const char *s, *d;
                int ignore;
                uint64_t flags;

                assert_int_equal(sd_bus_message_read(m, "(ssbt)", &s, &d, &ignore, &flags), 1);
                assert_string_equal(s, p->bind_paths.items[i].source);
                assert_string_equal(d, p->bind_paths.items[i].destination);
                assert_int_equal(ignore, p->bind_paths.items[i].ignore_enoent);
                assert_int_equal(flags, (uint64_t) MS_REC);
        }
        assert_true(sd_bus_message_exit_container(m) >= 0);
}

static void read_ip_addresses(sd_bus_message *m, const UnitProperty *p) {
        assert_int_equal(sd_bus_message_enter_container(m, 'a', "(iayu)"), 1);
        for (size_t i = 0; i < p->ip_addresses.n_items; i++) {
                const UnitIPAddress *e = &p->ip_addresses.items[i];
                const void *bytes;
                size_t n;
                int32_t family;
                uint32_t prefixlen;

                assert_int_equal(sd_bus_message_enter_container(m, 'r', "iayu"), 1);
                assert_int_equal(sd_bus_message_read(m, "i", &family), 1);
                assert_int_equal(sd_bus_message_read_array(m, 'y', &bytes, &n), 1);
                assert_int_equal(sd_bus_message_read(m, "u", &prefixlen), 1);
                assert_true(sd_bus_message_exit_container(m) >= 0);
                assert_int_equal(family, e->family);
                assert_int_equal(n, e->family == AF_INET ? 4 : 16);
                assert_memory_equal(bytes, e->address, n);
                assert_int_equal(prefixlen, e->prefixlen);
        }
        assert_true(sd_bus_message_exit_container(m) >= 0);
}

static void read_lists(sd_bus_message *m, const UnitProperty *p) {
        _cleanup_strv_free_ char **l = NULL;
        int b;

        switch (p->type) {
        case UNIT_PROPERTY_STRV:
                assert_true(sd_bus_message_read_strv(m, &l) >= 0);
                assert_strv_equal(l, (const char *const *) p->strv);
                break;
        case UNIT_PROPERTY_NAME_LIST:
                assert_int_equal(sd_bus_message_enter_container(m, 'r', "bas"), 1);
                assert_int_equal(sd_bus_message_read(m, "b", &b), 1);
                assert_int_equal(b, p->name_list.allow);
                assert_true(sd_bus_message_read_strv(m, &l) >= 0);
                assert_strv_equal(l, (const char *const *) p->name_list.names);
                assert_true(sd_bus_message_exit_container(m) >= 0);
                break;
        case UNIT_PROPERTY_BIND_PATHS:
                read_bind_paths(m, p);
                break;
        case UNIT_PROPERTY_IP_ADDRESSES:
                read_ip_addresses(m, p);
                break;
        default:
                fail();
        }
}

static void read_exec_and_credentials(sd_bus_message *m, const UnitProperty *p) {
        _cleanup_strv_free_ char **argv = NULL;
        const char *a, *b;
        int ignore;

        if (p->type == UNIT_PROPERTY_TMPFS) {
                assert_int_equal(sd_bus_message_enter_container(m, 'a', "(ss)"), 1);
                for (size_t i = 0; i < p->tmpfs.n_items; i++) {
                        assert_int_equal(sd_bus_message_read(m, "(ss)", &a, &b), 1);
                        assert_string_equal(a, p->tmpfs.items[i].path);
                        assert_string_equal(b, p->tmpfs.items[i].options);
                }
                assert_true(sd_bus_message_exit_container(m) >= 0);
                return;
        }

        if (p->type == UNIT_PROPERTY_CREDENTIALS) {
                assert_int_equal(sd_bus_message_enter_container(m, 'a', "(ss)"), 1);
                for (size_t i = 0; i < p->credentials.n_items; i++) {
                        assert_int_equal(sd_bus_message_read(m, "(ss)", &a, &b), 1);
                        assert_string_equal(a, p->credentials.items[i].name);
                        assert_string_equal(b, p->credentials.items[i].path);
                }
                assert_true(sd_bus_message_exit_container(m) >= 0);
                return;
        }
        assert_int_equal(sd_bus_message_enter_container(m, 'a', "(sasb)"), 1);
        assert_int_equal(sd_bus_message_enter_container(m, 'r', "sasb"), 1);
        assert_int_equal(sd_bus_message_read(m, "s", &a), 1);
        assert_string_equal(a, p->exec.path);
        assert_true(sd_bus_message_read_strv(m, &argv) >= 0);
        assert_strv_equal(argv, (const char *const *) p->exec.argv);
        assert_int_equal(sd_bus_message_read(m, "b", &ignore), 1);
        assert_false(ignore);
        assert_true(sd_bus_message_exit_container(m) >= 0);
        assert_true(sd_bus_message_exit_container(m) >= 0);
}

/* Reads one "(sv)" entry and checks it against p: name, signature and value. */
static void read_property(sd_bus_message *m, const UnitProperty *p) {
        const char *name, *contents, *s;
        char type;
        union { int b; int32_t i; uint32_t u; uint64_t t; int h; } v;

        assert_int_equal(sd_bus_message_enter_container(m, 'r', "sv"), 1);
        assert_int_equal(sd_bus_message_read(m, "s", &name), 1);
        assert_string_equal(name, p->name);
        assert_int_equal(sd_bus_message_peek_type(m, &type, &contents), 1);
        assert_int_equal(type, 'v');
        assert_string_equal(contents, unit_property_type_signature(p->type));
        assert_int_equal(sd_bus_message_enter_container(m, 'v', contents), 1);
        switch (p->type) {
        case UNIT_PROPERTY_STRING:
                assert_int_equal(sd_bus_message_read(m, "s", &s), 1);
                assert_string_equal(s, p->string);
                break;
        case UNIT_PROPERTY_BOOLEAN:
                assert_int_equal(sd_bus_message_read(m, "b", &v.b), 1);
                assert_int_equal(v.b, p->boolean);
                break;
        case UNIT_PROPERTY_INT32:
                assert_int_equal(sd_bus_message_read(m, "i", &v.i), 1);
                assert_int_equal(v.i, p->int32);
                break;
        case UNIT_PROPERTY_UINT32:
                assert_int_equal(sd_bus_message_read(m, "u", &v.u), 1);
                assert_int_equal(v.u, p->uint32);
                break;
        case UNIT_PROPERTY_UINT64:
                assert_int_equal(sd_bus_message_read(m, "t", &v.t), 1);
                assert_int_equal(v.t, p->uint64);
                break;
        case UNIT_PROPERTY_FD:
                /* A new fd number in this process, for the same open file. */
                assert_int_equal(sd_bus_message_read(m, "h", &v.h), 1);
                assert_true(fcntl(v.h, F_GETFD) >= 0);
                break;
        case UNIT_PROPERTY_CREDENTIALS:
        case UNIT_PROPERTY_EXEC:
        case UNIT_PROPERTY_TMPFS:
                read_exec_and_credentials(m, p);
                break;
        default:
                read_lists(m, p);
        }
        assert_true(sd_bus_message_exit_container(m) >= 0);
        assert_true(sd_bus_message_exit_container(m) >= 0);
}

static sd_bus_message *start_transient_unit(sd_bus *bus, const UnitProperties *u) {
        sd_bus_message *m = NULL;

        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1",
                                                        "/org/freedesktop/systemd1",
                                                        "org.freedesktop.systemd1.Manager",
                                                        "StartTransientUnit"), 0);
        assert_true(sd_bus_message_append(m, "ss", "openmono-session-s1.service", "fail") >= 0);
        assert_true(sd_bus_message_open_container(m, 'a', "(sv)") >= 0);
        assert_int_equal(unit_properties_append(m, u), 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_message_append(m, "a(sa(sv))", 0) >= 0);
        return m;
}

static void round_trip(const SessionPolicy *p) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *client = NULL, *server = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *received = NULL;
        _cleanup_props_ UnitProperties *u = build(p);
        const char *name, *mode;

        bus_pair(&client, &server);
        m = start_transient_unit(client, u);
        assert_true(sd_bus_send(client, m, NULL) >= 0);
        for (int i = 0; i < 1000 && !received; i++) {
                assert_true(sd_bus_process(client, NULL) >= 0);
                assert_true(sd_bus_process(server, &received) >= 0);
        }
        assert_non_null(received);
        assert_true(sd_bus_message_is_method_call(received, "org.freedesktop.systemd1.Manager",
                                                  "StartTransientUnit"));
        assert_string_equal(sd_bus_message_get_signature(received, true), "ssa(sv)a(sa(sv))");
        assert_int_equal(sd_bus_message_read(received, "ss", &name, &mode), 1);
        assert_string_equal(name, "openmono-session-s1.service");
        assert_int_equal(sd_bus_message_enter_container(received, 'a', "(sv)"), 1);
        for (size_t i = 0; i < u->n_items; i++)
                read_property(received, &u->items[i]);
        /* Nothing but what the list holds. */
        assert_true(sd_bus_message_exit_container(received) >= 0);
}

static void test_append_round_trip(void **state) {
        for (NetworkPolicy n = 0; n < _NETWORK_POLICY_MAX; n++)
                for (SessionIdentity i = 0; i < _SESSION_IDENTITY_MAX; i++) {
                        _cleanup_policy_ SessionPolicy *p = make_policy(n, i);
                        int fds[2];

                        if (n == NETWORK_POLICY_ALLOWLIST) {
                                p->stdio = SESSION_STDIO_INHERIT;
                                assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
                                p->stdio_fds[0] = fds[0];
                                p->stdio_fds[1] = fds[1];
                                p->stdio_fds[2] = fcntl(fds[1], F_DUPFD_CLOEXEC, 3);
                        }
                        round_trip(p);
                }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_run_args_session),
                cmocka_unit_test(test_run_args_none_dynamic),
                cmocka_unit_test(test_run_args_quoting),
                cmocka_unit_test(test_run_args_refused),
                cmocka_unit_test(test_append_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
