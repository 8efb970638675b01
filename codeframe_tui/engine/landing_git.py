"""The merge queue's git work: its scratch worktrees, a task's work committed on its branch, the
base moved to a green candidate, and a landing found again in the base's history."""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from codeframe_tui.domain import Task
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.workspace import SHARED_ENVS, branch_for
from codeframe_tui.vcs import Git, GitError

log = logging.getLogger(__name__)

SCRATCH = "_landing"  # the scratch worktrees' folders under .codeframe/worktrees/: _landing, _landing-2...


@dataclass(frozen=True)
class Landing:
    """What became of one task in the queue."""

    landed: bool
    problem: str = ""  # why not, for the blocker or the correction
    commit: str = ""
    culprit: bool = False  # the suite went red with it: a correction for its agent
    output: str = ""  # the failing run's tail, for that correction
    requeue: bool = False  # it holds a dependency's work that did not land: it waits for it again


class Scratches:
    """The queue's scratch worktrees, one per candidate tested at once (detached, furnished like a
    task's), made on first use, reused, and removed at the run's end."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.made: dict[int, Path] = {}  # slot -> its worktree, once made or found

    async def reset(self, slot: int, at: str) -> Git:
        """Scratch worktree `slot` at `at`, clean. Ours alone: whatever a kill left in it (a merge
        half-done, a stale index.lock) is thrown away, and if git still refuses, it is made anew."""
        workspace = self.ctx.workspace
        assert workspace is not None
        for attempt in (1, 2):
            scratch = await self._get(slot)
            try:
                # A forced checkout also ends a merge a kill left half-done (git drops MERGE_HEAD).
                await scratch.run("checkout", "-q", "--force", "--detach", at)
                # Not the shared environments: their links are untracked, and the suite needs them.
                await scratch.run("clean", "-q", "-fd", *(f"--exclude={name}" for name in SHARED_ENVS))
                return scratch
            except GitError as exc:
                if attempt == 2:
                    raise
                log.warning("the landing scratch worktree is unusable (%s); making it again", exc)
                self.made.pop(slot, None)
                shutil.rmtree(scratch.root, ignore_errors=True)
                await workspace.git.run("worktree", "prune")
        raise AssertionError("unreachable")

    async def _get(self, slot: int) -> Git:
        """A scratch worktree (detached, furnished like a task's), made once and reused."""
        workspace = self.ctx.workspace
        assert workspace is not None
        made = self.made.get(slot)
        if made is not None and made.is_dir():
            return Git(made)  # made (or found) by this queue: git need not be asked again
        path = workspace.folder / (SCRATCH if slot == 0 else f"{SCRATCH}-{slot + 1}")
        known = {p.resolve() for p in await workspace.git.worktrees()}  # git names folders by real path
        if path.resolve() not in known or not path.is_dir():
            await workspace.git.run("worktree", "prune")
            if path.exists():
                path = path.with_name(f"{path.name}-{id(self)}")
            await workspace.git.run("worktree", "add", "-q", "--detach", str(path), workspace.base)
            await workspace.furnish(path)
        self.made[slot] = path
        return Git(path)

    async def close(self) -> None:
        """Remove every scratch worktree (the caller holds the landing lock)."""
        workspace = self.ctx.workspace
        if workspace is None:
            return
        try:
            for path in await workspace.git.worktrees():
                if path.parent.resolve() == workspace.folder.resolve() and path.name.startswith(SCRATCH):
                    await workspace.git.remove_worktree(path)
        except (GitError, OSError) as exc:
            log.warning("kept the landing scratch worktree: %s", exc)
        self.made.clear()


async def commit_task_work(ctx: EngineContext, task: Task) -> tuple[Landing | None, bool]:
    """Commit only what the agent wrote on the task's branch. (The result when it cannot land,
    whether a commit was made.)"""
    workspace = ctx.workspace
    assert workspace is not None
    root = ctx.roots.get(task.key)
    if root is None or not root.is_dir():
        if not await workspace.git.branch_exists(branch_for(task.key)):
            return Landing(True), False  # it never had a worktree: nothing to land
        root, _ = await workspace.open_for(task.key)
        ctx.roots[task.key] = root
    tree = Git(root)
    changed = [c.path for c in await ctx.store.task_changes(task.key)]
    unmerged = (await tree.out("diff", "--name-only", "--diff-filter=U")).split()
    marked = conflict_marked(root, sorted(set(changed) | set(unmerged)))
    if marked:
        return Landing(False, f"conflict markers remain in: {', '.join(sorted(set(marked)))}"), False
    committed = await tree.commit_all(trailer_message(task, f"{task.key}: {task.title}"), changed,
                                      unmerged=unmerged)
    return None, committed


async def advance_base(ctx: EngineContext, candidate: str) -> str:
    """Fast-forward the base to the candidate; the person's tree moves only while it is on the base
    and git can (a dirty file the batch changes, or a merge in progress, refuses it). '' when done."""
    workspace = ctx.workspace
    assert workspace is not None
    main = workspace.git
    try:
        if await main.current_branch() != workspace.base:
            return f"the project folder is no longer on {workspace.base}; switch back to land"
        state = await main.busy()
        if state is not None:
            return f"the project folder is in the middle of {state}; finish it to land"
        result = await main.run("merge", "-q", "--ff-only", candidate, check=False)
        if result.code != 0:
            return f"git refused to move {workspace.base}: {(result.err or result.out).strip()[:500]}"
    except GitError as exc:
        return f"git refused: {exc}"
    return ""


async def landing_merge(ctx: EngineContext, key: str) -> str:
    """The newest merge commit on the base that landed `key` (by its trailer), or ''."""
    workspace = ctx.workspace
    assert workspace is not None
    found = await workspace.git.out("log", "-1", "--merges", "--format=%H", "-E",
                                    f"--grep=^Codeframe-Task: {re.escape(key)}$", workspace.base)
    return found.strip()


def trailer_message(task: Task, head: str) -> str:
    return f"{head}\n\nCodeframe-Task: {task.key}"


def conflict_marked(root: Path, paths: list[str]) -> list[str]:
    """Files still holding git's conflict markers: they must never land."""
    marked = []
    for rel in paths:
        try:
            text = (root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        lines = text.splitlines()
        if any(x.startswith("<<<<<<< ") for x in lines) and any(x.startswith(">>>>>>> ") for x in lines):
            marked.append(rel)
    return marked
