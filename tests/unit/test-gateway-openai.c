/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OpenAI objects the gateway reads and writes: request checks and rewriting, error
 * objects, model lists, and routes. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "json-util.h"
#include "openai.h"
#include "request.h"
#include "strv.h"

static void test_parse_and_build(void **state) {
        static const char body[] = "{\"model\":\"coder\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        _cleanup_(chat_request_freep) ChatRequest *r = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *error = NULL, *out = NULL;
        json_object *opts;
        const char *s;
        bool b;

        assert_int_equal(chat_request_parse(body, strlen(body), &r, &error), 0);
        assert_string_equal(r->model, "coder");
        assert_true(r->stream);
        assert_false(r->client_wants_usage);

        assert_int_equal(chat_request_build(r, "qwen2.5-coder:7b", &out), 0);
        assert_int_equal(json_parse(out, strlen(out), &o), 0);
        assert_int_equal(json_get_string(o, "model", &s), 0);
        assert_string_equal(s, "qwen2.5-coder:7b");
        assert_int_equal(json_get_object(o, "stream_options", &opts), 0);
        assert_int_equal(json_get_bool(opts, "include_usage", &b), 0);
        assert_true(b);
        /* The rest is the client's, untouched. */
        assert_non_null(strstr(out, "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"));
}

static void test_client_usage_and_no_stream(void **state) {
        static const char wants[] = "{\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        static const char plain[] = "{\"model\":\"m\"}";
        _cleanup_(chat_request_freep) ChatRequest *r = NULL, *p = NULL;
        _cleanup_free_ char *error = NULL, *out = NULL;

        assert_int_equal(chat_request_parse(wants, strlen(wants), &r, &error), 0);
        assert_true(r->client_wants_usage);
        assert_null(r->model);
        assert_int_equal(chat_request_parse(plain, strlen(plain), &p, &error), 0);
        assert_false(p->stream);
        assert_int_equal(chat_request_build(p, NULL, &out), 0);
        /* Not streaming: no stream_options; no model to name: none sent. */
        assert_string_equal(out, "{}");
}

static void expect_bad(const char *body, const char *message) {
        _cleanup_(chat_request_freep) ChatRequest *r = NULL;
        _cleanup_free_ char *error = NULL;

        assert_int_equal(chat_request_parse(body, strlen(body), &r, &error), -EBADMSG);
        assert_null(r);
        assert_non_null(error);
        assert_non_null(strstr(error, message));
}

static void test_bad_requests(void **state) {
        expect_bad("", "not a JSON object");
        expect_bad("[]", "not a JSON object");
        expect_bad("{\"model\":1}", "'model'");
        expect_bad("{\"stream\":\"yes\"}", "'stream'");
        expect_bad("{\"stream_options\":[]}", "'stream_options'");
        expect_bad("{\"stream_options\":{\"include_usage\":1}}", "include_usage");
        expect_bad("{} trailing", "not a JSON object");
}

/* Builds body with its "user" replaced by user; returns what went upstream as JSON. */
static json_object *build_with_user(const char *body, const char *user) {
        _cleanup_(chat_request_freep) ChatRequest *r = NULL;
        _cleanup_free_ char *error = NULL, *out = NULL;
        json_object *o = NULL;

        assert_int_equal(chat_request_parse(body, strlen(body), &r, &error), 0);
        assert_int_equal(chat_request_set_user(r, user), 0);
        assert_int_equal(chat_request_build(r, "m", &out), 0);
        assert_int_equal(json_parse(out, strlen(out), &o), 0);
        return o;
}

static void expect_user(const char *body, const char *user) {
        _cleanup_(json_object_putp) json_object *o = build_with_user(body, user);
        json_object *v;
        const char *s;

        if (!user) {
                assert_false(json_object_object_get_ex(o, "user", &v));
                return;
        }
        assert_int_equal(json_get_string(o, "user", &s), 0);
        assert_string_equal(s, user);
        /* One "user" only, and the rest of the request untouched. */
        assert_null(strstr(strstr(json_object_to_json_string(o), "\"user\"") + 1, "\"user\""));
        assert_int_equal(json_get_string(o, "model", &s), 0);
        assert_string_equal(s, "m");
}

static void test_user_overwritten(void **state) {
        /* A claim of someone else's identity, a request without one, and odd JSON. */
        expect_user("{\"user\":\"root\",\"messages\":[]}", "alice/s1");
        expect_user("{\"messages\":[]}", "alice/s1");
        expect_user("{\"user\":{\"name\":\"root\"}}", "bob");
        expect_user("{\"user\":42}", "bob");
        expect_user("{\"user\":null}", "bob");
        expect_user("{\"user\":[\"a\",\"b\"]}", "bob");
        expect_user("{\"user\":\"x\",\"user\":\"y\"}", "carol");
        expect_user("{\"user\":\"root\"}", NULL);
}

static void test_error_json(void **state) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *s = openai_error_json("rate_limit_exceeded", "rate_limit_exceeded", "%u waiting", 3U);
        json_object *e;
        const char *m;

        assert_non_null(s);
        assert_int_equal(json_parse(s, strlen(s), &o), 0);
        assert_int_equal(json_get_object(o, "error", &e), 0);
        assert_int_equal(json_get_string(e, "message", &m), 0);
        assert_string_equal(m, "3 waiting");
        assert_true(openai_is_error_json(s, strlen(s)));
        assert_true(openai_is_error_json("{\"error\":\"x\"}", 13));
        assert_false(openai_is_error_json("{\"error\":1}", 11));
        assert_false(openai_is_error_json("kaboom", 6));
}

static void test_model_list(void **state) {
        static const char body[] = "{\"object\":\"list\",\"data\":[{\"id\":\"a\"},{\"id\":\"b\"},{\"id\":\"a\"},{\"x\":1},7]}";
        _cleanup_strv_free_ char **l = NULL;

        assert_int_equal(openai_parse_model_list(body, strlen(body), &l), 2);
        assert_string_equal(l[0], "a");
        assert_string_equal(l[1], "b");
        assert_int_equal(openai_parse_model_list("{}", 2, &l), -EBADMSG);
}

static void test_routes(void **state) {
        assert_int_equal(route_from_request("POST", "/v1/chat/completions"), ROUTE_CHAT);
        assert_int_equal(route_from_request("POST", "/v1/chat/completions?x=1"), ROUTE_CHAT);
        assert_int_equal(route_from_request("GET", "/v1/chat/completions"), ROUTE_BAD_METHOD);
        assert_int_equal(route_from_request("GET", "/v1/models"), ROUTE_MODELS);
        assert_int_equal(route_from_request("HEAD", "/health"), ROUTE_HEALTH);
        assert_int_equal(route_from_request("GET", "/v1/openmono/usage"), ROUTE_USAGE);
        assert_int_equal(route_from_request("GET", "/v1/models/x"), ROUTE_NOT_FOUND);
        assert_int_equal(route_from_request("GET", "/v1/model"), ROUTE_NOT_FOUND);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_and_build),
                cmocka_unit_test(test_client_usage_and_no_stream),
                cmocka_unit_test(test_bad_requests),
                cmocka_unit_test(test_user_overwritten),
                cmocka_unit_test(test_error_json),
                cmocka_unit_test(test_model_list),
                cmocka_unit_test(test_routes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
