#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The agent end to end against a stand-in of each model server family (tests/fake-llm/servers/),
streamed and not: a task with reasoning, split bytes and keep-alive comments; the server's
errors inside a 200 stream; parallel calls sharing an index; a call cut off by the token limit;
no --model; context-too-long, loading and failing servers. Each check says what it proves; the
output is TAP.

Usage: test-agent-servers.py AGENT FAKE_LLM"""

import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agenttest import FakeLLM, Tap, call, cleanup, run_agent  # noqa: E402

AGENT, FAKE = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="openmono-agent-servers-")
tap = Tap()
FAMILIES = ["openai", "llamacpp", "llamacpp-2025", "vllm", "vllm-0.10", "ollama", "tgi", "sglang", "llama-cpp-python"]
# What each says when it reports an error after its 200 (Ollama cannot: its stream just ends).
IN_STREAM_ERROR = {f: True for f in FAMILIES}
IN_STREAM_ERROR["ollama"] = False
counter = [0]


def run(family, entries, *extra, stream=True, model=None):
    counter[0] += 1
    name = "%s-%d" % (family, counter[0])
    ws = os.path.join(TMP, name)
    os.makedirs(ws)
    llm = FakeLLM(FAKE, TMP, entries, family=family)
    args = ["--endpoint", llm.endpoint, "-w", ws, "--no-transcript", "--retry-delay", "0.05", "--task", "x"]
    args += [] if stream else ["--no-stream"]
    args += ["--model", model] if model else []
    r = run_agent(AGENT, args + list(extra), timeout=60)
    reqs = llm.requests()
    llm.stop()
    return r, reqs, ws


def mode(stream):
    return "streamed" if stream else "whole"


def scenario_task(family, stream):
    """The served model is asked for, reasoning stays out of the history, bytes split anywhere."""
    text = "Schreibe die Datei: „ä“ ✓ \\\"quoted\\\"\n"
    r, reqs, ws = run(family, [
        {"reasoning": "Let me think… 🤔", "content": text, "chunk_size": 3, "split_bytes": 1, "ping": True,
         "tool_calls": [call("write_file", path="out.txt", content="ü ✓\n")]},
        {"content": "Fertig ✓", "ping": True, "split_bytes": 2},
    ], stream=stream)
    path = os.path.join(ws, "out.txt")
    ok = r.rc == 0 and os.path.exists(path) and open(path, encoding="utf-8").read() == "ü ✓\n"
    tap.check(ok, "%s %s: a task with a tool call finishes, the file holds the UTF-8 it was sent" % (family, mode(stream)), r)
    models = {q.get("model") for q in reqs}
    tap.check(len(reqs) == 2 and None not in models and "default" not in models,
              "%s %s: without --model the agent asks /v1/models and sends the served name %s" % (family, mode(stream), models),
              reqs[:1])
    history = json.dumps(reqs[-1]["messages"]) if reqs else ""
    # TGI's whole answer to a tool call has no text at all.
    has_text = family == "tgi" and not stream or "\\u201e\\u00e4" in history or "„ä" in history
    tap.check("think" not in history and has_text,
              "%s %s: the answer goes back in the history, the reasoning does not" % (family, mode(stream)), history[-600:])
    if stream:
        tap.check(all(q.get("stream") is True and q.get("stream_options") for q in reqs),
                  "%s: streamed requests ask for usage with stream_options" % family, reqs[:1])
    else:
        tap.check(all(q.get("stream") is False and "stream_options" not in q for q in reqs),
                  "%s: whole requests carry no stream_options (vLLM refuses them)" % family, reqs[:1])


def scenario_in_stream_error(family):
    """An error after the 200 is a model error quoting the server, never "done"."""
    r, reqs, _ = run(family, [{"content": "never", "error_in_stream": "CUDA out of memory (fake)"}] * 4)
    out = r.out + r.err
    if IN_STREAM_ERROR[family]:
        ok = r.rc == 4 and "CUDA out of memory (fake)" in out and "done after" not in out and len(reqs) == 1
        tap.check(ok, "%s: an error inside a 200 stream ends with exit status 4, quoting the server" % family, r)
    else:
        ok = r.rc == 4 and "ended before the response was complete" in out and "done after" not in out
        tap.check(ok, "%s: a stream that dies without a finish is a model error, not done" % family, r)


def scenario_parallel(family, stream):
    """Parallel calls sharing one index are told apart by id and answered each."""
    r, reqs, ws = run(family, [
        {"tool_calls": [call("write_file", path="a.txt", content="A"), call("write_file", path="b.txt", content="B")],
         "same_index": True, "chunk_size": 4},
        {"content": "both written"},
    ], stream=stream)
    both = all(os.path.exists(os.path.join(ws, f)) for f in ("a.txt", "b.txt"))
    answered = len(reqs) == 2 and sum(m["role"] == "tool" for m in reqs[1]["messages"]) == 2
    tap.check(r.rc == 0 and both and answered,
              "%s %s: two calls on one index run both, each answered" % (family, mode(stream)), r)


def scenario_cut_off(family, stream):
    """A call cut off by the token limit is not run, not echoed back broken, and reported."""
    r, reqs, ws = run(family, [
        {"tool_calls": [call("write_file", path="cut.txt", content="x" * 200)], "cut_off": True},
        {"content": "retrying later"},
    ], stream=stream)
    last = reqs[-1]["messages"] if reqs else []
    args = [c["function"]["arguments"] for m in last if m["role"] == "assistant" for c in m.get("tool_calls", [])]
    told = [m["content"] for m in last if m["role"] == "tool"]
    ok = (r.rc == 0 and not os.path.exists(os.path.join(ws, "cut.txt")) and args == ["{}"] and
          told and "cut off" in told[0] and "cut off" in r.err + r.out)
    tap.check(ok, "%s %s: a cut-off call is not run, goes back as {}, the model and the user are told" %
              (family, mode(stream)), "%s\nargs=%r told=%r" % (r, args, told))


def scenario_errors(family):
    """Server failures end with the documented exit statuses and the server's words."""
    r, reqs, _ = run(family, [{"content": ""}])
    tap.check(r.rc == 4 and "no text and no tool call" in r.out + r.err,
              "%s: an empty answer is a model error (exit status 4), not done" % family, r)

    r, reqs, _ = run(family, [{"status": 500}] * 3, "--retries", "2")
    line = [l for l in (r.out + r.err).splitlines() if "HTTP 500" in l]
    tap.check(r.rc == 7 and len(reqs) == 3 and line and "fake error" in line[0],
              "%s: a lasting HTTP 500 is retried, then exit status 7 (server error), quoting it on one line" % family, r)

    r, reqs, _ = run(family, [{"status": 503}, {"content": "loaded now"}])
    tap.check(r.rc == 0 and len(reqs) == 2, "%s: 503 while loading is retried" % family, r)

    r, reqs, _ = run(family, [{"content": "x", "context_error": True}] * 2)
    tap.check(r.rc == 4 and "--context-tokens" in r.out + r.err and len(reqs) == 1,
              "%s: a prompt longer than the context says what to do, exit status 4" % family, r)


