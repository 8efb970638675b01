"""Store tests: migrations apply once, transitions persist, plans are validated before writing."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from codeframe_tui.domain import AgentType, IllegalTransition, NewTask, TaskStatus, TestRun, TestStatus
from codeframe_tui.domain.graph import PlanError
from codeframe_tui.store import Store, StoreError
from codeframe_tui.store.db import _migrations, open_database

EXPECTED_TABLES = {
    "projects", "issues", "tasks", "task_dependencies", "agents", "test_runs",
    "correction_attempts", "blockers", "model_calls", "events",
}


async def test_migrations_apply_once_and_set_user_version(tmp_path):
    db = await open_database(tmp_path / "s.db")
    try:
        rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        assert EXPECTED_TABLES <= {r[0] for r in rows}
        assert await db.user_version() == max(n for n, _, _ in _migrations())
        mode = await db.fetchone("PRAGMA journal_mode")
        assert mode[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
    finally:
        await db.close()
    db = await open_database(tmp_path / "s.db")  # reopening applies nothing twice
    await db.close()


async def test_transitions_persist_across_reopen(tmp_path):
    store = await Store.open(tmp_path / "s.db", tmp_path)
    await store.add_plan([("1", "Issue")], [NewTask("1.1", "a", AgentType.BACKEND, issue_key="1")])
    await store.transition("1.1", TaskStatus.APPROVED)
    await store.transition("1.1", TaskStatus.RUNNING, agent_id="backend-1")
    await store.transition("1.1", TaskStatus.APPROVED, reason="retry", count_retry=True)
    await store.close()
    # Read it back with plain sqlite3, as a crash-recovering process would.
    with sqlite3.connect(tmp_path / "s.db") as conn:
        assert conn.execute("SELECT status, retries, reason FROM tasks").fetchone() == ("approved", 1, "retry")
    store = await Store.open(tmp_path / "s.db", tmp_path)
    try:
        task = await store.get_task("1.1")
        assert (task.status, task.retries, task.issue_key) == (TaskStatus.APPROVED, 1, "1")
    finally:
        await store.close()


async def test_illegal_transition_is_refused_and_nothing_changes(tmp_path):
    store = await Store.open(tmp_path / "s.db", tmp_path)
    try:
        await store.add_plan([], [NewTask("1", "a", AgentType.TEST)])
        with pytest.raises(IllegalTransition, match="cannot go from proposed to running"):
            await store.transition("1", TaskStatus.RUNNING)
        assert (await store.get_task("1")).status == TaskStatus.PROPOSED
        with pytest.raises(StoreError, match="no task 'nope'"):
            await store.get_task("nope")
    finally:
        await store.close()


@pytest.mark.parametrize(
    "deps,message",
    [
        ({"1": ("2",), "2": ("3",), "3": ("1",)}, "dependency cycle: "),
        ({"1": ("1",)}, "task 1 depends on itself"),
        ({"1": ("9",)}, "task 1 depends on unknown task 9"),
    ],
)
async def test_bad_plans_are_refused_whole(tmp_path, deps, message):
    store = await Store.open(tmp_path / "s.db", tmp_path)
    try:
        plan = [NewTask(k, k, AgentType.BACKEND, depends_on=d) for k, d in deps.items()]
        with pytest.raises(PlanError, match=message) as info:
            await store.add_plan([], plan)
        if "cycle" in message:
            cycle = str(info.value).split(": ")[1].split(" -> ")
            assert set(cycle) == {"1", "2", "3"} and cycle[0] == cycle[-1]
        assert await store.list_tasks() == []
    finally:
        await store.close()


async def test_tasks_sort_naturally_and_dependencies_are_edges(tmp_path):
    store = await Store.open(tmp_path / "s.db", tmp_path)
    try:
        plan = [NewTask(k, k, AgentType.BACKEND) for k in ("1.10", "1.2", "1.1")]
        plan.append(NewTask("2.1", "x", AgentType.TEST, depends_on=("1.10", "1.2")))
        tasks = await store.add_plan([], plan)
        assert [t.key for t in tasks] == ["1.1", "1.2", "1.10", "2.1"]
        assert tasks[-1].depends_on == ("1.2", "1.10")
        rows = await store.db.fetchall("SELECT COUNT(*) FROM task_dependencies")
        assert rows[0][0] == 2
    finally:
        await store.close()


async def test_test_runs_come_back_oldest_first(tmp_path):
    store = await Store.open(tmp_path / "s.db", tmp_path)
    try:
        await store.add_plan([], [NewTask("1", "a", AgentType.BACKEND)])
        await store.add_test_run("1", 0, TestRun(TestStatus.FAILED, total=2, passed=1, failed=1,
                                                failing_tests=("t::a",)))
        await store.add_test_run("1", 1, TestRun(TestStatus.PASSED, total=2, passed=2))
        runs = await store.test_runs("1")
        assert [(a, r.status) for a, r in runs] == [(0, TestStatus.FAILED), (1, TestStatus.PASSED)]
        assert runs[0][1].failing_tests == ("t::a",)
    finally:
        await store.close()


async def test_a_failing_migration_leaves_nothing_half_done(tmp_path, monkeypatch):
    from codeframe_tui.store import db as db_module

    good = _migrations()
    bad = (good[-1][0] + 1, "999_bad.sql", "CREATE TABLE half_done (x INTEGER);\nCREATE TABLE broken (;")
    monkeypatch.setattr(db_module, "_migrations", lambda: [*good, bad])
    with pytest.raises(sqlite3.OperationalError):
        await open_database(tmp_path / "s.db")
    with sqlite3.connect(tmp_path / "s.db") as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert "half_done" not in names and EXPECTED_TABLES <= names
    assert version == good[-1][0]
    monkeypatch.setattr(db_module, "_migrations", lambda: good)
    db = await open_database(tmp_path / "s.db")  # and the next start works
    await db.close()


async def test_extra_fields_are_kept_on_the_task(tmp_path):
    store = await Store.open(tmp_path / "s.db", tmp_path)
    try:
        extra = {"story": "US1", "details": "keep me", "unknown": {"nested": [1, 2]}}
        await store.add_plan([], [NewTask("T1", "a", AgentType.BACKEND, extra=extra)])
        assert (await store.get_task("T1")).extra == extra
    finally:
        await store.close()


async def test_a_database_of_the_first_schema_keeps_every_row_through_the_review_migration(tmp_path, monkeypatch):
    """Migration 2 rebuilds `tasks` (for the `review` status): edges, runs and blockers that point
    at tasks must survive it, and foreign keys must be on again afterwards."""
    from codeframe_tui.store import db as db_module

    first = [m for m in _migrations() if m[0] == 1]
    monkeypatch.setattr(db_module, "_migrations", lambda: first)
    store = await Store.open(tmp_path / "s.db", tmp_path)
    await store.add_plan([("1", "Issue")], [
        NewTask("1.1", "A", AgentType.BACKEND, issue_key="1"),
        NewTask("1.2", "B", AgentType.TEST, depends_on=("1.1",), issue_key="1"),
    ])
    await store.close()
    with sqlite3.connect(tmp_path / "s.db") as conn:  # a test run and a blocker as the first schema stored them
        conn.execute("INSERT INTO test_runs (task_id, attempt, status, total, passed, failed, errors, skipped,"
                     " duration, exit_code, command, output, created_at)"
                     " VALUES (1, 0, 'passed', 1, 1, 0, 0, 0, 0.5, 0, '[]', '', 'now')")
        conn.execute("INSERT INTO blockers (task_id, question, created_at) VALUES (1, 'why?', 'now')")
    monkeypatch.undo()

    store = await Store.open(tmp_path / "s.db", tmp_path)
    try:
        assert await store.db.user_version() == max(m[0] for m in _migrations())  # 002 rebuilt tasks on the way
        tasks = await store.list_tasks()
        assert [(t.key, t.depends_on, t.issue_key) for t in tasks] == [("1.1", (), "1"), ("1.2", ("1.1",), "1")]
        [(_, run)] = await store.test_runs("1.1")
        assert (run.status, run.passed, run.steps) == (TestStatus.PASSED, 1, ())  # 008 gave it no steps
        assert [(b.question, b.source, b.yes_no) for b in await store.blockers("1.1")] == [("why?", "engine", False)]
        await store.transition("1.1", TaskStatus.APPROVED)
        await store.transition("1.1", TaskStatus.RUNNING)
        await store.transition("1.1", TaskStatus.REVIEW)  # the new status is allowed by the table
        await store.transition("1.1", TaskStatus.LANDING)  # and 006's
        assert (await store.db.fetchone("PRAGMA foreign_keys"))[0] == 1
    finally:
        await store.close()


async def test_the_landing_migration_keeps_changes_runs_and_edges_of_a_schema_5_database(tmp_path, monkeypatch):
    """Migration 6 rebuilds `tasks` again (for `landing`): what points at tasks survives it."""
    from codeframe_tui.store import db as db_module

    before = [m for m in _migrations() if m[0] <= 5]
    monkeypatch.setattr(db_module, "_migrations", lambda: before)
    store = await Store.open(tmp_path / "s.db", tmp_path)
    await store.add_plan([], [NewTask("A", "A", AgentType.BACKEND),
                              NewTask("B", "B", AgentType.TEST, depends_on=("A",))])
    await store.transition("A", TaskStatus.APPROVED)
    await store.transition("A", TaskStatus.RUNNING)
    await store.record_changes("A", {"a.py": (None, b"x = 1\n", None)})
    await store.close()
    with sqlite3.connect(tmp_path / "s.db") as conn:  # a test run as schema 5 stored it (no steps)
        conn.execute("INSERT INTO test_runs (task_id, attempt, status, total, passed, failed, errors, skipped,"
                     " duration, exit_code, command, output, created_at)"
                     " VALUES (1, 0, 'passed', 1, 1, 0, 0, 0, 0.5, 0, '[]', '', 'now')")
    monkeypatch.undo()

    store = await Store.open(tmp_path / "s.db", tmp_path)
    try:
        assert await store.db.user_version() == max(m[0] for m in _migrations())
        assert [(t.key, t.status, t.depends_on) for t in await store.list_tasks()] == [
            ("A", TaskStatus.RUNNING, ()), ("B", TaskStatus.PROPOSED, ("A",))]
        assert [c.path for c in await store.task_changes("A")] == ["a.py"]
        assert len(await store.test_runs("A")) == 1
        assert (await store.transition("A", TaskStatus.LANDING)).status == TaskStatus.LANDING
        assert (await store.db.fetchone("PRAGMA foreign_keys"))[0] == 1
    finally:
        await store.close()


async def test_a_transition_and_its_log_line_commit_together_and_the_task_returned_is_the_stored_one(tmp_path):
    store = await Store.open(tmp_path / "s.db", tmp_path)
    try:
        await store.add_plan([], [NewTask("1", "a", AgentType.TEST),
                                  NewTask("2", "b", AgentType.TEST, depends_on=("1",))])
        await store.transition("2", TaskStatus.APPROVED)
        moved = await store.transition("2", TaskStatus.RUNNING, agent_id="test-1", log=lambda t: (
            "task_status_changed", {"task_id": t.key, "status": str(t.status)}))
        assert moved == await store.get_task("2")  # what it returns without reading back is what is stored
        assert (moved.status, moved.agent_id, moved.depends_on) == (TaskStatus.RUNNING, "test-1", ("1",))
        await store.transition("2", TaskStatus.APPROVED, reason="again", count_retry=True)
        again = await store.transition("2", TaskStatus.RUNNING, agent_id="test-2", reason="again")
        assert again == await store.get_task("2")
        assert (again.retries, again.reason, again.agent_id) == (1, "again", "test-2")
        assert await store.events() == [{"task_id": "2", "status": "running"}]
        # A refused move writes no log line either.
        with pytest.raises(IllegalTransition):
            await store.transition("2", TaskStatus.PROPOSED, log=lambda t: ("x", {}))
        assert len(await store.events()) == 1
    finally:
        await store.close()


async def test_an_import_is_recorded_with_its_plan_in_one_transaction(tmp_path):
    from codeframe_tui.domain import ImportRecord

    store = await Store.open(tmp_path / "s.db", tmp_path)
    try:
        warning = {"line": 9, "task": None, "what": "placeholder task id TXXX", "text": "TXXX Example",
                   "message": "tasks.md:9: placeholder task id TXXX"}
        record = ImportRecord("/specs/001/tasks.md", "speckit", (warning,), "### Checks\n- [ ] all pass")
        await store.add_plan([], [NewTask("1", "a", AgentType.TEST)], imported=record)
        [stored] = await store.imports()
        assert (stored.source, stored.format, stored.warnings, stored.acceptance) == (
            record.source, record.format, (warning,), record.acceptance)
        # A plan refused as a whole leaves no record behind either.
        with pytest.raises(StoreError):
            await store.add_plan([], [NewTask("1", "again", AgentType.TEST)], imported=record)
        assert len(await store.imports()) == 1
    finally:
        await store.close()


async def test_processes_opening_a_new_store_at_once_apply_each_migration_once(tmp_path):
    # `codeframe-tui status` beside a demo that is just starting: each connection is another
    # process's. Each read the version as 0 before the other had migrated, and then made the
    # tables again ("table projects already exists"), or found the journal mode's switch locked.
    for attempt in range(8):
        path = tmp_path / f"s{attempt}.db"
        dbs = await asyncio.gather(*(open_database(path) for _ in range(3)))
        try:
            for db in dbs:
                assert await db.user_version() == max(n for n, _, _ in _migrations())
                assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        finally:
            for db in dbs:
                await db.close()


async def test_a_chained_scripts_steps_are_stored_with_its_run(tmp_path):
    from codeframe_tui.domain import StepOutcome

    store = await Store.open(tmp_path / "s.db", tmp_path)
    try:
        await store.add_plan([], [NewTask("1", "a", AgentType.FRONTEND)])
        steps = (StepOutcome("lint", "lint", "failed", problems=("src/a.ts:3: 'x' is never used",)),
                 StepOutcome("vitest", "test", "passed", 23, 23, "packages/ui"))
        await store.add_test_run("1", 0, TestRun(TestStatus.FAILED, total=23, passed=23, steps=steps))
        [(_, run)] = await store.test_runs("1")
        assert run.steps == steps
        assert [s.short for s in run.steps] == ["lint ✗", "vitest (packages/ui) 23/23"]
    finally:
        await store.close()
