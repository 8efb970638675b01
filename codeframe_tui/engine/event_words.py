"""What each event means to a person, in words: one home for the line the Activity pane, the
headless text output and the test log show. The JSON contract is the events' own fields
(`Event.to_json_dict`); this module is the human side of the same facts."""

from __future__ import annotations

from codeframe_tui.engine.events import (
    AgentResumed,
    BlockerCreated,
    BlockerExpired,
    BlockerResolved,
    CorrectionAttempted,
    Event,
    InterruptedRunRecovered,
    LandingBatchFinished,
    LandingBatchStarted,
    ModelRetried,
    PlanAdded,
    ReviewDecided,
    ReviewRequested,
    RunFinished,
    RunStarted,
    TaskHeld,
    TaskLanded,
    TaskReleased,
    TaskStatusChanged,
    TaskUndone,
    TestResult,
    ToolUsed,
    WorkPaused,
    WorkspaceChecked,
)

# Events with no line of their own, and why: they come too often to read as lines, or another
# pane shows them as they are (the Agents and Tests panes, the test log's own stream).
SILENT: frozenset[str] = frozenset({
    "agent_status_changed",  # the Agents pane's status cell
    "model_called",  # the Agents and Costs cells; each call is in the task's detail
    "model_text_streamed",  # high rate: the agent's live text
    "changes_applied",  # the tool_used lines name each edit
    "changes_rejected",  # likewise, as a refused tool_used line
    "test_started",  # the test log opens a section for it
    "test_output",  # high rate: the test log streams it
})


def describe(event: Event) -> str | None:
    """The event's one line for a person: the Activity pane and the headless text output both show it.
    None for the events in `SILENT`."""
    match event:
        case PlanAdded():
            return f"plan made from the {event.source.upper()}: {event.tasks} tasks in {event.issues} issues (proposed)"
        case RunStarted():
            confined = f"; tests run {'in the sandbox' if event.sandbox.startswith('bwrap') else 'unconfined'}" \
                if event.sandbox else ""
            warning = f" ({event.sandbox})" if event.sandbox.startswith("sandbox off") else ""
            return f"run started on {event.project} with {len(event.tasks)} tasks{confined}{warning}"
        case TaskStatusChanged():
            by = f" by {event.agent_id}" if event.agent_id else ""
            why = f" ({event.reason})" if event.reason else ""
            return f"task {event.task_id} {event.status}{by}{why}"
        case TaskHeld():
            return f"task {event.task_id} held: {event.reason}"
        case ToolUsed():
            refused = "" if event.ok else f" (refused: {event.note[:120]})"
            return f"task {event.task_id} {event.agent_id}: {event.label}{refused}"
        case TestResult():
            return (
                f"task {event.task_id} tests {event.status}: {event.passed} passed, {event.failed} failed, "
                f"{event.errors} errors in {event.duration:.1f}s"
                + (f" ({' · '.join(event.steps)})" if event.steps else "")
            )
        case CorrectionAttempted():
            return f"task {event.task_id} correction {event.attempt_number}/{event.max_attempts} {event.status}"
        case TaskReleased():
            return f"task {event.task_id} no longer held"
        case BlockerCreated():
            how = "asks" if event.kind == "sync" else f"asks (going on, assuming {event.assumption!r})"
            return f"task {event.task_id} {how} [{event.blocker_id}]: {event.question}"
        case BlockerResolved():
            return f"question {event.blocker_id} on task {event.task_id} answered: {event.answer}"
        case BlockerExpired():
            return f"question {event.blocker_id} on task {event.task_id} expired: {event.reason}"
        case AgentResumed():
            return f"task {event.task_id} resumed by {event.agent_id or 'its next agent'} with the answer"
        case ReviewRequested():
            return f"task {event.task_id} waits for review ({len(event.files)} files)"
        case WorkspaceChecked():
            dirty = f"; your uncommitted files ({len(event.dirty)}) are left as they are" if event.dirty else ""
            found = f"; found again: {', '.join(event.worktrees)}" if event.worktrees else ""
            return f"working from branch {event.base}, a git worktree per task{dirty}{found}"
        case LandingBatchStarted():
            behind = f" ({event.queued} queued behind)" if event.queued else ""
            on = "on the candidate under test" if event.speculative else "on the base"
            return f"landing: testing {'+'.join(event.tasks)} {on}{behind}"
        case LandingBatchFinished():
            guilty = f": {', '.join(event.culprits)} broke the suite" if event.culprits else ""
            return f"landing: {'+'.join(event.tasks)} {event.result}{guilty}"
        case TaskLanded():
            return f"task {event.task_id} landed on {event.base} as {event.commit[:10]}"
        case TaskUndone():
            return f"task {event.task_id} undone by {event.commit[:10]}; now {event.status}"
        case WorkPaused():
            return f"paused: {event.reason}"
        case ReviewDecided():
            why = f": {event.feedback}" if event.feedback else ""
            return f"task {event.task_id} review {event.decision}{why}"
        case ModelRetried():
            return f"task {event.task_id}: {event.reason[:160]}; retry {event.retry}/{event.of} in {event.wait:.1f}s"
        case InterruptedRunRecovered():
            parts = [f"resuming the run that was {event.how} (pid {event.pid})"]
            if event.restarted:
                parts.append(f"restarting {', '.join(event.restarted)}")
            if event.processes_ended:
                parts.append(f"ended {len(event.processes_ended)} stray process(es)")
            parts += event.change_sets
            return "; ".join(parts)
        case RunFinished():
            return (
                f"run finished: {event.done} done, {event.failed} failed, {event.blocked} blocked "
                f"of {event.total} in {event.elapsed:.1f}s"
            )
    return None
