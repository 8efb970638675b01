"""Validate a model's file changes against a project root, then apply them all-or-nothing."""

from __future__ import annotations

import logging
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from codeframe_tui.engine.atomic import O_NOFOLLOW, fsync_dirs, run_whole, stage, write_fd
from codeframe_tui.engine.journal import ChangeJournal

logger = logging.getLogger(__name__)

_ACTIONS = ("write", "delete")
# Compared case-insensitively: on macOS and Windows ".GIT" is the same folder as ".git".
_RESERVED = frozenset({".git", ".codeframe"})
# Checked in order on the raw path, so the first reason given is the most telling one.
_FORBIDDEN = [
    (re.compile(r"[\x00-\x1f\x7f-\x9f]"), "control characters are"),
    (re.compile(r"\\"), "backslashes (Windows paths) are"),
    (re.compile(r"^/"), "absolute paths are"),
    (re.compile(r"^[A-Za-z]:"), "Windows drive paths are"),
    (re.compile(r"^~"), "home-directory ('~') paths are"),
    (re.compile(r"(^|/)\.\.(/|$)"), "'..' components are"),
    (re.compile(r"//"), "empty path components are"),  # one trailing slash is fine, not two
]
_MAX_COMPONENT_BYTES = 255
_MAX_PATH_BYTES = 4096
_T = TypeVar("_T")
_Original = tuple[bytes, int] | None  # bytes and permission bits of a file about to change


class ChangeError(ValueError):
    """A change set that must not be applied; the message names the path and the reason."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class FileChange:
    path: str  # as the model gave it: a relative POSIX path
    action: str  # "write" | "delete"
    content: str | None = None  # the whole new text, for "write"


@dataclass(frozen=True)
class ChangeSet:
    summary: str
    changes: tuple[FileChange, ...]

    @classmethod
    def from_tool_input(cls, data: object) -> ChangeSet:
        """Check the shape of a tool call's input; paths and content are checked by `validate`."""
        if not isinstance(data, Mapping):
            raise ChangeError(f"change set must be an object, got {type(data).__name__}")
        summary = _field(data, "summary", str, "change set")
        files = _field(data, "files", list, "change set")
        if not files:
            raise ChangeError("change set: 'files' is empty; nothing to apply")
        changes = []
        for i, item in enumerate(files):
            where = f"files[{i}]"
            if not isinstance(item, Mapping):
                raise ChangeError(f"{where} must be an object, got {type(item).__name__}")
            path = _field(item, "path", str, where)
            where = f"{where} ({path!r})"
            action = _field(item, "action", str, where)
            if action not in _ACTIONS:
                msg = f"{where}: unknown action {action!r}; expected 'write' or 'delete'"
                raise ChangeError(msg, path)
            content = None
            if action == "write":
                content = _field(item, "content", str, where)
            changes.append(FileChange(path, action, content))
        return cls(summary, tuple(changes))


@dataclass(frozen=True)
class AppliedChanges:
    written: tuple[str, ...]  # normalized relative paths
    deleted: tuple[str, ...]
    # path -> (bytes before, bytes after, mode before); None = absent. For the review diff and undo.
    contents: dict[str, tuple[bytes | None, bytes | None, int | None]] = field(default_factory=dict, compare=False)


def _field(data: Mapping[str, object], key: str, kind: type[_T], where: str) -> _T:
    if key not in data:
        raise ChangeError(f"{where}: missing '{key}'")
    value = data[key]
    if not isinstance(value, kind):
        raise ChangeError(f"{where}: '{key}' must be a {kind.__name__}, got {type(value).__name__}")
    return value


def normalize_path(raw: object) -> str:
    """The canonical relative POSIX form of a model-given path, or ChangeError saying why not."""
    if not isinstance(raw, str):
        raise ChangeError(f"path must be a string, got {type(raw).__name__}")
    if not raw:
        raise ChangeError("empty path", raw)
    for pattern, what in _FORBIDDEN:
        if pattern.search(raw):
            raise ChangeError(f"{raw!r}: {what} not allowed", raw)
    parts = [p for p in raw.removesuffix("/").split("/") if p != "."]
    if not parts:
        raise ChangeError(f"{raw!r}: names no file", raw)
    if any(not p.strip() for p in parts):  # " " names nothing visible; Windows strips it to ""
        raise ChangeError(f"{raw!r}: blank path components are not allowed", raw)
    try:
        sizes = [len(p.encode("utf-8")) for p in parts]
    except UnicodeEncodeError:
        raise ChangeError(f"{raw!r}: path is not valid UTF-8", raw) from None
    if max(sizes) > _MAX_COMPONENT_BYTES:
        raise ChangeError(f"{raw!r}: a component is over {_MAX_COMPONENT_BYTES} bytes", raw)
    if sum(sizes) + len(sizes) - 1 > _MAX_PATH_BYTES:
        raise ChangeError(f"{raw!r}: path is over {_MAX_PATH_BYTES} bytes", raw)
    _check_reserved(parts, raw)
    return "/".join(parts)


