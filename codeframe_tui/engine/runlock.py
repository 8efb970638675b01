"""One live run per project: an exclusive lock on .codeframe/run.lock, released by the OS on any exit."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

ACQUIRE_TRIES = 10
ACQUIRE_PAUSE = 0.01  # seconds: at most 0.1 s blocked, once, when the project really is busy


class ProjectBusy(RuntimeError):
    """Another process runs this project; `pid` says which (None if it could not be read)."""

    def __init__(self, project: Path, pid: int | None) -> None:
        who = f"pid {pid}" if pid else "another process"
        super().__init__(f"another codeframe-tui ({who}) is running {project}")
        self.project = project
        self.pid = pid


class RunLock:
    """flock, not a pid file: the kernel drops it when the holder dies, even by kill -9, so a crash
    never leaves a stale lock, and two processes can never both believe they hold it."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "run.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise ProjectBusy. The holder's pid is written into the file for others."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        for attempt in range(ACQUIRE_TRIES):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                # `holder()` (status, a follower) holds a shared lock for a moment: try again briefly
                # before calling the project busy.
                if attempt == ACQUIRE_TRIES - 1:
                    os.close(fd)
                    raise ProjectBusy(self.path.parent.parent, self.holder()) from None
                time.sleep(ACQUIRE_PAUSE)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def holder(self) -> int | None:
        """The pid that holds the lock (0 if it is not written yet), or None when no one does."""
        if self._fd is not None:
            return os.getpid()
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = os.read(fd, 32).decode(errors="replace").strip()
                return int(text) if text.isdigit() else 0  # locked, its pid not written yet
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
