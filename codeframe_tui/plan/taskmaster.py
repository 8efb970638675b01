"""Reads a Task Master tasks.json (tagged or legacy): tasks, subtasks, their dependencies and statuses.

Decisions:
  - Form: `{"tasks": [...]}` (beside it only "meta"/"metadata") is legacy; otherwise every top-level
    key must be a tag, an object holding a "tasks" list: other top-level structure is an error. The
    tag is the one asked for, else "master", else the only one; an unknown or ambiguous tag is an
    error that lists the tags. The tag becomes the plan's one issue (its metadata
    description, when present, is the issue title).
  - Keys: top tasks "1", "2"; subtasks "1.1", "1.2". Ids may be ints or digit strings.
  - Dependencies: a top task's int N (or "N") is task N, a "P.S" string is that subtask. A subtask's
    int N (or "N") is its sibling P.N; a "P.S" string is that task.
  - A parent with subtasks stays a task (nothing of it is lost) and becomes their completion point:
    it depends on its exit subtasks (those no sibling depends on), which transitively wait for all of
    them, plus its own dependencies. Its entry subtasks (those with no sibling dependency) inherit the
    parent's dependencies, so no subtask starts before its parent's prerequisites are done.
  - Status, every one tm-core writes: done and completed -> done; pending -> proposed; in-progress,
    review, blocked and deferred -> proposed with the source status kept in extra["source_status"]
    (every imported task starts proposed so the person reviews it); cancelled -> rejected
    (extra["source_status"] = "cancelled"): rejected is the plan-review state, visible to the person,
    reversible (rejected -> proposed), and its dependents cannot start, which is what a cancelled
    prerequisite means. Any other string is read as proposed, kept, with a warning.
  - A duplicate id (a task's, or a subtask's among its siblings) is renumbered after the highest
    one, with a warning; dependencies on that id mean the first of them.
  - details are appended to the description (the worker reads it); testStrategy -> test_strategy;
    priority is kept (default medium; a subtask without one takes its parent's); a subtask has
    extra["parent"], a parent extra["subtasks"]; "agentType" or
    "agent_type", when present, sets the agent type, else the classifier decides from title and
    description (a subtask it cannot place takes its parent's type).
  - Unknown fields: Task Master adds fields between versions (complexity, acceptanceCriteria,
    parentTaskId...), so a task's unknown field is kept in extra, not refused. Kept data is still
    bounded: at most MAX_TEXT_CHARS of JSON, no control characters, nested no deeper than the whole
    file (MAX_NESTING). A field the engine keeps on a task itself (_RESERVED: context_files puts a
    file in the worker's prompt, budget raises a cap) is refused: a plan must not steer a run.
  - A known field of the wrong type, or a title, text, status or priority past the shared limits of
    plan.model or holding a control character, cannot be read with confidence: that task (with its
    subtasks) or that subtask is skipped, named, and the rest imports. A dependency that is not an id
    is left out, named. A problem of the whole file (not JSON, too many tasks) still refuses it, as
    does any warning under --strict.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from pathlib import Path

from codeframe_tui.domain import AgentType, NewTask, TaskStatus
from codeframe_tui.plan.classify import classify_agent_type
from codeframe_tui.plan.model import (
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    ImportedPlan,
    PlanImportError,
    Problems,
    check_count,
    check_text,
    check_title,
    control_character,
)
from codeframe_tui.plan.order import merge
from codeframe_tui.plan.taskmaster_file import issue_title, load_json, select

log = logging.getLogger(__name__)

_KNOWN = frozenset({"id", "title", "description", "details", "testStrategy", "priority", "dependencies", "status",
                    "subtasks", "agentType", "agent_type"})
# Keys the engine itself keeps in a task's extra (landing, budgets, spec-kit context). Keep in step
# with the engine's set_extra calls.
_RESERVED = frozenset({"budget", "budget_declined", "branch", "context_files", "landed_commit", "undone_by"})
# tm-core's statuses (TaskStatus in its types); "completed" is written by some versions and tools for done.
_STATUS = {"done": TaskStatus.DONE, "completed": TaskStatus.DONE, "pending": TaskStatus.PROPOSED,
           "cancelled": TaskStatus.REJECTED, "in-progress": TaskStatus.PROPOSED, "review": TaskStatus.PROPOSED,
           "blocked": TaskStatus.PROPOSED, "deferred": TaskStatus.PROPOSED}
# ASCII digits, and few of them: str.isdigit() takes "²", which int() refuses, and a huge id is junk
# (int() refuses more than 4,300 digits).
_MAX_DIGITS = 18
_NUMBER = re.compile(rf"[0-9]{{1,{_MAX_DIGITS}}}")
_SUBTASK_ID = re.compile(rf"([0-9]{{1,{_MAX_DIGITS}}})\.([0-9]{{1,{_MAX_DIGITS}}})")


def _id(path: Path, value: object, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PlanImportError(path, f"id must be an integer, got {json.dumps(value)[:40]}", task=where)
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        raise PlanImportError(path, f"id must be an integer, got {json.dumps(value)[:40]}", task=where)
    if len(text) > _MAX_DIGITS:
        raise PlanImportError(path, f"id has {len(text):,} digits; at most {_MAX_DIGITS}", task=where)
    return str(int(text))


def _text(path: Path, raw: dict, name: str, key: str, *, required: bool = False) -> str:
    value = raw.get(name)
    if value is None:
        if required:
            raise PlanImportError(path, f"missing {name}", task=key)
        return ""
    if not isinstance(value, str):
        raise PlanImportError(path, f"{name} must be a string, got {json.dumps(value)[:40]}", task=key)
    if required and not value.strip():
        raise PlanImportError(path, f"{name} is empty", task=key)
    if name == "title":
        return check_title(path, value.strip(), task=key)
    return check_text(path, name, value.strip(), task=key)


def _word(path: Path, name: str, value: str, key: str) -> str:
    return check_text(path, name, value.strip(), limit=MAX_NAME_CHARS, one_line=True, task=key).lower()


def _deps(path: Path, raw: dict, key: str, parent: str | None, problems: Problems | None) -> tuple[str, ...]:
    """The dependencies as keys. One that is not an id is left out, named (an error without `problems`):
    the rest of the task is still read with confidence."""
    value = raw.get("dependencies", [])
    if value is None:
        return ()
    if not isinstance(value, list):
        raise PlanImportError(path, f"dependencies must be a list, got {json.dumps(value)[:40]}", task=key)
    out = []
    for dep in value:
        text = str(dep).strip() if isinstance(dep, int | str) and not isinstance(dep, bool) else ""
        if _NUMBER.fullmatch(text):
            out.append(f"{parent}.{int(text)}" if parent else str(int(text)))
        elif m := _SUBTASK_ID.fullmatch(text):
            out.append(f"{int(m.group(1))}.{int(m.group(2))}")
        elif problems is None:
            raise PlanImportError(path, f"dependency {json.dumps(dep)[:40]} is not a task id like 3 or '3.2'",
                                  task=key)
        else:
            problems.warn(f"dependency {json.dumps(dep)[:40]} is not a task id like 3 or '3.2': it is left out",
                          task=key)
    return tuple(dict.fromkeys(out))


def _status(path: Path, raw: dict, key: str, extra: dict, problems: Problems | None) -> TaskStatus:
    value = raw.get("status")
    if value is None:
        value = "pending"
    if not isinstance(value, str):
        raise PlanImportError(path, f"status must be a string, got {json.dumps(value)[:40]}", task=key)
    name = _word(path, "status", value, key)
    if name not in ("done", "pending"):
        extra["source_status"] = name
    if name not in _STATUS and problems is not None:
        problems.warn(f"unknown status {name!r}: read as proposed (kept as its source status)", task=key)
    return _STATUS.get(name, TaskStatus.PROPOSED)


def _agent(path: Path, raw: dict, key: str) -> AgentType | None:
    value = raw.get("agentType", raw.get("agent_type"))
    if value is None:
        return None
    try:
        return AgentType(value.lower() if isinstance(value, str) else value)
    except ValueError:
        kinds = ", ".join(a.value for a in AgentType)
        raise PlanImportError(path, f"agent type {json.dumps(value)[:40]} is not one of {kinds}", task=key) from None


def _kept(path: Path, raw: dict, known: frozenset[str], key: str) -> dict:
    """The unknown fields, kept as data once they are shown to be small, plain and not the engine's."""
    extra = {}
    for name, value in raw.items():
        if name in known:
            continue
        check_text(path, "a field name", name, limit=MAX_NAME_CHARS, one_line=True, task=key)
        if name in _RESERVED:
            raise PlanImportError(path, f"field {name!r} is one codeframe keeps on a task; rename or remove it",
                                  task=key)
        size = len(json.dumps(value, ensure_ascii=False))
        if size > MAX_TEXT_CHARS:
            raise PlanImportError(path, f"field {name!r} holds {size:,} characters of data; at most"
                                        f" {MAX_TEXT_CHARS:,}", task=key)
        pending = [value]  # depth is already bounded by the file's MAX_NESTING
        while pending:
            item = pending.pop()
            if isinstance(item, dict):
                pending.extend(item)
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, str) and (m := control_character(item)):
                raise PlanImportError(path, f"field {name!r} holds the control character U+{ord(m.group()):04X}",
                                      task=key)
        extra[name] = value
    return extra


