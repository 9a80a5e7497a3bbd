# SPDX-License-Identifier: LGPL-2.1-or-later
"""Text Generation Inference (huggingface/text-generation-inference,
commit db931fcf42da018a3657580c64bf2720f167f9ab).

Shapes:
- axum's Sse with KeepAlive::default(): events are "data: <json>\\n\\n", and a comment line ":"
  keeps an idle stream open (router/src/server.rs, chat_completions());
- every delta repeats "role": "assistant"; a tool call is one call, "index": 0, its "id" in every
  delta and the name in the first, and the finish reason rides on the chunk of the last token,
  with its last fragment of text or arguments (router/src/chat.rs,
  create_event_from_stream_token());
- a whole answer's tool call has "id": "0" and its arguments as a JSON object, not a string
  (chat.rs, parse_output(); lib.rs, FunctionDefinition.arguments: serde_json::Value);
- HTTP errors are {"error":"...","error_type":"..."} (server.rs, ErrorResponse);
- an error after the 200 is "data: {"error":{"message":...,"http_status_code":422}}" and then
  [DONE] (router/src/infer/mod.rs, InferError::into_openai_event());
- "max_completion_tokens" is an alias of "max_tokens" (lib.rs, ChatRequest); any model name is
  accepted ("tgi" means the loaded one).
"""

import json

from . import Family, estimate_tokens, pieces, register, arguments_text  # noqa: F401


@register
class Tgi(Family):
    name = "tgi"
    served = ["tgi"]
    first_delta = {"role": "assistant", "content": ""}

    def error_body(self, status, message):
        kind = {400: "validation", 422: "validation", 424: "generation", 429: "overloaded"}.get(status, "generation")
        return json.dumps({"error": message, "error_type": kind})

    def context_error(self, body):
        return 422, self.error_body(422, "Input validation error: `inputs` tokens + `max_new_tokens` must be <= "
                                         "4096. Given: %d `inputs` tokens and 1024 `max_new_tokens`" %
                                    (estimate_tokens(body) + 4096))

    def whole_message(self, entry, n):
        calls = self.calls(entry)
        if not calls:
            return super().whole_message(entry, n)
        c = calls[0]
        a = c.get("arguments", {})
        return {"role": "assistant", "tool_calls": [{"id": "0", "type": "function",
                                                      "function": {"description": None, "name": c["name"],
                                                                   "arguments": a}}]}

    def stream_chunks(self, entry, body, n):
        size = entry.get("chunk_size")
        out = [self.chunk(body, n, dict(self.first_delta))]
        for p in pieces(entry.get("content", ""), size):
            if p:
                out.append(self.chunk(body, n, {"role": "assistant", "content": p}))
        calls = self.calls(entry)
        if calls:
            c = calls[0]
            for i, p in enumerate(pieces(arguments_text(c), size)):
                fn = {"name": c["name"] if i == 0 else None, "arguments": p}
                out.append(self.chunk(body, n, {"role": "assistant", "tool_calls": [
                    {"index": 0, "id": "chatcmpl-tool-%d" % n, "type": "function", "function": fn}]}))
        # The finish reason comes with the last token, not on a chunk of its own.
        last = out[-1]["choices"][0]
        last["finish_reason"] = self.finish_reason(entry)
        return out

    def ping(self):
        return ":\n\n"

    def stream_error(self, message):
        return self.event(json.dumps({"error": {"message": message, "http_status_code": 422}})) + self.event("[DONE]")
