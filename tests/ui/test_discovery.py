"""Discovery → PRD → decomposition → plan review, by keys alone, on the scripted model."""

from __future__ import annotations

from support import Recorder, make_project, wait_for

from codeframe_tui.config import load_settings
from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.offline import scripted_model_client
from codeframe_tui.llm.scripted import ScriptedModel, ToolUseReply
from codeframe_tui.ui.app import CodeframeApp
from codeframe_tui.ui.screens.discovery import DiscoveryScreen, PrdScreen
from codeframe_tui.ui.screens.review import PlanReviewScreen

PLAN = {
    "issues": [{"key": "1", "title": "Core"}],
    "tasks": [
        {"key": "1.1", "issue": "1", "title": "Book model", "description": "d", "agent_type": "backend",
         "depends_on": []},
        {"key": "1.2", "issue": "1", "title": "List page", "description": "d", "agent_type": "frontend",
         "depends_on": ["1.1"]},
    ],
}


def planner(request):
    tool = request.body["tools"][0]["name"]
    text = request.last_user_text()
    if tool == "ask_question":
        if "A: families" in text:
            return ToolUseReply("ask_question", {"question": "", "topic": "other", "enough": True})
        return ToolUseReply("ask_question", {"question": "Who will use it?", "topic": "users", "enough": False})
    if tool == "write_prd":
        return ToolUseReply("write_prd", {"markdown": "# Shelf\n\nA reading list for families."})
    assert "my edit" in text  # the edited PRD is what gets decomposed
    return ToolUseReply("submit_plan", PLAN)


def discovery_app(root, model):
    async def opener(sink):
        settings = load_settings(root, offline=True)
        return await Engine.open(settings, scripted_model_client(settings, model), sink or Recorder())

    return CodeframeApp(opener, banner="test", offline=True, review=True, discover=True)


async def test_from_a_goal_to_plan_review_by_keys(tmp_path):
    root = make_project(tmp_path / "p")
    model = ScriptedModel(planner)
    app = discovery_app(root, model)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DiscoveryScreen))
        await pilot.press(*"a shared reading list", "enter")
        await wait_for(pilot, lambda: app.screen.current is not None)
        assert app.screen.current.text == "Who will use it?"
        await pilot.press(*"families", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PrdScreen))
        assert (root / ".codeframe" / "prd.md").read_text().startswith("# Shelf")
        await pilot.press("e")
        await pilot.press("ctrl+end", *" my edit", "ctrl+s")
        await wait_for(pilot, lambda: "my edit" in (root / ".codeframe" / "prd.md").read_text())
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen) and app.screen.tasks)
        review = app.screen
        assert {k: t.status for k, t in review.tasks.items()} == {"1.1": TaskStatus.PROPOSED,
                                                                   "1.2": TaskStatus.PROPOSED}
        assert review.tasks["1.2"].depends_on == ("1.1",)
        await pilot.press("a")  # approve 1.1, then look at the PRD again from the review
        await wait_for(pilot, lambda: review.tasks["1.1"].status == TaskStatus.APPROVED)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PrdScreen))
        assert "my edit" in app.screen.prd and not app.screen.can_decompose
        await pilot.press("c")  # making the plan again is not offered here
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is review)
        await pilot.press("q")
    # Quit and reopen: the review is where it was.
    again = discovery_app(root, ScriptedModel(planner))
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(again.screen, PlanReviewScreen) and again.screen.tasks)
        assert again.screen.tasks["1.1"].status == TaskStatus.APPROVED
        assert again.screen.tasks["1.2"].status == TaskStatus.PROPOSED
        await pilot.press("q")
    tools = [r.body["tools"][0]["name"] for r in model.requests]
    assert tools == ["ask_question", "ask_question", "write_prd", "submit_plan"]  # no second plan
    assert "A: families" in model.requests[1].last_user_text()  # the model decided with every answer in hand


async def test_skip_and_finish_early(tmp_path):
    root = make_project(tmp_path / "p")
    model = ScriptedModel(planner)
    app = discovery_app(root, model)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DiscoveryScreen))
        await pilot.press("ctrl+f")  # nothing to finish yet: the goal comes first
        assert isinstance(app.screen, DiscoveryScreen)
        await pilot.press(*"a reading list", "enter")
        await wait_for(pilot, lambda: app.screen.current is not None)
        await pilot.press("ctrl+n")  # skip "Who will use it?"
        await wait_for(pilot, lambda: len(app.screen.answers) == 1 and not app.screen.busy)
        assert app.screen.answers[0].answer is None
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, PrdScreen))
        await pilot.press("q")
