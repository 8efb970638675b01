"""The review gate's decisions: accept, reject with feedback for another attempt, or reject for good."""

from __future__ import annotations

import logging
from pathlib import Path

from codeframe_tui.domain import MAX_ANSWER_CHARS, IllegalTransition, Task, TaskStatus
from codeframe_tui.domain.diffs import FileDiff
from codeframe_tui.engine.atomic import write_atomically
from codeframe_tui.engine.changes import ChangeError, resolve_target
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import ReviewDecided
from codeframe_tui.engine.landing import complete
from codeframe_tui.engine.workspace import ensure_workspace
from codeframe_tui.store import StoreError
from codeframe_tui.store.human import FileChangeRecord

log = logging.getLogger(__name__)


class ReviewRefused(ValueError):
    """A review decision that cannot be taken; the message says why."""


async def _in_review(ctx: EngineContext, key: str) -> Task:
    task = await ctx.store.get_task(key)
    if task.status != TaskStatus.REVIEW:
        raise ReviewRefused(f"task {key} is {task.status}, not waiting for review")
    return task


async def accept(ctx: EngineContext, key: str) -> None:
    # The status moves first, conditionally: of two decisions racing, the second is refused before
    # it records or reverts anything.
    task = await _in_review(ctx, key)
    await ctx.store.add_review(key, "accepted")
    try:
        await complete(ctx, task, reason="accepted in review")  # lands it, with worktrees
    except (IllegalTransition, StoreError):
        await ctx.store.drop_last_review(key, "accepted")
        raise
    await ctx.publish(ReviewDecided(task_id=key, decision="accepted"))
    ctx.inbox.wake()


async def reject(ctx: EngineContext, key: str, feedback: str) -> None:
    """The agent tries again, with this feedback (and every earlier one) in its prompt."""
    if not feedback.strip():
        raise ReviewRefused("say what to change: the feedback goes to the agent")
    if len(feedback) > MAX_ANSWER_CHARS:
        raise ReviewRefused(f"feedback is at most {MAX_ANSWER_CHARS} characters; this has {len(feedback)}")
    async with ctx.landing:  # never while a landing of it is under way
        await _reject_locked(ctx, key, feedback)


async def _reject_locked(ctx: EngineContext, key: str, feedback: str) -> None:
    task = await _in_review(ctx, key)
    # The review row first: the attempt the lead may start the moment the task is approved reads it.
    await ctx.store.add_review(key, "rejected", feedback)
    try:
        await ctx.move(task, TaskStatus.APPROVED, reason=f"review asked for changes: {feedback[:200]}")
    except (IllegalTransition, StoreError):
        await ctx.store.drop_last_review(key, "rejected")
        raise
    await ctx.publish(ReviewDecided(task_id=key, decision="rejected", feedback=feedback))
    ctx.inbox.wake()


async def discard(ctx: EngineContext, key: str, feedback: str = "") -> list[str]:
    """Reject for good: the task is `rejected` (its dependents are held) and its changes are undone
    where no one changed the file since. Returns the files left as they are, to say so."""
    why = "rejected for good in review" + (f": {feedback[:200]}" if feedback.strip() else "")
    workspace = await ensure_workspace(ctx)
    async with ctx.landing:  # never while a landing of it is under way
        await ctx.move(await _in_review(ctx, key), TaskStatus.REJECTED, reason=why)
        if workspace is not None:
            # Its work never left its worktree: the person confirmed the discard, so both go.
            await workspace.remove(key, merged_only=False)
            ctx.roots.pop(key, None)
            kept: list[str] = []
        else:
            kept = revert(ctx.project, await ctx.store.task_changes(key))
    await ctx.store.add_review(key, "discarded", feedback)
    await ctx.publish(ReviewDecided(task_id=key, decision="discarded", feedback=feedback))
    ctx.inbox.wake()
    return kept


def revert(project: Path, changes: list[FileChangeRecord]) -> list[str]:
    """Put back each file's bytes (and mode) from before the task, but only where the file still
    holds what the task wrote: another task's later edit is never overwritten. Paths are checked as
    a change set's are, so a folder turned into a symlink since cannot lead the revert outside."""
    kept = []
    try:
        root = project.resolve(strict=True)
    except OSError:
        return [c.path for c in changes]
    for change in changes:
        try:
            path = resolve_target(change.path, root)
            current = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        except (ChangeError, OSError):
            kept.append(change.path)
            continue
        if current != change.after:
            kept.append(change.path)
            continue
        try:
            if change.before is None:
                if current is not None:
                    path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(path, change.before, change.before_mode)
        except OSError:
            log.exception("could not revert %s", change.path)
            kept.append(change.path)
    return kept


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", errors="replace")


async def task_diff(ctx: EngineContext, key: str) -> list[FileDiff]:
    """What the task changed, file by file: before it first touched each file, and after its last write."""
    return [FileDiff(c.path, _text(c.before), _text(c.after)) for c in await ctx.store.task_changes(key)]