def _check_reserved(parts: Sequence[str], raw: str) -> None:
    for part in parts:
        # Windows ignores trailing dots/spaces and ':stream' suffixes, so ".git." is ".git" there.
        key = part.split(":", 1)[0].rstrip(" .").casefold()
        if key in _RESERVED:
            raise ChangeError(f"{raw!r}: writing inside {key}/ is not allowed", raw)


def validate(
    changes: ChangeSet, root: Path, *, max_file_bytes: int = 1_000_000, max_files: int = 200
) -> list[tuple[FileChange, Path]]:
    """Check every change against `root`; return (change, resolved absolute target) pairs."""
    items = tuple(changes.changes)
    if not items:
        raise ChangeError("change set has no files")
    if len(items) > max_files:
        raise ChangeError(f"too many files: {len(items)} changes, at most {max_files} allowed")
    try:
        root_real = Path(root).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise ChangeError(f"project root {str(root)!r} is not usable: {exc}") from exc
    if not root_real.is_dir():
        raise ChangeError(f"project root {str(root)!r} is not a directory")
    by_target: dict[str, str] = {}  # _same_file_key(target) -> the path as given
    out: list[tuple[FileChange, Path]] = []
    for change in items:
        # Comparing resolved targets also catches "a.py" vs "./a.py" and aliases via symlinks.
        target = _resolve_target(normalize_path(change.path), root_real, change.path)
        key = _same_file_key(target)
        if key in by_target:
            msg = f"{change.path!r}: duplicate, the same file as {by_target[key]!r}"
            raise ChangeError(msg, change.path)
        by_target[key] = change.path
        _check_change(change, target, max_file_bytes)
        out.append((change, target))
    # A path that is also a folder of another path in the same set cannot be both.
    for change, target in out:
        raw = change.path
        for parent in target.relative_to(root_real).parents:
            other = by_target.get(_same_file_key(root_real / parent))
            if other is not None:
                msg = f"{raw!r}: lies under {other!r}, which this set also changes"
                raise ChangeError(msg, raw)
    return out


def _same_file_key(target: Path) -> str:
    # Case- and normalization-insensitive, as on macOS and Windows: there "A.py" and "a.py" (or an
    # NFC and an NFD "café.py") are one file, and two writes to it would silently keep only one.
    return unicodedata.normalize("NFC", str(target)).casefold()


def resolve_target(raw: str, root_real: Path) -> Path:
    """Where a relative path lands under an already-resolved root, or ChangeError (the same checks
    as a change set's: no escape through symlinks, nothing in .git/ or .codeframe/)."""
    return _resolve_target(normalize_path(raw), root_real, raw)


def _resolve_target(norm: str, root_real: Path, raw: str) -> Path:
    parent_rel, _, name = norm.rpartition("/")
    try:
        # strict=False follows every symlink that exists, including dangling ones.
        parent = (root_real / parent_rel).resolve() if parent_rel else root_real
    except (OSError, RuntimeError) as exc:  # RuntimeError: symlink loop on 3.11
        raise ChangeError(f"{raw!r}: cannot resolve parent folder: {exc}", raw) from exc
    if not parent.is_relative_to(root_real):
        raise ChangeError(f"{raw!r}: leads outside the project through a symlink", raw)
    target = parent / name
    # A symlink inside the project may lead to .git even when the given path does not.
    _check_reserved(target.relative_to(root_real).parts, raw)
    probe = parent
    while not os.path.lexists(probe):
        probe = probe.parent
    if not probe.is_dir():
        where = probe.relative_to(root_real).as_posix()
        raise ChangeError(f"{raw!r}: {where!r} is a file, not a folder", raw)
    return target


def _check_change(change: FileChange, target: Path, max_file_bytes: int) -> None:
    raw = change.path
    if change.action not in _ACTIONS:
        raise ChangeError(f"{raw!r}: unknown action {change.action!r}", raw)
    try:
        mode: int | None = os.lstat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as exc:  # e.g. ENAMETOOLONG: short enough relative, too long under the root
        raise ChangeError(f"{raw!r}: cannot use this path: {exc.strerror}", raw) from exc
    if mode is None:
        if change.action == "delete":
            raise ChangeError(f"{raw!r}: cannot delete, no such file", raw)
    elif stat.S_ISLNK(mode):
        raise ChangeError(f"{raw!r}: is a symlink; refusing to {change.action} through it", raw)
    elif stat.S_ISDIR(mode):
        raise ChangeError(f"{raw!r}: is a directory; cannot {change.action} it", raw)
    elif not stat.S_ISREG(mode):
        raise ChangeError(f"{raw!r}: is not a regular file", raw)
    if change.action == "write":
        _encode_content(change, max_file_bytes)


def _encode_content(change: FileChange, max_file_bytes: int) -> bytes:
    raw = change.path
    if not isinstance(change.content, str):
        kind = type(change.content).__name__
        raise ChangeError(f"{raw!r}: content must be text, got {kind}", raw)
    try:
        data = change.content.encode("utf-8")
    except UnicodeEncodeError:
        raise ChangeError(f"{raw!r}: content is not valid UTF-8 (lone surrogate)", raw) from None
    if len(data) > max_file_bytes:
        raise ChangeError(f"{raw!r}: content is {len(data)} bytes, limit is {max_file_bytes}", raw)
    if b"\x00" in data:
        raise ChangeError(f"{raw!r}: content has NUL bytes (binary files are not allowed)", raw)
    return data


