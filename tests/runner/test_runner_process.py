"""run_command on small real processes: streaming, timeouts, cancellation, missing commands."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

from codeframe_tui.runner import run_command

PY = sys.executable


async def test_output_streams_line_by_line_before_the_process_ends(tmp_path: Path) -> None:
    # The child cannot finish until on_line has seen its first line: only streaming passes.
    go = tmp_path / "go"
    script = (
        "import pathlib, time, sys\n"
        "print('ready')\n"
        f"go = pathlib.Path({str(go)!r})\n"
        "deadline = time.monotonic() + 10\n"
        "while not go.exists() and time.monotonic() < deadline: time.sleep(0.02)\n"
        "print('done' if go.exists() else 'never saw go')\n"
        "print('to stderr', file=sys.stderr)\n"
    )
    lines: list[str] = []

    def on_line(line: str) -> None:
        lines.append(line)
        if line == "ready":
            go.touch()

    result = await run_command([PY, "-c", script], tmp_path, timeout=20, on_line=on_line)
    assert lines == ["ready", "done", "to stderr"]
    assert result.exit_code == 0
    assert not result.timed_out
    assert result.output_tail == "ready\ndone\nto stderr"
    assert result.duration < 8


async def test_unbuffered_env_and_overlay(tmp_path: Path) -> None:
    script = "import os; e = os.environ; print(e['PYTHONUNBUFFERED'], e['EXTRA'], 'PATH' in e)"
    result = await run_command([PY, "-c", script], tmp_path, timeout=20, env={"EXTRA": "x"})
    assert result.output_tail == "1 x True"


async def test_huge_output_without_newlines_is_bounded(tmp_path: Path) -> None:
    script = "import sys; sys.stdout.write('.' * 300_000); sys.stdout.write('\\nend')"
    lines: list[str] = []
    result = await run_command([PY, "-c", script], tmp_path, timeout=20, on_line=lines.append)
    assert sum(len(line) for line in lines[:-1]) == 300_000
    assert max(len(line) for line in lines) <= 64 * 1024
    assert lines[-1] == "end"  # the final partial line is flushed
    assert result.output_tail.endswith("\nend")
    assert len(result.output_tail) <= 200 * 1024


async def test_exit_code_is_reported(tmp_path: Path) -> None:
    result = await run_command([PY, "-c", "raise SystemExit(3)"], tmp_path, timeout=20)
    assert result.exit_code == 3


async def test_command_not_found_is_a_result(tmp_path: Path) -> None:
    lines: list[str] = []
    result = await run_command(
        ["codeframe-no-such-command-xyz", "--x"], tmp_path, timeout=5, on_line=lines.append
    )
    assert result.exit_code == 127
    assert "command not found: codeframe-no-such-command-xyz" in result.output_tail
    assert lines == [result.output_tail]


async def test_missing_working_directory_is_a_result(tmp_path: Path) -> None:
    result = await run_command([PY, "-c", "pass"], tmp_path / "nope", timeout=5)
    assert result.exit_code == 127
    assert "working directory not found" in result.output_tail


async def test_not_executable_is_a_result(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")  # no execute bit
    result = await run_command([str(script)], tmp_path, timeout=5)
    assert result.exit_code == 126
    assert "permission denied" in result.output_tail


async def test_timeout_kills_the_whole_group(tmp_path: Path, gone, wait_file) -> None:
    pids = tmp_path / "pids"
    script = (
        "import os, subprocess, time\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}\\n')\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    start = time.monotonic()
    result = await run_command([PY, "-c", script], tmp_path, timeout=1.5)
    assert result.timed_out
    assert result.exit_code is not None and result.exit_code < 0  # ended by a signal
    assert "started" in result.output_tail
    assert time.monotonic() - start < 6
    leader, grandchild = map(int, (await wait_file(pids)).split())
    assert gone(leader) and gone(grandchild)


async def test_a_grandchild_holding_the_pipe_does_not_hold_the_run(tmp_path: Path, gone) -> None:
    # sh exits at once; the background sleep keeps stdout open and must be cleaned up.
    start = time.monotonic()
    result = await run_command(["sh", "-c", "sleep 30 & echo $!; echo bye"], tmp_path, timeout=20)
    assert time.monotonic() - start < 6
    assert result.exit_code == 0
    assert not result.timed_out
    sleeper = int(result.output_tail.splitlines()[0])
    assert gone(sleeper)


async def test_cancellation_kills_the_group_and_propagates(tmp_path: Path, gone, wait_file) -> None:
    pids = tmp_path / "pids"
    script = _leader_and_grandchild(pids)
    task = asyncio.create_task(run_command([PY, "-c", script], tmp_path, timeout=60))
    leader, grandchild = map(int, (await wait_file(pids)).split())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _until(lambda: gone(leader) and gone(grandchild))


async def test_a_cancel_while_the_process_is_starting_kills_its_group(tmp_path: Path, gone, wait_file,
                                                                      monkeypatch) -> None:
    # asyncio forks the child before create_subprocess_exec returns. Held there (as a busy loop
    # does), a cancel used to leave the child and the grandchild it had started alive.
    pids = tmp_path / "pids"
    script = _leader_and_grandchild(pids)
    real = asyncio.create_subprocess_exec
    forked = asyncio.Event()

    async def slow_to_return(*args, **kwargs):
        proc = await real(*args, **kwargs)
        await wait_file(pids)  # the grandchild exists before the spawn returns
        forked.set()
        await asyncio.sleep(0.5)  # the cancel lands here, inside the spawn
        return proc

    monkeypatch.setattr(asyncio, "create_subprocess_exec", slow_to_return)
    task = asyncio.create_task(run_command([PY, "-c", script], tmp_path, timeout=60))
    await forked.wait()
    leader, grandchild = map(int, (await wait_file(pids)).split())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _until(lambda: gone(leader) and gone(grandchild))


async def test_an_on_line_error_kills_the_group_and_propagates(tmp_path: Path, gone, wait_file) -> None:
    pids = tmp_path / "pids"
    script = (
        "import os, time\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}}\\n')\n"
        "print('boom', flush=True)\n"
        "time.sleep(60)\n"
    )

    def on_line(line: str) -> None:
        raise RuntimeError(f"sink failed on {line}")

    with pytest.raises(RuntimeError, match="sink failed on boom"):
        await run_command([PY, "-c", script], tmp_path, timeout=60, on_line=on_line)
    leader = int(await wait_file(pids))
    await _until(lambda: gone(leader))


async def test_bad_arguments_raise(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        await run_command([], tmp_path, timeout=5)
    with pytest.raises(ValueError):
        await run_command([PY], tmp_path, timeout=0)


def _leader_and_grandchild(pids: Path) -> str:
    """A script that starts a sleeping grandchild, writes both pids to `pids`, and sleeps."""
    return (
        "import os, subprocess, time\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}\\n')\n"
        "time.sleep(60)\n"
    )


async def _until(check, timeout: float = 3.0) -> None:
    """SIGKILL is asynchronous in the kernel: give it a moment to land."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "processes still alive"
        await asyncio.sleep(0.02)


async def test_a_command_that_exits_at_once_is_not_held_by_the_slow_exit_poll(tmp_path: Path, monkeypatch) -> None:
    # The exit status is polled (Process.wait() would also wait for pipes a grandchild holds). With
    # the slow poll made 5 s, a run of `true` must still end at once: the first looks are quick, and
    # the end of the output starts them again. Before, every quick command waited one whole poll.
    from codeframe_tui.runner import process

    monkeypatch.setattr(process, "EXIT_POLL", 5.0)
    started = time.monotonic()
    result = await run_command(["true"], tmp_path, timeout=20)
    assert result.exit_code == 0
    assert time.monotonic() - started < 2.0
