"""Reads a markdown checklist: items are tasks, nested items subtasks, headings issues, [x] done.

Decisions (the same as spec-kit's and Task Master's, so the three read alike):
  - Keys number the items in document order: "1", "2" at the top, "1.1", "1.2" under item 1, and so
    on; numbering runs through the whole file, not per heading.
  - Siblings run in listed order (each waits for the one before), since a checklist says nothing
    about parallelism and order is the safe reading; a leading "[P]" on an item marks it parallel,
    with spec-kit's rule (see plan.order.chain). Headings do not break the order.
  - A parent stays a task and is its children's completion point: it depends on its own
    predecessor and on its last child (its exits); its first child waits for what the parent waits
    for. Dependents of the parent thus wait for all its children.
  - Headings that hold items become issues "1", "2"... (their text is the title); items above the
    first heading have no issue. Indented text under an item is its description.
  - The agent type comes from the classifier; an item that gives it nothing to go on takes its
    parent's type.
  - [x] / [X] is done. A strange mark ([-], [~], []) or an empty item is an error naming file:line,
    as are items nested deeper than MAX_NESTING levels and the other shared limits (plan.model).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from codeframe_tui.domain import AgentType, TaskStatus
from codeframe_tui.plan.classify import classify_agent_type, find_paths
from codeframe_tui.plan.markdown import scan
from codeframe_tui.plan.model import (
    MAX_NESTING,
    ImportedPlan,
    PlanImportError,
    check_count,
    check_text,
    check_title,
)
from codeframe_tui.plan.order import Deps, chain, merge
from codeframe_tui.store.repos import NewTask

log = logging.getLogger(__name__)

_PARALLEL = re.compile(r"^\[P\]\s*")


@dataclass
class _Item:
    key: str
    line: int
    indent: int
    done: bool
    parallel: bool
    title: str
    issue: str
    notes: list[str] = field(default_factory=list)
    children: list[_Item] = field(default_factory=list)


def _read_items(path: Path, text: str) -> tuple[list[_Item], list[tuple[str, str]]]:
    roots: list[_Item] = []
    stack: list[_Item] = []  # the open chain of parents, shallowest first
    issues: list[tuple[str, str]] = []
    heading = ""  # the current heading's text, made an issue once it holds an item
    issue = ""
    last: _Item | None = None
    count = 0
    for ln in scan(path, text):
        if ln.kind == "heading":
            heading, issue, stack, last = check_title(path, ln.text, line=ln.number), "", [], None
            continue
        if ln.kind == "item":
            if heading and not issue:
                issue = str(len(issues) + 1)
                issues.append((issue, heading))
            while stack and stack[-1].indent >= ln.indent:
                stack.pop()
            if len(stack) >= MAX_NESTING:
                # _order and _flatten recurse once a level; past this it is not a checklist anyway.
                raise PlanImportError(path, f"items nest deeper than {MAX_NESTING} levels", line=ln.number)
            count += 1
            check_count(path, count, line=ln.number)
            siblings = stack[-1].children if stack else roots
            prefix = stack[-1].key + "." if stack else ""
            title = _PARALLEL.sub("", ln.text)
            if not title:
                raise PlanImportError(path, "checklist item has no text", line=ln.number)
            check_title(path, title, line=ln.number)
            last = _Item(f"{prefix}{len(siblings) + 1}", ln.number, ln.indent, ln.done,
                         title != ln.text, title, issue)
            siblings.append(last)
            stack.append(last)
        elif ln.kind in ("bullet", "text"):
            if last is not None and ln.indent > last.indent:
                last.notes.append(ln.text)
            elif ln.kind == "text":
                last = None  # a paragraph between items ends the item's description
    return roots, issues


def _order(items: list[_Item], after: tuple[str, ...], deps: Deps) -> tuple[str, ...]:
    """Fill `deps` for `items` and their descendants; return the exits of `items`."""
    own, exits = chain([(i.key, i.parallel) for i in items], after)
    for item in items:
        if item.children:
            child_exits = _order(item.children, own[item.key], deps)
            deps[item.key] = merge(own[item.key], child_exits)
        else:
            deps[item.key] = own[item.key]
    return exits


def _flatten(items: list[_Item]) -> list[_Item]:
    out: list[_Item] = []
    for item in items:
        out.append(item)
        out.extend(_flatten(item.children))
    return out


def parse_checklist(path: Path, text: str) -> ImportedPlan:
    """Build the plan from a markdown checklist's text; `path` is for messages."""
    roots, issues = _read_items(path, text)
    if not roots:
        raise PlanImportError(path, "no checklist items found (expected lines like '- [ ] Do something')")
    deps: Deps = {}
    _order(roots, (), deps)
    tasks: list[NewTask] = []
    kinds: dict[str, AgentType] = {}
    for item in _flatten(roots):
        description = check_text(path, "description", "\n".join(item.notes), line=item.line)
        files = find_paths(f"{item.title}\n{description}")
        parent = kinds.get(item.key.rpartition(".")[0], AgentType.BACKEND)
        kinds[item.key] = classify_agent_type(item.title, description, files, default=parent)
        extra: dict = {"line": item.line}
        if item.parallel:
            extra["parallel"] = True
        if item.children:
            extra["subtasks"] = [c.key for c in item.children]
        tasks.append(NewTask(
            key=item.key, title=item.title, description=description,
            agent_type=kinds[item.key],
            depends_on=deps[item.key], issue_key=item.issue, files=files,
            status=TaskStatus.DONE if item.done else TaskStatus.PROPOSED, extra=extra,
        ))
    log.debug("checklist %s: %d tasks, %d issues", path, len(tasks), len(issues))
    return ImportedPlan(path, "checklist", tuple(issues), tuple(tasks))
