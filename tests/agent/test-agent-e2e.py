#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end tests of openmono-agent against fake-llm: the real binary, a scripted model and a
temporary workspace. Each scenario says what it proves; the output is TAP.

Usage: test-agent-e2e.py AGENT FAKE_LLM"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agenttest import FakeLLM, Tap, call, cleanup, only_transcript, run_agent, transcript_lines  # noqa: E402

AGENT, FAKE = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="openmono-agent-e2e-")
tap = Tap()

BUGGY = "def add(a, b):\n    return a - b\n"
TEST = "from calc import add\nassert add(2, 3) == 5, 'add is broken'\nprint('tests passed')\n"


# Tests run with python3 -B: the fix keeps calc.py's size and often its mtime second, so a cached
# .pyc would still hold the broken add().


def new_workspace(name):
    ws = os.path.join(TMP, name)
    os.makedirs(ws)
    return ws


def agent_args(llm, ws, state, *extra):
    return ["--endpoint", llm.endpoint, "-w", ws, "--state-dir", state, "--retry-delay", "0.05"] + list(extra)


def tool_messages(request):
    return [m for m in request["messages"] if m["role"] == "tool"]


def scenario_fix_failing_test():
    """The whole loop: create files, a failing test, an edit, a passing test, a summary."""
    ws, state = new_workspace("fix"), os.path.join(TMP, "state-fix")
    with open(os.path.join(ws, "AGENTS.md"), "w") as f:
        f.write("Run tests with: python3 test_calc.py\n")
    llm = FakeLLM(FAKE, TMP, [
        {"content": "I'll write the code and a test.", "chunk_size": 4, "split_bytes": 5,
         "tool_calls": [call("write_file", path="calc.py", content=BUGGY),
                        call("write_file", path="tests/../test_calc.py", content=TEST)]},
        {"tool_calls": [call("bash", command="/usr/bin/python3 -B test_calc.py")], "chunk_size": 3},
        {"content": "The test fails; fixing the operator.",
         "tool_calls": [call("edit_file", path="calc.py", old_text="return a - b", new_text="return a + b")]},
        {"tool_calls": [call("bash", command="/usr/bin/python3 -B test_calc.py")]},
        {"content": "Fixed add() in calc.py; the test passes."},
    ])
    r = run_agent(AGENT, agent_args(llm, ws, state, "--task", "Make the tests pass."))
    reqs = llm.requests()
    llm.stop()
    tap.check(r.rc == 0, "a scripted task finishes with exit status 0", r)
    with open(os.path.join(ws, "calc.py")) as f:
        tap.check(f.read() == BUGGY.replace("a - b", "a + b"), "calc.py holds the fixed code")
    ok = subprocess.run(["/usr/bin/python3", "-B", "test_calc.py"], cwd=ws, capture_output=True).returncode == 0
    tap.check(ok, "the test in the workspace really passes now")
    tap.check(len(reqs) == 5, "the model was asked five times", len(reqs))
    results = [m["content"] for m in tool_messages(reqs[2])]
    tap.check(any("add is broken" in c and "[exit status 1]" in c for c in results),
              "the model saw the failing test's output and exit status 1", results)
    results = [m["content"] for m in tool_messages(reqs[4])]
    tap.check("tests passed" in results[-1] and "[exit status 0]" in results[-1],
              "the model saw the passing rerun", results)
    ids = {c["id"] for m in reqs[4]["messages"] if m["role"] == "assistant" for c in m.get("tool_calls", [])}
    tap.check(all(m["tool_call_id"] in ids for m in tool_messages(reqs[4])),
              "every tool result answers a call the assistant made")
    tap.check(reqs[0]["stream"] is True and reqs[0]["tools"] and reqs[0]["messages"][0]["role"] == "system",
              "requests stream and carry the tool definitions and a system prompt")
    tap.check("python3 test_calc.py" in reqs[0]["messages"][0]["content"], "AGENTS.md is part of the system prompt")
    tap.check("openmono-agent: done after 5 steps" in r.out and "▶ bash: /usr/bin/python3 -B test_calc.py" in r.out,
              "the human stream shows tool calls and a final status line", r.out)
    path = only_transcript(state)
    lines = transcript_lines(path) if path else []
    tap.check(lines and lines[-1]["type"] == "status" and lines[-1]["status"] == "done" and
              sum(1 for l in lines if l["type"] == "message") == 12,
              "the transcript holds all twelve messages and the final status", lines[-1:] if lines else path)


