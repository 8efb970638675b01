"""Finding a project's test command: pytest for Python code, the package.json test script for JS."""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from codeframe_tui.runner.js.packagejson import read_package_json

logger = logging.getLogger(__name__)

PARTS = ("backend", "frontend", "test")
JUNIT_DIR = Path(".codeframe") / "junit"  # relative to the project
_PY_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini")
_NPM_PLACEHOLDER = "no test specified"  # what `npm init` puts in scripts.test
_SCRIPT_WORD = re.compile(r"[^\s;&|()'\"]+")


@dataclass(frozen=True)
class TestCommand:
    """A test command ready to run: argv in cwd, with extra environment variables.

    `junit_path` is where the command writes its JUnit report, or None when it writes
    none (then the summary line is parsed). `env` is laid over os.environ.
    """

    __test__ = False  # not a pytest test class

    argv: tuple[str, ...]
    cwd: Path
    junit_path: Path | None = None
    description: str = ""
    env: tuple[tuple[str, str], ...] = ()


def detect_test_command(
    project: Path, part: str, *, junit_dir: Path | None = None
) -> TestCommand | None:
    """The test command for one part ("backend", "frontend" or "test") of `project`.

    "frontend" prefers the JavaScript command, "backend" and "test" prefer pytest; a
    project with only one of the two gets that one for every part. None means the
    project has no recognisable tests. Each call names a fresh JUnit file
    (`<junit_dir>/<part>-<random>.xml`, default `<project>/.codeframe/junit/`), so
    workers running at the same time never read each other's report; nothing is
    created on disk until the command runs.
    """
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    project = Path(project).resolve()
    junit = (junit_dir or project / JUNIT_DIR).resolve() / f"{part}-{uuid.uuid4().hex[:12]}.xml"
    finders = (_python_command, _js_command)
    if part == "frontend":
        finders = (_js_command, _python_command)
    for find in finders:
        command = find(project, junit)
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


def _python_command(project: Path, junit: Path) -> TestCommand | None:
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


def _js_command(project: Path, junit: Path) -> TestCommand | None:
    for root in (project / "frontend", project / "web", project):
        package = read_package_json(root)
        script = _test_script(package)
        if script is not None:
            return _npm_command(root, package, script, junit)
    return None


def _test_script(package: dict) -> str | None:
    scripts = package.get("scripts")
    script = scripts.get("test") if isinstance(scripts, dict) else None
    if not isinstance(script, str) or not script.strip() or _NPM_PLACEHOLDER in script:
        return None
    return script


def _npm_command(root: Path, package: dict, script: str, junit: Path) -> TestCommand:
    npm = shutil.which("npm") or "npm"
    base = (npm, "test", "--silent")
    # Whole words of the script, so "jest" is not found inside "jester" or a path name.
    words = {os.path.basename(word) for word in _SCRIPT_WORD.findall(script)}
    deps: dict = {}
    for key in ("dependencies", "devDependencies"):
        if isinstance(package.get(key), dict):
            deps.update(package[key])
    where = root.name if root.name in ("frontend", "web") else "project root"
    if "vitest" in words:
        argv = (*base, "--", "--reporter=default", "--reporter=junit", f"--outputFile={junit}")
        return TestCommand(argv, root, junit, f"npm test (vitest, {where})")
    if "jest" in words and "jest-junit" in deps:
        argv = (*base, "--", "--ci", "--reporters=default", "--reporters=jest-junit")
        # jest-junit takes its output path from the environment, not from the command line.
        env = (("JEST_JUNIT_OUTPUT_DIR", str(junit.parent)), ("JEST_JUNIT_OUTPUT_NAME", junit.name))
        return TestCommand(argv, root, junit, f"npm test (jest, {where})", env)
    return TestCommand(base, root, None, f"npm test ({where})")
