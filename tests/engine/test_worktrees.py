"""Isolation on real git repositories: a worktree per task, verification by the tool, landing in
dependency order, conflicts kept as blockers, undo, cleanup and restart."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from support import git_init, make_project, module_answer, open_engine, task_key_of, tasks

from codeframe_tui.config import load_settings
from codeframe_tui.engine.events import (
    BlockerCreated,
    ReviewRequested,
    TaskLanded,
    TestResult,
    WorkPaused,
    WorkspaceChecked,
)
from codeframe_tui.engine.session import CommandRefused, Engine
from codeframe_tui.engine.workspace import Workspace, WorkspaceError
from codeframe_tui.llm.offline import scripted_model_client
from codeframe_tui.llm.scripted import ScriptedModel
from codeframe_tui.llm.scripted.agent import ask, change_set_agent, place, play, view
from codeframe_tui.llm.scripted.agent import writes as agent_writes


def git(root, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.rstrip()


def git_try(root, *args: str) -> int:
    return subprocess.run(["git", *args], cwd=root, capture_output=True).returncode


@change_set_agent
def submit(request):
    return module_answer(task_key_of(request))


def writes(path: str, content: str):
    return {"summary": f"write {path}", "files": [{"path": path, "action": "write", "content": content}]}


async def test_two_parallel_tasks_on_different_files_both_land(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, rec = await open_engine(project, submit, tasks(("1", "backend"), ("2", "frontend")), latency=0.2)
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done and rec.max_running() == 2
    assert (project / "pkg" / "m_1.py").exists() and (project / "pkg" / "m_2.py").exists()
    log = git(project, "log", "--first-parent", "--format=%s%n%b", "main")
    assert "Land 1: Task 1" in log and "Land 2: Task 2" in log and "Codeframe-Task: 2" in log
    assert git(project, "branch", "--list", "codeframe/*") == ""  # merged: branch and worktree removed
    assert not list((project / ".codeframe" / "worktrees").iterdir())
    assert git(project, "status", "--porcelain") == ""  # nothing stray left in the person's tree
    tracked = git(project, "ls-files").splitlines()
    assert not [p for p in tracked if "__pycache__" in p or p.endswith(".pyc") or ".pytest_cache" in p]
    assert set(tracked) >= {"pkg/m_1.py", "pkg/m_2.py", "tests/test_m_1.py", "tests/test_m_2.py"}


async def test_the_same_lines_give_one_landing_and_one_conflict_with_its_branch_intact(tmp_path):
    project = make_project(tmp_path / "p")

    @change_set_agent
    def responder(request):
        return writes("pkg/shared.py", f"OWNER = {task_key_of(request)!r}\n")

    engine, _, rec = await open_engine(project, responder, tasks(("1", "backend"), ("2", "backend")), latency=0.3)
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert (summary.done, summary.blocked) == (1, 1)
    loser = next(k for k in ("1", "2") if "blocked" in rec.statuses(k))
    question = next(e for e in rec.of(BlockerCreated) if e.task_id == loser)
    assert question.source == "engine" and "pkg/shared.py" in question.question and "is kept" in question.question
    # The branch is intact: its own commit still holds its version of the file.
    assert git(project, "show", f"codeframe/{loser}:pkg/shared.py") == f"OWNER = {loser!r}"
    assert (project / "pkg" / "shared.py").read_text() != f"OWNER = {loser!r}\n"


async def test_a_conflicted_task_answered_resolves_the_markers_and_lands(tmp_path):
    project = make_project(tmp_path / "p")

    @change_set_agent
    def responder(request):
        key = task_key_of(request)
        if "conflict markers" in request.first_user_text():
            return writes("pkg/shared.py", "OWNER = 'both'\n")
        return writes("pkg/shared.py", f"OWNER = {key!r}\n")

    engine, _, rec = await open_engine(project, responder, tasks(("1", "backend"), ("2", "backend")), latency=0.3)
    try:
        await engine.run()
        question = next(e for e in rec.of(BlockerCreated))
        await engine.answer_blocker(question.blocker_id, "Keep both owners' intent.")
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done
    assert (project / "pkg" / "shared.py").read_text() == "OWNER = 'both'\n"


async def test_merges_follow_dependency_order_and_a_dependent_starts_from_landed_work(tmp_path):
    project = make_project(tmp_path / "p")
    def responder(request):
        key = task_key_of(request)
        files = {f["path"]: f["content"] for f in module_answer(key)["files"]}
        looks = [view("pkg/m_1.py")] if key == "2" else []  # 2 looks at 1's work before writing its own
        return play([*looks, *agent_writes(files, f"module for {key}")], place(request).step)

    engine, model, _ = await open_engine(project, responder, tasks(("1", "backend"), ("2", "backend", ("1",))))
    try:
        assert (await engine.run()).all_done
    finally:
        await engine.close()
    landed = git(project, "log", "--first-parent", "--reverse", "--format=%s", "main").splitlines()
    assert [s for s in landed if s.startswith("Land")] == ["Land 1: Task 1", "Land 2: Task 2"]
    second = [r for r in model.requests if task_key_of(r) == "2"]
    # 1's work was in 2's worktree: its repository map lists the file, and viewing it shows 1's code.
    assert "m_1.py" in second[0].first_user_text()
    shown = second[1].tool_results()
    assert not shown[0].get("is_error") and "VALUE = 1" in shown[0]["content"]


async def test_the_tools_own_rerun_catches_a_false_success(tmp_path):
    """The agent's command runs only its own test file, which passes; the full suite does not."""
    py = sys.executable
    project = make_project(tmp_path / "p")
    config = project / ".codeframe" / "config.toml"
    plain = '"--disable-plugin-autoload"'  # the project's tests need none of this venv's plugins
    config.write_text(f'[tests]\nbackend = ["{py}", "-m", "pytest", {plain}, "-v", "tests/test_m_1.py"]\n'
                      f'test = ["{py}", "-m", "pytest", {plain}, "-v"]\n')

    @change_set_agent
    def responder(request):
        change = module_answer("1")
        if place(request).round == 0:  # claims success, but leaves a failing test behind
            change["files"].append({"path": "tests/test_left.py", "action": "write",
                                    "content": "def test_left():\n    assert False\n"})
        else:  # the editor cannot delete a file: the correction makes the left-behind test pass
            change["files"].append({"path": "tests/test_left.py", "action": "write",
                                    "content": "def test_left():\n    assert True\n"})
        return change

    engine, model, rec = await open_engine(project, responder, tasks(("1", "backend")))
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done
    verify = [e.status for e in rec.of(TestResult) if e.purpose == "verify"]
    assert verify == ["failed", "passed"]
    rounds = [r for r in model.requests if place(r).step == 0]  # the first request of each round
    assert len(rounds) == 2
    assert "the tool then ran the project's full test suite itself and it failed" in rounds[1].last_user_text()
    assert "correction attempt 1 of" in rounds[1].last_user_text()


