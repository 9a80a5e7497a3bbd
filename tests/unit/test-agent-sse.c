/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SSE parser and the assembly of streamed chat-completion deltas: events split at every
 * possible byte, line ends of all three kinds, tool calls whose JSON arguments arrive in pieces,
 * several calls in one turn, servers that leave out the index, and the whole-body fallback. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "chat-response.h"
#include "sse.h"
#include "strv.h"

static int collect_event(const char *event, const char *data, size_t size, void *userdata) {
        char ***l = userdata;

        assert_int_equal(strlen(data), size);
        return strv_extendf(l, "%s|%s", event, data);
}

static void test_sse_basic(void **state) {
        _cleanup_strv_free_ char **l = NULL;
        const char *in = ": comment\r\ndata: one\r\n\r\nevent: x\ndata:two\ndata: three\n\nid: 5\n\ndata: cr\r\rdata: partial";
        SseParser p;

        sse_parser_init(&p, collect_event, &l);
        assert_int_equal(sse_parser_feed(&p, in, strlen(in)), 0);
        assert_int_equal(sse_parser_finish(&p), 1);
        sse_parser_done(&p);
        assert_int_equal(strv_length(l), 3);
        assert_string_equal(l[0], "message|one");
        assert_string_equal(l[1], "x|two\nthree");
        assert_string_equal(l[2], "message|cr");
}

/* Every split point of the input must give the same events. */
static void test_sse_split_anywhere(void **state) {
        const char *in = "data: {\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n";
        size_t n = strlen(in);

        for (size_t cut = 0; cut <= n; cut++) {
                _cleanup_strv_free_ char **l = NULL;
                SseParser p;

                sse_parser_init(&p, collect_event, &l);
                assert_int_equal(sse_parser_feed(&p, in, cut), 0);
                assert_int_equal(sse_parser_feed(&p, in + cut, n - cut), 0);
                assert_int_equal(sse_parser_finish(&p), 0);
                sse_parser_done(&p);
                assert_int_equal(strv_length(l), 2);
                assert_string_equal(l[0], "message|{\"a\":1}");
                assert_string_equal(l[1], "message|[DONE]");
        }
}

static int stop_event(const char *event, const char *data, size_t size, void *userdata) {
        return -ECANCELED;
}

static void test_sse_callback_error(void **state) {
        SseParser p;

        sse_parser_init(&p, stop_event, NULL);
        assert_int_equal(sse_parser_feed(&p, "data: x\n\n", 9), -ECANCELED);
        sse_parser_done(&p);
}

static void feed(ChatResponse *r, const char *data) {
        assert_int_equal(chat_response_feed_event(r, data, strlen(data), NULL, NULL), 0);
}

static void test_delta_assembly(void **state) {
        ChatResponse r = {};

        feed(&r, "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}");
        feed(&r, "{\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}");
        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"type\":\"function\","
                 "\"function\":{\"name\":\"bash\",\"arguments\":\"{\\\"comm\"}}]}}]}");
        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"c2\","
                 "\"function\":{\"name\":\"read_file\",\"arguments\":\"\"}}]}}]}");
        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"and\\\": \\\"ls\\\"}\"}}]}}]}");
        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{\\\"path\\\":\\\"a\\\"}\"}}]}}]}");
        assert_false(chat_response_is_complete(&r));
        feed(&r, "{\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}");
        feed(&r, "{\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5}}");
        feed(&r, "[DONE]");

        assert_true(chat_response_is_complete(&r));
        assert_string_equal(r.content, "Hello");
        assert_int_equal(r.n_calls, 2);
        assert_string_equal(r.calls[0].id, "c1");
        assert_string_equal(r.calls[0].name, "bash");
        assert_string_equal(r.calls[0].arguments, "{\"command\": \"ls\"}");
        assert_string_equal(r.calls[1].name, "read_file");
        assert_string_equal(r.calls[1].arguments, "{\"path\":\"a\"}");
        assert_string_equal(r.finish_reason, "tool_calls");
        assert_true(r.usage.reported);
        assert_int_equal(r.usage.prompt_tokens, 10);
        assert_int_equal(r.usage.completion_tokens, 5);
        chat_response_done(&r);
}

static void test_delta_no_index(void **state) {
        ChatResponse r = {};

        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"glob\",\"arguments\":\"{}\"}}]}}]}");
        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"b\",\"function\":{\"name\":\"grep\",\"arguments\":\"{\"}}]}}]}");
        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"}\"}}]}}]}");
        assert_int_equal(r.n_calls, 2);
        assert_string_equal(r.calls[1].name, "grep");
        assert_string_equal(r.calls[1].arguments, "{}");
        chat_response_done(&r);
}

static void test_delta_bad(void **state) {
        const char *bad;
        ChatResponse r = {};

        assert_int_equal(chat_response_feed_event(&r, "{\"choices\": [", 13, NULL, NULL), -EBADMSG);
        assert_int_equal(chat_response_feed_event(&r, "{\"error\":{\"message\":\"x\"}}", 25, NULL, NULL), -EBADE);
        assert_string_equal(r.error, "x");
        bad = "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":9999}]}}]}";
        assert_int_equal(chat_response_feed_event(&r, bad, strlen(bad), NULL, NULL), -E2BIG);
        chat_response_done(&r);
}

