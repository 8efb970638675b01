"""The files the repository map lists, and the repository's state its cache is keyed by.

The listing is git's (`git ls-files --cached --others --exclude-standard`, less the worktree's
deletions); a plain folder is walked instead. The same files are hidden as from the model everywhere
else: dotfiles and dot-folders, tool folders, and secret-looking names
(`codeframe_tui.llm.prompts.SECRET_PATTERNS` plus the config's, matched on name and path).
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import os
import re
from collections.abc import Sequence
from typing import NamedTuple

from codeframe_tui.engine.repomap.process import run_bounded
from codeframe_tui.llm.prompts import SECRET_PATTERNS, SKIP_DIRS

GIT_TIMEOUT = 30.0
MAX_LISTING_BYTES = 64 * 1024 * 1024  # git's NUL-separated listing; about a million paths
MAX_FILES = 200_000  # a plain folder's walk stops here
STAT_CAP = 20_000  # changed paths whose size and mtime go into the cache key
# In a git listing: dot-folders (.git, .codeframe, .venv...) go by their dot; these by name. dist/
# and build/ stay: in git they are sources someone committed.
_GIT_PRUNED = frozenset({"node_modules", "__pycache__", "venv"})
_PATHSPEC = ("--", ".", ":(exclude).codeframe")  # glob excludes (**/node_modules/**) cost git 10 ms a call


class RepoState(NamedTuple):
    head: str  # "unborn" before the first commit
    digest: str  # of the working tree's changes
    deleted: frozenset[str]  # paths relative to the root, deleted in the worktree


async def repo_state(real: str) -> RepoState | None:
    """HEAD and the working tree's status; None when `real` is not in a git repository."""
    # Both at once: a cache hit costs the slower of the two (status, ~20 ms on 10,000 files), not the sum.
    (code, out, _), (status_code, status, cut) = await asyncio.gather(
        run_bounded(["git", "rev-parse", "--show-toplevel", "HEAD"], real, seconds=GIT_TIMEOUT, max_bytes=64 * 1024),
        run_bounded(["git", "status", "--porcelain", "-z", "-uall", "--ignore-submodules=all", *_PATHSPEC], real,
                    seconds=GIT_TIMEOUT, max_bytes=MAX_LISTING_BYTES),
    )
    lines = out.decode("utf-8", "surrogateescape").splitlines()
    if code is None or not lines or not os.path.isabs(lines[0]) or status_code != 0 or cut:
        return None
    head = lines[1] if code == 0 and len(lines) > 1 else "unborn"  # no commit yet: rev-parse fails on HEAD
    digest, deleted = await asyncio.to_thread(_status_digest, lines[0], real, status)
    return RepoState(head, digest, deleted)


def _status_digest(toplevel: str, real: str, status: bytes) -> tuple[str, frozenset[str]]:
    """A hash of `git status` plus the size and mtime of each changed file (the status line of a file
    stays ` M` through a second edit, its mtime does not), and the worktree's deletions."""
    digest = hashlib.blake2b(status, digest_size=16)
    prefix = os.path.relpath(real, os.path.realpath(toplevel)).replace(os.sep, "/")
    prefix = "" if prefix == "." else prefix + "/"
    deleted: set[str] = set()
    items = status.split(b"\0")
    i = stats = 0
    while i < len(items):
        entry = items[i]
        i += 1
        if len(entry) < 4:
            continue
        xy, path = entry[:2], os.fsdecode(entry[3:])
        if xy[:1] in (b"R", b"C"):
            i += 1  # the source path of a rename or copy follows
        if b"D" in xy:
            if path.startswith(prefix):
                deleted.add(path[len(prefix):])
            continue
        if stats < STAT_CAP:
            stats += 1
            try:
                st = os.lstat(os.path.join(toplevel, path))
                digest.update(f"{st.st_size}:{st.st_mtime_ns};".encode())
            except OSError:
                digest.update(b"?;")
    return digest.hexdigest(), frozenset(deleted)


async def git_listing(real: str) -> tuple[bytes | None, bool, bool]:
    """(git's NUL-separated listing, or None when git failed and the folder is to be walked; whether
    it was cut short; whether git ran to the end, so that a map made of it may be cached)."""
    code, listing, cut = await run_bounded(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                                            *_PATHSPEC], real, seconds=GIT_TIMEOUT, max_bytes=MAX_LISTING_BYTES)
    return (listing if code == 0 or cut else None), cut, code is not None


def visible_files(real: str, listing: bytes | None, cut: bool, deleted: frozenset[str],
                  secret_patterns: Sequence[str]) -> tuple[list[str], bool, Hider]:
    """The sorted paths the model may see, whether the listing stopped early, and the Hider that chose."""
    hider = Hider(secret_patterns, _GIT_PRUNED if listing is not None else SKIP_DIRS)
    if listing is None:
        return (*_walk(real, hider), hider)
    names = os.fsdecode(listing).split("\0")
    if cut and names:
        names.pop()  # the last path may be cut in half
    return sorted({p for p in names if p and p not in deleted and hider.visible(p)}), cut, hider


class Hider:
    """Which paths the model must not see: dotfiles (.env), anything in a dot-folder (.git,
    .codeframe) or a tool folder, and secret-looking names, by name and by path."""

    def __init__(self, secret_patterns: Sequence[str], pruned: frozenset[str] | set[str]) -> None:
        patterns = [p.lower() for p in (*SECRET_PATTERNS, *secret_patterns)]
        self._path = _any_of(patterns)
        # fnmatch's `*` crosses `/`: a pattern led by `*` that matches a name matches every path ending
        # in it, so only the other patterns need matching against the name alone.
        self._name = _any_of([p for p in patterns if not p.startswith("*")])
        self._pruned = pruned
        self._folders: dict[str, bool] = {}  # a folder's verdict, once for all its files

    def prunes(self, folder_name: str) -> bool:
        """Whether a folder of this name hides all it holds."""
        return not folder_name or folder_name.startswith(".") or folder_name in self._pruned

    def visible(self, rel: str) -> bool:
        folder, _, name = rel.rpartition("/")
        ok = self._folders.get(folder)
        if ok is None:
            ok = self._folders[folder] = not folder or not any(map(self.prunes, folder.split("/")))
        if not ok or not name or name.startswith("."):
            return False
        if self._path is not None and self._path.match(rel.lower()):
            return False
        return self._name is None or not self._name.match(name.lower())


def _any_of(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """fnmatch's own rule (fnmatch.fnmatch is this regex on a lowered name), all patterns in one pass."""
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)) if patterns else None


def _walk(real: str, hider: Hider) -> tuple[list[str], bool]:
    """A plain folder's files: tool and dot-folders pruned before they
    are entered, no symlinks followed; and whether the walk stopped at MAX_FILES."""
    out: list[str] = []
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(os.path.join(real, rel_dir)) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not hider.prunes(entry.name):
                        subdirs.append(rel)
                elif entry.is_file(follow_symlinks=False) and hider.visible(rel):
                    out.append(rel)
            except OSError:
                continue
        if len(out) >= MAX_FILES:
            return sorted(out[:MAX_FILES]), True
        stack.extend(reversed(subdirs))
    return sorted(out), False
