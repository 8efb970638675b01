"""Repository map: a worker's first-prompt map of a 10,000-file git repository, cold and cached, off the loop.

The repository is generated: 10,000 small Python files (a constant, a function, a class with a
method) in 10 x 10 x 10 nested folders, committed, the files older than git's index as in a real
checkout (files written in the same second as the index are "racily clean" and make every
`git status` re-read them). The map is codeframe_tui.engine.repomap.repository_map with one file
of the task as its focus and the default budget of 4,000 tokens.

1. Cold build: the map with every cache empty (map and parsed symbols): git rev-parse, status and
   ls-files, the tree, the focus file's symbols and its neighbours'. The median of several runs;
   the note gives the first and the slowest. Target ≤ 1 s.
2. Cached: the same map asked again (git rev-parse and status for the cache key, then a hit). The
   median of 20; target ≤ 50 ms. The note gives a map for another task in the same repository
   (map cache missed, parsed symbols reused).
3. Loop lag during the cold builds: a coroutine sleeps 1 ms again and again and records how late
   each wake-up is (benchmarks/load.py's LagProbe). p99 against 16 ms, one frame at 60 fps; the
   note gives the same probe's p99 on the idle loop just before (what the machine itself adds).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness import Bench
from load import LagProbe, idle_lag, ms, percentile

from codeframe_tui.engine.repomap import clear_caches, repository_map

COLD_TARGET_S = 1.0
CACHED_TARGET_S = 0.05
LAG_TARGET_MS = 16.0
FOCUS = "pkg3/sub4/mod0/file2.py"
OTHER_FOCUS = "pkg7/sub1/mod0/file4.py"
clock = time.perf_counter

BODY = ("CONST_{i} = {i}\n\n\ndef func_{i}(x, y=1):\n    return x + y\n\n\n"
        "class K{i}:\n    def m(self):\n        return {i}\n")


def make_repo(root: Path, mods: int) -> int:
    """10 x 10 x `mods` folders of 10 Python files each, committed; the count of files."""
    old = time.time() - 3600
    count = 0
    for a in range(10):
        for b in range(10):
            for c in range(mods):
                folder = root / f"pkg{a}" / f"sub{b}" / f"mod{c}"
                folder.mkdir(parents=True, exist_ok=True)
                for i in range(10):
                    path = folder / f"file{i}.py"
                    path.write_text(BODY.format(i=i))
                    os.utime(path, (old, old))
                    count += 1
    for args in (("init", "-q", "-b", "main"), ("config", "user.name", "Bench"),
                 ("config", "user.email", "bench@example.com"), ("add", "-A"), ("commit", "-q", "-m", "start")):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return count


@dataclass
class Result:
    colds: list[float]  # seconds per cold build
    cached: list[float]  # seconds per cached map
    other: float  # seconds for another task's map, its symbols cached
    lag: list[float]  # seconds late, per 1 ms tick during the cold builds
    idle_lag: list[float]  # the same on the idle loop before
    tokens: int


async def measure(root: Path, runs: int) -> Result:
    idle = await idle_lag()
    probe = LagProbe(0.001)
    probe.start()
    await asyncio.sleep(0.05)
    colds: list[float] = []
    windows: list[tuple[float, float]] = []
    text = ""
    for _ in range(runs):
        clear_caches()
        started = clock()
        text = await repository_map(root, [FOCUS])
        ended = clock()
        colds.append(ended - started)
        windows.append((started, ended))
        await asyncio.sleep(0.05)
    await probe.stop()
    lag = [late for start, end in windows for late in probe.between(start, end)]

    cached: list[float] = []
    for _ in range(20):
        started = clock()
        again = await repository_map(root, [FOCUS])
        cached.append(clock() - started)
        if again != text:
            raise SystemExit("a cached map differs from the map it caches")
    started = clock()
    await repository_map(root, [OTHER_FOCUS])
    other = clock() - started
    if len(text) // 4 > 4000 or "def func_2(x, y=1)  L4" not in text:
        raise SystemExit(f"the map is wrong:\n{text[:2000]}")
    return Result(colds, cached, other, lag, idle, len(text) // 4)


async def main() -> None:
    bench = Bench("repomap", __doc__.splitlines()[0])
    mods = 1 if bench.short else 10  # the smoke form: 1,000 files
    with tempfile.TemporaryDirectory(prefix="bench-repomap-") as tmp:
        root = Path(tmp) / "repo"
        started = clock()
        files = make_repo(root, mods)
        made = clock() - started
        r = await measure(root, 2 if bench.short else 5)
    bench.report(f"cold build, {files:,} files", statistics.median(r.colds), "s", COLD_TARGET_S,
                 note=f"median of {len(r.colds)}; first {r.colds[0]:.3f} s, slowest {max(r.colds):.3f} s; "
                      f"map {r.tokens:,} tokens; repository made in {made:.1f} s")
    bench.report("cached", statistics.median(r.cached), "s", CACHED_TARGET_S,
                 note=f"median of {len(r.cached)}, slowest {max(r.cached) * 1000:.0f} ms; "
                      f"another task's map (symbols cached) {r.other:.3f} s")
    bench.report("loop lag p99 during cold builds", ms(percentile(r.lag, 99)), "ms", LAG_TARGET_MS,
                 note=f"1 ms ticker, {len(r.lag)} wake-ups; max {ms(max(r.lag, default=0)):.1f} ms; "
                      f"idle loop p99 {ms(percentile(r.idle_lag, 99)):.1f} ms; load {os.getloadavg()[0]:.2f}")
    bench.save()


if __name__ == "__main__":
    asyncio.run(main())
