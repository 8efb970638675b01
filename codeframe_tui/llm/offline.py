"""Wiring for the offline scripted model: the same ModelClient, over the scripted transport."""

from __future__ import annotations

from codeframe_tui.config import Settings
from codeframe_tui.llm.client import ModelClient
from codeframe_tui.llm.scripted import ScriptedModel


def scripted_model_client(settings: Settings, scripted: ScriptedModel) -> ModelClient:
    """A ModelClient whose AsyncAnthropic talks to `scripted` instead of the network."""
    client = scripted.client(max_retries=settings.sdk_max_retries, timeout=settings.model_timeout)
    return ModelClient(settings, client)
