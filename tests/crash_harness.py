"""Crash harness: SIGKILL the headless demo at random moments, resume each run to the end, and check
that nothing was lost. `make crash-test` runs 20 kills; the test suite runs 3 (tests/engine/test_crash.py).

    python tests/crash_harness.py --kills 20 [--seed N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from isolation import config_home_env
from support import unconfined_runs

LATENCY = "0.05"  # scripted model seconds per call: the demo takes some 8-15 s on 2 busy cores
TASKS = 8


@dataclass
class Round:
    number: int
    kill_after: float
    killed: bool = False  # False when the run ended before the kill came
    phase: str = ""  # what the store said at the kill: "no plan yet", or task counts
    problems: list[str] = field(default_factory=list)
    resume_seconds: float = 0.0
    strays: int = 0  # processes of the killed run still alive when the resume started


def _env(home: Path) -> dict[str, str]:
    return {**config_home_env(), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}


def _cli(*args: str, home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codeframe_tui", *args], capture_output=True, text=True,
                          timeout=timeout, env=_env(home))


def live_processes():
    """(pid, cwd, command line) of every live (not zombie) process but this one, read from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
                continue
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        yield int(entry.name), cwd, cmdline


def processes_under(folder: Path) -> list[int]:
    """Live processes working in `folder` or naming it: the app and every test process it started."""
    return [pid for pid, cwd, cmdline in live_processes()
            if cwd == str(folder) or cwd.startswith(f"{folder}/") or str(folder) in cmdline]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _phase(demo: Path) -> str:
    db = demo / ".codeframe" / "state.db"
    if not db.exists():
        return "no plan yet"
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            rows = conn.execute("SELECT status, COUNT(*) FROM tasks GROUP BY status").fetchall()
    except sqlite3.Error as exc:
        return f"unreadable ({exc})"
    return ", ".join(f"{n} {s}" for s, n in sorted(rows)) or "no plan yet"


def run_round(number: int, kill_after: float, workdir: Path) -> Round:
    result = Round(number, kill_after)
    demo, home = workdir / f"demo-{number}", workdir / "home"
    home.mkdir(exist_ok=True)
    app = subprocess.Popen([sys.executable, "-m", "codeframe_tui", "demo", "--headless", "--json", "--dir",
                            str(demo), "--latency", LATENCY], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=_env(home))
    try:
        app.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        result.phase = _phase(demo)
        os.kill(app.pid, signal.SIGKILL)  # the app only: its test processes are left, as a crash leaves them
        app.wait()
        result.killed = True
    old = [p for p in processes_under(demo) if p != app.pid]
    result.strays = len(old)

    started = time.monotonic()
    resumed = _cli("demo", "--headless", "--json", "--resume", "--dir", str(demo), "--latency", LATENCY, home=home)
    result.resume_seconds = time.monotonic() - started
    if resumed.returncode != 0:
        result.problems.append(f"resume exited {resumed.returncode}: {resumed.stderr.strip()[-500:]}")
    result.problems += check(demo, home, old)
    return result


