"""The real AsyncAnthropic code path against the scripted model, through the transport and the server."""

from __future__ import annotations

import asyncio
import json
import time

import anthropic
import pytest

from codeframe_tui.llm.scripted import (
    ScriptedModel,
    ScriptedRequest,
    TextReply,
    ToolUseReply,
    sequence,
)

WRITE_FILE = {
    "name": "write_file",
    "description": "Write one file.",
    "input_schema": {
        "type": "object",
        "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
        "required": ["path", "content"],
    },
}
CHANGES = {"path": "src/app.py", "content": "def main():\n    return 'héllo ✓'\n" * 5}


async def test_non_streaming_tool_use(connect) -> None:
    model = ScriptedModel(lambda r: ToolUseReply("write_file", CHANGES, text="Writing the file."))
    client = await connect(model)
    message = await client.messages.create(
        model="claude-test", max_tokens=1000, tools=[WRITE_FILE], messages=[{"role": "user", "content": "go"}]
    )
    assert message.stop_reason == "tool_use"
    assert message.model == "claude-test"
    assert message.id.startswith("msg_")
    # The current models think first: the answer opens with a signed thinking block.
    thinking, text, tool = message.content
    assert thinking.type == "thinking" and thinking.thinking and thinking.signature
    assert text.type == "text" and text.text == "Writing the file."
    assert tool.type == "tool_use" and tool.name == "write_file" and tool.id.startswith("toolu_")
    assert tool.input == CHANGES
    assert message.usage.input_tokens >= 1 and message.usage.output_tokens >= 1
    assert message.usage.cache_read_input_tokens == 0
    assert len(model.requests) == 1 and model.rejected == []


async def test_streaming_tool_use_with_the_stream_helper(connect) -> None:
    model = ScriptedModel(lambda r: ToolUseReply("write_file", CHANGES, usage_in=123, usage_out=45), chunk_size=7)
    client = await connect(model)
    seen: list[str] = []
    async with client.messages.stream(
        model="claude-test", max_tokens=1000, tools=[WRITE_FILE], messages=[{"role": "user", "content": "go"}]
    ) as stream:
        async for event in stream:
            seen.append(event.type)
        final = await stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert [block.type for block in final.content] == ["thinking", "tool_use"]
    assert final.content[-1].input == CHANGES
    assert (final.usage.input_tokens, final.usage.output_tokens) == (123, 45)
    assert seen[0] == "message_start" and seen[-1] == "message_stop"
    # chunk_size 7 splits the tool input into many input_json_delta events.
    assert seen.count("input_json") > 5
    assert model.requests[0].stream is True


async def test_streaming_with_create_stream_true(connect) -> None:
    model = ScriptedModel(lambda r: ToolUseReply("write_file", CHANGES, text="On it."), chunk_size=3)
    client = await connect(model)
    stream = await client.messages.create(
        model="claude-test",
        max_tokens=1000,
        tools=[WRITE_FILE],
        messages=[{"role": "user", "content": "go"}],
        stream=True,
    )
    kinds, text, partial, stop_reason = [], "", "", None
    async for event in stream:
        kinds.append(event.type)
        if event.type == "content_block_delta" and event.delta.type == "text_delta":
            text += event.delta.text
        elif event.type == "content_block_delta" and event.delta.type == "input_json_delta":
            partial += event.delta.partial_json
        elif event.type == "message_delta":
            stop_reason = event.delta.stop_reason
    assert kinds[0] == "message_start"
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds.count("content_block_start") == kinds.count("content_block_stop") == 3  # thinking, text, tool
    assert "ping" not in kinds  # the SDK swallows the ping we send
    assert text == "On it."
    assert json.loads(partial) == CHANGES
    assert stop_reason == "tool_use"


async def test_text_reply(connect) -> None:
    model = ScriptedModel(lambda r: TextReply("All done."))
    client = await connect(model)
    message = await client.messages.create(
        model="claude-test", max_tokens=50, system="Be brief.", messages=[{"role": "user", "content": "hi"}]
    )
    assert message.stop_reason == "end_turn"
    assert [block.type for block in message.content] == ["thinking", "text"]
    assert message.content[-1].text == "All done."
    assert model.requests[0].system_text == "Be brief."


async def test_a_tool_conversation_round_trip_and_what_the_script_sees(connect) -> None:
    seen: list[ScriptedRequest] = []

    async def respond(request: ScriptedRequest):
        seen.append(request)
        await asyncio.sleep(0)  # an async responder is allowed
        if not request.tool_results():
            return ToolUseReply("write_file", CHANGES)
        return TextReply("Tests pass." if "wrote" in request.last_user_text() else "What happened?")

    client = await connect(ScriptedModel(respond))
    messages: list[dict] = [{"role": "user", "content": "Implement task 1.2"}]
    first = await client.messages.create(model="m", max_tokens=100, tools=[WRITE_FILE], messages=messages)
    # Echoing the SDK's own content blocks back must be a valid request, as with the real API.
    messages += [
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": first.content[-1].id,
                    "content": [{"type": "text", "text": "wrote src/app.py"}],
                },
                {"type": "text", "text": "Now run the tests."},
            ],
        },
    ]
    second = await client.messages.create(model="m", max_tokens=100, tools=[WRITE_FILE], messages=messages)
    assert second.content[-1].text == "Tests pass."
    last = seen[-1]
    assert last.last_user_text() == "wrote src/app.py\nNow run the tests."
    assert [r["tool_use_id"] for r in last.tool_results()] == [first.content[-1].id]
    assert "Implement task 1.2" in last.all_text() and "src/app.py" in last.all_text()
    assert last.tool_names == ["write_file"] and last.retry_count == 0


async def test_sequence_runs_out_loudly(connect) -> None:
    model = ScriptedModel(sequence(TextReply("one")))
    client = await connect(model, max_retries=3)
    await client.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "a"}])
    with pytest.raises(anthropic.InternalServerError, match="no reply left"):
        await client.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "b"}])
    # x-should-retry: false keeps the SDK from replaying a broken script.
    assert len(model.requests) == 2
    assert isinstance(model.responder_errors[0], LookupError)


async def test_latency_overlaps_across_concurrent_agents(connect) -> None:
    model = ScriptedModel(lambda r: TextReply("ok"), latency=0.2)
    client = await connect(model)
    started = time.monotonic()
    await asyncio.gather(
        *(
            client.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": str(i)}])
            for i in range(5)
        )
    )
    # Five answers with 0.2 s latency each take about 0.2 s together, not 1 s: nothing blocks the loop.
    assert time.monotonic() - started < 0.8
    assert len(model.requests) == 5
