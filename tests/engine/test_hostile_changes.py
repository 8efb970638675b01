"""Issue G, hostile inputs: change sets that must be refused whole, with nothing written anywhere.

Every case in the catalogue sits between perfectly good changes (a new file, an overwrite, a delete,
another new file), so a set applied even in part would show in the before/after snapshot. The
snapshot covers the project (with .git/ and .codeframe/), a sibling `outside/` folder and a sibling
`project-evil/` folder, and records symlinks without following them.

Decisions the catalogue pins down:
- A nested `.git` (`sub/.git`, `vendor/.git/config`) is refused like the top-level one: a submodule's
  `.git` file or a nested repository's hooks are as dangerous to write as the project's own.
  The submodule's ordinary files (`sub/code.py`) stay writable.
- Paths differing only in case (`Dup.py`/`dup.py`) or in Unicode normalization (NFC/NFD `café.py`)
  are one file on macOS and Windows, so a set naming both is refused as a duplicate everywhere.
- Nothing is percent-decoded: `%2e%2e/x` is an ordinary folder name, and it lands inside the project.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from codeframe_tui.engine.changes import (
    ChangeError,
    ChangeSet,
    FileChange,
    apply_changes,
    normalize_path,
    resolve_target,
    validate,
)

# --- the tree and its snapshot -----------------------------------------------------------------


def snapshot(base: Path) -> dict[str, tuple]:
    """Every entry under `base`, symlinks not followed: bytes and mode of files, link targets,
    folders with their mode, and the type of anything else (a FIFO is never opened)."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st_ = os.lstat(p)
            rel = p.relative_to(base).as_posix()
            if stat.S_ISLNK(st_.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st_.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st_.st_mode))
            elif stat.S_ISREG(st_.st_mode):
                out[rel] = ("file", p.read_bytes(), stat.S_IMODE(st_.st_mode), st_.st_nlink)
            else:
                out[rel] = ("other", stat.S_IFMT(st_.st_mode))
    return out


def staged_temps(base: Path) -> list[str]:
    return [
        str(Path(dirpath, name))
        for dirpath, dirnames, filenames in os.walk(base, followlinks=False)
        for name in dirnames + filenames
        if name.startswith(".cf-") and name.endswith(".tmp")
    ]


def build_project(base: Path) -> Path:
    """A project with the internals to protect, and symlinks of every kind, inside and out."""
    root = base / "project"
    outside = base / "outside"
    evil = base / "project-evil"  # shares the root's name as a string prefix
    for d in (root / "src", root / "docs", outside / "x", evil):
        d.mkdir(parents=True)
    (outside / "secret.txt").write_text("secret\n")
    (evil / "keep.txt").write_text("evil sibling\n")
    (root / "src" / "app.py").write_text("print('old')\n")
    (root / "README.md").write_text("# readme\n")
    (root / "old.txt").write_text("to be deleted\n")
    (root / "docs" / "guide.md").write_text("guide\n")
    (root / ".git" / "hooks").mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n")
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)
    (root / ".codeframe" / "journal").mkdir(parents=True)
    (root / ".codeframe" / "state.db").write_bytes(b"db")
    (root / "sub").mkdir()  # a submodule: its .git is a file pointing into the parent's .git
    (root / "sub" / ".git").write_text("gitdir: ../.git/modules/sub\n")
    (root / "sub" / "code.py").write_text("sub = 1\n")
    (root / "vendor" / ".git").mkdir(parents=True)  # a nested repository
    (root / "vendor" / ".git" / "config").write_text("[core]\n")
    os.mkfifo(root / "fifo")
    links = {
        "link": str(outside),  # a folder symlink out, absolute
        "rel_out": "../outside",  # the same, relative
        "secret_link.txt": str(outside / "secret.txt"),  # a file symlink out
        "dang_out": str(outside / "nope"),  # dangling, and it would dangle outside
        "hop1": "hop2",  # a chain that ends outside
        "hop2": "rel_out",
        "evil_sibling": "../project-evil",  # outside, though "project-evil".startswith("project")
        "up": "..",  # the project's parent
        "gitlink": ".git",  # inside, but to the repository's internals
        "hooks": ".git/hooks",
        "cflink": ".codeframe",
        "loop": "loop",
        "lib": "src",  # a folder symlink staying inside
        "flink": "README.md",  # a file symlink staying inside
    }
    for name, target in links.items():
        os.symlink(target, root / name)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path)