async def test_an_edited_existing_test_is_flagged_and_never_passes_auto_silently(tmp_path):
    project = make_project(tmp_path / "p")

    @change_set_agent
    def responder(request):
        change = module_answer("1")
        change["files"].append({"path": "tests/test_base.py", "action": "write",
                                "content": "def test_base():\n    assert 1\n"})
        return change

    engine, _, rec = await open_engine(project, responder, tasks(("1", "backend")), review="auto")
    try:
        summary = await engine.run()
        task = await engine.store.get_task("1")
    finally:
        await engine.close()
    assert summary.waiting == 1 and task.status == "review"
    assert rec.of(ReviewRequested)[0].modified_tests == ("tests/test_base.py",)
    assert "modified 1 existing test(s): tests/test_base.py" in task.reason


async def test_undo_reverts_the_files_and_names_later_work_on_them(tmp_path):
    project = make_project(tmp_path / "p")

    @change_set_agent
    def responder(request):
        key = task_key_of(request)
        return writes("pkg/notes.py", f"NOTE = {key!r}\n") if key == "2" else module_answer(key)

    engine, _, _ = await open_engine(project, responder, tasks(("1", "backend"), ("2", "backend", ("1",))))
    try:
        await engine.run()
        plan = await engine.undo_plan("1")
        assert plan.files == ("pkg/m_1.py", "tests/test_m_1.py") and plan.later == ()
        commit = await engine.undo("1", to="rejected")
        task = await engine.store.get_task("1")
        with pytest.raises(CommandRefused, match="no landed merge"):
            await engine.undo("1")
    finally:
        await engine.close()
    assert not (project / "pkg" / "m_1.py").exists() and (project / "pkg" / "notes.py").exists()
    assert task.status == "rejected" and commit in git(project, "rev-parse", "HEAD")
    assert "Codeframe-Task: 1" in git(project, "log", "-1", "--format=%B")


