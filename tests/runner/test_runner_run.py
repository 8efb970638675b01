"""run_tests end to end on real little pytest (and node) projects built in tmp_path."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import sys
import time
from pathlib import Path

import pytest

from codeframe_tui.domain.results import TestStatus
from codeframe_tui.runner import TestCommand, detect_test_command, run_tests

CALC = {
    "calc.py": """
        def add(a, b):
            return a + b

        def sub(a, b):
            return a + b  # the bug the failing test finds
    """,
}


def one_test(name: str, check: str) -> dict[str, str]:
    """The calc module and one test of calc.<name> asserting `check`."""
    source = f"from calc import {name}\n\ndef test_{name}():\n    assert {check}\n"
    return {**CALC, "tests/test_calc.py": source}


async def test_passing_project(make_project, py_command) -> None:
    project = make_project(one_test("add", "add(1, 2) == 3"))
    cmd = py_command(project)
    run = await run_tests(cmd, timeout=60)
    assert run.status is TestStatus.PASSED
    assert (run.total, run.passed, run.failed, run.errors) == (1, 1, 0, 0)
    assert run.exit_code == 0
    assert run.command == cmd.argv
    assert "1 passed" in run.output
    assert run.duration > 0
    assert not cmd.junit_path.exists()  # read, then removed


async def test_failing_project_names_the_failing_test(make_project, py_command) -> None:
    project = make_project(
        {
            **CALC,
            "tests/test_calc.py": """
                from calc import add, sub

                def test_add():
                    assert add(1, 2) == 3

                def test_sub():
                    assert sub(3, 1) == 2

                class TestMore:
                    def test_sub_again(self):
                        assert sub(5, 1) == 4
            """,
        }
    )
    run = await run_tests(py_command(project), timeout=60)
    assert run.status is TestStatus.FAILED
    assert (run.total, run.passed, run.failed) == (3, 1, 2)
    assert run.exit_code == 1
    assert run.failing_tests == (
        "tests/test_calc.py::test_sub",
        "tests/test_calc.py::TestMore::test_sub_again",
    )


async def test_summary_is_the_fallback_without_junit(make_project, py_command) -> None:
    project = make_project(one_test("sub", "sub(3, 1) == 2"))
    run = await run_tests(py_command(project, junit=False), timeout=60)
    assert run.status is TestStatus.FAILED
    assert (run.total, run.failed) == (1, 1)
    assert run.failing_tests == ("tests/test_calc.py::test_sub",)


async def test_a_stale_junit_report_is_not_read(make_project, py_command) -> None:
    project = make_project({"tests/test_ok.py": "def test_ok():\n    pass\n"})
    cmd = dataclasses.replace(py_command(project), argv=(sys.executable, "-c", "raise SystemExit(2)"))
    cmd.junit_path.parent.mkdir(parents=True)
    cmd.junit_path.write_text('<testsuite tests="1"><testcase name="old"/></testsuite>')
    run = await run_tests(cmd, timeout=60)
    assert run.status is TestStatus.ERROR
    assert run.total == 0


async def test_syntax_error_is_an_error(make_project, py_command) -> None:
    project = make_project({"tests/test_broken.py": "def test_x(:\n    pass\n"})
    run = await run_tests(py_command(project), timeout=60)
    assert run.status is TestStatus.ERROR
    assert run.errors == 1
    assert run.exit_code == 2  # pytest: interrupted by a collection error


async def test_fixture_error_is_an_error(make_project, py_command) -> None:
    project = make_project(
        {
            "tests/test_fix.py": """
                def test_ok():
                    pass

                def test_uses_missing(no_such_fixture):
                    pass
            """
        }
    )
    run = await run_tests(py_command(project), timeout=60)
    assert run.status is TestStatus.ERROR
    assert (run.total, run.passed, run.errors) == (2, 1, 1)
    assert run.failing_tests == ("tests/test_fix.py::test_uses_missing",)


async def test_empty_tests_folder_is_no_tests(make_project, py_command) -> None:
    project = make_project({"tests/README.md": "nothing yet\n"})
    run = await run_tests(py_command(project), timeout=60)
    assert run.status is TestStatus.NO_TESTS
    assert run.total == 0
    assert run.exit_code == 5


async def test_timeout_kills_pytest_and_its_grandchildren(
    make_project, py_command, gone, wait_file
) -> None:
    project = make_project({})
    pid_file = project.parent / "pids"  # outside the project, next to it
    make_project({"tests/test_slow.py": _SLOW_TEST.format(pid_file=str(pid_file))})
    start = time.monotonic()
    run = await run_tests(py_command(project), timeout=3)
    assert run.status is TestStatus.TIMEOUT
    assert time.monotonic() - start < 8
    leader, grandchild = map(int, (await wait_file(pid_file, timeout=1)).split())
    # Gone already when run_tests returns, not merely soon after.
    assert gone(leader)
    assert gone(grandchild)


async def test_cancelling_run_tests_kills_the_group(make_project, py_command, gone, wait_file) -> None:
    project = make_project({})
    pid_file = project.parent / "pids"
    make_project({"tests/test_slow.py": _SLOW_TEST.format(pid_file=str(pid_file))})
    task = asyncio.create_task(run_tests(py_command(project), timeout=60))
    leader, grandchild = map(int, (await wait_file(pid_file)).split())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    deadline = time.monotonic() + 3
    while not (gone(leader) and gone(grandchild)):
        assert time.monotonic() < deadline, "pytest or its grandchild survived the cancel"
        await asyncio.sleep(0.02)


async def test_lines_stream_while_pytest_runs(make_project, py_command) -> None:
    # test_b waits for a file that only on_line creates, after it saw test_a's result line.
    project = make_project({})
    go = project / "go"
    make_project(
        {
            "tests/test_stream.py": f"""
                import pathlib, time

                def test_a():
                    pass

                def test_b():
                    go = pathlib.Path({str(go)!r})
                    deadline = time.monotonic() + 10
                    while not go.exists() and time.monotonic() < deadline:
                        time.sleep(0.02)
                    assert go.exists()
            """
        }
    )
    seen: list[str] = []

    def on_line(line: str) -> None:
        seen.append(line)
        if "test_a PASSED" in line:
            go.touch()

    run = await run_tests(py_command(project), timeout=30, on_line=on_line)
    assert run.status is TestStatus.PASSED
    assert run.duration < 8
    assert any("test_b PASSED" in line for line in seen)


async def test_command_not_found(tmp_path: Path) -> None:
    cmd = TestCommand(("codeframe-no-such-runner-xyz",), tmp_path)
    run = await run_tests(cmd, timeout=5)
    assert run.status is TestStatus.ERROR
    assert run.exit_code == 127
    assert "command not found" in run.output


async def test_detected_command_runs_end_to_end(make_project) -> None:
    # The detected argv, with this venv's python in place of the one on PATH.
    project = make_project(one_test("add", "add(2, 2) == 4"))
    cmd = detect_test_command(project, "backend")
    cmd = dataclasses.replace(cmd, argv=(sys.executable, *cmd.argv[1:]))
    run = await run_tests(cmd, timeout=60)
    assert run.status is TestStatus.PASSED
    assert run.passed == 1
    assert not cmd.junit_path.exists()


NO_NODE = shutil.which("node") is None


@pytest.mark.skipif(NO_NODE, reason="needs node")
async def test_node_test_project_counts_from_nodes_own_junit(tmp_path: Path) -> None:
    project = tmp_path / "web"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "w", "scripts": {"test": "node --test"}}))
    (project / "math.test.js").write_text(
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "test('adds', () => assert.strictEqual(1 + 1, 2));\n"
        "test('subtracts', () => assert.strictEqual(2 - 1, 0));\n"
    )
    cmd = detect_test_command(project, "frontend")
    [step] = cmd.steps
    assert step.argv[:2] == ("node", "--test") and step.report is not None
    run = await run_tests(cmd, timeout=60)
    assert run.status is TestStatus.FAILED
    assert (run.total, run.passed, run.failed) == (2, 1, 1)
    assert [s.short for s in run.steps] == ["node 1/2 failed"]
    assert any("subtracts" in name for name in run.failing_tests), run.failing_tests
    assert not step.report.exists()  # read, then removed


_SLOW_TEST = """
import os, subprocess, time

def test_slow():
    child = subprocess.Popen(["sleep", "60"])
    with open({pid_file!r}, "w") as fh:
        fh.write(f"{{os.getpid()}} {{child.pid}}\\n")
    time.sleep(60)
"""
