"""spec-kit tasks.md: phases in order, [P] runs, [X] done, stories and paths kept, malformed input named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codeframe_tui.domain import AgentType, TaskStatus
from codeframe_tui.domain.graph import find_cycle
from codeframe_tui.plan import import_plan
from codeframe_tui.plan.model import PlanRefused

FIXTURES = Path(__file__).parent / "fixtures"
SPECKIT = FIXTURES / "speckit"


def _by_key(plan):
    return {t.key: t for t in plan.tasks}


def test_reads_phases_as_issues_in_order_with_context_files():
    plan = import_plan(SPECKIT)
    assert plan.format == "speckit"
    assert plan.source == SPECKIT / "tasks.md"
    assert [key for key, _ in plan.issues] == ["1", "2", "3", "4", "5"]
    assert plan.issues[0][1] == "Setup (Shared Infrastructure)"
    assert plan.issues[2][1].startswith("User Story 1 - Workers raise blockers")
    # quickstart.md is absent from the folder, so only the two that exist.
    assert plan.context_files == (SPECKIT / "spec.md", SPECKIT / "plan.md")
    # T999 sits in an HTML comment and the "Parallel Example" checkbox in a code fence: neither is a task.
    assert [t.key for t in plan.tasks] == [f"T{n:03d}" for n in range(1, 17)]


def test_exact_edges_for_phases_and_parallel_runs():
    deps = {t.key: t.depends_on for t in import_plan(SPECKIT).tasks}
    assert deps == {
        # Phase 1: two sequential tasks, then a [P] task after them.
        "T001": (), "T002": ("T001",), "T003": ("T002",),
        # Phase 2 starts after phase 1's exit (T003); T005/T006 run side by side; T007 joins them.
        "T004": ("T003",), "T005": ("T004",), "T006": ("T004",), "T007": ("T005", "T006"),
        # Phase 3 opens with a [P] run: both wait for phase 2's exit only, not for each other.
        "T008": ("T007",), "T009": ("T007",), "T010": ("T008", "T009"), "T011": ("T010",),
        "T012": ("T011",), "T013": ("T011",), "T014": ("T012", "T013"),
        "T015": ("T014",), "T016": ("T015",),
    }


def test_done_marks_story_tags_files_sections_and_priority():
    tasks = _by_key(import_plan(SPECKIT))
    assert tasks["T001"].status == TaskStatus.DONE and tasks["T002"].status == TaskStatus.DONE  # [X] and [x]
    assert tasks["T003"].status == TaskStatus.PROPOSED
    t010 = tasks["T010"]
    assert t010.title == "Add create_blocker() to BackendWorkerAgent in codeframe/agents/backend.py"
    assert t010.files == ("codeframe/agents/backend.py",)
    assert t010.extra["story"] == "US1" and t010.extra["parallel"] is False
    assert t010.extra["section"] == "Implementation for User Story 1"
    assert t010.issue_key == "3" and t010.priority == "high"  # "(Priority: P1)" in the phase title
    assert t010.description == "Keep the question under 2000 characters.\nRecord the task id with it."
    assert tasks["T008"].extra["parallel"] is True and tasks["T008"].extra["line"] == 52
    assert tasks["T012"].priority == "medium" and tasks["T001"].priority == "medium"
    assert "story" not in tasks["T003"].extra


def test_agent_types_come_from_files_and_whole_words():
    tasks = _by_key(import_plan(SPECKIT))
    assert tasks["T008"].agent_type == AgentType.TEST  # tests/contract/test_*.py
    assert tasks["T012"].agent_type == AgentType.FRONTEND  # components/*.tsx
    assert tasks["T013"].agent_type == AgentType.BACKEND  # "latest" is not "test"
    assert tasks["T011"].agent_type == AgentType.BACKEND  # codeframe/ui/routers/*.py is not UI work


def test_tasks_above_the_first_phase_form_phase_zero(tmp_path):
    path = tmp_path / "tasks.md"
    path.write_text("# Tasks\n\n- [ ] T001 Early task\n\n## Phase 1: Setup\n\n- [ ] T002 Later task\n")
    plan = import_plan(path)
    assert plan.issues == (("0", "Tasks before the first phase"), ("1", "Setup"))
    assert {t.key: t.depends_on for t in plan.tasks} == {"T001": (), "T002": ("T001",)}


def test_an_empty_phase_passes_the_order_through(tmp_path):
    path = tmp_path / "tasks.md"
    path.write_text("## Phase 1: A\n- [ ] T001 a\n## Phase 2: Empty\nNothing yet.\n## Phase 3: C\n- [ ] T002 c\n")
    assert {t.key: t.depends_on for t in import_plan(path).tasks} == {"T001": (), "T002": ("T001",)}


def test_many_parallel_tasks_between_phases_cost_few_edges(tmp_path):
    lines = ["## Phase 1: A"] + [f"- [ ] T{n:03d} [P] a{n}" for n in range(1, 11)]
    lines += ["- [ ] T011 join", "## Phase 2: B"] + [f"- [ ] T{n:03d} [P] b{n}" for n in range(12, 22)]
    path = tmp_path / "tasks.md"
    path.write_text("\n".join(lines) + "\n")
    plan = import_plan(path)
    # 10 into the join, 10 out of it: the join is phase 1's one exit, so phase 2 needs one edge each.
    assert len(plan.edges()) == 20
    assert _by_key(plan)["T015"].depends_on == ("T011",)


MALFORMED = [
    # (what to replace, replacement, line of the warning, words in it, what was done: key -> (status, phase))
    ("- [ ] T004 Create", "- [ ] Create", 37, "checklist item(s) without task ids", {"T004": None}),
    ("- [ ] T006 [P] Blocker", "- [ ] T005 [P] Blocker", 39, "duplicate task id T005 (first at line 38); skipped",
     {"T006": None, "T005": ("proposed", "2")}),
    ("- [ ] T007 Wire", "- [~] T007 Wire", 40, "unknown checkbox mark '[~]'", {"T007": None}),
    ("- [ ] T007 Wire", "- [] T007 Wire", 40, "unknown checkbox mark '[]'", {"T007": None}),
    ("- [ ] T007 Wire", "- T007 Wire", 40, "task T007 has no checkbox: read as open", {"T007": ("proposed", "2")}),
    ("- [ ] T011 [US1] Add the POST /blockers endpoint in codeframe/ui/routers/blockers.py",
     "- [ ] T011 [US1]", 60, "task T011 has no description", {"T011": None}),
    ("- Commit after each task or logical group", "- [ ] T017 Commit after each task", 100,
     "tasks under '## Notes' (line 97), which is not a 'Phase N' heading: read as a phase of their own, L97",
     {"T017": ("proposed", "L97")}),
    ("## Phase 5: Polish", "## Phase 4: Polish", 76, "phase 4 appears twice (first at line 66): this one is read"
     " as phase 4b", {"T016": ("proposed", "4b")}),
]


@pytest.mark.parametrize(("old", "new", "line", "words", "done"), MALFORMED, ids=[m[3][:30] for m in MALFORMED])
def test_malformed_lines_are_named_at_their_line_and_the_rest_imports(tmp_path, old, new, line, words, done):
    folder = tmp_path / "feature"
    shutil.copytree(SPECKIT, folder)
    text = (folder / "tasks.md").read_text()
    assert old in text
    (folder / "tasks.md").write_text(text.replace(old, new, 1))
    path = folder / "tasks.md"
    plan = import_plan(folder)
    messages = [w.message(path) for w in plan.warnings]
    assert any(m.startswith(f"{path}:{line}: ") and words in m for m in messages), messages
    assert len(plan.tasks) >= 14  # the rest imports
    tasks = _by_key(plan)
    for key, expected in done.items():
        got = (str(tasks[key].status), tasks[key].issue_key) if key in tasks else None
        assert got == expected, (key, got)
    # --strict refuses the file, naming every problem at its line.
    with pytest.raises(PlanRefused) as caught:
        import_plan(folder, strict=True)
    assert f"\n{path}:{line}: " in str(caught.value) and words in str(caught.value)


def test_the_graph_is_acyclic_by_construction():
    # spec-kit states no explicit dependencies, so its graph comes only from order and cannot loop.

    assert find_cycle({t.key: t.depends_on for t in import_plan(SPECKIT).tasks}) is None
