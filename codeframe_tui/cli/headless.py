"""Headless output: the same engine events as JSON lines (the contract) or readable lines."""

from __future__ import annotations

import json
from typing import TextIO

from codeframe_tui.domain.safe_text import one_line
from codeframe_tui.engine.event_words import describe
from codeframe_tui.engine.events import Event


class JsonLinesSink:
    """Writes one JSON object per event and flushes, so a pipe sees each line as it happens."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, event: Event) -> None:
        self.stream.write(json.dumps(event.to_json_dict(), ensure_ascii=False) + "\n")
        self.stream.flush()


class TextSink:
    """Readable lines for a person at a plain terminal or a log file; high-rate events are skipped."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, event: Event) -> None:
        line = describe(event)
        if line:
            # Titles, reasons and questions come from plans and the model: no escape reaches the terminal.
            self.stream.write(f"{event.ts:%H:%M:%S} {one_line(line, 2000)}\n")
            self.stream.flush()
