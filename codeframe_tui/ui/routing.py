"""Every engine event's effect on the screen, in one place.

The engine posts each event as an `EngineEvent` message (ui/bridge.py); the app hands it here. One
`match` names every event class: the panes it changes, the alert it raises, the inbox it refreshes.
An event with nothing to show says so in its own case, and a test checks that no event is missing.
Its line in the Activity pane comes from the core's words (engine/event_words.py), as the headless
output's does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeframe_tui.engine.event_words import describe
from codeframe_tui.engine.events import (
    AgentResumed,
    AgentStatusChanged,
    BlockerCreated,
    BlockerExpired,
    BlockerResolved,
    ChangesApplied,
    ChangesRejected,
    CorrectionAttempted,
    Event,
    InterruptedRunRecovered,
    LandingBatchFinished,
    LandingBatchStarted,
    ModelCalled,
    ModelRetried,
    ModelTextStreamed,
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
    TestOutput,
    TestResult,
    TestStarted,
    ToolUsed,
    WorkPaused,
    WorkspaceChecked,
)

if TYPE_CHECKING:
    from codeframe_tui.ui.app import CodeframeApp


def route(app: CodeframeApp, event: Event) -> None:
    """Apply one event to the screen; called for each `EngineEvent`, live or read back from the log."""
    main = app.main
    match event:
        # The Tasks pane and the header's counts.
        case TaskStatusChanged():
            main.tasks_table.set_status(event.task_id, event.status, event.agent_id)
            main.update_summary()
            if event.status in ("running", "done", "rejected"):
                app.show_disk()  # a worktree was made or removed
        case TaskHeld():
            main.tasks_table.set_status(event.task_id, "held", None)
            main.update_summary()
        case TaskReleased():
            main.tasks_table.set_status(event.task_id, "approved", None)
            main.update_summary()
        # The Agents pane.
        case AgentStatusChanged():
            main.agents_table.set_agent(event.agent_id, event.status, event.task_id, event.step)
        case ModelTextStreamed():
            main.agents_table.add_streamed(event.agent_id, event.text)
        case ModelCalled():
            main.agents_table.add_cost(event.agent_id, event.cost_usd)
            main.usage_bar.record(event)
        case LandingBatchStarted() | LandingBatchFinished():
            main.show_landing(event)
        # The Test output pane.
        case TestStarted():
            main.test_log.run_started(event.task_id, " ".join(event.command), event.log)
        case TestOutput():
            main.test_log.add_lines(event.task_id, event.lines)
        case TestResult():
            main.test_log.add_lines(event.task_id, (f"→ {describe(event)}",))
        # The inbox: its count in the header, the open inbox's list, and the person's attention.
        case BlockerCreated():
            app.attention.alert(f"Task {event.task_id} asks: {event.question}", severity="warning")
            app.inbox_changed()
        case ReviewRequested():
            app.attention.alert(f"Task {event.task_id} is ready for your review (b)")
            app.inbox_changed()
        case BlockerResolved() | BlockerExpired() | ReviewDecided():
            app.inbox_changed()
        # The run as a whole.
        case RunStarted():
            main.show_run_started(event)
        case RunFinished():
            main.show_finished(event)
            app.attention.alert(
                f"Run finished: {event.done} done, {event.failed} failed of {event.total}",
                severity="information" if event.done == event.total else "warning",
            )
        case WorkspaceChecked() | TaskLanded() | TaskUndone() | WorkPaused():
            app.show_disk()  # worktrees found, removed or left: the disk they use changed
        case (ChangesApplied() | ChangesRejected() | ToolUsed() | CorrectionAttempted() | AgentResumed()
              | ModelRetried() | InterruptedRunRecovered() | PlanAdded()):
            pass  # their Activity line (below) is all they show; a task's detail reads them from the store
    line = describe(event)
    if line is not None:
        main.add_activity(event.ts, line)
