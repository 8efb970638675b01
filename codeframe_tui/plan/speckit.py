"""Reads a spec-kit tasks.md: phases in order, [P] tasks in parallel, [X] done, stories and paths kept.

Ordering rules (the graph says exactly this, with few edges):
  - Phases run in document order. The first group of a phase (its first sequential task, or its first
    run of [P] tasks) depends on the exits of the phase before: its last group, which transitively
    waits for every task of that phase. So "all of phase N before any of phase N+1" holds, and the
    edges between two phases are (size of N's last group) x (size of N+1's first group), not N x N+1.
  - Within a phase, consecutive [P] tasks form a parallel run: each depends on what came just before
    the run (the previous sequential task, or the previous phase's exits), not on each other.
  - A task without [P] runs in listed order: it depends on the task before it, or on every task of
    the [P] run just before it (a join). See plan.order.chain.
  - Sub-headings (### Tests for User Story 1) do not break the order; they are kept as "section".

Other decisions:
  - [X] / [x] marks a task already done (status done); others start proposed. `- [SKIP] T022 …` is
    rejected, the reason kept, and no other task waits on it.
  - Tasks above every "##" heading form an implicit phase "0" that runs first (a short tasks.md
    without phases is then one phase). Tasks under a "##" heading that is not a phase ("## Setup")
    form a phase of their own, keyed by its line (L12), with a warning.
  - Checkbox items without a task id (a "## Validation Checklist", a "**Manual Testing**:" list) are
    not tasks: they become the feature's acceptance notes, one warning per list.
  - A phase title's priority (`(Priority: P1)`, `(P0 - Critical)`, `Priority: High`...) sets its tasks'
    priority: P0 and P1 high, P2 medium, P3 and later low; a task's own (`[P1]`) wins.
  - A dependency the text states ("(depends on T005)", "Depends on: T003, T004", "after T012") is
    an edge too, on top of the order, kept in extra["stated_deps"]: it may reach across phases. One
    that names no task, or closes a cycle, is left out by the importer, named.
  - The story tag ([US1]), [P], other bracket tags, the phase and the source line go in `extra`;
    paths mentioned in the text go in `files` and feed the agent-type classifier.
  - Lenient: what cannot be read with confidence is skipped (a placeholder id, a corrupt or duplicate
    id, a strange checkbox mark, a task without text, a control character) or read as something said
    (a task line without a checkbox is open; a title past the limit is cut), each with a warning that
    names file:line. Only too many tasks or phases refuses the file.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from codeframe_tui.domain import NewTask, TaskStatus
from codeframe_tui.plan.classify import classify_agent_type, find_paths
from codeframe_tui.plan.markdown import scan
from codeframe_tui.plan.model import (
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    ImportedPlan,
    PlanImportError,
    Problems,
    check_count,
    quote,
)
from codeframe_tui.plan.order import chain, merge
from codeframe_tui.plan.speckit_line import TaskLine, priority_of, read_task, stated_dependencies

log = logging.getLogger(__name__)

CONTEXT_NAMES = ("spec.md", "plan.md", "quickstart.md")

_PHASE = re.compile(r"^Phase\s+(\d+(?:\.\d+)*|[A-Za-z])(?=$|[\s:.\-–—])[\s:.\-–—]*(.*)$", re.IGNORECASE)
_LABEL = re.compile(r"^\*\*(.+?)\*\*\s*:?\s*$")  # "**Manual Testing Checklist**:" heads a list
# [ \t], not \s: under MULTILINE "^\s*" ran across every blank line from each one, quadratic in the file.
_SPECKIT_TASK_LINE = re.compile(r"^[ \t]*[-*+][ \t]+\[[ xX]\][ \t]+(?:\[[^\]\n]*\][ \t]*)*T\d+\b", re.MULTILINE)
_PHASE_LINE = re.compile(r"^##[ \t]+Phase[ \t]+\S", re.MULTILINE | re.IGNORECASE)


def looks_like_speckit(text: str, name: str = "") -> bool:
    """A checkbox task with a T-id, and either a "## Phase" heading or the file name tasks.md."""
    return bool(_SPECKIT_TASK_LINE.search(text)) and (name == "tasks.md" or bool(_PHASE_LINE.search(text)))


@dataclass
class _Task:
    line: int
    indent: int
    done: bool
    read: TaskLine
    section: str
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.read.key


@dataclass
class _Phase:
    key: str
    title: str
    tasks: list[_Task] = field(default_factory=list)


@dataclass
class _Checklist:
    """Checkbox items without task ids under one heading or label: acceptance notes, not tasks."""

    label: str
    items: list[tuple[int, bool, str]] = field(default_factory=list)


class _Reader:
    """One pass over the lines; every problem goes to `problems`, and the reading goes on."""

    def __init__(self, path: Path, problems: Problems) -> None:
        self.path = path
        self.problems = problems
        self.phases: list[_Phase] = []
        self.phase_lines: dict[str, int] = {}
        self.phase: _Phase | None = None
        self.other_heading: tuple[int, str] | None = None  # the "##" heading that is not a phase, if under one
        self.section = ""
        self.label = ""  # the heading or bold label the next checklist items belong to
        self.first_line: dict[str, int] = {}
        self.last: _Task | None = None
        self.checklists: list[_Checklist] = []

    def fit(self, what: str, text: str, line: int) -> str:
        return self.problems.fit(what, text, MAX_TITLE_CHARS, line=line)

    def heading(self, number: int, level: int, text: str) -> None:
        self.last = None
        title = self.fit("heading title", text, number)
        self.label = title
        if level == 1:  # the document's title ("# Tasks: Feature X")
            return
        if level > 2:
            self.section = title
            return
        self.section = ""
        m = _PHASE.match(title)
        if m is None:
            self.phase, self.other_heading = None, (number, title)
            return
        key = m.group(1).upper() if m.group(1).isalpha() else m.group(1)
        if key in self.phase_lines:
            again = next(f"{key}{c}" for c in "bcdefghijklmnopqrstuvwxyz" + "0123456789"
                         if f"{key}{c}" not in self.phase_lines) if len(self.phase_lines) < 10_000 else f"L{number}"
            self.problems.warn(f"phase {key} appears twice (first at line {self.phase_lines[key]}): "
                               f"this one is read as phase {again}", line=number)
            key = again
        self._open_phase(key, m.group(2).strip() or f"Phase {key}", number)

    def _open_phase(self, key: str, title: str, number: int) -> _Phase:
        self.phase, self.other_heading = _Phase(key, title), None
        self.phases.append(self.phase)
        self.phase_lines[key] = number
        check_count(self.path, len(self.phases), what="phases", line=number)
        return self.phase

    def item(self, number: int, indent: int, done: bool, text: str) -> None:
        read = read_task(text)
        if read is None:
            self._checklist_item(number, done, text)
            return
        if isinstance(read, str):
            self.problems.skipped(read, line=number, text=text)
            return
        self._task(number, indent, done, read, text)

    def _checklist_item(self, number: int, done: bool, text: str) -> None:
        self.last = None
        label = self.label or "(no heading)"
        if not self.checklists or self.checklists[-1].label != label:
            self.checklists.append(_Checklist(label))
        self.checklists[-1].items.append((number, done, text))

    def _task(self, number: int, indent: int, done: bool, read: TaskLine, text: str) -> None:
        key = read.key
        if len(key) > MAX_NAME_CHARS:
            self.problems.skipped(f"task id is {len(key):,} characters, at most {MAX_NAME_CHARS}", line=number,
                                  text=text)
            return
        if key in self.first_line:
            self.problems.skipped(f"duplicate task id {key} (first at line {self.first_line[key]})", line=number,
                                  text=text)
            return
        if not read.title:
            self.problems.skipped(f"task {key} has no description", line=number, text=text)
            return
        read.title = self.fit("title", read.title, number)
        self.first_line[key] = number
        check_count(self.path, len(self.first_line), line=number)
        if self.phase is None:
            if self.other_heading is not None:
                at, title = self.other_heading
                self.problems.warn(f"tasks under '## {quote(title, 60)}' (line {at}), which is not a 'Phase N' "
                                   f"heading: read as a phase of their own, L{at}", line=number)
                self._open_phase(f"L{at}", title, at)
            else:
                self._open_phase("0", "Tasks before the first phase", number)
        assert self.phase is not None
        self.last = _Task(number, indent, done, read, self.section)
        self.phase.tasks.append(self.last)

    def bullet(self, number: int, indent: int, text: str) -> None:
        read = read_task(text)
        if isinstance(read, TaskLine) and indent == 0 and (read.skipped or text.lstrip().startswith("T")):
            if not read.skipped:
                self.problems.warn(f"task {read.key} has no checkbox: read as open", line=number)
            self._task(number, indent, False, read, text)
            return
        if self.last is not None and indent > self.last.indent:
            self.last.notes.append(text)

    def text(self, indent: int, text: str) -> None:
        if self.last is not None and indent > self.last.indent:
            self.last.notes.append(text)
            return
        self.last = None  # a paragraph ("**Checkpoint**: ...") ends a task's continuation lines
        if m := _LABEL.match(text):
            self.label = m.group(1).strip().rstrip(":")


def _read(path: Path, text: str, problems: Problems) -> _Reader:
    reader = _Reader(path, problems)
    for ln in scan(path, text, problems):
        if ln.kind == "heading":
            reader.heading(ln.number, ln.level, ln.text)
        elif ln.kind == "item":
            reader.item(ln.number, ln.indent, ln.done, ln.text)
        elif ln.kind == "bullet":
            reader.bullet(ln.number, ln.indent, ln.text)
        elif ln.kind == "text":
            reader.text(ln.indent, ln.text)
    return reader


def _acceptance(checklists: list[_Checklist], problems: Problems) -> str:
    """The checklists as one markdown note, each named in a warning."""
    parts = []
    for checklist in checklists:
        lines = [n for n, _, _ in checklist.items]
        span = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"
        problems.warn(f"{len(lines)} checklist item(s) without task ids under '{quote(checklist.label, 60)}' "
                      f"({span}): kept as the feature's acceptance notes, not tasks", line=lines[0])
        parts.append(f"### {checklist.label}\n" + "\n".join(f"- [{'x' if done else ' '}] {item}"
                                                           for _, done, item in checklist.items))
    note = "\n\n".join(parts)
    return note if len(note) <= MAX_TEXT_CHARS else note[: MAX_TEXT_CHARS - 1] + "…"


def parse_speckit(path: Path, text: str, problems: Problems | None = None) -> ImportedPlan:
    """Build the plan from a tasks.md's text; `path` is for messages and for finding spec.md beside it."""
    problems = problems if problems is not None else Problems()
    reader = _read(path, text, problems)
    phases = reader.phases
    if not any(p.tasks for p in phases):
        raise PlanImportError(path, "no tasks found (expected lines like '- [ ] T001 ...' under '## Phase 1: ...')")
    acceptance = _acceptance(reader.checklists, problems)
    tasks: list[NewTask] = []
    exits: tuple[str, ...] = ()
    skipped = {t.key for phase in phases for t in phase.tasks if t.read.skipped}
    for phase in phases:
        # A skipped task is in no one's way: the order runs past it.
        deps, exits = chain([(t.key, t.read.parallel) for t in phase.tasks if not t.read.skipped], exits)
        phase_priority = priority_of(phase.title) or "medium"
        for t in phase.tasks:
            tasks.append(_new_task(path, phase, t, deps.get(t.key, ()), phase_priority, problems, skipped))
    folder = path.parent
    context = tuple(folder / name for name in CONTEXT_NAMES if (folder / name).is_file())
    log.debug("spec-kit %s: %d phases, %d tasks, context %s", path, len(phases), len(tasks), context)
    return ImportedPlan(path, "speckit", tuple((p.key, p.title) for p in phases), tuple(tasks), context,
                        acceptance=acceptance)


