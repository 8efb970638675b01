"""The merge queue: tasks accepted together land as one batch, tested once; a red batch is split until
its culprits are found, the others land, and each culprit goes back to its agent with the failure; a
conflict leaves its task out and the rest goes on. Each task keeps its own merge commit, so undo
still works task by task."""

from __future__ import annotations

import asyncio
import os
import subprocess
from contextvars import ContextVar
from pathlib import Path

from support import change_set_agent, make_project, module_answer, open_engine, task_key_of, tasks

from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.events import LandingBatchFinished, LandingBatchStarted, TaskStatusChanged, TestStarted
from codeframe_tui.engine.merge_queue import queue_of
from codeframe_tui.engine.workers.base import WorkerAgent

# A test that passes in the task's own worktree (its module is the only one) and fails once another
# task's module is there too: green alone, red in a batch.
ALONE = ("import pathlib\n\n\ndef test_alone():\n"
         "    names = sorted(p.name for p in (pathlib.Path(__file__).parent.parent / 'pkg').glob('m_*.py'))\n"
         "    assert names == ['m_{key}.py'], names\n")


def responder(culprits=(), shared=()):
    @change_set_agent
    def answer(request):
        key = task_key_of(request)
        if key in shared:  # the same new file, written differently: the second to land conflicts
            return {"summary": f"shared by {key}", "files": [
                {"path": "pkg/shared.py", "action": "write", "content": f"OWNER = {key!r}\n"}]}
        return module_answer(key, test=ALONE.format(key=key) if key in culprits else None)

    return answer


def git(project, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True).stdout


async def accept_together(engine, keys):
    """Every review accepted while the queue is held, so that they all wait in it at once."""
    queue = queue_of(engine.ctx)
    accepts = []
    async with engine.ctx.landing:
        for n, key in enumerate(keys, 1):  # one after the other: they queue in this order
            accepts.append(asyncio.ensure_future(engine.accept_review(key)))
            for _ in range(500):
                if len(queue.waiting) == n or accepts[-1].done():
                    break
                await asyncio.sleep(0.01)
        assert len(queue.waiting) == len(keys)
    return await asyncio.gather(*accepts, return_exceptions=True)


async def reviewed(tmp_path, answer, keys, **overrides):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, answer, tasks(*[(k, "backend") for k in keys]),
                                       review="review", max_concurrent=len(keys), **overrides)
    await engine.run()
    statuses = {t.key: t.status for t in await engine.store.list_tasks()}
    assert statuses == dict.fromkeys(keys, TaskStatus.REVIEW), statuses
    return project, engine, rec


async def test_a_green_batch_lands_every_task_with_its_own_merge_and_one_suite_run(tmp_path):
    keys = ["1", "2", "3", "4"]
    project, engine, rec = await reviewed(tmp_path, responder(), keys)
    try:
        merge_runs_before = len([e for e in rec.of(TestStarted) if e.purpose == "merge"])
        assert merge_runs_before == 0
        assert await accept_together(engine, keys) == [None] * 4
        statuses = {t.key: (t.status, t.extra.get("landed_batch")) for t in await engine.store.list_tasks()}
        assert statuses == dict.fromkeys(keys, (TaskStatus.DONE, "1+2+3+4"))
        assert [e.tasks for e in rec.of(LandingBatchStarted)] == [("1", "2", "3", "4")]
        assert [(e.result, e.culprits) for e in rec.of(LandingBatchFinished)] == [("landed", ())]
        log = git(project, "log", "--first-parent", "--format=%s", "main").split("\n")
        assert log[:4] == ["Land 4: Task 4", "Land 3: Task 3", "Land 2: Task 2", "Land 1: Task 1"]
        # Undo works task by task: the middle one's merge is reverted, the others stay.
        await engine.undo("2")
        assert not (project / "pkg" / "m_2.py").exists()
        assert all((project / "pkg" / f"m_{k}.py").exists() for k in ("1", "3", "4"))
    finally:
        await engine.close()
    assert not list((project / ".codeframe" / "worktrees").iterdir())  # scratch included, at the run's end


