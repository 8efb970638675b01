"""One file's unified diff, drawn a screen's rows at a time: plain lines, wrapped at the view's width,
coloured by line and, where the file type has a lexer, by token (ui.syntax)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from codeframe_tui.domain.diffs import BINARY_NOTICE, FileDiff
from codeframe_tui.ui.content import plain
from codeframe_tui.ui.syntax import CodeLine, Highlighter, lexer_for, token_style

# A minified file can be one line of megabytes; wrapping all of it would make thousands of rows.
MAX_LINE_CHARS = 1000
# Each kind of line's style without syntax colour (NO_COLOR): bold and the +/- marks carry the
# meaning too, so the diff still reads when Textual turns every colour to grey.
PLAIN_STYLES = {
    "head": "bold", "hunk": "bold cyan", "added": "green", "removed": "red",
    "context": "", "note": "italic dim", "message": "italic",
}
# With syntax colour the tokens take the foreground, so an added or removed line is told by its
# mark's colour and a tint behind the whole line (the view's component classes, in diff.tcss).
_MARK_STYLES = {"added": Style(color="green", bold=True), "removed": Style(color="red", bold=True)}
_CODE_MARKS = {"added": "+", "removed": "-", "context": " ", "hunk": "@"}
# Lexing ahead while idle: some 15 ms of work every 50 ms, so a keypress never waits long behind it.
LEX_AHEAD_EVERY = 0.05
LEX_AHEAD_TOKENS = 1500


class DiffLine(NamedTuple):
    """A line of the diff as shown: plain text with its mark, its kind (a key of PLAIN_STYLES), and
    how many of its characters are the line itself (a very long line is cut and a note added)."""

    text: str
    kind: str
    size: int


class Row(NamedTuple):
    """A row on screen: the line's text from `start` (a long line wraps to several rows)."""

    text: str
    line: int
    start: int


def diff_lines(diff: FileDiff) -> list[DiffLine]:
    """The file's diff as plain lines: no line of the file is ever read as markup."""
    lines = diff.unified()
    out = []
    for n, line in enumerate(lines):
        safe = plain(line)
        size = len(safe)
        if size > MAX_LINE_CHARS:
            size = MAX_LINE_CHARS
            safe = safe[:MAX_LINE_CHARS] + f" … ({len(safe) - MAX_LINE_CHARS} more characters)"
        if n < 2 and line.startswith(("--- ", "+++ ")):
            kind = "head"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "added"
        elif line.startswith("-"):
            kind = "removed"
        elif line.startswith(("\\", "…")) or line == BINARY_NOTICE:  # notes, not lines of the file
            kind = "note"
        else:
            kind = "context"
        out.append(DiffLine(safe, kind, size))
    return out or [DiffLine("No changes to this file.", "message", 0)]


def highlighter(diff: FileDiff, lines: Sequence[DiffLine]) -> Highlighter:
    """Token colour for the file's code lines, by the lexer its name calls for (none: plain text)."""
    code = [CodeLine(_CODE_MARKS.get(line.kind, ""), line.text[1 : line.size]) for line in lines]
    return Highlighter(lexer_for(diff.path), code)


def _scroll_keys(show: bool) -> list[BindingType]:
    """The letter keys go in the Footer; the arrows and paging keys do the same, unlisted."""
    line, page, ends = Binding.Group("Line"), Binding.Group("Page"), Binding.Group("Top/end")
    keys = [
        ("j", "down", "scroll_by(1)", "Line down", line), ("k", "up", "scroll_by(-1)", "Line up", line),
        ("space", "pagedown", "page(1)", "Page down", page), ("b", "pageup", "page(-1)", "Page up", page),
        ("g", "home", "top", "Top", ends), ("G", "end", "bottom", "Bottom", ends),
    ]
    listed: list[BindingType] = [Binding(letter, action, text, show=show, group=group)
                                 for letter, _, action, text, group in keys]
    return listed + [
        Binding(other, action, text, show=False) for _, other, action, text, _ in keys
    ]


