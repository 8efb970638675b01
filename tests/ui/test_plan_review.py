"""Plan review with keys alone: select, approve, reject with its impact, start; approvals persist."""

from __future__ import annotations

import pytest
from support import wait_for

from codeframe_tui.domain import TaskStatus
from codeframe_tui.store import Store
from codeframe_tui.ui.launch import demo_app
from codeframe_tui.ui.palette import palette_commands
from codeframe_tui.ui.screens.answer import AnswerScreen
from codeframe_tui.ui.screens.inbox import InboxScreen
from codeframe_tui.ui.screens.reject import RejectScreen
from codeframe_tui.ui.screens.review import PlanReviewScreen


async def statuses(root) -> dict[str, TaskStatus]:
    store = await Store.open(root / ".codeframe" / "state.db", root)
    try:
        return {t.key: t.status for t in await store.list_tasks()}
    finally:
        await store.close()


@pytest.mark.slow  # a whole run end to end
async def test_review_approve_reject_and_start_by_keys(tmp_path):
    root = tmp_path / "demo"
    app = demo_app(root, latency=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen) and app.screen.tasks)
        review = app.screen
        assert set(t.status for t in review.tasks.values()) == {TaskStatus.PROPOSED}
        assert app.main.tasks_table.display_status["1.1"] == "proposed"  # nothing ran without approval
        await pilot.press("space", "j", "space")  # select 1.1 and 1.2
        await pilot.press("a")
        await wait_for(pilot, lambda: review.tasks["1.2"].status == TaskStatus.APPROVED)
        # Reject 3.1: the dialog names what could then never run (3.2 waits on it).
        await pilot.press("j", "j", "j", "j", "j")
        assert review.highlighted() == "3.1"
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RejectScreen))
        assert app.screen.stranded == ["3.2"]
        await pilot.press(*"not needed", "enter")
        await wait_for(pilot, lambda: review.tasks["3.1"].status == TaskStatus.REJECTED)
        assert review.tasks["3.1"].reason == "rejected: not needed"
        # Approving 3.2, whose dependency is rejected, is refused.
        await pilot.press("j", "a")
        await pilot.pause(0.2)
        assert review.tasks["3.2"].status == TaskStatus.PROPOSED
        await pilot.press("A")  # approves what can be approved: all but 3.2
        await wait_for(pilot, lambda: review.tasks["2.2"].status == TaskStatus.APPROVED)
        assert review.tasks["3.2"].status == TaskStatus.PROPOSED
        await pilot.press("s")
        # 1.3's agent asks; the answer is written in the editor (enter), sent with ctrl+s.
        await wait_for(pilot, lambda: app.inbox_items)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AnswerScreen))
        await pilot.press(*"No: a fraction", "ctrl+s")
        await wait_for(pilot, lambda: not app.inbox_items)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.summary is not None)
        await pilot.press("q")
    assert "read / total" in (root / "shelf" / "stats.py").read_text()  # the agent did as answered
    final = await statuses(root)
    assert final["3.1"] == TaskStatus.REJECTED and final["3.2"] == TaskStatus.PROPOSED
    assert {k for k, s in final.items() if s == TaskStatus.DONE} == {"1.1", "1.2", "1.3", "1.4", "2.1", "2.2"}


async def test_approvals_persist_across_a_restart(tmp_path):
    root = tmp_path / "demo"
    app = demo_app(root, latency=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen) and app.screen.tasks)
        await pilot.press("a")
        await wait_for(pilot, lambda: app.screen.tasks["1.1"].status == TaskStatus.APPROVED)
        await pilot.press("q")
    assert (await statuses(root))["1.1"] == TaskStatus.APPROVED
    assert app.summary is None  # quitting from review started nothing


async def test_review_actions_are_in_the_command_palette(tmp_path):
    app = demo_app(tmp_path / "demo", latency=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen) and app.screen.tasks)
        titles = {c.title for c in palette_commands(app.screen)}
        assert {"Select task", "Approve", "Approve all", "Reject", "Edit task", "New task", "Edit dependencies",
                "Task details", "Start the run"} <= titles
        await pilot.press("ctrl+p", *"approve all")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.tasks["3.2"].status == TaskStatus.APPROVED)
        await pilot.press("q")


