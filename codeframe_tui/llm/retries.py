"""Retrying a failed model call: which failures are worth another try, and how long to wait first.

The SDK's own retries are off (max_retries=0): it retries silently and not a stream that failed
half-way (an `error` event, a dropped connection). Here every retry is bounded, covers those too,
and is announced, so the person sees the backoff happen.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
RETRY_STATUSES = frozenset({408, 409, 429})  # and every 5xx (529: overloaded)
RETRY_ERROR_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})
MAX_WAIT = 30.0  # seconds: one backoff never waits longer, whatever it is told
MAX_RETRY_AFTER = 60.0

OnRetry = Callable[[int, int, float, str], Awaitable[None]]  # (retry number, of how many, wait s, why)


def status_retryable(status: int, error_type: str, *, should_retry: bool | None = None) -> bool:
    """Whether a failed call is worth another try. `should_retry` is the server's own word, the
    `x-should-retry` header (should_retry_header): when it says, it decides, whatever the status."""
    if should_retry is not None:
        return should_retry
    # A mid-stream `error` event arrives on a 200 response: its error type decides.
    return status in RETRY_STATUSES or status >= 500 or (status == 200 and error_type in RETRY_ERROR_TYPES)


def should_retry_header(headers: Any) -> bool | None:
    """The `x-should-retry` header, read as the SDK reads it (_base_client._should_retry): exactly
    "true" forces a retry, even of a status we would not retry; exactly "false" forbids one; anything
    else, or no header, leaves it to the status (None)."""
    value = _header(headers, "x-should-retry")
    return True if value == "true" else False if value == "false" else None


def retry_after(headers: Any) -> float | None:
    """Seconds the server asked us to wait, read as the SDK reads them
    (_base_client._parse_retry_after_header): `retry-after-ms` in milliseconds first, when it is a
    number; else `retry-after` in seconds; else `retry-after` as an HTTP date. As in the SDK, a wait
    that is not above zero, or not a number, asks for nothing (None: the exponential backoff stands),
    and a `retry-after-ms` that is a number decides even then. Never more than MAX_RETRY_AFTER."""
    told = _told_wait(headers)
    if told is None or not told > 0:  # `not >` also drops NaN
        return None
    return min(told, MAX_RETRY_AFTER)


def _told_wait(headers: Any) -> float | None:
    try:
        return float(_header(headers, "retry-after-ms")) / 1000
    except (TypeError, ValueError):
        pass
    value = _header(headers, "retry-after")
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    try:
        date = email.utils.parsedate_tz(value) if isinstance(value, str) else None
        return None if date is None else float(email.utils.mktime_tz(date) - time.time())
    except (ValueError, OverflowError, IndexError):  # a date no calendar has
        return None


def _header(headers: Any, name: str) -> Any:
    """One header's value, or None (no headers, no such header). httpx's Headers ignore case; a
    plain dict is looked up as given, in lower case."""
    return None if headers is None else headers.get(name)


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


def _api_error(exc: Any) -> dict[str, Any]:
    """The `error` object of an API error's body, or {}."""
    body = getattr(exc, "body", None)
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) else {}


def api_error_type(exc: Any) -> str:
    """The `error.type` of an API error's body ("overloaded_error"...), or ""."""
    return str(_api_error(exc).get("type") or "")


def api_message(exc: Any) -> str:
    return str(_api_error(exc).get("message") or getattr(exc, "message", "") or exc)[:500]
