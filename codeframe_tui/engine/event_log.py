"""Reading the event log back into events: how a read-only second process follows a live run."""

from __future__ import annotations

import dataclasses
import logging
import typing
from datetime import datetime
from typing import Any

from codeframe_tui.engine.events import EVENTS_BY_TYPE, Event, TaskInfo
from codeframe_tui.store import Store

log = logging.getLogger(__name__)


def decode(payload: dict[str, Any]) -> Event | None:
    """An event from its logged JSON form; None for a type or shape this version does not know
    (the log may have been written by an older or newer version of the tool)."""
    cls = EVENTS_BY_TYPE.get(str(payload.get("type")))
    if cls is None:
        return None
    try:
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in payload:
                continue
            if f.name == "ts":
                values["ts"] = datetime.fromisoformat(payload["ts"])
            else:
                values[f.name] = _shape(payload[f.name], hints.get(f.name))
        return cls(**values)
    except (TypeError, ValueError, AttributeError) as exc:
        log.warning("event %s not shown: %s", cls.type, exc)
        return None


_TASK_INFO_FIELDS = {f.name for f in dataclasses.fields(TaskInfo)}


def _shape(raw: Any, hint: Any) -> Any:
    # JSON has lists where the events hold tuples (hashable, frozen), and dicts for TaskInfo.
    if isinstance(raw, list):
        args = typing.get_args(hint)
        item = args[0] if args else None
        if item is TaskInfo:
            return tuple(_task_info(r) for r in raw if isinstance(r, dict))
        return tuple(_shape(r, item) for r in raw)
    return raw


def _task_info(raw: dict[str, Any]) -> TaskInfo:
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()
                              if k in _TASK_INFO_FIELDS}
    return TaskInfo(**fields)


async def read_new(store: Store, after_id: int) -> tuple[list[Event], int]:
    """Events logged after `after_id`, and the id to read after next time."""
    rows = await store.events_after(after_id)
    found = [e for _, payload in rows if (e := decode(payload)) is not None]
    return found, rows[-1][0] if rows else after_id
