"""What every agent is given: settings, the store, the model, test commands and the event sink."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from codeframe_tui.config import Settings
from codeframe_tui.engine.events import Event, EventSink
from codeframe_tui.llm.client import ModelClient
from codeframe_tui.runner import TestCommand, command_from_config, detect_test_command
from codeframe_tui.store import Store

log = logging.getLogger(__name__)


@dataclass
class EngineContext:
    settings: Settings
    store: Store
    model: ModelClient
    sink: EventSink

    @property
    def project(self) -> Path:
        return self.settings.project

    async def publish(self, event: Event) -> None:
        """Log a lifecycle event durably, then show it. High-rate events skip the log."""
        if not event.high_rate:
            payload = event.to_json_dict()
            await self.store.log_event(event.type, payload.get("task_id"), payload)
        self.emit(event)

    def emit(self, event: Event) -> None:
        try:
            self.sink(event)
        except Exception:  # a broken sink must not stop the agents; it is a bug to log loudly
            log.exception("event sink failed on %s", event.type)

    def test_command(self, part: str) -> TestCommand | None:
        """The command for a part (backend, frontend, test): from config, else detected.

        Not cached: each detected command names its own JUnit file, so workers running at the
        same time never read each other's report.
        """
        configured = self.settings.test_commands.get(part)
        if configured:
            return command_from_config(list(configured), self.project)
        return detect_test_command(self.project, part)
