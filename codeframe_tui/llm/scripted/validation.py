"""Strict validation of a Messages API request body, with the real API's kind of messages."""

from __future__ import annotations

import re
from typing import Any

from ..models import refuses_forced_tool_choice
from .conversation import check_cache_control, check_messages
from .errors import InvalidRequest
from .schema import SchemaError, check_input_schema

__all__ = ["InvalidRequest", "validate_body"]

TOP_LEVEL_KEYS = frozenset(
    {
        "model", "max_tokens", "messages", "system", "tools", "tool_choice", "temperature", "top_p",
        "top_k", "stop_sequences", "stream", "metadata", "thinking", "service_tier",
    }
)  # fmt: skip
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
TOOL_CHOICE_TYPES = ("auto", "any", "none", "tool")
MAX_CACHE_BREAKPOINTS = 4


def validate_body(body: Any) -> None:
    """Raise InvalidRequest naming the first problem found in `body`."""
    if not isinstance(body, dict):
        raise InvalidRequest("Input should be a valid dictionary or object to extract fields from")
    for key in body:
        if key not in TOP_LEVEL_KEYS:
            raise InvalidRequest(f"{key}: Extra inputs are not permitted")
    model = _required(body, "model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequest("model: Input should be a non-empty string")
    max_tokens = _required(body, "max_tokens")
    if not _is_int(max_tokens) or max_tokens < 1:
        raise InvalidRequest("max_tokens: Input should be an integer greater than or equal to 1")
    _check_options(body)
    _check_system(body.get("system"))
    tool_names = _check_tools(body.get("tools"))
    _check_tool_choice(body.get("tool_choice"), tool_names, "tools" in body)
    if isinstance(body.get("tool_choice"), dict) and body["tool_choice"].get("type") in ("any", "tool") \
            and refuses_forced_tool_choice(str(body.get("model", ""))):
        raise InvalidRequest(f"tool_choice: forcing tool use is not supported with {body['model']}; "
                             "use tool_choice {\"type\": \"auto\"}")
    messages = _required(body, "messages")
    check_messages(messages, tools_defined="tools" in body)
    _check_cache_breakpoints(body)


def _required(body: dict[str, Any], key: str) -> Any:
    if key not in body:
        raise InvalidRequest(f"{key}: Field required")
    return body[key]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_options(body: dict[str, Any]) -> None:
    for key in ("temperature", "top_p"):
        if key in body and not (_is_number(body[key]) and 0 <= body[key] <= 1):
            raise InvalidRequest(f"{key}: Input should be a number between 0 and 1")
    if "top_k" in body and not (_is_int(body["top_k"]) and body["top_k"] >= 0):
        raise InvalidRequest("top_k: Input should be a non-negative integer")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise InvalidRequest("stream: Input should be a valid boolean")
    if "stop_sequences" in body:
        stops = body["stop_sequences"]
        if not isinstance(stops, list) or not all(isinstance(s, str) and s.strip() for s in stops):
            raise InvalidRequest("stop_sequences: Input should be a list of non-whitespace strings")
    if "metadata" in body:
        metadata = body["metadata"]
        if not isinstance(metadata, dict):
            raise InvalidRequest("metadata: Input should be a valid dictionary")
        for key, value in metadata.items():
            if key != "user_id":
                raise InvalidRequest(f"metadata.{key}: Extra inputs are not permitted")
            if value is not None and not isinstance(value, str):
                raise InvalidRequest("metadata.user_id: Input should be a valid string")
    if "service_tier" in body and body["service_tier"] not in ("auto", "standard_only"):
        raise InvalidRequest("service_tier: Input should be 'auto' or 'standard_only'")
    if "thinking" in body:
        _check_thinking(body["thinking"], body["max_tokens"])


def _check_thinking(thinking: Any, max_tokens: int) -> None:
    if not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "disabled"):
        raise InvalidRequest("thinking.type: Input should be 'enabled' or 'disabled'")
    if thinking["type"] == "enabled":
        budget = thinking.get("budget_tokens")
        if not _is_int(budget) or budget < 1024:
            raise InvalidRequest("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
        if budget >= max_tokens:
            raise InvalidRequest("`max_tokens` must be greater than `thinking.budget_tokens`")


def _check_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise InvalidRequest("system: Input should be a valid string or a list of text blocks")
    for index, block in enumerate(system):
        where = f"system.{index}"
        if not isinstance(block, dict) or block.get("type") != "text":
            raise InvalidRequest(f"{where}.type: Input should be 'text'")
        text = block.get("text")
        if not isinstance(text, str) or not text:
            raise InvalidRequest(f"{where}.text: system text blocks must be non-empty")
        check_cache_control(block, where)


def _check_tools(tools: Any) -> list[str]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise InvalidRequest("tools: Input should be a valid list")
    names: list[str] = []
    for index, tool in enumerate(tools):
        where = f"tools.{index}"
        if not isinstance(tool, dict):
            raise InvalidRequest(f"{where}: Input should be a valid dictionary")
        # Server tools (web search, code execution...) have a dated `type`; the scripted model has none.
        if tool.get("type", "custom") != "custom":
            raise InvalidRequest(f"{where}.type: the scripted model only offers custom tools")
        name = tool.get("name")
        if not isinstance(name, str) or not TOOL_NAME.match(name):
            raise InvalidRequest(f"{where}.custom.name: String should match pattern '{TOOL_NAME.pattern}'")
        if name in names:
            raise InvalidRequest(f"tools: Tool names must be unique. Found duplicate: {name}")
        names.append(name)
        if "description" in tool and not isinstance(tool["description"], str):
            raise InvalidRequest(f"{where}.custom.description: Input should be a valid string")
        if "input_schema" not in tool:
            raise InvalidRequest(f"{where}.custom.input_schema: Field required")
        try:
            check_input_schema(tool["input_schema"], f"{where}.custom.input_schema")
        except SchemaError as err:
            raise InvalidRequest(f"{err.path}: JSON schema is invalid: {err.problem}") from None
        check_cache_control(tool, where)
    return names


def _check_tool_choice(choice: Any, tool_names: list[str], tools_given: bool) -> None:
    if choice is None:
        return
    if not isinstance(choice, dict) or choice.get("type") not in TOOL_CHOICE_TYPES:
        raise InvalidRequest("tool_choice.type: Input should be 'auto', 'any', 'none' or 'tool'")
    if "disable_parallel_tool_use" in choice and not isinstance(choice["disable_parallel_tool_use"], bool):
        raise InvalidRequest("tool_choice.disable_parallel_tool_use: Input should be a valid boolean")
    if choice["type"] in ("any", "tool") and not tools_given:
        raise InvalidRequest("tool_choice: tool_choice may only be specified while providing tools")
    if choice["type"] == "tool":
        name = choice.get("name")
        if not isinstance(name, str):
            raise InvalidRequest("tool_choice.tool.name: Field required")
        if name not in tool_names:
            raise InvalidRequest(f"tool_choice.tool.name: Tool '{name}' not found in provided tools")


def _check_cache_breakpoints(body: dict[str, Any]) -> None:
    blocks: list[Any] = []
    if isinstance(body.get("system"), list):
        blocks.extend(body["system"])
    blocks.extend(body.get("tools") or [])
    for message in body["messages"]:
        if isinstance(message["content"], list):
            blocks.extend(message["content"])
    count = sum(1 for block in blocks if isinstance(block, dict) and block.get("cache_control"))
    if count > MAX_CACHE_BREAKPOINTS:
        raise InvalidRequest(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {count}."
        )
