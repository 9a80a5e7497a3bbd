# SPDX-License-Identifier: LGPL-2.1-or-later
"""llama-cpp-python's server, which streams through sse-starlette's EventSourceResponse
(sysid/sse-starlette, commit d45e48299bcaba9a7d17c5baa0ff4108cd534039).

Shapes:
- lines end in CRLF: EventSourceResponse.DEFAULT_SEPARATOR = "\\r\\n" (sse_starlette/sse.py);
- a keep-alive comment ": ping - <UTC time>" every 15 seconds (sse.py, _ping(), and
  ServerSentEvent(comment=...).encode() in sse_starlette/event.py);
- llama-cpp-python's chunks: the first delta is {"role":"assistant"} without content, the last
  an empty delta with the finish reason, no usage in a stream, then "data: [DONE]";
- FastAPI validation errors are {"detail": [...]} with HTTP 422.
"""

import json

from . import Family, register  # noqa: F401


@register
class LlamaCppPython(Family):
    name = "llama-cpp-python"
    sep = "\r\n"
    served = ["/models/qwen2.5-coder-7b-instruct-q4_k_m.gguf"]
    first_delta = {"role": "assistant"}

    def wants_usage(self, body):
        return False

    def ping(self):
        return ": ping - 2026-01-01 00:00:00.000000+00:00\r\n\r\n"

    def error_body(self, status, message):
        if status == 422:
            return json.dumps({"detail": [{"type": "missing", "loc": ["body", "messages"], "msg": message}]})
        return json.dumps({"error": {"message": message, "type": "internal_server_error", "param": None,
                                     "code": None}})
