"""At start, under the run lock: mend what a dead run left, and say whether there is a run to resume."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from codeframe_tui.domain import TaskStatus
from codeframe_tui.engine.context import EngineContext
from codeframe_tui.engine.events import InterruptedRunRecovered
from codeframe_tui.engine.journal import recover_journals

log = logging.getLogger(__name__)

_WOULD_START = (TaskStatus.APPROVED, TaskStatus.RUNNING, TaskStatus.LANDING)


@dataclass(frozen=True)
class Interrupted:
    """The last run ended before its work did: killed (no end recorded) or stopped (q, a signal)."""

    how: str  # killed | stopped
    started_at: str
    pid: int
    restarted: tuple[str, ...]
    to_start: int  # approved tasks, the restarted ones included
    done: int
    total: int
    processes_ended: tuple[int, ...]
    change_sets: tuple[str, ...]
    landing: int = 0  # tasks that were in the merge queue: they land first

    def describe(self) -> str:
        """One paragraph for the person: what happened and what resuming will do."""
        what = "was killed (its process died)" if self.how == "killed" else "was stopped"
        parts = [f"The last run (pid {self.pid}, started {self.started_at[:19].replace('T', ' ')} UTC) {what} "
                 f"with {self.done} of {self.total} tasks done."]
        if self.restarted:
            parts.append(f"{len(self.restarted)} task(s) were running ({', '.join(self.restarted)}); they start "
                         "again in their worktrees, their attempts kept.")
        if self.landing:
            parts.append(f"{self.landing} task(s) were waiting to land; their checks had passed, so they land "
                         "first (the base branch holds whole batches only).")
        parts.append(f"Resuming starts {self.to_start - self.landing} approved task(s); questions and reviews "
                     "still wait in the inbox.")
        if self.processes_ended:
            parts.append(f"Ended {len(self.processes_ended)} stray test process(es) of the dead run.")
        if self.change_sets:
            parts.append("Mended half-applied changes: " + "; ".join(self.change_sets) + ".")
        return " ".join(parts)

    def event(self) -> InterruptedRunRecovered:
        return InterruptedRunRecovered(how=self.how, started_at=self.started_at, pid=self.pid,
                                       restarted=self.restarted, processes_ended=self.processes_ended,
                                       change_sets=self.change_sets)


async def recover(ctx: EngineContext) -> Interrupted | None:
    """Only with the run lock held: no process of ours can be running, so what looks live is left over."""
    # Strays first: a test of the dead run still at work could change the files being mended.
    ended = tuple(ctx.processes.end_strays()) if ctx.processes is not None else ()
    change_sets = tuple(f"{c.outcome}: {', '.join(c.paths) or c.root}"
                        for c in recover_journals(ctx.journal_dir, ctx.project))
    await ctx.store.mark_killed_runs()
    restarted = []
    # Counted in SQL, not listed: recovery runs at every start, and a plan may hold thousands of tasks.
    for key in await ctx.store.keys_with_status(TaskStatus.RUNNING):
        task = await ctx.store.get_task(key)
        await ctx.move(task, TaskStatus.APPROVED, reason="interrupted: the run stopped; it starts again")
        restarted.append(key)
    last = await ctx.store.last_run()
    counts = await ctx.store.status_counts()
    to_start = sum(n for status, n in counts.items() if status in _WOULD_START)
    if last is None or last.outcome not in ("killed", "stopped") or (not to_start and not restarted):
        if change_sets or ended:
            log.warning("recovered without a run to resume: change sets %s, processes %s", change_sets, ended)
        return None
    live = sum(counts.values()) - counts.get(TaskStatus.REJECTED, 0)
    return Interrupted(
        how=last.outcome, started_at=last.started_at, pid=last.pid, restarted=tuple(restarted), to_start=to_start,
        done=counts.get(TaskStatus.DONE, 0), total=live, processes_ended=ended,
        change_sets=change_sets, landing=counts.get(TaskStatus.LANDING, 0),
    )
