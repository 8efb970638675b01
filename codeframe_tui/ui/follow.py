"""Read-only: another process runs the project; this window shows its state and follows its event log."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from codeframe_tui.engine.runlock import RunLock
from codeframe_tui.engine.session import ReadOnlyEngine
from codeframe_tui.ui.bridge import EngineEvent

if TYPE_CHECKING:
    from codeframe_tui.ui.app import CodeframeApp

log = logging.getLogger(__name__)
FOLLOW_INTERVAL = 0.5  # seconds between reads of the live run's event log


async def follow_run(app: CodeframeApp, engine: ReadOnlyEngine) -> None:
    """Runs until the app quits. Events come through the same messages as a live run's, so every
    pane (and the inbox count) updates as it would there; only the high-rate streams (test output lines, model text),
    which are not logged, are missing."""
    who = f"pid {engine.holder}" if engine.holder else "another process"
    app.main.set_banner(f"READ-ONLY · {who} runs this project; this window follows it and changes nothing",
                        read_only=True)
    app.notify(f"{who} is running this project: opened read-only.", severity="warning", timeout=10)
    after = await engine.last_event_id()  # the tables loaded next already show all before it
    app.main.load_tasks(await engine.tasks())
    await app.refresh_inbox()
    lock = RunLock(engine.settings.state_dir)
    while True:
        try:
            found, after = await engine.events_after(after)
        except Exception:  # a busy or briefly unreadable store: try again next time, keep following
            log.exception("could not read the event log")
            found = []
        for event in found:
            app.post_message(EngineEvent(event))
        if engine.holder is not None and lock.holder() is None:
            app.main.set_banner(f"READ-ONLY · {who} has exited; quit (q) and reopen to run the project here",
                                read_only=True)
            app.attention.alert(f"The run in {who} has ended.")
            engine.holder = None
        await asyncio.sleep(FOLLOW_INTERVAL)
