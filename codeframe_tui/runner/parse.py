"""Turning a test tool's output into counts and one TestStatus (JUnit first, then the summary)."""

from __future__ import annotations

from codeframe_tui.domain.results import TestStatus
from codeframe_tui.runner.counts import Counts
from codeframe_tui.runner.junit import parse_junit, read_junit
from codeframe_tui.runner.summary import parse_summary

__all__ = ["Counts", "decide_status", "parse_junit", "parse_summary", "read_junit"]

# pytest's documented exit codes; jest, vitest and node --test use 0 and 1 the same way.
EXIT_OK = 0
EXIT_TESTS_FAILED = 1
EXIT_NO_TESTS = 5  # pytest: "no tests were collected"


def decide_status(counts: Counts | None, exit_code: int | None, timed_out: bool) -> TestStatus:
    """One status from the counts and the exit code. The order matters:

    1. A timeout wins: whatever was counted is partial.
    2. Counts that show failures or errors win over the exit code, so a command that
       hides its exit code (`pytest || true`) still reports a failure.
    3. Nothing passed, failed or errored (zero tests, or every test skipped or deselected):
       NO_TESTS when the tool exited cleanly (0, or pytest's 5); otherwise the tool broke
       before running anything (jest's "Test suite failed to run" prints "0 total" and
       exits 1), which is an ERROR.
    4. Counts say everything passed: trust the exit code too. 0 is PASSED; 1 is FAILED,
       because the tool itself declared the run failed for a reason the counts do not show
       (a coverage threshold, vitest's unhandled errors, a teardown crash after the summary);
       any other code (pytest's 2/3/4 usage/internal errors, a signal) is an ERROR.
    5. No counts at all: the exit code alone. 0 is PASSED (a tool we cannot parse said
       yes; callers see total == 0), pytest's 5 is NO_TESTS, anything else (or no exit
       code) is an ERROR, since without a summary we cannot tell failing tests from a
       broken command.
    """
    if timed_out:
        return TestStatus.TIMEOUT
    if counts is not None:
        if counts.failed > 0:
            return TestStatus.FAILED
        if counts.errors > 0:
            return TestStatus.ERROR
        if counts.passed == 0:
            if exit_code in (None, EXIT_OK, EXIT_NO_TESTS):
                return TestStatus.NO_TESTS
            return TestStatus.ERROR
        if exit_code in (None, EXIT_OK):
            return TestStatus.PASSED
        if exit_code == EXIT_TESTS_FAILED:
            return TestStatus.FAILED
        return TestStatus.ERROR
    if exit_code == EXIT_OK:
        return TestStatus.PASSED
    if exit_code == EXIT_NO_TESTS:
        return TestStatus.NO_TESTS
    return TestStatus.ERROR