def _task(path: Path, raw: dict, key: str, deps: tuple[str, ...], priority: str, issue: str,
          kind: AgentType = AgentType.BACKEND, *, problems: Problems | None = None, **more: object) -> NewTask:
    title = _text(path, raw, "title", key, required=True)
    description = _text(path, raw, "description", key)
    details = _text(path, raw, "details", key)
    # Task Master has no sub-subtasks; if a subtask carries "subtasks" anyway, keep it as data.
    known = _KNOWN - {"subtasks"} if "parent" in more else _KNOWN
    extra = _kept(path, raw, known, key) | more
    status = _status(path, raw, key, extra, problems)
    value = raw.get("priority")
    if value is None:
        value = priority
    if not isinstance(value, str) or not value.strip():
        raise PlanImportError(path, f"priority must be a word like high, got {json.dumps(value)[:40]}", task=key)
    agent = _agent(path, raw, key) or classify_agent_type(title, description, default=kind)
    return NewTask(
        key=key, title=title, agent_type=agent,
        description="\n\n".join(part for part in (description, details) if part),
        depends_on=deps, issue_key=issue, priority=_word(path, "priority", value, key),
        test_strategy=_text(path, raw, "testStrategy", key), status=status, extra=extra,
    )


def _entries(path: Path, raw: object, where: str) -> list[dict]:
    if not isinstance(raw, list):
        raise PlanImportError(path, f"expected a list, got {json.dumps(raw)[:40]}", task=where)
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise PlanImportError(path, f"entry {i} is not an object: {json.dumps(item)[:40]}", task=where)
    return raw


