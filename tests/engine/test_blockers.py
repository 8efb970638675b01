"""Blockers: SYNC waits with its dependents, ASYNC goes on, answers reach the model, first answer
wins, expiry, and the engine's own questions."""

from __future__ import annotations

import asyncio
import sys

import pytest
from support import git_init, make_project, module_answer, open_engine, passing_responder, task_key_of, tasks

from codeframe_tui.domain import MAX_ANSWER_CHARS
from codeframe_tui.engine.events import (
    AgentResumed,
    BlockerCreated,
    BlockerExpired,
    BlockerResolved,
    TaskStatusChanged,
    TestResult,
)
from codeframe_tui.engine.session import CommandRefused
from codeframe_tui.llm.scripted import RefusalReply
from codeframe_tui.llm.scripted.agent import ask, change_set_agent, place

QUESTION = "Should the id column be a UUID?"


def asking(key: str, *, blocking: bool = True, assumption: str = "", question: str = QUESTION):
    """A responder: task `key` asks first, then writes its change set; every other task just writes."""

    @change_set_agent
    def responder(request):
        # Asked already: in this conversation (an answered ask_human opens round 1), or before a restart.
        asked = place(request).round > 0 or "A: " in request.first_user_text()
        if task_key_of(request) == key and not asked:
            return ask(question, blocking=blocking, yes_no=True, assumption=assumption)
        return module_answer(task_key_of(request))

    return responder


def round_starts(requests):
    """The first request of each round: the first try, then one after each answered finish or ask."""
    return [r for r in requests if place(r).step == 0]


async def stop(run: asyncio.Task) -> None:
    """A failed assertion must not leave the run going while the engine closes under it."""
    if not run.done():
        run.cancel()
    await asyncio.gather(run, return_exceptions=True)


