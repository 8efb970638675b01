"""Tests for validating and applying model-produced file changes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from codeframe_tui.engine import changes as changes_mod
from codeframe_tui.engine.changes import (
    AppliedChanges,
    ChangeError,
    ChangeSet,
    FileChange,
    apply_changes,
    validate,
)


def snapshot(base: Path) -> dict[str, object]:
    """Every entry under `base`: files with bytes and mode, folders, symlinks with their target."""
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = p.relative_to(base).as_posix()
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                out[rel] = ("file", p.read_bytes(), stat.S_IMODE(st.st_mode))
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('old')\n")
    (root / "README.md").write_text("# readme\n")
    (root / "old.txt").write_text("to be deleted\n")
    (root / "docs").mkdir()
    (root / "docs" / "guide.md").write_text("guide\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / ".codeframe").mkdir()
    (root / ".codeframe" / "state.db").write_bytes(b"db")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret\n")
    os.symlink(outside, root / "out")  # a folder symlink leading out of the project
    os.symlink(outside / "secret.txt", root / "secret_link.txt")
    os.symlink("app.py", root / "src" / "app_link.py")  # a file symlink staying inside
    os.symlink("src", root / "lib")  # a folder symlink staying inside
    os.symlink(".git", root / "g")  # a folder symlink to the repository's internals
    os.symlink("missing", root / "dangling")
    os.symlink("loop", root / "loop")  # a symlink loop
    return root


def w(path: str, content: str | None = "x\n") -> FileChange:
    return FileChange(path, "write", content)


def d(path: str) -> FileChange:
    return FileChange(path, "delete", None)


def cs(*items: FileChange) -> ChangeSet:
    return ChangeSet("test", tuple(items))


# --- applying valid sets ---------------------------------------------------------------------


async def test_valid_set_writes_and_deletes(project: Path) -> None:
    before = snapshot(project.parent)
    result = await apply_changes(
        cs(w("src/app.py", "print('new')\n"), w("NEW.md", "new\n"), d("old.txt")), project
    )
    assert result == AppliedChanges(written=("src/app.py", "NEW.md"), deleted=("old.txt",))
    expected = dict(before)
    expected["project/src/app.py"] = ("file", b"print('new')\n", before["project/src/app.py"][2])
    expected["project/NEW.md"] = ("file", b"new\n", 0o666 & ~_umask())
    del expected["project/old.txt"]
    assert snapshot(project.parent) == expected  # and no temp files left behind


async def test_nested_new_directories(project: Path) -> None:
    result = await apply_changes(cs(w("a/b/c/deep.py", "deep\n"), w("a/b/side.py", "s\n")), project)
    assert result.written == ("a/b/c/deep.py", "a/b/side.py")
    assert (project / "a/b/c/deep.py").read_text() == "deep\n"
    assert (project / "a/b/side.py").read_text() == "s\n"


async def test_paths_are_normalized(project: Path) -> None:
    result = await apply_changes(cs(w("./src/./x.py"), w("docs/y.md/")), project)
    assert result.written == ("src/x.py", "docs/y.md")
    assert (project / "src/x.py").is_file() and (project / "docs/y.md").is_file()


async def test_overwrite_keeps_mode(project: Path) -> None:
    script = project / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o751)
    await apply_changes(cs(w("run.sh", "#!/bin/sh\necho hi\n")), project)
    assert stat.S_IMODE(script.stat().st_mode) == 0o751
    assert script.read_text() == "#!/bin/sh\necho hi\n"


async def test_symlink_folder_inside_project_is_followed(project: Path) -> None:
    await apply_changes(cs(w("lib/via_link.py", "v\n"), w("dangling/made.txt", "m\n")), project)
    assert (project / "src/via_link.py").read_text() == "v\n"
    assert (project / "missing/made.txt").read_text() == "m\n"
    assert (project / "lib").is_symlink() and (project / "dangling").is_symlink()


async def test_empty_content_and_non_ascii(project: Path) -> None:
    await apply_changes(cs(w("empty.txt", ""), w("naïve/ünï.txt", "héllo ✓\n")), project)
    assert (project / "empty.txt").read_bytes() == b""
    assert (project / "naïve/ünï.txt").read_text(encoding="utf-8") == "héllo ✓\n"


async def test_root_given_through_a_symlink(project: Path) -> None:
    alias = project.parent / "alias"
    os.symlink(project, alias)
    result = await apply_changes(cs(w("via_alias.txt", "a\n")), alias)
    assert result.written == ("via_alias.txt",)
    assert (project / "via_alias.txt").read_text() == "a\n"


def test_validate_returns_resolved_targets(project: Path) -> None:
    pairs = validate(cs(w("lib/a.py"), d("old.txt")), project)
    real = project.resolve()
    assert [t for _, t in pairs] == [real / "src/a.py", real / "old.txt"]


# --- the rejection catalogue: nothing may be written ---------------------------------------

BAD_PATHS = [
    "../evil.txt",  # traversal first
    "a/../b.txt",  # traversal in the middle
    "a/b/..",  # traversal last
    "..",
    "src/../../evil.txt",
    "/etc/passwd",
    "/tmp/evil.txt",
    "//server/share/x",
    "C:\\x.txt",
    "C:/x.txt",
    "c:x.txt",
    "\\\\server\\share\\x",
    "a\\..\\b",
    "a\\b.txt",
    "~/x.txt",
    "~root/x.txt",
    "",
    ".",
    "./",
    "/",
    "a//b.txt",
    "a/b//",
    "a\x00b.txt",
    "a\nb.txt",
    "a\x1fb.txt",
    "a\x7fb.txt",
    "\ud800.txt",
    ".git",
    ".git/",
    ".git/config",
    ".git/hooks/pre-commit",
    ".GIT/config",
    ".Git/new",
    ".git./config",
    "sub/.git/config",
    ".codeframe",
    ".codeframe/state.db",
    ".Codeframe/x",
    ".CODEFRAME/new/file",
    "x" * 256,
    "dir/" + "é" * 128,  # 256 bytes in UTF-8
    "/".join(["abcdefg"] * 520),  # over 4096 bytes
    "out/evil.txt",  # folder symlink leading outside
    "out/new/evil.txt",
    "secret_link.txt",  # file symlink leading outside
    "src/app_link.py",  # file symlink inside: still refused
    "g/config",  # symlink to .git
    "g/hooks/x",
    "loop/x.txt",
    "loop",
    "README.md/x.txt",  # a file where a folder is needed
    "src",  # a directory in the way
    "docs",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("position", ["first", "middle", "last"])
@pytest.mark.parametrize("bad", BAD_PATHS)
async def test_bad_path_writes_nothing(project: Path, bad: str, position: str) -> None:
    good = [w("src/app.py", "changed\n"), w("brand/new.txt", "n\n"), d("old.txt")]
    index = {"first": 0, "middle": 1, "last": 3}[position]
    items = good[:index] + [w(bad)] + good[index:]
    before = snapshot(project.parent)
    with pytest.raises(ChangeError) as info:
        await apply_changes(cs(*items), project)
    assert snapshot(project.parent) == before
    assert info.value.path == bad


@pytest.mark.parametrize(
    "change",
    [
        d("missing.txt"),
        d("src"),
        d("src/"),
        d("secret_link.txt"),
        d("src/app_link.py"),
        d("dangling"),
        d(".git/config"),
        d(".codeframe/state.db"),
        d("out/secret.txt"),
        d("../outside/secret.txt"),
    ],
    ids=lambda c: c.path,
)
async def test_bad_delete_writes_nothing(project: Path, change: FileChange) -> None:
    before = snapshot(project.parent)
    with pytest.raises(ChangeError):
        await apply_changes(cs(w("fresh.txt"), change), project)
    assert snapshot(project.parent) == before


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("a\x00b", "NUL"),
        ("x" * 101, "limit"),
        ("é" * 51, "limit"),  # 102 bytes, though only 51 characters
        ("bad \ud800 surrogate", "UTF-8"),
        (None, "text"),
        (b"bytes", "text"),
    ],
)
async def test_bad_content_writes_nothing(project: Path, content: object, why: str) -> None:
    before = snapshot(project.parent)
    items = cs(w("a/ok.txt"), w("a/bad.txt", content), d("old.txt"))  # type: ignore[arg-type]
    with pytest.raises(ChangeError, match=why) as info:
        await apply_changes(items, project, max_file_bytes=100)
    assert "a/bad.txt" in str(info.value)
    assert snapshot(project.parent) == before


async def test_content_at_limit_is_accepted(project: Path) -> None:
    await apply_changes(cs(w("limit.txt", "x" * 100)), project, max_file_bytes=100)
    assert (project / "limit.txt").stat().st_size == 100


@pytest.mark.parametrize(
    "items",
    [
        [w("dup.txt"), w("dup.txt")],
        [w("dup.txt"), d("dup.txt")],
        [w("src/dup.txt"), w("./src/dup.txt")],
        [w("src/dup.txt"), w("src//dup.txt")],
        [w("src/dup.txt"), w("lib/dup.txt")],  # same file through an inside symlink
        [d("src/app.py"), w("lib/app.py")],
        [w("pkg"), w("pkg/mod.py")],  # a file and a folder at once
        [w("pkg/mod.py"), w("pkg")],
        [d("old.txt"), w("old.txt/x.py")],
        [FileChange("x.txt", "rename", "x")],
        [FileChange("x.txt", "WRITE", "x")],
    ],
    ids=repr,
)
async def test_bad_sets_write_nothing(project: Path, items: list[FileChange]) -> None:
    before = snapshot(project.parent)
    with pytest.raises(ChangeError):  # caught by validation, not by a failed commit
        validate(cs(w("first.txt"), *items), project)
    with pytest.raises(ChangeError):
        await apply_changes(cs(w("first.txt"), *items), project)
    assert snapshot(project.parent) == before


async def test_too_many_files(project: Path) -> None:
    before = snapshot(project.parent)
    items = cs(*[w(f"f{i}.txt") for i in range(6)])
    with pytest.raises(ChangeError, match="too many"):
        await apply_changes(items, project, max_files=5)
    assert snapshot(project.parent) == before
    await apply_changes(cs(*[w(f"f{i}.txt") for i in range(5)]), project, max_files=5)


async def test_default_max_files(project: Path) -> None:
    before = snapshot(project.parent)
    with pytest.raises(ChangeError, match="too many"):
        await apply_changes(cs(*[w(f"f{i}.txt") for i in range(201)]), project)
    assert snapshot(project.parent) == before


async def test_empty_set_and_missing_root(tmp_path: Path) -> None:
    with pytest.raises(ChangeError):
        await apply_changes(cs(), tmp_path)
    with pytest.raises(ChangeError, match="root"):
        await apply_changes(cs(w("a.txt")), tmp_path / "nope")
    assert not (tmp_path / "nope").exists()


# --- failures while applying ------------------------------------------------------------------


def _fail_on_call(real, n: int):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(28, "No space left on device (simulated)")
        return real(*args, **kwargs)

    return wrapper


def _mixed_set() -> ChangeSet:
    return cs(
        w("src/app.py", "print('new')\n"),
        w("new/deeper/file.py", "new\n"),
        w("README.md", "# new readme\n"),
        d("old.txt"),
        w("docs/extra.md", "extra\n"),
        d("docs/guide.md"),
    )


@pytest.mark.parametrize("n", [1, 2, 3, 4])
async def test_replace_failing_midway_restores_everything(
    project: Path, monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    (project / "README.md").chmod(0o640)
    (project / "old.txt").chmod(0o604)  # a deleted file must come back with its mode
    before = snapshot(project.parent)
    monkeypatch.setattr(os, "replace", _fail_on_call(os.replace, n))
    with pytest.raises(ChangeError, match="simulated") as info:
        await apply_changes(_mixed_set(), project)
    assert "nothing changed" in str(info.value)
    assert snapshot(project.parent) == before


async def test_base_exception_midway_restores_and_propagates(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(project.parent)
    real, calls = os.replace, []

    def interrupted(*args: object) -> None:
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real(*args)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        await apply_changes(_mixed_set(), project)
    assert snapshot(project.parent) == before


@pytest.mark.parametrize("n", [1, 2])
async def test_delete_failing_midway_restores_everything(
    project: Path, monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    before = snapshot(project.parent)
    monkeypatch.setattr(os, "unlink", _fail_on_call(os.unlink, n))
    with pytest.raises(ChangeError):
        await apply_changes(_mixed_set(), project)
    assert snapshot(project.parent) == before


@pytest.mark.parametrize("name", ["mkdir", "fsync"])
async def test_staging_failure_cleans_up(
    project: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    before = snapshot(project.parent)
    monkeypatch.setattr(os, name, _fail_on_call(getattr(os, name), 2))
    with pytest.raises(ChangeError):
        await apply_changes(_mixed_set(), project)
    assert snapshot(project.parent) == before


# --- from_tool_input --------------------------------------------------------------------------


def test_from_tool_input_valid() -> None:
    data = {
        "summary": "Add a thing",
        "files": [
            {"path": "a.py", "action": "write", "content": "x = 1\n"},
            {"path": "b.py", "action": "delete"},
            {"path": "c.py", "action": "delete", "content": "ignored"},
        ],
    }
    result = ChangeSet.from_tool_input(data)
    assert result == ChangeSet(
        "Add a thing",
        (FileChange("a.py", "write", "x = 1\n"), d("b.py"), d("c.py")),
    )


def _files(*items: object) -> dict[str, object]:
    return {"summary": "s", "files": list(items)}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "object"),
        ([], "object"),
        ("{}", "object"),
        ({"files": [{"path": "a", "action": "delete"}]}, "missing 'summary'"),
        ({"summary": 3, "files": [{"path": "a", "action": "delete"}]}, "'summary' must be a str"),
        ({"summary": "s"}, "missing 'files'"),
        ({"summary": "s", "files": {"path": "a"}}, "'files' must be a list"),
        ({"summary": "s", "files": "a.py"}, "'files' must be a list"),
        (_files(), "empty"),
        (_files("a.py"), r"files\[0\] must be an object"),
        (_files({"action": "delete"}), "missing 'path'"),
        (_files({"path": 5, "action": "delete"}), "'path' must be a str"),
        (_files({"path": None, "action": "delete"}), "'path' must be a str"),
        (_files({"path": "a.py"}), "missing 'action'"),
        (_files({"path": "a.py", "action": "rename"}), "unknown action 'rename'"),
        (_files({"path": "a.py", "action": ["write"]}), "'action' must be a str"),
        (_files({"path": "a.py", "action": "write"}), "missing 'content'"),
        (_files({"path": "a.py", "action": "write", "content": None}), "'content' must be a str"),
        (_files({"path": "a.py", "action": "write", "content": 12}), "'content' must be a str"),
        (
            _files({"path": "ok.py", "action": "delete"}, {"path": "b.py", "action": "write"}),
            r"files\[1\] \('b.py'\): missing 'content'",
        ),
    ],
)
def test_from_tool_input_shape_errors(data: object, message: str) -> None:
    with pytest.raises(ChangeError, match=message):
        ChangeSet.from_tool_input(data)


def test_change_error_carries_the_path() -> None:
    assert issubclass(ChangeError, ValueError)
    with pytest.raises(ChangeError) as info:
        ChangeSet.from_tool_input(_files({"path": "x.py", "action": "move"}))
    assert info.value.path == "x.py"
    assert changes_mod.normalize_path("./a/./b/") == "a/b"
