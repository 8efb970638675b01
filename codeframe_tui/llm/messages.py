"""The shape of what a conversation sends: blocks as the API takes them back, cache breakpoints, usage."""

from __future__ import annotations

from typing import Any

from codeframe_tui.domain import Usage
from codeframe_tui.domain.safe_text import whole_text

CACHE = {"type": "ephemeral"}


def cached_prefix(messages: list[dict], *, tail: bool = False) -> list[dict]:
    """The messages with a cache breakpoint on the first user turn's last block, and with `tail` on
    the last user turn's too: in a tool loop each turn then reads everything before it from the
    cache (a tenth of the price) instead of paying for the whole history again. The caller's list is
    not changed (it is the conversation the worker keeps)."""
    if not messages or messages[0].get("role") != "user":
        return messages
    out = list(messages)
    for index in {0, len(out) - 1} if tail else {0}:
        if out[index].get("role") == "user":
            out[index] = _marked(out[index])
    return out


def _marked(message: dict) -> dict:
    content = message["content"]
    blocks: list[dict[str, Any]] = (
        [{"type": "text", "text": content}] if isinstance(content, str) else [dict(b) for b in content]
    )
    if not blocks or (blocks[-1].get("type") == "text" and not blocks[-1].get("text")):
        return message  # the API refuses cache_control on an empty text block
    blocks[-1] = {**blocks[-1], "cache_control": CACHE}
    return {**message, "content": blocks}


def clean_block(block: dict) -> dict:
    """Keep only the fields the API accepts back in a request; thinking blocks exactly as received."""
    if block.get("type") == "text":
        return {"type": "text", "text": block["text"]}
    if block.get("type") == "tool_use":
        return {"type": "tool_use", "id": block["id"], "name": block["name"], "input": block["input"]}
    if block.get("type") == "thinking":
        return {"type": "thinking", "thinking": block.get("thinking", ""), "signature": block.get("signature", "")}
    if block.get("type") == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.get("data", "")}
    return block


def whole(block: dict) -> dict:
    """A text or tool_use block with any lone surrogate (JSON's "\\ud800", decoded by the stream) made
    U+FFFD: such text is not UTF-8, so neither the store nor the next request could carry it. The turn
    is kept so from the start, and every later request sends it the same way. Thinking blocks are
    signed and never touched."""
    if block.get("type") not in ("text", "tool_use"):
        return block

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            return whole_text(value)
        if isinstance(value, dict):
            return {fix(k): fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return fix(block)


def usage_of(u: dict[str, int]) -> Usage:
    return Usage(
        input_tokens=u.get("input_tokens") or 0,
        output_tokens=u.get("output_tokens") or 0,
        cache_creation_input_tokens=u.get("cache_creation_input_tokens") or 0,
        cache_read_input_tokens=u.get("cache_read_input_tokens") or 0,
    )
