"""The one door to Textual's private state: every private name it uses exists in the installed Textual,
no other module of the app reaches into Textual's privates, and each fallback works."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Log

import codeframe_tui
from codeframe_tui.ui import textual_private as door
from codeframe_tui.ui.attention import Attention
from codeframe_tui.ui.screens.confirm import ChoiceScreen, confirm
from codeframe_tui.ui.textual_private import PRIVATE_NAMES, QuietHeader, screen_rows
from codeframe_tui.ui.widgets.output_log import PaneLog
from codeframe_tui.ui.widgets.rows import RowTable, update_row

OWNERS = {"App": App(), "Screen": Screen(), "DataTable": DataTable(), "Log": Log()}
PACKAGE = Path(codeframe_tui.__file__).parent


def test_every_private_name_the_door_uses_exists_in_the_installed_textual():
    missing = []
    for owner, name in PRIVATE_NAMES:
        where = OWNERS.get(owner) or importlib.import_module(owner)
        if not hasattr(where, name):
            missing.append(f"{owner}.{name}")
    assert not missing, f"Textual no longer has: {', '.join(missing)} (see codeframe_tui/ui/textual_private.py)"
    assert door.FAST_ROWS and door.ROW_CACHES and door.LINE_REPAINT and door.QUIET_LOG
    assert door.HEADER_TITLE is not None


def _private_uses(path: Path) -> set[str]:
    """Textual's private names a module reaches: `x._name` where Textual defines `_name` and the
    module does not assign it itself, and imports from private Textual modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)}
    own |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr.startswith("_")
            and not n.attr.startswith("__") and n.attr not in own}
    private = {name for _, name in PRIVATE_NAMES}
    imports = {f"import {n.module}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
               and n.module.startswith("textual") and "._" in n.module}
    return (used & private) | imports


def test_no_other_module_reaches_into_textual_privates():
    found = {}
    for path in [*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "tests").rglob("*.py"),
                 *(PACKAGE.parent / "benchmarks").rglob("*.py")]:
        if path.name in ("textual_private.py", "test_textual_private.py"):
            continue
        if uses := _private_uses(path):
            found[str(path.relative_to(PACKAGE.parent))] = sorted(uses)
    assert not found, f"Textual's private names outside the door: {found}"


class Rows(App):
    def compose(self) -> ComposeResult:
        table = RowTable(id="t")
        table.add_column("id", key="id")
        table.add_column("title", key="title")
        yield table


async def _fill_and_update(app: App) -> list[str]:
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(RowTable)
        for n in range(1, 6):
            table.add_row(Text(str(n)), Text(f"task number {n}"), key=str(n))
        await pilot.pause()
        assert door.rows_settled(table)
        assert table.ordered_columns[1].content_width == len("task number 1")
        update_row(table, "3", {"title": Text("renamed, and longer now")})
        await pilot.pause()
        return screen_rows(app)


@pytest.mark.parametrize("fast", [True, False], ids=["private fast paths", "public fallback"])
async def test_rows_are_added_measured_and_updated_by_either_path(monkeypatch, fast):
    if not fast:  # as if Textual had renamed what the fast paths rely on
        for flag in ("FAST_ROWS", "ROW_CACHES", "LINE_REPAINT"):
            monkeypatch.setattr(door, flag, False)
    rows = await _fill_and_update(Rows())
    text = "\n".join(rows)
    assert "task number 5" in text and "3 renamed, and" in text and "task number 3" not in text


class Logs(App):
    def compose(self) -> ComposeResult:
        yield QuietHeader()
        yield PaneLog(id="log")


def _plain_log_class():
    """The door's QuietLog as it is built when Log's private methods are missing: a plain Log."""
    namespace = {}
    source = Path(door.__file__).read_text(encoding="utf-8")
    start = source.index("class QuietLog(Log):")
    exec(compile("from textual.widgets import Log\nQUIET_LOG = False\n" + source[start:],  # noqa: S102
                 "quiet_log", "exec"), namespace)
    return namespace["QuietLog"]


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet log and title", "plain log and header"])
async def test_the_log_and_the_header_show_their_text_by_either_path(monkeypatch, quiet):
    log_class = PaneLog
    if not quiet:
        monkeypatch.setattr(door, "HEADER_TITLE", None)
        base = _plain_log_class()
        assert "watch_virtual_size" not in vars(base)
        log_class = type("PaneLog", (base,), {})

    class App_(App):
        def compose(self) -> ComposeResult:
            yield QuietHeader()
            yield log_class(id="log")

    app = App_()
    async with app.run_test(size=(60, 10)) as pilot:
        app.title = "a title"
        app.query_one("#log", Log).write_lines(["plain ascii line", "wide: 漢字テスト", "tab\there"])
        await pilot.pause()
        await pilot.pause()
        text = "\n".join(screen_rows(app))
        assert "a title" in text and "plain ascii line" in text and "漢字テスト" in text


async def test_a_raw_sequence_goes_to_the_terminal_only_where_there_is_one():
    class Bare:
        is_headless = False

    assert door.write_to_terminal(Bare(), "\x1b]9;hi\x07") is False  # no driver at all: nothing, no error
    app = App()
    async with app.run_test() as pilot:
        assert door.write_to_terminal(app, "\x1b]9;hi\x07") is False  # headless: nothing written
        Attention(app, bell=False, desktop=True, toast=False).alert("ping")
        await pilot.pause()


def test_choice_screens_bind_their_keys_publicly():
    undo = ChoiceScreen("Undo?", "body", {"a": ("All", "all"), "r": ("Revert", "revert")})
    keys = {b.key for b in type(undo).BINDINGS}
    assert keys == {"a", "r", "escape"} and isinstance(undo, ChoiceScreen)
    assert type(confirm("Quit?", "body")) is type(confirm("Other?", "other"))  # one class per set of keys
    assert {b.key for b in type(confirm("Quit?", "body")).BINDINGS} == {"y", "n", "escape"}
