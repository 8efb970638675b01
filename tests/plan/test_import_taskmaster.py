"""Task Master tasks.json: tags, legacy form, subtasks and both dependency styles, statuses, bad input."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from codeframe_tui.domain import AgentType, TaskStatus
from codeframe_tui.domain.graph import find_cycle
from codeframe_tui.plan import PlanImportError, import_plan
from codeframe_tui.plan.model import PlanRefused

FIXTURES = Path(__file__).parent / "fixtures"
TAGGED = FIXTURES / "taskmaster" / "tasks.json"
LEGACY = FIXTURES / "taskmaster_legacy" / "tasks.json"


def _by_key(plan):
    return {t.key: t for t in plan.tasks}


def test_tagged_file_defaults_to_master():
    plan = import_plan(TAGGED)
    assert plan.format == "taskmaster"
    assert plan.issues == (("master", "Tasks for master context"),)
    assert [t.key for t in plan.tasks] == ["1", "2", "2.1", "2.2", "2.3", "3", "3.1", "3.2", "4", "5"]
    assert {t.issue_key for t in plan.tasks} == {"master"}


def test_a_chosen_tag():
    plan = import_plan(TAGGED, tag="feature-export")
    assert plan.issues == (("feature-export", "Export feature"),)
    tasks = _by_key(plan)
    assert tasks["2"].depends_on == ("1",)
    assert tasks["2"].agent_type == AgentType.FRONTEND  # "UI" as a whole word
    assert tasks["1"].agent_type == AgentType.BACKEND


def test_unknown_tag_lists_the_tags():
    with pytest.raises(PlanImportError, match=r"tag 'nope' not found; tags: feature-export, master"):
        import_plan(TAGGED, tag="nope")


def test_several_tags_without_master_must_be_chosen(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps({"a": {"tasks": []}, "b": {"tasks": []}}))
    with pytest.raises(PlanImportError, match="choose one of: a, b"):
        import_plan(path)
    only = tmp_path / "only.json"
    only.write_text(json.dumps({"feature": {"tasks": [{"id": 1, "title": "x"}]}}))
    assert import_plan(only).issues[0][0] == "feature"


def test_subtask_dependencies_in_both_styles_and_the_parent_as_completion_point():
    deps = {t.key: t.depends_on for t in import_plan(TAGGED).tasks}
    assert deps == {
        "1": (),
        # The parent keeps its own dependency and waits for its exit subtask (2.3, which no sibling waits for).
        "2": ("1", "2.3"),
        "2.1": ("1",),  # entry subtask: inherits the parent's prerequisites
        "2.2": ("2.1",),  # int 1 means sibling 2.1
        "2.3": ("2.2",),  # "2.2" string
        "3": ("2.3", "3.1", "3.2"),  # two parallel subtasks are both exits
        "3.1": ("2.3",),
        "3.2": ("2.3",),
        "4": ("3",),
        "5": ("2",),
    }


def test_status_map_and_extra_fields():
    tasks = _by_key(import_plan(TAGGED))
    assert tasks["1"].status == TaskStatus.DONE and "source_status" not in tasks["1"].extra
    assert tasks["2.2"].status == TaskStatus.PROPOSED and "source_status" not in tasks["2.2"].extra
    for key, source in (("2", "in-progress"), ("2.3", "review"), ("3.1", "deferred"), ("5", "blocked")):
        assert tasks[key].status == TaskStatus.PROPOSED
        assert tasks[key].extra["source_status"] == source
    assert tasks["4"].status == TaskStatus.REJECTED and tasks["4"].extra["source_status"] == "cancelled"
    # Unknown fields are kept, never dropped.
    assert tasks["2"].extra["complexity"] == 7
    assert tasks["5"].extra["assignee"] == "sam"
    assert tasks["2"].extra["subtasks"] == ["2.1", "2.2", "2.3"] and tasks["2.1"].extra["parent"] == "2"


def test_details_test_strategy_priority_and_agent_types():
    tasks = _by_key(import_plan(TAGGED))
    assert tasks["1"].description == (
        "Create the repository layout and the Python package.\n\n"
        "Use a src/ layout. Add pyproject.toml with ruff and pytest configured."
    )
    assert tasks["1"].test_strategy == "pip install -e . succeeds and pytest collects zero tests."
    assert tasks["1"].priority == "high" and tasks["4"].priority == "low"
    assert tasks["2.2"].priority == "high"  # a subtask takes its parent's priority
    assert tasks["4"].agent_type == AgentType.TEST  # "tests", not "latest"
    assert tasks["3"].agent_type == AgentType.FRONTEND  # React page, search form
    assert tasks["3.2"].agent_type == AgentType.FRONTEND  # "Search box" says nothing: the parent's type


def test_legacy_form():
    plan = import_plan(LEGACY.parent)
    assert plan.issues == (("tasks", "notes-cli"),)
    assert {t.key: t.depends_on for t in plan.tasks} == {
        "1": ("1.2",), "1.1": (), "1.2": ("1.1",), "2": ("1",),
    }
    with pytest.raises(PlanImportError, match="legacy file without tags"):
        import_plan(LEGACY, tag="feature")


def test_agent_type_from_the_source_wins(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps({"tasks": [{"id": 1, "title": "Write tests", "agentType": "frontend"}]}))
    assert import_plan(path).tasks[0].agent_type == AgentType.FRONTEND


def _tagged_with(task_change):
    data = json.loads(TAGGED.read_text())
    task_change(data["master"]["tasks"])
    return data


def _set(index, field, value):
    def change(tasks):
        tasks[index][field] = value
    return change


def _set_sub(index, sub, field, value):
    def change(tasks):
        tasks[index]["subtasks"][sub][field] = value
    return change


MALFORMED = [
    # (change, task id named, words in the message, which of tasks 1-5 the lenient import keeps)
    (_set(1, "title", 42), "2", "title must be a string, got 42: the task and its subtasks are skipped", "1345"),
    (_set(1, "title", "  "), "2", "title is empty: the task and its subtasks are skipped", "1345"),
    (_set(2, "dependencies", "2.3"), "3", "dependencies must be a list, got \"2.3\": the task and its", "1245"),
    (_set(2, "dependencies", [{"id": 2}]), "3", "dependency {\"id\": 2} is not a task id like 3 or '3.2': it is left",
     "12345"),
    (_set(2, "dependencies", ["two"]), "3", "dependency \"two\" is not a task id like 3 or '3.2': it is left out",
     "12345"),
    (_set(3, "id", 1.5), "at master.tasks[3]", "id must be an integer, got 1.5: the task and its", "1235"),
    (_set(3, "id", True), "at master.tasks[3]", "id must be an integer, got true: the task and its", "1235"),
    (_set(3, "status", 3), "4", "status must be a string, got 3: the task and its subtasks are skipped", "1235"),
    (_set(3, "priority", 1), "4", "priority must be a word like high, got 1: the task and its", "1235"),
    (_set(3, "agentType", "designer"), "4", "agent type \"designer\" is not one of backend, frontend, test: the",
     "1235"),
    (_set(1, "subtasks", {"id": 1}), "2.subtasks", "expected a list, got {\"id\": 1}: its subtasks are skipped",
     "12345"),
]


@pytest.mark.parametrize(("change", "task", "words", "kept"), MALFORMED, ids=[m[2][:30] for m in MALFORMED])
def test_a_malformed_task_is_named_and_the_rest_imports(tmp_path, change, task, words, kept):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(_tagged_with(change), indent=2))
    plan = import_plan(path)
    assert [m for w in plan.warnings if (m := w.message(path)).startswith(f"{path}: task {task}: {words}")]
    assert "".join(t.key for t in plan.tasks if "." not in t.key) == kept
    with pytest.raises(PlanRefused) as caught:
        import_plan(path, strict=True)
    assert words in str(caught.value)


def test_duplicate_ids_are_renumbered_after_the_highest_with_a_warning(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(_tagged_with(lambda tasks: (_set(3, "id", 2)(tasks), _set_sub(1, 1, "id", 1)(tasks))),
                               indent=2))
    plan = import_plan(path)
    messages = [w.message(path) for w in plan.warnings]
    assert f"{path}: task 2.1: duplicate subtask id (entry 1 of task 2): read as 2.4" in messages
    top = next(m for m in messages if "duplicate id" in m)
    assert top.startswith(f"{path}: task 2: duplicate id (entry 3): read as ")
    keys = [t.key for t in plan.tasks]
    assert len(keys) == len(set(keys))
    with pytest.raises(PlanRefused, match="duplicate subtask id"):
        import_plan(path, strict=True)


def test_every_tm_core_status_is_mapped(tmp_path):
    statuses = ["done", "completed", "pending", "in-progress", "review", "blocked", "deferred", "cancelled", "odd"]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps({"tasks": [{"id": i + 1, "title": f"t{i}", "status": s}
                                          for i, s in enumerate(statuses)]}))
    plan = import_plan(path)
    got = {t.title: (str(t.status), t.extra.get("source_status")) for t in plan.tasks}
    assert got == {
        "t0": ("done", None), "t1": ("done", "completed"), "t2": ("proposed", None),
        "t3": ("proposed", "in-progress"), "t4": ("proposed", "review"), "t5": ("proposed", "blocked"),
        "t6": ("proposed", "deferred"), "t7": ("rejected", "cancelled"), "t8": ("proposed", "odd"),
    }
    assert [w.message(path) for w in plan.warnings] == [
        f"{path}: task 9: unknown status 'odd': read as proposed (kept as its source status)"]


def test_unknown_dependency_and_cycle_are_named_and_left_out(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(_tagged_with(_set(4, "dependencies", [9]))))
    plan = import_plan(path)
    assert [w.message(path) for w in plan.warnings] == [
        f"{path}: task 5: task 5 depends on unknown task 9: that dependency is left out"]
    assert "9" not in next(t for t in plan.tasks if t.key == "5").depends_on
    with pytest.raises(PlanImportError, match=r": task 5 depends on unknown task 9: that dependency is left out"):
        import_plan(path, strict=True)
    path.write_text(json.dumps(_tagged_with(_set(0, "dependencies", [4]))))
    plan = import_plan(path)
    # 1 -> 4 -> 3 -> 3.x -> 2.3 -> 2.2 -> 2.1 -> 1: every id on the loop is in the message, and one edge goes.
    [warning] = plan.warnings
    cycle = warning.what.split("dependency cycle: ")[1].split(";")[0].split(" -> ")
    assert cycle[0] == cycle[-1] and {"1", "4", "3", "2.3", "2.2", "2.1"} <= set(cycle)
    assert find_cycle({t.key: t.depends_on for t in plan.tasks}) is None


def test_bad_json_names_the_line(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text('{\n  "tasks": [\n    {"id": 1, "title": "x",}\n  ]\n}\n')
    with pytest.raises(PlanImportError) as caught:
        import_plan(path)
    assert caught.value.line == 3 and str(caught.value).startswith(f"{path}:3: not valid JSON")


def test_absurd_nesting_is_refused_before_parsing(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text('{"tasks": [{"id": 1, "title": "x", "deep": ' + "[" * 5000 + "]" * 5000 + "}]}")
    with pytest.raises(PlanImportError, match="nests deeper than 32 levels"):
        import_plan(path)


def _big_plan(tasks: int, subtasks: int) -> dict:
    filler = "Implement the handler, validate inputs, log failures and keep the public API stable. " * 4
    return {"master": {"tasks": [
        {
            "id": n, "title": f"Task {n}: build the service layer part {n}", "description": filler,
            "details": filler * 2, "testStrategy": "Unit tests for the new functions.", "priority": "medium",
            "dependencies": [n - 1] if n > 1 else [], "status": "pending", "complexity": n % 10,
            "subtasks": [
                {"id": s, "title": f"Subtask {n}.{s}", "description": filler, "details": filler,
                 "dependencies": [s - 1] if s > 1 else ([f"{n - 1}.1"] if n > 1 else []), "status": "pending",
                 "testStrategy": ""}
                for s in range(1, subtasks + 1)
            ],
        }
        for n in range(1, tasks + 1)
    ], "metadata": {"description": "big"}}}


def test_a_one_megabyte_file_imports_in_under_two_seconds(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(_big_plan(300, 4), indent=2))
    assert path.stat().st_size > 1_000_000
    start = time.perf_counter()
    plan = import_plan(path)
    elapsed = time.perf_counter() - start
    assert len(plan.tasks) == 1500
    assert elapsed < 2.0, f"import took {elapsed:.2f} s"


def test_a_parent_naming_its_own_subtask_and_null_fields(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps({"tasks": [
        {"id": 1, "title": "a", "priority": None, "status": None},
        {"id": 2, "title": "b", "dependencies": [1, "2.1"], "subtasks": [{"id": 1, "title": "s"}]},
    ]}))
    tasks = _by_key(import_plan(path))
    assert tasks["1"].priority == "medium" and tasks["1"].status == TaskStatus.PROPOSED
    # Not a self-dependency: the subtask inherits only the parent's outside prerequisites.
    assert tasks["2"].depends_on == ("1", "2.1") and tasks["2.1"].depends_on == ("1",)
