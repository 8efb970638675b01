"""Signed thinking blocks, and the checks the Messages API makes on those a client sends back.

A signature binds a block to its text and to its prefix: the top-level `system`, the `tools` and every
message before the block, as the preserved-thinking docs define it. The scripted model signs with an HMAC
under a fixed key, so signatures stay valid across processes (a resumed run) and the model stays stateless:
a request that repeats an earlier one verifies exactly as the earlier one did. Two MACs tell a tampered
block (its own MAC fails) from a block whose prefix changed (only the bound MAC fails), because the API
answers the two with different messages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from .errors import InvalidRequest

__all__ = ["check_thinking_history", "redacted_block", "signed_block"]

# Fixed on purpose: a signature made by one process must verify in the next one.
KEY = b"codeframe-tui scripted model: thinking signatures v1"
VERSION_THINKING = b"\x01"
VERSION_REDACTED = b"\x02"
MAC_BYTES = 16
THINKING_KINDS = ("thinking", "redacted_thinking")
DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"

INVALID_SIGNATURE = "{where}: Invalid `signature` in `thinking` block"
BOUND_ELSEWHERE = (
    "{where}: Invalid `signature` in `thinking` block. The block is bound to a different conversation. "
    'Remove the block, or set `thinking.block_binding.prefix_mismatch_behavior` to "drop_block".'
)
LATEST_MODIFIED = (
    "{where}: `thinking` or `redacted_thinking` blocks in the latest assistant message cannot be modified. "
    "These blocks must remain as they were in the original response."
)
MISSING_IN_TOOL_LOOP = (
    "{where}.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. When `thinking` is enabled, "
    "a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and "
    "`tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this "
    f"requirement, disable `thinking`. Please consult our documentation at {DOCS}"
)
NO_PREFILL = "This model does not support assistant message prefill. The conversation must end with a user message."


def _clean(value: Any) -> Any:
    """The value as the prompt sees it: no cache_control markers (moving a breakpoint changes no prompt), no
    null fields. Tool inputs are left whole: there a null is a value the model wrote."""
    if isinstance(value, dict):
        return {k: v if k == "input" else _clean(v) for k, v in value.items() if k != "cache_control" and v is not None}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _as_blocks(content: Any) -> Any:
    # A plain string is the same prompt as one text block, so both spellings share a signature.
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def _canonical(value: Any) -> bytes:
    # Canonical JSON never holds a raw newline, so a newline separates the parts of the prefix unambiguously.
    return json.dumps(_clean(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _message(role: str, content: Any) -> bytes:
    return _canonical({"role": role, "content": _as_blocks(content)})


def _head(body: dict[str, Any]) -> Any:
    """A running hash over the parts of every prefix: system and tools, then message after message."""
    system = body.get("system")
    running = hashlib.sha256(_canonical(_as_blocks(system) if system is not None else []))
    running.update(_canonical(body.get("tools") or []))
    return running


def _prefix_digest(body: dict[str, Any], messages: list[dict[str, Any]]) -> bytes:
    running = _head(body)
    for message in messages:
        running.update(_message(message["role"], message["content"]))
    return running.digest()


def _bound_mac(payload: bytes, digest: bytes) -> bytes:
    return hmac.new(KEY, b"bound\n" + digest + payload, hashlib.sha256).digest()[:MAC_BYTES]


def _own_mac(payload: bytes, bound: bytes) -> bytes:
    # Over the bound MAC too, so that any change to the signature reads as tampering, not as a moved block.
    return hmac.new(KEY, b"block\n" + bound + payload, hashlib.sha256).digest()[:MAC_BYTES]


def _macs(payload: bytes, digest: bytes) -> tuple[bytes, bytes]:
    bound = _bound_mac(payload, digest)
    return _own_mac(payload, bound), bound


def _answer_prefix(request_messages: list[dict[str, Any]], earlier: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages before a block the answer puts after `earlier` blocks of its own.

    The answer extends a trailing assistant message (a continuation after pause_turn) or starts a new one.
    """
    if request_messages and request_messages[-1]["role"] == "assistant":
        last = request_messages[-1]
        return [*request_messages[:-1], {"role": "assistant", "content": [*_as_blocks(last["content"]), *earlier]}]
    return [*request_messages, {"role": "assistant", "content": earlier}] if earlier else list(request_messages)


