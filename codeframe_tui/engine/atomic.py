"""Whole-file writes: staged beside the target, fsynced, renamed over it; and durable renames."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
TEMP_PREFIX = ".cf-"  # staged files are `.cf-<16 hex>.tmp`: recovery recognises its own litter
TEMP_SUFFIX = ".tmp"


def write_atomically(target: Path, data: bytes, mode: int | None = None) -> None:
    """One file, whole or not at all: staged beside it, fsynced, renamed over it."""
    os.replace(stage(target, data, mode), target)


def stage(target: Path, data: bytes, mode: int | None) -> Path:
    """Write `data` to a fresh temp file beside `target` (so os.replace stays on one filesystem)."""
    # Like mkstemp (O_EXCL, unguessable name) but created 0o666 so the umask decides a new file's
    # mode; the name leaves out the target's so that a 255-byte target name still fits.
    tmp = target.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW, 0o666)
    try:
        write_fd(fd, data, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def write_fd(fd: int, data: bytes, mode: int | None) -> None:
    with os.fdopen(fd, "wb") as f:
        if mode is not None:
            os.fchmod(f.fileno(), mode)  # keep the mode of the file being replaced
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def fsync_dirs(directories: set[Path]) -> None:
    # Makes the renames durable; not every platform can open a directory, hence best effort.
    for d in directories:
        with contextlib.suppress(OSError):
            fd = os.open(d, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def is_staged_temp(name: str) -> bool:
    body = name[len(TEMP_PREFIX):-len(TEMP_SUFFIX)]
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX) and len(body) == 16 and all(
        c in "0123456789abcdef" for c in body)
