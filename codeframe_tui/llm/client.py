"""The one wrapper over AsyncAnthropic: streaming, structured output through a tool, clear errors."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codeframe_tui.config import Settings
from codeframe_tui.domain import Usage
from codeframe_tui.domain.safe_text import redact
from codeframe_tui.llm.messages import CACHE, cached_prefix, clean_block, usage_of, whole
from codeframe_tui.llm.models import output_tokens
from codeframe_tui.llm.retries import (
    OnRetry,
    api_error_type,
    api_message,
    retry_after,
    should_retry_header,
    status_retryable,
    with_retries,
)
from codeframe_tui.llm.streaming import MessageAccumulator, StreamedMessage, StreamProblem, answer_cap

if TYPE_CHECKING:  # the SDK and its HTTP client take 1.5-2 s to import: only when a call is made
    import anthropic

    from codeframe_tui.llm.sdk import SdkOnFirstUse

log = logging.getLogger(__name__)


class ModelReplyError(RuntimeError):
    """The model call failed or its answer was unusable. `kind` says which, for the reason shown."""

    def __init__(self, kind: str, message: str, usage: Usage | None = None, *, retryable: bool = False,
                 retry_after: float | None = None) -> None:
        # A gateway may echo the key back in its error ("invalid x-api-key: sk-..."): this message
        # becomes a task's reason, an event and a log line.
        super().__init__(redact(message))
        self.kind = kind
        self.usage = usage or Usage()
        self.retryable = retryable  # worth another try (overloaded, rate limited, dropped...)
        self.retry_after = retry_after  # seconds the server asked to wait


@dataclass(frozen=True)
class ToolCall:
    """A forced tool call's answer: its input, and what the conversation needs to go on."""

    input: dict
    tool_use_id: str
    assistant_content: list[dict]  # to append to the conversation as the assistant turn
    other_tool_use_ids: tuple[str, ...]  # each needs a tool_result too, or the API refuses the turn
    usage: Usage
    stop_reason: str
    latency: float
    model: str
    text: str = ""
    name: str = ""


@dataclass(frozen=True)
class Turn:
    """One answer in a worker's conversation: the assistant turn exactly as received, to be sent
    back unchanged (thinking blocks and their signatures included), and how it ended."""

    content: list[dict]
    stop_reason: str
    usage: Usage
    latency: float
    model: str

    @property
    def tool_uses(self) -> list[dict]:
        return [b for b in self.content if b.get("type") == "tool_use"]

    @property
    def text(self) -> str:
        return "".join(b.get("text", "") for b in self.content if b.get("type") == "text")


def build_anthropic_client(settings: Settings, **kwargs: Any) -> anthropic.AsyncAnthropic:
    """A real client from settings: key and base URL from the environment or config."""
    if not settings.api_key:
        raise ModelReplyError("config", "ANTHROPIC_API_KEY is not set (or run the offline demo)")
    import anthropic

    return anthropic.AsyncAnthropic(
        api_key=settings.api_key,
        base_url=settings.base_url,
        timeout=settings.model_timeout,
        max_retries=0,  # ModelClient retries itself: bounded, mid-stream failures too, and announced
        **kwargs,
    )