# --- the catalogue -----------------------------------------------------------------------------

BEFORE = [
    {"path": "ok.py", "action": "write", "content": "ok = 1\n"},
    {"path": "src/app.py", "action": "write", "content": "print('new')\n"},
]
AFTER = [
    {"path": "old.txt", "action": "delete"},
    {"path": "ok_after.py", "action": "write", "content": "after = 1\n"},
]


def W(path: object, content: object = "x\n") -> dict:
    return {"path": path, "action": "write", "content": content}


def D(path: object) -> dict:
    return {"path": path, "action": "delete"}


@dataclass(frozen=True)
class Case:
    id: str
    hostile: list = field(default_factory=list)  # the items placed between BEFORE and AFTER
    match: str = ""  # a regex the error message must contain: refused for the right reason
    limits: dict = field(default_factory=dict)  # max_file_bytes / max_files
    # For shapes that cannot be written as items: builds the whole tool input from the good items.
    data: Callable[[list, list], object] | None = None
    # Paths that name the test's own tmp folders: filled in from the fixture.
    needs: Callable[[Path], list] | None = None


E = "\u00e9"  # é: two bytes in UTF-8
TRAVERSAL = "'..' components"
ABSOLUTE = "absolute paths"
BACKSLASH = "backslashes"
SYMLINK_OUT = "outside the project through a symlink"
THROUGH_LINK = "is a symlink"
INSIDE_GIT = r"inside \.git/"
INSIDE_CF = r"inside \.codeframe/"
CONTROL = "control characters"


def _deep(root: Path) -> list:
    """A path of at most 4096 bytes, as the model gives it, that is over PATH_MAX under the root."""
    prefix = len(str(root.resolve()).encode()) + 1
    parts = ["d" * 200] * 20  # 4019 bytes with the slashes
    last = 4096 - (len("/".join(parts)) + 1)
    rel = "/".join([*parts, "f" * last])
    assert len(rel.encode()) == 4096 and prefix + len(rel.encode()) > 4096
    return [W(rel)]


