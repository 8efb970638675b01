"""What every agent is given: settings, the store, the model, test commands, the event sink, the inbox."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeframe_tui.config import ConfigError, Settings, load_settings
from codeframe_tui.config.sandbox import confinement
from codeframe_tui.costs.pricing import PriceTable
from codeframe_tui.domain import Task, TaskStatus
from codeframe_tui.engine.events import Event, EventSink, TaskStatusChanged
from codeframe_tui.engine.in_flight import Inbox
from codeframe_tui.engine.workspace import Workspace
from codeframe_tui.llm.client import ModelClient
from codeframe_tui.runner import TestCommand, command_from_config, detect_test_command
from codeframe_tui.runner.logfile import LOGS_DIR, new_log_path
from codeframe_tui.runner.sandbox import Executor, LocalExecutor, Sandboxed
from codeframe_tui.runner.strays import ProcessLog
from codeframe_tui.store import Store

if TYPE_CHECKING:  # merge_queue imports this module
    from codeframe_tui.engine.merge_queue import MergeQueue

log = logging.getLogger(__name__)


@dataclass
class EngineContext:
    settings: Settings
    store: Store
    model: ModelClient
    sink: EventSink
    inbox: Inbox = field(default_factory=Inbox)
    workspace: Workspace | None = None  # set when tasks work in git worktrees
    roots: dict[str, Path] = field(default_factory=dict)  # task key -> the folder it works in
    landing: asyncio.Lock = field(default_factory=asyncio.Lock)  # one merge into the base at a time
    merge_queue: MergeQueue | None = None  # made on first use, by merge_queue.queue_of
    processes: ProcessLog | None = None  # test process groups, recorded for the next start to end
    run_id: int | None = None  # the run in progress: its model calls count against run_usd_cap
    run_usd_cap: float = 0.0  # set from config at the run's start; raised by the person's answer
    run_declined: bool = False  # the person said no to raising the run's cap: no more model calls
    run_cap_pending: asyncio.Event | None = None  # set once the run-cap question in flight is answered
    prices: PriceTable = field(default_factory=PriceTable)
    executor: Executor = field(default_factory=LocalExecutor)  # where test commands run (Engine.open chooses)
    sandbox_warning: str = ""  # said in the header and in status when `auto` could not confine

    def confined(self, root: Path) -> Sandboxed:
        """A command working in `root` (a worktree, or the project in place): it may write there
        only, and read the project; the config's [sandbox] widens that."""
        return Sandboxed(self.executor, confinement(self.settings, root))

    def sandbox_text(self) -> str:
        """Where the commands run, for the header and status: `bwrap · no network`, `none`, or why not."""
        return self.sandbox_warning or self.executor.describe(confinement(self.settings, self.project))

    @property
    def journal_dir(self) -> Path:
        return self.settings.state_dir / "journal"

    def root_for(self, key: str) -> Path:
        return self.roots.get(key, self.project)

    @property
    def project(self) -> Path:
        return self.settings.project

    async def publish(self, event: Event) -> None:
        """Log a lifecycle event durably, then show it. High-rate events skip the log."""
        if not event.high_rate:
            payload = event.to_json_dict()
            await self.store.log_event(event.type, payload.get("task_id"), payload)
        self.emit(event)

    async def move(self, task: Task, target: TaskStatus, *, reason: str = "", agent_id: str | None = None,
                   count_retry: bool = False) -> Task:
        """The one way a task changes status: validated and committed first, then announced."""
        announced: list[TaskStatusChanged] = []

        def log(new: Task) -> tuple[str, dict[str, Any]]:
            # Built from the task as moved (its title may have been edited since the caller read it).
            announced.append(TaskStatusChanged(task_id=new.key, title=new.title, status=str(new.status),
                                               agent_id=agent_id, previous=str(task.status), reason=reason))
            return announced[0].type, announced[0].to_json_dict()

        # The move and its line in the event log commit together: one transaction, not two.
        new = await self.store.transition(task.key, target, reason=reason, agent_id=agent_id, count_retry=count_retry,
                                          log=log)
        self.emit(announced[0])
        return new

    def test_log(self, task_key: str, purpose: str) -> Path:
        """A new file for one test run's whole output, under .codeframe/logs/<task>/."""
        return new_log_path(self.project / LOGS_DIR, task_key, purpose)

    def emit(self, event: Event) -> None:
        try:
            self.sink(event)
        except Exception:  # a broken sink must not stop the agents; it is a bug to log loudly
            log.exception("event sink failed on %s", event.type)

    def test_command(self, part: str, root: Path | None = None, focus: Sequence[str] = ()) -> TestCommand | None:
        """The command for a part (backend, frontend, test): from config, else detected.

        Not cached: each detected command names its own JUnit file, so workers running at the
        same time never read each other's report. The config file's [tests] is read again each
        time, so a command the person adds while an agent waits for it is used at once. `focus`: the
        task's files, which pick the package of a JavaScript workspace whose tests run.
        """
        root = root or self.project
        configured = self._configured_tests().get(part) or self.settings.test_commands.get(part)
        command: TestCommand | None
        if configured:
            command = command_from_config(list(configured), root)
        else:
            command = detect_test_command(root, part, focus=focus)
        if command is None or root == self.project or command.steps:
            return command
        # In a worktree that shares the project's .venv, an editable install's .pth points at the
        # project folder: the worktree's own code must come first. No bytecode litter either.
        first = [str(p) for p in (root / "src", root) if p.is_dir()]
        inherited = [v for k, v in command.env if k == "PYTHONPATH"] or [os.environ.get("PYTHONPATH", "")]
        path = os.pathsep.join(first + [p for p in inherited if p])
        env = tuple((k, v) for k, v in command.env if k != "PYTHONPATH")
        return replace(command, env=env + (("PYTHONPATH", path), ("PYTHONDONTWRITEBYTECODE", "1")))

    def _configured_tests(self) -> dict[str, tuple[str, ...]]:
        try:
            return dict(load_settings(self.project, env={}).test_commands)
        except (ConfigError, OSError) as exc:  # a half-edited file: keep the commands the run started with
            log.warning("config not re-read: %s", exc)
            return {}