def scenario_text_call_cut():
    """A call written as text is not run when the answer stopped at the token limit inside it."""
    r, reqs, ws = run("openai", [
        {"content": "<function=bash>\n<parameter=command>\ntouch cut-text; rm -rf important", "finish_reason": "length"},
        {"content": "<function=bash>\n<parameter=command>\ntouch whole-text\n</parameter>\n</function>",
         "finish_reason": "length"},
        {"content": "ok"},
    ])
    told = reqs[1]["messages"][-1]["content"] if len(reqs) > 1 else ""
    tap.check(r.rc == 0 and not os.path.exists(os.path.join(ws, "cut-text")) and "cut off" in told,
              "a text-form call cut off by the token limit is not run, and the model is told", r)
    tap.check(os.path.exists(os.path.join(ws, "whole-text")),
              "... one that ends with its closing tag is run although the limit was reached", r)


def scenario_wrong_model():
    """A 404 naming the model lists what the server offers; Ollama's body ends in a newline."""
    for family in ("vllm", "vllm-0.10", "ollama"):
        r, reqs, _ = run(family, [{"content": "x"}], model="gpt-4")
        out = r.out + r.err
        served = {"vllm": "Qwen/Qwen2.5-Coder-32B-Instruct", "vllm-0.10": "Qwen/Qwen2.5-Coder-32B-Instruct",
                  "ollama": "qwen2.5-coder:7b"}[family]
        line = [l for l in out.splitlines() if "HTTP 404" in l]
        tap.check(r.rc == 4 and line and "gpt-4" in line[0] and ("offers: " + served) in line[0],
                  "%s: a 404 for --model gpt-4 names what the server offers, on one line" % family, r)


try:
    for fam in FAMILIES:
        print("# " + fam, flush=True)
        for stream in (True, False):
            scenario_task(fam, stream)
            # TGI's grammar makes one call per answer.
            if fam != "tgi":
                scenario_parallel(fam, stream)
            scenario_cut_off(fam, stream)
        scenario_in_stream_error(fam)
        scenario_errors(fam)
    scenario_wrong_model()
    scenario_text_call_cut()
finally:
    cleanup(TMP)
sys.exit(tap.done())
