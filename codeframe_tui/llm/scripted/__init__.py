"""A scripted model that speaks the Anthropic Messages API over HTTP, for tests and the offline demo."""

from .model import Responder, ScriptedModel, ScriptedTimeout
from .render import ScriptedResponse
from .replies import (
    ContextWindowReply,
    DropReply,
    ErrorReply,
    MalformedToolReply,
    MidStreamErrorReply,
    PauseTurnReply,
    RefusalReply,
    Reply,
    StallReply,
    TextReply,
    ToolUseReply,
    TruncatedReply,
    sequence,
)
from .request import ScriptedRequest
from .server import ScriptedServer
from .transport import ScriptedTransport

__all__ = [
    "ContextWindowReply",
    "DropReply",
    "ErrorReply",
    "MalformedToolReply",
    "MidStreamErrorReply",
    "PauseTurnReply",
    "RefusalReply",
    "Reply",
    "Responder",
    "ScriptedModel",
    "ScriptedRequest",
    "ScriptedResponse",
    "ScriptedServer",
    "ScriptedTimeout",
    "ScriptedTransport",
    "StallReply",
    "TextReply",
    "ToolUseReply",
    "TruncatedReply",
    "sequence",
]
