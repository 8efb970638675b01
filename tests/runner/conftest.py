"""Fixtures for the runner tests: little real pytest projects and process checks."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from codeframe_tui.runner import TestCommand
from codeframe_tui.runner.sandbox import probe_bwrap


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """A real little pytest project in tmp_path (pytest.ini pins its rootdir there)."""

    def make(files: dict[str, str]) -> Path:
        project = tmp_path / "project"
        project.mkdir(exist_ok=True)
        return write_files(project, {"pytest.ini": "[pytest]\n", **files})

    return make


@pytest.fixture
def py_command() -> Callable[..., TestCommand]:
    """A pytest command run by this venv's python, as detect would build it."""

    def command(project: Path, *, junit: bool = True, extra: tuple[str, ...] = ()) -> TestCommand:
        junit_path = project / ".codeframe" / "junit" / "run.xml" if junit else None
        argv = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider"]
        argv += ["-o", "junit_family=xunit1"]
        if junit_path is not None:
            argv += ["--junitxml", str(junit_path)]
        # The outer session's plugins (textual snapshots...) only slow the inner runs down.
        env = (("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1"),)
        return TestCommand(tuple(argv) + extra, project, junit_path, "pytest (test)", env)

    return command


def process_gone(pid: int) -> bool:
    """True when the pid no longer runs. A zombie counts as gone: this container's
    init never reaps orphans, so a killed grandchild stays a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] in (b"Z", b"X")


async def wait_for_file(path: Path, timeout: float = 15.0) -> str:
    """Poll for a file a child process writes; its text once it is complete."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if path.exists():
            text = path.read_text()
            if text.endswith("\n"):
                return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} was never written")


@pytest.fixture
def gone() -> Callable[[int], bool]:
    return process_gone


@pytest.fixture
def wait_file() -> Callable[..., object]:
    return wait_for_file


@pytest.fixture
async def bwrap():
    problem = await probe_bwrap()
    if problem is not None:
        pytest.skip(problem + " (.ci/run installs it)")


@pytest.fixture
def place(tmp_path: Path):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE-KEY\n")
    (home / ".bashrc").write_text("# the person's\n")
    project = tmp_path / "project"
    work = project / ".codeframe" / "worktrees" / "1"
    work.mkdir(parents=True)
    (project / ".venv").mkdir()
    (project / ".venv" / "marker").write_text("venv\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (work / "out").symlink_to(outside)
    return home, project, work, outside
