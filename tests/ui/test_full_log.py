"""Pilot tests: a test run's whole log opens by keys alone (o), pages by keys, and the pane stays bounded."""

from __future__ import annotations

import sys
from types import SimpleNamespace

from support import make_project, open_engine, passing_responder, tasks, wait_for
from textual.app import App

from codeframe_tui.runner.logfile import LOGS_DIR, RunLog, new_log_path
from codeframe_tui.ui.app import CodeframeApp
from codeframe_tui.ui.screens.detail import TaskDetailScreen
from codeframe_tui.ui.screens.log_view import LogViewerScreen
from codeframe_tui.ui.widgets import output_log
from codeframe_tui.ui.widgets.output_log import SCREEN_LINES, TestOutputLog

FLOOD = "import sys\nfor i in range(int(sys.argv[1])):\n    print(f'flood line {i:05d}')\nprint('1 passed in 0.01s')\n"
LINES = 5000


def flood_app(tmp_path) -> CodeframeApp:
    (tmp_path / "flood.py").write_text(FLOOD)
    project = make_project(tmp_path / "p", test_command=[sys.executable, str(tmp_path / "flood.py"), str(LINES)])

    async def opener(sink):
        engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend")), sink=sink,
                                         people_present=True, worktrees=False)
        return engine

    return CodeframeApp(opener, banner="test", offline=True)


def shown(app) -> list[str]:
    return [line.text for line in app.screen.lines]


async def test_the_full_log_opens_and_pages_by_keys_alone(tmp_path):
    app = flood_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.summary is not None)
        await pilot.pause()
        pane = app.main.test_log
        assert pane.line_count <= SCREEN_LINES < LINES  # the pane keeps a tail; the log keeps it all
        # From the Tasks pane (it has the focus), o opens the highlighted task's latest log at its end.
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, LogViewerScreen))
        await pilot.pause()
        end = shown(app)
        assert end[-1].startswith("→ passed") and "1 passed in 0.01s" in end
        height = len(end)
        assert 10 < height < 30
        await pilot.press("g")
        first = shown(app)
        assert first[0].startswith("$ ") and first[1] == "flood line 00000" and len(first) == height
        await pilot.press("space")
        assert shown(app)[0] == f"flood line {height - 1:05d}"  # the next page starts where this one ended
        await pilot.press("j", "j")
        assert shown(app)[0] == f"flood line {height + 1:05d}"
        await pilot.press("k", "b")
        assert shown(app)[0] == "flood line 00000"
        await pilot.press("G")
        assert shown(app) == end
        await pilot.press("escape")
        assert app.screen is app.main
        # From the Test output pane, o opens the run it shows; from the task's detail, its latest run.
        await pilot.press("tab", "tab")
        assert app.focused is pane
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, LogViewerScreen))
        assert str(app.screen.pager.path).endswith(pane.log_paths["1"])
        await pilot.press("q")
        app.open_task_detail("1")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, LogViewerScreen))
        assert shown(app) == end
        await pilot.press("escape", "escape")
        assert app.screen is app.main
        await pilot.press("q")


class PaneApp(App):
    """The Test output pane alone, with a project for its logs."""

    def __init__(self, project) -> None:
        super().__init__()
        self.engine = SimpleNamespace(settings=SimpleNamespace(project=project))

    def compose(self):
        yield TestOutputLog()


async def test_tails_of_older_tasks_come_back_from_their_logs(tmp_path, monkeypatch):
    monkeypatch.setattr(output_log, "TASKS_IN_MEMORY", 3)
    app = PaneApp(tmp_path)
    async with app.run_test() as pilot:
        pane = app.query_one(TestOutputLog)
        for n in range(1, 7):
            key = f"{n}.1"
            log = new_log_path(tmp_path / LOGS_DIR, key, "agent")
            run = RunLog(log, f"$ tests of {key}")
            lines = tuple(f"task {key} line {i}" for i in range(30))
            for line in lines:
                run.write(line)
            run.close("→ passed")
            pane.run_started(key, f"tests of {key}", str(log.relative_to(tmp_path)))
            pane.add_lines(key, lines)
        assert list(pane.buffers) == ["4.1", "5.1", "6.1"]  # at most 3 tails in memory
        pane.add_lines("6.1", ("z" * 50_000,))  # a huge line is cut in the pane (its log keeps it whole)
        assert pane.shown == "6.1" and pane.lines[-1] == "z" * output_log.LINE_CHARS + "…"
        pane.show("1.1", follow=False)
        await pilot.pause()
        assert pane.lines[0] == "$ tests of 1.1" and pane.lines[-1] == "→ passed"
        assert "task 1.1 line 29" in pane.lines
        pane.show("9.9", follow=False)
        assert pane.lines == ["(no test output yet for 9.9)"]
        await pilot.press("o")  # no log for 9.9: a message, no viewer
        assert not isinstance(app.screen, LogViewerScreen)
