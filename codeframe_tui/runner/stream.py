"""Splitting a byte stream into text lines, and keeping a bounded tail of them."""

from __future__ import annotations

from collections import deque

# A line longer than this is cut into pieces: a test that prints megabytes without a
# newline must not grow one unbounded buffer (and a pane cannot show it anyway).
MAX_LINE_BYTES = 64 * 1024
TAIL_MAX_LINES = 2000
TAIL_MAX_CHARS = 200 * 1024


class LineSplitter:
    """Feed raw chunks, get complete lines back; `flush()` returns the last partial line.

    Chunks end anywhere (mid-line, mid-character), so lines are cut on b"\\n" first and
    decoded afterwards: a UTF-8 sequence never contains the newline byte.
    """

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self._pending = bytearray()
        self._max = max_line_bytes

    def feed(self, chunk: bytes) -> list[str]:
        self._pending += chunk
        end = self._pending.rfind(b"\n")
        lines: list[str] = []
        if end >= 0:
            # All the complete lines decoded at once (a million-line run reads thousands of chunks).
            text = bytes(self._pending[:end]).decode("utf-8", errors="replace")
            lines = text.split("\n")
            if "\r" in text:
                lines = [line.rstrip("\r") for line in lines]
            del self._pending[: end + 1]
        while len(self._pending) >= self._max:
            lines.append(_decode(self._pending[: self._max]))
            del self._pending[: self._max]
        return lines

    def flush(self) -> list[str]:
        if not self._pending:
            return []
        line = _decode(self._pending)
        self._pending.clear()
        return [line]


class OutputTail:
    """The last lines of the output, bounded by line count and by characters."""

    def __init__(self, max_lines: int = TAIL_MAX_LINES, max_chars: int = TAIL_MAX_CHARS) -> None:
        self._lines: deque[str] = deque()
        self._chars = 0
        self._max_lines = max_lines
        self._max_chars = max_chars
        self.dropped = 0  # lines that fell off the front

    def append(self, line: str) -> None:
        self.extend((line,))

    def extend(self, lines: list[str] | tuple[str, ...]) -> None:
        self._lines.extend(lines)
        self._chars += sum(map(len, lines)) + len(lines)
        while self._lines and (len(self._lines) > self._max_lines or self._chars > self._max_chars):
            self._chars -= len(self._lines.popleft()) + 1
            self.dropped += 1

    def text(self) -> str:
        return "\n".join(self._lines)


def _decode(raw: bytes | bytearray) -> str:
    # Windows tools and progress bars end lines with \r\n; the \r is noise in a pane.
    return bytes(raw).decode("utf-8", errors="replace").rstrip("\r")
