"""Hostile text in every pane: markup shows as typed, escapes and control characters never reach the
terminal, no pane crashes; and a planted API key is never on screen."""

from __future__ import annotations

import re
import sys
import time

from support import make_project, module_answer, open_engine, passing_responder, task_key_of, tasks, wait_for

from codeframe_tui.config import load_settings
from codeframe_tui.domain import AgentType, NewTask
from codeframe_tui.domain.diffs import FileDiff
from codeframe_tui.engine import events as ev
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.client import ModelClient, build_anthropic_client
from codeframe_tui.llm.offline import scripted_model_client
from codeframe_tui.llm.scripted import ErrorReply, ScriptedModel, ScriptedServer, ToolUseReply
from codeframe_tui.llm.scripted.agent import ask, change_set_agent, list_files, place, play, search, writes
from codeframe_tui.llm.tools import FINISH
from codeframe_tui.ui.app import CodeframeApp
from codeframe_tui.ui.attention import osc9
from codeframe_tui.ui.bridge import EngineEvent
from codeframe_tui.ui.content import REDACTED, hide_secret, one_line, plain
from codeframe_tui.ui.screens.answer import AnswerScreen
from codeframe_tui.ui.screens.detail import TaskDetailScreen
from codeframe_tui.ui.screens.diff import DiffScreen
from codeframe_tui.ui.screens.discovery import DiscoveryScreen, PrdScreen
from codeframe_tui.ui.screens.forms import TaskFormScreen
from codeframe_tui.ui.screens.inbox import InboxScreen
from codeframe_tui.ui.screens.reject import RejectScreen
from codeframe_tui.ui.screens.review import PlanReviewScreen
from codeframe_tui.ui.textual_private import screen_rows as rendered_rows

# (what it is, the text, what must show where it is shown). Each has a marker, H01..., to find it by.
HOSTILE = [
    ("markup close tag", "[/b] H01", "[/b] H01"),
    ("unclosed markup", "H02 [/", "H02 [/"),
    ("markup style", "[red]H03[/red]", "[red]H03[/red]"),
    ("click action", "[@click=app.quit]H04[/]", "[@click=app.quit]H04[/]"),
    ("link markup", "[link=file:///etc/passwd]H05[/link]", "[link=file:///etc/pas"),
    ("variables", "$var H06 [$name]", "$var H06 [$name]"),
    ("escaped markup", "\\[b]H07[/b]", "\\[b]H07[/b]"),
    ("clear and home", "\x1b[2J\x1b[HH08 cleared", "H08 cleared"),
    ("cursor to 10;10", "H09\x1b[10;10Hmoved", "H09moved"),
    ("cursor up and left", "H10\x1b[A\x1b[5Dup", "H10up"),
    ("leave the alternate screen", "\x1b[?1049lH11", "H11"),
    ("hide the cursor", "\x1b[?25lH12", "H12"),
    ("SGR colour", "\x1b[31;1mH13\x1b[0m red", "H13 red"),
    ("8-bit CSI", "\x9b2J\x9b1;1HH14", "H14"),
    ("8-bit OSC", "\x9d0;pwned\x9cH15", "H15"),
    ("OSC title, BEL", "\x1b]0;pwned\x07H16", "H16"),
    ("OSC title, ST", "\x1b]2;pwned\x1b\\H17", "H17"),
    ("OSC 52 clipboard", "\x1b]52;c;cHduZWQ=\x07H18", "H18"),
    ("OSC 8 hyperlink", "\x1b]8;;http://evil.example/\x1b\\H19\x1b]8;;\x1b\\", "H19"),
    ("DCS sixel", "\x1bPq#0;2;0;0;0#0~~\x1b\\H20", "H20"),
    ("tmux passthrough", "\x1bPtmux;\x1b\x1b]0;pwned\x07\x1b\\H21", "tmux;H21"),
    ("bare ESC and RIS", "\x1bcH22\x1b", "H22"),
    ("BEL and backspace", "H23\x07\x08\x08\x08!", "H23!"),
    ("carriage return", "XXXXXXXX\rH24", "XXXXXXXXH24"),
    ("NUL and DEL", "H25\x00\x7f!", "H25!"),
    ("vertical tab, form feed", "H26\x0b\x0c!", "H26!"),
    ("tabs", "H27\tT", "H27"),
    ("wide CJK", "H28 漢字テスト", "H28 漢字テスト"),
    ("emoji: ZWJ, VS16, skin tone", "H29 👨\u200d👩\u200d👧 ✅❤\ufe0f👍🏽\u3164!", "H29 👨👩👧 ✅❤👍!"),
    ("zero-width", "H30\u200b\u200c\ufeff!", "H30"),
    ("RTL override", "H31 \u202egnp.exe", "H31 gnp.exe"),
    ("bidi isolates", "\u2066H32\u2069\u202a!\u202c", "H32!"),
    ("line separators", "H33\u2028\u2029!", "H33"),
    ("NEL and C1", "H34\x85\x8d\x8e!", "H34!"),
    ("10,000-char line", "H35 " + "x" * 10_000, "H35"),
    ("combining marks", "H36 e\u0301\u0301\u0301\u0301", "H36 e"),
    ("keypad, charset", "\x1b=\x1b(0H37\x1b(B", "H37"),
    ("lone surrogates", "H38 \udcff\ud800", "H38 \ufffd\ufffd"),  # JSON's "\ud800"; the store refuses them
]
STORABLE = [h for h in HOSTILE if not re.search(r"[\ud800-\udfff]", h[1])]
# One or more of each kind (markup, CSI, C1, OSC, DCS, C0, Unicode), where opening a screen per text is slow.
FORM_SAMPLE = {1, 4, 8, 11, 14, 15, 16, 18, 20, 22, 24, 25, 31, 33, 35}
# Nothing of these may reach the terminal: C0 (newlines too: rows have none), DEL, C1, bidi controls,
# line separators, surrogates; nor what Rich and terminals measure differently (ZWJ, variation
# selectors, skin tones, Hangul fillers). The SVG export keeps its own newlines.
_ODD = r"\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\u3164"
FORBIDDEN = re.compile(rf"[\x00-\x1f{_ODD}]")
FORBIDDEN_SVG = re.compile(rf"[\x00-\x09\x0b-\x1f{_ODD}]")


