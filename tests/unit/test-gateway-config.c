/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gateway.conf: defaults, [Upstream] sections told apart by Name=, drop-ins changing one
 * upstream, errors that name file and line, model mapping, and keys from credentials. */

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "gateway-config.h"
#include "strv.h"

static int parse(const char *text, GatewayConfig **ret, ConfigDiagnostics *d) {
        _cleanup_(gateway_config_unrefp) GatewayConfig *c = NULL;
        char *e = NULL;
        int r;

        assert_int_equal(gateway_config_new(&c), 0);
        r = config_parse_buffer("gateway.conf", text, strlen(text), gateway_config_items, c, d);
        if (r >= 0) {
                r = gateway_config_finish(c, &e);
                if (r < 0)
                        free_and_replace(d->error, e);
        }
        if (r >= 0)
                *ret = steal_ptr(c);
        return r;
}

static void test_defaults(void **state) {
        _cleanup_(gateway_config_unrefp) GatewayConfig *c = NULL;
        ConfigDiagnostics d = {};

        assert_int_equal(parse("", &c, &d), 0);
        assert_int_equal(c->max_concurrent, GATEWAY_MAX_CONCURRENT_DEFAULT);
        assert_int_equal(c->per_user_concurrent, GATEWAY_PER_USER_CONCURRENT_DEFAULT);
        assert_false(c->allow_local_users);
        /* No upstream configured: llama-server on its default port. */
        assert_int_equal(c->n_upstreams, 1);
        assert_string_equal(c->upstreams[0]->name, UPSTREAM_DEFAULT_NAME);
        assert_string_equal(c->upstreams[0]->url, UPSTREAM_DEFAULT_URL);
        config_diagnostics_done(&d);
}

static void test_connection_limits(void **state) {
        static const char text[] =
                "[Gateway]\nMaxConnections=300\nMaxConnectionsPerUser=20\nMaxConnectionsPerSession=5\n"
                "MaxQueuedPerSession=3\nRequestReadTimeoutSec=2s\n";
        _cleanup_(gateway_config_unrefp) GatewayConfig *c = NULL, *dflt = NULL;
        ConfigDiagnostics d = {};

        assert_int_equal(parse("", &dflt, &d), 0);
        assert_int_equal(dflt->max_connections, GATEWAY_MAX_CONNECTIONS_DEFAULT);
        assert_true(dflt->max_connections_per_user < dflt->max_connections);
        assert_int_equal(dflt->request_read_timeout_usec, GATEWAY_REQUEST_READ_TIMEOUT_DEFAULT_USEC);
        assert_int_equal(parse(text, &c, &d), 0);
        assert_int_equal(c->max_connections, 300);
        assert_int_equal(c->max_connections_per_user, 20);
        assert_int_equal(c->max_connections_per_session, 5);
        assert_int_equal(c->max_queued_per_session, 3);
        assert_int_equal(c->request_read_timeout_usec, 2 * 1000000ULL);
        config_diagnostics_done(&d);

        /* One user may never hold every connection. */
        assert_int_equal(parse("[Gateway]\nMaxConnections=100\nMaxConnectionsPerUser=100\n", &c, &d),
                         -EINVAL);
        assert_non_null(strstr(d.error, "MaxConnectionsPerUser="));
        config_diagnostics_done(&d);
        assert_int_equal(parse("[Gateway]\nMaxConnections=100000\n", &c, &d), -EINVAL);
        config_diagnostics_done(&d);
        assert_int_equal(parse("[Gateway]\nRequestReadTimeoutSec=0\n", &c, &d), -EINVAL);
        config_diagnostics_done(&d);
        assert_int_equal(parse("[Gateway]\nRequestReadTimeoutSec=infinity\n", &c, &d), -EINVAL);
        config_diagnostics_done(&d);
        assert_int_equal(parse("[Gateway]\nMaxConnectionsPerSession=0\n", &c, &d), -EINVAL);
        config_diagnostics_done(&d);
}

