"""Shared fixtures: tests never touch the user's home or the network."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    # The SDK and tools may read config from $HOME; give every test an empty one.
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "CODEFRAME_MODEL"):
        monkeypatch.delenv(var, raising=False)
    yield