def _new_task(path: Path, phase: _Phase, t: _Task, deps: tuple[str, ...], phase_priority: str,
              problems: Problems, skipped: set[str]) -> NewTask:
    read = t.read
    description = problems.fit(f"task {read.key}'s description", "\n".join(t.notes), MAX_TEXT_CHARS, line=t.line)
    files = find_paths(f"{read.title}\n{description}")
    extra: dict = {"phase": phase.key, "parallel": read.parallel, "line": t.line}
    stated = []
    for key in stated_dependencies(f"{read.title}\n{description}"):
        if key in skipped and not read.skipped:
            problems.warn(f"task {read.key} says it depends on {key}, which is marked [SKIP]: that dependency is"
                          " left out", line=t.line, task=read.key)
        elif key != read.key:
            stated.append(key)
    if stated:
        extra["stated_deps"] = stated
        deps = merge(deps, tuple(stated))
    if read.story:
        extra["story"] = read.story
    if read.other_tags:
        extra["tags"] = read.other_tags
    if read.marks:
        extra["marks"] = read.marks
    if t.section:
        extra["section"] = t.section
    status, reason = TaskStatus.DONE if t.done else TaskStatus.PROPOSED, ""
    if read.skipped:
        status, reason = TaskStatus.REJECTED, f"marked [SKIP] at {path.name}:{t.line}"
    return NewTask(
        key=read.key, title=read.title, description=description,
        agent_type=classify_agent_type(read.title, description),
        depends_on=deps, issue_key=phase.key, priority=read.priority or phase_priority, files=files,
        status=status, extra=extra, reason=reason,
    )
