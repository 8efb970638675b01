"""The Test output pane: live, batched lines of the running tests, a bounded tail per recent task."""

from __future__ import annotations

from collections import OrderedDict, deque
from pathlib import Path

from textual.binding import Binding
from textual.content import Content

from codeframe_tui.runner.logpage import LogPager
from codeframe_tui.ui.content import literal, plain
from codeframe_tui.ui.screens.log_view import latest_log, open_log, project_of
from codeframe_tui.ui.textual_private import QuietLog

LINES_PER_TASK = 2_000
SCREEN_LINES = 2_000
TASKS_IN_MEMORY = 12  # tasks whose tails stay in memory; older ones are read back from their logs
TAIL_BYTES = 1024 * 1024  # at most this much of a log is read back for a tail
LINE_CHARS = 1_000  # longer lines are cut in the pane (the runner passes lines of up to 64 KB)


class PaneLog(QuietLog):
    """A Log in a pane of fixed size: a write repaints the log and its scrollbar, not the screen
    (textual_private.QuietLog)."""


def clean(lines: list[str] | tuple[str, ...]) -> list[str]:
    """plain() for each line, at a fraction of the cost when, as test output mostly is, they are
    printable ASCII: for such text plain() only hides secrets, which never hold a newline, so the
    batch goes through plain() once, joined. Anything else goes line by line."""
    joined = "\n".join(lines)
    if joined.isascii() and all(map(str.isprintable, lines)):
        out = plain(joined).split("\n")
        if len(out) == len(lines):
            return out
    return [plain(line) for line in lines]


class TestOutputLog(PaneLog):
    """Shows one task's output. It follows the latest test run unless the person picked a task.

    Memory stays bounded however much the tests print: the pane holds SCREEN_LINES lines, and the
    tails of the last TASKS_IN_MEMORY tasks are kept (raw, cleaned only when shown; lines cut at
    LINE_CHARS). The whole output
    of every run is on disk (runner.logfile): `o` opens it, and a task whose tail was dropped from
    memory shows the tail read back from its log.
    """

    __test__ = False
    BINDINGS = [Binding("o", "open_log", "Full log", tooltip="Open the full test log")]

    def __init__(self, **kwargs) -> None:
        super().__init__(max_lines=SCREEN_LINES, highlight=False, **kwargs)
        self.buffers: OrderedDict[str, deque[str]] = OrderedDict()  # least recently written first
        self.log_paths: dict[str, str] = {}  # task -> its latest run's log, relative to the project
        self.shown: str | None = None
        self.follow = True

    def _title(self) -> Content:
        if self.shown is None:
            return literal("Test output")
        mode = "following" if self.follow else "pinned"
        return literal(f"Test output · {self.shown} ({mode})")

    def _buffer(self, task_id: str) -> deque[str]:
        buf = self.buffers.get(task_id)
        if buf is None:
            buf = self.buffers[task_id] = deque(maxlen=LINES_PER_TASK)
            while len(self.buffers) > TASKS_IN_MEMORY:
                self.buffers.popitem(last=False)  # its output is still in its log on disk
        else:
            self.buffers.move_to_end(task_id)
        return buf

    def run_started(self, task_id: str, command: str, log: str = "") -> None:
        if log:
            self.log_paths[task_id] = log
        buf = self._buffer(task_id)
        header = f"$ {command}"
        buf.append(header)
        if self.follow and self.shown != task_id:
            self.show(task_id, follow=True)
        elif self.shown == task_id:
            self.write_line(plain(header))

    def add_lines(self, task_id: str, lines: tuple[str, ...]) -> None:
        if max(map(len, lines), default=0) > LINE_CHARS:  # a pane shows a line's start; the log keeps it all
            lines = tuple(line if len(line) <= LINE_CHARS else line[:LINE_CHARS] + "…" for line in lines)
        self._buffer(task_id).extend(lines)
        if self.shown == task_id:
            self.write_lines(clean(lines))

    def show(self, task_id: str, *, follow: bool) -> None:
        self.follow = follow
        self.shown = task_id
        self.clear()
        lines = self.buffers.get(task_id) or self._tail_on_disk(task_id)
        self.write_lines(clean(list(lines)) or [plain(f"(no test output yet for {task_id})")])
        self.border_title = self._title()

    def set_follow(self) -> None:
        self.follow = True
        self.border_title = self._title()

    def _tail_on_disk(self, task_id: str) -> list[str]:
        path = self.log_path(task_id)
        if path is None:
            return []
        lines = LogPager(path).last_lines(LINES_PER_TASK, max_bytes=TAIL_BYTES)
        return [line.text if len(line.text) <= LINE_CHARS else line.text[:LINE_CHARS] + "…" for line in lines]

    def log_path(self, task_id: str) -> Path | None:
        """The log of the task's latest test run: the one this pane saw start, else the newest on disk."""
        project = project_of(self.app)
        known = self.log_paths.get(task_id)
        if project is not None and known:
            return project / known
        return latest_log(project, task_id)

    def action_open_log(self) -> None:
        """The shown test run's whole output, from its log on disk."""
        if self.shown is None:
            self.notify("No test has run yet: nothing to open", severity="warning")
            return
        open_log(self.app, self.shown, self.log_path(self.shown))
