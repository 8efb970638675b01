"""ScriptedRequest: a read-only view of one validated Messages API request body."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["ScriptedRequest", "content_texts"]


def _copy(value: Any) -> Any:
    """A deep copy of decoded JSON (dicts, lists and atoms): what copy.deepcopy gives, at a third of its
    cost, which the scripted model pays several times per request on the engine's own loop."""
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value


class ScriptedRequest:
    """What a script sees of a request; the body is a private deep copy, so scripts cannot alter history."""

    __slots__ = ("_body", "_headers")

    def __init__(self, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> None:
        self._body = _copy(body)
        self._headers = MappingProxyType({k.lower(): v for k, v in (headers or {}).items()})

    def __repr__(self) -> str:
        return f"ScriptedRequest(model={self.model!r}, messages={len(self.messages)}, stream={self.stream})"

    @property
    def body(self) -> dict[str, Any]:
        """The decoded JSON body (a copy each time: the recorded request stays as it was sent)."""
        return _copy(self._body)

    @property
    def headers(self) -> Mapping[str, str]:
        """The request headers, lower-cased names."""
        return self._headers

    @property
    def model(self) -> str:
        return self._body["model"]

    @property
    def stream(self) -> bool:
        return bool(self._body.get("stream", False))

    @property
    def max_tokens(self) -> int:
        return self._body["max_tokens"]

    @property
    def system_text(self) -> str:
        """The system prompt as one string (text blocks joined by newlines)."""
        system = self._body.get("system")
        if system is None:
            return ""
        if isinstance(system, str):
            return system
        return "\n".join(block["text"] for block in system)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return _copy(self._body["messages"])

    @property
    def tools(self) -> list[dict[str, Any]]:
        return _copy(self._body.get("tools", []))

    @property
    def tool_names(self) -> list[str]:
        return [tool["name"] for tool in self._body.get("tools", [])]

    @property
    def retry_count(self) -> int:
        """Which attempt this is, from the SDK's `x-stainless-retry-count` header (0 when absent)."""
        try:
            return int(self._headers.get("x-stainless-retry-count", "0"))
        except ValueError:
            return 0

    def first_user_text(self) -> str:
        """The text of the first user message (the task), whether sent as a string or as blocks."""
        messages = self._body["messages"]
        return "\n".join(content_texts(messages[0]["content"], include_tool_input=False)) if messages else ""

    def last_user_text(self) -> str:
        """All text of the last user message, including text inside its tool_result blocks."""
        for message in reversed(self._body["messages"]):
            if message["role"] == "user":
                return "\n".join(content_texts(message["content"], include_tool_input=False))
        return ""

    def all_text(self) -> str:
        """Every text in the system prompt and the messages (tool_use inputs as JSON)."""
        parts = [self.system_text] if self.system_text else []
        for message in self._body["messages"]:
            parts.extend(content_texts(message["content"], include_tool_input=True))
        return "\n".join(parts)

    def tool_results(self) -> list[dict[str, Any]]:
        """The tool_result blocks of the last user message: the answers to the model's last tool calls."""
        for message in reversed(self._body["messages"]):
            if message["role"] == "user":
                content = message["content"]
                blocks = content if isinstance(content, list) else []
                return [_copy(b) for b in blocks if b["type"] == "tool_result"]
        return []


def content_texts(content: str | list[dict[str, Any]], *, include_tool_input: bool) -> list[str]:
    """The texts of a message's content (a string or a list of blocks), in order."""
    if isinstance(content, str):
        return [content]
    texts: list[str] = []
    for block in content:
        kind = block["type"]
        if kind == "text":
            texts.append(block["text"])
        elif kind == "thinking":
            texts.append(block["thinking"])
        elif kind == "tool_use" and include_tool_input:
            texts.append(json.dumps(block["input"]))
        elif kind == "tool_result":
            inner = block.get("content")
            if isinstance(inner, str):
                texts.append(inner)
            elif isinstance(inner, list):
                texts.extend(part["text"] for part in inner if part["type"] == "text")
    return texts
