"""Pilot tests: engine events reach the panes, keys act while agents work, quitting keeps the run."""

from __future__ import annotations

import asyncio

import pytest
from support import make_project, open_engine, passing_responder, tasks, wait_for

from codeframe_tui.domain import TaskStatus
from codeframe_tui.runner.sandbox import probe_bwrap
from codeframe_tui.store import Store
from codeframe_tui.ui.app import CodeframeApp
from codeframe_tui.ui.bridge import EngineEvent
from codeframe_tui.ui.launch import demo_app
from codeframe_tui.ui.palette import palette_commands
from codeframe_tui.ui.screens.confirm import ChoiceScreen
from codeframe_tui.ui.screens.detail import TaskDetailScreen
from codeframe_tui.ui.screens.inbox import InboxScreen
from codeframe_tui.ui.screens.main import sandbox_title
from codeframe_tui.ui.widgets.usage import UsageBar


@pytest.mark.slow  # a whole run end to end
async def test_panes_receive_engine_events_as_messages(tmp_path):
    app = demo_app(tmp_path / "demo", latency=0.2, approve_all=True)
    posted: list = []
    hook = lambda m: posted.append(m.event) if isinstance(m, EngineEvent) else None  # noqa: E731
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        # The demo's agent on 1.3 asks a yes/no question: answered from the inbox, by keys alone.
        await wait_for(pilot, lambda: app.inbox_items)
        assert "⚑ 1 waiting (b)" in app.sub_title
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.inbox_items)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.summary is not None)
        await pilot.pause()
        screen = app.main
        assert set(screen.tasks_table.display_status.values()) == {"done"}
        agents = {str(key.value) for key in screen.agents_table.rows}
        assert {"backend-1", "frontend-1", "test-1"} <= agents
        assert screen.test_log.line_count > 5
        assert any("run finished: 8 done" in line for line in screen.activity.lines)
        assert "8 done" in app.sub_title
        # The header says where the agents' commands ran: the demo uses the sandbox where it works.
        confined = await probe_bwrap() is None
        assert app.title == ("CodeFRAME · sandbox: bwrap · no network" if confined
                             else "CodeFRAME · ⚠ sandbox off: tests unconfined"), app.title
        # The usage line and the Agents pane's costs add up what the model calls reported.
        usage = screen.query_one(UsageBar)
        called = [e for e in posted if type(e).__name__ == "ModelCalled"]
        assert usage.calls == len(called) > 0 and usage.output == sum(e.output_tokens for e in called)
        assert usage.cost == pytest.approx(sum(e.cost_usd for e in called)) and usage.cost > 0
        assert "cache" in usage.text() and usage.text().count("$") == 1
        spent = {a: c for a, c in screen.agents_table.costs.items()}
        assert sum(spent.values()) == pytest.approx(usage.cost)
        await pilot.press("q")
    kinds = {type(e).__name__ for e in posted}
    assert {"RunStarted", "TaskStatusChanged", "AgentStatusChanged", "TestOutput", "TestResult",
            "CorrectionAttempted", "BlockerCreated", "BlockerResolved", "AgentResumed", "RunFinished"} <= kinds
    # The status each row shows is the last status the engine sent for it.
    last = {e.task_id: e.status for e in posted if type(e).__name__ == "TaskStatusChanged"}
    assert set(last.values()) == {"done"}


async def test_keys_act_while_agents_run(tmp_path):
    app = demo_app(tmp_path / "demo", latency=0.6, approve_all=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "running" in app.main.tasks_table.display_status.values())
        table = app.main.tasks_table
        start = table.cursor_row
        await pilot.press("j", "j")
        assert table.cursor_row == start + 2
        await pilot.press("k")
        assert table.cursor_row == start + 1
        assert "running" in table.display_status.values()  # the agents are still at work
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
        assert app.screen.task_key == "1.2"
        await pilot.press("escape")
        assert app.screen is app.main
        await pilot.press("t")
        assert app.main.test_log.shown == "1.2" and not app.main.test_log.follow
        await pilot.press("q")


async def test_quit_while_running_keeps_tasks_resumable(tmp_path):
    root = tmp_path / "demo"
    app = demo_app(root, latency=0.5, approve_all=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "running" in app.main.tasks_table.display_status.values())
        await pilot.press("q")  # agents at work: it asks first, and n keeps them working
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "agent(s) are working" in app.screen.body
        await pilot.press("n")
        await pilot.pause(0.1)
        assert app.engine is not None and app.screen is app.main
        await pilot.press("q", "y")
        await wait_for(pilot, lambda: app.engine is None, timeout=15)
    store = await Store.open(root / ".codeframe" / "state.db", root)
    try:
        states = {t.key: t for t in await store.list_tasks()}
    finally:
        await store.close()
    assert not any(t.status == TaskStatus.RUNNING for t in states.values())
    stopped = [t for t in states.values() if "stopped" in t.reason]
    assert stopped and all(t.status == TaskStatus.APPROVED for t in stopped)


