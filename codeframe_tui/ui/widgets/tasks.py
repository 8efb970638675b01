"""The Tasks pane: every task, its status and its agent, updated cell by cell as events arrive."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from codeframe_tui.domain import Task, natural_key
from codeframe_tui.ui.text import literal, one_line
from codeframe_tui.ui.widgets.rows import RowTable

STATUS_STYLE = {
    "proposed": ("◌", "dim"),
    "approved": ("○", ""),
    "held": ("⊘", "yellow"),
    "running": ("●", "bold cyan"),
    "review": ("◆", "bold yellow"),
    "done": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "blocked": ("!", "bold magenta"),
    "rejected": ("–", "dim"),
    "cancelled": ("×", "dim"),
}


def status_cell(status: str) -> Text:
    symbol, style = STATUS_STYLE.get(status, ("?", ""))
    return Text(f"{symbol} {status}", style=style)


class TasksTable(RowTable):
    """Rows are keyed by task key, so a status change updates one cell: no rebuild."""

    BINDINGS = [Binding("enter", "select_cursor", "Details")]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tasks: dict[str, Task] = {}
        self.display_status: dict[str, str] = {}

    def on_mount(self) -> None:
        # No cell padding: at 80 columns every character goes to the title; widths leave one space.
        self.add_column(" #", key="key", width=6)
        self.add_column("Status", key="status", width=11)
        self.add_column("Agent", key="agent", width=11)
        self.add_column("Title", key="title")

    def load(self, tasks: list[Task]) -> None:
        self.clear()
        self.tasks = {t.key: t for t in tasks}
        rows = []
        for task in sorted(tasks, key=lambda t: natural_key(t.key)):
            status = "held" if task.status == "approved" and task.reason.startswith("waits on") else str(task.status)
            self.display_status[task.key] = status
            # Text cells, never str: a DataTable renders a str as markup, and titles are untrusted.
            rows.append((task.key, Text(f" {one_line(task.key, 8)}"), status_cell(status),
                         Text(task.agent_id or str(task.agent_type)), Text(one_line(task.title, 120))))
        for key, *cells in rows:
            self.add_row(*cells, key=key)
        self._show_title()

    def set_status(self, key: str, status: str, agent_id: str | None) -> None:
        if key not in self.tasks:
            return
        self.display_status[key] = status
        self.update_cell(key, "status", status_cell(status))
        if agent_id:
            self.update_cell(key, "agent", Text(agent_id))

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
        return str(self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value)