def screen_rows(app, *, svg: bool = False) -> str:
    """The screen's rows as the terminal gets them (the compositor's strips, which export_screenshot
    renders too; Textual's own cursor moves are control segments, left out), checked clean."""
    rows = rendered_rows(app)
    dirty = [(y, row) for y, row in enumerate(rows) if FORBIDDEN.search(row)]
    assert not dirty, f"control characters reach the terminal: {dirty[:3]!r}"
    if svg:  # the public export, whole: every character drawn, in every layer
        found = FORBIDDEN_SVG.findall(app.export_screenshot())
        assert not found, f"control characters in the exported screen: {found[:10]!r}"
    assert app.is_running
    return "\n".join(rows)


def clean(lines) -> list[str]:
    lines = [str(line) for line in lines]
    assert not [line for line in lines if FORBIDDEN.search(line)], "control characters in a pane's lines"
    return lines


def test_plain_strips_every_escape_whole_and_keeps_the_text():
    for name, text, shown in HOSTILE:
        out = plain(text)
        assert not FORBIDDEN.search(out.replace("\n", "")), name
        assert shown in out or shown in " ".join(out.split()), name
        assert "pwned" not in out and "2J" not in out and "10;10" not in out, name
    assert plain(HOSTILE[20][1]) == "tmux;H21"  # the passthrough's body is cut at ESC ESC: plain text, safe
    assert plain("a\x1b") == "a" and plain("\x1b#8E") == "E" and plain("\x1b(0q") == "q"
    assert plain("a\nb\tc") == "a\nb    c"  # newlines stay where plain() is shown as a block


