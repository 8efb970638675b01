"""Anthropic's text editor tool, executed in a task's worktree: view, create, str_replace, insert.

Every path passes the change sets' own rules (engine/changes.py: relative only, no `..`, no escape
through a symlink, never .git/ or .codeframe/), and every edit is one whole change set: read, the
new text computed, then staged, fsynced, journalled and renamed, all under the lock that keeps
change sets whole, so a crash leaves each file before or after the edit and the edit is recorded
for diff, review and undo. Secret-looking files are never shown. Answers follow the tool's
conventions: `cat -n` style numbered lines, and errors that say what to do next.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

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
from codeframe_tui.llm.prompts import SECRET_PATTERNS

MAX_READ_BYTES = 8 * 1024 * 1024  # a file larger than this is never read whole: search it instead
MAX_FILE_BYTES = 4 * 1024 * 1024  # an edit may leave a file at most this large
SNIPPET_LINES = 4  # lines of context shown around an edit
LISTING_LIMIT = 400
_SKIP_DIRS = {".git", ".codeframe", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache"}
# Dotfiles that hold credentials; other dotfiles (.gitignore, .github/...) are the project's own.
_SECRET_DOTFILES = (".env", ".env.*", ".npmrc", ".pypirc", ".netrc", ".git-credentials", ".pgpass", ".htpasswd",
                    ".dockercfg", "*.env")


class ToolInputError(ValueError):
    """The tool's input cannot be used; the message goes back to the model as an error result."""


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
    seen: set[str] = field(default_factory=set)

    async def run(self, data: dict) -> EditResult:
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
                now = await run_whole(_holds, self.root.resolve() / planned.path)
                await self.on_write({planned.path: (planned.before, now, planned.mode)})
            raise
        return replace(result, applied=applied, planned=None)

    async def _run(self, data: dict) -> EditResult:
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

    async def _view(self, rel: str, data: dict) -> EditResult:
        view_range = data.get("view_range")
        if view_range is not None and not (isinstance(view_range, list) and len(view_range) == 2
                                           and all(isinstance(n, int) and not isinstance(n, bool)
                                                   for n in view_range)):
            raise ToolInputError("view_range must be two line numbers, [start, end] (end -1: to the end)")
        return await run_whole(self._view_sync, rel, view_range)

    def _view_sync(self, rel: str, view_range: list[int] | None) -> EditResult:
        if rel in (".", "./"):
            return EditResult(self._listing(self.root.resolve(), "."), label="view .")
        target = self._target(rel)
        norm = normalize_path(rel)
        if os.path.isdir(target) and not os.path.islink(target):
            return EditResult(self._listing(target, norm), label=f"view {norm}/")
        text = self._read(target, norm)
        self.seen.add(norm)
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

    def _listing(self, folder: Path, shown: str) -> str:
        entries: list[str] = []
        more = 0
        root = self.root.resolve()
        base_depth = len(folder.parts)
        for current, dirs, files in os.walk(folder):
            depth = len(Path(current).parts) - base_depth
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
            if depth >= 1:
                dirs[:] = []  # two levels, like the tool's own listing
            for name in sorted(files):
                rel = Path(current, name).relative_to(folder).as_posix()
                # Secret patterns may name a path: match the path from the project root.
                if name.startswith(".") or self.is_secret(Path(current, name).relative_to(root).as_posix()):
                    continue
                if len(entries) < LISTING_LIMIT:
                    entries.append(rel)
                else:
                    more += 1
        head = f"Files and folders in {shown} (two levels deep, hidden items left out):"
        tail = [f"[{more} more not listed: use list_files with a glob]"] if more else []
        return "\n".join([head, *entries, *tail]) if entries else f"{shown} is empty (or holds only hidden files)"

    # ---- edits ---------------------------------------------------------------------------

    async def _create(self, rel: str, data: dict) -> EditResult:
        text = data.get("file_text")
        if not isinstance(text, str):
            raise ToolInputError("create needs 'file_text': the whole content of the new file")
        return await run_whole(self._create_sync, rel, text)

    def _create_sync(self, rel: str, text: str) -> EditResult:
        target = self._target(rel)
        norm = normalize_path(rel)
        if os.path.lexists(target) and norm not in self.seen:
            raise ToolInputError(f"{norm} already exists and you have not viewed it: view it, then change it "
                                 "with str_replace or insert (create replaces the whole file)")
        planned = self._plan(target, norm, text, "create")
        self.seen.add(norm)
        lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        return EditResult(f"File created successfully at: {norm} ({lines} lines)", label=f"create {norm}",
                          planned=planned)

    async def _str_replace(self, rel: str, data: dict) -> EditResult:
        old, new = data.get("old_str"), data.get("new_str", "")
        if not isinstance(old, str) or not old:
            raise ToolInputError("str_replace needs 'old_str': the exact text to replace, found once in the file")
        if not isinstance(new, str):
            raise ToolInputError("'new_str' must be text")
        return await run_whole(self._replace_sync, rel, old, new)

    def _replace_sync(self, rel: str, old: str, new: str) -> EditResult:
        target = self._target(rel)
        norm = normalize_path(rel)
        text = self._read(target, norm)
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
        self.seen.add(norm)
        first = text.count("\n", 0, at) + 1
        return EditResult(f"The file {norm} has been edited. " + _snippet(result, first, new.count("\n") + 1),
                          label=f"edit {norm}:{first}", planned=planned)

    async def _insert(self, rel: str, data: dict) -> EditResult:
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
        text = self._read(target, norm)
        lines = text.split("\n")
        ends_open = lines[-1] == ""
        count = len(lines) - 1 if ends_open else len(lines)
        if line > count:
            raise ToolInputError(f"insert_line {line} is past the end of {norm}, which has {count} lines")
        body = lines[:-1] if ends_open else lines
        added = insert.removesuffix("\n").split("\n")
        result = "\n".join(body[:line] + added + body[line:]) + ("\n" if ends_open or not text else "")
        planned = self._plan(target, norm, result, "insert")
        self.seen.add(norm)
        return EditResult(f"The file {norm} has been edited. " + _snippet(result, line + 1, len(added)),
                          label=f"insert {norm}:{line + 1}", planned=planned)

    # ---- shared --------------------------------------------------------------------------

    def is_secret(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1].lower()
        lowered = rel.lower()
        patterns = (*SECRET_PATTERNS, *_SECRET_DOTFILES, *(p.lower() for p in self.secret_patterns))
        return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(lowered, p) for p in patterns)

    def _target(self, rel: str) -> Path:
        try:
            target = resolve_target(rel, self.root.resolve())
        except ChangeError as exc:
            raise ToolInputError(str(exc)) from exc
        if self.is_secret(normalize_path(rel)):
            raise ToolInputError(f"{rel!r} looks like a secret (a key, a token or an .env file): it is not shown "
                                 "and not changed")
        return target

    def _read(self, target: Path, norm: str) -> str:
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            raise ToolInputError(f"{norm} does not exist: create it, or find the right path with list_files") from None
        except OSError as exc:
            raise ToolInputError(f"{norm}: cannot read it ({exc.strerror})") from exc
        if stat.S_ISLNK(info.st_mode):
            raise ToolInputError(f"{norm} is a symlink: view or edit the file it points to")
        if not stat.S_ISREG(info.st_mode):
            raise ToolInputError(f"{norm} is not a regular file")
        if info.st_size > MAX_READ_BYTES:
            raise ToolInputError(f"{norm} is {info.st_size} bytes, too large to open: use search to find lines in it")
        data = target.read_bytes()
        if b"\x00" in data[:8192]:
            raise ToolInputError(f"{norm} is a binary file")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ToolInputError(f"{norm} is not UTF-8 text") from None

    def _plan(self, target: Path, norm: str, text: str, what: str) -> Planned:
        if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
            raise ToolInputError(f"{norm} would be over {MAX_FILE_BYTES} bytes")
        return Planned(norm, text, what, *(_regular(target, norm) or (None, None)))

    def _commit(self, planned: Planned) -> AppliedChanges:
        """Write the planned text, as one change set, if the file still holds what the plan read."""
        target = self.root.resolve() / planned.path
        now = _regular(target, planned.path)
        if (now[0] if now else None) != planned.before:
            raise ToolInputError(f"{planned.path} changed while the edit was being made: view it again")
        try:
            return _apply(ChangeSet(planned.what, (FileChange(planned.path, "write", planned.text),)), self.root,
                          MAX_FILE_BYTES, 1, self.journal)
        except ChangeError as exc:
            raise ToolInputError(str(exc)) from exc


def _regular(target: Path, norm: str) -> tuple[bytes, int] | None:
    """The bytes and mode of a regular file at `target` (never through a symlink), None if absent."""
    try:
        info = os.lstat(target)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:  # e.g. ENAMETOOLONG: short enough relative, too long under the root
        raise ToolInputError(f"{norm}: cannot use this path: {exc.strerror}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ToolInputError(f"{norm} is a symlink or not a regular file: refusing to write it")
    return target.read_bytes(), stat.S_IMODE(info.st_mode)


def _holds(target: Path) -> bytes | None:
    """What a regular file holds now; None when it is absent or not a regular file."""
    try:
        found = _regular(target, "")
    except (ToolInputError, OSError):
        return None
    return found[0] if found else None


def _match_lines(text: str, old: str) -> list[int]:
    lines, at = [], text.find(old)
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