async def test_one_culprit_is_found_the_others_land_and_it_gets_a_correction(tmp_path):
    keys = ["1", "2", "3", "4"]
    project, engine, rec = await reviewed(tmp_path, responder(culprits=("3",)), keys, max_retries=1)
    try:
        await accept_together(engine, keys)
        tasks_now = {t.key: t for t in await engine.store.list_tasks()}
        assert {k: t.status for k, t in tasks_now.items()} == {
            "1": TaskStatus.DONE, "2": TaskStatus.DONE, "3": TaskStatus.APPROVED, "4": TaskStatus.DONE}
        culprit = tasks_now["3"]
        assert culprit.extra["guilty_batch"] == "3" and "test_alone" in culprit.extra["landing_failure"]
        assert "the tests fail" in culprit.reason
        # 1+2+3+4 red; 1+2 green (landed); 3+4 red; 3 red (the culprit); 4 green (landed).
        assert [(e.tasks, e.result, e.culprits) for e in rec.of(LandingBatchFinished)] == [
            (("1", "2", "3", "4"), "failed", ()), (("1", "2"), "landed", ()), (("3", "4"), "failed", ()),
            (("3",), "failed", ("3",)), (("4",), "landed", ())]
        assert not (project / "pkg" / "m_3.py").exists() and (project / "pkg" / "m_4.py").exists()
    finally:
        await engine.close()


async def test_two_culprits_are_both_found(tmp_path):
    keys = ["1", "2", "3", "4"]
    _, engine, rec = await reviewed(tmp_path, responder(culprits=("2", "4")), keys, max_retries=1)
    try:
        await accept_together(engine, keys)
        statuses = {t.key: t.status for t in await engine.store.list_tasks()}
        assert statuses == {"1": TaskStatus.DONE, "2": TaskStatus.APPROVED, "3": TaskStatus.DONE,
                            "4": TaskStatus.APPROVED}
        assert sorted(c for e in rec.of(LandingBatchFinished) for c in e.culprits) == ["2", "4"]
    finally:
        await engine.close()


async def test_a_culprit_with_no_retry_left_becomes_a_question(tmp_path):
    keys = ["1", "2"]
    _, engine, _ = await reviewed(tmp_path, responder(culprits=("2",)), keys, max_retries=0)
    try:
        await accept_together(engine, keys)
        statuses = {t.key: t.status for t in await engine.store.list_tasks()}
        assert statuses == {"1": TaskStatus.DONE, "2": TaskStatus.BLOCKED}
        assert any("could not land" in b.question for b in await engine.store.blockers("2"))
    finally:
        await engine.close()


async def test_a_conflict_inside_a_batch_leaves_that_task_out_and_the_rest_lands(tmp_path):
    keys = ["1", "2", "3"]
    project, engine, rec = await reviewed(tmp_path, responder(shared=("1", "2")), keys)
    try:
        await accept_together(engine, keys)
        statuses = {t.key: t.status for t in await engine.store.list_tasks()}
        assert statuses == {"1": TaskStatus.DONE, "2": TaskStatus.BLOCKED, "3": TaskStatus.DONE}
        assert (project / "pkg" / "shared.py").read_text() == "OWNER = '1'\n"
        assert [e.tasks for e in rec.of(LandingBatchStarted)] == [("1", "3")]
        question = " ".join(b.question for b in await engine.store.blockers("2"))
        assert "conflicts with it in: pkg/shared.py" in question
    finally:
        await engine.close()


async def test_a_scratch_worktree_left_broken_by_a_kill_is_made_again(tmp_path):
    """A kill -9 mid-merge leaves the scratch worktree with a stale index.lock: the next batch throws
    it away and builds its candidate in a new one."""
    keys = ["1", "2", "3"]
    project, engine, _ = await reviewed(tmp_path, responder(), keys)
    try:
        await accept_together(engine, ["1"])
        scratch = project / ".codeframe" / "worktrees" / "_landing"
        git_dir = git(scratch, "rev-parse", "--absolute-git-dir").strip()
        (Path(git_dir) / "index.lock").write_text("")
        assert await accept_together(engine, ["2", "3"]) == [None, None]
        statuses = {t.key: t.status for t in await engine.store.list_tasks()}
        assert statuses == dict.fromkeys(keys, TaskStatus.DONE)
        assert all((project / "pkg" / f"m_{k}.py").exists() for k in keys)
    finally:
        await engine.close()


