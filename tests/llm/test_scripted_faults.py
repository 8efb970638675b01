"""Faults the scripted model can play, and what the real SDK makes of each of them."""

from __future__ import annotations

import json
import time

import anthropic
import httpx2
import pytest

from codeframe_tui.llm.scripted import (
    DropReply,
    ErrorReply,
    MalformedToolReply,
    MidStreamErrorReply,
    ScriptedModel,
    StallReply,
    TextReply,
    ToolUseReply,
    TruncatedReply,
    sequence,
)

TOOL = {
    "name": "write_file",
    "input_schema": {"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}}},
}
ARGS = {"model": "claude-test", "max_tokens": 200, "tools": [TOOL], "messages": [{"role": "user", "content": "go"}]}


async def final_message(client: anthropic.AsyncAnthropic):
    async with client.messages.stream(**ARGS) as stream:
        async for _ in stream:
            pass
        return await stream.get_final_message()


async def test_429_then_success_through_sdk_retries(connect) -> None:
    script = sequence(ErrorReply(429, "rate_limit_error", "Slow down", retry_after=0.05), TextReply("made it"))
    model = ScriptedModel(script)
    client = await connect(model)  # the default two retries
    message = await client.messages.create(**ARGS)
    assert message.content[-1].text == "made it"
    assert [r.retry_count for r in model.requests] == [0, 1]


async def test_retries_are_bounded_by_max_retries(connect) -> None:
    model = ScriptedModel(lambda r: ErrorReply(429, "rate_limit_error", "Slow down", retry_after=0.01))
    client = await connect(model, max_retries=2)
    with pytest.raises(anthropic.RateLimitError) as caught:
        await client.messages.create(**ARGS)
    assert len(model.requests) == 3
    assert caught.value.response.headers["retry-after"] == "0.01"
    assert caught.value.body == {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"}}


async def test_529_without_retries_raises_overloaded(connect) -> None:
    model = ScriptedModel(lambda r: ErrorReply(529, "overloaded_error", "Overloaded"))
    client = await connect(model, max_retries=0)
    with pytest.raises(anthropic.OverloadedError) as caught:
        await client.messages.create(**ARGS)
    assert caught.value.status_code == 529
    assert isinstance(caught.value, anthropic.InternalServerError)
    assert len(model.requests) == 1


async def test_500_is_retried_then_raises_internal_server_error(connect) -> None:
    model = ScriptedModel(lambda r: ErrorReply(500, "api_error", "Internal error", retry_after=0.01))
    client = await connect(model, max_retries=1)
    with pytest.raises(anthropic.InternalServerError):
        await client.messages.create(**ARGS)
    assert len(model.requests) == 2


async def test_mid_stream_error_raises_api_status_error_without_retry(connect) -> None:
    model = ScriptedModel(lambda r: MidStreamErrorReply(TextReply("Half an answer, then")), chunk_size=4)
    client = await connect(model, max_retries=2)
    text = ""
    with pytest.raises(anthropic.APIStatusError) as caught:
        async with client.messages.stream(**ARGS) as stream:
            async for event in stream:
                if event.type == "text":
                    text += event.text
    # Part of the text arrived before the error broke the stream off.
    assert "Half an answer, then".startswith(text) and 0 < len(text) < 20
    # The stream's status was 200, so the SDK raises the base class, with the event's body.
    assert type(caught.value) is anthropic.APIStatusError
    assert caught.value.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    with pytest.raises(anthropic.APIStatusError):
        async for _ in await client.messages.create(**ARGS, stream=True):
            pass
    # Headers had arrived, so the SDK's retry loop was already over: one request per attempt.
    assert len(model.requests) == 2


async def test_mid_stream_error_without_streaming_is_an_error_status(connect) -> None:
    model = ScriptedModel(lambda r: MidStreamErrorReply(TextReply("x"), "api_error", "boom"))
    client = await connect(model, max_retries=0)
    with pytest.raises(anthropic.InternalServerError, match="boom"):
        await client.messages.create(**ARGS)


async def test_drop_mid_stream_raises_remote_protocol_error_without_retry(connect) -> None:
    model = ScriptedModel(lambda r: DropReply(after_bytes=120))
    client = await connect(model, max_retries=2)
    # Before 2.17 the SDK let the raw httpx2 error escape; since, it wraps it. It never retries it.
    with pytest.raises((httpx2.RemoteProtocolError, anthropic.APIConnectionError)) as caught:
        await final_message(client)
    error = caught.value
    assert isinstance(error, httpx2.RemoteProtocolError) or isinstance(error.__cause__, httpx2.RemoteProtocolError)
    assert len(model.requests) == 1


async def test_drop_without_streaming_is_a_retried_connection_error(connect) -> None:
    model = ScriptedModel(lambda r: DropReply(after_bytes=30))
    client = await connect(model, max_retries=1)
    with pytest.raises(anthropic.APIConnectionError) as caught:
        await client.messages.create(**ARGS)
    assert not isinstance(caught.value, anthropic.APITimeoutError)
    assert isinstance(caught.value.__cause__, httpx2.RemoteProtocolError)
    assert len(model.requests) == 2


async def test_stall_longer_than_the_timeout_raises_api_timeout_error(connect) -> None:
    model = ScriptedModel(lambda r: StallReply(5.0, TextReply("too late")))
    client = await connect(model, max_retries=0, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(anthropic.APITimeoutError):
        await client.messages.create(**ARGS)
    assert time.monotonic() - started < 2.0
    assert len(model.requests) == 1


async def test_short_stall_just_delays_the_answer(connect) -> None:
    model = ScriptedModel(lambda r: StallReply(0.1, ToolUseReply("write_file", {"path": "a.py"})))
    client = await connect(model, max_retries=0, timeout=2.0)
    started = time.monotonic()
    message = await final_message(client)
    assert time.monotonic() - started >= 0.1
    assert message.content[-1].input == {"path": "a.py"}


async def test_truncated_reply_reports_max_tokens(connect) -> None:
    model = ScriptedModel(lambda r: TruncatedReply("write_file", '{"path": "a.py", "content": "def ma'))
    client = await connect(model)
    streamed = await final_message(client)
    assert streamed.stop_reason == "max_tokens"
    # The SDK parses the partial JSON leniently: complete fields survive, the cut string is dropped.
    assert streamed.content[-1].input == {"path": "a.py"}
    plain = await client.messages.create(**ARGS)
    assert plain.stop_reason == "max_tokens"
    assert plain.content[-1].input == {}  # a non-streaming answer carries no usable partial input


async def test_malformed_tool_json(connect) -> None:
    raw = '{"path": "a.py", "content": }'
    model = ScriptedModel(lambda r: MalformedToolReply("write_file", raw), chunk_size=8)
    client = await connect(model)
    # The stream helper accumulates input_json_delta with jiter and raises a plain ValueError mid-stream.
    with pytest.raises(ValueError, match="Unable to parse tool parameter JSON"):
        await final_message(client)
    # Raw events do not parse anything: the caller gets the text and must check it.
    partial = ""
    async for event in await client.messages.create(**ARGS, stream=True):
        if event.type == "content_block_delta" and event.delta.type == "input_json_delta":
            partial += event.delta.partial_json
    assert partial == raw
    with pytest.raises(json.JSONDecodeError):
        json.loads(partial)
    # Without streaming, the block's `input` is the raw string instead of a dict.
    plain = await client.messages.create(**ARGS)
    assert plain.content[-1].input == raw
    assert plain.stop_reason == "tool_use"
