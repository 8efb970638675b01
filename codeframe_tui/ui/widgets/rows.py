"""A table of rows moved through with the arrows or j/k, with no cell padding (80 columns are few),
fast for plans of thousands of tasks; and one row's cells updated without rendering the others."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from codeframe_tui.ui.textual_private import FastRowsTable, repaint_row


class RowTable(FastRowsTable):
    """A DataTable of one-line rows of Text cells, kept fast for plans of thousands of tasks (how:
    textual_private.FastRowsTable)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", cell_padding=0, **kwargs)


def update_row(table: DataTable, row_key: str, cells: Mapping[str, Text]) -> None:
    """Set some cells of one row and repaint that row alone; where Textual's caches are not the known
    ones, through update_cell (every visible cell is then rendered again)."""
    if not repaint_row(table, row_key, cells):
        for column, value in cells.items():
            table.update_cell(row_key, column, value)
