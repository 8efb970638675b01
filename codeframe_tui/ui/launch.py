"""Builds the app for the demo or a real project and runs it in the terminal."""

from __future__ import annotations

import asyncio
import importlib
import logging
from pathlib import Path

from codeframe_tui.config import Settings
from codeframe_tui.engine.events import EventSink
from codeframe_tui.engine.runlock import ProjectBusy
from codeframe_tui.engine.session import Engine
from codeframe_tui.ui.app import CodeframeApp

OFFLINE_BANNER = "OFFLINE DEMO · scripted model, no network · {root}"


async def load_sdk() -> None:
    """Import the model SDK in a thread. It takes 1.5-2 s to import; on the loop it would hold the first
    frame back, and every key, that long. Once loaded, building a client is instant."""
    await asyncio.to_thread(importlib.import_module, "anthropic")


async def open_or_follow(settings: Settings, model, sink: EventSink) -> Engine:
    """The engine for the TUI; read-only, following the live run, when another process holds the project."""
    try:
        return await Engine.open(settings, model, sink, people_present=True)
    except ProjectBusy:
        await model.close()
        return await Engine.open_read_only(settings, sink)


def demo_app(root: Path, latency: float, *, approve_all: bool = False, review: str | None = None) -> CodeframeApp:
    """The demo opens on plan review; with `approve_all` it skips review and runs at once. A folder
    holding a demo made before is reopened as it was left (an interrupted run is offered to resume)."""
    async def opener(sink: EventSink) -> Engine:
        from codeframe_tui.cli.logs import configure_logging
        from codeframe_tui.demo.setup import prepare_demo
        from codeframe_tui.llm.offline import scripted_model_client

        setup = await prepare_demo(root, latency=latency, review=review)
        configure_logging(setup.settings.log_path)
        await load_sdk()
        engine = await open_or_follow(setup.settings, scripted_model_client(setup.settings, setup.scripted), sink)
        try:
            if approve_all and not engine.read_only:
                await engine.approve_all()
        except BaseException:
            # Quit while opening: the app never sees this engine, so close it here, or its
            # aiosqlite thread would keep the process alive.
            await asyncio.shield(engine.close())
            raise
        return engine

    return CodeframeApp(opener, banner=OFFLINE_BANNER.format(root=root), offline=True, review=not approve_all)


def project_app(settings: Settings, *, discover: bool = False) -> CodeframeApp:
    async def opener(sink: EventSink) -> Engine:
        from codeframe_tui.llm.client import ModelClient
        from codeframe_tui.llm.sdk import SdkOnFirstUse

        # The plan shows without the SDK: it is imported (in a thread) and the client made at the first call.
        return await open_or_follow(settings, ModelClient(settings, SdkOnFirstUse(settings)), sink)

    banner = f"{settings.project} · model {settings.model}"
    return CodeframeApp(opener, banner=banner, offline=False, review=True, discover=discover)


def _run(app: CodeframeApp) -> int:
    # Until the project's log file is set up, nothing may fall through to stderr under the TUI.
    logging.getLogger().addHandler(logging.NullHandler())
    result = app.run()
    return int(result or 0)


def run_demo_tui(root: Path, latency: float, *, approve_all: bool = False, review: str | None = None) -> int:
    return _run(demo_app(root, latency, approve_all=approve_all, review=review))


def run_project_tui(settings: Settings, *, discover: bool = False) -> int:
    from codeframe_tui.cli.logs import configure_logging

    configure_logging(settings.log_path)
    return _run(project_app(settings, discover=discover))
