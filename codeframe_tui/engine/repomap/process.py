"""Bounded subprocesses for the repository map: git and ctags run in their own session, with a
deadline and a cap on their output, and their whole group is killed when either is passed or the
caller is cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Sequence


async def run_bounded(argv: Sequence[str], cwd: str, *, seconds: float,
                      max_bytes: int) -> tuple[int | None, bytes, bool]:
    """Run argv; (exit code, or None when it did not start or outlived `seconds`; stdout up to
    `max_bytes`; whether that output was cut)."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, env=_git_free_env(), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return None, b"", False
    chunks: list[bytes] = []
    cut = False

    async def pump() -> None:
        nonlocal cut
        assert proc.stdout is not None
        total = 0
        while data := await proc.stdout.read(256 * 1024):
            if total + len(data) > max_bytes:
                chunks.append(data[: max_bytes - total])
                cut = True
                _kill(proc)
                break
            chunks.append(data)
            total += len(data)
        await proc.wait()

    try:
        await asyncio.wait_for(pump(), seconds)
    except TimeoutError:
        _kill(proc)
        await proc.wait()
        return None, b"".join(chunks), True
    except asyncio.CancelledError:
        _kill(proc)
        with contextlib.suppress(ProcessLookupError):
            await asyncio.shield(proc.wait())
        raise
    return proc.returncode, b"".join(chunks), cut


def _git_free_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(name, None)  # set by a hook that started us, they would point git at another repository
    return env


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
