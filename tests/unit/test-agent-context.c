/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Context-window management: old tool outputs shrink first, then old turns go, and the system
 * prompt, the task and the turn in progress stay. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "context.h"
#include "json-util.h"

static void add(json_object *a, const char *role, const char *content, bool with_call) {
        json_object *m = json_object_new_object();

        assert_int_equal(json_add_string(m, "role", role), 0);
        assert_int_equal(json_add_string(m, "content", content), 0);
        if (with_call) {
                json_object *calls = json_object_new_array(), *c = json_object_new_object();

                assert_int_equal(json_add_string(c, "id", "c"), 0);
                json_object_array_add(calls, c);
                assert_int_equal(json_add_take(m, "tool_calls", calls), 0);
        }
        if (streq(role, "tool"))
                assert_int_equal(json_add_string(m, "tool_call_id", "c"), 0);
        json_object_array_add(a, m);
}

static const char *role_at(json_object *a, size_t i) {
        return json_object_get_string(json_object_object_get(json_object_array_get_idx(a, i), "role"));
}

static const char *content_at(json_object *a, size_t i) {
        return json_object_get_string(json_object_object_get(json_object_array_get_idx(a, i), "content"));
}

/* system, task, then turns of assistant call + big tool output. */
static json_object *conversation(unsigned turns, size_t output_size) {
        json_object *a = json_object_new_array();
        _cleanup_free_ char *big = malloc(output_size + 1);

        memset(big, 'x', output_size);
        big[output_size] = 0;
        add(a, "system", "You are a test.", false);
        add(a, "user", "Do the task.", false);
        for (unsigned i = 0; i < turns; i++) {
                add(a, "assistant", "calling", true);
                add(a, "tool", big, false);
        }
        return a;
}

static void test_estimate(void **state) {
        _cleanup_(json_object_putp) json_object *a = conversation(1, 4000);

        /* 4000 characters are about 1000 tokens. */
        assert_in_range(context_estimate_tokens(a), 1000, 1100);
}

static void test_fits_untouched(void **state) {
        _cleanup_(json_object_putp) json_object *a = conversation(3, 100);
        ContextFitStats s;

        assert_int_equal(context_fit(a, 100000, 2, &s), 1);
        assert_int_equal(s.n_shrunk, 0);
        assert_int_equal(s.n_dropped, 0);
        assert_int_equal(json_object_array_length(a), 8);
}

static void test_shrinks_old_outputs_first(void **state) {
        _cleanup_(json_object_putp) json_object *a = conversation(4, 8000);
        ContextFitStats s;

        /* ~8000 tokens; 6000 are reached by shrinking the two oldest outputs. */
        assert_int_equal(context_fit(a, 6000, 2, &s), 1);
        assert_int_equal(s.n_dropped, 0);
        assert_int_equal(s.n_shrunk, 2);
        assert_non_null(strstr(content_at(a, 3), "elided to fit the context window"));
        assert_non_null(strstr(content_at(a, 5), "elided"));
        assert_null(strstr(content_at(a, 7), "elided"));
        assert_int_equal(strlen(content_at(a, 9)), 8000);     /* the latest output is whole */
}

static void test_drops_oldest_turns(void **state) {
        _cleanup_(json_object_putp) json_object *a = conversation(40, 2000);
        ContextFitStats s;

        assert_int_equal(context_fit(a, 3000, 2, &s), 1);
        assert_true(s.n_dropped > 0);
        assert_true(s.tokens_after <= 3000);
        /* The system prompt and the task stay; what follows them is never an orphaned tool result. */
        assert_string_equal(role_at(a, 0), "system");
        assert_string_equal(content_at(a, 1), "Do the task.");
        assert_string_equal(role_at(a, 2), "assistant");
        assert_string_equal(role_at(a, json_object_array_length(a) - 1), "tool");
        assert_int_equal(json_object_array_length(a) % 2, 0);
}

static void test_last_resort(void **state) {
        _cleanup_(json_object_putp) json_object *a = conversation(1, 100000);

        /* Only the turn in progress is left to shrink; it is. */
        assert_int_equal(context_fit(a, 2000, 2, NULL), 1);
        assert_int_equal(json_object_array_length(a), 4);
        assert_true(strlen(content_at(a, 3)) < 1000);
        /* A budget below the kept messages cannot be met. */
        assert_int_equal(context_fit(a, 5, 2, NULL), 0);
}

static void test_text_tool_responses(void **state) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        _cleanup_free_ char *big = NULL;

        assert_int_not_equal(asprintf(&big, "<tool_response name=\"bash\">\n%0*d\n</tool_response>", 9000, 0), -1);
        add(a, "system", "s", false);
        add(a, "user", "task", false);
        add(a, "assistant", "<tool_call>...</tool_call>", false);
        add(a, "user", big, false);
        add(a, "assistant", "<tool_call>...</tool_call>", false);
        add(a, "user", "<tool_response name=\"bash\">ok</tool_response>", false);
        assert_true(context_is_tool_output(json_object_array_get_idx(a, 3)));
        assert_false(context_is_tool_output(json_object_array_get_idx(a, 1)));
        assert_int_equal(context_fit(a, 500, 2, NULL), 1);
        assert_non_null(strstr(content_at(a, 3), "elided"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_estimate),
                cmocka_unit_test(test_fits_untouched),
                cmocka_unit_test(test_shrinks_old_outputs_first),
                cmocka_unit_test(test_drops_oldest_turns),
                cmocka_unit_test(test_last_resort),
                cmocka_unit_test(test_text_tool_responses),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
