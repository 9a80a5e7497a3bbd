# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for the agent's end-to-end tests: a fake-llm server per scenario, the agent run
against it in a temporary workspace, and TAP output."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

PYTHON = "/usr/bin/python3"


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, desc, detail=""):
        self.n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, desc), flush=True)
        if not ok:
            self.failed += 1
            for line in str(detail).splitlines()[-40:]:
                print("#   " + line)

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


class FakeLLM:
    """fake-llm with a script, on a TCP port or a Unix socket."""

    def __init__(self, fake_llm, tmp, responses, unix=None, family=None, **extra):
        self.dir = tempfile.mkdtemp(dir=tmp, prefix="llm-")
        self.script = os.path.join(self.dir, "script.json")
        self.record = os.path.join(self.dir, "requests.jsonl")
        port_file = os.path.join(self.dir, "port")
        with open(self.script, "w") as f:
            json.dump(dict(responses=responses, **extra), f)
        args = [PYTHON, fake_llm, "--script", self.script, "--record", self.record, "--port-file", port_file]
        args += ["--unix", unix] if unix else ["--port", "0"]
        args += ["--family", family] if family else []
        self.proc = subprocess.Popen(args, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())
        self.endpoint = "http://127.0.0.1:%d/v1" % self.port

    def requests(self):
        if not os.path.exists(self.record):
            return []
        with open(self.record) as f:
            return [json.loads(line)["body"] for line in f]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Run:
    def __init__(self, proc, out, err, seconds):
        self.rc = proc.returncode
        self.out = out
        self.err = err
        self.seconds = seconds

    def __str__(self):
        return "exit status %s after %.1fs\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.seconds, self.out, self.err)


def run_agent(agent, args, timeout=60, stdin=subprocess.DEVNULL, env=None, on_start=None):
    start = time.time()
    proc = subprocess.Popen([agent] + args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    if on_start:
        on_start(proc)
    out, err = proc.communicate(timeout=timeout)
    return Run(proc, out, err, time.time() - start)


def transcript_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def only_transcript(state_dir):
    d = os.path.join(state_dir, "transcripts")
    files = sorted(os.listdir(d)) if os.path.isdir(d) else []
    return os.path.join(d, files[-1]) if files else None


def call(name, **arguments):
    return {"name": name, "arguments": arguments}


def cleanup(path):
    shutil.rmtree(path, ignore_errors=True)


def kill_after(proc, seconds, sig=signal.SIGTERM):
    time.sleep(seconds)
    proc.send_signal(sig)
