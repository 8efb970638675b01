"""Self-correction really sends the failure to the model; exhaustion blocks the task with a question."""

from __future__ import annotations

import pytest
from support import git_init, make_project, module_answer, open_engine, tasks

from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.events import BlockerCreated, CorrectionAttempted, TestResult
from codeframe_tui.llm.scripted import ToolUseReply
from codeframe_tui.llm.tools import SUBMIT_CHANGES

BROKEN = module_answer("1", body="VALUE = 2\n")
FIXED = module_answer("1")


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj")


async def test_self_correction_sends_the_failure_and_succeeds(project):
    def responder(request):
        # The fix comes only when the request really carries the failing test and the attempt.
        text = request.last_user_text()
        if "test_m_1" in text and "correction attempt 1 of 3" in text and "assert 2 == 1" in text:
            return ToolUseReply(SUBMIT_CHANGES, FIXED)
        return ToolUseReply(SUBMIT_CHANGES, BROKEN)

    engine, model, rec = await open_engine(project, responder, tasks(("1", "backend")))
    try:
        summary = await engine.run()
        corrections = await engine.store.corrections("1")
        runs = await engine.store.test_runs("1")
    finally:
        await engine.close()
    assert summary.all_done
    assert len(model.requests) == 2
    second = model.requests[1]
    # The conversation is a valid tool loop: the failure travels as the tool_result of the first call.
    assert [m["role"] for m in second.messages] == ["user", "assistant", "user"]
    result = second.messages[2]["content"][0]
    assert result["type"] == "tool_result"
    assert result["tool_use_id"] == second.messages[1]["content"][0]["id"]
    assert "tests/test_m_1.py::test_m_1" in second.last_user_text()
    assert [(e.attempt_number, e.status) for e in rec.of(CorrectionAttempted)] == [(1, "started"), (1, "success")]
    assert [e.status for e in rec.of(TestResult) if e.purpose == "agent"] == ["failed", "passed"]
    assert [(c.attempt_number, c.status) for c in corrections] == [(1, "success")]
    # Oldest first: the latest run is the last one, and it passed (the ancestor read the wrong end).
    agent_runs = [r for attempt, r in runs if attempt >= 0]  # -1 and -2: the tool's own reruns
    assert [r.status for r in agent_runs] == ["failed", "passed"]
    assert agent_runs[-1].passed == 2


def broken_differently(request):
    """A new wrong answer each time: trying, not looping (the same answer again is the loop guard's)."""
    tries = sum(1 for m in request.messages if m["role"] == "assistant")
    wrong = "z" * (tries + 1)  # letters: the loop guard does not tell numbers apart
    return ToolUseReply(SUBMIT_CHANGES, module_answer("1", body=f"VALUE = {wrong!r}\n"))


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
    assert len(model.requests) == 4  # the first try and exactly 3 corrections
    for n, request in enumerate(model.requests[1:], 1):
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
    calls: list[str] = []

    def responder(request):
        calls.append(request.first_user_text()[:8])
        return ToolUseReply(SUBMIT_CHANGES, module_answer("x"))

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
    assert sum(1 for c in calls if c.startswith("Task 2")) == 2


async def test_model_error_fails_the_attempt_with_a_clear_reason(project):
    from codeframe_tui.llm.scripted import TruncatedReply

    engine, model, rec = await open_engine(
        project, lambda r: TruncatedReply(SUBMIT_CHANGES, '{"summary": "x", "files": [{"pa'),
        tasks(("1", "backend")), max_retries=0,
    )
    try:
        await engine.run()
        task = await engine.store.get_task("1")
    finally:
        await engine.close()
    assert task.status == TaskStatus.FAILED
    assert "cut at max_tokens" in task.reason


async def test_a_test_worker_with_no_test_command_asks_at_once(tmp_path):
    project = tmp_path / "bare"
    project.mkdir()  # nothing to detect: no Python or JavaScript markers, no config
    git_init(project)
    notes = {"summary": "notes", "files": [{"path": "NOTES.txt", "action": "write", "content": "todo\n"}]}
    engine, model, rec = await open_engine(project, lambda r: ToolUseReply(SUBMIT_CHANGES, notes), tasks(("1", "test")))
    try:
        await engine.run()
        task = await engine.store.get_task("1")
    finally:
        await engine.close()
    assert len(model.requests) == 1  # no correction calls burned on a missing command
    assert task.status == TaskStatus.BLOCKED and "no test command was found" in task.reason
    assert [b.task_id for b in rec.of(BlockerCreated)] == ["1"]
