"""The one door to Textual's private state: every private name of Textual the app uses is used here.

Textual is pinned (pyproject), and a patch release may still rename what is private. So each use
below checks what it relies on and falls back to Textual's public, slower path, and
tests/ui/test_textual_private.py checks every name in PRIVATE_NAMES against the installed Textual
(an upgrade fails that one test, with the list) and runs each fallback.

What is here, and why no public way does it:
  - write_to_terminal: a raw escape sequence (OSC 9) to the terminal; App.bell does the same inside.
  - HeaderTitle: the header's title widget, to keep a new title from laying the screen out again.
  - FastRowsTable: DataTable's row bookkeeping done in bulk, and widths measured from plain text,
    for plans of thousands of tasks (rows.RowTable).
  - repaint_row: one row's render caches dropped and its line repainted, instead of every visible
    cell rendered again after each update_cell (rows.update_row).
  - QuietLog: a Log in a pane of fixed size whose writes repaint the pane, not the screen.
  - screen_rows, rows_settled: what the compositor sends to the terminal, and whether a table has
    measured its rows, for the tests and benchmarks that check them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.cells import cell_len
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.widgets import DataTable, Header, Log
from textual.widgets.data_table import ColumnKey, DuplicateKey, Row, RowKey

try:
    from textual.widgets._header import HeaderTitle
except ImportError:  # pragma: no cover - exercised by the fallback test through HEADER_TITLE
    HeaderTitle = None  # type: ignore[misc,assignment]  # the fallback when Textual renames its private class

# (owner, name): every private name used in this module. The test checks each on the installed Textual.
PRIVATE_NAMES: tuple[tuple[str, str], ...] = (
    ("App", "_driver"),
    ("App", "_background_screens"),
    ("Screen", "_compositor"),
    ("textual.widgets._header", "HeaderTitle"),
    ("DataTable", "_new_rows"),
    ("DataTable", "_row_locations"),
    ("DataTable", "_data"),
    ("DataTable", "_require_update_dimensions"),
    ("DataTable", "_update_count"),
    ("DataTable", "_column_locations"),
    ("DataTable", "_update_dimensions"),
    ("DataTable", "_cell_render_cache"),
    ("DataTable", "_row_render_cache"),
    ("DataTable", "_row_renderable_cache"),
    ("DataTable", "_line_cache"),
    ("DataTable", "_refresh_region"),
    ("Log", "_scroll_update"),
    ("Log", "_update_size"),
    ("Log", "_update_maximum_width"),
    ("Log", "_process_line"),
)

STALE_SCAN_LIMIT = 2_000  # render-cache entries scanned for one row's; a bigger cache is dropped whole


def _has(obj: object, *names: str) -> bool:
    return all(hasattr(obj, name) for name in names)


_PROBE: DataTable[object] = DataTable()
# Checked once: the fast paths run only where every name they touch is there. Tests turn them off.
FAST_ROWS = _has(_PROBE, "_new_rows", "_row_locations", "_data", "_require_update_dimensions", "_update_count",
                 "_column_locations") and _has(DataTable, "_update_dimensions")
ROW_CACHES = _has(_PROBE, "_data", "_row_locations", "_cell_render_cache", "_row_render_cache",
                  "_row_renderable_cache", "_line_cache")
LINE_REPAINT = _has(DataTable, "_refresh_region")
QUIET_LOG = _has(Log, "_scroll_update", "_update_size", "_update_maximum_width", "_process_line")
HEADER_TITLE = HeaderTitle
del _PROBE


def write_to_terminal(app: App, sequence: str) -> bool:
    """Write a raw escape sequence to the terminal; False (nothing written) headless or without a driver."""
    driver = getattr(app, "_driver", None)
    if driver is None or app.is_headless:
        return False
    driver.write(sequence)
    driver.flush()
    return True


class QuietHeader(Header):
    """Textual's Header with a title that repaints without a layout. The sub-title counts tasks by
    status, so it changes with every status change, and under load a layout made those frames
    the heaviest (11-12 ms of CPU against 7). Without HeaderTitle, Textual's own header."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield _QuietTitle() if HEADER_TITLE is not None and type(widget) is HEADER_TITLE else widget


if HeaderTitle is not None:
    class _QuietTitle(HeaderTitle):
        """The header's title: one line across the full width, never wrapped, so a new title moves
        nothing; Static.update would lay the whole screen out again regardless."""

        def update(self, content="", *, layout: bool = False) -> None:
            super().update(content, layout=False)


