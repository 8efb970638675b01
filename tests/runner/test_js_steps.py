"""run_tests on a command of steps, with small shell commands standing in for the tools: how a
chain is judged, which failures stop it, and what each step says."""

from __future__ import annotations

import json
from pathlib import Path

from codeframe_tui.domain import TestStatus
from codeframe_tui.runner import TestCommand, TestStep, run_tests


def _sh(label: str, kind: str, script: str, cwd: Path, **extra) -> TestStep:
    return TestStep(label, kind, ("sh", "-c", script), cwd, **extra)


def _jest_report(path: Path, passed: int, failed: int) -> str:
    report = {"numTotalTests": passed + failed, "numPassedTests": passed, "numFailedTests": failed,
              "numPendingTests": 0, "numTodoTests": 0, "numRuntimeErrorTestSuites": 0,
              "testResults": [{"name": "/x/a.test.js", "status": "failed" if failed else "passed",
                               "assertionResults": [{"status": "failed", "title": f"t{n}", "ancestorTitles": ["a"]}
                                                    for n in range(failed)]}]}
    return f"echo '{json.dumps(report)}' > {path}; exit {1 if failed else 0}"


async def test_a_failed_lint_does_not_stop_the_tests_and_fails_the_run_with_its_first_error(tmp_path):
    report = tmp_path / "r.json"
    cmd = TestCommand(("npm", "test"), tmp_path, steps=(
        _sh("lint", "lint", "echo 'src/a.ts:3:7: error: no-unused-vars x is unused'; exit 1", tmp_path),
        _sh("jest", "test", _jest_report(report, 4, 0), tmp_path, report=report, report_format="jest-json"),
    ))
    lines: list[str] = []
    run = await run_tests(cmd, timeout=30, on_line=lines.append)
    assert run.status is TestStatus.FAILED
    assert (run.total, run.passed) == (4, 4)
    assert [s.short for s in run.steps] == ["lint ✗", "jest 4/4"]
    assert run.steps[0].problems == ("src/a.ts:3: no-unused-vars x is unused",)
    assert lines[0] == "── lint: echo 'src/a.ts:3:7: error: no-unused-vars x is unused'; exit 1"
    assert not report.exists()


async def test_a_failed_build_stops_the_chain_as_and_and_would(tmp_path):
    cmd = TestCommand(("npm", "test"), tmp_path, steps=(
        _sh("build", "build", "echo 'cannot bundle'; exit 2", tmp_path),
        _sh("vitest", "test", "echo should not run > ran.txt", tmp_path),
    ))
    run = await run_tests(cmd, timeout=30)
    assert run.status is TestStatus.FAILED and run.exit_code == 2
    assert [s.short for s in run.steps] == ["build ✗", "vitest not run"]
    assert run.steps[0].problems == ("cannot bundle",)  # no file:line to be had: the output's last lines
    assert not (tmp_path / "ran.txt").exists()


async def test_the_counts_of_every_runner_add_up(tmp_path):
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    cmd = TestCommand(("npm", "test"), tmp_path, steps=(
        _sh("jest", "test", _jest_report(first, 167, 0), tmp_path, report=first, report_format="jest-json"),
        _sh("jest", "test", _jest_report(second, 165, 2), tmp_path, report=second, report_format="jest-json"),
    ))
    run = await run_tests(cmd, timeout=30)
    assert (run.total, run.passed, run.failed, run.status) == (334, 332, 2, TestStatus.FAILED)
    assert [s.short for s in run.steps] == ["jest 167/167", "jest 165/167 failed"]


async def test_a_runner_we_cannot_read_is_judged_by_its_exit_code_with_its_output(tmp_path):
    ok = TestCommand(("bun", "test"), tmp_path, steps=(_sh("test", "test", "echo all good, in words", tmp_path),))
    run = await run_tests(ok, timeout=30)
    assert run.status is TestStatus.PASSED and run.total == 0 and "all good, in words" in run.output
    bad = TestCommand(("bun", "test"), tmp_path, steps=(_sh("test", "test", "echo it broke; exit 3", tmp_path),))
    run = await run_tests(bad, timeout=30)
    assert run.status is TestStatus.ERROR and "it broke" in run.output


async def test_a_refused_step_fails_the_run_without_starting_anything(tmp_path):
    cmd = TestCommand(("pnpm", "test"), tmp_path, steps=(
        TestStep("vitest", "test", (), tmp_path, refused="`vitest run`: vitest is not installed: run `pnpm install`"),
        _sh("lint", "lint", "touch ran.txt", tmp_path),
    ))
    run = await run_tests(cmd, timeout=30)
    assert run.status is TestStatus.FAILED and run.exit_code == 127
    assert [s.short for s in run.steps] == ["vitest ✗", "lint not run"]
    assert "run `pnpm install`" in run.steps[0].problems[0] and "run `pnpm install`" in run.output
    assert not (tmp_path / "ran.txt").exists()


async def test_one_timeout_bounds_the_whole_chain(tmp_path):
    cmd = TestCommand(("npm", "test"), tmp_path, steps=(
        _sh("lint", "lint", "sleep 0.2", tmp_path),
        _sh("vitest", "test", "sleep 30", tmp_path),
        _sh("types", "types", "true", tmp_path),
    ))
    run = await run_tests(cmd, timeout=1.5)
    assert run.status is TestStatus.TIMEOUT and run.duration < 10
    assert [s.short for s in run.steps] == ["lint ✓", "vitest timeout", "types not run"]


async def test_a_step_in_a_package_names_its_files_from_the_project_root(tmp_path):
    package = tmp_path / "packages" / "ui"
    (package / "src").mkdir(parents=True)
    (package / "src" / "Button.tsx").write_text("x\n")
    cmd = TestCommand(("pnpm", "test"), tmp_path, steps=(
        _sh("types", "types", "echo 'src/Button.tsx(4,2): error TS2322: nope.'; exit 2", package,
            where="packages/ui"),
    ))
    run = await run_tests(cmd, timeout=30)
    assert run.steps[0].problems == ("packages/ui/src/Button.tsx:4: TS2322: nope.",)
    assert run.steps[0].short == "types (packages/ui) ✗"


def test_a_narrowed_command_runs_the_runners_only_on_paths_from_the_root(tmp_path):
    package = tmp_path / "packages" / "ui"
    (package / "src").mkdir(parents=True)
    (package / "src" / "a.test.ts").write_text("")
    cmd = TestCommand(("pnpm", "test"), tmp_path, steps=(
        _sh("lint", "lint", "eslint .", package),
        TestStep("vitest", "test", ("vitest", "run"), package),
    ))
    narrowed = cmd.narrowed(("packages/ui/src/a.test.ts", "-t", "adds"))
    assert [s.label for s in narrowed.steps] == ["vitest"]
    assert narrowed.steps[0].argv == ("vitest", "run", str(package / "src" / "a.test.ts"), "-t", "adds")
    assert cmd.narrowed(()) is cmd
