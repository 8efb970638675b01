"""The merge queue: landing at the speed of the agents, on a project whose full suite takes S = 2 s.

Headless, no Textual: the engine on the scripted model (0.2 s a call), 8 agents, a git worktree per
task, auto review, on a real git project whose pytest suite really runs. Every suite run takes at
least S: a conftest sleeps S at session start, as a slow suite would (sleeping, so that the 2 shared
cores are not what is measured). A task's sequence is its tool loop (view, create, view, create,
finish), its worktree's suite (S), then its landing: the batch's suite (S) and git's merges.

- Landing throughput: 40 independent tasks. Ideal = ceil(40 / 8) × one task alone (its span from
  `running` to `done`, the median of the lone runs before and after): what a scheduler would take if
  landing cost each task only its own suite run and never waited. Target ≤ 1.3.
- One culprit among the 40: task T7's first test passes in its own worktree and fails anywhere else
  (it checks its folder's name), as a change that breaks only beside the others' work would. It is
  found by bisection and goes back to its agent with the failure; its correction (asked for by the
  failure in its prompt) lands. Same ideal; target ≤ 1.6.
- The 200-task graph (bench_parallel's seeded DAG): ideal = max(critical path, 200 / 8) × one task
  alone. Target ≤ 1.3.
- Per-task landing overhead: the git processes and the milliseconds the queue spends per landed task
  outside the suite (committing the branch, building candidates, the fast-forward, removing the
  worktree), from the 40-task run. Reported against 12 processes and 250 ms.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import bench_parallel as bp
from harness import Bench

from codeframe_tui.domain import NewTask
from codeframe_tui.engine import merge_queue
from codeframe_tui.llm.scripted.agent import change_set_agent
from codeframe_tui.vcs import Git

SUITE_SECONDS = 2.0
CULPRIT = "T7"
# The culprit's first test passes in its own worktree (named for the task) and fails anywhere else:
# a change that breaks only beside others' work, in every batch it is in, whatever the timing.
ALONE = ("import pathlib\n\n\ndef test_alone_{name}():\n"
         "    assert pathlib.Path(__file__).resolve().parent.parent.name == {key!r}\n")
culprits: set[str] = set()  # the keys whose first attempt is such a culprit, in the run at hand


def make_project(root: Path, suite_seconds: float) -> Path:
    project = bp.load.make_project(
        root, bp.PYTEST, {"max_concurrent": bp.SLOTS, "review": "auto", "worktrees": True},
        pyproject='[project]\nname = "pkg"\nversion = "0"\n\n[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (project / "conftest.py").write_text(
        f"import time\n\n\ndef pytest_sessionstart(session):\n    time.sleep({suite_seconds!r})  # a slow suite\n")
    subprocess.run(["git", "add", "-A"], cwd=project, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-q", "-m", "a slow suite"], cwd=project, check=True, capture_output=True)
    return project


@change_set_agent
def growing(request) -> dict:
    """Each task writes its own module and its test; the culprit's first attempt a test that fails
    beside anyone else's module, its correction (the landing failure is in its prompt) a good one."""
    key = bp._key(request)
    name = "m_" + key.lower()
    test = f"from pkg.{name} import VALUE\n\n\ndef test_{name}():\n    assert VALUE == 1\n"
    if key in culprits and "the tests fail" not in request.first_user_text():
        test = ALONE.format(name=name, key=key)
    return {"summary": f"module {name}", "files": [
        {"path": f"pkg/{name}.py", "action": "write", "content": "VALUE = 1\n"},
        {"path": f"tests/test_{name}.py", "action": "write", "content": test},
    ]}