def merge_runs(rec) -> list[tuple[str, str]]:
    """("started" | "ended", first key) of each candidate's suite run, in the order they happened."""
    from codeframe_tui.engine.events import TestResult

    marks = []
    for e in rec.events:
        if isinstance(e, (TestStarted, TestResult)) and e.purpose == "merge":
            mark = ("started" if isinstance(e, TestStarted) else "ended", e.task_id)
            if mark not in marks:
                marks.append(mark)
    return marks


async def test_speculation_tests_the_next_batch_on_top_of_the_first_at_the_same_time(tmp_path):
    keys = ["1", "2", "3", "4"]
    project, engine, rec = await reviewed(tmp_path, responder(), keys, landing_batch=2, landing_parallel=1)
    try:
        assert await accept_together(engine, keys) == [None] * 4
        started = rec.of(LandingBatchStarted)
        assert [(e.tasks, e.speculative) for e in started] == [(("1", "2"), False), (("3", "4"), True)]
        assert [(e.tasks, e.result) for e in rec.of(LandingBatchFinished)] == [
            (("1", "2"), "landed"), (("3", "4"), "landed")]
        runs = merge_runs(rec)
        assert runs.index(("started", "3")) < runs.index(("ended", "1"))  # both suites ran at once
        statuses = {t.key: (t.status, t.extra.get("landed_batch")) for t in await engine.store.list_tasks()}
        assert statuses == {"1": (TaskStatus.DONE, "1+2"), "2": (TaskStatus.DONE, "1+2"),
                            "3": (TaskStatus.DONE, "3+4"), "4": (TaskStatus.DONE, "3+4")}
        log = git(project, "log", "--first-parent", "--format=%s", "main").split("\n")
        assert log[:4] == ["Land 4: Task 4", "Land 3: Task 3", "Land 2: Task 2", "Land 1: Task 1"]
    finally:
        await engine.close()
    assert not list((project / ".codeframe" / "worktrees").iterdir())  # both scratch worktrees gone


async def test_speculation_is_thrown_away_when_the_candidate_under_it_fails(tmp_path):
    keys = ["1", "2", "3", "4"]
    project, engine, rec = await reviewed(tmp_path, responder(culprits=("2",)), keys, max_retries=1,
                                          landing_batch=2, landing_parallel=1)
    try:
        await accept_together(engine, keys)
        assert [(e.tasks, e.speculative) for e in rec.of(LandingBatchStarted)][:2] == [
            (("1", "2"), False), (("3", "4"), True)]
        # 1+2 red: 3+4, built on it, is thrown away; 1 lands alone, 2 alone on it is the culprit;
        # the batch size is down to 1, so 3 is built again on the new base, and 4 on top of it.
        assert [(e.tasks, e.result, e.culprits) for e in rec.of(LandingBatchFinished)] == [
            (("1", "2"), "failed", ()), (("3", "4"), "discarded", ()), (("1",), "landed", ()),
            (("2",), "failed", ("2",)), (("3",), "landed", ()), (("4",), "landed", ())]
        statuses = {t.key: t.status for t in await engine.store.list_tasks()}
        assert statuses == {"1": TaskStatus.DONE, "2": TaskStatus.APPROVED, "3": TaskStatus.DONE,
                            "4": TaskStatus.DONE}
        landed = git(project, "log", "--format=%s", "main")
        assert "Land 2:" not in landed and landed.count("Land 3:") == 1 and landed.count("Land 4:") == 1
    finally:
        await engine.close()


