"""The text editor tool executed in a worktree: views with line numbers, exact edits, and every path
rule of the change sets (the 138-case hostile catalogue holds against the tool too)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from test_hostile_changes import CATALOGUE, build_project, snapshot, staged_temps

from codeframe_tui.engine.toolbox.editor import Editor, ToolInputError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "big.py").write_text("".join(f"def f{i}():\n    return {i}\n\n" for i in range(1, 2001)))
    (root / "pkg" / "twice.py").write_text("x = 1\nx = 1\n")
    return root


async def test_view_numbers_lines_and_takes_a_range(root: Path) -> None:
    editor = Editor(root)
    result = await editor.run({"command": "view", "path": "pkg/big.py", "view_range": [4, 6]})
    assert result.text.splitlines()[1:] == ["     4\tdef f2():", "     5\t    return 2", "     6\t"]
    assert result.label == "view pkg/big.py:4-6"
    tail = await editor.run({"command": "view", "path": "pkg/big.py", "view_range": [5999, -1]})
    assert tail.text.splitlines()[-1] == "  6000\t"


async def test_a_large_view_is_cut_and_says_so(root: Path) -> None:
    result = await Editor(root, max_characters=2000).run({"command": "view", "path": "pkg/big.py"})
    assert len(result.text) < 2400
    assert re.search(r"\[cut at 2000 characters: lines 1-\d+ of 6000 shown\. View the rest with view_range",
                     result.text)


async def test_view_of_a_folder_lists_it(root: Path) -> None:
    (root / ".env").write_text("KEY=1\n")
    result = await Editor(root).run({"command": "view", "path": "."})
    assert "pkg/big.py" in result.text and ".env" not in result.text


async def test_str_replace_changes_exactly_one_match(root: Path) -> None:
    editor = Editor(root)
    old, new = "def f1500():\n    return 1500\n", "def f1500():\n    return -1\n"
    result = await editor.run({"command": "str_replace", "path": "pkg/big.py", "old_str": old, "new_str": new})
    text = (root / "pkg" / "big.py").read_text()
    assert "return -1" in text and text.count("\n") == 6000
    assert result.applied is not None and result.applied.written == ("pkg/big.py",)
    before, after, _ = result.applied.contents["pkg/big.py"]
    assert before is not None and after == text.encode()
    assert "  4498\tdef f1500():" in result.text and result.label == "edit pkg/big.py:4498"


@pytest.mark.parametrize("old,why", [("nowhere", "No match found"),
                                     ("x = 1\n", "Found 2 matches of old_str in pkg/twice.py \\(lines 1, 2\\)")])
async def test_str_replace_needs_exactly_one_match(root: Path, old: str, why: str) -> None:
    before = snapshot(root)
    with pytest.raises(ToolInputError, match=why):
        await Editor(root).run({"command": "str_replace", "path": "pkg/twice.py", "old_str": old, "new_str": "y"})
    assert snapshot(root) == before


async def test_create_never_overwrites_a_file_it_has_not_viewed(root: Path) -> None:
    editor = Editor(root)
    with pytest.raises(ToolInputError, match="already exists and you have not viewed it"):
        await editor.run({"command": "create", "path": "pkg/twice.py", "file_text": "gone\n"})
    await editor.run({"command": "view", "path": "pkg/twice.py"})
    await editor.run({"command": "create", "path": "pkg/twice.py", "file_text": "y = 2\n"})
    await editor.run({"command": "create", "path": "pkg/new/mod.py", "file_text": "z = 3\n"})
    assert (root / "pkg" / "twice.py").read_text() == "y = 2\n"
    assert (root / "pkg" / "new" / "mod.py").read_text() == "z = 3\n"


async def test_insert_after_a_line_and_at_the_top(root: Path) -> None:
    editor = Editor(root)
    await editor.run({"command": "insert", "path": "pkg/twice.py", "insert_line": 1, "insert_text": "y = 2"})
    await editor.run({"command": "insert", "path": "pkg/twice.py", "insert_line": 0, "new_str": "# top\n"})
    assert (root / "pkg" / "twice.py").read_text() == "# top\nx = 1\ny = 2\nx = 1\n"
    with pytest.raises(ToolInputError, match="past the end"):
        await editor.run({"command": "insert", "path": "pkg/twice.py", "insert_line": 9, "insert_text": "z"})


async def test_secrets_are_neither_shown_nor_changed(root: Path) -> None:
    (root / ".env").write_text("API_KEY=SECRET\n")
    (root / "deploy.pem").write_text("SECRET\n")
    for path in (".env", "deploy.pem"):
        with pytest.raises(ToolInputError, match="looks like a secret"):
            await Editor(root).run({"command": "view", "path": path})


async def test_the_roots_own_absolute_paths_are_read_as_relative(root: Path) -> None:
    result = await Editor(root).run({"command": "view", "path": f"{root}/pkg/twice.py"})
    assert "     1\tx = 1" in result.text


# Refused in a change set only beside another of its files: alone, each is an ordinary new file.
SET_ONLY = {"dup-with-good-change", "new-file-under-good-new-file"}
# Folders inside the project: `view` lists them, as the tool does; no edit may touch them.
FOLDERS = {"empty", "dot", "dot-slash", "trailing-slash-existing-dir", "write-over-existing-dir",
           "write-over-nested-existing-dir"}


def _single_path_cases():
    """The catalogue's cases that name one hostile path to write: each is tried with every command."""
    for case in CATALOGUE:
        if case.id in SET_ONLY:
            continue
        items = case.hostile
        if case.data is None and not case.limits and len(items) == 1 and isinstance(items[0], dict) \
                and items[0].get("action") == "write" and isinstance(items[0].get("path"), str) \
                and isinstance(items[0].get("content"), str):
            yield case
        elif case.needs is not None and case.id != "abs-into-project-itself":
            yield case  # the root's own absolute paths are accepted on purpose: they land inside


