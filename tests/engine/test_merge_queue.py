"""The merge queue: tasks accepted together land as one batch, tested once; a red batch is split until
its culprits are found, the others land, and each culprit goes back to its agent with the failure; a
conflict leaves its task out and the rest goes on. Each task keeps its own merge commit, so undo
still works task by task."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from support import change_set_agent, make_project, module_answer, open_engine, task_key_of, tasks

from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.events import LandingBatchFinished, LandingBatchStarted, TestStarted
from codeframe_tui.engine.merge_queue import queue_of

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
    async with engine.ctx.landing:
        accepts = [asyncio.ensure_future(engine.accept_review(k)) for k in keys]
        for _ in range(500):
            if len(queue.waiting) == len(keys):
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
