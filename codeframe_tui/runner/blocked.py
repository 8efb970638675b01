"""What the sandbox blocked, in plain words: notes added after a failed confined run's own output.

A test that tried to write outside its worktree fails with "Read-only file system", one that reached
for the network with "Network is unreachable": true, but neither says that the sandbox did it, nor
how to allow it. The command's own words stay as they are; these notes follow them, once each, so
the agent (through the output's tail) and the person (in the Test output pane) read the same thing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codeframe_tui.runner.sandbox import Confinement

PREFIX = "[sandbox] "
SIGXFSZ_EXIT = -25  # killed by SIGXFSZ: a file reached the size limit

_WRITE = re.compile(r"Read-only file system|EROFS")
_NETWORK = re.compile(r"Network is unreachable|ENETUNREACH|Connection refused|ECONNREFUSED"
                      r"|Temporary failure in name resolution|EAI_AGAIN"
                      r"|getaddrinfo ENOTFOUND|Could not resolve host|Name or service not known")
_REFUSED = re.compile(r"Resource temporarily unavailable|EAGAIN")  # and a fork nearby: a process refused
_FORK = re.compile(r"fork|spawn|pthread_create|[Cc]an't create")
_SIZE = re.compile(r"File size limit exceeded|File too large|EFBIG")
_MEMORY = re.compile(r"MemoryError|Cannot allocate memory|ENOMEM|out of memory|heap out of memory")
_MISSING = re.compile(r"(?:No such file or directory|ENOENT)[^/\n]{0,40}(/[^'\"\s:,)]+)"
                      r"|(/[^'\"\s:,)]+): No such file or directory")


def explain(output: str, confinement: Confinement, home: Path, exit_code: int | None) -> list[str]:
    """The notes for what the sandbox blocked in a failed run, judged from its output's tail."""
    notes: list[str] = []
    limits = confinement.limits
    if _WRITE.search(output):
        notes.append("a write outside the worktree was blocked: the rest of the machine is read-only here "
                     "([sandbox] write_paths widens it)")
    if not confinement.network and _NETWORK.search(output):
        notes.append("the network was blocked: tests run in a network of their own, without the internet or "
                     "this machine's listeners ([sandbox] network = true allows it)")
    if limits.processes > 0 and _REFUSED.search(output) and _FORK.search(output):
        notes.append(f"a new process was refused: the limit is {limits.processes} processes "
                     "([sandbox] processes raises it)")
    if limits.file_size_mb > 0 and (exit_code == SIGXFSZ_EXIT or _SIZE.search(output)):
        notes.append(f"a file reached the size limit of {limits.file_size_mb} MB ([sandbox] file_size_mb raises it)")
    if limits.memory() > 0 and _MEMORY.search(output):
        notes.append(f"memory may have reached the limit of {limits.memory()} MB per process "
                     "([sandbox] memory_mb raises it)")
    hidden = _hidden_paths(output, confinement, home)
    if hidden:
        notes.append(f"{', '.join(hidden)} exist outside the sandbox but not in it: the home is empty here "
                     "([sandbox] read_paths shows a path read-only)")
    return [PREFIX + note for note in notes]


def _hidden_paths(output: str, confinement: Confinement, home: Path) -> list[str]:
    """Paths the run could not find that do exist out here, under the home or /tmp the sandbox empties."""
    kept = (*confinement.home_read, *confinement.home_write, *confinement.readable, *confinement.writable)
    out: list[str] = []
    for match in _MISSING.finditer(output):
        path = Path(match.group(1) or match.group(2))
        if not (path.is_relative_to(home) or path.is_relative_to("/tmp")):
            continue
        if any(path.is_relative_to(k) for k in kept) or not path.exists() or str(path) in out:
            continue
        out.append(str(path))
        if len(out) == 3:
            break
    return out
