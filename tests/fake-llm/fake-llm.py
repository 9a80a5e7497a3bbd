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
  done_unterminated  end with "data: [DONE]" and no blank line after it
  family           answer this one entry as another server family does

With --family NAME (or "family" in the script) requests are checked and answers shaped as that
server does: llamacpp, llamacpp-2025, vllm, vllm-0.10, ollama, tgi, sglang, llama-cpp-python;
the default, openai, is the plain OpenAI shape. servers/__init__.py lists the entry keys the
families add (reasoning, error_in_stream, cut_off, same_index, context_error, ping), and each
module there cites the source of every shape it sends.
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from servers import pieces  # noqa: E402


class Script:
    def __init__(self, path, record):
        with open(path) as f:
            data = json.load(f)
        self.responses = data.get("responses", [])
        self.repeat_last = data.get("repeat_last", False)
        self.family = data.get("family")
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


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: with Nagle's algorithm a kept-alive client waits
    # for its own delayed ACK (40 ms) before the body arrives.
    disable_nagle_algorithm = True

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

    def family(self, entry=None):
        return servers.get((entry or {}).get("family") or self.server.script.family or self.server.family)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            self.send_body(200, self.family().models_body())
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
        n = 0 if self.server.fixed else n
        family = self.family(entry)
        try:
            family.validate(body)
        except servers.Refusal as e:
            self.send_body(e.status, e.text)
            return
        time.sleep(entry.get("latency", 0))
        if "status" in entry:
            extra = {"Retry-After": str(entry["retry_after"])} if "retry_after" in entry else None
            self.send_body(entry["status"], entry.get("body", family.error_body(entry["status"], "fake error")),
                           extra=extra)
            return
        stream = entry.get("stream", body.get("stream", False))
        if entry.get("context_error") and not (stream and family.stream_context_error(body)):
            self.send_body(*family.context_error(body))
            return
        if not stream:
            text = family.whole_body(entry, body, n)
            if entry.get("invalid_json"):
                text = text[:len(text) // 2]
            self.send_body(200, text)
            return
        self.send_stream(entry, body, n, family)

    def send_stream(self, entry, body, n, family):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        events = family.stream_events(entry, body, n)
        if entry.get("context_error"):
            events = events[:1] + [family.stream_context_error(body)]
        if entry.get("invalid_json"):
            events.insert(1, family.event('{"choices": [{"delta": {"content": "bro'))
        if entry.get("truncate"):
            events = events[:max(1, len(events) // 2)]
        if entry.get("done_unterminated") and events[-1].startswith("data: [DONE]"):
            events[-1] = "data: [DONE]" + family.sep
        data = "".join(events).encode()
        hang = entry.get("hang")
        try:
            if hang:
                first = len(events[0].encode())
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
    p.add_argument("--family", default="openai", help="answer as this server family does (see servers/)")
    p.add_argument("--fixed", action="store_true", help="the same ids and times in every answer")
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
    server.family = a.family
    server.fixed = a.fixed
    if a.fixed:
        servers.FIXED_CREATED = 1767225600
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
