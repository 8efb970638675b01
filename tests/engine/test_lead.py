"""Engine tests on the scripted model: concurrency, dependency order, honoured results, retries."""

from __future__ import annotations

import asyncio

import pytest
from support import make_project, open_engine, passing_responder, task_key_of, tasks

from codeframe_tui.domain import TaskStatus, WorkerOutcome, WorkerResult
from codeframe_tui.engine import lead as lead_module
from codeframe_tui.engine.events import RunFinished, RunStarted, TaskHeld, TaskStatusChanged, ToolUsed
from codeframe_tui.engine.workers import BackendWorker
from codeframe_tui.engine.workers.attempt import MAX_NUDGES
from codeframe_tui.llm.scripted import TextReply
from codeframe_tui.llm.scripted.agent import create, finish, place, play


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj")


async def test_parallelism_is_bounded_by_max_concurrent(project):
    plan = tasks(*[(str(i), "backend") for i in range(1, 7)])
    engine, model, rec = await open_engine(project, passing_responder, plan, latency=0.3, max_concurrent=2)
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done
    assert rec.max_running() == 2


async def test_more_concurrency_runs_more_at_once(project):
    plan = tasks(*[(str(i), kind) for i, kind in enumerate(["backend", "frontend", "test", "backend"], 1)])
    engine, _, rec = await open_engine(project, passing_responder, plan, latency=0.3, max_concurrent=4)
    try:
        await engine.run()
    finally:
        await engine.close()
    assert rec.max_running() == 4
    agents = {e.agent_id for e in rec.of(TaskStatusChanged) if e.status == "running"}
    assert {"backend-1", "backend-2", "frontend-1", "test-1"} == agents


async def test_dependency_order_holds_for_chain_and_fan_in(project):
    plan = tasks(("1", "backend"), ("2", "backend", ("1",)), ("3", "frontend", ("1",)),
                 ("4", "test", ("2", "3")), ("5", "backend", ("4",)))
    engine, _, rec = await open_engine(project, passing_responder, plan, latency=0.05)
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done and summary.total == 5
    # A task starts once its dependencies passed their checks (`landing`: it starts on their
    # branches) and lands only after they have landed.
    passed: set[str] = set()
    done: set[str] = set()
    deps = {t.key: set(t.depends_on) for t in plan}
    for event in rec.of(TaskStatusChanged):
        if event.status == "running":
            assert deps[event.task_id] <= passed, f"{event.task_id} started before {deps[event.task_id] - passed}"
        if event.status in ("landing", "done"):
            passed.add(event.task_id)
        if event.status == "done":
            assert deps[event.task_id] <= done, f"{event.task_id} landed before {deps[event.task_id] - done}"
            done.add(event.task_id)
    started = rec.of(RunStarted)[0]
    assert {t.task_id: set(t.depends_on) for t in started.tasks} == deps


async def test_failed_dependency_stops_its_dependents(project):
    def responder(request):
        if task_key_of(request) == "1":
            return TextReply("I will not call the tool.")
        return passing_responder(request)

    plan = tasks(("1", "backend"), ("2", "backend", ("1",)), ("3", "test", ("2",)), ("4", "frontend"))
    engine, model, rec = await open_engine(project, responder, plan, max_retries=1)
    try:
        summary = await engine.run()
        by_key = {t.key: t for t in await engine.store.list_tasks()}
    finally:
        await engine.close()
    assert by_key["1"].status == TaskStatus.FAILED
    assert by_key["1"].retries == 1  # counted in the store: one retry, then failed
    assert "without calling a tool" in by_key["1"].reason
    assert by_key["2"].status == by_key["3"].status == TaskStatus.APPROVED
    assert "running" not in rec.statuses("2") + rec.statuses("3")
    assert by_key["4"].status == TaskStatus.DONE  # the rest of the plan goes on
    held = {e.task_id: e for e in rec.of(TaskHeld)}
    assert held["2"].blocked_by == ("1",) and "1 (failed)" in held["2"].reason
    assert held["3"].blocked_by == ("1",)
    assert "waits on 1 (failed)" in by_key["3"].reason  # the screen can say why
    assert rec.statuses("1") == ["approved", "running", "approved", "running", "failed"]
    # Each attempt's first request (the default model is not forced to a tool: it is nudged MAX_NUDGES
    # times in the same conversation, then the attempt ends).
    ones = [r for r in model.requests if r.first_user_text().startswith("Task 1:")]
    firsts = [r for r in ones if len(r.messages) == 1]
    assert len(firsts) == 2 and len(ones) == 2 * (MAX_NUDGES + 1)
    assert all("Your answer had no tool call" in r.last_user_text() for r in ones if len(r.messages) > 1)
    retry = firsts[1]
    assert "This is retry 1 of this task" in retry.first_user_text()
    assert "without calling a tool" in retry.first_user_text()
    finished = rec.of(RunFinished)[-1]
    assert (finished.done, finished.failed, finished.total) == (1, 1, 4)
    assert not summary.all_done