def check(demo: Path, home: Path, old_processes: list[int]) -> list[str]:
    """Everything the crash may not have cost; returns what is wrong."""
    problems = []
    status = _cli("status", str(demo), "--json", home=home)
    if status.returncode != 0:
        return [f"status failed: {status.stderr.strip()}"]
    state = json.loads(status.stdout)
    problems.extend(unconfined_runs(demo / ".codeframe" / "state.db"))  # each resumed run confined too
    if state["counts"] != {"done": TASKS} or len(state["tasks"]) != TASKS:
        problems.append(f"tasks not all done: {state['counts']}")
    db = demo / ".codeframe" / "state.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
        over = conn.execute("SELECT key, retries FROM tasks WHERE retries > 1").fetchall()  # max_retries = 1
        if over:
            problems.append(f"tasks past their attempt count: {over}")
        extras = {key: json.loads(extra) for key, extra in conn.execute("SELECT key, extra FROM tasks")}
    for key, extra in extras.items():  # undo needs each task's own merge commit, on the base
        commit = extra.get("landed_commit", "")
        on_base = commit and subprocess.run(["git", "-C", str(demo), "merge-base", "--is-ancestor", commit, "HEAD"],
                                            capture_output=True).returncode == 0
        if not on_base:
            problems.append(f"task {key} has no landed merge commit on the base: {commit!r}")
    merges = subprocess.run(["git", "-C", str(demo), "log", "--merges", "--format=%s", "main"],
                            capture_output=True, text=True).stdout.splitlines()
    landed: dict[str, int] = {}
    for subject in merges:  # "Land 1.2: title", one merge commit per landing (see engine/landing.py)
        if subject.startswith("Land ") and ":" in subject:
            key = subject[5:subject.index(":")]
            landed[key] = landed.get(key, 0) + 1
    twice = {k: n for k, n in landed.items() if n > 1}
    if twice:
        problems.append(f"tasks merged more than once: {twice}")
    for path in demo.rglob("*"):
        parts = path.relative_to(demo).parts
        if ".git" in parts or ".codeframe" in parts:
            continue
        if path.name.startswith(".cf-") and path.name.endswith(".tmp"):
            problems.append(f"staged temp left: {path.relative_to(demo)}")
        elif path.suffix == ".py" and path.is_file():
            try:
                compile(path.read_bytes(), str(path), "exec")
            except (SyntaxError, ValueError) as exc:
                problems.append(f"half-written file {path.relative_to(demo)}: {exc}")
    for leftover in ("journal", "processes"):
        folder = demo / ".codeframe" / leftover
        if folder.is_dir() and any(folder.iterdir()):
            problems.append(f".codeframe/{leftover} not empty: {sorted(p.name for p in folder.iterdir())}")
    plain = ["-p", "no:cacheprovider", "--disable-plugin-autoload"]  # the demo's tests need no plugin
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", *plain],
                           cwd=demo, capture_output=True, text=True, timeout=120, env=_env(home))
    if tests.returncode != 0:
        problems.append(f"the project's own tests fail after resume: {tests.stdout.strip()[-300:]}")
    survivors = [p for p in old_processes if _alive(p)] + processes_under(demo)
    if survivors:
        problems.append(f"processes of the old run survive: {sorted(set(survivors))}")
    return problems


def run(kills: int, seed: int, workdir: Path, out=sys.stdout) -> list[Round]:
    """Rounds until `kills` runs were killed mid-way (a run that ends before its moment is checked,
    and does not count). Moments spread over the whole demo, its set-up included."""
    rng = random.Random(seed)
    rounds: list[Round] = []
    while sum(r.killed for r in rounds) < kills and len(rounds) < 3 * kills:
        moment = rng.uniform(0.1, 10.0)
        result = run_round(len(rounds) + 1, moment, workdir)
        rounds.append(result)
        verdict = "ok" if not result.problems else "FAILED: " + "; ".join(result.problems)
        what = (f"killed at {moment:5.2f}s ({result.phase}; {result.strays} stray processes)" if result.killed
                else f"ended before {moment:.2f}s")
        print(f"round {result.number:2d}: {what}; resumed in {result.resume_seconds:.1f}s: {verdict}", file=out,
              flush=True)
    return rounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None, help="for a repeatable run (default: random, printed)")
    parser.add_argument("--keep", type=Path, help="keep the demo folders here (default: a temp folder, removed)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"crash harness: {args.kills} kills, seed {seed}", flush=True)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        rounds = run(args.kills, seed, args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="codeframe-crash-") as tmp:
            rounds = run(args.kills, seed, Path(tmp))
    failed = [r for r in rounds if r.problems]
    killed = sum(r.killed for r in rounds)
    strays = sum(r.strays for r in rounds)
    print(f"{len(rounds)} rounds, {killed} killed mid-run, {strays} stray processes ended, {len(failed)} failed; "
          f"rounds with tasks lost: {sum(1 for r in failed if any('not all done' in p for p in r.problems))}",
          flush=True)
    return 1 if failed or killed < args.kills else 0


if __name__ == "__main__":
    sys.exit(main())
