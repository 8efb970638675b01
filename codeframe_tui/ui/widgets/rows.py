"""A table of rows moved through with the arrows or j/k, with no cell padding (80 columns are few)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, DuplicateKey, Row, RowKey

STALE_SCAN_LIMIT = 2_000  # render-cache entries scanned for one row's; a bigger cache is dropped whole
# Both helpers below reach into DataTable's private state (Textual is pinned to 8.2 in pyproject).
# Each checks what it relies on and falls back to the public, slower path when it is not there.


class RowTable(DataTable):
    """A DataTable of one-line rows of Text cells, kept fast for plans of thousands of tasks."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", cell_padding=0, **kwargs)
        self.one_line_rows = True  # every row one line high: a row's index is its place on screen

    def add_row(self, *cells, height: int | None = 1, key: str | None = None, label=None) -> RowKey:
        """DataTable.add_row, minus what costs most when thousands of rows come in one go.

        DataTable re-validates its cursor and posts an idle prompt for every row (about 20 µs
        a row). A row appended to a table that already has one cannot move the cursor, and one
        prompt per burst is enough: the idle handler measures every new row at once. The first
        row (it puts the cursor on the table), a labelled or taller row, and a row without a key
        take DataTable's own path.
        """
        if height != 1:
            self.one_line_rows = False
        columns = self._columns_on_screen()
        fast = (height == 1 and label is None and key is not None and self.rows and len(cells) <= len(columns)
                and hasattr(self, "_new_rows"))
        if not fast:
            return super().add_row(*cells, height=height, key=key, label=label)
        row_key = RowKey(key)
        if row_key in self._row_locations:
            raise DuplicateKey(f"The row key {row_key!r} already exists.")
        self._row_locations[row_key] = len(self.rows)
        self._data[row_key] = dict(zip(columns, cells + (None,) * (len(columns) - len(cells)), strict=True))
        self.rows[row_key] = Row(row_key, 1)
        burst = not self._new_rows
        self._new_rows.add(row_key)
        self._require_update_dimensions = True
        self._update_count += 1
        if burst:
            self.check_idle()
        return row_key

    def _columns_on_screen(self) -> list[ColumnKey]:
        """The column keys in their order on screen (worked out again only when columns change)."""
        # DataTable replaces its column map when a column goes, and adds to it when one comes.
        made_from, order = getattr(self, "_column_order", (None, []))
        if made_from is not self._column_locations or len(order) != len(self.columns):
            order = [column.key for column in self.ordered_columns]
            self._column_order = (self._column_locations, order)
        return order

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Column widths for new rows, measured from the text alone.

        DataTable measures every cell of every new row through Rich's console (about 40 µs a cell):
        0.4 s for a 5,000-task plan, on the loop, before the first frame shows it. Rows here are one
        line of Text, so a width is the cell length of the plain text, and only columns that size
        to their content need it. Any other row (a label, a taller row, a cell that is not Text)
        goes through DataTable's own measuring.
        """
        slow: list[RowKey] = []
        auto = [(key, column) for key, column in self.columns.items() if column.auto_width]
        widest = {key: column.content_width for key, column in auto}
        for row_key in new_rows:
            row = self.rows.get(row_key)
            cells = self._data.get(row_key)
            if row is None or cells is None:
                continue  # removed before the table was idle
            if row.height != 1 or row.label is not None or row.auto_height:
                slow.append(row_key)
                continue
            for key, _column in auto:
                cell = cells.get(key)
                if cell is None:
                    continue
                if not isinstance(cell, Text):
                    slow.append(row_key)
                    break
                width = _text_width(cell)
                if width > widest[key]:
                    widest[key] = width
        for key, column in auto:
            column.content_width = widest[key]
        # DataTable's own pass measures the rows left (none, usually) and sets the virtual size.
        super()._update_dimensions(slow)


def _text_width(text: Text) -> int:
    plain = text.plain
    if "\n" in plain:
        return max(cell_len(line) for line in plain.split("\n"))
    return cell_len(plain)


def update_row(table: DataTable, row_key: str, cells: Mapping[str, Text]) -> None:
    """Set some cells of one row and repaint that row alone.

    DataTable.update_cell bumps a counter that is part of every render-cache key, so each call has
    every visible cell rendered again on the next frame: 10-20 ms for the Tasks pane's 30 rows on a
    busy 2-core machine, more than a frame. Here only the changed row's cache entries are dropped
    and only its lines are repainted. It reaches into DataTable's caches (Textual is pinned to 8.2
    in pyproject); if they ever change shape, it falls back to update_cell.
    """
    key = RowKey(row_key)
    try:
        row = table._data.get(key)
        index = table._row_locations.get(key)
        caches = (table._cell_render_cache, table._row_render_cache)  # keyed by (row key, ...)
        renderables = table._row_renderable_cache  # keyed by (update count, row index)
        lines = table._line_cache  # keyed by line: cheap to rebuild from the row caches
    except AttributeError:  # pragma: no cover - another Textual's DataTable
        for column, value in cells.items():
            table.update_cell(row_key, column, value)
        return
    if row is None or index is None:
        return  # no such row (yet): nothing on screen to change
    for column, value in cells.items():
        row[ColumnKey(column)] = value
    for cache in caches:
        if len(cache) > STALE_SCAN_LIMIT:
            cache.clear()  # cheaper to render the visible rows once more than to scan it at every change
            continue
        for stale in [k for k in cache.keys() if k[0] == key]:
            cache.discard(stale)
    for stale in [k for k in renderables.keys() if k[1] == index]:
        renderables.discard(stale)
    lines.clear()
    _refresh_row(table, index)


def _refresh_row(table: DataTable, index: int) -> None:
    """DataTable.refresh_row adds up the heights of every row above (5,000 of them at the end of a
    big plan) to find the row's place; in a table of one-line rows the place is the index itself."""
    if isinstance(table, RowTable) and table.one_line_rows and hasattr(table, "_refresh_region"):
        width = max(table.size.width, table.virtual_size.width)
        top = index + (table.header_height if table.show_header else 0)
        table._refresh_region(Region(0, top, width, 1))
        return
    table.refresh_row(index)