def test_plain_takes_linear_time_on_a_hostile_line():
    for piece in ("\x1bP", "\x1b]", "\x9d", "\x90", "\x1b[1", "\x1bX\x1b", "\x1bP\x1b\x1b"):
        start = time.perf_counter()
        plain(piece * (64 * 1024 // len(piece)))  # a test output line is cut at 64 KB
        assert time.perf_counter() - start < 0.5, repr(piece)


def test_a_hidden_secret_is_masked_whole_and_by_its_tail():
    key = "sk-ant-api03-HIDE-ME-0123456789abcdefXYZ"
    hide_secret(key)
    hide_secret("short")  # too short to be a key: hiding it would eat ordinary words
    assert plain(f"key={key}!") == f"key={REDACTED}!"
    assert plain(f"…{key[-12:]}") == f"…{REDACTED}"
    assert one_line(f"a\x1b[0m{key}") == f"a{REDACTED}" and plain("short") == "short"


def test_osc9_body_holds_no_control_character_for_any_hostile_text():
    for name, text, _ in HOSTILE:
        for in_tmux in (False, True):
            seq = osc9(f"Task 1 asks: {text}", in_tmux=in_tmux)
            body = seq.removeprefix("\x1bPtmux;\x1b\x1b]9;" if in_tmux else "\x1b]9;")
            body = body.removesuffix("\x07\x1b\\" if in_tmux else "\x07")
            assert not FORBIDDEN.search(body), (name, in_tmux)


def hostile_plan() -> tuple[list[tuple[str, str]], list[NewTask]]:
    """One task per hostile text (title, description, issue), and three with hostile keys."""
    issues = [("I1", "[/b] issue \x1b]0;pwned\x07I-TITLE [red]x[/red]")]
    plan = [NewTask(str(n), text, AgentType.BACKEND, description=f"D{n}: {text}", issue_key="I1")
            for n, (_, text, _) in enumerate(STORABLE, 1)]
    keys = ["[/b]K1", "K2\x1b]0;pwned\x07", "[@click=app.quit]K3\x1b[2J"]
    plan += [NewTask(key, f"task {key}", AgentType.TEST, depends_on=(keys[0],) if key != keys[0] else ())
             for key in keys]
    return issues, plan


def hostile_app(project, responder, plan, issues=(), *, reasons: bool = False, engine: dict | None = None,
                **kwargs) -> CodeframeApp:
    """The app on the scripted model; the plan is approved unless it opens on plan review."""
    settings = engine or {}

    async def opener(sink):
        engine, _, _ = await open_engine(project, responder, [], sink=sink, people_present=True, **settings)
        await engine.store.add_plan(list(issues), plan)
        for task in plan if reasons else ():
            await engine.store.set_reason(task.key, f"R-{task.title}")
        if not kwargs.get("review"):
            await engine.approve_all()
        return engine

    return CodeframeApp(opener, banner="[/b] banner \x1b]0;pwned\x07\x1b[2J", offline=True, **kwargs)


async def test_titles_descriptions_issues_and_keys_in_plan_review_tasks_and_details(tmp_path):
    issues, plan = hostile_plan()
    app = hostile_app(make_project(tmp_path / "p"), passing_responder, plan, issues, reasons=True,
                      review=True, auto_run=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen) and app.screen.table.row_count)
        screen = screen_rows(app, svg=True)
        assert "[/b] banner" in screen and "I1 [/b] issue I-TITLE [red]x[/red]" in screen
        for n, (_, text, shown) in enumerate(STORABLE, 1):  # each task's title, reason and description
            await pilot.pause()
            screen = screen_rows(app)
            # The table, the detail's title and its description (a 10,000-char title wraps and fills the pane).
            assert screen.count(shown) >= (3 if len(text) < 1000 else 1), shown
            if n in FORM_SAMPLE:  # the edit form's fields draw the title and description as they are
                await pilot.press("e")
                await wait_for(pilot, lambda: isinstance(app.screen, TaskFormScreen))
                assert shown[:12] in screen_rows(app)
                await pilot.press("escape")
            await pilot.press("j")
        for key in ("[/b]K1", "K2", "[@click=app.quit]K3"):
            assert key in screen_rows(app)
        await pilot.press("j", "a")  # approving a task whose key is markup: the toast names it as typed
        await wait_for(pilot, lambda: "Approved [@click=app.quit]K3" in screen_rows(app))
        await pilot.press("k", "r")  # rejecting [/b]K1 would strand K2 and K3: the dialog names them
        await wait_for(pilot, lambda: isinstance(app.screen, RejectScreen))
        screen = screen_rows(app, svg=True)
        assert "could then never run: [@click=app.quit]K3," in screen and "K2" in screen
        await pilot.press("escape", "A", "s")
        await wait_for(pilot, lambda: app.screen is app.main and app.main.tasks_table.row_count == len(plan))
        for task in plan:  # approving replaced the reasons: failure reasons, as the detail shows them
            await app.engine.store.set_reason(task.key, f"R-{task.title}")
        table = app.main.tasks_table
        for n, (_, text, shown) in enumerate(STORABLE, 1):
            table.move_cursor(row=table.get_row_index(str(n)))
            await wait_for(pilot, lambda: f"{n} {shown}" in screen_rows(app))  # noqa: B023  (the pane's subtitle)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
            await wait_for(pilot, lambda: "Depends on" in str(app.screen.query_one("#detail-body").render()))
            screen = screen_rows(app, svg=n % 10 == 0)
            assert screen.count(shown) >= (3 if len(text) < 1000 else 1), shown  # title, "Why: R-...", description
            await pilot.press("escape")
        await pilot.press("q")


HOSTILE_KEY = "[/b]K\x1b[2J"  # a task key is as untrusted as its title


@change_set_agent
def asking(request):
    """Each task asks its hostile text once (three go on meanwhile, assuming it), then writes its module
    and finishes. `request` is the round as it began: the task alone, then with the question answered."""
    key = task_key_of(request)
    if len(request.messages) > 1:
        return module_answer(key if key.isdigit() else "k")
    n = int(key) if key.isdigit() else 1
    text = STORABLE[n - 1][1][:1900]  # a question is at most 2,000 characters
    blocking = n > 2
    return ask(f"Q{key} {text}", blocking=blocking, yes_no=n % 3 == 0, assumption="" if blocking else f"A{key} {text}")


async def test_questions_in_toasts_the_bell_the_inbox_the_answer_editor_and_the_detail(tmp_path):
    plan = [NewTask(str(n), f"T{n} {text}", AgentType.BACKEND) for n, (_, text, _) in enumerate(STORABLE, 1)]
    plan.append(NewTask(HOSTILE_KEY, "T hostile key", AgentType.BACKEND))
    app = hostile_app(make_project(tmp_path / "p"), asking, plan)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: len(app.inbox_items) >= 12)
        screen_rows(app, svg=True)  # toasts pile up on the main screen meanwhile
        await wait_for(pilot, lambda: len(app.inbox_items) == len(plan), timeout=90)
        screen_rows(app, svg=True)
        # The bell rang and an OSC 9 went out for each (its body: test_osc9_body_holds_no_control_...).
        assert len([text for channel, text in app.attention.sent if channel == "osc9"]) == len(plan)
        app.clear_notifications()  # checked: now they would only hide the inbox's text
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and len(app.screen.items) == len(plan))
        for item in list(app.screen.items):
            n, key = (int(item.task_key), item.task_key) if item.task_key.isdigit() else (1, "[/b]K")
            app.screen.table.move_cursor(row=app.screen.items.index(item))
            shown = STORABLE[n - 1][2]
            await wait_for(pilot, lambda: f"Task {key} asks" in screen_rows(app))  # noqa: B023  (the details)
            screen = screen_rows(app)
            assert screen.count(f"Q{key} {shown}"[:40]) == 2, n  # the list and the details
            assert n > 2 or f"Assuming meanwhile: A{key} {shown}"[:40] in screen
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, AnswerScreen))
            assert f"Q{key} {shown}"[:40] in screen_rows(app, svg=n % 10 == 0), n
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("escape")
        table = app.main.tasks_table
        for n in (1, 4, 8, 16, 21, 29):  # the detail keeps the question (and the assumption)
            table.move_cursor(row=table.get_row_index(str(n)))
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
            # The questions come after the model calls and the tool calls: at the detail's end.
            await wait_for(pilot, lambda: "Questions (1)" in str(app.screen.query_one("#detail-body").render()))
            await pilot.press("end")
            await wait_for(pilot, lambda: "Questions (1)" in screen_rows(app))
            assert f"Q{n} {STORABLE[n - 1][2]}" in screen_rows(app)
            await pilot.press("escape")
        await pilot.press("q", "y")