CATALOGUE = [
    # -- '..' anywhere -------------------------------------------------------------------------
    Case("dotdot-leading", [W("../evil.txt")], TRAVERSAL),
    Case("dotdot-leading-to-outside-file", [W("../outside/secret.txt", "pwned\n")], TRAVERSAL),
    Case("dotdot-middle", [W("src/../../evil.txt")], TRAVERSAL),
    Case("dotdot-a/../../x", [W("a/../../x")], TRAVERSAL),
    Case("dotdot-harmless-but-refused", [W("src/../ok2.py")], TRAVERSAL),
    Case("dotdot-trailing", [W("src/..")], TRAVERSAL),
    Case("dotdot-trailing-slash", [W("src/../")], TRAVERSAL),
    Case("dotdot-alone", [W("..")], TRAVERSAL),
    Case("dot-then-dotdot", [W("./../x")], TRAVERSAL),
    Case("dot-dot-then-dotdot", [W("src/./../../outside/secret.txt")], TRAVERSAL),
    Case("dotdot-delete-outside", [D("../outside/secret.txt")], TRAVERSAL),
    # -- absolute and Windows paths -------------------------------------------------------------
    Case("abs-etc", [W("/etc/x")], ABSOLUTE),
    Case("abs-double-slash", [W("//x")], ABSOLUTE),
    Case("abs-root", [W("/")], ABSOLUTE),
    Case("abs-outside-file", match=ABSOLUTE,
         needs=lambda root: [W(str(root.parent / "outside" / "secret.txt"), "pwned\n")]),
    Case("abs-into-project-itself", match=ABSOLUTE, needs=lambda root: [W(str(root / "ok2.py"))]),
    Case("win-drive-backslash", [W("C:\\x")], BACKSLASH),
    Case("win-drive-slash", [W("C:/x")], "Windows drive"),
    Case("win-drive-relative", [W("c:x")], "Windows drive"),
    Case("win-unc", [W("\\\\server\\share\\x")], BACKSLASH),
    Case("win-backslash-dotdot", [W("a\\..\\x")], BACKSLASH),
    Case("win-backslash-dotdot-leading", [W("..\\outside\\secret.txt")], BACKSLASH),
    # -- home -----------------------------------------------------------------------------------
    Case("home-tilde-slash", [W("~/x")], "home-directory"),
    Case("home-tilde-user", [W("~root/.bashrc")], "home-directory"),
    Case("home-tilde-alone", [W("~")], "home-directory"),
    # -- symlinks -------------------------------------------------------------------------------
    Case("symlink-dir-out-write", [W("link/x")], SYMLINK_OUT),
    Case("symlink-dir-out-overwrite", [W("link/secret.txt", "pwned\n")], SYMLINK_OUT),
    Case("symlink-dir-out-delete", [D("link/secret.txt")], SYMLINK_OUT),
    Case("symlink-dir-out-new-subdirs", [W("link/new/deeper/x")], SYMLINK_OUT),
    Case("symlink-dir-out-relative", [W("rel_out/x/y.txt")], SYMLINK_OUT),
    Case("symlink-file-out-write", [W("secret_link.txt", "pwned\n")], THROUGH_LINK),
    Case("symlink-file-out-delete", [D("secret_link.txt")], THROUGH_LINK),
    Case("symlink-dangling-out-as-dir", [W("dang_out/x")], SYMLINK_OUT),
    Case("symlink-dangling-out-as-file", [W("dang_out", "created outside?\n")], THROUGH_LINK),
    Case("symlink-chain-out", [W("hop1/x")], SYMLINK_OUT),
    Case("symlink-sibling-prefix", [W("evil_sibling/keep.txt", "pwned\n")], SYMLINK_OUT),
    Case("symlink-up-and-out", [W("up/outside/secret.txt", "pwned\n")], SYMLINK_OUT),
    Case("symlink-to-git-write", [W("gitlink/config", "[core]\nhooksPath=/tmp\n")], INSIDE_GIT),
    Case("symlink-to-git-new-file", [W("gitlink/info/attributes")], INSIDE_GIT),
    Case("symlink-to-git-hooks", [W("hooks/pre-commit", "#!/bin/sh\nrm -rf ~\n")], INSIDE_GIT),
    Case("symlink-to-git-delete-link", [D("gitlink")], THROUGH_LINK),
    Case("symlink-to-codeframe-delete", [D("cflink/state.db")], INSIDE_CF),
    Case("symlink-loop", [W("loop/x")], "loop|not a folder"),
    Case("symlink-inside-dir-as-file", [W("lib")], THROUGH_LINK),
    Case("symlink-inside-file-write", [W("flink")], THROUGH_LINK),
    Case("symlink-inside-file-as-dir", [W("flink/x")], "not a folder"),
    # -- .git/ and .codeframe/, any case, any depth -------------------------------------------------
    Case("git-config", [W(".git/config", "[core]\n\thooksPath = /tmp\n")], INSIDE_GIT),
    Case("git-hook", [W(".git/hooks/pre-commit", "#!/bin/sh\n")], INSIDE_GIT),
    Case("git-dir-itself", [W(".git")], INSIDE_GIT),
    Case("git-delete-head", [D(".git/HEAD")], INSIDE_GIT),
    Case("git-upper", [W(".GIT/config")], INSIDE_GIT),
    Case("git-mixed-case-hook", [W(".Git/hooks/pre-commit")], INSIDE_GIT),
    Case("git-trailing-dot", [W(".git./config")], INSIDE_GIT),
    Case("git-trailing-space", [W(".git /config")], INSIDE_GIT),
    Case("git-ntfs-stream", [W(".git::$INDEX_ALLOCATION/config")], INSIDE_GIT),
    Case("git-nested-submodule-file", [W("sub/.git", "gitdir: /tmp/evil\n")], INSIDE_GIT),
    Case("git-nested-repo", [W("vendor/.git/config")], INSIDE_GIT),
    Case("git-nested-new", [W("src/.git/hooks/post-checkout")], INSIDE_GIT),
    Case("codeframe-write", [W(".codeframe/journal/x.json", "{}")], INSIDE_CF),
    Case("codeframe-delete", [D(".codeframe/state.db")], INSIDE_CF),
    Case("codeframe-case", [W(".CodeFrame/x")], INSIDE_CF),
    # -- control characters, blank and empty paths -----------------------------------------------
    Case("nul-in-path", [W("a\x00b.py")], CONTROL),
    Case("nul-truncating-dotdot", [W("ok3.py\x00/../../x")], CONTROL),
    Case("nul-in-content", [W("bin.dat", "a\x00b")], "NUL"),
    Case("newline-in-path", [W("a\nb.py")], CONTROL),
    Case("cr-in-path", [W("a\rb.py")], CONTROL),
    Case("tab-in-path", [W("a\tb.py")], CONTROL),
    Case("ansi-escape-in-path", [W("\x1b[2Jclear.py")], CONTROL),
    Case("del-in-path", [W("a\x7fb.py")], CONTROL),
    Case("c1-nel-in-path", [W("a\x85b.py")], CONTROL),
    Case("whitespace-only", [W("   ")], "blank"),
    Case("whitespace-component", [W("src/ /x.py")], "blank"),
    Case("unicode-space-only", [W("\u3000\u00a0")], "blank"),
    Case("empty", [W("")], "empty path"),
    Case("dot", [W(".")], "names no file"),
    Case("dot-slash", [W("./")], "names no file"),
    Case("dot-dot-slash-dot", [W("././.")], "names no file"),
    Case("double-slash", [W("a//b.py")], "empty path components"),
    Case("trailing-double-slash", [W("a/b.py//")], "empty path components"),
    Case("trailing-slash-existing-dir", [W("src/")], "is a directory"),
    # -- lengths ---------------------------------------------------------------------------------
    Case("component-256-bytes", [W("x" * 256)], "over 255 bytes"),
    Case("component-128-chars-256-bytes", [W("dir/" + E * 128)], "over 255 bytes"),
    Case("component-64-emoji-256-bytes", [W("\U0001f600" * 64)], "over 255 bytes"),
    Case("path-over-4096-bytes", [W("/".join(["abcdefg"] * 520))], "over 4096 bytes"),
    Case("path-2120-chars-4220-bytes", [W("/".join([E * 100] * 21))], "over 4096 bytes"),
    Case("path-over-path-max-under-root", match="too long", needs=_deep),
    # -- size, count, encoding -----------------------------------------------------------------
    Case("content-over-cap", [W("big.txt", "x" * 101)], "limit is 100", {"max_file_bytes": 100}),
    Case("content-multibyte-over-cap", [W("big.txt", E * 51)], "102 bytes", {"max_file_bytes": 100}),
    Case("too-many-files", [W("f1.py"), W("f2.py")], "too many files", {"max_files": 5}),
    Case("content-lone-low-surrogate", [W("bad.txt", "bad \udc80 byte")], "UTF-8"),
    Case("content-lone-high-surrogate", [W("bad.txt", "half \ud83d emoji")], "UTF-8"),
    Case("path-lone-surrogate", [W("\udc80.py")], "UTF-8"),
    # -- duplicates ------------------------------------------------------------------------------
    Case("dup-exact", [W("dup.py"), W("dup.py", "other\n")], "duplicate"),
    Case("dup-dot-slash", [W("dup.py"), W("./dup.py")], "duplicate"),
    Case("dup-trailing-slash", [W("dup.py"), W("dup.py/")], "duplicate"),
    Case("dup-write-and-delete", [W("README.md"), D("README.md")], "duplicate"),
    Case("dup-with-good-change", [W("ok.py", "again\n")], "duplicate"),
    Case("dup-via-inside-symlink", [D("lib/app.py")], "duplicate"),
    Case("dup-case-only", [W("Dup.py"), W("dup.py")], "duplicate"),
    # "readme.md" beside the existing "README.md": on Linux two files, on macOS and Windows one.
    Case("dup-case-only-existing", [W("README.md", "a\n"), W("readme.md", "b\n")], "duplicate"),
    Case("dup-nfc-nfd", [W("caf\u00e9.py"), W("cafe\u0301.py")], "duplicate"),
    Case("file-and-folder", [W("pkg"), W("pkg/mod.py")], "lies under"),
    Case("file-and-folder-case", [W("PKG"), W("pkg/mod.py")], "lies under"),
    Case("new-file-under-good-new-file", [W("ok.py/x")], "lies under"),
    # -- deletes and what is in the way ------------------------------------------------------------
    Case("delete-dir", [D("src")], "is a directory"),
    Case("delete-dir-trailing-slash", [D("docs/")], "is a directory"),
    Case("delete-missing", [D("missing.txt")], "no such file"),
    Case("delete-root-dot", [D(".")], "names no file"),
    Case("delete-root-empty", [D("")], "empty path"),
    Case("delete-fifo", [D("fifo")], "not a regular file"),
    Case("write-fifo", [W("fifo")], "not a regular file"),
    Case("write-under-fifo", [W("fifo/x")], "not a folder"),
    Case("write-under-existing-file", [W("README.md/x")], "not a folder"),
    Case("write-deep-under-existing-file", [W("README.md/a/b/x")], "not a folder"),
    Case("write-over-existing-dir", [W("docs")], "is a directory"),
    Case("write-over-nested-existing-dir", [W("sub")], "is a directory"),
    # -- wrong types and shapes ----------------------------------------------------------------
    Case("type-path-int", [W(5)], "'path' must be a str"),
    Case("type-path-none", [W(None)], "'path' must be a str"),
    Case("type-path-list", [W(["a.py"])], "'path' must be a str"),
    Case("type-path-nested-object", [W({"path": "a.py"})], "'path' must be a str"),
    Case("type-content-int", [W("a.py", 12)], "'content' must be a str"),
    Case("type-content-none", [W("a.py", None)], "'content' must be a str"),
    Case("type-content-list", [W("a.py", ["x"])], "'content' must be a str"),
    Case("type-content-bool", [W("a.py", True)], "'content' must be a str"),
    Case("action-unknown", [{"path": "a.py", "action": "rename", "content": "x"}], "unknown action"),
    Case("action-upper", [{"path": "a.py", "action": "WRITE", "content": "x"}], "unknown action"),
    Case("action-not-str", [{"path": "a.py", "action": 1}], "'action' must be a str"),
    Case("missing-action", [{"path": "a.py", "content": "x"}], "missing 'action'"),
    Case("missing-path", [{"action": "write", "content": "x"}], "missing 'path'"),
    Case("missing-content", [{"path": "a.py", "action": "write"}], "missing 'content'"),
    Case("item-nested-in-list", [[W("a.py")]], "must be an object"),
    Case("item-none", [None], "must be an object"),
    Case("item-string", ["a.py"], "must be an object"),
    Case("files-not-list", match="'files' must be a list",
         data=lambda before, after: {"summary": "s", "files": {str(i): f for i, f in enumerate(before)}}),
    Case("files-tuple-of-changes", match="'files' must be a list",
         data=lambda before, after: {"summary": "s", "files": tuple(before + after)}),
    Case("whole-set-nested", match="missing 'summary'",
         data=lambda before, after: {"change_set": {"summary": "s", "files": before + after}}),
    Case("whole-set-in-list", match="must be an object",
         data=lambda before, after: [{"summary": "s", "files": before + after}]),
    Case("summary-not-str", match="'summary' must be a str",
         data=lambda before, after: {"summary": ["s"], "files": before + after}),
]