def screen_rows(app: App) -> list[str]:
    """The screen's rows as the terminal gets them: the compositor's strips, control segments left out."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    strips = update.strips  # type: ignore[union-attr]  # a full render_update is a LayoutUpdate (private API)
    return ["".join(s.text for strip in line for s in strip if not s.control) for line in strips]


class FastRowsTable(DataTable):
    """A DataTable whose appended one-line rows of Text skip what costs most in bulk.

    add_row: DataTable re-validates its cursor and posts an idle prompt for every row (about 20 µs
    a row). A row appended to a table that already has one cannot move the cursor, and one prompt
    per burst is enough: the idle handler measures every new row at once. The first row (it puts the
    cursor on the table), a labelled or taller row, and a row without a key take DataTable's own path.

    _update_dimensions: DataTable measures every cell of every new row through Rich's console (about
    40 µs a cell): 0.4 s for a 5,000-task plan, on the loop, before the first frame shows it. One
    line of Text is as wide as its plain text, and only columns that size to their content need it.
    Any other row (a label, a taller row, a cell that is not Text) goes through DataTable's measuring.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.one_line_rows = True  # every row one line high: a row's index is its place on screen

    def add_row(self, *cells, height: int | None = 1, key: str | None = None, label=None) -> RowKey:
        if height != 1:
            self.one_line_rows = False
        fast = FAST_ROWS and height == 1 and label is None and key is not None and self.rows
        columns = self._columns_on_screen() if fast else []
        if not fast or len(cells) > len(columns):
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
        if not FAST_ROWS:
            super()._update_dimensions(new_rows)
            return
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


def rows_settled(table: DataTable) -> bool:
    """All rows are in and measured (DataTable does that on idle); True where that cannot be known."""
    return not getattr(table, "_new_rows", ()) and not getattr(table, "_require_update_dimensions", False)


def _text_width(text: Text) -> int:
    plain = text.plain
    if "\n" in plain:
        return max(cell_len(line) for line in plain.split("\n"))
    return cell_len(plain)


def repaint_row(table: DataTable, row_key: str, cells: Mapping[str, Text]) -> bool:
    """Set some cells of one row, drop that row's render caches alone and repaint its line.

    DataTable.update_cell bumps a counter that is part of every render-cache key, so each call has
    every visible cell rendered again on the next frame: 10-20 ms for the Tasks pane's 30 rows on a
    busy 2-core machine, more than a frame. False when the caches are not the ones known here: the
    caller then uses update_cell.
    """
    if not ROW_CACHES:
        return False
    key = RowKey(row_key)
    row, index = table._data.get(key), table._row_locations.get(key)
    if row is None or index is None:
        return True  # no such row (yet): nothing on screen to change
    for column, value in cells.items():
        row[ColumnKey(column)] = value
    for cache in (table._cell_render_cache, table._row_render_cache):  # keyed by (row key, ...)
        if len(cache) > STALE_SCAN_LIMIT:
            cache.clear()  # cheaper to render the visible rows once more than to scan it at every change
            continue
        for stale in [k for k in cache.keys() if k[0] == key]:
            cache.discard(stale)  # type: ignore[arg-type]  # each key goes back to the cache it came from
    renderables = table._row_renderable_cache  # keyed by (update count, row index)
    for old in [k for k in renderables.keys() if k[1] == index]:
        renderables.discard(old)
    table._line_cache.clear()  # keyed by line: cheap to rebuild from the row caches
    _refresh_row(table, index)
    return True


def _refresh_row(table: DataTable, index: int) -> None:
    """DataTable.refresh_row adds up the heights of every row above (5,000 of them at the end of a
    big plan) to find the row's place; in a table of one-line rows the place is the index itself."""
    if LINE_REPAINT and isinstance(table, FastRowsTable) and table.one_line_rows:
        width = max(table.size.width, table.virtual_size.width)
        top = index + (table.header_height if table.show_header else 0)
        table._refresh_region(Region(0, top, width, 1))
        return
    table.refresh_row(index)


class QuietLog(Log):
    """A Log in a pane of fixed size: a write repaints the log and its scrollbar, not the screen.

    Textual's Log changes its virtual size on every write that grows it, and a virtual size change
    lays the whole screen out again (and repaints every scrollbar): under streaming test output that
    was most frames. A pane whose height is set by the layout (never `auto`) only needs its own
    scrollbar told; showing or hiding a scrollbar still lays the screen out, by Textual's own rule.
    Log also measured each write's width in a thread worker (a worker and three messages per write);
    the lines here are short, so they are measured at once, and printable ASCII by its length.
    Without the private methods this relies on, it is a plain Log.
    """

    if QUIET_LOG:
        virtual_size = Reactive(Size(0, 0), layout=False, repaint=False)

        def watch_virtual_size(self, size: Size) -> None:
            self._scroll_update(size)

        # Replaces Log's threaded worker of the same name with a measure done at once (see above).
        def _update_size(self, updates: int, lines: list[str]) -> None:  # type: ignore[override]
            if not lines:
                return
            if all(line.isascii() and line.isprintable() for line in lines):
                width = max(map(len, lines))  # as wide as long: no tabs, no wide or zero-width characters
            else:
                width = max(cell_len(self._process_line(line)) for line in lines)
            self._update_maximum_width(updates, width)
