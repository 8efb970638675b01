"""Parallel and graph efficiency: the engine's wall time for many tasks against a perfect scheduler's.

Headless, no Textual: the engine on the scripted model (0.2 s a call), with max_concurrent 8, on a
real git project whose tests really run. Each task's tool loop views and creates its files with the
editor tool, one model call each, then calls finish (the engine runs the tests then). Each measure is
wall / ideal, and its target is ≤ 1.05.

- Parallel efficiency: 40 independent tasks. Ideal = ceil(40 / 8) × the per-task sequence.
- Graph efficiency: a DAG of tasks with seeded random dependencies (each on up to 3 of the 10 tasks
  before it), every task the same. Ideal = max(critical path, ceil(tasks / 8)) × the per-task
  sequence: the longest chain counted in tasks, floored by the list-scheduling bound (total work over
  the slots). This is a lower bound that no schedule beats; the note says what a zero-overhead run
  of the engine's own ready order (scheduler.plan_schedule) would take, in tasks.

The per-task sequence is ONE such task run alone on the same setup: its span from `running` to
`done`, the median of 3 runs (before, between and after the two measures). Wall is the same span for
the whole plan, first `running` to last `done`. Both come from the engine's own TaskStatusChanged
events (sent once committed); opening the engine and the run's set-up are outside both.

The setup is the scheduler alone: worktrees off, test command `true`, and every task rewrites one
scratch file (the project every prompt walks stays the lone task's size). What is left over the
ideal is the engine's own work: the note gives each task's mean span in the crowd (all 8 share one
event loop and 2 cores) and the slot-seconds that stood idle while a task was ready (scheduling
gaps). With worktrees, pytest and landing, the merge queue's benchmark (bench_merge_queue.py)
measures the same two shapes against the targets of its own issue.
"""

from __future__ import annotations

import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import load
from harness import Bench

from codeframe_tui.config import load_settings
from codeframe_tui.domain import AgentType, NewTask, Task, TaskStatus
from codeframe_tui.engine.events import Event, TaskStatusChanged
from codeframe_tui.engine.scheduler import plan_schedule
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.offline import scripted_model_client
from codeframe_tui.llm.scripted import ScriptedModel
from codeframe_tui.llm.scripted.agent import change_set_agent

LATENCY = 0.2  # seconds per scripted model call
SLOTS = 8
TARGET = 1.05
PYTEST = ("/usr/bin/env", "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1", sys.executable, "-m", "pytest", "-q", "-p",
          "no:cacheprovider")


@dataclass(frozen=True)
class Setup:
    label: str
    worktrees: bool
    test_command: tuple[str, ...]
    grows: bool  # each task adds a module and its test; else each rewrites one scratch file
    sizes: tuple[int, int, int, int]  # parallel tasks, DAG tasks: full form, then short form


BARE = Setup("scheduler alone, no worktrees, test command true", False, ("true",), grows=False, sizes=(40, 200, 16, 24))


@dataclass
class Timeline:
    """The event sink: when each task went running and done, by the monotonic clock."""

    started: dict[str, float] = field(default_factory=dict)
    done: dict[str, float] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)  # any other end: then the run measures nothing

    def __call__(self, event: Event) -> None:
        if isinstance(event, TaskStatusChanged):
            if event.status == "running":
                self.started.setdefault(event.task_id, time.monotonic())
            elif event.status == "done":
                self.done[event.task_id] = time.monotonic()
            elif event.status in ("failed", "blocked", "review"):
                self.other.append(f"{event.task_id} {event.status}: {event.reason}")

    def span(self) -> float:
        return max(self.done.values()) - min(self.started.values())

    def mean_task(self) -> float:
        return statistics.mean(self.done[k] - self.started[k] for k in self.done)


def make_project(root: Path, setup: Setup) -> Path:
    """A small Python project in a git repository, whose tests (pytest) really run."""
    return load.make_project(
        root, setup.test_command, {"max_concurrent": SLOTS, "review": "auto", "worktrees": setup.worktrees},
        pyproject='[project]\nname = "pkg"\nversion = "0"\n\n[tool.pytest.ini_options]\npythonpath = ["."]\n')


def _key(request) -> str:
    return request.first_user_text().split(":", 1)[0].removeprefix("Task ").strip()


@change_set_agent
def growing(request) -> dict:
    """Every task writes its own module and a passing test for it: no conflicts, no corrections."""
    name = "m_" + _key(request).lower()
    test = f"from pkg.{name} import VALUE\n\n\ndef test_{name}():\n    assert VALUE == 1\n"
    return {"summary": f"module {name}", "files": [
        {"path": f"pkg/{name}.py", "action": "write", "content": "VALUE = 1\n"},
        {"path": f"tests/test_{name}.py", "action": "write", "content": test},
    ]}


@change_set_agent
def scratch(request) -> dict:
    return {"summary": "scratch", "files": [
        {"path": "pkg/scratch.py", "action": "write", "content": f"LAST = {_key(request)!r}\n"},
    ]}


def new_task(key: str, deps: tuple[str, ...] = ()) -> NewTask:
    return NewTask(key, f"Task {key}", AgentType.BACKEND, description=f"do {key}", depends_on=deps)


async def run_plan(setup: Setup, plan: list[NewTask], workdir: Path) -> Timeline:
    """One run of `plan` on a fresh project; the timeline of its tasks."""
    root = make_project(Path(tempfile.mkdtemp(dir=workdir)), setup)
    return await run_on(root, plan, growing if setup.grows else scratch, setup.label)