async def test_markup_in_titles_shows_literally(tmp_path):
    project = make_project(tmp_path / "p")
    plan = tasks(("1", "backend"), ("2", "test"))
    from dataclasses import replace

    plan = [replace(plan[0], title="[/b] [red]not red[/red] \x1b[2J", description="Split paths on [/ and [$name]"),
            replace(plan[1], title="Split paths on [/")]

    async def opener(sink):
        engine, _, _ = await open_engine(project, passing_responder, plan, sink=sink)
        return engine

    app = CodeframeApp(opener, banner="[b]banner[/b]", offline=True, auto_run=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.main.tasks_table.row_count == 2)
        title = str(app.main.tasks_table.get_cell("1", "title"))
        assert title == "[/b] [red]not red[/red]"
        from textual.content import Content

        # The getter gives the title back as markup; read back, it is the literal title.
        subtitle = Content.from_markup(app.main.tasks_table.border_subtitle).plain
        assert subtitle == "1 [/b] [red]not red[/red]"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
        await pilot.pause(0.2)
        body = str(app.screen.query_one("#detail-body").render())
        assert "[/b] [red]not red[/red]" in body and "Split paths on [/ and [$name]" in body
        await pilot.press("escape")
        await pilot.press("j")  # highlighting a title that once crashed the border subtitle
        await pilot.pause()
        # Textual's getter cannot even round-trip this title as markup, so read the stored Content.
        assert app.main.tasks_table._border_subtitle.plain == "2 Split paths on [/"
        assert app.is_running
        await pilot.press("q")


async def test_an_engine_that_cannot_open_is_shown_not_swallowed(tmp_path):
    async def opener(sink):
        raise RuntimeError("ANTHROPIC_API_KEY is not set")

    app = CodeframeApp(opener, banner="x", offline=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine_error is not None)
        assert "ANTHROPIC_API_KEY" in app.engine_error
        await pilot.press("q")
    await asyncio.sleep(0)


async def test_actions_are_in_the_command_palette(tmp_path):
    project = make_project(tmp_path / "p")

    async def opener(sink):
        engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend"), ("2", "test")), sink=sink)
        return engine

    app = CodeframeApp(opener, banner="x", offline=True, auto_run=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.main.tasks_table.row_count == 2)
        commands = {c.title: c.help for c in palette_commands(app.screen)}
        assert {"Open task details", "Show the task's tests", "Follow the latest tests", "Open the inbox",
                "Undo the task", "Open the full test log"} <= set(commands)
        assert commands["Open the inbox"] == "Questions and reviews waiting for you. (b)"
        assert "Start the run" not in commands  # `s` is off until a run waits to be started
        assert len(commands) == len(set(commands))
        await pilot.press("ctrl+p")
        await pilot.press(*"task details")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
        assert app.screen.task_key == "1"
        await pilot.press("escape")
        await pilot.press("q")


async def test_a_hangup_stops_the_agents_cleanly_without_asking(tmp_path):
    """SIGHUP (an SSH connection dropped) and SIGTERM quit as q would, with no one asked."""
    root = tmp_path / "demo"
    app = demo_app(root, latency=0.5, approve_all=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "running" in app.main.tasks_table.display_status.values())
        app._on_hangup()  # what the loop's SIGTERM handler calls (SIGHUP exits the process: tests/terminal)
        await wait_for(pilot, lambda: app.engine is None, timeout=15)
    store = await Store.open(root / ".codeframe" / "state.db", root)
    try:
        assert not any(t.status == TaskStatus.RUNNING for t in await store.list_tasks())
    finally:
        await store.close()


def test_the_header_tells_the_sandbox_in_the_words_that_fit():
    """The counts are never cut for it: at 80 columns the app's name goes first, then words."""
    counts = "8 tasks · 3 running · 2 review · 1 done"
    assert sandbox_title("bwrap · no network", "8 tasks · 1 done", 120) == "CodeFRAME · sandbox: bwrap · no network"
    assert sandbox_title("bwrap · no network", "8 tasks · 3 running · 1 done", 80) == "sandbox: bwrap · no network"
    assert sandbox_title("bwrap · no network", counts, 80) == "bwrap · no network"
    assert sandbox_title("bwrap · no network", "8 tasks · ⚑ 1 waiting (b) · 3 running · 1 done", 80) == "bwrap"
    assert sandbox_title("none", counts, 80) == "sandbox: none"
    assert sandbox_title("sandbox off: bubblewrap is not installed", counts, 80) == "⚠ tests unconfined"
    assert sandbox_title("", counts, 80) == "CodeFRAME"  # no run yet, or a run from before sandboxes
    for width in range(40, 200, 7):
        title = sandbox_title("bwrap · network", counts, width)
        assert len(title) + len(counts) + 3 + 18 <= width or title == "bwrap"



async def test_the_agents_pane_shows_the_merge_queue(tmp_path):
    """`Agents · landing: 2 queued · testing 1.4+2.1` while a batch is tested; the queue's words
    reach the Activity pane; the border is plain again once the queue is empty."""
    from snapshot_scenes import play, scene_app

    from codeframe_tui.engine.events import LandingBatchFinished, LandingBatchStarted

    app = scene_app(tmp_path / "demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await play(pilot, [LandingBatchStarted(tasks=("1.4", "2.1"), queued=2)])
        agents = app.main.agents_table
        assert agents.border_title == "Agents · landing: 2 queued · testing 1.4+2.1"
        await play(pilot, [LandingBatchStarted(tasks=("3.1",), queued=1, speculative=True)])
        assert agents.border_title == "Agents · landing: 1 queued · testing 1.4+2.1 · then 3.1"
        await play(pilot, [LandingBatchFinished(tasks=("1.4", "2.1"), result="failed", culprits=("2.1",))])
        assert agents.border_title == "Agents · landing: testing 3.1"
        await play(pilot, [LandingBatchFinished(tasks=("3.1",), result="discarded")])
        assert agents.border_title == "Agents"
        lines = list(app.main.activity.lines)
        assert any("landing: testing 1.4+2.1 on the base (2 queued behind)" in line for line in lines)
        assert any("landing: 1.4+2.1 failed: 2.1 broke the suite" in line for line in lines)
        assert any("landing: testing 3.1 on the candidate under test (1 queued behind)" in line for line in lines)
        assert any("landing: 3.1 discarded" in line for line in lines)