def _renumbered(taken: set[str], raw_ids: list[object], prefix: str = "") -> str:
    """The id after the highest number among the keys taken and every id the list holds, so that the
    new id cannot meet one that comes later in the list."""
    numbers = [int(k.removeprefix(prefix)) for k in taken if k.removeprefix(prefix).isdigit()]
    for value in raw_ids:
        text = str(value).rsplit(".", 1)[-1] if isinstance(value, (int, str)) else ""
        if _NUMBER.fullmatch(text):
            numbers.append(int(text))
    return f"{prefix}{max(numbers, default=0) + 1}"


def _skipped(problems: Problems | None, exc: PlanImportError, what: str) -> None:
    """Leave one task out, named, instead of the whole file. A problem of the whole file (too many
    tasks) has no task, and still refuses."""
    if problems is None or exc.task is None:
        raise exc
    problems.warn(f"{exc.problem}: {what} skipped", task=exc.task)


def _subtasks(path: Path, raw: dict, parent: NewTask, count: int, problems: Problems | None) -> list[NewTask]:
    """The subtasks that can be read, in order, with their own dependencies."""
    key = parent.key
    value = raw.get("subtasks")
    subs = [] if value is None else _entries(path, value, key + ".subtasks")
    check_count(path, count + len(subs))
    read: list[tuple[str, dict, tuple[str, ...]]] = []
    taken: set[str] = set()
    for j, sub in enumerate(subs):
        try:
            sid = sub.get("id")
            m = _SUBTASK_ID.fullmatch(sid) if isinstance(sid, str) else None
            if m and str(int(m.group(1))) == key:
                sid = m.group(2)  # "3.2" written out in full inside task 3
            sub_key = f"{key}.{_id(path, sid, f'at {key}.subtasks[{j}]')}"
            if sub_key in taken:
                if problems is None:
                    raise PlanImportError(path, "duplicate subtask id", task=sub_key)
                again = _renumbered(taken, [sub.get("id") for sub in subs], f"{key}.")
                problems.warn(f"duplicate subtask id (entry {j} of task {key}): read as {again}", task=sub_key)
                sub_key = again
            taken.add(sub_key)
            read.append((sub_key, sub, _deps(path, sub, sub_key, key, problems)))
        except PlanImportError as exc:
            _skipped(problems, exc, "the subtask is")
    out = []
    for sub_key, sub, deps in read:
        try:
            out.append(_task(path, sub, sub_key, deps, parent.priority, parent.issue_key, parent.agent_type,
                             problems=problems, parent=key))
        except PlanImportError as exc:
            _skipped(problems, exc, "the subtask is")
    return out


