"""The engine's front door: opens the store and the model for a project and runs the lead agent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

from codeframe_tui.config import Settings
from codeframe_tui.costs.pricing import PriceTable
from codeframe_tui.domain import AgentType, Blocker, IllegalTransition, ImportRecord, NewTask, Task, TaskStatus
from codeframe_tui.domain.diffs import FileDiff
from codeframe_tui.domain.graph import PlanError
from codeframe_tui.engine import landing, reviewing
from codeframe_tui.engine.blockers import AnswerRefused, answer_blocker
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import EventSink
from codeframe_tui.engine.in_flight import Answerer, Inbox
from codeframe_tui.engine.inbox_items import InboxItem, inbox_items
from codeframe_tui.engine.landing import UndoPlan
from codeframe_tui.engine.lead import LeadAgent, RunSummary
from codeframe_tui.engine.lead_calls import record_lead_call
from codeframe_tui.engine.prd import PrdCommands
from codeframe_tui.engine.queries import EngineQueries
from codeframe_tui.engine.recovery import Interrupted, recover
from codeframe_tui.engine.refused import CommandRefused
from codeframe_tui.engine.runlock import ProjectBusy, RunLock
from codeframe_tui.engine.scheduler import blocked_forever_by
from codeframe_tui.engine.workspace import WorkspaceError
from codeframe_tui.llm.client import ModelClient
from codeframe_tui.runner.strays import ProcessLog
from codeframe_tui.store import Store, StoreError
from codeframe_tui.vcs import Git, GitError

log = logging.getLogger(__name__)
T = TypeVar("T")


class Engine(EngineQueries, PrdCommands):
    """Commands are async methods; what happens comes back through the sink as events."""

    def __init__(self, settings: Settings, store: Store, model: ModelClient, sink: EventSink, *,
                 people_present: bool = False, answerer: Answerer | None = None) -> None:
        self.settings = settings
        self.store = store
        self.model = model
        inbox = Inbox(people_present=people_present, answerer=answerer)
        self.ctx = EngineContext(settings=settings, store=store, model=model, sink=sink, inbox=inbox,
                                 prices=PriceTable(settings.pricing))
        self.lead = LeadAgent(self.ctx)
        if isinstance(model, ModelClient):
            model.on_lead_call = lambda call: record_lead_call(self.ctx, call)
        self.lock: RunLock | None = None
        self.interrupted: Interrupted | None = None  # the last run died or was stopped with work left
        self.read_only = False

    @classmethod
    async def open(cls, settings: Settings, model: ModelClient, sink: EventSink, *,
                   people_present: bool = False, answerer: Answerer | None = None) -> Engine:
        """`people_present`: a person at a screen answers questions (the TUI); `answerer`: a headless
        run's answers file. With neither, a SYNC question leaves its task blocked and the run goes on.

        Takes the project's run lock (ProjectBusy names the pid holding it), then mends what a dead
        run left: half-applied change sets, stray test processes, tasks left running. `interrupted`
        then says whether there is a run to resume."""
        lock = RunLock(settings.state_dir)
        lock.acquire()
        try:
            store = await Store.open(settings.db_path, settings.project)
            try:
                engine = cls(settings, store, model, sink, people_present=people_present, answerer=answerer)
                engine.lock = lock
                engine.ctx.processes = ProcessLog(settings.state_dir / "processes")
                engine.interrupted = await recover(engine.ctx)
                engine.lead.interrupted = engine.interrupted
            except BaseException:
                await asyncio.shield(store.close())
                raise
        except BaseException:
            lock.release()
            raise
        return engine

    @classmethod
    async def open_read_only(cls, settings: Settings, sink: EventSink) -> ReadOnlyEngine:
        """For a second process while a run is live, and for `status`: reads, never writes. With no
        run live, a store of an older schema is brought up to date first (under the lock), so that
        `status` after an upgrade works; a live run of an older version cannot be followed."""
        lock = RunLock(settings.state_dir)
        try:
            lock.acquire()
        except ProjectBusy:
            pass
        else:
            try:
                await (await Store.open(settings.db_path, settings.project)).close()
            finally:
                lock.release()
        store = await Store.open(settings.db_path, settings.project, read_only=True)
        return ReadOnlyEngine(settings, store, NoModel(), sink)

    def set_sink(self, sink: EventSink) -> None:
        self.ctx.sink = sink

    async def run(self, *, approve_all: bool = False, init_git: bool = False) -> RunSummary:
        """Run the approved tasks. `init_git`: make the project a git repository if it is not one."""
        return await self.lead.run(approve_all=approve_all, init_git=init_git)

    async def approve_all(self) -> int:
        """Approve every proposed task that has no rejected dependency; returns how many."""
        count = 0
        tasks = await self.store.list_tasks()
        rejected = {t.key for t in tasks if t.status == TaskStatus.REJECTED}
        for task in tasks:
            if task.status == TaskStatus.PROPOSED and not rejected.intersection(task.depends_on):
                await self.ctx.move(task, TaskStatus.APPROVED, reason="approved by approve-all")
                count += 1
        return count

    async def approve(self, keys: list[str]) -> list[Task]:
        """Approve proposed tasks. Refused, with nothing changed, if any has a rejected dependency."""
        tasks = {t.key: t for t in await self.store.list_tasks()}
        for key in keys:
            if key not in tasks:
                raise CommandRefused(f"there is no task {key}")
            bad = [d for d in tasks[key].depends_on if tasks[d].status == TaskStatus.REJECTED]
            if bad:
                raise CommandRefused(f"task {key} depends on rejected {', '.join(bad)}: approve that first")
            if tasks[key].status != TaskStatus.PROPOSED:
                raise CommandRefused(f"task {key} is {tasks[key].status}, not proposed")
        return [await self.ctx.move(tasks[k], TaskStatus.APPROVED, reason="approved") for k in keys]

    async def rejection_impact(self, keys: list[str]) -> list[str]:
        """What rejecting `keys` would strand: shown to the person before they confirm."""
        return blocked_forever_by(await self.store.list_tasks(), keys)

    async def reject(self, keys: list[str], reason: str = "") -> list[Task]:
        tasks = {t.key: t for t in await self.store.list_tasks()}
        for key in keys:
            if key not in tasks:
                raise CommandRefused(f"there is no task {key}")
            if tasks[key].status not in (TaskStatus.PROPOSED, TaskStatus.APPROVED):
                raise CommandRefused(f"task {key} is {tasks[key].status}; only a planned task can be rejected")
        why = f"rejected: {reason}" if reason else "rejected"
        return [await self.ctx.move(tasks[k], TaskStatus.REJECTED, reason=why) for k in keys]

    async def edit_task(self, key: str, *, title: str, description: str, agent_type: str) -> Task:
        """Change a planned task's title, description or agent type."""
        task = await self._planned(key)
        title = " ".join(title.split())
        if not title or len(title) > 300:
            raise CommandRefused("a title is 1 to 300 characters")
        if agent_type not in {str(a) for a in AgentType}:
            raise CommandRefused(f"agent type must be backend, frontend or test, not {agent_type!r}")
        return await self.store.update_task(task.key, title=title, description=description.strip(),
                                            agent_type=AgentType(agent_type))

    async def add_task(self, *, title: str, agent_type: str, description: str = "",
                       depends_on: tuple[str, ...] = ()) -> Task:
        """Add a proposed task with the next free number; its dependencies are checked like any plan."""
        title = " ".join(title.split())
        if not title:
            raise CommandRefused("a new task needs a title")
        if agent_type not in {str(a) for a in AgentType}:
            raise CommandRefused(f"agent type must be backend, frontend or test, not {agent_type!r}")
        keys = {t.key for t in await self.store.list_tasks()}
        n = len(keys) + 1
        while f"N{n}" in keys:
            n += 1
        try:
            await self.store.add_plan([], [NewTask(f"N{n}", title, AgentType(agent_type), description=description,
                                                   depends_on=depends_on)])
        except (PlanError, StoreError) as exc:
            raise CommandRefused(str(exc)) from exc
        return await self.store.get_task(f"N{n}")

    async def set_dependencies(self, key: str, depends_on: tuple[str, ...]) -> Task:
        """Replace what a planned task waits for; a cycle or an unknown id is refused with its ids."""
        task = await self._planned(key)
        try:
            return await self.store.set_dependencies(task.key, depends_on)
        except PlanError as exc:
            raise CommandRefused(str(exc)) from exc

    async def imports(self) -> list[ImportRecord]:
        """The plan's imports, oldest first, each with its warnings and acceptance notes."""
        return await self.store.imports()

    async def _planned(self, key: str) -> Task:
        try:
            task = await self.store.get_task(key)
        except StoreError as exc:
            raise CommandRefused(f"there is no task {key}") from exc
        if task.status not in (TaskStatus.PROPOSED, TaskStatus.APPROVED, TaskStatus.REJECTED):
            raise CommandRefused(f"task {key} is {task.status}; only a planned task can be edited")
        return task

    # ---- the person's inbox --------------------------------------------------------------

    async def inbox(self) -> list[InboxItem]:
        """Every pending blocker and every task awaiting review, from all agents, oldest first."""
        return await inbox_items(self.ctx)

    async def answer_blocker(self, blocker_id: int, text: str) -> Blocker:
        """Answer a question; the first answer wins. The agent resumes with it in its next prompt."""
        try:
            return await answer_blocker(self.ctx, blocker_id, text)
        except AnswerRefused as exc:
            raise CommandRefused(str(exc)) from exc

    async def accept_review(self, key: str) -> None:
        await self._review(reviewing.accept(self.ctx, key))

    async def reject_review(self, key: str, feedback: str) -> None:
        await self._review(reviewing.reject(self.ctx, key, feedback))

    async def discard_review(self, key: str, feedback: str = "") -> list[str]:
        """Reject for good; returns the files it could not revert because they changed since."""
        return await self._review(reviewing.discard(self.ctx, key, feedback))

    async def _review(self, decision: Awaitable[T]) -> T:
        try:
            return await decision
        except (reviewing.ReviewRefused, StoreError, IllegalTransition, GitError, WorkspaceError) as exc:
            raise CommandRefused(str(exc)) from exc

    async def workspace_problem(self) -> str | None:
        """Why tasks cannot get worktrees here (not a git repository), for the person to fix or accept."""
        git = Git(self.settings.project)
        if self.settings.worktrees and not await git.is_repo() and await git.toplevel() is None:
            return f"{self.settings.project} is not a git repository"
        return None

    def worktree_bytes(self) -> int | None:
        return self.ctx.workspace.disk_usage() if self.ctx.workspace is not None else None

    async def undo_plan(self, key: str) -> UndoPlan:
        """What undoing a landed task would revert, and which later tasks touched the same files."""
        try:
            return await landing.plan_undo(self.ctx, key)
        except (GitError, WorkspaceError, StoreError) as exc:
            raise CommandRefused(str(exc)) from exc

    async def undo(self, key: str, to: str = "approved") -> str:
        """Revert a done task's merge (git revert); the task goes back to `approved` or `rejected`."""
        try:
            return await landing.undo(self.ctx, key, TaskStatus(to))
        except (GitError, WorkspaceError, StoreError, ValueError, IllegalTransition) as exc:
            raise CommandRefused(str(exc)) from exc

    async def task_diff(self, key: str) -> list[FileDiff]:
        return await reviewing.task_diff(self.ctx, key)

    async def close(self) -> None:
        try:
            if self.ctx.merge_queue is not None:  # a review accepted after the run made its scratch again
                await self.ctx.merge_queue.close()
            await self.model.close()
        finally:
            try:
                await self.store.close()
            finally:
                if self.lock is not None:
                    self.lock.release()  # last: nothing of ours writes after it


