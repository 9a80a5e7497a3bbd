#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The model endpoint's added latency, measured from inside a session.

A session reaches the model at http://127.0.0.1:4870/v1, where systemd-socket-proxyd (left by
openmono-session-init, a process of the session's own unit) relays each connection to the
gateway's Unix socket. From one client in one session, in one run, interleaved request by
request so that a load drifting on a shared machine weighs on all three alike, this measures:

  relay   http://127.0.0.1:4870/v1 -> systemd-socket-proxyd -> gateway -> fake upstream
  unix    the gateway's Unix socket directly             -> gateway -> fake upstream
  direct  the fake upstream itself, a second copy of tests/fake-llm started inside the same
          session on its loopback (the gateway's own upstream is out of the session's reach
          by design), with the same script

for GET /v1/models (answered by the gateway from its configuration, by the fake from its own)
and a short non-streamed chat completion, each on one kept-alive connection and on a new
connection per request. Prints median and p90 (ms), what the relay adds over the Unix socket
and what the gateway adds over the upstream, the goal, and one JSON line last.

Runs as root on a systemd host with OpenMono installed, or in the test bed:

    scripts/testbed.sh run bench/model-endpoint.py [--requests N] [--policy none|intranet]

It starts the fake upstream as a transient unit and restarts openmono-gatewayd with a
gateway.conf of its own (the one there is put back afterwards). bench/run.sh runs it with the
other benchmarks. The goal, under 1 ms median added by the relay, is the one the project set
for its egress proxy on loopback; the model URL has no goal of its own.
"""

import argparse
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_LLM_DIR = os.path.join(HERE, "..", "tests", "fake-llm")
PYTHON = "/usr/bin/python3"
GATEWAY_CONF = "/etc/openmono/gateway.conf"
INFERENCE_SOCKET = "/run/openmono/inference.sock"
RELAY_PORT = 4870
HOST_FAKE_PORT = 18097          # the gateway's upstream, on the host
SESSION_FAKE_PORT = 18098       # the copy inside the session
UNIT = "openmono-bench-model-llm"
USER = "ombm"
GOAL_ADDED_MS = 1.0
MODEL = "bench-model"
SCRIPT = {"responses": [{"content": "ok"}], "repeat_last": True}
CHAT = json.dumps({"model": MODEL, "stream": False, "max_tokens": 8,
                   "messages": [{"role": "user", "content": "say ok"}]}).encode()


# ---- inside the session ------------------------------------------------------------------

# The fake upstream with TCP_NODELAY on its connections, as real model servers have (llama.cpp,
# uvicorn under vLLM): Python's http.server writes the headers and the body in two sends, and
# with Nagle's algorithm the body then waits for the client's delayed ACK, 40 ms on Linux, which
# would drown what is measured here.
FAKE_LLM_NODELAY = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("fake_llm", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
m.Handler.disable_nagle_algorithm = True
sys.argv = sys.argv[1:]
m.main()
"""


def fake_llm_command(fake_dir, script, port):
    return [PYTHON, "-B", "-c", FAKE_LLM_NODELAY, os.path.join(fake_dir, "fake-llm.py"), "--script", script,
            "--port", str(port)]


def open_target(target):
    kind, where = target
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(where)
    else:
        s = socket.create_connection(where)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request_bytes(kind):
    if kind == "models":
        return b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n"
    return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nAuthorization: Bearer openmono\r\n"
            b"Content-Length: %d\r\n\r\n" % len(CHAT)) + CHAT


def read_response(s, buf):
    """Reads one HTTP/1.1 response (Content-Length or chunked); returns (status, leftover)."""
    while b"\r\n\r\n" not in buf:
        buf += recv(s)
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(b":") for ln in lines[1:])}
    if b"content-length" in headers:
        n = int(headers[b"content-length"])
        while len(rest) < n:
            rest += recv(s)
        return status, rest[n:]
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while True:
            while b"\r\n" not in rest:
                rest += recv(s)
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                rest += recv(s)
            rest = rest[size + 2:]
            if size == 0:
                return status, rest
    while True:                 # no length: the body ends with the connection
        b = s.recv(65536)
        if not b:
            return status, b""


