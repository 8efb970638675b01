"""The command palette is made from the bindings: each binding that offers itself there (a tooltip)
names an action that exists, so choosing it in the palette always does what the key does."""

from __future__ import annotations

import pytest

from codeframe_tui.ui.app import CodeframeApp
from codeframe_tui.ui.palette import _bindings_of
from codeframe_tui.ui.screens.inbox import InboxScreen
from codeframe_tui.ui.screens.main import MainScreen
from codeframe_tui.ui.screens.review import PlanReviewScreen
from codeframe_tui.ui.widgets.output_log import TestOutputLog
from codeframe_tui.ui.widgets.tasks import TasksTable

OFFERED = [MainScreen, InboxScreen, PlanReviewScreen, TasksTable, TestOutputLog, CodeframeApp]


def tooltip_bindings(cls):
    node = cls.__new__(cls)  # only its class attributes are read
    return [b for b in _bindings_of(node) if b.tooltip]


@pytest.mark.parametrize("cls", OFFERED, ids=lambda c: c.__name__)
def test_every_offered_binding_names_an_action_with_words(cls):
    for binding in tooltip_bindings(cls):
        namespace, _, name = binding.action.rpartition(".")
        owner = CodeframeApp if namespace == "app" else cls
        method = getattr(owner, f"action_{name}", None)
        assert method is not None, f"{cls.__name__}: {binding.key} offers {binding.action}, which does not exist"
        assert (method.__doc__ or "").strip(), f"{owner.__name__}.action_{name} has no docstring for its help line"


def test_the_screens_offer_their_keys():
    assert len(tooltip_bindings(PlanReviewScreen)) >= 10 and len(tooltip_bindings(InboxScreen)) >= 5
