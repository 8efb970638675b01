"""The records kept around tasks: test runs, correction attempts, model calls, agents, events."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from codeframe_tui.domain import StepOutcome, TestRun, TestStatus
from codeframe_tui.domain.clock import now_text
from codeframe_tui.store.db import StoreError, inserted_id

if TYPE_CHECKING:
    from codeframe_tui.store.db import Database
    from codeframe_tui.store.repos import CorrectionRecord, ModelCallRecord

MAX_STORED_OUTPUT = 200_000



class RecordsMixin:
    """Methods mixed into Store; they rely on `self.db`, `self.project_id` and `self._task_id`."""

    db: Database
    project_id: int

    async def _task_id(self, key: str) -> int:
        row = await self.db.fetchone(
            "SELECT id FROM tasks WHERE project_id = ? AND key = ?", (self.project_id, key)
        )
        if row is None:
            raise StoreError(f"no task {key!r} in this project")
        return int(row[0])

    # ---- test runs ----------------------------------------------------------------------

    async def add_test_run(self, key: str, attempt: int, run: TestRun) -> int:
        task_id = await self._task_id(key)
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO test_runs (task_id, attempt, status, total, passed, failed, errors, skipped,"
                " duration, exit_code, command, output, failing_tests, created_at, steps)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task_id, attempt, str(run.status), run.total, run.passed, run.failed, run.errors,
                    run.skipped, run.duration, run.exit_code, json.dumps(list(run.command)),
                    run.output[-MAX_STORED_OUTPUT:], json.dumps(list(run.failing_tests)), now_text(),
                    json.dumps([step.as_dict() for step in run.steps]),
                ),
            )
            return inserted_id(cur)

    async def test_runs(self, key: str) -> list[tuple[int, TestRun]]:
        """Every test run of a task as (attempt, run), oldest first: the last item is the latest."""
        rows = await self.db.fetchall(
            "SELECT * FROM test_runs WHERE task_id = ? ORDER BY id ASC", (await self._task_id(key),)
        )
        return [
            (
                int(r["attempt"]),
                TestRun(
                    status=TestStatus(r["status"]), total=r["total"], passed=r["passed"],
                    failed=r["failed"], errors=r["errors"], skipped=r["skipped"], duration=r["duration"],
                    exit_code=r["exit_code"], command=tuple(json.loads(r["command"])), output=r["output"],
                    failing_tests=tuple(json.loads(r["failing_tests"])),
                    steps=tuple(StepOutcome.from_dict(d) for d in json.loads(r["steps"])),
                ),
            )
            for r in rows
        ]

    # ---- correction attempts ------------------------------------------------------------

    async def start_correction(self, key: str, number: int, max_attempts: int, failure: str) -> int:
        task_id = await self._task_id(key)
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO correction_attempts (task_id, attempt_number, max_attempts, status, failure,"
                " created_at) VALUES (?, ?, ?, 'started', ?, ?)",
                (task_id, number, max_attempts, failure[-20_000:], now_text()),
            )
            return inserted_id(cur)

    async def finish_correction(self, attempt_id: int, success: bool) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE correction_attempts SET status = ?, finished_at = ? WHERE id = ?",
                ("success" if success else "failed", now_text(), attempt_id),
            )

    async def corrections(self, key: str) -> list[CorrectionRecord]:
        from codeframe_tui.store.repos import CorrectionRecord

        rows = await self.db.fetchall(
            "SELECT * FROM correction_attempts WHERE task_id = ? ORDER BY id ASC",
            (await self._task_id(key),),
        )
        return [
            CorrectionRecord(r["attempt_number"], r["max_attempts"], r["status"], r["failure"], r["created_at"])
            for r in rows
        ]

    # ---- model calls --------------------------------------------------------------------

    async def record_model_call(self, key: str | None, record: ModelCallRecord) -> None:
        task_id = await self._task_id(key) if key else None
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO model_calls (task_id, agent_id, model, input_tokens, output_tokens, cache_creation_tokens,"
                " cache_read_tokens, latency, stop_reason, prompt_summary, answer_summary, created_at, run_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task_id, record.agent_id, record.model, record.input_tokens, record.output_tokens,
                    record.cache_creation_tokens, record.cache_read_tokens, record.latency, record.stop_reason,
                    record.prompt_summary[:4000], record.answer_summary[:4000], record.created_at, record.run_id,
                ),
            )

    async def usage_rows(self, *, by: str = "", task_key: str | None = None,
                         run_id: int | None = None) -> list[tuple[str, str, int, int, int, int, int]]:
        """Model usage summed per model (and per task key or agent id when `by` says so):
        (group, model, calls, input, output, cache write, cache read)."""
        group = {"": "''", "task": "COALESCE(t.key, '')", "agent": "m.agent_id"}[by]
        # The lead's calls (planning) belong to no task: counted with the project's all the same.
        where = ["(t.project_id = ? OR m.task_id IS NULL)"]
        params: list[int | str] = [self.project_id]
        if task_key is not None:
            where.append("t.key = ?")
            params.append(task_key)
        if run_id is not None:
            where.append("m.run_id = ?")
            params.append(run_id)
        rows = await self.db.fetchall(
            f"SELECT {group}, m.model, COUNT(*), SUM(m.input_tokens), SUM(m.output_tokens),"
            " SUM(m.cache_creation_tokens), SUM(m.cache_read_tokens)"
            " FROM model_calls m LEFT JOIN tasks t ON t.id = m.task_id"
            f" WHERE {' AND '.join(where)} GROUP BY 1, 2 ORDER BY 1, 2", tuple(params),
        )
        return [(str(r[0] or ""), r[1], *(int(v or 0) for v in tuple(r)[2:])) for r in rows]

    async def model_calls(self, key: str) -> list[ModelCallRecord]:
        from codeframe_tui.store.repos import ModelCallRecord

        rows = await self.db.fetchall(
            "SELECT * FROM model_calls WHERE task_id = ? ORDER BY id ASC", (await self._task_id(key),)
        )
        return [
            ModelCallRecord(
                r["model"], r["agent_id"] or "", r["input_tokens"], r["output_tokens"], r["latency"],
                r["stop_reason"], r["prompt_summary"], r["answer_summary"], r["created_at"],
                r["cache_creation_tokens"], r["cache_read_tokens"], r["run_id"],
            )
            for r in rows
        ]

    # ---- agents and the event log ------------------------------------------------------

    async def save_agent(self, agent_id: str, agent_type: str, status: str, key: str | None, step: str) -> None:
        task_id = await self._task_id(key) if key else None
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO agents (id, project_id, agent_type, status, task_id, step, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status,"
                " task_id = excluded.task_id, step = excluded.step, updated_at = excluded.updated_at",
                (agent_id, self.project_id, agent_type, status, task_id, step, now_text()),
            )

    async def log_event(self, event_type: str, key: str | None, payload: dict) -> None:
        async with self.db.transaction() as conn:
            await self._insert_event(conn, event_type, key, payload)

    @staticmethod
    async def _insert_event(conn, event_type: str, key: str | None, payload: dict) -> None:
        await conn.execute(
            "INSERT INTO events (type, task_key, payload, created_at) VALUES (?, ?, ?, ?)",
            (event_type, key, json.dumps(payload, default=str), now_text()),
        )

    async def events(self, limit: int = 1000) -> list[dict]:
        rows = await self.db.fetchall(
            "SELECT payload FROM events ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [json.loads(r[0]) for r in reversed(rows)]

    async def events_of(self, key: str, event_type: str, limit: int = 500) -> list[dict]:
        """One task's logged events of one type, oldest first (the detail's tool calls)."""
        rows = await self.db.fetchall(
            "SELECT payload FROM events WHERE task_key = ? AND type = ? ORDER BY id DESC LIMIT ?",
            (key, event_type, limit),
        )
        return [json.loads(r[0]) for r in reversed(rows)]

    async def events_after(self, after_id: int, limit: int = 500) -> list[tuple[int, dict]]:
        """The event log from `after_id` on, oldest first: what a read-only follower has not seen."""
        rows = await self.db.fetchall(
            "SELECT id, payload FROM events WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        )
        return [(int(r[0]), json.loads(r[1])) for r in rows]

    async def last_event_id(self) -> int:
        row = await self.db.fetchone("SELECT COALESCE(MAX(id), 0) FROM events")
        return int(row[0]) if row else 0
