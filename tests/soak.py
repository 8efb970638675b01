"""The soak test: many tasks through the TUI on a faulty scripted model, then every promise checked.

`run_soak` drives the real app (App.run_test) on a real git project whose tests really run, with the
real SDK talking to the scripted model over 127.0.0.1. Each worker runs its tool loop: it views and
creates its module and its test with the editor tool, then calls finish. A share of the model's
answers are faults (429, 529, 500, timeouts, drops, mid-stream errors, cut, broken and empty answers,
bad tool inputs, paused turns, refusals, questions), the rest arrive after a random latency. A fault
that takes a step's place leaves that step undone; when it was the module's, the finish's tests fail
and the next round writes the files again. At the end it checks that every task ended in a terminal or waiting state,
that the event log and the database agree row for row, that the task pane shows what the database
holds, that every done task called finish and its work landed, and that memory stayed flat.

`make soak` runs it full size (200 tasks, 10 at once); the suite runs a short form.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from support import make_project, module_answer, task_key_of, unconfined_runs  # noqa: E402

from codeframe_tui.config import load_settings  # noqa: E402
from codeframe_tui.domain import AgentType, NewTask, TaskStatus  # noqa: E402
from codeframe_tui.engine.events import ModelRetried, TaskStatusChanged  # noqa: E402
from codeframe_tui.engine.session import Engine  # noqa: E402
from codeframe_tui.llm.client import ModelClient, build_anthropic_client  # noqa: E402
from codeframe_tui.llm.scripted import (  # noqa: E402
    DropReply,
    ErrorReply,
    MalformedToolReply,
    MidStreamErrorReply,
    PauseTurnReply,
    RefusalReply,
    ScriptedModel,
    ScriptedServer,
    StallReply,
    TextReply,
    ToolUseReply,
    TruncatedReply,
)
from codeframe_tui.llm.scripted.agent import ask, change_set_agent  # noqa: E402
from codeframe_tui.llm.tools import EDITOR, FINISH  # noqa: E402
from codeframe_tui.ui.app import CodeframeApp  # noqa: E402

# A test command that is real but tiny: it imports every tests/test_*.py and runs its test_ functions,
# printing pytest's lines, so the runner parses it as pytest (a real pytest run per check would make
# 200 tasks take many minutes on 2 cores).
TINY_RUNNER = '''"""Runs every test_ function in tests/test_*.py; prints pytest-style lines."""
import importlib.util, pathlib, sys, time
sys.path.insert(0, ".")
start, passed, failed = time.monotonic(), 0, 0
for path in sorted(pathlib.Path("tests").glob("test_*.py")):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        print(f"FAILED {path} - {exc!r}"); failed += 1; continue
    for name in sorted(n for n in vars(module) if n.startswith("test_")):
        try:
            getattr(module, name)(); passed += 1; print(f"{path}::{name} PASSED")
        except Exception as exc:
            failed += 1; print(f"FAILED {path}::{name} - {exc!r}")
counts = ([f"{failed} failed"] if failed else []) + [f"{passed} passed"]
print(", ".join(counts) + f" in {time.monotonic() - start:.2f}s")
sys.exit(1 if failed else 0)
'''
TERMINAL = {TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.REJECTED, TaskStatus.CANCELLED}
WAITING = {TaskStatus.BLOCKED, TaskStatus.REVIEW}
MODEL_TIMEOUT = 1.0


def faults() -> dict[str, object]:
    """Every kind of fault the soak injects; `good` is the step's own answer (a tool call of the loop)."""
    return {
        "429": lambda good: ErrorReply(429, "rate_limit_error", "Slow down", retry_after=0.05),
        "529": lambda good: ErrorReply(529, "overloaded_error", "Overloaded"),
        "500": lambda good: ErrorReply(500, "api_error", "Internal"),
        "read timeout": lambda good: StallReply(MODEL_TIMEOUT * 1.5, good),
        "mid-stream error": lambda good: MidStreamErrorReply(good),
        "TCP drop": lambda good: DropReply(after_bytes=300),
        "max_tokens": lambda good: TruncatedReply(EDITOR, '{"command": "create", "path": "pkg/', text="Writing."),
        "malformed JSON": lambda good: MalformedToolReply(EDITOR, '{"command": x}'),
        "bad tool input": lambda good: ToolUseReply(EDITOR, {"command": "create", "file_text": "x"}),  # no path
        "bad edit": lambda good: ToolUseReply(EDITOR, {"command": "str_replace", "path": "pkg/__init__.py",
                                                       "old_str": "not there", "new_str": "x"}),
        "empty": lambda good: TextReply(""),
        "no tool call": lambda good: TextReply("I believe the module is written."),
        "pause_turn": lambda good: PauseTurnReply(),
        "refusal": lambda good: RefusalReply("I cannot help with that."),
        "question": lambda good: ask("Which format?"),
    }


