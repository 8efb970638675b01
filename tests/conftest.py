"""Shared fixtures: tests never touch the user's home or the network."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    # The SDK and tools may read config from $HOME; give every test an empty one.
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "CODEFRAME_MODEL"):
        monkeypatch.delenv(var, raising=False)
    yield


# The tiers `make test-fast` leaves out, by where a test lives (paths relative to tests/). Marking by
# path rather than by decorator means a new crash test or terminal test is in its tier from day one.
_TIERS_BY_PATH = (
    ("terminal", lambda rel: rel.parts[0] == "terminal"),
    ("crash", lambda rel: "crash" in rel.stem),
    ("soak", lambda rel: rel.stem == "test_soak"),
    ("slow", lambda rel: rel.as_posix() == "test_benchmarks.py"),
)


def pytest_collection_modifyitems(config, items):
    tests = Path(__file__).parent
    for item in items:
        try:
            rel = item.path.relative_to(tests)
        except ValueError:
            continue
        for marker, belongs in _TIERS_BY_PATH:
            if belongs(rel):
                item.add_marker(marker)
