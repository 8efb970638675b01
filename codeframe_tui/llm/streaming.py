"""Reading a streamed Messages answer in linear time, with a cap on its size.

The SDK's `messages.stream()` helper re-parses the whole partial tool JSON on every delta, so an
answer of n bytes costs O(n²): a 2 MB tool input took minutes. Here the raw events of
`messages.create(stream=True)` are gathered as string pieces and each block is joined and parsed
once, at its `content_block_stop`. An answer larger than the cap is abandoned as it arrives, so a
runaway (or hostile) endpoint can cost neither minutes nor memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CHARS_PER_TOKEN = 4  # for the output estimate of an answer abandoned before its usage arrived
_USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def answer_cap(max_tokens: int) -> int:
    """Bytes of answer worth reading: a token is rarely over 16 bytes, and 1 MiB at the least."""
    return max(1 << 20, 16 * max_tokens)


class StreamProblem(Exception):
    """The stream cannot give a usable message; `kind` says why (too_long, malformed, incomplete)."""

    def __init__(self, kind: str, message: str, usage: dict[str, int]) -> None:
        super().__init__(message)
        self.kind = kind
        self.usage = usage


@dataclass
class StreamedMessage:
    """The final message as plain JSON-shaped data: content blocks are dicts, as the API sends them."""

    content: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    model: str = ""
    usage: dict[str, int] = field(default_factory=dict)
    complete: bool = False  # message_stop was seen


class MessageAccumulator:
    """Feeds on raw stream events; `on_text` sees each text or tool-JSON delta as it comes."""

    def __init__(self, cap: int, on_text: Callable[[str], None] | None = None) -> None:
        self.cap = cap
        self.on_text = on_text
        self.message = StreamedMessage()
        self.received = 0  # bytes of deltas so far
        self._pieces: dict[int, list[str]] = {}
        self._malformed = ""  # why a tool input did not parse; moot if the answer was cut at max_tokens

    def add(self, event: Any) -> None:
        kind = event.type
        if kind == "content_block_delta":
            self._delta(event.index, event.delta)
        elif kind == "message_start":
            start = event.message
            self.message.model = start.model
            self.message.usage = _usage_of(start.usage, {})
        elif kind == "content_block_start":
            block = event.content_block.to_dict(mode="json", exclude_none=True)
            self._place(event.index, block)
            self._pieces[event.index] = []
        elif kind == "content_block_stop":
            self._close(event.index)
        elif kind == "message_delta":
            self.message.stop_reason = event.delta.stop_reason
            # Counts on message_delta are totals that overwrite; those left out keep message_start's.
            self.message.usage = _usage_of(event.usage, self.message.usage)
        elif kind == "message_stop":
            self.message.complete = True

    def final(self) -> StreamedMessage:
        if not self.message.complete:
            # A stream closed cleanly but early (a proxy gave up): a broken answer, worth retrying.
            raise StreamProblem("incomplete", "the model's stream ended before the answer was complete",
                                self.usage())
        if self._malformed and self.message.stop_reason != "max_tokens":
            raise StreamProblem("malformed", f"model sent malformed tool input: {self._malformed}", self.usage())
        return self.message

    def usage(self) -> dict[str, int]:
        """What is known of the usage; for an abandoned answer, its output estimated from its size."""
        usage = dict(self.message.usage)
        usage["output_tokens"] = max(usage.get("output_tokens", 0), self.received // CHARS_PER_TOKEN)
        return usage

    def _place(self, index: int, block: dict[str, Any]) -> None:
        content = self.message.content
        while len(content) <= index:
            content.append({})
        content[index] = block

    def _delta(self, index: int, delta: Any) -> None:
        kind = delta.type
        if kind == "text_delta":
            piece = delta.text
        elif kind == "input_json_delta":
            piece = delta.partial_json
        elif kind == "thinking_delta":
            piece = delta.thinking
        elif kind == "signature_delta":
            self._block(index)["signature"] = delta.signature
            return
        elif kind == "citations_delta":
            self._block(index).setdefault("citations", []).append(delta.citation.to_dict(mode="json"))
            return
        else:
            return  # a delta this version does not know: the final block keeps what is known
        self.received += len(piece)
        if self.received > self.cap:
            raise StreamProblem(
                "too_long", f"model answer passed {self.cap / (1 << 20):.1f} MB and was abandoned", self.usage())
        self._pieces.setdefault(index, []).append(piece)
        if self.on_text is not None and kind != "thinking_delta":
            self.on_text(piece)

    def _block(self, index: int) -> dict[str, Any]:
        if index >= len(self.message.content):
            raise StreamProblem("malformed", f"model stream sent a delta for unknown block {index}", self.usage())
        return self.message.content[index]

    def _close(self, index: int) -> None:
        block = self._block(index)
        joined = "".join(self._pieces.pop(index, ()))
        kind = block.get("type")
        if kind == "text":
            block["text"] = block.get("text", "") + joined
        elif kind == "thinking":
            block["thinking"] = block.get("thinking", "") + joined
        elif "input" in block and joined:
            try:
                block["input"] = json.loads(joined)
            except (ValueError, RecursionError) as exc:
                # Judged at the end: JSON cut by max_tokens is a truncation, not a malformed answer.
                block["input"] = None
                self._malformed = self._malformed or _why(exc)


def _usage_of(usage: Any, before: dict[str, int]) -> dict[str, int]:
    out = dict(before)
    for key in _USAGE_KEYS:
        value = getattr(usage, key, None)
        if value is not None:
            out[key] = int(value)
    return out


def _why(exc: Exception) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
