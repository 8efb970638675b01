"""Reads a Task Master tasks.json (tagged or legacy): tasks, subtasks, their dependencies and statuses.

Decisions:
  - Form: `{"tasks": [...]}` is legacy; otherwise every top-level key whose value holds a "tasks" list
    is a tag. The tag is the one asked for, else "master", else the only one; an unknown or ambiguous
    tag is an error that lists the tags. The tag becomes the plan's one issue (its metadata
    description, when present, is the issue title).
  - Keys: top tasks "1", "2"; subtasks "1.1", "1.2". Ids may be ints or digit strings.
  - Dependencies: a top task's int N (or "N") is task N, a "P.S" string is that subtask. A subtask's
    int N (or "N") is its sibling P.N; a "P.S" string is that task.
  - A parent with subtasks stays a task (nothing of it is lost) and becomes their completion point:
    it depends on its exit subtasks (those no sibling depends on), which transitively wait for all of
    them, plus its own dependencies. Its entry subtasks (those with no sibling dependency) inherit the
    parent's dependencies, so no subtask starts before its parent's prerequisites are done.
  - Status: done -> done; pending -> proposed; in-progress, review, blocked, deferred and any other
    string -> proposed with the source status kept in extra["source_status"] (every imported task
    starts proposed so the person reviews it); cancelled -> rejected (extra["source_status"] =
    "cancelled"): rejected is the plan-review state, visible to the person, reversible (rejected ->
    proposed), and its dependents cannot start, which is what a cancelled prerequisite means.
  - details are appended to the description (the worker reads it); testStrategy -> test_strategy;
    priority is kept (default medium; a subtask without one takes its parent's); a subtask has
    extra["parent"], a parent extra["subtasks"]; "agentType" or
    "agent_type", when present, sets the agent type, else the classifier decides from title and
    description (a subtask it cannot place takes its parent's type). Any other field is kept in
    extra.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from codeframe_tui.domain import AgentType, TaskStatus
from codeframe_tui.plan.classify import classify_agent_type
from codeframe_tui.plan.model import ImportedPlan, PlanImportError
from codeframe_tui.plan.order import merge
from codeframe_tui.store.repos import NewTask

log = logging.getLogger(__name__)

MAX_DEPTH = 32  # a real tasks.json nests about 7 deep; far deeper is not a task list
_KNOWN = frozenset({"id", "title", "description", "details", "testStrategy", "priority", "dependencies", "status",
                    "subtasks", "agentType", "agent_type"})
_STATUS = {"done": TaskStatus.DONE, "pending": TaskStatus.PROPOSED, "cancelled": TaskStatus.REJECTED}
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_SUBTASK_ID = re.compile(r"^(\d+)\.(\d+)$")


def _check_depth(path: Path, text: str) -> None:
    # Scan before json.loads: deep nesting would otherwise surface as a RecursionError, or waste time.
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, m.start()) + 1
                raise PlanImportError(path, f"JSON nests deeper than {MAX_DEPTH} levels", line=line)
        elif c in "]}":
            depth -= 1


def _select(path: Path, data: object, tag: str | None) -> tuple[str, dict]:
    if not isinstance(data, dict):
        raise PlanImportError(path, f"expected a JSON object at the top, got {type(data).__name__}")
    if "tasks" in data and not isinstance(data["tasks"], dict):
        if tag not in (None, "master"):
            raise PlanImportError(path, f"tag {tag!r} not found: this is a legacy file without tags")
        return "tasks", data
    tags = {k: v for k, v in data.items() if isinstance(v, dict) and "tasks" in v}
    if not tags:
        raise PlanImportError(path, 'no tasks: expected {"tasks": [...]} or {"<tag>": {"tasks": [...]}}')
    names = ", ".join(sorted(tags))
    if tag is None:
        if "master" in tags:
            tag = "master"
        elif len(tags) == 1:
            tag = next(iter(tags))
        else:
            raise PlanImportError(path, f"several tags and none is 'master'; choose one of: {names}")
    if tag not in tags:
        raise PlanImportError(path, f"tag {tag!r} not found; tags: {names}")
    return tag, tags[tag]


def _id(path: Path, value: object, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PlanImportError(path, f"id must be an integer, got {json.dumps(value)}", task=where)
    text = str(value).strip()
    if not text.isdigit():
        raise PlanImportError(path, f"id must be an integer, got {json.dumps(value)}", task=where)
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
    return value.strip()


def _deps(path: Path, raw: dict, key: str, parent: str | None) -> tuple[str, ...]:
    value = raw.get("dependencies", [])
    if value is None:
        return ()
    if not isinstance(value, list):
        raise PlanImportError(path, f"dependencies must be a list, got {json.dumps(value)[:40]}", task=key)
    out = []
    for dep in value:
        if isinstance(dep, bool) or not isinstance(dep, int | str):
            raise PlanImportError(path, f"dependency {json.dumps(dep)[:40]} is not an id", task=key)
        text = str(dep).strip()
        if text.isdigit():
            out.append(f"{parent}.{int(text)}" if parent else str(int(text)))
        elif m := _SUBTASK_ID.match(text):
            out.append(f"{int(m.group(1))}.{int(m.group(2))}")
        else:
            raise PlanImportError(path, f"dependency {json.dumps(dep)} is not a task id like 3 or '3.2'", task=key)
    return tuple(dict.fromkeys(out))


def _status(path: Path, raw: dict, key: str, extra: dict) -> TaskStatus:
    value = raw.get("status")
    if value is None:
        value = "pending"
    if not isinstance(value, str):
        raise PlanImportError(path, f"status must be a string, got {json.dumps(value)[:40]}", task=key)
    name = value.strip().lower()
    if name not in ("done", "pending"):
        extra["source_status"] = name
    return _STATUS.get(name, TaskStatus.PROPOSED)


def _agent(path: Path, raw: dict, key: str) -> AgentType | None:
    value = raw.get("agentType", raw.get("agent_type"))
    if value is None:
        return None
    try:
        return AgentType(str(value).lower())
    except ValueError:
        kinds = ", ".join(a.value for a in AgentType)
        raise PlanImportError(path, f"agent type {json.dumps(value)} is not one of {kinds}", task=key) from None


def _task(path: Path, raw: dict, key: str, deps: tuple[str, ...], priority: str, issue: str,
          kind: AgentType = AgentType.BACKEND, **more: object) -> NewTask:
    title = _text(path, raw, "title", key, required=True)
    description = _text(path, raw, "description", key)
    details = _text(path, raw, "details", key)
    # Task Master has no sub-subtasks; if a subtask carries "subtasks" anyway, keep it as data.
    known = _KNOWN - {"subtasks"} if "parent" in more else _KNOWN
    extra = {k: v for k, v in raw.items() if k not in known} | more
    status = _status(path, raw, key, extra)
    value = raw.get("priority")
    if value is None:
        value = priority
    if not isinstance(value, str) or not value.strip():
        raise PlanImportError(path, f"priority must be a word like high, got {json.dumps(value)[:40]}", task=key)
    agent = _agent(path, raw, key) or classify_agent_type(title, description, default=kind)
    return NewTask(
        key=key, title=title, agent_type=agent,
        description="\n\n".join(part for part in (description, details) if part),
        depends_on=deps, issue_key=issue, priority=value.strip().lower(),
        test_strategy=_text(path, raw, "testStrategy", key), status=status, extra=extra,
    )


def _entries(path: Path, raw: object, where: str) -> list[dict]:
    if not isinstance(raw, list):
        raise PlanImportError(path, f"expected a list, got {json.dumps(raw)[:40]}", task=where)
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise PlanImportError(path, f"entry {i} is not an object: {json.dumps(item)[:40]}", task=where)
    return raw


def _subtasks(path: Path, raw: dict, key: str) -> tuple[list[str], list[dict], dict[str, tuple[str, ...]]]:
    subs = _entries(path, raw.get("subtasks") or [], key + ".subtasks")
    keys: list[str] = []
    deps: dict[str, tuple[str, ...]] = {}
    for j, sub in enumerate(subs):
        sid = sub.get("id")
        m = _SUBTASK_ID.match(sid) if isinstance(sid, str) else None
        if m and str(int(m.group(1))) == key:
            sid = m.group(2)  # "3.2" written out in full inside task 3
        sub_key = f"{key}.{_id(path, sid, f'at {key}.subtasks[{j}]')}"
        if sub_key in deps:
            raise PlanImportError(path, "duplicate subtask id", task=sub_key)
        keys.append(sub_key)
        deps[sub_key] = _deps(path, sub, sub_key, key)
    return keys, subs, deps


def parse_taskmaster(path: Path, text: str, tag: str | None = None) -> ImportedPlan:
    """Build the plan from a tasks.json's text (one tag of it); `path` is for messages."""
    _check_depth(path, text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanImportError(path, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from None
    except RecursionError:
        raise PlanImportError(path, "JSON nests too deeply") from None
    issue, body = _select(path, data, tag)
    tasks: list[NewTask] = []
    seen: set[str] = set()
    for i, raw in enumerate(_entries(path, body["tasks"], f"{issue}.tasks")):
        key = _id(path, raw.get("id"), f"at {issue}.tasks[{i}]")
        if key in seen:
            raise PlanImportError(path, "duplicate id", task=key)
        seen.add(key)
        own = _deps(path, raw, key, None)
        sub_keys, subs, sub_deps = _subtasks(path, raw, key)
        # Entries (no sibling before them) inherit the parent's prerequisites; exits gate the parent.
        siblings = set(sub_keys)
        # A parent may name its own subtask as a dependency; its subtasks must not inherit that.
        inherited = tuple(d for d in own if d not in siblings)
        waited_for = {d for deps in sub_deps.values() for d in deps if d in siblings}
        exits = [k for k in sub_keys if k not in waited_for]
        more = {"subtasks": sub_keys} if sub_keys else {}
        parent = _task(path, raw, key, merge(own, exits), "medium", issue, **more)
        tasks.append(parent)
        for sub_key, sub in zip(sub_keys, subs, strict=True):
            deps = sub_deps[sub_key]
            if not any(d in siblings for d in deps):
                deps = merge(inherited, deps)
            tasks.append(_task(path, sub, sub_key, deps, parent.priority, issue, parent.agent_type, parent=key))
    if not tasks:
        raise PlanImportError(path, f"no tasks under {issue!r}")
    meta = body.get("metadata") or body.get("meta")
    title = (meta.get("description") or meta.get("projectName")) if isinstance(meta, dict) else None
    issue_title = title.strip() if isinstance(title, str) and title.strip() else f"Task Master: {issue}"
    log.debug("task master %s [%s]: %d tasks", path, issue, len(tasks))
    return ImportedPlan(path, "taskmaster", ((issue, issue_title),), tuple(tasks))
