"""The content blocks of an answer, each both as a Message carries it and as an SSE stream sends it.

When the model thinks, every answer opens with a signed thinking block (or a redacted_thinking block),
streamed as the API streams one: content_block_start with empty `thinking` and `signature`, thinking_delta
events, one signature_delta, content_block_stop. A redacted block arrives whole in its content_block_start.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .replies import (
    ContentReply,
    ContextWindowReply,
    MalformedToolReply,
    PauseTurnReply,
    RefusalReply,
    TextReply,
    ToolUseReply,
    TruncatedReply,
)
from .thinking import redacted_block, signed_block

__all__ = ["Answer", "BlockMaker", "Block"]


@dataclass
class Block:
    final: dict[str, Any]  # the block as a non-streaming Message carries it
    start: dict[str, Any]  # the block as content_block_start announces it
    deltas: list[dict[str, Any]]


@dataclass
class Answer:
    blocks: list[Block]
    stop_reason: str
    stop_details: dict[str, Any] | None = None

    def output_text(self) -> str:
        """Everything the answer generated, for the output token estimate."""
        parts = []
        for block in (b.final for b in self.blocks):
            kind = block["type"]
            if kind == "text":
                parts.append(block["text"])
            elif kind == "thinking":
                parts.append(block["thinking"])
            elif kind == "redacted_thinking":
                parts.append(block["data"])
            else:
                parts.append(json.dumps(block["input"]))
        return "".join(parts)


class BlockMaker:
    """Builds answers; it numbers tool ids so runs are reproducible."""

    def __init__(self, chunk_size: int) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self._chunk_size = chunk_size
        self._ids = itertools.count(1)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}_scripted_{next(self._ids):06d}"

    def answer(self, reply: ContentReply, body: dict[str, Any] | None) -> Answer:
        """The answer for `reply`; with the request `body` given, it opens with signed thinking."""
        answer = self._content(reply)
        if body is not None:
            answer.blocks.insert(0, self._thinking(reply, body))
        return answer

    def _content(self, reply: ContentReply) -> Answer:
        said = getattr(reply, "text", "")  # a MalformedToolReply has none
        text = [self._text(said)] if said else []
        if isinstance(reply, TextReply):
            return Answer(text, "end_turn")
        if isinstance(reply, ToolUseReply):
            return Answer([*text, self._tool(reply.name, json.dumps(reply.input), reply.input)], "tool_use")
        if isinstance(reply, TruncatedReply):
            cut = self._tool(reply.name, reply.partial_json, _loads_or_empty(reply.partial_json))
            return Answer([*text, cut], "max_tokens")
        if isinstance(reply, MalformedToolReply):
            # A JSON body cannot hold invalid JSON, so a non-streaming answer carries the raw text as `input`.
            return Answer([self._tool(reply.name, reply.raw_json, reply.raw_json)], "tool_use")
        if isinstance(reply, PauseTurnReply):
            return Answer(text, "pause_turn")
        if isinstance(reply, RefusalReply):
            details = {"type": "refusal", "category": reply.category, "explanation": reply.explanation}
            return Answer(text, "refusal", details)
        if isinstance(reply, ContextWindowReply):
            return Answer(text, "model_context_window_exceeded")
        raise TypeError(f"not a content reply: {reply!r}")

    def _thinking(self, reply: ContentReply, body: dict[str, Any]) -> Block:
        text = reply.thinking if reply.thinking is not None else _default_thinking(reply)
        if reply.redacted:
            block = redacted_block(body, text)
            return Block(block, block, [])
        config = body.get("thinking") or {}
        if config.get("display") == "omitted":
            # The API still signs what the model thought; it only leaves the text out of the answer.
            text = ""
        block = signed_block(body, text)
        deltas = [{"type": "thinking_delta", "thinking": part} for part in _chunks(text, self._chunk_size)]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
        return Block(block, {"type": "thinking", "thinking": "", "signature": ""}, deltas)

    def _text(self, text: str) -> Block:
        deltas = [{"type": "text_delta", "text": part} for part in _chunks(text, self._chunk_size)]
        return Block({"type": "text", "text": text}, {"type": "text", "text": ""}, deltas)

    def _tool(self, name: str, wire_json: str, final_input: Any) -> Block:
        tool_id = self.next_id("toolu")
        start = {"type": "tool_use", "id": tool_id, "name": name, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in _chunks(wire_json, self._chunk_size)]
        return Block({**start, "input": final_input}, start, deltas)


def _default_thinking(reply: ContentReply) -> str:
    if isinstance(reply, (ToolUseReply, TruncatedReply, MalformedToolReply)):
        return f"The next step is a call to {reply.name}."
    if isinstance(reply, RefusalReply):
        return "This is not something I should help with."
    return "I have what I need to answer."


def _chunks(text: str, size: int) -> Iterable[str]:
    return (text[i : i + size] for i in range(0, len(text), size))


def _loads_or_empty(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