async def test_edit_add_and_dependencies_by_keys(tmp_path):
    from textual.widgets import Input

    from codeframe_tui.ui.screens.forms import DependenciesScreen, TaskFormScreen

    app = demo_app(tmp_path / "demo", latency=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen) and app.screen.tasks)
        review = app.screen
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskFormScreen))
        app.screen.query_one("#form-title", Input).value = ""
        await pilot.press(*"Book [model]", "ctrl+s")
        await wait_for(pilot, lambda: review.tasks["1.1"].title == "Book [model]")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskFormScreen))
        await pilot.press(*"Write the docs", "ctrl+s")
        await wait_for(pilot, lambda: "N9" in review.tasks)
        assert review.table.row_count == 9 and review.tasks["N9"].status == TaskStatus.PROPOSED
        # 1.1 cannot wait for 1.2: 1.2 already waits for 1.1. Refused, nothing changed.
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, DependenciesScreen))
        await pilot.press(*"1.2", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen))
        await pilot.pause(0.2)
        assert review.tasks["1.1"].depends_on == ()
        await pilot.press("j", "j", "D")  # 1.3 now also waits for 1.2
        await wait_for(pilot, lambda: isinstance(app.screen, DependenciesScreen))
        app.screen.query_one("#deps-input", Input).value = ""
        await pilot.press(*"1.1 1.2", "enter")
        await wait_for(pilot, lambda: review.tasks["1.3"].depends_on == ("1.1", "1.2"))
        await pilot.press("q")


async def test_import_warnings_are_read_in_plan_review_and_a_skipped_line_becomes_a_task(tmp_path):
    from textual.widgets import OptionList

    from codeframe_tui.domain import AgentType, ImportRecord, NewTask
    from codeframe_tui.ui.screens.forms import TaskFormScreen
    from codeframe_tui.ui.screens.import_warnings import ImportWarningsScreen

    app = demo_app(tmp_path / "demo", latency=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen) and app.screen.tasks)
        review = app.screen
        await pilot.press("w")  # the demo was not imported: nothing to read
        await pilot.pause(0.1)
        assert isinstance(app.screen, PlanReviewScreen)
        warnings = (
            {"line": 7, "task": None, "what": "placeholder task id TXXX; skipped", "text": "",
             "message": "tasks.md:7: placeholder task id TXXX (a template's example); skipped 'TXXX Example'"},
            {"line": 9, "task": None, "what": "unknown checkbox mark", "text": "[~] Add the audit log",
             "message": "tasks.md:9: unknown checkbox mark '[~]'; skipped '[~] Add the audit log'"},
        )
        await app.engine.store.add_plan([], [NewTask("X1", "imported", AgentType.BACKEND)], imported=ImportRecord(
            "tasks.md", "speckit", warnings, "### Checks\n- [ ] all pass"))
        await review.reload()
        assert "⚠ 2 import warning(s): w to read" in str(review.query_one("#review-help").render())
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportWarningsScreen))
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2 and "tasks.md:7: placeholder" in str(options.get_option_at_index(0).prompt)
        await pilot.press("n")  # the first skipped no line of its own to add
        await pilot.pause(0.1)
        assert isinstance(app.screen, ImportWarningsScreen)
        await pilot.press("down", "n")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskFormScreen))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(t.title == "[~] Add the audit log" for t in review.tasks.values()))
        await pilot.press("q")


async def test_a_dependency_the_import_added_is_marked_in_the_detail(tmp_path):
    from codeframe_tui.domain import AgentType, NewTask

    app = demo_app(tmp_path / "demo", latency=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen) and app.screen.tasks)
        review = app.screen
        await app.engine.store.add_plan([], [
            NewTask("S1", "User model in src/models.py", AgentType.BACKEND),
            NewTask("S2", "Team model in src/models.py", AgentType.BACKEND, depends_on=("S1",),
                    extra={"added_deps": ["S1"]}),
        ])
        await review.reload()
        review.table.move_cursor(row=review.table.get_row_index("S2"))
        await pilot.pause()
        assert "Waits for: S1 (proposed, added: same file)" in str(review.query_one("#review-detail-body").render())
        await pilot.press("q")
