"""Helpers for engine and UI tests: a real little pytest project and an engine on the scripted model."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from codeframe_tui.config import load_settings
from codeframe_tui.domain import AgentType, NewTask
from codeframe_tui.engine.events import Event, TaskStatusChanged
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.offline import scripted_model_client
from codeframe_tui.llm.scripted import ScriptedModel
from codeframe_tui.llm.scripted.agent import change_set_agent

# The projects' own tests need no plugin: the ones this venv holds for the suite itself (textual
# snapshots, hypothesis...) made each inner run a second slower, and a run of the engine makes many.
PYTEST = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--disable-plugin-autoload"]


def alive_with(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line holds `marker`: what a test left running."""
    import os

    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(int(entry.name))
    return found


def bwrap_works() -> bool:
    """Whether bubblewrap confines a command here (as runner.sandbox.probe_bwrap finds, but sync)."""
    import shutil
    import subprocess

    binary = shutil.which("bwrap")
    return binary is not None and subprocess.run(
        [binary, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-net", "--unshare-pid",
         "--", "true"], capture_output=True, check=False).returncode == 0


def unconfined_runs(db: Path) -> list[str]:
    """Where bubblewrap works, every run a suite made must have run its commands inside it: the runs
    whose run_started event says otherwise (the crash harness and the soak check this)."""
    import json
    import sqlite3

    if not bwrap_works():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        payloads = [json.loads(p) for (p,) in con.execute("SELECT payload FROM events WHERE type = 'run_started'")]
    finally:
        con.close()
    wrong = [p.get("sandbox", "") for p in payloads if not str(p.get("sandbox", "")).startswith("bwrap")]
    return [f"a run's commands ran outside the sandbox: {w!r}" for w in wrong] if payloads else ["no run_started"]


def make_project(root: Path, *, test_command: list[str] | None = None, **config: object) -> Path:
    """A minimal Python project whose tests really run, with a config that names the command."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "tests").mkdir()
    (root / "tests" / "test_base.py").write_text("def test_base():\n    assert True\n")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "pkg"\nversion = "0"\n\n[tool.pytest.ini_options]\npythonpath = ["."]\n'
    )
    cmd = test_command or PYTEST
    lines = [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in config.items()]
    quoted = ", ".join(f'"{a}"' for a in cmd)
    lines += ["[tests]", f"backend = [{quoted}]", f"frontend = [{quoted}]", f"test = [{quoted}]"]
    # The sandbox (bwrap, when installed) hides /tmp: the test's own folder, where tests keep helper
    # scripts beside the project, stays readable. Writes still go to the worktree only.
    lines += ["[sandbox]", f'read_paths = ["{root.parent}"]']
    (root / ".codeframe").mkdir()
    (root / ".codeframe" / "config.toml").write_text("\n".join(lines) + "\n")
    git_init(root)
    return root


def git_init(root: Path) -> None:
    """Make `root` a git repository with one commit, as a real project is (the tool's state ignored)."""
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (root / ".git" / "info").mkdir(parents=True, exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text(".codeframe/\n")
    git("config", "user.name", "Test")
    git("config", "user.email", "test@example.com")
    git("add", "-A")
    git("commit", "-q", "--allow-empty", "-m", "start")


def module_answer(key: str, body: str = "VALUE = 1\n", test: str | None = None) -> dict:
    """A change set writing pkg/m_<key>.py and a passing (or the given) test for it."""
    name = "m_" + key.replace(".", "_")
    test = test or f"from pkg.{name} import VALUE\n\n\ndef test_{name}():\n    assert VALUE == 1\n"
    return {
        "summary": f"module for {key}",
        "files": [
            {"path": f"pkg/{name}.py", "action": "write", "content": body},
            {"path": f"tests/test_{name}.py", "action": "write", "content": test},
        ],
    }


def task_key_of(request) -> str:
    return request.first_user_text().split(":", 1)[0].removeprefix("Task ").strip()


@change_set_agent
def passing_responder(request):
    return module_answer(task_key_of(request))


@dataclass
class Recorder:
    """An event sink that keeps everything, for assertions."""

    events: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    def statuses(self, key: str) -> list[str]:
        return [e.status for e in self.of(TaskStatusChanged) if e.task_id == key]

    def max_running(self) -> int:
        running: set[str] = set()
        peak = 0
        for e in self.of(TaskStatusChanged):
            if e.status == "running":
                running.add(e.task_id)
            else:
                running.discard(e.task_id)
            peak = max(peak, len(running))
        return peak


def tasks(*specs: tuple) -> list[NewTask]:
    """tasks(("1", "backend"), ("2", "test", ("1",))) -> NewTasks, approved by the engine later."""
    out = []
    for spec in specs:
        key, kind, deps = (spec + ((),))[:3]
        out.append(NewTask(key, f"Task {key}", AgentType(kind), description=f"do {key}", depends_on=tuple(deps)))
    return out


async def open_engine(
    root: Path, responder: Callable, plan: list[NewTask], *, latency: float = 0.0,
    sink: Callable | None = None, approve: bool = True, people_present: bool = False,
    answerer: Callable | None = None, **overrides,
) -> tuple[Engine, ScriptedModel, Recorder]:
    """An engine on the scripted model. The review gate is off unless a test asks for it."""
    overrides.setdefault("review", "auto")
    settings = load_settings(root, offline=True, **overrides)
    model = ScriptedModel(responder, latency=latency)
    recorder = Recorder()
    engine = await Engine.open(settings, scripted_model_client(settings, model), sink or recorder,
                               people_present=people_present, answerer=answerer)
    await engine.store.add_plan([], plan)
    if approve:
        await engine.approve_all()
    return engine, model, recorder


async def wait_for(pilot, condition, timeout: float = 60.0) -> None:
    """Pause the Pilot until `condition()` holds; fail if it never does or the app stops."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline or not pilot.app.is_running:
            raise AssertionError("timed out waiting for the app, or the app stopped")
        await asyncio.wait_for(pilot.pause(0.05), 10)