# The project's test command: pytest, then every hostile text as raw bytes (a lone surrogate becomes
# invalid UTF-8, as a tool's broken output is), a line ending in \r\n, and a last line with no newline.
PRINTER = """import subprocess, sys
code = subprocess.call([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--disable-plugin-autoload"])
out = sys.stdout.buffer
for line in LINES:
    out.write(b"OUT " + line + b"\\n")
out.write(b"H39 invalid \\xff\\xfe\\xc3\\x28\\xed\\xa0\\x80 end\\r\\nH40 no newline \\x1b]0;pwned\\x07")
out.flush()
sys.exit(code)
"""


def printer(tmp_path) -> list[str]:
    lines = [text.encode("utf-8", "surrogatepass") for _, text, _ in HOSTILE]
    script = tmp_path / "print_hostile.py"
    script.write_text(f"LINES = {lines!r}\n{PRINTER}")
    return [sys.executable, str(script)]


# A tool call's input is as untrusted as the model's text: the worker's step on the Agents pane, the
# tool_used event's label and the task detail's tool calls all show it (`search "..."`). The pattern
# is a valid regular expression, under the label's 40 characters, so that its escapes are cut whole.
SEARCHED = "\x1b[2J[/b]\x1b]0;pwned\x07P41 [red]x[/red]"
SEARCHED_SHOWN = 'search "[/b]P41 [red]x[/red]"'
HOSTILE_PATH = "notes/[/b]hostile [red].txt"