async def until(condition, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


async def test_sync_blocker_holds_its_task_and_dependents_while_independent_tasks_finish(tmp_path):
    project = make_project(tmp_path / "p")
    plan = tasks(("1", "backend"), ("2", "backend", ("1",)), ("3", "frontend"), ("4", "test", ("3",)))
    engine, model, rec = await open_engine(project, asking("1"), plan, people_present=True, max_concurrent=1)
    try:
        run = asyncio.create_task(engine.run())
        await until(lambda: rec.of(BlockerCreated))
        # The waiting task holds no slot: with max_concurrent=1 the independent chain still finishes.
        await until(lambda: "done" in rec.statuses("4"))
        assert (await engine.store.get_task("1")).status == "blocked"
        assert "running" not in rec.statuses("2") and not run.done()
        blocker = rec.of(BlockerCreated)[0]
        assert (blocker.kind, blocker.source, blocker.agent_id, blocker.yes_no) == ("sync", "model", "backend-1", True)
        await engine.answer_blocker(blocker.blocker_id, "No, an integer; keep it simple.")
        summary = await asyncio.wait_for(run, 30)
    finally:
        await stop(run)
        await engine.close()
    assert summary.all_done
    assert rec.statuses("1") == ["approved", "running", "blocked", "running", "landing", "done"]
    assert [type(e) for e in rec.events if isinstance(e, (BlockerResolved, AgentResumed))] == [
        BlockerResolved, AgentResumed,
    ]
    # The answer reached the model verbatim, with its question, in the very next request for task 1.
    after = [r for r in model.requests if task_key_of(r) == "1"][1]
    sent = after.last_user_text()
    assert QUESTION in sent and "No, an integer; keep it simple." in sent
    [asked] = [b for b in after.messages[-2]["content"] if b["type"] == "tool_use"]
    assert asked["name"] == "ask_human" and after.tool_results()[0]["tool_use_id"] == asked["id"]


async def test_async_question_goes_on_with_its_assumption(tmp_path):
    project = make_project(tmp_path / "p")
    responder = asking("1", blocking=False, assumption="integers")
    engine, model, rec = await open_engine(project, responder, tasks(("1", "backend")))
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done and summary.waiting == 0  # an open ASYNC question keeps nothing waiting
    assert rec.statuses("1") == ["approved", "running", "landing", "done"]
    assert rec.of(BlockerCreated)[0].kind == "async"
    second = model.requests[1].last_user_text()
    assert "go on with the task now, assuming: integers" in second


async def test_async_answer_joins_the_next_step(tmp_path):
    project = make_project(tmp_path / "p")
    engine, model, rec = await open_engine(
        project, asking("1", blocking=False, assumption="integers"), tasks(("1", "backend")),
        answerer=lambda blocker: "Use UUIDs after all.",
    )
    try:
        await engine.run()
    finally:
        await engine.close()
    sent = model.requests[1].last_user_text()
    assert "answered a question you asked earlier" in sent and "Use UUIDs after all." in sent


async def test_an_answer_after_a_restart_goes_into_the_first_prompt(tmp_path):
    """Nobody at the screen: the task stays blocked and the run ends. The answer comes later: the
    task queues again, and its new first prompt carries the question and the answer."""
    project = make_project(tmp_path / "p")
    engine, model, rec = await open_engine(project, asking("1"), tasks(("1", "backend")))
    try:
        first = await engine.run()
        assert first.blocked == 1 and first.waiting == 1
        blocker_id = rec.of(BlockerCreated)[0].blocker_id
        await engine.answer_blocker(blocker_id, "yes")
        assert (await engine.store.get_task("1")).status == "approved"
        second = await engine.run()
    finally:
        await engine.close()
    assert second.all_done
    prompt = model.requests[-1].first_user_text()
    assert f"Q: {QUESTION}\nA: yes" in prompt
    assert rec.of(AgentResumed)[-1].blocker_id == blocker_id


async def test_the_first_answer_wins(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, asking("1"), tasks(("1", "backend")))
    try:
        await engine.run()
        blocker_id = rec.of(BlockerCreated)[0].blocker_id
        results = await asyncio.gather(
            engine.answer_blocker(blocker_id, "first"), engine.answer_blocker(blocker_id, "second"),
            return_exceptions=True,
        )
        stored = await engine.store.get_blocker(blocker_id)
    finally:
        await engine.close()
    refused = [r for r in results if isinstance(r, CommandRefused)]
    assert len(refused) == 1 and "first answer stands" in str(refused[0])
    assert stored.answer == "first" and stored.status == "resolved"
    assert len(rec.of(BlockerResolved)) == 1


@pytest.mark.parametrize("answer,why", [("", "cannot be empty"), ("   \n", "cannot be empty"),
                                        ("x" * (MAX_ANSWER_CHARS + 1), "at most 5000")])
async def test_bad_answers_are_refused_and_the_question_stays(tmp_path, answer, why):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, asking("1"), tasks(("1", "backend")))
    try:
        await engine.run()
        blocker_id = rec.of(BlockerCreated)[0].blocker_id
        with pytest.raises(CommandRefused, match=why):
            await engine.answer_blocker(blocker_id, answer)
        assert (await engine.store.get_blocker(blocker_id)).status == "pending"
        with pytest.raises(CommandRefused, match="no blocker 999"):
            await engine.answer_blocker(999, "yes")
    finally:
        await engine.close()


async def test_a_long_question_is_cut_to_2000_characters(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, asking("1", question="why? " * 1000), tasks(("1", "backend")))
    try:
        await engine.run()
    finally:
        await engine.close()
    assert len(rec.of(BlockerCreated)[0].question) == 2000


async def test_an_unanswered_blocker_expires_and_fails_its_task(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, asking("1"), tasks(("1", "backend"), ("2", "backend")),
                                       people_present=True, blocker_expiry=0.3)
    try:
        summary = await asyncio.wait_for(engine.run(), 30)
        task = await engine.store.get_task("1")
        blocker = (await engine.store.blockers("1"))[0]
    finally:
        await engine.close()
    assert summary.failed == 1 and summary.done == 1
    assert task.status == "failed" and "expired" in task.reason and task.retries == 0  # no retry of an expiry
    assert blocker.status == "expired"
    assert len(rec.of(BlockerExpired)) == 1


async def test_a_blocker_left_from_an_earlier_run_expires_at_start(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, asking("1"), tasks(("1", "backend")), blocker_expiry=0.2)
    try:
        await engine.run()  # headless: blocked, the run ends
        await asyncio.sleep(0.3)
        await engine.run()
        task = await engine.store.get_task("1")
    finally:
        await engine.close()
    assert task.status == "failed" and rec.of(BlockerExpired)


