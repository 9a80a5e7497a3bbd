#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A scripted OpenAI-compatible model server for the gateway's tests and benchmarks.

Answers POST /v1/chat/completions (streamed or not), GET /v1/models and GET /health with
fixed, deterministic content, so that an answer fetched through the gateway can be compared
byte for byte with one fetched directly. The model name picks how it behaves:

  any other name      a normal answer (streamed if "stream": true)
  slow-first-byte     waits --slow seconds before answering
  slow-stream         streams its chunks --slow/4 seconds apart
  garbage             answers with bytes that are not HTTP, then hangs up
  error               HTTP 500 with a plain-text body
  openai-error        HTTP 400 with an OpenAI error object
  busy-MS             takes MS milliseconds before answering (a model busy generating)
  long-N              answers with N content chunks (for throughput measurements)

--work-ms makes every answer take that long (a model busy generating), --mode=down refuses
to answer at all (every connection is closed at once). GET /_log returns what was received
(headers and body of each chat request, with arrival times) and POST /_log clears it.
Python standard library only; run it with /usr/bin/python3.
"""

import argparse
import json
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT = ["Hello", " from", " the", " fake", " upstream", "."]
CREATED = 1700000000

LOG = []
LOG_LOCK = threading.Lock()


def chunk(model, delta, finish=None):
    return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": CREATED,
            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def usage(messages):
    prompt = sum(len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict))
    return {"prompt_tokens": prompt, "completion_tokens": len(CONTENT),
            "total_tokens": prompt + len(CONTENT)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-upstream/1"
    # As real model servers do: headers and body go out as separate writes, and with Nagle's
    # algorithm a client that reuses connections would wait 40 ms for each delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet: tests read /_log instead
        pass

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self):
        if self.path in ("/v1/models", "/models"):
            self.send_json(200, {"object": "list", "data": [
                {"id": "fake-model", "object": "model", "created": CREATED, "owned_by": "fake"}]})
        elif self.path == "/health":
            self.send_json(200, {"status": "ok"})
        elif self.path == "/_log":
            with LOG_LOCK:
                self.send_json(200, LOG)
        else:
            self.send_json(404, {"error": {"message": "no such path", "type": "invalid_request_error"}})

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_POST(self):
        raw = self.read_body()
        if self.path == "/_log":
            with LOG_LOCK:
                LOG.clear()
            return self.send_json(200, {})
        if self.path not in ("/v1/chat/completions", "/chat/completions"):
            return self.send_json(404, {"error": {"message": "no such path", "type": "invalid_request_error"}})
        try:
            req = json.loads(raw)
        except ValueError:
            return self.send_json(400, {"error": {"message": "bad JSON", "type": "invalid_request_error"}})
        with LOG_LOCK:
            LOG.append({"time": time.time(), "headers": dict(self.headers.items()), "body": req})
        self.answer(req)

    def answer(self, req):
        model = req.get("model") or "fake-model"
        opts = self.server.opts
        if model == "garbage":
            self.wfile.write(b"this is not HTTP at all\r\n\r\n")
            self.close_connection = True
            return
        if model == "error":
            body = b"kaboom: the model fell over"
            self.send_response(500)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if model == "openai-error":
            return self.send_json(400, {"error": {"message": "context too long", "type": "invalid_request_error",
                                                  "param": None, "code": "context_length_exceeded"}})
        if model == "slow-first-byte":
            time.sleep(opts.slow)
        if model.startswith("busy-") and model[5:].isdigit():
            time.sleep(int(model[5:]) / 1000)
        if opts.work_ms:
            time.sleep(opts.work_ms / 1000)
        if req.get("stream"):
            self.stream(req, model, opts.slow / 4 if model == "slow-stream" else 0)
        else:
            self.send_json(200, {"id": "chatcmpl-fake", "object": "chat.completion", "created": CREATED,
                                 "model": model,
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": "".join(CONTENT)}}],
                                 "usage": usage(req.get("messages", []))})

    def stream(self, req, model, pause):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        content = CONTENT
        if model.startswith("long-") and model[5:].isdigit():
            content = [" token%d" % i for i in range(int(model[5:]))]
        events = [chunk(model, {"role": "assistant", "content": ""})]
        events += [chunk(model, {"content": c}) for c in content]
        events.append(chunk(model, {}, "stop"))
        for e in events:
            self.write_chunk(b"data: " + json.dumps(e).encode() + b"\n\n")
            if pause:
                time.sleep(pause)
        if (req.get("stream_options") or {}).get("include_usage"):
            u = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": CREATED, "model": model,
                 "choices": [], "usage": usage(req.get("messages", []))}
            self.write_chunk(b"data: " + json.dumps(u).encode() + b"\n\n")
        self.write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class DownHandler(socketserver.BaseRequestHandler):
    """Accepts and hangs up at once: a server that is there but broken."""

    def handle(self):
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--slow", type=float, default=5.0, help="seconds for the slow models")
    p.add_argument("--work-ms", type=int, default=0, help="time every answer takes")
    p.add_argument("--mode", choices=["normal", "down"], default="normal")
    opts = p.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.request_queue_size = 128
    if opts.mode == "down":
        server = socketserver.ThreadingTCPServer((opts.bind, opts.port), DownHandler)
    else:
        server = ThreadingHTTPServer((opts.bind, opts.port), Handler)
    server.opts = opts
    print(f"fake-upstream listening on {opts.bind}:{opts.port} ({opts.mode})", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
