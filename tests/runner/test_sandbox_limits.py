"""The sandbox's bounds and its plain words: a fork bomb, a huge file, a runaway allocation, and what
the agent and the person read when the sandbox blocks something.

Like test_sandbox.py, each bound is tried confined and with `none`, so that no case passes because
the command itself was broken."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import pytest
from support import alive_with

from codeframe_tui.config import ConfigError, load_settings
from codeframe_tui.runner import run_command
from codeframe_tui.runner.blocked import PREFIX
from codeframe_tui.runner.limits import Limits
from codeframe_tui.runner.sandbox import BwrapExecutor, Confinement, LocalExecutor, Sandboxed

DEFAULT = Limits()


def sandboxed(kind: str, place, limits: Limits = DEFAULT, network: bool = False) -> Sandboxed:
    home, project, work, _ = place
    executor = BwrapExecutor(home=home) if kind == "bwrap" else LocalExecutor()
    return Sandboxed(executor, Confinement(writable=(work,), readable=(project,), limits=limits, network=network))


async def run(kind: str, place, script: str, limits: Limits = DEFAULT, timeout: float = 30.0, lines=None):
    home, _, work, _ = place
    return await run_command([sys.executable, "-c", script], work, timeout=timeout, env={"HOME": str(home)},
                             sandbox=sandboxed(kind, place, limits), on_line=None if lines is None else lines.append)


BOUNDED_BOMB = """
import os, sys, time
made = 0
try:
    for _ in range(150):
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        made += 1
except OSError as exc:
    print(f"fork refused after {made}: {exc}")
    sys.exit(1)