def recv(s):
    b = s.recv(65536)
    if not b:
        raise ConnectionError("connection closed mid-response")
    return b


class Client:
    """One target: a kept-alive connection, or a new one per request."""

    def __init__(self, target, keep_alive):
        self.target, self.keep_alive, self.sock, self.buf = target, keep_alive, None, b""

    def request(self, kind):
        t0 = time.perf_counter_ns()
        if self.sock is None:
            self.sock, self.buf = open_target(self.target), b""
        self.sock.sendall(request_bytes(kind))
        status, self.buf = read_response(self.sock, self.buf)
        if not self.keep_alive:
            self.sock.close()
            self.sock = None
        t = time.perf_counter_ns() - t0
        if status != 200:
            raise RuntimeError(f"{self.target}: HTTP {status} for {kind}")
        return t / 1e6


def wait_port(port, secs=15):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def inside(a):
    script = os.path.join(a.dir, "script.json")
    with open(script, "w") as f:
        json.dump(SCRIPT, f)
    fake = subprocess.Popen(fake_llm_command(os.path.join(a.dir, "fake-llm"), script, SESSION_FAKE_PORT),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(SESSION_FAKE_PORT)
        wait_port(RELAY_PORT)
        targets = {"relay": ("tcp", ("127.0.0.1", RELAY_PORT)), "unix": ("unix", a.socket),
                   "direct": ("tcp", ("127.0.0.1", SESSION_FAKE_PORT))}
        out = {}
        for kind in ("models", "chat"):
            for keep_alive in (True, False):
                clients = {name: Client(t, keep_alive) for name, t in targets.items()}
                for _ in range(a.warmup):
                    for c in clients.values():
                        c.request(kind)
                times = {name: [] for name in clients}
                for _ in range(a.requests):
                    for name, c in clients.items():
                        times[name].append(c.request(kind))
                out[f"{kind}/{'keep-alive' if keep_alive else 'new-connection'}"] = times
        json.dump(out, sys.stdout)
    finally:
        fake.terminate()
        fake.wait()
    return 0


# ---- on the host: set up, start the session, report ------------------------------------

def sh(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, **kw)


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(p / 100 * len(xs) + 0.999) - 1))]


def median(xs):
    return percentile(xs, 50)


def ensure_user():
    try:
        pw = pwd.getpwnam(USER)
    except KeyError:
        sh("useradd", "-m", USER)
        pw = pwd.getpwnam(USER)
    ws = os.path.join(pw.pw_dir, "ws")
    os.makedirs(ws, exist_ok=True)
    os.chown(ws, pw.pw_uid, pw.pw_gid)
    return pw, ws


def stage(pw, ws):
    """Copies this script and the fake upstream into the workspace, where the session sees them
    whatever the source tree's place (ProtectHome= hides a tree under /home)."""
    d = os.path.join(ws, ".bench")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(FAKE_LLM_DIR, os.path.join(d, "fake-llm"), ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.abspath(__file__), os.path.join(d, "model-endpoint.py"))
    for root, dirs, files in os.walk(d):
        for n in [root] + [os.path.join(root, x) for x in files]:
            os.chown(n, pw.pw_uid, pw.pw_gid)
    return d


def start_upstream(workdir):
    script = os.path.join(workdir, "upstream-script.json")
    with open(script, "w") as f:
        json.dump(SCRIPT, f)
    sh("systemctl", "stop", UNIT, check=False, stderr=subprocess.DEVNULL)
    sh("systemd-run", "--quiet", f"--unit={UNIT}", "--collect", "-p", "Type=exec",
       *fake_llm_command(os.path.abspath(FAKE_LLM_DIR), script, HOST_FAKE_PORT))
    wait_port(HOST_FAKE_PORT)


def configure_gateway(saved):
    if os.path.exists(GATEWAY_CONF) and not os.path.exists(saved):
        os.rename(GATEWAY_CONF, saved)
    os.makedirs(os.path.dirname(GATEWAY_CONF), exist_ok=True)
    with open(GATEWAY_CONF, "w") as f:
        f.write(f"[Upstream]\nName=bench\nURL=http://127.0.0.1:{HOST_FAKE_PORT}/v1\nModels={MODEL}:fake-model\n")
    sh("systemctl", "enable", "--now", "--quiet", "openmono-gatewayd.socket")
    sh("systemctl", "try-restart", "openmono-gatewayd.service")


