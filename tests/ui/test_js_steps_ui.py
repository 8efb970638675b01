"""Pilot: a JavaScript project's chained test script, as a person sees it: the steps in the task's
detail, with the failed lint step's problem at its file and line."""

from __future__ import annotations

import json
import shutil

import pytest
from support import open_engine, passing_responder, tasks, wait_for

from codeframe_tui.ui.app import CodeframeApp
from codeframe_tui.ui.screens.detail import TaskDetailScreen

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")


async def test_the_task_detail_shows_each_step_and_the_lint_steps_problem(tmp_path):
    project = tmp_path / "p"
    (project / "src").mkdir(parents=True)
    (project / "package.json").write_text(json.dumps({"name": "p", "scripts": {
        "test": "npm run lint && node --test",
        "lint": "sh -c 'echo src/a.js:2:3: error: count is never used; exit 1'",
    }}))
    (project / "src" / "a.js").write_text("exports.a = 1;\nconst count = 2;\n")
    (project / "a.test.js").write_text("const test = require('node:test');\ntest('ok', () => {});\n")

    async def opener(sink):
        engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "frontend")), sink=sink,
                                         worktrees=False, max_corrections=0)
        return engine

    app = CodeframeApp(opener, banner="test", offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.summary is not None)
        app.open_task_detail("1")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskDetailScreen))
        await pilot.pause()

        def body() -> str:
            found = app.screen.query("#detail-body")
            return str(found.first().render()) if found else ""

        await wait_for(pilot, lambda: "Test runs" in body())
        text = body()
        assert "lint ✗ · node 1/1" in text, text
        assert "src/a.js:2: count is never used" in text
        # The question it asks says what failed, not "0 failed, 0 errors".
        assert "its tests still fail (failed: lint ✗ (src/a.js:2: count is never used) · node 1/1)" in text
        await pilot.press("escape", "q")


def test_a_failure_in_a_line_names_the_failed_step_and_its_first_problem():
    from codeframe_tui.domain import StepOutcome, TestRun, TestStatus

    lint = StepOutcome("lint", "lint", "failed", problems=("src/a.js:2: count is never used", "src/b.js:1: x"))
    run = TestRun(TestStatus.FAILED, total=1, passed=1, steps=(lint, StepOutcome("node", "test", "passed", 1, 1)))
    assert run.brief() == "failed: lint ✗ (src/a.js:2: count is never used) · node 1/1"
    plain = TestRun(TestStatus.FAILED, total=2, passed=1, failed=1, failing_tests=("t::a",))
    assert plain.brief() == "failed: 1 failed, 0 errors; t::a"
