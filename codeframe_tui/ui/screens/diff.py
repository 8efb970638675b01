"""A task's changes, one file at a time, as a coloured unified diff; optionally accepted or rejected here."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from codeframe_tui.domain.diffs import FileDiff, summarize
from codeframe_tui.ui.content import plain
from codeframe_tui.ui.syntax import Highlighter
from codeframe_tui.ui.widgets.diff_view import DiffLine, DiffView, ReviewDiffView, diff_lines, highlighter

__all__ = ["NO_FILES", "DiffScreen", "DiffView"]

NO_FILES = "This task changed no files."
_STATUS_STYLE = {"added": "green", "deleted": "red", "modified": "yellow"}


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
        # Each file's lines and syntax colour, worked out once: going back to a file shows it at once.
        self._shown: dict[int, tuple[list[DiffLine], Highlighter]] = {}

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
        if not self.diffs:
            self.diff_view.show([DiffLine(NO_FILES, "head", 0)])
            return
        if self.index not in self._shown:
            diff = self.diffs[self.index]
            lines = diff_lines(diff)
            self._shown[self.index] = (lines, highlighter(diff, lines))
        lines, colour = self._shown[self.index]
        # Textual greys its own colours under NO_COLOR; the tokens' colours are left out altogether.
        self.diff_view.show(lines, None if self.app.no_color else colour)

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