async def test_cleanup_never_removes_an_unmerged_branch(tmp_path):
    project = make_project(tmp_path / "p")
    workspace = Workspace(load_settings(project))
    await workspace.prepare()
    path, made = await workspace.open_for("7")
    (path / "work.py").write_text("x = 1\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "work")
    with pytest.raises(WorkspaceError, match="not merged"):
        await workspace.remove("7")
    assert made and path.exists() and git(project, "branch", "--list", "codeframe/7")


async def test_a_restart_finds_the_worktrees_again_and_keeps_their_work(tmp_path):
    project = make_project(tmp_path / "p")

    @change_set_agent
    def asks(request):
        if len(request.messages) == 1 and "A: " not in request.first_user_text():
            return ask("Which name?")
        return module_answer(task_key_of(request))

    engine, _, rec = await open_engine(project, asks, tasks(("1", "backend")))
    try:
        await engine.run()  # headless: blocked, its worktree stays
        blocker_id = rec.of(BlockerCreated)[0].blocker_id
        path = engine.ctx.root_for("1")
        (path / "scratch.txt").write_text("work in progress\n")
    finally:
        await engine.close()
    settings = load_settings(project, offline=True, review="auto")
    seen = []
    engine = await Engine.open(settings, scripted_model_client(settings, ScriptedModel(asks)), seen.append)
    try:
        await engine.answer_blocker(blocker_id, "m_1")
        summary = await engine.run()
    finally:
        await engine.close()
    checked = next(e for e in seen if isinstance(e, WorkspaceChecked))
    assert checked.worktrees == ("codeframe/1",)
    assert summary.all_done and any(isinstance(e, TaskLanded) for e in seen)
    # The hand-made file was in no commit: the worktree is kept for it rather than removed with it.
    assert (path / "scratch.txt").read_text() == "work in progress\n"
    assert "codeframe/1" in git(project, "worktree", "list")


async def test_a_folder_that_is_not_a_repository_is_refused_or_initialised(tmp_path):
    project = tmp_path / "plain"
    project.mkdir()
    (project / "a.py").write_text("A = 1\n")
    workspace = Workspace(load_settings(project))
    with pytest.raises(WorkspaceError, match="not a git repository.*--init-git"):
        await workspace.prepare()
    (project / ".codeframe").mkdir()
    (project / ".codeframe" / "state.db").write_text("")
    state = await workspace.prepare(init=True)
    assert state.base and state.dirty == ()
    assert git(project, "ls-files") == "a.py"  # the tool's own state was not committed


async def test_the_persons_uncommitted_changes_are_reported_and_never_touched(tmp_path):
    project = make_project(tmp_path / "p")
    (project / "tests" / "test_base.py").write_text("def test_base():\n    assert True  # mine\n")
    (project / "mine.txt").write_text("draft\n")
    engine, _, rec = await open_engine(project, submit, tasks(("1", "backend")))
    try:
        assert (await engine.run()).all_done
    finally:
        await engine.close()
    checked = rec.of(WorkspaceChecked)[0]
    assert set(checked.dirty) == {"tests/test_base.py", "mine.txt"}
    assert (project / "mine.txt").read_text() == "draft\n"
    assert "# mine" in (project / "tests" / "test_base.py").read_text()
    assert git(project, "status", "--porcelain").splitlines() == [" M tests/test_base.py", "?? mine.txt"]


def test_git_init_helper_is_used_by_every_project(tmp_path):
    git_init(tmp_path)
    assert git(tmp_path, "rev-parse", "--abbrev-ref", "HEAD") == "main"


async def test_disk_limit_pauses_new_tasks(tmp_path):
    project = make_project(tmp_path / "p", worktree_disk_limit_gb=0.0000001)
    engine, _, rec = await open_engine(project, submit, tasks(("1", "backend"), ("2", "backend")),
                                       max_concurrent=1)
    try:
        (project / ".codeframe" / "worktrees").mkdir(parents=True, exist_ok=True)
        (project / ".codeframe" / "worktrees" / "ballast").write_bytes(b"x" * 4096)
        summary = await asyncio.wait_for(engine.run(), 30)
    finally:
        await engine.close()
    assert summary.done == 0 and "running" not in rec.statuses("1")
    paused = rec.of(WorkPaused)
    assert len(paused) == 1 and paused[0].used_bytes >= 4096 and "worktree_disk_limit_gb" in paused[0].reason


async def test_a_merge_in_progress_in_the_persons_tree_is_never_aborted(tmp_path):
    """The person is half-way through their own merge: landing refuses, and their state stays."""
    project = make_project(tmp_path / "p")
    git(project, "checkout", "-q", "-b", "side")
    (project / "a.txt").write_text("SIDE\n")
    git(project, "add", "a.txt")
    git(project, "commit", "-q", "-m", "side")
    git(project, "checkout", "-q", "main")
    (project / "a.txt").write_text("MINE\n")
    git(project, "add", "a.txt")
    git(project, "commit", "-q", "-m", "mine")
    git_try(project, "merge", "side")  # conflicts
    (project / "a.txt").write_text("RESOLVED BY HAND\n")
    engine, _, rec = await open_engine(project, submit, tasks(("1", "backend")))
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.blocked == 1 and "in the middle of a merge" in rec.of(BlockerCreated)[0].question
    assert (project / "a.txt").read_text() == "RESOLVED BY HAND\n"
    assert (project / ".git" / "MERGE_HEAD").exists()


async def test_a_task_with_nothing_new_does_not_claim_anothers_merge(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, _ = await open_engine(project, submit, tasks(("1", "backend")))
    try:
        await engine.run()
        first = (await engine.store.get_task("1")).extra["landed_commit"]
        same = change_set_agent(lambda r: writes("pkg/m_1.py", "VALUE = 1\n"))  # as it is
        engine.ctx.model = scripted_model_client(engine.settings, ScriptedModel(same))
        await engine.store.add_plan([], tasks(("2", "backend")))
        await engine.approve_all()
        await engine.run()
        second = await engine.store.get_task("2")
    finally:
        await engine.close()
    assert second.status == "done" and "landed_commit" not in second.extra and first


def test_branch_names_never_collide_and_are_valid_refs():
    from codeframe_tui.engine.workspace import branch_for

    names = [branch_for(k) for k in ("Auth: login", "Auth login", "1..2", "v1.lock", "1.2", "T10")]
    assert len(set(names)) == len(names)
    assert names[-2:] == ["codeframe/1.2", "codeframe/T10"]
    for name in names:
        assert subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True).returncode == 0


async def test_a_worktree_shares_the_projects_virtualenv_and_ignores_the_persons_stray_tests(tmp_path):
    project = make_project(tmp_path / "p")
    venv = project / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").symlink_to(sys.executable)
    (project / "tests" / "test_wip.py").write_text("def test_wip():\n    assert False  # the person's, unfinished\n")
    workspace = Workspace(load_settings(project))
    await workspace.prepare()
    path, _ = await workspace.open_for("1")
    assert (path / ".venv").is_symlink() and (path / ".venv").resolve() == (project / ".venv").resolve()
    assert git(path, "status", "--porcelain") == "?? .venv"
    engine, _, rec = await open_engine(project, submit, tasks(("1", "backend")))
    try:
        summary = await engine.run()
    finally:
        await engine.close()
    assert summary.all_done  # the person's failing, uncommitted test did not turn the landing red
    assert [e.status for e in rec.of(TestResult) if e.purpose == "merge"] == ["passed"]


async def test_a_cancel_lets_a_writing_git_command_finish(tmp_path):
    from codeframe_tui.vcs import Git

    project = make_project(tmp_path / "p")
    hook = project / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nsleep 0.5\n")
    hook.chmod(0o755)
    (project / "x.py").write_text("X = 1\n")
    repo = Git(project)
    commit = asyncio.ensure_future(repo.commit_all("slow commit"))
    await asyncio.sleep(0.2)
    commit.cancel()
    with pytest.raises(asyncio.CancelledError):
        await commit
    assert git(project, "log", "-1", "--format=%s") == "slow commit"  # finished, not killed half-way
    assert not (project / ".git" / "index.lock").exists()


def test_generated_files_are_told_from_hand_made_ones():
    from codeframe_tui.engine.workspace import is_generated

    for path in ("pkg/__pycache__/m.cpython-311.pyc", "src/x.egg-info/PKG-INFO", ".venv", "a/node_modules/b.js",
                 ".pytest_cache/v/x", "coverage.xml"):
        assert is_generated(path), path
    for path in ("venvtools.py", "notes.txt", "src/pkg/cache.py", "tests/test_x.py"):
        assert not is_generated(path), path


async def test_a_worktrees_own_code_comes_first_on_the_import_path(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, _ = await open_engine(project, submit, tasks(("1", "backend")))
    try:
        worktree = project / ".codeframe" / "worktrees" / "1"
        (worktree / "src").mkdir(parents=True)
        command = engine.ctx.test_command("backend", worktree)
        in_project = engine.ctx.test_command("backend")
    finally:
        await engine.close()
    env = dict(command.env)
    assert env["PYTHONPATH"].split(":")[:2] == [str(worktree / "src"), str(worktree)]
    assert env["PYTHONDONTWRITEBYTECODE"] == "1" and "PYTHONPATH" not in dict(in_project.env)


async def test_a_worktree_shares_the_node_modules_of_the_frontend_and_of_each_workspace_package(tmp_path):
    import json

    project = make_project(tmp_path / "p")
    layout = {"frontend/package.json": {"name": "web", "workspaces": ["packages/*"]},
              "frontend/packages/ui/package.json": {"name": "ui"},
              "frontend/packages/api/package.json": {"name": "api"}}
    for rel, data in layout.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(json.dumps(data))
    git(project, "add", "-A")
    git(project, "commit", "-qm", "frontend")
    for rel in ("frontend", "frontend/packages/ui"):  # installed (api has nothing of its own, as hoisted)
        (project / rel / "node_modules" / ".bin").mkdir(parents=True)
    workspace = Workspace(load_settings(project))
    await workspace.prepare()
    path, _ = await workspace.open_for("1")
    for rel in ("frontend", "frontend/packages/ui"):
        shared = path / rel / "node_modules"
        assert shared.is_symlink() and shared.resolve() == (project / rel / "node_modules").resolve()
    assert not (path / "frontend/packages/api/node_modules").exists()


async def test_the_landing_scratch_worktree_keeps_the_shared_environments_through_its_clean(tmp_path):
    # `git clean -fd` before each candidate removed the untracked links: the suite at landing then
    # found no node_modules (the web demo's lint step: "eslint is not installed") and no .venv.
    from codeframe_tui.engine.landing_git import Scratches
    from codeframe_tui.engine.workspace import open_workspace

    project = make_project(tmp_path / "p")
    for name in (".venv/bin", "node_modules/.bin"):
        (project / name).mkdir(parents=True)
    engine, _, _ = await open_engine(project, submit, tasks(("1", "backend")))
    try:
        await open_workspace(engine.ctx)
        scratches = Scratches(engine.ctx)
        base = engine.ctx.workspace.base
        scratch = await scratches.reset(0, base)  # made
        (scratch.root / "stray.txt").write_text("left by the last candidate\n")
        scratch = await scratches.reset(0, base)  # reused: cleaned
        assert not (scratch.root / "stray.txt").exists()
        for name in (".venv", "node_modules"):
            assert (scratch.root / name).is_symlink(), name
        await scratches.close()
    finally:
        await engine.close()
