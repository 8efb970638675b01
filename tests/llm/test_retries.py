"""How long the server asks us to wait, and whether it wants a retry at all: read as the SDK reads them."""

from __future__ import annotations

import email.utils
import time

import httpx2
import pytest

from codeframe_tui.llm.retries import (
    MAX_RETRY_AFTER,
    backoff,
    retry_after,
    should_retry_header,
    status_retryable,
)


def headers(**values: str) -> httpx2.Headers:
    """Response headers as the SDK hands them over (x_should_retry -> x-should-retry)."""
    return httpx2.Headers({name.replace("_", "-"): value for name, value in values.items()})


# retry-after-ms and retry-after


@pytest.mark.parametrize(("given", "seconds"), [
    ({"retry_after_ms": "1500"}, 1.5),
    ({"retry_after_ms": "250.5"}, 0.2505),
    ({"retry_after": "2"}, 2.0),
    ({"retry_after": "0.75"}, 0.75),  # not what the spec says, but the SDK takes floats too
    ({"retry_after_ms": "500", "retry_after": "30"}, 0.5),  # milliseconds win: more precise
    ({"retry_after_ms": "soon", "retry_after": "3"}, 3.0),  # unreadable ms: seconds stand
    ({"retry_after_ms": "", "retry_after": "3"}, 3.0),
    ({"retry_after_ms": "120000"}, MAX_RETRY_AFTER),  # capped
    ({"retry_after": "3600"}, MAX_RETRY_AFTER),
    ({"retry_after_ms": "inf"}, MAX_RETRY_AFTER),
])
def test_retry_after(given: dict[str, str], seconds: float) -> None:
    assert retry_after(headers(**given)) == pytest.approx(seconds)


@pytest.mark.parametrize("given", [
    {},
    {"retry_after": "soon"},
    {"retry_after": ""},
    {"retry_after": "-5"},
    {"retry_after": "0"},  # zero asks for nothing: the backoff stands, as in the SDK
    {"retry_after_ms": "0"},
    {"retry_after_ms": "-100"},
    {"retry_after_ms": "nan"},
    {"retry_after_ms": "0", "retry_after": "5"},  # a readable ms decides, even when it asks for nothing
    {"retry_after": "Wed, 21 Oct 2015 07:28:00 GMT"},  # a date in the past
    {"retry_after": "Wed, 21 Oct 99999 07:28:00 GMT"},  # a year no calendar has
])
def test_retry_after_asks_for_nothing(given: dict[str, str]) -> None:
    assert retry_after(headers(**given)) is None


def test_retry_after_as_an_http_date() -> None:
    soon = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 15 <= retry_after(headers(retry_after=soon)) <= 21  # type: ignore[operator]
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    assert retry_after(headers(retry_after=later)) == MAX_RETRY_AFTER


def test_retry_after_without_headers_or_with_a_plain_dict() -> None:
    assert retry_after(None) is None
    assert retry_after({"retry-after-ms": "100", "retry-after": "9"}) == pytest.approx(0.1)
    assert retry_after(headers(**{"Retry_After_Ms": "100"})) == pytest.approx(0.1)  # names ignore case


def test_backoff_waits_at_least_what_the_server_asked() -> None:
    told = retry_after(headers(retry_after_ms="4000"))
    assert all(backoff(1, told, base=0.01) >= 4.0 for _ in range(20))
    assert all(backoff(1, None, base=0.01) <= 0.01 for _ in range(20))


# x-should-retry


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True),
    ("false", False),
    # Only the exact words count, as in the SDK: anything else leaves it to the status.
    ("True", None),
    ("FALSE", None),
    ("1", None),
    ("yes", None),
    ("", None),
])
def test_should_retry_header(value: str, expected: bool | None) -> None:
    assert should_retry_header(headers(x_should_retry=value)) is expected


def test_should_retry_header_absent() -> None:
    assert should_retry_header(None) is None
    assert should_retry_header(headers()) is None
    assert should_retry_header(headers(retry_after="1")) is None
    assert should_retry_header({"x-should-retry": "false"}) is False


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_true_forces_a_retry_of_a_status_we_would_not_retry(status: int) -> None:
    assert not status_retryable(status, "invalid_request_error")
    told = should_retry_header(headers(x_should_retry="true"))
    assert status_retryable(status, "invalid_request_error", should_retry=told)


@pytest.mark.parametrize(("status", "error_type"), [
    (408, "timeout_error"), (409, ""), (429, "rate_limit_error"), (500, "api_error"), (529, "overloaded_error"),
])
def test_false_forbids_a_retry_of_a_status_we_would_retry(status: int, error_type: str) -> None:
    assert status_retryable(status, error_type)
    told = should_retry_header(headers(x_should_retry="false"))
    assert not status_retryable(status, error_type, should_retry=told)


def test_without_the_header_the_status_decides() -> None:
    told = should_retry_header(headers())
    assert status_retryable(529, "overloaded_error", should_retry=told)
    assert status_retryable(200, "overloaded_error", should_retry=told)  # a mid-stream error event
    assert not status_retryable(200, "invalid_request_error", should_retry=told)
    assert not status_retryable(400, "invalid_request_error", should_retry=told)
    assert status_retryable(503, "") and not status_retryable(404, "not_found_error")  # the keyword is optional


def test_the_two_headers_are_read_apart() -> None:
    # "false" forbids the retry; the wait it asked for is still read (and simply not used).
    given = headers(x_should_retry="false", retry_after_ms="1200")
    assert should_retry_header(given) is False
    assert retry_after(given) == pytest.approx(1.2)
    assert not status_retryable(429, "rate_limit_error", should_retry=should_retry_header(given))


# The SDK itself (its private retry helpers): if it ever reads these headers differently, this says so.

CASES = [
    {}, {"retry_after_ms": "1500"}, {"retry_after_ms": "500", "retry_after": "30"}, {"retry_after": "2"},
    {"retry_after_ms": "soon", "retry_after": "3"}, {"retry_after_ms": "0", "retry_after": "5"},
    {"retry_after": "-5"}, {"retry_after": "soon"}, {"retry_after_ms": "nan"}, {"retry_after": "3600"},
    {"x_should_retry": "true"}, {"x_should_retry": "false"}, {"x_should_retry": "True"},
]  # fmt: skip


@pytest.fixture
def sdk():
    import anthropic

    client = anthropic.Anthropic(api_key="test-key", base_url="http://127.0.0.1:9")
    if not hasattr(client, "_parse_retry_after_header") or not hasattr(client, "_should_retry"):
        pytest.skip("this SDK keeps its retry helpers elsewhere")
    yield client
    client.close()


@pytest.mark.parametrize("given", CASES)
def test_the_wait_matches_the_sdk(sdk, given: dict[str, str]) -> None:
    told = sdk._parse_retry_after_header(headers(**given))
    ours = retry_after(headers(**given))
    if told is None or not told > 0:
        assert ours is None
    else:
        assert ours == pytest.approx(min(told, MAX_RETRY_AFTER))


@pytest.mark.parametrize("given", CASES)
@pytest.mark.parametrize("status", [400, 404, 408, 409, 429, 500, 529])
def test_the_retry_decision_matches_the_sdk(sdk, given: dict[str, str], status: int) -> None:
    response = httpx2.Response(status, headers=headers(**given))
    ours = status_retryable(status, "", should_retry=should_retry_header(response.headers))
    assert ours == sdk._should_retry(response)
