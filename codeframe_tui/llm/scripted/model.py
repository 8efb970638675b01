"""ScriptedModel: checks each request like the Messages API does and answers from a script."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from ..models import thinks_adaptively
from .cache import PromptCache
from .errors import InvalidRequest
from .render import Renderer, ScriptedResponse, error_response
from .replies import ALL_REPLIES, Reply, StallReply
from .request import ScriptedRequest
from .thinking import check_thinking_history
from .validation import validate_body

if TYPE_CHECKING:
    import anthropic
    import httpx2

__all__ = ["Responder", "ScriptedModel", "ScriptedTimeout"]

log = logging.getLogger(__name__)

Responder = Callable[[ScriptedRequest], "Reply | Awaitable[Reply]"]
OFFLINE_API_KEY = "scripted-offline"
# A host that can never resolve: if the transport were ever bypassed, nothing leaves the machine.
OFFLINE_BASE_URL = "http://scripted.invalid"
Thinking = Literal["auto", "always"] | None


class ScriptedTimeout(TimeoutError):
    """The answer would come later than the caller's read timeout allows (transport mode only)."""


class ScriptedModel:
    """A fake Messages API endpoint; plug it in with `transport()` / `client()` or serve it with ScriptedServer."""

    def __init__(
        self,
        responder: Responder,
        *,
        latency: float = 0.0,
        chunk_size: int = 40,
        clock: Callable[[], float] = time.monotonic,
        thinking: Thinking = "auto",
    ) -> None:
        """`clock` (monotonic seconds) times prompt-cache expiry; tests pass a fake one to skip ahead.

        `thinking`: "auto" thinks like the model table says (thinks_adaptively), "always" thinks with any
        model, None never does. A model that thinks opens every answer with a signed thinking block and
        holds the client to the API's thinking rules (see thinking.py); None is for tests that want
        neither. Thinking blocks sent back are verified in every mode.
        """
        if thinking not in ("auto", "always", None):
            raise ValueError(f"thinking must be 'auto', 'always' or None, not {thinking!r}")
        self.responder = responder
        self.thinking = thinking
        self.latency = latency
        self.requests: list[ScriptedRequest] = []
        self.rejected: list[tuple[dict[str, Any] | None, str]] = []
        # A script that raises is a bug in the test, kept here so the test can show it.
        self.responder_errors: list[BaseException] = []
        # Prefixes this model has cached, so usage reports cache writes and reads as the API does.
        self.prompt_cache = PromptCache(clock)
        self._renderer = Renderer(chunk_size, self.prompt_cache)

    def _thinks(self, body: dict[str, Any]) -> bool:
        """Whether the answer to `body` opens with thinking."""
        if self.thinking is None or (self.thinking == "auto" and not thinks_adaptively(body["model"])):
            return False
        # With `between_tools` the model only notes progress between tool calls: no tools, no thinking.
        return (body.get("thinking") or {}).get("type") != "between_tools" or bool(body.get("tools"))

    async def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        read_timeout: float | None = None,
    ) -> ScriptedResponse:
        """Answer one HTTP request.

        With `read_timeout`, an answer that would wait longer (latency plus any StallReply) waits
        that long and raises ScriptedTimeout instead, because an in-process transport has no socket
        whose timeout could fire.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        if method.upper() != "POST" or path.split("?", 1)[0] != "/v1/messages":
            await self._wait(self.latency, read_timeout)
            return error_response(404, "not_found_error", f"Not found: {method} {path}")
        if not lowered.get("x-api-key") and not lowered.get("authorization"):
            await self._wait(self.latency, read_timeout)
            return error_response(401, "authentication_error", "x-api-key header is required")
        parsed, problem = _decode(body, lowered)
        if problem is None:
            try:
                validate_body(parsed, lowered["anthropic-version"])
                check_thinking_history(parsed, thinking_on=self._thinks(parsed))
            except InvalidRequest as err:
                problem = str(err)
        if problem is not None:
            self.rejected.append((parsed if isinstance(parsed, dict) else None, problem))
            log.info("scripted model rejected a request: %s", problem)
            await self._wait(self.latency, read_timeout)
            return error_response(400, "invalid_request_error", problem)
        request = ScriptedRequest(parsed, lowered)
        self.requests.append(request)
        reply = await self._ask_script(request)
        if reply is None:
            await self._wait(self.latency, read_timeout)
            failure = self.responder_errors[-1]
            message = f"the scripted responder failed: {type(failure).__name__}: {failure}"
            # x-should-retry: false, or the SDK would run the broken script again.
            return error_response(500, "api_error", message, x_should_retry="false")
        delay = self.latency
        while isinstance(reply, StallReply):
            delay += reply.seconds
            reply = reply.then
        await self._wait(delay, read_timeout)
        # `parsed` never reaches the script (ScriptedRequest holds a copy), so it is the body as sent.
        return self._renderer.render(reply, request, parsed if self._thinks(parsed) else None)

    async def _ask_script(self, request: ScriptedRequest) -> Reply | None:
        try:
            reply = self.responder(request)
            if inspect.isawaitable(reply):
                reply = await reply
            if not isinstance(reply, ALL_REPLIES):
                raise TypeError(f"the responder returned {reply!r}, which is not a Reply")
        except Exception as err:
            log.exception("scripted responder failed")
            self.responder_errors.append(err)
            return None
        return reply

    @staticmethod
    async def _wait(seconds: float, read_timeout: float | None) -> None:
        if read_timeout is not None and seconds > read_timeout:
            await asyncio.sleep(read_timeout)
            raise ScriptedTimeout(f"no answer within the read timeout of {read_timeout} s")
        if seconds > 0:
            await asyncio.sleep(seconds)

    def transport(self) -> httpx2.AsyncBaseTransport:
        """An httpx2 transport that answers from this model: `httpx2.AsyncClient(transport=model.transport())`."""
        from .transport import ScriptedTransport

        return ScriptedTransport(self)

    def client(self, **kwargs: Any) -> anthropic.AsyncAnthropic:
        """An AsyncAnthropic wired to this model; keyword arguments go to AsyncAnthropic. Close it when done."""
        import anthropic
        import httpx2

        kwargs.setdefault("api_key", OFFLINE_API_KEY)
        kwargs.setdefault("max_retries", 2)
        # Explicit, so an ANTHROPIC_BASE_URL with a path prefix in the environment cannot change the path.
        kwargs.setdefault("base_url", OFFLINE_BASE_URL)
        kwargs.setdefault("http_client", httpx2.AsyncClient(transport=self.transport(), trust_env=False))
        return anthropic.AsyncAnthropic(**kwargs)


def _decode(body: bytes, headers: Mapping[str, str]) -> tuple[Any, str | None]:
    """The parsed body (or None) and the first header or JSON problem (or None)."""
    try:
        parsed = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError) as err:
        return None, f"There was an error parsing the body of your request: {err}"
    if not headers.get("anthropic-version"):
        return parsed, "anthropic-version: header is required"
    if parsed is None:
        return None, "The request body is empty"
    return parsed, None
