"""What a script may answer: frozen dataclasses, one per kind of model behaviour.

Every content reply may set `thinking` (the text of the thinking block that opens the answer when the
model thinks; a default is made up otherwise) and `redacted` (that block comes as redacted_thinking).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ContentReply",
    "ContextWindowReply",
    "DropReply",
    "ErrorReply",
    "MalformedToolReply",
    "MidStreamErrorReply",
    "PauseTurnReply",
    "RefusalReply",
    "Reply",
    "StallReply",
    "TextReply",
    "ToolUseReply",
    "TruncatedReply",
    "sequence",
]


@dataclass(frozen=True)
class ToolUseReply:
    """A tool call (stop_reason "tool_use"), optionally preceded by a text block."""

    name: str
    input: dict[str, Any]
    text: str = ""
    usage_in: int | None = None
    usage_out: int | None = None
    thinking: str | None = None
    redacted: bool = False

    def __post_init__(self) -> None:
        # Caught here rather than on the wire: a non-dict input would only
        # surface later as a confusing parse error in the code under test.
        if not isinstance(self.input, dict):
            raise TypeError(f"ToolUseReply.input must be a dict, got {type(self.input).__name__}")


@dataclass(frozen=True)
class TextReply:
    """Plain text (stop_reason "end_turn")."""

    text: str
    thinking: str | None = None
    redacted: bool = False


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error answer in the API's error shape; retry_after sets the header."""

    status: int
    error_type: str
    message: str
    retry_after: float | None = None


@dataclass(frozen=True)
class TruncatedReply:
    """A tool call whose input JSON was cut by the token limit (stop_reason "max_tokens"), after optional text."""

    name: str
    partial_json: str
    text: str = ""
    thinking: str | None = None
    redacted: bool = False


@dataclass(frozen=True)
class MalformedToolReply:
    """A tool call whose input is not valid JSON (streamed as input_json_delta)."""

    name: str
    raw_json: str
    thinking: str | None = None
    redacted: bool = False


@dataclass(frozen=True)
class PauseTurnReply:
    """A turn the API paused (stop_reason "pause_turn"); the client sends it back to let the model go on."""

    text: str = "Still working on it."
    thinking: str | None = None
    redacted: bool = False


@dataclass(frozen=True)
class RefusalReply:
    """The model declines (stop_reason "refusal", with stop_details); `text` is what it wrote before stopping."""

    text: str = ""
    category: str | None = None
    explanation: str | None = None
    thinking: str | None = None
    redacted: bool = False


@dataclass(frozen=True)
class ContextWindowReply:
    """The answer filled the context window (stop_reason "model_context_window_exceeded"): treat it as truncated."""

    text: str = ""
    thinking: str | None = None
    redacted: bool = False


@dataclass(frozen=True)
class StallReply:
    """Waits `seconds` before answering with `then` (for timeout tests)."""

    seconds: float
    then: Reply


@dataclass(frozen=True)
class MidStreamErrorReply:
    """A 200 stream that sends about half the content of `after`, then an SSE `error` event."""

    after: ContentReply
    error_type: str = "overloaded_error"
    message: str = "Overloaded"

    def __post_init__(self) -> None:
        # Only replies that become content blocks can be half-sent.
        if not isinstance(self.after, CONTENT_REPLIES):
            raise TypeError("MidStreamErrorReply.after must be a content reply (tool, text, truncated, malformed...)")


@dataclass(frozen=True)
class DropReply:
    """The connection drops after `after_bytes` bytes of the response body."""

    after_bytes: int = 0


ContentReply = (
    ToolUseReply | TextReply | TruncatedReply | MalformedToolReply | PauseTurnReply | RefusalReply | ContextWindowReply
)
Reply = ContentReply | ErrorReply | StallReply | MidStreamErrorReply | DropReply

CONTENT_REPLIES = (
    ToolUseReply,
    TextReply,
    TruncatedReply,
    MalformedToolReply,
    PauseTurnReply,
    RefusalReply,
    ContextWindowReply,
)
ALL_REPLIES = CONTENT_REPLIES + (ErrorReply, StallReply, MidStreamErrorReply, DropReply)


def sequence(*replies: Reply) -> Callable[[Any], Reply]:
    """A responder that answers with `replies` in order, one per request, and fails once they run out."""
    pending = list(replies)

    def respond(request: Any) -> Reply:
        if not pending:
            raise LookupError(f"the script has no reply left for request {request!r}")
        return pending.pop(0)

    return respond
