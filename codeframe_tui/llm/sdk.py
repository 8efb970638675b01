"""The model SDK on first use: a TUI opens a project and shows its plan without waiting for its import."""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any

from codeframe_tui.config import Settings
from codeframe_tui.llm.client import build_anthropic_client

if TYPE_CHECKING:
    import anthropic


class SdkOnFirstUse:
    """Stands in for the AsyncAnthropic client until a call needs it: the SDK takes 1.5-2 s to import.
    ModelClient awaits `load_sdk()` before each call, and otherwise uses `messages` and `close`."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: anthropic.AsyncAnthropic | None = None

    async def load_sdk(self) -> None:
        """Made at the first call, the SDK imported in a thread so the screen stays live meanwhile."""
        if self._client is None:
            await asyncio.to_thread(importlib.import_module, "anthropic")
            self._client = build_anthropic_client(self._settings)

    @property
    def messages(self) -> Any:
        if self._client is None:
            self._client = build_anthropic_client(self._settings)
        return self._client.messages

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
