"""Scheduling that keeps slots full: settling beside the lead's loop, longest chain first, one test per landing."""

from __future__ import annotations

import asyncio

from support import make_project, open_engine, passing_responder, task_key_of, tasks

from codeframe_tui.domain import AgentType, Task, TaskStatus
from codeframe_tui.engine.events import TaskStatusChanged, TestResult
from codeframe_tui.engine.merge_queue import MergeQueue
from codeframe_tui.engine.scheduler import plan_schedule
from codeframe_tui.llm.scripted import StallReply, TextReply


async def test_a_task_waiting_to_land_holds_no_slot(tmp_path, monkeypatch):
    """Task 1's landing is slow: it waits `landing`, and task 3 takes its slot at once, while task 2
    still works, so two agents work and one task lands at the same time."""
    real_land = MergeQueue.land

    async def slow_land(queue, task):
        if task.key == "1":
            await asyncio.sleep(1.5)
        return await real_land(queue, task)

    monkeypatch.setattr(MergeQueue, "land", slow_land)

    def responder(request):
        if task_key_of(request) == "2":
            return StallReply(2.5, TextReply("no tool"))  # fails, well after task 3 has started
        return passing_responder(request)

    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, responder, tasks(("1", "backend"), ("2", "backend"),
                                                                ("3", "backend")), max_concurrent=2, max_retries=0)
    try:
        await engine.run()
    finally:
        await engine.close()
    at = {(e.task_id, e.status): i for i, e in enumerate(rec.of(TaskStatusChanged))}
    assert at[("1", "landing")] < at[("3", "running")] < at[("1", "done")]
    assert at[("3", "running")] < at[("2", "failed")]
    assert rec.max_running() == 2
    assert (await_status := {e.task_id: e.status for e in rec.of(TaskStatusChanged)}) == {
        "1": "done", "2": "failed", "3": "done"}, await_status


def test_the_longest_chain_starts_first():
    def task(key, deps=()):
        return Task(0, key, key, "", AgentType.BACKEND, TaskStatus.APPROVED, tuple(deps))

    plan = [task("1"), task("2"), task("3"), task("4", ["3"]), task("5", ["4"]), task("6", ["2"])]
    assert [t.key for t in plan_schedule(plan, running=set()).ready] == ["3", "2", "1"]
    done = [t if t.key != "3" else Task(0, "3", "3", "", AgentType.BACKEND, TaskStatus.DONE) for t in plan]
    assert [t.key for t in plan_schedule(done, running=set()).ready] == ["2", "4", "1"]  # equal chains: natural order


async def test_a_landing_after_the_base_moved_tests_the_landed_tree_once(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, passing_responder, tasks(("1", "backend"), ("2", "backend")),
                                       max_concurrent=2)
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done, [(e.task_id, e.status, e.reason) for e in rec.of(TaskStatusChanged)]
    merges = [(e.task_id, e.status) for e in rec.of(TestResult) if e.purpose == "merge"]
    assert sorted(merges) == [("1", "passed"), ("2", "passed")]  # the second lander: base merged in, tested once


async def test_an_agent_is_never_handed_a_second_task_while_it_lands_or_runs_one(tmp_path, monkeypatch):
    from codeframe_tui.engine.events import AgentStatusChanged

    real_land = MergeQueue.land

    async def slow_land(queue, task):
        await asyncio.sleep(0.3)  # landings queue up: agents are handed new tasks meanwhile
        return await real_land(queue, task)

    monkeypatch.setattr(MergeQueue, "land", slow_land)
    project = make_project(tmp_path / "p")
    plan = tasks(*[(str(i), "backend") for i in range(1, 9)])
    engine, _, rec = await open_engine(project, passing_responder, plan, latency=0.05, max_concurrent=4)
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done
    on: dict[str, str] = {}
    for event in rec.of(AgentStatusChanged):
        if event.status == "busy":
            assert on.setdefault(event.agent_id, event.task_id) == event.task_id, (event.agent_id, on, event.task_id)
        else:
            on.pop(event.agent_id, None)
    assert not list((project / ".codeframe" / "worktrees").iterdir())  # every worktree landed and went
