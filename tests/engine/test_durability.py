"""Durable runs without a UI: the run lock, recovery after a kill, the journal, strays, read-only."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from isolation import config_home_env
from support import make_project, module_answer, open_engine, passing_responder, tasks

from codeframe_tui.config import load_settings
from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.changes import ChangeError, ChangeSet, apply_changes
from codeframe_tui.engine.event_log import decode, read_new
from codeframe_tui.engine.journal import recover_journals
from codeframe_tui.engine.runlock import ProjectBusy, RunLock
from codeframe_tui.engine.session import _READS, CommandRefused, Engine
from codeframe_tui.runner import run_command
from codeframe_tui.runner.strays import ProcessLog, group_members

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codeframe_tui", *args], capture_output=True, text=True,
                          timeout=120, env={**config_home_env(), "PATH": "/usr/bin:/bin", "HOME": str(home)})


# ---- one run per project ------------------------------------------------------------------

async def test_a_second_engine_on_the_project_is_told_the_pid_and_a_closed_one_frees_it(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend")))
    try:
        with pytest.raises(ProjectBusy) as caught:
            await Engine.open(engine.settings, engine.model, lambda e: None)
        assert caught.value.pid == os.getpid()
        assert f"pid {os.getpid()}" in str(caught.value)
    finally:
        await engine.close()
    again, _, _ = await open_engine(project, passing_responder, [], approve=False)
    await again.close()


def test_the_lock_of_a_process_killed_with_sigkill_is_free_at_once(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            sys.path.insert(0, {str(REPO)!r})
            from pathlib import Path
            from codeframe_tui.engine.runlock import RunLock
            RunLock(Path({str(tmp_path)!r})).acquire()
            print("locked", flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        lock = RunLock(tmp_path)
        assert lock.holder() == holder.pid
        with pytest.raises(ProjectBusy):
            lock.acquire()
        holder.kill()
        holder.wait()
        assert lock.holder() is None
        lock.acquire()  # no stale lock file to clean: the kernel dropped it with the process
        lock.release()
    finally:
        holder.kill()
        holder.wait()


async def test_a_read_only_engine_refuses_every_command_and_sqlite_refuses_writes(tmp_path):
    project = make_project(tmp_path / "p")
    live, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend"), ("2", "test", ("1",))))
    try:
        reader = await Engine.open_read_only(live.settings, lambda e: None)
        try:
            assert reader.read_only and reader.holder == os.getpid()
            commands = [name for name in dir(Engine)  # its own and its mixins' (queries, the PRD's commands)
                        if not name.startswith("_") and name not in _READS
                        and asyncio.iscoroutinefunction(getattr(Engine, name))]
            assert {"run", "approve", "answer_blocker", "accept_review", "undo", "add_task", "make_plan",
                    "write_prd", "save_prd"} <= set(commands)
            for name in commands:
                with pytest.raises(CommandRefused, match=f"read-only: pid {os.getpid()} runs this project"):
                    await getattr(reader, name)()
            assert [t.key for t in await reader.store.list_tasks()] == ["1", "2"]  # reads work
            assert await reader.imports() == [] and await reader.inbox() == []  # the engine's queries too
            assert [t.key for t in await reader.tasks()] == ["1", "2"] and await reader.prd() is None
            detail = await reader.task_detail("2")
            assert detail is not None and detail.task.depends_on == ("1",) and detail.runs == []
            assert await reader.task_detail("nope") is None
            with pytest.raises(sqlite3.OperationalError):
                await reader.store.db.conn.execute("DELETE FROM tasks")
        finally:
            await reader.close()
        assert (await live.store.get_task("1")).status == TaskStatus.APPROVED
    finally:
        await live.close()


# ---- recovery after a kill ------------------------------------------------------------------

async def _killed_mid_run(project: Path) -> None:
    """The store as a kill -9 leaves it: a run with no end, a task running with one retry used."""
    engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend"), ("2", "backend")))
    try:
        await engine.store.begin_run(4242)
        task = await engine.store.get_task("1")
        await engine.ctx.move(task, TaskStatus.RUNNING)
        await engine.store.transition("1", TaskStatus.FAILED, reason="tests failed")
        await engine.store.transition("1", TaskStatus.APPROVED, count_retry=True)
        await engine.store.transition("1", TaskStatus.RUNNING)
    finally:
        await engine.close()


@pytest.mark.slow  # a whole run end to end
async def test_a_task_killed_while_waiting_to_land_lands_at_resume_without_a_new_attempt(tmp_path):
    project = make_project(tmp_path / "p")
    await _killed_mid_run(project)
    engine, model, _ = await open_engine(project, passing_responder, [], approve=False)
    await engine.store.transition("2", TaskStatus.RUNNING)
    await engine.store.transition("2", TaskStatus.LANDING)  # as if killed in the merge queue
    await engine.close()
    engine, model, recorder = await open_engine(project, passing_responder, [], approve=False)
    try:
        found = engine.interrupted
        assert found is not None and found.landing == 1 and found.to_start == 2
        text = found.describe()
        assert "1 task(s) were waiting to land" in text and "Resuming starts 1 approved task(s)" in text
        summary = await engine.run()
        assert summary.all_done
        assert recorder.statuses("2") == ["done"]  # landed, never started again
        assert {r.first_user_text().split(":", 1)[0] for r in model.requests} == {"Task 1"}
    finally:
        await engine.close()


@pytest.mark.slow  # a whole run end to end
async def test_opening_after_a_kill_restarts_running_tasks_with_their_attempts_and_offers_resume(tmp_path):
    project = make_project(tmp_path / "p")
    await _killed_mid_run(project)
    engine, _, recorder = await open_engine(project, passing_responder, [], approve=False)
    try:
        found = engine.interrupted
        assert found is not None and found.how == "killed" and found.pid == 4242
        assert found.restarted == ("1",) and found.to_start == 2 and found.done == 0 and found.total == 2
        assert "was killed" in found.describe() and "1 task(s) were running (1)" in found.describe()
        task = await engine.store.get_task("1")
        assert task.status == TaskStatus.APPROVED and task.retries == 1
        runs = await engine.store.runs()
        assert [(r.pid, r.outcome) for r in runs] == [(4242, "killed")]
        summary = await engine.run()
        assert summary.all_done
        assert "interrupted_run_recovered" in [e.type for e in recorder.events]
        assert [r.outcome for r in await engine.store.runs()] == ["killed", "finished"]
    finally:
        await engine.close()
    again, _, _ = await open_engine(project, passing_responder, [], approve=False)
    try:
        assert again.interrupted is None  # it finished: nothing to resume
    finally:
        await again.close()


async def test_a_cancelled_run_is_recorded_stopped_and_offered_again(tmp_path):
    project = make_project(tmp_path / "p")
    engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend")), latency=5.0)
    run = asyncio.ensure_future(engine.run())
    while not [t for t in await engine.store.list_tasks() if t.status == TaskStatus.RUNNING]:
        await asyncio.sleep(0.05)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    await engine.close()
    again, _, _ = await open_engine(project, passing_responder, [], approve=False)
    try:
        assert again.interrupted is not None and again.interrupted.how == "stopped"
        assert again.interrupted.restarted == ()  # the stop itself put the task back to approved
    finally:
        await again.close()


@pytest.mark.slow  # a whole run end to end
def test_headless_run_on_an_interrupted_project_wants_resume_then_finishes_it(tmp_path):
    demo = tmp_path / "d"
    first = cli("demo", "--headless", "--dir", str(demo), "--latency", "0", home=tmp_path)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(demo / ".codeframe" / "state.db") as conn:  # as a kill -9 would leave it
        conn.execute("UPDATE tasks SET status = 'running' WHERE key = '3.2'")
        conn.execute("UPDATE runs SET ended_at = NULL, outcome = NULL")
    refused = cli("demo", "--headless", "--dir", str(demo), "--latency", "0", home=tmp_path)
    assert refused.returncode == 2
    assert "was killed" in refused.stderr and "Pass --resume" in refused.stderr
    status = json.loads(cli("status", str(demo), "--json", home=tmp_path).stdout)
    # The refused start still mended what it could: the task is back to approved, the run marked killed.
    assert status["run"]["state"] == "killed" and status["counts"]["approved"] == 1
    resumed = cli("demo", "--headless", "--dir", str(demo), "--latency", "0", "--resume", "--json", home=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    kinds = [json.loads(line)["type"] for line in resumed.stdout.splitlines()]
    assert kinds[:3] == ["run_started", "workspace_checked", "interrupted_run_recovered"]
    status = json.loads(cli("status", str(demo), "--json", home=tmp_path).stdout)
    assert status["counts"] == {"done": 8} and status["run"]["state"] == "finished"


# ---- half-applied change sets ----------------------------------------------------------------

_CRASHING_APPLY = """
import asyncio, os, sys, types
sys.path.insert(0, {repo!r})
from pathlib import Path
from codeframe_tui.engine import changes
calls = 0
def crash_on_second(real):
    def wrapped(*args, **kwargs):
        global calls
        calls += 1
        if calls == 2:
            os._exit(137)  # as SIGKILL would: no except, no finally, no rollback
        return real(*args, **kwargs)
    return wrapped
{patch}
change = changes.ChangeSet.from_tool_input({{"summary": "s", "files": [
    {{"path": "a.py", "action": "write", "content": "A = 2\\n"}},
    {{"path": "new/deep/b.py", "action": "write", "content": "B = 2\\n"}},
    {{"path": "c.py", "action": "delete"}},
]}})
asyncio.run(changes.apply_changes(change, Path({root!r}), journal=Path({journal!r})))
"""
_PATCHES = {
    # Between the renames: the set is half old, half new on disk.
    "rename": "changes.os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith('__')})\n"
              "changes.os.replace = crash_on_second(os.replace)",
    # While staging: only temp files and new folders exist.
    "stage": "changes.stage = crash_on_second(changes.stage)",
}


def _crash_apply(tmp_path: Path, moment: str) -> tuple[Path, Path]:
    root, journal = tmp_path / "root", tmp_path / "journal"
    root.mkdir()
    (root / "a.py").write_text("A = 1\n")
    (root / "c.py").write_text("C = 1\n")
    script = _CRASHING_APPLY.format(repo=str(REPO), patch=_PATCHES[moment], root=str(root), journal=str(journal))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 137, proc.stderr
    return root, journal


def _litter(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob(".cf-*.tmp")]


def test_a_crash_between_the_renames_is_finished_at_start(tmp_path):
    root, journal = _crash_apply(tmp_path, "rename")
    assert (root / "a.py").read_text() == "A = 2\n" and not (root / "new/deep/b.py").exists()  # half applied
    [found] = recover_journals(journal, tmp_path)
    assert found.outcome == "finished" and set(found.paths) == {"a.py", "new/deep/b.py", "c.py"}
    assert (root / "a.py").read_text() == "A = 2\n" and (root / "new/deep/b.py").read_text() == "B = 2\n"
    assert not (root / "c.py").exists() and not _litter(root) and not list(journal.iterdir())


def test_a_crash_while_staging_is_rolled_back_at_start(tmp_path):
    root, journal = _crash_apply(tmp_path, "stage")
    assert _litter(root)  # one staged temp was left
    [found] = recover_journals(journal, tmp_path)
    assert found.outcome == "rolled back"
    assert (root / "a.py").read_text() == "A = 1\n" and (root / "c.py").read_text() == "C = 1\n"
    assert not (root / "new").exists() and not _litter(root) and not list(journal.iterdir())


async def test_a_whole_apply_leaves_no_journal(tmp_path):
    root, journal = tmp_path / "root", tmp_path / "journal"
    root.mkdir()
    change = ChangeSet.from_tool_input({"summary": "s", "files": [
        {"path": "a.py", "action": "write", "content": "A = 1\n"}]})
    await apply_changes(change, root, journal=journal)
    assert (root / "a.py").read_text() == "A = 1\n" and not list(journal.iterdir())
    assert recover_journals(journal, tmp_path) == []


async def test_a_journal_that_cannot_be_acted_on_now_is_kept_for_the_next_start(tmp_path, monkeypatch):
    import codeframe_tui.engine.journal as journal_module

    root, journal = _crash_apply(tmp_path, "rename")
    real = os.replace
    monkeypatch.setattr(journal_module.os, "replace", lambda *a: (_ for _ in ()).throw(OSError(5, "I/O error")))
    [found] = recover_journals(journal, tmp_path)
    assert found.outcome.startswith("not recovered") and len(list(journal.glob("*.json"))) == 1
    monkeypatch.setattr(journal_module.os, "replace", real)
    [found] = recover_journals(journal, tmp_path)
    assert found.outcome == "finished" and (root / "new/deep/b.py").read_text() == "B = 2\n"


async def test_a_set_that_failed_and_was_only_partly_undone_is_never_finished_later(tmp_path, monkeypatch):
    from codeframe_tui.engine import changes as changes_module

    root, journal = tmp_path / "root", tmp_path / "journal"
    root.mkdir()
    (root / "a.py").write_text("A = 1\n")
    (root / "c.py").write_text("C = 1\n")
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(5, "I/O error")
        return os.replace(src, dst)

    def failing_restore(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(changes_module, "os", type("os", (), {
        **{k: getattr(os, k) for k in dir(os) if not k.startswith("__")}, "replace": staticmethod(failing_replace)}))
    monkeypatch.setattr(changes_module, "write_fd", failing_restore)
    change = ChangeSet.from_tool_input({"summary": "s", "files": [
        {"path": "a.py", "action": "write", "content": "A = 2\n"},
        {"path": "b.py", "action": "write", "content": "B = 2\n"},
        {"path": "c.py", "action": "delete"}]})
    with pytest.raises(ChangeError, match="rollback incomplete"):
        await apply_changes(change, root, journal=journal)
    monkeypatch.undo()
    [found] = recover_journals(journal, tmp_path)
    assert found.outcome == "rolled back"
    assert (root / "c.py").read_text() == "C = 1\n" and not (root / "b.py").exists() and not _litter(root)


async def test_a_journal_that_names_a_path_outside_its_root_is_refused(tmp_path):
    journal = tmp_path / "journal"
    journal.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    (journal / "0123456789abcdef.json").write_text(json.dumps({
        "phase": "replacing", "root": str(tmp_path / "root"), "steps": [["delete", str(outside), None]]}))
    (journal / "1-whole-disk.json").write_text(json.dumps({
        "phase": "replacing", "root": "/", "steps": [["delete", str(outside), None]]}))
    assert [f.outcome for f in recover_journals(journal, tmp_path / "root")] == ["unreadable journal dropped"] * 2
    assert outside.read_text() == "keep"


# ---- stray processes -------------------------------------------------------------------------

def _group(env: dict | None = None) -> subprocess.Popen:
    """A shell and its background child in a new process group, as a test command would be."""
    proc = subprocess.Popen(["sh", "-c", "sleep 60 & sleep 60"], start_new_session=True,
                            env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 5
    while len(group_members(proc.pid) or []) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(group_members(proc.pid)) >= 2
    return proc


def _end(proc: subprocess.Popen) -> None:
    if group_members(proc.pid):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def test_strays_of_a_dead_run_are_ended_by_their_recorded_group(tmp_path):
    log = ProcessLog(tmp_path / "processes")
    proc = _group(log.child_env())
    try:
        log.record(proc.pid)
        ended = ProcessLog(tmp_path / "processes").end_strays()  # as the next start sees it
        assert proc.pid in ended and len(ended) >= 2
        proc.wait(timeout=5)
        deadline = time.monotonic() + 5
        while group_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert group_members(proc.pid) == []
        assert log.recorded() == []
    finally:
        _end(proc)


def test_a_recorded_group_id_now_used_by_someone_else_is_left_alone(tmp_path):
    """Group ids are reused, and another PID namespace shares the boot: without our token, no kill."""
    log = ProcessLog(tmp_path / "processes")
    stranger = _group()  # not started by us: no token in its environment
    try:
        log.record(stranger.pid)
        assert ProcessLog(tmp_path / "processes").end_strays() == []
        assert stranger.poll() is None and len(group_members(stranger.pid)) >= 2
        assert log.recorded() == []
    finally:
        _end(stranger)


def test_a_record_from_an_earlier_boot_kills_nothing(tmp_path):
    log = ProcessLog(tmp_path / "processes")
    proc = _group(log.child_env())
    try:
        (tmp_path / "processes").mkdir()
        (tmp_path / "processes" / str(proc.pid)).write_text(f"another-boot {log.token}")
        assert log.end_strays() == [] and log.recorded() == []
        assert proc.poll() is None
    finally:
        _end(proc)


async def test_a_command_is_recorded_while_it_runs_and_forgotten_after(tmp_path):
    log = ProcessLog(tmp_path / "processes")
    seen: list[list[int]] = []
    result = await run_command(["sh", "-c", "echo hi; sleep 0.2"], tmp_path, timeout=10,
                               on_line=lambda line: seen.append(log.recorded()), processes=log)
    assert result.exit_code == 0 and len(seen[0]) == 1
    assert log.recorded() == []


# ---- the event log, read back ---------------------------------------------------------------

async def test_every_logged_event_of_a_run_reads_back_as_the_same_event(tmp_path):
    project = make_project(tmp_path / "p")
    responder = lambda request: module_answer("1")  # noqa: E731
    engine, _, _ = await open_engine(project, responder, tasks(("1", "backend")))
    try:
        await engine.run()
        rows = await engine.store.events_after(0)
        assert len(rows) > 5
        for _, payload in rows:
            event = decode(payload)
            assert event is not None, payload["type"]
            again = event.to_json_dict()
            assert again == payload, payload["type"]
        found, last = await read_new(engine.store, rows[2][0])
        assert len(found) == len(rows) - 3 and last == rows[-1][0]
        assert decode({"type": "from_a_newer_version"}) is None
    finally:
        await engine.close()


@pytest.mark.slow  # a whole run end to end
def test_status_tells_a_live_run_by_its_pid(tmp_path):
    project = make_project(tmp_path / "p")
    settings = load_settings(project, offline=True)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import asyncio, sys, time
            sys.path.insert(0, {str(REPO)!r})
            from pathlib import Path
            from codeframe_tui.config import load_settings
            from codeframe_tui.engine.session import Engine, NoModel
            async def main():
                engine = await Engine.open(load_settings(Path({str(project)!r}), offline=True), NoModel(),
                                           lambda e: None)
                await engine.store.begin_run(1)
                print("open", flush=True)
                await asyncio.sleep(60)
            asyncio.run(main())
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        status = cli("status", str(project), "--json", home=tmp_path)
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["run"]["state"] == "live"
        assert f"pid {holder.pid}" in json.loads(status.stdout)["run"]["text"]
        busy = subprocess.run([sys.executable, "-m", "codeframe_tui", "run", str(project), "--headless"],
                              capture_output=True, text=True, timeout=60,  # a key, so the lock is what refuses
                              env={**config_home_env(),
                                   "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ANTHROPIC_API_KEY": "sk-test"})
        assert busy.returncode == 2 and f"(pid {holder.pid}) is running" in busy.stderr, busy.stderr
    finally:
        holder.kill()
        holder.wait()


async def test_a_run_refused_before_it_starts_leaves_no_run_to_resume(tmp_path):
    import shutil

    from codeframe_tui.engine.workspace import WorkspaceError

    project = make_project(tmp_path / "p")
    shutil.rmtree(project / ".git")  # not a repository: the run is refused until `git init`
    engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend")))
    try:
        with pytest.raises(WorkspaceError):
            await engine.run()
        assert await engine.store.runs() == []
    finally:
        await engine.close()
    again, _, _ = await open_engine(project, passing_responder, [], approve=False)
    try:
        assert again.interrupted is None
    finally:
        await again.close()


async def test_a_test_the_task_wrote_itself_before_a_crash_is_not_an_existing_test(tmp_path):
    """After an interrupted attempt, the worktree already holds the task's own new test; writing it
    again must not flag it as "modified an existing test" (that forces a review, even in auto)."""
    from codeframe_tui.engine.landing import modified_tests

    project = make_project(tmp_path / "p")
    engine, _, _ = await open_engine(project, passing_responder, tasks(("1", "backend")))
    try:
        await engine.lead.open_workspace()
        await engine.store.record_changes("1", {
            "tests/test_new.py": (b"written by the first attempt\n", b"again\n", 0o644),  # not on the base
            "tests/test_base.py": (b"def test_base():\n    assert True\n", b"changed\n", 0o644),  # on the base
        })
        assert await modified_tests(engine.ctx, "1") == ["tests/test_base.py"]
    finally:
        await engine.close()
