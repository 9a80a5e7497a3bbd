/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Usage read from streamed and whole answers: the bytes the client gets are the upstream's,
 * except for the usage-only event the gateway asked for on its own; however the stream is cut
 * into pieces, the result is the same. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "sse-usage.h"

#define EV_ROLE "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n"
#define EV_TEXT "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n"
#define EV_USAGE "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,\"total_tokens\":46}}\n\n"
#define EV_DONE "data: [DONE]\n\n"

static const char stream[] = EV_ROLE EV_TEXT ": keep-alive comment\n\n" EV_USAGE EV_DONE;

/* Feeds s in pieces of step bytes; returns what the client would get. */
static void feed(SseScanner *sc, const char *s, size_t n, size_t step, Buffer *out) {
        for (size_t i = 0; i < n; i += step)
                assert_int_equal(sse_scanner_feed(sc, s + i, MIN(step, n - i), out), 0);
        assert_int_equal(sse_scanner_finish(sc, out), 0);
}

static void check_output(Buffer *out, const char *want) {
        assert_int_equal(buffer_length(out), strlen(want));
        assert_memory_equal(buffer_peek(out), want, strlen(want));
}

static void test_passthrough(void **state) {
        for (size_t step = 1; step <= sizeof(stream); step++) {
                _cleanup_(buffer_done) Buffer out = {};
                SseScanner sc;

                sse_scanner_init(&sc, false);
                feed(&sc, stream, strlen(stream), step, &out);
                check_output(&out, stream);
                assert_true(sc.usage.valid);
                assert_int_equal(sc.usage.prompt_tokens, 12);
                assert_int_equal(sc.usage.completion_tokens, 34);
                assert_true(sc.saw_done);
                assert_int_equal(sc.n_stripped, 0);
                sse_scanner_done(&sc);
        }
}

static void test_strip_usage_chunk(void **state) {
        static const char want[] = EV_ROLE EV_TEXT ": keep-alive comment\n\n" EV_DONE;

        for (size_t step = 1; step <= sizeof(stream); step++) {
                _cleanup_(buffer_done) Buffer out = {};
                SseScanner sc;

                sse_scanner_init(&sc, true);
                feed(&sc, stream, strlen(stream), step, &out);
                check_output(&out, want);
                assert_true(sc.usage.valid);
                assert_int_equal(sc.usage.completion_tokens, 34);
                assert_int_equal(sc.n_stripped, 1);
                sse_scanner_done(&sc);
        }
}

/* Usage inside a chunk that also has choices is the client's data: it stays. */
static void test_usage_with_choices_stays(void **state) {
        static const char s[] = "data: {\"choices\":[{\"delta\":{}}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\r\n\r\n";
        _cleanup_(buffer_done) Buffer out = {};
        SseScanner sc;

        sse_scanner_init(&sc, true);
        feed(&sc, s, strlen(s), 7, &out);
        check_output(&out, s);
        assert_true(sc.usage.valid);
        assert_int_equal(sc.usage.prompt_tokens, 1);
        sse_scanner_done(&sc);
}

static void test_crlf_and_multiline(void **state) {
        static const char s[] = "event: x\r\ndata: {\"choices\":[],\r\ndata: \"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}\r\n\r\n";
        _cleanup_(buffer_done) Buffer out = {};
        SseScanner sc;

        sse_scanner_init(&sc, true);
        feed(&sc, s, strlen(s), 3, &out);
        assert_int_equal(buffer_length(&out), 0);
        assert_int_equal(sc.usage.completion_tokens, 6);
        sse_scanner_done(&sc);
}

static void test_garbage_passes(void **state) {
        static const char s[] = "data: {not json\n\ndata: {\"usage\": \"nope\"}\n\nrandom bytes \x01\x02 without end";
        _cleanup_(buffer_done) Buffer out = {};
        SseScanner sc;

        sse_scanner_init(&sc, true);
        feed(&sc, s, sizeof(s) - 1, 5, &out);
        check_output(&out, s);
        assert_false(sc.usage.valid);
        sse_scanner_done(&sc);
}

