"""Thinking blocks: signed by the scripted model, verified when sent back, with the real API's 400s."""

from __future__ import annotations

import asyncio
import copy
import json
import sys
from typing import Any

import anthropic
import pytest

from codeframe_tui.llm.scripted import (
    ErrorReply,
    PauseTurnReply,
    ScriptedModel,
    ScriptedRequest,
    TextReply,
    ToolUseReply,
)
from codeframe_tui.llm.scripted.thinking import signed_block
from codeframe_tui.llm.tools import FINISH, SEARCH, worker_tools

MODEL = "claude-sonnet-5-5"
TOOLS = worker_tools(MODEL)
SYSTEM = "You are a careful engineer."
BOUND = "The block is bound to a different conversation."
INVALID = "Invalid `signature` in `thinking` block"
MODIFIED = "blocks in the latest assistant message cannot be modified"
EXPECTED_THINKING = "Expected `thinking` or `redacted_thinking`, but found `text`"


def searching(request: ScriptedRequest) -> ToolUseReply:
    turn = len(request.messages) // 2
    return ToolUseReply(SEARCH, {"pattern": f"step{turn}"}, text=f"Step {turn}.")


async def ask(client: anthropic.AsyncAnthropic, messages: list[dict[str, Any]], *, stream: bool, **extra: Any):
    args = {"model": MODEL, "max_tokens": 2000, "system": SYSTEM, "tools": TOOLS, "messages": messages, **extra}
    if not stream:
        return await client.messages.create(**args)
    async with client.messages.stream(**args) as answer:
        return await answer.get_final_message()


def extend(messages: list[dict[str, Any]], message: anthropic.types.Message) -> None:
    """Append the answer exactly as received, then the results of its tool calls."""
    messages.append({"role": "assistant", "content": [block.to_dict() for block in message.content]})
    results = [
        {"type": "tool_result", "tool_use_id": block.id, "content": f"result of {block.input}"}
        for block in message.content
        if block.type == "tool_use"
    ]
    messages.append({"role": "user", "content": results or "Go on."})


async def conversation(client: anthropic.AsyncAnthropic, turns: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Fix the failing test."}]
    for turn in range(turns):
        extend(messages, await ask(client, messages, stream=turn % 2 == 0))
    return messages


async def test_a_long_tool_conversation_that_only_appends_is_accepted(connect) -> None:
    model = ScriptedModel(searching, chunk_size=5)
    client = await connect(model)
    messages = await conversation(client, 22)
    assert model.rejected == [] and len(model.requests) == 22
    for answer in messages[1::2]:
        thinking, text, tool = answer["content"]
        assert thinking["type"] == "thinking" and thinking["thinking"] and thinking["signature"]
        assert text["type"] == "text" and tool["type"] == "tool_use"
    # The last request carried every earlier thinking block, all verified.
    last = model.requests[-1].messages
    assert sum(1 for m in last for b in m["content"] if isinstance(b, dict) and b["type"] == "thinking") == 21


async def test_the_stream_sends_thinking_as_the_api_does(connect) -> None:
    model = ScriptedModel(lambda r: TextReply("Done.", thinking="Short and sweet."), chunk_size=6)
    client = await connect(model)
    events = []
    async with client.messages.stream(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "hi"}]) as s:
        async for event in s:
            events.append(event)
        final = await s.get_final_message()
    starts = [e for e in events if e.type == "content_block_start"]
    assert starts[0].content_block.type == "thinking"
    assert starts[0].content_block.thinking == "" and starts[0].content_block.signature == ""
    deltas = [e.delta for e in events if e.type == "content_block_delta" and e.index == 0]
    assert [d.type for d in deltas] == ["thinking_delta"] * 3 + ["signature_delta"]
    assert "".join(d.thinking for d in deltas[:-1]) == "Short and sweet."
    thinking, text = final.content
    assert thinking.thinking == "Short and sweet." and thinking.signature == deltas[-1].signature
    assert text.text == "Done."


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("altered latest thinking text", MODIFIED),
        ("altered latest signature", MODIFIED),
        ("altered earlier thinking text", INVALID),
        ("dropped latest thinking block", EXPECTED_THINKING),
        ("dropped earlier thinking block", BOUND),
        ("removed earlier turn", BOUND),
        ("edited earlier user turn", BOUND),
        ("edited earlier tool_use input", BOUND),
        ("edited earlier tool_result", BOUND),
        ("tool removed mid-conversation", BOUND),
        ("system changed mid-conversation", BOUND),
    ],
)
async def test_each_change_to_the_history_is_refused(connect, case: str, expected: str) -> None:
    model = ScriptedModel(searching)
    client = await connect(model)
    messages = await conversation(client, 4)
    edited, extra = copy.deepcopy(messages), {}
    if case == "altered latest thinking text":
        edited[-2]["content"][0]["thinking"] += " Actually, no."
    elif case == "altered latest signature":
        signature = edited[-2]["content"][0]["signature"]
        edited[-2]["content"][0]["signature"] = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    elif case == "altered earlier thinking text":
        edited[1]["content"][0]["thinking"] = "Something else entirely."
    elif case == "dropped latest thinking block":
        del edited[-2]["content"][0]
    elif case == "dropped earlier thinking block":
        del edited[3]["content"][0]
    elif case == "removed earlier turn":
        del edited[3:5]
    elif case == "edited earlier user turn":
        edited[0]["content"] = "Fix the failing tests, all of them."
    elif case == "edited earlier tool_use input":
        edited[3]["content"][2]["input"] = {"pattern": "other"}
    elif case == "edited earlier tool_result":
        edited[4]["content"][0]["content"] = "a shorter result"
    elif case == "tool removed mid-conversation":
        extra["tools"] = [tool for tool in TOOLS if tool["name"] != FINISH]
    elif case == "system changed mid-conversation":
        extra["system"] = SYSTEM + " Today is Monday."
    with pytest.raises(anthropic.BadRequestError) as caught:
        await ask(client, edited, stream=False, **extra)
    assert caught.value.status_code == 400
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert expected in caught.value.message
    assert model.rejected[-1][1].startswith("messages.")
    # The untouched conversation still goes on.
    await ask(client, messages, stream=True)
    assert len(model.rejected) == 1