async def eventually(condition, timeout: float = 60.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def status_of(engine, key: str) -> TaskStatus:
    return (await engine.store.get_task(key)).status


async def dependent_behind_dependency(engine) -> list:
    """With 1 in review and 2 (which depends on it) approved: 1 accepted while the queue is busy,
    so it waits there `landing`; a run starts 2 on top of it; 2 accepted queues behind 1. Then the
    queue goes on, and the run ends. Returns the two accepts' results."""
    queue = queue_of(engine.ctx)
    async with engine.ctx.landing:
        first = asyncio.ensure_future(engine.accept_review("1"))
        await eventually(lambda: _is(engine, "1", TaskStatus.LANDING))
        run = asyncio.ensure_future(engine.run())
        await eventually(lambda: _is(engine, "2", TaskStatus.REVIEW))
        second = asyncio.ensure_future(engine.accept_review("2"))
        await eventually(lambda: _queued(queue, 2))
    results = await asyncio.gather(first, second)
    await run
    return results


async def test_a_dependent_starts_on_its_landing_dependency_and_lands_in_the_same_batch(tmp_path):
    """2 depends on 1. Once 1 is accepted (`landing`), 2 starts on top of 1's branch, without
    waiting for 1's batch; accepted in turn, it queues behind 1 and both land in one batch."""
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, responder(), tasks(("1", "backend"), ("2", "backend", ("1",))),
                                       review="review")
    try:
        await engine.run()
        assert await status_of(engine, "1") == TaskStatus.REVIEW and await status_of(engine, "2") == TaskStatus.APPROVED
        assert await dependent_behind_dependency(engine) == [None, None]
        assert [e.tasks for e in rec.of(LandingBatchStarted)] == [("1", "2")]
        statuses = {t.key: (t.status, t.extra.get("landed_batch")) for t in await engine.store.list_tasks()}
        assert statuses == {"1": (TaskStatus.DONE, "1+2"), "2": (TaskStatus.DONE, "1+2")}
        log = git(project, "log", "--format=%s", "main")
        assert log.index("Land 2:") < log.index("Land 1:")  # newest first: 1 landed before 2
        assert "Start on the work of 1 (waiting to land)" in log  # 2's branch began on 1's
    finally:
        await engine.close()


async def _is(engine, key: str, status: TaskStatus) -> bool:
    return await status_of(engine, key) == status


async def _queued(queue, n: int) -> bool:
    return len(queue.waiting) == n


# Passes in a task's own worktree, fails in any candidate of the merge queue: a culprit whatever it
# lands with, and harmless to a dependent that starts on top of it.
ONLY_IN_WORKTREES = ("import pathlib\n\n\ndef test_not_in_a_candidate():\n"
                     "    assert not pathlib.Path(__file__).resolve().parent.parent.name.startswith('_landing')\n")


@change_set_agent
def culprit_one_until_corrected(request):
    key = task_key_of(request)
    corrected = "could not land" in request.first_user_text()
    return module_answer(key, test=ONLY_IN_WORKTREES if key == "1" and not corrected else None)


async def test_a_dependent_of_a_culprit_waits_for_its_correction_then_lands(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, culprit_one_until_corrected,
                                       tasks(("1", "backend"), ("2", "backend", ("1",))), review="review",
                                       max_retries=1)
    try:
        await engine.run()
        await dependent_behind_dependency(engine)
        # 1+2 red; 1 alone red: the culprit, back to its agent; 2 holds 1's work: back to wait for it.
        assert [(e.tasks, e.result, e.culprits) for e in rec.of(LandingBatchFinished)] == [
            (("1", "2"), "failed", ()), (("1",), "failed", ("1",))]
        two = await engine.store.get_task("2")
        assert two.status == TaskStatus.APPROVED and "it starts again once 1 lands" in two.reason
        assert two.retries == 0  # not its fault: no attempt counted
        await engine.run()  # 1's correction; 2 waits for it
        assert await status_of(engine, "1") == TaskStatus.REVIEW and await status_of(engine, "2") == TaskStatus.APPROVED
        await engine.accept_review("1")
        await engine.run()  # 2 again, in its own worktree, now on the base that holds 1
        await engine.accept_review("2")
        statuses = {t.key: t.status for t in await engine.store.list_tasks()}
        assert statuses == {"1": TaskStatus.DONE, "2": TaskStatus.DONE}
        assert "_landing" not in (project / "tests" / "test_m_1.py").read_text()  # the corrected test landed
        assert git(project, "log", "--format=%s", "main").count("Land 2:") == 1
    finally:
        await engine.close()


