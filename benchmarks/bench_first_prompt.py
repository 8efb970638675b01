"""First prompt: a worker's first request, in input tokens, against the one it sent before the tool loop.

Before issue I, a worker's first prompt dumped whole files of the project (up to 60 files, 120k
characters, files over 12k characters skipped), whatever the task. Now it holds the task and the
repository map (the package engine/repomap/, given the task's title and description as hints),
within its budget, and the model views what it needs. Both are built for the same task on the same
repository: the earlier prompt with the earlier code, read from the commit before the change
(BEFORE), so the comparison stays honest as the code moves on.

1. A generated 2,000-file repository (packages of modules with functions and classes, docs, tests,
   configs; the task's module is 150 KB). Target: at most 25% of before.
2. The demo project, as its last task (3.2) sees it once the others have landed. Target: 25%.

Tokens are counted as characters / 4 over the system prompt and the first user message; the tools'
definitions (the same size in every request of a conversation) are given in the note.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import types
from pathlib import Path

from harness import ROOT, Bench

from codeframe_tui.demo.answers import ANSWERS
from codeframe_tui.demo.project import PLAN, STARTER_FILES
from codeframe_tui.domain import AgentType, Task
from codeframe_tui.engine.repomap import repository_map
from codeframe_tui.llm import prompts
from codeframe_tui.llm.tools import worker_tools

BEFORE = "01ff84f"  # the last commit with the bulk-dump prompt
TARGET = 0.25
CHARS_PER_TOKEN = 4


def before_prompts() -> types.ModuleType:
    """llm/prompts.py as it was at BEFORE: its system prompt and its project context."""
    source = subprocess.run(["git", "show", f"{BEFORE}:codeframe_tui/llm/prompts.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType("prompts_before")
    sys.modules[module.__name__] = module  # dataclasses look their module up there
    exec(compile(source, "prompts_before.py", "exec"), module.__dict__)  # our own code, from our own history
    return module


def make_repo(root: Path, files: int) -> str:
    """A repository of about `files` files; returns the task's big module."""
    count = 0
    for p in range(20):
        for m in range(files // 40):
            path = root / "src" / f"pkg{p}" / f"mod{m}.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            # Modules of a few KB, as real ones are: the earlier prompt read such files whole.
            path.write_text("".join(
                f'def fn_{m}_{i}(x):\n    """Scale x by {i}."""\n    return x * {i}\n\n\n'
                f'class C{m}_{i}:\n    """A thing."""\n\n    def run(self):\n        return {i}\n\n\n'
                for i in range(30)))
            count += 1
    for d in range(files // 4):
        (root / "docs").mkdir(exist_ok=True)
        (root / "docs" / f"page{d}.md").write_text(f"# Page {d}\n\n" + "Some documentation text. " * 20 + "\n")
        count += 1
    (root / "tests").mkdir()
    while count < files:
        (root / "tests" / f"test_{count}.py").write_text(f"def test_{count}():\n    assert True\n")
        count += 1
    big = root / "src" / "pkg0" / "big.py"
    big.write_text("".join(f'def f{i}(x):\n    """Function {i}."""\n    return x + {i}\n\n\n' for i in range(3000)))
    (root / "README.md").write_text("# A project\n")
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    _commit(root)
    return "src/pkg0/big.py"


def make_demo(root: Path) -> None:
    """The demo project with every task's answer landed: what its last task finds."""
    for rel, text in STARTER_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for answer in ANSWERS.values():
        for f in answer["files"]:
            (root / f["path"]).parent.mkdir(parents=True, exist_ok=True)
            (root / f["path"]).write_text(f["content"])
    _commit(root)


def _commit(root: Path) -> None:
    for args in (("init", "-q", "-b", "main"), ("config", "user.name", "B"), ("config", "user.email", "b@x"),
                 ("add", "-A"), ("commit", "-q", "-m", "start")):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


async def compare(root: Path, task: Task, old: types.ModuleType) -> tuple[int, int, int]:
    """(tokens before, tokens now, tokens of the tools' definitions now)."""
    command = "python -m pytest"
    then = old.system_prompt(task.agent_type, command) + old.task_prompt(
        task, [], old.project_context(root, task.files), [])
    hints = "\n".join(part for part in (task.title, task.description) if part)  # as the worker passes them
    now = prompts.system_prompt(task.agent_type, command, 80) + prompts.task_prompt(
        task, [], await repository_map(root, task.files, hints=hints), [])
    tools = len(json.dumps(worker_tools("claude-sonnet-5-5")))
    return len(then) // CHARS_PER_TOKEN, len(now) // CHARS_PER_TOKEN, tools // CHARS_PER_TOKEN


async def main() -> None:
    bench = Bench("first_prompt", __doc__.splitlines()[0])
    try:
        old = before_prompts()
    except subprocess.CalledProcessError:
        print(f"commit {BEFORE} is not in this clone's history: nothing to compare with", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(prefix="bench-first-prompt-") as tmp:
        repo = Path(tmp) / "repo"
        size = 400 if bench.short else 2000
        focus = make_repo(repo, size)
        task = Task(id=1, key="1.1", title="Make f1234 return its argument negated", agent_type=AgentType.BACKEND,
                    description="Change f1234 in the big module so that it returns -x.", files=(focus,))
        then, now, tools = await compare(repo, task, old)
        bench.report(f"generated {size:,}-file repository", now / then, "× before", TARGET,
                     note=f"{now:,} tokens now, {then:,} before; tools' definitions {tools:,} tokens")
        demo = Path(tmp) / "demo"
        make_demo(demo)
        last = next(t for t in PLAN if t.key == "3.2")
        task = Task(id=2, key=last.key, title=last.title, agent_type=last.agent_type, description=last.description,
                    files=last.files)
        then, now, tools = await compare(demo, task, old)
        bench.report("the demo's last task", now / then, "× before", TARGET,
                     note=f"{now:,} tokens now, {then:,} before; tools' definitions {tools:,} tokens")
    bench.save()


if __name__ == "__main__":
    asyncio.run(main())