async def apply_changes(
    changes: ChangeSet, root: Path, *, max_file_bytes: int = 1_000_000, max_files: int = 200,
    journal: Path | None = None,
) -> AppliedChanges:
    """Validate everything, then apply every change or none; raises ChangeError.

    `journal` (a folder) makes the set whole across a crash too: see engine/journal.py. The work
    runs off the event loop: its fsyncs (each file, the journal, the folders) held the loop for
    ~30 ms per change set on a shared virtual disk, and every pane froze meanwhile."""
    return await run_whole(_apply, changes, root, max_file_bytes, max_files, journal)


def _apply(changes: ChangeSet, root: Path, max_file_bytes: int, max_files: int,
           journal: Path | None) -> AppliedChanges:
    plan = validate(changes, root, max_file_bytes=max_file_bytes, max_files=max_files)
    # run_whole lets no cancel in half-way: the commit below is whole, and one set commits at a time.
    originals: dict[Path, _Original] = {}
    temps: dict[Path, Path] = {}
    created: list[Path] = []
    done: list[Path] = []
    current = ""
    book = ChangeJournal(journal, root)
    try:
        book.staging([t for _, t in plan], _missing_dirs(t.parent for c, t in plan if c.action == "write"))
        for change, target in plan:
            current = change.path
            originals[target] = _read_original(target)
            if change.action == "write":
                _make_parents(target.parent, created)
                data = _encode_content(change, max_file_bytes)
                original = originals[target]
                temps[target] = stage(target, data, original[1] if original else None)
        book.replacing([(c.action, t, temps.get(t)) for c, t in plan])
        for change, target in plan:
            current = change.path
            if change.action == "write":
                os.replace(temps[target], target)
            else:
                os.unlink(target)
            done.append(target)
    except BaseException as exc:
        book.rolling_back()
        problems = _rollback(done, originals, list(temps.values()), created)
        if not problems:
            book.close()  # undone here and now: nothing is left for recovery to do
        if problems:
            logger.error("rollback after failing on %r was incomplete: %s", current, problems)
        if not isinstance(exc, Exception):
            raise
        outcome = "rollback incomplete: " + "; ".join(problems) if problems else "nothing changed"
        msg = f"{current!r}: could not apply changes ({exc}); {outcome}"
        raise ChangeError(msg, current) from exc
    fsync_dirs({t.parent for _, t in plan} | {d.parent for d in created})
    book.close()
    written = tuple(normalize_path(c.path) for c, _ in plan if c.action == "write")
    deleted = tuple(normalize_path(c.path) for c, _ in plan if c.action == "delete")
    contents: dict[str, tuple[bytes | None, bytes | None, int | None]] = {}
    for c, t in plan:
        original = originals[t]
        contents[normalize_path(c.path)] = (
            original[0] if original else None,
            _encode_content(c, max_file_bytes) if c.action == "write" else None,
            original[1] if original else None,
        )
    logger.info("applied %d writes and %d deletes under %s", len(written), len(deleted), root)
    return AppliedChanges(written=written, deleted=deleted, contents=contents)


def _read_original(target: Path) -> _Original:
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return None
    return target.read_bytes(), stat.S_IMODE(mode)  # validated: a regular file, not a link


def _missing_dirs(parents: Iterable[Path]) -> list[Path]:
    missing: set[Path] = set()
    for directory in parents:
        while not os.path.lexists(directory) and directory not in missing:
            missing.add(directory)
            directory = directory.parent
    return sorted(missing)


def _make_parents(directory: Path, created: list[Path]) -> None:
    missing = []
    while not os.path.lexists(directory):
        missing.append(directory)
        directory = directory.parent
    for d in reversed(missing):
        os.mkdir(d)
        created.append(d)  # recorded one by one so a partial failure is still undone


def _rollback(
    done: list[Path], originals: dict[Path, _Original], temps: list[Path], created: list[Path]
) -> list[str]:
    """Undo what was done; return what could not be undone (best effort, keeps going)."""
    problems = []

    def attempt(action: Callable[[Path], object], path: Path) -> None:
        try:
            action(path)
        except FileNotFoundError:
            pass  # a temp already renamed into place, or nothing left to undo
        except OSError as exc:
            problems.append(f"{path}: {exc}")

    for target in reversed(done):
        original = originals[target]
        if original is None:
            attempt(os.unlink, target)
        else:
            # Rewritten in place, not renamed: the rename may be exactly what just failed.
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | O_NOFOLLOW
            attempt(lambda p: write_fd(os.open(p, flags, 0o600), *original), target)  # noqa: B023 (called now)
    for tmp in temps:
        attempt(os.unlink, tmp)
    for d in reversed(created):
        attempt(os.rmdir, d)
    return problems
