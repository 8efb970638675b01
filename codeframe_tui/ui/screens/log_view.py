"""A test run's full log, paged through a screenful at a time: never read whole, however big it is."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from codeframe_tui.runner.logfile import LOGS_DIR, task_logs
from codeframe_tui.runner.logpage import Line, LogPager
from codeframe_tui.ui.content import format_bytes, literal, plain


def latest_log(project: Path | None, task_key: str) -> Path | None:
    """The newest log of a task's test runs, if it has one."""
    if project is None:
        return None
    found = task_logs(project / LOGS_DIR, task_key)
    return found[-1] if found else None


def project_of(app) -> Path | None:
    engine = getattr(app, "engine", None)
    return engine.settings.project if engine is not None else None


def open_log(app, task_key: str, path: Path | None) -> None:
    """Open a task's test log in the viewer, or say why there is none."""
    if path is None or not path.is_file():
        app.notify(plain(f"No test log for task {task_key} yet"), severity="warning", markup=False)
        return
    app.push_screen(LogViewerScreen(path, f"Task {task_key} · {path.name}"))


class LogViewerScreen(ModalScreen[None]):
    """Opens at the end of the log (where a failure is). Each move reads one window by byte offset."""

    CSS_PATH = Path(__file__).with_name("log_view.tcss")
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("j,down", "lines(1)", "Down", show=False),
        Binding("k,up", "lines(-1)", "Up", show=False),
        Binding("space,pagedown", "pages(1)", "Page down"),
        Binding("b,pageup", "pages(-1)", "Page up"),
        Binding("g,home", "start", "Start"),
        Binding("G,end", "end", "End (reread)"),
    ]

    def __init__(self, path: Path, title: str) -> None:
        super().__init__()
        self.pager = LogPager(path)
        self.title_text = title
        self.lines: list[Line] = []  # the window on screen, in file order
        self.at_end = False

    def compose(self) -> ComposeResult:
        body = Static("", id="log-body")
        body.border_title = literal(self.title_text)
        yield body
        yield Footer()

    def on_mount(self) -> None:
        self.action_end()

    def on_resize(self) -> None:
        # A window shown at the end stays at the end (the last lines are what a failure leaves).
        if self.at_end:
            self.action_end()
        elif self.lines:
            self._show(self.pager.lines_from(self.lines[0].offset, self._height()))

    def _height(self) -> int:
        return max(1, self.query_one("#log-body", Static).content_region.height or self.size.height - 3)

    def _show(self, lines: list[Line]) -> None:
        if not lines and self.lines:
            return  # nothing there (the edge of the file): stay
        self.lines = lines
        text = Text(no_wrap=True, overflow="crop", end="")
        for n, line in enumerate(lines):
            text.append(("\n" if n else "") + plain(line.text))
        if not lines:
            text.append("(the log is empty)", style="dim")
        body = self.query_one("#log-body", Static)
        body.update(text)
        size = self.pager.size()
        where = self.lines[0].offset if self.lines else 0
        shown_to = self.lines[-1].end if self.lines else 0
        self.at_end = shown_to >= size
        share = 100 if size == 0 or self.at_end else 100 * where // size
        body.border_subtitle = f"{format_bytes(size)} · {share}%{' · end' if self.at_end else ''}"

    def action_start(self) -> None:
        self._show(self.pager.lines_from(0, self._height()))

    def action_end(self) -> None:
        self._show(self.pager.last_lines(self._height()))

    def action_lines(self, count: int) -> None:
        if not self.lines:
            return
        height = self._height()
        if count > 0:
            more = self.pager.lines_from(self.lines[-1].end, count)
            if more:
                self._show((self.lines + more)[-height:] if len(self.lines) >= height else self.lines + more)
        else:
            earlier = self.pager.lines_before(self.lines[0].offset, -count)
            if earlier:
                self._show((earlier + self.lines)[:height])

    def action_pages(self, count: int) -> None:
        if not self.lines:
            return
        height = self._height()
        if count > 0:
            after = self.lines[-1].end
            if after >= self.pager.size():
                return
            page = self.pager.lines_from(after, height)
            if len(page) < height:  # the last page: fill the screen from the end instead
                page = self.pager.last_lines(height)
            self._show(page)
        else:
            before = self.pager.lines_before(self.lines[0].offset, height)
            if before:
                rest = height - len(before)
                self._show(before + self.lines[:rest] if rest > 0 else before)

