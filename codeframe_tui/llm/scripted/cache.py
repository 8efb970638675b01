"""Prompt caching as the Messages API accounts for it: prefixes up to cache_control breakpoints, with expiry."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .request import ScriptedRequest, content_texts

__all__ = ["CHARS_PER_TOKEN", "LOOKBACK_BLOCKS", "MIN_CACHEABLE_TOKENS", "CacheUsage", "PromptCache"]

# The same rough rate the rest of the scripted usage figures use.
CHARS_PER_TOKEN = 4
# The API's floor varies by model; one figure for all keeps scripted runs predictable.
MIN_CACHEABLE_TOKENS = 1024
# The API also finds a prefix cached by an earlier request this many blocks before a breakpoint,
# which is what lets a conversation that moves its breakpoint forward each turn read the last turn's cache.
LOOKBACK_BLOCKS = 20
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


@dataclass(frozen=True)
class CacheUsage:
    """The input side of `usage` for a request whose cacheable prefix is long enough to cache."""

    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int


@dataclass(frozen=True)
class _Block:
    canonical: bytes  # what identifies the block inside a prefix
    chars: int  # what it counts toward tokens
    ttl: str | None  # the breakpoint's ttl, or None when the block carries no cache_control


@dataclass
class _Entry:
    expires: float
    ttl: float


class PromptCache:
    """The prefixes one ScriptedModel has cached; `clock` (seconds, monotonic) is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        # A model served by ScriptedServer in another thread may see requests from two loops at once.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        now = self._clock()
        with self._lock:
            return sum(1 for entry in self._entries.values() if entry.expires > now)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def account(self, request: ScriptedRequest) -> CacheUsage | None:
        """Read and write the cache for `request`; None when nothing in it is cacheable (no breakpoint, too short)."""
        blocks = _blocks(request)
        breakpoints = [i for i, block in enumerate(blocks) if block.ttl is not None]
        if not breakpoints:
            return None
        tokens = _prefix_tokens(blocks)
        last = breakpoints[-1]
        if tokens[last] < MIN_CACHEABLE_TOKENS:
            # Like the API: a short prefix is simply processed uncached, without an error.
            return None
        keys = _prefix_keys(request.model, blocks)
        now = self._clock()
        with self._lock:
            self._entries = {k: e for k, e in self._entries.items() if e.expires > now}
            hit = self._longest_hit(keys, breakpoints)
            if hit is not None:
                entry = self._entries[keys[hit]]
                entry.expires = now + entry.ttl
            for index in breakpoints:
                if tokens[index] >= MIN_CACHEABLE_TOKENS:
                    ttl = TTL_SECONDS[blocks[index].ttl or "5m"]
                    self._entries[keys[index]] = _Entry(now + ttl, ttl)
        read = tokens[hit] if hit is not None else 0
        total = sum(block.chars for block in blocks) // CHARS_PER_TOKEN
        return CacheUsage(max(1, total - tokens[last]), tokens[last] - read, read)

    def _longest_hit(self, keys: list[str], breakpoints: list[int]) -> int | None:
        for index in range(breakpoints[-1], -1, -1):
            if keys[index] in self._entries and any(0 <= b - index <= LOOKBACK_BLOCKS for b in breakpoints):
                return index
        return None


def _blocks(request: ScriptedRequest) -> list[_Block]:
    """The request's blocks in the order the API lays out the prompt: tools, then system, then messages."""
    body = request.body
    items: list[tuple[list[Any], int, dict[str, Any]]] = []
    for tool in body.get("tools") or []:
        # Tool definitions are prompt too; they count once they sit in a cached prefix.
        definition = _unmarked(tool)
        items.append((["tool", definition], len(json.dumps(definition)), tool))
    system = body.get("system")
    # A plain string is the same prompt as one text block, so both spellings share a cache entry.
    for block in [{"type": "text", "text": system}] if isinstance(system, str) else system or []:
        items.append((["system", _unmarked(block)], len(block["text"]) + 1, block))
    for message in body["messages"]:
        content = message["content"]
        for block in [{"type": "text", "text": content}] if isinstance(content, str) else content:
            chars = sum(len(text) + 1 for text in content_texts([block], include_tool_input=True))
            items.append(([message["role"], _unmarked(block)], chars, block))
    return [_Block(_canonical(key), chars, _ttl(block)) for key, chars, block in items]


def _unmarked(block: dict[str, Any]) -> dict[str, Any]:
    # The marker is not part of the prompt: moving a breakpoint must not change the prefix before it.
    clean = {k: v for k, v in block.items() if k != "cache_control"}
    if isinstance(clean.get("content"), list):
        clean["content"] = [_unmarked(inner) if isinstance(inner, dict) else inner for inner in clean["content"]]
    return clean


def _ttl(block: dict[str, Any]) -> str | None:
    """The ttl of a breakpoint on `block`; a marker inside a tool_result's content ends the prefix at that result."""
    markers = [block.get("cache_control")]
    if isinstance(block.get("content"), list):
        markers.extend(inner.get("cache_control") for inner in block["content"] if isinstance(inner, dict))
    ttls = [marker.get("ttl", "5m") for marker in markers if marker]
    if not ttls:
        return None
    return "1h" if "1h" in ttls else "5m"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _prefix_tokens(blocks: list[_Block]) -> list[int]:
    """Tokens of each prefix ending at block i."""
    counts: list[int] = []
    chars = 0
    for block in blocks:
        chars += block.chars
        counts.append(chars // CHARS_PER_TOKEN)
    return counts


def _prefix_keys(model: str, blocks: list[_Block]) -> list[str]:
    """The cache key of each prefix ending at block i; a running hash keeps long conversations linear."""
    running = hashlib.sha256(_canonical(model) + b"\n")
    keys: list[str] = []
    for block in blocks:
        # Canonical JSON never holds a raw newline, so it separates blocks unambiguously.
        running.update(block.canonical + b"\n")
        keys.append(running.copy().hexdigest())
    return keys
