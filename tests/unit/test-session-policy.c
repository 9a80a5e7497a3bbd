/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks session_policy_to_unit_properties() property by property and the validation in front of it:
 * the sandbox a session gets is exactly what these tests say. */

#include <arpa/inet.h>
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

#define WORKSPACE "/home/alice/src/app"
#define WORKSPACE_MOUNT "/run/openmono/mounts/s1/workspace"

static SessionPolicy *make_policy(NetworkPolicy network, SessionIdentity identity) {
        SessionPolicy *p = session_policy_new();

        assert_non_null(p);
        p->session_id = strdup("s1");
        p->project = strdup("app");
        p->owner_uid = 1000;
        p->owner_gid = 1000;
        p->owner_name = strdup("alice");
        p->identity = identity;
        p->workspace = identity == SESSION_IDENTITY_OWNER ? strdup(WORKSPACE) : NULL;
        p->workspace_mount = identity == SESSION_IDENTITY_OWNER ? strdup(WORKSPACE_MOUNT) : NULL;
        p->storage = strdup("/srv/openmono-storage/alice");
        p->network = network;
        if (network == NETWORK_POLICY_ALLOWLIST)
                assert_int_equal(strv_extend(&p->allowed_cidrs, "192.0.2.0/24"), 0);
        assert_int_equal(strv_extend(&p->argv, "/usr/bin/openmono-agent"), 0);
        assert_int_equal(strv_extend(&p->argv, "--task"), 0);
        assert_int_equal(strv_extend(&p->argv, "print $HOME and ${PATH}"), 0);
        assert_int_equal(strv_extend(&p->environment, "LANG=C.UTF-8"), 0);
        return p;
}

static UnitProperties *build(const SessionPolicy *p) {
        UnitProperties *u = NULL;

        assert_int_equal(session_policy_to_unit_properties(p, &u), 0);
        assert_non_null(u);
        return u;
}

static const UnitProperty *find_typed(const UnitProperties *u, const char *name, UnitPropertyType type) {
        const UnitProperty *p = unit_properties_find(u, name);

        assert_non_null(p);
        assert_int_equal(p->type, type);
        return p;
}

static void assert_switch(const UnitProperties *u, const char *name) {
        assert_true(find_typed(u, name, UNIT_PROPERTY_BOOLEAN)->boolean);
}

static void assert_string_prop(const UnitProperties *u, const char *name, const char *value) {
        assert_string_equal(find_typed(u, name, UNIT_PROPERTY_STRING)->string, value);
}

/* Renders an IP property as "addr/len" strings, in order. */
static char **ip_list(const UnitProperties *u, const char *name) {
        const UnitProperty *p = find_typed(u, name, UNIT_PROPERTY_IP_ADDRESSES);
        char **l = NULL;

        for (size_t i = 0; i < p->ip_addresses.n_items; i++) {
                char buf[INET6_ADDRSTRLEN];

                assert_non_null(inet_ntop(p->ip_addresses.items[i].family, p->ip_addresses.items[i].address,
                                          buf, sizeof(buf)));
                assert_int_equal(strv_extendf(&l, "%s/%u", buf, p->ip_addresses.items[i].prefixlen), 0);
        }
        return l;
}

static void assert_strv_equal(char *const *a, const char *const *b) {
        size_t i = 0;

        for (; a && a[i] && b[i]; i++)
                assert_string_equal(a[i], b[i]);
        assert_null(a ? a[i] : NULL);
        assert_null(b[i]);
}

static void test_enum_round_trips(void **state) {
        for (int i = 0; i < _SESSION_IDENTITY_MAX; i++)
                assert_int_equal(session_identity_from_string(session_identity_to_string(i)), i);
        for (int i = 0; i < _NETWORK_POLICY_MAX; i++)
                assert_int_equal(network_policy_from_string(network_policy_to_string(i)), i);
        for (int i = 0; i < _SESSION_STDIO_MAX; i++)
                assert_int_equal(session_stdio_from_string(session_stdio_to_string(i)), i);
        for (int i = 0; i < _UNIT_PROPERTY_TYPE_MAX; i++) {
                assert_int_equal(unit_property_type_from_string(unit_property_type_to_string(i)), i);
                assert_non_null(unit_property_type_signature(i));
        }
        assert_string_equal(network_policy_to_string(NETWORK_POLICY_INTRANET), "intranet");
        assert_int_equal(network_policy_from_string("allowlist"), NETWORK_POLICY_ALLOWLIST);
        assert_int_equal(network_policy_from_string("wan"), -EINVAL);
        assert_int_equal(network_policy_from_string(NULL), -EINVAL);
        assert_int_equal(session_identity_from_string("root"), -EINVAL);
        assert_int_equal(session_stdio_from_string(""), -EINVAL);
        assert_null(network_policy_to_string(_NETWORK_POLICY_MAX));
        assert_null(network_policy_to_string(_NETWORK_POLICY_INVALID));
        assert_null(session_identity_to_string(_SESSION_IDENTITY_MAX));
        assert_null(unit_property_type_signature(_UNIT_PROPERTY_TYPE_MAX));
}

static void test_cidr(void **state) {
        static const char *const good[] = {
                "10.0.0.0/8", "172.16.0.0/12", "192.168.1.7", "192.168.1.7/32", "0.0.0.0/0",
                "fc00::/7", "::/0", "::1", "2001:db8::/32", "2001:db8::1/128",
        };
        static const char *const bad[] = {
                "", "10.0.0.0/33", "10.0.0.1/8", "10.0.0/8", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/+8",
                " 10.0.0.0/8", "10.0.0.0/8 ", "abc", "1.2.3.4/8x", "fc00::/129", "fc00::1/7", "::/-1",
                "10.0.0.0/8/8", "256.0.0.0/8", "1.2.3.4/0032",
        };
        uint8_t a[16];
        unsigned len;
        int family;

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                assert_true(cidr_is_valid(good[i]));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_false(cidr_is_valid(bad[i]));
        assert_false(cidr_is_valid(NULL));

        assert_int_equal(cidr_parse("172.16.0.0/12", &family, a, &len), 0);
        assert_int_equal(family, AF_INET);
        assert_int_equal(len, 12);
        assert_memory_equal(a, ((uint8_t[]) { 172, 16, 0, 0 }), 4);
        assert_int_equal(cidr_parse("fc00::/7", &family, a, &len), 0);
        assert_int_equal(family, AF_INET6);
        assert_int_equal(len, 7);
        assert_int_equal(a[0], 0xfc);
        assert_int_equal(cidr_parse("2001:db8::1", &family, a, &len), 0);
        assert_int_equal(len, 128);
}

