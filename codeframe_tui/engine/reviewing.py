"""The review gate's decisions: accept, reject with feedback for another attempt, or reject for good."""

from __future__ import annotations

import logging
import os

from codeframe_tui.domain import MAX_ANSWER_CHARS, TaskStatus
from codeframe_tui.domain.diffs import FileDiff
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import ReviewDecided
from codeframe_tui.store.human import FileChangeRecord

log = logging.getLogger(__name__)


class ReviewRefused(ValueError):
    """A review decision that cannot be taken; the message says why."""


async def _in_review(ctx: EngineContext, key: str):
    task = await ctx.store.get_task(key)
    if task.status != TaskStatus.REVIEW:
        raise ReviewRefused(f"task {key} is {task.status}, not waiting for review")
    return task


async def accept(ctx: EngineContext, key: str) -> None:
    task = await _in_review(ctx, key)
    await ctx.store.add_review(key, "accepted")
    await ctx.move(task, TaskStatus.DONE, reason="accepted in review")
    await ctx.publish(ReviewDecided(task_id=key, decision="accepted"))
    ctx.inbox.wake()


async def reject(ctx: EngineContext, key: str, feedback: str) -> None:
    """The agent tries again, with this feedback (and every earlier one) in its prompt."""
    if not feedback.strip():
        raise ReviewRefused("say what to change: the feedback goes to the agent")
    if len(feedback) > MAX_ANSWER_CHARS:
        raise ReviewRefused(f"feedback is at most {MAX_ANSWER_CHARS} characters; this has {len(feedback)}")
    task = await _in_review(ctx, key)
    await ctx.store.add_review(key, "rejected", feedback)
    await ctx.move(task, TaskStatus.APPROVED, reason=f"review asked for changes: {feedback[:200]}")
    await ctx.publish(ReviewDecided(task_id=key, decision="rejected", feedback=feedback))
    ctx.inbox.wake()


async def discard(ctx: EngineContext, key: str, feedback: str = "") -> list[str]:
    """Reject for good: the task is `rejected` (its dependents are held) and its changes are undone
    where no one changed the file since. Returns the files left as they are, to say so."""
    task = await _in_review(ctx, key)
    kept = revert(ctx, await ctx.store.task_changes(key))
    await ctx.store.add_review(key, "discarded", feedback)
    why = "rejected for good in review" + (f": {feedback[:200]}" if feedback.strip() else "")
    await ctx.move(task, TaskStatus.REJECTED, reason=why)
    await ctx.publish(ReviewDecided(task_id=key, decision="discarded", feedback=feedback))
    ctx.inbox.wake()
    return kept


def revert(ctx: EngineContext, changes: list[FileChangeRecord]) -> list[str]:
    """Put back each file's bytes from before the task, but only where the file still holds what the
    task wrote: another task's later edit is never overwritten."""
    kept = []
    root = ctx.project.resolve()
    for change in changes:
        path = root / change.path
        try:
            current = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        except OSError:
            current = b""  # unreadable: leave it alone
        if current != change.after:
            kept.append(change.path)
            continue
        try:
            if change.before is None:
                if current is not None:
                    path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".cf-revert-{os.getpid()}.tmp")
                tmp.write_bytes(change.before)
                os.replace(tmp, path)
        except OSError:
            log.exception("could not revert %s", change.path)
            kept.append(change.path)
    return kept


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", errors="replace")


async def task_diff(ctx: EngineContext, key: str) -> list[FileDiff]:
    """What the task changed, file by file: before it first touched each file, and after its last write."""
    return [FileDiff(c.path, _text(c.before), _text(c.after)) for c in await ctx.store.task_changes(key)]
