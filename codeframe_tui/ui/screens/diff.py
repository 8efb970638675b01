"""A task's changes, one file at a time, as a coloured unified diff; optionally accepted or rejected here."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Header, Static

from codeframe_tui.domain.diffs import BINARY_NOTICE, FileDiff, summarize
from codeframe_tui.ui.text import plain

# A minified file can be one line of megabytes; wrapping all of it would make thousands of rows.
MAX_LINE_CHARS = 1000
NO_FILES = "This task changed no files."
_STATUS_STYLE = {"added": "green", "deleted": "red", "modified": "yellow"}


def diff_lines(diff: FileDiff) -> list[tuple[str, str]]:
    """The file's diff as (plain text, style) pairs: no line of the file is ever read as markup."""
    lines = diff.unified()
    out = []
    for n, line in enumerate(lines):
        safe = plain(line)
        if len(safe) > MAX_LINE_CHARS:
            safe = safe[:MAX_LINE_CHARS] + f" … ({len(safe) - MAX_LINE_CHARS} more characters)"
        # Bold and the +/- marks carry the meaning too, so the diff still reads with NO_COLOR.
        if n < 2 and line.startswith(("--- ", "+++ ")):
            style = "bold"
        elif line.startswith("@@"):
            style = "bold cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith(("\\", "…")) or line == BINARY_NOTICE:  # notes, not lines of the file
            style = "italic dim"
        else:
            style = ""
        out.append((safe, style))
    return out or [("No changes to this file.", "italic")]


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
    return listed + [Binding(other, action, text, show=False) for _, other, action, text, _ in keys]


class DiffView(ScrollView, can_focus=True):
    """Draws only the rows on screen, so a diff of thousands of lines opens at once.

    (A Static lays out all of its text again and again: half a second for 4000 lines.)
    Long lines wrap at the view's width; the rows are worked out again only when that width changes.
    """

    BINDINGS = _scroll_keys(show=True)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines: list[tuple[str, Style]] = []
        self.rows: list[tuple[str, Style]] = []
        self._wrapped_at = 0

    def show(self, lines: list[tuple[str, str]]) -> None:
        self._lines = [(text, Style.parse(style) if style else Style.null()) for text, style in lines]
        self._wrapped_at = 0
        self._wrap()
        self.scroll_home(animate=False, immediate=True)

    def on_resize(self) -> None:
        self._wrap()

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or width == self._wrapped_at:
            return  # not laid out yet (the first Resize wraps), or already wrapped at this width
        rows: list[tuple[str, Style]] = []
        for text, style in self._lines:
            if cell_len(text) <= width:
                rows.append((text, style))
            else:
                rows.extend((chunk, style) for chunk in chop_cells(text, width))
        self.rows = rows
        self._wrapped_at = width
        self.virtual_size = Size(width, len(rows))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        text, style = self.rows[index]
        return Strip([Segment(text, self.rich_style + style)]).extend_cell_length(width, self.rich_style)

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


def _elide(path: str, room: int) -> str:
    """Keep the end of a long path, where the file's name is."""
    return path if len(path) <= room else "…" + path[-(room - 1):]


class DiffScreen(Screen[str | None]):
    """Dismissed with None when closed, or with "accept", "reject" or "discard" when review=True.

    Files the task did not change are left out, so "file 2/3" counts only real changes.
    """

    CSS_PATH = Path(__file__).with_name("diff.tcss")
    AUTO_FOCUS = "#diff-view"
    BINDINGS = [
        Binding("left_square_bracket", "previous_file", "Previous file", group=Binding.Group("File")),
        Binding("right_square_bracket", "next_file", "Next file", group=Binding.Group("File")),
        Binding("shift+tab", "previous_file", "Previous file", show=False),
        Binding("tab", "next_file", "Next file", show=False),
        Binding("y", "verdict('accept')", "Accept"),
        Binding("n", "verdict('reject')", "Reject with feedback"),
        Binding("x", "verdict('discard')", "Reject for good"),
        # The app binds q to quit; a screen's bindings are checked before the app's, so q closes this.
        Binding("escape,q", "close", "Close"),
    ]

    def __init__(self, title: str, diffs: Sequence[FileDiff], *, review: bool = False) -> None:
        super().__init__()
        self.diffs = [d for d in diffs if d.status != "unchanged"]
        self.review = review
        self.index = 0
        self.title = plain(title)
        self.sub_title = summarize(self.diffs)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="diff-bar")
        yield (ReviewDiffView if self.review else DiffView)(id="diff-view")
        # The palette hint is dropped so that the review keys fit at 80 columns; ctrl+p still works.
        yield Footer(compact=True, show_command_palette=False, id="diff-footer")

    @property
    def diff_view(self) -> DiffView:
        return self.query_one(DiffView)

    @property
    def bar(self) -> Static:
        return self.query_one("#diff-bar", Static)

    def on_mount(self) -> None:
        self.show_file()

    def on_resize(self) -> None:
        self.bar.update(self.bar_text())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Without review the verdict keys are neither shown nor handled.
        return self.review if action == "verdict" else True

    def bar_text(self) -> Text:
        """For example "file 2/3 · shelf/models.py · modified +20 −3", the path shortened to fit."""
        if not self.diffs:
            return Text("no changes", style="italic")
        diff = self.diffs[self.index]
        counts = "binary" if diff.binary else f"+{diff.added} −{diff.removed}"
        head = f"file {self.index + 1}/{len(self.diffs)} · "
        room = max(self.app.size.width - 2 - len(head) - len(f" · {diff.status} {counts}"), 12)
        return Text.assemble(
            head, (_elide(plain(diff.path), room), "bold"), " · ",
            (diff.status, _STATUS_STYLE.get(diff.status, "")), f" {counts}",
            no_wrap=True, overflow="ellipsis",
        )

    def show_file(self) -> None:
        self.bar.update(self.bar_text())
        self.diff_view.show(diff_lines(self.diffs[self.index]) if self.diffs else [(NO_FILES, "bold")])

    def _go(self, step: int) -> None:
        target = self.index + step
        if 0 <= target < len(self.diffs):
            self.index = target
            self.show_file()
        else:
            self.app.bell()  # already at the first or last file

    def action_next_file(self) -> None:
        self._go(1)

    def action_previous_file(self) -> None:
        self._go(-1)

    def action_verdict(self, verdict: str) -> None:
        self.dismiss(verdict)

    def action_close(self) -> None:
        self.dismiss(None)