static void test_network_none(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_NONE, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = build(p);
        const UnitProperty *f;

        assert_switch(u, "PrivateNetwork");
        assert_null(unit_properties_find(u, "IPAddressDeny"));
        assert_null(unit_properties_find(u, "IPAddressAllow"));
        f = find_typed(u, "RestrictAddressFamilies", UNIT_PROPERTY_NAME_LIST);
        assert_true(f->name_list.allow);
        /* IP stays allowed: under PrivateNetwork= it reaches only the session's own loopback. */
        assert_strv_equal(f->name_list.names, (const char *[]) { "AF_UNIX", "AF_INET", "AF_INET6", NULL });
        assert_switch(u, "IPAccounting");
        /* The gateway socket is a path socket and is bound in even without a network. */
        assert_non_null(unit_properties_find(u, "BindReadOnlyPaths"));
}

static bool ip_list_covers(char **l, const char *address) {
        STRV_FOREACH(c, l) {
                uint8_t net[16], a[16];
                unsigned len, alen;
                int family, afamily;

                assert_int_equal(cidr_parse(*c, &family, net, &len), 0);
                assert_int_equal(cidr_parse(address, &afamily, a, &alen), 0);
                if (family != afamily)
                        continue;
                for (unsigned bit = 0; bit <= len; bit++) {
                        if (bit == len)
                                return true;
                        if ((net[bit / 8] ^ a[bit / 8]) & (0x80 >> (bit % 8)))
                                break;
                }
        }
        return false;
}

static void test_network_intranet(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = build(p);
        _cleanup_props_ UnitProperties *extra = NULL;
        _cleanup_strv_free_ char **deny = ip_list(u, "IPAddressDeny");
        _cleanup_strv_free_ char **allow = ip_list(u, "IPAddressAllow");
        _cleanup_strv_free_ char **allow_extra = NULL;
        const UnitProperty *f;

        assert_strv_equal(deny, (const char *[]) { "0.0.0.0/0", "::/0", NULL });
        /* The intranet ranges, with the cloud metadata address cut out of fc00::/7. */
        assert_int_equal(strv_length(allow), 3 + 121 + 2);
        assert_string_equal(allow[0], "10.0.0.0/8");
        assert_string_equal(allow[1], "172.16.0.0/12");
        assert_string_equal(allow[2], "192.168.0.0/16");
        assert_true(ip_list_covers(allow, "fd12:3456::1"));
        assert_true(ip_list_covers(allow, "fc00::1"));
        assert_true(ip_list_covers(allow, "fd00:ec2::253"));
        assert_false(ip_list_covers(allow, "fd00:ec2::254"));
        /* Loopback is the session's own, in its own network namespace: the model URL is there. */
        assert_string_equal(allow[3 + 121], "127.0.0.0/8");
        assert_string_equal(allow[3 + 121 + 1], "::1/128");
        assert_true(ip_list_covers(allow, "::1"));
        assert_non_null(unit_properties_find(u, "NetworkNamespacePath"));
        assert_false(ip_list_covers(allow, "169.254.169.254"));
        assert_true(ip_list_covers(allow, "172.31.255.1"));
        assert_false(ip_list_covers(allow, "172.32.0.1"));
        assert_null(unit_properties_find(u, "PrivateNetwork"));
        f = find_typed(u, "RestrictAddressFamilies", UNIT_PROPERTY_NAME_LIST);
        assert_true(f->name_list.allow);
        assert_strv_equal(f->name_list.names, (const char *[]) { "AF_UNIX", "AF_INET", "AF_INET6", NULL });
        assert_int_equal(unit_properties_count(u, "IPAddressAllow"), 1);

        /* Configured extra CIDRs come after the defaults, before the session's loopback. */
        assert_int_equal(strv_extend(&p->allowed_cidrs, "100.64.0.0/10"), 0);
        assert_int_equal(strv_extend(&p->allowed_cidrs, "2001:db8::/32"), 0);
        extra = build(p);
        allow_extra = ip_list(extra, "IPAddressAllow");
        assert_int_equal(strv_length(allow_extra), strv_length(allow) + 2);
        assert_strv_equal(allow_extra + strv_length(allow) - 2, (const char *[]) {
                "100.64.0.0/10", "2001:db8::/32", "127.0.0.0/8", "::1/128", NULL });
}

static void test_network_internet(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTERNET, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = build(p);
        const UnitProperty *f;

        assert_null(unit_properties_find(u, "IPAddressDeny"));
        assert_null(unit_properties_find(u, "IPAddressAllow"));
        assert_null(unit_properties_find(u, "PrivateNetwork"));
        f = find_typed(u, "RestrictAddressFamilies", UNIT_PROPERTY_NAME_LIST);
        assert_strv_equal(f->name_list.names, (const char *[]) { "AF_UNIX", "AF_INET", "AF_INET6", NULL });
        assert_switch(u, "IPAccounting");
}

