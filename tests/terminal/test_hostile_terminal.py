"""In a real 80x24 terminal (tmux): a task title, a question, a tool call's input and test output full
of screen clears, cursor moves, resets and OSC titles show as plain text; the layout stays whole, the
pane's title never changes, and the terminal is put back on quit."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from rich.cells import cell_len
from support import make_project

from .test_terminal_smoke import app_env
from .tmux import TmuxSession

pytestmark = pytest.mark.terminal

TESTS = Path(__file__).resolve().parents[1]
# Emoji sequences whose width Rich and tmux 3.3 disagreed on (ZWJ, VS16, a skin tone, a Hangul filler).
TITLE = "[/b]\x1b[2J\x1b[H\x1b]0;pwned\x07T1\x1b[10;10H[red]x[/red]\x1bc 👨\u200d👩\u200d👧❤\ufe0f👍🏽\u3164\u202eZ"
QUESTION = "\x1b]2;pwned\x1b\\Q2 [@click=app.quit]ok?[/]\x1b[?1049l\x07"
# A search pattern is as untrusted as a title: the worker's step (`search "..."`) and the detail's
# tool calls show it. (Not "pwned": the detail shows the call's input as JSON, escapes spelled out.)
SEARCHED = "[/b]\x1b]0;S1-title\x07S1\x1b[2J\x1b[?1049l"
# What the project's test command prints after pytest's own output, as raw bytes: few lines, so
# that all of them are still in the Test output pane at 80x24 when the run ends.
OUTPUT = [
    b"\x1b[2J\x1b[HOUT-A\x1b[10;10H clear\x1b[?1049l\x1b[?25l alt",
    b"\x1b]0;pwned\x07\x1b]2;pwned\x1b\\OUT-B title\x1bc reset",
    b"\x1bPtmux;\x1b\x1b]0;pwned\x07\x1b\\OUT-C pass \x1b#8\x1b(0lqqk\x1b(B",
    b"\x9b2J\xc2\x9b2J\xc2\x9d0;pwned\xc2\x9cOUT-D c1",
    b"XXXXXXXX\rOUT-E cr\x08\x08\x07 \xff\xfe",
]
PRINTER = """import subprocess, sys
code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--disable-plugin-autoload"])
sys.stdout.flush()
for line in OUTPUT:
    sys.stdout.buffer.write(line + b"\\n")
sys.exit(code)
"""
# The real app on the scripted model: task 1 has the hostile title, task 2 asks the hostile question.
DRIVER = """import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from support import module_answer, open_engine, task_key_of
from codeframe_tui.domain import AgentType
from codeframe_tui.llm.scripted.agent import ask, place, play, search, writes
from codeframe_tui.domain import NewTask
from codeframe_tui.ui.app import CodeframeApp

# Task 2 asks first; task 1 first searches for a hostile pattern (the Agents pane's step and the
# detail's tool calls show it); then each writes its module and its test, and finishes.
def responder(request):
    key, where = task_key_of(request), place(request)
    if key == "2" and where.round == 0:
        return play([ask({question!r}, blocking=False, assumption="yes")], where.step)
    answer = module_answer(key)
    steps = writes({{f["path"]: f["content"] for f in answer["files"]}}, answer["summary"])
    if key == "1" and where.round == 0:
        steps = [search({searched!r}), *steps]
    return play(steps, where.step)

async def opener(sink):
    plan = [NewTask("1", {title!r}, AgentType.BACKEND, description={title!r}), NewTask("2", "two", AgentType.TEST)]
    engine, _, _ = await open_engine(Path({project!r}), responder, plan, sink=sink, people_present=True)
    return engine

sys.exit(CodeframeApp(opener, banner={title!r}, offline=True).run() or 0)
"""


def pane_title(t: TmuxSession) -> str:
    return t._tmux("display-message", "-p", "-t", t.pane_id, "#{pane_title}").strip()


def is_header(row: str) -> bool:
    """The header's title: the app's name, or where the commands run once a run has started."""
    return any(word in row for word in ("CodeFRAME", "sandbox", "bwrap", "unconfined"))


def assert_whole(screen: str, width: int = 80, height: int = 24) -> list[str]:
    """The main screen: header on top, footer at the bottom, every row exactly as wide as the terminal."""
    rows = screen.split("\n")[:height]
    assert len(rows) == height and is_header(rows[0]) and "⏎ Details" in rows[-1], screen
    wrong = [(y, row) for y, row in enumerate(rows) if cell_len(row) > width]
    assert not wrong, f"rows wider than the terminal: {wrong}\n{screen}"
    boxed = [row for row in rows if row[:1] in "│╭╰"]
    assert boxed and all(cell_len(row.rstrip()) == width and row.rstrip()[-1] in "│╮╯" for row in boxed), screen
    assert "pwned" not in screen and "EEEEEEEEEE" not in screen  # no OSC title text, no DECALN fill
    return rows


def test_hostile_title_question_and_output_in_a_real_terminal(tmp_path):
    printer = tmp_path / "print_hostile.py"
    printer.write_text(f"OUTPUT = {OUTPUT!r}\n{PRINTER}")
    project = make_project(tmp_path / "p", test_command=[sys.executable, str(printer)])
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(tests=str(TESTS), question=QUESTION, title=TITLE, project=str(project),
                                     searched=SEARCHED))
    with TmuxSession([sys.executable, str(driver)], env=app_env(tmp_path), term="xterm-256color", cwd=tmp_path) as t:
        before = pane_title(t)
        frames, deadline = [], time.monotonic() + 60
        while "finished in" not in (screen := t.screen()):  # every frame while the escapes stream in
            assert time.monotonic() < deadline, screen
            if is_header(screen.split("\n")[0]) and "Tasks" in screen and "⏎ Details" in screen:
                frames.append(screen)
            time.sleep(0.05)
        for frame in frames:
            assert_whole(frame)
        rows = assert_whole(t.screen())
        screen = "\n".join(rows)
        assert "[/b]T1[red]x[/red]" in screen  # the banner, the Tasks pane's subtitle
        for mark in ("OUT-A clear alt", "tmux;OUT-C pass lqqk", "2JOUT-D c1", "XXXXXXXXOUT-E cr"):
            assert mark in screen, mark  # each line in the Test output pane, as plain text
        assert t.modes()["alternate_on"] and pane_title(t) == before  # no ?1049l, no OSC title, no RIS
        t.send("Enter")  # the detail: title and description in full
        screen = t.wait_for("Depends on", timeout=10)
        assert screen.count("[/b]T1[red]x[/red]") >= 2 and "pwned" not in screen, screen
        t.send("Escape")  # alone: ESC then b at once would read as alt+b
        t.wait_gone("Depends on", timeout=10)
        t.send("b")  # the inbox: the question in its list and its details
        screen = t.wait_for("Inbox · oldest first", timeout=10)
        assert "Q2 [@click=app.quit]ok?[/]" in screen and "pwned" not in screen, screen
        t.send("Escape")
        t.wait_gone("Inbox · oldest first", timeout=10)
        t.send("q")
        assert t.wait_exit(timeout=30) == 0
        assert not t.modes()["alternate_on"] and pane_title(t) == before
