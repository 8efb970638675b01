"""The Counts value that every output parser (JUnit XML, summary lines) returns."""

from __future__ import annotations

from dataclasses import dataclass

# Events and model prompts carry these names; a run with thousands of failures
# should not turn into a megabyte event, so parsers keep only the first ones.
MAX_FAILING_NAMES = 200


@dataclass(frozen=True)
class Counts:
    """Test counts as one tool reported them, plus the names of failing tests.

    `failing_tests` holds tests that failed or errored, in report order, de-duplicated
    and capped at MAX_FAILING_NAMES. `source` says which parser produced the counts
    ("junit", "pytest", "jest", "vitest", "node"), for logs.
    """

    total: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failing_tests: tuple[str, ...] = ()
    source: str = ""


def unique_names(names: list[str]) -> tuple[str, ...]:
    """De-duplicate while keeping report order, capped at MAX_FAILING_NAMES."""
    seen: dict[str, None] = {}
    for name in names:
        name = name.strip()
        if name and name not in seen:
            seen[name] = None
            if len(seen) >= MAX_FAILING_NAMES:
                break
    return tuple(seen)
