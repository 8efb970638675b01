"""What the screens may read: the plan, one task's whole history, the event log, the PRD.

The engine's queries. They only read, so the read-only engine (a window following another
process's run) answers them too; the UI asks here and never opens the store itself (a test in
tests/test_boundaries.py enforces it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeframe_tui.costs.usage import UsageTotals, totals
from codeframe_tui.domain import Blocker, Task
from codeframe_tui.engine.event_log import read_new
from codeframe_tui.engine.events import Event
from codeframe_tui.plan.planning import PRD_FILE
from codeframe_tui.runner.logfile import LOGS_DIR, task_logs
from codeframe_tui.store import StoreError
from codeframe_tui.store.human import ReviewRecord
from codeframe_tui.store.repos import CorrectionRecord, ModelCallRecord

if TYPE_CHECKING:
    from codeframe_tui.domain import TestRun
    from codeframe_tui.engine.context import EngineContext
    from codeframe_tui.store import Store


@dataclass(frozen=True)
class TaskDetail:
    """Everything the task's detail shows, read in one query."""

    task: Task
    calls: list[ModelCallRecord]
    usage: UsageTotals
    tools: list[dict[str, Any]]  # the logged tool_used events, oldest first
    runs: list[tuple[int, TestRun]]  # (attempt, run); landing's own are -1 (full suite) and -2 (after it)
    latest_log: Path | None  # the newest test run's whole output
    corrections: list[CorrectionRecord]
    blockers: list[Blocker]
    reviews: list[ReviewRecord]


class EngineQueries:
    """Mixed into `Engine`: every public coroutine here only reads (the read-only engine keeps them)."""

    store: Store
    ctx: EngineContext

    async def tasks(self) -> list[Task]:
        """Every task of the plan, in plan order."""
        return await self.store.list_tasks()

    async def task(self, key: str) -> Task | None:
        try:
            return await self.store.get_task(key)
        except StoreError:
            return None

    async def issues(self) -> list[tuple[str, str]]:
        """The plan's issues (or phases) as (key, title), in plan order."""
        return await self.store.issues()

    async def task_detail(self, key: str) -> TaskDetail | None:
        task = await self.task(key)
        if task is None:
            return None
        store = self.store
        logs = task_logs(self.ctx.project / LOGS_DIR, key)
        return TaskDetail(
            task=task, calls=await store.model_calls(key), usage=await totals(store, self.ctx.prices, task_key=key),
            tools=await store.events_of(key, "tool_used"), runs=await store.test_runs(key),
            latest_log=logs[-1] if logs else None, corrections=await store.corrections(key),
            blockers=await store.blockers(key), reviews=await store.reviews(key),
        )

    async def last_event_id(self) -> int:
        """Where the event log ends now: a follower reads what comes after it."""
        return await self.store.last_event_id()

    async def events_after(self, after_id: int) -> tuple[list[Event], int]:
        """The logged events after `after_id`, read back, and the id to read after next time."""
        return await read_new(self.store, after_id)

    async def prd(self) -> str | None:
        """The PRD this plan came from (.codeframe/prd.md), or None when it was imported or made by hand."""
        path = self.ctx.project / PRD_FILE
        try:
            return path.read_text(encoding="utf-8") if path.is_file() else None
        except (OSError, UnicodeDecodeError):
            return None