def scenario_stream_forms():
    """Non-streamed answers, a whole body to a stream request, text-form tool calls, no index."""
    ws, state = new_workspace("forms"), os.path.join(TMP, "state-forms")
    llm = FakeLLM(FAKE, TMP, [
        {"tool_calls": [call("write_file", path="a.txt", content="A\n")], "stream": False},
        {"content": 'Writing.\n<tool_call>\n{"name": "write_file", "arguments": {"path": "b.txt", "content": "B"}}\n'
                    "</tool_call>", "chunk_size": 7},
        {"content": "<function=bash>\n<parameter=command>\ncat a.txt b.txt > c.txt\n</parameter>\n</function>"},
        {"tool_calls": [call("glob", pattern="*.txt"), call("grep", pattern="^B")], "no_index": True,
         "chunk_size": 2, "no_usage": True},
        {"content": "done"},
    ])
    r = run_agent(AGENT, agent_args(llm, ws, state, "--task", "x", "--json"))
    reqs = llm.requests()
    llm.stop()
    tap.check(r.rc == 0, "non-streamed, text-form and index-less tool calls all run", r)
    c = open(os.path.join(ws, "c.txt")).read() if os.path.exists(os.path.join(ws, "c.txt")) else None
    tap.check(c == "A\nB", "the files they wrote are there", c)
    last = [m["content"] for m in tool_messages(reqs[4])][-2:]
    tap.check(len(last) == 2 and "a.txt" in last[0] and "b.txt:1:B" in last[1], "glob and grep found them", last)
    text_answer = reqs[2]["messages"][-1]
    tap.check(text_answer["role"] == "user" and text_answer["content"].startswith("<tool_response"),
              "text-form calls are answered with <tool_response> blocks", text_answer)
    try:
        events = [json.loads(line) for line in r.out.splitlines()]
        ok = events[0]["event"] == "start" and events[-1]["event"] == "status" and \
            sum(e["event"] == "tool_call" for e in events) == 5
    except (ValueError, KeyError, IndexError):
        ok = False
    tap.check(ok, "--json prints one JSON event per line, five tool calls among them", r.out)


def failing(name, entries, expect_rc, expect_text, *extra, retries="2"):
    ws, state = new_workspace(name), os.path.join(TMP, "state-" + name)
    llm = FakeLLM(FAKE, TMP, entries)
    r = run_agent(AGENT, agent_args(llm, ws, state, "--task", "x", "--retries", retries, *extra))
    reqs = llm.requests()
    llm.stop()
    return r, reqs, state


def scenario_errors():
    """Server errors end with a clear message, a documented exit status and a transcript."""
    r, reqs, state = failing("e500", [{"status": 500}] * 3, 7, "HTTP 500")
    tap.check(r.rc == 7 and "HTTP 500" in r.err + r.out and len(reqs) == 3,
              "HTTP 500 is retried, then ends with exit status 7 (the server failed, it is not unreachable)", r)
    path = only_transcript(state)
    tap.check(path and transcript_lines(path)[-1].get("status") == "model-server-error",
              "... and the transcript records the failure", path)

    r, reqs, _ = failing("e429", [{"status": 429, "retry_after": 0}, {"content": "fine"}], 0, "")
    tap.check(r.rc == 0 and len(reqs) == 2 and "retrying" in r.err, "HTTP 429 is retried and then succeeds", r)

    r, reqs, _ = failing("trunc", [{"truncate": True, "content": "x" * 40, "chunk_size": 4}] * 3, 4, "")
    tap.check(r.rc == 4 and "ended before the response was complete" in r.out + r.err,
              "a truncated stream ends with exit status 4 (model error)", r)

    r, reqs, _ = failing("badjson", [{"invalid_json": True, "content": "x"}], 4, "")
    tap.check(r.rc == 4 and "malformed JSON" in r.out + r.err and len(reqs) == 1,
              "invalid JSON in the stream ends with exit status 4 at once", r)

    r, reqs, _ = failing("hang", [{"hang": 30, "content": "x"}] * 2, 6, "", "--idle-timeout", "1", retries="1")
    tap.check(r.rc == 6 and "idle timeout" in r.out + r.err and r.seconds < 10,
              "a server that stops sending hits the idle timeout: exit status 6", r)

    ws = new_workspace("refused")
    r = run_agent(AGENT, ["--endpoint", "http://127.0.0.1:1/v1", "-w", ws, "--no-transcript", "--task", "x",
                          "--retries", "1", "--retry-delay", "0.05"])
    tap.check(r.rc == 6 and "127.0.0.1:1" in r.out + r.err, "nothing listening: exit status 6, naming the endpoint", r)

    r = run_agent(AGENT, ["--max-steps", "x"])
    tap.check(r.rc == 2 and "max-steps" in r.err, "a bad option is a usage error, exit status 2", r)