static void test_whole_body(void **state) {
        const char *body = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
                           "{\"id\":\"x\",\"type\":\"function\",\"function\":{\"name\":\"bash\",\"arguments\":\"{}\"}},"
                           "{\"id\":\"y\",\"type\":\"function\",\"function\":{\"name\":\"glob\",\"arguments\":\"\"}}]},"
                           "\"finish_reason\":\"tool_calls\"}]}";
        _cleanup_(json_object_putp) json_object *m = NULL;
        json_object *calls, *fn;
        const char *args;
        ChatResponse r = {};

        assert_int_equal(chat_response_parse_body(&r, body, strlen(body)), 0);
        assert_null(r.content);
        assert_int_equal(r.n_calls, 2);
        assert_false(r.usage.reported);
        assert_int_equal(chat_response_to_message(&r, true, &m), 0);
        assert_true(json_object_object_get_ex(m, "tool_calls", &calls));
        fn = json_object_object_get(json_object_array_get_idx(calls, 1), "function");
        args = json_object_get_string(json_object_object_get(fn, "arguments"));
        assert_string_equal(args, "{}");        /* empty arguments are sent back as an object */
        chat_response_done(&r);
        assert_int_equal(chat_response_parse_body(&r, "{\"choices\":[]}", 14), -EBADMSG);
        chat_response_done(&r);
}

/* The three shapes of an error inside a 200 stream, and the llama.cpp "error:" field. */
static void test_stream_errors(void **state) {
        static const struct {
                const char *data, *message;
        } cases[] = {
                /* vLLM >= 0.11, SGLang, llama.cpp since late 2025 */
                { "{\"error\":{\"message\":\"boom\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}", "boom" },
                /* vLLM <= 0.10 */
                { "{\"object\":\"error\",\"message\":\"flat boom\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}",
                  "flat boom" },
                /* TGI */
                { "{\"error\":\"Request failed during generation\",\"error_type\":\"generation\"}",
                  "Request failed during generation" },
        };
        const char *in = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\n\n"
                         "error: {\"code\":400,\"message\":\"the request exceeds the available context size\","
                         "\"type\":\"invalid_request_error\"}\n\ndata: [DONE]\n\n";
        _cleanup_strv_free_ char **l = NULL;
        SseParser p;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ChatResponse r = {};

                assert_int_equal(chat_response_feed_event(&r, cases[i].data, strlen(cases[i].data), NULL, NULL), -EBADE);
                assert_string_equal(r.error, cases[i].message);
                chat_response_done(&r);
                assert_int_equal(chat_response_parse_body(&r, cases[i].data, strlen(cases[i].data)), -EBADE);
                assert_string_equal(r.error, cases[i].message);
                chat_response_done(&r);
        }

        sse_parser_init(&p, collect_event, &l);
        assert_int_equal(sse_parser_feed(&p, in, strlen(in)), 0);
        sse_parser_done(&p);
        assert_int_equal(strv_length(l), 3);
        assert_string_equal(l[1], "error|{\"code\":400,\"message\":\"the request exceeds the available context size\","
                                  "\"type\":\"invalid_request_error\"}");

        ChatResponse r = {};
        assert_int_equal(chat_response_feed_error(&r, l[1] + 6, strlen(l[1] + 6)), -EBADE);
        assert_string_equal(r.error, "the request exceeds the available context size");
        chat_response_done(&r);
        assert_int_equal(chat_response_feed_error(&r, "plain words", 11), -EBADE);
        assert_string_equal(r.error, "plain words");
        chat_response_done(&r);
}

/* SGLang and proxies: two parallel calls, both "index": 0, told apart by id. */
static void test_delta_same_index(void **state) {
        _cleanup_(json_object_putp) json_object *m = NULL;
        ChatResponse r = {};

        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\","
                 "\"function\":{\"name\":\"glob\",\"arguments\":\"\"}}]}}]}");
        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"pattern\\\": \\\"*\\\"}\"}}]}}]}");
        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_b\",\"type\":\"function\","
                 "\"function\":{\"name\":\"grep\",\"arguments\":\"{\\\"pattern\\\"\"}}]}}]}");
        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_b\",\"function\":{\"arguments\":\": \\\"x\\\"}\"}}]}}]}");
        /* the finish chunk carries the last fragment of the first call, by its id */
        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"function\":{\"arguments\":\"\"}}]},"
                 "\"finish_reason\":\"tool_calls\"}]}");
        assert_int_equal(r.n_calls, 2);
        assert_string_equal(r.calls[0].id, "call_a");
        assert_string_equal(r.calls[0].name, "glob");
        assert_string_equal(r.calls[0].arguments, "{\"pattern\": \"*\"}");
        assert_string_equal(r.calls[1].id, "call_b");
        assert_string_equal(r.calls[1].name, "grep");
        assert_string_equal(r.calls[1].arguments, "{\"pattern\": \"x\"}");
        assert_true(tool_call_arguments_valid(r.calls + 0) && tool_call_arguments_valid(r.calls + 1));
        assert_int_equal(chat_response_to_message(&r, true, &m), 0);
        chat_response_done(&r);
}

