"""Turning a scripted Reply into the exact bytes the Messages API sends: a Message JSON or an SSE stream."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from .blocks import Answer, BlockMaker
from .cache import CHARS_PER_TOKEN, PromptCache
from .errors import STATUS_FOR_ERROR_TYPE, error_body
from .replies import ContentReply, DropReply, ErrorReply, MidStreamErrorReply, Reply, StallReply, TextReply
from .request import ScriptedRequest

__all__ = ["ConnectionDropped", "Renderer", "ScriptedResponse", "error_response"]

# Enough text that a DropReply always has a body to cut in the middle of.
DROP_FILLER = "This answer is cut short by a dropped connection. " * 40


class ConnectionDropped(Exception):
    """Raised by a response stream where the connection goes away; each front end maps it to its own failure."""


@dataclass
class ScriptedResponse:
    """Status, headers, and either the whole body or an async iterator of body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes | None = None
    stream: AsyncIterator[bytes] | None = field(default=None, repr=False)

    @property
    def is_stream(self) -> bool:
        return self.stream is not None


def error_response(status: int, error_type: str, message: str, **headers: str) -> ScriptedResponse:
    body = error_body(error_type, message)
    base = {"content-type": "application/json", "content-length": str(len(body))}
    return ScriptedResponse(status, {**base, **{k.replace("_", "-"): v for k, v in headers.items()}}, body)


