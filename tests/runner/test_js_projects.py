"""Real JavaScript/TypeScript projects on the real tools: exact counts from the runners' own
reports, every step of a chained test script named, a failed lint or type check with file:line."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from js_projects import npm_jest_two_environments, pnpm_vitest, tools, yarn_workspace

from codeframe_tui.domain import TestStatus
from codeframe_tui.runner import detect_test_command, run_tests
from codeframe_tui.runner.js import manager as manager_module

pytestmark = pytest.mark.slow


async def _run(project: Path, **focus):
    cmd = detect_test_command(project, "frontend", **focus)
    assert cmd is not None and cmd.steps
    lines: list[str] = []
    run = await run_tests(cmd, timeout=180, on_line=lines.append)
    return cmd, run, "\n".join(lines)


async def test_pnpm_vitest_counts_and_names_each_step(tmp_path):
    project = pnpm_vitest(tmp_path / "web")
    cmd, run, output = await _run(project)
    assert cmd.argv == ("pnpm", "test")
    assert run.status is TestStatus.PASSED, output
    assert (run.total, run.passed, run.failed, run.skipped) == (5, 4, 0, 1)
    assert [s.short for s in run.steps] == ["lint ✓", "types ✓", "vitest 4/5"]
    assert "── types: tsc --noEmit -p ." in output  # each step is announced in the output


async def test_a_failed_lint_step_is_named_with_file_and_line_and_the_tests_still_count(tmp_path):
    project = pnpm_vitest(tmp_path / "web", lint_error=True)
    _, run, output = await _run(project)
    assert run.status is TestStatus.FAILED, output
    assert [s.short for s in run.steps] == ["lint ✗", "types ✓", "vitest 4/5"]
    lint = run.steps[0]
    assert lint.problems[0].startswith("scripts/seed.js:2: 'unused' is assigned a value but never used"), lint
    assert (run.passed, run.total) == (4, 5)  # not "0 passed of 0"


async def test_a_failed_type_check_is_named_with_file_and_line(tmp_path):
    project = pnpm_vitest(tmp_path / "web", type_error=True)
    _, run, output = await _run(project)
    assert run.status is TestStatus.FAILED, output
    assert [s.short for s in run.steps] == ["lint ✓", "types ✗", "vitest 4/5"]
    [problem] = run.steps[1].problems
    assert problem.startswith("src/cart.ts:4: ") and "TS2322" in problem, problem


async def test_jest_run_twice_counts_both_runs_as_jests_own_reports_do(tmp_path):
    project = npm_jest_two_environments(tmp_path / "slugs", failing=True)
    _, run, output = await _run(project)
    # jest's own --json report of each run, asked for directly, is what the counts must add up to.
    own = []
    for config in ("jest.node.config.js", "jest.dom.config.js"):
        argv = [str(tools() / ".bin" / "jest"), "-c", config, "--ci", "--json"]
        done = await asyncio.to_thread(subprocess.run, argv, cwd=project, capture_output=True, text=True, timeout=180)
        own.append(json.loads(done.stdout))
    assert run.total == sum(r["numTotalTests"] for r in own) == 6, output
    assert run.failed == sum(r["numFailedTests"] for r in own) == 2
    assert run.passed == 4 and run.status is TestStatus.FAILED
    assert [s.short for s in run.steps] == ["jest 2/3 failed", "jest 2/3 failed"]
    assert any(name.endswith("slug › strips") for name in run.failing_tests), run.failing_tests


async def test_a_yarn_workspace_sums_every_package_and_a_task_runs_its_own(tmp_path):
    project = yarn_workspace(tmp_path / "tools")
    _, run, output = await _run(project)
    assert [s.short for s in run.steps] == ["mocha (packages/cli) 2/2", "node (packages/core) 2/3 failed"], output
    assert (run.total, run.passed, run.failed, run.status) == (5, 4, 1, TestStatus.FAILED)
    _, mine, output = await _run(project, focus=["packages/cli/index.js"])
    assert [s.short for s in mine.steps] == ["mocha (packages/cli) 2/2"], output
    assert (mine.total, mine.passed, mine.status) == (2, 2, TestStatus.PASSED)


async def test_a_narrowed_run_runs_only_the_runner_on_the_files_asked_for(tmp_path):
    project = pnpm_vitest(tmp_path / "web", lint_error=True)
    cmd = detect_test_command(project, "frontend").narrowed(("src/cart.test.ts",))
    run = await run_tests(cmd, timeout=180)
    assert [s.short for s in run.steps] == ["vitest 2/2"] and run.status is TestStatus.PASSED


def test_a_missing_pnpm_gets_the_command_that_fixes_it(tmp_path, monkeypatch):
    project = pnpm_vitest(tmp_path / "web")
    (project / "node_modules").unlink()  # never installed
    monkeypatch.setattr(manager_module.shutil, "which", lambda name: None)  # no pnpm, no corepack
    cmd = detect_test_command(project, "frontend")
    refused = [s.refused for s in cmd.steps]
    assert all(refused), refused
    assert "eslint is not installed (no node_modules/.bin)" in refused[0]
    assert f"run `pnpm install` in {project.resolve()}" in refused[0]
    assert "pnpm is not installed (package.json asks for pnpm@9.15.0): run `corepack enable`" in refused[0]
