"""Validation of the `messages` list: roles, content blocks and the tool_use/tool_result pairing."""

from __future__ import annotations

from typing import Any

from .errors import InvalidRequest

__all__ = ["check_cache_control", "check_messages"]

BLOCK_TYPES = ("text", "image", "tool_use", "tool_result", "document", "thinking", "redacted_thinking")
# Which side of the conversation may send which block.
USER_ONLY = frozenset({"image", "document", "tool_result"})
ASSISTANT_ONLY = frozenset({"tool_use", "thinking", "redacted_thinking"})
MESSAGE_KEYS = frozenset({"role", "content"})


def check_cache_control(block: dict[str, Any], where: str) -> None:
    """Accept only the ephemeral cache_control marker the API knows."""
    if block.get("cache_control") is None:
        return
    marker = block["cache_control"]
    if not isinstance(marker, dict) or marker.get("type") != "ephemeral":
        raise InvalidRequest(f"{where}.cache_control.type: Input should be 'ephemeral'")
    if set(marker) - {"type", "ttl"} or marker.get("ttl", "5m") not in ("5m", "1h"):
        raise InvalidRequest(f"{where}.cache_control: only 'type' and a 'ttl' of '5m' or '1h' are permitted")


def check_messages(messages: Any, *, tools_defined: bool) -> None:
    """Raise InvalidRequest naming the first broken rule in `messages`."""
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages: at least one message is required")
    seen_tool_ids: set[str] = set()
    for index, message in enumerate(messages):
        _check_message(message, index, last=index == len(messages) - 1)
    if messages[0]["role"] != "user":
        raise InvalidRequest("messages.0.role: the first message must use the 'user' role")
    for index in range(1, len(messages)):
        if messages[index]["role"] == messages[index - 1]["role"] and not _resumed(messages, index):
            role = messages[index]["role"]
            raise InvalidRequest(
                f'messages.{index}: roles must alternate between "user" and "assistant", '
                f'but found multiple "{role}" roles in a row'
            )
    uses_tools = False
    for index, message in enumerate(messages):
        ids = _tool_use_ids(message, index, seen_tool_ids)
        results = _tool_result_ids(message, index)
        uses_tools = uses_tools or bool(ids) or bool(results)
        if results:
            previous = _tool_use_ids(messages[index - 1], index - 1, set()) if index else []
            unknown = [tool_id for tool_id in results if tool_id not in previous]
            if unknown:
                raise InvalidRequest(
                    f"messages.{index}.content: unexpected `tool_use_id` found in `tool_result` blocks: "
                    f"{', '.join(unknown)}. Each `tool_result` block must have a corresponding `tool_use` "
                    "block in the previous message."
                )
        if ids:
            _check_answered(messages, index, ids)
    # The API needs the tool definitions to make sense of earlier tool turns.
    if uses_tools and not tools_defined:
        raise InvalidRequest("Requests which include `tool_use` or `tool_result` blocks must define tools.")


def _resumed(messages: list[dict[str, Any]], index: int) -> bool:
    """An answer to a turn that ended with `pause_turn`: the docs say to send the paused turn back
    as it is, and the API joins consecutive assistant messages into one turn. Only an assistant
    turn without tool calls (those need their results next) can be paused and joined so."""
    earlier = messages[index - 1]
    return messages[index]["role"] == "assistant" and earlier["role"] == "assistant" \
        and not any(b["type"] == "tool_use" for b in _blocks(earlier))


def _check_message(message: Any, index: int, *, last: bool) -> None:
    where = f"messages.{index}"
    if not isinstance(message, dict):
        raise InvalidRequest(f"{where}: Input should be a valid dictionary")
    for key in message:
        if key not in MESSAGE_KEYS:
            raise InvalidRequest(f"{where}.{key}: Extra inputs are not permitted")
    if message.get("role") not in ("user", "assistant"):
        raise InvalidRequest(f"{where}.role: Input should be 'user' or 'assistant'")
    if "content" not in message:
        raise InvalidRequest(f"{where}.content: Field required")
    content = message["content"]
    # Only a final assistant message (a prefill) may be empty.
    may_be_empty = last and message["role"] == "assistant"
    if isinstance(content, str):
        if not content and not may_be_empty:
            raise InvalidRequest(
                f"{where}: all messages must have non-empty content except for the optional final assistant message"
            )
    elif isinstance(content, list):
        if not content and not may_be_empty:
            raise InvalidRequest(
                f"{where}: all messages must have non-empty content except for the optional final assistant message"
            )
        for block_index, block in enumerate(content):
            _check_block(block, f"{where}.content.{block_index}", message["role"])
    else:
        raise InvalidRequest(f"{where}.content: Input should be a valid string or a list of content blocks")
    if last and message["role"] == "assistant":
        _check_prefill(content, where)


