"""The loopback HTTP/1.1 server: framing, keep-alive, drops, and a clean shutdown."""

from __future__ import annotations

import asyncio
import json
import logging

import anthropic
import pytest

from codeframe_tui.llm.scripted import DropReply, ScriptedModel, ScriptedServer, StallReply, TextReply, ToolUseReply

BODY = json.dumps({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}).encode()


def raw_request(path: str = "/v1/messages", body: bytes = BODY, *, close: bool = False) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
    )
    if close:
        head += "connection: close\r\n"
    return head.encode() + b"\r\n" + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Read one response with Content-Length framing."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in head[1:] if line)
    return int(head[0].split()[1]), headers, await reader.readexactly(int(headers["content-length"]))


def server_tasks() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if "_serve" in repr(t.get_coro())]


async def test_base_url_needs_a_started_server() -> None:
    server = ScriptedServer(ScriptedModel(lambda r: TextReply("ok")))
    with pytest.raises(RuntimeError):
        server.base_url
    async with server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.port > 0
    await server.close()  # closing twice is harmless


async def test_keep_alive_then_connection_close() -> None:
    model = ScriptedModel(lambda r: TextReply(f"answer {len(model.requests)}"))
    async with ScriptedServer(model) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(raw_request())
        first = await read_response(reader)
        writer.write(raw_request(close=True))
        second = await read_response(reader)
        assert await reader.read() == b""  # the server closed after `connection: close`
        writer.close()
        await writer.wait_closed()
    assert first[0] == second[0] == 200
    # Raw HTTP gets the thinking block first too, as with the real API.
    assert [block["type"] for block in json.loads(first[2])["content"]] == ["thinking", "text"]
    assert json.loads(first[2])["content"][-1]["text"] == "answer 1"
    assert json.loads(second[2])["content"][-1]["text"] == "answer 2"
    assert second[1]["connection"] == "close"


async def test_unknown_path_is_404_in_api_error_shape() -> None:
    async with ScriptedServer(ScriptedModel(lambda r: TextReply("ok"))) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(raw_request("/v1/nope", close=True))
        status, headers, body = await read_response(reader)
        writer.close()
        await writer.wait_closed()
    assert status == 404 and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["type"] == "not_found_error"


async def test_stream_is_chunked_and_a_drop_cuts_it_without_the_last_chunk() -> None:
    model = ScriptedModel(lambda r: DropReply(after_bytes=100))
    async with ScriptedServer(model) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        body = json.loads(BODY)
        writer.write(raw_request(body=json.dumps({**body, "stream": True}).encode()))
        data = await asyncio.wait_for(reader.read(), timeout=5)  # until the server closes the socket
        writer.close()
        await writer.wait_closed()
    head, _, chunks = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head and b"text/event-stream" in head
    assert chunks.startswith(b"64\r\nevent: message_start")  # 0x64 == the 100 bytes before the drop
    assert not chunks.endswith(b"0\r\n\r\n")


async def test_close_ends_stalled_connections_cleanly(caplog: pytest.LogCaptureFixture) -> None:
    model = ScriptedModel(lambda r: StallReply(30.0, TextReply("never")))
    caplog.set_level(logging.WARNING)
    server = ScriptedServer(model)
    await server.start()
    client = server.client(max_retries=0, timeout=0.2)
    with pytest.raises(anthropic.APITimeoutError):
        await client.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    await client.close()
    # A second connection is still open and idle-waiting for a request when the server closes.
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    await asyncio.sleep(0.01)
    assert server_tasks()
    await asyncio.wait_for(server.close(), timeout=2)
    assert server_tasks() == []
    assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_many_concurrent_streams_share_the_server() -> None:
    model = ScriptedModel(lambda r: ToolUseReply("t", {"n": r.last_user_text()}), latency=0.05, chunk_size=4)
    tool = {"name": "t", "input_schema": {"type": "object", "properties": {"n": {"type": "string"}}}}

    async def agent(client: anthropic.AsyncAnthropic, n: int) -> dict:
        async with client.messages.stream(
            model="m", max_tokens=50, tools=[tool], messages=[{"role": "user", "content": f"agent {n}"}]
        ) as stream:
            return (await stream.get_final_message()).content[-1].input

    async with ScriptedServer(model) as server:
        client = server.client()
        try:
            results = await asyncio.gather(*(agent(client, n) for n in range(10)))
        finally:
            await client.close()
    assert results == [{"n": f"agent {n}"} for n in range(10)]