async def test_failed_dependency_asks_the_person_and_the_answer_retries_it(tmp_path):
    project = make_project(tmp_path / "p")
    attempts = {"n": 0}

    def responder(request):
        if task_key_of(request) == "1":
            attempts["n"] += 1
            if "A: try a smaller change" not in request.first_user_text():
                return RefusalReply("I would rather not.")  # the model declines: the task fails
        return passing_responder(request)

    engine, model, rec = await open_engine(project, responder, tasks(("1", "backend"), ("2", "test", ("1",))),
                                           max_corrections=0, max_retries=0)
    try:
        first = await engine.run()
        assert first.failed == 1 and first.waiting == 1
        question = rec.of(BlockerCreated)[0]
        assert question.source == "engine" and question.task_id == "1" and "(2)" in question.question
        await engine.answer_blocker(question.blocker_id, "try a smaller change")
        second = await engine.run()
    finally:
        await engine.close()
    assert second.all_done


async def test_a_question_limit_per_attempt(tmp_path):
    """A model that only asks is cut off after max_questions: a further question is refused (the
    tools stay the same for the whole conversation, so the refusal is told), and it must go on."""
    project = make_project(tmp_path / "p")
    refused = "you have asked the 2 questions this attempt allows"

    @change_set_agent
    def responder(request):
        if refused not in request.last_user_text():
            return ask("again?", blocking=False, assumption="yes")
        return module_answer("1")

    engine, model, rec = await open_engine(project, responder, tasks(("1", "backend")), max_questions=2)
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done and len(rec.of(BlockerCreated)) == 2
    # Three asks: two go to the person, the third is refused; then the change set is written.
    answered = [r.tool_results()[0] for r in model.requests[1:4]]
    assert [r.get("is_error") for r in answered] == [None, None, True]
    assert "1 more question" in answered[0]["content"] and "may not ask more" in answered[1]["content"]
    assert refused in answered[2]["content"]
    assert all(r.tools == model.requests[0].tools for r in model.requests)
    assert len(model.requests) == 3 + 5  # the asks, then view, create, view, create, finish


async def test_events_are_in_order_and_statuses_are_stored(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, asking("1"), tasks(("1", "backend")), people_present=True)
    try:
        run = asyncio.create_task(engine.run())
        await until(lambda: rec.of(BlockerCreated) and "blocked" in rec.statuses("1"))
        await engine.answer_blocker(rec.of(BlockerCreated)[0].blocker_id, "yes")
        await asyncio.wait_for(run, 30)
        logged = [e["type"] for e in await engine.store.events()]
    finally:
        await stop(run)
        await engine.close()
    interesting = [t for t in logged if t in ("blocker_created", "blocker_resolved", "agent_resumed")]
    assert interesting == ["blocker_created", "blocker_resolved", "agent_resumed"]
    changes = [e for e in rec.of(TaskStatusChanged) if e.task_id == "1"]
    assert changes[2].reason.startswith("waiting for an answer: " + QUESTION)


async def test_an_answers_file_cannot_loop_a_stuck_task_forever(tmp_path):
    project = make_project(tmp_path / "p")

    @change_set_agent
    def failing(request):
        return module_answer("1", test="def test_x():\n    assert False\n")

    engine, model, rec = await open_engine(project, failing, tasks(("1", "backend"), ("2", "test", ("1",))),
                                           max_corrections=1, max_retries=0, answerer=lambda b: "try harder")
    try:
        summary = await asyncio.wait_for(engine.run(), 60)
        task = await engine.store.get_task("1")
    finally:
        await engine.close()
    assert summary.failed == 1 and task.status == "failed"
    asked = [e for e in rec.of(BlockerCreated) if e.source == "engine"]
    assert len(asked) == 3  # then the engine stops asking
    assert len(round_starts(model.requests)) <= 12