class Overhead:
    """Git processes and seconds spent by the queue outside suite runs, per landed task."""

    active: contextvars.ContextVar[bool] = contextvars.ContextVar("landing_git", default=False)

    def __init__(self) -> None:
        self.processes = 0
        self.seconds = 0.0
        self.landed = 0

    def install(self) -> None:
        real_run = Git.run
        overhead = self

        async def counted_run(git, *args, **kwargs):
            if overhead.active.get():
                overhead.processes += 1
            return await real_run(git, *args, **kwargs)

        Git.run = counted_run  # type: ignore[method-assign]
        for name in ("commit_work", "_prepared", "_candidate", "_green", "_landed"):
            self._time(name)
        real_landed = merge_queue.MergeQueue._landed

        async def landed(queue, entry, batch):
            overhead.landed += 1
            return await real_landed(queue, entry, batch)

        merge_queue.MergeQueue._landed = landed  # type: ignore[method-assign]

    def _time(self, name: str) -> None:
        real = getattr(merge_queue.MergeQueue, name)
        overhead = self

        async def timed(queue, *args, **kwargs):
            if overhead.active.get():  # nested (_green calls _landed): counted once, by the outer
                return await real(queue, *args, **kwargs)
            token = overhead.active.set(True)
            started = time.perf_counter()
            try:
                return await real(queue, *args, **kwargs)
            finally:
                overhead.seconds += time.perf_counter() - started
                overhead.active.reset(token)

        setattr(merge_queue.MergeQueue, name, timed)


async def run_plan(plan: list[NewTask], workdir: Path, suite_seconds: float) -> bp.Timeline:
    root = make_project(Path(tempfile.mkdtemp(dir=workdir)), suite_seconds)
    return await bp.run_on(root, plan, growing, "merge queue")


async def main() -> None:
    bench = Bench("merge_queue", __doc__.splitlines()[0])
    suite = 0.3 if bench.short else SUITE_SECONDS
    n, n_graph = (9, 9) if bench.short else (40, 200)
    overhead = Overhead()
    overhead.install()
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        workdir = Path(tmp)
        units = [(await run_plan([bp.new_task("T1")], workdir, suite)).span()]
        before = (overhead.processes, overhead.seconds, overhead.landed)
        crowd = await run_plan([bp.new_task(f"T{i + 1}") for i in range(n)], workdir, suite)
        processes, seconds, landed = (a - b for a, b in zip((overhead.processes, overhead.seconds, overhead.landed),
                                                             before, strict=True))
        culprits.add(CULPRIT)
        culprit = await run_plan([bp.new_task(f"T{i + 1}") for i in range(n)], workdir, suite)
        culprits.clear()
        graph = bp.random_dag(n_graph)
        dag = await run_plan(graph, workdir, suite)
        if not bench.short:
            units.append((await run_plan([bp.new_task("T1")], workdir, suite)).span())
    unit = statistics.median(units)
    waves = math.ceil(n / bp.SLOTS)
    bench.report("landing throughput (40 tasks, suite 2 s)", crowd.span() / (waves * unit), "× ideal", 1.3, note=(
        f"{n} independent tasks, {bp.SLOTS} agents, suite {suite:g} s: {crowd.span():.1f} s against {waves} × "
        f"{unit:.2f} s for one task alone"))
    bench.report("one culprit among the 40", culprit.span() / (waves * unit), "× ideal", 1.6, note=(
        f"{CULPRIT} breaks any batch it is in: found, corrected, landed; {culprit.span():.1f} s"))
    path, bound = bp.critical_path(graph), math.ceil(n_graph / bp.SLOTS)
    bench.report("graph (200 tasks) against its critical path", dag.span() / (max(path, bound) * unit), "× ideal",
                 1.3, note=f"{n_graph}-task DAG, critical path {path}: {dag.span():.1f} s against "
                           f"{max(path, bound)} × {unit:.2f} s")
    bench.report("landing overhead: git processes per task", processes / max(1, landed), "processes", 12,
                 note=f"{processes} git processes for {landed} landed tasks, suites aside")
    bench.report("landing overhead: time per task", 1000 * seconds / max(1, landed), "ms", 250,
                 note="committing the branch, building candidates, the fast-forward, removing the worktree")
    bench.save()


if __name__ == "__main__":
    asyncio.run(main())