def scenario_budget_and_resume():
    """Budgets end a run with exit status 5; a transcript can be resumed by its id."""
    ws, state = new_workspace("budget"), os.path.join(TMP, "state-budget")
    llm = FakeLLM(FAKE, TMP, [{"tool_calls": [call("bash", command="echo step")]}] * 2 + [{"content": "finished"}])
    r = run_agent(AGENT, agent_args(llm, ws, state, "--task", "loop", "--max-steps", "2"))
    tap.check(r.rc == 5 and "step budget of 2 exhausted" in r.out, "--max-steps ends the run with exit status 5", r)
    tid = os.path.basename(only_transcript(state))[:-len(".jsonl")]
    r = run_agent(AGENT, agent_args(llm, ws, state, "--resume", tid))
    reqs = llm.requests()
    llm.stop()
    tap.check(r.rc == 0 and "finished" in r.out, "--resume ID continues the saved conversation to the end", r)
    tap.check(len(reqs) == 3 and len(reqs[2]["messages"]) == 6 and reqs[2]["messages"][1]["content"] == "loop",
              "... sending the earlier messages again", [len(q["messages"]) for q in reqs])

    ws, state = new_workspace("tokens"), os.path.join(TMP, "state-tokens")
    llm = FakeLLM(FAKE, TMP, [{"tool_calls": [call("bash", command="true")],
                               "usage": {"prompt_tokens": 600, "completion_tokens": 10}}] * 3)
    r = run_agent(AGENT, agent_args(llm, ws, state, "--task", "x", "--max-tokens", "1000"))
    llm.stop()
    tap.check(r.rc == 5 and "token budget" in r.out, "--max-tokens counts reported usage: exit status 5", r)


