"""Fixtures for the scripted model's tests: no credentials from the environment, both ways to connect."""

from __future__ import annotations

import contextlib

import anthropic
import pytest

from codeframe_tui.llm.scripted import ScriptedModel, ScriptedServer


@pytest.fixture(autouse=True)
def _offline_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    # The SDK may read credentials, profiles and proxies from the environment and the home folder.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_CUSTOM_HEADERS",
                 "ANTHROPIC_PROFILE", "ANTHROPIC_CONFIG_DIR", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                 "http_proxy", "https_proxy", "all_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["transport", "server"])
async def connect(request: pytest.FixtureRequest):
    """A factory for clients on the scripted model, in either mode; everything is closed afterwards."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(model: ScriptedModel, **kwargs) -> anthropic.AsyncAnthropic:
            if request.param == "transport":
                client = model.client(**kwargs)
            else:
                server = await stack.enter_async_context(ScriptedServer(model))
                client = server.client(**kwargs)
            stack.push_async_callback(client.close)
            return client

        yield make
