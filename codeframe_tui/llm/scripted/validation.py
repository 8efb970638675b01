"""Strict validation of a Messages API request body, with the real API's kind of messages."""

from __future__ import annotations

from typing import Any

from ..models import refuses_forced_tool_choice
from .conversation import check_cache_control, check_messages
from .errors import InvalidRequest
from .options import SAMPLING_KEYS, check_output_config, check_sampling, check_thinking, removes_sampling
from .tooldefs import check_tools

__all__ = ["InvalidRequest", "validate_body"]

TOP_LEVEL_KEYS = frozenset(
    {
        "model", "max_tokens", "messages", "system", "tools", "tool_choice", "temperature", "top_p",
        "top_k", "stop_sequences", "stream", "metadata", "thinking", "service_tier", "output_config",
    }
)  # fmt: skip
TOOL_CHOICE_TYPES = ("auto", "any", "none", "tool")
MAX_CACHE_BREAKPOINTS = 4
# The API's answer to tool_choice "any"/"tool" on the models that refuse forced tool use.
FORCED_TOOL_CHOICE = 'tool_choice: type "tool" and "any" are not supported for this model.'


def validate_body(body: Any, api_version: str = "2023-06-01") -> None:
    """Raise InvalidRequest naming the first problem found in `body`, as sent with `api_version`."""
    if not isinstance(body, dict):
        raise InvalidRequest("Input should be a valid dictionary or object to extract fields from")
    # From 2026-10-21 the sampling parameters are gone from the request schema, so they are unknown fields.
    known = TOP_LEVEL_KEYS - set(SAMPLING_KEYS) if removes_sampling(api_version) else TOP_LEVEL_KEYS
    for key in body:
        if key not in known:
            raise InvalidRequest(f"{key}: Extra inputs are not permitted")
    model = _required(body, "model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequest("model: Input should be a non-empty string")
    max_tokens = _required(body, "max_tokens")
    if not _is_int(max_tokens) or max_tokens < 1:
        raise InvalidRequest("max_tokens: Input should be an integer greater than or equal to 1")
    _check_options(body)
    _check_system(body.get("system"))
    tool_names = check_tools(body.get("tools"), model)
    _check_tool_choice(body.get("tool_choice"), tool_names, "tools" in body)
    if (
        isinstance(body.get("tool_choice"), dict)
        and body["tool_choice"].get("type") in ("any", "tool")
        and refuses_forced_tool_choice(model)
    ):
        raise InvalidRequest(FORCED_TOOL_CHOICE)
    messages = _required(body, "messages")
    check_messages(messages, tools_defined="tools" in body)
    _check_cache_breakpoints(body)


def _required(body: dict[str, Any], key: str) -> Any:
    if key not in body:
        raise InvalidRequest(f"{key}: Field required")
    return body[key]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_options(body: dict[str, Any]) -> None:
    check_sampling(body)
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
        check_thinking(body["thinking"], body["model"], body["max_tokens"])
    if "output_config" in body:
        check_output_config(body["output_config"])


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