class NoModel:
    """For engines that call no model (read-only, `undo`): they still want one they can close."""

    async def close(self) -> None:
        return None


class ReadOnlyEngine(Engine):
    """Another process runs the project: every command is refused with that process named."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_only = True
        self.holder = RunLock(self.settings.state_dir).holder()

    def refusal(self) -> CommandRefused:
        who = f"pid {self.holder}" if self.holder else "another process"
        return CommandRefused(f"read-only: {who} runs this project; only it can change anything")


# Every command that changes something, refused on the read-only engine (a test walks them all).
# (`undo_plan` is not among them: it prepares the repository, which writes.)
_READS = {"inbox", "imports", "rejection_impact", "task_diff", "workspace_problem", "worktree_bytes", "close",
          "open", "open_read_only", "set_sink", "refusal"} | {n for n in vars(EngineQueries) if not n.startswith("_")}


def _refuse(name: str) -> Callable[..., Awaitable[NoReturn]]:
    async def refused(self: ReadOnlyEngine, *args: Any, **kwargs: Any) -> NoReturn:
        raise self.refusal()

    refused.__name__ = name
    return refused


for _name, _member in [*vars(Engine).items(), *vars(PrdCommands).items()]:
    if not _name.startswith("_") and _name not in _READS and asyncio.iscoroutinefunction(_member):
        setattr(ReadOnlyEngine, _name, _refuse(_name))