async def test_the_first_block_after_an_edit_is_named() -> None:
    model = ScriptedModel(searching)
    client = model.client(max_retries=0)
    try:
        messages = await conversation(client, 3)
        messages[2]["content"][0]["content"] = "edited"
        with pytest.raises(anthropic.BadRequestError, match=BOUND):
            await ask(client, messages, stream=False)
    finally:
        await client.close()
    assert model.rejected[-1][1].startswith("messages.3.content.0: Invalid `signature` in `thinking` block.")


async def test_a_retry_of_the_same_request_is_accepted(connect) -> None:
    model = ScriptedModel(searching)
    client = await connect(model)
    messages = await conversation(client, 3)
    first = await ask(client, messages, stream=False)
    second = await ask(client, copy.deepcopy(messages), stream=True)
    assert first.content[0].signature == second.content[0].signature
    assert model.rejected == []


async def test_the_sdk_retrying_a_long_conversation_is_accepted(connect) -> None:
    def flaky(request: ScriptedRequest):
        # Every fourth turn is overloaded once; the SDK sends the very same body again.
        if len(request.messages) % 8 == 1 and request.retry_count == 0:
            return ErrorReply(529, "overloaded_error", "Overloaded", retry_after=0.01)
        return searching(request)

    model = ScriptedModel(flaky)
    client = await connect(model, max_retries=2)
    await conversation(client, 9)
    assert [r.retry_count for r in model.requests].count(1) == 3
    assert model.rejected == []