class Renderer:
    """Renders replies for one ScriptedModel; it numbers message and tool ids so runs are reproducible."""

    def __init__(self, chunk_size: int, cache: PromptCache | None = None) -> None:
        self._maker = BlockMaker(chunk_size)
        self._cache = cache

    def render(
        self, reply: Reply, request: ScriptedRequest, thinking_over: dict[str, Any] | None = None
    ) -> ScriptedResponse:
        """The response for `reply`; StallReply must already be unwrapped by the caller.

        With `thinking_over` (the request body, as sent), every answer opens with thinking signed over it.
        """
        if isinstance(reply, StallReply):
            raise TypeError("a StallReply is waited out by the caller, which renders its `then`")
        if isinstance(reply, ErrorReply):
            extra = {} if reply.retry_after is None else {"retry_after": _seconds(reply.retry_after)}
            return error_response(reply.status, reply.error_type, reply.message, **extra)
        if isinstance(reply, DropReply):
            response = self.render(TextReply(DROP_FILLER), request, thinking_over)
            return _cut(response, reply.after_bytes)
        if isinstance(reply, MidStreamErrorReply):
            if not request.stream:
                # Without a stream there is no "middle": the API answers with the error status instead.
                status = STATUS_FOR_ERROR_TYPE.get(reply.error_type, 500)
                return error_response(status, reply.error_type, reply.message)
            answer = self._maker.answer(reply.after, thinking_over)
            return self._stream(reply.after, answer, request, error=(reply.error_type, reply.message))
        answer = self._maker.answer(reply, thinking_over)
        if request.stream:
            return self._stream(reply, answer, request, error=None)
        return self._message(reply, answer, request)

    def _message(self, reply: ContentReply, answer: Answer, request: ScriptedRequest) -> ScriptedResponse:
        message = self._envelope(request, [b.final for b in answer.blocks], answer.stop_reason)
        message["stop_details"] = answer.stop_details
        message["usage"] = self._usage(reply, request, answer)
        body = json.dumps(message).encode()
        headers = {"content-type": "application/json", "content-length": str(len(body)), "request-id": message["id"]}
        return ScriptedResponse(200, headers, body)

    def _stream(
        self, reply: ContentReply, answer: Answer, request: ScriptedRequest, error: tuple[str, str] | None
    ) -> ScriptedResponse:
        usage = self._usage(reply, request, answer)
        start = self._envelope(request, [], None)
        # Like the API: message_start carries the input and cache tokens, message_delta the output total.
        start["usage"] = {**usage, "output_tokens": 1}
        events: list[tuple[str, dict[str, Any]]] = [("message_start", {"message": start}), ("ping", {})]
        for index, block in enumerate(answer.blocks):
            events.append(("content_block_start", {"index": index, "content_block": block.start}))
            events.extend(("content_block_delta", {"index": index, "delta": d}) for d in block.deltas)
            events.append(("content_block_stop", {"index": index}))
        if error is not None:
            # Break off in the middle of the answer's last block (its text or tool call, after any thinking),
            # as an overloaded API does, so readers see partial output.
            deltas = [i for i, (name, _) in enumerate(events) if name == "content_block_delta"]
            deltas = [i for i in deltas if events[i][1]["index"] == events[deltas[-1]][1]["index"]] if deltas else []
            keep = deltas[len(deltas) // 2] + 1 if deltas else 2
            events = events[:keep] + [("error", {"error": {"type": error[0], "message": error[1]}})]
        else:
            delta = {"stop_reason": answer.stop_reason, "stop_sequence": None, "stop_details": answer.stop_details}
            events.append(("message_delta", {"delta": delta, "usage": {"output_tokens": usage["output_tokens"]}}))
            events.append(("message_stop", {}))
        headers = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
        headers["request-id"] = start["id"]
        return ScriptedResponse(200, headers, stream=_sse(events))

    def _usage(self, reply: ContentReply, request: ScriptedRequest, answer: Answer) -> dict[str, int]:
        # Only answers that get under way reach here, so an error reply never warms the cache, as with the API.
        cached = self._cache.account(request) if self._cache is not None else None
        usage_in = getattr(reply, "usage_in", None)
        usage_out = getattr(reply, "usage_out", None)
        output = answer.output_text()
        # About four characters per token: close enough for budgets and the usage pane.
        usage = {
            "input_tokens": max(1, len(request.all_text()) // CHARS_PER_TOKEN),
            "output_tokens": usage_out if usage_out is not None else max(1, len(output) // CHARS_PER_TOKEN),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        if usage_in is not None:
            # A pinned figure is reported as scripted, cache counts 0 as ever; the cache still saw the prompt.
            usage["input_tokens"] = usage_in
        elif cached is not None:
            usage.update(dataclasses.asdict(cached))
        return usage

    def _envelope(self, request: ScriptedRequest, content: list[Any], stop: str | None) -> dict[str, Any]:
        return {
            "id": self._maker.next_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": request.model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
        }


def _seconds(value: float) -> str:
    # "2" rather than "2.0" for whole seconds, as the API sends; fractions stay (the SDK accepts floats).
    return str(int(value)) if float(value).is_integer() else repr(float(value))


async def _sse(events: list[tuple[str, dict[str, Any]]]) -> AsyncIterator[bytes]:
    for name, data in events:
        yield f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()
        # Give other agents' streams a turn on the shared loop between events.
        await asyncio.sleep(0)


def _cut(response: ScriptedResponse, after_bytes: int) -> ScriptedResponse:
    if response.stream is not None:
        source = response.stream
    else:
        body = response.body or b""
        # A Content-Length body sent in full is a complete answer, so cut at least its last byte.
        after_bytes = min(after_bytes, len(body) - 1)
        source = _once(body)
    return ScriptedResponse(response.status, response.headers, stream=_dropping(source, after_bytes))


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body


async def _dropping(source: AsyncIterator[bytes], after_bytes: int) -> AsyncIterator[bytes]:
    sent = 0
    try:
        async for chunk in source:
            room = max(after_bytes - sent, 0)
            if len(chunk) >= room:
                # Never deliver the whole body: a drop must leave the reader with an incomplete message.
                if room:
                    yield chunk[:room]
                raise ConnectionDropped(f"connection dropped after {after_bytes} bytes")
            sent += len(chunk)
            yield chunk
        raise ConnectionDropped(f"connection dropped after {sent} bytes")
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