def _segments(row: Row, spans: list[tuple[int, int, Style]], base: Style) -> list[Segment]:
    """The row's text cut at its spans' edges: `spans` are in order, in characters of the whole line."""
    segments = []
    at, stop = row.start, row.start + len(row.text)
    for start, end, style in spans:
        start, end = max(start, at), min(end, stop)
        if end <= start:
            continue
        if start > at:
            segments.append(Segment(row.text[at - row.start : start - row.start], base))
        segments.append(Segment(row.text[start - row.start : end - row.start], base + style))
        at = end
    if at < stop:
        segments.append(Segment(row.text[at - row.start :], base))
    return segments


class DiffView(ScrollView, can_focus=True):
    """Draws only the rows on screen, so a diff of thousands of lines opens at once.

    (A Static lays out all of its text again and again: half a second for 4000 lines.)
    Long lines wrap at the view's width; the rows are worked out again only when that width changes.
    Syntax colour, too, is worked out only for the rows drawn, and ahead of them while idle.
    """

    BINDINGS = _scroll_keys(show=True)
    COMPONENT_CLASSES = {"diff-view--added", "diff-view--removed"}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines: list[DiffLine] = []
        self._colour: Highlighter | None = None
        self._plain_styles = {kind: Style.parse(style) for kind, style in PLAIN_STYLES.items()}
        self.rows: list[Row] = []
        self._wrapped_at = 0
        self._lexing: Timer | None = None

    def show(self, lines: list[DiffLine], colour: Highlighter | None = None) -> None:
        """Show these lines, with syntax colour from `colour` (None: without, as under NO_COLOR)."""
        self._lines = lines
        self._colour = colour if colour is not None and colour.active else None
        self._wrapped_at = 0
        self._wrap()
        self.scroll_home(animate=False, immediate=True)
        if self._colour is not None and self._lexing is None:
            self._lexing = self.set_interval(LEX_AHEAD_EVERY, self._lex_ahead)

    def _lex_ahead(self) -> None:
        # A little at a time between keypresses, so that a jump to the end of a long file is quick.
        if self._colour is None or not self._colour.lex_some(LEX_AHEAD_TOKENS):
            if self._lexing is not None:
                self._lexing.stop()
            self._lexing = None

    def on_resize(self) -> None:
        self._wrap()

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or width == self._wrapped_at:
            return  # not laid out yet (the first Resize wraps), or already wrapped at this width
        rows: list[Row] = []
        for n, line in enumerate(self._lines):
            if cell_len(line.text) <= width:
                rows.append(Row(line.text, n, 0))
                continue
            start = 0
            for chunk in chop_cells(line.text, width):
                rows.append(Row(chunk, n, start))
                start += len(chunk)
        self.rows = rows
        self._wrapped_at = width
        self.virtual_size = Size(width, len(rows))
        self.refresh()

    def line_style(self, kind: str) -> Style:
        """The style of a whole line of this kind; with syntax colour, added and removed lines are tinted."""
        if self._colour is not None and kind in _MARK_STYLES:
            return self.get_component_rich_style(f"diff-view--{kind}")
        return self._plain_styles[kind]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        line = self._lines[row.line]
        base = self.rich_style + self.line_style(line.kind)
        if self._colour is None:
            return Strip([Segment(row.text, base)]).extend_cell_length(width, self.rich_style)
        dark = self.app.current_theme.dark
        spans = [(start, end, token_style(token, dark)) for start, end, token in self._colour.spans(row.line)]
        if line.kind in _MARK_STYLES:
            spans.insert(0, (0, 1, _MARK_STYLES[line.kind]))
        # The tint runs to the view's edge, so that a short line reads as added or removed too.
        return Strip(_segments(row, spans, base)).extend_cell_length(width, base)

    def action_scroll_by(self, lines: int) -> None:
        self.scroll_relative(y=lines, animate=False)

    def action_page(self, pages: int) -> None:
        if pages > 0:
            self.scroll_page_down(animate=False)
        else:
            self.scroll_page_up(animate=False)

    def action_top(self) -> None:
        self.scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.scroll_end(animate=False)


class ReviewDiffView(DiffView):
    """The same keys, left out of the Footer: beside the three review keys they do not fit in 80 columns."""

    BINDINGS = _scroll_keys(show=False)
