"""Every event class has its meaning in one place each: logged and read back (the event log),
put in words or named silent (engine/event_words.py), and routed on screen (ui/routing.py).
A new event that misses one of them fails here, with its name."""

from __future__ import annotations

import ast
import dataclasses
import typing
from datetime import UTC, datetime
from pathlib import Path
from types import UnionType

import pytest

import codeframe_tui
from codeframe_tui.engine import events as events_module
from codeframe_tui.engine.event_log import decode
from codeframe_tui.engine.event_words import SILENT, describe
from codeframe_tui.engine.events import ALL_EVENTS, EVENTS_BY_TYPE, Event, TaskInfo

PACKAGE = Path(codeframe_tui.__file__).parent


def sample_value(hint: typing.Any, name: str) -> typing.Any:
    """A value of the field's type that is not its default, so the round trip is really tested."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        return sample_value(next(a for a in typing.get_args(hint) if a is not type(None)), name)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if item is TaskInfo:
            return (TaskInfo(task_id="1.1", title="t", agent_type="backend", depends_on=("1.0",), status="approved"),)
        return (sample_value(item, name), sample_value(item, name))
    if origin is dict or hint is dict:
        return {"k": "v"}
    if hint is str:
        return f"{name}-value"
    if hint is bool:
        return True
    if hint is int:
        return 7
    if hint is float:
        return 2.5
    if hint is datetime:
        return datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    raise AssertionError(f"no sample for the field {name}: {hint!r}; teach sample_value its type")


def sample(cls: type[Event]) -> Event:
    hints = typing.get_type_hints(cls)
    values = {f.name: sample_value(hints[f.name], f.name) for f in dataclasses.fields(cls) if f.init}
    return cls(**values)


def test_the_event_list_is_every_event_class_in_the_module():
    defined = {v for v in vars(events_module).values()
               if isinstance(v, type) and issubclass(v, Event) and v is not Event}
    assert set(ALL_EVENTS) == defined
    assert all(EVENTS_BY_TYPE[cls.type] is cls for cls in ALL_EVENTS)
    assert len({cls.type for cls in ALL_EVENTS}) == len(ALL_EVENTS)


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.type)
def test_each_event_comes_back_from_the_log_as_it_was(cls):
    event = sample(cls)
    assert decode(event.to_json_dict()) == event


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.type)
def test_each_event_has_words_or_is_named_silent(cls):
    line = describe(sample(cls))
    if cls.type in SILENT:
        assert line is None, f"{cls.type} is named silent but has a line: {line!r}"
    else:
        assert line and line.strip(), f"{cls.type} has no words: add them to event_words.describe, or to SILENT"


def test_silent_names_only_real_events():
    assert SILENT <= set(EVENTS_BY_TYPE)


def routed_classes() -> set[str]:
    """The class names in the `case` patterns of ui/routing.py's one `match`."""
    tree = ast.parse((PACKAGE / "ui" / "routing.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.MatchClass) and isinstance(node.cls, ast.Name):
            names.add(node.cls.id)
    return names


def test_every_event_is_routed_on_screen_and_nothing_else_is():
    expected = {cls.__name__ for cls in ALL_EVENTS}
    routed = routed_classes()
    assert not expected - routed, f"not routed in ui/routing.py: {sorted(expected - routed)}"
    assert not routed - expected, f"routed but not an event: {sorted(routed - expected)}"


def test_no_other_ui_module_matches_on_event_classes():
    """One router: the screens and the app take events only through it."""
    names = {cls.__name__ for cls in ALL_EVENTS}
    offenders = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        if path.name == "routing.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.MatchClass) and isinstance(node.cls, ast.Name) and node.cls.id in names:
                offenders.append(f"{path.relative_to(PACKAGE)}: case {node.cls.id}()")
    assert not offenders
