# SPDX-License-Identifier: LGPL-2.1-or-later
"""llama.cpp's llama-server (ggml-org/llama.cpp, tools/server/).

Shapes, from the source at commit aa6192d38defc9a5d9fb2987413f71b18f214270 unless noted:
- every event is "data: <json>\\n\\n" (server-common.cpp, format_oai_sse());
- the first chunk announces the role with "content": null, the thinking of reasoning models comes
  as "reasoning_content" (server-task.cpp, the chat-completion chunk builders; the null content
  was also observed against build b10603, coddy-project/coddy-agent pull request 106);
- the finish chunk has an empty delta and carries "usage" and "timings" itself, whatever
  stream_options says (server-task.cpp, to_json_oaicompat_chat_stream());
- errors are {"error":{"code":N,"message":...,"type":...}} (server-common.cpp,
  format_error_response()); 503 {"type":"unavailable_error","message":"Loading model"} while the
  model loads; a prompt longer than the context is HTTP 400 "exceed_context_size_error";
- the model name in a request is ignored, /v1/models lists the model file's alias.

Family "llamacpp-2025": builds of 2024 and 2025 (b5630, commit 4c763c8d, ggml-org/llama.cpp
issue 14566; the code lived until the late-2025 server split) reported an error after the 200
as a non-standard SSE field line, "error: {...}\\n\\n", followed by "data: [DONE]\\n\\n"; the
context-size check ran after the stream had begun, so a too long prompt came that way too.
"""

import json

from . import Family, Refusal, estimate_tokens, register  # noqa: F401


@register
class LlamaCpp(Family):
    name = "llamacpp"
    served = ["qwen2.5-coder-7b-instruct-q4_k_m.gguf"]
    first_delta = {"role": "assistant", "content": None}

    def error_body(self, status, message):
        kind = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
                501: "not_supported_error", 503: "unavailable_error"}.get(status, "server_error")
        return json.dumps({"error": {"code": status, "message": message, "type": kind}})

    def context_error(self, body):
        n = estimate_tokens(body) + 4096
        return 400, json.dumps({"error": {"code": 400, "message": "the request exceeds the available context size, "
                                          "try increasing it", "type": "exceed_context_size_error",
                                          "n_prompt_tokens": n, "n_ctx": 4096}})

    def stream_chunks(self, entry, body, n):
        out = super().stream_chunks(entry, body, n)
        if not entry.get("no_usage"):
            out[-1]["usage"] = self.usage(entry, body)
            out[-1]["timings"] = {"prompt_n": out[-1]["usage"]["prompt_tokens"], "predicted_n": 1}
        return out

    def wants_usage(self, body):
        return False            # it rides on the finish chunk instead

    def stream_error(self, message):
        return self.event(json.dumps({"error": {"code": 500, "message": message, "type": "server_error"}}))


@register
class LlamaCpp2025(LlamaCpp):
    name = "llamacpp-2025"

    def stream_error(self, message):
        e = json.dumps({"code": 500, "message": message, "type": "server_error"})
        return "error: %s\n\n" % e + self.event("[DONE]")

    def stream_context_error(self, body):
        e = json.dumps({"code": 400, "message": "the request exceeds the available context size. try increasing "
                        "the context size or enable context shift", "type": "invalid_request_error"})
        return "error: %s\n\n" % e + self.event("[DONE]")
