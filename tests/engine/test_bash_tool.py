"""The agents' bash tool: offered only in the sandbox and a worktree; one command per call in the
worktree, confined, with a timeout that stops its whole group; streamed to the Test output pane; counted
like every tool call. Every request passes the strict scripted model."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

import pytest
from support import alive_with, git_init, make_project, open_engine

from codeframe_tui.domain import AgentType, NewTask
from codeframe_tui.engine.events import ChangesApplied, TestOutput, ToolUsed
from codeframe_tui.llm.scripted.agent import bash, finish, place, play
from codeframe_tui.runner.blocked import PREFIX
from codeframe_tui.runner.sandbox import probe_bwrap

TASK = NewTask("1", "look around", AgentType.BACKEND, description="Look at the project.", files=("calc.py",))


@pytest.fixture
async def bwrap():
    problem = await probe_bwrap()
    if problem is not None:
        pytest.skip(problem + " (.ci/run installs it)")


def project_at(root: Path) -> Path:
    make_project(root)
    (root / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    git_init(root)
    return root


async def run_with(root: Path, steps, **overrides):
    def agent(request):
        return play(steps, place(request).step)

    engine, model, rec = await open_engine(root, agent, [TASK], **overrides)
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert model.rejected == []
    return summary, model, rec


def results(model) -> list[dict]:
    return [r for q in model.requests for r in q.tool_results()]


async def test_bash_runs_python_and_git_grep_in_the_worktree(bwrap, tmp_path):
    project = project_at(tmp_path / "p")
    steps = [bash("python3 -c 'print(40 + 2)'; pwd"), bash("git grep -n 'def add'"), finish("looked")]
    summary, model, rec = await run_with(project, steps)
    assert summary.all_done
    assert {"type": "bash_20250124", "name": "bash"} in model.requests[0].body["tools"]
    first, second = results(model)[:2]
    assert "42" in first["content"] and "/.codeframe/worktrees/" in first["content"]
    assert "[exit code 0]" in first["content"] and not first.get("is_error")
    assert "calc.py:1:def add(a, b):" in second["content"]
    shown = [line for e in rec.of(TestOutput) for line in e.lines]
    assert "$ python3 -c 'print(40 + 2)'; pwd" in shown and "42" in shown  # the Test output pane, under the task
    assert [e.label for e in rec.of(ToolUsed) if e.tool == "bash"] == [
        "bash python3 -c 'print(40 + 2)'; pwd", "bash git grep -n 'def add'"]


async def test_bash_cannot_write_outside_its_worktree(bwrap, tmp_path):
    project = project_at(tmp_path / "p")
    outside = tmp_path / "outside"
    outside.mkdir()
    command = (f"echo pwned > {outside}/x; echo pwned > {project}/calc.py; "
               f"echo pwned > /etc/cf-{uuid.uuid4().hex[:6]}; echo mine > made.txt; exit 1")
    summary, model, _ = await run_with(project, [bash(command), finish("tried")])
    answer = results(model)[0]
    assert answer["is_error"] is True and "Read-only file system" in answer["content"]
    assert PREFIX + "a write outside the worktree was blocked" in answer["content"]
    assert list(outside.iterdir()) == []
    assert (project / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert summary.all_done and (project / "made.txt").read_text() == "mine\n"  # landed from the worktree


async def test_what_bash_changed_lands_with_the_task_and_caches_do_not(bwrap, tmp_path):
    """A command's edits are found by git afterwards and kept as the task's changes: they land, with
    their before and after, and the caches a command leaves (not ignored here) stay behind."""
    project = project_at(tmp_path / "p")
    (project / ".gitignore").unlink(missing_ok=True)
    command = ("sed -i 's/a + b/b + a/' calc.py && python3 -c 'import calc' && mkdir -p gen "
               "&& echo data > gen/out.txt && ls __pycache__")
    captured = {}

    def agent(request):
        return play([bash(command), finish("swapped")], place(request).step)

    engine, model, rec = await open_engine(project, agent, [TASK])
    try:
        summary = await engine.run()
        captured["changes"] = {c.path: (c.before, c.after) for c in await engine.store.task_changes("1")}
    finally:
        await engine.close()
    assert summary.all_done and model.rejected == []
    answer = results(model)[0]["content"]
    assert "calc" in answer and "kept as the task's changes: calc.py, gen/out.txt]" in answer
    assert captured["changes"]["calc.py"] == (b"def add(a, b):\n    return a + b\n",
                                              b"def add(a, b):\n    return b + a\n")
    assert captured["changes"]["gen/out.txt"] == (None, b"data\n")
    assert (project / "calc.py").read_text().endswith("return b + a\n") and (project / "gen" / "out.txt").exists()
    tracked = subprocess.run(["git", "ls-files"], cwd=project, capture_output=True, text=True).stdout  # noqa: ASYNC221
    assert "__pycache__" not in tracked and "gen/out.txt" in tracked
    assert [e.files for e in rec.of(ChangesApplied)] == [("calc.py", "gen/out.txt")]


async def test_a_command_cut_off_by_a_stop_still_lands_what_it_changed(bwrap, tmp_path):
    """The run stops in the middle of a command (a quit, or kill -9): the worktree keeps what it wrote,
    and the next attempt's opening of the worktree records it from the tree taken before the command."""
    project = project_at(tmp_path / "p")
    first = [bash("echo kept > made.txt && sed -i 's/a + b/b + a/' calc.py && sleep 60")]
    engine, _, _ = await open_engine(project, lambda r: play(first, place(r).step), [TASK])
    run = asyncio.ensure_future(engine.run())
    try:
        worktree_file = project / ".codeframe" / "worktrees"
        for _ in range(400):  # both writes done, and the command still in its sleep
            if [p for p in worktree_file.glob("*/calc.py") if "b + a" in p.read_text()]:
                break
            await asyncio.sleep(0.05)
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        assert (await engine.store.get_task("1")).extra.get("shell_before")
    finally:
        await engine.close()
    engine, model, rec = await open_engine(project, lambda r: play([finish("resumed")], place(r).step), [])
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done and model.rejected == []
    assert (project / "made.txt").read_text() == "kept\n" and "b + a" in (project / "calc.py").read_text()
    assert any(e.summary == "a command cut off by the last stop" for e in rec.of(ChangesApplied))


