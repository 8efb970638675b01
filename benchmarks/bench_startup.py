"""Start-up: `codeframe-tui PATH` to its first frame and to the plan on screen, and `--help`, as a person runs them.

1. A project with a 100-task plan (imported, so the tasks are proposed and the app opens on plan
   review and waits there: nothing runs, no model is called). `codeframe-tui PATH` runs as a real
   subprocess in a pseudo-terminal of 80x24 (TERM=xterm-256color), exactly as from a shell. The
   clock starts before the process is spawned and stops when the terminal has received:
   - the first frame: the header's title (CodeFRAME) and the footer's keys. Target ≤ 0.8 s;
   - the plan on screen: plan review's header with the plan's count. Reported against 0.8 s too.
   Then the app gets SIGTERM (it quits cleanly, as on a dropped SSH session). A dummy API key and a
   base URL on a closed local port mean nothing could reach the network.
2. `codeframe-tui --help` as a subprocess, to its exit. Target ≤ 0.3 s.
Each is the median of several runs (the machine is shared; the spread is in the note).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import io
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from harness import Bench

from codeframe_tui.cli import tools as cli_tools
from codeframe_tui.cli.main import build_parser

FRAME_TARGET_S = 0.8
HELP_TARGET_S = 0.3
TASKS = 100
_ESCAPE = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78cDEHM]")
clock = time.perf_counter


def command() -> list[str]:
    script = Path(sys.executable).with_name("codeframe-tui")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "codeframe_tui"]


def child_env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TERM": "xterm-256color",
            "LANG": "C.UTF-8", "ANTHROPIC_API_KEY": "sk-ant-bench-dummy-key-never-sent-0000",
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}


def make_project(root: Path) -> Path:
    """A folder with a checklist of TASKS items, imported as a plan of proposed tasks."""
    project = root / "project"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "0"\n')
    plan = root / "TODO.md"
    plan.write_text("# Plan\n\n" + "".join(f"- [ ] Item {n}: make part {n} of the widget export work\n"
                                           for n in range(1, TASKS + 1)))
    args = build_parser().parse_args(["import", str(plan), "--project", str(project)])
    with contextlib.redirect_stdout(io.StringIO()):
        if asyncio.run(cli_tools.import_plan(args)) != 0:
            raise SystemExit("could not import the plan")
    return project


def open_in_pty(project: Path, home: Path) -> tuple[float, float]:
    """Seconds from spawn to the first frame, and to the plan review on screen."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    started = clock()
    proc = subprocess.Popen([*command(), str(project)], stdin=follower, stdout=follower, stderr=follower,
                            env=child_env(home), cwd=home, start_new_session=True, close_fds=True)
    os.close(follower)
    seen = b""
    first = review = None
    try:
        while review is None and clock() - started < 60:
            ready, _, _ = select.select([leader], [], [], 0.05)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                seen += os.read(leader, 65536)
            except OSError:
                break
            text = _ESCAPE.sub(b"", seen)
            if first is None and b"CodeFRAME" in text and b"Quit" in text:
                first = clock() - started
            if b"plan review" in text and f"{TASKS} proposed".encode() in text:
                review = clock() - started
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        _drain(leader, proc)
        os.close(leader)
    if first is None or review is None:
        tail = _ESCAPE.sub(b"", seen)[-600:].decode("utf-8", "replace")
        raise SystemExit(f"no frame from {command()} (exit {proc.returncode}): {tail!r}")
    return first, review


def _drain(leader: int, proc: subprocess.Popen) -> None:
    """Keep reading until the app has exited (a full pty would block its last writes), then reap it."""
    deadline = clock() + 20
    while proc.poll() is None and clock() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.05)
        if ready:
            try:
                os.read(leader, 65536)
            except OSError:
                break
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def help_time(home: Path) -> float:
    started = clock()
    proc = subprocess.run([*command(), "--help"], capture_output=True, env=child_env(home), cwd=home, timeout=60)
    took = clock() - started
    if proc.returncode != 0 or b"usage" not in proc.stdout:
        raise SystemExit(f"--help failed: {proc.stderr[-400:]!r}")
    return took


def spread(values: list[float]) -> str:
    return f"median of {len(values)}; min {min(values):.2f} s, max {max(values):.2f} s"


def main() -> None:
    bench = Bench("startup", __doc__.splitlines()[0])
    runs = 2 if bench.short else 7
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        home = Path(tmp)
        project = make_project(home)
        help_time(home)  # the first run warms the disk cache for every later one
        helps = [help_time(home) for _ in range(runs)]
        opened = [open_in_pty(project, home) for _ in range(runs)]
    firsts, reviews = [o[0] for o in opened], [o[1] for o in opened]
    bench.report("codeframe-tui PATH → first frame", statistics.median(firsts), "s", FRAME_TARGET_S,
                 note=f"a real process in an 80x24 pty, {TASKS}-task project; {spread(firsts)}")
    bench.report("codeframe-tui PATH → plan on screen", statistics.median(reviews), "s", FRAME_TARGET_S,
                 note=f"plan review's header showing the {TASKS} tasks; {spread(reviews)}")
    bench.report("codeframe-tui --help", statistics.median(helps), "s", HELP_TARGET_S,
                 note=f"to exit; {spread(helps)}")
    bench.save()


if __name__ == "__main__":
    main()
