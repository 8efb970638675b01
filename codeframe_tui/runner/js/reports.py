"""The flags that make each JS test runner write a machine-readable report, and readers for them.

Each flag was checked against the tool itself (see the tests' comments for versions):
vitest `--reporter=default --reporter=junit --outputFile.junit=PATH`; jest `--ci --json
--outputFile=PATH` (its own JSON, no jest-junit needed); node `--test-reporter=spec
--test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=PATH` (the
junit reporter is in Node 20.x and 21+); mocha >= 9.1 `--reporter json --reporter-option
output=PATH` (mocha-junit-reporter only for older mocha); playwright `--reporter=list,junit` with
the path in PLAYWRIGHT_JUNIT_OUTPUT_FILE (1.44+) and PLAYWRIGHT_JUNIT_OUTPUT_NAME (older).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeframe_tui.runner.counts import Counts, unique_names
from codeframe_tui.runner.js.packagejson import ancestors, read_package_json
from codeframe_tui.runner.junit import MAX_JUNIT_BYTES, read_junit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportPlan:
    """A runner's argv with the report flags in place, the `env` they need, where the report
    lands (`path`) and its `format`: "junit", "jest-json" or "mocha-json"."""

    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    path: Path
    format: str


def with_report(runner: str, argv: tuple[str, ...], path: Path, package: Path | None = None) -> ReportPlan | None:
    """`argv` of `runner` made to write its report to `path`; None when no report can be had.

    `package` is the folder the runner runs in, to find which mocha (and reporter) is installed.
    """
    path = Path(path)
    flags: tuple[str, ...]
    if runner == "vitest":
        flags = ("--reporter=default", "--reporter=junit", f"--outputFile.junit={path}")
        return ReportPlan(_before_double_dash(argv, flags), (), path, "junit")
    if runner == "jest":
        # --json sends jest's own output to stderr and the JSON to --outputFile.
        return ReportPlan(_before_double_dash(argv, ("--ci", "--json", f"--outputFile={path}")), (), path, "jest-json")
    if runner == "node":
        flags = ("--test-reporter=spec", "--test-reporter-destination=stdout",
                 "--test-reporter=junit", f"--test-reporter-destination={path}")
        # node's own options go before the test files: after them they would be the script's arguments.
        at = argv.index("--test") + 1 if "--test" in argv else 1
        return ReportPlan((*argv[:at], *flags, *argv[at:]), (), path, "junit")
    if runner == "playwright":
        env = (("PLAYWRIGHT_JUNIT_OUTPUT_FILE", str(path)), ("PLAYWRIGHT_JUNIT_OUTPUT_NAME", str(path)))
        return ReportPlan(_before_double_dash(argv, ("--reporter=list,junit",)), env, path, "junit")
    if runner == "mocha":
        return _mocha(argv, path, package)
    return None


def _mocha(argv: tuple[str, ...], path: Path, package: Path | None) -> ReportPlan | None:
    version = _installed_version("mocha", package)
    if version is None or version >= (9, 1):
        # Unknown counts as current: mocha 9.1 (2021) is long the oldest in use.
        flags = ("--reporter", "json", "--reporter-option", f"output={path}")
        return ReportPlan(_before_double_dash(argv, flags), (), path, "mocha-json")
    if _installed_version("mocha-junit-reporter", package) is not None:
        flags = ("--reporter", "mocha-junit-reporter", "--reporter-options", f"mochaFile={path}")
        return ReportPlan(_before_double_dash(argv, flags), (), path, "junit")
    return None


def _installed_version(name: str, package: Path | None) -> tuple[int, ...] | None:
    """The version of node_modules/<name> nearest to `package` (hoisted ones count)."""
    if package is None:
        return None
    for folder in ancestors(package):
        found = read_package_json(folder / "node_modules" / name).get("version")
        if isinstance(found, str):
            return tuple(int(n) for n in re.findall(r"\d+", found)[:3])
    return None


_BINARIES = {"vitest", "jest", "react-scripts", "craco", "playwright", "mocha", "_mocha", "ts-mocha"}


def _before_double_dash(argv: tuple[str, ...], flags: tuple[str, ...]) -> tuple[str, ...]:
    """Flags at the end of the runner's own options: before a `--` that follows the runner's name
    (its words are not the runner's), but not before npx's own `--` in front of it."""
    start = next((i for i, word in enumerate(argv) if Path(word).name in _BINARIES), 0)
    if "--" in argv[start:]:
        at = argv.index("--", start)
        return (*argv[:at], *flags, *argv[at:])
    return (*argv, *flags)


def read_report(plan: ReportPlan, root: Path | None = None) -> Counts | None:
    """Counts from the report a plan asked for; None when it is missing, too big or malformed."""
    if plan.format == "junit":
        return read_junit(plan.path)
    try:
        with plan.path.open("rb") as fh:
            data = fh.read(MAX_JUNIT_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_JUNIT_BYTES:
        return None
    text = data.decode("utf-8", errors="replace")
    return parse_jest_json(text, root) if plan.format == "jest-json" else parse_mocha_json(text, root)


def parse_jest_json(text: str, root: Path | None = None) -> Counts | None:
    """Counts from jest's --json report, like parse_junit's: skipped holds pending and todo tests.

    A test file that failed to run (a syntax error, a missing module) has no tests in the report,
    only numRuntimeErrorTestSuites; each counts as one error named by its file, so a broken suite
    never reads as "0 of 0".
    """
    data = _json_object(text)
    if data is None or not isinstance(data.get("numTotalTests"), int):
        return None
    failing: list[str] = []
    broken = 0
    for suite in data.get("testResults") or ():
        if not isinstance(suite, dict):
            continue
        file = _relative(str(suite.get("name", "")), root)
        cases = [c for c in suite.get("assertionResults") or () if isinstance(c, dict)]
        if not cases and suite.get("status") == "failed":
            broken += 1
            failing.append(file)
        for case in cases:
            if case.get("status") == "failed":
                title = " › ".join([*map(str, case.get("ancestorTitles") or ()), str(case.get("title", ""))])
                failing.append(f"{file}::{title}")
    errors = max(broken, _int(data.get("numRuntimeErrorTestSuites")))
    return Counts(
        total=_int(data.get("numTotalTests")) + errors,
        passed=_int(data.get("numPassedTests")),
        failed=_int(data.get("numFailedTests")),
        errors=errors,
        skipped=_int(data.get("numPendingTests")) + _int(data.get("numTodoTests")),
        failing_tests=unique_names(failing),
        source="jest",
    )


def parse_mocha_json(text: str, root: Path | None = None) -> Counts | None:
    """Counts from mocha's json reporter (`stats` plus the `failures` list)."""
    data = _json_object(text)
    stats = data.get("stats") if data else None
    if data is None or not isinstance(stats, dict):
        return None
    failing = [
        f"{_relative(str(t.get('file', '')), root)}::{t.get('fullTitle', '')}".lstrip(":")
        for t in data.get("failures") or () if isinstance(t, dict)
    ]
    failed, passed, skipped = _int(stats.get("failures")), _int(stats.get("passes")), _int(stats.get("pending"))
    # A failing hook is a failure with no test of its own: the total must still cover it.
    total = max(_int(stats.get("tests")), passed + failed + skipped)
    return Counts(total, passed, failed, 0, skipped, unique_names(failing), "mocha")


def merge_counts(*parts: Counts | None) -> Counts | None:
    """One Counts for several runs (jest run twice, a runner in each workspace package)."""
    present = [c for c in parts if c is not None]
    if not present:
        return None
    names = [n for c in present for n in c.failing_tests]
    return Counts(
        total=sum(c.total for c in present), passed=sum(c.passed for c in present),
        failed=sum(c.failed for c in present), errors=sum(c.errors for c in present),
        skipped=sum(c.skipped for c in present), failing_tests=unique_names(names),
        source="+".join(dict.fromkeys(c.source for c in present)),
    )  # fmt: skip


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError as exc:
        logger.info("malformed JSON report: %s", exc)
        return None
    return data if isinstance(data, dict) else None


def _relative(file: str, root: Path | None) -> str:
    if root is not None and file:
        try:
            return Path(file).relative_to(root).as_posix()
        except ValueError:
            pass
    return file


def _int(value: object) -> int:
    return max(0, value) if isinstance(value, int) and not isinstance(value, bool) else 0
