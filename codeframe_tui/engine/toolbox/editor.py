"""Anthropic's text editor tool, executed in a task's worktree: view, create, str_replace, insert.

Every path passes the change sets' own rules (engine/changes.py: relative only, no `..`, no escape
through a symlink, never .git/ or .codeframe/), and every edit is one whole change set: read, the
new text computed, then staged, fsynced, journalled and renamed, all under the lock that keeps
change sets whole, so a crash leaves each file before or after the edit and the edit is recorded
for diff, review and undo. Secret-looking files are never shown. Answers follow the tool's
conventions: `cat -n` style numbered lines, and errors that say what to do next.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from codeframe_tui.engine.atomic import run_whole
from codeframe_tui.engine.changes import (
    AppliedChanges,
    ChangeError,
    ChangeSet,
    FileChange,
    _apply,
    normalize_path,
    resolve_target,
)
from codeframe_tui.engine.toolbox.files import (
    MAX_FILE_BYTES,
    ToolInputError,
    folder_listing,
    holds,
    read_text,
    regular,
    secret_matcher,
)

__all__ = ["EditResult", "Editor", "Planned", "ToolInputError"]
SNIPPET_LINES = 4  # lines of context shown around an edit


@dataclass(frozen=True)
class Planned:
    """An edit worked out but not yet written: the file's new text, and what it holds now."""

    path: str
    text: str
    what: str
    before: bytes | None
    mode: int | None


@dataclass(frozen=True)
class EditResult:
    text: str  # what the model is told
    applied: AppliedChanges | None = None  # set when a file was written
    label: str = ""  # what the Agents pane shows, e.g. "edit more.py"
    planned: Planned | None = None  # the write still to make (internal to the editor)


Changes = dict[str, tuple[bytes | None, bytes | None, int | None]]  # path -> (before, after, mode before)


