"""What the agents' tools share about files: which are secret, reading one safely, a folder's listing.

The editor, search and list_files answer the model; none of them may show a secret-looking file
(a key, a token, an .env file), read through a symlink, or read a huge file whole.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from codeframe_tui.llm.prompts import SECRET_PATTERNS

MAX_READ_BYTES = 8 * 1024 * 1024  # a file larger than this is never read whole: search it instead
MAX_FILE_BYTES = 4 * 1024 * 1024  # an edit may leave a file at most this large
LISTING_LIMIT = 400
_SKIP_DIRS = {".git", ".codeframe", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache"}
# Dotfiles that hold credentials; other dotfiles (.gitignore, .github/...) are the project's own.
_SECRET_DOTFILES = (".env", ".env.*", ".npmrc", ".pypirc", ".netrc", ".git-credentials", ".pgpass", ".htpasswd",
                    ".dockercfg", "*.env")


class ToolInputError(ValueError):
    """The tool's input cannot be used; the message goes back to the model as an error result."""


def secret_matcher(extra: Sequence[str] = ()) -> Callable[[str], bool]:
    """Whether a relative path looks like a secret, by its name or its whole path."""
    patterns = (*SECRET_PATTERNS, *_SECRET_DOTFILES, *(p.lower() for p in extra))

    def is_secret(rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1].lower()
        lowered = rel.lower()
        return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(lowered, p) for p in patterns)

    return is_secret


def folder_listing(root: Path, folder: Path, shown: str, is_secret: Callable[[str], bool]) -> str:
    """Two levels of a folder inside the project, hidden items and secrets left out."""
    entries: list[str] = []
    more = 0
    base_depth = len(folder.parts)
    for current, dirs, files in os.walk(folder):
        depth = len(Path(current).parts) - base_depth
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        if depth >= 1:
            dirs[:] = []  # two levels, like the tool's own listing
        for name in sorted(files):
            rel = Path(current, name).relative_to(folder).as_posix()
            # Secret patterns may name a path: match the path from the project root.
            if name.startswith(".") or is_secret(Path(current, name).relative_to(root).as_posix()):
                continue
            if len(entries) < LISTING_LIMIT:
                entries.append(rel)
            else:
                more += 1
    head = f"Files and folders in {shown} (two levels deep, hidden items left out):"
    tail = [f"[{more} more not listed: use list_files with a glob]"] if more else []
    return "\n".join([head, *entries, *tail]) if entries else f"{shown} is empty (or holds only hidden files)"


def read_text(target: Path, norm: str) -> str:
    """A regular UTF-8 text file's content, or ToolInputError saying why not (never through a symlink)."""
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


def regular(target: Path, norm: str) -> tuple[bytes, int] | None:
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


def holds(target: Path) -> bytes | None:
    """What a regular file holds now; None when it is absent or not a regular file."""
    try:
        found = regular(target, "")
    except (ToolInputError, OSError):
        return None
    return found[0] if found else None
