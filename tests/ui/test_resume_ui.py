"""Pilot: reopening an interrupted run offers to resume; a second window on a live project is read-only."""

from __future__ import annotations

from support import wait_for

from codeframe_tui.demo.setup import prepare_demo
from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.offline import scripted_model_client
from codeframe_tui.ui.launch import demo_app
from codeframe_tui.ui.screens.confirm import ChoiceScreen


async def _live_demo_engine(root) -> Engine:
    """The demo's engine, as the process that runs it holds it: plan approved, the lock taken."""
    setup = await prepare_demo(root, latency=0.05)
    engine = await Engine.open(setup.settings, scripted_model_client(setup.settings, setup.scripted),
                               lambda event: None)
    await engine.approve_all()
    return engine


async def test_an_interrupted_run_is_offered_and_not_now_waits_for_s(tmp_path):
    root = tmp_path / "demo"
    engine = await _live_demo_engine(root)
    await engine.store.begin_run(4242)  # then the process dies: no end, a task left running
    await engine.ctx.move(await engine.store.get_task("1.1"), TaskStatus.RUNNING)
    await engine.close()

    app = demo_app(root, latency=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert app.screen.title_text == "Resume the interrupted run?"
        assert "was killed" in app.screen.body and "(1.1)" in app.screen.body
        await pilot.press("n")
        await wait_for(pilot, lambda: "press s" in app.sub_title)
        assert app.main.tasks_table.display_status["1.1"] == "approved"  # back from running, not lost
        assert app.summary is None
        await pilot.press("s")
        started = lambda: {"running", "done"} & set(app.main.tasks_table.display_status.values())  # noqa: E731
        await wait_for(pilot, started)
        await pilot.press("q")
        if isinstance(app.screen, ChoiceScreen):
            await pilot.press("y")


async def test_a_second_window_follows_the_live_run_read_only(tmp_path):
    root = tmp_path / "demo"
    live = await _live_demo_engine(root)
    try:
        app = demo_app(root, latency=0.05)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.engine is not None and app.engine.read_only
                           and app.main.tasks_table.display_status)
            banner = str(app.main.query_one("#banner").render())
            assert "READ-ONLY" in banner and "runs this project" in banner
            assert app.main.query_one("#banner").has_class("readonly")
            # What the live process does reaches this window through the event log.
            await live.ctx.move(await live.store.get_task("1.2"), TaskStatus.RUNNING, agent_id="backend-1")
            await wait_for(pilot, lambda: app.main.tasks_table.display_status["1.2"] == "running", timeout=10)
            await live.close()
            await wait_for(pilot, lambda: "has exited" in str(app.main.query_one("#banner").render()), timeout=10)
            await pilot.press("q")
            await pilot.pause(0.2)
            assert not isinstance(app.screen, ChoiceScreen)
        assert app.return_code == 0
    finally:
        await live.close()


async def test_not_now_then_s_still_opens_plan_review_when_tasks_are_proposed(tmp_path):
    from codeframe_tui.ui.screens.review import PlanReviewScreen

    root = tmp_path / "demo"
    setup = await prepare_demo(root, latency=0.05)
    engine = await Engine.open(setup.settings, scripted_model_client(setup.settings, setup.scripted),
                               lambda event: None)
    await engine.approve(["1.1"])  # the person approved one task; the rest are still proposed
    await engine.store.begin_run(4242)
    await engine.ctx.move(await engine.store.get_task("1.1"), TaskStatus.RUNNING)
    await engine.close()

    app = demo_app(root, latency=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: "press s" in app.sub_title)
        await pilot.press("s")
        # Plan review comes next and waits for its own `s`: nothing runs behind it.
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen))
        await pilot.pause(0.5)
        assert set(app.main.tasks_table.display_status.values()) <= {"approved", "proposed"}
        assert app.summary is None
        await pilot.press("q")