@dataclass
class SoakReport:
    tasks: int
    concurrency: int
    seed: int
    elapsed: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    calls: int = 0
    retries: int = 0
    rss_mark: int = 0  # bytes, when a quarter of the tasks had ended (50 of 200)
    rss_end: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def rss_ratio(self) -> float:
        return self.rss_end / self.rss_mark if self.rss_mark else 0.0

    def lines(self) -> list[str]:
        return [
            f"soak: {self.tasks} tasks, {self.concurrency} at once, seed {self.seed}, {self.elapsed:.1f}s",
            "statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items())),
            f"model calls: {self.calls}; faults injected: {sum(self.faults.values())} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.faults.items()))}); retries announced: {self.retries}",
            f"RSS: {self.rss_mark / 2**20:.1f} MB at {self.tasks // 4} tasks ended, {self.rss_end / 2**20:.1f} MB "
            f"at the end (ratio {self.rss_ratio:.2f}, limit 1.20)",
            f"tasks lost: {sum(1 for p in self.problems if 'lost' in p)}; problems: {len(self.problems)}",
            *(f"  {p}" for p in self.problems[:20]),
        ]


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def plan(count: int, rng: random.Random) -> list[NewTask]:
    """`count` tasks; a third depend on one or two of the twenty before them."""
    kinds = [AgentType.BACKEND, AgentType.FRONTEND, AgentType.TEST]
    out = []
    for i in range(1, count + 1):
        earlier = list(range(max(1, i - 20), i))
        deps = tuple(str(d) for d in rng.sample(earlier, min(len(earlier), rng.choice((1, 2))))) \
            if earlier and rng.random() < 0.33 else ()
        out.append(NewTask(str(i), f"Task {i}", kinds[i % 3], description=f"write module {i}", depends_on=deps))
    return out


def responder(rng: random.Random, fault_rate: float, report: SoakReport):
    kinds = faults()
    names = sorted(kinds)
    # Each round of each task: view and create its module, then its test, then finish.
    step = change_set_agent(lambda request: module_answer(task_key_of(request)))

    def respond(request):
        report.calls += 1
        good = step(request)
        if rng.random() < fault_rate:
            name = rng.choice(names)
            report.faults[name] += 1
            return kinds[name](good)
        return StallReply(rng.uniform(0.0, 0.15), good)  # a random latency

    return respond


async def run_soak(root: Path, *, tasks: int = 200, concurrency: int = 10, fault_rate: float = 0.05,
                   seed: int = 1, timeout: float = 1800.0) -> SoakReport:
    """Run the soak in `root` (a new folder) and return what it measured; `problems` lists what failed."""
    rng = random.Random(seed)
    report = SoakReport(tasks, concurrency, seed)
    project = make_project(root, test_command=[sys.executable, "run_tests.py"])
    (project / "run_tests.py").write_text(TINY_RUNNER)
    _commit(project)
    respond = responder(rng, fault_rate, report)

    def forgetting(request):
        # The soak reads no request back. The scripted model's log of them (each a whole conversation,
        # five or more a task) would grow with the run and weigh on the RSS check, which is the app's.
        model.requests.clear()
        return respond(request)

    model = ScriptedModel(forgetting, chunk_size=400)
    ended: set[str] = set()
    retries: list[ModelRetried] = []

    async with ScriptedServer(model) as server:
        env = {"ANTHROPIC_API_KEY": "sk-soak", "ANTHROPIC_BASE_URL": server.base_url}
        settings = load_settings(project, env=env, review="auto", max_concurrent=concurrency, max_retries=1,
                                 model_timeout=MODEL_TIMEOUT)

        async def opener(sink):
            def counting(event):
                if isinstance(event, TaskStatusChanged):
                    if event.status in TERMINAL | WAITING:
                        ended.add(event.task_id)
                    else:
                        ended.discard(event.task_id)
                    if len(ended) >= tasks // 4 and not report.rss_mark:
                        gc.collect()
                        report.rss_mark = rss()
                elif isinstance(event, ModelRetried):
                    retries.append(event)
                sink(event)

            client = ModelClient(settings, build_anthropic_client(settings))
            client.retry_base = 0.05
            engine = await Engine.open(settings, client, counting)
            await engine.store.add_plan([], plan(tasks, rng))
            await engine.approve_all()
            return engine

        app = CodeframeApp(opener, banner="soak", offline=False, review=False)
        started = time.monotonic()
        async with app.run_test(size=(120, 40)) as pilot:
            deadline = time.monotonic() + timeout
            while app.summary is None and app.engine_error is None and time.monotonic() < deadline:
                await pilot.pause(0.2)
            await pilot.pause(0.3)  # the last status messages reach the pane
            report.elapsed = time.monotonic() - started
            if app.summary is None:
                report.problems.append(f"the run did not finish: {app.engine_error or 'timed out'}")
            gc.collect()
            report.rss_end = rss()
            shown = dict(app.main.tasks_table.display_status)
            await pilot.press("q")
    report.retries = len(retries)
    check(project / ".codeframe" / "state.db", project, tasks, shown, report)
    return report