async def run_on(root: Path, plan: list[NewTask], agent, label: str) -> Timeline:
    """`plan` run to the end on the project at `root`, the scripted model answering with `agent`."""
    settings = load_settings(root, env={}, user_file=False, offline=True)
    timeline = Timeline()
    engine = await Engine.open(settings, scripted_model_client(settings, ScriptedModel(agent, latency=LATENCY)),
                               timeline)
    try:
        await engine.store.add_plan([], plan)
        await engine.approve_all()
        summary = await engine.run()
    finally:
        await engine.close()
    if timeline.other or summary.done != len(plan):
        raise SystemExit(f"{label}: not every task was done: {summary}; {timeline.other[:5]}")
    return timeline


async def alone(setup: Setup, workdir: Path) -> float:
    """The per-task sequence: one task alone on the same setup."""
    return (await run_plan(setup, [new_task("T1")], workdir)).span()


def random_dag(n: int, seed: int = 7, window: int = 10, max_deps: int = 3) -> list[NewTask]:
    """Task i waits on up to `max_deps` tasks among the `window` before it (seeded)."""
    rng = random.Random(seed)
    keys = [f"T{i + 1}" for i in range(n)]
    plan = []
    for i, key in enumerate(keys):
        earlier = keys[max(0, i - window):i]
        deps = rng.sample(earlier, min(len(earlier), rng.randint(0, max_deps)))
        plan.append(new_task(key, tuple(sorted(deps, key=keys.index))))
    return plan


def critical_path(plan: list[NewTask]) -> int:
    """The longest chain, counted in tasks (the plan lists every dependency before its dependents)."""
    depth: dict[str, int] = {}
    for task in plan:
        depth[task.key] = 1 + max((depth[d] for d in task.depends_on), default=0)
    return max(depth.values())


def zero_overhead(plan: list[NewTask]) -> int:
    """Tasks of time, if every task took exactly one unit and the engine's ready order cost nothing."""
    status = {t.key: TaskStatus.APPROVED for t in plan}
    steps = 0
    while any(s != TaskStatus.DONE for s in status.values()):
        tasks = [Task(i, t.key, t.title, "", t.agent_type, status[t.key], t.depends_on) for i, t in enumerate(plan)]
        for task in plan_schedule(tasks, running=set()).ready[:SLOTS]:
            status[task.key] = TaskStatus.DONE
        steps += 1
    return steps


def idle_with_work(timeline: Timeline, plan: list[NewTask]) -> float:
    """Slot-seconds during which a slot was free while a task was ready to start: scheduling gaps."""
    deps = {t.key: t.depends_on for t in plan}
    marks = sorted([(at, 0, k) for k, at in timeline.started.items()] + [(at, 1, k) for k, at in timeline.done.items()])
    started: set[str] = set()
    done: set[str] = set()
    lost, before = 0.0, marks[0][0]
    for at, is_done, key in marks:
        ready = sum(1 for k in deps if k not in started and all(d in done for d in deps[k]))
        lost += max(0, min(SLOTS - (len(started) - len(done)), ready)) * (at - before)
        before = at
        (done if is_done else started).add(key)
    return lost


def details(setup: Setup, timeline: Timeline, plan: list[NewTask], unit: float) -> str:
    if setup.worktrees:
        interval = (max(timeline.done.values()) - min(timeline.done.values())) / max(1, len(timeline.done) - 1)
        return f"landing-bound: one landing every {interval:.2f} s"
    return (f"a task took {timeline.mean_task():.3f} s in the crowd against {unit:.3f} s alone; "
            f"{idle_with_work(timeline, plan):.2f} slot-s idle with a task ready")


async def measure(bench: Bench, setup: Setup, workdir: Path) -> None:
    """Both measures. The lone task runs before, between and after them (the median counts), so that
    the load of a shared machine weighs on the ideal as it does on the wall."""
    n_parallel, n_graph = setup.sizes[2:] if bench.short else setup.sizes[:2]
    units = [await alone(setup, workdir)]
    crowd = [new_task(f"T{i + 1}") for i in range(n_parallel)]
    parallel = await run_plan(setup, crowd, workdir)
    graph = random_dag(n_graph)
    if not bench.short:
        units.append(await alone(setup, workdir))
    dag = await run_plan(setup, graph, workdir)
    if not bench.short:
        units.append(await alone(setup, workdir))
    unit = statistics.median(units)
    waves = math.ceil(n_parallel / SLOTS)
    bench.report(f"parallel efficiency ({setup.label})", parallel.span() / (waves * unit), "× ideal", TARGET, note=(
        f"{n_parallel} independent tasks, {SLOTS} at once: {parallel.span():.2f} s against {waves} × {unit:.3f} s "
        f"for one task alone; {details(setup, parallel, crowd, unit)}"
    ))
    path, bound = critical_path(graph), math.ceil(n_graph / SLOTS)
    bench.report(f"graph efficiency ({setup.label})", dag.span() / (max(path, bound) * unit), "× ideal", TARGET, note=(
        f"{n_graph}-task DAG: {dag.span():.2f} s against max(critical path {path}, {n_graph}/{SLOTS} → {bound}) "
        f"× {unit:.3f} s; with zero overhead the engine's order takes {zero_overhead(graph)} tasks of time; "
        f"{details(setup, dag, graph, unit)}"
    ))


async def main() -> None:
    bench = Bench("parallel", __doc__.splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as tmp:
        await run_plan(BARE, [new_task("W")], Path(tmp))  # first-call costs (SDK, imports) fall on no measure
        for setup in (BARE,):
            await measure(bench, setup, Path(tmp))
    bench.save()


if __name__ == "__main__":
    asyncio.run(main())
