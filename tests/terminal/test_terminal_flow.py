"""The whole flow by keys alone, in a real 80x24 terminal under each TERM: open the demo, approve the
plan, watch it run, answer a question, accept a review, quit, reopen, resume, finish."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from isolation import config_home_env

from codeframe_tui.runner.sandbox import probe_bwrap

from .test_terminal_smoke import APP, TERMINALS, app_env
from .tmux import TmuxSession

pytestmark = pytest.mark.terminal

LATENCY = "0.15"  # the scripted model's seconds per call: quick, yet slow enough to watch


def status(demo: Path, home: Path) -> dict:
    """The project's state as `codeframe-tui status --json` reads it (read-only, beside the live run)."""
    proc = subprocess.run([sys.executable, "-m", "codeframe_tui", "status", str(demo), "--json"],
                          capture_output=True, text=True, timeout=30, env={**config_home_env(),
                                                                           "PATH": "/usr/bin:/bin", "HOME": str(home)})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def accept_everything_waiting(t: TmuxSession) -> None:
    """b, then y on each item (yes to a question, accept for a review), then back."""
    t.send("b")
    t.wait_for("Inbox · oldest first", timeout=10)
    for _ in range(8):
        screen = t.screen()
        if not re.search(r"^│[?◆] ", screen, re.MULTILINE):
            break
        t.send("y")
        time.sleep(0.8)  # decision keys rest 0.6 s after an item slides in (a double y is not a mistake)
    t.send("Escape")
    t.wait_gone("Inbox · oldest first", timeout=10)


def quit_by_keys(t: TmuxSession) -> None:
    """q; with agents at work the app asks first, and y confirms. Either way it exits 0."""
    t.send("q")
    deadline = time.monotonic() + 10
    while t.alive() and time.monotonic() < deadline:
        if "Stop the agents and quit?" in t.screen():
            t.send("y")
            break
        time.sleep(0.1)
    assert t.wait_exit(timeout=30) == 0


# The whole flow (24 s a terminal) under the richest and the poorest terminal; the smoke tests
# check all four draw and get their environment. CODEFRAME_ALL_TERMINALS=1 runs it under all four.
FLOW_TERMINALS = TERMINALS if os.environ.get("CODEFRAME_ALL_TERMINALS") else [
    t for t in TERMINALS if t.id in ("xterm-256color", "vt100")]


@pytest.mark.parametrize(("term", "extra"), FLOW_TERMINALS)
def test_the_whole_flow_by_keys_alone(tmp_path, term, extra):
    if not APP.exists():
        pytest.skip(f"{APP} is not installed (pip install -e .)")
    demo, env = tmp_path / "demo", app_env(tmp_path, **extra)
    home = Path(env["HOME"])
    argv = [str(APP), "demo", "--dir", str(demo), "--review", "review", "--latency", LATENCY]
    with TmuxSession(argv, env=env, term=term, cwd=tmp_path) as t:
        t.wait_for("PLAN REVIEW · OFFLINE DEMO", timeout=20)
        t.wait_for(re.compile(r"\bq Quit\b"), timeout=5)
        t.send("A")  # approve every task
        t.wait_for("Approved 8 task(s)", timeout=5)
        t.send("s")  # start the run
        t.wait_for(re.compile(r"running|● "), timeout=20)  # agents at work, on the main screen
        if asyncio.run(probe_bwrap()) is None:  # the header says where the agents' commands run
            t.wait_for(re.compile(r"sandbox: bwrap · no network —|bwrap · no network —|\bbwrap —"), timeout=10)
        # Reviews come up (which task first depends on timing), and 1.3's agent asks its yes/no
        # question: one at a time, by keys.
        t.wait_for("waiting (b)", timeout=40)
        answered = accepted = False
        deadline = time.monotonic() + 60
        while not (answered and accepted) and time.monotonic() < deadline:
            before = status(demo, home)
            accept_everything_waiting(t)
            after = status(demo, home)
            accepted = accepted or after["counts"].get("done", 0) > before["counts"].get("done", 0)
            answered = answered or any(task["task_id"] == "1.3" and task["status"] != "blocked"
                                       for task in after["tasks"]) and before["waiting"] != after["waiting"]
            if not (answered and accepted):
                t.wait_for("waiting (b)", timeout=40)
        assert answered and accepted, t.screen()
        quit_by_keys(t)
        assert not t.modes().get("mouse_any_flag")

    left = status(demo, home)
    assert left["run"]["state"] == "stopped"  # reviews still waited: the run was open when we quit
    assert "running" not in left["counts"]  # a clean quit leaves nothing marked running
    done_before = {task["task_id"] for task in left["tasks"] if task["status"] == "done"}
    assert done_before, left  # what was accepted is done, and stays done through the resume

    # Reopen: the interrupted run is offered, resumed with y, and finished (the config reviews
    # automatically now; what already waits for review is accepted from the inbox).
    argv = [str(APP), "demo", "--dir", str(demo), "--latency", LATENCY]
    with TmuxSession(argv, env=env, term=term, cwd=tmp_path) as t:
        t.wait_for("Resume the interrupted run?", timeout=20)
        t.send("y")
        deadline = time.monotonic() + 120
        while status(demo, home)["counts"] != {"done": 8}:
            assert time.monotonic() < deadline, t.screen()
            if "waiting (b)" in t.screen():
                accept_everything_waiting(t)
            time.sleep(0.5)
        quit_by_keys(t)
    final = status(demo, home)
    assert final["counts"] == {"done": 8} and final["run"]["state"] == "finished"
    assert done_before <= {task["task_id"] for task in final["tasks"] if task["status"] == "done"}