print(f"forked {made}")
"""


@pytest.mark.parametrize("kind", ["bwrap", "none"])
async def test_a_fork_bomb_meets_the_process_limit(bwrap, place, kind):
    executor = BwrapExecutor()
    if kind == "bwrap" and not executor.bounds_processes():
        pytest.skip("processes cannot be bounded here: root without a writable pids cgroup")
    result = await run(kind, place, BOUNDED_BOMB, Limits(processes=40))
    if kind == "bwrap":
        assert "fork refused after" in result.output_tail and result.exit_code == 1
        assert PREFIX + "a new process was refused: the limit is 40 processes" in result.output_tail
    else:
        assert "forked 150" in result.output_tail and result.exit_code == 0


async def test_an_unbounded_fork_bomb_ends_and_leaves_nothing_alive(bwrap, place):
    """A bomb whose every child forks on for ever, confined: refused forks, the timeout, then not one
    process left."""
    if not BwrapExecutor().bounds_processes():
        pytest.skip("processes cannot be bounded here: root without a writable pids cgroup")
    marker = f"bomb{uuid.uuid4().hex[:8]}"
    script = (f"import os, time  # {marker}\n"
              "while True:\n"
              "    try:\n"
              "        os.fork()\n"
              "    except OSError as exc:\n"
              "        print('fork:', exc, flush=True)\n"
              "        time.sleep(0.05)\n")
    result = await run("bwrap", place, script, Limits(processes=64), timeout=3)
    assert result.timed_out and "Resource temporarily unavailable" in result.output_tail
    assert PREFIX + "a new process was refused: the limit is 64 processes" in result.output_tail
    await asyncio.sleep(0.3)
    assert alive_with(marker) == []


@pytest.mark.parametrize("kind", ["bwrap", "none"])
async def test_a_file_past_the_size_limit_is_refused(bwrap, place, kind):
    work = place[2]
    script = "f = open('big.bin', 'wb')\nfor _ in range(3): f.write(b'x' * 1024 * 1024)\nf.close()"
    result = await run(kind, place, script, Limits(file_size_mb=1))
    size = (work / "big.bin").stat().st_size
    if kind == "bwrap":
        assert size <= 1024 * 1024 and result.exit_code != 0
        assert PREFIX + "a file reached the size limit of 1 MB" in result.output_tail
    else:
        assert size == 3 * 1024 * 1024 and result.exit_code == 0


@pytest.mark.parametrize("kind", ["bwrap", "none"])
async def test_a_runaway_allocation_meets_the_memory_limit(bwrap, place, kind):
    result = await run(kind, place, "block = bytearray(400 * 1024 * 1024); print('allocated')", Limits(memory_mb=200))
    if kind == "bwrap":
        assert "MemoryError" in result.output_tail and "allocated" not in result.output_tail
        assert PREFIX + "memory may have reached the limit of 200 MB" in result.output_tail
    else:
        assert "allocated" in result.output_tail


async def test_the_default_limits_leave_a_normal_run_alone(bwrap, place):
    script = ("import subprocess, sys; [subprocess.run([sys.executable, '-c', 'pass']) for _ in range(20)];"
              "b = bytearray(64 * 1024 * 1024); open('f', 'wb').write(b); print('fine')")
    result = await run("bwrap", place, script)
    assert result.exit_code == 0 and "fine" in result.output_tail, result.output_tail


async def test_blocked_writes_network_and_hidden_paths_are_said_plainly(bwrap, place, tmp_path):
    """The command's own words stay; a note follows each, naming the key that allows it. The person
    sees the notes as lines of the output (on_line), the agent in the tail."""
    home, project, work, _ = place
    lines: list[str] = []
    script = (f"import socket, pathlib\n"
              f"try: pathlib.Path({str(project / '.venv' / 'x')!r}).write_text('x')\n"
              f"except OSError as e: print(e)\n"
              f"try: socket.create_connection(('127.0.0.1', 9), timeout=2)\n"
              f"except OSError as e: print(e)\n"
              f"open({str(home / '.ssh' / 'id_rsa')!r}).read()")
    result = await run("bwrap", place, script, lines=lines)
    assert "Read-only file system" in result.output_tail  # the test output keeps its own words
    notes = [line for line in lines if line.startswith(PREFIX)]
    assert any("write outside the worktree was blocked" in n and "write_paths" in n for n in notes), notes
    assert any("network was blocked" in n and "network = true" in n for n in notes), notes
    assert any(str(home / ".ssh" / "id_rsa") in n and "read_paths" in n for n in notes), notes
    assert all(note in result.output_tail for note in notes)
    unconfined = await run("none", place, "raise SystemExit(1)")
    assert PREFIX not in unconfined.output_tail


async def test_a_passing_run_gets_no_notes(bwrap, place):
    result = await run("bwrap", place, "print('Read-only file system is only a phrase here')")
    assert result.exit_code == 0 and PREFIX not in result.output_tail


def test_the_limits_come_from_the_config(tmp_path: Path):
    config = tmp_path / ".codeframe" / "config.toml"
    config.parent.mkdir()
    config.write_text("[sandbox]\nprocesses = 256\nfile_size_mb = 0\nmemory_mb = 2048\n")
    settings = load_settings(tmp_path)
    assert (settings.sandbox_processes, settings.sandbox_file_size_mb, settings.sandbox_memory_mb) == (256, 0, 2048)
    config.write_text("[sandbox]\nprocesses = -3\n")
    with pytest.raises(ConfigError, match="processes must be a whole number"):
        load_settings(tmp_path)
    config.write_text("[sandbox]\nmemory_mb = true\n")
    with pytest.raises(ConfigError, match="memory_mb must be a whole number"):
        load_settings(tmp_path)


def test_the_prefix_names_each_limit_and_drops_the_unset():
    from codeframe_tui.runner.limits import rlimit_prefix

    assert rlimit_prefix(Limits(processes=10, file_size_mb=1, memory_mb=0), "/usr/bin/prlimit") == [
        "/usr/bin/prlimit", f"--fsize={1024 * 1024}", "--nproc=10", "--"]
    assert rlimit_prefix(Limits(0, 0, 0), "/usr/bin/prlimit") == []
    assert rlimit_prefix(Limits(), None) == []
    assert Limits().memory() >= 1024  # three quarters of the machine, at least a GiB

