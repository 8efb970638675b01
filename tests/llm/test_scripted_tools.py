"""Tool definitions, tool_choice and request options the current models and API version take or refuse."""

from __future__ import annotations

import copy
import json
from typing import Any

import anthropic
import httpx2
import pytest

from codeframe_tui.llm.scripted import ScriptedModel, TextReply, ToolUseReply
from codeframe_tui.llm.tools import EDITOR, SEARCH_TOOL, worker_tools

MODEL = "claude-sonnet-5-5"
EDITOR_TOOL = {"type": "text_editor_20250728", "name": EDITOR, "max_characters": 20_000}
STRICT = {
    "name": "run",
    "strict": True,
    "input_schema": {
        "type": "object",
        "properties": {
            "args": {"type": "array", "items": {"type": "string"}},
            "env": {"type": "object", "properties": {"CI": {"type": "string"}}, "additionalProperties": False},
        },
        "required": [],
        "additionalProperties": False,
    },
}


def changed(tool: dict[str, Any], **changes: Any) -> dict[str, Any]:
    tool = copy.deepcopy(tool)
    tool.update(changes)
    return {k: v for k, v in tool.items() if v is not None}


def schema_changed(path: list[str], value: Any) -> dict[str, Any]:
    tool = copy.deepcopy(STRICT)
    node = tool["input_schema"]
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return tool


async def send(tools: list[dict[str, Any]], model_name: str = MODEL, **extra: Any) -> anthropic.types.Message:
    model = ScriptedModel(lambda r: TextReply("ok"))
    client = model.client(max_retries=0)
    try:
        return await client.messages.create(
            model=model_name, max_tokens=100, tools=tools, messages=[{"role": "user", "content": "hi"}], **extra
        )
    finally:
        await client.close()


@pytest.mark.parametrize(
    "tools",
    [
        worker_tools(MODEL),
        [EDITOR_TOOL],
        [changed(EDITOR_TOOL, max_characters=None)],
        [changed(EDITOR_TOOL, cache_control={"type": "ephemeral"}), STRICT],
        [changed(STRICT, strict=False, input_schema={"type": "object", "properties": {"n": {"minimum": 0}}})],
    ],
    ids=["worker tools", "editor", "editor without max_characters", "editor cached and a strict tool", "not strict"],
)
async def test_tools_the_api_takes(tools) -> None:
    message = await send(tools)
    assert message.content[-1].text == "ok"


@pytest.mark.parametrize(
    ("tools", "expected"),
    [
        ([changed(EDITOR_TOOL, name="str_replace_editor")], "tools.0.text_editor_20250728.name: Input should be "
                                                             "'str_replace_based_edit_tool'"),
        ([changed(EDITOR_TOOL, type="text_editor_20990101")], "Input tag 'text_editor_20990101' found using 'type'"),
        ([{"type": "text_editor_20250124", "name": "str_replace_editor"}], "'text_editor_20250124' is not supported"),
        ([changed(EDITOR_TOOL, max_characters=0)], "max_characters"),
        ([changed(EDITOR_TOOL, input_schema={"type": "object"})], "input_schema: Extra inputs are not permitted"),
        ([EDITOR_TOOL, changed(SEARCH_TOOL, name=EDITOR)], "Found duplicate: str_replace_based_edit_tool"),
        ([changed(STRICT, strict="yes")], "tools.0.custom.strict: Input should be a valid boolean"),
        ([schema_changed(["additionalProperties"], None)],
         "tools.0.custom: For 'object' type, 'additionalProperties' must be explicitly set to false"),
        ([schema_changed(["properties", "env", "additionalProperties"], None)], "must be explicitly set to false"),
        ([schema_changed(["additionalProperties"], {"type": "string"})], "must be explicitly set to false"),
        ([schema_changed(["properties", "args", "maxItems"], 3)], "'maxItems' is not supported"),
        ([schema_changed(["properties", "args", "items", "minLength"], 1)], "'minLength' is not supported"),
        ([changed(STRICT, stric=True)], "tools.0.custom.stric: Extra inputs are not permitted"),
        ([{"type": "web_search_20250305", "name": "web_search"}], "tools.0.type"),
    ],
    ids=[
        "editor wrong name", "editor unknown version", "editor version the model does not take",
        "editor max_characters 0", "editor with a schema", "duplicate name", "strict not a boolean",
        "strict open object", "strict open nested object", "strict schema-valued additionalProperties",
        "strict maxItems", "strict minLength", "misspelt key", "server tool",
    ],
)  # fmt: skip
async def test_tools_the_api_refuses(tools, expected) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        await send(tools)
    assert caught.value.status_code == 400
    assert expected in caught.value.message


@pytest.mark.parametrize("choice", [{"type": "any"}, {"type": "tool", "name": "search"}])
async def test_forced_tool_choice_is_refused_where_the_model_refuses_it(choice) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        await send(worker_tools(MODEL), tool_choice=choice)
    assert 'tool_choice: type "tool" and "any" are not supported for this model.' in caught.value.message
    message = await send(worker_tools("claude-haiku-4-5"), "claude-haiku-4-5", tool_choice=choice)
    assert message.content[-1].text == "ok"


async def test_auto_and_none_tool_choice_are_fine() -> None:
    for choice in ({"type": "auto", "disable_parallel_tool_use": True}, {"type": "none"}):
        assert (await send(worker_tools(MODEL), tool_choice=choice)).content[-1].text == "ok"


@pytest.mark.parametrize("key, value", [("temperature", 1.0), ("top_p", 0.9), ("top_k", 5)])
async def test_sampling_parameters_are_gone_from_api_version_2026_10_21(key, value) -> None:
    # The 2.x SDK sends anthropic-version 2026-10-21, and has no sampling arguments any more.
    for model_name in (MODEL, "claude-haiku-4-5"):
        with pytest.raises(anthropic.BadRequestError) as caught:
            await send([], model_name, extra_body={key: value})
        assert f"{key}: Extra inputs are not permitted" in caught.value.message


@pytest.mark.parametrize(
    ("model_name", "status", "message"),
    [(MODEL, 400, "`temperature` is deprecated for this model."), ("claude-haiku-4-5", 200, None)],
)
async def test_sampling_on_the_older_api_version(model_name, status, message) -> None:
    model = ScriptedModel(lambda r: TextReply("ok"))
    body = {"model": model_name, "max_tokens": 10, "temperature": 0.2, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}
    async with httpx2.AsyncClient(transport=model.transport(), base_url="http://scripted.invalid") as http:
        response = await http.post("/v1/messages", headers=headers, content=json.dumps(body).encode())
    assert response.status_code == status
    if message is not None:
        assert response.json()["error"] == {"type": "invalid_request_error", "message": message}


async def test_the_worker_tool_loop_with_the_editor_tool(connect) -> None:
    model = ScriptedModel(lambda r: ToolUseReply(EDITOR, {"command": "view", "path": "src/app.py"}))
    client = await connect(model)
    tools = worker_tools(MODEL)
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Read src/app.py."}]
    for _ in range(3):
        answer = await client.messages.create(model=MODEL, max_tokens=500, tools=tools, messages=messages)
        thinking, call = answer.content
        assert thinking.type == "thinking" and call.name == EDITOR
        messages.append({"role": "assistant", "content": [b.to_dict() for b in answer.content]})
        messages.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "1: def main():"}]}
        )
    assert model.rejected == []
