"""The one clock: every timestamp the tool writes (events, the store's rows) is UTC from here."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def now_text() -> str:
    """As the store keeps it: ISO 8601 with its UTC offset, so rows sort and compare as text."""
    return now().isoformat()
