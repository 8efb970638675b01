"""A kill -9 in the middle of the agents' edit loops: on resume every file is whole, the journal is
empty, the interrupted tasks start again, and the run ends with everything done and landed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from crash_harness import LATENCY, _cli, _env, check, processes_under


def test_a_kill_in_the_middle_of_edits_leaves_whole_files_and_resumes(tmp_path):
    demo, home = tmp_path / "demo", tmp_path / "home"
    home.mkdir()
    app = subprocess.Popen([sys.executable, "-m", "codeframe_tui", "demo", "--headless", "--json", "--dir", str(demo),
                            "--latency", LATENCY], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           env=_env(home))
    edits = 0
    deadline = time.monotonic() + 120
    try:
        # Kill right after the third edit: tasks are then mid-loop, between their tool calls.
        for line in app.stdout:
            event = json.loads(line) if line.startswith("{") else {}
            if event.get("type") == "tool_used" and event.get("label", "").startswith(("create", "edit")):
                edits += 1
                if edits == 3:
                    break
            if time.monotonic() > deadline:
                break
    finally:
        os.kill(app.pid, signal.SIGKILL)
        app.wait()
        app.stdout.close()
    assert edits == 3, "the demo never reached its third edit"
    old = [p for p in processes_under(demo) if p != app.pid]
    status = json.loads(_cli("status", str(demo), "--json", home=home).stdout)
    assert status["counts"].get("running", 0) >= 1, status["counts"]  # killed with work under way
    resumed = _cli("demo", "--headless", "--json", "--resume", "--dir", str(demo), "--latency", LATENCY, home=home)
    assert resumed.returncode == 0, resumed.stderr[-800:]
    assert check(demo, home, old) == []
    restarted = [json.loads(x) for x in resumed.stdout.splitlines() if x.startswith("{")]
    recovered = [e for e in restarted if e.get("type") == "interrupted_run_recovered"]
    assert recovered and recovered[0]["restarted"], recovered
