"""Summary-line parsing for pytest, jest, vitest and node --test output, plus failing test names."""

from __future__ import annotations

import dataclasses
import re

from codeframe_tui.runner.counts import Counts, unique_names

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")

# pytest's closing line: "==== 3 failed, 10 passed, 1 skipped, 2 errors in 0.52s ====",
# "1 passed in 0.01s", "no tests ran in 0.01s", "... in 62.35s (0:01:02)".
_PYTEST = re.compile(
    r"^=*\s*(?P<body>no tests ran|\d+ [\w -]+(?:, \d+ [\w -]+)*)"
    r"\s+in\s+[\d.]+\s*(?:s|seconds)\b[^=]*=*\s*$"
)
# jest: "Tests:       1 failed, 4 passed, 5 total" (not "Test Suites:").
_JEST = re.compile(r"^\s*Tests:\s+(?P<body>(?:\d+ \w+, )*)(?P<total>\d+) total\s*$")
# vitest: "Tests  2 failed | 3 passed (5)" (not "Test Files").
_VITEST = re.compile(r"^\s*Tests\s+(?P<body>\d+ \w+(?: \| \d+ \w+)*)\s+\((?P<total>\d+)\)")
# node --test, TAP ("# pass 3") or spec ("ℹ pass 3") reporter.
_NODE = re.compile(
    r"^\s*[#ℹ] (?P<key>tests|suites|pass|fail|cancelled|skipped|todo|duration_ms)"
    r" (?P<value>[\d.]+)\s*$"
)
_ITEM = re.compile(r"^(\d+) (.+)$")

# Failing test names, one pattern per tool's way of listing them.
_FAILING = (
    # pytest short summary: "FAILED tests/test_x.py::test_a - assert 0", "ERROR tests/test_b.py"
    re.compile(r"^(?:FAILED|ERROR) (?P<name>\S+?\.py(?:::.+?)?)(?: - .*)?$"),
    # pytest -v progress: "tests/test_x.py::test_a FAILED  [ 50%]"
    re.compile(r"^(?P<name>\S+?\.py::.+?) (?:FAILED|ERROR)(?:\s+\[\s*\d+%\])?\s*$"),
    # node --test TAP: "not ok 2 - subtracts"
    re.compile(r"^\s*not ok \d+ - (?P<name>.+?)(?:\s+#\s.*)?$"),
    # jest: "  ● Math › adds"
    re.compile(r"^\s*● (?P<name>(?!Console$).+?)\s*$"),
    # vitest: " FAIL  src/a.test.ts > math > adds"
    re.compile(r"^\s*FAIL\s+(?P<name>\S+ > .+?)(?:\s+\d+m?s)?\s*$"),
)

_PYTEST_WORDS = {
    "passed": "passed",
    "failed": "failed",
    "error": "errors",
    "errors": "errors",
    "skipped": "skipped",
    "xfailed": "skipped",  # expected failures are reported as skips in JUnit too
    "xpassed": "passed",
    "deselected": None,  # not run on purpose: not part of the total
    "warning": None,
    "warnings": None,
    "rerun": None,
    "reruns": None,
}
_JS_WORDS = {
    "passed": "passed",
    "failed": "failed",
    "skipped": "skipped",
    "todo": "skipped",
    "pending": "skipped",
}


def parse_summary(text: str) -> Counts | None:
    """Counts from the LAST summary in the output; None when there is none.

    The last one wins because a test may print summary-like text of its own (or run a nested
    test tool) before the real closing line.
    """
    last: Counts | None = None
    last_at = -1
    node: dict[str, float] = {}
    node_at = -1
    failing: list[str] = []
    for index, raw in enumerate(text.splitlines()):
        line = _ANSI.sub("", raw).rstrip()
        if not line:
            continue
        for pattern in _FAILING:
            match = pattern.match(line)
            if match:
                failing.append(match["name"])
                break
        counts = _pytest_line(line) or _js_line(line)
        if counts is not None:
            last, last_at = counts, index
            continue
        match = _NODE.match(line)
        if match:
            if match["key"] == "tests":
                node = {}  # a new summary block starts with its total
            node[match["key"]] = float(match["value"])
            node_at = index
    if node_at > last_at and "tests" in node and ("pass" in node or "fail" in node):
        last = _node_counts(node)
    if last is None:
        return None
    return dataclasses.replace(last, failing_tests=unique_names(failing))


def _pytest_line(line: str) -> Counts | None:
    match = _PYTEST.match(line)
    if not match:
        return None
    body = match["body"]
    if body == "no tests ran":
        return Counts(source="pytest")
    values = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    known = False
    for item in body.split(", "):
        number, word = _item(item)
        word = word.strip()
        if word not in _PYTEST_WORDS:
            # Plugins add items like "2 subtests passed"; skip them rather than miscount.
            continue
        known = True
        field = _PYTEST_WORDS[word]
        if field:
            values[field] += int(number)
    if not known:
        return None  # e.g. "3 apples in 2s": not pytest's line
    return Counts(total=sum(values.values()), source="pytest", passed=values["passed"], failed=values["failed"],
                  errors=values["errors"], skipped=values["skipped"])


def _js_line(line: str) -> Counts | None:
    match = _JEST.match(line)
    if match:
        items, source = [i for i in match["body"].split(", ") if i], "jest"
    else:
        match = _VITEST.match(line)
        if not match:
            return None
        items, source = match["body"].split(" | "), "vitest"
    values = {"passed": 0, "failed": 0, "skipped": 0}
    for item in items:
        number, word = _item(item.strip())
        field = _JS_WORDS.get(word)
        if field:
            values[field] += int(number)
    return Counts(total=int(match["total"]), source=source, passed=values["passed"], failed=values["failed"],
                  skipped=values["skipped"])


def _item(text: str) -> tuple[str, str]:
    """`3 passed` as ("3", "passed"): the summary lines' own patterns let only such items through."""
    match = _ITEM.match(text)
    assert match is not None, text
    return match[1], match[2]


def _node_counts(node: dict[str, float]) -> Counts:
    def get(key: str) -> int:
        return int(node.get(key, 0))

    return Counts(
        total=get("tests"),
        passed=get("pass"),
        failed=get("fail"),
        errors=get("cancelled"),  # node cancels tests on timeouts and parent failures
        skipped=get("skipped") + get("todo"),
        source="node",
    )
