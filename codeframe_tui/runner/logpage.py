"""Reading a window of lines out of a log of any size, by byte offset, forwards or backwards.

A screenful costs a read of a few kilobytes wherever it is in the file: nothing reads the file whole,
so a log of gigabytes opens at its end as fast as a small one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CHUNK = 64 * 1024
MAX_LINE_BYTES = 64 * 1024 + 1  # the runner splits longer lines; a file not written by it is cut here too


@dataclass(frozen=True)
class Line:
    offset: int  # where the line starts in the file
    end: int  # where the next line starts
    text: str


class LogPager:
    """Windows of whole lines out of one file. The file may grow while it is read (a run going on)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def lines_from(self, offset: int, count: int) -> list[Line]:
        """Up to `count` lines from `offset` on (which should be the start of a line)."""
        out: list[Line] = []
        try:
            with self.path.open("rb") as f:
                f.seek(offset)
                pending = b""
                start = offset
                while len(out) < count:
                    chunk = f.read(CHUNK)
                    if not chunk:
                        if pending:  # a last line without its newline (still being written)
                            out.append(Line(start, start + len(pending), _text(pending)))
                        break
                    pending += chunk
                    while len(out) < count:
                        cut = pending.find(b"\n", 0, MAX_LINE_BYTES)
                        if cut < 0:
                            if len(pending) < MAX_LINE_BYTES:
                                break
                            cut = MAX_LINE_BYTES - 1  # an endless line: shown in pieces
                        raw, pending = pending[:cut], pending[cut + 1:]
                        out.append(Line(start, start + cut + 1, _text(raw)))
                        start += cut + 1
        except OSError:
            pass
        return out

    def lines_before(self, offset: int, count: int, *, max_bytes: int | None = None) -> list[Line]:
        """Up to `count` whole lines that end at or before `offset`, in file order, reading at most
        `max_bytes` back (by default enough for `count` of the longest lines)."""
        if offset <= 0 or count <= 0:
            return []
        limit = max_bytes if max_bytes is not None else count * MAX_LINE_BYTES
        try:
            with self.path.open("rb") as f:
                end = offset
                data = b""
                # Enough bytes back to hold count lines and the newline before the first of them.
                while end > 0 and data.count(b"\n") <= count and len(data) < limit:
                    start = max(0, end - min(CHUNK, limit))
                    f.seek(start)
                    data = f.read(end - start) + data
                    end = start
        except OSError:
            return []
        base = offset - len(data)
        body = data[:-1] if data.endswith(b"\n") else data  # the newline ending the last line
        starts = [i + 1 for i in _newlines(body)]
        if base == 0:
            starts.insert(0, 0)
        elif not starts:  # no newline in all that was read: an endless line, shown by its last piece
            starts = [max(0, len(data) - MAX_LINE_BYTES)]
        starts = starts[-count:]
        lines = []
        for n, s in enumerate(starts):
            e = starts[n + 1] if n + 1 < len(starts) else len(data)
            raw = data[s:e].rstrip(b"\n")
            lines.append(Line(base + s, base + e, _text(raw[:MAX_LINE_BYTES])))
        return lines

    def last_lines(self, count: int, *, max_bytes: int | None = None) -> list[Line]:
        return self.lines_before(self.size(), count, max_bytes=max_bytes)


def _newlines(data: bytes) -> list[int]:
    found, at = [], data.find(b"\n")
    while at >= 0:
        found.append(at)
        at = data.find(b"\n", at + 1)
    return found


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip("\r")