SLOW_TEST = "import time\n\n\ndef test_slow_{key}():\n    time.sleep(1.5)\n"


@change_set_agent
def slow_three_and_four(request):
    key = task_key_of(request)
    return module_answer(key, test=SLOW_TEST.format(key=key) if key in ("3", "4") else None)


async def test_a_task_is_done_as_soon_as_its_batch_lands_not_when_the_queue_empties(tmp_path):
    """1+2 lands while 3+4 (slow tests) is still under test on top of it: 1 and 2 are done then."""
    keys = ["1", "2", "3", "4"]
    _, engine, rec = await reviewed(tmp_path, slow_three_and_four, keys, landing_batch=2, landing_parallel=1)
    try:
        assert await accept_together(engine, keys) == [None] * 4
        at = {}
        for i, e in enumerate(rec.events):
            if isinstance(e, LandingBatchFinished):
                at[e.tasks] = i
            elif isinstance(e, TaskStatusChanged) and e.status == "done":
                at[e.task_id] = i
        assert at[("1", "2")] < at["1"] < at[("3", "4")] and at["2"] < at[("3", "4")]
    finally:
        await engine.close()


async def test_a_dependency_that_lands_while_its_dependent_opens_its_worktree_is_in_that_worktree(tmp_path,
                                                                                                   monkeypatch):
    """2 depends on 1, which waits to land when 2 starts. 1 finishes landing (the base moves over
    it, its branch is deleted) right after 2 reads which of its dependencies are still landing:
    2's worktree is made after that read, from the base that now holds 1's work, so 1's file is
    there. Made before the read, it came from the base without 1, and 1's branch was gone by the
    time 2 would merge it in: 2 ran without 1's file."""
    project = make_project(tmp_path / "p")
    engine, _, _ = await open_engine(project, responder(), tasks(("1", "backend"), ("2", "backend", ("1",))),
                                     review="review")
    opening: ContextVar[str] = ContextVar("opening", default="")
    read, seen = asyncio.Event(), []
    real_open_root, real_get_task = WorkerAgent._open_root, engine.store.get_task

    async def open_root(worker, task):
        opening.set(task.key)  # in the worker's own task: the store's other readers do not see it
        return await real_open_root(worker, task)

    async def get_task(key):
        task = await real_get_task(key)
        if opening.get() == "2" and key == "1" and not read.is_set():
            seen.append(task.status)  # read as still landing...
            read.set()  # ...and the queue is let go: 1 lands before the read returns
            await eventually(lambda: _is(engine, "1", TaskStatus.DONE))
        return task

    monkeypatch.setattr(WorkerAgent, "_open_root", open_root)
    monkeypatch.setattr(engine.store, "get_task", get_task)
    try:
        await engine.run()
        assert await status_of(engine, "1") == TaskStatus.REVIEW and await status_of(engine, "2") == TaskStatus.APPROVED
        async with engine.ctx.landing:  # 1 waits in the queue, `landing`, while 2 starts
            accepted = asyncio.ensure_future(engine.accept_review("1"))
            await eventually(lambda: _is(engine, "1", TaskStatus.LANDING))
            run = asyncio.ensure_future(engine.run())
            await asyncio.wait_for(read.wait(), 60)
        await accepted
        await run
        assert seen == [TaskStatus.LANDING]
        assert await status_of(engine, "1") == TaskStatus.DONE and await status_of(engine, "2") == TaskStatus.REVIEW
        assert "codeframe/1" not in git(project, "branch", "--list", "codeframe/1")  # gone, as the race had it
        root = engine.ctx.workspace.path_for("2")
        assert (root / "pkg" / "m_1.py").is_file(), f"not in 2's worktree: {sorted(os.listdir(root / 'pkg'))}"
        assert (root / "pkg" / "m_1.py").read_text() == "VALUE = 1\n" and (root / "tests" / "test_m_1.py").is_file()
    finally:
        await engine.close()
