"""Whole-file writes: staged beside the target, fsynced, renamed over it; durable renames; and
running such work off the event loop, whole."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
TEMP_PREFIX = ".cf-"  # staged files are `.cf-<16 hex>.tmp`: recovery recognises its own litter
TEMP_SUFFIX = ".tmp"
T = TypeVar("T")
# On the loop, two change sets could never interleave; in threads this lock keeps it so.
_ONE_AT_A_TIME = threading.Lock()


async def run_whole(fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` in a thread, so that its fsyncs never hold the event loop; one such job at a time;
    and to its end even if the awaiting task is cancelled meanwhile. The cancel then goes through,
    as it would have at the next await had `fn` run on the loop: nothing is left half-done."""
    job = asyncio.ensure_future(asyncio.to_thread(_serialised, fn, *args))
    cancelled = False
    while not job.done():
        try:
            await asyncio.wait({job})
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        if not job.cancelled():
            job.exception()  # retrieved: the caller hears the cancel, not a failure it will never handle
        raise asyncio.CancelledError
    result = job.result()
    if isinstance(result, _Interrupted):
        raise result.exc
    return result


class _Interrupted:
    """A KeyboardInterrupt or SystemExit from the job, carried out of its thread's task: raised
    there, asyncio would stop the whole loop with it; raised in the caller, it propagates as before."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _serialised(fn: Callable[..., T], *args: object) -> T | _Interrupted:
    with _ONE_AT_A_TIME:
        try:
            return fn(*args)
        except Exception:
            raise
        except BaseException as exc:
            return _Interrupted(exc)


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
