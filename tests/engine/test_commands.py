"""Engine commands for plan review: approve and reject, with their rules and their events."""

from __future__ import annotations

import pytest
from support import make_project, open_engine, passing_responder, tasks

from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.events import TaskStatusChanged
from codeframe_tui.engine.session import CommandRefused

PLAN = tasks(("1", "backend"), ("2", "backend", ("1",)), ("3", "test", ("2",)), ("4", "frontend"))


@pytest.fixture
async def engine(tmp_path):
    engine, _, rec = await open_engine(make_project(tmp_path / "p"), passing_responder, PLAN, approve=False)
    engine.recorder = rec
    yield engine
    await engine.close()


async def test_rejecting_shows_what_can_then_never_run(engine):
    assert await engine.rejection_impact(["1"]) == ["2", "3"]
    assert await engine.rejection_impact(["4"]) == []
    await engine.reject(["1"], reason="out of scope")
    task = await engine.store.get_task("1")
    assert task.status == TaskStatus.REJECTED and task.reason == "rejected: out of scope"
    assert [(e.task_id, e.status) for e in engine.recorder.of(TaskStatusChanged)] == [("1", "rejected")]


async def test_approving_a_task_whose_dependency_is_rejected_is_refused(engine):
    await engine.reject(["1"])
    with pytest.raises(CommandRefused, match="depends on rejected 1"):
        await engine.approve(["4", "2"])
    # All or nothing: 4 was not approved either.
    assert (await engine.store.get_task("4")).status == TaskStatus.PROPOSED
    await engine.approve(["4"])
    assert (await engine.store.get_task("4")).status == TaskStatus.APPROVED


@pytest.mark.slow  # a whole run end to end
async def test_nothing_runs_without_approval(engine):
    await engine.approve(["1", "2"])
    summary = await engine.run()
    statuses = {t.key: t.status for t in await engine.store.list_tasks()}
    assert statuses == {"1": TaskStatus.DONE, "2": TaskStatus.DONE, "3": TaskStatus.PROPOSED,
                        "4": TaskStatus.PROPOSED}
    assert not summary.all_done


async def test_commands_name_what_is_wrong(engine):
    with pytest.raises(CommandRefused, match="there is no task 9"):
        await engine.approve(["9"])
    await engine.approve(["1"])
    with pytest.raises(CommandRefused, match="task 1 is approved, not proposed"):
        await engine.approve(["1"])


async def test_edit_add_and_dependencies(engine):
    task = await engine.edit_task("4", title="  A   better  title ", description="more", agent_type="test")
    assert (task.title, task.description, task.agent_type) == ("A better title", "more", "test")
    with pytest.raises(CommandRefused, match="agent type must be"):
        await engine.edit_task("4", title="x", description="", agent_type="designer")
    new = await engine.add_task(title="Write docs", agent_type="backend", depends_on=("4",))
    assert new.key == "N5" and new.status == TaskStatus.PROPOSED and new.depends_on == ("4",)
    with pytest.raises(CommandRefused, match="unknown task 9"):
        await engine.add_task(title="Bad", agent_type="backend", depends_on=("9",))
    assert (await engine.set_dependencies("4", ("1",))).depends_on == ("1",)
    with pytest.raises(CommandRefused, match="dependency cycle: ") as info:
        await engine.set_dependencies("1", ("3",))
    assert {"1", "2", "3"} <= set(str(info.value).split(": ")[1].split(" -> "))
    assert (await engine.store.get_task("1")).depends_on == ()  # refused whole