async def test_test_output_diff_and_streamed_text_from_a_real_run(tmp_path):
    project = make_project(tmp_path / "p", test_command=printer(tmp_path))
    hostile_file = "\n".join(text.replace("\x00", "") for _, text, _ in STORABLE) + "\n"  # NUL: refused

    def responder(request):
        """Search for a hostile pattern, list a hostile glob, write the module, its test and a file of
        hostile text at a hostile path, then finish, saying every hostile text first (in the last
        turn, as the old one-call answer did: see test_a_turn_with_a_lone_surrogate_...)."""
        answer = module_answer(task_key_of(request))
        files = {f["path"]: f["content"] for f in answer["files"]} | {HOSTILE_PATH: hostile_file}
        streamed = "".join(text for _, text, _ in HOSTILE) + '"path": "[/b]\x1b[2Jp.py"'
        *edits, _ = writes(files, "")
        steps = [search(SEARCHED), list_files("notes/[/b]*\x1b]0;pwned\x07"), *edits,
                 ToolUseReply(FINISH, {"summary": "[/b] summary \x1b]0;pwned\x07\x1b[2J H43"}, text=streamed)]
        return play(steps, place(request).step)

    title = "[/b] review\x1b]0;pwned\x07 title H42"
    app = hostile_app(project, responder, [NewTask("1", title, AgentType.BACKEND)], engine={"review": "review"})
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.inbox_items)
        output = "\n".join(clean(app.main.test_log.lines))
        assert "OUT H08 cleared" in output and "H39 invalid \ufffd" in output and "H40 no newline" in output
        assert all(f"OUT {shown}" in output for _, _, shown in HOSTILE if shown != "H27"), output[-2000:]
        clean(app.main.activity.lines)
        assert "H40 no newline" in screen_rows(app, svg=True)  # the pane shows the output's end
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.items)
        assert "[/b] review title H42" in screen_rows(app)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen))
        assert "Review 1: [/b] review title H42" in screen_rows(app)  # the header
        while "hostile" not in str(app.screen.bar.render()):
            await pilot.press("tab")
        seen = [screen_rows(app, svg=True)]
        view = app.screen.diff_view
        while view.scroll_offset.y < view.max_scroll_y:
            await pilot.press("space")
            seen.append(screen_rows(app))
        seen = "\n".join(seen)
        assert "notes/[/b]hostile [red].txt" in seen
        assert all(f"+{shown}" in seen for _, _, shown in STORABLE if shown != "H27"), seen
        await pilot.press("y")  # accepted from the diff: it lands
        await wait_for(pilot, lambda: app.summary is not None)
        clean(app.main.activity.lines)
        screen_rows(app, svg=True)
        await pilot.press("escape", "enter")  # the task's detail: its model calls and its tool calls
        await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
        await wait_for(pilot, lambda: "Tool calls" in str(app.screen.query_one("#detail-body").render()))
        body = "\n".join(clean(str(app.screen.query_one("#detail-body").render()).split("\n")))
        for label in (SEARCHED_SHOWN, "list_files notes/[/b]*", f"view {HOSTILE_PATH}", f"create {HOSTILE_PATH}"):
            assert f"backend-1: {label}" in body, label
        seen = [screen_rows(app, svg=True)]
        scroll = app.screen.query_one("#detail")
        while scroll.scroll_offset.y < scroll.max_scroll_y:
            await pilot.press("pagedown")
            seen.append(screen_rows(app))
        assert f"backend-1: {SEARCHED_SHOWN}" in "\n".join(seen)
        await pilot.press("escape", "q")


