"""An httpx2 transport that answers requests from a ScriptedModel, in process, with no socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx2

from .render import ConnectionDropped

if TYPE_CHECKING:
    from .model import ScriptedModel

__all__ = ["ScriptedTransport"]


class ScriptedTransport(httpx2.AsyncBaseTransport):
    """Use as `httpx2.AsyncClient(transport=ScriptedTransport(model))`; faults surface as httpx2 errors."""

    def __init__(self, model: ScriptedModel) -> None:
        self.model = model

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        from .model import ScriptedTimeout

        body = await request.aread()
        try:
            answer = await self.model.handle(
                request.method,
                request.url.raw_path.decode("ascii"),
                dict(request.headers),
                body,
                read_timeout=_read_timeout(request),
            )
        except ScriptedTimeout as err:
            # What a real socket read would raise; the SDK turns it into APITimeoutError.
            raise httpx2.ReadTimeout(str(err), request=request) from None
        if answer.stream is None:
            return httpx2.Response(answer.status, headers=answer.headers, content=answer.body or b"")
        return httpx2.Response(answer.status, headers=answer.headers, stream=_Body(answer.stream, request))


def _read_timeout(request: httpx2.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        read = timeout.get("read")
        return float(read) if read is not None else None
    return None


class _Body(httpx2.AsyncByteStream):
    """The response body; a scripted drop becomes the error a half-closed HTTP/1.1 connection gives."""

    def __init__(self, source: AsyncIterator[bytes], request: httpx2.Request) -> None:
        self._source = source
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._source:
                yield chunk
        except ConnectionDropped as err:
            raise httpx2.RemoteProtocolError(
                f"peer closed connection without sending complete message body ({err})", request=self._request
            ) from None

    async def aclose(self) -> None:
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()
