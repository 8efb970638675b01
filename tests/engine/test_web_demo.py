"""`codeframe-tui demo --stack web`: the TypeScript demo made, run on the scripted model with real
vitest, eslint and tsc, its lint failure named and corrected; refused clearly without node."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from isolation import config_home_env
from js_projects import link_tools

from codeframe_tui.config import load_settings
from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.events import TestResult
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.offline import scripted_model_client
from codeframe_tui.vcs import Git

pytestmark = pytest.mark.slow


async def _linked(root: Path) -> None:
    link_tools(root)  # the tests' own install of the same tools, instead of `npm install`


async def test_the_web_demo_lands_its_tasks_and_the_lint_failure_is_named_then_corrected(tmp_path):
    from support import Recorder

    from codeframe_tui.demo.setup import demo_stack, prepare_demo

    root = tmp_path / "web"
    setup = await prepare_demo(root, latency=0, stack="web", install=_linked)
    assert demo_stack(root) == "web" and setup.answers_file is None
    recorder = Recorder()
    engine = await Engine.open(setup.settings, scripted_model_client(setup.settings, setup.scripted), recorder)
    try:
        await engine.approve(["W1.1", "W1.2"])  # two of the five: the lint story, in a third of the time
        summary = await engine.run()
        runs = [run for _, run in await engine.store.test_runs("W1.2")]
        statuses = {t.key: t.status for t in await engine.store.list_tasks()}
    finally:
        await engine.close()
    assert summary.done == 2 and statuses["W1.1"] == statuses["W1.2"] == TaskStatus.DONE, statuses
    red = next(run for run in runs if run.steps and run.steps[0].status == "failed")
    assert [s.short for s in red.steps] == ["lint ✗", "types ✓", "vitest 6/6"]
    assert red.steps[0].problems[0].startswith("src/bookCard.ts:5: 'shown' is assigned a value but never used")
    assert [s.short for s in runs[-1].steps] == ["lint ✓", "types ✓", "vitest 6/6"]  # the landing's
    results = [e for e in recorder.of(TestResult) if e.task_id == "W1.2" and e.steps]
    assert any("lint ✗" in e.steps for e in results)  # the event names the step too
    # The worker's own correction reached the file: the unused variable is gone from what landed.
    landed = (await Git(root).run("show", "HEAD:src/bookCard.ts")).out
    assert "shown" not in landed and "export function bookCard" in landed


def _demo(tmp_path: Path, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codeframe_tui", "demo", "--stack", "web", "--headless", "--dir",
         str(tmp_path / "web")], capture_output=True, text=True, timeout=120,
        env={**config_home_env(), "PATH": path, "HOME": str(tmp_path / "home")},
    )


def test_without_node_the_web_demo_is_refused_before_anything_is_written(tmp_path):
    done = _demo(tmp_path, str(tmp_path / "empty-bin"))
    assert done.returncode == 2, done.stderr
    assert "the web demo needs Node.js 20 or later with npm, and node and npm was not found" in done.stderr
    assert "`codeframe-tui demo` runs the Python demo" in done.stderr
    assert not (tmp_path / "web").exists()


def test_a_failed_npm_install_is_shown_as_it_is(tmp_path):
    node = Path(os.path.realpath(subprocess.run(["sh", "-c", "command -v node"], capture_output=True,
                                                text=True).stdout.strip() or "/nonexistent/node"))
    if not node.exists():
        pytest.skip("node is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "node").symlink_to(node)
    npm = bin_dir / "npm"
    npm.write_text("#!/bin/sh\necho 'npm error code E404' >&2\necho 'npm error 404 Not Found - GET vitest' >&2\n"
                   "exit 1\n")
    npm.chmod(0o755)
    done = _demo(tmp_path, f"{bin_dir}:/usr/bin:/bin")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "`npm install` failed in" in done.stderr and "npm error 404 Not Found - GET vitest" in done.stderr


async def test_a_task_in_a_workspace_package_runs_that_packages_tests_and_landing_runs_them_all(tmp_path):
    from js_projects import write, yarn_workspace
    from support import Recorder, git_init

    from codeframe_tui.domain import AgentType, NewTask
    from codeframe_tui.llm.scripted import ScriptedModel
    from codeframe_tui.llm.scripted.agent import create, finish, place, play

    project = yarn_workspace(tmp_path / "tools")
    write(project, {"packages/core/add.test.js": (  # all green at the start
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "const { add } = require('./index.js');\ntest('adds', () => assert.strictEqual(add(1, 2), 3));\n"),
        ".gitignore": "node_modules\n"})
    git_init(project)
    test = ("const assert = require('node:assert');\nconst { greet } = require('../index.js');\n"
            "describe('shout', () => it('greets loudly', () => assert.strictEqual(greet('A'), 'hello A')));\n")

    def agent(request):
        return play([create("packages/cli/test/shout.test.js", test), finish("a test for greet")],
                    place(request).step)

    settings = load_settings(project, offline=True, review="auto")
    recorder = Recorder()
    engine = await Engine.open(settings, scripted_model_client(settings, ScriptedModel(agent)), recorder)
    try:
        await engine.store.add_plan([], [NewTask("1", "Test greet", AgentType.FRONTEND,
                                                 files=("packages/cli/index.js",))])
        await engine.approve_all()
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.done == 1
    by_purpose = {e.purpose: e.steps for e in recorder.of(TestResult) if e.task_id == "1"}
    assert by_purpose["agent"] == ("mocha (packages/cli) 3/3",)  # the task's own package
    assert by_purpose["merge"] == ("mocha (packages/cli) 3/3", "node (packages/core) 1/1")  # the whole suite