async def test_a_syntax_coloured_diff_shows_hostile_code_as_typed(tmp_path):
    """The lexer sees only plain() text and returns ranges of it: a .py file of hostile text, in strings
    and bare, is coloured by token, and still shows as typed with no escape reaching the terminal."""
    from textual.app import App

    from codeframe_tui.ui.screens.diff import DiffView

    # Without the NUL: a file holding one is binary, and not shown.
    code = "".join(f"s = '{text}'  # {name}\n{text}\n" for name, text, _ in HOSTILE).replace("\x00", "")
    screen = DiffScreen("t", [FileDiff("hostile.py", None, code)])

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(screen)

    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view = screen.query_one(DiffView)
        seen = [screen_rows(app, svg=True)]
        coloured = 0
        while True:
            for y in range(view.size.height):
                segments = [s for s in view.render_line(y) if s.text.strip()]
                coloured += len({s.style.color for s in segments}) > 2  # mark, then two or more token colours
            if view.scroll_offset.y >= view.max_scroll_y:
                break
            await pilot.press("space")
            seen.append(screen_rows(app))
        seen = "\n".join(seen)
        assert coloured > len(HOSTILE)  # the highlighted path, not the plain one
        for name, _, shown in HOSTILE:
            if shown != "H27":  # a tab is spaces on screen
                assert f"+s = '{shown}" in seen and f"+{shown}" in seen, name
        assert "pwned" not in seen and "cHduZWQ" not in seen  # no sequence's body leaks as text


async def test_a_turn_with_a_lone_surrogate_in_its_text_does_not_end_the_task(tmp_path):
    """The old one-call answer streamed H38 and was never sent back; a tool loop keeps every turn and
    sends it back, so a turn that says H38 before a tool call must survive the store and the next call."""

    def responder(request):
        answer = module_answer(task_key_of(request))
        steps = [search("VALUE", text=f"{STORABLE[0][1]} {HOSTILE[-1][1]} then a search"),
                 *writes({f["path"]: f["content"] for f in answer["files"]}, "module")]
        return play(steps, place(request).step)

    engine, _, recorder = await open_engine(make_project(tmp_path / "p"), responder, tasks(("1", "backend")))
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.done == 1, [e.reason for e in recorder.of(ev.TaskStatusChanged)][-1]


def hostile_events(n: int, text: str) -> list[ev.Event]:
    """Every event whose text reaches a pane, carrying `text`; some under a hostile task key too."""
    key, agent = ("1", "backend-1") if n % 2 else (f"K{n}{text[:30]}", f"backend-{n}")
    return [
        ev.AgentStatusChanged(agent_id=agent, agent_type="backend", status="busy", task_id=key, step=f"S{n} {text}"),
        ev.ModelTextStreamed(task_id=key, agent_id=agent, text=f'{text} "path": "P{n}{text[:40]}.py"'),
        ev.TaskStatusChanged(task_id="1", title=text, status="failed", agent_id=agent, reason=f"F{n} {text}"),
        ev.TaskHeld(task_id="2", reason=f"W{n} {text}", blocked_by=(key,)),
        ev.ModelRetried(task_id=key, agent_id=agent, retry=1, of=2, wait=0.5, reason=f"M{n} {text}"),
        ev.BlockerCreated(blocker_id=n, task_id=key, question=f"B{n} {text}", assumption=text, kind="async"),
        ev.BlockerResolved(blocker_id=n, task_id=key, answer=f"Y{n} {text}"),
        ev.ReviewDecided(task_id=key, decision="rejected", feedback=f"V{n} {text}"),
        ev.TestStarted(task_id=key, command=(f"C{n}", text), attempt=0),
        ev.TestOutput(task_id=key, lines=(f"O{n} {text}", text)),
        ev.TestResult(task_id=key, status="failed", total=1, passed=0, failed=1, errors=0, skipped=0, duration=0.1),
        ev.ToolUsed(task_id=key, agent_id=agent, tool="search", label=f"L{n} {text}"[:200], ok=n % 3 != 0,
                    note=f"N{n} {text}"[:500]),
        ev.WorkPaused(reason=f"Z{n} {text}", used_bytes=1, limit_bytes=1),
    ]


