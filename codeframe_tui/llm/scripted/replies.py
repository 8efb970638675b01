"""What a script may answer: frozen dataclasses, one per kind of model behaviour."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ContentReply",
    "DropReply",
    "ErrorReply",
    "MalformedToolReply",
    "MidStreamErrorReply",
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

    def __post_init__(self) -> None:
        # Caught here rather than on the wire: a non-dict input would only
        # surface later as a confusing parse error in the code under test.
        if not isinstance(self.input, dict):
            raise TypeError(f"ToolUseReply.input must be a dict, got {type(self.input).__name__}")


@dataclass(frozen=True)
class TextReply:
    """Plain text (stop_reason "end_turn")."""

    text: str


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error answer in the API's error shape; retry_after sets the header."""

    status: int
    error_type: str
    message: str
    retry_after: float | None = None


@dataclass(frozen=True)
class TruncatedReply:
    """A tool call whose input JSON was cut by the token limit (stop_reason "max_tokens")."""

    name: str
    partial_json: str


@dataclass(frozen=True)
class MalformedToolReply:
    """A tool call whose input is not valid JSON (streamed as input_json_delta)."""

    name: str
    raw_json: str


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
            raise TypeError("MidStreamErrorReply.after must be a content reply (tool, text, truncated, malformed)")


@dataclass(frozen=True)
class DropReply:
    """The connection drops after `after_bytes` bytes of the response body."""

    after_bytes: int = 0


ContentReply = ToolUseReply | TextReply | TruncatedReply | MalformedToolReply
Reply = (
    ToolUseReply | TextReply | ErrorReply | TruncatedReply | MalformedToolReply | StallReply
    | MidStreamErrorReply | DropReply
)

CONTENT_REPLIES = (ToolUseReply, TextReply, TruncatedReply, MalformedToolReply)
ALL_REPLIES = CONTENT_REPLIES + (ErrorReply, StallReply, MidStreamErrorReply, DropReply)


def sequence(*replies: Reply) -> Callable[[Any], Reply]:
    """A responder that answers with `replies` in order, one per request, and fails once they run out."""
    pending = list(replies)

    def respond(request: Any) -> Reply:
        if not pending:
            raise LookupError(f"the script has no reply left for request {request!r}")
        return pending.pop(0)

    return respond
