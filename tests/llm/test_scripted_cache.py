"""Prompt-cache accounting of the scripted model, read back through the real AsyncAnthropic SDK."""

from __future__ import annotations

import anthropic
import pytest

from codeframe_tui.llm.scripted import ErrorReply, ScriptedModel, TextReply, ToolUseReply
from codeframe_tui.llm.scripted.cache import MIN_CACHEABLE_TOKENS

MODEL = "claude-test"
# About 1,350 tokens at four characters a token: above the 1,024-token floor.
LONG_SYSTEM = "You review Python code carefully and answer with concrete, minimal fixes. " * 74
EPHEMERAL = {"type": "ephemeral"}
TOOL = {
    "name": "read_file",
    "description": "Read one file of the project.",
    "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
}


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def cached_system(text: str = LONG_SYSTEM, **marker: str) -> list[dict]:
    return [{"type": "text", "text": text, "cache_control": {**EPHEMERAL, **marker}}]


def ask(question: str) -> list[dict]:
    return [{"role": "user", "content": question}]


def counts(usage) -> tuple[int, int]:
    return usage.cache_creation_input_tokens, usage.cache_read_input_tokens


async def test_a_long_system_prefix_is_written_then_read(connect) -> None:
    model = ScriptedModel(lambda r: TextReply("Looks fine."), clock=FakeClock())
    client = await connect(model)
    first = await client.messages.create(
        model=MODEL, max_tokens=100, system=cached_system(), messages=ask("What is wrong with main.py?")
    )
    prefix = first.usage.cache_creation_input_tokens
    assert prefix >= MIN_CACHEABLE_TOKENS
    assert abs(prefix - len(LONG_SYSTEM) / 4) <= 1
    assert first.usage.cache_read_input_tokens == 0
    # Only what follows the breakpoint is plain input.
    assert 1 <= first.usage.input_tokens <= len("What is wrong with main.py?") // 4 + 1

    second = await client.messages.create(
        model=MODEL, max_tokens=100, system=cached_system(), messages=ask("And in utils.py, anything else?")
    )
    assert counts(second.usage) == (0, prefix)
    assert 1 <= second.usage.input_tokens <= len("And in utils.py, anything else?") // 4 + 1

    # The three fields add up to what the same prompt costs uncached.
    plain = await client.messages.create(
        model=MODEL, max_tokens=100, system=LONG_SYSTEM, messages=ask("And in utils.py, anything else?")
    )
    assert counts(plain.usage) == (0, 0)
    assert abs(plain.usage.input_tokens - (second.usage.input_tokens + prefix)) <= 1


async def test_a_short_prefix_is_not_cached(connect) -> None:
    model = ScriptedModel(lambda r: TextReply("ok"), clock=FakeClock())
    client = await connect(model)
    for _ in range(2):
        message = await client.messages.create(
            model=MODEL, max_tokens=50, system=cached_system("Be brief."), messages=ask("hi")
        )
        assert counts(message.usage) == (0, 0)
        assert message.usage.input_tokens == len("Be brief.\nhi") // 4
    assert len(model.prompt_cache) == 0


async def test_an_entry_expires_five_minutes_after_its_last_use(connect) -> None:
    clock = FakeClock()
    model = ScriptedModel(lambda r: TextReply("ok"), clock=clock)
    client = await connect(model)

    async def usage():
        message = await client.messages.create(model=MODEL, max_tokens=50, system=cached_system(), messages=ask("?"))
        return counts(message.usage)

    prefix = (await usage())[0]
    assert prefix > 0
    clock.advance(299)
    assert await usage() == (0, prefix)
    # A hit refreshes the entry: another 299 s after it still reads.
    clock.advance(299)
    assert await usage() == (0, prefix)
    clock.advance(301)
    assert await usage() == (prefix, 0)


async def test_a_one_hour_ttl_outlives_five_minutes(connect) -> None:
    clock = FakeClock()
    model = ScriptedModel(lambda r: TextReply("ok"), clock=clock)
    client = await connect(model)

    async def usage():
        system = cached_system(ttl="1h")
        message = await client.messages.create(model=MODEL, max_tokens=50, system=system, messages=ask("?"))
        return counts(message.usage)

    prefix = (await usage())[0]
    clock.advance(1800)
    assert await usage() == (0, prefix)
    clock.advance(3601)
    assert await usage() == (prefix, 0)


async def test_another_model_name_does_not_hit(connect) -> None:
    model = ScriptedModel(lambda r: TextReply("ok"), clock=FakeClock())
    client = await connect(model)

    async def usage(name: str):
        message = await client.messages.create(model=name, max_tokens=50, system=cached_system(), messages=ask("?"))
        return counts(message.usage)

    prefix = (await usage(MODEL))[0]
    assert await usage("claude-other") == (prefix, 0)
    assert await usage(MODEL) == (0, prefix)
    assert await usage("claude-other") == (0, prefix)


