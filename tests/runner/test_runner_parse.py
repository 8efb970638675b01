"""Unit tests of the output parsers and of decide_status, on literal tool output."""

from __future__ import annotations

import pytest

from codeframe_tui.domain.results import TestStatus
from codeframe_tui.runner.parse import Counts, decide_status, parse_junit, parse_summary, read_junit

# -- pytest summaries ------------------------------------------------------------


def test_pytest_full_summary_line() -> None:
    text = "collected 16 items\n...\n==== 3 failed, 10 passed, 1 skipped, 2 errors in 0.52s ====\n"
    counts = parse_summary(text)
    assert counts == Counts(total=16, passed=10, failed=3, errors=2, skipped=1, source="pytest")


def test_pytest_quiet_and_empty_summaries() -> None:
    assert parse_summary("..\n1 passed in 0.01s") == Counts(1, 1, 0, 0, 0, (), "pytest")
    assert parse_summary("no tests ran in 0.01s\n") == Counts(source="pytest")
    assert parse_summary("=== 2 deselected in 0.01s ===").total == 0


def test_pytest_summary_with_warnings_xfail_and_long_duration() -> None:
    line = "=== 1 failed, 2 passed, 1 xfailed, 1 xpassed, 3 warnings in 62.35s (0:01:02) ==="
    counts = parse_summary(line)
    assert (counts.total, counts.passed, counts.failed, counts.skipped) == (5, 3, 1, 1)


def test_pytest_the_last_summary_wins() -> None:
    text = "1 passed in 0.01s\nsome test output\n=== 1 failed in 0.02s ==="
    assert parse_summary(text).failed == 1
    assert parse_summary(text).passed == 0


def test_pytest_failing_names_from_short_summary_and_verbose_lines() -> None:
    text = "\n".join(
        [
            "tests/test_x.py::test_a PASSED                 [ 25%]",
            "tests/test_x.py::test_b FAILED                 [ 50%]",
            "tests/test_x.py::test_p[a b] FAILED            [ 75%]",
            "ERROR    root:test_x.py:5 a log line, not a test",
            "=========================== short test summary info ============================",
            "FAILED tests/test_x.py::test_b - assert 1 == 2",
            "FAILED tests/test_x.py::test_p[a b] - AssertionError",
            "ERROR tests/test_y.py::test_c - fixture 'nope' not found",
            "ERROR tests/test_bad.py",
            "==== 2 failed, 1 passed, 2 errors in 0.10s ====",
        ]
    )
    counts = parse_summary(text)
    assert counts.failing_tests == (
        "tests/test_x.py::test_b",
        "tests/test_x.py::test_p[a b]",
        "tests/test_y.py::test_c",
        "tests/test_bad.py",
    )
    assert (counts.failed, counts.errors) == (2, 2)


def test_text_that_only_looks_like_a_summary_is_ignored() -> None:
    assert parse_summary("3 apples in 2s\nRan 3 tests in 0.001s\n") is None
    assert parse_summary("") is None
    assert parse_summary("Traceback (most recent call last):\nImportError: boom") is None


def test_ansi_colours_are_ignored() -> None:
    text = "\x1b[31m\x1b[1m==== 1 failed\x1b[0m, \x1b[32m2 passed\x1b[0m\x1b[31m in 0.05s ====\x1b[0m"
    assert parse_summary(text) == Counts(3, 2, 1, 0, 0, (), "pytest")


# -- jest, vitest, node ----------------------------------------------------------


def test_jest_summary() -> None:
    text = "\n".join(
        [
            "  ● Math › adds",
            "",
            "Test Suites: 1 failed, 1 passed, 2 total",
            "Tests:       1 failed, 1 skipped, 1 todo, 4 passed, 7 total",
            "Snapshots:   0 total",
            "Time:        1.2 s",
        ]
    )
    counts = parse_summary(text)
    assert (counts.total, counts.passed, counts.failed, counts.skipped) == (7, 4, 1, 2)
    assert counts.failing_tests == ("Math › adds",)
    assert counts.source == "jest"


def test_jest_suite_that_failed_to_run() -> None:
    counts = parse_summary("Test Suites: 1 failed, 1 total\nTests:       0 total\n")
    assert counts.total == 0
    assert decide_status(counts, 1, False) is TestStatus.ERROR


def test_vitest_summary() -> None:
    text = "\n".join(
        [
            " FAIL  src/math.test.ts > math > subtracts",
            " Test Files  1 failed | 1 passed (2)",
            "      Tests  2 failed | 3 passed | 1 skipped (6)",
            "   Start at  12:00:00",
        ]
    )
    counts = parse_summary(text)
    assert (counts.total, counts.passed, counts.failed, counts.skipped) == (6, 3, 2, 1)
    assert counts.failing_tests == ("src/math.test.ts > math > subtracts",)
    assert counts.source == "vitest"


def test_node_test_tap_summary() -> None:
    text = "\n".join(
        [
            "TAP version 13",
            "ok 1 - adds",
            "not ok 2 - subtracts",
            "  ---",
            "  ...",
            "1..2",
            "# tests 2",
            "# suites 0",
            "# pass 1",
            "# fail 1",
            "# cancelled 0",
            "# skipped 0",
            "# todo 0",
            "# duration_ms 41.2",
        ]
    )
    counts = parse_summary(text)
    assert counts == Counts(2, 1, 1, 0, 0, ("subtracts",), "node")


