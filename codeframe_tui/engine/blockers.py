"""Asking the person: raise a blocker, await or route its answer, expire it. Shared by workers,
the lead agent and the engine's commands, so every path emits the same events in the same order."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from codeframe_tui.costs import budget
from codeframe_tui.domain import MAX_ANSWER_CHARS, Blocker, BlockerKind, Task, TaskStatus
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import AgentResumed, BlockerCreated, BlockerExpired, BlockerResolved

log = logging.getLogger(__name__)


# The engine's own questions per task (stuck after corrections, no test command, a failed task that
# others wait on). With an answers file answering every time, a task could otherwise loop forever.
MAX_ENGINE_QUESTIONS = 3


async def engine_questions(ctx: EngineContext, key: str) -> int:
    return sum(1 for b in await ctx.store.blockers(key) if b.source == "engine")


async def answer_pending_from_book(ctx: EngineContext) -> None:
    """Questions left by an earlier run, answered now from the answers file where it has an answer."""
    if ctx.inbox.answerer is None:
        return
    for blocker in await ctx.store.blockers(pending_only=True):
        answer = ctx.inbox.answerer(blocker)
        if answer is not None:
            await answer_blocker(ctx, blocker.id, answer)


class AnswerRefused(ValueError):
    """An answer that cannot be taken: empty, too long, or the blocker is no longer pending."""


async def ask_person(ctx: EngineContext, task: Task, question: str, *, kind: BlockerKind = BlockerKind.SYNC,
                     agent_id: str | None = None, source: str = "engine", yes_no: bool = False,
                     assumption: str = "", wait: bool = True) -> tuple[Blocker, str | None]:
    """Raise a blocker. With `wait` (a worker's SYNC question), return the answer once it comes, the
    task `blocked` meanwhile; None when nobody can answer in this run (headless, no answers file)."""
    blocker = await ctx.store.create_blocker(task.key, question, str(kind), agent_id=agent_id, source=source,
                                             yes_no=yes_no, assumption=assumption)
    auto = ctx.inbox.answerer(blocker) if ctx.inbox.answerer else None
    live = wait and kind == BlockerKind.SYNC and auto is None and ctx.inbox.people_present
    announce = BlockerCreated(
        blocker_id=blocker.id, task_id=task.key, question=question, kind=str(kind), agent_id=agent_id,
        source=source, yes_no=yes_no, assumption=assumption,
    )
    if not live:
        await ctx.publish(announce)
        if auto is None:
            return blocker, None
        if wait and kind == BlockerKind.SYNC:
            resolved = await _record_answer(ctx, blocker.id, auto)
            await ctx.publish(AgentResumed(agent_id=agent_id, task_id=task.key, blocker_id=blocker.id))
            return resolved, auto
        return await answer_blocker(ctx, blocker.id, auto), None
    # Registered before the question is shown, so no answer can come before the worker listens;
    # unregistered however this ends (a cancel, a store error), so no answer goes to a dead future.
    future = ctx.inbox.register(blocker)
    try:
        await ctx.publish(announce)
        task = await ctx.move(task, TaskStatus.BLOCKED, reason=f"waiting for an answer: {question[:300]}",
                              agent_id=agent_id)
        answer = await future
    finally:
        ctx.inbox.unregister(blocker.id)
    await ctx.inbox.slots.retake(task.key)  # before any new task takes the slot
    current = await ctx.store.get_task(task.key)
    await ctx.move(current, TaskStatus.RUNNING, reason="resumed with the person's answer", agent_id=agent_id)
    await ctx.publish(AgentResumed(agent_id=agent_id, task_id=task.key, blocker_id=blocker.id))
    return blocker, answer


def check_answer(text: str) -> str:
    if not text.strip():
        raise AnswerRefused("an answer cannot be empty")
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerRefused(f"an answer is at most {MAX_ANSWER_CHARS} characters; this one has {len(text)}")
    return text


async def _record_answer(ctx: EngineContext, blocker_id: int, text: str) -> Blocker:
    check_answer(text)
    resolved = await ctx.store.resolve_blocker(blocker_id, text)
    if resolved is None:
        existing = await ctx.store.get_blocker(blocker_id)
        if existing is None:
            raise AnswerRefused(f"there is no blocker {blocker_id}")
        raise AnswerRefused(f"blocker {blocker_id} is already {existing.status}; the first answer stands")
    await ctx.publish(BlockerResolved(blocker_id=blocker_id, task_id=resolved.task_key, answer=text))
    await _apply_budget_answer(ctx, resolved, text)
    return resolved


async def _apply_budget_answer(ctx: EngineContext, blocker: Blocker, text: str) -> None:
    """A cap's question: a raise is kept on the task (or the run), so it holds whether the agent still
    waits or the task starts again later; a "no" is kept too, so the task is not asked again. An
    unclear answer changes nothing (a waiting agent asks again)."""
    cap = budget.cap_of(blocker)
    if cap is None:
        return
    try:
        new = budget.parse_raise(text, cap.kind, cap.suggested)
    except budget.Unclear:
        return
    if cap.kind == "run_usd" and cap.run_id is not None and cap.run_id == ctx.run_id:
        if new is not None:
            ctx.run_usd_cap = new
        else:
            ctx.run_declined = True
        if ctx.run_cap_pending is not None:
            ctx.run_cap_pending.set()  # the agents waiting on this question look again now
        return
    task = await ctx.store.get_task(blocker.task_key)
    if new is None:
        await ctx.store.set_extra(task.key, budget_declined=cap.kind)
    elif cap.kind not in ("loop", "run_usd"):  # an old run's cap: the next run has its own
        await ctx.store.set_extra(task.key, budget={**task.extra.get("budget", {}), cap.kind: new},
                                  budget_declined="")


async def answer_blocker(ctx: EngineContext, blocker_id: int, text: str) -> Blocker:
    """The person's answer: stored (first one wins), then handed to the waiting agent, or, when no
    agent waits for it any more (the app was restarted), the task queues again with it in its prompt."""
    blocker = await _record_answer(ctx, blocker_id, text)
    ctx.inbox.wake()  # whatever follows, the lead looks again: this may have been the last question
    if ctx.inbox.deliver(blocker_id, text):
        return blocker
    task = await ctx.store.get_task(blocker.task_key)
    if blocker.kind != BlockerKind.SYNC:
        return blocker  # an ASYNC answer joins the task's next step or its next attempt's prompt
    if task.extra.get("budget_declined") and task.status == TaskStatus.BLOCKED:
        await ctx.move(task, TaskStatus.FAILED, reason="stopped at its cap, as the person answered")
        return blocker
    if budget.cap_of(blocker) is None and task.extra.get("budget_declined"):
        # Guidance after a stop at a cap re-approves the task: the person wants it to go on.
        task = await ctx.store.set_extra(task.key, budget_declined="")
    others = [b for b in await ctx.store.blockers(task.key, pending_only=True) if b.kind == BlockerKind.SYNC]
    if others:
        return blocker  # still waits for its other questions
    if task.status == TaskStatus.BLOCKED:
        await ctx.move(task, TaskStatus.APPROVED, reason="answered; starts again with the answer")
    elif task.status == TaskStatus.FAILED:
        await ctx.move(task, TaskStatus.APPROVED, reason="answered; tries again with the answer")
    else:
        return blocker
    ctx.inbox.resumed[task.key] = blocker_id
    return blocker


def _age(blocker: Blocker, now: datetime) -> float:
    try:
        return (now - datetime.fromisoformat(blocker.created_at)).total_seconds()
    except ValueError:
        return 0.0


async def expire_overdue(ctx: EngineContext) -> float | None:
    """Expire blockers older than `blocker_expiry`; a SYNC one fails its task with the reason.
    Returns the seconds until the next one is due, or None when none is pending (or expiry is off)."""
    limit = ctx.settings.blocker_expiry
    if limit <= 0:
        return None
    now = datetime.now(UTC)
    next_due: float | None = None
    for blocker in await ctx.store.blockers(pending_only=True):
        left = limit - _age(blocker, now)
        if left > 0:
            next_due = left if next_due is None else min(next_due, left)
            continue
        if await ctx.store.expire_blocker(blocker.id) is None:
            continue  # answered meanwhile: the answer wins
        reason = f"question {blocker.id} expired after {limit:g}s without an answer"
        await ctx.publish(BlockerExpired(blocker_id=blocker.id, task_id=blocker.task_key, reason=reason))
        if blocker.kind != BlockerKind.SYNC or ctx.inbox.expire(blocker.id, reason):
            continue  # an ASYNC task keeps its assumption; a waiting worker fails its own task
        task = await ctx.store.get_task(blocker.task_key)
        if task.status == TaskStatus.BLOCKED:
            await ctx.move(task, TaskStatus.FAILED, reason=reason)
    return next_due