/* TGI repeats the id in every delta; some servers send numeric ids; Ollama sends whole calls
 * in one chunk with an index, others without. */
static void test_delta_id_forms(void **state) {
        ChatResponse r = {};

        feed(&r, "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"0\",\"type\":\"function\","
                 "\"function\":{\"name\":\"bash\",\"arguments\":\"{\\\"command\\\"\"}}]}}]}");
        feed(&r, "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"0\",\"type\":\"function\","
                 "\"function\":{\"name\":\"bash\",\"arguments\":\": \\\"ls\\\"}\"}}]}}]}");
        assert_int_equal(r.n_calls, 1);
        assert_string_equal(r.calls[0].name, "bash");
        assert_string_equal(r.calls[0].arguments, "{\"command\": \"ls\"}");
        chat_response_done(&r);

        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":17,\"function\":{\"name\":\"glob\",\"arguments\":\"{}\"}},"
                 "{\"id\":18,\"function\":{\"name\":\"grep\",\"arguments\":{\"pattern\":\"a\"}}}]}}]}");
        assert_int_equal(r.n_calls, 2);
        assert_string_equal(r.calls[0].id, "17");
        assert_string_equal(r.calls[1].id, "18");
        assert_string_equal(r.calls[1].arguments, "{\"pattern\":\"a\"}");
        chat_response_done(&r);
}

static int n_reasoning, n_text;

static void count_text(const char *text, size_t n, bool reasoning, void *userdata) {
        if (reasoning)
                n_reasoning += (int) n;
        else
                n_text += (int) n;
}

/* Reasoning is shown but never kept as content; an answer with nothing in it is empty. */
static void test_reasoning_and_empty(void **state) {
        const char *a = "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"reasoning_content\":\"hmm\"}}]}";
        const char *b = "{\"choices\":[{\"delta\":{\"reasoning\":\"ok\"}}]}";
        const char *c = "{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}";
        const char *body = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"  \\n\",\"reasoning\":\"x\"},"
                           "\"finish_reason\":\"length\"}]}";
        ChatResponse r = {};

        assert_int_equal(chat_response_feed_event(&r, a, strlen(a), count_text, NULL), 0);
        assert_int_equal(chat_response_feed_event(&r, b, strlen(b), count_text, NULL), 0);
        assert_int_equal(chat_response_feed_event(&r, c, strlen(c), count_text, NULL), 0);
        assert_int_equal(n_reasoning, 5);
        assert_int_equal(n_text, 0);
        assert_null(r.content);
        assert_int_equal(r.n_reasoning, 5);
        assert_true(chat_response_is_complete(&r));
        assert_true(chat_response_is_empty(&r));
        chat_response_done(&r);

        assert_int_equal(chat_response_parse_body(&r, body, strlen(body)), 0);
        assert_true(chat_response_is_empty(&r));
        assert_int_equal(r.n_reasoning, 1);
        chat_response_done(&r);
}

/* A call cut off at the token limit is never sent back with arguments that are not an object. */
static void test_cut_off_call(void **state) {
        _cleanup_(json_object_putp) json_object *m = NULL;
        json_object *calls, *fn;
        ChatResponse r = {};

        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"name\":\"write_file\","
                 "\"arguments\":\"{\\\"path\\\": \\\"a\\\", \\\"content\\\": \\\"abc\"}}]},\"finish_reason\":\"length\"}]}");
        assert_int_equal(r.n_calls, 1);
        assert_false(tool_call_arguments_valid(r.calls));
        assert_int_equal(chat_response_to_message(&r, true, &m), 0);
        assert_true(json_object_object_get_ex(m, "tool_calls", &calls));
        fn = json_object_object_get(json_object_array_get_idx(calls, 0), "function");
        assert_string_equal(json_object_get_string(json_object_object_get(fn, "arguments")), "{}");
        chat_response_done(&r);

        feed(&r, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"x\",\"arguments\":\"[1]\"}}]}}]}");
        assert_false(tool_call_arguments_valid(r.calls));
        chat_response_done(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sse_basic),
                cmocka_unit_test(test_sse_split_anywhere),
                cmocka_unit_test(test_sse_callback_error),
                cmocka_unit_test(test_delta_assembly),
                cmocka_unit_test(test_delta_no_index),
                cmocka_unit_test(test_delta_bad),
                cmocka_unit_test(test_whole_body),
                cmocka_unit_test(test_stream_errors),
                cmocka_unit_test(test_delta_same_index),
                cmocka_unit_test(test_delta_id_forms),
                cmocka_unit_test(test_reasoning_and_empty),
                cmocka_unit_test(test_cut_off_call),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
