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
  - [X] / [x] marks a task already done (status done); others start proposed.
  - Tasks above every "##" heading form an implicit phase "0" that runs first (a short tasks.md
    without phases is then one phase). A task under a "##" heading that is not a phase ("## Notes",
    "## Format") is an error: it is not clear which phase it belongs to.
  - A phase title's "(Priority: P1)" sets its tasks' priority: P1 high, P2 medium, P3 and later low.
  - The story tag ([US1]), [P], other bracket tags, the phase and the source line go in `extra`;
    paths mentioned in the text go in `files` and feed the agent-type classifier.
  - Malformed: a checkbox without a T-id, a duplicate id, a task line without a checkbox, a strange
    checkbox mark, a task without text; past the shared limits (plan.model), a title or heading too
    long, a control character on a line, too many tasks or phases. Each names file:line.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from codeframe_tui.domain import TaskStatus
from codeframe_tui.plan.classify import classify_agent_type, find_paths
from codeframe_tui.plan.markdown import scan
from codeframe_tui.plan.model import (
    MAX_NAME_CHARS,
    ImportedPlan,
    PlanImportError,
    check_count,
    check_text,
    check_title,
)
from codeframe_tui.plan.order import chain
from codeframe_tui.store.repos import NewTask

log = logging.getLogger(__name__)

CONTEXT_NAMES = ("spec.md", "plan.md", "quickstart.md")

_PHASE = re.compile(r"^Phase\s+(\d+(?:\.\d+)*|[A-Za-z])(?=$|[\s:.\-–—])[\s:.\-–—]*(.*)$", re.IGNORECASE)
_TASK_ID = re.compile(r"^(T\d+)(?=$|[\s:.])[:.]?\s*(.*)$")
_TAG = re.compile(r"\[([^\]]*)\]\s*")
_STORY = re.compile(r"^US\d+$", re.IGNORECASE)
_PRIORITY = re.compile(r"\(Priority:\s*P(\d+)\)", re.IGNORECASE)
# [ \t], not \s: under MULTILINE "^\s*" ran across every blank line from each one, quadratic in the file.
_SPECKIT_TASK_LINE = re.compile(r"^[ \t]*[-*+][ \t]+\[[ xX]\][ \t]+T\d+\b", re.MULTILINE)
_PHASE_LINE = re.compile(r"^##[ \t]+Phase[ \t]+\S", re.MULTILINE | re.IGNORECASE)


def looks_like_speckit(text: str, name: str = "") -> bool:
    """A checkbox task with a T-id, and either a "## Phase" heading or the file name tasks.md."""
    return bool(_SPECKIT_TASK_LINE.search(text)) and (name == "tasks.md" or bool(_PHASE_LINE.search(text)))


@dataclass
class _Task:
    key: str
    line: int
    indent: int
    done: bool
    parallel: bool
    story: str
    tags: list[str]
    title: str
    section: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Phase:
    key: str
    title: str
    tasks: list[_Task] = field(default_factory=list)


def _split_tags(text: str) -> tuple[list[str], str]:
    tags = []
    pos = 0  # an index, not re-slicing: a line of many tags stays linear
    while m := _TAG.match(text, pos):
        tags.append(m.group(1).strip())
        pos = m.end()
    return tags, text[pos:].strip()


