"""Self-correction really sends the failure to the model; exhaustion blocks the task with a question."""

from __future__ import annotations

import pytest
from support import git_init, make_project, module_answer, open_engine, tasks

from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.events import BlockerCreated, CorrectionAttempted, TestResult
from codeframe_tui.engine.workers.attempt import MAX_CUTS
from codeframe_tui.llm.scripted.agent import EDITOR, FINISH, change_set_agent, place

BROKEN = module_answer("1", body="VALUE = 2\n")
FIXED = module_answer("1")
STEPS = 5  # a two-file change set in the loop: view, create, view, create, finish


def round_starts(requests):
    """The first request of each round: the first try, then one after each red finish."""
    return [r for r in requests if place(r).step == 0]


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj")


async def test_self_correction_sends_the_failure_and_succeeds(project):
    @change_set_agent
    def responder(request):
        # The fix comes only when the request really carries the failing test and the attempt.
        text = request.last_user_text()
        if "test_m_1" in text and "correction attempt 1 of 3" in text and "assert 2 == 1" in text:
            return FIXED
        return BROKEN

    engine, model, rec = await open_engine(project, responder, tasks(("1", "backend")))
    try:
        summary = await engine.run()
        corrections = await engine.store.corrections("1")
        runs = await engine.store.test_runs("1")
    finally:
        await engine.close()
    assert summary.all_done
    starts = round_starts(model.requests)
    assert len(starts) == 2 and len(model.requests) == 2 * STEPS  # the first try and one correction
    second = starts[1]
    # The conversation is a valid tool loop, in one conversation: the failure travels as the
    # tool_result of the first round's finish call.
    assert [m["role"] for m in second.messages] == ["user"] + ["assistant", "user"] * STEPS
    [called] = [b for b in second.messages[-2]["content"] if b["type"] == "tool_use"]
    assert called["name"] == FINISH
    [result] = second.tool_results()
    assert result["tool_use_id"] == called["id"] and result.get("is_error") is None
    assert "tests/test_m_1.py::test_m_1" in second.last_user_text()
    assert [(e.attempt_number, e.status) for e in rec.of(CorrectionAttempted)] == [(1, "started"), (1, "success")]
    assert [e.status for e in rec.of(TestResult) if e.purpose == "agent"] == ["failed", "passed"]
    assert [(c.attempt_number, c.status) for c in corrections] == [(1, "success")]
    # Oldest first: the latest run is the last one, and it passed (the ancestor read the wrong end).
    agent_runs = [r for attempt, r in runs if attempt >= 0]  # -1 and -2: the tool's own reruns
    assert [r.status for r in agent_runs] == ["failed", "passed"]
    assert agent_runs[-1].passed == 2


@change_set_agent
def broken_differently(request):
    """A new wrong answer each round: trying, not looping (the same answer again is the loop guard's)."""
    tries = place(request).round
    wrong = "z" * (tries + 1)  # letters: the loop guard does not tell numbers apart
    return module_answer("1", body=f"VALUE = {wrong!r}\n")


async def test_exhausted_correction_blocks_the_task_with_a_question(project):
    engine, model, rec = await open_engine(
        project, broken_differently, tasks(("1", "backend"), ("2", "test", ("1",)))
    )
    try:
        summary = await engine.run()
        task = await engine.store.get_task("1")
        blockers = await engine.store.blockers("1", pending_only=True)
        dependent = await engine.store.get_task("2")
    finally:
        await engine.close()
    starts = round_starts(model.requests)
    assert len(starts) == 4 and len(model.requests) == 4 * STEPS  # the first try and exactly 3 corrections
    for n, request in enumerate(starts[1:], 1):
        assert f"correction attempt {n} of 3" in request.last_user_text()
    assert task.status == TaskStatus.BLOCKED
    assert len(blockers) == 1
    question = blockers[0].question
    assert "after 3 correction attempts" in question and "test_m_1" in question
    created = rec.of(BlockerCreated)
    assert [(b.task_id, b.blocker_id) for b in created] == [("1", blockers[0].id)]
    statuses = [(e.attempt_number, e.status) for e in rec.of(CorrectionAttempted)]
    assert statuses == [(1, "started"), (1, "failed"), (2, "started"), (2, "failed"), (3, "started"), (3, "failed")]
    assert dependent.status == TaskStatus.APPROVED  # waits for the person, never starts on a red base
    assert summary.blocked == 1 and not summary.all_done


async def test_no_tests_is_done_for_code_work_but_corrected_for_test_work(tmp_path):
    project = make_project(tmp_path / "p", test_command=["python3", "-c", "print('no tests ran in 0.01s')"])

    @change_set_agent
    def responder(request):
        return module_answer("x")

    engine, model, rec = await open_engine(project, responder, tasks(("1", "backend"), ("2", "test")),
                                           max_corrections=1)
    try:
        await engine.run()
        backend = await engine.store.get_task("1")
        tester = await engine.store.get_task("2")
    finally:
        await engine.close()
    # no_tests costs a backend task no extra model call, and the reason says so.
    assert backend.status == TaskStatus.DONE and backend.reason.startswith("no tests ran")
    # A test worker's job is tests: finding none is a failure it must correct.
    assert tester.status == TaskStatus.BLOCKED
    rounds = [r.first_user_text()[:8] for r in round_starts(model.requests)]
    assert sum(1 for c in rounds if c.startswith("Task 1")) == 1
    assert sum(1 for c in rounds if c.startswith("Task 2")) == 2


async def test_model_error_fails_the_attempt_with_a_clear_reason(project):
    """A cut answer is continued (tool loop): only cut after cut, MAX_CUTS + 1 in a row, fails it.
    The cuts alternate between two tools: the same cut three times over is the loop guard's."""
    from codeframe_tui.llm.scripted import TruncatedReply

    cuts = [TruncatedReply(EDITOR, '{"command": "create", "path": "pkg/x.py", "file_te'),
            TruncatedReply("search", '{"pattern": "def ')]
    engine, model, rec = await open_engine(
        project, lambda r: cuts[place(r).step % 2], tasks(("1", "backend")), max_retries=0,
    )
    try:
        await engine.run()
        task = await engine.store.get_task("1")
    finally:
        await engine.close()
    assert task.status == TaskStatus.FAILED
    assert f"cut at max_tokens {MAX_CUTS + 1} times in a row" in task.reason
    assert len(model.requests) == MAX_CUTS + 1 and rec.of(BlockerCreated) == []
    assert all("cut off at the output limit" in r.last_user_text() for r in model.requests[1:])


async def test_a_test_worker_with_no_test_command_asks_at_once(tmp_path):
    project = tmp_path / "bare"
    project.mkdir()  # nothing to detect: no Python or JavaScript markers, no config
    git_init(project)
    notes = {"summary": "notes", "files": [{"path": "NOTES.txt", "action": "write", "content": "todo\n"}]}
    engine, model, rec = await open_engine(project, change_set_agent(lambda r: notes), tasks(("1", "test")))
    try:
        await engine.run()
        task = await engine.store.get_task("1")
    finally:
        await engine.close()
    # No correction calls burned on a missing command: one round (view, create, finish), no more.
    assert len(round_starts(model.requests)) == 1 and len(model.requests) == 3
    assert task.status == TaskStatus.BLOCKED and "no test command was found" in task.reason
    assert [b.task_id for b in rec.of(BlockerCreated)] == ["1"]
