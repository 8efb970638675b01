"""JUnit XML parsing: counts and failing test names from pytest, jest-junit or vitest reports."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path

from codeframe_tui.runner.counts import Counts, unique_names

logger = logging.getLogger(__name__)

# A real report of a few thousand tests is well under a megabyte; anything far bigger
# is not worth parsing on the event loop (the summary line is the fallback).
MAX_JUNIT_BYTES = 8 * 1024 * 1024


def read_junit(path: Path) -> Counts | None:
    """Read and parse a JUnit file; None when it is missing, too big or malformed."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_JUNIT_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_JUNIT_BYTES:
        logger.warning("JUnit report %s is over %d bytes; ignoring it", path, MAX_JUNIT_BYTES)
        return None
    return parse_junit(data.decode("utf-8", errors="replace"))


def parse_junit(xml_text: str) -> Counts | None:
    """Count the test cases of a JUnit report (`<testsuites>` or a lone `<testsuite>`).

    Never raises: malformed or unexpected XML returns None so that the caller falls back
    to the summary line.
    """
    if len(xml_text) > MAX_JUNIT_BYTES:
        return None
    # Test reports never need a DTD; refusing one rules out entity-expansion tricks.
    if "<!DOCTYPE" in xml_text or "<!ENTITY" in xml_text:
        logger.warning("JUnit report contains a DTD; ignoring it")
        return None
    try:
        root = ET.fromstring(xml_text)
    except (ET.ParseError, ValueError) as exc:
        logger.info("malformed JUnit report: %s", exc)
        return None
    if _local(root.tag) not in ("testsuites", "testsuite"):
        return None

    cases = [el for el in root.iter() if _local(el.tag) == "testcase"]
    if not cases:
        return _counts_from_attributes(root)

    passed = failed = errors = skipped = 0
    failing: list[str] = []
    for case in cases:
        kinds = {_local(child.tag) for child in case}
        # One test, one outcome: a failed call followed by a teardown error is a failure.
        if "failure" in kinds:
            failed += 1
            failing.append(_case_name(case))
        elif "error" in kinds:
            errors += 1
            failing.append(_case_name(case))
        elif "skipped" in kinds:
            skipped += 1
        else:
            passed += 1
    return Counts(
        total=len(cases),
        passed=passed,
        failed=failed,
        errors=errors,
        skipped=skipped,
        failing_tests=unique_names(failing),
        source="junit",
    )


def _counts_from_attributes(root: ET.Element) -> Counts:
    """Counts from suite attributes, for reports that list no test cases (e.g. zero tests)."""
    if _local(root.tag) == "testsuite" or root.get("tests") is not None:
        suites = [root]
    else:
        # Only the top-level suites: nested suites repeat their parents' numbers.
        suites = [el for el in root if _local(el.tag) == "testsuite"]
    total = sum(_int(s.get("tests")) for s in suites)
    failed = sum(_int(s.get("failures")) for s in suites)
    errors = sum(_int(s.get("errors")) for s in suites)
    skipped = sum(_int(s.get("skipped") or s.get("skips")) for s in suites)
    passed = max(0, total - failed - errors - skipped)
    return Counts(total, passed, failed, errors, skipped, (), "junit")


def _case_name(case: ET.Element) -> str:
    """A test id like pytest's node id: 'file::Class::name', else 'classname::name'."""
    name = case.get("name", "")
    classname = case.get("classname", "")
    file = (case.get("file") or "").replace("\\", "/")
    if file:
        # pytest's xunit1 classname is 'pkg.module.Class'; keep only the class part.
        module = file.removesuffix(".py").replace("/", ".")
        rest = classname[len(module) + 1 :] if classname.startswith(module + ".") else ""
        return "::".join(p for p in (file, *rest.split("."), name) if p)
    if classname and classname != name:
        return f"{classname}::{name}"
    return name or classname


def _local(tag: str) -> str:
    """The tag without an XML namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _int(value: str | None) -> int:
    try:
        return max(0, int(float(value))) if value else 0
    except ValueError:
        return 0
