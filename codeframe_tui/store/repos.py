"""Repositories over the database: they take and return domain objects, never rows."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from codeframe_tui.domain import (
    AgentType,
    ImportRecord,
    NewTask,
    Task,
    TaskStatus,
    check_transition,
    natural_key,
)
from codeframe_tui.domain.clock import now_text
from codeframe_tui.domain.graph import validate_dependencies
from codeframe_tui.store.db import Database, StoreError, inserted_id, open_database
from codeframe_tui.store.human import HumanMixin
from codeframe_tui.store.records import RecordsMixin
from codeframe_tui.store.runs import RunsMixin


@dataclass(frozen=True)
class CorrectionRecord:
    attempt_number: int
    max_attempts: int
    status: str
    failure: str
    created_at: str


@dataclass(frozen=True)
class ModelCallRecord:
    model: str
    agent_id: str
    input_tokens: int
    output_tokens: int
    latency: float
    stop_reason: str
    prompt_summary: str
    answer_summary: str
    created_at: str
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    run_id: int | None = None


_TASK_COLUMNS = (
    "t.id, t.key, t.title, t.description, t.agent_type, t.status, t.priority, t.acceptance, "
    "t.test_strategy, t.files, t.retries, t.reason, t.agent_id, t.extra, i.key AS issue_key"
)


class Store(RecordsMixin, HumanMixin, RunsMixin):
    """All durable state of one project. Every write commits before it returns."""

    def __init__(self, db: Database, project_id: int, project_root: Path | None = None) -> None:
        self.db = db
        self.project_id = project_id
        self.project_root = project_root

    @classmethod
    async def open(cls, db_path: Path, project_root: Path, *, read_only: bool = False) -> Store:
        db = await open_database(db_path, read_only=read_only)
        try:
            row = await db.fetchone("SELECT id FROM projects WHERE root = ?", (str(project_root),))
            if row is None and read_only:
                raise StoreError(f"{db_path} holds no project at {project_root}")
            if row is None:
                async with db.transaction() as conn:
                    cur = await conn.execute(
                        "INSERT INTO projects (name, root, created_at) VALUES (?, ?, ?)",
                        (project_root.name, str(project_root), now_text()),
                    )
                    project_id = inserted_id(cur)
            else:
                project_id = int(row["id"])
        except BaseException:
            await db.close()
            raise
        return cls(db, project_id, project_root)

    async def close(self) -> None:
        await self.db.close()

    # ---- plan -------------------------------------------------------------------------

    async def add_plan(self, issues: Sequence[tuple[str, str]], tasks: Sequence[NewTask], *,
                       imported: ImportRecord | None = None) -> list[Task]:
        """Insert issues and tasks with their dependency edges in one transaction; with `imported`,
        the import's record (its warnings and acceptance notes) in the same one."""
        existing = {t.key: t.depends_on for t in await self.list_tasks()}
        edges = dict(existing)
        for task in tasks:
            if task.key in edges:
                raise StoreError(f"task {task.key} already exists")
            edges[task.key] = task.depends_on
        validate_dependencies(edges)
        now = now_text()
        async with self.db.transaction() as conn:
            issue_ids: dict[str, int] = {}
            for key, title in issues:
                await conn.execute(
                    "INSERT OR IGNORE INTO issues (project_id, key, title) VALUES (?, ?, ?)",
                    (self.project_id, key, title),
                )
                async with conn.execute(
                    "SELECT id FROM issues WHERE project_id = ? AND key = ?", (self.project_id, key)
                ) as cur:
                    row = await cur.fetchone()
                    assert row is not None  # inserted just above, or there already
                    issue_ids[key] = int(row["id"])
            for t in tasks:
                if t.issue_key and t.issue_key not in issue_ids:
                    raise StoreError(f"task {t.key} names unknown issue {t.issue_key}")
                await conn.execute(
                    "INSERT INTO tasks (project_id, issue_id, key, title, description, agent_type, status,"
                    " priority, acceptance, test_strategy, files, extra, reason, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        self.project_id, issue_ids.get(t.issue_key), t.key, t.title, t.description,
                        str(t.agent_type), str(t.status), t.priority, t.acceptance, t.test_strategy,
                        json.dumps(list(t.files)), json.dumps(t.extra), t.reason, now, now,
                    ),
                )
            if imported is not None:
                await conn.execute(
                    "INSERT INTO imports (project_id, source, format, warnings, acceptance, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (self.project_id, imported.source, imported.format, json.dumps(list(imported.warnings)),
                     imported.acceptance, now),
                )
            for t in tasks:
                for dep in t.depends_on:
                    await conn.execute(
                        "INSERT INTO task_dependencies (task_id, depends_on_id)"
                        " SELECT a.id, b.id FROM tasks a, tasks b"
                        " WHERE a.project_id = ? AND a.key = ? AND b.project_id = ? AND b.key = ?",
                        (self.project_id, t.key, self.project_id, dep),
                    )
        return await self.list_tasks()

    async def imports(self) -> list[ImportRecord]:
        """Every plan import into this project, oldest first."""
        rows = await self.db.fetchall(
            "SELECT source, format, warnings, acceptance, created_at FROM imports WHERE project_id = ? ORDER BY id",
            (self.project_id,),
        )
        return [ImportRecord(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4]) for r in rows]

    async def issues(self) -> list[tuple[str, str]]:
        """The project's issues (or phases) as (key, title), in the order they were planned."""
        rows = await self.db.fetchall(
            "SELECT key, title FROM issues WHERE project_id = ? ORDER BY id ASC", (self.project_id,)
        )
        return [(r["key"], r["title"]) for r in rows]

    async def _edges(self) -> dict[int, list[str]]:
        rows = await self.db.fetchall(
            "SELECT d.task_id, b.key FROM task_dependencies d JOIN tasks b ON b.id = d.depends_on_id"
            " WHERE b.project_id = ?",
            (self.project_id,),
        )
        out: dict[int, list[str]] = {}
        for row in rows:
            out.setdefault(int(row[0]), []).append(row[1])
        return out

    def _task(self, row, deps: list[str]) -> Task:
        # A big plan lists thousands of tasks at every start: the common empty values skip the parser.
        files, extra = row["files"], row["extra"]
        return Task(
            id=int(row["id"]), key=row["key"], title=row["title"], description=row["description"],
            agent_type=AgentType(row["agent_type"]), status=TaskStatus(row["status"]),
            depends_on=tuple(sorted(deps, key=natural_key)) if len(deps) > 1 else tuple(deps),
            issue_key=row["issue_key"] or "", priority=row["priority"], acceptance=row["acceptance"],
            test_strategy=row["test_strategy"], files=() if files == "[]" else tuple(json.loads(files)),
            retries=int(row["retries"]), reason=row["reason"], agent_id=row["agent_id"],
            extra={} if extra == "{}" else json.loads(extra),
        )

    async def list_tasks(self) -> list[Task]:
        rows = await self.db.fetchall(
            f"SELECT {_TASK_COLUMNS} FROM tasks t LEFT JOIN issues i ON i.id = t.issue_id"
            " WHERE t.project_id = ?",
            (self.project_id,),
        )
        edges = await self._edges()
        tasks = [self._task(r, edges.get(int(r["id"]), [])) for r in rows]
        return sorted(tasks, key=lambda t: natural_key(t.key))

    async def status_counts(self) -> dict[TaskStatus, int]:
        """How many tasks are in each status, without building them (a plan may hold thousands)."""
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) FROM tasks WHERE project_id = ? GROUP BY status", (self.project_id,)
        )
        return {TaskStatus(r[0]): int(r[1]) for r in rows}

    async def keys_with_status(self, status: TaskStatus) -> list[str]:
        """The keys of the tasks in one status, in natural order."""
        rows = await self.db.fetchall(
            "SELECT key FROM tasks WHERE project_id = ? AND status = ?", (self.project_id, str(status))
        )
        return sorted((r[0] for r in rows), key=natural_key)

    async def get_task(self, key: str) -> Task:
        # One statement, its dependencies gathered in it: a worker reads its task at every model call.
        row = await self.db.fetchone(
            f"SELECT {_TASK_COLUMNS}, (SELECT json_group_array(b.key) FROM task_dependencies d"
            " JOIN tasks b ON b.id = d.depends_on_id WHERE d.task_id = t.id) AS deps"
            " FROM tasks t LEFT JOIN issues i ON i.id = t.issue_id WHERE t.project_id = ? AND t.key = ?",
            (self.project_id, key),
        )
        if row is None:
            raise StoreError(f"no task {key!r} in this project")
        return self._task(row, json.loads(row["deps"]))

    async def transition(
        self,
        key: str,
        target: TaskStatus,
        *,
        reason: str = "",
        agent_id: str | None = None,
        count_retry: bool = False,
        log: Callable[[Task], tuple[str, dict]] | None = None,
    ) -> Task:
        """Move a task to `target` if the state machine allows it; commit; return the new task.

        `log` gives the event (type and payload) for the moved task, written to the event log in the
        same transaction:
        the lead starts eight tasks in a row, and each start was two commits, one after the other.
        """
        task = await self.get_task(key)
        check_transition(key, task.status, target)
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE tasks SET status = ?, reason = ?, agent_id = ?, retries = retries + ?,"
                " updated_at = ? WHERE id = ? AND status = ?",
                (str(target), reason, agent_id, 1 if count_retry else 0, now_text(), task.id, str(task.status)),
            )
            if cur.rowcount != 1:
                raise StoreError(f"task {key} changed under us while moving to {target}")
            # What the UPDATE wrote, without reading it back.
            new = replace(task, status=target, reason=reason, agent_id=agent_id,
                          retries=task.retries + (1 if count_retry else 0))
            if log is not None:
                event_type, payload = log(new)
                await self._insert_event(conn, event_type, key, payload)
        return new

    async def set_extra(self, key: str, **values: object) -> Task:
        """Merge `values` into the task's extra JSON (its landed commit, its branch...)."""
        task = await self.get_task(key)
        extra = {**task.extra, **values}
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE tasks SET extra = ?, updated_at = ? WHERE id = ?",
                               (json.dumps(extra), now_text(), task.id))
        return replace(task, extra=extra)

    async def update_task(self, key: str, *, title: str, description: str, agent_type: AgentType) -> Task:
        """Edit what a task says (plan review's `e`); its status and history are untouched."""
        task = await self.get_task(key)
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE tasks SET title = ?, description = ?, agent_type = ?, updated_at = ? WHERE id = ?",
                (title, description, str(agent_type), now_text(), task.id),
            )
        return replace(task, title=title, description=description, agent_type=agent_type)

    async def set_dependencies(self, key: str, depends_on: tuple[str, ...]) -> Task:
        """Replace a task's dependency edges, after checking the whole graph stays valid."""
        tasks = await self.list_tasks()
        edges = {t.key: t.depends_on for t in tasks}
        if key not in edges:
            raise StoreError(f"no task {key!r} in this project")
        edges[key] = depends_on
        validate_dependencies(edges)
        task_id = next(t.id for t in tasks if t.key == key)
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM task_dependencies WHERE task_id = ?", (task_id,))
            for dep in depends_on:
                await conn.execute(
                    "INSERT INTO task_dependencies (task_id, depends_on_id)"
                    " SELECT ?, id FROM tasks WHERE project_id = ? AND key = ?",
                    (task_id, self.project_id, dep),
                )
        return await self.get_task(key)

    async def set_reason(self, key: str, reason: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE tasks SET reason = ?, updated_at = ? WHERE project_id = ? AND key = ?",
                (reason, now_text(), self.project_id, key),
            )
