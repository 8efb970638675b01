"""The full output of each test run, on disk: written line by line through a buffer, read back by windows.

The panes keep a bounded tail; the whole output (a million lines, gigabytes if a suite is chatty)
goes to `.codeframe/logs/<task>/<NNN>-<purpose>.log`, so nothing a run printed is lost and any of it
can be paged through later without reading the file whole.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

logger = logging.getLogger(__name__)

LOGS_DIR = Path(".codeframe") / "logs"  # relative to the project
KEEP_PER_TASK = 50  # a task's older logs beyond this many are deleted when a new run starts
WRITE_BUFFER = 256 * 1024  # one write() system call per this many bytes; never an fsync
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_NUMBERED = re.compile(r"^(\d{4,})-")


def task_log_dir(logs: Path, task_key: str) -> Path:
    """The folder of one task's logs. Keys come from plans (a model, an imported file): any character
    that is not safe in a file name becomes `_`, and a key of dots alone cannot name `.` or `..`."""
    name = _UNSAFE.sub("_", task_key)[:80] or "_"
    if set(name) == {"."}:
        name = name.replace(".", "_")
    return logs / name


def task_logs(logs: Path, task_key: str) -> list[Path]:
    """A task's logs, oldest first."""
    folder = task_log_dir(logs, task_key)
    try:
        found = [p for p in folder.iterdir() if p.suffix == ".log" and _NUMBERED.match(p.name)]
    except OSError:
        return []
    return sorted(found, key=_number)


def _number(log: Path) -> int:
    """A task log's number; `task_logs` lists only numbered ones."""
    match = _NUMBERED.match(log.name)
    assert match is not None, log
    return int(match[1])


def new_log_path(logs: Path, task_key: str, purpose: str) -> Path:
    """A fresh numbered path for the task's next run, e.g. `0003-agent.log`; old logs beyond
    KEEP_PER_TASK are removed. Nothing is created yet (RunLog creates it)."""
    existing = task_logs(logs, task_key)
    for old in existing[: max(0, len(existing) + 1 - KEEP_PER_TASK)]:
        try:
            old.unlink()
        except OSError as exc:
            logger.warning("could not remove the old test log %s: %s", old, exc)
    number = _number(existing[-1]) + 1 if existing else 1
    return task_log_dir(logs, task_key) / f"{number:04d}-{_UNSAFE.sub('_', purpose)[:20]}.log"


class RunLog:
    """Writes one run's lines to its file. A failure to write (disk full) is logged once and the run
    goes on: the log is a record, and the tests must not fail for it."""

    def __init__(self, path: Path, header: str = "") -> None:
        self.path = path
        self.lines = 0
        self._file = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "x", encoding="utf-8", errors="replace", buffering=WRITE_BUFFER)  # noqa: SIM115
            if header:
                self._file.write(header + "\n")
        except OSError as exc:
            self._fail(exc)

    def write(self, line: str) -> None:
        if self._file is not None:
            try:
                self._file.write(line + "\n")
            except OSError as exc:
                self._fail(exc)
                return
        self.lines += 1

    def close(self, footer: str = "") -> None:
        if self._file is None:
            return
        try:
            if footer:
                self._file.write(footer + "\n")
            self._file.close()  # flushed to the page cache; the kernel writes it back when it will
        except OSError as exc:
            self._fail(exc)
        self._file = None

    def _fail(self, exc: OSError) -> None:
        logger.warning("test log %s is incomplete: %s", self.path, exc)
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
        self._file = None


def file_size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
