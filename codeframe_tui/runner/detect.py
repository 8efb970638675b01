"""Finding a project's test command: pytest for Python code, the package.json test script for JS."""

from __future__ import annotations

import logging
import shlex
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from codeframe_tui.runner.command import TestCommand, TestStep
from codeframe_tui.runner.js.plan import has_test_script, is_workspace, js_test_command

logger = logging.getLogger(__name__)

__all__ = ["JUNIT_DIR", "PARTS", "TestCommand", "TestStep", "command_from_config", "detect_test_command"]

PARTS = ("backend", "frontend", "test")
JUNIT_DIR = Path(".codeframe") / "junit"  # relative to the project
_PY_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini")


def detect_test_command(
    project: Path, part: str, *, junit_dir: Path | None = None, focus: Sequence[str] = ()
) -> TestCommand | None:
    """The test command for one part ("backend", "frontend" or "test") of `project`.

    "frontend" prefers the JavaScript command, "backend" and "test" prefer pytest; a
    project with only one of the two gets that one for every part. None means the
    project has no recognisable tests. Each call names a fresh JUnit file
    (`<junit_dir>/<part>-<random>.xml`, default `<project>/.codeframe/junit/`), so
    workers running at the same time never read each other's report; nothing is
    created on disk until the command runs. `focus` (the task's files, relative to `project`)
    picks the package a JavaScript workspace's tests run in.
    """
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    project = Path(project).resolve()
    junit = (junit_dir or project / JUNIT_DIR).resolve() / f"{part}-{uuid.uuid4().hex[:12]}.xml"
    finders = (_python_command, _js_command)
    if part == "frontend":
        finders = (_js_command, _python_command)
    for find in finders:
        command = find(project, junit, focus)
        if command is not None:
            logger.info("test command for %s of %s: %s", part, project, command.description)
            return command
    logger.info("no test command found for %s of %s", part, project)
    return None


def command_from_config(value: str | list[str], project: Path) -> TestCommand:
    """A configured command (a string is split like a shell would, but runs without one).

    It runs in the project root and has no JUnit report: its summary line is parsed.
    Pipes or `&&` need an explicit shell: `["sh", "-c", "..."]`.
    """
    argv = tuple(shlex.split(value)) if isinstance(value, str) else tuple(str(v) for v in value)
    if not argv:
        raise ValueError("the configured test command is empty")
    return TestCommand(argv, Path(project).resolve(), None, f"configured: {shlex.join(argv)}")


# -- Python -------------------------------------------------------------------------


def _python_command(project: Path, junit: Path, focus: Sequence[str]) -> TestCommand | None:
    root = next((r for r in (project, project / "backend") if _is_python_project(r)), None)
    if root is None:
        return None
    python, which = _python_for(root, project)
    argv = (
        python, "-m", "pytest", "-v",
        "-p", "no:cacheprovider",  # no .pytest_cache written into the user's project
        "-o", "junit_family=xunit1",  # xunit1 records the file, so names match pytest's ids
        "--junitxml", str(junit),
    )  # fmt: skip
    return TestCommand(argv, root, junit, f"pytest in {root.name or root} ({which})")


def _is_python_project(root: Path) -> bool:
    if not root.is_dir():
        return False
    if any((root / marker).is_file() for marker in _PY_MARKERS):
        return True
    tests = root / "tests"
    if tests.is_dir():
        for pattern in ("test_*.py", "*_test.py"):
            if next(tests.rglob(pattern), None) is not None:
                return True
    return False


def _python_for(root: Path, project: Path) -> tuple[str, str]:
    """The project's own virtualenv python, else the python on PATH."""
    for base in dict.fromkeys((root, project)):
        candidate = base / ".venv" / "bin" / "python"
        if candidate.is_file():
            # Not resolved: the venv's symlink is what makes it the venv's python.
            return str(candidate), f"{candidate.relative_to(project)}"
    found = shutil.which("python") or shutil.which("python3")
    return (found or "python3"), "python on PATH"


# -- JavaScript ---------------------------------------------------------------------


def _js_command(project: Path, junit: Path, focus: Sequence[str]) -> TestCommand | None:
    """The `test` script of the first of frontend/, web/ and the project that has one (or that is a
    workspace whose packages have), as steps: see runner/js/plan.py."""
    for root in (project / "frontend", project / "web", project):
        if not (root / "package.json").is_file():
            continue
        if has_test_script(root) or is_workspace(root):
            command = js_test_command(root, project, junit.with_suffix(""), focus)
            if command.steps:
                return command
    return None