def restore(saved):
    sh("systemctl", "stop", UNIT, check=False, stderr=subprocess.DEVNULL)
    if os.path.exists(saved):
        os.replace(saved, GATEWAY_CONF)
    elif os.path.exists(GATEWAY_CONF):
        os.unlink(GATEWAY_CONF)
    sh("systemctl", "try-restart", "openmono-gatewayd.service", check=False)


def run_session(a, pw, ws, d):
    cmd = ["runuser", "-u", USER, "--", "openmonoctl", "run", "--pipe", "--network", a.policy, "-w", ws, "--",
           PYTHON, "/workspace/.bench/model-endpoint.py", "--inside", "--dir", "/workspace/.bench",
           "--socket", INFERENCE_SOCKET, "--requests", str(a.requests), "--warmup", str(a.warmup)]
    p = sh(*cmd, stdout=subprocess.PIPE, text=True, cwd="/")
    return json.loads(p.stdout)


def report(a, res):
    print(f"Model endpoint from inside a '{a.policy}' session, {a.requests} interleaved requests each "
          f"({os.cpu_count()} CPUs), ms")
    print(f"  {'median/p90 (ms)':<36}{'direct':>16}{'unix socket':>16}{'relay :4870':>16}{'relay adds':>12}{'gateway adds':>14}")
    summary = {}
    for key, times in res.items():
        row = {n: (median(t), percentile(t, 90)) for n, t in times.items()}
        relay_adds = row["relay"][0] - row["unix"][0]
        gateway_adds = row["unix"][0] - row["direct"][0]
        cells = "".join(f"{row[n][0]:>9.3f}/{row[n][1]:<6.3f}" for n in ("direct", "unix", "relay"))
        print(f"  {key:<36}{cells}{relay_adds:>+12.3f}{gateway_adds:>+14.3f}")
        summary[key] = {n: {"median_ms": round(row[n][0], 4), "p90_ms": round(row[n][1], 4)} for n in row}
        summary[key]["relay_added_median_ms"] = round(relay_adds, 4)
        summary[key]["gateway_added_median_ms"] = round(gateway_adds, 4)
    print("  (the gateway answers /v1/models from its configuration, faster than the Python fake upstream)")
    worst = max(v["relay_added_median_ms"] for v in summary.values())
    met = worst < GOAL_ADDED_MS
    print(f"  goal: the relay adds under {GOAL_ADDED_MS:.0f} ms median over the Unix socket; worst case "
          f"{worst:+.3f} ms: {'met' if met else 'NOT met'}")
    print(json.dumps({"bench": "model-endpoint", "policy": a.policy, "requests": a.requests, "results": summary,
                      "goal_relay_added_median_ms": GOAL_ADDED_MS, "worst_relay_added_median_ms": round(worst, 4),
                      "goal_met": met}))
    return met


def outside(a):
    if os.geteuid() != 0:
        print("model-endpoint.py: needs root (it starts units and sessions)", file=sys.stderr)
        return 2
    pw, ws = ensure_user()
    d = stage(pw, ws)
    workdir = tempfile.mkdtemp(prefix="openmono-bench-")
    saved = GATEWAY_CONF + ".bench-saved"
    try:
        start_upstream(workdir)
        configure_gateway(saved)
        res = run_session(a, pw, ws, d)
    finally:
        restore(saved)
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
    met = report(a, res)
    return 1 if a.check and not met else 0


def main():
    p = argparse.ArgumentParser(description="The model endpoint's added latency, from inside a session.")
    p.add_argument("--requests", type=int, default=500, help="requests per target and case (default 500)")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--policy", default="none", help="the session's network policy (default none)")
    p.add_argument("--check", action="store_true", help="exit 1 if the goal is not met")
    p.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--dir", help=argparse.SUPPRESS)
    p.add_argument("--socket", default=INFERENCE_SOCKET, help=argparse.SUPPRESS)
    a = p.parse_args()
    return inside(a) if a.inside else outside(a)


if __name__ == "__main__":
    sys.exit(main())
