"""Lenient imports of the constructs real spec-kit files hold: every problem named at its line, the rest read.

Each fixture is written here from a pattern seen in public tasks.md files (not copied from any of them).
"""

from __future__ import annotations

import json

import pytest
from isolation import config_home_env

from codeframe_tui.cli.main import main as cli_main
from codeframe_tui.domain import TaskStatus
from codeframe_tui.plan import PlanImportError, import_plan
from codeframe_tui.plan.model import PlanRefused

FEATURE = """\
# Tasks: Offline sync

## Phase 1: Setup (P0 - Critical)

- [X] T001 ✅ [P] Create the sync package in src/sync/__init__.py
- [ ] [P] T002 Add the queue model in src/sync/queue.py
- [SKIP] T003 Add a websocket fallback (deferred to v2)
- [ ] T004 Wire the queue into the app in src/app.py
- [ ] TXXX Example task for the template
- [ ] do **T005** before anything else
- [ ] T006 [P1] Retry failed uploads in src/sync/retry.py

**Manual Testing Checklist**:
- [ ] Airplane mode keeps the edits
- [x] Reconnecting uploads them in order

## Phase 2: Polish (P3)

- [ ] T007 Document the sync in docs/sync.md

## Validation Checklist

- [ ] All tests pass
- [ ] No lint warnings
"""


@pytest.fixture
def feature(tmp_path):
    path = tmp_path / "tasks.md"
    path.write_text(FEATURE)
    return path


def _warnings(plan):
    return {w.line: w.what for w in plan.warnings}


def test_real_constructs_import_with_each_problem_named_at_its_line(feature):
    plan = import_plan(feature)
    tasks = {t.key: t for t in plan.tasks}
    assert list(tasks) == ["T001", "T002", "T003", "T004", "T006", "T007"]
    # [P] after an emoji, and before the id: both parallel, and the title keeps neither marker.
    assert tasks["T001"].title == "Create the sync package in src/sync/__init__.py"
    assert tasks["T001"].extra["parallel"] and tasks["T001"].extra["marks"] == "✅"
    assert tasks["T001"].status == TaskStatus.DONE
    assert tasks["T002"].extra["parallel"] and tasks["T002"].title == "Add the queue model in src/sync/queue.py"
    # [SKIP]: rejected with its reason, and the order runs past it.
    assert tasks["T003"].status == TaskStatus.REJECTED and tasks["T003"].reason == "marked [SKIP] at tasks.md:7"
    assert tasks["T003"].depends_on == () and tasks["T004"].depends_on == ("T001", "T002")
    # Priority forms: the phase's "(P0 - Critical)", a task's own [P1], the next phase's "(P3)".
    assert tasks["T004"].priority == "high" and tasks["T006"].priority == "high" and tasks["T007"].priority == "low"
    warnings = _warnings(plan)
    assert warnings[9].startswith("placeholder task id TXXX (a template's example); skipped 'TXXX Example")
    assert warnings[10].startswith("the task id is not where it belongs (expected '- [ ] T001 …'); skipped "
                                   "'do **T005** before anything else'")
    assert warnings[14] == ("2 checklist item(s) without task ids under 'Manual Testing Checklist' (lines 14-15): "
                            "kept as the feature's acceptance notes, not tasks")
    assert warnings[23].startswith("2 checklist item(s) without task ids under 'Validation Checklist'")
    assert len(plan.warnings) == 4
    assert plan.acceptance == ("### Manual Testing Checklist\n- [ ] Airplane mode keeps the edits\n"
                               "- [x] Reconnecting uploads them in order\n\n"
                               "### Validation Checklist\n- [ ] All tests pass\n- [ ] No lint warnings")
    # The skipped lines are kept whole, for plan review to show and add as tasks.
    assert plan.warnings[0].text == "TXXX Example task for the template"


def test_strict_refuses_naming_every_problem_at_once(feature):
    with pytest.raises(PlanRefused) as caught:
        import_plan(feature, strict=True)
    lines = str(caught.value).split("\n")
    assert lines[0] == f"{feature}: 4 problem(s), so nothing is imported (without --strict, the rest imports)"
    assert [line.split(": ", 1)[0] for line in lines[1:]] == [f"{feature}:{n}" for n in (9, 10, 14, 23)]


def test_a_tasks_md_that_is_not_spec_kit_says_which_reader_it_used(tmp_path):
    path = tmp_path / "tasks.md"
    path.write_text("### Task 1.1\n- [ ] the page loads\n- [ ] the form submits\n")
    plan = import_plan(path)
    assert plan.format == "checklist"
    assert [w.message(path) for w in plan.warnings] == [
        f"{path}: no spec-kit task lines ('- [ ] T001 ...') in this tasks.md: read as a checklist, "
        "each checkbox a task in listed order"]


