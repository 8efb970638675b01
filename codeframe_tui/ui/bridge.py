"""The boundary: engine events become Textual messages posted to the app, never polled."""

from __future__ import annotations

from textual.app import App
from textual.message import Message

from codeframe_tui.engine.events import AgentStatusChanged, Event, EventSink


class EngineEvent(Message):
    """One engine event, delivered on the app's loop."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        # A newer step of the same agent supersedes an older one still in the queue; every other
        # event (status changes, results, blockers, output batches) is kept.
        mine, theirs = self.event, getattr(message, "event", None)
        return (
            isinstance(mine, AgentStatusChanged)
            and isinstance(theirs, AgentStatusChanged)
            and mine.agent_id == theirs.agent_id
            and mine.status == theirs.status == "busy"
        )


def app_sink(app: App) -> EventSink:
    """A sink for the engine: wraps each event in one message and posts it to the app."""

    def sink(event: Event) -> None:
        app.post_message(EngineEvent(event))

    return sink
