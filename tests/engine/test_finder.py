"""search and list_files: what git sees (tracked, and new files not ignored), bounded, never secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import git_init

from codeframe_tui.engine.toolbox.editor import Editor, ToolInputError
from codeframe_tui.engine.toolbox.finder import list_files, search


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    (root / "src").mkdir(parents=True)
    (root / "src" / "many.py").write_text("".join(f"needle_{i} = {i}\n" for i in range(300)))
    (root / ".gitignore").write_text("build/\n")
    git_init(root)
    (root / "src" / "new.py").write_text("needle_new = 1\n")  # untracked, not ignored: seen
    (root / "build").mkdir()
    (root / "build" / "out.py").write_text("needle_built = 1\n")  # ignored: never seen
    (root / ".env").write_text("needle_secret = 1\n")
    (root / ".codeframe" / "logs").mkdir(parents=True)
    (root / ".codeframe" / "logs" / "x.log").write_text("needle_log = 1\n")
    return root


async def test_search_is_bounded_and_says_how_to_narrow(repo: Path) -> None:
    secret = Editor(repo).is_secret
    text, label = await search(repo, {"pattern": r"needle_\d+ ="}, secret)
    lines = text.splitlines()
    assert lines[0] == "src/many.py:1: needle_0 = 0" and len([ln for ln in lines if ln.startswith("src/")]) == 50
    assert "[250 more matches not shown (of 300): narrow the pattern or give a path]" in text
    assert label == 'search "needle_\\d+ ="'
    text, _ = await search(repo, {"pattern": "needle", "max_results": 1000}, secret)
    assert "[max_results is at most 200]" in text


async def test_search_sees_new_files_but_not_ignored_ones_the_tools_state_or_secrets(repo: Path) -> None:
    text, _ = await search(repo, {"pattern": "needle_(new|built|secret|log)"}, Editor(repo).is_secret)
    assert text.splitlines()[0] == "src/new.py:1: needle_new = 1"
    assert "built" not in text and "needle_log" not in text and "needle_secret" not in text
    assert "[1 matches in secret-looking files left out]" in text


async def test_search_in_a_path_and_its_errors(repo: Path) -> None:
    secret = Editor(repo).is_secret
    text, label = await search(repo, {"pattern": "needle_new", "path": "src"}, secret)
    assert text == "src/new.py:1: needle_new = 1" and label.endswith(" in src")
    assert (await search(repo, {"pattern": "nothing here"}, secret))[0] == "No matches for 'nothing here'."
    with pytest.raises(ToolInputError, match="search failed"):
        await search(repo, {"pattern": "(unclosed"}, secret)
    for bad in ({"pattern": "x", "path": "../up"}, {"pattern": "x", "path": ".git"}, {"pattern": ""}):
        with pytest.raises(ToolInputError):
            await search(repo, bad, secret)


async def test_list_files_by_glob(repo: Path) -> None:
    secret = Editor(repo).is_secret
    text, _ = await list_files(repo, {}, secret)
    assert text.splitlines() == [".gitignore", "src/many.py", "src/new.py"]
    assert (await list_files(repo, {"glob": "*.py"}, secret))[0].splitlines() == ["src/many.py", "src/new.py"]
    assert (await list_files(repo, {"glob": "src/**/*.py"}, secret))[0].splitlines() == ["src/many.py", "src/new.py"]
    assert (await list_files(repo, {"glob": "docs/*"}, secret))[0] == "No files match 'docs/*'."


async def test_secrets_with_quoted_or_colon_names_stay_hidden_and_nul_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / "caf\u00e9").mkdir(parents=True)
    (root / "caf\u00e9" / "server.pem").write_text("SECRETVALUE\n")  # git would quote this path
    (root / "deploy:prod.key").write_text("SECRETVALUE\n")  # a colon in the name
    (root / "caf\u00e9" / "ok.py").write_text("SECRETVALUE = 0  # not a secret file\n")
    git_init(root)
    text, _ = await search(root, {"pattern": "SECRETVALUE"}, Editor(root).is_secret)
    assert text.splitlines()[0] == "caf\u00e9/ok.py:1: SECRETVALUE = 0  # not a secret file"
    assert "[2 matches in secret-looking files left out]" in text and ".pem" not in text and "deploy" not in text
    for bad in ({"pattern": "a\x00b"}, {"pattern": "a", "path": "src\x00"}):
        with pytest.raises(ToolInputError):
            await search(root, bad, Editor(root).is_secret)
