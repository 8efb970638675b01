"""Markdown checklists: items, nested subtasks, headings as issues, [x] done, malformed lines named."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeframe_tui.domain import AgentType, TaskStatus
from codeframe_tui.plan import PlanImportError, import_plan
from codeframe_tui.plan.model import PlanRefused

CHECKLIST = Path(__file__).parent / "fixtures" / "checklist.md"


def test_items_nesting_issues_and_status():
    plan = import_plan(CHECKLIST)
    assert plan.format == "checklist"
    assert plan.issues == (("1", "Backend"), ("2", "Frontend"), ("3", "Tests"))
    tasks = {t.key: t for t in plan.tasks}
    assert list(tasks) == ["1", "2", "2.1", "2.2", "3", "4", "4.1", "4.2", "5"]
    assert tasks["1"].status == TaskStatus.DONE and tasks["4.1"].status == TaskStatus.DONE  # [x] and [X]
    assert tasks["2"].status == TaskStatus.PROPOSED
    assert tasks["2.1"].title == "Move notes to SQLite in notes/store.py"
    assert tasks["2.1"].description == "Keep the JSON file as a fallback for one release."
    assert tasks["2.1"].files == ("notes/store.py",)
    assert tasks["2"].extra["subtasks"] == ["2.1", "2.2"] and tasks["2.1"].extra["line"] == 9
    assert [tasks[k].issue_key for k in ("1", "2.2", "4", "4.2", "5")] == ["1", "1", "2", "2", "3"]


def test_listed_order_and_parents_as_completion_points():
    deps = {t.key: t.depends_on for t in import_plan(CHECKLIST).tasks}
    assert deps == {
        "1": (),
        "2": ("1", "2.2"),  # after its predecessor, and done when its last child is
        "2.1": ("1",),  # the first child waits for what its parent waits for
        "2.2": ("2.1",),
        "3": ("2",),  # waits for the parent, so for all of 2's children
        "4": ("3", "4.2"),  # headings do not break the order
        "4.1": ("3",),
        "4.2": ("4.1",),
        "5": ("4",),
    }


def test_agent_types():
    tasks = {t.key: t for t in import_plan(CHECKLIST).tasks}
    assert tasks["3"].agent_type == AgentType.BACKEND  # "latest" is not "test"
    assert tasks["4"].agent_type == AgentType.FRONTEND  # web/settings.html
    assert tasks["4.2"].agent_type == AgentType.FRONTEND  # "Theme switcher": its parent's type
    assert tasks["5"].agent_type == AgentType.TEST  # tests/test_workflow.py; "workflow" is not "low"


def test_parallel_marker_and_items_without_heading(tmp_path):
    path = tmp_path / "todo.md"
    path.write_text("- [ ] one\n- [ ] [P] two\n- [ ] [P] three\n- [ ] four\n")
    plan = import_plan(path)
    assert plan.issues == ()
    assert {t.key: (t.issue_key, t.depends_on) for t in plan.tasks} == {
        "1": ("", ()), "2": ("", ("1",)), "3": ("", ("1",)), "4": ("", ("2", "3")),
    }
    assert plan.tasks[1].title == "two" and plan.tasks[1].extra["parallel"] is True


def test_a_shallower_item_closes_deeper_levels(tmp_path):
    path = tmp_path / "todo.md"
    path.write_text("- [ ] a\n    - [ ] b\n        - [ ] c\n  - [ ] d\n- [ ] e\n")
    plan = import_plan(path)
    assert [t.key for t in plan.tasks] == ["1", "1.1", "1.1.1", "1.2", "2"]


MALFORMED = [
    ("  - [ ] Write a migration from the JSON file", "  - [-] Write a migration", 11, "unknown checkbox mark '[-]'"),
    ("    * [X] Layout", "    * [X]", 17, "checklist item has no text"),
    ("- [ ] Fetch the latest sync state from the server", "- [ ] [P]", 12, "checklist item has no text"),
    ("- [x] Add the `export`", "- [✓] Add the `export`", 7, "unknown checkbox mark '[✓]'"),
]


@pytest.mark.parametrize(("old", "new", "line", "words"), MALFORMED, ids=[m[3] for m in MALFORMED])
def test_malformed_lines_are_skipped_named_and_strict_refuses(tmp_path, old, new, line, words):
    text = CHECKLIST.read_text()
    assert old in text
    path = tmp_path / "plan.md"
    path.write_text(text.replace(old, new, 1))
    plan = import_plan(path)
    [warning] = plan.warnings
    assert warning.line == line and warning.message(path).startswith(f"{path}:{line}: ")
    assert words in warning.what and "; skipped '" in warning.what
    assert len(plan.tasks) == len(import_plan(CHECKLIST).tasks) - 1
    with pytest.raises(PlanRefused) as caught:
        import_plan(path, strict=True)
    assert f"\n{path}:{line}: " in str(caught.value) and words in str(caught.value)


def test_a_file_without_items_is_refused(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\n- just a bullet\n- [P] a tag, not a checkbox\n")
    with pytest.raises(PlanImportError, match="no checklist items found"):
        import_plan(path)
