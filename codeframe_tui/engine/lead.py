"""The lead agent: schedules ready tasks onto workers, honours their results, finishes when idle."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass

from codeframe_tui.domain import MAX_QUESTION_CHARS, AgentType, Task, TaskStatus, WorkerOutcome, WorkerResult
from codeframe_tui.engine.blockers import (
    MAX_ENGINE_QUESTIONS,
    answer_pending_from_book,
    ask_person,
    engine_questions,
    expire_overdue,
)
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import (
    AgentResumed,
    AgentStatusChanged,
    ReviewRequested,
    RunFinished,
    RunStarted,
    TaskHeld,
    TaskInfo,
    TaskReleased,
    WorkPaused,
    WorkspaceChecked,
)
from codeframe_tui.engine.landing import complete, land, modified_tests
from codeframe_tui.engine.merge_queue import queue_of
from codeframe_tui.engine.recovery import Interrupted
from codeframe_tui.engine.scheduler import blocked_forever_by, plan_schedule
from codeframe_tui.engine.workers import WorkerAgent, worker_class
from codeframe_tui.engine.workspace import open_workspace
from codeframe_tui.runner.sandbox import choose as choose_executor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSummary:
    done: int
    failed: int
    blocked: int
    held: int
    total: int
    elapsed: float
    waiting: int = 0  # pending blockers and reviews: what the person still has to answer

    @property
    def needs_person(self) -> bool:
        return self.waiting > 0

    @property
    def all_done(self) -> bool:
        return self.total > 0 and self.done == self.total


class LeadAgent:
    """Runs the approved part of the plan with at most `max_concurrent` workers at once."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.agents: dict[str, WorkerAgent] = {}
        self._busy: set[str] = set()
        # Each started task's job (its worker, then the settling of its result) -> the task, agent, worker.
        self._running: dict[asyncio.Task[None], tuple[Task, WorkerAgent, asyncio.Task[WorkerResult]]] = {}
        # Tasks a stopped or killed run left `landing`: they land again, holding no slot.
        self._landings: set[asyncio.Task[Task]] = set()
        self._held_reported: dict[str, tuple[str, ...]] = {}
        self._paused = False
        self.interrupted: Interrupted | None = None  # announced once, when the resumed run starts

    async def run(self, *, approve_all: bool = False, init_git: bool = False) -> RunSummary:
        """Run every approved task that can run; with `approve_all`, approve the proposed ones first."""
        started = time.monotonic()
        store = self.ctx.store
        self.ctx.inbox.slots.limit = self.ctx.settings.max_concurrent
        tasks = await store.list_tasks()
        # Where the tests run, tested once per process: SandboxUnavailable when "bwrap" cannot run here.
        choice = await choose_executor(self.ctx.settings.sandbox)
        self.ctx.executor, self.ctx.sandbox_warning = choice.executor, choice.warning
        await self.ctx.publish(RunStarted(
            project=str(self.ctx.project),
            tasks=tuple(TaskInfo(t.key, t.title, str(t.agent_type), t.depends_on, str(t.status)) for t in tasks),
            model=self.ctx.settings.model, offline=self.ctx.settings.offline,
            sandbox=self.ctx.sandbox_text(),
        ))
        await self.open_workspace(init_git)  # a refusal here (not a repository) is no run to resume
        run_id = await store.begin_run(os.getpid())
        self.ctx.run_id, self.ctx.run_usd_cap, self.ctx.run_declined = run_id, self.ctx.settings.budget_run_usd, False
        try:
            if self.interrupted is not None:
                await self.ctx.publish(self.interrupted.event())
                self.interrupted = None
            return await self._run(approve_all, tasks, started)
        except BaseException:
            await asyncio.shield(store.end_run(run_id, "stopped"))
            raise
        finally:
            await asyncio.shield(store.end_run(run_id, "finished"))  # no-op when already ended
            if self.ctx.merge_queue is not None:
                await asyncio.shield(self.ctx.merge_queue.close())

    async def _run(self, approve_all: bool, tasks: list[Task], started: float) -> RunSummary:
        await self._recover_interrupted()
        await answer_pending_from_book(self.ctx)
        if approve_all:
            for task in tasks:
                if task.status == TaskStatus.PROPOSED:
                    await self._move(task, TaskStatus.APPROVED, reason="approved by --approve-all")
        try:
            while True:
                self.ctx.inbox.clear_wake()  # before looking, so a wake-up during the look is kept
                next_expiry = await expire_overdue(self.ctx)
                await self._start_ready()
                if not self._running and not self._landings and not await self._people_can_unblock():
                    break
                # Wake on a finished worker, a freed slot, an answer or review, or a blocker falling due.
                waker = asyncio.ensure_future(self.ctx.inbox.woken())
                try:
                    await asyncio.wait([*self._running, *self._landings, waker], timeout=next_expiry,
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waker.cancel()
                for job in [j for j in self._running if j.done()]:
                    job.result()  # an engine error stops the run; still listed, so the stop settles it again
                    del self._running[job]
                for landing in [j for j in self._landings if j.done()]:
                    self._landings.discard(landing)
                    landing.result()
        except BaseException as exc:
            # Cancelled (quit, SIGTERM) or an engine error: either way no worker may outlive the run.
            why = "the run was stopped" if isinstance(exc, asyncio.CancelledError) else f"the run stopped on {exc!r}"
            await self._stop_all(why)
            raise
        summary = await self._summary(time.monotonic() - started)
        await self.ctx.publish(RunFinished(
            done=summary.done, failed=summary.failed, blocked=summary.blocked, total=summary.total,
            elapsed=summary.elapsed, held=summary.held, waiting=summary.waiting,
        ))
        return summary

    async def open_workspace(self, init_git: bool = False) -> None:
        """With worktrees on: check the repository (WorkspaceError says what to do) and report the
        person's uncommitted files, which are never touched, and the worktrees found again."""
        if not self.ctx.settings.worktrees:
            return
        state, found = await open_workspace(self.ctx, init=init_git)
        await self.ctx.publish(WorkspaceChecked(base=state.base, dirty=state.dirty, worktrees=found))

    async def _recover_interrupted(self) -> None:
        """A task left `running` by a dead process goes back to `approved`, its retries kept; so does
        a `blocked` one whose questions were all answered while no agent was waiting."""
        pending = {b.task_key for b in await self.ctx.store.blockers(pending_only=True) if b.kind == "sync"}
        for task in await self.ctx.store.list_tasks():
            if task.status == TaskStatus.RUNNING:
                await self._move(task, TaskStatus.APPROVED, reason="interrupted; will start again")
            elif task.status == TaskStatus.LANDING and task.key not in queue_of(self.ctx).landing:
                # Left by a stopped or killed run (not a review accepted meanwhile, which lands
                # under its own command): its checks passed and its work is on its branch, so it
                # lands (or is found landed).
                self._landings.add(asyncio.create_task(land(self.ctx, task, "landed after a restart"),
                                                       name=f"land-{task.key}"))
            elif task.status == TaskStatus.BLOCKED and task.key not in pending:
                await self._move(task, TaskStatus.APPROVED, reason="answered; starts again with the answer")

    async def _people_can_unblock(self) -> bool:
        """With a person at the screen, the run stays open while they still have something to answer
        or review that would let work go on; headless, nobody will, so the run ends."""
        if not self.ctx.inbox.people_present:
            return False
        if any(b.kind == "sync" for b in await self.ctx.store.blockers(pending_only=True)):
            return True
        # A review accepted is `landing` (under the accept's own command) until its batch settles.
        return any(t.status in (TaskStatus.REVIEW, TaskStatus.LANDING) for t in await self.ctx.store.list_tasks())

    async def _start_ready(self) -> None:
        tasks = await self.ctx.store.list_tasks()
        schedule = plan_schedule(tasks, running={t.key for t, _, _ in self._running.values()})
        status = {t.key: t.status for t in tasks}  # looked up per held task: a scan each would be quadratic
        for key in [k for k in self._held_reported if k not in schedule.held]:
            del self._held_reported[key]
            if status.get(key) == TaskStatus.APPROVED:
                await self.ctx.store.set_reason(key, "")
                await self.ctx.publish(TaskReleased(task_id=key))
        for key, culprits in schedule.held.items():
            if self._held_reported.get(key) != culprits:
                self._held_reported[key] = culprits
                reason = "waits on " + ", ".join(f"{c} ({status[c]})" for c in culprits) + ", so it cannot start"
                await self.ctx.store.set_reason(key, reason)
                await self.ctx.publish(TaskHeld(task_id=key, reason=reason, blocked_by=culprits))
        slots = self.ctx.inbox.slots
        if schedule.ready and slots.free() > 0 and await self._over_disk_limit():
            return
        for task in schedule.ready:
            # A worker waiting for the person's answer holds no slot: the others keep working.
            if slots.free() <= 0:
                break
            slots.take(task.key)
            agent = self._agent_for(task.agent_type)
            self._busy.add(agent.agent_id)
            # A retry keeps its reason while running: the worker tells the model what failed before.
            reason = task.reason if task.retries else ""
            task = await self._move(task, TaskStatus.RUNNING, agent_id=agent.agent_id, reason=reason)
            worker = asyncio.create_task(agent.execute_task(task), name=f"task-{task.key}")
            job = asyncio.create_task(self._see_through(task, agent, worker), name=f"job-{task.key}")
            self._running[job] = (task, agent, worker)
            blocker_id = self.ctx.inbox.resumed.pop(task.key, None)
            if blocker_id is not None:
                await self.ctx.publish(AgentResumed(agent_id=agent.agent_id, task_id=task.key, blocker_id=blocker_id))

    async def _over_disk_limit(self) -> bool:
        workspace = self.ctx.workspace
        if workspace is None:
            return False
        used = workspace.disk_usage()
        limit = int(self.ctx.settings.worktree_disk_limit_gb * 1024**3)
        if used <= limit:
            self._paused = False
            return False
        if not self._paused:  # said once, not at every look
            self._paused = True
            await self.ctx.publish(WorkPaused(
                reason=f"worktrees use {used / 1024**3:.2f} GiB, over the {limit / 1024**3:g} GiB limit; "
                       "new tasks wait (land or discard some work, or raise worktree_disk_limit_gb)",
                used_bytes=used, limit_bytes=limit,
            ))
        return True

    def _agent_for(self, agent_type: AgentType) -> WorkerAgent:
        for agent in self.agents.values():
            if agent.agent_type == agent_type and agent.agent_id not in self._busy:
                return agent
        n = sum(1 for a in self.agents.values() if a.agent_type == agent_type) + 1
        agent = worker_class(agent_type)(f"{agent_type}-{n}", self.ctx)
        self.agents[agent.agent_id] = agent
        return agent

    async def _see_through(self, task: Task, agent: WorkerAgent, worker: asyncio.Task[WorkerResult]) -> None:
        """Settle the worker's result as soon as it comes, beside the lead's loop rather than in it: a
        landing (merges, test runs) takes seconds, and meanwhile the loop refills freed slots at once."""
        await asyncio.wait([worker])
        await self._settle(task, agent, worker)

    async def _settle(self, task: Task, agent: WorkerAgent, fut: asyncio.Task[WorkerResult]) -> None:
        """Honour the worker's result exactly: failed stays failed, blocked stays blocked."""
        try:
            await self._honour(task, agent, fut)
        finally:
            # Given back only once the status has moved, so no one sees two tasks running in one slot.
            self.ctx.inbox.slots.give(task.key)

    async def _honour(self, task: Task, agent: WorkerAgent, fut: asyncio.Task[WorkerResult]) -> None:
        try:
            result = fut.result()
        except Exception as exc:  # a bug in a worker fails its task, loudly, and the run goes on
            log.exception("worker %s crashed on task %s", agent.agent_id, task.key)
            result = WorkerResult(WorkerOutcome.FAILED, reason=f"internal error: {type(exc).__name__}: {exc}")
        try:
            await agent.set_step("idle", busy=False)
        finally:
            # Free for a new task only now, so its steps never meet this "idle"; and only here, once:
            # freed again later (after a landing), it would be handed a second task while it runs one.
            self._busy.discard(agent.agent_id)
        current = await self.ctx.store.get_task(task.key)
        failed = result.outcome == WorkerOutcome.FAILED
        if failed and result.retryable and current.retries < self.ctx.settings.max_retries:
            n = current.retries + 1
            reason = f"retry {n} of {self.ctx.settings.max_retries} after: {result.reason}"
            await self._move(current, TaskStatus.APPROVED, reason=reason, count_retry=True)
            return
        outcome = result.outcome
        flagged = tuple(await modified_tests(self.ctx, task.key)) if outcome.is_success else ()
        if outcome == WorkerOutcome.DONE and flagged:
            outcome = WorkerOutcome.REVIEW  # edited tests never pass through `auto` silently
        if outcome == WorkerOutcome.DONE:
            await complete(self.ctx, current, reason=result.reason, agent_id=agent.agent_id)
            return
        why = f"modified {len(flagged)} existing test(s): {', '.join(flagged)}" if flagged else result.reason
        current = await self._move(current, outcome.task_status, reason=why, agent_id=agent.agent_id)
        if outcome == WorkerOutcome.REVIEW:
            changes = await self.ctx.store.task_changes(task.key)
            await self.ctx.publish(ReviewRequested(
                task_id=task.key, agent_id=agent.agent_id, files=tuple(c.path for c in changes),
                summary=result.reason or "tests passed", modified_tests=flagged,
            ))
        elif failed:
            await self._ask_about_dependents(current)

    async def _ask_about_dependents(self, task: Task) -> None:
        """A failed task that others wait on: ask the person how to go on instead of stranding them."""
        waiting = blocked_forever_by(await self.ctx.store.list_tasks(), [task.key])
        if not waiting or await engine_questions(self.ctx, task.key) >= MAX_ENGINE_QUESTIONS:
            return
        question = (
            f"Task {task.key} '{task.title}' failed: {task.reason[:600]}. "
            f"{len(waiting)} task(s) wait on it ({', '.join(waiting[:8])}). Answer with guidance and the "
            "agent tries it again with your answer. Until then they stay held."
        )
        await ask_person(self.ctx, task, question[:MAX_QUESTION_CHARS], agent_id=task.agent_id, wait=False)

    async def _move(self, task: Task, target: TaskStatus, *, reason: str = "", agent_id: str | None = None,
                    count_retry: bool = False) -> Task:
        return await self.ctx.move(task, target, reason=reason, agent_id=agent_id, count_retry=count_retry)

    async def _stop_all(self, reason: str) -> None:
        """Cancel every worker (their subprocess groups die with them) and keep the tasks resumable.

        A worker that had already finished is settled as usual, so its work is not done twice; a job
        that settled it to the end is left as it is.
        """
        for job, (_, _, worker) in self._running.items():
            job.cancel()
            worker.cancel()  # no-ops when done
        for landing in self._landings:  # their tasks stay `landing`, to land at the next start
            landing.cancel()
        await asyncio.gather(*self._running, *(w for _, _, w in self._running.values()), *self._landings,
                             return_exceptions=True)
        self._landings.clear()
        for job, (task, agent, fut) in list(self._running.items()):
            if not job.cancelled() and job.exception() is None:
                continue
            if not fut.cancelled() and fut.exception() is None:
                try:
                    await self._settle(task, agent, fut)
                except Exception:
                    log.exception("could not settle task %s while stopping", task.key)
            current = await self.ctx.store.get_task(task.key)
            if current.status == TaskStatus.RUNNING:
                await self._move(current, TaskStatus.APPROVED, reason=f"{reason}; will start again")
            self.ctx.inbox.slots.give(task.key)
            await self.ctx.store.save_agent(agent.agent_id, str(agent.agent_type), "idle", None, "stopped")
            self.ctx.emit(AgentStatusChanged(
                agent_id=agent.agent_id, agent_type=str(agent.agent_type), status="idle", task_id=None,
                step="stopped",
            ))
        self._running.clear()

    async def _summary(self, elapsed: float) -> RunSummary:
        tasks = [t for t in await self.ctx.store.list_tasks() if t.status != TaskStatus.REJECTED]

        def count(status: TaskStatus) -> int:
            return sum(1 for t in tasks if t.status == status)

        pending = [b for b in await self.ctx.store.blockers(pending_only=True) if b.kind == "sync"]
        return RunSummary(
            done=count(TaskStatus.DONE), failed=count(TaskStatus.FAILED), blocked=count(TaskStatus.BLOCKED),
            held=len(self._held_reported), total=len(tasks), elapsed=elapsed,
            waiting=len(pending) + count(TaskStatus.REVIEW),
        )