static void test_network_allowlist(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_ALLOWLIST, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = NULL;
        _cleanup_strv_free_ char **deny = NULL, **allow = NULL;

        assert_int_equal(strv_extend(&p->allowed_cidrs, "2001:db8::/48"), 0);
        u = build(p);
        deny = ip_list(u, "IPAddressDeny");
        allow = ip_list(u, "IPAddressAllow");
        assert_strv_equal(deny, (const char *[]) { "0.0.0.0/0", "::/0", NULL });
        assert_strv_equal(allow, (const char *[]) { "192.0.2.0/24", "2001:db8::/48", "127.0.0.0/8", "::1/128", NULL });
        assert_false(ip_list_covers(allow, "10.0.0.1"));
        assert_null(unit_properties_find(u, "PrivateNetwork"));

        /* An allowlist without entries is refused rather than turned into "none". */
        p->allowed_cidrs = strv_free(p->allowed_cidrs);
        unit_properties_free(u);
        u = NULL;
        assert_int_equal(session_policy_to_unit_properties(p, &u), -EINVAL);
        assert_null(u);
}

static void test_identity_owner(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = build(p);
        const UnitProperty *b;
        UnitProperties *none = NULL;

        assert_string_prop(u, "User", "alice");
        assert_string_prop(u, "Group", "1000");
        assert_null(unit_properties_find(u, "DynamicUser"));
        assert_null(unit_properties_find(u, "StateDirectory"));
        b = find_typed(u, "BindPaths", UNIT_PROPERTY_BIND_PATHS);
        /* systemd binds the controller's pin, never the user's path. */
        assert_string_equal(b->bind_paths.items[0].source, WORKSPACE_MOUNT);
        assert_string_equal(b->bind_paths.items[0].destination, "/workspace");
        assert_false(b->bind_paths.items[0].ignore_enoent);
        assert_true(b->bind_paths.items[0].recursive);

        /* Never root, never without a checkout. */
        p->owner_uid = 0;
        assert_int_equal(session_policy_to_unit_properties(p, &none), -EINVAL);
        p->owner_uid = 1000;
        free(p->owner_name);
        p->owner_name = strdup("root");
        assert_int_equal(session_policy_to_unit_properties(p, &none), -EINVAL);
        free(p->owner_name);
        p->owner_name = NULL;
        assert_int_equal(session_policy_to_unit_properties(p, &none), -EINVAL);
        p->owner_name = strdup("alice");
        p->workspace_mount = mfree(p->workspace_mount);
        assert_int_equal(session_policy_to_unit_properties(p, &none), -EINVAL);
        p->workspace_mount = strdup(WORKSPACE_MOUNT);
        p->workspace = mfree(p->workspace);
        assert_int_equal(session_policy_to_unit_properties(p, &none), -EINVAL);
        assert_null(none);
}

static void test_identity_dynamic(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_DYNAMIC);
        _cleanup_props_ UnitProperties *u = NULL;
        const UnitProperty *b;
        UnitProperties *none = NULL;

        p->owner_uid = 0;       /* root may ask for a managed project's session */
        u = build(p);
        assert_switch(u, "DynamicUser");
        assert_string_prop(u, "User", "om-app");
        assert_null(unit_properties_find(u, "Group"));
        assert_strv_equal(find_typed(u, "StateDirectory", UNIT_PROPERTY_STRV)->strv,
                          (const char *[]) { "openmono-workspaces/app", NULL });
        b = find_typed(u, "BindPaths", UNIT_PROPERTY_BIND_PATHS);
        assert_string_equal(b->bind_paths.items[0].source, "/var/lib/private/openmono-workspaces/app");
        assert_string_equal(b->bind_paths.items[0].destination, "/workspace");
        assert_string_prop(u, "Slice", "openmono-u0.slice");

        p->workspace = strdup(WORKSPACE);
        assert_int_equal(session_policy_to_unit_properties(p, &none), -EINVAL);
        assert_null(none);
}

/* Each caller's transcripts of a shared project: a StateDirectory= of their own next to the
 * workspace, and nothing that could point it elsewhere. */
static void test_identity_dynamic_transcripts(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_DYNAMIC);
        _cleanup_props_ UnitProperties *u = NULL;
        const char *const bad[] = { "openmono-workspaces/app/1000", "openmono-transcripts/../openmono/x",
                                    "openmono-transcripts//x", "openmono-transcripts/a b", "/var/lib/x" };

        p->transcripts = strdup("openmono-transcripts/app/1000");
        u = build(p);
        assert_strv_equal(find_typed(u, "StateDirectory", UNIT_PROPERTY_STRV)->strv,
                          (const char *[]) { "openmono-workspaces/app", "openmono-transcripts/app/1000", NULL });
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(free_and_strdup(&p->transcripts, bad[i]), 0);
                assert_int_equal(session_policy_validate(p), -EINVAL);
        }
}

/* True if BindReadOnlyPaths= shows path at the same place. */
static bool binds_path(const UnitProperties *u, const char *path) {
        const UnitProperty *b = find_typed(u, "BindReadOnlyPaths", UNIT_PROPERTY_BIND_PATHS);

        for (size_t i = 0; i < b->bind_paths.n_items; i++)
                if (streq(b->bind_paths.items[i].source, path))
                        return streq(b->bind_paths.items[i].destination, path);
        return false;
}

static void test_filesystem(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = build(p), *bare = NULL;
        const UnitProperty *b;

        assert_string_prop(u, "ProtectSystem", "strict");
        assert_string_prop(u, "ProtectHome", "tmpfs");
        assert_string_prop(u, "ProtectProc", "invisible");
        assert_string_prop(u, "ProcSubset", "pid");
        assert_string_prop(u, "WorkingDirectory", "/workspace");
        assert_switch(u, "PrivateTmp");
        assert_switch(u, "PrivateDevices");
        assert_switch(u, "PrivateIPC");
        assert_int_equal(find_typed(u, "UMask", UNIT_PROPERTY_UINT32)->uint32, 0022);

        b = find_typed(u, "BindPaths", UNIT_PROPERTY_BIND_PATHS);
        assert_int_equal(b->bind_paths.n_items, 2);
        assert_string_equal(b->bind_paths.items[1].source, "/srv/openmono-storage/alice");
        assert_string_equal(b->bind_paths.items[1].destination, "/storage");
        assert_false(b->bind_paths.items[1].ignore_enoent);
        assert_int_equal(unit_properties_count(u, "BindPaths"), 1);

        p->storage = mfree(p->storage);
        p->inference_socket = mfree(p->inference_socket);
        bare = build(p);
        assert_int_equal(find_typed(bare, "BindPaths", UNIT_PROPERTY_BIND_PATHS)->bind_paths.n_items, 1);
        assert_false(binds_path(bare, "/run/openmono/inference.sock"));
}

