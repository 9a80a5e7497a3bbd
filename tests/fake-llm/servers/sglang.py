# SPDX-License-Identifier: LGPL-2.1-or-later
"""SGLang (sgl-project/sglang, python/sglang/srt/entrypoints/openai/).

Shapes, from serving_chat.py, serving_base.py and protocol.py:
- the first chunk is {"role":"assistant","content":""}, thinking is "reasoning_content";
- parallel tool calls from its function-call parsers may all carry "index": 0 (the parser's
  tool_index is per parsed segment, not per call) and are told apart only by their "id"; the
  first delta of each call holds the id and name, later ones only "index" and arguments;
- with include_usage a chunk with "choices": [] and "usage" comes last;
- HTTP errors are ErrorResponse, flat: {"object":"error","message":...,"type":...,"param":null,
  "code":N} (serving_base.py, create_error_response());
- an error after the 200 nests it: "data: {"error": <ErrorResponse>}" (serving_base.py,
  create_streaming_error_response()), then [DONE];
- earlier tool calls are parsed again when the chat template is applied; arguments that are not
  JSON fail the request with HTTP 400.
"""

import json

from . import Family, register  # noqa: F401


@register
class Sglang(Family):
    name = "sglang"
    served = ["Qwen/Qwen2.5-Coder-7B-Instruct"]

    def validate(self, body):
        self.check_history(body, "Failed to parse tool call arguments as JSON")

    def error_body(self, status, message):
        return json.dumps({"object": "error", "message": message, "type": "BadRequestError", "param": None,
                           "code": status})

    def call_deltas(self, entry, n):
        out = super().call_deltas(dict(entry, same_index=entry.get("same_index", True)), n)
        return out

    def call_id(self, n, i, call):
        return call.get("id", "call_%08x" % (n * 1000 + i + 0x5a5a))

    def stream_error(self, message):
        return self.event(json.dumps({"error": json.loads(self.error_body(400, message))})) + self.event("[DONE]")