def test_catalogue_is_big_and_ids_unique() -> None:
    ids = [c.id for c in CATALOGUE]
    assert len(ids) == len(set(ids)) and len(ids) >= 40
    assert all(c.match for c in CATALOGUE)  # each case says why it must be refused


def _tool_input(case: Case, root: Path) -> object:
    if case.data is not None:
        return case.data(list(BEFORE), list(AFTER))
    hostile = case.needs(root) if case.needs else case.hostile
    return {"summary": f"hostile: {case.id}", "files": [*BEFORE, *hostile, *AFTER]}


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.id for c in CATALOGUE])
async def test_hostile_set_is_refused_whole(project: Path, case: Case) -> None:
    base = project.parent
    before = snapshot(base)
    data = _tool_input(case, project)
    try:
        change_set = ChangeSet.from_tool_input(data)
    except ChangeError as exc:
        error: ChangeError = exc  # refused by the shape check, before any path is looked at
    else:
        # Refused by validation itself, not by a commit that failed and was rolled back.
        with pytest.raises(ChangeError):
            validate(change_set, project, **case.limits)
        with pytest.raises(ChangeError) as info:
            await apply_changes(change_set, project, **case.limits)
        error = info.value
    assert re.search(case.match, str(error)), str(error)
    assert snapshot(base) == before
    assert staged_temps(base) == []


