/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary model text to the parser for tool calls written as text. Checks for crashes
 * and leaks, that every call found has a valid name and arguments that are a JSON object, and
 * that the text left over is never longer than the input. */

#include <stdint.h>

#include "json-util.h"
#include "toolcall-text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL, *rest = NULL;
        ToolCall *calls = NULL;
        size_t n = 0;
        int r;

        if (size > 64 * 1024)
                return 0;
        text = strndup((const char *) data, size);
        if (!text)
                return 0;
        r = toolcall_text_parse(text, &calls, &n, &rest);
        if (r < 0)
                return 0;
        if ((size_t) r != n || strlen(rest) > strlen(text))
                abort();
        for (size_t i = 0; i < n; i++) {
                _cleanup_(json_object_putp) json_object *o = NULL;

                if (isempty(calls[i].name) || json_parse(calls[i].arguments, strlen(calls[i].arguments), &o) < 0 ||
                    !json_object_is_type(o, json_type_object))
                        /* A JSON-form call may carry its arguments as a string of anything. */
                        if (!strstr(text, "\"arguments\""))
                                abort();
        }
        tool_calls_free(calls, n);
        return 0;
}
