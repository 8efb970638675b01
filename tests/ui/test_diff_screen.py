"""The diff screen at 80x24 with keys alone: files in turn, scrolling, closing, and review verdicts."""

from __future__ import annotations

import pytest
from rich.style import Style
from textual.app import App
from textual.binding import Binding
from textual.geometry import Region
from textual.widget import Widget

from codeframe_tui.domain.diffs import FileDiff
from codeframe_tui.ui.screens.diff import NO_FILES, DiffScreen, DiffView

MARKUP = "x = '[bold]not markup[/]'"
DIFFS = [
    FileDiff("shelf/models.py", "class Book:\n    pass\n", f"class Book:\n    {MARKUP}\n    pass\n"),
    FileDiff("shelf/[red]views[/].py", None, "".join(f"row {i}\n" for i in range(300))),
    FileDiff("unchanged.py", "same\n", "same\n"),
    FileDiff("old.txt", "bye\n", None),
]


class Host(App):
    # Like the real app: q quits unless the screen on top binds it.
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, screen: DiffScreen) -> None:
        super().__init__()
        self.diff_screen = screen
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.diff_screen, self.results.append)


def shown(widget: Widget) -> list[str]:
    """The widget's rows as drawn, without trailing spaces."""
    width, height = widget.size
    return [strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, width, height))]


def footer(screen: DiffScreen) -> str:
    """The footer's keys and labels, each checked to be wholly on an 80-column screen."""
    items = list(screen.query("FooterKey, FooterLabel"))
    assert all(0 <= item.region.x and item.region.right <= 80 and item.region.width for item in items)
    return " ".join(shown(item)[0].strip() for item in items)


def bar(screen: DiffScreen) -> str:
    return shown(screen.bar)[0].strip()


async def test_files_one_at_a_time_by_keys():
    screen = DiffScreen("Task 1.2", DIFFS)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen is screen and screen.index == 0
        assert bar(screen) == "file 1/3 · shelf/models.py · modified +1 −0"  # the unchanged file is left out
        await pilot.press("right_square_bracket")
        assert screen.index == 1
        assert bar(screen) == "file 2/3 · shelf/[red]views[/].py · added +300 −0"
        await pilot.press("tab")
        assert bar(screen) == "file 3/3 · old.txt · deleted +0 −1"
        await pilot.press("tab")  # already the last file: stays
        assert screen.index == 2
        await pilot.press("left_square_bracket")
        assert screen.index == 1
        await pilot.press("shift+tab", "shift+tab")
        assert screen.index == 0
        assert screen.sub_title == "3 files, +301 −1"


async def test_scrolling_by_line_page_and_ends():
    screen = DiffScreen("Task 1.2", DIFFS)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("]")
        view = screen.query_one(DiffView)
        assert view.size.height == 21  # 24 rows less the header, the file bar and the footer
        assert view.scroll_offset.y == 0
        await pilot.press("j", "j", "down")
        assert view.scroll_offset.y == 3
        await pilot.press("k", "up")
        assert view.scroll_offset.y == 1
        await pilot.press("space")
        assert view.scroll_offset.y == 22
        await pilot.press("b")
        assert view.scroll_offset.y == 1
        await pilot.press("pagedown", "pagedown", "pageup")
        assert view.scroll_offset.y == 22
        await pilot.press("G")
        assert view.scroll_offset.y == view.max_scroll_y == 303 - 21
        assert shown(view)[-1].strip() == "+row 299"
        await pilot.press("g")
        assert view.scroll_offset.y == 0
        await pilot.press("end", "]")  # another file starts at its top
        assert view.scroll_offset.y == 0


def styled(view: DiffView) -> dict[str, list[tuple[str, Style]]]:
    """Each row on screen, by its text without trailing spaces: its drawn pieces, blanks left out."""
    out = {}
    for y in range(view.size.height):
        strip = view.render_line(y)
        out[strip.text.rstrip()] = [(s.text, s.style) for s in strip if s.text.strip()]
    return out


def colours(pieces: list[tuple[str, Style]]) -> set[str | None]:
    return {style.color.name if style.color else None for _, style in pieces}


async def test_file_content_is_shown_literally_and_coloured_by_line():
    hostile = FileDiff("[b]x[/b].py", None, f"{MARKUP}\n\x1b[31mred\x1b[0m\n")
    screen = DiffScreen("[bold]Task[/] 1.2", [DIFFS[0], hostile])
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = screen.query_one(DiffView)
        assert f"+    {MARKUP}" in [row.strip() for row in shown(view)]
        rows = styled(view)
        assert rows["--- a/shelf/models.py"][0][1].bold
        hunk = rows["@@ -1,2 +1,3 @@"][0][1]
        assert hunk.bold and hunk.color.name == "cyan"
        added = rows[f"+    {MARKUP}"]
        assert added[0] == ("+", added[0][1]) and added[0][1].color.name == "green" and added[0][1].bold
        # The string, in the string's colour, shows as typed: its brackets are not markup.
        assert "".join(text for text, style in added if style == added[-1][1]) == "'[bold]not markup[/]'"
        assert len(colours(added)) >= 3  # the mark, the string, the name
        # The added line is tinted; a line of context is not.
        tint, background = added[0][1].bgcolor, view.rich_style.bgcolor
        assert tint != background and all(style.bgcolor == tint for _, style in added)
        assert all(style.bgcolor == background for _, style in rows[" class Book:"])
        await pilot.press("]")
        assert [row.strip() for row in shown(view)][:5] == [
            "--- /dev/null", "+++ b/[b]x[/b].py", "@@ -0,0 +1,2 @@", f"+{MARKUP}", "+red"
        ]
        assert bar(screen) == "file 2/2 · [b]x[/b].py · added +2 −0"
        assert screen.title == "[bold]Task[/] 1.2"
        assert "[bold]Task[/] 1.2" in shown(screen.query_one("HeaderTitle"))[0]


