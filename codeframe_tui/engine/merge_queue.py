"""The merge queue: tasks whose checks passed land in batches, one suite run for a whole batch.

    base ── 1.4 ── 2.1 ── 3.1   a candidate: the base, then each queued branch merged in order
                          │      (each its own --no-ff merge commit with its Codeframe-Task trailer),
                          ▼      built in a scratch worktree and tested once there
               green: the base fast-forwards to it, the whole batch in one step
               red:   split in halves, each tested (and landed) on its own: the culprit is found

The base branch moves only by that fast-forward, so a kill -9 at any step leaves it before or after
a whole batch. A conflict while building leaves that task out (it goes back to its agent, as
before) and the rest of the batch goes on. The batch size adapts: halved after a red batch, grown
by one after a green one, between 1 and `MAX_BATCH`.

There is no background task: whoever waits to land takes the landing lock in turn and lands the
batch at the head of the queue, their own task in it, so a cancelled run cancels the batch at hand
(nothing moved yet) and puts its tasks back at the head.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass, field

from codeframe_tui.domain import IllegalTransition, Task, TestRun, TestStatus
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import (
    LandingBatchFinished,
    LandingBatchStarted,
    TaskLanded,
)
from codeframe_tui.engine.suite import run_suite
from codeframe_tui.engine.workspace import WorkspaceError, branch_for
from codeframe_tui.vcs import Git, GitError

log = logging.getLogger(__name__)

MAX_BATCH = 4
SCRATCH = "_landing"  # the scratch worktree's folder under .codeframe/worktrees/


@dataclass(frozen=True)
class Landing:
    landed: bool
    problem: str = ""  # why not, for the blocker or the correction
    commit: str = ""
    culprit: bool = False  # the suite went red with it: a correction for its agent
    output: str = ""  # the failing run's tail, for that correction


@dataclass(eq=False)
class Entry:
    task: Task
    done: asyncio.Future[Landing] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    merge: str = ""  # its merge commit in the candidate being built

    @property
    def key(self) -> str:
        return self.task.key


class MergeQueue:
    """One per engine, used with worktrees: `land(task)` returns once the task's batch is settled."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.waiting: list[Entry] = []
        self.size = MAX_BATCH
        self.testing: tuple[str, ...] = ()  # the keys of the candidate under test, for the screen

    async def land(self, task: Task) -> Landing:
        entry = Entry(task)
        self.waiting.append(entry)
        try:
            async with self.ctx.landing:
                while not entry.done.done():
                    batch = self.waiting[:self.size] if entry in self.waiting[:self.size] else [entry]
                    for e in batch:
                        self.waiting.remove(e)
                    try:
                        await self._land_group(batch)
                    except BaseException:
                        # Nothing moved (the base only fast-forwards at the very end): back at the head.
                        self.waiting[:0] = [e for e in batch if not e.done.done()]
                        raise
        finally:
            if entry in self.waiting:
                self.waiting.remove(entry)
        return entry.done.result()

    async def _land_group(self, entries: list[Entry]) -> None:
        ready = [e for e in entries if await self._prepared(e)]
        if not ready:
            return
        try:
            scratch, merged = await self._build(ready)
        except (GitError, WorkspaceError, OSError) as exc:  # the scratch worktree itself: nothing moved
            for e in ready:
                if not e.done.done():
                    e.done.set_result(Landing(False, f"git refused: {exc}"))
            return
        if not merged:
            return
        keys = tuple(e.key for e in merged)
        await self.ctx.publish(LandingBatchStarted(tasks=keys, queued=len(self.waiting)))
        self.testing = keys
        try:
            run = await run_suite(self.ctx, keys, scratch.root, "merge")
        finally:
            self.testing = ()
        green = run.status in (TestStatus.PASSED, TestStatus.NO_TESTS)
        if green:
            problem = await self._advance(scratch)
            if problem:
                await self._finished(keys, "refused", ())
                for e in merged:
                    e.done.set_result(Landing(False, problem))
                return
            self.size = min(MAX_BATCH, self.size + 1)
            await self._finished(keys, "landed", ())
            for e in merged:
                await self._landed(e, "+".join(keys))
            return
        self.size = max(1, self.size // 2)
        if len(merged) == 1:
            e = merged[0]
            await self._finished(keys, "failed", keys)
            await self.ctx.store.set_extra(e.key, guilty_batch="+".join(keys))
            base = self.ctx.workspace.base
            e.done.set_result(Landing(False, f"with {base} merged in, the tests fail ({_brief(run)})",
                                      culprit=True, output=run.output[-4000:]))
            return
        await self._finished(keys, "failed", ())
        half = len(merged) // 2
        await self._land_group(merged[:half])  # lands, if green, before the other half is tried on top
        await self._land_group(merged[half:])

    async def _prepared(self, entry: Entry) -> bool:
        """The task's work committed on its own branch (only what the agent wrote); False with its
        result set when it cannot go into a candidate."""
        ctx, workspace = self.ctx, self.ctx.workspace
        assert workspace is not None
        current = await ctx.store.get_task(entry.key)
        if current.status != entry.task.status:  # another decision won while this one waited
            entry.done.set_exception(IllegalTransition(entry.key, current.status, entry.task.status))
            return False
        try:
            root = ctx.roots.get(entry.key)
            if root is None or not root.is_dir():
                if not await workspace.git.branch_exists(branch_for(entry.key)):
                    entry.done.set_result(Landing(True))  # it never had a worktree: nothing to land
                    return False
                root, _ = await workspace.open_for(entry.key)
                ctx.roots[entry.key] = root
            tree = Git(root)
            changed = [c.path for c in await ctx.store.task_changes(entry.key)]
            unmerged = (await tree.out("diff", "--name-only", "--diff-filter=U")).split()
            marked = conflict_marked(root, sorted(set(changed) | set(unmerged)))
            if marked:
                entry.done.set_result(Landing(False, f"conflict markers remain in: {', '.join(sorted(set(marked)))}"))
                return False
            await tree.commit_all(trailer_message(entry.task, f"{entry.key}: {entry.task.title}"), changed)
            if await workspace.git.is_merged(branch_for(entry.key), workspace.base):
                entry.done.set_result(Landing(True))  # nothing new since it last landed
                return False
        except (GitError, WorkspaceError, OSError) as exc:
            entry.done.set_result(Landing(False, f"git refused: {exc}"))
            return False
        return True

    async def _build(self, entries: list[Entry]) -> tuple[Git, list[Entry]]:
        """The candidate: the base, then each branch merged in order; a conflict leaves its task out."""
        workspace = self.ctx.workspace
        assert workspace is not None
        scratch = await self._reset_scratch()
        merged = []
        for e in entries:
            message = trailer_message(e.task, f"Land {e.key}: {e.task.title}")
            try:
                ok, conflicts = await scratch.merge(branch_for(e.key), message)
            except GitError as exc:
                e.done.set_result(Landing(False, f"git refused: {exc}"))
                continue
            if not ok:
                landed = f"{workspace.base} and the tasks landing with it" if merged else workspace.base
                e.done.set_result(Landing(False, f"the base branch {landed} conflicts with it in: "
                                                 f"{', '.join(conflicts)}"))
                continue
            e.merge = await scratch.head()
            merged.append(e)
        return scratch, merged

    async def _reset_scratch(self) -> Git:
        """The scratch worktree at the base, clean. Ours alone: whatever a kill left in it (a merge
        half-done, a stale index.lock) is thrown away, and if git still refuses, it is made anew."""
        workspace = self.ctx.workspace
        assert workspace is not None
        for attempt in (1, 2):
            scratch = await self._scratch()
            try:
                await scratch.run("merge", "--abort", check=False)
                await scratch.run("checkout", "-q", "--force", "--detach", workspace.base)
                await scratch.run("reset", "-q", "--hard", workspace.base)
                await scratch.run("clean", "-q", "-fd")
                return scratch
            except GitError as exc:
                if attempt == 2:
                    raise
                log.warning("the landing scratch worktree is unusable (%s); making it again", exc)
                shutil.rmtree(scratch.root, ignore_errors=True)
                await workspace.git.run("worktree", "prune")
        raise AssertionError("unreachable")

    async def _scratch(self) -> Git:
        """The scratch worktree (detached, furnished like a task's), made once and reused."""
        workspace = self.ctx.workspace
        assert workspace is not None
        path = workspace.folder / SCRATCH
        known = {p.resolve() for p in await workspace.git.worktrees()}  # git names folders by real path
        if path.resolve() not in known or not path.is_dir():
            await workspace.git.run("worktree", "prune")
            if path.exists():
                path = path.with_name(f"{SCRATCH}-{id(self)}")
            await workspace.git.run("worktree", "add", "-q", "--detach", str(path), workspace.base)
            await workspace.furnish(path)
        return Git(path)

    async def close(self) -> None:
        """The run ends: the scratch worktree goes (made again by the next landing)."""
        workspace = self.ctx.workspace
        if workspace is None:
            return
        async with self.ctx.landing:
            try:
                for path in await workspace.git.worktrees():
                    if path.parent.resolve() == workspace.folder.resolve() and path.name.startswith(SCRATCH):
                        await workspace.git.remove_worktree(path)
            except (GitError, OSError) as exc:
                log.warning("kept the landing scratch worktree: %s", exc)

    async def _advance(self, scratch: Git) -> str:
        """Fast-forward the base to the candidate; the person's tree moves only while it is on the base
        and git can (a dirty file the batch changes, or a merge in progress, refuses it). '' when done."""
        workspace = self.ctx.workspace
        assert workspace is not None
        main, candidate = workspace.git, await scratch.head()
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

    async def _landed(self, entry: Entry, batch: str) -> None:
        ctx, workspace = self.ctx, self.ctx.workspace
        assert workspace is not None
        branch = branch_for(entry.key)
        await ctx.store.set_extra(entry.key, landed_commit=entry.merge, branch=branch, landed_batch=batch,
                                  landing_failure="", guilty_batch="")
        await ctx.publish(TaskLanded(task_id=entry.key, commit=entry.merge, branch=branch, base=workspace.base))
        try:
            await workspace.remove(entry.key)
            ctx.roots.pop(entry.key, None)
        except (GitError, WorkspaceError, OSError) as exc:
            log.warning("kept the worktree of %s after landing: %s", entry.key, exc)
        entry.done.set_result(Landing(True, commit=entry.merge))

    async def _finished(self, keys: tuple[str, ...], result: str, culprits: tuple[str, ...]) -> None:
        await self.ctx.publish(LandingBatchFinished(tasks=keys, result=result, culprits=culprits,
                                                    queued=len(self.waiting)))


def queue_of(ctx: EngineContext) -> MergeQueue:
    """The engine's merge queue, made on first use."""
    if ctx.merge_queue is None:
        ctx.merge_queue = MergeQueue(ctx)
    return ctx.merge_queue


def trailer_message(task: Task, head: str) -> str:
    return f"{head}\n\nCodeframe-Task: {task.key}"


def conflict_marked(root, paths: list[str]) -> list[str]:
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


def _brief(run: TestRun) -> str:
    names = ", ".join(run.failing_tests[:3])
    return f"{run.status}: {run.failed} failed, {run.errors} errors" + (f"; {names}" if names else "")
