"""One spec-kit task line: its id, the tags and marks before its title wherever they sit, its priority.

Real files put more than `[P] [US1]` between the id and the title: an emoji status (`✅ [P] …`), a
priority (`[P1]`, `(P0 - Critical)`), or the tags before the id (`- [ ] [P] T012 …`). All of them are
read off the front; the title is what is left. A placeholder id (`TXXX`, `T###`) is a template's, and
an id that is there but not where it belongs is a corrupt line: both are the caller's to skip.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_TASK_ID = re.compile(r"(T\d+)(?=$|[\s:.)\]])[:.]?\s*")
_PLACEHOLDER = re.compile(r"T(?=[\dX#N?]*[X#N?])[\dX#N?]{2,}(?=$|[\s:.])", re.IGNORECASE)
_STRAY_ID = re.compile(r"\bT\d{2,}\b")
# "(depends on T005)", "Depends on: T003, T004", "after T012 and T013", "blocked by T2": the ids
# that follow, joined by commas, "and" or "&". A bare mention ("like T005 did") is not a dependency.
_STATED = re.compile(r"\b(?:depends\s+on|depend\s+on|dependencies|requires|after|blocked\s+by)\s*:?\s*"
                     r"(T\d+(?:\s*(?:,|&|\band\b)\s*T\d+)*)", re.IGNORECASE)
_TAG = re.compile(r"\[([^\]]*)\]\s*")
_STORY = re.compile(r"^US\d+$", re.IGNORECASE)
_PRIORITY_TAG = re.compile(r"^P(\d)$", re.IGNORECASE)  # [P1]; [P] alone is "parallel"
SKIP_TAGS = frozenset({"SKIP", "SKIPPED"})

# The forms seen in real files, tried in this order on a phase heading or a task's text.
_PRIORITY_FORMS = (
    re.compile(r"\(\s*Priority\s*:?\s*P(\d)\b[^)]*\)", re.IGNORECASE),            # (Priority: P1)
    re.compile(r"\(\s*P(\d)\b(?:\s*[-–—:,]\s*[^)]*)?\)"),                          # (P1), (P0 - Critical)
    re.compile(r"\bPriority\s*:?\s*P(\d)\b", re.IGNORECASE),                        # Priority: P2
    re.compile(r"\bPriority\s*:?\s*(critical|urgent|high|medium|normal|low)\b", re.IGNORECASE),
    re.compile(r"\(\s*(critical|urgent|high|medium|normal|low)\s+priority\s*\)", re.IGNORECASE),
)
_WORD_LEVEL = {"critical": "high", "urgent": "high", "high": "high", "medium": "medium", "normal": "medium",
               "low": "low"}


def level(number: int) -> str:
    """P0 and P1 are high, P2 medium, P3 and later low."""
    return "high" if number <= 1 else "medium" if number == 2 else "low"


def priority_of(text: str) -> str | None:
    """The priority a heading or a task states, in any of the common forms; None when it states none."""
    for form in _PRIORITY_FORMS:
        if m := form.search(text):
            word = m.group(1)
            return level(int(word)) if word.isdigit() else _WORD_LEVEL[word.lower()]
    return None


@dataclass
class TaskLine:
    key: str
    title: str
    tags: list[str] = field(default_factory=list)  # every bracket tag, as written
    marks: str = ""  # emoji or symbols read off the front (a status someone drew)

    @property
    def parallel(self) -> bool:
        return any(t.upper() == "P" for t in self.tags)

    @property
    def story(self) -> str:
        return next((t.upper() for t in self.tags if _STORY.match(t)), "")

    @property
    def skipped(self) -> bool:
        return any(t.upper() in SKIP_TAGS for t in self.tags)

    @property
    def priority(self) -> str | None:
        tagged = next((int(m.group(1)) for t in self.tags if (m := _PRIORITY_TAG.match(t))), None)
        return level(tagged) if tagged is not None else priority_of(self.title)

    @property
    def other_tags(self) -> list[str]:
        """The tags that are not read into a field: kept in `extra`."""
        story = self.story
        return [t for t in self.tags if t.upper() != "P" and t.upper() != story and t.upper() not in SKIP_TAGS
                and not _PRIORITY_TAG.match(t)]


def _front(text: str, pos: int, tags: list[str], marks: list[str]) -> int:
    """Read tags and emoji from `pos` on; return where the rest starts."""
    while pos < len(text):
        if m := _TAG.match(text, pos):
            tags.append(m.group(1).strip())
            pos = m.end()
        elif unicodedata.category(text[pos]) in ("So", "Sk", "Mn", "Cf"):
            marks.append(text[pos])
            pos += 1
            while pos < len(text) and text[pos] == " ":
                pos += 1
        else:
            break
    return pos


def read_task(text: str) -> TaskLine | str | None:
    """The task on a checkbox line's text; a string saying why the line is not one (a placeholder or a
    corrupt id); None when it holds no task id at all (a checklist item)."""
    tags: list[str] = []
    marks: list[str] = []
    pos = _front(text, 0, tags, marks)
    m = _TASK_ID.match(text, pos)
    if m is None:
        if p := _PLACEHOLDER.match(text, pos):
            return f"placeholder task id {p.group()} (a template's example)"
        if _STRAY_ID.search(text[:40]):
            return "the task id is not where it belongs (expected '- [ ] T001 …')"
        return None
    pos = _front(text, m.end(), tags, marks)
    return TaskLine(m.group(1), text[pos:].strip(), tags, "".join(marks).strip())


def stated_dependencies(text: str) -> list[str]:
    """The task ids a task's text says it depends on, in order, without repeats."""
    found: dict[str, None] = {}
    for m in _STATED.finditer(text):
        for key in re.findall(r"T\d+", m.group(1)):
            found[key] = None
    return list(found)
