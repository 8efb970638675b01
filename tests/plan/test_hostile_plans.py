"""Hostile plans: wrong types, huge files, deep nesting, cycles and unknown keys give a clear error that
names the file (and the line or task), and change nothing in a project that already has a plan."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from isolation import config_home_env

from codeframe_tui.cli.main import main as cli_main
from codeframe_tui.plan import PlanImportError, import_plan
from codeframe_tui.plan.importer import MAX_BYTES
from codeframe_tui.plan.model import MAX_NESTING, MAX_TASKS, MAX_TEXT_CHARS, MAX_TITLE_CHARS

FIXTURES = Path(__file__).parent / "fixtures"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
ESC = "\x1b[2J\x1b[31m"  # clear the screen, then red


def task(**fields: object) -> dict:
    return {"id": 1, "title": "Build the parser"} | fields


def legacy(*tasks: dict, **top: object) -> str:
    return json.dumps({"tasks": list(tasks or [task()])} | top)


def tagged(**tags: object) -> str:
    return json.dumps(tags)


def sparse(size: int):
    def write(path: Path) -> None:
        with path.open("wb") as f:
            f.truncate(size)  # no disk used, and the importer must refuse it before reading
    return write


def fifo(path: Path) -> None:
    os.mkfifo(path)  # reading it would block forever


def nested_items(levels: int) -> str:
    return "".join(" " * n + "- [ ] step\n" for n in range(levels))


OK = task()
OK2 = task(id=2, title="Test the parser")
MASTER = {"tasks": [OK]}

# (id, file name, content: text, bytes or a writer, where: a line, a task id or None, words in the problem)
CASES = [
    # Task Master: the file and its top level
    ("json empty file", "tasks.json", "", 1, "not valid JSON"),
    ("json not json", "tasks.json", "{tasks: [}", 1, "not valid JSON"),
    ("json array at the top", "tasks.json", "[]", None, "expected a JSON object at the top, got an array"),
    ("json string at the top", "tasks.json", '"tasks"', None, "got a string"),
    ("json no tags", "tasks.json", "{}", None, "no tasks"),
    ("json tag not an object", "tasks.json", tagged(master=MASTER, feature=5), None,
     'top-level "feature" is a number without tasks, not a tag'),
    ("json tag without tasks", "tasks.json", tagged(master=MASTER, notes={"text": "x"}), None,
     'top-level "notes" is an object without tasks'),
    ("json unknown top-level field", "tasks.json", legacy(version=3), None, 'unknown top-level field "version"'),
    ("json escape in a tag name", "tasks.json", tagged(**{ESC: MASTER}), None, "tag name holds the control character"),
    ("json metadata not an object", "tasks.json", tagged(master={"tasks": [OK], "metadata": []}), None,
     "metadata must be an object, got an array"),
    ("json metadata description wrong type", "tasks.json",
     tagged(master={"tasks": [OK], "metadata": {"description": 5}}), None, "metadata description must be a string"),
    ("json escape in metadata description", "tasks.json",
     tagged(master={"tasks": [OK], "metadata": {"description": ESC}}), None, "holds the control character U+001B"),
    ("json tasks not a list", "tasks.json", json.dumps({"tasks": "many"}), "tasks.tasks", "expected a list"),
    ("json task not an object", "tasks.json", json.dumps({"tasks": [1]}), "tasks.tasks", "entry 0 is not an object"),
    # Task Master: every known field of the wrong type
    ("json id wrong type", "tasks.json", legacy(task(id="one")), "at tasks.tasks[0]", "id must be an integer"),
    ("json id of 5000 digits", "tasks.json", '{"tasks": [{"id": ' + "9" * 5000 + ', "title": "x"}]}', None,
     "a number has too many digits"),
    ("json id of 30 digits", "tasks.json", legacy(task(id="1" * 30)), "at tasks.tasks[0]", "id has 30 digits"),
    ("json title wrong type", "tasks.json", legacy(task(title=42)), "1", "title must be a string"),
    ("json title missing", "tasks.json", json.dumps({"tasks": [{"id": 1}]}), "1", "missing title"),
    ("json description wrong type", "tasks.json", legacy(task(description=[])), "1", "description must be a string"),
    ("json details wrong type", "tasks.json", legacy(task(details={})), "1", "details must be a string"),
    ("json testStrategy wrong type", "tasks.json", legacy(task(testStrategy=3)), "1", "testStrategy must be a string"),
    ("json priority wrong type", "tasks.json", legacy(task(priority=["high"])), "1", "priority must be a word"),
    ("json status wrong type", "tasks.json", legacy(task(status=True)), "1", "status must be a string"),
    ("json dependencies wrong type", "tasks.json", legacy(task(dependencies="2")), "1", "dependencies must be a list"),
    ("json dependency wrong type", "tasks.json", legacy(task(dependencies=[[2]])), "1", "is not a task id like 3"),
    ("json subtasks wrong type", "tasks.json", legacy(task(subtasks={"id": 1})), "1.subtasks", "expected a list"),
    ("json subtask not an object", "tasks.json", legacy(task(subtasks=["a"])), "1.subtasks", "entry 0 is not an"),
    ("json agent type wrong type", "tasks.json", legacy(task(agentType=7)), "1", "agent type 7 is not one of"),
    # Task Master: limits and control characters
    ("json title too long", "tasks.json", legacy(task(title="x" * (MAX_TITLE_CHARS + 1))), "1",
     f"title is {MAX_TITLE_CHARS + 1:,} characters"),
    ("json ansi escape in a title", "tasks.json", legacy(task(title=f"{ESC}gotcha")), "1",
     "title holds the control character U+001B"),
    ("json newline in a title", "tasks.json", legacy(task(title="one\ntwo")), "1", "U+000A"),
    ("json c1 csi in a title", "tasks.json", legacy(task(title="\x9b31mred")), "1", "U+009B"),
    ("json escape in a description", "tasks.json", legacy(task(description=f"see {ESC}")), "1",
     "description holds the control character U+001B"),
    ("json escape in details", "tasks.json", legacy(task(details="\x07bell")), "1", "details holds"),
    ("json description too long", "tasks.json", legacy(task(description="x" * (MAX_TEXT_CHARS + 1))), "1",
     "description is"),
    ("json escape in a status", "tasks.json", legacy(task(status=f"pending{ESC}")), "1", "status holds"),
    ("json priority too long", "tasks.json", legacy(task(priority="high" * 100)), "1", "priority is 400 characters"),
    # Task Master: unknown keys are kept, but not huge, not escaped, not deep, not the engine's own
    ("json unknown key huge", "tasks.json", legacy(task(notes="x" * MAX_TEXT_CHARS)), "1",
     f"field 'notes' holds {MAX_TEXT_CHARS + 2:,} characters"),
    ("json unknown key with an escape", "tasks.json", legacy(task(notes=[{"k": "\x1b]0;owned\x07"}])), "1",
     "field 'notes' holds the control character U+001B"),
    ("json unknown key 5000 deep", "tasks.json",
     '{"tasks": [{"id": 1, "title": "x", "deep": ' + "[" * 5000 + "]" * 5000 + "}]}", 1,
     f"JSON nests deeper than {MAX_NESTING} levels"),
    ("json 5000-deep array", "tasks.json", "[" * 5000 + "]" * 5000, 1, "nests deeper"),
    ("json context_files kept key", "tasks.json", legacy(task(context_files=["/etc/passwd"])), "1",
     "field 'context_files' is one codeframe keeps"),
    ("json budget kept key", "tasks.json", legacy(task(budget={"task_usd": 1e9})), "1", "field 'budget'"),
    ("json unclosed string of quotes", "tasks.json", '{"tasks": "' + '\\"' * 200_000, 1, "not valid JSON"),
    # Task Master: ids and the dependency graph
    ("json duplicate ids", "tasks.json", legacy(OK, task(title="again")), "1", "duplicate id"),
    ("json duplicate subtask ids", "tasks.json", legacy(task(subtasks=[task(), task()])), "1.1",
     "duplicate subtask id"),
    ("json self dependency", "tasks.json", legacy(task(dependencies=[1])), None, "task 1 depends on itself"),
    ("json direct cycle", "tasks.json", legacy(task(dependencies=[2]), task(id=2, dependencies=[1])), None,
     "dependency cycle: "),
    ("json three-long cycle", "tasks.json",
     legacy(task(dependencies=[3]), task(id=2, dependencies=[1]), task(id=3, dependencies=[2])), None,
     "dependency cycle: "),
    ("json unknown dependency", "tasks.json", legacy(task(dependencies=[9])), None, "depends on unknown task 9"),
    ("json too many tasks", "tasks.json", legacy(*(task(id=n) for n in range(1, MAX_TASKS + 2))), None,
     f"more than {MAX_TASKS:,} tasks"),
    ("json too many subtasks", "tasks.json", legacy(task(subtasks=[task(id=n) for n in range(1, MAX_TASKS + 1)])),
     None, f"more than {MAX_TASKS:,} tasks"),
    # Any format: the file itself
    ("json over the size limit", "tasks.json", sparse(MAX_BYTES + 1024 * 1024), None, "the limit is 20 MB"),
    ("md over the size limit", "todo.md", sparse(MAX_BYTES + 1024 * 1024), None, "the limit is 20 MB"),
    ("json binary", "tasks.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3, "a binary file, not a plan"),
    ("md invalid utf-8", "todo.md", b"- [ ] one\n- [ ] caf\xe9\n", 2, "not UTF-8 text"),
    ("md fifo", "todo.md", fifo, None, "not a regular file"),
    # Markdown checklists
    ("checklist empty file", "todo.md", "", None, "no checklist items found"),
    ("checklist blank lines", "todo.md", "\n" * 200_000, None, "no checklist items found"),
    ("checklist 5000 deep", "todo.md", nested_items(5000), MAX_NESTING + 1,
     f"items nest deeper than {MAX_NESTING} levels"),
    ("checklist ansi escape in an item", "todo.md", f"- [ ] one\n- [ ] {ESC}two\n", 2,
     "holds the control character U+001B"),
    ("checklist escape in a description", "todo.md", "- [ ] one\n  see \x1b]8;;http://x\x07here\n", 2, "U+001B"),
    ("checklist escape in a strange mark", "todo.md", "- [\x1b] one\n", 1, "U+001B"),
    ("checklist item too long", "todo.md", "- [ ] " + "x" * (MAX_TITLE_CHARS + 1), 1, "title is"),
    ("checklist heading too long", "todo.md", "# h" + " " * 5000 + "i\n- [ ] one\n", 1, "title is 5,002"),
    ("checklist description too long", "todo.md", "- [ ] one\n" + ("  " + "x" * 60_000 + "\n") * 2, 1,
     "description is 120,001 characters"),
    ("checklist too many items", "todo.md", "- [ ] x\n" * (MAX_TASKS + 1), MAX_TASKS + 1, "more than 10,000 tasks"),
    # spec-kit
    ("speckit duplicate id", "tasks.md", "## Phase 1: Setup\n- [ ] T001 one\n- [ ] T001 two\n", 3,
     "duplicate task id T001"),
    ("speckit ansi escape in a title", "tasks.md", f"## Phase 1: Setup\n- [ ] T001 {ESC}one\n", 2, "U+001B"),
    ("speckit title too long", "tasks.md", "- [ ] T001 " + "x" * (MAX_TITLE_CHARS + 1) + "\n", 1, "title is"),
    ("speckit phase heading too long", "tasks.md", "## Phase 1: " + "x" * MAX_TITLE_CHARS + "\n- [ ] T001 a\n",
     1, "title is"),
    ("speckit heading of spaces", "tasks.md", "## Phase 1: a" + " " * 5000 + "b\n- [ ] T001 a\n", 1, "title is"),
    ("speckit id too long", "tasks.md", "- [ ] T" + "1" * 200 + " a\n", 1, "task id is 201 characters"),
    ("speckit too many tasks", "tasks.md", "".join(f"- [ ] T{n:05} a\n" for n in range(1, MAX_TASKS + 2)),
     MAX_TASKS + 1, "more than 10,000 tasks"),
    ("speckit too many phases", "tasks.md",
     "".join(f"## Phase {n}\n" for n in range(1, MAX_TASKS + 2)) + "- [ ] T001 a\n", MAX_TASKS + 1,
     "more than 10,000 phases"),
    ("speckit escape in a heading", "tasks.md", f"## Notes {ESC}\n- [ ] T001 a\n", 1, "U+001B"),
]
IDS = [case[0] for case in CASES]
# These import leniently (the rest of the file, with the problem named as a warning, or refused as a whole
# with it named when nothing is left); --strict refuses them all, naming the problem.
WARNED = {"checklist ansi escape in an item", "checklist escape in a description", "checklist item too long",
          "checklist heading too long", "checklist description too long", "json duplicate ids",
          "json duplicate subtask ids", "json self dependency", "json direct cycle",
          "json three-long cycle", "json unknown dependency", "json dependency wrong type",
          "json subtasks wrong type", "json subtask not an object",
          "speckit duplicate id", "speckit ansi escape in a title",
          "speckit title too long", "speckit phase heading too long", "speckit heading of spaces",
          "speckit id too long", "speckit escape in a heading"}
# A few go through the real command in a subprocess: exit code 2 and the message on stderr.
SUBPROCESS = ["json over the size limit", "json ansi escape in a title", "json unknown key 5000 deep",
              "checklist 5000 deep", "json three-long cycle", "json binary", "speckit heading of spaces"]


def _write(path: Path, content) -> Path:
    if callable(content):
        content(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _state(project: Path) -> tuple[dict, dict]:
    """Every file and folder under the project (kind, size, mtime, hash), and every row of the store."""
    files = {}
    for p in sorted(project.rglob("*")):
        info = p.lstat()
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if stat.S_ISREG(info.st_mode) else ""
        files[p.relative_to(project).as_posix()] = (stat.S_IFMT(info.st_mode), info.st_size, info.st_mtime_ns, digest)
    uri = f"file:{project / '.codeframe' / 'state.db'}?immutable=1"  # reading must not create -wal/-shm
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = {name: conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall() for name in names}
    return files, rows


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    """A project that already has a plan (the checklist fixture), imported the real way."""
    project = tmp_path_factory.mktemp("planned").resolve()
    (project / "README.md").write_text("a project\n")
    assert cli_main(["import", str(FIXTURES / "checklist.md"), "--project", str(project)]) == 0
    return project


@pytest.fixture
def project(planned, tmp_path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(planned, copy, symlinks=True)  # copies mtimes too: they are compared
    return copy


def _check_message(error: PlanImportError, path: Path, where, words: str) -> str:
    message = str(error)
    place = "" if where is None else f":{where}" if isinstance(where, int) else f": task {where}"
    lines = message.split("\n")
    assert any(line.startswith(f"{path}{place}: ") and words in line for line in lines), message
    assert not any(CONTROL.search(line) for line in lines), message
    assert len(error.problem) <= 300
    assert all(len(line) < 300 + len(f"{path}{place}: ") for line in lines)
    return message


@pytest.mark.parametrize(("case", "name", "content", "where", "words"), CASES, ids=IDS)
def test_a_hostile_plan_is_refused_and_changes_nothing(tmp_path, project, capsys, case, name, content, where,
                                                       words):
    source = _write(tmp_path.resolve() / name, content)
    before = _state(project)
    assert before[1]["tasks"], "the project must already have a plan"
    strict = case in WARNED
    started = time.monotonic()
    with pytest.raises(PlanImportError) as caught:
        import_plan(source, strict=strict)
    message = _check_message(caught.value, source, where, words)
    assert time.monotonic() - started < 10  # refused promptly: nothing reads it quadratically
    capsys.readouterr()
    assert cli_main(["import", str(source), "--project", str(project), *(["--strict"] if strict else [])]) == 2
    assert capsys.readouterr().err == f"codeframe-tui: {message}\n"
    assert _state(project) == before


@pytest.mark.parametrize("case", sorted(WARNED))
def test_without_strict_the_problem_is_a_warning_at_its_place(tmp_path, case):
    _, name, content, where, words = CASES[IDS.index(case)]
    source = _write(tmp_path.resolve() / name, content)
    place = "" if where is None else f":{where}" if isinstance(where, int) else f": task {where}"
    try:
        plan = import_plan(source)
    except PlanImportError as refused:  # nothing left to import: refused, and the skipped line is why
        _check_message(refused, source, where, words)
        return
    messages = [w.message(source) for w in plan.warnings]
    assert any(m.startswith(f"{source}{place}: ") and words in m for m in messages), messages
    assert not any(CONTROL.search(m) for m in messages)


@pytest.mark.parametrize("case", SUBPROCESS)
def test_the_command_exits_2_and_names_the_file(tmp_path, project, case):
    _, name, content, where, words = CASES[IDS.index(case)]
    source = _write(tmp_path.resolve() / name, content)
    before = _state(project)
    proc = subprocess.run(
        [sys.executable, "-m", "codeframe_tui", "import", str(source), "--project", str(project),
         *(["--strict"] if case in WARNED else [])],
        capture_output=True, text=True, timeout=120, env={**config_home_env(),
                                                          "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"codeframe-tui: {source}") and words in proc.stderr, proc.stderr
    assert not any(CONTROL.search(line) for line in proc.stderr.splitlines()) and proc.stdout == ""
    assert _state(project) == before


def test_kept_fields_still_come_through(tmp_path):
    # The refusals above must not cost real files their extra fields (Task Master adds them over time).
    path = tmp_path / "tasks.json"
    path.write_text(legacy(task(complexity=7, acceptanceCriteria="works\nand is tested", parentTaskId=None,
                                notes={"links": ["a", "b"]})))
    extra = import_plan(path).tasks[0].extra
    assert extra == {"complexity": 7, "acceptanceCriteria": "works\nand is tested", "parentTaskId": None,
                     "notes": {"links": ["a", "b"]}}



def test_the_snapshot_sees_an_import_that_does_write(project):
    # Without this, "nothing changed" above could pass because _state missed the writes.
    before = _state(project)
    assert cli_main(["import", str(FIXTURES / "speckit"), "--project", str(project)]) == 0
    after = _state(project)
    assert after[0] != before[0] and len(after[1]["tasks"]) > len(before[1]["tasks"])


def test_pathological_but_valid_text_is_read_in_linear_time(tmp_path):
    # Each of these made a regex backtrack (quadratic or worse): minutes for a file this small.
    path = tmp_path / "todo.md"
    brackets = "[" * 50_000 + "$"
    path.write_text(f"# a{' ' * 1_000}b\n" + f"- [ ] {'[' * 1_900}$\n" * 50 + f"- [ ] last\n  {brackets}\n")
    started = time.monotonic()
    plan = import_plan(path)
    assert len(plan.tasks) == 51 and plan.tasks[-1].description == brackets
    assert time.monotonic() - started < 5