async def test_good_changes_alone_apply(project: Path) -> None:
    """The good changes around every case are accepted on their own: the hostile one is the reason."""
    result = await apply_changes(ChangeSet.from_tool_input({"summary": "s", "files": BEFORE + AFTER}), project)
    assert result.written == ("ok.py", "src/app.py", "ok_after.py") and result.deleted == ("old.txt",)


async def test_journal_set_is_refused_whole(project: Path) -> None:
    """With a journal, a refused set leaves no journal file either."""
    journal = project / ".codeframe" / "journal"
    before = snapshot(project.parent)
    data = {"summary": "s", "files": [*BEFORE, W("link/x"), *AFTER]}
    with pytest.raises(ChangeError, match=SYMLINK_OUT):
        await apply_changes(ChangeSet.from_tool_input(data), project, journal=journal)
    assert snapshot(project.parent) == before


async def test_directly_built_changes_with_wrong_types(project: Path) -> None:
    """FileChange built in code, past from_tool_input: validation still checks the types."""
    before = snapshot(project.parent)
    bad = [
        FileChange(5, "write", "x"),  # type: ignore[arg-type]
        FileChange("a.py", "write", b"bytes"),  # type: ignore[arg-type]
        FileChange("a.py", "write", None),
        FileChange("a.py", "move", "x"),
    ]
    for change in bad:
        with pytest.raises(ChangeError):
            validate(ChangeSet("s", (FileChange("ok.py", "write", "x"), change)), project)
        with pytest.raises(ChangeError):
            await apply_changes(ChangeSet("s", (FileChange("ok.py", "write", "x"), change)), project)
    assert snapshot(project.parent) == before


