"""The tools a worker works with, and the one the lead plans through: names and JSON Schemas.

A worker's tools are fixed for its whole conversation (the API refuses thinking blocks once the
tools array changes): limits such as questions or calls left are said in tool_results, never by
taking a tool away. The text editor and bash are Anthropic's own client tools, which the models are
trained on; the engine executes every command in the task's worktree. Our own tools are `strict`, with
`additionalProperties: false`, so their inputs always match the schema.
"""

from __future__ import annotations

from typing import Any

from codeframe_tui.llm.models import BASH_TOOL, editor_tool_type

EDITOR = "str_replace_based_edit_tool"
SEARCH = "search"
LIST_FILES = "list_files"
RUN_TESTS = "run_tests"
ASK_HUMAN = "ask_human"
FINISH = "finish"
BASH = "bash"
MAX_VIEW_CHARACTERS = 20_000  # the editor's `view` answer is cut here, and the model is told so


def _strict(name: str, description: str, properties: dict, required: list[str]) -> dict:
    return strict_tool({"name": name, "description": description,
                        "input_schema": {"type": "object", "properties": properties, "required": required}})


def strict_tool(tool: dict) -> dict:
    """The tool with `strict: true` and `additionalProperties: false` on every object of its schema,
    as strict tool use requires: the model's input then always matches the schema."""
    def close(schema: object) -> object:
        if isinstance(schema, dict):
            out: dict[str, Any] = {k: close(v) if k in ("items", "anyOf", "allOf") else v for k, v in schema.items()}
            if "properties" in out:
                out["properties"] = {k: close(v) for k, v in out["properties"].items()}
            if out.get("type") == "object":
                out["additionalProperties"] = False
            return out
        if isinstance(schema, list):
            return [close(s) for s in schema]
        return schema

    return {**tool, "strict": True, "input_schema": close(tool["input_schema"])}


def editor_tool(model: str) -> dict:
    """Anthropic's text editor tool, in the version `model` is trained on."""
    return {"type": editor_tool_type(model), "name": EDITOR, "max_characters": MAX_VIEW_CHARACTERS}


SEARCH_TOOL = _strict(
    SEARCH,
    "Search the project's files (tracked, and new files that are not ignored) for a Perl-compatible "
    "regular expression, like `git grep -P`. Answers `path:line: text` lines, at most max_results of "
    "them. Use it to find where something is defined or used before you view or edit a file.",
    {
        "pattern": {"type": "string", "description": "A regular expression, e.g. 'def chunked\\('."},
        "path": {"type": "string", "description": "Only search under this folder or file (relative)."},
        "max_results": {"type": "integer", "description": "At most this many lines (default 50, at most 200)."},
    },
    ["pattern"],
)

LIST_FILES_TOOL = _strict(
    LIST_FILES,
    "List the project's files (tracked, and new files that are not ignored), optionally only those "
    "matching a glob such as 'src/**/*.py'. The repository map in your first message already shows the "
    "tree; use this for a folder it collapsed.",
    {"glob": {"type": "string", "description": "A glob relative to the project root, e.g. 'tests/*.py'."}},
    [],
)

RUN_TESTS_TOOL = _strict(
    RUN_TESTS,
    "Run the project's tests now and get the counts and the failures. With no args it runs the task's "
    "test command; args narrow it, e.g. ['tests/test_more.py'] or ['tests/test_more.py::test_chunked']. "
    "Run them after your edits and before you finish.",
    {"args": {"type": "array", "items": {"type": "string"},
              "description": "Extra arguments for the test command: test files or test ids."}},
    [],
)

ASK_HUMAN_TOOL = _strict(
    ASK_HUMAN,
    "Ask the person running this team a question when the task is unclear or a decision is "
    "theirs to make. Prefer a clear yes/no question. With blocking=true you wait for the answer "
    "before going on. With blocking=false you go on at once with the assumption you state, and "
    "the answer reaches you at your next step. Do not ask what the project's files already say.",
    {
        "question": {"type": "string", "description": "The question, at most 2000 characters."},
        "blocking": {"type": "boolean", "description": "true: wait for the answer; false: go on."},
        "yes_no": {"type": "boolean", "description": "true when 'yes' or 'no' fully answers it."},
        "assumption": {
            "type": "string",
            "description": "With blocking=false: what you will assume until the answer comes.",
        },
    },
    ["question", "blocking"],
)

FINISH_TOOL = _strict(
    FINISH,
    "Say that the task is done. The tool then runs the task's tests and the project's full suite "
    "itself; if they fail you get the failures back here and go on working.",
    {"summary": {"type": "string", "description": "One or two sentences: what you changed and why."}},
    ["summary"],
)


def bash_tool() -> dict:
    """Anthropic's bash tool: each command runs confined in the task's worktree (engine/toolbox/shell.py)."""
    return {"type": BASH_TOOL, "name": BASH}


def worker_tools(model: str, *, shell: bool = False) -> list[dict]:
    """The worker's tools, in a fixed order: the same list for every turn of a conversation. `shell`:
    the bash tool too, offered only when commands run in the sandbox, in a worktree."""
    tools = [editor_tool(model), SEARCH_TOOL, LIST_FILES_TOOL, RUN_TESTS_TOOL, ASK_HUMAN_TOOL, FINISH_TOOL]
    return [*tools, bash_tool()] if shell else tools
