"""The task state machine: the one place that says which status changes are legal."""

from __future__ import annotations

from codeframe_tui.domain.task import TaskStatus

S = TaskStatus

# Why each edge exists:
#  running -> approved: a failed attempt that still has a retry left, or an interrupted run.
#  blocked -> approved: the person answered; the task queues again with the answer in its prompt.
#  failed/cancelled -> approved: the person asked for a retry.
#  rejected -> proposed: the person changed their mind during plan review.
#  running -> review: tests passed under the review gate; the person decides.
#  review -> approved: rejected with feedback; the agent tries again with it in its prompt.
#  review -> rejected: rejected for good.
#  running/review -> landing: its checks passed (and, under review, it was accepted): it waits in the
#  merge queue, holding no agent slot. landing -> done: its batch landed; landing -> approved: the
#  batch's suite went red with it, a correction for its agent; landing -> blocked: it conflicted,
#  or its corrections are spent.
#  done/blocked -> approved/rejected: the person undid its landed work (`u`); blocked when the
#  tests went red after it landed.
#  failed -> approved also follows an answer to "a dependency failed, how to proceed?".
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    S.PROPOSED: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.RUNNING, S.PROPOSED, S.REJECTED, S.CANCELLED}),
    S.RUNNING: frozenset({S.DONE, S.REVIEW, S.LANDING, S.FAILED, S.BLOCKED, S.CANCELLED, S.APPROVED}),
    S.REVIEW: frozenset({S.DONE, S.LANDING, S.APPROVED, S.REJECTED, S.BLOCKED}),
    S.LANDING: frozenset({S.DONE, S.APPROVED, S.BLOCKED}),
    S.BLOCKED: frozenset({S.APPROVED, S.RUNNING, S.FAILED, S.CANCELLED, S.REJECTED}),
    S.FAILED: frozenset({S.APPROVED}),
    S.CANCELLED: frozenset({S.APPROVED}),
    S.REJECTED: frozenset({S.PROPOSED}),
    S.DONE: frozenset({S.APPROVED, S.REJECTED}),
}


class IllegalTransition(ValueError):
    """Raised when code asks for a status change the state machine does not allow."""

    def __init__(self, task_key: str, current: TaskStatus, target: TaskStatus) -> None:
        super().__init__(f"task {task_key}: cannot go from {current} to {target}")
        self.task_key = task_key
        self.current = current
        self.target = target


def can_transition(current: TaskStatus, target: TaskStatus) -> bool:
    return target in TRANSITIONS[current]


def check_transition(task_key: str, current: TaskStatus, target: TaskStatus) -> None:
    if not can_transition(current, target):
        raise IllegalTransition(task_key, current, target)
