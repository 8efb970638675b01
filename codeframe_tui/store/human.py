"""What involves the person: blockers and their answers, each task's file changes, review decisions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codeframe_tui.domain import Blocker
from codeframe_tui.domain.clock import now_text
from codeframe_tui.store.db import inserted_id

if TYPE_CHECKING:
    from codeframe_tui.store.db import Database



@dataclass(frozen=True)
class FileChangeRecord:
    """A file a task changed: its bytes before the task first touched it and after its last write."""

    path: str
    before: bytes | None
    after: bytes | None
    before_mode: int | None = None  # permission bits before, to restore them on an undo


@dataclass(frozen=True)
class ReviewRecord:
    decision: str  # accepted | rejected | discarded
    feedback: str
    created_at: str


_BLOCKER_SELECT = (
    "SELECT b.*, t.key AS task_key FROM blockers b JOIN tasks t ON t.id = b.task_id WHERE t.project_id = ?"
)


def _blocker(r) -> Blocker:
    return Blocker(
        id=r["id"], task_key=r["task_key"], question=r["question"], kind=r["kind"], answer=r["answer"],
        created_at=r["created_at"], resolved_at=r["resolved_at"], status=r["status"], agent_id=r["agent_id"],
        source=r["source"], yes_no=bool(r["yes_no"]), assumption=r["assumption"],
    )


class HumanMixin:
    """Methods mixed into Store; they rely on `self.db`, `self.project_id` and `self._task_id`."""

    db: Database
    project_id: int

    _task_id: Callable[[str], Awaitable[int]]  # provided by RecordsMixin

    # ---- blockers -----------------------------------------------------------------------

    async def create_blocker(self, key: str, question: str, kind: str = "sync", *, agent_id: str | None = None,
                             source: str = "engine", yes_no: bool = False, assumption: str = "") -> Blocker:
        task_id = await self._task_id(key)
        now = now_text()
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO blockers (task_id, kind, question, created_at, agent_id, source, yes_no, assumption)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (task_id, kind, question, now, agent_id, source, int(yes_no), assumption),
            )
            blocker_id = inserted_id(cur)
        return Blocker(id=blocker_id, task_key=key, question=question, kind=kind, created_at=now,
                       agent_id=agent_id, source=source, yes_no=yes_no, assumption=assumption)

    async def blockers(self, key: str | None = None, *, pending_only: bool = False) -> list[Blocker]:
        """Blockers oldest first, of one task or of the whole project."""
        sql = _BLOCKER_SELECT
        params: list[int | str] = [self.project_id]
        if key is not None:
            sql += " AND t.key = ?"
            params.append(key)
        if pending_only:
            sql += " AND b.status = 'pending'"
        return [_blocker(r) for r in await self.db.fetchall(sql + " ORDER BY b.id ASC", tuple(params))]

    async def get_blocker(self, blocker_id: int) -> Blocker | None:
        row = await self.db.fetchone(_BLOCKER_SELECT + " AND b.id = ?", (self.project_id, blocker_id))
        return _blocker(row) if row else None

    async def resolve_blocker(self, blocker_id: int, answer: str) -> Blocker | None:
        """Record the answer if the blocker is still pending; None if it was not (the first answer won)."""
        return await self._settle_blocker(blocker_id, "resolved", answer)

    async def expire_blocker(self, blocker_id: int) -> Blocker | None:
        return await self._settle_blocker(blocker_id, "expired", None)

    async def _settle_blocker(self, blocker_id: int, status: str, answer: str | None) -> Blocker | None:
        async with self.db.transaction() as conn:
            # Conditional: of two answers racing, exactly one finds the row still pending.
            cur = await conn.execute(
                "UPDATE blockers SET status = ?, answer = ?, resolved_at = ? WHERE id = ? AND status = 'pending'"
                " AND task_id IN (SELECT id FROM tasks WHERE project_id = ?)",
                (status, answer, now_text(), blocker_id, self.project_id),
            )
            changed = cur.rowcount == 1
        return await self.get_blocker(blocker_id) if changed else None

    # ---- file changes -------------------------------------------------------------------

    async def record_changes(self, key: str,
                             contents: dict[str, tuple[bytes | None, bytes | None, int | None]]) -> None:
        """Keep the first `before` (and its mode) of each file and the latest `after`."""
        task_id = await self._task_id(key)
        now = now_text()
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO task_changes (task_id, path, before, after, before_mode, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(task_id, path)"
                " DO UPDATE SET after = excluded.after, updated_at = excluded.updated_at",
                [(task_id, path, before, after, mode, now) for path, (before, after, mode) in contents.items()],
            )

    async def task_changes(self, key: str) -> list[FileChangeRecord]:
        rows = await self.db.fetchall(
            "SELECT path, before, after, before_mode FROM task_changes WHERE task_id = ? ORDER BY path",
            (await self._task_id(key),),
        )
        return [FileChangeRecord(r["path"], r["before"], r["after"], r["before_mode"]) for r in rows]

    # ---- reviews ------------------------------------------------------------------------

    async def waiting_reviews(self) -> list[tuple[str, str]]:
        """(task key, since when) of every task waiting for review, oldest first."""
        rows = await self.db.fetchall(
            "SELECT key, updated_at FROM tasks WHERE project_id = ? AND status = 'review' ORDER BY updated_at, id",
            (self.project_id,),
        )
        return [(r["key"], r["updated_at"]) for r in rows]

    async def add_review(self, key: str, decision: str, feedback: str = "") -> None:
        task_id = await self._task_id(key)
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO reviews (task_id, decision, feedback, created_at) VALUES (?, ?, ?, ?)",
                (task_id, decision, feedback, now_text()),
            )

    async def drop_last_review(self, key: str, decision: str) -> None:
        """Undo a decision recorded just before its status change was refused (another won)."""
        task_id = await self._task_id(key)
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM reviews WHERE id = (SELECT MAX(id) FROM reviews WHERE task_id = ? AND decision = ?)",
                (task_id, decision),
            )

    async def reviews(self, key: str) -> list[ReviewRecord]:
        rows = await self.db.fetchall(
            "SELECT decision, feedback, created_at FROM reviews WHERE task_id = ? ORDER BY id",
            (await self._task_id(key),),
        )
        return [ReviewRecord(r["decision"], r["feedback"], r["created_at"]) for r in rows]
