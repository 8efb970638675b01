"""Load for benchmarks: a project whose test command streams lines at a set rate, and a loop-lag probe.

Generic on purpose (any benchmark may use it): nothing here knows about the TUI.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# The test command every task runs: it prints pytest -v style lines at `rate` lines/s for `seconds`,
# then pytest's summary line, so the runner parses it as a passing pytest run. It paces itself by the
# clock, in 10 ms bursts (one write each), so ten of them give a steady total rate on 2 cores.
STREAMER = '''"""Prints pytest-like lines at a steady rate, then a pytest summary: a stand-in for a chatty suite."""
import sys, time
rate, seconds = float(sys.argv[1]), float(sys.argv[2])
name = sys.argv[3] if len(sys.argv) > 3 else "tests/test_load.py"
total = int(rate * seconds)
start = time.monotonic()
done = 0
while done < total:
    due = min(total, int((time.monotonic() - start) * rate) + 1)
    if due > done:
        sys.stdout.write("".join(
            f"{name}::test_case_{i:05d} PASSED{' ' * 20}[{100 * (i + 1) // total:3d}%]\\n" for i in range(done, due)
        ))
        sys.stdout.flush()
        done = due
    time.sleep(0.01)
print(f"{total} passed in {time.monotonic() - start:.2f}s", flush=True)
'''


def streamer_command(rate: float, seconds: float, python: str = sys.executable) -> list[str]:
    """The argv of a test command that streams `rate` lines/s for `seconds` (run in the project folder).

    -I -S: no site-packages, no user site, no PYTHON* variables: it starts in a few ms and the
    tool's own environment cannot change what it prints.
    """
    return [python, "-I", "-S", "stream_tests.py", f"{rate:g}", f"{seconds:g}"]


def make_streaming_project(root: Path, test_command: Sequence[str], config: dict[str, object]) -> Path:
    """A small Python project in a git repository, with stream_tests.py and a config naming `test_command`
    for every part (backend, frontend, test). `config` holds the top-level keys (max_concurrent = 10...)."""
    (root / "stream_tests.py").parent.mkdir(parents=True, exist_ok=True)
    (root / "stream_tests.py").write_text(STREAMER)
    return make_project(root, test_command, config)


def make_project(root: Path, test_command: Sequence[str], config: dict[str, object],
                 pyproject: str = '[project]\nname = "pkg"\nversion = "0"\n') -> Path:
    """A small Python project (pkg/, one passing test) in a new git repository, whose config names
    `test_command` for every part and holds `config`'s top-level keys."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "tests").mkdir()
    (root / "tests" / "test_base.py").write_text("def test_base():\n    assert True\n")
    (root / "pyproject.toml").write_text(pyproject)
    lines = [f"{key} = {_toml(value)}" for key, value in config.items()]
    quoted = ", ".join(_toml(str(a)) for a in test_command)
    lines += ["[tests]", *(f"{part} = [{quoted}]" for part in ("backend", "frontend", "test"))]
    (root / ".codeframe").mkdir()
    (root / ".codeframe" / "config.toml").write_text("\n".join(lines) + "\n")
    for args in (("init", "-q", "-b", "main"), ("config", "user.name", "Bench"),
                 ("config", "user.email", "bench@example.com"), ("add", "-A"), ("commit", "-q", "-m", "start")):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    (root / ".git" / "info" / "exclude").write_text(".codeframe/\n")
    return root


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class LagProbe:
    """Sleeps `period` again and again on the running loop and records how late each wake-up is.

    A wake-up is late by whatever ran on the loop meanwhile without yielding (plus the selector's
    1 ms rounding), so the lateness is the stall a key press or a frame would have seen.
    """

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.samples: list[tuple[float, float]] = []  # (when it woke, perf_counter; seconds late)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _tick(self) -> None:
        clock = time.perf_counter
        while True:
            before = clock()
            await asyncio.sleep(self.period)
            after = clock()
            self.samples.append((after, max(0.0, after - before - self.period)))

    def between(self, start: float, end: float) -> list[float]:
        return [late for when, late in self.samples if start <= when <= end]


async def bare_loop_lag(streams: int, rate: float, seconds: float, workdir: Path, period: float = 0.005) -> list[float]:
    """The floor: how late a bare asyncio loop wakes while it reads `streams` streamers' pipes, with no
    app and no engine: what the machine itself (its other processes, the pipes) adds to any loop lag.
    The window opens once every streamer has started (starting ten processes at once is a burst of its own)."""
    (workdir / "stream_tests.py").write_text(STREAMER)
    probe = LagProbe(period)
    probe.start()
    procs = [await asyncio.create_subprocess_exec(*streamer_command(rate, seconds), cwd=workdir,
                                                  stdout=asyncio.subprocess.PIPE) for _ in range(streams)]

    async def drain(proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while await proc.stdout.read(64 * 1024):
            pass
        await proc.wait()

    start = time.perf_counter()
    await asyncio.gather(*(drain(p) for p in procs))
    end = time.perf_counter()
    await probe.stop()
    return probe.between(start, end)


async def idle_lag(seconds: float = 0.5, period: float = 0.001) -> list[float]:
    """The probe's lateness on the loop with nothing else to do: what the machine itself adds."""
    idle = LagProbe(period)
    idle.start()
    await asyncio.sleep(seconds)
    await idle.stop()
    return [late for _, late in idle.samples]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def ms(seconds: float) -> float:
    return seconds * 1000.0
