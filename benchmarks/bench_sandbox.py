"""Sandbox: what bubblewrap costs a test run, against the same run unconfined.

The demo project with every task's code landed, its pytest run through the runner (run_command)
confined in bwrap and not, interleaved so that the machine's load weighs on both alike; the
median of each. Target: at most 1.15x. The note gives the start cost of one sandboxed process
(`true`: the pids cgroup, bwrap and prlimit), in milliseconds, against an unconfined one.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_first_prompt import make_demo
from harness import Bench

from codeframe_tui.runner import run_command
from codeframe_tui.runner.sandbox import BwrapExecutor, Confinement, LocalExecutor, Sandboxed, probe_bwrap

TARGET = 1.15


async def timed(argv: list[str], cwd: Path, sandbox: Sandboxed) -> float:
    started = time.perf_counter()
    result = await run_command(argv, cwd, timeout=120, sandbox=sandbox)
    if result.exit_code != 0:
        raise SystemExit(f"{argv} failed ({sandbox.executor.name}): {result.output_tail[-500:]}")
    return time.perf_counter() - started


async def started_and_ended(sandbox: Sandboxed, cwd: Path) -> float:
    """One `true`, spawned as the runner spawns it (the cgroup, bwrap, prlimit) and waited for
    directly: run_command polls for the exit every 50 ms, which would hide a few milliseconds."""
    executor, confinement = sandbox.executor, sandbox.confinement
    with executor.scope(confinement) as prefix:
        argv = [*prefix, *executor.wrap(["true"], cwd, confinement)]
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(*argv, cwd=cwd, start_new_session=True)
        await proc.wait()
        took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed with {proc.returncode}")
    return took


async def main() -> None:
    bench = Bench("sandbox", __doc__.splitlines()[0])
    problem = await probe_bwrap()
    if problem is not None:
        print(f"skipped: {problem}")
        return
    runs = 3 if bench.short else 9
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        demo = Path(tmp) / "demo"
        make_demo(demo)
        confinement = Confinement(writable=(demo,))
        boxed, plain = Sandboxed(BwrapExecutor(), confinement), Sandboxed(LocalExecutor(), confinement)
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        times: dict[str, list[float]] = {"bwrap": [], "none": []}
        starts: dict[str, list[float]] = {"bwrap": [], "none": []}
        for _ in range(runs):
            for name, sandbox in (("bwrap", boxed), ("none", plain)):
                times[name].append(await timed(pytest, demo, sandbox))
                starts[name] += [await started_and_ended(sandbox, demo) for _ in range(10)]
    confined, unconfined = statistics.median(times["bwrap"]), statistics.median(times["none"])
    start_ms = statistics.median(starts["bwrap"]) * 1000
    bench.report("sandboxed pytest of the demo / unconfined", confined / unconfined, "×", TARGET,
                 note=f"median of {runs}: {confined:.2f} s against {unconfined:.2f} s; one sandboxed start "
                      f"{start_ms:.1f} ms (unconfined {statistics.median(starts['none']) * 1000:.2f} ms)")
    bench.save()


if __name__ == "__main__":
    asyncio.run(main())