def signed_block(body: dict[str, Any], text: str, earlier: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A thinking block for an answer to `body`, signed over `text` and its prefix."""
    digest = _prefix_digest(body, _answer_prefix(body["messages"], earlier or []))
    own, bound = _macs(text.encode(), digest)
    signature = base64.b64encode(VERSION_THINKING + own + bound).decode()
    return {"type": "thinking", "thinking": text, "signature": signature}


def redacted_block(body: dict[str, Any], text: str, earlier: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A redacted_thinking block: `data` carries the (unreadable) payload and its two MACs."""
    payload = hashlib.sha256(text.encode()).digest() + text.encode()[::-1]
    digest = _prefix_digest(body, _answer_prefix(body["messages"], earlier or []))
    own, bound = _macs(payload, digest)
    return {"type": "redacted_thinking", "data": base64.b64encode(VERSION_REDACTED + own + bound + payload).decode()}


def _decode(block: dict[str, Any]) -> tuple[bytes, bytes, bytes] | None:
    """(payload, own MAC, bound MAC) of a block sent back, or None when it cannot be ours."""
    field, version = ("signature", VERSION_THINKING) if block["type"] == "thinking" else ("data", VERSION_REDACTED)
    try:
        raw = base64.b64decode(block[field], validate=True)
    except (ValueError, TypeError):
        return None
    if len(raw) < 1 + 2 * MAC_BYTES or raw[:1] != version:
        return None
    own, bound = raw[1 : 1 + MAC_BYTES], raw[1 + MAC_BYTES : 1 + 2 * MAC_BYTES]
    if block["type"] == "thinking":
        return (block["thinking"].encode(), own, bound) if len(raw) == 1 + 2 * MAC_BYTES else None
    return raw[1 + 2 * MAC_BYTES :], own, bound


def check_thinking_history(body: dict[str, Any], *, thinking_on: bool) -> None:
    """Raise InvalidRequest for the first thinking rule the (already well-formed) `body` breaks.

    Every thinking or redacted_thinking block is verified, whatever the model; with thinking on, the
    assistant turn answered by tool_results must open with thinking, and no client-written prefill may
    end the conversation.
    """
    messages = body["messages"]
    latest = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=-1)
    running = _head(body)
    for index, message in enumerate(messages):
        blocks = _as_blocks(message["content"])
        for position, block in enumerate(blocks):
            if block["type"] in THINKING_KINDS:
                prefix = running.copy()
                if position:
                    # A block after others in its turn (a continued turn) is bound to those others too.
                    prefix.update(_message(message["role"], blocks[:position]))
                _verify(block, prefix.digest(), f"messages.{index}.content.{position}", latest=index == latest)
        running.update(_message(message["role"], message["content"]))
    if thinking_on:
        _check_tool_loop(messages)
        if messages[-1]["role"] == "assistant" and not _opens_with_thinking(messages[-1]):
            # A continuation (after pause_turn) is the model's own signed turn; anything else is a prefill.
            raise InvalidRequest(NO_PREFILL)


def _verify(block: dict[str, Any], digest: bytes, where: str, *, latest: bool) -> None:
    decoded = _decode(block)
    if decoded is not None:
        payload, own, bound = decoded
        if hmac.compare_digest(own, _own_mac(payload, bound)):
            if hmac.compare_digest(bound, _bound_mac(payload, digest)):
                return
            raise InvalidRequest(BOUND_ELSEWHERE.format(where=where))
    # Altered text or signature: the latest turn is checked for edits, earlier ones fail their signature.
    raise InvalidRequest((LATEST_MODIFIED if latest else INVALID_SIGNATURE).format(where=where))


def _opens_with_thinking(message: dict[str, Any]) -> bool:
    blocks = _as_blocks(message["content"])
    return bool(blocks) and blocks[0]["type"] in THINKING_KINDS


def _check_tool_loop(messages: list[dict[str, Any]]) -> None:
    """With thinking on, the assistant turn whose tool calls the last user turn answers must open with thinking."""
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=-1)
    answers = [b for b in _as_blocks(messages[last_user]["content"]) if b["type"] == "tool_result"]
    if not answers or last_user < 1 or _opens_with_thinking(messages[last_user - 1]):
        return
    first = _as_blocks(messages[last_user - 1]["content"])[0]["type"]
    raise InvalidRequest(MISSING_IN_TOOL_LOOP.format(where=f"messages.{last_user - 1}.content.0", found=first))
