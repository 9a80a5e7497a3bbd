/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parser for tool calls that models print as text. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "toolcall-text.h"

static void test_json_form(void **state) {
        _cleanup_free_ char *rest = NULL;
        ToolCall *c = NULL;
        size_t n = 0;

        assert_int_equal(toolcall_text_parse("I will look.\n<tool_call>\n{\"name\": \"bash\", \"arguments\": "
                                             "{\"command\": \"ls -l\"}}\n</tool_call>\n<tool_call>{\"name\":\"glob\","
                                             "\"arguments\":\"{\\\"pattern\\\":\\\"*.c\\\"}\"}</tool_call>",
                                             &c, &n, &rest), 2);
        assert_int_equal(n, 2);
        assert_string_equal(c[0].name, "bash");
        assert_string_equal(c[0].arguments, "{\"command\":\"ls -l\"}");
        assert_string_equal(c[0].id, "call_text_0");
        assert_string_equal(c[1].name, "glob");
        assert_string_equal(c[1].arguments, "{\"pattern\":\"*.c\"}");
        assert_string_equal(rest, "I will look.\n\n");
        tool_calls_free(c, n);
}

static void test_function_form(void **state) {
        ToolCall *c = NULL;
        size_t n = 0;

        assert_int_equal(toolcall_text_parse("<tool_call>\n<function=write_file>\n<parameter=path>\na.txt\n</parameter>\n"
                                             "<parameter=content>\nline 1\nline 2\n\n</parameter>\n</function>\n</tool_call>"
                                             "<function=bash><parameter=command>make</parameter></function>",
                                             &c, &n, NULL), 2);
        assert_string_equal(c[0].name, "write_file");
        assert_string_equal(c[0].arguments, "{\"path\":\"a.txt\",\"content\":\"line 1\\nline 2\\n\"}");
        assert_string_equal(c[1].name, "bash");
        assert_string_equal(c[1].arguments, "{\"command\":\"make\"}");
        tool_calls_free(c, n);
}

static void test_unclosed_at_end(void **state) {
        ToolCall *c = NULL;
        size_t n = 0;

        assert_int_equal(toolcall_text_parse("<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"x\"}}",
                                             &c, &n, NULL), 1);
        assert_string_equal(c[0].name, "read_file");
        tool_calls_free(c, n);
}

static void test_not_calls(void **state) {
        _cleanup_free_ char *rest = NULL;
        const char *prose = "Models use <tool_call> tags and <function=...> too; {\"name\": 1}";
        ToolCall *c = NULL;
        size_t n = 7;

        assert_int_equal(toolcall_text_parse(prose, &c, &n, &rest), 0);
        assert_null(c);
        assert_int_equal(n, 0);
        assert_string_equal(rest, prose);
        assert_int_equal(toolcall_text_parse("<tool_call>{\"name\": \"bad name!\"}</tool_call>", &c, &n, NULL), 0);
        assert_int_equal(toolcall_text_parse("<tool_call>{\"name\": \"x\", \"arguments\": [1]}</tool_call>", &c, &n, NULL), 0);
        assert_int_equal(toolcall_text_parse("", &c, &n, NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_form),
                cmocka_unit_test(test_function_form),
                cmocka_unit_test(test_unclosed_at_end),
                cmocka_unit_test(test_not_calls),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
