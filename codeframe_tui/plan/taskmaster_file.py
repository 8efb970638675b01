"""The outside of a Task Master tasks.json: its JSON, its top-level shape, the chosen tag and its title."""

from __future__ import annotations

import json
import re
from pathlib import Path

from codeframe_tui.plan.model import MAX_NAME_CHARS, MAX_NESTING, MAX_TITLE_CHARS, PlanImportError, check_text

# A string (its closing quote optional, so an unclosed one is read once, not again from every later
# quote: that was quadratic), or a bracket. Only brackets outside strings count towards the depth.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_LEGACY_KEYS = frozenset({"tasks", "meta", "metadata"})


def kind(value: object) -> str:
    """A JSON value's kind in JSON's words, for messages: "an array", "a string"..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    names = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _check_depth(path: Path, text: str) -> None:
    # Scan before json.loads: deep nesting would otherwise surface as a RecursionError, or waste time.
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_NESTING:
                line = text.count("\n", 0, m.start()) + 1
                raise PlanImportError(path, f"JSON nests deeper than {MAX_NESTING} levels", line=line)
        elif c in "]}":
            depth -= 1


def load_json(path: Path, text: str) -> object:
    """The file's JSON value, or PlanImportError naming the line."""
    _check_depth(path, text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanImportError(path, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from None
    except RecursionError:
        raise PlanImportError(path, "JSON nests too deeply") from None
    except ValueError:
        # Python refuses to convert an integer of more than 4,300 digits (a guard against slow parsing).
        raise PlanImportError(path, "not valid JSON: a number has too many digits") from None


def select(path: Path, data: object, tag: str | None) -> tuple[str, dict]:
    """The tag to import (its name and body): legacy `{"tasks": [...]}` is the tag "tasks"."""
    if not isinstance(data, dict):
        raise PlanImportError(path, f"expected a JSON object at the top, got {kind(data)}")
    if "tasks" in data and not isinstance(data["tasks"], dict):
        unknown = sorted(set(data) - _LEGACY_KEYS)
        if unknown:
            raise PlanImportError(path, f"unknown top-level field {json.dumps(unknown[0])}: a legacy tasks.json"
                                        " holds only tasks and meta")
        if tag not in (None, "master"):
            raise PlanImportError(path, f"tag {tag!r} not found: this is a legacy file without tags")
        return "tasks", data
    if not data:
        raise PlanImportError(path, 'no tasks: expected {"tasks": [...]} or {"<tag>": {"tasks": [...]}}')
    for name, body in data.items():
        # Tag names are shown (the issue key) and listed in messages: check them before either.
        check_text(path, "a tag name", name, limit=MAX_NAME_CHARS, one_line=True)
        if not name.strip():
            raise PlanImportError(path, "a tag has an empty name")
        if not isinstance(body, dict) or "tasks" not in body:
            raise PlanImportError(path, f"top-level {json.dumps(name)} is {kind(body)} without tasks, not a tag:"
                                        ' expected {"<tag>": {"tasks": [...]}}')
    names = ", ".join(sorted(data))
    if tag is None:
        if "master" in data:
            tag = "master"
        elif len(data) == 1:
            tag = next(iter(data))
        else:
            raise PlanImportError(path, f"several tags and none is 'master'; choose one of: {names}")
    if tag not in data:
        raise PlanImportError(path, f"tag {tag!r} not found; tags: {names}")
    return tag, data[tag]


def issue_title(path: Path, issue: str, body: dict) -> str:
    """The tag's title: its metadata's description (or legacy projectName), else "Task Master: <tag>"."""
    meta: dict = {}
    for name in ("metadata", "meta"):
        value = body.get(name)
        if value is not None and not isinstance(value, dict):
            raise PlanImportError(path, f"{name} must be an object, got {kind(value)}")
        meta = meta or value or {}
    title = meta.get("description") or meta.get("projectName")
    if title is None:
        return f"Task Master: {issue}"
    if not isinstance(title, str):
        raise PlanImportError(path, f"metadata description must be a string, got {kind(title)}")
    # A description may run over lines; the title is one line.
    check_text(path, "metadata description", title, limit=MAX_TITLE_CHARS)
    return " ".join(title.split()) or f"Task Master: {issue}"
