#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""fake-llm: an OpenAI-compatible chat-completions server that replays a script.

Each POST to .../chat/completions takes the next entry of the script's "responses" list and
answers with it, streamed (SSE) if the request asked for a stream, whole otherwise. Every
request is appended to the --record file as one JSON line, so tests can check what the agent
sent. Python 3 standard library only: it must run in a sandboxed unit from /usr/bin/python3.

A script is {"responses": [ENTRY, ...], "repeat_last": false}. An ENTRY may hold:
  content          assistant text
  tool_calls       [{"name": N, "arguments": OBJECT-or-STRING, "id": optional}]
  finish_reason    default "tool_calls" when there are calls, else "stop"
  usage            {"prompt_tokens": N, "completion_tokens": N}; default: estimated
  no_usage         true: send no usage at all
  stream           true/false overrides the request (false: a whole JSON body to a stream request)
  chunk_size       split text and tool-call arguments into pieces of this many characters
  split_bytes      write the SSE bytes in pieces of this many bytes, flushing each
  no_index         leave "index" out of tool-call deltas, as some servers do
  latency          seconds to wait before answering (the model "thinking")
  status           an HTTP error status to answer with (e.g. 500, 429) and "body"
  retry_after      Retry-After seconds for a status answer
  truncate         true: stop the stream halfway and close the connection
  invalid_json     true: send an event whose data is not JSON (whole responses: a broken body)
  hang             seconds to stay silent after the headers and the first chunk
