#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests fake-llm itself, with a plain HTTP client: what it streams reassembles into the scripted
calls, errors and broken answers come out as scripted, and requests are recorded. TAP output.

Usage: test-fake-llm.py FAKE_LLM"""

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

FAKE = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="fake-llm-test-")
n = failed = 0


def check(ok, desc, detail=""):
    global n, failed
    n += 1
    failed += not ok
    print("%s %d - %s" % ("ok" if ok else "not ok", n, desc), flush=True)
    if not ok:
        print("#   %r" % (detail,))


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)


def start(responses, unix=None):
    script, record, port_file = (os.path.join(TMP, x) for x in ("script.json", "record.jsonl", "port"))
    for f in (record, port_file):
        if os.path.exists(f):
            os.unlink(f)
    with open(script, "w") as f:
        json.dump({"responses": responses}, f)
    args = ["/usr/bin/python3", FAKE, "--script", script, "--record", record, "--port-file", port_file]
    proc = subprocess.Popen(args + (["--unix", unix] if unix else ["--port", "0"]), stderr=subprocess.DEVNULL)
    while not os.path.exists(port_file):
        time.sleep(0.05)
    port = int(open(port_file).read())
    return proc, record, (lambda: UnixConnection(unix)) if unix else (lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=10))


def post(conn, body):
    c = conn()
    c.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    return r, r.read().decode()


def events(text):
    return [line[6:] for line in text.split("\n") if line.startswith("data: ")]


call = {"name": "bash", "arguments": {"command": "echo 'a \"quoted\" arg'"}}
proc, record, conn = start([
    {"content": "Hello there", "tool_calls": [call, {"name": "glob", "arguments": "{}"}], "chunk_size": 3},
    {"content": "whole"},
    {"status": 429, "retry_after": 2},
    {"truncate": True, "content": "abcdefgh", "chunk_size": 1},
    {"invalid_json": True, "content": "x"},
    {"latency": 0.3, "content": "slow"},
    {"hang": 2, "content": "x"},
])
try:
    r, text = post(conn, {"messages": [{"role": "user", "content": "hi"}], "stream": True,
                          "stream_options": {"include_usage": True}})
    ev = events(text)
    chunks = [json.loads(e) for e in ev[:-1]]
    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    args = {}
    for c in chunks:
        for d in (c["choices"][0]["delta"].get("tool_calls") or []) if c["choices"] else []:
            args[d["index"]] = args.get(d["index"], "") + d["function"]["arguments"]
    check(r.getheader("Content-Type") == "text/event-stream" and ev[-1] == "[DONE]", "a stream ends with [DONE]")
    check(content == "Hello there", "streamed text reassembles", content)
    check(json.loads(args[0]) == call["arguments"] and args[1] == "{}", "tool-call arguments split mid-JSON reassemble", args)
    check(chunks[-1]["usage"]["prompt_tokens"] > 0 and chunks[-2]["choices"][0]["finish_reason"] == "tool_calls",
          "usage comes last, after finish_reason")

    r, text = post(conn, {"messages": [], "stream": False})
    check(json.loads(text)["choices"][0]["message"]["content"] == "whole", "a whole response for stream=false")
    r, text = post(conn, {"messages": [], "stream": True})
    check(r.status == 429 and r.getheader("Retry-After") == "2", "a scripted 429 with Retry-After")
    r, text = post(conn, {"messages": [], "stream": True})
    check("[DONE]" not in text and "finish_reason\": \"stop" not in text, "a truncated stream lacks its end", text)
    r, text = post(conn, {"messages": [], "stream": True})
    bad = 0
    for e in events(text):
        try:
            json.loads(e) if e != "[DONE]" else None
        except ValueError:
            bad += 1
    check(bad == 1, "invalid_json sends one event that is not JSON")
    t = time.time()
    post(conn, {"messages": [], "stream": False})
    check(time.time() - t >= 0.3, "latency delays the answer")
    c = conn()
    c.request("POST", "/v1/chat/completions", json.dumps({"stream": True}), {"Content-Type": "application/json"})
    c.sock.settimeout(1)
    r = c.getresponse()
    first = r.fp.readline()
    try:
        r.fp.read(10)
        hung = False
    except socket.timeout:
        hung = True
    check(first.startswith(b"data: ") and hung, "hang sends the first chunk, then nothing")
    r, text = post(conn, {"messages": [], "stream": False})
    check(r.status == 500 and "exhausted" in text, "past the script's end: HTTP 500")
    with open(record) as f:
        recs = [json.loads(line) for line in f]
    check(len(recs) == 8 and recs[0]["body"]["messages"][0]["content"] == "hi", "every request is recorded", len(recs))
finally:
    proc.terminate()
    proc.wait()

sock = os.path.join(TMP, "llm.sock")
proc, record, conn = start([{"content": "over a socket"}], unix=sock)
try:
    r, text = post(conn, {"messages": [], "stream": False})
    check(json.loads(text)["choices"][0]["message"]["content"] == "over a socket", "it serves on a Unix socket")
finally:
    proc.terminate()
    proc.wait()
subprocess.run(["rm", "-rf", TMP])
print("1..%d" % n)
sys.exit(1 if failed else 0)