async def test_worker_result_is_honoured(project, monkeypatch):
    """The ancestor turned failed and blocked into completed; here the outcome stands as given."""
    outcomes = {"1": WorkerOutcome.FAILED, "2": WorkerOutcome.BLOCKED, "3": WorkerOutcome.DONE}

    class FixedWorker(BackendWorker):
        async def execute_task(self, task):
            return WorkerResult(outcomes[task.key], reason=f"fixed {outcomes[task.key]}")

    monkeypatch.setattr(lead_module, "worker_class", lambda agent_type: FixedWorker)
    plan = tasks(("1", "backend"), ("2", "backend"), ("3", "backend"))
    engine, _, rec = await open_engine(project, passing_responder, plan, max_retries=0)
    try:
        await engine.run()
        by_key = {t.key: t for t in await engine.store.list_tasks()}
    finally:
        await engine.close()
    assert by_key["1"].status == TaskStatus.FAILED and by_key["1"].reason == "fixed failed"
    assert by_key["2"].status == TaskStatus.BLOCKED
    assert by_key["3"].status == TaskStatus.DONE


async def test_worker_crash_fails_the_task_and_the_run_goes_on(project, monkeypatch):
    class CrashingWorker(BackendWorker):
        async def execute_task(self, task):
            if task.key == "1":
                raise RuntimeError("boom")
            return await super().execute_task(task)

    monkeypatch.setattr(lead_module, "worker_class", lambda agent_type: CrashingWorker)
    engine, _, rec = await open_engine(project, passing_responder, tasks(("1", "backend"), ("2", "backend")),
                                       max_retries=0)
    try:
        await engine.run()
        by_key = {t.key: t for t in await engine.store.list_tasks()}
    finally:
        await engine.close()
    assert by_key["1"].status == TaskStatus.FAILED and "RuntimeError: boom" in by_key["1"].reason
    assert by_key["2"].status == TaskStatus.DONE


async def test_only_approved_tasks_run(project):
    engine, model, rec = await open_engine(project, passing_responder, tasks(("1", "backend"), ("2", "backend")),
                                           approve=False)
    try:
        await engine.store.transition("2", TaskStatus.APPROVED)
        summary = await engine.run()
        by_key = {t.key: t for t in await engine.store.list_tasks()}
    finally:
        await engine.close()
    assert by_key["1"].status == TaskStatus.PROPOSED
    assert by_key["2"].status == TaskStatus.DONE
    # One conversation, for task 2 only (a tool loop makes several requests in it).
    assert {r.first_user_text().split(":", 1)[0] for r in model.requests} == {"Task 2"}
    assert len([r for r in model.requests if len(r.messages) == 1]) == 1
    assert not summary.all_done


async def test_interrupted_running_task_goes_back_to_approved_and_runs(project):
    engine, _, rec = await open_engine(project, passing_responder, tasks(("1", "backend")))
    try:
        await engine.store.transition("1", TaskStatus.RUNNING, agent_id="backend-9")
        summary = await engine.run()
    finally:
        await engine.close()
    assert rec.statuses("1") == ["approved", "approved", "running", "landing", "done"]  # approve, recover, run
    assert summary.all_done


async def test_each_worker_writes_only_inside_its_project(project, tmp_path):
    """A write outside the project is refused as an error tool_result and nothing is written; the
    conversation goes on (it used to refuse the whole change set and block the task)."""
    escapes = [create("../outside.py", "x = 1\n"), create(str(tmp_path / "outside_abs.py"), "x = 1\n"),
               create("pkg/../../outside_dots.py", "x = 1\n")]

    def responder(request):
        return play([*escapes, finish("tried to write outside")], place(request).step)

    engine, model, rec = await open_engine(project, responder, tasks(("1", "backend")), max_corrections=1)
    try:
        await engine.run()
        task = await engine.store.get_task("1")
    finally:
        await engine.close()
    assert list(tmp_path.glob("outside*")) == []
    answers = [r for q in model.requests[1:len(escapes) + 1] for r in q.tool_results()]
    assert [a.get("is_error") for a in answers] == [True] * len(escapes)
    assert all("Error" in a["content"] for a in answers)
    assert [e.ok for e in rec.of(ToolUsed) if e.tool == "str_replace_based_edit_tool"] == [False] * len(escapes)
    assert task.status == TaskStatus.DONE  # it went on and finished: nothing of it left the project


async def test_an_engine_error_stops_every_worker_and_leaves_no_task_running(project):
    from codeframe_tui.store import StoreError

    plan = tasks(("1", "backend"), ("2", "backend"), ("3", "frontend"))
    engine, _, rec = await open_engine(project, passing_responder, plan, latency=0.3, max_concurrent=3)
    real = engine.store.transition
    state = {"done": 0}

    async def flaky_transition(key, target, **kw):
        if target == TaskStatus.DONE:
            state["done"] += 1
            if state["done"] == 1:
                raise StoreError("database is locked")
        return await real(key, target, **kw)

    engine.store.transition = flaky_transition
    try:
        with pytest.raises(StoreError, match="database is locked"):
            await engine.run()
        leftovers = [t for t in asyncio.all_tasks() if t.get_name().startswith("task-") and not t.done()]
        statuses = {t.key: t.status for t in await engine.store.list_tasks()}
    finally:
        await engine.close()
    assert leftovers == []
    assert TaskStatus.RUNNING not in statuses.values()
