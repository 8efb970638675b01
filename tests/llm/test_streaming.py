"""The stream reader through the real SDK: linear time, a cap on size, and every broken stream named."""

from __future__ import annotations

import time

import pytest

from codeframe_tui.config import load_settings
from codeframe_tui.llm.client import ModelClient, ModelReplyError, Turn
from codeframe_tui.llm.scripted import (
    DropReply,
    MalformedToolReply,
    PauseTurnReply,
    ScriptedModel,
    TextReply,
    TruncatedReply,
)
from codeframe_tui.llm.scripted.agent import create
from codeframe_tui.llm.streaming import CHARS_PER_TOKEN, MessageAccumulator, answer_cap
from codeframe_tui.llm.tools import EDITOR, FINISH, FINISH_TOOL, worker_tools

SYSTEM = "You write code."
ASK = [{"role": "user", "content": "Task 1: write it"}]
CUT = '{"command": "create", "path": "pkg/big.py", "file_te'  # the editor's input, cut mid-key


def big_file(content: str):
    """The editor tool creating pkg/big.py with `content`: a worker's largest kind of answer."""
    return create("pkg/big.py", content)


async def client_for(connect, tmp_path, reply, *, max_tokens: int = 16_000) -> ModelClient:
    model = ScriptedModel(lambda r: reply, chunk_size=4096)
    settings = load_settings(tmp_path, offline=True, max_tokens=max_tokens)
    client = ModelClient(settings, await connect(model))
    client.retry_base = 0.01
    return client


async def ask(connect, tmp_path, reply, *, max_tokens: int = 16_000, on_text=None) -> Turn:
    """One turn of a worker's tool loop, with the worker's own tools."""
    client = await client_for(connect, tmp_path, reply, max_tokens=max_tokens)
    model = client.settings.model_for("backend")
    return await client.turn(system=SYSTEM, messages=ASK, tools=worker_tools(model), model=model, on_text=on_text)


async def test_a_large_tool_input_is_read_in_linear_time_and_streamed_to_the_pane(connect, tmp_path):
    # 840 KB on the wire: the SDK's stream helper re-parsed the partial JSON on every delta (minutes).
    content = "x = 1\n" * 120_000
    seen: list[int] = []
    started = time.monotonic()
    turn = await ask(connect, tmp_path, big_file(content), on_text=lambda piece: seen.append(len(piece)))
    elapsed = time.monotonic() - started
    assert turn.stop_reason == "tool_use" and [u["name"] for u in turn.tool_uses] == [EDITOR]
    assert turn.tool_uses[0]["input"] == {"command": "create", "path": "pkg/big.py", "file_text": content}
    assert sum(seen) > len(content) and len(seen) > 100  # every delta reached the activity pane
    assert elapsed < 10, f"{elapsed:.1f}s for an 840 KB answer"


async def test_a_10_mb_answer_is_abandoned_at_the_cap_and_named(connect, tmp_path):
    content = "y" * (10 << 20)
    received: list[int] = []
    started = time.monotonic()
    with pytest.raises(ModelReplyError) as caught:
        await ask(connect, tmp_path, big_file(content), on_text=lambda piece: received.append(len(piece)))
    assert caught.value.kind == "too_long" and not caught.value.retryable
    assert "model answer passed 1.0 MB and was abandoned" in str(caught.value)
    assert sum(received) <= answer_cap(16_000)  # reading stopped at the cap, not at 10 MB
    # What was read was paid for: the output is estimated from its size.
    assert caught.value.usage.output_tokens >= (1 << 20) // CHARS_PER_TOKEN - 4096
    assert time.monotonic() - started < 30


async def test_a_long_plain_text_answer_is_capped_too(connect, tmp_path):
    with pytest.raises(ModelReplyError) as caught:
        await ask(connect, tmp_path, TextReply("words " * (2 << 20)))
    assert caught.value.kind == "too_long"


def test_the_cap_grows_with_max_tokens_and_never_falls_below_1_mib():
    assert answer_cap(1_000) == 1 << 20
    assert answer_cap(200_000) == 16 * 200_000


async def test_json_cut_at_max_tokens_is_a_truncation_not_malformed(connect, tmp_path):
    # A worker's turn comes back as it ended, for the loop to handle (it never runs a cut call).
    turn = await ask(connect, tmp_path, TruncatedReply(EDITOR, CUT, text="Writing it."))
    assert turn.stop_reason == "max_tokens" and turn.text == "Writing it."
    assert [u["name"] for u in turn.tool_uses] == [EDITOR] and not isinstance(turn.tool_uses[0]["input"], dict)
    # The lead's structured call cannot use a cut answer: it says so, with the limit.
    client = await client_for(connect, tmp_path, TruncatedReply(FINISH, '{"summary": "x'))
    with pytest.raises(ModelReplyError) as caught:
        await client.call_tool(system=SYSTEM, messages=ASK, tool=FINISH_TOOL)
    assert caught.value.kind == "truncated" and "max_tokens=16000" in str(caught.value)


async def test_malformed_tool_json_is_named_with_the_parser_s_reason(connect, tmp_path):
    with pytest.raises(ModelReplyError) as caught:
        await ask(connect, tmp_path, MalformedToolReply(FINISH, '{"summary": x}'))
    assert caught.value.kind == "malformed" and "Expecting value" in str(caught.value)


async def test_deeply_nested_tool_json_is_malformed_not_a_crash(connect, tmp_path):
    with pytest.raises(ModelReplyError) as caught:
        await ask(connect, tmp_path, MalformedToolReply(EDITOR, "[" * 100_000 + "]" * 100_000))
    assert caught.value.kind == "malformed" and "nested too deeply" in str(caught.value)


async def test_a_stream_dropped_midway_is_a_retryable_connection_fault(connect, tmp_path):
    with pytest.raises(ModelReplyError) as caught:
        await ask(connect, tmp_path, DropReply(after_bytes=400))
    assert caught.value.retryable and caught.value.kind == "connection"
    assert "connection to the model dropped: RemoteProtocolError" in str(caught.value)


class _Event:
    """A minimal stand-in for an SDK event, for the accumulator's own edge cases."""

    def __init__(self, type: str, **fields) -> None:
        self.type = type
        self.__dict__.update(fields)


def test_a_stream_that_ends_before_message_stop_is_incomplete():
    reader = MessageAccumulator(1 << 20)
    usage = _Event("usage", input_tokens=10, output_tokens=1)
    reader.add(_Event("message_start", message=_Event("message", model="m", usage=usage)))
    with pytest.raises(Exception) as caught:
        reader.final()
    assert getattr(caught.value, "kind", None) == "incomplete"
    assert caught.value.usage["input_tokens"] == 10


def test_a_delta_for_a_block_never_started_is_malformed():
    reader = MessageAccumulator(1 << 20)
    with pytest.raises(Exception) as caught:
        reader.add(_Event("content_block_delta", index=3, delta=_Event("signature_delta", signature="s")))
    assert getattr(caught.value, "kind", None) == "malformed"


async def test_a_structured_call_the_model_keeps_pausing_ends_in_a_model_error(connect, tmp_path):
    # Every answer is a pause_turn: after the last resumption the call has no tool_use to return. It
    # once fell out of its loop and failed on `None.get` (an AttributeError, not the reply error the
    # lead handles); the type check found it.
    client = await client_for(connect, tmp_path, PauseTurnReply("Searching first."))
    with pytest.raises(ModelReplyError) as caught:
        await client.call_tool(system=SYSTEM, messages=ASK, tool=FINISH_TOOL)
    assert caught.value.kind == "no_tool" and "paused" in str(caught.value)
