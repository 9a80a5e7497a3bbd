# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-ins for the wire formats of real model servers, for fake-llm --family NAME.

Family is the OpenAI shape (what fake-llm always sent); each module overrides what its server
really does differently, and says where in that server's source each shape comes from. A family
answers three questions: how a request is refused (validate), how a whole answer looks
(whole_body), and which bytes a stream is (stream_bytes). Python 3 standard library only.

Script entry keys a family understands, beyond fake-llm's own:
  reasoning        thinking text, sent before the answer in the family's reasoning field
  error_in_stream  after the first chunk, report this error the way the family does in a 200 stream
  cut_off          the last tool call is cut in half and the answer ends with finish_reason "length"
  same_index       parallel tool calls all get "index": 0 (SGLang, several proxies)
  context_error    answer the family's "prompt longer than the context" error
  ping             send keep-alive comments between events, as the family does
"""

import json
import time


def arguments_text(call):
    a = call.get("arguments", {})
    return a if isinstance(a, str) else json.dumps(a)


def pieces(s, size):
    if not size or size <= 0:
        return [s]
    return [s[i:i + size] for i in range(0, len(s), size)] or [""]


def estimate_tokens(body):
    return max(1, len(json.dumps(body.get("messages", []))) // 4)


# fake-llm --fixed sets this: every answer then has the same "created", so two answers to the
# same request can be compared byte for byte.
FIXED_CREATED = None


def created():
    return FIXED_CREATED if FIXED_CREATED is not None else int(time.time())


class Refusal(Exception):
    def __init__(self, status, text):
        super().__init__(text)
        self.status = status
        self.text = text


class Family:
    name = "openai"
    sep = "\n"                      # what ends an SSE line
    served = ["fake"]               # what /v1/models lists
    reasoning_field = "reasoning_content"
    first_delta = {"role": "assistant", "content": ""}
    error_ctype = "application/json"

    # -- requests -------------------------------------------------------------------------

    def validate(self, body):
        """Raises Refusal for a request this server would refuse."""

    def check_model(self, body, status=404):
        m = body.get("model")
        if m not in self.served:
            raise Refusal(status, self.error_body(status, self.model_not_found(m)))

    def model_not_found(self, model):
        return "The model `%s` does not exist." % model

    def check_history(self, body, message="invalid tool call arguments"):
        """vLLM, SGLang and Ollama parse the arguments of earlier calls and refuse the request."""
        for m in body.get("messages", []):
            for c in m.get("tool_calls") or []:
                try:
                    ok = isinstance(json.loads(c["function"]["arguments"]), dict)
                except (ValueError, KeyError, TypeError):
                    ok = False
                if not ok:
                    raise Refusal(400, self.error_body(400, message))

    def error_body(self, status, message):
        return json.dumps({"error": {"message": message, "type": "server_error", "param": None, "code": status}})

    def context_error(self, body):
        return 400, self.error_body(400, "This model's maximum context length is 4096 tokens. However, you "
                                         "requested %d tokens in the messages." % (estimate_tokens(body) + 4096))

    def models_body(self):
        return json.dumps({"object": "list", "data": [{"id": m, "object": "model", "owned_by": self.name}
                                                       for m in self.served]})

    # -- answers --------------------------------------------------------------------------

    def finish_reason(self, entry):
        if entry.get("cut_off"):
            return "length"
        return entry.get("finish_reason", "tool_calls" if entry.get("tool_calls") else "stop")

    def calls(self, entry):
        calls = [dict(c) for c in entry.get("tool_calls", [])]
        if entry.get("cut_off") and calls:
            a = arguments_text(calls[-1])
            calls[-1]["arguments"] = a[:max(1, len(a) // 2)]
        return calls

    def call_id(self, n, i, call):
        return call.get("id", "call_%d_%d" % (n, i))

    def usage(self, entry, body):
        u = entry.get("usage")
        if u is None:
            completion = max(1, (len(entry.get("content", "")) +
                                 sum(len(arguments_text(c)) for c in entry.get("tool_calls", []))) // 4)
            u = {"prompt_tokens": estimate_tokens(body), "completion_tokens": completion}
        u = dict(u)
        u.setdefault("total_tokens", u["prompt_tokens"] + u["completion_tokens"])
        return u

    def whole_message(self, entry, n):
        msg = {"role": "assistant", "content": entry.get("content")}
        if entry.get("reasoning"):
            msg[self.reasoning_field] = entry["reasoning"]
        calls = self.calls(entry)
        if calls:
            msg["tool_calls"] = [{"id": self.call_id(n, i, c), "type": "function",
                                  "function": {"name": c["name"], "arguments": arguments_text(c)}}
                                 for i, c in enumerate(calls)]
        return msg

    def whole_body(self, entry, body, n):
        out = {"id": "chatcmpl-%d" % n, "object": "chat.completion", "created": created(),
               "model": body.get("model", "fake"),
               "choices": [{"index": 0, "message": self.whole_message(entry, n),
                            "finish_reason": self.finish_reason(entry)}]}
        if not entry.get("no_usage"):
            out["usage"] = self.usage(entry, body)
        return json.dumps(out)

    def chunk(self, body, n, delta, finish=None):
        return {"id": "chatcmpl-%d" % n, "object": "chat.completion.chunk", "created": created(),
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def call_deltas(self, entry, n):
        """The tool_calls deltas of the answer, one list per chunk."""
        size = entry.get("chunk_size")
        out = []
        for i, c in enumerate(self.calls(entry)):
            first = True
            for p in pieces(arguments_text(c), size):
                d = {"function": {"arguments": p}}
                if not entry.get("no_index"):
                    d["index"] = 0 if entry.get("same_index") else i
                if first:
                    d.update({"id": self.call_id(n, i, c), "type": "function"})
                    d["function"]["name"] = c["name"]
                    first = False
                out.append([d])
        return out

    def stream_chunks(self, entry, body, n):
        """The JSON chunks of a streamed answer, without the final usage chunk."""
        size = entry.get("chunk_size")
        out = [self.chunk(body, n, dict(self.first_delta))]
        for p in pieces(entry.get("reasoning", ""), size):
            if p:
                out.append(self.chunk(body, n, {self.reasoning_field: p}))
        for p in pieces(entry.get("content", ""), size):
            if p:
                out.append(self.chunk(body, n, {"content": p}))
        for d in self.call_deltas(entry, n):
            out.append(self.chunk(body, n, {"tool_calls": d}))
        out.append(self.chunk(body, n, {}, self.finish_reason(entry)))
        return out

    def wants_usage(self, body):
        return (body.get("stream_options") or {}).get("include_usage")

    def usage_chunk(self, entry, body, n):
        u = self.chunk(body, n, {})
        u["choices"] = []
        u["usage"] = self.usage(entry, body)
        return u

    def event(self, data):
        return "data: %s%s%s" % (data, self.sep, self.sep)

    def ping(self):
        return ": ping%s%s" % (self.sep, self.sep)

    def stream_error(self, message):
        """The bytes with which this server reports an error after its 200."""
        return self.event(json.dumps({"error": {"message": message, "type": "BadRequestError", "param": None,
                                                "code": 400}})) + self.event("[DONE]")

    def stream_events(self, entry, body, n):
        """The SSE events of a stream, each a complete framed string."""
        chunks = self.stream_chunks(entry, body, n)
        if not entry.get("no_usage") and self.wants_usage(body):
            chunks.append(self.usage_chunk(entry, body, n))
        events = [self.event(json.dumps(c)) for c in chunks] + [self.event("[DONE]")]
        if entry.get("error_in_stream"):
            events = events[:1] + [self.stream_error(entry["error_in_stream"])]
        if entry.get("ping"):
            events = [e for ev in events for e in (self.ping(), ev)]
        return events

    def stream_context_error(self, body):
        """None: this server refuses a too long prompt before its 200."""
        return None


FAMILIES = {}


def register(cls):
    FAMILIES[cls.name] = cls
    return cls


register(Family)


def get(name):
    # The modules register themselves on import.
    from . import llamacpp, vllm, ollama, tgi, sglang, llama_cpp_python  # noqa: F401
    return FAMILIES[name]()