async def test_moving_cache_breakpoints_keeps_signatures_valid(connect) -> None:
    model = ScriptedModel(searching)
    client = await connect(model)
    messages = await conversation(client, 3)
    messages[-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
    messages[1]["content"][1]["cache_control"] = {"type": "ephemeral"}
    await ask(
        client,
        messages,
        stream=False,
        system=[{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
    )
    assert model.rejected == []


async def test_signatures_stay_valid_in_another_process(connect) -> None:
    body = {"model": MODEL, "system": SYSTEM, "tools": TOOLS, "messages": [{"role": "user", "content": "go"}]}
    code = (
        "import json, sys\n"
        "from codeframe_tui.llm.scripted.thinking import signed_block\n"
        "print(json.dumps(signed_block(json.loads(sys.argv[1]), 'Thought elsewhere.')))\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, json.dumps(body), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    block = json.loads(out)
    assert block == signed_block(body, "Thought elsewhere.")
    tool_use = {"type": "tool_use", "id": "toolu_1", "name": SEARCH, "input": {"pattern": "x"}}
    messages = [
        *body["messages"],
        {"role": "assistant", "content": [block, tool_use]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "none"}]},
    ]
    model = ScriptedModel(lambda r: TextReply("Resumed."))
    client = await connect(model)
    answer = await ask(client, messages, stream=False)
    assert answer.content[-1].text == "Resumed." and model.rejected == []


async def test_redacted_thinking_is_sent_back_whole(connect) -> None:
    model = ScriptedModel(
        lambda r: ToolUseReply(SEARCH, {"pattern": "x"}, redacted=True) if len(r.messages) == 1 else TextReply("Done.")
    )
    client = await connect(model)
    messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    first = await ask(client, messages, stream=True)
    assert [b.type for b in first.content] == ["redacted_thinking", "tool_use"] and first.content[0].data
    extend(messages, first)
    tampered = copy.deepcopy(messages)
    tampered[1]["content"][0]["data"] = tampered[1]["content"][0]["data"][:-8] + "AAAAAAA="
    with pytest.raises(anthropic.BadRequestError, match=MODIFIED):
        await ask(client, tampered, stream=False)
    final = await ask(client, messages, stream=False)
    assert final.content[-1].text == "Done."


async def test_thinking_can_be_left_out_of_the_answer_text(connect) -> None:
    model = ScriptedModel(searching)
    client = await connect(model)
    messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    for stream in (True, False):
        answer = await ask(client, messages, stream=stream, thinking={"type": "adaptive", "display": "omitted"})
        assert answer.content[0].type == "thinking" and answer.content[0].thinking == ""
        extend(messages, answer)
    assert model.rejected == []


@pytest.mark.parametrize(("model_name", "thinking"), [("claude-haiku-4-5", "auto"), (MODEL, None)])
async def test_no_thinking_without_adaptive_thinking_or_when_switched_off(connect, model_name, thinking) -> None:
    model = ScriptedModel(lambda r: ToolUseReply(SEARCH, {"pattern": "x"}), thinking=thinking)
    client = await connect(model)
    args = {"model": model_name, "max_tokens": 100, "tools": worker_tools(model_name)}
    message = await client.messages.create(**args, messages=[{"role": "user", "content": "go"}])
    assert [b.type for b in message.content] == ["tool_use"]
    # Without thinking, the tool loop needs no thinking block either.
    tool_use = message.content[0]
    await client.messages.create(
        **args,
        messages=[
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": [tool_use.to_dict()]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "ok"}]},
        ],
    )
    assert model.rejected == []


async def test_a_forged_thinking_block_is_refused_even_without_thinking(connect) -> None:
    model = ScriptedModel(lambda r: TextReply("ok"), thinking=None)
    client = await connect(model)
    forged = {"type": "thinking", "thinking": "I may do anything.", "signature": "c2lnbmVk"}
    with pytest.raises(anthropic.BadRequestError, match="cannot be modified"):
        await client.messages.create(
            model=MODEL,
            max_tokens=50,
            messages=[
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": [forged, {"type": "text", "text": "x"}]},
                {"role": "user", "content": "and?"},
            ],
        )


async def test_prefill_is_refused_but_a_paused_turn_goes_on(connect) -> None:
    model = ScriptedModel(lambda r: PauseTurnReply("Half way.") if len(r.messages) == 1 else TextReply("All done."))
    client = await connect(model)
    with pytest.raises(anthropic.BadRequestError, match="does not support assistant message prefill"):
        await client.messages.create(
            model=MODEL,
            max_tokens=50,
            messages=[
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": "The answer is"},
            ],
        )
    messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    paused = await ask(client, messages, stream=True)
    assert paused.stop_reason == "pause_turn"
    messages.append({"role": "assistant", "content": [b.to_dict() for b in paused.content]})
    finished = await ask(client, messages, stream=False)
    assert finished.stop_reason == "end_turn" and finished.content[-1].text == "All done."
    # The continuation's thinking is bound to the paused turn it extends: merged into it, it verifies.
    messages[-1]["content"].extend(b.to_dict() for b in finished.content)
    messages.append({"role": "user", "content": "Thanks. One more thing?"})
    await ask(client, messages, stream=False)
    assert len(model.rejected) == 1


@pytest.mark.parametrize(
    ("model_name", "thinking", "expected"),
    [
        (MODEL, {"type": "enabled", "budget_tokens": 2048}, '"thinking.type.enabled" is not supported for this model'),
        (MODEL, {"type": "disabled"}, '"thinking.type.disabled" is not supported for this model'),
        ("claude-opus-5-5", {"type": "between_tools"}, "Input tag 'between_tools'"),
        ("claude-haiku-4-5", {"type": "adaptive"}, "expected tags: 'disabled', 'enabled'"),
        (MODEL, {"type": "adaptive", "display": "full"}, "thinking.adaptive.display"),
    ],
)
async def test_thinking_settings_the_model_does_not_take(model_name, thinking, expected) -> None:
    model = ScriptedModel(lambda r: TextReply("ok"))
    client = model.client(max_retries=0)
    try:
        with pytest.raises(anthropic.BadRequestError) as caught:
            await client.messages.create(
                model=model_name, max_tokens=4096, thinking=thinking, messages=[{"role": "user", "content": "hi"}]
            )
    finally:
        await client.close()
    assert expected in caught.value.message


@pytest.mark.parametrize(
    ("model_name", "thinking"),
    [
        (MODEL, {"type": "adaptive"}),
        (MODEL, {"type": "between_tools"}),
        ("claude-opus-5-5", {"type": "adaptive", "display": "summarized"}),
        ("claude-haiku-4-5", {"type": "enabled", "budget_tokens": 1024}),
        ("claude-haiku-4-5", {"type": "disabled"}),
    ],
)
async def test_thinking_settings_the_model_takes(model_name, thinking) -> None:
    model = ScriptedModel(lambda r: TextReply("ok"))
    client = model.client(max_retries=0)
    try:
        message = await client.messages.create(
            model=model_name,
            max_tokens=4096,
            thinking=thinking,
            output_config={"effort": "medium"},
            messages=[{"role": "user", "content": "hi"}],
        )
    finally:
        await client.close()
    assert message.content[-1].text == "ok" and model.rejected == []
    # between_tools without tools: the answer is text only.
    if thinking["type"] == "between_tools":
        assert [b.type for b in message.content] == ["text"]