# --- names that only look hostile: nothing decodes them, so they stay inside ------------------------

LOOKALIKES = [
    "%2e%2e/x.txt",  # percent-encoding is not decoded by anyone on the way
    "%2e%2e%2fx.txt",
    "..%2fx.txt",
    ".%2e/x.txt",
    "..%c0%afx.txt",  # the old overlong-UTF-8 slash, as text
    "\uff0e\uff0e/x.txt",  # fullwidth dots
    "..\u2215x.txt",  # division slash
    "..\u2044x.txt",  # fraction slash
    "...",
    "..././x.txt",  # what a naive replace("../", "") would turn into ../x.txt
    "..../x.txt",
    ".. /x.txt",
    " ../x.txt",
    "a/~/x.txt",
    "a~/x.txt",
    ".gitignore",
    ".github/workflows/ci.yml",
    "x.git/y",
    ".git-blame-ignore-revs",
    ".codeframe.toml",
    "sub/code.py",  # a submodule's own files are the project's
]


@pytest.mark.parametrize("raw", LOOKALIKES)
async def test_lookalike_lands_inside(project: Path, raw: str) -> None:
    base = project.parent
    real = project.resolve()
    before = snapshot(base)
    [(_, target)] = validate(ChangeSet("s", (FileChange(raw, "write", "here\n"),)), project)
    norm = normalize_path(raw)
    assert target == real / norm and target.is_relative_to(real)
    result = await apply_changes(ChangeSet("s", (FileChange(raw, "write", "here\n"),)), project)
    assert result.written == (norm,)
    after = snapshot(base)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed and all(k.startswith("project/") for k in changed), changed
    assert (real / norm).read_text() == "here\n"
    assert staged_temps(base) == []


def test_case_only_names_alone_are_separate_files_here(project: Path) -> None:
    """Alone, "readme.md" is a new file on a case-sensitive filesystem; the duplicate check only
    refuses a set naming both spellings (see dup-case-only-existing)."""
    [(_, target)] = validate(ChangeSet("s", (FileChange("readme.md", "write", "x"),)), project)
    assert target.name == "readme.md"


async def test_hard_link_to_outside_is_replaced_not_written_through(project: Path) -> None:
    outside = project.parent / "outside" / "secret.txt"
    os.link(outside, project / "hard.txt")
    await apply_changes(ChangeSet("s", (FileChange("hard.txt", "write", "new\n"),)), project)
    assert outside.read_text() == "secret\n"
    assert (project / "hard.txt").read_text() == "new\n"
    await apply_changes(ChangeSet("s", (FileChange("hard.txt", "delete"),)), project)
    assert outside.read_text() == "secret\n"


# --- property: any path is refused, or lands inside and outside the internals -----------------------

# Path segments naming what the fixture holds: the symlinks in and out, the internals, the files.
LINKS = ["link", "rel_out", "hop1", "evil_sibling", "up", "up/project", "up/outside", "up/project-evil",
         "gitlink", "hooks", "cflink", "lib", "flink", "dang_out", "loop", "secret_link.txt"]