def test_the_command_prints_warnings_counts_and_refuses_under_strict(feature, tmp_path, capsys):
    project = tmp_path / "project"
    project.mkdir()
    assert cli_main(["import", str(feature), "--project", str(project), "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert "6 tasks (1 done, 4 proposed, 1 rejected)" in out
    assert f"warning: {feature}:9: placeholder task id TXXX" in err and "4 warning(s)" in err
    assert cli_main(["import", str(feature), "--project", str(project), "--dry-run", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [w["line"] for w in data["warnings"]] == [9, 10, 14, 23] and data["acceptance"].startswith("### Manual")
    assert cli_main(["import", str(feature), "--project", str(project), "--strict"]) == 2
    assert f"{feature}:10: the task id is not where it belongs" in capsys.readouterr().err
    assert not (project / ".codeframe" / "state.db").exists()
    assert cli_main(["import", str(feature), "--project", str(project)]) == 0
    assert "imported into" in capsys.readouterr().out


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    # `codeframe-tui status P | head -1` ended with a BrokenPipeError traceback and exit 1.
    import subprocess
    import sys

    source = tmp_path / "big" / "tasks.md"
    source.parent.mkdir()
    source.write_text("## Phase 1: A\n" + "".join(f"- [ ] T{n:04d} task {n} with a few more words\n"
                                                  for n in range(1, 3001)))
    project = tmp_path / "project"
    project.mkdir()
    assert cli_main(["import", str(source), "--project", str(project)]) == 0
    proc = subprocess.Popen([sys.executable, "-m", "codeframe_tui", "status", str(project)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**config_home_env(), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.stdout.readline().startswith(b"3000 tasks")
    proc.stdout.close()  # as `head -1` does once it has its line
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == b""


def test_checklists_as_people_write_them(tmp_path):
    path = tmp_path / "todo.md"
    path.write_text(
        "# Release\n\n"
        "1. [ ] Tag the release\n"
        "2) [x] Write the changelog\n\n"
        "- [ ] Migrate the settings file so that old keys\n"
        "  keep working. Keep a backup beside it.\n"
        "- Backend:\n"
        "  - [ ] Add the /health endpoint\n"
        "  - [ ] Log every request,\n"
        "    with its duration\n"
        "- [ ] Ship it\n"
        "  Announce it on the list.\n"
    )
    plan = import_plan(path)
    tasks = {t.key: t for t in plan.tasks}
    # Ordered-list checkboxes are items; a plain bullet between them is no parent.
    assert [(k, t.title) for k, t in tasks.items()] == [
        ("1", "Tag the release"),
        ("2", "Write the changelog"),
        ("3", "Migrate the settings file so that old keys keep working."),
        ("4", "Add the /health endpoint"),
        ("5", "Log every request, with its duration"),
        ("6", "Ship it"),
    ]
    assert tasks["2"].status == TaskStatus.DONE
    # A wrapped item keeps the rest of its line as the description; a capitalised line starts one.
    assert tasks["3"].description == "Keep a backup beside it."
    assert tasks["6"].description == "Announce it on the list."
    assert tasks["4"].depends_on == ("3",) and plan.warnings == ()


SAME_FILE = """\
## Phase 1: Models

- [ ] T001 [P] Add the User model in src/models.py
- [ ] T002 [P] Add the Team model in src/models.py
- [ ] T003 [P] Add the Invite model in src/invites.py
- [ ] T004 [P] Add the Role model in src/models.py
"""


def test_parallel_tasks_on_one_file_are_named_and_serialized_by_default(tmp_path):
    path = tmp_path / "tasks.md"
    path.write_text(SAME_FILE)
    plan = import_plan(path)
    deps = {t.key: t.depends_on for t in plan.tasks}
    assert deps == {"T001": (), "T002": ("T001",), "T003": (), "T004": ("T002",)}
    assert {t.key: t.extra.get("added_deps") for t in plan.tasks} == {
        "T001": None, "T002": ["T001"], "T003": None, "T004": ["T002"]}
    assert [w.message(path) for w in plan.warnings] == [
        f"{path}:4: tasks T001 and T002 may run at the same time and both name src/models.py: T002 now waits for T001",
        f"{path}:6: tasks T002 and T004 may run at the same time and both name src/models.py: T004 now waits for T002",
    ]
    warned = import_plan(path, same_file="warn")
    assert all(t.depends_on == () for t in warned.tasks)
    assert warned.warnings[0].what.endswith("left as it is; their worktrees will conflict when the second lands")


def test_the_config_and_the_flag_choose_how_same_file_tasks_are_handled(tmp_path, capsys):
    path = tmp_path / "feature" / "tasks.md"
    path.parent.mkdir()
    path.write_text(SAME_FILE)
    project = tmp_path / "project"
    (project / ".codeframe").mkdir(parents=True)
    (project / ".codeframe" / "config.toml").write_text('[import]\nsame_file = "warn"\n')
    assert cli_main(["import", str(path), "--project", str(project), "--dry-run", "--json"]) == 0
    assert all(not t["depends_on"] for t in json.loads(capsys.readouterr().out)["tasks"])
    assert cli_main(["import", str(path), "--project", str(project), "--dry-run", "--json",
                     "--serialize-same-file"]) == 0
    assert {t["task_id"]: t["depends_on"] for t in json.loads(capsys.readouterr().out)["tasks"]}["T004"] == ["T002"]
    (project / ".codeframe" / "config.toml").write_text('[import]\nsame_file = "sometimes"\n')
    assert cli_main(["import", str(path), "--project", str(project), "--dry-run"]) == 2
    assert 'same_file must be "serialize" or "warn"' in capsys.readouterr().err


def test_several_spec_kit_features_fit_in_one_project(tmp_path, capsys):
    project = tmp_path / "project"
    project.mkdir()
    for folder in ("003-login", "005-billing"):
        path = tmp_path / "specs" / folder / "tasks.md"
        path.parent.mkdir(parents=True)
        path.write_text("## Phase 1: Setup\n\n- [ ] T001 Create src/a.py\n- [ ] T002 Test it in tests/test_a.py\n")
        assert cli_main(["import", str(path.parent), "--project", str(project)]) == 0
    capsys.readouterr()
    assert cli_main(["status", str(project), "--json"]) == 0
    tasks = {t["task_id"]: t for t in json.loads(capsys.readouterr().out)["tasks"]}
    assert sorted(tasks) == ["003-T001", "003-T002", "005-T001", "005-T002"]
    plan = import_plan(tmp_path / "specs" / "005-billing")
    assert {t.key: t.depends_on for t in plan.tasks} == {"005-T001": (), "005-T002": ("005-T001",)}
    assert plan.issues == (("005-1", "Setup"),) and plan.tasks[1].extra["source_id"] == "T002"
    # The same feature again is refused, as before; an explicit prefix, or none, is the person's call.
    assert cli_main(["import", str(tmp_path / "specs" / "005-billing"), "--project", str(project)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [t.key for t in import_plan(tmp_path / "specs" / "005-billing", prefix="").tasks] == ["T001", "T002"]
    assert [t.key for t in import_plan(tmp_path / "specs" / "005-billing", prefix="b2-").tasks][0] == "b2-T001"
    with pytest.raises(PlanImportError, match="prefix 'a b': use letters"):
        import_plan(tmp_path / "specs" / "005-billing", prefix="a b")


STATED = """# Tasks: Webhook replay

## Phase 1: Setup

- [ ] T001 Create the replay package in internal/replay/
- [ ] T002 [P] Add the DLQ table migration in migrations/004_dlq.sql

## Phase 2: Replay (Priority: P1)

- [ ] T003 Read dead letters in internal/replay/reader.go (depends on T001, T002)
- [SKIP] T004 Add a replay dashboard
- [ ] T005 Replay one letter in internal/replay/replay.go. Depends on: T003, T004
- [ ] T006 [P] Replay in bulk in internal/replay/bulk.go (depends on T009)

## Phase 3: Polish

- [ ] T007 Rate-limit replays in internal/replay/limit.go
- [ ] T008 Document replay in docs/replay.md after T005 and T007
- [ ] T009 Wire the replay route in internal/http/routes.go (depends on T006)
"""


def test_dependencies_stated_in_the_text_are_edges_and_the_bad_ones_are_named(tmp_path):
    path = tmp_path / "specs" / "004-replay" / "tasks.md"
    path.parent.mkdir(parents=True)
    path.write_text(STATED)
    plan = import_plan(path, prefix="")
    deps = {t.key: set(t.depends_on) for t in plan.tasks}
    assert {"T001", "T002"} <= deps["T003"]
    assert deps["T005"] == {"T003"}  # T004 is [SKIP]: no one waits on it
    assert {"T005", "T007"} <= deps["T008"]
    assert next(t for t in plan.tasks if t.key == "T005").extra["stated_deps"] == ["T003"]
    messages = [w.message(path) for w in plan.warnings]
    assert any(m.startswith(f"{path}:12: task T005 says it depends on T004, which is marked [SKIP]") for m in messages)
    # T006 and T009 state each other: a cycle, and one of its edges is left out, named.
    assert any("dependency cycle" in m and "T006" in m and "T009" in m for m in messages), messages
    assert not ("T009" in deps["T006"] and "T006" in deps["T009"])
    with pytest.raises(PlanRefused, match="marked \\[SKIP\\]"):
        import_plan(path, prefix="", strict=True)