def scenario_context_and_socket():
    """A small context window is managed; the model can be reached over a Unix socket."""
    ws, state = new_workspace("context"), os.path.join(TMP, "state-context")
    sock = os.path.join(TMP, "inference.sock")
    big = [{"tool_calls": [call("bash", command="seq 1 3000")]}] * 6 + [{"content": "ok"}]
    llm = FakeLLM(FAKE, TMP, big, unix=sock)
    r = run_agent(AGENT, ["--socket", sock, "-w", ws, "--state-dir", state, "--task", "x",
                          "--context-tokens", "6000", "--output-cap", "8000"])
    reqs = llm.requests()
    llm.stop()
    tap.check(r.rc == 0, "a run over a Unix socket with a 6000-token context finishes", r)
    sizes = [len(json.dumps(q["messages"])) // 4 for q in reqs]
    tap.check(max(sizes) < 6000 and "context shrunk" in r.err, "no request exceeds the context window", sizes)
    tap.check(reqs[-1]["messages"][1]["content"] == "x", "the task survives context shrinking")


def scenario_cancel():
    """SIGTERM during a command stops it and the agent at once, with exit status 3."""
    ws, state = new_workspace("cancel"), os.path.join(TMP, "state-cancel")
    marker = os.path.join(ws, "still-running")
    # The command line carries this run's pid, so the check below cannot see another test run's
    # command (the gcc and clang suites may run at the same time).
    command = "sleep 30; touch still-running # %d" % os.getpid()
    llm = FakeLLM(FAKE, TMP, [{"tool_calls": [call("bash", command=command)]}])
    killer = []
    r = run_agent(AGENT, agent_args(llm, ws, state, "--task", "x"),
                  on_start=lambda p: killer.append(threading.Timer(1.0, p.send_signal, [signal.SIGTERM])) or
                  killer[0].start())
    llm.stop()
    tap.check(r.rc == 3 and r.seconds < 6, "SIGTERM ends the run with exit status 3 within seconds", r)
    time.sleep(0.5)
    tap.check(not os.path.exists(marker) and subprocess.run(["pgrep", "-f", command],
                                                             capture_output=True).returncode != 0,
              "the command's processes were killed")
    path = only_transcript(state)
    tap.check(path and transcript_lines(path)[-1].get("status") == "interrupted", "the transcript says so")


def scenario_task_credential():
    """The task can come from a service credential, as the controller passes it."""
    ws, state = new_workspace("credential"), os.path.join(TMP, "state-credential")
    creds = os.path.join(TMP, "credentials")
    os.makedirs(creds)
    task = "Fix the parser; $HOME stays as written.\nSecond line."
    with open(os.path.join(creds, "openmono-task"), "w") as f:
        f.write(task)
    env = dict(os.environ, CREDENTIALS_DIRECTORY=creds)
    llm = FakeLLM(FAKE, TMP, [{"content": "done"}])
    r = run_agent(AGENT, agent_args(llm, ws, state, "--task-credential", "openmono-task"), env=env)
    reqs = llm.requests()
    llm.stop()
    tap.check(r.rc == 0 and len(reqs) == 1 and reqs[0]["messages"][1]["content"] == task,
              "--task-credential NAME sends $CREDENTIALS_DIRECTORY/NAME as the task, byte for byte",
              [r, [q["messages"][1:] for q in reqs]])
    r = run_agent(AGENT, ["-w", ws, "--no-transcript", "--task-credential", "openmono-task"],
                  env={k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"})
    tap.check(r.rc == 2 and "CREDENTIALS_DIRECTORY" in r.err, "... which it needs: usage error without it", r)
    r = run_agent(AGENT, ["-w", ws, "--no-transcript", "--task-credential", "absent"], env=env)
    tap.check(r.rc == 2 and "absent" in r.err, "a missing credential is a usage error naming it", r)
    r = run_agent(AGENT, ["-w", ws, "--no-transcript", "--task", "x", "--task-credential", "openmono-task"], env=env)
    tap.check(r.rc == 2 and "exclude" in r.err, "--task and --task-credential exclude each other", r)


def limit_file_size(size):
    """For preexec_fn: writes to regular files beyond size fail with EFBIG, as on a full disk."""
    def set_limit():
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # the write fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return set_limit


def scenario_transcript_errors():
    """A transcript that cannot be written is said on stderr and ends the run with exit status 8."""
    ws, state = new_workspace("full"), os.path.join(TMP, "state-full")
    llm = FakeLLM(FAKE, TMP, [{"content": "Done."}], repeat_last=True)
    for size, what in ((0, "no line"), (300, "the first lines only")):
        cleanup(state)
        proc = subprocess.run([AGENT] + agent_args(llm, ws, state, "--task", "x"), capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL, preexec_fn=limit_file_size(size))
        tap.check(proc.returncode == 8, "a transcript that takes %s: exit status 8, not 0" % what,
                  "%s\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
        tap.check("cannot write the transcript" in proc.stderr and "File too large" in proc.stderr and
                  proc.stderr.count("cannot write the transcript") == 1,
                  "... said once on stderr, with the path and the error", proc.stderr)
        tap.check("transcript-error after 1 step" in proc.stdout and "(exit status 8)" in proc.stdout,
                  "... and in the final status line", proc.stdout)
    proc = subprocess.run([AGENT] + agent_args(llm, ws, "/proc/self/no-such-dir", "--task", "x"),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    llm.stop()
    tap.check(proc.returncode == 8 and "cannot create a transcript in /proc/self/no-such-dir" in proc.stderr,
              "a transcript that cannot be created: said on stderr, exit status 8",
              "%s\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
    proc = subprocess.run([AGENT] + agent_args(llm, ws, "/proc/self/no-such-dir", "--task", "x",
                                               "--no-transcript"),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    tap.check(proc.returncode != 8, "--no-transcript asks for none: no transcript error", proc.returncode)


try:
    for s in (scenario_fix_failing_test, scenario_stream_forms, scenario_errors, scenario_budget_and_resume,
              scenario_context_and_socket, scenario_cancel, scenario_task_credential,
              scenario_transcript_errors):
        print("# " + s.__doc__.splitlines()[0], flush=True)
        s()
finally:
    cleanup(TMP)
sys.exit(tap.done())
