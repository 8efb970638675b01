"""What the model is shown: the task's own files first, never secrets, never tool folders."""

from __future__ import annotations

from codeframe_tui.llm.prompts import project_context, project_files


def test_task_files_come_first_and_secrets_never_leave(tmp_path):
    (tmp_path / "docs").mkdir()
    for i in range(70):
        (tmp_path / "docs" / f"page{i:02}.md").write_text(f"page {i}\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "target.py").write_text("TARGET = 1\n")
    (tmp_path / ".npmrc").write_text("//registry/:_authToken=npm_SECRET\n")
    (tmp_path / ".env.local").write_text("API_KEY=SECRET\n")
    (tmp_path / "server.pem").write_text("SECRET\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "index.js").write_text("module.exports = 1\n")
    (tmp_path / "big.csv").write_text("x" * 500_000)
    text = project_context(tmp_path, first=("src/target.py",))
    assert "--- src/target.py ---\nTARGET = 1" in text
    assert text.index("src/target.py ---") < text.index("docs/page00.md ---")
    assert "SECRET" not in text and ".npmrc" not in text and "server.pem" not in text
    assert "node_modules" not in text
    assert "- big.csv" in text and "x" * 1000 not in text  # listed, not read
    names = {p.name for p in project_files(tmp_path)}
    assert "index.js" not in names and ".env.local" not in names


def test_feature_documents_named_on_the_task_reach_its_prompt(tmp_path):
    from codeframe_tui.domain import AgentType, Task
    from codeframe_tui.llm.prompts import task_prompt

    spec = tmp_path / "spec.md"
    spec.write_text("# Feature\nUsers can share a reading list.\n")
    task = Task(id=1, key="T001", title="Add the list", description="", agent_type=AgentType.BACKEND,
                extra={"context_files": [str(spec), str(tmp_path / "gone.md")]})
    prompt = task_prompt(task, [], "Project files:\n- x.py", [])
    assert "--- spec.md (feature document) ---\n# Feature\nUsers can share a reading list." in prompt
    assert "gone.md" not in prompt