async def test_python_tokens_are_coloured_a_hunk_side_at_a_time():
    before = 'def area(w, h):\n    """Width\n    times height."""\n    return w * h\n'
    after = 'def area(w, h):\n    """Width\n    by height."""\n    return w * h  # cm\n'
    screen = DiffScreen("t", [FileDiff("geometry.py", before, after)])
    async with Host(screen).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rows = styled(screen.query_one(DiffView))
        assert [text for text, _ in rows[" def area(w, h):"]][:3] == ["def", "area", "("]  # a piece a token
        assert len(colours(rows[" def area(w, h):"])) >= 3  # keyword, function name, the rest
        # The docstring's second line, removed or added, is lexed with the line before: a string.
        string = colours([piece for piece in rows['     """Width'] if piece[0] != " "])
        for line in ('-    times height."""', '+    by height."""'):
            assert colours(rows[line][1:]) == string, line
        assert rows["+    return w * h  # cm"][-1][0] == "# cm" and rows["+    return w * h  # cm"][-1][1].dim


async def test_a_file_type_without_a_lexer_is_plain_and_coloured_by_line():
    diffs = [FileDiff("notes.unknownext", "a = 1\n", "a = 2\n"), FileDiff("readme.txt", None, "x = 1\n")]
    screen = DiffScreen("t", diffs)
    async with Host(screen).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = screen.query_one(DiffView)
        for _ in range(2):
            rows = styled(view)
            for text in ("-a = 1", "+a = 2") if screen.index == 0 else ("+x = 1",):
                assert len(rows[text]) == 1, text  # one piece: no token spans
                assert rows[text][0][1].color.name == ("red" if text[0] == "-" else "green")
                assert rows[text][0][1].bgcolor == view.rich_style.bgcolor  # no tint: as it always was
            await pilot.press("]")


async def test_a_deleted_line_is_red():
    screen = DiffScreen("t", [DIFFS[3]])
    async with Host(screen).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert styled(screen.query_one(DiffView))["-bye"][0][1].color.name == "red"


async def test_long_lines_wrap_and_very_long_ones_are_cut():
    screen = DiffScreen("t", [FileDiff("min.js", None, "a" * 150 + "\n" + "b" * 5000 + "\n")])
    async with Host(screen).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = screen.query_one(DiffView)
        rows = [row.text for row in view.rows]
        width = view.scrollable_content_region.width
        assert all(len(row) <= width for row in rows)
        assert "".join(rows[3:5]) == "+" + "a" * 150
        assert "".join(rows[5:]).endswith("… (4001 more characters)")
        # A wrapped row keeps its token's colour; the note on a cut line is not code.
        pieces = styled(view)
        assert pieces[rows[4]][0][1] == pieces[rows[3]][1][1]
        assert rows[-1].endswith("characters)") and pieces[rows[-1]][-1][1].color == view.rich_style.color


@pytest.mark.parametrize(("key", "verdict"), [("y", "accept"), ("n", "reject"), ("x", "discard")])
async def test_review_keys_dismiss_with_a_verdict(key, verdict):
    screen = DiffScreen("Task 1.2", DIFFS, review=True)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("]", key)
        await pilot.pause()
        assert app.results == [verdict]
        assert app.screen is not screen


async def test_review_keys_do_nothing_without_review():
    screen = DiffScreen("Task 1.2", DIFFS)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y", "n", "x")
        await pilot.pause()
        assert app.results == [] and app.screen is screen
        keys = footer(screen)
        assert "Accept" not in keys and "Close" in keys and "File" in keys and "Line" in keys


async def test_the_review_footer_names_the_verdicts_at_80_columns():
    screen = DiffScreen("Task 1.2", DIFFS, review=True)
    async with Host(screen).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = footer(screen)
        for label in ("File", "y Accept", "n Reject with feedback", "x Reject for good", "Close"):
            assert label in keys


@pytest.mark.parametrize("key", ["escape", "q"])
async def test_escape_and_q_close_with_none_and_q_does_not_quit(key):
    screen = DiffScreen("Task 1.2", DIFFS, review=True)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        await pilot.pause()
        assert app.results == [None]
        assert app.screen is not screen and app.is_running


async def test_no_files_says_so():
    screen = DiffScreen("Task 1.2", [FileDiff("same.py", "s\n", "s\n")], review=True)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("]", "[", "j", "G")  # nothing to move to, and nothing breaks
        assert shown(screen.query_one(DiffView))[0].strip() == NO_FILES
        assert bar(screen) == "no changes"
        assert screen.sub_title == "no changes"
        await pilot.press("y")
        assert app.results == ["accept"]


async def test_without_colour_the_marks_still_tell_the_lines_apart(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    screen = DiffScreen("Task 1.2", DIFFS)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color
        rows = [row.strip() for row in shown(screen.query_one(DiffView))]
        assert rows[:3] == ["--- a/shelf/models.py", "+++ b/shelf/models.py", "@@ -1,2 +1,3 @@"]
        assert f"+    {MARKUP}" in rows
        pieces = styled(screen.query_one(DiffView))
        # The line as one piece, in the green that Textual greys: no token colours, no tint.
        assert pieces[f"+    {MARKUP}"] == [(f"+    {MARKUP}", pieces[f"+    {MARKUP}"][0][1])]
        assert pieces[f"+    {MARKUP}"][0][1].color.name == "green"
        assert pieces[f"+    {MARKUP}"][0][1].bgcolor == screen.query_one(DiffView).rich_style.bgcolor
        assert len(pieces[" class Book:"]) == 1
