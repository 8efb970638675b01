"""Pilot tests of isolation: the git-init offer, undo by `u`, and the worktree in the task detail."""

from __future__ import annotations

from support import make_project, module_answer, open_engine, task_key_of, tasks, wait_for

from codeframe_tui.llm.scripted.agent import ask, change_set_agent
from codeframe_tui.ui.app import CodeframeApp
from codeframe_tui.ui.screens.confirm import ChoiceScreen
from codeframe_tui.ui.screens.detail import TaskDetailScreen


@change_set_agent
def submit(request):
    """The task's module and its test, written through the editor tool, then finish."""
    return module_answer(task_key_of(request))


def make_app(project, responder, plan, **overrides) -> CodeframeApp:
    async def opener(sink):
        engine, _, _ = await open_engine(project, responder, plan, sink=sink, people_present=True, **overrides)
        return engine

    return CodeframeApp(opener, banner="test project", offline=True)


def plain_project(root):
    """make_project without its git repository."""
    import shutil

    project = make_project(root)
    shutil.rmtree(project / ".git")
    return project


async def test_a_plain_folder_is_made_a_repository_when_the_person_says_yes(tmp_path):
    project = plain_project(tmp_path / "p")
    app = make_app(project, submit, tasks(("1", "backend")))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "not a git repository" in app.screen.body
        await pilot.press("y")
        await wait_for(pilot, lambda: app.summary is not None)
        assert app.summary.all_done
        await pilot.press("q")
    assert (project / ".git").is_dir() and (project / "pkg" / "m_1.py").exists()


async def test_a_plain_folder_is_left_alone_when_the_person_says_no(tmp_path):
    project = plain_project(tmp_path / "p")
    app = make_app(project, submit, tasks(("1", "backend")))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.engine_error is not None)
        assert "not a git repository" in app.engine_error and app.summary is None
        await pilot.press("q")
    assert not (project / ".git").exists()


async def test_undo_by_u_reverts_the_landed_task(tmp_path):
    project = make_project(tmp_path / "p")
    app = make_app(project, submit, tasks(("1", "backend")))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.summary is not None)
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "pkg/m_1.py" in app.screen.body
        await pilot.press("a")
        await wait_for(pilot, lambda: app.main.tasks_table.display_status["1"] == "approved")
        assert str(app.main.agents_table.border_subtitle).startswith("worktrees ")
        await pilot.press("q")
    assert not (project / "pkg" / "m_1.py").exists()


async def test_the_task_detail_shows_its_worktree(tmp_path):
    project = make_project(tmp_path / "p")

    @change_set_agent
    def asks(request):  # the round as it began: the task alone, then with the question answered
        if len(request.messages) == 1:
            return ask("Which name?")
        return module_answer(task_key_of(request))

    app = make_app(project, asks, tasks(("1", "backend")))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.inbox_items)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
        await pilot.pause(0.2)
        body = str(app.screen.query_one("#detail-body").render())
        assert "Worktree: .codeframe/worktrees/1 on branch codeframe/1" in body
        await pilot.press("escape", "ctrl+c")
