"""Where the commands the agents cause run: an executor, local and unconfined, or inside bubblewrap.

Every test run executes code that the model wrote. Under `bwrap` it sees the machine read-only, an
empty home, a private /tmp and no network, and may write only where it works (the task's worktree,
or the project in place); the project's `.venv` and `node_modules` stay readable. It dies with
us, and killing its process group ends everything inside. `none` runs the command as it is.

An executor turns a command into the command to spawn (`wrap`) and the environment to give it
(`environment`); a container or a remote executor would do the same with `docker exec ...` or
`ssh host ...` and the paths mapped, which is why nothing else in the runner knows about bwrap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from codeframe_tui.runner.blocked import explain
from codeframe_tui.runner.limits import Limits, PidsCgroups, find_prlimit, rlimit_prefix

logger = logging.getLogger(__name__)

MODES = ("auto", "bwrap", "none")
# What a sandboxed command keeps of our environment; the config's [sandbox] env adds to it.
ENV_ALLOWED = frozenset({
    "PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED", "PYTHONHASHSEED", "VIRTUAL_ENV", "NODE_ENV", "NODE_OPTIONS", "CI", "FORCE_COLOR",
    "NO_COLOR", "JAVA_HOME", "GOPATH", "GOROOT", "CARGO_HOME", "RUSTUP_HOME",
})
MISSING = "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"


@dataclass(frozen=True)
class Confinement:
    """What one command may touch beyond the read-only machine."""

    writable: tuple[Path, ...]  # the worktree (or the project in place)
    readable: tuple[Path, ...] = ()  # the project itself, read-only
    # Read-only even inside a writable folder: the project's .venv and node_modules, in place.
    read_only: tuple[Path, ...] = ()
    home_read: tuple[Path, ...] = ()  # [sandbox] read_paths: kept in the empty home, read-only
    home_write: tuple[Path, ...] = ()  # [sandbox] write_paths
    network: bool = False
    env: Mapping[str, str] = field(default_factory=dict)  # [sandbox] env
    limits: Limits = field(default_factory=Limits)  # [sandbox] processes, file_size_mb, memory_mb


class Executor(Protocol):
    name: str

    def wrap(self, argv: Sequence[str], cwd: Path, confinement: Confinement) -> list[str]: ...

    def environment(self, env: Mapping[str, str], confinement: Confinement) -> dict[str, str]: ...

    def scope(self, confinement: Confinement) -> contextlib.AbstractContextManager[list[str]]:
        """Held while the command runs: what must exist around it (a cgroup, a container), and the
        argv prefix that enters it."""
        ...

    def describe(self, confinement: Confinement) -> str:
        """A few words for the header and status: `bwrap · no network`."""
        ...

    def blocked(self, output: str, confinement: Confinement, exit_code: int | None) -> list[str]:
        """Notes on what the confinement blocked in a failed run (blocked.py), to follow its output."""
        ...


class LocalExecutor:
    """No confinement: the command runs with all of the person's rights."""

    name = "none"

    def wrap(self, argv: Sequence[str], cwd: Path, confinement: Confinement) -> list[str]:
        return [str(a) for a in argv]

    def environment(self, env: Mapping[str, str], confinement: Confinement) -> dict[str, str]:
        return dict(env)

    @contextlib.contextmanager
    def scope(self, confinement: Confinement) -> Iterator[list[str]]:
        yield []

    def describe(self, confinement: Confinement) -> str:
        return "none"

    def blocked(self, output: str, confinement: Confinement, exit_code: int | None) -> list[str]:
        return []


