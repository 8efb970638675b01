"""import_plan picks the format, guards size and encoding, checks the graph; plan_to_json's shape; chain()."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from codeframe_tui.plan import PlanImportError, import_plan, plan_to_json
from codeframe_tui.plan import importer as importer_module
from codeframe_tui.plan.model import PlanRefused
from codeframe_tui.plan.order import chain

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(("path", "fmt"), [
    (FIXTURES / "speckit", "speckit"),
    (FIXTURES / "speckit" / "tasks.md", "speckit"),
    (FIXTURES / "taskmaster", "taskmaster"),
    (FIXTURES / "taskmaster_legacy" / "tasks.json", "taskmaster"),
    (FIXTURES / "checklist.md", "checklist"),
])
def test_picks_the_format(path, fmt):
    assert import_plan(path).format == fmt


def test_a_task_master_project_folder(tmp_path):
    target = tmp_path / ".taskmaster" / "tasks"
    target.mkdir(parents=True)
    shutil.copy(FIXTURES / "taskmaster" / "tasks.json", target / "tasks.json")
    plan = import_plan(tmp_path)
    assert plan.source == target / "tasks.json" and plan.format == "taskmaster"


def test_speckit_needs_phases_or_the_name_tasks_md(tmp_path):
    text = "- [ ] T001 First\n- [ ] T002 Second\n"
    (tmp_path / "tasks.md").write_text(text)
    (tmp_path / "todo.md").write_text(text)
    assert import_plan(tmp_path / "tasks.md").format == "speckit"
    todo = import_plan(tmp_path / "todo.md")
    assert todo.format == "checklist" and [t.title for t in todo.tasks] == ["T001 First", "T002 Second"]


def test_refusals(tmp_path):
    with pytest.raises(PlanImportError, match="no such file or folder"):
        import_plan(tmp_path / "missing.md")
    with pytest.raises(PlanImportError, match="no plan here"):
        import_plan(tmp_path)
    (tmp_path / "plan.txt").write_text("- [ ] a\n")
    with pytest.raises(PlanImportError, match="unknown plan format"):
        import_plan(tmp_path / "plan.txt")
    (tmp_path / "tasks.md").write_text("- [ ] T001 a\n")
    (tmp_path / "tasks.json").write_text('{"tasks": []}')
    with pytest.raises(PlanImportError, match="both tasks.md and tasks.json are here"):
        import_plan(tmp_path)
    with pytest.raises(PlanImportError, match="a tag only applies to a Task Master"):
        import_plan(tmp_path / "tasks.md", tag="master")


def test_refuses_files_over_twenty_megabytes_without_reading_them(tmp_path):
    path = tmp_path / "tasks.json"
    with path.open("wb") as f:
        f.truncate(21 * 1024 * 1024)  # sparse: costs no disk, and would not parse if it were read
    with pytest.raises(PlanImportError, match=r"tasks.json: file is 21.0 MB; the limit is 20 MB$"):
        import_plan(path)
    assert importer_module.MAX_BYTES == 20 * 1024 * 1024


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "plan.md"
    path.write_bytes(b"- [ ] one\n- [ ] caf\xe9\n")
    with pytest.raises(PlanImportError) as caught:
        import_plan(path)
    assert caught.value.line == 2 and "not UTF-8" in str(caught.value)


def test_a_cycle_loses_one_edge_named_and_strict_refuses_naming_its_ids(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps({"tasks": [
        {"id": 1, "title": "a", "dependencies": [3]},
        {"id": 2, "title": "b", "dependencies": [1]},
        {"id": 3, "title": "c", "dependencies": [2]},
        {"id": 4, "title": "d", "dependencies": [2]},
    ]}))
    plan = import_plan(path)
    # The edge that points furthest forward in the file (1 waits on 3, listed after it) is the one left out.
    assert {t.key: t.depends_on for t in plan.tasks} == {"1": (), "2": ("1",), "3": ("2",), "4": ("2",)}
    [warning] = plan.warnings
    assert warning.task == "1" and warning.message(path).startswith(f"{path}: task 1: dependency cycle: ")
    cycle = warning.what.removeprefix("dependency cycle: ").split(";")[0].split(" -> ")
    assert cycle[0] == cycle[-1] and sorted(cycle[:-1]) == ["1", "2", "3"]
    assert warning.what.endswith("the edge 1 -> 3 is left out")
    with pytest.raises(PlanRefused, match=r"task 1: dependency cycle: "):
        import_plan(path, strict=True)


def test_self_and_unknown_dependencies_are_left_out_named(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps({"tasks": [{"id": 4, "title": "d", "dependencies": [4, 9]}]}))
    plan = import_plan(path)
    assert plan.tasks[0].depends_on == ()
    assert [w.message(path) for w in plan.warnings] == [
        f"{path}: task 4: task 4 depends on itself: that dependency is left out",
        f"{path}: task 4: task 4 depends on unknown task 9: that dependency is left out",
    ]
    with pytest.raises(PlanRefused, match=r"tasks.json: task 4: task 4 depends on itself"):
        import_plan(path, strict=True)


def test_plan_to_json_shape():
    data = plan_to_json(import_plan(FIXTURES / "speckit"))
    json.dumps(data)  # plain data all the way down
    assert set(data) == {"source", "format", "context_files", "issues", "tasks", "edges", "acceptance", "warnings"}
    assert data["warnings"] == [] and data["acceptance"] == ""
    assert data["source"].endswith("speckit/tasks.md") and data["format"] == "speckit"
    assert data["context_files"][0].endswith("spec.md")
    assert data["issues"][0] == {"key": "1", "title": "Setup (Shared Infrastructure)"}
    t010 = next(t for t in data["tasks"] if t["task_id"] == "T010")
    assert t010 == {
        "task_id": "T010",
        "title": "Add create_blocker() to BackendWorkerAgent in codeframe/agents/backend.py",
        "agent_type": "backend",
        "status": "proposed",
        "depends_on": ["T008", "T009"],
        "issue": "3",
        "priority": "high",
        "description": "Keep the question under 2000 characters.\nRecord the task id with it.",
        "acceptance": "",
        "test_strategy": "",
        "files": ["codeframe/agents/backend.py"],
        "extra": {"phase": "3", "parallel": False, "line": 57, "story": "US1",
                  "section": "Implementation for User Story 1"},
    }
    assert ["T010", "T008"] in data["edges"] and ["T010", "T009"] in data["edges"]
    assert len(data["edges"]) == sum(len(t["depends_on"]) for t in data["tasks"])


@pytest.mark.parametrize(("items", "after", "deps", "exits"), [
    ([], ("x",), {}, ("x",)),
    ([("a", False), ("b", False)], (), {"a": (), "b": ("a",)}, ("b",)),
    ([("a", True), ("b", True)], ("x",), {"a": ("x",), "b": ("x",)}, ("a", "b")),
    ([("a", False), ("b", True), ("c", True), ("d", False), ("e", True)], ("x",),
     {"a": ("x",), "b": ("a",), "c": ("a",), "d": ("b", "c"), "e": ("d",)}, ("e",)),
])
def test_chain(items, after, deps, exits):
    assert chain(items, after) == (deps, exits)
