"""The merge queue: tasks whose checks passed land in batches, one suite run for a whole batch.

    base ── 1.4 ── 2.1 ── 3.1   candidate A: the base, then each queued branch merged in order (each
                          │       its own --no-ff merge commit with its Codeframe-Task trailer), built
                          │       in a scratch worktree and tested once there
                          └── 4.2 ── 5.1   candidate B, built on A and tested at the same time
                                           (speculation, `[landing] parallel` of them)
    A green: the base fast-forwards to A, the whole batch in one step; then B is judged the same way.
    A red:   B is thrown away (its tasks queue again); A is split in halves, each tested (and landed)
             on its own, until each culprit is alone: it goes back to its agent with the failure.

The base branch moves only by that fast-forward, so a kill -9 at any step leaves it before or after
a whole batch. A conflict while building leaves that task out (it goes back to its agent, as
before) and the rest of the batch goes on; a conflict met while speculating only sends the task to
the head of the queue, for it may be with a candidate that never lands. The batch size adapts:
halved after a red batch, grown by one after a green one, between 1 and `[landing] batch` (4).

One driver task lands what waits, under the landing lock; the first task to queue starts it and it
ends when nothing waits. Each caller returns as soon as its own batch is settled, so a task is
`done` the moment its batch lands, not when the queue is empty (tried on a real project, with the
caller driving the queue itself, every task stayed `landing` until the last batch). When the run
stops, its callers leave their tasks unsettled and `close()` stops the driver: the runs under test
are killed, the base holds whole green batches only, and the tasks stay `landing` for the next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from codeframe_tui.domain import IllegalTransition, Task, TaskStatus, TestRun, TestStatus
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import (
    LandingBatchFinished,
    LandingBatchStarted,
    TaskLanded,
)
from codeframe_tui.engine.landing_git import (
    Landing,
    Scratches,
    advance_base,
    commit_task_work,
    landing_merge,
    trailer_message,
)
from codeframe_tui.engine.suite import run_suite
from codeframe_tui.engine.workspace import WorkspaceError, branch_for
from codeframe_tui.vcs import Git, GitError

log = logging.getLogger(__name__)



@dataclass(eq=False)
class Entry:
    task: Task
    done: asyncio.Future[Landing] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    merge: str = ""  # its merge commit in the candidate being built
    abandoned: bool = False  # its caller is gone (the run stopped): not to be landed now

    @property
    def key(self) -> str:
        return self.task.key


@dataclass(eq=False)
class Candidate:
    """A built candidate: its scratch worktree, the entries merged into it, and its suite run."""

    scratch: Git
    slot: int  # which scratch worktree
    merged: list[Entry]
    run: asyncio.Task[TestRun] | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(e.key for e in self.merged)

    @property
    def head(self) -> str:
        return self.merged[-1].merge  # the last task's merge commit is the candidate's tip


class MergeQueue:
    """One per engine, used with worktrees: `land(task)` returns once the task's batch is settled."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.waiting: list[Entry] = []
        self.most = max(1, ctx.settings.landing_batch)
        self.size = self.most
        self.parallel = max(0, ctx.settings.landing_parallel)
        self.arrived = asyncio.Event()  # a task joined the queue: it may be speculated on at once
        self.hold = False  # a speculative build left a task out: build nothing more on top for now
        self.scratches = Scratches(ctx)
        self.landing: set[str] = set()  # keys whose land() is under way in this process
        self.landed: set[str] = set()  # keys this queue landed (until undone)
        self.committed: set[str] = set()  # keys whose work commit_work() committed, not yet taken
        self.driver: asyncio.Task[None] | None = None  # lands what waits; made when a task queues

    async def land(self, task: Task) -> Landing:
        """Queue the task and return as soon as its own batch is settled (not when the queue is
        empty). A caller that is cancelled (the run stops) leaves its task unsettled."""
        entry = Entry(task)
        self.waiting.append(entry)
        self.arrived.set()
        self.landing.add(task.key)
        if self.driver is None or self.driver.done():
            self.driver = asyncio.create_task(self._drive(), name="merge-queue")
        try:
            return await asyncio.shield(entry.done)  # shared with the driver: never cancelled by a caller
        finally:
            self.landing.discard(task.key)
            if not entry.done.done():
                entry.abandoned = True
                if entry in self.waiting:
                    self.waiting.remove(entry)

    async def _drive(self) -> None:
        """Lands what waits, the head of the queue first (dependency order), under the landing lock
        (an undo, a review's reject or discard never meets a landing half-way). It stops when nothing
        waits; the next task to queue starts it again."""
        try:
            async with self.ctx.landing:
                while self._live():
                    await self._round()
        except asyncio.CancelledError:
            raise  # the run stopped: what is unsettled stays queued for close() to drop
        except BaseException as exc:  # a bug: every waiting caller sees it (the run stops on it)
            for e in self.waiting:
                if not e.done.done():
                    e.done.set_exception(exc)
            self.waiting.clear()
            raise

    def _live(self) -> bool:
        self.waiting[:] = [e for e in self.waiting if not e.abandoned and not e.done.done()]
        return bool(self.waiting)

    def _take(self) -> list[Entry]:
        self._live()
        batch = self.waiting[:self.size]
        del self.waiting[:len(batch)]
        return batch

    async def _round(self) -> None:
        """A pipeline: the batch at the head is built on the base and tested; while it is, up to
        `parallel` more, each built on the candidate below it, are tested too (speculation), also
        batches that arrive meanwhile. Candidates are judged in order: green, the base moves to it;
        red (or refused), those above it are thrown away and it is split. Returns once nothing is
        under test."""
        stack: list[Candidate] = []
        taken: list[Entry] = []
        try:
            while True:
                await self._stack_up(stack, taken)
                if not stack:
                    return
                bottom = stack[0]
                assert bottom.run is not None
                if not bottom.run.done():
                    self.arrived.clear()
                    arrival = asyncio.ensure_future(self.arrived.wait())
                    try:
                        await asyncio.wait([bottom.run, arrival], return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        arrival.cancel()
                    continue  # judge it, or stack up what arrived
                stack.pop(0)
                self.hold = False
                run = bottom.run.result()
                if green(run) and await self._green(bottom):
                    continue
                above, stack[:] = list(stack), []

                async def throw_away_above(above: list[Candidate] = above) -> None:
                    for candidate in above:
                        await self._throw_away(candidate)

                if green(run):  # green, but the base could not move to it: nothing above can land
                    await throw_away_above()
                else:
                    await self._red(bottom, run, then=throw_away_above)
        except BaseException:
            # The base only fast-forwards to a green candidate, so nothing is half-landed: the runs
            # still going stop, and what is unsettled goes back to the head (below).
            for candidate in stack:
                if candidate.run is not None and not candidate.run.done():
                    candidate.run.cancel()
            await asyncio.gather(*(c.run for c in stack if c.run is not None), return_exceptions=True)
            raise
        finally:
            # What was taken and not settled (thrown away, or cut off) waits at the head again, in
            # its order.
            back = [e for e in taken if not e.done.done() and not e.abandoned]
            self.waiting[:] = back + [e for e in self.waiting if e not in back]
            self.hold = False

    async def _stack_up(self, stack: list[Candidate], taken: list[Entry]) -> None:
        """Build and start candidates while tasks wait and a test slot is free."""
        while self.waiting and len(stack) <= self.parallel and not (stack and self.hold):
            batch = self._take()
            taken += batch
            on = stack[-1].head if stack else None
            used = {c.slot for c in stack}
            slot = next(i for i in range(len(stack) + 1) if i not in used)
            below = frozenset(k for c in stack for k in c.keys)
            candidate = await self._candidate(batch, slot, on, below)
            if candidate is not None:
                candidate.run = asyncio.create_task(self._test(candidate, speculative=on is not None))
                stack.append(candidate)
            merged = candidate.merged if candidate is not None else []
            left = [e for e in batch if not e.done.done() and e not in merged]
            for e in left:
                taken.remove(e)
            # Left out, unsettled: a conflict with a speculative candidate under it, or a dependency
            # not landed yet. Back at the head (those moved behind their dependency are there
            # already), and nothing more is built on top until the candidate below is judged.
            later = [e for e in left if e not in self.waiting]
            if later and not stack:
                # Nothing under them to wait for (the head of the queue has what it depends on
                # landed, so this is not expected): rather than turn round here, they start again.
                for e in later:
                    e.done.set_result(Landing(False, "it waits on work that is not ahead of it in the queue; "
                                                     "it starts again", requeue=True))
            elif later:
                self.waiting[:0] = later
                self.hold = True

    async def _candidate(self, batch: list[Entry], slot: int, on: str | None,
                         below: frozenset[str] = frozenset()) -> Candidate | None:
        """The batch merged in order onto the base (or, speculating, onto the candidate `on`, which
        holds the tasks `below`)."""
        ready = [e for e in batch if await self._prepared(e)]
        if not ready:
            return None
        try:
            scratch, merged = await self._build(ready, slot, on, below)
        except (GitError, WorkspaceError, OSError) as exc:  # the scratch worktree itself: nothing moved
            if on is not None:
                return None  # tried again at the head, on the base itself
            for e in ready:
                if not e.done.done():
                    e.done.set_result(Landing(False, f"git refused: {exc}"))
            return None
        return Candidate(scratch, slot, merged) if merged else None

    async def _test(self, candidate: Candidate, speculative: bool) -> TestRun:
        await self.ctx.publish(LandingBatchStarted(tasks=candidate.keys, queued=len(self.waiting),
                                                   speculative=speculative))
        return await run_suite(self.ctx, candidate.keys, candidate.scratch.root, "merge")

    async def _throw_away(self, candidate: Candidate) -> None:
        """A speculative candidate whose ground went red: its run stops, its tasks queue again."""
        assert candidate.run is not None
        candidate.run.cancel()
        await asyncio.gather(candidate.run, return_exceptions=True)
        await self._finished(candidate.keys, "discarded", ())

    async def _land_group(self, entries: list[Entry]) -> None:
        """One candidate on the base, alone: the halves of a red batch."""
        candidate = await self._candidate(entries, 0, None)
        if candidate is None:
            return
        run = await self._test(candidate, speculative=False)
        if not green(run):
            await self._red(candidate, run)
        else:
            await self._green(candidate)

    async def _green(self, candidate: Candidate) -> bool:
        """The base moves to the tested candidate; False when it could not (each task is told why)."""
        merged, keys = candidate.merged, candidate.keys
        problem = await advance_base(self.ctx, candidate.head)
        if problem:
            await self._finished(keys, "refused", ())
            for e in merged:
                e.done.set_result(Landing(False, problem))
            return False
        self.size = min(self.most, self.size + 1)
        await self._finished(keys, "landed", ())
        for e in merged:
            await self._landed(e, "+".join(keys))
        return True

    async def _red(self, candidate: Candidate, run: TestRun,
                   then: Callable[[], Awaitable[None]] | None = None) -> None:
        """Split and test the halves on the base (the first lands, if green, before the second is
        tried on top of it) until each culprit is alone: it goes back to its agent. `then` runs once
        the failure is told (speculation on top of it is thrown away there)."""
        merged, keys = candidate.merged, candidate.keys
        self.size = max(1, self.size // 2)
        if len(merged) == 1:
            e = merged[0]
            await self._finished(keys, "failed", keys)
            if then is not None:
                await then()
            await self.ctx.store.set_extra(e.key, guilty_batch="+".join(keys))
            assert self.ctx.workspace is not None  # a batch is only ever tried in a workspace
            base = self.ctx.workspace.base
            e.done.set_result(Landing(False, f"with {base} merged in, the tests fail ({_brief(run)})",
                                      culprit=True, output=run.output[-4000:]))
            return
        await self._finished(keys, "failed", ())
        if then is not None:
            await then()
        half = len(merged) // 2
        await self._land_group(merged[:half])
        await self._land_group(merged[half:])

    async def commit_work(self, task: Task) -> None:
        """The task's work committed on its branch as soon as its checks pass, before it is
        `landing`: a dependent may start on top of it from then on. What goes wrong is left for the
        queue to find again and tell."""
        try:
            settled, committed = await commit_task_work(self.ctx, task)
        except (GitError, WorkspaceError, OSError) as exc:
            log.warning("could not commit the work of %s before landing: %s", task.key, exc)
            return
        if settled is None and committed:  # a new commit: not on the base, so nothing to ask git again
            self.committed.add(task.key)

    async def _prepared(self, entry: Entry) -> bool:
        """The task's work committed on its own branch (only what the agent wrote); False with its
        result set when it cannot go into a candidate."""
        ctx, workspace = self.ctx, self.ctx.workspace
        assert workspace is not None
        current = await ctx.store.get_task(entry.key)
        if current.status != entry.task.status:  # another decision won while this one waited
            entry.done.set_exception(IllegalTransition(entry.key, current.status, entry.task.status))
            return False
        if entry.key in self.committed:  # committed as it passed its checks, in this process
            self.committed.discard(entry.key)
            return True
        try:
            settled, committed = await commit_task_work(self.ctx, entry.task)
            if settled is not None:
                entry.done.set_result(settled)
                return False
            # A new commit cannot be on the base yet; with nothing new, it may have landed already.
            if not committed and await workspace.git.is_merged(branch_for(entry.key), workspace.base):
                # Landed already: by a batch whose process died before it recorded so (the base moved,
                # the task did not), or nothing new since it last landed.
                entry.merge = await landing_merge(self.ctx, entry.key)
                if entry.merge:
                    await self._landed(entry, "")  # which batch is not recorded in git
                else:
                    entry.done.set_result(Landing(True))
                return False
        except (GitError, WorkspaceError, OSError) as exc:
            entry.done.set_result(Landing(False, f"git refused: {exc}"))
            return False
        return True

    async def _build(self, entries: list[Entry], slot: int = 0, on: str | None = None,
                     below: frozenset[str] = frozenset()) -> tuple[Git, list[Entry]]:
        """The candidate: the base (or the candidate `on`), then each branch merged in order; a
        conflict leaves its task out. Speculating, a conflict may be with a candidate that will not
        land: that task waits at the head of the queue to be tried on the base itself."""
        workspace = self.ctx.workspace
        assert workspace is not None
        scratch = await self.scratches.reset(slot, on or workspace.base)
        merged: list[Entry] = []
        for e in entries:
            if not await self._dependencies_in(e, entries, below | {m.key for m in merged}):
                continue
            message = trailer_message(e.task, f"Land {e.key}: {e.task.title}")
            try:
                ok, conflicts = await scratch.merge(branch_for(e.key), message, ours=True)
            except GitError as exc:
                e.done.set_result(Landing(False, f"git refused: {exc}"))
                continue
            if not ok and on is not None:
                continue  # left unsettled: back at the head after this round
            if not ok:
                landed = f"{workspace.base} and the tasks landing with it" if merged else workspace.base
                e.done.set_result(Landing(False, f"the base branch {landed} conflicts with it in: "
                                                 f"{', '.join(conflicts)}"))
                continue
            merged.append(e)
        if merged:  # each task's own merge commit, newest first on the first-parent line: one process
            commits = (await scratch.out("log", "--first-parent", "--format=%H", "-n", str(len(merged)))).split()
            for e, commit in zip(reversed(merged), commits, strict=True):
                e.merge = commit
        return scratch, merged

    async def _dependencies_in(self, entry: Entry, entries: list[Entry], below: set[str] | frozenset[str]) -> bool:
        """Whether the task may go into this candidate: each dependency is on the base, or under it
        here (a dependent starts on a dependency that is still landing, so its branch holds that
        work). Otherwise it waits behind its dependency, or, if that one left the queue, goes back
        to wait for it (settled with `requeue`)."""
        for dep in entry.task.depends_on:
            # `landed`: settled by this queue a moment ago, its `done` maybe not yet stored.
            if dep in below or dep in self.landed or (await self.ctx.store.get_task(dep)).status == TaskStatus.DONE:
                continue
            queued = [i for i, e in enumerate(self.waiting) if e.key == dep and not e.done.done()]
            if queued:
                self.waiting.insert(queued[-1] + 1, entry)  # behind it, in the queue
                return False
            if any(e.key == dep and not e.done.done() for e in entries):
                return False  # left out of this candidate itself: both go back to the head, in order
            status = (await self.ctx.store.get_task(dep)).status
            entry.done.set_result(Landing(False, f"its work holds that of {dep}, which has not landed (it is "
                                                 f"{status}); it starts again once {dep} lands or waits to land",
                                          requeue=True))
            return False
        return True

    async def _landed(self, entry: Entry, batch: str) -> None:
        ctx, workspace = self.ctx, self.ctx.workspace
        assert workspace is not None
        branch = branch_for(entry.key)
        await ctx.store.set_extra(entry.key, landed_commit=entry.merge, branch=branch, landed_batch=batch,
                                  landing_failure="", guilty_batch="")
        await ctx.publish(TaskLanded(task_id=entry.key, commit=entry.merge, branch=branch, base=workspace.base))
        try:
            await workspace.remove(entry.key, landed=True, path=ctx.roots.get(entry.key))
            ctx.roots.pop(entry.key, None)
        except (GitError, WorkspaceError, OSError) as exc:
            log.warning("kept the worktree of %s after landing: %s", entry.key, exc)
        self.landed.add(entry.key)
        entry.done.set_result(Landing(True, commit=entry.merge))

    async def close(self) -> None:
        """The run ends: a landing someone still waits for (a review accepted) is finished, one no one
        waits for any more (its run stopped) is stopped, its tasks staying `landing` for the next
        start; then the scratch worktrees go (made again by the next landing)."""
        driver = self.driver
        if driver is not None and not driver.done():
            if not self._live() and not self.landing:
                driver.cancel()
            await asyncio.gather(driver, return_exceptions=True)
        self.waiting.clear()
        async with self.ctx.landing:
            await self.scratches.close()

    async def _finished(self, keys: tuple[str, ...], result: str, culprits: tuple[str, ...]) -> None:
        await self.ctx.publish(LandingBatchFinished(tasks=keys, result=result, culprits=culprits,
                                                    queued=len(self.waiting)))


def queue_of(ctx: EngineContext) -> MergeQueue:
    """The engine's merge queue, made on first use."""
    if ctx.merge_queue is None:
        ctx.merge_queue = MergeQueue(ctx)
    return ctx.merge_queue


def green(run: TestRun) -> bool:
    return run.status in (TestStatus.PASSED, TestStatus.NO_TESTS)


def _brief(run: TestRun) -> str:
    if run.steps or run.failing_tests:
        return run.brief(3)
    return f"{run.status}: {run.failed} failed, {run.errors} errors"
