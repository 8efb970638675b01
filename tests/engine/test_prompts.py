"""What the model is shown: a repository map that favours the task's own files, never secrets, never
tool folders; the editor that refuses secret files; the feature's own documents."""

from __future__ import annotations

import subprocess

import pytest

from codeframe_tui.engine.repomap import repository_map
from codeframe_tui.engine.toolbox.editor import Editor, ToolInputError

SECRET_FILES = (".npmrc", ".env.local", "server.pem")


def _project(root):
    (root / "docs").mkdir(parents=True)
    for i in range(70):
        (root / "docs" / f"page{i:02}.md").write_text(f"page {i}\n")
    (root / "src").mkdir()
    (root / "src" / "target.py").write_text("TARGET = 1\n")
    (root / ".npmrc").write_text("//registry/:_authToken=npm_SECRET\n")
    (root / ".env.local").write_text("API_KEY=SECRET\n")
    (root / "server.pem").write_text("SECRET\n")
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "node_modules" / "x" / "index.js").write_text("module.exports = 1\n")
    (root / "big.csv").write_text("x" * 500_000)
    return root


def _commit_everything(root) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.name", "Test")
    git("config", "user.email", "test@example.com")
    git("add", "-A", "-f")
    git("commit", "-q", "-m", "start")


@pytest.mark.parametrize("kind", ["plain folder", "git repository"])
async def test_task_files_come_first_and_secrets_never_leave(tmp_path, kind):
    root = _project(tmp_path / "p")
    if kind == "git repository":
        _commit_everything(root)  # secrets tracked too: still never shown
    # A budget too small for everything: the docs folder is cut short, the task's file and its symbols stay.
    text = await repository_map(root, ("src/target.py",), budget_tokens=150)
    assert "Symbols of the task's files:\n  src/target.py\n    TARGET = 1  L1" in text
    assert "page00.md" in text and "page69.md" not in text and "more files" in text
    assert len(text) // 4 <= 150
    # Even when the task names the secrets, neither their names nor their contents are in the map.
    named = await repository_map(root, ("src/target.py", *SECRET_FILES), budget_tokens=4000)
    for shown in (text, named):
        assert "SECRET" not in shown and not [name for name in SECRET_FILES if name in shown]
        assert "node_modules" not in shown and "index.js" not in shown
    assert "big.csv" in named and "x" * 1000 not in named  # listed, not read


async def test_the_editor_never_shows_or_changes_a_secret_file(tmp_path):
    root = _project(tmp_path / "p")
    editor = Editor(root)
    for name in SECRET_FILES:
        for call in ({"command": "view", "path": name},
                     {"command": "create", "path": name, "file_text": "pwned\n"},
                     {"command": "str_replace", "path": name, "old_str": "SECRET", "new_str": "pwned"}):
            with pytest.raises(ToolInputError, match="looks like a secret"):
                await editor.run(call)
    listing = (await editor.run({"command": "view", "path": "."})).text
    assert "src/target.py" in listing
    assert not [name for name in SECRET_FILES if name in listing] and "node_modules" not in listing
    assert (root / ".env.local").read_text() == "API_KEY=SECRET\n" and (root / "server.pem").read_text() == "SECRET\n"
    shown = (await editor.run({"command": "view", "path": "src/target.py"})).text
    assert "TARGET = 1" in shown  # the same editor shows an ordinary file


def test_feature_documents_named_on_the_task_reach_its_prompt(tmp_path):
    from codeframe_tui.domain import AgentType, Task
    from codeframe_tui.llm.prompts import task_prompt

    spec = tmp_path / "spec.md"
    spec.write_text("# Feature\nUsers can share a reading list.\n")
    task = Task(id=1, key="T001", title="Add the list", description="", agent_type=AgentType.BACKEND,
                extra={"context_files": [str(spec), str(tmp_path / "gone.md")]})
    prompt = task_prompt(task, [], "Repository map: 1 files\nFiles:\n  x.py", [])
    assert "--- spec.md (feature document) ---\n# Feature\nUsers can share a reading list." in prompt
    assert "gone.md" not in prompt
    assert prompt.endswith("Repository map: 1 files\nFiles:\n  x.py")  # the map closes the prompt


def test_a_failed_lint_step_reaches_the_agent_named_with_its_first_errors():
    from codeframe_tui.domain import StepOutcome, TestRun, TestStatus
    from codeframe_tui.llm.prompts import correction_prompt, test_report

    lint = StepOutcome("lint", "lint", "failed", where="packages/ui",
                       problems=("packages/ui/src/Button.tsx:12: 'size' is defined but never used (no-unused-vars)",))
    run = TestRun(TestStatus.FAILED, total=23, passed=23, steps=(lint, StepOutcome("vitest", "test", "passed", 23, 23)))
    for text in (test_report(run), correction_prompt(run, 1, 3)):
        assert "Steps: lint (packages/ui) ✗ · vitest 23/23" in text
        assert "lint in packages/ui failed:\n  packages/ui/src/Button.tsx:12: 'size' is defined" in text
    plain = TestRun(TestStatus.PASSED, total=2, passed=2)
    assert "Steps" not in test_report(plain) and "Steps" not in correction_prompt(plain, 1, 3)