class BwrapExecutor:
    """Bubblewrap: a read-only root, a private /tmp and home, no network, writes only where allowed."""

    name = "bwrap"

    def __init__(self, binary: str = "bwrap", home: Path | None = None) -> None:
        self.binary = binary
        self.home = home or Path(os.environ.get("HOME") or "/root")
        self.prlimit = find_prlimit()
        self.pids = PidsCgroups.find()

    def wrap(self, argv: Sequence[str], cwd: Path, confinement: Confinement) -> list[str]:
        args = [self.binary, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                "--tmpfs", str(self.home)]
        for path in (*confinement.home_read, *self._toolchain(argv)):
            args += ["--ro-bind-try", str(path), str(path)]
        for path in confinement.home_write:
            args += ["--bind-try", str(path), str(path)]
        # The project may live under /tmp or the home just hidden: shown again, read-only, then the
        # folder the command works in, writable.
        for path in confinement.readable:
            args += ["--ro-bind", str(path), str(path)]
        for path in confinement.writable:
            args += ["--bind", str(path), str(path)]
        for path in confinement.read_only:
            args += ["--ro-bind-try", str(path), str(path)]
        if not confinement.network:
            args.append("--unshare-net")
        args += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session",
                 "--cap-drop", "ALL", "--chdir", str(cwd), "--"]
        return args + rlimit_prefix(confinement.limits, self.prlimit) + [str(a) for a in argv]

    def scope(self, confinement: Confinement) -> contextlib.AbstractContextManager[list[str]]:
        if self.pids is None:
            return contextlib.nullcontext([])
        return self.pids.scope(confinement.limits.processes)

    def describe(self, confinement: Confinement) -> str:
        words = ["bwrap", "network" if confinement.network else "no network"]
        if confinement.limits.processes > 0 and not self.bounds_processes():
            words.append("processes unbounded (root, no pids cgroup)")
        if self.prlimit is None:
            words.append("no limits (prlimit missing)")
        return " · ".join(words)

    def blocked(self, output: str, confinement: Confinement, exit_code: int | None) -> list[str]:
        return explain(output, confinement, self.home, exit_code)

    def bounds_processes(self) -> bool:
        """Root is exempt from RLIMIT_NPROC: only a pids cgroup bounds its processes."""
        return self.pids is not None or (self.prlimit is not None and os.geteuid() != 0)

    def _toolchain(self, argv: Sequence[str]) -> list[Path]:
        """The programs' own installations when they live where the sandbox puts an empty folder (the
        home, /tmp): a venv's python is a link to ~/.pyenv/versions/..., node lives in ~/.nvm, and a
        checkout under /tmp has its .venv there. Read-only, and only those installations: the folder
        holding a program's `bin/` or `shims/` (a venv, ~/.pyenv), else the program's own folder,
        for every link on the way to it. The programs: the command's, any absolute path in its
        arguments (`sh run.sh /path/to/python`), and the PATH's folders (what a script calls)."""
        hidden = (Path(os.path.realpath(self.home)), Path("/tmp"))
        out: list[Path] = []

        def keep(path: Path) -> None:
            for root in hidden:
                if path.is_relative_to(root) and path != root:
                    prefix = path.parent.parent if path.parent.name in ("bin", "shims") else path.parent
                    if prefix != root and prefix not in out:
                        out.append(prefix)

        found = shutil.which(str(argv[0])) if argv else None
        programs = [found] if found else []
        programs += [str(a) for a in argv[1:] if str(a).startswith("/") and os.path.isfile(str(a))]
        for program in programs:
            path = Path(os.path.abspath(program))
            for _ in range(16):  # each link on the way, then the file itself
                keep(path)
                if not path.is_symlink():
                    break
                path = Path(os.path.abspath(path.parent / os.readlink(path)))
            keep(Path(os.path.realpath(program)))
        for folder in os.environ.get("PATH", "").split(os.pathsep):
            if folder.startswith("/"):
                keep(Path(folder) / "program")  # a PATH folder is a bin/: its installation is kept
        return out

    def environment(self, env: Mapping[str, str], confinement: Confinement) -> dict[str, str]:
        kept = {k: v for k, v in env.items() if k in ENV_ALLOWED or k.startswith("CODEFRAME_")}
        return {**kept, "HOME": str(self.home), "TMPDIR": "/tmp", **confinement.env}


@dataclass(frozen=True)
class Sandboxed:
    """An executor and the confinement of one command: what run_command needs to confine it."""

    executor: Executor
    confinement: Confinement


@dataclass(frozen=True)
class Choice:
    executor: Executor
    warning: str = ""  # said in the header and in status when `auto` could not confine


_probed: dict[str, str | None] = {}


async def probe_bwrap(binary: str = "bwrap") -> str | None:
    """None when bwrap runs a command confined here, else why not. Tested once per process."""
    if binary in _probed:
        return _probed[binary]
    path = shutil.which(binary)
    if path is None:
        _probed[binary] = MISSING
        return MISSING
    argv = BwrapExecutor(path).wrap(["true"], Path("/"), Confinement(writable=()))
    try:
        proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        out, _ = await asyncio.wait_for(proc.communicate(), 10)
        problem = None if proc.returncode == 0 else f"bwrap does not work here: {out.decode(errors='replace')[:300]}"
    except (OSError, TimeoutError) as exc:
        problem = f"bwrap does not work here: {exc}"
    _probed[binary] = problem
    return problem


class SandboxUnavailable(RuntimeError):
    """`sandbox = "bwrap"` and bwrap cannot run: the run must not start unconfined."""


async def choose(mode: str) -> Choice:
    """The executor for the config's `sandbox`: `auto` falls back to none with a warning."""
    if mode == "none":
        return Choice(LocalExecutor())
    problem = await probe_bwrap()
    if problem is None:
        return Choice(BwrapExecutor(shutil.which("bwrap") or "bwrap"))
    if mode == "bwrap":
        raise SandboxUnavailable(f'sandbox = "bwrap", but {problem}')
    logger.warning("sandbox off: %s", problem)
    return Choice(LocalExecutor(), warning=f"sandbox off: {problem}")