def _check_prefill(content: str | list[Any], where: str) -> None:
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
    if any(block["type"] == "tool_use" for block in blocks):
        raise InvalidRequest(
            f"{where}: the final assistant message may not contain `tool_use` blocks; "
            "each `tool_use` block must have a corresponding `tool_result` block in the next message."
        )
    texts = [block["text"] for block in blocks if block["type"] == "text"]
    if texts and texts[-1] != texts[-1].rstrip():
        raise InvalidRequest("final assistant content cannot end with trailing whitespace")


def _check_block(block: Any, where: str, role: str) -> None:
    if not isinstance(block, dict):
        raise InvalidRequest(f"{where}: Input should be a valid dictionary")
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        raise InvalidRequest(
            f"{where}.type: Input tag {kind!r} found using 'type' does not match any of the expected tags: "
            + ", ".join(BLOCK_TYPES)
        )
    if (kind in USER_ONLY and role != "user") or (kind in ASSISTANT_ONLY and role != "assistant"):
        raise InvalidRequest(f"{where}: `{kind}` blocks are not allowed in {role} messages")
    check_cache_control(block, where)
    if kind == "text":
        _check_text(block, where)
    elif kind == "tool_use":
        if not isinstance(block.get("id"), str) or not block["id"]:
            raise InvalidRequest(f"{where}.id: Field required")
        if not isinstance(block.get("name"), str) or not block["name"]:
            raise InvalidRequest(f"{where}.name: Field required")
        if not isinstance(block.get("input"), dict):
            raise InvalidRequest(f"{where}.input: Input should be a valid dictionary")
    elif kind == "tool_result":
        _check_tool_result(block, where)
    elif kind in ("image", "document"):
        source = block.get("source")
        if not isinstance(source, dict) or not isinstance(source.get("type"), str):
            raise InvalidRequest(f"{where}.source: Field required")
    elif kind == "thinking":
        if not isinstance(block.get("thinking"), str) or not isinstance(block.get("signature"), str):
            raise InvalidRequest(f"{where}: thinking blocks need `thinking` and `signature` strings")
    elif kind == "redacted_thinking":
        if not isinstance(block.get("data"), str) or not block["data"]:
            raise InvalidRequest(f"{where}.data: Field required")


def _check_text(block: dict[str, Any], where: str) -> None:
    text = block.get("text")
    if not isinstance(text, str):
        raise InvalidRequest(f"{where}.text: Field required")
    if not text:
        raise InvalidRequest(f"{where}.text: text content blocks must be non-empty")


def _check_tool_result(block: dict[str, Any], where: str) -> None:
    if not isinstance(block.get("tool_use_id"), str) or not block["tool_use_id"]:
        raise InvalidRequest(f"{where}.tool_use_id: Field required")
    if "is_error" in block and not isinstance(block["is_error"], bool):
        raise InvalidRequest(f"{where}.is_error: Input should be a valid boolean")
    content = block.get("content")
    if content is None or isinstance(content, str):
        return
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content: Input should be a valid string or a list of blocks")
    for index, inner in enumerate(content):
        inner_where = f"{where}.content.{index}"
        if not isinstance(inner, dict) or inner.get("type") not in ("text", "image", "document"):
            raise InvalidRequest(f"{inner_where}.type: Input should be 'text', 'image' or 'document'")
        check_cache_control(inner, inner_where)
        if inner["type"] == "text":
            _check_text(inner, inner_where)


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message["content"]
    return content if isinstance(content, list) else []


def _tool_use_ids(message: dict[str, Any], index: int, seen: set[str]) -> list[str]:
    ids: list[str] = []
    for block in _blocks(message):
        if block["type"] == "tool_use":
            if block["id"] in seen:
                raise InvalidRequest(f"messages.{index}.content: `tool_use` ids must be unique: {block['id']}")
            seen.add(block["id"])
            ids.append(block["id"])
    return ids


def _tool_result_ids(message: dict[str, Any], index: int) -> list[str]:
    ids: list[str] = []
    for position, block in enumerate(_blocks(message)):
        if block["type"] != "tool_result":
            continue
        # The API reads the results first: they must open the message.
        if any(earlier["type"] != "tool_result" for earlier in _blocks(message)[:position]):
            raise InvalidRequest(
                f"messages.{index}.content.{position}: `tool_result` blocks must come before any other content"
            )
        if block["tool_use_id"] in ids:
            raise InvalidRequest(f"messages.{index}.content: duplicate `tool_result` for {block['tool_use_id']}")
        ids.append(block["tool_use_id"])
    return ids


def _check_answered(messages: list[dict[str, Any]], index: int, ids: list[str]) -> None:
    following = messages[index + 1] if index + 1 < len(messages) else None
    answered = set(_tool_result_ids(following, index + 1)) if following else set()
    missing = [tool_id for tool_id in ids if tool_id not in answered]
    if missing:
        raise InvalidRequest(
            f"messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately after: "
            f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` block "
            "in the next message."
        )
