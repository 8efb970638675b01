"""Pilot tests of the inbox: answer a question, accept and reject reviews, with keys only; attention."""

from __future__ import annotations

import pytest
from support import make_project, module_answer, open_engine, task_key_of, tasks, wait_for

from codeframe_tui.llm.scripted.agent import ask, change_set_agent
from codeframe_tui.ui.app import CodeframeApp
from codeframe_tui.ui.attention import osc9
from codeframe_tui.ui.screens.answer import AnswerScreen
from codeframe_tui.ui.screens.detail import TaskDetailScreen
from codeframe_tui.ui.screens.diff import DiffScreen
from codeframe_tui.ui.screens.inbox import InboxScreen
from codeframe_tui.ui.screens.reject import RejectScreen


def make_app(project, responder, plan, **overrides) -> tuple[CodeframeApp, dict]:
    seen: dict = {}

    async def opener(sink):
        engine, model, _ = await open_engine(project, responder, plan, sink=sink, people_present=True, **overrides)
        seen["model"] = model
        return engine

    return CodeframeApp(opener, banner="test project", offline=True), seen


@change_set_agent
def submit(request):
    """The task's module and its test, written through the editor tool, then finish."""
    return module_answer(task_key_of(request))


async def test_reviews_are_accepted_from_the_inbox_and_from_the_diff(tmp_path):
    project = make_project(tmp_path / "p")
    app, _ = make_app(project, submit, tasks(("1", "backend"), ("2", "test", ("1",))), review="review")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: [i.task_key for i in app.inbox_items] == ["1"])
        assert ("bell", "Task 1 is ready for your review (b)") in app.attention.sent
        assert any(channel == "osc9" for channel, _ in app.attention.sent)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: [i.task_key for i in app.inbox_items] == ["2"])
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen))
        assert app.screen.diffs[0].path == "pkg/m_2.py"
        await pilot.press("y")  # accept from the diff itself
        await wait_for(pilot, lambda: app.summary is not None)
        assert app.summary.all_done
        assert isinstance(app.screen, InboxScreen) and app.screen.items == []
        await pilot.press("q")


async def test_reject_with_feedback_then_reject_for_good(tmp_path):
    project = make_project(tmp_path / "p")
    app, seen = make_app(project, submit, tasks(("1", "backend")), review="review")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.inbox_items)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.items)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, AnswerScreen))
        await pilot.press(*"Call it ANSWER", "ctrl+s")
        # The agent tries again, in a fresh conversation that opens with the feedback, and the work
        # comes back for review.
        def retried():
            return [r for r in seen["model"].requests if "Call it ANSWER" in r.first_user_text()]

        await wait_for(pilot, lambda: retried() and app.inbox_items)
        assert len(retried()[0].messages) == 1  # the feedback opens the new attempt's conversation
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, RejectScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.summary is not None)
        await pilot.press("q")
    assert not (project / "pkg" / "m_1.py").exists()  # rejected for good: its new files are gone
    assert app.summary.total == 0  # a rejected task no longer counts in the plan


async def test_a_written_answer_needs_text_and_y_does_not_answer_an_open_question(tmp_path):
    project = make_project(tmp_path / "p")

    @change_set_agent
    def responder(request):  # the round as it began: the task alone, then the task, the question, its answer
        if len(request.messages) == 1:
            return ask("Which database, [b]and why[/b]?")
        return module_answer(task_key_of(request))

    app, seen = make_app(project, responder, tasks(("1", "backend")), notify_bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.inbox_items)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.items)
        await pilot.press("y")  # not a yes/no question: nothing happens
        await pilot.pause(0.2)
        assert app.inbox_items and isinstance(app.screen, InboxScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AnswerScreen))
        await pilot.press("ctrl+s")  # empty: refused, the editor stays
        assert isinstance(app.screen, AnswerScreen)
        await pilot.press(*"SQLite: one file", "ctrl+s")
        await wait_for(pilot, lambda: app.summary is not None)
        await pilot.press("escape", "enter")  # the task's detail keeps the question and its answer
        await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
        await pilot.pause(0.2)
        body = str(app.screen.query_one("#detail-body").render())
        assert "Which database, [b]and why[/b]?" in body and "answer: SQLite: one file" in body
        await pilot.press("escape", "q")
    # The answer came back as the question's tool_result, in the same conversation.
    answered = seen["model"].requests[1]
    assert "Answer: SQLite: one file" in answered.last_user_text()
    assert answered.tool_results()[0]["tool_use_id"] == answered.messages[1]["content"][-1]["id"]
    assert not any(channel == "bell" for channel, _ in app.attention.sent)  # turned off in config


def test_osc9_cannot_be_ended_early_and_passes_through_tmux():
    plain = osc9("done\x07\x1b]0;pwned;x", in_tmux=False)
    assert plain.startswith("\x1b]9;") and plain.endswith("\x07") and plain.count("\x07") == 1
    assert "pwned" in plain and "\x1b]0" not in plain
    wrapped = osc9("Task 1 asks", in_tmux=True)
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;Task 1 asks\x07\x1b\\"


# The settle time is wall time between the neighbour sliding in and the second key being handled:
# on a machine starved by another test worker, the second key can be handled after it.
@pytest.mark.serial
async def test_a_double_press_answers_only_the_highlighted_question(tmp_path):
    project = make_project(tmp_path / "p")

    @change_set_agent
    def responder(request):
        if len(request.messages) == 1:
            return ask(f"Ship {task_key_of(request)}?", yes_no=True)
        return module_answer(task_key_of(request))

    app, _ = make_app(project, responder, tasks(("1", "backend"), ("2", "backend"), ("3", "backend")))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.inbox_items) == 3)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and len(app.screen.items) == 3)
        # The three questions may arrive in any order: the list is by arrival, so read it.
        order = [i.task_key for i in app.screen.items]
        await pilot.press("j", "j", "y", "y")
        await wait_for(pilot, lambda: len(app.inbox_items) == 2)
        await pilot.press("y")  # at once: the neighbour just slid in, so the key rests
        await pilot.pause(0.3)
        assert sorted(i.task_key for i in app.inbox_items) == sorted(order[:2])
        assert app.screen.highlighted().task_key == order[1]  # the neighbour, not the top of the list
        await pilot.pause(0.6)
        await pilot.press("y")  # now it answers the highlighted one
        # The first to arrive is left, whichever task that was (it failed under load when it was not 1).
        await wait_for(pilot, lambda: [i.task_key for i in app.inbox_items] == order[:1])
        await pilot.press("ctrl+c")