"""

import argparse
import json
import os
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Script:
    def __init__(self, path, record):
        with open(path) as f:
            data = json.load(f)
        self.responses = data.get("responses", [])
        self.repeat_last = data.get("repeat_last", False)
        self.record = record
        self.lock = threading.Lock()
        self.next = 0

    def take(self, body, path):
        with self.lock:
            i = self.next
            self.next += 1
            if self.record:
                with open(self.record, "a") as f:
                    f.write(json.dumps({"n": i, "path": path, "time": time.time(), "body": body}) + "\n")
            if i < len(self.responses):
                return i, self.responses[i]
            if self.repeat_last and self.responses:
                return i, self.responses[-1]
            return i, {"status": 500, "body": '{"error":{"message":"fake-llm: script exhausted"}}'}


def estimate_tokens(body):
    return max(1, len(json.dumps(body.get("messages", []))) // 4)


def arguments_text(call):
    a = call.get("arguments", {})
    return a if isinstance(a, str) else json.dumps(a)


def pieces(s, size):
    if not size or size <= 0:
        return [s]
    return [s[i:i + size] for i in range(0, len(s), size)] or [""]


def usage_of(entry, body):
    u = entry.get("usage")
    if u is None:
        completion = max(1, (len(entry.get("content", "")) +
                             sum(len(arguments_text(c)) for c in entry.get("tool_calls", []))) // 4)
        u = {"prompt_tokens": estimate_tokens(body), "completion_tokens": completion}
    u = dict(u)
    u.setdefault("total_tokens", u["prompt_tokens"] + u["completion_tokens"])
    return u


def finish_reason(entry):
    return entry.get("finish_reason", "tool_calls" if entry.get("tool_calls") else "stop")


def whole_body(entry, body, n):
    msg = {"role": "assistant", "content": entry.get("content")}
    calls = entry.get("tool_calls", [])
    if calls:
        msg["tool_calls"] = [{"id": c.get("id", "call_%d_%d" % (n, i)), "type": "function",
                              "function": {"name": c["name"], "arguments": arguments_text(c)}}
                             for i, c in enumerate(calls)]
    out = {"id": "chatcmpl-%d" % n, "object": "chat.completion", "created": int(time.time()),
           "model": body.get("model", "fake"),
           "choices": [{"index": 0, "message": msg, "finish_reason": finish_reason(entry)}]}
    if not entry.get("no_usage"):
        out["usage"] = usage_of(entry, body)
    return json.dumps(out)


def stream_chunks(entry, body, n):
    """The data of each SSE event, in order."""
    size = entry.get("chunk_size")

    def chunk(delta, finish=None):
        return {"id": "chatcmpl-%d" % n, "object": "chat.completion.chunk", "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": ""})]
    for p in pieces(entry.get("content", ""), size):
        if p:
            out.append(chunk({"content": p}))
    for i, c in enumerate(entry.get("tool_calls", [])):
        first = True
        for p in pieces(arguments_text(c), size):
            d = {"function": {"arguments": p}}
            if not entry.get("no_index"):
                d["index"] = i
            if first:
                d.update({"id": c.get("id", "call_%d_%d" % (n, i)), "type": "function"})
                d["function"]["name"] = c["name"]
                first = False
            out.append(chunk({"tool_calls": [d]}))
    out.append(chunk({}, finish_reason(entry)))
    if not entry.get("no_usage") and body.get("stream_options", {}).get("include_usage"):
        u = chunk({})
        u["choices"] = []
        u["usage"] = usage_of(entry, body)
        out.append(u)
    return [json.dumps(c) for c in out] + ["[DONE]"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        if self.server.verbose:
            sys.stderr.write("fake-llm: " + (format % args) + "\n")

    def send_body(self, status, text, ctype="application/json", extra=None):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            self.send_body(200, json.dumps({"object": "list", "data": [{"id": "fake", "object": "model"}]}))
        else:
            self.send_body(404, '{"error":{"message":"not found"}}')

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"unparsable": raw.decode(errors="replace")}
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.send_body(404, '{"error":{"message":"not found"}}')
            return
        n, entry = self.server.script.take(body, self.path)
        time.sleep(entry.get("latency", 0))
        if "status" in entry:
            extra = {"Retry-After": str(entry["retry_after"])} if "retry_after" in entry else None
            self.send_body(entry["status"], entry.get("body", '{"error":{"message":"fake error"}}'), extra=extra)
            return
        stream = entry.get("stream", body.get("stream", False))
        if not stream:
            text = whole_body(entry, body, n)
            if entry.get("invalid_json"):
                text = text[:len(text) // 2]
            self.send_body(200, text)
            return
        self.send_stream(entry, body, n)

    def send_stream(self, entry, body, n):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        events = stream_chunks(entry, body, n)
        if entry.get("invalid_json"):
            events.insert(1, '{"choices": [{"delta": {"content": "bro')
        if entry.get("truncate"):
            events = events[:max(1, len(events) // 2)]
        data = "".join("data: %s\n\n" % e for e in events).encode()
        hang = entry.get("hang")
        try:
            if hang:
                first = data.index(b"\n\n") + 2
                self.wfile.write(data[:first])
                self.wfile.flush()
                time.sleep(hang)
                return
            for p in pieces(data, entry.get("split_bytes")):
                self.wfile.write(p)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


class TCPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        conn, _ = super().get_request()
        return conn, ("unix", 0)    # BaseHTTPRequestHandler wants an address pair


def main():
    p = argparse.ArgumentParser(description="Replays scripted chat completions.")
    p.add_argument("--script", required=True, help="the JSON script")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, help="TCP port (0: any free one, see --port-file)")
    p.add_argument("--unix", help="listen on this Unix socket path instead")
    p.add_argument("--port-file", help="write the TCP port here once listening")
    p.add_argument("--record", help="append each request as a JSON line to this file")
    p.add_argument("--verbose", action="store_true")
    a = p.parse_args()

    if a.unix:
        if os.path.exists(a.unix):
            os.unlink(a.unix)
        server = UnixServer(a.unix, Handler)
        os.chmod(a.unix, 0o666)
        where = a.unix
    else:
        server = TCPServer((a.host, a.port or 0), Handler)
        where = "%s:%d" % (a.host, server.server_address[1])
    server.script = Script(a.script, a.record)
    server.verbose = a.verbose
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % (server.server_address[1] if not a.unix else 0))
        os.rename(tmp, a.port_file)
    sys.stderr.write("fake-llm: listening on %s\n" % where)
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