def _read_phases(path: Path, text: str) -> list[_Phase]:
    phases: list[_Phase] = []
    phase_keys: set[str] = set()  # a set: scanning the list for each heading was quadratic
    phase: _Phase | None = None
    other_heading = ""  # the last "##" heading that was not a phase, while we are under it
    section = ""
    first_line: dict[str, int] = {}
    last: _Task | None = None
    for ln in scan(path, text):
        if ln.kind == "heading":
            last = None
            check_title(path, ln.text, line=ln.number)  # phase titles and sections are shown
            if ln.level == 2:
                section = ""
                m = _PHASE.match(ln.text)
                if m is None:
                    phase, other_heading = None, ln.text
                    continue
                key = m.group(1).upper() if m.group(1).isalpha() else m.group(1)
                if key in phase_keys:
                    raise PlanImportError(path, f"phase {key} appears twice"
                                          + (" (tasks above the first phase form phase 0)" if key == "0" else ""),
                                          line=ln.number)
                phase, other_heading = _Phase(key, m.group(2).strip() or f"Phase {key}"), ""
                phases.append(phase)
                phase_keys.add(key)
                check_count(path, len(phases), what="phases", line=ln.number)
            elif ln.level > 2:
                section = ln.text
            continue
        if ln.kind == "item":
            m = _TASK_ID.match(ln.text)
            if m is None:
                raise PlanImportError(path, "checkbox item has no task id (expected '- [ ] T001 ...')", line=ln.number)
            key = m.group(1)
            if len(key) > MAX_NAME_CHARS:
                raise PlanImportError(path, f"task id is {len(key):,} characters; at most {MAX_NAME_CHARS}",
                                      line=ln.number)
            if key in first_line:
                raise PlanImportError(path, f"duplicate task id {key} (first at line {first_line[key]})",
                                      line=ln.number)
            first_line[key] = ln.number
            check_count(path, len(first_line), line=ln.number)
            tags, title = _split_tags(m.group(2))
            if not title:
                raise PlanImportError(path, f"task {key} has no description", line=ln.number)
            check_title(path, title, line=ln.number)
            if phase is None:
                if other_heading:
                    raise PlanImportError(path, f"task {key} is under '## {other_heading}', which is not a phase"
                                          " (expected '## Phase N: ...' above it)", line=ln.number)
                phase = _Phase("0", "Tasks before the first phase")
                phases.append(phase)
                phase_keys.add("0")
            story = next((t.upper() for t in tags if _STORY.match(t)), "")
            rest = [t for t in tags if t != "P" and t.upper() != story]
            last = _Task(key, ln.number, ln.indent, ln.done, "P" in tags, story, rest, title, section)
            phase.tasks.append(last)
        elif ln.kind == "bullet":
            _, rest = _split_tags(ln.text)
            if phase is not None and _TASK_ID.match(rest) and ln.indent == 0:
                raise PlanImportError(path, f"task {_TASK_ID.match(rest).group(1)} has no checkbox"
                                      " (expected '- [ ] T001 ...')", line=ln.number)
            if last is not None and ln.indent > last.indent:
                last.notes.append(ln.text)
        elif ln.kind == "text":
            if last is not None and ln.indent > last.indent:
                last.notes.append(ln.text)
            else:
                last = None  # a paragraph ("**Checkpoint**: ...") ends a task's continuation lines
    return phases


def _priority(phase_title: str) -> str:
    m = _PRIORITY.search(phase_title)
    if m is None:
        return "medium"
    level = int(m.group(1))
    return "high" if level <= 1 else "medium" if level == 2 else "low"


def parse_speckit(path: Path, text: str) -> ImportedPlan:
    """Build the plan from a tasks.md's text; `path` is for messages and for finding spec.md beside it."""
    phases = _read_phases(path, text)
    if not any(p.tasks for p in phases):
        raise PlanImportError(path, "no tasks found (expected lines like '- [ ] T001 ...' under '## Phase 1: ...')")
    tasks: list[NewTask] = []
    exits: tuple[str, ...] = ()
    for phase in phases:
        deps, exits = chain([(t.key, t.parallel) for t in phase.tasks], exits)
        priority = _priority(phase.title)
        for t in phase.tasks:
            description = check_text(path, "description", "\n".join(t.notes), line=t.line)
            files = find_paths(f"{t.title}\n{description}")
            extra: dict = {"phase": phase.key, "parallel": t.parallel, "line": t.line}
            if t.story:
                extra["story"] = t.story
            if t.tags:
                extra["tags"] = t.tags
            if t.section:
                extra["section"] = t.section
            tasks.append(NewTask(
                key=t.key, title=t.title, description=description,
                agent_type=classify_agent_type(t.title, description, files),
                depends_on=deps[t.key], issue_key=phase.key, priority=priority, files=files,
                status=TaskStatus.DONE if t.done else TaskStatus.PROPOSED, extra=extra,
            ))
    folder = path.parent
    context = tuple(folder / name for name in CONTEXT_NAMES if (folder / name).is_file())
    log.debug("spec-kit %s: %d phases, %d tasks, context %s", path, len(phases), len(tasks), context)
    return ImportedPlan(path, "speckit", tuple((p.key, p.title) for p in phases), tuple(tasks), context)
