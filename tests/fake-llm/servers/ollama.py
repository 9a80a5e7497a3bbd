# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ollama's OpenAI compatibility layer (ollama/ollama, commit fb30760996871fa9460115c753afd2c60d4ab0f7).

Shapes:
- chunks carry "system_fingerprint": "fp_ollama"; the first has the role and "content": ""
  (openai/openai.go, toChunk(): "empty-string content ... is explicitly serialized");
- thinking is "reasoning" (openai.go, Delta.Reasoning), sent in a chunk of its own before the
  answer (ToStreamChunks());
- tool calls arrive whole, one chunk, with "id", "index" and the complete arguments string
  (openai.go, ToToolCalls());
- the finish reason comes in its own chunk with an empty delta, then, if include_usage, the same
  chunk again with "choices": [] and "usage" (middleware/openai.go, ChatWriter.writeResponse());
- bodies are written with json.Encoder, so every body, errors included, ends in a newline;
  errors are {"error":{"message":...,"type":...,"param":null,"code":null}} (openai.go, NewError());
- a model that is not pulled is HTTP 404 'model "X" not found, try pulling it first'
  (server/routes.go);
- earlier tool calls whose arguments are not JSON fail with HTTP 400 "invalid tool call
  arguments" (openai.go, FromCompletionToolCall());
- an error after the 200 has no OpenAI form: the middleware turns the {"error": ...} line of
  the native API into an empty chunk and the stream ends without finish reason or [DONE].
"""

import json

from . import Family, Refusal, register  # noqa: F401


@register
class Ollama(Family):
    name = "ollama"
    served = ["qwen2.5-coder:7b"]
    reasoning_field = "reasoning"

    def validate(self, body):
        self.check_model(body)
        self.check_history(body)

    def model_not_found(self, model):
        return 'model "%s" not found, try pulling it first' % model

    def error_body(self, status, message):
        kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
        return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": None}}) + "\n"

    def whole_body(self, entry, body, n):
        return super().whole_body(entry, body, n) + "\n"

    def chunk(self, body, n, delta, finish=None):
        c = super().chunk(body, n, delta, finish)
        c["system_fingerprint"] = "fp_ollama"
        return c

    def call_deltas(self, entry, n):
        return [[{"id": "call_%06d" % (n * 10 + i), "index": i, "type": "function",
                  "function": {"name": c["name"], "arguments": json.dumps(c["arguments"]) if
                               not isinstance(c.get("arguments", {}), str) else c["arguments"]}}
                 for i, c in enumerate(self.calls(entry))]] if entry.get("tool_calls") else []

    def stream_error(self, message):
        return self.event(json.dumps(self.chunk({}, 0, {})))