@dataclass
class Editor:
    """One per attempt at a task: it remembers which files the model has seen, so that `create`
    never overwrites a file the model has not looked at (a blind whole-file rewrite)."""

    root: Path
    journal: Path | None = None
    secret_patterns: Sequence[str] = ()
    max_characters: int = 20_000
    # Told of every write before it is made (the task's recorded changes): a kill between the write
    # and its record would leave a file the task made but does not know it made, never landed.
    on_write: Callable[[Changes], Awaitable[None]] | None = None
    # path -> digest of the text the model last saw (viewed or wrote): `create` may replace a file
    # only while it still holds that text (in place, another agent may have changed it since).
    seen: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.is_secret = secret_matcher(self.secret_patterns)

    async def run(self, data: dict[str, Any]) -> EditResult:
        result = await self._run(data)
        planned = result.planned
        if planned is None:
            return result
        if self.on_write is not None:
            await self.on_write({planned.path: (planned.before, planned.text.encode("utf-8"), planned.mode)})
        try:
            applied = await run_whole(self._commit, planned)
        except ToolInputError:
            if self.on_write is not None:  # nothing was written: the record says what the file holds
                now = await run_whole(holds, self.root.resolve() / planned.path)
                await self.on_write({planned.path: (planned.before, now, planned.mode)})
            raise
        return replace(result, applied=applied, planned=None)

    async def _run(self, data: dict[str, Any]) -> EditResult:
        command = data.get("command")
        handlers = {"view": self._view, "create": self._create, "str_replace": self._str_replace,
                    "insert": self._insert}
        if command == "undo_edit":
            raise ToolInputError("undo_edit is not available: make the reverse edit with str_replace")
        if command not in handlers:
            raise ToolInputError(f"unknown command {command!r}: use view, create, str_replace or insert")
        path = data.get("path")
        if not isinstance(path, str):
            raise ToolInputError("'path' is required: a path relative to the project root")
        return await handlers[command](self._relative(path), data)

    def _relative(self, path: str) -> str:
        """Models often write the project's absolute path: accept it when it names this root."""
        root = str(self.root.resolve())
        for prefix in (root + "/", str(self.root) + "/"):
            if path.startswith(prefix):
                return path[len(prefix):] or "."
        if path in (root, str(self.root), ""):
            return "."
        return path

    # ---- view ----------------------------------------------------------------------------

    async def _view(self, rel: str, data: dict[str, Any]) -> EditResult:
        view_range = data.get("view_range")
        if view_range is not None and not (isinstance(view_range, list) and len(view_range) == 2
                                           and all(isinstance(n, int) and not isinstance(n, bool)
                                                   for n in view_range)):
            raise ToolInputError("view_range must be two line numbers, [start, end] (end -1: to the end)")
        return await run_whole(self._view_sync, rel, view_range)

    def _view_sync(self, rel: str, view_range: list[int] | None) -> EditResult:
        if rel in (".", "./"):
            root = self.root.resolve()
            return EditResult(folder_listing(root, root, ".", self.is_secret), label="view .")
        target = self._target(rel)
        norm = normalize_path(rel)
        if os.path.isdir(target) and not os.path.islink(target):
            return EditResult(folder_listing(self.root.resolve(), target, norm, self.is_secret), label=f"view {norm}/")
        text = read_text(target, norm)
        self.seen[norm] = _digest(text)
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        total = len(lines)
        start, end = 1, total
        if view_range is not None:
            start, end = view_range
            end = total if end == -1 or end > total else end  # past the end: to the end, as `sed -n` does
            if start < 1 or (total and start > total) or end < start:
                raise ToolInputError(f"view_range {view_range} is outside {norm}, which has {total} lines")
        out = [f"Here's the result of running `cat -n` on {norm}:"]
        size = 0
        shown_to = start - 1
        for number in range(start, end + 1):
            line = f"{number:6}\t{lines[number - 1].rstrip(chr(13))}"
            if size + len(line) > self.max_characters and number > start:
                break
            out.append(line[: self.max_characters])
            size += len(line) + 1
            shown_to = number
        if shown_to < end:
            out.append(f"[cut at {self.max_characters} characters: lines {start}-{shown_to} of {total} shown. "
                       f"View the rest with view_range, e.g. [{shown_to + 1}, {min(end, shown_to + 200)}], "
                       "or find what you need with search.]")
        label = f"view {norm}:{start}-{shown_to}" if view_range is not None or shown_to < total else f"view {norm}"
        return EditResult("\n".join(out), label=label)

    # ---- edits ---------------------------------------------------------------------------

    async def _create(self, rel: str, data: dict[str, Any]) -> EditResult:
        text = data.get("file_text")
        if not isinstance(text, str):
            raise ToolInputError("create needs 'file_text': the whole content of the new file")
        return await run_whole(self._create_sync, rel, text)

    def _create_sync(self, rel: str, text: str) -> EditResult:
        target = self._target(rel)
        norm = normalize_path(rel)
        planned = self._plan(target, norm, text, "create")
        if planned.before is not None or os.path.lexists(target):
            if norm not in self.seen:
                raise ToolInputError(f"{norm} already exists and you have not viewed it: view it, then change it "
                                     "with str_replace or insert (create replaces the whole file)")
            if planned.before is None or _digest(planned.before.decode("utf-8", "replace")) != self.seen[norm]:
                raise ToolInputError(f"{norm} changed since you last viewed it: view it again before replacing it")
        self.seen[norm] = _digest(text)
        lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        return EditResult(f"File created successfully at: {norm} ({lines} lines)", label=f"create {norm}",
                          planned=planned)

    async def _str_replace(self, rel: str, data: dict[str, Any]) -> EditResult:
        old, new = data.get("old_str"), data.get("new_str", "")
        if not isinstance(old, str) or not old:
            raise ToolInputError("str_replace needs 'old_str': the exact text to replace, found once in the file")
        if not isinstance(new, str):
            raise ToolInputError("'new_str' must be text")
        return await run_whole(self._replace_sync, rel, old, new)

    def _replace_sync(self, rel: str, old: str, new: str) -> EditResult:
        target = self._target(rel)
        norm = normalize_path(rel)
        text = read_text(target, norm)
        count = text.count(old)
        if count == 0 and "\r\n" in text and "\n" in old:
            # `view` shows lines without their \r: what the model copies has bare \n line ends.
            old, new = _crlf(old), _crlf(new)
            count = text.count(old)
        if count == 0:
            raise ToolInputError(f"No match found for replacement text in {norm}; nothing was changed. "
                                 "View the lines first: old_str must match exactly, whitespace and indentation too.")
        if count > 1:
            lines = _match_lines(text, old)
            raise ToolInputError(f"Found {count} matches of old_str in {norm} (lines {', '.join(map(str, lines))}); "
                                 "nothing was changed. Include more surrounding lines to make it unique.")
        at = text.index(old)
        result = text[:at] + new + text[at + len(old):]
        planned = self._plan(target, norm, result, "str_replace")
        self.seen[norm] = _digest(result)
        first = text.count("\n", 0, at) + 1
        return EditResult(f"The file {norm} has been edited. " + _snippet(result, first, new.count("\n") + 1),
                          label=f"edit {norm}:{first}", planned=planned)

    async def _insert(self, rel: str, data: dict[str, Any]) -> EditResult:
        line = data.get("insert_line")
        text = data.get("insert_text", data.get("new_str"))
        if not isinstance(line, int) or isinstance(line, bool) or line < 0:
            raise ToolInputError("insert needs 'insert_line': the line after which to insert (0: at the top)")
        if not isinstance(text, str):
            raise ToolInputError("insert needs 'insert_text': the text to insert")
        return await run_whole(self._insert_sync, rel, line, text)

    def _insert_sync(self, rel: str, line: int, insert: str) -> EditResult:
        target = self._target(rel)
        norm = normalize_path(rel)
        text = read_text(target, norm)
        lines = text.split("\n")
        ends_open = lines[-1] == ""
        count = len(lines) - 1 if ends_open else len(lines)
        if line > count:
            raise ToolInputError(f"insert_line {line} is past the end of {norm}, which has {count} lines")
        body = lines[:-1] if ends_open else lines
        added = insert.removesuffix("\n").split("\n")
        if "\r\n" in text:  # the file's own line ends for the new lines
            added = [a if a.endswith("\r") else a + "\r" for a in added]
        result = "\n".join(body[:line] + added + body[line:]) + ("\n" if ends_open or not text else "")
        planned = self._plan(target, norm, result, "insert")
        self.seen[norm] = _digest(result)
        return EditResult(f"The file {norm} has been edited. " + _snippet(result, line + 1, len(added)),
                          label=f"insert {norm}:{line + 1}", planned=planned)

    # ---- shared --------------------------------------------------------------------------

    def _target(self, rel: str) -> Path:
        try:
            target = resolve_target(rel, self.root.resolve())
        except ChangeError as exc:
            raise ToolInputError(str(exc)) from exc
        if self.is_secret(normalize_path(rel)):
            raise ToolInputError(f"{rel!r} looks like a secret (a key, a token or an .env file): it is not shown "
                                 "and not changed")
        return target

    def _plan(self, target: Path, norm: str, text: str, what: str) -> Planned:
        if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
            raise ToolInputError(f"{norm} would be over {MAX_FILE_BYTES} bytes")
        return Planned(norm, text, what, *(regular(target, norm) or (None, None)))

    def _commit(self, planned: Planned) -> AppliedChanges:
        """Write the planned text, as one change set, if the file still holds what the plan read."""
        target = self.root.resolve() / planned.path
        now = regular(target, planned.path)
        if (now[0] if now else None) != planned.before:
            raise ToolInputError(f"{planned.path} changed while the edit was being made: view it again")
        try:
            return _apply(ChangeSet(planned.what, (FileChange(planned.path, "write", planned.text),)), self.root,
                          MAX_FILE_BYTES, 1, self.journal)
        except ChangeError as exc:
            raise ToolInputError(str(exc)) from exc


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _match_lines(text: str, old: str) -> list[int]:
    lines: list[int] = []
    at = text.find(old)
    while at != -1 and len(lines) < 10:
        lines.append(text.count("\n", 0, at) + 1)
        at = text.find(old, at + 1)
    return lines


def _snippet(text: str, first: int, count: int) -> str:
    lines = text.split("\n")
    start = max(1, first - SNIPPET_LINES)
    end = min(len(lines), first + count - 1 + SNIPPET_LINES)
    body = "\n".join(f"{n:6}\t{lines[n - 1]}" for n in range(start, end + 1))
    return f"Here's the result of running `cat -n` on a snippet of the edited file:\n{body}\n" \
           "Review the changes and make sure they are as expected."