static void test_upstreams(void **state) {
        static const char text[] =
                "[Gateway]\n"
                "MaxConcurrent=8\nPerUserConcurrent=3\nMaxQueuedPerUser=5\nAllowLocalUsers=yes\n"
                "DefaultModel=coder\n"
                "[Upstream]\nName=gpu1\nURL=http://10.0.0.1:8000/v1/\nModels=coder:qwen2.5-coder:7b chat\n"
                "FirstByteTimeoutSec=1min\n"
                "[Upstream]\nName=gpu2\nURL=https://gpu2.example/v1\nHealthCheckPath=/health\n"
                "IdleTimeoutSec=30s\nConnectTimeoutSec=2s\n";
        _cleanup_(gateway_config_unrefp) GatewayConfig *c = NULL;
        ConfigDiagnostics d = {};
        const char *t;

        assert_int_equal(parse(text, &c, &d), 0);
        assert_int_equal(c->max_concurrent, 8);
        assert_int_equal(c->per_user_concurrent, 3);
        assert_int_equal(c->max_queued_per_user, 5);
        assert_true(c->allow_local_users);
        assert_string_equal(c->default_model, "coder");
        assert_int_equal(c->n_upstreams, 2);
        assert_string_equal(c->upstreams[0]->url, "http://10.0.0.1:8000/v1");
        assert_int_equal(c->upstreams[0]->first_byte_timeout_usec, 60 * 1000000ULL);
        assert_int_equal(c->upstreams[1]->idle_timeout_usec, 30 * 1000000ULL);
        assert_int_equal(c->upstreams[1]->connect_timeout_usec, 2 * 1000000ULL);
        assert_string_equal(c->upstreams[1]->health_path, "/health");

        /* Mapping: the alias ends at the first ':', the model name may have more. */
        assert_true(upstream_config_map_model(c->upstreams[0], "coder", &t));
        assert_string_equal(t, "qwen2.5-coder:7b");
        assert_true(upstream_config_map_model(c->upstreams[0], "chat", &t));
        assert_string_equal(t, "chat");
        assert_false(upstream_config_map_model(c->upstreams[0], "qwen2.5-coder:7b", &t));
        assert_false(upstream_config_map_model(c->upstreams[0], NULL, &t));
        /* Without Models= anything goes, unchanged. */
        assert_true(upstream_config_map_model(c->upstreams[1], "whatever", &t));
        assert_string_equal(t, "whatever");
        assert_ptr_equal(gateway_config_find_upstream(c, "gpu2"), c->upstreams[1]);
        assert_null(gateway_config_find_upstream(c, "gpu3"));
        config_diagnostics_done(&d);
}

static void expect_error(const char *text, const char *message) {
        _cleanup_(gateway_config_unrefp) GatewayConfig *c = NULL;
        ConfigDiagnostics d = {};

        assert_true(parse(text, &c, &d) < 0);
        assert_null(c);
        assert_non_null(d.error);
        if (!strstr(d.error, message))
                fail_msg("'%s' does not say '%s'", d.error, message);
        config_diagnostics_done(&d);
}

static void test_errors(void **state) {
        expect_error("[Upstream]\nURL=http://x/v1\n", "gateway.conf:2: [Upstream] URL=: no Name= before");
        expect_error("[Upstream]\nName=a\nURL=ftp://x\n", "gateway.conf:3: [Upstream] URL=: invalid");
        expect_error("[Upstream]\nName=a\nURL=http://\n", "gateway.conf:3:");
        expect_error("[Upstream]\nName=a b\n", "gateway.conf:2: [Upstream] Name=: invalid upstream name");
        expect_error("[Upstream]\nName=../x\n", "invalid upstream name");
        expect_error("[Upstream]\nName=a\n", "gateway.conf:2: [Upstream] Name=a has no URL=");
        expect_error("[Upstream]\nName=a\nURL=http://x\nModels=:b\n", "gateway.conf:4:");
        expect_error("[Upstream]\nName=a\nURL=http://x\nModels=b:\n", "model mapping");
        expect_error("[Upstream]\nName=a\nURL=http://x\nHealthCheckPath=models\n", "gateway.conf:4:");
        expect_error("[Gateway]\nMaxConcurrent=0\n", "gateway.conf:2: [Gateway] MaxConcurrent=: invalid number of at least 1");
        expect_error("[Gateway]\nAllowLocalUsers=perhaps\n", "gateway.conf:2:");
}

