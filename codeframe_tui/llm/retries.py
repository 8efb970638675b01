"""Retrying a failed model call: which failures are worth another try, and how long to wait first.

The SDK's own retries are off (max_retries=0): it retries silently and not a stream that failed
half-way (an `error` event, a dropped connection). Here every retry is bounded, covers those too,
and is announced, so the person sees the backoff happen.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
RETRY_STATUSES = frozenset({408, 409, 429})  # and every 5xx (529: overloaded)
RETRY_ERROR_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})
MAX_WAIT = 30.0  # seconds: one backoff never waits longer, whatever it is told
MAX_RETRY_AFTER = 60.0

OnRetry = Callable[[int, int, float, str], Awaitable[None]]  # (retry number, of how many, wait s, why)


def status_retryable(status: int, error_type: str) -> bool:
    # A mid-stream `error` event arrives on a 200 response: its error type decides.
    return status in RETRY_STATUSES or status >= 500 or (status == 200 and error_type in RETRY_ERROR_TYPES)


def retry_after(headers: Any) -> float | None:
    try:
        value = float(headers.get("retry-after")) if headers is not None and headers.get("retry-after") else None
    except (TypeError, ValueError):
        return None  # an HTTP date: the exponential backoff stands
    return min(max(value, 0.0), MAX_RETRY_AFTER) if value is not None else None


def backoff(retry: int, told: float | None, base: float) -> float:
    """Exponential with jitter (half to full), at least what the server asked for."""
    wait = min(MAX_WAIT, base * 2 ** (retry - 1)) * (0.5 + random.random() / 2)
    return max(wait, told) if told is not None else wait


def _marked(exc: Exception) -> tuple[bool, float | None]:
    return bool(getattr(exc, "retryable", False)), getattr(exc, "retry_after", None)


async def with_retries(call: Callable[[], Awaitable[T]], *, retries: int, base: float, on_retry: OnRetry | None,
                       retryable: Callable[[Exception], tuple[bool, float | None]] = _marked) -> T:
    """`call()` once, then up to `retries` more times while its failure is retryable (by default:
    the exception says so in its `retryable` and `retry_after`)."""
    for retry in range(retries + 1):
        try:
            return await call()
        except Exception as exc:
            again, told = retryable(exc)
            if not again or retry == retries:
                raise
            wait = backoff(retry + 1, told, base)
            if on_retry is not None:
                await on_retry(retry + 1, retries, wait, str(exc))
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")


def api_error_type(exc: Any) -> str:
    """The `error.type` of an API error's body ("overloaded_error"...), or ""."""
    body = exc.body if isinstance(getattr(exc, "body", None), dict) else {}
    err = body.get("error") if isinstance(body.get("error"), dict) else {}
    return str(err.get("type") or "")


def api_message(exc: Any) -> str:
    body = exc.body if isinstance(getattr(exc, "body", None), dict) else {}
    err = body.get("error") if isinstance(body.get("error"), dict) else {}
    return str(err.get("message") or getattr(exc, "message", "") or exc)[:500]
