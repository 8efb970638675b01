"""Report flags per runner and the jest / mocha JSON readers.

The report shapes below were written by hand after running the real tools once (jest 30.5,
mocha 12.0, vitest 4.1, node 20.20's test runner) and reading what they wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

from codeframe_tui.runner.counts import Counts
from codeframe_tui.runner.js.reports import merge_counts, parse_jest_json, parse_mocha_json, read_report, with_report

ROOT = Path("/repo")


def _jest_report(failed_title: str = "fails", broken: bool = False) -> str:
    suites = [{
        "name": "/repo/src/math.test.js", "status": "failed", "message": "  ● math › fails\n", "summary": "",
        "assertionResults": [
            {"ancestorTitles": ["math"], "title": "adds", "fullName": "math adds", "status": "passed"},
            {"ancestorTitles": ["math"], "title": failed_title, "fullName": f"math {failed_title}", "status": "failed",
             "failureMessages": ["Error: expect(received).toBe(expected)"]},
            {"ancestorTitles": ["math"], "title": "skipped", "fullName": "math skipped", "status": "pending"},
            {"ancestorTitles": ["math"], "title": "later", "fullName": "math later", "status": "todo"},
        ],
    }]
    if broken:
        suites.append({"name": "/repo/src/broken.test.js", "status": "failed", "assertionResults": [],
                       "message": "  ● Test suite failed to run\n\n    Jest encountered an unexpected token"})
    return json.dumps({
        "numFailedTestSuites": 1 + broken, "numFailedTests": 1, "numPassedTestSuites": 0, "numPassedTests": 1,
        "numPendingTestSuites": 0, "numPendingTests": 1, "numRuntimeErrorTestSuites": int(broken),
        "numTodoTests": 1, "numTotalTestSuites": 1 + broken, "numTotalTests": 4, "success": False,
        "testResults": suites,
    })


def test_jest_json_counts_like_junit() -> None:
    counts = parse_jest_json(_jest_report(), ROOT)
    assert counts == Counts(4, 1, 1, 0, 2, ("src/math.test.js::math › fails",), "jest")


def test_a_jest_suite_that_failed_to_run_is_an_error() -> None:
    counts = parse_jest_json(_jest_report(broken=True), ROOT)
    assert counts is not None
    assert (counts.total, counts.errors) == (5, 1)
    assert counts.failing_tests == ("src/math.test.js::math › fails", "src/broken.test.js")


def test_jest_run_twice_adds_up() -> None:
    node = parse_jest_json(_jest_report("fails on node"), ROOT)
    edge = parse_jest_json(_jest_report("fails on edge"), ROOT)
    both = merge_counts(node, edge)
    assert both is not None
    assert (both.total, both.passed, both.failed, both.skipped) == (8, 2, 2, 4)
    assert len(both.failing_tests) == 2 and both.source == "jest"
    assert merge_counts(None, None) is None


def test_malformed_reports_read_as_none() -> None:
    assert parse_jest_json("{not json") is None
    assert parse_jest_json('{"stats": {}}') is None
    assert parse_mocha_json("[]") is None


def test_mocha_json() -> None:
    report = {
        "stats": {"suites": 1, "tests": 3, "passes": 1, "pending": 1, "failures": 1, "duration": 4},
        "tests": [], "pending": [], "passes": [],
        "failures": [{"title": "bad", "fullTitle": "m bad", "file": "/repo/test/m.test.js", "err": {}}],
    }
    assert parse_mocha_json(json.dumps(report), ROOT) == Counts(3, 1, 1, 0, 1, ("test/m.test.js::m bad",), "mocha")


def test_report_flags_per_runner(tmp_path: Path) -> None:
    out = tmp_path / "r.xml"
    vitest = with_report("vitest", ("pnpm", "exec", "vitest", "run"), out)
    assert vitest is not None and vitest.format == "junit"
    assert vitest.argv[-3:] == ("--reporter=default", "--reporter=junit", f"--outputFile.junit={out}")
    jest = with_report("jest", ("npx", "--no", "--", "jest", "-c", "a.js"), out)
    assert jest is not None and jest.argv[-3:] == ("--ci", "--json", f"--outputFile={out}")
    assert jest.format == "jest-json"
    # node's options must come before the test files, or they become the tests' own arguments.
    node = with_report("node", ("node", "--test", "test/"), out)
    assert node is not None and node.argv[:2] == ("node", "--test") and node.argv[-1] == "test/"
    assert f"--test-reporter-destination={out}" in node.argv
    playwright = with_report("playwright", ("npx", "playwright", "test", "--", "extra"), out)
    assert playwright is not None and playwright.argv[-3:] == ("--reporter=list,junit", "--", "extra")
    assert ("PLAYWRIGHT_JUNIT_OUTPUT_FILE", str(out)) in playwright.env
    assert with_report("bun", ("bun", "test"), out) is None


def _install(root: Path, name: str, version: str) -> None:
    folder = root / "node_modules" / name
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"name": name, "version": version}))


def test_mocha_json_needs_9_1_else_its_junit_reporter(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    new, old, bare = tmp_path / "new", tmp_path / "old", tmp_path / "bare"
    _install(new, "mocha", "12.0.3")
    plan = with_report("mocha", ("npx", "mocha"), out, package=new / "packages" / "a")  # hoisted counts
    assert plan is not None and plan.argv[-4:] == ("--reporter", "json", "--reporter-option", f"output={out}")
    _install(old, "mocha", "8.4.0")
    _install(old, "mocha-junit-reporter", "2.2.1")
    plan = with_report("mocha", ("npx", "mocha"), out, package=old)
    assert plan is not None and plan.format == "junit" and f"mochaFile={out}" in plan.argv
    _install(bare, "mocha", "9.0.0")
    assert with_report("mocha", ("npx", "mocha"), out, package=bare) is None


def test_read_report_dispatches_by_format(tmp_path: Path) -> None:
    plan = with_report("jest", ("jest",), tmp_path / "jest.json")
    assert plan is not None and read_report(plan) is None  # not written yet
    (tmp_path / "jest.json").write_text(_jest_report())
    counts = read_report(plan, ROOT)
    assert counts is not None and counts.failed == 1