/* Sockets a session may reach below /run, and nothing else. */
static void assert_run_allow_list(const UnitProperties *u, bool dynamic) {
        /* The journal's sockets come from LogNamespace=, see test_journal_namespace. */
        static const char *const sockets[] = { "/run/openmono/inference.sock" };
        const UnitProperty *t = find_typed(u, "TemporaryFileSystem", UNIT_PROPERTY_TMPFS);
        const UnitProperty *b = find_typed(u, "BindReadOnlyPaths", UNIT_PROPERTY_BIND_PATHS);
        size_t n_sockets = 0;
        bool run = false;

        assert_int_equal(unit_properties_count(u, "TemporaryFileSystem"), 1);
        for (size_t i = 0; i < t->tmpfs.n_items; i++)
                if (streq(t->tmpfs.items[i].path, "/run")) {
                        run = true;
                        assert_non_null(strstr(t->tmpfs.items[i].options, "nosuid,nodev"));
                }
        assert_true(run);
        for (size_t i = 0; i < ELEMENTSOF(sockets); i++)
                assert_true(binds_path(u, sockets[i]));
        assert_int_equal(binds_path(u, "/run/systemd/userdb/io.systemd.DynamicUser"), dynamic);
        /* Every bind below /run is read-only, skipped when missing, and either one of the sockets
         * above or a resolv.conf file. */
        assert_int_equal(unit_properties_count(u, "BindReadOnlyPaths"), 1);
        for (size_t i = 0; i < b->bind_paths.n_items; i++) {
                const char *s = b->bind_paths.items[i].source;

                assert_true(b->bind_paths.items[i].ignore_enoent);
                assert_non_null(startswith(s, "/run/"));
                if (!strstr(s, "resolv.conf"))
                        n_sockets++;
        }
        assert_int_equal(n_sockets, ELEMENTSOF(sockets) + dynamic);
}

static void test_run_allow_list(void **state) {
        for (SessionIdentity i = 0; i < _SESSION_IDENTITY_MAX; i++) {
                _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_NONE, i);
                _cleanup_props_ UnitProperties *u = build(p);

                assert_run_allow_list(u, i == SESSION_IDENTITY_DYNAMIC);
        }
}

static void test_private_dev_shm(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = build(p);
        const UnitProperty *t = find_typed(u, "TemporaryFileSystem", UNIT_PROPERTY_TMPFS);
        bool found = false;

        for (size_t i = 0; i < t->tmpfs.n_items; i++)
                if (streq(t->tmpfs.items[i].path, "/dev/shm")) {
                        found = true;
                        assert_non_null(strstr(t->tmpfs.items[i].options, "mode=1777"));
                }
        assert_true(found);
}

static void test_inaccessible_paths(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_NONE, SESSION_IDENTITY_DYNAMIC);
        _cleanup_props_ UnitProperties *u = build(p);
        const UnitProperty *i = find_typed(u, "InaccessiblePaths", UNIT_PROPERTY_STRV);

        assert_true(strv_contains(i->strv, "-/var/lib/openmono"));
        assert_true(strv_contains(i->strv, "-/var/lib/incus"));
        assert_true(strv_contains(i->strv, "-/var/lib/lxd"));
        assert_true(strv_contains(i->strv, "-/var/snap"));
        assert_true(strv_contains(i->strv, "-/var/lib/docker"));
        /* Nothing below /run: the tmpfs there already hides it, and an entry that covered
         * /run/systemd would make systemd 252 fail the unit with 226/NAMESPACE. Nothing through
         * /var/run either: it is a symlink to /run. The exception is what LogNamespace= binds
         * at /run/systemd/journal besides the sockets to log to. */
        assert_true(strv_contains(i->strv, "-/run/systemd/journal/io.systemd.journal"));
        assert_true(strv_contains(i->strv, "-/run/systemd/journal/streams"));
        STRV_FOREACH(s, i->strv) {
                assert_int_equal((*s)[0], '-');
                assert_true(!startswith(*s, "-/run") || startswith(*s, "-/run/systemd/journal/"));
                assert_null(startswith(*s, "-/var/run"));
        }
}

