"""The main screen: Tasks, Agents, Test output and Activity panes, fed by engine events."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Log, Static

from codeframe_tui.domain import Task
from codeframe_tui.engine.events import LandingBatchFinished, LandingBatchStarted, RunFinished, RunStarted
from codeframe_tui.ui.content import literal, one_line, plain
from codeframe_tui.ui.heap import settle_heap
from codeframe_tui.ui.textual_private import QuietHeader
from codeframe_tui.ui.widgets.agents import AgentsTable
from codeframe_tui.ui.widgets.output_log import PaneLog, TestOutputLog
from codeframe_tui.ui.widgets.tasks import TasksTable
from codeframe_tui.ui.widgets.usage import UsageBar

if TYPE_CHECKING:  # the app imports this screen
    from codeframe_tui.ui.app import CodeframeApp

ACTIVITY_LINES = 1_000


HEADER_CHROME = 18  # the header's icon (8 cells) and clock space (10) around its title


def sandbox_title(sandbox: str, sub_title: str, width: int) -> str:
    """The header's title once a run has started: where the agents' commands run, at a glance. The
    header reads "title — sub-title" and the sub-title (the counts) must not be cut, so the longest
    telling that fits is chosen: the app's name goes first, then words of the sandbox's own."""
    if not sandbox:
        return "CodeFRAME"
    if sandbox.startswith("sandbox off"):
        tellings = ["CodeFRAME · ⚠ sandbox off: tests unconfined", "⚠ sandbox off: tests unconfined",
                    "⚠ tests unconfined", "⚠ unconfined"]
    else:
        tellings = [f"CodeFRAME · sandbox: {sandbox}", f"sandbox: {sandbox}", sandbox,
                    sandbox.replace(" · no network", " · no net"), sandbox.split(" · ")[0]]
    room = width - HEADER_CHROME - (len(sub_title) + 3 if sub_title else 0)
    return next((t for t in tellings if len(t) <= room), tellings[-1])


class MainScreen(Screen):
    if TYPE_CHECKING:  # the type checker's view of self.app (textual's own pattern); no runtime check
        app = getters.app(CodeframeApp)

    CSS_PATH = Path(__file__).with_name("main.tcss")
    AUTO_FOCUS = "#tasks"

    BINDINGS = [
        Binding("enter", "open_task", "Details", tooltip="Open task details"),
        Binding("t", "show_tests", "Task's tests", tooltip="Show the task's tests"),
        Binding("f", "follow_tests", "Follow tests", tooltip="Follow the latest tests"),
        Binding("b", "app.open_inbox", "Inbox", tooltip="Open the inbox"),
        # Shown only while a run waits to be started.
        Binding("s", "app.start", "Start", tooltip="Start the run"),
        Binding("u", "app.undo", "Undo", show=False, tooltip="Undo the task"),
        Binding("tab", "app.focus_next", "Next pane", show=False),
        Binding("shift+tab", "app.focus_previous", "Prev pane", show=False),
    ]

    def __init__(self, banner: str, *, offline: bool) -> None:
        super().__init__()
        self.banner_text = banner
        self.offline = offline
        self.counts: dict[str, int] = {}
        self.finished: RunFinished | None = None
        self.waiting = 0  # inbox items: pending questions and reviews
        self.sandbox = ""  # where the run's commands run (RunStarted.sandbox), for the header
        self.landing_batches: list[tuple[str, ...]] = []  # candidates under test, the base's first

    def compose(self) -> ComposeResult:
        yield QuietHeader()
        yield Static(literal(self.banner_text), id="banner", classes="offline" if self.offline else "")
        with Horizontal(id="body"):
            tasks = TasksTable(id="tasks", classes="pane")
            tasks.border_title = "Tasks"
            yield tasks
            with Vertical(id="right"):
                agents = AgentsTable(id="agents", classes="pane")
                agents.border_title = "Agents"
                yield agents
                output = TestOutputLog(id="test-output", classes="pane")
                output.border_title = "Test output"
                yield output
        activity = PaneLog(id="activity", classes="pane", max_lines=ACTIVITY_LINES)
        activity.border_title = "Activity"
        yield activity
        yield UsageBar(id="usage")
        yield Footer()

    @property
    def tasks_table(self) -> TasksTable:
        return self.query_one(TasksTable)

    @property
    def agents_table(self) -> AgentsTable:
        return self.query_one(AgentsTable)

    @property
    def test_log(self) -> TestOutputLog:
        return self.query_one(TestOutputLog)

    @property
    def activity(self) -> Log:
        return self.query_one("#activity", Log)

    def set_banner(self, text: str, *, read_only: bool = False) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(literal(text))
        banner.set_class(read_only, "readonly")

    def load_tasks(self, tasks: list[Task]) -> None:
        self.tasks_table.load(tasks)
        self.update_summary()
        settle_heap()  # the engine is open and the plan shown: what lives now lives for the run

    @property
    def usage_bar(self) -> UsageBar:
        return self.query_one(UsageBar)

    def add_activity(self, ts: datetime, line: str) -> None:
        self.activity.write_line(f"{ts:%H:%M:%S} {one_line(line, 300)}")

    def show_run_started(self, event: RunStarted) -> None:
        self.finished = None
        self.usage_bar.start(event.ts)
        self.sandbox = event.sandbox
        self._update_title()
        if event.sandbox.startswith("sandbox off"):  # auto found no bubblewrap: the tests run unconfined
            self.app.notify(plain(event.sandbox), title="Tests run unconfined", severity="warning",
                            timeout=15, markup=False)

    def show_finished(self, event: RunFinished) -> None:
        self.finished = event
        self.update_summary()

    def set_waiting(self, count: int) -> None:
        if count != self.waiting:
            self.waiting = count
            self.update_summary()

    def update_summary(self) -> None:
        counts = self.tasks_table.status_counts  # kept by the table: counting 5,000 rows per event is not free
        shown = ("running", "review", "landing", "done", "held", "blocked", "failed")
        parts = [f"{counts[s]} {s}" for s in shown if counts.get(s)]
        if self.finished is not None:
            f = self.finished
            parts.insert(0, f"finished in {f.elapsed:.1f}s")
        summary = " · ".join(parts) or "idle"
        if self.waiting:
            summary = f"⚑ {self.waiting} waiting (b) · {summary}"
        if self.app.screen is self or self.finished is not None or counts.get("running") or self.waiting:
            # Under plan review the header belongs to the review's own counts.
            self.app.sub_title = f"{len(self.tasks_table.display_status)} tasks · {summary}"
        self._update_title()

    def show_landing(self, event: LandingBatchStarted | LandingBatchFinished) -> None:
        """The merge queue on the Agents pane's border: `Agents · landing: 3 queued · testing 1.4+2.1`."""
        # Speculation tests a second candidate on top of the first: both are shown, in their order.
        if isinstance(event, LandingBatchStarted):
            if not event.speculative:
                self.landing_batches.clear()
            self.landing_batches.append(event.tasks)
        elif event.tasks in self.landing_batches:
            self.landing_batches.remove(event.tasks)
        parts = [f"{event.queued} queued"] if event.queued else []
        if self.landing_batches:
            parts.append("testing " + " · then ".join("+".join(b) for b in self.landing_batches))
        # Task keys are the plan's words: never markup (a key may hold `[/b]` or escapes).
        self.agents_table.border_title = literal(f"Agents · landing: {' · '.join(parts)}") if parts else "Agents"

    def _update_title(self) -> None:
        title = sandbox_title(self.sandbox, self.app.sub_title, self.app.size.width)
        if title != self.app.title:
            self.app.title = title

    def on_resize(self) -> None:
        self._update_title()

    def action_open_task(self) -> None:
        """Details of the highlighted task."""
        key = self.tasks_table.highlighted_key()
        if key is not None:
            self.app.open_task_detail(key)

    def action_show_tests(self) -> None:
        """Pin Test output to the highlighted task."""
        key = self.tasks_table.highlighted_key()
        if key is not None:
            self.test_log.show(key, follow=False)

    def action_follow_tests(self) -> None:
        """Test output follows the latest run."""
        self.test_log.set_follow()
        self.notify("Test output follows the latest run")

    def on_data_table_row_selected(self, event: TasksTable.RowSelected) -> None:
        if event.data_table is self.tasks_table:
            event.stop()
            self.app.open_task_detail(str(event.row_key.value))
