"""The change-set journal: a crash half-way through applying one set is finished or undone at start."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeframe_tui.engine.atomic import fsync_dirs, is_staged_temp, write_atomically

log = logging.getLogger(__name__)

# Two phases. While `staging`, only temp files and new folders exist: the project's files are
# untouched, so recovery removes them (roll back). Once `replacing` is on disk, every temp is
# complete and fsynced, so recovery renames the rest into place (roll forward): each step is
# idempotent, and a set is never left half old, half new.
STAGING, REPLACING = "staging", "replacing"


@dataclass(frozen=True)
class RecoveredChangeSet:
    root: str
    outcome: str  # "finished" (rolled forward) or "rolled back"
    paths: tuple[str, ...]  # relative to root


class ChangeJournal:
    """One journal file per change set, in the project's .codeframe/journal/; None turns it off."""

    def __init__(self, directory: Path | None, root: Path) -> None:
        self.directory = directory
        self.root = Path(root).resolve()  # the targets are resolved paths: compared against this
        self.path: Path | None = None
        self._staging: dict[str, Any] = {}

    def staging(self, targets: Iterable[Path], new_dirs: Iterable[Path]) -> None:
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        # Named by time, so that recovery replays sets in the order they were made.
        self.path = self.directory / f"{time.time_ns():020d}-{secrets.token_hex(4)}.json"
        self._staging = {"phase": STAGING, "root": str(self.root), "targets": [str(t) for t in targets],
                         "new_dirs": [str(d) for d in new_dirs]}
        self._write(self._staging)

    def replacing(self, steps: list[tuple[str, Path, Path | None]]) -> None:
        """`steps`: (action, target, staged temp or None for a delete), in the order they run."""
        if self.path is None:
            return
        fsync_dirs({t.parent for _, t, _ in steps})  # the temps' names are durable before we rely on them
        self._write({"phase": REPLACING, "root": str(self.root),
                     "steps": [[a, str(t), str(tmp) if tmp else None] for a, t, tmp in steps]})

    def rolling_back(self) -> None:
        """The set failed and is being undone here: recovery must then never finish it, only clear
        its temps (the undo restores the files in place)."""
        if self.path is not None:
            try:
                self._write(self._staging)
            except OSError as exc:
                log.error("could not mark the change set as rolling back: %s", exc)

    def close(self) -> None:
        """The set is whole (or wholly undone): the journal goes."""
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            fsync_dirs({self.path.parent})
            self.path = None

    def _write(self, data: dict[str, Any]) -> None:
        assert self.path is not None
        write_atomically(self.path, json.dumps(data).encode("utf-8"))
        fsync_dirs({self.path.parent})


def recover_journals(directory: Path, within: Path) -> list[RecoveredChangeSet]:
    """Finish or undo every change set a dead process left half-applied; then drop its journal.

    `within` is the project: every root a journal names is the project or one of its worktrees.
    A journal that cannot be acted on (a file that cannot be renamed now) is kept for the next start.
    """
    if not directory.is_dir():
        return []
    recovered = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = _read(path, within.resolve())
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Cut short by the crash while being written: no file had changed yet.
            log.warning("journal %s unreadable (%s); nothing of its change set was applied", path, exc)
            recovered.append(RecoveredChangeSet(str(path), "unreadable journal dropped", ()))
        else:
            root = Path(data["root"])
            try:
                if data["phase"] == REPLACING:
                    paths, outcome = _roll_forward(root, data["steps"]), "finished"
                else:
                    paths, outcome = _roll_back(root, data["targets"], data.get("new_dirs", [])), "rolled back"
            except (OSError, ValueError) as exc:
                log.error("change set under %s not recovered (%s); its journal %s is kept", root, exc, path)
                recovered.append(RecoveredChangeSet(str(root), f"not recovered ({exc}); retried at next start", ()))
                continue
            log.warning("change set under %s %s after a crash: %s", root, outcome, paths)
            recovered.append(RecoveredChangeSet(str(root), outcome, paths))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    for tmp in directory.iterdir():  # a journal's own staged temp, if the crash hit its write
        if is_staged_temp(tmp.name):
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    fsync_dirs({directory})
    return recovered


def _read(path: Path, within: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    root = Path(data["root"])
    if not root.is_absolute() or ".." in root.parts or not root.is_relative_to(within):
        raise ValueError(f"journal root {root} is outside the project {within}")
    if data["phase"] == REPLACING:
        for action, target, temp in data["steps"]:
            _inside(root, target)
            if action == "write":
                _inside(root, temp)
            elif action != "delete":
                raise ValueError(f"unknown journal action {action!r}")
    elif data["phase"] == STAGING:
        for raw in [*data["targets"], *data.get("new_dirs", [])]:
            _inside(root, raw)
    else:
        raise ValueError(f"unknown journal phase {data['phase']!r}")
    return data


def _inside(root: Path, raw: str) -> Path:
    path = Path(raw)
    if not path.is_absolute() or ".." in path.parts or not path.is_relative_to(root):
        raise ValueError(f"journal names {raw!r}, outside {root}")
    # The folders on the way must still be real folders inside the root: one swapped for a
    # symlink since the crash must not lead a rename or a delete elsewhere.
    if path.parent.exists() and not path.parent.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"{raw!r} now leads outside {root} through a symlink")
    return path


def _roll_forward(root: Path, steps: list[tuple[str, str, str | None]]) -> tuple[str, ...]:
    """`steps` as `replacing` wrote them (JSON lists): action, target, and the staged temp or None."""
    touched = []
    for action, raw_target, raw_temp in steps:
        target = _inside(root, raw_target)
        if action == "write":
            assert raw_temp is not None  # `_read` checked every write's temp
            temp = _inside(root, raw_temp)
            if temp.exists():  # else it was already renamed into place before the crash
                os.replace(temp, target)
        elif target.is_file() and not target.is_symlink():
            os.unlink(target)
        touched.append(str(target.relative_to(root)))
    fsync_dirs({Path(t).parent for _, t, _ in steps})
    return tuple(touched)


def _roll_back(root: Path, targets: list[str], new_dirs: list[str]) -> tuple[str, ...]:
    # Only our own temps (`.cf-<hex>.tmp`) beside the targets, and only folders the set created.
    for parent in {_inside(root, t).parent for t in targets}:
        if parent.is_dir():
            for entry in parent.iterdir():
                if is_staged_temp(entry.name):
                    os.unlink(entry)
    for raw in sorted(new_dirs, key=len, reverse=True):
        with contextlib.suppress(OSError):  # not empty (the person put something there): kept
            os.rmdir(_inside(root, raw))
    return tuple(str(_inside(root, t).relative_to(root)) for t in targets)
