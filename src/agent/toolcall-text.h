/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small local models often print their tool calls as tagged text when the server does not turn
 * them into structured tool_calls. Two forms are understood:
 *
 *     <tool_call>{"name": "bash", "arguments": {"command": "ls"}}</tool_call>
 *     <function=bash><parameter=command>ls</parameter></function>
 *
 * The second may also be wrapped in <tool_call>...</tool_call>. A closing tag missing at the
 * very end of the text (the model stopped at its end-of-turn token) is tolerated. */

#include <stddef.h>

#include "chat-response.h"

/* Finds the tool calls in text. Returns the number found (0 if none) and, when that is
 * positive, a new array in *ret_calls and its length in *ret_n, with arguments as JSON object
 * text and ids "call_text_N". If ret_rest is not NULL it receives the text with the calls cut
 * out (also when none were found). Returns -ENOMEM on allocation failure. */
int toolcall_text_parse(const char *text, ToolCall **ret_calls, size_t *ret_n, char **ret_rest);
