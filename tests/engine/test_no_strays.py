"""No child process of the app survives a test timeout, a cancelled run, or a quit from the TUI:
checked by the command line of every process in /proc, not by what the app believes it killed."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest
from crash_harness import live_processes
from support import bwrap_works, make_project, open_engine, passing_responder, tasks, wait_for

from codeframe_tui.domain import TaskStatus
from codeframe_tui.ui.app import CodeframeApp
from codeframe_tui.ui.screens.confirm import ChoiceScreen


def slow_tests(marker: str) -> list[str]:
    """A test command that starts a grandchild and hangs, both named by `marker` (a sleep length)."""
    return ["sh", "-c", f"sleep {marker} & sleep {marker}; echo never"]


def alive_with(marker: str) -> list[int]:
    return [pid for pid, _, cmdline in live_processes() if marker in cmdline]


async def gone(marker: str, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while alive_with(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return alive_with(marker)


def new_marker() -> str:
    return f"300.{secrets.randbelow(10**6):06d}"


# Each case with the sandbox on (bwrap, where it works: the process group's kill must still reach
# inside it) and off.
SANDBOXES = pytest.mark.parametrize("sandbox", ["auto", "none"])


@SANDBOXES
async def test_a_test_run_past_its_timeout_leaves_no_process(tmp_path, sandbox):
    marker = new_marker()
    project = make_project(tmp_path / "p", test_command=slow_tests(marker), test_timeout=1.0)
    engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend")), max_retries=0,
                                     max_corrections=0, sandbox=sandbox)
    try:
        await engine.run()
        runs = [run for _, run in await engine.store.test_runs("1")]
        assert runs and runs[0].status == "timeout"  # the processes did run, and were stopped
    finally:
        await engine.close()
    assert await gone(marker) == []


@SANDBOXES
async def test_a_cancelled_run_leaves_no_process(tmp_path, sandbox):
    marker = new_marker()
    project = make_project(tmp_path / "p", test_command=slow_tests(marker))
    engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend"), ("2", "backend")),
                                     sandbox=sandbox)
    run = asyncio.ensure_future(engine.run())
    try:
        deadline = time.monotonic() + 30
        while len(alive_with(marker)) < 4 and time.monotonic() < deadline:  # both tasks' tests at work
            await asyncio.sleep(0.05)
        assert len(alive_with(marker)) >= 4
        assert engine.ctx.executor.name == ("bwrap" if sandbox == "auto" and bwrap_works() else "none")
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        assert {t.status for t in await engine.store.list_tasks()} == {TaskStatus.APPROVED}
    finally:
        await engine.close()
    assert await gone(marker) == []


@SANDBOXES
async def test_quitting_the_tui_mid_test_leaves_no_process(tmp_path, sandbox):
    marker = new_marker()
    project = make_project(tmp_path / "p", test_command=slow_tests(marker))

    async def opener(sink):
        engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend")), sink=sink,
                                         people_present=True, sandbox=sandbox)
        return engine

    app = CodeframeApp(opener, banner="strays", offline=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(alive_with(marker)) >= 2, timeout=30)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("y")
    assert await gone(marker) == []