static void test_privileges(void **state) {
        static const char *const switches[] = {
                "NoNewPrivileges", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
                "ProtectControlGroups", "ProtectClock", "ProtectHostname", "LockPersonality",
                "RestrictSUIDSGID", "RestrictRealtime", "RemoveIPC", "PrivateUsers",
        };
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = build(p);
        const UnitProperty *f = NULL;
        char **denied = NULL;
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(switches); i++)
                assert_switch(u, switches[i]);
        assert_int_equal(find_typed(u, "CapabilityBoundingSet", UNIT_PROPERTY_UINT64)->uint64, 0);
        assert_int_equal(find_typed(u, "AmbientCapabilities", UNIT_PROPERTY_UINT64)->uint64, 0);
        assert_int_equal(find_typed(u, "RestrictNamespaces", UNIT_PROPERTY_UINT64)->uint64, 0);
        assert_strv_equal(find_typed(u, "SystemCallArchitectures", UNIT_PROPERTY_STRV)->strv,
                          (const char *[]) { "native", NULL });
        assert_int_equal(find_typed(u, "SystemCallErrorNumber", UNIT_PROPERTY_INT32)->int32, EPERM);
        assert_string_prop(u, "KeyringMode", "private");
        assert_string_prop(u, "DevicePolicy", "closed");
        /* Left out on purpose: JITs need writable executable memory. */
        assert_null(unit_properties_find(u, "MemoryDenyWriteExecute"));

        /* First the allow list, then the calls taken out of it. */
        assert_int_equal(unit_properties_count(u, "SystemCallFilter"), 2);
        for (size_t i = 0; i < u->n_items; i++) {
                if (!streq(u->items[i].name, "SystemCallFilter"))
                        continue;
                f = &u->items[i];
                if (n++ == 0) {
                        assert_true(f->name_list.allow);
                        assert_strv_equal(f->name_list.names, (const char *[]) { "@system-service", NULL });
                        continue;
                }
                assert_false(f->name_list.allow);
                denied = f->name_list.names;
        }
        assert_non_null(denied);
        /* io_uring makes sockets without socket(), past RestrictAddressFamilies=. */
        assert_true(strv_contains(denied, "io_uring_setup"));
        assert_true(strv_contains(denied, "io_uring_enter"));
        assert_true(strv_contains(denied, "io_uring_register"));
        assert_true(strv_contains(denied, "userfaultfd"));
        assert_true(strv_contains(denied, "@keyring"));
        assert_true(strv_contains(denied, "capset"));
        assert_true(strv_contains(denied, "@resources"));
        /* What builds need stays: make calls seteuid(), i.e. setresuid(); tar and cp -p chown. */
        STRV_FOREACH(s, denied) {
                assert_string_not_equal(*s, "@privileged");
                assert_string_not_equal(*s, "@setuid");
                assert_string_not_equal(*s, "@chown");
                assert_null(strstr(*s, "setresuid"));
                assert_null(strstr(*s, "chown"));
        }
}

