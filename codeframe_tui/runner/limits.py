"""Bounds on what one sandboxed command may use: processes, the size of a file, memory.

Files and memory are resource limits (`prlimit`, from util-linux, run inside the sandbox, so the
limits hold for the command and everything it starts). Memory is RLIMIT_DATA, not RLIMIT_AS: V8, the
JVM and Go reserve huge address ranges they never use, and an address-space cap breaks them; the data
limit counts only what is writable, which is what a runaway allocation grows.

Processes are harder. RLIMIT_NPROC counts per user, and the kernel never applies it to root, so:
- as an ordinary user, unprivileged bubblewrap runs the command in a new user namespace, where the
  kernel counts the processes of that namespace only: the limit is per command;
- as root (containers, CI), each command gets its own `pids` cgroup, when a pids hierarchy is
  writable, joined before bwrap starts, so nothing the command forks escapes it;
- otherwise (root without a writable pids cgroup), processes are not bounded, and `describe` says so;
  the timeout and the pid namespace still end every process the command started.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
PIDS_V1 = Path("/sys/fs/cgroup/pids")
PIDS_V2 = Path("/sys/fs/cgroup")
GROUP = "codeframe-tui"  # our folder in the pids hierarchy: one cgroup per running command below it
STALE_AFTER = 60.0  # seconds: an empty cgroup of ours this old was left by a crash, and is removed


def _memory_default() -> int:
    """Three quarters of the machine's memory, per process: a runaway allocation fails in the test
    instead of waking the kernel's OOM killer, which might pick this app."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0
    return max(1024, total * 3 // 4 // MIB)


@dataclass(frozen=True)
class Limits:
    """Per command; 0 is no limit. The defaults never trouble a normal test suite."""

    processes: int = 4096
    file_size_mb: int = 16 * 1024
    memory_mb: int = -1  # -1: the machine's default (_memory_default)

    def memory(self) -> int:
        return _memory_default() if self.memory_mb < 0 else self.memory_mb


def rlimit_prefix(limits: Limits, prlimit: str | None) -> list[str]:
    """`prlimit --fsize=... --data=... --nproc=... --`, for the command inside the sandbox."""
    if prlimit is None:
        return []
    args = [prlimit]
    if limits.file_size_mb > 0:
        args.append(f"--fsize={limits.file_size_mb * MIB}")
    if limits.memory() > 0:
        args.append(f"--data={limits.memory() * MIB}")
    if limits.processes > 0:
        args.append(f"--nproc={limits.processes}")
    return [*args, "--"] if len(args) > 1 else []


def find_prlimit() -> str | None:
    return shutil.which("prlimit")


_found: dict[str, PidsCgroups | None] = {}


class PidsCgroups:
    """One pids cgroup per command, under our folder of a writable pids hierarchy (v1, or v2 at the
    root where the pids controller can be delegated to our folder)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._ids = itertools.count(1)
        self._busy: list[Path] = []  # ours, still being emptied when their command ended

    @classmethod
    def find(cls) -> PidsCgroups | None:
        """Only for root: an ordinary user's processes are bounded by RLIMIT_NPROC in bwrap's user
        namespace, and cannot write the hierarchy anyway. Looked for once per process."""
        if "found" not in _found:
            _found["found"] = None
            if os.geteuid() == 0:
                for parent, v2 in ((PIDS_V1, False), (PIDS_V2, True)):
                    base = cls._usable(parent, v2)
                    if base is not None:
                        _found["found"] = cls(base)
                        break
        return _found["found"]

    @staticmethod
    def _usable(parent: Path, v2: bool) -> Path | None:
        try:
            if v2:
                controllers = (parent / "cgroup.controllers").read_text().split()
                if "pids" not in controllers:
                    return None
            elif not (parent / "cgroup.procs").exists():
                return None
            base = parent / GROUP
            base.mkdir(exist_ok=True)
            if v2:
                (base / "cgroup.subtree_control").write_text("+pids\n")
            PidsCgroups(base).sweep()
            probe = base / f"probe-{os.getpid()}"
            probe.mkdir(exist_ok=True)
            try:
                (probe / "pids.max").write_text("max\n")
            finally:
                probe.rmdir()
            return base
        except OSError as exc:
            logger.info("no pids cgroup under %s: %s", parent, exc)
            return None

    @contextlib.contextmanager
    def scope(self, processes: int) -> Iterator[list[str]]:
        """A fresh cgroup holding at most `processes`, and the prefix that puts the command in it
        before anything runs (`sh -c 'echo $$ > cgroup.procs && exec "$@"'`); removed afterwards."""
        if processes <= 0:
            yield []
            return
        self._busy = [g for g in self._busy if not _remove(g)]
        group = self.base / f"{os.getpid()}-{next(self._ids)}"
        try:
            group.mkdir()
            (group / "pids.max").write_text(f"{processes}\n")
        except OSError as exc:
            logger.warning("could not make a pids cgroup at %s: %s", group, exc)
            with contextlib.suppress(OSError):
                group.rmdir()
            yield []
            return
        try:
            yield ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(group / "cgroup.procs")]
        finally:
            if not _remove(group):
                self._busy.append(group)

    def sweep(self, older_than: float = STALE_AFTER) -> None:
        """Remove our empty cgroups left by a crash (rmdir refuses one that still holds a process)."""
        now = time.time()
        with contextlib.suppress(OSError):
            for group in self.base.iterdir():
                if group.is_dir():
                    with contextlib.suppress(OSError):
                        if now - group.stat().st_mtime >= older_than:
                            group.rmdir()


def _remove(group: Path) -> bool:
    """Whether the cgroup is gone. Never waits: the event loop runs this, and the kernel may still be
    reaping the last of the command's processes (the next command's start tries again)."""
    try:
        group.rmdir()
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return True
