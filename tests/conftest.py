"""Shared fixtures: tests never touch the user's home or the network."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from codeframe_tui.config.layers import USER_DIR_ENV

# Set on import, before any fixture of any scope: a session fixture, or a test's subprocess (tmux,
# sshd's client, `codeframe-tui ...`) inherits it, so nothing under test reads or writes the person's
# own user config. Each test then gets a fresh, empty folder of its own (below).
os.environ[USER_DIR_ENV] = _SESSION_DIR = tempfile.mkdtemp(prefix="codeframe-user-config-")
atexit.register(shutil.rmtree, _SESSION_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    # The SDK and tools may read config from $HOME; give every test an empty one.
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    # platformdirs reads XDG_CONFIG_HOME before HOME: a test that drops USER_DIR_ENV must still land
    # in the empty home, not the person's.
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv(USER_DIR_ENV, str(tmp_path_factory.mktemp("user-config")))
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "CODEFRAME_MODEL"):
        monkeypatch.delenv(var, raising=False)
    yield


# The tiers `make test-fast` leaves out, by where a test lives (paths relative to tests/). Marking by
# path rather than by decorator means a new crash test or terminal test is in its tier from day one.
_TIERS_BY_PATH = (
    ("terminal", lambda rel: rel.parts[0] == "terminal"),
    ("crash", lambda rel: "crash" in rel.stem),
    ("soak", lambda rel: rel.stem == "test_soak"),
    ("slow", lambda rel: rel.as_posix() in _SLOW_FILES),
)

# Files whose tests run the engine end to end: a git repository with worktrees, the scripted model,
# a real pytest run of the generated project per task and the merge queue's, or the TUI through a
# whole run. Each takes 5 to 100 s on 2 busy cores; together they were 80% of `make test-fast`'s
# time. A slow test in an otherwise quick file is marked `@pytest.mark.slow` where it stands.
_SLOW_FILES = frozenset({
    "test_benchmarks.py",  # every benchmark's short form, each in its own process
    "engine/test_bash_tool.py",
    "engine/test_blockers.py",
    "engine/test_correction.py",
    "engine/test_costs.py",
    "engine/test_demo_headless.py",
    "engine/test_lead.py",
    "engine/test_merge_queue.py",
    "engine/test_model_faults.py",
    "engine/test_parallel_scheduling.py",
    "engine/test_real_client_path.py",
    "engine/test_review_gate.py",
    "engine/test_worktrees.py",
    "runner/test_js_projects.py",  # real vitest, jest, mocha, eslint and tsc runs
    "ui/test_hostile_text.py",
    "ui/test_inbox.py",
    "ui/test_isolation_ui.py",
})


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
