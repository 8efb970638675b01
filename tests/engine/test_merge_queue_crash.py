"""A kill -9 while the merge queue tests a batch: the base holds the whole batch or none of it, and
the resumed run lands what was waiting, each task once, with its merge commit kept for undo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from crash_harness import LATENCY, _cli, _env, check, processes_under


def landed_on(demo) -> list[str]:
    subjects = subprocess.run(["git", "-C", str(demo), "log", "--merges", "--format=%s", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.splitlines()
    return [s[5:s.index(":")] for s in subjects if s.startswith("Land ") and ":" in s]


def test_a_kill_while_a_batch_is_tested_leaves_the_base_whole_and_resumes(tmp_path):
    demo, home = tmp_path / "demo", tmp_path / "home"
    home.mkdir()
    app = subprocess.Popen([sys.executable, "-m", "codeframe_tui", "demo", "--headless", "--json", "--dir", str(demo),
                            "--latency", LATENCY], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           env=_env(home))
    in_flight: dict[tuple[str, ...], bool] = {}  # candidates under test -> speculative
    deadline = time.monotonic() + 120
    try:
        # Killed once two tasks are under test at once: a batch of two, or a speculative candidate
        # on top of another (the demo's graph gives one or the other in its middle phase).
        for line in app.stdout:
            event = json.loads(line) if line.startswith("{") else {}
            if event.get("type") == "landing_batch_started":
                in_flight[tuple(event["tasks"])] = event["speculative"]
            elif event.get("type") == "landing_batch_finished":
                in_flight.pop(tuple(event["tasks"]), None)
            if sum(len(b) for b in in_flight) >= 2 or time.monotonic() > deadline:
                break
    finally:
        os.kill(app.pid, signal.SIGKILL)  # while the suites run (each takes half a second or more)
        app.wait()
        app.stdout.close()
    assert sum(len(b) for b in in_flight) >= 2, "the demo never had two tasks under test at once"
    landed = set(landed_on(demo))
    for batch in in_flight:
        assert set(batch) <= landed or not set(batch) & landed, (batch, landed)  # whole, or not at all
    waiting = {k for batch in in_flight for k in batch} - landed
    status = json.loads(_cli("status", str(demo), "--json", home=home).stdout)
    assert status["counts"].get("landing", 0) >= len(waiting), status["counts"]  # their checks kept

    old = [p for p in processes_under(demo) if p != app.pid]
    resumed = _cli("demo", "--headless", "--json", "--resume", "--dir", str(demo), "--latency", LATENCY, home=home)
    assert resumed.returncode == 0, resumed.stderr[-800:]
    assert check(demo, home, old) == []
    events = [json.loads(x) for x in resumed.stdout.splitlines() if x.startswith("{")]
    recovered = [e for e in events if e.get("type") == "interrupted_run_recovered"]
    assert recovered, "the resume did not say it recovered a killed run"
    assert sorted(landed_on(demo)) == sorted(set(landed_on(demo)))  # each task landed once
    again = {e["task_id"] for e in events if e.get("type") == "task_landed"}
    assert waiting <= again, (waiting, again)  # the resume landed what was waiting, without a new attempt
    restarted = set(recovered[0]["restarted"])
    assert not waiting & restarted, (waiting, restarted)
