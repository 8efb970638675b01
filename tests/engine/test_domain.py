"""The state machine and natural ordering."""

from __future__ import annotations

import pytest

from codeframe_tui.domain import IllegalTransition, TaskStatus, check_transition, natural_key
from codeframe_tui.domain.transitions import TRANSITIONS

S = TaskStatus


def test_every_status_has_a_row():
    assert set(TRANSITIONS) == set(TaskStatus)


@pytest.mark.parametrize("current,target", [
    (S.PROPOSED, S.RUNNING), (S.DONE, S.RUNNING), (S.DONE, S.FAILED), (S.FAILED, S.DONE),
    (S.REJECTED, S.APPROVED), (S.PROPOSED, S.DONE), (S.CANCELLED, S.RUNNING),
])
def test_illegal_transitions_are_refused(current, target):
    with pytest.raises(IllegalTransition):
        check_transition("1", current, target)


@pytest.mark.parametrize("current,target", [
    (S.PROPOSED, S.APPROVED), (S.APPROVED, S.RUNNING), (S.RUNNING, S.DONE), (S.RUNNING, S.BLOCKED),
    (S.RUNNING, S.FAILED), (S.RUNNING, S.APPROVED), (S.FAILED, S.APPROVED), (S.BLOCKED, S.APPROVED),
])
def test_legal_transitions(current, target):
    check_transition("1", current, target)


def test_natural_order():
    keys = ["1.10", "1.2", "T10", "T2", "1.1", "2"]
    assert sorted(keys, key=natural_key) == ["1.1", "1.2", "1.10", "2", "T2", "T10"]


def test_bad_states_for_dependents():
    assert {s for s in TaskStatus if s.is_terminal_bad} == {S.FAILED, S.REJECTED, S.CANCELLED}
