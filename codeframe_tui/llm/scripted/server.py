"""ScriptedServer: a minimal HTTP/1.1 server on asyncio.start_server that serves a ScriptedModel."""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .model import OFFLINE_API_KEY, ScriptedModel
from .render import ConnectionDropped, ScriptedResponse, error_response

if TYPE_CHECKING:
    import anthropic

__all__ = ["ScriptedServer"]

log = logging.getLogger(__name__)

MAX_HEAD_BYTES = 64 * 1024
REASONS = {529: "Overloaded"}


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ScriptedServer:
    """Serves `model` on host:port (port 0 picks a free one); use `async with` and then `base_url`."""

    def __init__(self, model: ScriptedModel, host: str = "127.0.0.1", port: int = 0) -> None:
        self.model = model
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> ScriptedServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=MAX_HEAD_BYTES)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening, end every open connection, and wait until their tasks are gone."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        # Let a connection accepted just now start its task, so that it is cancelled below too.
        await asyncio.sleep(0)
        # Python 3.11's wait_closed() does not wait for connections, so cancel and await them ourselves.
        while self._connections:
            tasks = list(self._connections)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    def client(self, **kwargs: Any) -> anthropic.AsyncAnthropic:
        """An AsyncAnthropic that reaches this server by base_url; keyword arguments go to AsyncAnthropic."""
        import anthropic

        kwargs.setdefault("api_key", OFFLINE_API_KEY)
        kwargs.setdefault("max_retries", 2)
        kwargs.setdefault("base_url", self.base_url)
        # trust_env=False: a proxy set in the environment must never carry loopback test traffic away.
        kwargs.setdefault("http_client", anthropic.DefaultAsyncHttpxClient(trust_env=False))
        return anthropic.AsyncAnthropic(**kwargs)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            # Keep-alive: one connection carries request after request until either side closes it.
            while await self._exchange(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; nothing left to answer
        except asyncio.CancelledError:
            # Only close() cancels these tasks. Ending normally matters: on 3.11 the stream protocol's
            # done-callback calls task.exception(), which logs a cancelled task as an error.
            pass
        except Exception:
            log.exception("scripted server connection failed")
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection should close."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # the client closed an idle connection
        except asyncio.LimitOverrunError:
            await _write_whole(writer, error_response(431, "invalid_request_error", "request head too large"), True)
            return False
        try:
            method, target, headers = _parse_head(head)
            body = await reader.readexactly(_content_length(headers))
        except _BadRequest as err:
            await _write_whole(writer, error_response(err.status, "invalid_request_error", str(err)), True)
            return False
        keep_alive = headers.get("connection", "").lower() != "close"
        answer = await self.model.handle(method, target, headers, body)
        if answer.stream is None:
            await _write_whole(writer, answer, not keep_alive)
            return keep_alive
        return await _write_stream(writer, answer, keep_alive)


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequest(400, f"malformed request line: {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest(400, f"malformed header line: {line!r}")
        headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1], headers


def _content_length(headers: dict[str, str]) -> int:
    # The SDK always sends a JSON body with Content-Length; chunked uploads are out of scope.
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise _BadRequest(411, "chunked request bodies are not supported; send Content-Length")
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise _BadRequest(400, "invalid Content-Length") from None
    if length < 0:
        raise _BadRequest(400, "invalid Content-Length")
    return length


def _status_line(status: int) -> bytes:
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = REASONS.get(status, "Unknown")
    return f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")


def _head(answer: ScriptedResponse, extra: dict[str, str]) -> bytes:
    headers = {**answer.headers, **extra}
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return _status_line(answer.status) + lines.encode("latin-1") + b"\r\n"


async def _write_whole(writer: asyncio.StreamWriter, answer: ScriptedResponse, close: bool) -> None:
    body = answer.body or b""
    extra = {"content-length": str(len(body))}
    if close:
        extra["connection"] = "close"
    writer.write(_head(answer, extra) + body)
    await writer.drain()


async def _write_stream(writer: asyncio.StreamWriter, answer: ScriptedResponse, keep_alive: bool) -> bool:
    """Send a streamed body; a scripted drop closes the socket mid-body (the caller's finally does it)."""
    assert answer.stream is not None
    # A Content-Length body (a dropped non-streaming answer) is sent raw; an SSE stream uses chunked framing.
    chunked = "content-length" not in answer.headers
    extra = {"transfer-encoding": "chunked"} if chunked else {}
    if not keep_alive:
        extra["connection"] = "close"
    writer.write(_head(answer, extra))
    try:
        async for piece in answer.stream:
            if not piece:
                continue  # an empty chunk would end a chunked body early
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
    except ConnectionDropped:
        return False
    finally:
        aclose = getattr(answer.stream, "aclose", None)
        if aclose is not None:
            await aclose()
    if chunked:
        writer.write(b"0\r\n\r\n")
        await writer.drain()
    return keep_alive