def check(db: Path, project: Path, count: int, shown: dict[str, str], report: SoakReport) -> None:
    """Compare the database with the event log, the pane and the project's files."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = dict(con.execute("SELECT key, status FROM tasks").fetchall())
        deps: dict[str, list[str]] = {}
        for key, dep in con.execute("SELECT t.key, d.key FROM task_dependencies e JOIN tasks t ON t.id = e.task_id "
                                    "JOIN tasks d ON d.id = e.depends_on_id"):
            deps.setdefault(key, []).append(dep)
        logged = con.execute("SELECT type, task_key, payload FROM events ORDER BY id").fetchall()
        written = {(key, path) for key, path in con.execute(
            "SELECT t.key, c.path FROM task_changes c JOIN tasks t ON t.id = c.task_id WHERE c.after IS NOT NULL")}
        counts = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                  for table in ("model_calls", "test_runs", "blockers")}
    finally:
        con.close()
    problems = report.problems
    problems.extend(unconfined_runs(db))  # the soak runs with the sandbox on, where it works
    report.statuses = Counter(rows.values())
    for key in map(str, range(1, count + 1)):
        if key not in rows:
            problems.append(f"task {key} lost: not in the database")
    for key, status in rows.items():
        status = TaskStatus(status)
        # Approved and never started is right only while a prerequisite is not done (it waits with it).
        held = status == TaskStatus.APPROVED and any(rows[d] != "done" for d in deps.get(key, ()))
        if status not in TERMINAL | WAITING and not held:
            problems.append(f"task {key} ended {status}: neither terminal nor waiting")
    # The event log, replayed, gives every row's status; and one logged event per recorded row.
    last: dict[str, str] = {}
    kinds = Counter()
    finished: set[str] = set()  # tasks whose agent called finish (the engine then ran the tests)
    for kind, key, payload in logged:
        kinds[kind] += 1
        if kind == "task_status_changed":
            last[key] = json.loads(payload)["status"]
        elif kind == "tool_used" and json.loads(payload)["tool"] == FINISH:
            finished.add(key)
    for key, status in rows.items():
        if last.get(key, "proposed") != status:
            problems.append(f"task {key}: database says {status}, the event log {last.get(key)}")
    for table, kind in (("model_calls", "model_called"), ("test_runs", "test_result"), ("blockers", "blocker_created")):
        if counts[table] != kinds[kind]:
            problems.append(f"{table}: {counts[table]} rows, {kinds[kind]} {kind} events")
    # "held" is how the pane shows an approved task that waits on a dependency that failed or blocks.
    shown = {k: "approved" if v == "held" and rows.get(k) == "approved" else v for k, v in shown.items()}
    if shown != rows:
        wrong = sorted(k for k in rows.keys() | shown.keys() if shown.get(k) != rows.get(k))
        problems.append(f"the task pane differs from the database on {len(wrong)} task(s): "
                        f"{[(k, shown.get(k), rows.get(k)) for k in wrong[:10]]}")
    for key, status in rows.items():
        # Lost: written by the task, done, and not in the project. (A fault can take the very steps that
        # write the module and its test, and then the task's own checks pass without either.)
        module = f"pkg/m_{key.replace('.', '_')}.py"
        if status == "done" and (key, module) in written and not (project / module).is_file():
            problems.append(f"task {key} is done but its work is not in the project: lost")
        if status == "done" and key not in finished:
            problems.append(f"task {key} is done but its agent never called {FINISH}")
    if report.rss_mark and report.rss_ratio > 1.20:
        problems.append(f"RSS grew {report.rss_ratio:.2f}x from {count // 4} tasks ended to the end")


def _commit(project: Path) -> None:
    import subprocess

    subprocess.run(["git", "add", "-A"], cwd=project, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-q", "-m", "tiny test runner"], cwd=project, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    with tempfile.TemporaryDirectory(prefix="codeframe-soak-") as tmp:
        report = asyncio.run(run_soak(Path(tmp) / "project", tasks=args.tasks, concurrency=args.concurrency,
                                      fault_rate=args.fault_rate, seed=seed))
    for line in report.lines():
        print(line)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