async def test_an_answers_file_answers_questions_left_by_an_earlier_run(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, _ = await open_engine(project, asking("1"), tasks(("1", "backend")))
    try:
        first = await engine.run()
    finally:
        await engine.close()
    assert first.blocked == 1
    from codeframe_tui.config import load_settings
    from codeframe_tui.engine.session import Engine
    from codeframe_tui.llm.offline import scripted_model_client
    from codeframe_tui.llm.scripted import ScriptedModel

    settings = load_settings(project, offline=True, review="auto")
    model = ScriptedModel(asking("1"))
    engine = await Engine.open(settings, scripted_model_client(settings, model), lambda e: None,
                               answerer=lambda b: "yes" if "UUID" in b.question else None)
    try:
        second = await engine.run()
    finally:
        await engine.close()
    assert second.all_done
    assert f"Q: {QUESTION}\nA: yes" in model.requests[0].first_user_text()


async def test_a_question_answered_while_no_engine_ran_is_picked_up_at_the_next_start(tmp_path):
    """The answer was stored but the app died before the task moved: the next run starts it."""
    project = make_project(tmp_path / "p")
    engine, model, rec = await open_engine(project, asking("1"), tasks(("1", "backend")))
    try:
        await engine.run()
        await engine.store.resolve_blocker(rec.of(BlockerCreated)[0].blocker_id, "no")
        assert (await engine.store.get_task("1")).status == "blocked"
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done and f"Q: {QUESTION}\nA: no" in model.requests[-1].first_user_text()


async def test_a_late_async_answer_joins_the_next_request(tmp_path):
    project = make_project(tmp_path / "p")

    @change_set_agent
    def responder(request):
        round_ = place(request).round
        if round_ == 0:
            return ask(QUESTION, blocking=False, assumption="integers")
        test = "def test_x():\n    assert False\n" if round_ == 1 else None
        return module_answer("1", test=test)

    engine, model, rec = await open_engine(project, responder, tasks(("1", "backend")), latency=0.3)
    try:
        run = asyncio.create_task(engine.run())
        await until(lambda: rec.of(BlockerCreated))
        await engine.answer_blocker(rec.of(BlockerCreated)[0].blocker_id, "UUIDs, please.")
        summary = await asyncio.wait_for(run, 30)
    finally:
        await stop(run)
        await engine.close()
    assert summary.all_done
    # The answer came while the step after the question was with the model: the next step carries it.
    assert "UUIDs, please." not in model.requests[1].last_user_text()
    assert "UUIDs, please." in model.requests[2].last_user_text()
    assert sum("UUIDs, please." in r.last_user_text() for r in model.requests) == 1


async def test_a_resumed_agent_waits_for_a_free_slot(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, asking("1"), tasks(("1", "backend"), ("2", "frontend")),
                                       people_present=True, max_concurrent=1, latency=0.4)
    try:
        run = asyncio.create_task(engine.run())
        await until(lambda: "running" in rec.statuses("2"))
        await engine.answer_blocker(rec.of(BlockerCreated)[0].blocker_id, "yes")  # while 2 has the slot
        summary = await asyncio.wait_for(run, 30)
    finally:
        await stop(run)
        await engine.close()
    assert summary.all_done and rec.max_running() == 1


async def test_a_test_command_added_while_the_agent_waits_is_used(tmp_path):
    project = tmp_path / "bare"
    (project / ".codeframe").mkdir(parents=True)
    (project / ".codeframe" / "config.toml").write_text('review = "auto"\n')
    git_init(project)
    notes = {"summary": "notes", "files": [
        {"path": "NOTES.txt", "action": "write", "content": "nothing to detect here\n"}]}
    engine, _, rec = await open_engine(project, change_set_agent(lambda r: notes), tasks(("1", "backend")),
                                       people_present=True)
    try:
        run = asyncio.create_task(engine.run())
        await until(lambda: rec.of(BlockerCreated))
        assert "no test command" in rec.of(BlockerCreated)[0].question
        # The agent works in its own worktree: that is where the person's test must go.
        (engine.ctx.root_for("1") / "test_it.py").write_text("def test_it():\n    assert True\n")
        with (project / ".codeframe" / "config.toml").open("a") as config:
            config.write(f'[tests]\nbackend = ["{sys.executable}", "-m", "pytest", "-v"]\n')
        await engine.answer_blocker(rec.of(BlockerCreated)[0].blocker_id, "done: pytest is set")
        summary = await asyncio.wait_for(run, 30)
    finally:
        await stop(run)
        await engine.close()
    assert summary.all_done
    assert [e.status for e in rec.of(TestResult) if e.purpose == "agent"] == ["no_tests", "passed"]
