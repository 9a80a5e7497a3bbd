#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The agent's own cost: openmono-agent runs a scripted STEPS-step session against tests/fake-llm
# (every answer delayed by LATENCY seconds, tool calls of every kind, outputs of a few KB) and
# this reports its peak RSS (VmHWM, sampled from /proc while it runs, split into anonymous memory
# and pages of mapped library files, which other processes share) and its
# overhead per step, i.e. wall time minus the fake model's time, next to that model time.
#
# Needs no root and no systemd: run it on any machine where the agent is built.
#   bench/agent.sh [STEPS] [LATENCY]          (defaults: 50 steps, 0.05 s)
# Set OPENMONO_AGENT to the binary (default: build/src/agent/openmono-agent).
set -euo pipefail

STEPS=${1:-50}
LATENCY=${2:-0.05}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AGENT=${OPENMONO_AGENT:-$HERE/../build/src/agent/openmono-agent}
FAKE=$HERE/../tests/fake-llm/fake-llm.py

[[ "${1:-}" == -h || "${1:-}" == --help ]] && { sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
[[ -x "$AGENT" ]] || { echo "openmono-agent not found at $AGENT (set OPENMONO_AGENT)" >&2; exit 1; }

exec /usr/bin/python3 - "$AGENT" "$FAKE" "$STEPS" "$LATENCY" <<'EOF_PY'
import json, os, shutil, subprocess, sys, tempfile, time

agent, fake, steps, latency = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
tmp = tempfile.mkdtemp(prefix="openmono-bench-agent-")
ws = os.path.join(tmp, "ws")
os.makedirs(ws)
with open(os.path.join(ws, "notes.txt"), "w") as f:
    f.write("".join("line %d of the notes, with some text to search\n" % i for i in range(200)))

def step(i):
    k = i % 6
    if k == 0:
        return {"name": "bash", "arguments": {"command": "seq 1 500 | tail -n 3; echo step %d" % i}}
    if k == 1:
        return {"name": "read_file", "arguments": {"path": "notes.txt"}}
    if k == 2:
        return {"name": "write_file", "arguments": {"path": "out/f%d.txt" % i, "content": "x" * 2000}}
    if k == 3:
        return {"name": "edit_file", "arguments": {"path": "notes.txt", "old_text": "line %d of" % i,
                                                   "new_text": "LINE %d of" % i}}
    if k == 4:
        return {"name": "grep", "arguments": {"pattern": "LINE [0-9]+"}}
    return {"name": "glob", "arguments": {"pattern": "**/*.txt"}}

responses = [{"content": "Step %d." % i, "tool_calls": [step(i)], "latency": latency, "chunk_size": 16}
             for i in range(steps - 1)]
responses.append({"content": "All done.", "latency": latency})
script = os.path.join(tmp, "script.json")
with open(script, "w") as f:
    json.dump({"responses": responses}, f)
port_file = os.path.join(tmp, "port")
llm = subprocess.Popen(["/usr/bin/python3", fake, "--script", script, "--port", "0", "--port-file", port_file],
                       stderr=subprocess.DEVNULL)
try:
    while not os.path.exists(port_file):
        time.sleep(0.02)
    port = int(open(port_file).read())
    args = [agent, "--endpoint", "http://127.0.0.1:%d/v1" % port, "-w", ws, "--state-dir", os.path.join(tmp, "state"),
            "--max-steps", str(steps + 1), "--task", "benchmark"]
    start = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0, "Pss": 0, "Unique": 0}
    while proc.poll() is None:
        try:
            with open("/proc/%d/status" % proc.pid) as f:
                for line in f:
                    key = line.split(":")[0]
                    if key in peak:
                        peak[key] = max(peak[key], int(line.split()[1]))
            # What one more agent costs the host: its private pages (USS), and its share of
            # the library pages all processes map (PSS).
            private = 0
            with open("/proc/%d/smaps_rollup" % proc.pid) as f:
                for line in f:
                    key = line.split(":")[0]
                    if key == "Pss":
                        peak["Pss"] = max(peak["Pss"], int(line.split()[1]))
                    elif key in ("Private_Clean", "Private_Dirty"):
                        private += int(line.split()[1])
            peak["Unique"] = max(peak["Unique"], private)
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            pass
        time.sleep(0.005)
    wall = time.monotonic() - start
    status = proc.returncode
finally:
    llm.terminate()
    llm.wait()

model = steps * latency
print("openmono-agent, %d-step scripted session against fake-llm (exit status %d)" % (steps, status))
# ru_maxrss is no use here: it counts the forked Python before exec().
print("  %-44s %8.1f MB" % ("peak RSS (VmHWM, sampled every 5 ms)", peak["VmHWM"] / 1024))
print("  %-44s %8.1f MB" % ("  of it at most anonymous (RssAnon)", peak["RssAnon"] / 1024))
print("  %-44s %8.1f MB" % ("  of it at most shared-library files (RssFile)", peak["RssFile"] / 1024))
print("  %-44s %8.1f MB" % ("peak private memory (USS: what one more costs)", peak["Unique"] / 1024))
print("  %-44s %8.1f MB" % ("peak PSS (shared pages split among users)", peak["Pss"] / 1024))
print("  %-44s %8.1f s" % ("wall time", wall))
print("                                                 per step")
print("  %-44s %8.1f ms" % ("fake model latency", latency * 1000))
print("  %-44s %8.1f ms" % ("agent overhead (wall - model time)", (wall - model) / steps * 1000))
transcript = os.listdir(os.path.join(tmp, "state", "transcripts"))
print("  transcript: %d bytes" % os.path.getsize(os.path.join(tmp, "state", "transcripts", transcript[0])))
shutil.rmtree(tmp)
sys.exit(0 if status == 0 else 1)
EOF_PY