static void test_slice_names(void **state) {
        static const struct {
                uid_t uid;
                const char *slice;
        } cases[] = {
                { 0, "openmono-u0.slice" },
                { 1000, "openmono-u1000.slice" },
                { 65534, "openmono-u65534.slice" },
                { 4294967294U, "openmono-u4294967294.slice" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_policy_ SessionPolicy *p =
                        make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
                _cleanup_props_ UnitProperties *u = NULL;
                _cleanup_free_ char *s = NULL;

                assert_int_equal(session_slice_name(cases[i].uid, &s), 0);
                assert_string_equal(s, cases[i].slice);
                /* One dash: systemd makes openmono.slice the parent. */
                assert_ptr_equal(strchr(s, '-'), strrchr(s, '-'));
                if (cases[i].uid == 0)
                        continue;
                p->owner_uid = cases[i].uid;
                u = build(p);
                assert_string_prop(u, "Slice", cases[i].slice);
        }
}

static void test_unit_name(void **state) {
        _cleanup_free_ char *n = NULL;

        assert_int_equal(session_unit_name("4f2a-01", &n), 0);
        assert_string_equal(n, "openmono-session-4f2a-01.service");
        assert_int_equal(session_unit_name("a/b", &n), -EINVAL);
        assert_int_equal(session_unit_name("", &n), -EINVAL);
}

static void test_limits(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = build(p), *q = NULL, *none = NULL;
        UnitProperties *bad = NULL;

        /* Defaults of session_policy_new(). */
        assert_int_equal(find_typed(u, "MemoryMax", UNIT_PROPERTY_UINT64)->uint64, UINT64_C(4) << 30);
        assert_int_equal(find_typed(u, "TasksMax", UNIT_PROPERTY_UINT64)->uint64, 512);
        assert_int_equal(find_typed(u, "RuntimeMaxUSec", UNIT_PROPERTY_UINT64)->uint64,
                         UINT64_C(14400000000));
        assert_int_equal(find_typed(u, "IOWeight", UNIT_PROPERTY_UINT64)->uint64, 50);
        assert_null(unit_properties_find(u, "CPUQuotaPerSecUSec"));
        assert_null(unit_properties_find(u, "CPUQuota"));

        /* 150 % is one and a half CPUs: 1.5 s of CPU time per second. */
        p->cpu_quota_percent = 150;
        p->memory_max = 512 * 1024 * 1024;
        q = build(p);
        assert_int_equal(find_typed(q, "CPUQuotaPerSecUSec", UNIT_PROPERTY_UINT64)->uint64, 1500000);
        assert_int_equal(find_typed(q, "MemoryMax", UNIT_PROPERTY_UINT64)->uint64, 512 * 1024 * 1024);

        p->cpu_quota_percent = 0;
        p->memory_max = p->tasks_max = p->runtime_max_usec = UINT64_MAX;
        p->io_weight = 0;
        none = build(p);
        assert_null(unit_properties_find(none, "MemoryMax"));
        assert_null(unit_properties_find(none, "TasksMax"));
        assert_null(unit_properties_find(none, "RuntimeMaxUSec"));
        assert_null(unit_properties_find(none, "IOWeight"));
        assert_null(unit_properties_find(none, "CPUQuotaPerSecUSec"));

        p->io_weight = 10001;
        assert_int_equal(session_policy_to_unit_properties(p, &bad), -EINVAL);
        p->io_weight = 1;
        p->tasks_max = 0;
        assert_int_equal(session_policy_to_unit_properties(p, &bad), -EINVAL);
        assert_null(bad);
}

static void test_credentials(void **state) {
        static const char *const never[] = { "SetCredential", "SetCredentialEncrypted" };
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_NONE, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = NULL;
        const UnitProperty *c;

        assert_int_equal(session_policy_add_credential(p, "github-token",
                                                       "/run/openmono/credentials/s1/github-token"), 0);
        assert_int_equal(session_policy_add_credential(p, "npmrc", "/run/openmono/credentials/s1/npmrc"), 0);
        assert_int_equal(session_policy_add_credential(p, "a/b", "/run/x"), -EINVAL);
        assert_int_equal(session_policy_add_credential(p, "a:b", "/run/x"), -EINVAL);
        assert_int_equal(session_policy_add_credential(p, "", "/run/x"), -EINVAL);
        assert_int_equal(session_policy_add_credential(p, "..", "/run/x"), -EINVAL);
        assert_int_equal(session_policy_add_credential(p, "x", "relative/path"), -EINVAL);
        assert_int_equal(session_policy_add_credential(p, "x", "/run/../etc/shadow"), -EINVAL);
        assert_int_equal(p->n_credentials, 2);

        u = build(p);
        c = find_typed(u, "LoadCredential", UNIT_PROPERTY_CREDENTIALS);
        assert_int_equal(c->credentials.n_items, 2);
        assert_string_equal(c->credentials.items[0].name, "github-token");
        assert_string_equal(c->credentials.items[0].path, "/run/openmono/credentials/s1/github-token");
        assert_string_equal(c->credentials.items[1].name, "npmrc");
        assert_int_equal(unit_properties_count(u, "LoadCredential"), 1);

        for (NetworkPolicy n = 0; n < _NETWORK_POLICY_MAX; n++)
                for (SessionIdentity i = 0; i < _SESSION_IDENTITY_MAX; i++) {
                        _cleanup_policy_ SessionPolicy *q = make_policy(n, i);
                        _cleanup_props_ UnitProperties *v = NULL;

                        assert_int_equal(session_policy_add_credential(q, "k", "/run/x/k"), 0);
                        v = build(q);
                        for (size_t k = 0; k < ELEMENTSOF(never); k++)
                                assert_null(unit_properties_find(v, never[k]));
                        for (size_t k = 0; k < v->n_items; k++)
                                assert_null(strstr(v->items[k].name, "SetCredential"));
                }
}

static void test_exec(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = NULL;
        const UnitProperty *e;
        UnitProperties *bad = NULL;

        /* The command itself, without the model URL's relay in front of it (test_model_url). */
        p->model_url = false;
        u = build(p);
        e = find_typed(u, "ExecStart", UNIT_PROPERTY_EXEC);

        assert_string_equal(e->exec.path, "/usr/bin/openmono-agent");
        /* systemd would expand $HOME; "$$" reaches the program as "$". */
        assert_strv_equal(e->exec.argv, (const char *[]) {
                "/usr/bin/openmono-agent", "--task", "print $$HOME and $${PATH}", NULL });
        assert_false(e->exec.ignore_failure);
        assert_ptr_equal(e, &u->items[u->n_items - 1]);
        assert_strv_equal(find_typed(u, "Environment", UNIT_PROPERTY_STRV)->strv,
                          (const char *[]) { "LANG=C.UTF-8", NULL });
        assert_string_prop(u, "Type", "exec");
        assert_string_prop(u, "CollectMode", "inactive-or-failed");
        /* Every local user reads the description: no project, which may be a directory's name. */
        assert_string_prop(u, "Description", "OpenMono session s1");

        assert_int_equal(strv_extend(&p->environment, "1X=y"), 0);
        assert_int_equal(session_policy_to_unit_properties(p, &bad), -EINVAL);
        free(p->environment[1]);
        p->environment[1] = strdup("NOEQUALS");
        assert_int_equal(session_policy_to_unit_properties(p, &bad), -EINVAL);
        p->environment = strv_free(p->environment);

        free(p->argv[0]);
        p->argv[0] = strdup("openmono-agent");
        assert_int_equal(session_policy_to_unit_properties(p, &bad), -EINVAL);
        free(p->argv[0]);
        p->argv[0] = strdup("/usr/bin/$AGENT");
        assert_int_equal(session_policy_to_unit_properties(p, &bad), -EINVAL);
        p->argv = strv_free(p->argv);
        assert_int_equal(session_policy_to_unit_properties(p, &bad), -EINVAL);
        assert_null(bad);
}

/* The model URL: only on a loopback of the session's own, announced, and the command unchanged
 * behind openmono-session-init. */
static void test_model_url(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_NONE, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = build(p), *off = NULL, *shared = NULL;
        const UnitProperty *e = find_typed(u, "ExecStart", UNIT_PROPERTY_EXEC), *env;

        assert_true(session_policy_has_model_url(p));
        assert_string_equal(e->exec.path, SESSION_INIT_PATH);
        assert_strv_equal(e->exec.argv, (const char *[]) {
                SESSION_INIT_PATH, "--model-port=4870", "--inference-socket=/run/openmono/inference.sock",
                "--", "/usr/bin/openmono-agent", "--task", "print $$HOME and $${PATH}", NULL });
        assert_int_equal(unit_properties_count(u, "Environment"), 2);
        env = &u->items[0];
        for (size_t i = 0; i < u->n_items; i++)
                if (streq(u->items[i].name, "Environment"))
                        env = &u->items[i];
        assert_strv_equal(env->strv, (const char *[]) {
                "OPENAI_BASE_URL=http://127.0.0.1:4870/v1", "OPENAI_API_BASE=http://127.0.0.1:4870/v1",
                "OPENAI_API_KEY=openmono", NULL });

        /* Without a socket to relay to, or when not asked for: the command as it is. */
        p->model_url = false;
        off = build(p);
        assert_string_equal(find_typed(off, "ExecStart", UNIT_PROPERTY_EXEC)->exec.path, "/usr/bin/openmono-agent");
        assert_int_equal(unit_properties_count(off, "Environment"), 1);

        /* Sessions with a network have a loopback of their own too (session-netns.h): the relay
         * listens there, never on the host's, which is every local user's. */
        p->model_url = true;
        p->network = NETWORK_POLICY_INTRANET;
        assert_true(session_policy_has_model_url(p));
        shared = build(p);
        assert_string_equal(find_typed(shared, "ExecStart", UNIT_PROPERTY_EXEC)->exec.path, SESSION_INIT_PATH);
        p->network = NETWORK_POLICY_NONE;
        p->inference_socket = mfree(p->inference_socket);
        assert_false(session_policy_has_model_url(p));
}

/* The environment entry that sets name, or NULL. */
static const char *env_value(const UnitProperties *u, const char *name) {
        size_t n = strlen(name);

        for (size_t i = 0; i < u->n_items; i++) {
                if (!streq(u->items[i].name, "Environment"))
                        continue;
                STRV_FOREACH(e, u->items[i].strv)
                        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                                return *e + n + 1;
        }
        return NULL;
}

/* proxy: loopback only, like none, and out through the egress relay, which is announced. */
static void test_network_proxy(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_PROXY, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = build(p);
        const UnitProperty *e = find_typed(u, "ExecStart", UNIT_PROPERTY_EXEC);

        assert_switch(u, "PrivateNetwork");
        assert_null(unit_properties_find(u, "NetworkNamespacePath"));
        assert_null(unit_properties_find(u, "IPAddressAllow"));
        assert_true(session_policy_has_egress_relay(p));
        assert_true(binds_path(u, "/run/openmono/egress.sock"));
        assert_strv_equal(e->exec.argv, (const char *[]) {
                SESSION_INIT_PATH, "--model-port=4870", "--inference-socket=/run/openmono/inference.sock",
                "--egress-port=4871", "--egress-socket=/run/openmono/egress.sock",
                "--", "/usr/bin/openmono-agent", "--task", "print $$HOME and $${PATH}", NULL });
        for (const char *const *v = (const char *const[]) { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy",
                                                             "https_proxy", NULL }; *v; v++)
                assert_string_equal(env_value(u, *v), "http://127.0.0.1:4871");
        assert_string_equal(env_value(u, "NO_PROXY"), "localhost,127.0.0.1,::1");
        assert_string_equal(env_value(u, "no_proxy"), "localhost,127.0.0.1,::1");
        /* The model URL stays. */
        assert_string_equal(env_value(u, "OPENAI_BASE_URL"), SESSION_MODEL_URL);
}

/* Names on top of intranet and allowlist: the relay only with a list of names, and what the
 * session reaches directly stays out of the proxy. Never for none or internet. */
static void test_egress_relay(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *plain = build(p), *names = NULL, *list = NULL, *bare = NULL;
        const UnitProperty *e;

        assert_false(session_policy_has_egress_relay(p));
        assert_null(env_value(plain, "HTTPS_PROXY"));
        assert_false(binds_path(plain, "/run/openmono/egress.sock"));

        assert_int_equal(strv_extend(&p->allowed_domains, "*.pypi.test"), 0);
        assert_int_equal(strv_extend(&p->allowed_cidrs, "100.64.0.0/10"), 0);
        assert_true(session_policy_has_egress_relay(p));
        names = build(p);
        assert_string_equal(env_value(names, "https_proxy"), SESSION_EGRESS_PROXY_URL);
        assert_string_equal(env_value(names, "NO_PROXY"), "localhost,127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,"
                            "192.168.0.0/16,fc00::/7,100.64.0.0/10");
        assert_true(binds_path(names, "/run/openmono/egress.sock"));
        assert_null(unit_properties_find(names, "PrivateNetwork"));

        p->network = NETWORK_POLICY_ALLOWLIST;
        list = build(p);
        assert_string_equal(env_value(list, "no_proxy"), "localhost,127.0.0.1,::1,100.64.0.0/10");

        p->network = NETWORK_POLICY_INTERNET;
        assert_false(session_policy_has_egress_relay(p));
        p->network = NETWORK_POLICY_NONE;
        assert_false(session_policy_has_egress_relay(p));
        p->allowed_cidrs = strv_free(p->allowed_cidrs);

        /* Without the model URL the relay alone is set up; without a socket there is none. */
        p->network = NETWORK_POLICY_PROXY;
        p->model_url = false;
        bare = build(p);
        e = find_typed(bare, "ExecStart", UNIT_PROPERTY_EXEC);
        assert_strv_equal(e->exec.argv, (const char *[]) {
                SESSION_INIT_PATH, "--egress-port=4871", "--egress-socket=/run/openmono/egress.sock",
                "--", "/usr/bin/openmono-agent", "--task", "print $$HOME and $${PATH}", NULL });
        assert_null(env_value(bare, "OPENAI_BASE_URL"));
        p->egress_socket = mfree(p->egress_socket);
        assert_false(session_policy_has_egress_relay(p));
}

static void test_invalid_input(void **state) {
        static const char *const bad_projects[] = {
                "", "-app", "_app", "a/b", "a.b", "a b", "app\n", "..", "a:b",
                "abcdefghijklmnopqrstuvwxyz123",        /* 29 characters: "om-" would make 32 */
        };
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        UnitProperties *u = NULL;
        char *saved;

        assert_int_equal(session_policy_validate(p), 0);
        p->network = 42;
        assert_int_equal(session_policy_to_unit_properties(p, &u), -EINVAL);
        p->network = _NETWORK_POLICY_INVALID;
        assert_int_equal(session_policy_to_unit_properties(p, &u), -EINVAL);
        p->network = NETWORK_POLICY_INTRANET;

        assert_int_equal(strv_extend(&p->allowed_cidrs, "10.0.0.1/8"), 0);
        assert_int_equal(session_policy_to_unit_properties(p, &u), -EINVAL);
        p->allowed_cidrs = strv_free(p->allowed_cidrs);

        saved = p->workspace;
        p->workspace = (char *) "home/alice/src/app";
        assert_int_equal(session_policy_to_unit_properties(p, &u), -EINVAL);
        p->workspace = (char *) "/home/alice/../bob";
        assert_int_equal(session_policy_to_unit_properties(p, &u), -EINVAL);
        p->workspace = saved;

        saved = p->project;
        for (size_t i = 0; i < ELEMENTSOF(bad_projects); i++) {
                p->project = (char *) bad_projects[i];
                assert_false(project_name_is_valid(bad_projects[i]));
                assert_int_equal(session_policy_to_unit_properties(p, &u), -EINVAL);
        }
        p->project = (char *) "abcdefghijklmnopqrstuvwxyz12";
        assert_true(project_name_is_valid(p->project));
        assert_int_equal(session_policy_validate(p), 0);
        p->project = saved;

        p->identity = _SESSION_IDENTITY_MAX;
        assert_int_equal(session_policy_to_unit_properties(p, &u), -EINVAL);
        p->identity = SESSION_IDENTITY_OWNER;
        p->owner_uid = (uid_t) -1;
        assert_int_equal(session_policy_to_unit_properties(p, &u), -EINVAL);
        p->owner_uid = 1000;
        free(p->storage);
        p->storage = strdup("storage");
        assert_int_equal(session_policy_to_unit_properties(p, &u), -EINVAL);
        assert_false(session_id_is_valid("a.b"));
        assert_null(u);
}

/* True if PATH is /run/systemd/journal or below it. */
static bool path_in_journal_dir(const char *path) {
        const char *d = "/run/systemd/journal";

        return strncmp(path, d, strlen(d)) == 0 && (path[strlen(d)] == 0 || path[strlen(d)] == '/');
}

static void assert_journal_namespace(const UnitProperties *u) {
        assert_string_prop(u, "LogNamespace", SESSION_LOG_NAMESPACE);
        assert_int_equal(find_typed(u, "LogRateLimitIntervalUSec", UNIT_PROPERTY_UINT64)->uint64,
                         30 * 1000000);
        assert_int_equal(find_typed(u, "LogRateLimitBurst", UNIT_PROPERTY_UINT32)->uint32, 2000);
        /* systemd binds the namespace's sockets at /run/systemd/journal; a bind of the system
         * journal's sockets there would land on top and undo it. */
        for (size_t i = 0; i < u->n_items; i++) {
                if (u->items[i].type != UNIT_PROPERTY_BIND_PATHS)
                        continue;
                for (size_t k = 0; k < u->items[i].bind_paths.n_items; k++)
                        assert_false(path_in_journal_dir(u->items[i].bind_paths.items[k].destination));
        }
}

static void test_journal_namespace(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        _cleanup_policy_ SessionPolicy *d = make_policy(NETWORK_POLICY_NONE, SESSION_IDENTITY_DYNAMIC);
        _cleanup_props_ UnitProperties *u = build(p), *v = build(d), *w = NULL;
        int fds[2];

        assert_true(path_in_journal_dir("/run/systemd/journal/socket"));
        assert_false(path_in_journal_dir("/run/systemd/journal.openmono"));
        assert_journal_namespace(u);
        assert_journal_namespace(v);
        /* Output to the caller's terminal still leaves syslog(3) and sd_journal_send() to the
         * journal: the namespace is set whatever the stdio. */
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        p->stdio = SESSION_STDIO_INHERIT;
        p->stdio_fds[0] = fds[0];
        p->stdio_fds[1] = fds[1];
        p->stdio_fds[2] = fcntl(fds[1], F_DUPFD_CLOEXEC, 3);
        w = build(p);
        assert_journal_namespace(w);
}

static void test_stdio(void **state) {
        _cleanup_policy_ SessionPolicy *p = make_policy(NETWORK_POLICY_INTRANET, SESSION_IDENTITY_OWNER);
        _cleanup_props_ UnitProperties *u = build(p), *v = NULL;
        UnitProperties *bad = NULL;
        int fds[2];

        assert_string_prop(u, "StandardOutput", "journal");
        assert_string_prop(u, "StandardError", "journal");
        assert_null(unit_properties_find(u, "StandardInputFileDescriptor"));

        p->stdio = SESSION_STDIO_INHERIT;
        assert_int_equal(session_policy_to_unit_properties(p, &bad), -EBADF);
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        p->stdio_fds[0] = fds[0];
        p->stdio_fds[1] = fds[1];
        p->stdio_fds[2] = fcntl(fds[1], F_DUPFD_CLOEXEC, 3);
        v = build(p);
        assert_null(unit_properties_find(v, "StandardOutput"));
        for (size_t i = 0; i < 3; i++) {
                static const char *const names[] = {
                        "StandardInputFileDescriptor", "StandardOutputFileDescriptor",
                        "StandardErrorFileDescriptor",
                };
                const UnitProperty *f = find_typed(v, names[i], UNIT_PROPERTY_FD);

                /* The list holds its own copy. */
                assert_true(f->fd >= 0);
                assert_int_not_equal(f->fd, p->stdio_fds[i]);
                assert_true(fcntl(f->fd, F_GETFD) >= 0);
        }
        assert_null(bad);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_enum_round_trips),
                cmocka_unit_test(test_cidr),
                cmocka_unit_test(test_network_none),
                cmocka_unit_test(test_network_intranet),
                cmocka_unit_test(test_network_internet),
                cmocka_unit_test(test_network_allowlist),
                cmocka_unit_test(test_network_proxy),
                cmocka_unit_test(test_egress_relay),
                cmocka_unit_test(test_identity_owner),
                cmocka_unit_test(test_identity_dynamic),
                cmocka_unit_test(test_identity_dynamic_transcripts),
                cmocka_unit_test(test_filesystem),
                cmocka_unit_test(test_run_allow_list),
                cmocka_unit_test(test_private_dev_shm),
                cmocka_unit_test(test_inaccessible_paths),
                cmocka_unit_test(test_privileges),
                cmocka_unit_test(test_slice_names),
                cmocka_unit_test(test_unit_name),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_credentials),
                cmocka_unit_test(test_exec),
                cmocka_unit_test(test_model_url),
                cmocka_unit_test(test_invalid_input),
                cmocka_unit_test(test_stdio),
                cmocka_unit_test(test_journal_namespace),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
