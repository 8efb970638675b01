"""Running one command as an async subprocess in its own process group, streaming its lines."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from codeframe_tui.domain.safe_text import redact_lines
from codeframe_tui.runner.sandbox import Sandboxed
from codeframe_tui.runner.strays import ProcessLog, group_members
from codeframe_tui.runner.stream import LineSplitter, OutputTail

logger = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024
TERM_GRACE = 2.0  # seconds a group gets between SIGTERM and SIGKILL
EOF_GRACE = 1.0  # seconds leftover processes may keep the pipe open after the command exits
EXIT_POLL = 0.05  # seconds between looks at the command's exit status, at most
EXIT_POLL_FIRST = 0.001  # the first look's wait, doubled at each look up to EXIT_POLL
EXIT_NOT_FOUND = 127  # the shell's codes, so callers and people recognise them
EXIT_CANNOT_RUN = 126


@dataclass(frozen=True)
class ProcessResult:
    """How a command ended. `exit_code` is negative when a signal ended it (-15, -9)."""

    exit_code: int | None
    timed_out: bool
    output_tail: str  # the last lines of stdout+stderr (see stream.OutputTail for the bounds)
    duration: float
    dropped_lines: int = 0  # earlier lines that did not fit in output_tail


async def run_command(
    argv: Sequence[str],
    cwd: Path,
    *,
    timeout: float,
    on_line: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
    processes: ProcessLog | None = None,
    sandbox: Sandboxed | None = None,
) -> ProcessResult:
    """Run `argv` in `cwd`, calling `on_line` for every output line as it arrives.

    The command runs in a new session, so it and everything it spawns share one process
    group; that whole group is terminated on timeout, killed on cancellation (the
    CancelledError is re-raised) and also cleaned up after a normal exit, so no test
    server or grandchild outlives the run. `processes` records the group while it lives, so a
    crash of this process cannot orphan it for good. `env` is laid over os.environ. A command that
    cannot be started is not an exception: it returns exit code 127 (not found) or 126
    with the reason as the output. An exception raised by `on_line` kills the group and
    propagates. `sandbox` (an executor and what it may touch) confines the command: see sandbox.py.
    """
    argv = [str(arg) for arg in argv]
    if not argv:
        raise ValueError("run_command needs a command")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    tail = OutputTail()

    def emit(lines: list[str]) -> None:
        lines = redact_lines(lines)  # a test that prints its environment or a .env must not show the key
        tail.extend(lines)
        if on_line is not None:
            for line in lines:
                on_line(line)

    start = time.monotonic()
    if processes is not None:
        env = {**(env or {}), **processes.child_env()}
    child_env = _child_env(env)
    with contextlib.ExitStack() as scope:
        if sandbox is not None:
            argv = [*scope.enter_context(sandbox.executor.scope(sandbox.confinement)),
                    *sandbox.executor.wrap(argv, cwd, sandbox.confinement)]
            child_env = sandbox.executor.environment(child_env, sandbox.confinement)
        result = await _run(argv, cwd, child_env, timeout, emit, tail, start, processes)
    if sandbox is not None and result.exit_code != 0:
        notes = sandbox.executor.blocked(result.output_tail, sandbox.confinement, result.exit_code)
        if notes:
            emit(notes)
            result = replace(result, output_tail=tail.text())
    return result


async def _run(argv: list[str], cwd: Path, child_env: dict[str, str], timeout: float,
               emit: Callable[[list[str]], None], tail: OutputTail, start: float,
               processes: ProcessLog | None) -> ProcessResult:
    try:
        proc = await _spawn(argv, cwd, child_env)
    except ValueError as exc:  # a NUL byte in an argument: nothing was started
        emit([f"cannot run {argv[0]}: {exc}"])
        return ProcessResult(EXIT_CANNOT_RUN, False, tail.text(), time.monotonic() - start)
    except OSError as exc:
        code, message = _start_failure(exc, argv[0], cwd)
        logger.warning("could not start %s: %s", argv, message)
        emit([message])
        return ProcessResult(code, False, tail.text(), time.monotonic() - start)

    # start_new_session made the child a session and group leader: its pid is the group id.
    pgid = proc.pid
    if processes is not None:
        processes.record(pgid)
    logger.info("started %s in %s (pid %d, timeout %.0fs)", argv, cwd, pgid, timeout)
    splitter = LineSplitter()
    assert proc.stdout is not None  # started with stdout=PIPE
    reader = asyncio.create_task(_pump(proc.stdout, splitter, emit))
    exited = asyncio.create_task(_exited(proc))
    timed_out = False
    try:
        try:
            async with asyncio.timeout(timeout):
                await asyncio.wait({reader, exited}, return_when=asyncio.FIRST_COMPLETED)
                if reader.done():
                    reader.result()  # an exception from on_line ends the run here
                    if not exited.done():
                        # End of output: the command is exiting now, so look again soon rather
                        # than at the slow poll's next turn (up to 50 ms on every quick run).
                        exited.cancel()
                        exited = asyncio.create_task(_exited(proc))
                else:
                    # The command exited but something it started still holds the pipe.
                    await asyncio.wait({reader}, timeout=EOF_GRACE)
                await exited  # stdout may close before the command exits
        except TimeoutError:
            timed_out = True
            logger.warning("%s timed out after %.1fs; stopping its process group", argv, timeout)
        await _stop_group(pgid)
        if not exited.done():
            # After a timeout the leader was just signalled; its status arrives shortly.
            await asyncio.wait({exited}, timeout=TERM_GRACE)
            exited.cancel()
        await _finish_reader(reader, argv)
    except BaseException:
        # Cancelled, or on_line failed: nothing of the run may survive us. SIGKILL is
        # synchronous, so a second cancellation cannot interrupt it.
        _signal_group(pgid, signal.SIGKILL)
        reader.cancel()
        exited.cancel()
        logger.info("%s stopped early; killed process group %d", argv, pgid)
        raise
    finally:
        if processes is not None and not _group_alive(pgid):
            processes.forget(pgid)  # a group that would not die stays recorded, for the next start
    emit(splitter.flush())
    duration = time.monotonic() - start
    logger.info("%s exited with %s after %.2fs", argv, proc.returncode, duration)
    return ProcessResult(proc.returncode, timed_out, tail.text(), duration, tail.dropped)


async def _spawn(argv: list[str], cwd: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """Start the command as a new process group; a cancel that lands mid-spawn still kills the group.

    asyncio forks the child before its first await returns: cancelled there, it kills only the
    leader, and whatever the leader had started already (a shell's children) lived on.
    """
    spawn = asyncio.ensure_future(asyncio.create_subprocess_exec(
        *argv, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    ))
    try:
        return await asyncio.shield(spawn)
    except asyncio.CancelledError:
        try:
            proc = await spawn
        except BaseException:  # never started (or cancelled again): there is no group to stop
            raise asyncio.CancelledError from None
        _signal_group(proc.pid, signal.SIGKILL)
        logger.info("%s cancelled while starting; killed process group %d", argv, proc.pid)
        raise


# The tool's own credentials: code the model wrote runs in these processes, and needs none of them.
WITHHELD_ENV = frozenset({"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"})


def _child_env(env: Mapping[str, str] | None) -> dict[str, str]:
    merged = {k: v for k, v in os.environ.items() if k not in WITHHELD_ENV}
    if env:
        merged.update(env)
    merged["PYTHONUNBUFFERED"] = "1"  # Python children stream instead of block-buffering
    return merged


def _start_failure(exc: OSError, program: str, cwd: Path) -> tuple[int, str]:
    if not Path(cwd).is_dir():
        return EXIT_NOT_FOUND, f"error: working directory not found: {cwd}"
    if isinstance(exc, FileNotFoundError):
        return EXIT_NOT_FOUND, f"error: command not found: {program}"
    if isinstance(exc, PermissionError):
        return EXIT_CANNOT_RUN, f"error: permission denied: {program}"
    return EXIT_CANNOT_RUN, f"error: cannot run {program}: {exc.strerror or exc}"


async def _pump(
    stream: asyncio.StreamReader, splitter: LineSplitter, emit: Callable[[list[str]], None]
) -> None:
    # Chunks, not readline(): a line may be huge or never end (pytest -q progress dots).
    while chunk := await stream.read(READ_CHUNK):
        lines = splitter.feed(chunk)
        if lines:
            emit(lines)


async def _exited(proc: asyncio.subprocess.Process) -> None:
    # Process.wait() also waits for the pipes to close, which a grandchild holding stdout
    # can delay until the timeout; the return code is set as soon as the command exits. The
    # looks start quick and slow down: a test command that exits at once (`true`, a failed
    # import) was waiting one whole EXIT_POLL, 56 ms a task in bench_parallel.
    pause = EXIT_POLL_FIRST
    while proc.returncode is None:
        await asyncio.sleep(pause)
        pause = min(pause * 2, EXIT_POLL)


async def _finish_reader(reader: asyncio.Task[None], argv: list[str]) -> None:
    """Let the reader reach end of file; give up on a pipe held outside the group."""
    await asyncio.wait({reader}, timeout=EOF_GRACE)
    if not reader.done():
        logger.warning("a process outside the group holds the output pipe of %s; stop reading", argv)
        reader.cancel()
        await asyncio.wait({reader})
        return
    reader.result()


async def _stop_group(pgid: int) -> None:
    """SIGTERM whatever is left of the group, then SIGKILL it after TERM_GRACE."""
    if not _group_alive(pgid):
        return
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + TERM_GRACE
    while time.monotonic() < deadline and _group_alive(pgid):
        await asyncio.sleep(EXIT_POLL)
    _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def _group_alive(pgid: int) -> bool:
    """Whether a live (non-zombie) process is still in the group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False  # the usual answer after a run, without reading every /proc/*/stat
    except PermissionError:
        pass  # someone else's process: alive, unless a zombie
    members = group_members(pgid)  # something is there: a zombie does not count
    if members is not None:
        return bool(members)
    return True  # without /proc, zombies count as alive: the caller then waits the grace and kills
