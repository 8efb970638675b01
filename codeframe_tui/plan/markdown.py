"""Line scanner shared by the markdown importers: headings, checkbox items, other lines; code skipped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from codeframe_tui.plan.model import PlanImportError, Problems, control_character, quote

# No lazy group before an optional tail: "(.*?)\s*#*\s*$" backtracked cubically on a line of spaces.
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
# A list item: "-", "*", "+", or an ordered list's "1." / "1)" (people number their checklists too).
_BULLET = re.compile(r"^([ ]*)(?:[-*+]|[0-9]{1,9}[.)])\s+(.*)$")
_BOX = re.compile(r"^\[([^\]]*)\](?:\s+(.*)|\s*)$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


@dataclass(frozen=True)
class MdLine:
    """One meaningful markdown line. kind: "heading", "item" (a checkbox), "bullet", "text" or "blank"."""

    number: int
    kind: str
    indent: int = 0
    level: int = 0  # heading level (## is 2)
    done: bool = False  # for items: [x] or [X]
    text: str = ""


def scan(path: Path, text: str, problems: Problems | None = None) -> Iterator[MdLine]:
    """Yield the lines that matter; raise PlanImportError (file:line) for a checkbox with a strange mark.

    With `problems` (a lenient import) such a line is skipped with a warning instead, quoted.

    Fenced code and HTML comments are skipped: spec-kit's template keeps examples and notes there.
    A bracket holding one letter or digit ("- [P] tasks = different files") is a tag, not a checkbox.
    Any other line holding a control character (a terminal escape) is refused.
    """
    in_fence = in_comment = False
    # "\n" only: str.splitlines() also breaks at \x1c-\x1e, \x85 and \u2028, which no editor counts,
    # so every line number after one of them was wrong. (They are control characters, refused below.)
    for number, raw in enumerate(text.split("\n"), start=1):
        raw = raw.removesuffix("\r")
        line = raw.expandtabs(4).rstrip()
        if in_comment:
            in_comment = "-->" not in line
            continue
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        stripped = line.strip()
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        if not stripped:
            yield MdLine(number, "blank")
            continue
        if m := control_character(stripped, one_line=True):
            what = f"the line holds the control character U+{ord(m.group()):04X}"
            if problems is None:
                raise PlanImportError(path, what, line=number)
            problems.skipped(what, line=number, text=stripped)
            continue
        indent = len(line) - len(line.lstrip(" "))
        heading = _HEADING.match(stripped) if indent < 4 else None
        if heading:
            yield MdLine(number, "heading", indent, level=len(heading.group(1)), text=_heading_text(heading.group(2)))
            continue
        bullet = _BULLET.match(line)
        if not bullet:
            yield MdLine(number, "text", indent, text=stripped)
            continue
        body = bullet.group(2)
        box = _BOX.match(body)
        mark = box.group(1) if box else ""
        if box is None or (mark not in (" ", "x", "X") and (mark.isalnum() or len(mark) > 1)):
            yield MdLine(number, "bullet", indent, text=body.strip())
            continue
        if mark not in (" ", "x", "X"):
            shown = f"'[{mark}]'" if mark else "'[]'"
            what = f"unknown checkbox mark {shown} (use [ ] for open or [x] for done)"
            if problems is None:
                raise PlanImportError(path, what.replace(" (use", ": use").rstrip(")"), line=number)
            # The item's own text is what plan review offers to add as a task; the quote shows the mark.
            problems.warn(f"{what}; skipped '{quote(stripped)}'", line=number, text=(box.group(2) or "").strip())
            continue
        item = (box.group(2) or "").strip()
        if not item:
            if problems is None:
                raise PlanImportError(path, "checklist item has no text", line=number)
            problems.skipped("checklist item has no text", line=number, text=stripped)
            continue
        yield MdLine(number, "item", indent, done=mark in "xX", text=item)


def _heading_text(text: str) -> str:
    # A closing run of #s is dropped when a space precedes it ("## Setup ##"), not in "## C#".
    bare = text.rstrip("#")
    return bare.rstrip() if bare != text and (not bare or bare[-1] == " ") else text
