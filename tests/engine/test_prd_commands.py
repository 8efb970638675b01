"""The PRD's commands: discovery and decomposition go through the engine, and a plan made from the
PRD is stored in one transaction and announced (`plan_added`), or refused with nothing stored."""

from __future__ import annotations

import pytest
from support import Recorder, make_project

from codeframe_tui.config import load_settings
from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.events import PlanAdded
from codeframe_tui.engine.refused import CommandRefused
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.offline import scripted_model_client
from codeframe_tui.llm.scripted import ScriptedModel, ToolUseReply

PLAN = {
    "issues": [{"key": "1", "title": "Core"}],
    "tasks": [
        {"key": "1.1", "issue": "1", "title": "Book model", "description": "d", "agent_type": "backend",
         "depends_on": []},
        {"key": "1.2", "issue": "1", "title": "List page", "description": "d", "agent_type": "frontend",
         "depends_on": ["1.1"]},
    ],
}


async def open_with(tmp_path, plan: dict) -> tuple[Engine, Recorder]:
    root = make_project(tmp_path / "p")
    settings = load_settings(root, offline=True)
    recorder = Recorder()
    model = ScriptedModel(lambda request: ToolUseReply("submit_plan", plan))
    return await Engine.open(settings, scripted_model_client(settings, model), recorder), recorder


async def test_a_plan_from_the_prd_is_stored_proposed_and_announced(tmp_path):
    engine, recorder = await open_with(tmp_path, PLAN)
    try:
        assert await engine.make_plan("# Shelf\n\nA reading list.") == 2
        tasks = await engine.tasks()
        assert [(t.key, t.status, t.depends_on) for t in tasks] == [
            ("1.1", TaskStatus.PROPOSED, ()), ("1.2", TaskStatus.PROPOSED, ("1.1",))]
        assert await engine.issues() == [("1", "Core")]
        [added] = recorder.of(PlanAdded)
        assert (added.source, added.tasks, added.issues) == ("prd", 2, 1)
        found, _ = await engine.events_after(0)  # logged too: a read-only window sees it
        assert [e for e in found if isinstance(e, PlanAdded)] == [added]
    finally:
        await engine.close()


async def test_a_plan_that_does_not_hold_together_is_refused_and_nothing_is_stored(tmp_path):
    broken = {**PLAN, "tasks": [{**PLAN["tasks"][1], "depends_on": ["9.9"]}]}
    engine, recorder = await open_with(tmp_path, broken)
    try:
        with pytest.raises(CommandRefused, match="9.9"):
            await engine.make_plan("# Shelf")
        assert await engine.tasks() == [] and recorder.of(PlanAdded) == []
    finally:
        await engine.close()


async def test_the_prd_is_written_saved_and_read_back(tmp_path):
    engine, _ = await open_with(tmp_path, PLAN)
    try:
        assert await engine.prd() is None
        await engine.save_prd("# Mine\n")
        assert await engine.prd() == "# Mine\n"
    finally:
        await engine.close()
