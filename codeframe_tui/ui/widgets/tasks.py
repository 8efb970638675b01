"""The Tasks pane: every task, its status and its agent, updated cell by cell as events arrive."""

from __future__ import annotations

import asyncio
from collections import Counter

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from codeframe_tui.domain import Task, natural_key
from codeframe_tui.ui.content import literal, one_line
from codeframe_tui.ui.screens.log_view import latest_log, open_log, project_of
from codeframe_tui.ui.widgets.rows import RowTable, update_row

FIRST_ROWS = 200  # rows added at once: a few screenfuls, and every plan the tests make
ROWS_PER_CHUNK = 500  # then this many at a time: about 10 ms of the loop each

STATUS_STYLE = {
    "proposed": ("◌", "dim"),
    "approved": ("○", ""),
    "held": ("⊘", "yellow"),
    "running": ("●", "bold cyan"),
    "review": ("◆", "bold yellow"),
    "landing": ("↑", "bold blue"),
    "done": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "blocked": ("!", "bold magenta"),
    "rejected": ("–", "dim"),
    "cancelled": ("×", "dim"),
}


def status_cell(status: str) -> Text:
    symbol, style = STATUS_STYLE.get(status, ("?", ""))
    return Text(f"{symbol} {status}", style=style)


def _status_of(task: Task) -> str:
    return "held" if task.status == "approved" and task.reason.startswith("waits on") else str(task.status)


class TasksTable(RowTable):
    """Rows are keyed by task key, so a status change updates one row: no rebuild."""

    # `o` is not in the footer here: at 80 columns it would push Quit out of it.
    BINDINGS = [Binding("enter", "select_cursor", "Details"),
                Binding("o", "open_log", "Full log", show=False, tooltip="Open the full test log")]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tasks: dict[str, Task] = {}
        self.display_status: dict[str, str] = {}
        self.display_agent: dict[str, str] = {}
        # Kept as statuses change, so the header's counts cost nothing however big the plan is.
        self.status_counts: Counter[str] = Counter()

    def on_mount(self) -> None:
        # No cell padding: at 80 columns every character goes to the title; widths leave one space.
        self.add_column(" #", key="key", width=6)
        self.add_column("Status", key="status", width=11)
        self.add_column("Agent", key="agent", width=11)
        self.add_column("Title", key="title")

    def load(self, tasks: list[Task]) -> None:
        """Show these tasks. The same tasks again (after plan review, say) update their rows in place.

        A big plan gets its first screenfuls of rows at once and the rest in chunks, between which
        the screen paints and keys are handled: 5,000 rows at once held the loop for 0.15 s (more on a
        busy machine) while plan review, not this table, was what the person was waiting to see.
        Statuses and counts are complete at once; a row added later shows its task as it is then.
        """
        ordered = sorted(tasks, key=lambda t: natural_key(t.key))
        same = list(self.tasks) == [t.key for t in ordered] and self.row_count == len(ordered)
        old, shown, agents = self.tasks, self.display_status, self.display_agent
        self.tasks = {t.key: t for t in ordered}
        self.display_status = {t.key: _status_of(t) for t in ordered}
        self.display_agent = {t.key: t.agent_id or str(t.agent_type) for t in ordered}
        self.status_counts = Counter(self.display_status.values())
        if same:
            for task in ordered:
                key = task.key
                if (self.display_status[key], self.display_agent[key]) != (shown.get(key), agents.get(key)) \
                        or task.title != old[key].title:
                    update_row(self, task.key, self._cells(task.key, with_key=False))
        else:
            self.workers.cancel_group(self, "rows")  # rows still coming from an earlier load
            self.clear()
            for task in ordered[:FIRST_ROWS]:
                self.add_row(*self._cells(task.key).values(), key=task.key)
            if len(ordered) > FIRST_ROWS:
                self.run_worker(self._add_rest([t.key for t in ordered[FIRST_ROWS:]]), group="rows",
                                exclusive=True, exit_on_error=False)
        self._show_title()

    async def _add_rest(self, keys: list[str]) -> None:
        for start in range(0, len(keys), ROWS_PER_CHUNK):
            await asyncio.sleep(0)  # a frame or a key press may go first
            for key in keys[start:start + ROWS_PER_CHUNK]:
                self.add_row(*self._cells(key).values(), key=key)

    def _cells(self, key: str, *, with_key: bool = True) -> dict[str, Text]:
        # Text cells, never str: a DataTable renders a str as markup, and titles are untrusted.
        cells = {"key": Text(f" {one_line(key, 8)}")} if with_key else {}
        cells["status"] = status_cell(self.display_status[key])
        cells["agent"] = Text(self.display_agent[key])
        cells["title"] = Text(one_line(self.tasks[key].title, 120))
        return cells

    def set_status(self, key: str, status: str, agent_id: str | None) -> None:
        if key not in self.tasks:
            return
        self.status_counts[self.display_status[key]] -= 1
        self.status_counts[status] += 1
        self.display_status[key] = status
        cells = {"status": status_cell(status)}
        if agent_id:
            self.display_agent[key] = agent_id
            cells["agent"] = Text(agent_id)
        update_row(self, key, cells)  # a row not added yet is made from display_status when it is

    def action_open_log(self) -> None:
        """The highlighted task's latest test run, all of it.

        The whole output of the highlighted task's latest test run, from its log on disk."""
        key = self.highlighted_key()
        if key is not None:
            open_log(self.app, key, latest_log(project_of(self.app), key))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_title()

    def _show_title(self) -> None:
        """The full title of the highlighted task, since the column is narrow at 80x24."""
        key = self.highlighted_key()
        task = self.tasks.get(key) if key else None
        self.border_subtitle = literal(f"{task.key} {one_line(task.title, 80)}") if task else ""

    def highlighted_key(self) -> str | None:
        if not self.tasks or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        return str(self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value)
