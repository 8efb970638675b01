"""A record of the process groups a run started, so the next start can end what a crash left running."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
from pathlib import Path

log = logging.getLogger(__name__)


def _boot_id() -> str:
    # Process ids restart with the machine: a record from an earlier boot names nobody of ours.
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


TOKEN_VARIABLE = "CODEFRAME_PROCESS_TOKEN"


class ProcessLog:
    """One small file per live process group, `<dir>/<pgid>`, holding the boot it started in and
    a token that every process of the group carries in its environment.

    Written when a command starts and removed once its group is gone. No fsync: the files only
    need to outlive our process (kill -9 keeps the page cache); a power cut ends the groups too.
    A group id alone proves nothing (ids are reused, and other PID namespaces share the boot), so
    `end_strays` kills a group only when one of its live processes carries the token: a group the
    dead run started, and no one else's.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._boot = _boot_id()
        self.token = secrets.token_hex(16)

    def child_env(self) -> dict[str, str]:
        """Laid over a command's environment: how its processes are told apart later."""
        return {TOKEN_VARIABLE: self.token}

    def record(self, pgid: int) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / str(pgid)).write_text(f"{self._boot} {self.token}", encoding="ascii")
        except OSError as exc:  # the test still runs; only crash clean-up would miss it
            log.warning("could not record process group %d: %s", pgid, exc)

    def forget(self, pgid: int) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.directory / str(pgid))

    def recorded(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        return sorted(int(p.name) for p in self.directory.iterdir() if p.name.isdigit())

    def end_strays(self) -> list[int]:
        """SIGKILL every recorded group that still has a live process of ours; returns their pids."""
        ended: list[int] = []
        for pgid in self.recorded():
            path = self.directory / str(pgid)
            try:
                boot, token = path.read_text(encoding="ascii").split()
            except (OSError, ValueError):
                boot, token = "", ""
            if boot == self._boot and token:
                marker = f"{TOKEN_VARIABLE}={token}".encode()
                ours = [pid for pid in group_members(pgid) or [] if marker in _environ(pid)]
                if ours:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(pgid, signal.SIGKILL)
                    log.warning("ended process group %d left by an earlier run: pids %s", pgid, ours)
                    ended.extend(ours)
            self.forget(pgid)
        return ended


def _environ(pid: int) -> list[bytes]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return fh.read().split(b"\0")
    except OSError:
        return []


def group_members(pgid: int) -> list[int] | None:
    """Live (not zombie) processes whose process group is `pgid`, read from /proc; None without /proc."""
    # Orphaned zombies stay in the group until init reaps them, and some container inits never
    # do; reading states from /proc keeps us from waiting on, or counting, corpses.
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    members = []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            members.append(int(name))
    return members