async def test_every_event_field_in_every_pane(tmp_path):
    plan = [NewTask("1", "one", AgentType.BACKEND), NewTask("2", "two", AgentType.TEST)]
    app = hostile_app(make_project(tmp_path / "p"), passing_responder, plan, auto_run=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.engine is not None and app.main.tasks_table.row_count == 2)
        for n, (name, text, shown) in enumerate(HOSTILE, 1):
            for event in hostile_events(n, text):
                app.post_message(EngineEvent(event))
            await wait_for(pilot, lambda: any(f"Z{n}" in line for line in app.main.activity.lines))  # noqa: B023
            screen = screen_rows(app, svg=n % 8 == 0)
            assert one_line(f"S{n} {shown}", 60)[:20] in screen or n % 2 == 0, name  # the Agents pane's step
            log = "\n".join(clean(app.main.activity.lines))
            for mark in "FWMYVZ" + ("B" if len(text) < 300 else ""):  # a long assumption comes first
                assert f"{mark}{n} {shown}"[:30] in log, (name, mark)
            output = "\n".join(clean(app.main.test_log.lines))
            assert f"O{n} {shown}" in output or shown == "H27", name
            app.main.test_log.show(f"K{n}{text[:30]}", follow=True)  # a task with no output yet, by key
            screen_rows(app)
            app.clear_notifications()
        bells = [text for channel, text in app.attention.sent if channel == "bell"]
        assert len(bells) == len(HOSTILE)
        # The tool calls, as the task's detail reads them from the event log (some refused, with why).
        for n, (_, text, _) in enumerate(STORABLE, 1):
            event = next(e for e in hostile_events(n, text) if isinstance(e, ev.ToolUsed))
            await app.engine.store.log_event(event.type, "1", event.to_json_dict())
        app.main.tasks_table.move_cursor(row=app.main.tasks_table.get_row_index("1"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
        await wait_for(pilot, lambda: "Tool calls" in str(app.screen.query_one("#detail-body").render()))
        body = "\n".join(clean(str(app.screen.query_one("#detail-body").render()).split("\n")))
        for n, (name, _, shown) in enumerate(STORABLE, 1):
            assert f"L{n} {shown}"[:30] in body, name
            assert n % 3 or f"(refused: N{n} {shown}"[:30] in body, name
        seen = [screen_rows(app, svg=True)]
        scroll = app.screen.query_one("#detail")
        while scroll.scroll_offset.y < scroll.max_scroll_y:
            await pilot.press("pagedown")
            seen.append(screen_rows(app))
        assert "L37 H37" in "\n".join(seen)
        await pilot.press("escape", "q")


KEY = "sk-ant-api03-SCREEN-PLANTED-0123456789abcdefXYZ"


async def test_a_planted_key_is_never_on_screen(tmp_path, monkeypatch):
    """The real client against the scripted server. Task 1's tests print the key from a file they read
    and look for it in their environment (withheld from test commands); task 2's calls are refused by a
    proxy that echoes the key in its error, and the task fails with that reason."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    (tmp_path / "key.txt").write_text(KEY)
    leak = tmp_path / "leak.py"
    leak.write_text("import os, subprocess, sys\nprint('env key:', os.environ.get('ANTHROPIC_API_KEY'))\n"
                    f"print('file key:', open({str(tmp_path / 'key.txt')!r}).read())\n"
                    "sys.exit(subprocess.call([sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', "
                    "'--disable-plugin-autoload']))\n")
    project = make_project(tmp_path / "p", test_command=[sys.executable, str(leak)])

    def responder(request):
        if task_key_of(request) == "2":
            return ErrorReply(401, "authentication_error", f"invalid x-api-key: {KEY}")
        return passing_responder(request)

    async with ScriptedServer(ScriptedModel(responder)) as server:
        settings = load_settings(project, env={"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url},
                                 review="auto")

        async def opener(sink):
            engine = await Engine.open(settings, ModelClient(settings, build_anthropic_client(settings)), sink,
                                       people_present=True)
            await engine.store.add_plan([], [NewTask("1", "prints the key", AgentType.BACKEND),
                                             NewTask("2", "refused", AgentType.BACKEND)])
            await engine.approve_all()
            return engine

        app = CodeframeApp(opener, banner="real client", offline=False)
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await wait_for(pilot, lambda: app.summary is not None)
            shown = [screen_rows(app, svg=True), *clean(app.main.test_log.lines), *app.main.activity.lines]
            assert any(f"file key: {REDACTED}" in line for line in shown)  # it got there, and was hidden
            assert any("env key: None" in line for line in shown)  # test commands never get the key
            for key in ("1", "2"):
                app.main.tasks_table.move_cursor(row=app.main.tasks_table.get_row_index(key))
                await pilot.press("enter")
                await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
                await wait_for(pilot, lambda: "Depends on" in screen_rows(app))
                shown.append(screen_rows(app, svg=True))
                shown.append(app.export_screenshot())
                await pilot.press("escape")
            await pilot.press("q")
    assert "401" in shown[-2]  # the detail of task 2 says why it failed
    assert [s for s in shown if KEY in s or KEY[-12:] in s] == []


async def test_discovery_questions_the_prd_and_a_refused_plan(tmp_path):
    """The lead's questions, the PRD it writes (read and edited) and the error naming a bad task key."""
    prd = "# [/b] PRD \x1b]0;pwned\x07P1\n\n" + "\n\n".join(f"- {text}" for _, text, _ in STORABLE)
    bad_key = "[/b]\x1b[2JK"
    plans = iter([[bad_key, bad_key], ["[/b]K", "K2"]])  # refused (its error quotes the key); then taken

    def planner(request):
        tool = request.body["tools"][0]["name"]
        if tool == "ask_question":
            done = "A: " in request.last_user_text()
            return ToolUseReply(tool, {"question": "[/b] who? \x1b]0;pwned\x07Q1 [red]x[/red]", "topic": "users",
                                       "enough": done})
        if tool == "write_prd":
            return ToolUseReply(tool, {"markdown": prd})
        tasks = [{"key": k, "title": f"T {k}", "description": "d", "agent_type": "backend", "depends_on": []}
                 for k in next(plans)]
        return ToolUseReply("submit_plan", {"issues": [], "tasks": tasks})

    root = make_project(tmp_path / "p")

    async def opener(sink):
        settings = load_settings(root, offline=True)
        return await Engine.open(settings, scripted_model_client(settings, ScriptedModel(planner)), sink)

    app = CodeframeApp(opener, banner="discovery", offline=True, review=True, discover=True)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DiscoveryScreen))
        await pilot.press(*"a goal", "enter")
        await wait_for(pilot, lambda: "[/b] who? Q1 [red]x[/red]" in screen_rows(app))
        await pilot.press(*"them", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PrdScreen))
        await wait_for(pilot, lambda: "[/b] PRD P1" in screen_rows(app, svg=True))
        await pilot.press("e")  # the editor draws the PRD's text as it is
        await wait_for(pilot, lambda: "[/b] PRD P1" in screen_rows(app, svg=True))
        await pilot.press("ctrl+s", "c")
        await wait_for(pilot, lambda: "Could not make the plan: " in screen_rows(app, svg=True))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanReviewScreen) and app.screen.tasks)
        assert "T [/b]K" in screen_rows(app, svg=True)
        await pilot.press("q")