def parse_taskmaster(path: Path, text: str, tag: str | None = None, problems: Problems | None = None) -> ImportedPlan:
    """Build the plan from a tasks.json's text (one tag of it); `path` is for messages."""
    issue, body = select(path, load_json(path, text), tag)
    entries = _entries(path, body["tasks"], f"{issue}.tasks")
    check_count(path, len(entries))
    tasks: list[NewTask] = []
    seen: set[str] = set()
    for i, raw in enumerate(entries):
        try:
            key = _id(path, raw.get("id"), f"at {issue}.tasks[{i}]")
            if key in seen:
                if problems is None:
                    raise PlanImportError(path, "duplicate id", task=key)
                again = _renumbered(seen, [entry.get("id") for entry in entries])
                problems.warn(f"duplicate id (entry {i}): read as {again}", task=key)
                key = again
            seen.add(key)
            own = _deps(path, raw, key, None, problems)
            parent = _task(path, raw, key, own, "medium", issue, problems=problems)
        except PlanImportError as exc:
            _skipped(problems, exc, "the task and its subtasks are")
            continue
        try:
            subs = _subtasks(path, raw, parent, len(tasks) + 1, problems)
        except PlanImportError as exc:
            _skipped(problems, exc, "its subtasks are")
            subs = []
        # Entries (no sibling before them) inherit the parent's prerequisites, but not a dependency of
        # the parent on one of its own subtasks.
        siblings = {t.key for t in subs}
        inherited = tuple(d for d in own if d not in siblings)
        subs = [t if any(d in siblings for d in t.depends_on) else replace(t, depends_on=merge(inherited, t.depends_on))
                for t in subs]
        # The parent becomes the subtasks' completion point: it waits for its exits (no sibling waits on them).
        waited_for = {d for t in subs for d in t.depends_on if d in siblings}
        exits = [t.key for t in subs if t.key not in waited_for]
        if subs:
            parent = replace(parent, depends_on=merge(own, exits),
                             extra={"subtasks": [t.key for t in subs], **parent.extra})
        tasks.append(parent)
        tasks.extend(subs)
    if not tasks:
        raise PlanImportError(path, f"no tasks under {issue!r}")
    title = issue_title(path, issue, body)
    log.debug("task master %s [%s]: %d tasks", path, issue, len(tasks))
    return ImportedPlan(path, "taskmaster", ((issue, title),), tuple(tasks))
