# SPDX-License-Identifier: LGPL-2.1-or-later
"""vLLM's OpenAI-compatible server (vllm-project/vllm, vllm/entrypoints/openai/).

Shapes, from serving_chat.py, serving_engine.py and protocol.py:
- the first chunk is {"role":"assistant","content":""}; a tool call starts with a delta holding
  "id", "type" and the name and no "arguments" key, then "index" plus argument fragments
  (serving_chat.py, chat_completion_stream_generator(); the tool parsers under
  entrypoints/openai/tool_parsers/ emit DeltaToolCall(index=..., id=..., function=...));
- with stream_options.include_usage the last chunk before [DONE] has "choices": [] and "usage";
- stream_options without "stream": true is refused with HTTP 400 (protocol.py,
  ChatCompletionRequest.validate_stream_options: "Stream options can only be defined when
  `stream=True`.");
- a model it does not serve is HTTP 404 "The model `X` does not exist." (serving_engine.py,
  _check_model());
- a prompt longer than max_model_len is HTTP 400 "This model's maximum context length is N tokens.
  However, you requested M tokens ..." (serving_engine.py, _validate_input());
- the arguments of earlier tool calls are parsed again for the chat template; text that is not
  a JSON object fails the request with HTTP 400;
- an error after the 200: "data: <create_streaming_error_response()>\\n\\n" then "data: [DONE]".
  Up to 0.10 ErrorResponse was flat, {"object":"error","message":...,"type":...,"param":null,
  "code":N}, and so were its HTTP error bodies ("vllm-0.10"); later releases nest it,
  {"error":{"message":...,"type":...,"param":null,"code":N}} (ErrorResponse(error=ErrorInfo(...))).
- reasoning parsers stream "reasoning_content" (0.10) and "reasoning" (later).
"""

import json

from . import Family, Refusal, register  # noqa: F401


@register
class Vllm(Family):
    name = "vllm"
    served = ["Qwen/Qwen2.5-Coder-32B-Instruct"]
    reasoning_field = "reasoning"

    def validate(self, body):
        if body.get("stream_options") is not None and not body.get("stream"):
            raise Refusal(400, self.error_body(400, "Stream options can only be defined when `stream=True`."))
        self.check_model(body)
        self.check_history(body, "Expecting value: line 1 column 1 (char 0)")

    def error_body(self, status, message):
        kind = {400: "BadRequestError", 404: "NotFoundError"}.get(status, "InternalServerError")
        return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": status}})

    def call_deltas(self, entry, n):
        out = []
        for i, c in enumerate(self.calls(entry)):
            index = 0 if entry.get("same_index") else i
            out.append([{"index": index, "id": "chatcmpl-tool-%d%d" % (n, i), "type": "function",
                         "function": {"name": c["name"]}}])
            for d in super().call_deltas(dict(entry, tool_calls=[c], cut_off=False), n):
                d[0]["index"] = index
                d[0].pop("id", None)
                d[0].pop("type", None)
                d[0]["function"].pop("name", None)
                out.append(d)
        return out

    def stream_error(self, message):
        return self.event(self.error_body(400, message)) + self.event("[DONE]")


@register
class Vllm010(Vllm):
    name = "vllm-0.10"
    reasoning_field = "reasoning_content"

    def error_body(self, status, message):
        kind = {400: "BadRequestError", 404: "NotFoundError"}.get(status, "InternalServerError")
        return json.dumps({"object": "error", "message": message, "type": kind, "param": None, "code": status})
