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
  - Ordered lists (`1. [ ] ...`) are lists like any other. An item's parent is its nearest checkbox
    ancestor by indentation: a plain bullet between them ("- Backend:" with items under it) is not
    a parent, and does not make its items children of the item above it.
  - A wrapped item: an indented line that goes on in lower case (or after a title ending in a comma
    or a dash) joins the title until the first sentence ends; the rest is the description.
  - The agent type comes from the classifier; an item that gives it nothing to go on takes its
    parent's type.
  - [x] / [X] is done. A strange mark ([-], [~], []) or an empty item is skipped with a warning
    naming file:line, and a title past the limit is cut with one. Items nested deeper than
    MAX_NESTING levels, and the other shared limits (plan.model), refuse the file.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from codeframe_tui.domain import AgentType, NewTask, TaskStatus
from codeframe_tui.plan.classify import classify_agent_type, find_paths
from codeframe_tui.plan.markdown import scan
from codeframe_tui.plan.model import (
    MAX_NESTING,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    ImportedPlan,
    PlanImportError,
    Problems,
    check_count,
)
from codeframe_tui.plan.order import Deps, chain, merge

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
    wrapping: bool = True  # its title may still go on, on the next indented line


@dataclass
class _Plain:
    """A plain bullet in the chain of parents: items under it are not its children (it is no task)."""

    indent: int


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


_WRAPPED_TITLE_CHARS = 400  # a line that would make the title longer is a description: no one wraps a title so far


def _continues(item: _Item, text: str) -> bool:
    """Whether an indented line goes on with the item's title rather than start its description."""
    return (item.wrapping and not item.notes and len(item.title) + len(text) < _WRAPPED_TITLE_CHARS
            and (text[:1].islower() or item.title.rstrip()[-1:] in ",;-–—"))


def _wrap(item: _Item, text: str) -> None:
    end = _SENTENCE_END.search(text)
    head, rest = (text, "") if end is None else (text[: end.end()], text[end.end():].strip())
    item.title = f"{item.title} {head}"
    if end is not None:
        item.wrapping = False
        if rest:
            item.notes.append(rest)


def _read_items(path: Path, text: str, problems: Problems) -> tuple[list[_Item], list[tuple[str, str]]]:
    roots: list[_Item] = []
    stack: list[_Item | _Plain] = []  # the open chain of parents and plain bullets, shallowest first
    issues: list[tuple[str, str]] = []
    heading = ""  # the current heading's text, made an issue once it holds an item
    issue = ""
    last: _Item | None = None
    count = 0
    for ln in scan(path, text, problems):
        if ln.kind == "heading":
            heading, issue, stack, last = _fit(problems, "heading title", ln.text, ln.number), "", [], None
            continue
        if ln.kind == "item":
            title = _PARALLEL.sub("", ln.text)
            if not title:
                problems.skipped("checklist item has no text", line=ln.number, text=ln.text)
                continue
            if heading and not issue:
                issue = str(len(issues) + 1)
                issues.append((issue, heading))
            while stack and stack[-1].indent >= ln.indent:
                stack.pop()
            parents = [p for p in stack if isinstance(p, _Item)]
            if len(parents) >= MAX_NESTING:
                # _order and _flatten recurse once a level; past this it is not a checklist anyway.
                raise PlanImportError(path, f"items nest deeper than {MAX_NESTING} levels", line=ln.number)
            count += 1
            check_count(path, count, line=ln.number)
            parent = parents[-1] if parents else None
            siblings = parent.children if parent else roots
            prefix = parent.key + "." if parent else ""
            last = _Item(f"{prefix}{len(siblings) + 1}", ln.number, ln.indent, ln.done,
                         title != ln.text, _fit(problems, "title", title, ln.number), issue)
            last.wrapping = _SENTENCE_END.search(title) is None
            siblings.append(last)
            stack.append(last)
        elif ln.kind == "bullet":
            if last is not None and ln.indent > last.indent:
                last.notes.append(ln.text)
                last.wrapping = False
            while stack and stack[-1].indent >= ln.indent:
                stack.pop()
            stack.append(_Plain(ln.indent))
        elif ln.kind == "text":
            if last is not None and ln.indent > last.indent:
                if _continues(last, ln.text):
                    _wrap(last, ln.text)
                    last.title = _fit(problems, "title", last.title, last.line)
                else:
                    last.notes.append(ln.text)
                    last.wrapping = False
            else:
                last = None  # a paragraph between items ends the item's description
    return roots, issues


def _fit(problems: Problems, what: str, text: str, line: int) -> str:
    return problems.fit(what, text, MAX_TITLE_CHARS, line=line)


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


def parse_checklist(path: Path, text: str, problems: Problems | None = None) -> ImportedPlan:
    """Build the plan from a markdown checklist's text; `path` is for messages."""
    problems = problems if problems is not None else Problems()
    roots, issues = _read_items(path, text, problems)
    if not roots:
        raise PlanImportError(path, "no checklist items found (expected lines like '- [ ] Do something')")
    deps: Deps = {}
    _order(roots, (), deps)
    tasks: list[NewTask] = []
    kinds: dict[str, AgentType] = {}
    for item in _flatten(roots):
        description = problems.fit("description", "\n".join(item.notes), MAX_TEXT_CHARS, line=item.line)
        files = find_paths(f"{item.title}\n{description}")
        parent = kinds.get(item.key.rpartition(".")[0], AgentType.BACKEND)
        kinds[item.key] = classify_agent_type(item.title, description, default=parent)
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
