"""Big plans: a 5,000-task plan imported for real, on screen within a second, each status change one row.

1. A Task Master tasks.json of 1,000 tasks with 4 subtasks each (5,000 tasks, chained dependencies,
   titles of every length) is imported through `codeframe-tui import` (cli/tools.py import_plan, in
   this process: the parse, the graph check and the store's one transaction).
2. The real CodeframeApp opens the project headless (App.run_test, 120x40) the way `codeframe-tui
   PATH` does (ui.launch.open_or_follow; the model client is made at the first call, and the
   benchmark makes none: a dummy key, a closed local port). Imported tasks are proposed, so it
   opens on plan review, as a person would see it. The measure is app start → the first painted
   frame (rendered to terminal bytes, as bench_loop does) of plan review holding all 5,000 rows,
   with its column widths worked out. Target ≤ 1 s.
3. Back on the main screen, task status changes arrive as the engine sends them (EngineEvent
   messages on the app's message path, one at a time, each waited for until painted). The Tasks
   pane's update call (TasksTable.set_status) is timed: target ≤ 2 ms at the median and the p99.
   The machine is shared, so the p99 is also given in CPU time of the loop's thread (what the code
   costs, without the time other processes held the core); the note gives the garbage collector's
   time inside the calls (gc.callbacks: a collection falls on whatever code allocates).
   DataTable.clear/add_row/add_rows/remove_row are counted during the changes: a status change must
   update cells in place, never rebuild the table, so any such call fails the benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from frames import BenchApp
from harness import Bench
from load import ms, percentile

from codeframe_tui.cli import tools as cli_tools
from codeframe_tui.cli.main import build_parser
from codeframe_tui.config import load_settings
from codeframe_tui.engine.events import TaskStatusChanged
from codeframe_tui.llm.client import ModelClient
from codeframe_tui.llm.sdk import SdkOnFirstUse
from codeframe_tui.ui.bridge import EngineEvent
from codeframe_tui.ui.launch import open_or_follow
from codeframe_tui.ui.screens.main import MainScreen
from codeframe_tui.ui.screens.review import PlanReviewScreen
from codeframe_tui.ui.textual_private import rows_settled
from codeframe_tui.ui.widgets.rows import RowTable
from codeframe_tui.ui.widgets.tasks import TasksTable

ON_SCREEN_TARGET_S = 1.0
UPDATE_TARGET_MS = 2.0
IMPORT_TARGET_S = 5.0  # the issue sets no target for the import itself; this one only guards it
STATUSES = ("approved", "running", "review", "done", "failed", "blocked", "running", "done")
clock = time.perf_counter


def write_plan(path: Path, parents: int, subtasks: int) -> int:
    """A Task Master tasks.json: `parents` tasks in a chain, each with a chain of subtasks."""
    rng = random.Random(5000)
    words = ("parse", "store", "render", "the", "config", "endpoint", "schema", "cache", "retry", "index",
             "migration", "report", "widget", "token", "export", "user", "session", "audit", "query")
    tasks = []
    for n in range(1, parents + 1):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(2, 14))).capitalize()
        tasks.append({
            "id": n, "title": f"{title} ({n})", "description": f"Make {title.lower()} work.",
            "status": "pending", "priority": rng.choice(("high", "medium", "low")),
            "dependencies": [n - 1] if n > 1 else [],
            "subtasks": [{"id": s, "title": f"Step {s} of {n}: {rng.choice(words)} {rng.choice(words)}",
                          "description": "A part of it.", "dependencies": [s - 1] if s > 1 else []}
                         for s in range(1, subtasks + 1)],
        })
    path.write_text(json.dumps({"master": {"tasks": tasks, "metadata": {"description": "A big plan"}}}))
    return parents * (1 + subtasks)



class Probe:
    """Times TasksTable.set_status (and the garbage collection inside it), and counts the calls that
    would rebuild a table (clear, add_row, add_rows, remove_row) while `on`."""

    def __init__(self) -> None:
        self.on = False
        self.rebuilds = 0
        self.calls: list[float] = []
        self.collecting: list[float] = []  # seconds of garbage collection inside each call
        self.cpu: list[float] = []  # CPU seconds of this thread inside each call: without preemption
        self._gc_total = 0.0
        self._gc_started = 0.0
        gc.callbacks.append(self._gc)
        for name in ("clear", "add_row", "add_rows", "remove_row"):
            self._count(name)
        set_status = TasksTable.set_status

        def timed(table: TasksTable, *args) -> None:
            gc_before, cpu_before, before = self._gc_total, time.thread_time(), clock()
            set_status(table, *args)
            if self.on:
                self.calls.append(clock() - before)
                self.cpu.append(time.thread_time() - cpu_before)
                self.collecting.append(self._gc_total - gc_before)

        TasksTable.set_status = timed

    def _gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = clock()
        else:
            self._gc_total += clock() - self._gc_started

    def _count(self, name: str) -> None:
        original = getattr(RowTable, name)

        def counted(table, *args, **kwargs):
            if self.on:
                self.rebuilds += 1
            return original(table, *args, **kwargs)

        setattr(RowTable, name, counted)


def settled(table) -> bool:
    """All rows are in and the table has measured them (DataTable does that on idle)."""
    return rows_settled(table)


async def import_plan(workdir: Path, parents: int, subtasks: int) -> tuple[Path, int, float]:
    project = workdir / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "0"\n')
    plan = workdir / "tasks.json"
    count = write_plan(plan, parents, subtasks)
    started = clock()
    with contextlib.redirect_stdout(io.StringIO()):  # its two lines of summary
        # The command's own parser: every option the import has, at its default.
        code = await cli_tools.import_plan(build_parser().parse_args(["import", str(plan), "--project", str(project)]))
    if code != 0:
        raise SystemExit(f"the import failed with exit code {code}")
    return project, count, clock() - started


async def run(workdir: Path, parents: int, subtasks: int, changes: int) -> dict[str, object]:
    project, count, imported = await import_plan(workdir, parents, subtasks)

    async def opener(sink):
        # As `codeframe-tui PATH` opens a project (ui.launch.project_app): the SDK is made at the first model
        # call, and none is made here. The key is a dummy and the base URL a closed local port regardless.
        settings = load_settings(project, env={"ANTHROPIC_API_KEY": "sk-ant-bench-dummy-key-never-sent-0000",
                                               "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}, user_file=False)
        return await open_or_follow(settings, ModelClient(settings, SdkOnFirstUse(settings)), sink)

    probe = Probe()
    app = BenchApp(opener, banner="bench: a 5,000-task plan", offline=False, review=True)
    seen: dict[str, float] = {}

    def frame(screen) -> None:
        now = clock()
        if "review" not in seen and isinstance(screen, PlanReviewScreen):
            if screen.table.row_count == count and settled(screen.table):
                seen["review"] = now
        if "posted" in seen and "painted" not in seen:
            seen["painted"] = now

    app.on_frame = frame
    painted: list[float] = []
    started = clock()
    async with app.run_test(size=(120, 40)) as pilot:
        while "review" not in seen:
            if clock() - started > 120 or app.engine_error:
                raise SystemExit(f"plan review never showed the plan: {app.engine_error}")
            await asyncio.sleep(0.005)
        on_screen = seen["review"] - started
        app.pop_screen()  # to the main screen; the run itself is never started
        while not (isinstance(app.screen, MainScreen) and settled(app.main.tasks_table)):
            await asyncio.sleep(0.01)
        await pilot.pause(0.1)
        keys = list(app.main.tasks_table.tasks)
        rng = random.Random(7)
        probe.on = True
        for n in range(changes):
            event = TaskStatusChanged(task_id=rng.choice(keys), title="", status=STATUSES[n % len(STATUSES)],
                                      agent_id=f"backend-{n % 4 + 1}", previous="")
            seen.pop("painted", None)
            seen["posted"] = clock()
            app.post_message(EngineEvent(event))
            while "painted" not in seen:
                await asyncio.sleep(0.001)
            painted.append(seen.pop("painted") - seen.pop("posted"))
        probe.on = False
        await app.quit_now()
    return {"count": count, "imported": imported, "on_screen": on_screen, "probe": probe, "painted": painted}


def report(bench: Bench, r: dict) -> None:
    probe: Probe = r["probe"]
    calls = [ms(s) for s in probe.calls]
    without_gc = [ms(s - g) for s, g in zip(probe.calls, probe.collecting, strict=True)]
    with_gc = sum(1 for g in probe.collecting if g > 0)
    painted = [ms(s) for s in r["painted"]]
    bench.report(f"import {r['count']:,} tasks", r["imported"], "s", IMPORT_TARGET_S,
                 note="codeframe-tui import of a Task Master tasks.json: parse, graph check, one transaction")
    bench.report(f"{r['count']:,}-task plan on screen", r["on_screen"], "s", ON_SCREEN_TARGET_S,
                 note="app start → first painted frame of plan review with every row, engine open included")
    bench.report("status change → Tasks row updated, median", statistics.median(calls), "ms", UPDATE_TARGET_MS,
                 note=f"TasksTable.set_status over {len(calls):,} changes; table rebuilds (clear/add_row/"
                      f"remove_row) during them: {probe.rebuilds} (asserted 0)")
    bench.report("status change → Tasks row updated, p99", percentile(calls, 99), "ms", UPDATE_TARGET_MS,
                 note=f"wall time, max {max(calls):.2f} ms; {with_gc} call(s) ran a garbage collection, p99 "
                      f"without it {percentile(without_gc, 99):.2f} ms; posted → painted: median "
                      f"{statistics.median(painted):.0f} ms, p99 {percentile(painted, 99):.0f} ms")
    cpu = [ms(s) for s in probe.cpu]
    bench.report("status change → Tasks row updated, p99 CPU", percentile(cpu, 99), "ms", UPDATE_TARGET_MS,
                 note=f"CPU time of the loop's thread in the same calls (median {statistics.median(cpu):.2f} ms): "
                      f"the wall p99 less the time other processes held the core")

async def main() -> None:
    bench = Bench("big_plan", __doc__.splitlines()[0])
    parents, subtasks, changes = (200, 4, 100) if bench.short else (1_000, 4, 1_000)
    with tempfile.TemporaryDirectory(prefix="bench-big-plan-") as tmp:
        result = await run(Path(tmp), parents, subtasks, changes)
    report(bench, result)
    if result["probe"].rebuilds:
        print(f"FAILED: {result['probe'].rebuilds} table rebuild calls during status changes", file=sys.stderr)
        sys.exit(1)
    bench.save()


if __name__ == "__main__":
    asyncio.run(main())
