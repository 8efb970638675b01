"""The scripted model refuses what the real Messages API refuses, with a 400 that names the problem."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import pytest

from codeframe_tui.llm.scripted import ScriptedModel, ScriptedServer, TextReply

TOOL = {
    "name": "write_file",
    "description": "Write one file.",
    "input_schema": {
        "type": "object",
        "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
        "required": ["path"],
    },
}
TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "write_file", "input": {"path": "a.py"}}
TOOL_RESULT = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "written"}
OLDER = "claude-haiku-4-5"  # no adaptive thinking, forced tool_choice allowed
BASE = {"model": "claude-test", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}], "tools": [TOOL]}


def body_with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = copy.deepcopy(BASE)
    change(body)
    return body


def conversation(*messages: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda b: b.update(messages=list(messages))


def schema(input_schema: Any) -> Callable[[dict[str, Any]], None]:
    return lambda b: b.update(tools=[{"name": "t", "input_schema": input_schema}])


def on_older(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """The same change, sent to a model without adaptive thinking."""
    return lambda b: (b.update(model=OLDER), change(b))


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def assistant(content: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


REJECTED = {
    "missing max_tokens": (lambda b: b.pop("max_tokens"), "max_tokens: Field required"),
    "zero max_tokens": (lambda b: b.update(max_tokens=0), "max_tokens"),
    "bool max_tokens": (lambda b: b.update(max_tokens=True), "max_tokens"),
    "missing model": (lambda b: b.pop("model"), "model: Field required"),
    "empty model": (lambda b: b.update(model=""), "model"),
    "no messages": (lambda b: b.update(messages=[]), "at least one message"),
    "bad role": (conversation({"role": "system", "content": "x"}), "messages.0.role"),
    "assistant first": (conversation(assistant("hi"), user("go")), "first message"),
    "non-alternating": (conversation(user("a"), user("b")), "roles must alternate"),
    "empty text block": (conversation(user([{"type": "text", "text": ""}])), "text content blocks must be non-empty"),
    "empty string content": (conversation(user("")), "non-empty content"),
    "empty block list": (conversation(user([])), "non-empty content"),
    "unknown block type": (conversation(user([{"type": "video", "url": "x"}])), "does not match any of the expected"),
    "message extra key": (conversation({"role": "user", "content": "a", "name": "x"}), "Extra inputs are not"),
    "unanswered tool_use": (
        conversation(user("go"), assistant([TOOL_USE]), user("and?")),
        "without `tool_result` blocks immediately after: toolu_1",
    ),
    "unknown tool_result id": (
        conversation(user("go"), assistant([TOOL_USE]), user([TOOL_RESULT, {**TOOL_RESULT, "tool_use_id": "toolu_9"}])),
        "unexpected `tool_use_id` found in `tool_result` blocks: toolu_9",
    ),
    "tool_result without tool_use": (conversation(user([TOOL_RESULT])), "unexpected `tool_use_id`"),
    "tool_result not first": (
        conversation(user("go"), assistant([TOOL_USE]), user([{"type": "text", "text": "x"}, TOOL_RESULT])),
        "must come before any other content",
    ),
    "duplicate tool_use id": (
        conversation(user("a"), assistant([TOOL_USE]), user([TOOL_RESULT]), assistant([TOOL_USE]), user([TOOL_RESULT])),
        "ids must be unique",
    ),
    "final assistant tool_use": (conversation(user("go"), assistant([TOOL_USE])), "final assistant message"),
    "prefill trailing whitespace": (conversation(user("go"), assistant("The answer is ")), "trailing whitespace"),
    "tool_use in a user message": (conversation(user([TOOL_USE])), "not allowed in user messages"),
    "tool blocks without tools": (
        lambda b: (b.pop("tools"), b.update(messages=[user("go"), assistant([TOOL_USE]), user([TOOL_RESULT])])),
        "must define tools",
    ),
    "bad tool name": (lambda b: b.update(tools=[{**TOOL, "name": "write file"}]), "tools.0.custom.name"),
    "long tool name": (lambda b: b.update(tools=[{**TOOL, "name": "x" * 65}]), "String should match pattern"),
    "duplicate tool names": (lambda b: b.update(tools=[TOOL, TOOL]), "Tool names must be unique"),
    "missing input_schema": (lambda b: b.update(tools=[{"name": "t"}]), "input_schema: Field required"),
    "schema not an object type": (schema({"type": "string"}), "input_schema.type"),
    "schema bad type name": (schema({"type": "object", "properties": {"a": {"type": "strin"}}}), "not a valid JSON"),
    "schema required unknown": (schema({"type": "object", "properties": {}, "required": ["path"]}), "defined: path"),
    "schema required not strings": (schema({"type": "object", "required": "path"}), "array of strings"),
    "schema properties not a dict": (schema({"type": "object", "properties": ["a"]}), "properties"),
    "schema items not a schema": (
        schema({"type": "object", "properties": {"a": {"type": "array", "items": "string"}}}),
        "properties.a.items",
    ),
    "schema enum not a list": (schema({"type": "object", "properties": {"a": {"enum": "x"}}}), "enum"),
    "schema additionalProperties": (schema({"type": "object", "additionalProperties": "no"}), "additionalProperties"),
    "schema nested in anyOf": (
        schema({"type": "object", "properties": {"a": {"anyOf": [{"type": "nope"}]}}}),
        "properties.a.anyOf.0.type",
    ),
    "tool_choice unknown tool": (lambda b: b.update(tool_choice={"type": "tool", "name": "nope"}), "not found"),
    "tool_choice bad type": (lambda b: b.update(tool_choice={"type": "required"}), "tool_choice.type"),
    "tool_choice without tools": (
        lambda b: (b.pop("tools"), b.update(tool_choice={"type": "any"})),
        "while providing tools",
    ),
    # The 2.x SDK sends anthropic-version 2026-10-21, which has no sampling parameters at all.
    "temperature on 2026-10-21": (lambda b: b.update(temperature=1.0), "temperature: Extra inputs are not permitted"),
    "top_k on 2026-10-21": (lambda b: b.update(top_k=5), "top_k: Extra inputs are not permitted"),
    "forced tool_choice on a model that refuses it": (
        lambda b: b.update(tool_choice={"type": "any"}),
        'tool_choice: type "tool" and "any" are not supported for this model.',
    ),
    "prefill on a model that does not take it": (
        conversation(user("go"), assistant("The answer is")),
        "This model does not support assistant message prefill. The conversation must end with a user message.",
    ),
    "tool loop without the thinking block": (
        conversation(user("go"), assistant([{"type": "text", "text": "Writing."}, TOOL_USE]), user([TOOL_RESULT])),
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`.",
    ),
    "redacted_thinking without data": (
        conversation(user("go"), assistant([{"type": "redacted_thinking"}, TOOL_USE]), user([TOOL_RESULT])),
        "messages.1.content.0.data: Field required",
    ),
    "thinking block in a user turn": (
        conversation(user([{"type": "redacted_thinking", "data": "x"}])),
        "`redacted_thinking` blocks are not allowed in user messages",
    ),
    "stream not bool": (lambda b: b.update(stream="yes"), "stream"),
    "stop_sequences not list": (lambda b: b.update(stop_sequences="END"), "stop_sequences"),
    "metadata extra key": (lambda b: b.update(metadata={"team": "x"}), "metadata.team"),
    "unknown top-level key": (lambda b: b.update(temprature=0.5), "temprature: Extra inputs are not permitted"),
    "system block not text": (lambda b: b.update(system=[{"type": "image", "source": {}}]), "system.0.type"),
    "bad cache_control": (
        lambda b: b.update(system=[{"type": "text", "text": "s", "cache_control": {"type": "forever"}}]),
        "cache_control",
    ),
    "too many cache_control": (
        lambda b: b.update(system=[{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}] * 5),
        "A maximum of 4 blocks with cache_control",
    ),
}  # fmt: skip

ACCEPTED = {
    # Models before the adaptive-thinking generation still take a prefill and a tool loop without thinking.
    "prefill": on_older(conversation(user("go"), assistant("The answer is"))),
    "tool round trip with error result": on_older(conversation(
        user("go"),
        assistant([{"type": "text", "text": "Writing."}, TOOL_USE]),
        user([
            {**TOOL_RESULT, "is_error": True, "content": [{"type": "text", "text": "disk full"}]},
            {"type": "text", "text": "retry"},
        ]),
    )),
    "cache_control everywhere": lambda b: b.update(
        system=[{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}],
        tools=[{**TOOL, "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        messages=[user([{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}])],
    ),
    "image block": conversation(
        user([{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}])
    ),
    "options": lambda b: b.update(
        stop_sequences=["END"], metadata={"user_id": "u1"}, output_config={"effort": "low"},
        tool_choice={"type": "auto", "disable_parallel_tool_use": True}, thinking={"type": "adaptive"},
    ),
    "forced tool_choice on a model that takes it": lambda b: b.update(
        model=OLDER, tool_choice={"type": "any", "disable_parallel_tool_use": True},
    ),
    "rich schema": schema({
        "type": "object",
        "properties": {
            "files": {"type": "array", "items": {"type": "object", "properties": {"path": {"type": "string"}},
                                                 "required": ["path"], "additionalProperties": False}},
            "mode": {"enum": ["a", "b"]}, "size": {"type": ["integer", "null"], "minimum": 0},
            "extra": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/x"}]},
        },
        "$defs": {"x": {"type": "object", "additionalProperties": {"type": "string"}}},
    }),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REJECTED))
async def test_each_rule_gives_bad_request_and_is_recorded(case: str) -> None:
    change, expected = REJECTED[case]
    body = body_with(change)
    model = ScriptedModel(lambda r: TextReply("ok"))
    client = model.client(max_retries=0)
    try:
        with pytest.raises(anthropic.BadRequestError) as caught:
            await client.post("/v1/messages", cast_to=anthropic.types.Message, body=body)
    finally:
        await client.close()
    assert caught.value.status_code == 400
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert expected in caught.value.message
    assert model.rejected == [(body, caught.value.body["error"]["message"])]
    assert expected in model.rejected[0][1]
    assert model.requests == []


@pytest.mark.parametrize("case", list(ACCEPTED))
async def test_valid_requests_pass(case: str) -> None:
    model = ScriptedModel(lambda r: TextReply("ok"))
    client = model.client(max_retries=0)
    try:
        message = await client.post("/v1/messages", cast_to=anthropic.types.Message, body=body_with(ACCEPTED[case]))
    finally:
        await client.close()
    assert message.content[-1].text == "ok"
    assert model.rejected == [] and len(model.requests) == 1


async def test_the_server_rejects_the_same_way() -> None:
    model = ScriptedModel(lambda r: TextReply("ok"))
    async with ScriptedServer(model) as server:
        client = server.client(max_retries=0)
        try:
            with pytest.raises(anthropic.BadRequestError, match="roles must alternate"):
                await client.messages.create(model="m", max_tokens=10, messages=[user("a"), user("b")])
            with pytest.raises(anthropic.BadRequestError, match="Extra inputs are not permitted"):
                await client.messages.create(
                    model="m", max_tokens=10, messages=[user("a")], extra_body={"reasoning": True}
                )
        finally:
            await client.close()
    assert [reason.split(":")[0] for _, reason in model.rejected] == ["messages.1", "reasoning"]


@pytest.mark.parametrize(
    ("method", "path", "headers", "content", "status", "error_type"),
    [
        ("GET", "/v1/messages", {"x-api-key": "k", "anthropic-version": "v"}, b"", 404, "not_found_error"),
        ("POST", "/v1/complete", {"x-api-key": "k", "anthropic-version": "v"}, b"{}", 404, "not_found_error"),
        ("POST", "/v1/messages", {"anthropic-version": "v"}, json.dumps(BASE).encode(), 401, "authentication_error"),
        ("POST", "/v1/messages", {"x-api-key": "k"}, json.dumps(BASE).encode(), 400, "invalid_request_error"),
        ("POST", "/v1/messages", {"authorization": "Bearer k", "anthropic-version": "v"}, b"{nope", 400,
         "invalid_request_error"),
        ("POST", "/v1/messages", {"x-api-key": "k", "anthropic-version": "v"}, b"[1, 2]", 400, "invalid_request_error"),
    ],
)  # fmt: skip
async def test_http_level_checks(method, path, headers, content, status, error_type) -> None:
    model = ScriptedModel(lambda r: TextReply("ok"))
    async with httpx2.AsyncClient(transport=model.transport(), base_url="http://scripted.invalid") as http:
        response = await http.request(method, path, headers=headers, content=content)
    assert response.status_code == status
    error = response.json()
    assert error["type"] == "error" and set(error["error"]) == {"type", "message"}
    assert error["error"]["type"] == error_type
    # Only 400s are "rejected"; the body is kept when it was a JSON object.
    if status == 400:
        recorded_body, reason = model.rejected[-1]
        assert recorded_body == (BASE if content.startswith(b'{"') else None)
        assert reason == response.json()["error"]["message"]
    else:
        assert model.rejected == []
    assert model.requests == []