async def test_bash_times_out_and_stops_its_whole_group(bwrap, tmp_path):
    project = project_at(tmp_path / "p")
    marker = f"cfsleep{uuid.uuid4().hex[:8]}"
    command = f"(exec -a {marker} sleep 60) & (exec -a {marker} sleep 60) & wait"
    _, model, _ = await run_with(project, [bash(command), finish("waited")], bash_timeout=1.0)
    answer = results(model)[0]
    assert answer["is_error"] is True and "[timed out after 1s" in answer["content"]
    await asyncio.sleep(0.3)
    assert alive_with(marker) == []


async def test_bash_calls_count_toward_the_tool_call_limit(bwrap, tmp_path):
    project = project_at(tmp_path / "p")
    steps = [bash("true"), bash("true"), bash("echo third"), finish("done")]
    _, model, _ = await run_with(project, steps, max_tool_calls=2)
    third = results(model)[2]
    assert third["is_error"] is True and "limit of 2 tool calls" in third["content"]
    assert "third" not in third["content"]


@pytest.mark.parametrize("overrides", [{"sandbox": "none"}, {"worktrees": False}])
async def test_bash_is_not_offered_unconfined_or_in_place(bwrap, tmp_path, overrides):
    project = project_at(tmp_path / "p")
    _, model, _ = await run_with(project, [finish("nothing")], **overrides)
    tools = [t.get("name") for t in model.requests[0].body["tools"]]
    assert "bash" not in tools and "run_tests" in tools
    assert "- bash runs" not in model.requests[0].body["system"]

