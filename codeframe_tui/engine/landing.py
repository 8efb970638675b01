"""Completing a task's work: with worktrees it lands through the merge queue (merge_queue.py), and a
landing that fails goes back to its agent or to the person. Undo reverts the merge. Nothing here
ever deletes work."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from codeframe_tui.domain import MAX_QUESTION_CHARS, Task, TaskStatus
from codeframe_tui.engine.blockers import MAX_ENGINE_QUESTIONS, ask_person, engine_questions
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import TaskUndone
from codeframe_tui.engine.landing_git import Landing, trailer_message
from codeframe_tui.engine.merge_queue import queue_of
from codeframe_tui.engine.workspace import branch_for, ensure_workspace
from codeframe_tui.vcs import Git, GitError

log = logging.getLogger(__name__)

# Paths that look like tests, in the languages the runner knows.
TEST_HINTS = ("tests/", "test/", "__tests__/", "spec/")
TEST_NAMES = ("test_", "_test.", ".test.", ".spec.", "conftest.py")


def is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return path.startswith(TEST_HINTS) or any(f"/{h}" in f"/{path}" for h in TEST_HINTS) or any(
        n in name for n in TEST_NAMES
    )


async def modified_tests(ctx: EngineContext, key: str) -> list[str]:
    """Existing test files the task edited or deleted: a reason to look before it lands.

    With worktrees, "existing" means on the base branch: a test the task wrote itself in an earlier,
    interrupted attempt is in its worktree before this attempt, but it is the task's own work."""
    touched = [c.path for c in await ctx.store.task_changes(key) if c.before is not None and is_test_path(c.path)]
    if not touched or ctx.workspace is None or not ctx.workspace.base:
        return touched
    git, base = Git(ctx.project), ctx.workspace.base
    return [path for path in touched if (await git.run("cat-file", "-e", f"{base}:{path}", check=False)).code == 0]


async def complete(ctx: EngineContext, task: Task, *, reason: str, agent_id: str | None = None) -> Task:
    """Work that is accepted (by review, or `auto`) becomes `done`; with worktrees, only once it has
    landed, through the merge queue. A landing that fails goes back to its agent (the suite went red
    with it, and it has a retry left) or blocks the task with a question, its branch kept as it is."""
    if await ensure_workspace(ctx) is None:
        return await ctx.move(task, TaskStatus.DONE, reason=reason, agent_id=agent_id)
    # Its work committed on its branch first: from `landing` on, a dependent may start on top of it.
    # Then `landing`, conditionally (of two decisions racing, the second is refused here), and the
    # agent's slot goes back: a task waiting for its batch's suite keeps no agent from working.
    queue = queue_of(ctx)
    await queue.commit_work(task)
    task = await ctx.move(task, TaskStatus.LANDING, reason="queued to land", agent_id=agent_id)
    ctx.inbox.slots.give(task.key)
    ctx.inbox.wake()
    return await land(ctx, task, reason, agent_id)


async def land(ctx: EngineContext, task: Task, reason: str = "", agent_id: str | None = None) -> Task:
    """A `landing` task through the merge queue, then settled; also a task a stopped run left there."""
    landing = await queue_of(ctx).land(task)
    return await _settle_landing(ctx, task, landing, reason, agent_id)