SEGMENTS = [*LINKS, "..", ".", "", "~", ".git", ".GIT", ".Git.", ".git ", ".codeframe", ".CodeFrame", "src",
            "sub", "vendor", "fifo", "README.md", "outside", "project", "%2e%2e", "\uff0e\uff0e", "...", "x.git"]
CLEAN = ["a", "b", "g", "i", "t", "G", "I", "T", ".", "~", ":", " ", "%", "-", "\u00e9", "\u0301",
         "\u0130", "\u017f", "\u3000", "\u202e", "\U0001f600"]
HOSTILE = ["/", "\\", "\x00", "\x01", "\n", "\x1f", "\x7f", "\x85", "\u2028", "\udc80"]
_clean = st.text(alphabet=st.sampled_from(CLEAN), min_size=1, max_size=8)
_messy = st.text(alphabet=st.sampled_from(CLEAN + HOSTILE), min_size=1, max_size=8)

# Mostly valid paths, "/" only: they exercise resolution through the symlinks.
STRUCTURED = st.tuples(
    st.sampled_from(["", "./"]),
    st.lists(st.one_of(st.sampled_from(SEGMENTS), _clean), min_size=1, max_size=6),
    st.sampled_from(["", "/"]),
).map(lambda t: t[0] + "/".join(t[1]) + t[2])
# Anything: control characters, backslashes, drives, "~", lone surrogates, and long paths around the
# 255-byte component and 4096-byte path limits (and PATH_MAX once under the root).
_long = st.lists(st.sampled_from(["x" * 200, "\u00e9" * 100, "y" * 255, "z" * 256, "lib", "up", "project", "src"]),
                 min_size=14, max_size=22).map("/".join)
CHAOTIC = st.one_of(
    st.tuples(
        st.sampled_from(["", "./", "/", "//", "~/", "~", "C:", "c:/", "\\\\"]),
        st.lists(st.one_of(st.sampled_from(SEGMENTS), _messy), min_size=1, max_size=6),
        st.sampled_from(["/", "\\", "//", "/./", "/../"]),
    ).map(lambda t: t[0] + t[2].join(t[1])),
    _messy,
    _long,
    st.text(max_size=30),
)


def _internal(rel: Path) -> bool:
    return any(part.split(":", 1)[0].rstrip(" .").casefold() in {".git", ".codeframe"} for part in rel.parts)


def _check_path(root: Path, raw: str) -> None:
    """`raw` is refused with ChangeError, or it lands inside `root` and outside the internals."""
    real = root.resolve()
    try:
        target = resolve_target(raw, real)
    except ChangeError:
        pass
    else:
        assert target.is_relative_to(real), (raw, target)
        assert not _internal(target.relative_to(real)), (raw, target)
    # The whole check of a write: its target is then no symlink, so it resolves to itself.
    try:
        [(_, target)] = validate(ChangeSet("s", (FileChange(raw, "write", "x"),)), root)
    except ChangeError:
        return
    landing = Path(os.path.realpath(target))
    assert landing == target, (raw, target, landing)
    assert landing.is_relative_to(real), (raw, landing)
    assert not _internal(landing.relative_to(real)), (raw, landing)


@pytest.fixture
def hypothesis_home(tmp_path_factory: pytest.TempPathFactory):
    """database=None keeps no examples, but Hypothesis still caches its Unicode tables and the
    constants it finds in our sources under ./.hypothesis: send those to a temp folder instead."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis-home"))
    yield
    set_hypothesis_home_dir(None)  # back to the default (HYPOTHESIS_STORAGE_DIRECTORY or ./.hypothesis)


@pytest.mark.parametrize("paths", [STRUCTURED, CHAOTIC], ids=["structured", "chaotic"])
def test_any_path_is_refused_or_lands_inside(
    tmp_path: Path, paths: st.SearchStrategy[str], hypothesis_home: None
) -> None:
    root = build_project(tmp_path)  # built once for all examples: validation writes nothing
    before = snapshot(tmp_path)

    @settings(max_examples=300, deadline=None, database=None)
    @given(raw=paths)
    def check(raw: str) -> None:
        _check_path(root, raw)

    check()
    assert snapshot(tmp_path) == before  # validation alone: nothing was written
