"""Plan review: approve or reject each proposed task with the keyboard, then start the run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from codeframe_tui.domain import ImportRecord, Task, TaskStatus, natural_key
from codeframe_tui.engine.refused import CommandRefused
from codeframe_tui.engine.session import Engine
from codeframe_tui.ui.content import literal, one_line, plain
from codeframe_tui.ui.screens.forms import DependenciesScreen, TaskFormScreen
from codeframe_tui.ui.screens.reject import RejectScreen
from codeframe_tui.ui.widgets.rows import RowTable
from codeframe_tui.ui.widgets.tasks import status_cell

if TYPE_CHECKING:  # the app imports this screen
    from codeframe_tui.ui.app import CodeframeApp


class ReviewTable(RowTable):
    def on_mount(self) -> None:
        self.add_column(" ", key="sel", width=2)
        self.add_column("#", key="key", width=6)
        self.add_column("Status", key="status", width=11)
        self.add_column("Agent", key="agent", width=9)
        self.add_column("Title", key="title")


class PlanReviewScreen(Screen):
    """Nothing runs until the person approves it here; `s` starts the approved tasks."""

    if TYPE_CHECKING:  # the type checker's view of self.app (textual's own pattern); no runtime check
        app = getters.app(CodeframeApp)

    CSS_PATH = Path(__file__).with_name("review.tcss")
    AUTO_FOCUS = "#review-tasks"
    BINDINGS = [
        Binding("space", "toggle_select", "Mark", tooltip="Select task"),
        Binding("a", "approve", "Approve", tooltip="Approve"),
        Binding("A", "approve_all", "All", tooltip="Approve all"),
        Binding("r", "reject", "Reject", tooltip="Reject"),
        Binding("e", "edit", "Edit", tooltip="Edit task"),
        Binding("n", "new_task", "New", tooltip="New task"),
        Binding("D", "dependencies", "Deps", tooltip="Edit dependencies"),
        Binding("enter", "details", "Open", priority=True, tooltip="Task details"),
        Binding("s", "start", "Start", tooltip="Start the run"),
        Binding("p", "prd", "PRD", show=False, tooltip="Show the PRD"),
        Binding("w", "warnings", "Warnings", show=False, tooltip="Show the import warnings"),
    ]

    def __init__(self, engine: Engine, banner: str) -> None:
        super().__init__()
        self.engine = engine
        self.banner_text = banner
        self.tasks: dict[str, Task] = {}
        self.issues: dict[str, str] = {}
        self.selected: set[str] = set()
        self.imports: list[ImportRecord] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(literal(f"PLAN REVIEW · {self.banner_text}"), id="review-help")
        with Horizontal(id="review-body"):
            table = ReviewTable(id="review-tasks", classes="pane")
            table.border_title = "Plan"
            yield table
            with VerticalScroll(id="review-detail", classes="pane") as detail:
                detail.border_title = "Task"
                yield Static("", id="review-detail-body")
        # The palette hint is dropped here so that every review key fits at 80 columns; ctrl+p still works.
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> ReviewTable:
        return self.query_one(ReviewTable)

    async def on_mount(self) -> None:
        await self.reload()

    async def reload(self) -> None:
        """Read the tasks back from the store and update the rows in place."""
        tasks = await self.engine.tasks()
        self.issues = dict(await self.engine.issues())
        order = {key: n for n, key in enumerate(self.issues)}
        self.tasks = {t.key: t for t in tasks}
        table = self.table
        # Grouped by issue (or phase) in plan order, then by natural task order within it.
        for task in sorted(tasks, key=lambda t: (order.get(t.issue_key, len(order)), natural_key(t.key))):
            cells = {
                "sel": Text("✓" if task.key in self.selected else " ", style="bold"),
                "key": Text(one_line(task.key, 6)), "status": status_cell(str(task.status)),
                "agent": Text(str(task.agent_type)), "title": Text(one_line(task.title, 120)),
            }
            if task.key in table.rows:
                for column, value in cells.items():
                    table.update_cell(task.key, column, value)
            else:
                table.add_row(*cells.values(), key=task.key)
        proposed = sum(1 for t in tasks if t.status == TaskStatus.PROPOSED)
        approved = sum(1 for t in tasks if t.status == TaskStatus.APPROVED)
        self.app.sub_title = f"plan review · {approved} approved · {proposed} proposed · {len(tasks)} tasks"
        self.imports = await self.engine.imports()
        warnings = sum(len(record.warnings) for record in self.imports)
        if warnings:
            self.query_one("#review-help", Static).update(
                literal(f"PLAN REVIEW · {self.banner_text} · ⚠ {warnings} import warning(s): w to read"))
        self.show_detail()

    def highlighted(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        key = self.highlighted()
        task = self.tasks.get(key) if key else None
        issue = self.issues.get(task.issue_key, "") if task else ""
        self.table.border_subtitle = literal(f"{task.issue_key} {issue}") if task and issue else ""
        body = Text()
        if task is not None:
            added = set(task.extra.get("added_deps") or ())  # by the import: the same file as an earlier task
            waits = ", ".join(f"{d} ({self.tasks[d].status}{', added: same file' if d in added else ''})"
                              for d in task.depends_on if d in self.tasks) or "nothing"
            waited = [t.key for t in self.tasks.values() if task.key in t.depends_on]
            body.append(plain(task.title) + "\n", style="bold")
            # Keys and priorities come from the plan (a model or an imported file) as much as titles do.
            body.append(plain(f"{task.key} · {task.agent_type} · {task.status} · {task.priority} priority") + "\n")
            if issue:
                body.append(plain(f"Issue {task.issue_key}: {issue}") + "\n")
            body.append(plain(f"Waits for: {waits}") + "\n")
            body.append(plain(f"Waited on by: {', '.join(waited) or 'nothing'}") + "\n")
            if task.reason:
                body.append(plain(task.reason) + "\n", style="italic")
            if task.description:
                body.append("\n" + plain(task.description) + "\n")
        self.query_one("#review-detail-body", Static).update(body)

    def _targets(self) -> list[str]:
        if self.selected:
            return sorted(self.selected, key=natural_key)
        key = self.highlighted()
        return [key] if key else []

    async def action_toggle_select(self) -> None:
        """Select or unselect the highlighted task."""
        key = self.highlighted()
        if key is not None:
            self.selected ^= {key}
            self.table.update_cell(key, "sel", Text("✓" if key in self.selected else " ", style="bold"))

    async def _command(self, coro, done: str) -> None:
        try:
            await coro
        except CommandRefused as exc:
            self.notify(plain(str(exc)), severity="error", timeout=8, markup=False)
            return
        self.selected.clear()
        await self.reload()
        self.notify(plain(done), markup=False)  # it names task keys, which come from the plan

    async def action_approve(self) -> None:
        """Approve the selection or the highlighted task."""
        keys = self._targets()
        if keys:
            await self._command(self.engine.approve(keys), f"Approved {', '.join(keys)}")

    async def action_approve_all(self) -> None:
        """Approve every proposed task that can run."""
        count = await self.engine.approve_all()
        self.selected.clear()
        await self.reload()
        self.notify(f"Approved {count} task(s)")

    async def action_reject(self) -> None:
        """Reject the selection or the highlighted task."""
        keys = self._targets()
        if not keys:
            return
        stranded = await self.engine.rejection_impact(keys)

        async def confirmed(reason: str | None) -> None:
            if reason is not None:
                await self._command(self.engine.reject(keys, reason), f"Rejected {', '.join(keys)}")

        self.app.push_screen(RejectScreen(keys, stranded), confirmed)

    async def action_edit(self) -> None:
        """Edit the title, agent type or description."""
        key = self.highlighted()
        if key is None:
            return
        task = self.tasks[key]

        async def saved(values: dict | None) -> None:
            if values is not None:
                await self._command(self.engine.edit_task(key, **values), f"Saved {key}")

        self.app.push_screen(
            TaskFormScreen(f"Edit task {key}", task.title, str(task.agent_type), task.description), saved
        )

    async def action_new_task(self, title: str = "") -> None:
        """Add a proposed task."""
        async def saved(values: dict | None) -> None:
            if values is not None:
                await self._command(self.engine.add_task(**values), "Added a proposed task")

        self.app.push_screen(TaskFormScreen("New task", title), saved)

    async def action_dependencies(self) -> None:
        """What the highlighted task waits for."""
        key = self.highlighted()
        if key is None:
            return

        async def saved(keys: tuple[str, ...] | None) -> None:
            if keys is not None:
                await self._command(self.engine.set_dependencies(key, keys), f"{key} now waits for "
                                    f"{', '.join(keys) or 'nothing'}")

        self.app.push_screen(DependenciesScreen(key, self.tasks[key].depends_on), saved)

    def action_warnings(self) -> None:
        """What the imports skipped or read differently; a skipped line can be added as a task."""
        from codeframe_tui.ui.screens.import_warnings import ImportWarningsScreen

        if not any(record.warnings or record.acceptance for record in self.imports):
            self.notify("No import warnings", severity="information")
            return

        async def chosen(text: str | None) -> None:
            if text is not None:
                await self.action_new_task(title=text)

        self.app.push_screen(ImportWarningsScreen(self.imports), chosen)

    async def action_prd(self) -> None:
        """Read or edit the PRD this plan came from.

        Read (and edit) the PRD that this plan came from, when there is one."""
        from codeframe_tui.ui.screens.discovery import PrdScreen

        prd = await self.engine.prd()
        if prd is None:
            self.notify("This plan has no PRD (it was imported or made by hand)", severity="warning")
            return
        self.app.push_screen(PrdScreen(self.engine, prd, can_decompose=False))

    def action_details(self) -> None:
        """Details of the highlighted task."""
        key = self.highlighted()
        if key is not None:
            self.app.open_task_detail(key)

    def action_start(self) -> None:
        """Run the approved tasks."""
        if not any(t.status == TaskStatus.APPROVED for t in self.tasks.values()):
            self.notify("Approve at least one task first (a, or A for all)", severity="warning")
            return
        self.app.start_run()
