"""The review gate: passing work waits for the person, who accepts, rejects with feedback, or
rejects it for good. The undo of files is for projects without worktrees (`worktrees = false`);
with worktrees the work never left its branch (see test_worktrees.py)."""

from __future__ import annotations

import asyncio

import pytest
from support import make_project, module_answer, open_engine, task_key_of, tasks

from codeframe_tui.engine.events import ReviewDecided, ReviewRequested, TaskHeld
from codeframe_tui.engine.session import CommandRefused
from codeframe_tui.llm.scripted.agent import change_set_agent, place


async def until(condition, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


@change_set_agent
def responder(request):
    return module_answer(task_key_of(request))


async def test_passing_work_waits_for_review_with_its_diff(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, responder, tasks(("1", "backend"), ("2", "test", ("1",))),
                                       review="review")
    try:
        summary = await engine.run()
        diff = await engine.task_diff("1")
        inbox = await engine.inbox()
    finally:
        await engine.close()
    assert (summary.done, summary.waiting) == (0, 1)
    assert rec.statuses("1")[-1] == "review" and "running" not in rec.statuses("2")
    assert rec.of(ReviewRequested)[0].files == ("pkg/m_1.py", "tests/test_m_1.py")
    assert [(d.path, d.status) for d in diff] == [("pkg/m_1.py", "added"), ("tests/test_m_1.py", "added")]
    assert [(i.kind, i.task_key) for i in inbox] == [("review", "1")]
    assert inbox[0].text.startswith("tests passed; 2 files, +")


async def test_accept_makes_it_done_and_its_dependents_run(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, responder, tasks(("1", "backend"), ("2", "test", ("1",))),
                                       review="review", people_present=True)
    try:
        run = asyncio.create_task(engine.run())
        await until(lambda: rec.of(ReviewRequested))
        await engine.accept_review("1")
        await until(lambda: len(rec.of(ReviewRequested)) == 2)
        assert not run.done()  # a person is here: the run waits for the last review
        await engine.accept_review("2")
        summary = await asyncio.wait_for(run, 30)
        reviews = await engine.store.reviews("1")
    finally:
        await engine.close()
    assert summary.all_done
    assert [r.decision for r in reviews] == ["accepted"]
    assert [e.decision for e in rec.of(ReviewDecided)] == ["accepted", "accepted"]


async def test_reject_with_feedback_gives_a_new_attempt_whose_prompt_holds_it(tmp_path):
    project = make_project(tmp_path / "p")
    engine, model, rec = await open_engine(project, responder, tasks(("1", "backend")), review="review")
    try:
        await engine.run()
        with pytest.raises(CommandRefused, match="say what to change"):
            await engine.reject_review("1", "  ")
        await engine.reject_review("1", "Name the constant ANSWER, not VALUE.")
        assert (await engine.store.get_task("1")).status == "approved"
        await engine.run()
        status = (await engine.store.get_task("1")).status
    finally:
        await engine.close()
    assert status == "review"
    firsts = [r for r in model.requests if len(r.messages) == 1]  # each attempt's first request
    assert len(firsts) == 2
    prompt = firsts[1].first_user_text()
    assert "A reviewer rejected attempt 1" in prompt and "Name the constant ANSWER, not VALUE." in prompt
    assert model.requests[-1].first_user_text() == prompt  # the whole second attempt carries it
    assert "reviewer" not in firsts[0].first_user_text()


async def test_reject_for_good_reverts_untouched_files_and_holds_dependents(tmp_path):
    project = make_project(tmp_path / "p")
    (project / "pkg" / "m_1.py").write_text("OLD = True\n")
    engine, _, rec = await open_engine(project, responder, tasks(("1", "backend"), ("2", "test", ("1",))),
                                       review="review", worktrees=False)
    try:
        await engine.run()
        (project / "tests" / "test_m_1.py").write_text("# edited by hand since\n")
        kept = await engine.discard_review("1", "wrong approach")
        task = await engine.store.get_task("1")
        await engine.run()
    finally:
        await engine.close()
    assert task.status == "rejected" and "wrong approach" in task.reason
    assert (project / "pkg" / "m_1.py").read_text() == "OLD = True\n"  # put back as it was
    assert kept == ["tests/test_m_1.py"]  # changed since: left alone, and said so
    assert (project / "tests" / "test_m_1.py").read_text() == "# edited by hand since\n"
    assert rec.of(TaskHeld)[-1].task_id == "2"


async def test_a_new_file_is_removed_when_rejected_for_good(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, _ = await open_engine(project, responder, tasks(("1", "backend")), review="review", worktrees=False)
    try:
        await engine.run()
        assert await engine.discard_review("1") == []
    finally:
        await engine.close()
    assert not (project / "pkg" / "m_1.py").exists() and not (project / "tests" / "test_m_1.py").exists()


async def test_decisions_on_a_task_not_in_review_are_refused(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, _ = await open_engine(project, responder, tasks(("1", "backend")), review="review")
    try:
        with pytest.raises(CommandRefused, match="not waiting for review"):
            await engine.accept_review("1")
        with pytest.raises(CommandRefused, match="no task"):
            await engine.accept_review("9")
        await engine.run()
        await engine.accept_review("1")
        with pytest.raises(CommandRefused, match="is done"):
            await engine.discard_review("1")
    finally:
        await engine.close()


async def test_the_diff_keeps_the_first_before_and_the_last_after(tmp_path):
    """A correction rewrites a file: the review shows the change from before the task, once."""
    project = make_project(tmp_path / "p")

    @change_set_agent
    def two_tries(request):
        test = "def test_x():\n    assert False\n" if place(request).round == 0 else None
        return module_answer("1", test=test)

    engine, model, _ = await open_engine(project, two_tries, tasks(("1", "backend")), review="review")
    try:
        await engine.run()
        diff = {d.path: d for d in await engine.task_diff("1")}
    finally:
        await engine.close()
    assert max(place(r).round for r in model.requests) == 1  # a red finish, then a correction round
    assert diff["tests/test_m_1.py"].before is None
    assert "assert VALUE == 1" in diff["tests/test_m_1.py"].after


async def test_two_decisions_at_once_one_wins_and_nothing_half_happens(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, _ = await open_engine(project, responder, tasks(("1", "backend")), review="review", worktrees=False)
    try:
        await engine.run()
        results = await asyncio.gather(engine.reject_review("1", "again"), engine.discard_review("1"),
                                       return_exceptions=True)
        task = await engine.store.get_task("1")
        reviews = [r.decision for r in await engine.store.reviews("1")]
    finally:
        await engine.close()
    assert sum(isinstance(r, CommandRefused) for r in results) == 1
    assert len(reviews) == 1
    if reviews == ["rejected"]:
        assert task.status == "approved" and (project / "pkg" / "m_1.py").exists()
    else:
        assert task.status == "rejected" and not (project / "pkg" / "m_1.py").exists()


async def test_undo_never_follows_a_folder_turned_into_a_symlink(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, _ = await open_engine(project, responder, tasks(("1", "backend")), review="review", worktrees=False)
    try:
        await engine.run()
        outside = tmp_path / "outside"
        (project / "pkg").rename(outside)
        (project / "pkg").symlink_to(outside, target_is_directory=True)
        kept = await engine.discard_review("1")
    finally:
        await engine.close()
    assert "pkg/m_1.py" in kept and (outside / "m_1.py").exists()


async def test_undo_restores_a_rewritten_file_with_its_mode(tmp_path):
    """The editor cannot delete a file, so the task rewrites an executable script instead; undo puts
    back its bytes and its mode as they were before the task, even after the mode drifted since."""
    project = make_project(tmp_path / "p")
    script = project / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o750)

    @change_set_agent
    def rewrites(request):
        change = module_answer("1")
        change["files"].append({"path": "run.sh", "action": "write", "content": "#!/bin/sh\necho bye\n"})
        return change

    engine, _, _ = await open_engine(project, rewrites, tasks(("1", "backend")), review="review", worktrees=False)
    try:
        await engine.run()
        assert script.read_text() == "#!/bin/sh\necho bye\n"
        assert [d.status for d in await engine.task_diff("1") if d.path == "run.sh"] == ["modified"]
        script.chmod(0o644)  # the bytes are still the task's: only the mode changed since
        assert await engine.discard_review("1") == []
    finally:
        await engine.close()
    assert script.read_text() == "#!/bin/sh\necho hi\n" and (script.stat().st_mode & 0o777) == 0o750
