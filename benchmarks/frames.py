"""The real app for benchmarks: each frame also rendered to bytes, as a terminal costs, with a frame hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codeframe_tui.ui.app import CodeframeApp


class BenchApp(CodeframeApp):
    """CodeframeApp whose headless frames are turned into escape sequences (and thrown away), and
    which calls `on_frame(screen)` after each frame it displays."""

    on_frame: Callable[[Any], None] | None = None

    def _display(self, screen, renderable) -> None:
        super()._display(screen, renderable)
        if renderable is None or self._batch_count:
            return
        if self.is_headless and hasattr(renderable, "render_segments"):
            renderable.render_segments(self.console)
        if self.on_frame is not None:
            self.on_frame(screen)
