"""The Test output pane: live, batched lines of the running tests, one bounded buffer per task."""

from __future__ import annotations

from collections import deque

from textual.content import Content
from textual.widgets import Log

from codeframe_tui.ui.text import literal, plain

LINES_PER_TASK = 2_000
SCREEN_LINES = 2_000


class TestOutputLog(Log):
    """Shows one task's output. It follows the latest test run unless the person picked a task."""

    __test__ = False

    def __init__(self, **kwargs) -> None:
        super().__init__(max_lines=SCREEN_LINES, highlight=False, **kwargs)
        self.buffers: dict[str, deque[str]] = {}
        self.shown: str | None = None
        self.follow = True

    def _title(self) -> Content:
        if self.shown is None:
            return literal("Test output")
        mode = "following" if self.follow else "pinned"
        return literal(f"Test output · {self.shown} ({mode})")

    def run_started(self, task_id: str, command: str) -> None:
        buf = self.buffers.setdefault(task_id, deque(maxlen=LINES_PER_TASK))
        header = f"$ {plain(command)}"
        buf.append(header)
        if self.follow and self.shown != task_id:
            self.show(task_id, follow=True)
        elif self.shown == task_id:
            self.write_line(header)

    def add_lines(self, task_id: str, lines: tuple[str, ...]) -> None:
        clean = [plain(line) for line in lines]
        self.buffers.setdefault(task_id, deque(maxlen=LINES_PER_TASK)).extend(clean)
        if self.shown == task_id:
            self.write_lines(clean)

    def show(self, task_id: str, *, follow: bool) -> None:
        self.follow = follow
        self.shown = task_id
        self.clear()
        self.write_lines(list(self.buffers.get(task_id, ())) or [f"(no test output yet for {task_id})"])
        self.border_title = self._title()

    def set_follow(self) -> None:
        self.follow = True
        self.border_title = self._title()