static void test_oversized_event(void **state) {
        _cleanup_(buffer_done) Buffer out = {};
        _cleanup_free_ char *big = NULL;
        size_t n = SSE_EVENT_MAX + 100;
        SseScanner sc;

        big = malloc(n + sizeof(EV_USAGE));
        assert_non_null(big);
        memcpy(big, "data: ", 6);
        memset(big + 6, 'x', n - 8);
        memcpy(big + n - 2, "\n\n", 2);
        memcpy(big + n, EV_USAGE, sizeof(EV_USAGE));

        sse_scanner_init(&sc, true);
        feed(&sc, big, n + strlen(EV_USAGE), 4096, &out);
        /* The big event passes unlooked at; the scanner is back in step for the next one. */
        assert_int_equal(buffer_length(&out), n);
        assert_true(sc.usage.valid);
        assert_int_equal(sc.n_stripped, 1);
        sse_scanner_done(&sc);
}

static void test_whole_body(void **state) {
        static const char body[] = "{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":8}}";
        Usage u = {};

        assert_int_equal(usage_from_body(body, strlen(body), &u), 1);
        assert_int_equal(u.prompt_tokens, 7);
        assert_int_equal(u.completion_tokens, 8);
        assert_int_equal(usage_from_body("{}", 2, &u), 0);
        assert_int_equal(usage_from_body("{\"usage\":null}", 14, &u), 0);
        assert_int_equal(usage_from_body("{\"usage\":{\"prompt_tokens\":-1,\"completion_tokens\":1}}", 52, &u), -EBADMSG);
        assert_int_equal(usage_from_body("[1]", 3, &u), -EBADMSG);
        assert_int_equal(usage_from_body("{", 1, &u), -EBADMSG);
}

/* Errors inside a 200 stream, in each server's shape, are noted, and still pass byte for byte. */
static void test_stream_errors(void **state) {
        static const struct {
                const char *stream, *message;
        } cases[] = {
                /* llama.cpp of 2024 and 2025: a non-standard "error:" field, then [DONE] */
                { EV_ROLE "error: {\"code\":400,\"message\":\"exceeds the available context size\",\"type\":\"x\"}\n\n" EV_DONE,
                  "exceeds the available context size" },
                /* vLLM up to 0.10 */
                { EV_ROLE "data: {\"object\":\"error\",\"message\":\"flat\",\"type\":\"BadRequestError\",\"code\":400}\n\n" EV_DONE,
                  "flat" },
                /* vLLM since, SGLang, TGI's in-stream event */
                { EV_ROLE "data: {\"error\":{\"message\":\"nested\",\"http_status_code\":422}}\n\n" EV_DONE, "nested" },
                /* TGI's HTTP error shape, and an event named error */
                { "data: {\"error\":\"overloaded\",\"error_type\":\"overloaded\"}\n\n", "overloaded" },
                { "event: error\r\ndata: plain words\r\n\r\n", "plain words" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                for (int strip = 0; strip <= 1; strip++) {
                        _cleanup_(buffer_done) Buffer out = {};
                        SseScanner sc;

                        sse_scanner_init(&sc, strip);
                        feed(&sc, cases[i].stream, strlen(cases[i].stream), 7, &out);
                        check_output(&out, cases[i].stream);
                        assert_true(sc.usage.upstream_error);
                        assert_string_equal(sc.usage.error, cases[i].message);
                        assert_false(sc.usage.valid);
                        sse_scanner_done(&sc);
                }
}

/* Without usage the output characters are counted, for an estimate; a clean stream is no error. */
static void test_output_chars(void **state) {
        static const char s[] = EV_ROLE EV_TEXT
                "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"abc\",\"tool_calls\":[{\"index\":0,"
                "\"function\":{\"name\":\"bash\",\"arguments\":\"{}\"}}]}}]}\n\n" EV_DONE;
        static const char body[] = "{\"choices\":[{\"message\":{\"content\":\"12345\"}}]}\n";
        _cleanup_(buffer_done) Buffer out = {};
        SseScanner sc;
        Usage u = {};

        sse_scanner_init(&sc, false);
        feed(&sc, s, strlen(s), 5, &out);
        assert_false(sc.usage.valid);
        assert_false(sc.usage.upstream_error);
        assert_int_equal(sc.usage.output_chars, 2 + 3 + 4 + 2);
        sse_scanner_done(&sc);

        assert_int_equal(usage_from_body(body, strlen(body), &u), 0);
        assert_int_equal(u.output_chars, 5);
        assert_false(u.upstream_error);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_passthrough),
                cmocka_unit_test(test_strip_usage_chunk),
                cmocka_unit_test(test_usage_with_choices_stays),
                cmocka_unit_test(test_crlf_and_multiline),
                cmocka_unit_test(test_garbage_passes),
                cmocka_unit_test(test_oversized_event),
                cmocka_unit_test(test_whole_body),
                cmocka_unit_test(test_stream_errors),
                cmocka_unit_test(test_output_chars),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