/* Writes text to dir/name, creating dir. */
static void write_file(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int fd = -EBADF;

        (void) mkdir(dir, 0755);
        assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void test_dropins_and_keys(void **state) {
        char root[] = "/tmp/test-gateway-config.XXXXXX";
        _cleanup_free_ char *vendor = NULL, *etc = NULL, *dropins = NULL, *creds = NULL;
        _cleanup_(gateway_config_unrefp) GatewayConfig *c = NULL;
        ConfigDiagnostics d = {};

        assert_non_null(mkdtemp(root));
        assert_true(asprintf(&vendor, "%s/vendor", root) > 0);
        assert_true(asprintf(&etc, "%s/etc", root) > 0);
        assert_true(asprintf(&dropins, "%s/etc/gateway.conf.d", root) > 0);
        assert_true(asprintf(&creds, "%s/creds", root) > 0);
        write_file(vendor, "gateway.conf", "[Upstream]\nName=vendor\nURL=http://127.0.0.1:1/v1\n");
        write_file(etc, "gateway.conf",
                   "[Upstream]\nName=main\nURL=http://127.0.0.1:8080/v1\nModels=a:b\n"
                   "[Upstream]\nName=spare\nURL=http://127.0.0.1:8081/v1\n");
        /* A drop-in changes one setting of an upstream named before, and adds another. */
        write_file(dropins, "50-more.conf",
                   "[Gateway]\nMaxConcurrent=2\n"
                   "[Upstream]\nName=main\nIdleTimeoutSec=5s\n"
                   "[Upstream]\nName=extra\nURL=http://127.0.0.1:8082/v1\n");
        write_file(creds, "main.key", "sk-secret\n");
        write_file(creds, "spare.key", "");

        const char *dirs[] = { vendor, etc, NULL };
        assert_int_equal(gateway_config_load(dirs, NULL, NULL, &c, &d), 0);
        /* The admin's file masks the vendor's entirely. */
        assert_int_equal(c->n_upstreams, 3);
        assert_string_equal(c->upstreams[0]->name, "main");
        assert_string_equal(c->upstreams[0]->url, "http://127.0.0.1:8080/v1");
        assert_int_equal(c->upstreams[0]->idle_timeout_usec, 5 * 1000000ULL);
        assert_string_equal(c->upstreams[0]->models[0], "a:b");
        assert_string_equal(c->upstreams[2]->name, "extra");
        assert_int_equal(c->max_concurrent, 2);
        assert_null(c->upstreams[0]->key);

        /* An empty key file is an error: better than sending no key without a word. */
        assert_int_equal(gateway_config_load_keys(c, creds), -EBADMSG);
        write_file(creds, "spare.key", "sk-other");
        assert_int_equal(gateway_config_load_keys(c, creds), 0);
        assert_string_equal(c->upstreams[0]->key, "sk-secret");
        assert_string_equal(c->upstreams[1]->key, "sk-other");
        assert_null(c->upstreams[2]->key);
        write_file(creds, "extra.key", "a\nb");
        assert_int_equal(gateway_config_load_keys(c, creds), -EBADMSG);

        /* A drop-in may not change "the upstream before" without naming it. */
        write_file(dropins, "60-bad.conf", "[Upstream]\nURL=http://127.0.0.1:9/v1\n");
        config_diagnostics_done(&d);
        c = gateway_config_unref(c);
        assert_int_equal(gateway_config_load(dirs, NULL, NULL, &c, &d), -EINVAL);
        assert_non_null(strstr(d.error, "60-bad.conf:2: [Upstream] URL=: no Name= before"));
        config_diagnostics_done(&d);

        assert_int_equal(nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void test_refcount(void **state) {
        GatewayConfig *c, *again;

        assert_int_equal(gateway_config_new(&c), 0);
        again = gateway_config_ref(c);
        assert_ptr_equal(again, c);
        assert_null(gateway_config_unref(c));
        assert_int_equal(again->n_ref, 1);
        assert_null(gateway_config_unref(again));
        assert_null(gateway_config_unref(NULL));
}

static void test_names(void **state) {
        assert_true(upstream_name_is_valid("gpu-1.local_a"));
        assert_false(upstream_name_is_valid(""));
        assert_false(upstream_name_is_valid(".hidden"));
        assert_false(upstream_name_is_valid("a/b"));
        assert_false(upstream_name_is_valid("a b"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_connection_limits),
                cmocka_unit_test(test_upstreams),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_dropins_and_keys),
                cmocka_unit_test(test_refcount),
                cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