@pytest.mark.parametrize("case", list(_single_path_cases()), ids=lambda c: c.id)
async def test_hostile_paths_are_refused_by_every_command(tmp_path: Path, case) -> None:
    project = build_project(tmp_path)
    base = project.parent
    before = snapshot(base)
    item = case.needs(project)[0] if case.needs else case.hostile[0]
    path, content = item["path"], item["content"]
    calls = [
        {"command": "create", "path": path, "file_text": content},
        {"command": "view", "path": path},
        {"command": "str_replace", "path": path, "old_str": "secret", "new_str": "pwned"},
        {"command": "insert", "path": path, "insert_line": 0, "insert_text": "pwned"},
    ]
    refused = []
    for call in calls:
        editor = Editor(project)
        editor.seen[path] = ""  # even a file the model has seen
        try:
            result = await editor.run(call)
        except ToolInputError:
            refused.append(call["command"])
        else:
            assert case.id in FOLDERS and call["command"] == "view" and "secret" not in result.text, case.id
    assert snapshot(base) == before, case.id
    assert staged_temps(base) == []
    expected = ["create", "str_replace", "insert"] if case.id in FOLDERS else [c["command"] for c in calls]
    assert refused == expected, case.id


async def test_a_symlink_leading_out_and_git_internals_are_refused(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    before = snapshot(project.parent)
    for path in (".git/config", ".git/hooks/pre-commit", "link/secret.txt", ".codeframe/x"):
        for call in ({"command": "view", "path": path}, {"command": "create", "path": path, "file_text": "x"}):
            with pytest.raises(ToolInputError):
                await Editor(project).run(call)
    assert snapshot(project.parent) == before
    assert os.path.islink(project / "link")


async def test_every_write_is_recorded_before_it_is_made(root: Path) -> None:
    """A kill between a write and its record would leave a file the task made but never lands
    (landing commits the recorded paths only): the record comes first."""
    seen: list[tuple[dict, bytes | None]] = []

    async def record(changes):
        (path,) = changes
        on_disk = (root / path).read_bytes() if (root / path).exists() else None
        seen.append((changes, on_disk))

    editor = Editor(root, on_write=record)
    await editor.run({"command": "str_replace", "path": "pkg/twice.py", "old_str": "x = 1\nx = 1\n",
                      "new_str": "y = 2\n"})
    await editor.run({"command": "create", "path": "pkg/new.py", "file_text": "z = 3\n"})
    assert seen == [
        ({"pkg/twice.py": (b"x = 1\nx = 1\n", b"y = 2\n", 0o644)}, b"x = 1\nx = 1\n"),
        ({"pkg/new.py": (None, b"z = 3\n", None)}, None),
    ]


async def test_a_file_changed_between_plan_and_write_is_not_overwritten(root: Path, monkeypatch) -> None:
    records: list[dict] = []

    async def record(changes):
        records.append(changes)
        if len(records) == 1:  # someone else writes the file while the edit is being recorded
            (root / "pkg" / "twice.py").write_text("meanwhile\n")

    with pytest.raises(ToolInputError, match="changed while the edit was being made"):
        await Editor(root, on_write=record).run({"command": "str_replace", "path": "pkg/twice.py",
                                                 "old_str": "x = 1\nx = 1\n", "new_str": "y = 2\n"})
    assert (root / "pkg" / "twice.py").read_text() == "meanwhile\n"
    assert records[-1] == {"pkg/twice.py": (b"x = 1\nx = 1\n", b"meanwhile\n", 0o644)}  # the record says so


async def test_a_crlf_file_is_edited_as_viewed_and_keeps_its_line_ends(root: Path) -> None:
    path = root / "pkg" / "win.py"
    path.write_bytes(b"def f():\r\n    return 1\r\n")
    editor = Editor(root)
    view = await editor.run({"command": "view", "path": "pkg/win.py"})
    assert "\r" not in view.text  # the model copies lines with bare \n ends
    await editor.run({"command": "str_replace", "path": "pkg/win.py", "old_str": "def f():\n    return 1\n",
                      "new_str": "def f():\n    return 2\n"})
    await editor.run({"command": "insert", "path": "pkg/win.py", "insert_line": 1, "insert_text": "    y = 0"})
    assert path.read_bytes() == b"def f():\r\n    y = 0\r\n    return 2\r\n"


async def test_create_over_a_file_changed_since_it_was_viewed_is_refused(root: Path) -> None:
    """In place, two agents share the project: a stale view must not wipe the other's edit."""
    mine, theirs = Editor(root), Editor(root)
    await mine.run({"command": "view", "path": "pkg/twice.py"})
    await theirs.run({"command": "str_replace", "path": "pkg/twice.py", "old_str": "x = 1\nx = 1\n",
                      "new_str": "x = 1\nB = 2  # their work\n"})
    with pytest.raises(ToolInputError, match="changed since you last viewed it"):
        await mine.run({"command": "create", "path": "pkg/twice.py", "file_text": "C = 3\n"})
    assert "their work" in (root / "pkg" / "twice.py").read_text()