def test_node_spec_reporter_summary() -> None:
    counts = parse_summary("ℹ tests 3\nℹ pass 3\nℹ fail 0\nℹ duration_ms 5\n")
    assert (counts.total, counts.passed, counts.failed) == (3, 3, 0)


# -- JUnit -----------------------------------------------------------------------

PYTEST_JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5" time="0.1">
  <testcase classname="tests.test_calc" file="tests/test_calc.py" name="test_add" time="0.001"/>
  <testcase classname="tests.test_calc.TestSub" file="tests/test_calc.py" name="test_sub" time="0.001">
    <failure message="assert 1 == 2">trace</failure>
  </testcase>
  <testcase classname="tests.test_calc" file="tests/test_calc.py" name="test_fix" time="0">
    <error message="fixture 'nope' not found">trace</error>
  </testcase>
  <testcase classname="tests.test_calc" file="tests/test_calc.py" name="test_skip" time="0">
    <skipped message="later"/>
  </testcase>
  <testcase classname="tests.test_calc" name="test_ok" time="0"/>
</testsuite></testsuites>
"""


def test_junit_from_pytest() -> None:
    counts = parse_junit(PYTEST_JUNIT)
    assert (counts.total, counts.passed, counts.failed, counts.errors, counts.skipped) == (5, 2, 1, 1, 1)
    assert counts.failing_tests == (
        "tests/test_calc.py::TestSub::test_sub",
        "tests/test_calc.py::test_fix",
    )


def test_junit_lone_testsuite_with_classname_names() -> None:
    xml = """<testsuite tests="2" failures="1">
        <testcase classname="src/math.test.ts" name="math &gt; adds"/>
        <testcase classname="src/math.test.ts" name="math &gt; subtracts"><failure/></testcase>
    </testsuite>"""
    counts = parse_junit(xml)
    assert (counts.total, counts.passed, counts.failed) == (2, 1, 1)
    assert counts.failing_tests == ("src/math.test.ts::math > subtracts",)


def test_junit_jest_style_name_is_not_doubled() -> None:
    xml = """<testsuites><testsuite name="math"><testcase classname="Math adds" name="Math adds">
        <failure>boom</failure></testcase></testsuite></testsuites>"""
    assert parse_junit(xml).failing_tests == ("Math adds",)


def test_junit_without_test_cases_uses_the_attributes() -> None:
    empty = '<testsuites><testsuite name="pytest" errors="0" failures="0" tests="0"/></testsuites>'
    assert parse_junit(empty) == Counts(source="junit")
    nested = (
        '<testsuites><testsuite tests="3" failures="1" skipped="1"/>'
        '<testsuite tests="2"/></testsuites>'
    )
    assert parse_junit(nested) == Counts(5, 3, 1, 0, 1, (), "junit")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not xml at all",
        "<testsuites><testsuite>",  # cut off, as after a kill
        "<html><body/></html>",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><testsuite tests="&a;"/>',
    ],
)
def test_junit_bad_input_returns_none(text: str) -> None:
    assert parse_junit(text) is None


def test_read_junit_missing_and_oversized(tmp_path, monkeypatch) -> None:
    assert read_junit(tmp_path / "nope.xml") is None
    path = tmp_path / "big.xml"
    path.write_text(PYTEST_JUNIT)
    assert read_junit(path).total == 5
    monkeypatch.setattr("codeframe_tui.runner.junit.MAX_JUNIT_BYTES", 100)
    assert read_junit(path) is None


# -- decide_status ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "exit_code", "timed_out", "expected"),
    [
        (Counts(3, 3), 0, True, TestStatus.TIMEOUT),
        (None, None, True, TestStatus.TIMEOUT),
        (Counts(3, 2, 1), 1, False, TestStatus.FAILED),
        (Counts(3, 2, 1), 0, False, TestStatus.FAILED),  # `pytest || true` still fails
        (Counts(3, 1, 1, 1), 1, False, TestStatus.FAILED),
        (Counts(2, 1, 0, 1), 1, False, TestStatus.ERROR),
        (Counts(0), 5, False, TestStatus.NO_TESTS),
        (Counts(0), 0, False, TestStatus.NO_TESTS),
        (Counts(2, 0, 0, 0, 2), 0, False, TestStatus.NO_TESTS),  # everything skipped
        (Counts(0), 1, False, TestStatus.ERROR),
        (Counts(3, 3), 0, False, TestStatus.PASSED),
        (Counts(3, 3), None, False, TestStatus.PASSED),
        (Counts(3, 3), 1, False, TestStatus.FAILED),  # e.g. a coverage threshold
        (Counts(3, 3), 2, False, TestStatus.ERROR),
        (Counts(3, 3), -9, False, TestStatus.ERROR),
        (None, 0, False, TestStatus.PASSED),
        (None, 5, False, TestStatus.NO_TESTS),
        (None, 1, False, TestStatus.ERROR),
        (None, 2, False, TestStatus.ERROR),
        (None, 127, False, TestStatus.ERROR),
        (None, None, False, TestStatus.ERROR),
    ],
)
def test_decide_status(counts, exit_code, timed_out, expected) -> None:
    assert decide_status(counts, exit_code, timed_out) is expected