async def _settle_landing(ctx: EngineContext, task: Task, landing: Landing, reason: str,
                          agent_id: str | None) -> Task:
    if landing.requeue:
        # Started on top of a dependency that has not landed after all: back to wait for it, its
        # work kept in its worktree (merged with the dependency's again at its next start).
        return await ctx.move(task, TaskStatus.APPROVED, reason=landing.problem, agent_id=agent_id)
    if landing.landed and not landing.commit:
        return await ctx.move(task, TaskStatus.DONE, reason=reason, agent_id=agent_id)
    if landing.landed:
        landed = f"landed as {landing.commit[:10]}"
        return await ctx.move(task, TaskStatus.DONE, reason=f"{reason}; {landed}" if reason else landed,
                              agent_id=agent_id)
    current = await ctx.store.get_task(task.key)
    if landing.culprit and current.retries < ctx.settings.max_retries:
        # The suite went red with it on the base: a correction for its agent, with the failure.
        await ctx.store.set_extra(task.key, landing_failure=f"{landing.problem}\n{landing.output}"[-6000:])
        n = current.retries + 1
        return await ctx.move(current, TaskStatus.APPROVED, count_retry=True, agent_id=agent_id,
                              reason=f"retry {n} of {ctx.settings.max_retries}: {landing.problem}")
    task = await ctx.move(task, TaskStatus.BLOCKED, reason=f"could not land: {landing.problem}", agent_id=agent_id)
    if await engine_questions(ctx, task.key) >= MAX_ENGINE_QUESTIONS:
        # Answered and retried enough (an answers file answers every time): stop, do not loop.
        return await ctx.move(task, TaskStatus.FAILED, reason=f"could not land after {MAX_ENGINE_QUESTIONS} "
                                                              f"tries: {landing.problem}")
    assert ctx.workspace is not None  # only a task in a worktree lands through the queue
    question = (
        f"Task {task.key} '{task.title}' could not land: {landing.problem}. Its branch {branch_for(task.key)} "
        f"is kept as it is. Answer, and the agent tries again from the current {ctx.workspace.base} "
        "with your answer in its prompt."
    )
    await ask_person(ctx, task, question[:MAX_QUESTION_CHARS], agent_id=agent_id, wait=False)
    return task


@dataclass(frozen=True)
class UndoPlan:
    """What undoing a landed task involves, shown to the person before they confirm."""

    key: str
    commit: str
    files: tuple[str, ...]
    later: tuple[str, ...]  # later landed commits (subjects) that touched the same files


async def plan_undo(ctx: EngineContext, key: str) -> UndoPlan:
    task = await ctx.store.get_task(key)
    commit = str(task.extra.get("landed_commit", "")) if isinstance(task.extra, dict) else ""
    await ensure_workspace(ctx)
    if task.status not in (TaskStatus.DONE, TaskStatus.BLOCKED) or not commit or ctx.workspace is None:
        raise GitError(("revert",), None, f"task {key} has no landed merge to undo (it is {task.status})")
    git = ctx.workspace.git
    files = tuple(await git.files_changed(commit))
    later = tuple(await git.commits_touching(commit, list(files)))
    return UndoPlan(key, commit, files, later)


async def undo(ctx: EngineContext, key: str, to: TaskStatus = TaskStatus.APPROVED) -> str:
    """Revert the task's merge commit on the base branch; the task goes back to `to`."""
    if to not in (TaskStatus.APPROVED, TaskStatus.REJECTED):
        raise ValueError("a task is undone back to approved or rejected")
    plan = await plan_undo(ctx, key)
    workspace = ctx.workspace
    assert workspace is not None  # plan_undo refuses an undo without one
    task = await ctx.store.get_task(key)
    async with ctx.landing:
        if await workspace.git.branch_exists(branch_for(key)):
            # Landed but kept (its tests went red after): its work is in the base's history, and a
            # retry must start afresh, for merging a reverted branch again would drop its files.
            # Refused (WorkspaceError), before anything changes, if its worktree holds someone's files.
            await workspace.remove(key)
            ctx.roots.pop(key, None)
        ok, conflicts = await workspace.git.revert_merge(
            plan.commit, trailer_message(task, f"Undo {key}: {task.title}")
        )
        if not ok:
            raise GitError(("revert", plan.commit), None,
                           f"later work conflicts with undoing {key} in: {', '.join(conflicts)}; nothing was changed")
        commit = await workspace.git.head()
    queue_of(ctx).landed.discard(key)  # its dependents may no longer count on it
    await ctx.store.set_extra(key, landed_commit="", undone_by=commit)
    await ctx.move(task, to, reason=f"undone by {commit[:10]} (reverts {plan.commit[:10]})")
    await ctx.publish(TaskUndone(task_id=key, commit=commit, status=str(to)))
    ctx.inbox.wake()
    return commit
