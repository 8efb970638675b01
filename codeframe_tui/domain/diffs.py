"""A task's file changes as before/after text: status, line counts and a bounded unified diff."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property

MAX_DIFF_LINES = 4000
BINARY_NOTICE = "binary file, not shown"
_SNIFF_CHARS = 8192
_Opcode = tuple[str, int, int, int, int]  # difflib's (tag, i1, i2, j1, j2)
# Control characters other than tab, newline, form feed and carriage return, and the U+FFFD that
# decoding with errors="replace" leaves behind. Text made largely of these is not worth a diff.
_ODD = frozenset([chr(c) for c in range(32) if chr(c) not in "\t\n\f\r"] + ["\x7f", "\ufffd"])


def _looks_binary(text: str | None) -> bool:
    if not text:
        return False
    if "\x00" in text:
        return True
    sample = text[:_SNIFF_CHARS]
    return sum(ch in _ODD for ch in sample) * 10 > len(sample)


def _split(text: str | None) -> list[str]:
    """Lines that keep their "\\n", so joining them gives the text back and a missing final newline shows.

    Only "\\n" ends a line: str.splitlines would also split on form feeds, U+2028 and the like.
    """
    if not text:
        return []
    parts = text.split("\n")
    last = parts.pop()
    lines = [part + "\n" for part in parts]
    if last:
        lines.append(last)
    return lines


def _span(start: int, stop: int) -> str:
    """A hunk's range as unified diffs write it: 1-based, a length of 1 left out, an empty range at the line before."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"


def _marked(prefix: str, lines: Sequence[str]) -> Iterator[str]:
    for line in lines:
        if line.endswith("\n"):
            yield prefix + line[:-1]
        else:
            yield prefix + line
            yield "\\ No newline at end of file"


@dataclass(frozen=True)
class FileDiff:
    """One file's text before and after a task; None means it did not exist (before) or was deleted (after)."""

    path: str
    before: str | None
    after: str | None

    @property
    def status(self) -> str:
        """"added", "deleted", "modified" or "unchanged"."""
        if self.before == self.after:
            return "unchanged"
        if self.before is None:
            return "added"
        if self.after is None:
            return "deleted"
        return "modified"

    @cached_property
    def binary(self) -> bool:
        return _looks_binary(self.before) or _looks_binary(self.after)

    @property
    def added(self) -> int:
        return self._counts[0]

    @property
    def removed(self) -> int:
        return self._counts[1]

    # cached_property works on a frozen dataclass: it writes to __dict__ directly, not through __setattr__.
    # Matching is the costly part, so it is done once for the counts and every unified() call.
    @cached_property
    def _compared(self) -> tuple[list[str], list[str], tuple[_Opcode, ...]]:
        if self.status == "unchanged" or self.binary:
            return [], [], ()
        a, b = _split(self.before), _split(self.after)
        # Hunks are grouped by _hunks below, not by difflib's get_grouped_opcodes: that edits the
        # matcher's cached list in place, so a second call with another context would come out wrong.
        return a, b, tuple(SequenceMatcher(None, a, b).get_opcodes())

    @cached_property
    def _counts(self) -> tuple[int, int]:
        added = removed = 0
        for tag, i1, i2, j1, j2 in self._compared[2]:
            if tag != "equal":
                removed += i2 - i1
                added += j2 - j1
        return added, removed

    def unified(self, context: int = 3) -> list[str]:
        """The unified diff's lines, without newlines.

        Cut after MAX_DIFF_LINES, with one more line saying how many were left out. [] when unchanged.
        """
        if self.status == "unchanged":
            return []
        if self.binary:
            return [BINARY_NOTICE]
        lines: list[str] = []
        total = 0
        for line in self._diff_lines(context):
            total += 1
            if total <= MAX_DIFF_LINES:
                lines.append(line)
        left_out = total - len(lines)
        if left_out:
            lines.append(f"… {left_out} more line{'' if left_out == 1 else 's'} of this diff not shown")
        return lines

    def _diff_lines(self, context: int) -> Iterator[str]:
        yield "--- /dev/null" if self.before is None else f"--- a/{self.path}"
        yield "+++ /dev/null" if self.after is None else f"+++ b/{self.path}"
        a, b, opcodes = self._compared
        for hunk, lead, trail in _hunks(opcodes, max(context, 0), len(a)):
            first, last = hunk[0], hunk[-1]
            yield f"@@ -{_span(first[1] - lead, last[2] + trail)} +{_span(first[3] - lead, last[4] + trail)} @@"
            yield from _marked(" ", a[first[1] - lead : first[1]])
            for n, (_, i1, i2, j1, j2) in enumerate(hunk):
                yield from _marked("-", a[i1:i2])
                yield from _marked("+", b[j1:j2])
                # Unchanged lines run the same length in both files, so a's copy is the context.
                yield from _marked(" ", a[i2 : hunk[n + 1][1]] if n + 1 < len(hunk) else a[i2 : i2 + trail])


def _hunks(opcodes: Sequence[_Opcode], context: int, a_len: int) -> Iterator[tuple[list[_Opcode], int, int]]:
    """The changes grouped into hunks, each with how many unchanged lines come before and after it.

    Two changes share a hunk when no more than 2 * context unchanged lines lie between them.
    """
    groups: list[list[_Opcode]] = []
    for op in opcodes:
        if op[0] == "equal":
            continue
        if groups and op[1] - groups[-1][-1][2] <= 2 * context:
            groups[-1].append(op)
        else:
            groups.append([op])
    for n, group in enumerate(groups):
        before = groups[n - 1][-1][2] if n else 0
        after = groups[n + 1][0][1] if n + 1 < len(groups) else a_len
        yield group, min(context, group[0][1] - before), min(context, after - group[-1][2])


def summarize(diffs: Sequence[FileDiff]) -> str:
    """For example "3 files, +40 −2"; "no changes" when no file changed."""
    changed = [d for d in diffs if d.status != "unchanged"]
    if not changed:
        return "no changes"
    files = "1 file" if len(changed) == 1 else f"{len(changed)} files"
    return f"{files}, +{sum(d.added for d in changed)} −{sum(d.removed for d in changed)}"
