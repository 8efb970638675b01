"""The runs of a project: started, finished, stopped or killed; what an interrupted one left."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from codeframe_tui.domain.clock import now_text
from codeframe_tui.store.db import inserted_id

if TYPE_CHECKING:
    from codeframe_tui.store.db import Database



@dataclass(frozen=True)
class RunRecord:
    id: int
    pid: int
    started_at: str
    ended_at: str | None
    outcome: str | None  # finished | stopped | killed; None while it runs (or until a start finds it dead)


class RunsMixin:
    db: Database
    project_id: int

    async def begin_run(self, pid: int) -> int:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO runs (project_id, pid, started_at) VALUES (?, ?, ?)", (self.project_id, pid, now_text())
            )
            return inserted_id(cur)

    async def end_run(self, run_id: int, outcome: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE runs SET ended_at = ?, outcome = ? WHERE id = ? AND ended_at IS NULL",
                               (now_text(), outcome, run_id))

    async def mark_killed_runs(self) -> list[RunRecord]:
        """Runs with no end: their process died without a word. Only called under the run lock."""
        dead = [r for r in await self.runs() if r.ended_at is None]
        if dead:
            async with self.db.transaction() as conn:
                await conn.execute("UPDATE runs SET outcome = 'killed' WHERE project_id = ? AND ended_at IS NULL",
                                   (self.project_id,))
                await conn.execute("UPDATE runs SET ended_at = ? WHERE project_id = ? AND ended_at IS NULL",
                                   (now_text(), self.project_id))
        return dead

    async def runs(self) -> list[RunRecord]:
        rows = await self.db.fetchall("SELECT * FROM runs WHERE project_id = ? ORDER BY id", (self.project_id,))
        return [RunRecord(r["id"], r["pid"], r["started_at"], r["ended_at"], r["outcome"]) for r in rows]

    async def last_run(self) -> RunRecord | None:
        row = await self.db.fetchone("SELECT * FROM runs WHERE project_id = ? ORDER BY id DESC LIMIT 1",
                                     (self.project_id,))
        return RunRecord(row["id"], row["pid"], row["started_at"], row["ended_at"], row["outcome"]) if row else None