async def test_a_changed_prefix_misses(connect) -> None:
    model = ScriptedModel(lambda r: TextReply("ok"), clock=FakeClock())
    client = await connect(model)
    first = await client.messages.create(model=MODEL, max_tokens=50, system=cached_system(), messages=ask("?"))
    edited = cached_system(LONG_SYSTEM.replace("carefully", "quickly", 1))
    second = await client.messages.create(model=MODEL, max_tokens=50, system=edited, messages=ask("?"))
    assert counts(first.usage)[0] > 0
    assert counts(second.usage)[1] == 0 and counts(second.usage)[0] > 0


async def test_streaming_and_non_streaming_both_report_the_cache(connect) -> None:
    model = ScriptedModel(lambda r: TextReply("Streaming answer."), clock=FakeClock(), chunk_size=5)
    client = await connect(model)
    async with client.messages.stream(
        model=MODEL, max_tokens=100, system=cached_system(), messages=ask("first")
    ) as stream:
        start = None
        async for event in stream:
            if event.type == "message_start":
                start = event.message.usage
        final = await stream.get_final_message()
    assert start is not None
    prefix = start.cache_creation_input_tokens
    assert prefix >= MIN_CACHEABLE_TOKENS and start.cache_read_input_tokens == 0
    assert counts(final.usage) == (prefix, 0)

    plain = await client.messages.create(model=MODEL, max_tokens=100, system=cached_system(), messages=ask("second"))
    assert counts(plain.usage) == (0, prefix)

    raw = await client.messages.create(
        model=MODEL, max_tokens=100, system=cached_system(), messages=ask("third"), stream=True
    )
    events = [event async for event in raw]
    assert events[0].type == "message_start"
    assert counts(events[0].message.usage) == (0, prefix)
    assert events[0].message.usage.input_tokens >= 1


async def test_tools_and_a_growing_conversation(connect) -> None:
    """Tools sit before the system prompt; a breakpoint moved to the newest turn reads the last turn's prefix."""
    model = ScriptedModel(lambda r: TextReply("Noted."), clock=FakeClock())
    client = await connect(model)
    tools = [{**TOOL, "cache_control": EPHEMERAL}]
    history: list[dict] = []

    async def turn(text: str):
        # One breakpoint on the system prompt, one on the newest user message, as agents usually mark them.
        history.append({"role": "user", "content": [{"type": "text", "text": text, "cache_control": EPHEMERAL}]})
        message = await client.messages.create(
            model=MODEL, max_tokens=50, tools=tools, system=cached_system(), messages=history
        )
        history[-1] = {"role": "user", "content": [{"type": "text", "text": text}]}
        history.append({"role": "assistant", "content": [{"type": "text", "text": "Noted."}]})
        return message.usage

    long_turn = "Here is the file to keep in mind:\n" + "x = compute(1)\n" * 40
    first = await turn(long_turn)
    assert first.cache_read_input_tokens == 0
    # The tool definition counts toward the prefix as well as the system prompt.
    assert first.cache_creation_input_tokens > len(LONG_SYSTEM) // 4 + len(long_turn) // 4
    second = await turn("Now rename compute to evaluate.")
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert 0 < second.cache_creation_input_tokens < 20

    # Changing the tools changes the very start of the prompt: nothing before it can be read.
    tools = [{**TOOL, "description": "Read a file.", "cache_control": EPHEMERAL}]
    third = await turn("And add a test.")
    assert third.cache_read_input_tokens == 0 and third.cache_creation_input_tokens > 0


async def test_a_pinned_usage_and_an_error_reply_keep_their_old_figures(connect) -> None:
    replies = iter(
        [
            ErrorReply(529, "overloaded_error", "Overloaded"),
            ToolUseReply("read_file", {"path": "a.py"}, usage_in=77, usage_out=9),
            TextReply("ok"),
        ]
    )
    model = ScriptedModel(lambda r: next(replies), clock=FakeClock())
    client = await connect(model, max_retries=0)
    with pytest.raises(anthropic.APIStatusError):
        await client.messages.create(model=MODEL, max_tokens=50, system=cached_system(), messages=ask("?"))
    # An error answer never got under way, so it cached nothing.
    assert len(model.prompt_cache) == 0
    pinned = await client.messages.create(
        model=MODEL, max_tokens=50, tools=[TOOL], system=cached_system(), messages=ask("?")
    )
    assert (pinned.usage.input_tokens, pinned.usage.output_tokens, *counts(pinned.usage)) == (77, 9, 0, 0)
    # The pinned request still reached the cache, as it would have reached the API's.
    after = await client.messages.create(
        model=MODEL, max_tokens=50, tools=[TOOL], system=cached_system(), messages=ask("?")
    )
    assert after.usage.cache_read_input_tokens > 0
