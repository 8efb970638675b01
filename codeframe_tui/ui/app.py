"""The Textual app: opens the engine on its own loop, runs it in a worker, fans events to panes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import Reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.events import (
    BlockerCreated,
    BlockerExpired,
    BlockerResolved,
    EventSink,
    ReviewDecided,
    ReviewRequested,
    RunFinished,
    TaskLanded,
    TaskStatusChanged,
    TaskUndone,
    WorkPaused,
    WorkspaceChecked,
)
from codeframe_tui.engine.lead import RunSummary
from codeframe_tui.engine.session import CommandRefused, Engine, ReadOnlyEngine
from codeframe_tui.engine.waiting import InboxItem
from codeframe_tui.ui.attention import Attention
from codeframe_tui.ui.bridge import EngineEvent, app_sink
from codeframe_tui.ui.follow import follow_run
from codeframe_tui.ui.screens.confirm import ChoiceScreen, confirm
from codeframe_tui.ui.screens.detail import TaskDetailScreen
from codeframe_tui.ui.screens.inbox import InboxScreen
from codeframe_tui.ui.screens.main import MainScreen
from codeframe_tui.ui.screens.review import PlanReviewScreen
from codeframe_tui.ui.text import format_bytes, hide_secret, plain

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

    def __init__(self, opener: EngineOpener, *, banner: str, offline: bool, auto_run: bool = True,
                 review: bool = False, discover: bool = False) -> None:
        super().__init__()
        self.review = review
        self.discover = discover
        self._plan_ready = asyncio.Event()
        self._start_requested = asyncio.Event()
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
        try:
            self.engine = await self.opener(app_sink(self))
        except Exception as exc:  # shown on screen, not swallowed: the person must see why
            log.exception("could not open the engine")
            self.engine_error = f"Could not start: {exc}"
            self.notify(plain(self.engine_error), severity="error", timeout=30, markup=False)
            self.sub_title = "not started"
            return
        settings = self.engine.settings
        hide_secret(settings.api_key)
        self.attention = Attention(self, bell=settings.notify_bell, desktop=settings.notify_desktop,
                                   toast=settings.notify_toast)
        if isinstance(self.engine, ReadOnlyEngine):  # the one engine with read_only set
            await follow_run(self, self.engine)
            return
        await self.refresh_inbox()  # questions and reviews left from an earlier session
        if self.inbox_items:
            self.attention.alert(f"{len(self.inbox_items)} item(s) wait for you in the inbox (b)")
        tasks = await self.engine.store.list_tasks()
        if self.engine.interrupted is not None and self.auto_run:
            self.main.load_tasks(tasks)
            answer = await self.push_screen_wait(confirm(
                "Resume the interrupted run?", self.engine.interrupted.describe(),
                yes="Resume", no="Not now",
            ))
            if answer != "yes":
                await self._wait_for_start("not resumed: press s to start the run")
        if self.discover and not tasks:
            # No plan yet: discovery, then the PRD, then its decomposition lead into plan review.
            from codeframe_tui.ui.screens.discovery import DiscoveryScreen  # its widgets: 70 ms at start-up

            await self.push_screen(DiscoveryScreen(self.engine))
            await self._plan_ready.wait()
            tasks = await self.engine.store.list_tasks()
        self.main.load_tasks(tasks)
        if self.review and any(t.status == TaskStatus.PROPOSED for t in tasks):
            # Nothing runs without approval: plan review first, then `s` starts the run.
            await self.push_screen(PlanReviewScreen(self.engine, self.banner))
            await self._start_requested.wait()
            self.main.load_tasks(await self.engine.store.list_tasks())
        if not self.auto_run:
            return
        init_git = False
        problem = await self.engine.workspace_problem()
        if problem is not None:
            # Each task works in its own git worktree: a plain folder must become a repository first.
            answer = await self.push_screen_wait(confirm(
                "Make it a git repository?",
                f"{problem}. Each task works in its own git worktree and lands by a merge, so that "
                "parallel agents never overwrite each other and every task can be undone.\n\n"
                "y runs `git init` and commits what is there now (.codeframe/ is left out). "
                "n leaves the folder alone; nothing runs.",
                yes="git init", no="Leave it",
            ))
            if answer != "yes":
                self.engine_error = f"Not started: {problem}. Run `git init`, or set worktrees = false."
                self.notify(plain(self.engine_error), severity="warning", timeout=30, markup=False)
                self.sub_title = "not started: not a git repository"
                return
            init_git = True
        try:
            self.summary = await self.engine.run(init_git=init_git)
        except Exception as exc:  # the workers are already stopped; the person must see why
            log.exception("the run stopped on an error")
            self.engine_error = f"The run stopped on an error: {exc}"
            self.attention.alert(self.engine_error, severity="error", timeout=30)
            self.sub_title = "stopped on an error (see .codeframe/codeframe.log)"

    async def _wait_for_start(self, why: str) -> None:
        self._start_requested.clear()
        self._awaiting_start = True
        self.refresh_bindings()
        self.sub_title = why
        await self._start_requested.wait()
        self._start_requested.clear()  # plan review, if tasks are still proposed, waits for its own `s`
        self._awaiting_start = False
        self.refresh_bindings()

    def action_start(self) -> None:
        self._start_requested.set()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return self._awaiting_start
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action of the main screen is in the command palette too (ctrl+p)."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            yield SystemCommand("Open task details", "Details of the highlighted task (enter)",
                                screen.action_open_task)
            yield SystemCommand("Show the task's tests", "Pin Test output to the highlighted task (t)",
                                screen.action_show_tests)
            yield SystemCommand("Follow the latest tests", "Test output follows the latest run (f)",
                                screen.action_follow_tests)
            yield SystemCommand("Open the full test log", "The highlighted task's latest test run, all of it (o)",
                                screen.tasks_table.action_open_log)
            yield SystemCommand("Open the inbox", "Questions and reviews waiting for you (b)", self.action_open_inbox)
            yield SystemCommand("Undo the task", "Revert the highlighted done task's merge (u)", self.action_undo)
        if isinstance(screen, InboxScreen):
            yield SystemCommand("Answer or open", "Answer the question, or show the diff (enter)", screen.action_open)
            yield SystemCommand("Yes / accept", "Answer yes, or accept the reviewed work (y)", screen.action_yes)
            yield SystemCommand("No / reject with feedback", "Answer no, or send the work back (n)", screen.action_no)
            yield SystemCommand("Reject for good", "Reject the reviewed work and undo it (x)", screen.action_discard)
            yield SystemCommand("Show the diff", "The reviewed task's changes (d)", screen.action_diff)
        if isinstance(screen, PlanReviewScreen):
            yield SystemCommand("Select task", "Select or unselect the highlighted task (space)",
                                screen.action_toggle_select)
            yield SystemCommand("Approve", "Approve the selection or the highlighted task (a)", screen.action_approve)
            yield SystemCommand("Approve all", "Approve every proposed task that can run (A)",
                                screen.action_approve_all)
            yield SystemCommand("Reject", "Reject the selection or the highlighted task (r)", screen.action_reject)
            yield SystemCommand("Edit task", "Edit the title, agent type or description (e)", screen.action_edit)
            yield SystemCommand("New task", "Add a proposed task (n)", screen.action_new_task)
            yield SystemCommand("Edit dependencies", "What the highlighted task waits for (D)",
                                screen.action_dependencies)
            yield SystemCommand("Task details", "Details of the highlighted task (enter)", screen.action_details)
            yield SystemCommand("Start the run", "Run the approved tasks (s)", screen.action_start)
            yield SystemCommand("Show the PRD", "Read or edit the PRD this plan came from (p)", screen.action_prd)

    def on_engine_event(self, message: EngineEvent) -> None:
        event = message.event
        self.main.apply_event(event)
        match event:
            case BlockerCreated():
                self.attention.alert(f"Task {event.task_id} asks: {event.question}", severity="warning")
                self._inbox_changed()
            case ReviewRequested():
                self.attention.alert(f"Task {event.task_id} is ready for your review (b)")
                self._inbox_changed()
            case BlockerResolved() | BlockerExpired() | ReviewDecided():
                self._inbox_changed()
            case WorkspaceChecked() | TaskLanded() | TaskUndone() | WorkPaused():
                self._show_disk()
            case TaskStatusChanged() if event.status in ("running", "done", "rejected"):
                self._show_disk()
            case RunFinished():
                self.attention.alert(
                    f"Run finished: {event.done} done, {event.failed} failed of {event.total}",
                    severity="information" if event.done == event.total else "warning",
                )

    def _show_disk(self) -> None:
        """Disk used by the worktrees, under the Agents pane (a walk of the worktrees: on events only)."""
        used = self.engine.worktree_bytes() if self.engine is not None else None
        if used is not None:
            self.main.agents_table.border_subtitle = f"worktrees {format_bytes(used)}"

    def _inbox_changed(self) -> None:
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
        """`u` on a done task: show what its undo reverts and what later work touched, then ask."""
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
        if self.engine is None:
            self.notify("The engine has not started yet.", severity="warning")
            return
        if not isinstance(self.screen, InboxScreen):
            self.push_screen(InboxScreen(self.engine, clock=self.inbox_clock))

    def show_review(self) -> None:
        """Called once decomposition has stored the plan: on to plan review."""
        if not isinstance(self.screen, MainScreen):
            self.pop_screen()
        self._plan_ready.set()

    def start_run(self) -> None:
        """Called by plan review's `s`: leave the review for the main screen and run."""
        if isinstance(self.screen, PlanReviewScreen):
            self.pop_screen()
        self._start_requested.set()

    def open_task_detail(self, key: str) -> None:
        if self.engine is not None:
            self.push_screen(TaskDetailScreen(self.engine.store, key, self.engine.ctx.prices))

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
