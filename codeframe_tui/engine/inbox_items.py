"""What waits for the person, from every agent, oldest first: the inbox's items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from codeframe_tui.domain.diffs import summarize
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.reviewing import task_diff


@dataclass(frozen=True)
class InboxItem:
    kind: str  # "blocker" | "review"
    task_key: str
    task_title: str
    agent_id: str | None
    since: datetime
    text: str  # the question, or the diff summary
    blocker_id: int | None = None
    yes_no: bool = False
    sync: bool = True
    assumption: str = ""

    def waited(self, now: datetime | None = None) -> float:
        return max(0.0, ((now or datetime.now(UTC)) - self.since).total_seconds())


def _when(stamp: str | None) -> datetime:
    try:
        return datetime.fromisoformat(stamp) if stamp else datetime.now(UTC)
    except ValueError:
        return datetime.now(UTC)


async def inbox_items(ctx: EngineContext) -> list[InboxItem]:
    store = ctx.store
    blockers = await store.blockers(pending_only=True)
    reviews = await store.waiting_reviews()
    if not blockers and not reviews:
        return []  # the common case, and listing every task of a big plan for nothing is not free
    tasks = {t.key: t for t in await store.list_tasks()}
    items = [
        InboxItem(
            kind="blocker", task_key=b.task_key, task_title=tasks[b.task_key].title, agent_id=b.agent_id,
            since=_when(b.created_at), text=b.question, blocker_id=b.id, yes_no=b.yes_no,
            sync=b.kind == "sync", assumption=b.assumption,
        )
        for b in blockers
    ]
    for key, since in reviews:
        task = tasks[key]
        items.append(InboxItem(
            kind="review", task_key=key, task_title=task.title, agent_id=task.agent_id, since=_when(since),
            text=f"tests passed; {summarize(await task_diff(ctx, key))}",
        ))
    return sorted(items, key=lambda i: i.since)


def format_wait(seconds: float) -> str:
    """How long something has waited, in the fewest characters: 45s, 12m, 3h, 2d."""
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"
