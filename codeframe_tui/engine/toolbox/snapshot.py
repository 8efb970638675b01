"""What a bash command changed in a worktree, found by git: a tree of the worktree before, one after.

The editor records each edit before it writes it; a shell command writes where it likes, so its
changes are found afterwards, and recorded as the task's changes (they land, show in the diff and
undo like the editor's). A snapshot is `git add -A` into a private index (seeded from the last one,
so unchanged files are not hashed again) and `git write-tree`: every file git would see, ignored
ones left out. Only what differs between the two trees is the command's: the worktree's setup output
and earlier test caches were already in the first. Caches the project does not ignore
(`__pycache__`, `.pytest_cache`...) are left out too, as the editor never writes them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

GIT_TIMEOUT = 60.0
PENDING = "shell_before"  # the task's extra while a command runs: the tree its changes are found from
MAX_KEPT_BYTES = 2 * 1024 * 1024  # a bigger file a command made is not kept as a change (and says so)
JUNK_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", "node_modules",
                        ".codeframe", ".hypothesis"})
JUNK_SUFFIXES = (".pyc", ".pyo")


@dataclass
class Found:
    """The command's changes: path -> (before, after, mode) as the store keeps them, and what was left out."""

    contents: dict[str, tuple[bytes | None, bytes | None, int | None]] = field(default_factory=dict)
    too_big: list[str] = field(default_factory=list)


class GitSnapshotError(RuntimeError):
    pass


async def _git(root: Path, *args: str, index: Path | None = None) -> bytes:
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    env.update(LC_ALL="C", GIT_TERMINAL_PROMPT="0")
    if index is not None:
        env["GIT_INDEX_FILE"] = str(index)
    proc = await asyncio.create_subprocess_exec(
        "git", *args, cwd=root, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), GIT_TIMEOUT)
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0:
        raise GitSnapshotError(f"git {args[0]}: {err.decode(errors='replace').strip()[:300]}")
    return out


async def snapshot(root: Path) -> str:
    """A tree object of the worktree as it is now (its id)."""
    paths = await _git(root, "rev-parse", "--path-format=absolute", "--git-path", "codeframe-snapshot-index",
                       "--git-path", "index")
    index, real = paths.decode().split()
    _seed(Path(index), Path(real))
    await _git(root, "add", "-A", index=Path(index))
    return (await _git(root, "write-tree", index=Path(index))).decode().strip()


def _seed(index: Path, real: Path) -> None:
    """The private index starts as a copy of the worktree's: its stat data spares hashing every file."""
    if not index.exists() and real.exists():
        shutil.copyfile(real, index)


def _junk(path: str) -> bool:
    pure = PurePosixPath(path)
    return bool(JUNK_PARTS.intersection(pure.parts)) or path.endswith(JUNK_SUFFIXES)


async def changed(root: Path, before: str, after: str, is_secret: Callable[[str], bool]) -> Found:
    """The files that differ between two snapshots, with their contents before and now."""
    found = Found()
    if before == after:
        return found
    out = await _git(root, "diff-tree", "-r", "-z", "--no-renames", "--name-status", before, after)
    fields = [f.decode("utf-8", "surrogateescape") for f in out.split(b"\0") if f]
    for status, path in zip(fields[::2], fields[1::2], strict=False):
        if _junk(path) or is_secret(path):
            continue
        target = root / path
        try:
            stat = os.lstat(target)
        except FileNotFoundError:
            stat = None
        if stat is not None and stat.st_size > MAX_KEPT_BYTES:
            found.too_big.append(path)
            continue
        old = None if status == "A" else await _git(root, "cat-file", "blob", f"{before}:{path}")
        new = None if stat is None else _read(target)
        found.contents[path] = (old, new, None if stat is None or status == "A" else stat.st_mode)
    return found


def _read(target: Path) -> bytes | None:
    try:
        return os.readlink(target).encode() if target.is_symlink() else target.read_bytes()
    except OSError:
        return None