class ModelClient:
    """Asks the model for a change set. Owns the AsyncAnthropic client and closes it."""

    def __init__(self, settings: Settings, client: anthropic.AsyncAnthropic | SdkOnFirstUse) -> None:
        self.settings = settings
        self._client = client
        # Set by the engine: records the lead's calls (discovery, the PRD, the plan), which no
        # worker records, so that every token is counted.
        self.on_lead_call: Callable[[ToolCall], Awaitable[None]] | None = None
        self.retry_base = 1.0  # seconds before the first retry, doubled after each (tests make it small)

    async def lead_call(self, **kwargs: Any) -> ToolCall:
        """A call for the lead agent's work, on the lead's model (config [models] lead)."""
        model = self.settings.model_for("lead")
        try:
            call = await self.call_tool(model=model, **kwargs)
        except ModelReplyError as exc:
            if self.on_lead_call is not None and (exc.usage.input_tokens or exc.usage.output_tokens):
                await self.on_lead_call(ToolCall(input={}, tool_use_id="", assistant_content=[], other_tool_use_ids=(),
                                                 usage=exc.usage, stop_reason=exc.kind, latency=0.0, model=model))
            raise
        if self.on_lead_call is not None:
            await self.on_lead_call(call)
        return call

    async def close(self) -> None:
        await self._client.close()

    async def turn(
        self,
        *,
        system: str,
        messages: list[dict],
        tools: list[dict],
        model: str,
        on_text: Callable[[str], None] | None = None,
        on_retry: OnRetry | None = None,
    ) -> Turn:
        """One streamed request of a worker's tool loop. The tools and the system prompt must be the
        same for the whole conversation, and `messages` only ever grows: the API checks that every
        thinking block's prefix (system, tools, earlier turns) is unchanged. Tool choice is `auto`
        (the current models refuse forcing); the loop decides what each stop reason means."""
        started = time.monotonic()
        params = dict(model=model, max_tokens=output_tokens(model, self.settings.max_tokens), tools=tools,
                      tool_choice={"type": "auto"}, system=[{"type": "text", "text": system, "cache_control": CACHE}],
                      messages=cached_prefix(messages, tail=True))
        message = await with_retries(lambda: self._stream(on_text, **params), retries=self.settings.sdk_max_retries,
                                     base=self.retry_base, on_retry=on_retry)
        content = [whole(clean_block(b)) for b in message.content
                   if b.get("type") != "text" or b.get("text", "").strip()]
        bad = [b for b in content if b.get("type") == "tool_use" and not isinstance(b.get("input"), dict)]
        if bad and message.stop_reason != "max_tokens":  # a cut call is dropped by the loop; this one cannot be
            # Sent back, a non-object input is a 400 on every later request: the turn is never kept.
            raise ModelReplyError("malformed", f"model's {bad[0].get('name')} input is not a JSON object",
                                  usage_of(message.usage))
        return Turn(content=content, stop_reason=message.stop_reason or "", usage=usage_of(message.usage),
                    latency=time.monotonic() - started, model=message.model)

    async def call_tool(
        self,
        *,
        system: str,
        messages: list[dict],
        tool: dict | None = None,
        tools: list[dict] | None = None,
        on_text: Callable[[str], None] | None = None,
        model: str | None = None,
        on_retry: OnRetry | None = None,
    ) -> ToolCall:
        """One streamed call that must answer through a tool (structured output); the input is a dict.

        The model is asked with `auto` and told again (NUDGES times) when it answers without one of
        the tools; the strict schemas keep the input valid. `model`: the
        role's model (config [models]), else the default. The system prompt and the first user turn
        (the task with the project's context) are marked for prompt caching: every correction turn
        re-sends them, and the cache reads them at a tenth of the price.
        """
        started = time.monotonic()
        if tools is not None:
            offered = tools
        elif tool is not None:
            offered = [tool]
        else:
            raise TypeError("call_tool needs a tool or tools")
        names = [t["name"] for t in offered]
        model = model or self.settings.model
        # Never forced: the current models refuse it (400), and the docs give strict tools with
        # `auto` as its replacement. One answer per turn: a second tool_use would need its own result.
        choice = {"type": "auto", "disable_parallel_tool_use": True}
        conversation, usage = list(messages), Usage()
        max_tokens = output_tokens(model, self.settings.max_tokens)
        for nudge in range(NUDGES + 1):
            params: dict[str, Any] = dict(model=model, max_tokens=max_tokens, tools=offered, tool_choice=choice,
                          system=[{"type": "text", "text": system, "cache_control": CACHE}],
                          messages=cached_prefix(conversation))
            try:
                message = await with_retries(
                    functools.partial(self._stream, on_text, **params), retries=self.settings.sdk_max_retries,
                    base=self.retry_base, on_retry=on_retry)
            except ModelReplyError as exc:
                exc.usage = usage + exc.usage  # the earlier turns of this call were paid for too
                raise
            usage = usage + usage_of(message.usage)
            if message.stop_reason in STOPS_THAT_END:
                kind, why = STOPS_THAT_END[message.stop_reason]
                raise ModelReplyError(kind, why.format(max_tokens=max_tokens), usage)
            block = next((b for b in message.content if b.get("type") == "tool_use" and b.get("name") in names), None)
            if block is not None:
                break
            if message.stop_reason == "pause_turn":  # the docs: send the paused turn back as it is
                conversation.append({"role": "assistant", "content": [clean_block(b) for b in message.content]})
                continue
            if nudge == NUDGES:
                raise ModelReplyError("no_tool", f"model answered without calling {' or '.join(names)}", usage)
            # Say once more how the answer must come.
            said = [clean_block(b) for b in message.content if b.get("type") != "text" or b.get("text", "").strip()]
            conversation += [
                {"role": "assistant", "content": said or [{"type": "text", "text": "(no tool call)"}]},
                {"role": "user", "content": f"Answer by calling {' or '.join(names)}: a reply without that "
                                            "tool call cannot be used."},
            ]
        else:  # the last answer paused its turn (pause_turn): no tool call came back to use
            raise ModelReplyError("no_tool", f"model paused its turn {NUDGES + 1} times without calling "
                                  f"{' or '.join(names)}", usage)
        latency = time.monotonic() - started
        if not isinstance(block.get("input"), dict):
            raise ModelReplyError("malformed", f"model's {block['name']} input is not a JSON object", usage)
        content = message.content
        return ToolCall(
            input=block["input"],
            tool_use_id=block["id"],
            # The API refuses whitespace-only text blocks sent back to it.
            assistant_content=[
                clean_block(b) for b in content if b.get("type") != "text" or b.get("text", "").strip()
            ],
            other_tool_use_ids=tuple(b["id"] for b in content if b.get("type") == "tool_use" and b is not block),
            usage=usage,
            stop_reason=message.stop_reason or "",
            latency=latency,
            model=message.model,
            text="".join(b.get("text", "") for b in content if b.get("type") == "text"),
            name=block["name"],
        )

    async def _stream(self, on_text: Callable[[str], None] | None, **params: Any) -> StreamedMessage:
        """One streamed request; every way it can fail becomes a ModelReplyError that says which."""
        load = getattr(self._client, "load_sdk", None)  # llm.sdk.SdkOnFirstUse: made at the first call
        if load is not None:
            await load()
        import anthropic  # loaded by now, with the client: a lookup in sys.modules
        import httpx2

        reader = MessageAccumulator(answer_cap(params.get("max_tokens", self.settings.max_tokens)), on_text)
        opened = False  # the answer had begun: a connection error now is a drop, not "could not reach"
        try:
            stream = await self._client.messages.create(stream=True, **params)
            opened = True
            async with stream:
                async for event in stream:
                    reader.add(event)
            return reader.final()
        except StreamProblem as exc:
            raise ModelReplyError(exc.kind, str(exc), usage_of(exc.usage), retryable=exc.kind == "incomplete") from exc
        except anthropic.APIStatusError as exc:
            error_type = api_error_type(exc)
            kind = f" ({error_type})" if error_type else ""
            raise ModelReplyError(
                "api", f"model API error {exc.status_code}{kind}: {api_message(exc)}",
                retryable=status_retryable(exc.status_code, error_type,
                                           should_retry=should_retry_header(getattr(exc.response, "headers", None))),
                retry_after=retry_after(getattr(exc.response, "headers", None)),
            ) from exc
        except anthropic.APITimeoutError as exc:
            raise ModelReplyError("timeout", f"model call timed out after {self.settings.model_timeout:g}s",
                                  retryable=True) from exc
        except anthropic.APIConnectionError as exc:
            if opened:  # SDK 2.17 and later wrap a drop mid-stream; they still do not retry it
                cause = type(exc.__cause__ or exc).__name__
                raise ModelReplyError("connection", f"connection to the model dropped: {cause}",
                                      retryable=True) from exc
            raise ModelReplyError("connection", f"could not reach the model: {type(exc).__name__}",
                                  retryable=True) from exc
        except httpx2.TransportError as exc:
            # Earlier 2.x SDKs let a connection dropped mid-stream escape unwrapped, and do not retry it.
            raise ModelReplyError("connection", f"connection to the model dropped: {type(exc).__name__}",
                                  retryable=True) from exc
        except ValueError as exc:  # an event whose data is not JSON: the stream itself is broken
            raise ModelReplyError("malformed", f"model stream sent malformed data: {str(exc)[:200]}") from exc


# A planning answer that ends so is unusable; the words say why (a worker's loop handles them itself).
STOPS_THAT_END = {
    "max_tokens": ("truncated", "model output was cut at max_tokens={max_tokens}"),
    "refusal": ("refusal", "the model declined to answer (stop_reason refusal)"),
    "model_context_window_exceeded": ("context", "the conversation filled the model's context window"),
}
NUDGES = 2  # times a model asked without forcing is told again to answer through the tool
