"""The Textual app: opens the engine on its own loop, runs it in a worker, fans events to panes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import Reactive
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from codeframe_tui.engine.events import EventSink
from codeframe_tui.engine.inbox_items import InboxItem
from codeframe_tui.engine.lead import RunSummary
from codeframe_tui.engine.refused import CommandRefused
from codeframe_tui.engine.session import Engine
from codeframe_tui.ui import routing
from codeframe_tui.ui.attention import Attention
from codeframe_tui.ui.bridge import EngineEvent
from codeframe_tui.ui.content import format_bytes, hide_secret, plain
from codeframe_tui.ui.palette import BindingsProvider
from codeframe_tui.ui.screens.confirm import ChoiceScreen, confirm
from codeframe_tui.ui.screens.detail import TaskDetailScreen
from codeframe_tui.ui.screens.inbox import InboxScreen
from codeframe_tui.ui.screens.main import MainScreen
from codeframe_tui.ui.screens.review import PlanReviewScreen
from codeframe_tui.ui.startup import start_up

log = logging.getLogger(__name__)

EngineOpener = Callable[[EventSink], Awaitable[Engine]]
HANGUP_DEADLINE = 20  # seconds after SIGHUP before SIGALRM ends the process, stopped cleanly or not


class CodeframeApp(App[int]):
    TITLE = "CodeFRAME"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]
    # The sub-title counts tasks by status, so it changes with every status change. App's own
    # reactive repainted the whole screen each time; the Header watches it and repaints itself.
    sub_title: Reactive[str] = Reactive("", compute=False, repaint=False)
    # ctrl+p: Textual's own commands, and every key of the screen in use (ui/palette.py).
    COMMANDS = App.COMMANDS | {BindingsProvider}

    def __init__(self, opener: EngineOpener, *, banner: str, offline: bool, auto_run: bool = True,
                 review: bool = False, discover: bool = False) -> None:
        super().__init__()
        self.review = review
        self.discover = discover
        self.plan_ready = asyncio.Event()
        self.start_requested = asyncio.Event()
        self.opener = opener
        self.banner = banner
        self.offline = offline
        self.auto_run = auto_run
        self.engine: Engine | None = None
        self.summary: RunSummary | None = None
        self.engine_error: str | None = None
        self._engine_worker: Worker | None = None
        self._quitting = False
        self._awaiting_start = False  # `s` starts the run (after "not now" on the resume offer)
        self.inbox_items: list[InboxItem] = []
        self.inbox_clock = None  # the inbox's "now"; fixed only in snapshot scenes
        self.attention = Attention(self)
        # The API key is in the environment, which the project's test runs inherit: masked from the start.
        hide_secret(os.environ.get("ANTHROPIC_API_KEY"))

    @property
    def main(self) -> MainScreen:
        return self.get_screen("main")  # type: ignore[return-value]

    def _install_signals(self, install: bool) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                if install:
                    loop.add_signal_handler(sig, self._on_hangup, sig)
                else:
                    loop.remove_signal_handler(sig)

    def on_mount(self) -> None:
        self._install_signals(True)
        self.install_screen(MainScreen(self.banner, offline=self.offline), name="main")
        self.push_screen("main")
        self._engine_worker = self.run_worker(self._run_engine(), name="engine", group="engine",
                                              exit_on_error=False)

    async def _run_engine(self) -> None:
        await start_up(self)

    async def wait_for_start(self, why: str) -> None:
        self.start_requested.clear()
        self._awaiting_start = True
        self.refresh_bindings()
        self.sub_title = why
        await self.start_requested.wait()
        self.start_requested.clear()  # plan review, if tasks are still proposed, waits for its own `s`
        self._awaiting_start = False
        self.refresh_bindings()

    def action_start(self) -> None:
        """Start the run that waits for you."""
        self.start_requested.set()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return self._awaiting_start
        return True

    def on_engine_event(self, message: EngineEvent) -> None:
        # Stopping the agents as the app closes still announces their tasks going back to approved;
        # once the screens are gone those events have nowhere to show (they are in the event log).
        if self.is_screen_installed("main"):
            routing.route(self, message.event)

    def show_disk(self) -> None:
        """Disk used by the worktrees, under the Agents pane (a walk of the worktrees: on events only)."""
        used = self.engine.worktree_bytes() if self.engine is not None else None
        if used is not None:
            self.main.agents_table.border_subtitle = f"worktrees {format_bytes(used)}"

    def inbox_changed(self) -> None:
        # exclusive: a burst of events costs one query, the last one.
        # The method, not a coroutine: a worker cancelled before it starts would leave one never awaited.
        # (mypy cannot pick ResultType out of textual's WorkType union for an async method.)
        self.run_worker(self.refresh_inbox, group="inbox", exclusive=True, exit_on_error=False)  # type: ignore[arg-type]

    async def refresh_inbox(self) -> None:
        if self.engine is None:
            return
        self.inbox_items = await self.engine.inbox()
        self.main.set_waiting(len(self.inbox_items))
        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                screen.show(self.inbox_items)

    @work(exit_on_error=False)
    async def action_undo(self) -> None:
        """Revert the highlighted done task's merge.

        `u` on a done task: show what its undo reverts and what later work touched, then ask."""
        key = self.main.tasks_table.highlighted_key()
        if self.engine is None or key is None:
            return
        try:
            plan = await self.engine.undo_plan(key)
        except CommandRefused as exc:
            self.notify(plain(str(exc)), severity="warning", markup=False)
            return
        later = "\n".join(f"  {s}" for s in plan.later) or "  none"
        body = (f"Reverts {plan.commit[:10]} on the base branch (a new commit; history is kept).\n"
                f"Files: {', '.join(plan.files) or 'none'}\nLater work that touched them (it stays):\n{later}")
        choice = await self.push_screen_wait(ChoiceScreen(f"Undo task {key}?", body, {
            "a": ("Undo, run it again", "approved"), "r": ("Undo, reject it", "rejected"),
        }))
        if choice is None:
            return
        try:
            commit = await self.engine.undo(key, to=choice)
        except CommandRefused as exc:
            self.notify(plain(str(exc)), severity="warning", markup=False)
            return
        self.notify(plain(f"Task {key} undone by {commit[:10]}; it is {choice}."), markup=False)

    def action_open_inbox(self) -> None:
        """Questions and reviews waiting for you."""
        if self.engine is None:
            self.notify("The engine has not started yet.", severity="warning")
            return
        if not isinstance(self.screen, InboxScreen):
            self.push_screen(InboxScreen(self.engine, clock=self.inbox_clock))

    def show_review(self) -> None:
        """Called once decomposition has stored the plan: on to plan review."""
        if not isinstance(self.screen, MainScreen):
            self.pop_screen()
        self.plan_ready.set()

    def start_run(self) -> None:
        """Called by plan review's `s`: leave the review for the main screen and run."""
        if isinstance(self.screen, PlanReviewScreen):
            self.pop_screen()
        self.start_requested.set()

    def open_task_detail(self, key: str) -> None:
        if self.engine is not None:
            self.push_screen(TaskDetailScreen(self.engine, key))

    async def action_quit(self) -> None:
        """With agents at work, ask first (q or ctrl+c again, or y, quits); otherwise quit now."""
        statuses = list(self.main.tasks_table.display_status.values())
        running, landing = statuses.count("running"), statuses.count("landing")
        if self.engine is not None and self.engine.read_only:
            running = landing = 0  # those agents belong to the other process: quitting here stops nothing
        if (running or landing) and not isinstance(self.screen, ChoiceScreen):
            lands = (f" {landing} task(s) waiting to land land when you reopen it, their checks kept."
                     if landing else "")
            self.push_screen(confirm(
                "Stop the agents and quit?",
                f"{running} agent(s) are working. Quitting stops them cleanly: their tasks go back to "
                f"approved and start again when you reopen the project.{lands} Questions and reviews stay "
                "waiting, and nothing done is lost.",
                yes="Stop and quit", no="Keep working",
            ), self._quit_if_yes)
            return
        await self.quit_now()

    async def _quit_if_yes(self, answer: str | None) -> None:
        if answer == "yes":
            await self.quit_now()

    async def quit_now(self) -> None:
        """Stop the agents cleanly (tasks stay resumable), close the store and the client, exit."""
        await self.stop_engine()
        self.exit(0)

    def _on_hangup(self, sig: int = signal.SIGTERM) -> None:
        # SIGHUP (the SSH connection dropped) or SIGTERM: no one to ask; stop cleanly, as `q` would.
        log.warning("signal %s received: stopping the agents and quitting", signal.Signals(sig).name)
        if sig == signal.SIGHUP:
            # The terminal is gone: Textual's output thread dies on its first failed write, and a
            # write then blocks on its full queue, the loop with it (seen: a process stuck for hours
            # after an SSH drop, holding the run lock). So: a deadline the kernel enforces, and an
            # exit that skips restoring a terminal that no longer exists.
            signal.alarm(HANGUP_DEADLINE)
            self.call_later(self._quit_after_hangup)
            return
        self.call_later(self.quit_now)

    async def _quit_after_hangup(self) -> None:
        await self.stop_engine()  # tasks back to approved, the run recorded stopped, the store closed
        logging.shutdown()
        os._exit(0)

    async def on_unmount(self) -> None:
        # However the app ends, the engine is stopped and closed: an open aiosqlite connection
        # would keep its thread, and the process, alive after the screen is gone.
        self._install_signals(False)
        await self.stop_engine()

    async def stop_engine(self) -> None:
        if self._quitting:
            return
        self._quitting = True
        worker = self._engine_worker
        if worker is not None and not worker.is_finished:
            worker.cancel()
            try:
                await worker.wait()
            except (WorkerCancelled, WorkerFailed):
                pass
        if self.engine is not None:
            engine, self.engine = self.engine, None
            await engine.close()
