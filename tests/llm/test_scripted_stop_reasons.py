"""The stop reasons beyond end_turn and tool_use, streamed and not, read back through the real SDK."""

from __future__ import annotations

import json

import anthropic
import pytest

from codeframe_tui.llm.scripted import (
    ContextWindowReply,
    MidStreamErrorReply,
    PauseTurnReply,
    RefusalReply,
    ScriptedModel,
    TruncatedReply,
)
from codeframe_tui.llm.tools import SEARCH, worker_tools

MODEL = "claude-sonnet-5-5"
ARGS = {
    "model": MODEL,
    "max_tokens": 300,
    "tools": worker_tools(MODEL),
    "messages": [{"role": "user", "content": "go"}],
}

CASES = {
    "pause_turn": (PauseTurnReply("Searching the web first."), ["thinking", "text"], "Searching the web first."),
    "refusal": (RefusalReply(), ["thinking"], None),
    "refusal with text": (RefusalReply("I can't help with", category="cyber", explanation="Exploit code."),
                          ["thinking", "text"], "I can't help with"),
    "model_context_window_exceeded": (ContextWindowReply("The report so far"), ["thinking", "text"],
                                      "The report so far"),
    "max_tokens": (TruncatedReply(SEARCH, '{"pattern": "def ma', text="Let me look."),
                   ["thinking", "text", "tool_use"], "Let me look."),
}  # fmt: skip


async def read(client: anthropic.AsyncAnthropic, stream: bool) -> anthropic.types.Message:
    if not stream:
        return await client.messages.create(**ARGS)
    async with client.messages.stream(**ARGS) as answer:
        async for _ in answer:
            pass
        return await answer.get_final_message()


@pytest.mark.parametrize("stream", [False, True], ids=["message", "stream"])
@pytest.mark.parametrize("case", list(CASES))
async def test_each_stop_reason_reads_back(connect, case: str, stream: bool) -> None:
    reply, kinds, text = CASES[case]
    model = ScriptedModel(lambda r: reply, chunk_size=4)
    client = await connect(model)
    message = await read(client, stream)
    assert message.stop_reason == case.split(" ")[0]
    assert [block.type for block in message.content] == kinds
    assert message.content[0].signature
    texts = [block.text for block in message.content if block.type == "text"]
    assert texts == ([text] if text else [])
    if isinstance(reply, RefusalReply):
        assert message.stop_details is not None and message.stop_details.type == "refusal"
        assert message.stop_details.category == reply.category
        assert message.stop_details.explanation == reply.explanation
    else:
        assert message.stop_details is None
    if isinstance(reply, TruncatedReply):
        # The cut JSON: never a complete call (the SDK parses what it can, the raw JSON stays broken).
        assert message.content[-1].name == SEARCH
    assert message.usage.output_tokens >= 1


async def test_a_stream_cut_during_thinking_still_reads_as_partial(connect) -> None:
    model = ScriptedModel(lambda r: MidStreamErrorReply(RefusalReply(thinking="x" * 40)), chunk_size=4)
    client = await connect(model, max_retries=0)
    seen: list[str] = []
    with pytest.raises(anthropic.APIStatusError):
        async with client.messages.stream(**ARGS) as answer:
            async for event in answer:
                seen.append(event.type)
    assert "thinking" in seen and "signature" not in seen


async def test_raw_refusal_body_has_stop_details() -> None:
    model = ScriptedModel(lambda r: RefusalReply(category="bio"))
    client = model.client(max_retries=0)
    try:
        raw = await client.messages.with_raw_response.create(**ARGS)
    finally:
        await client.close()
    body = json.loads(raw.http_response.content)
    assert body["stop_reason"] == "refusal"
    assert body["stop_details"] == {"type": "refusal", "category": "bio", "explanation": None}
