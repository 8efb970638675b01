"""The tool the model must call to hand back its work, with its JSON Schema."""

from __future__ import annotations

SUBMIT_CHANGES = "submit_changes"

SUBMIT_CHANGES_TOOL: dict = {
    "name": SUBMIT_CHANGES,
    "description": (
        "Submit the complete set of file changes for the task. Every written file must carry its "
        "full new content, not a diff. Paths are relative to the project root, with forward slashes."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "summary": {
                "type": "string",
                "description": "One or two sentences on what these changes do and why.",
            },
            "files": {
                "type": "array",
                "description": "The files to write or delete.",
                "items": {
                    "type": "object",
                    "properties": {
                        "path": {"type": "string", "description": "Relative path, e.g. src/app/models.py"},
                        "action": {"type": "string", "enum": ["write", "delete"]},
                        "content": {"type": "string", "description": "Full file content for write."},
                    },
                    "required": ["path", "action"],
                },
            },
        },
        "required": ["summary", "files"],
    },
}

ASK_HUMAN = "ask_human"

ASK_HUMAN_TOOL: dict = {
    "name": ASK_HUMAN,
    "description": (
        "Ask the person running this team a question when the task is unclear or a decision is "
        "theirs to make. Prefer a clear yes/no question. With blocking=true you wait for the answer "
        "before going on. With blocking=false you go on at once with the assumption you state, and "
        "the answer reaches you at your next step. Do not ask what the project's files already say."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "question": {"type": "string", "description": "The question, at most 2000 characters."},
            "blocking": {"type": "boolean", "description": "true: wait for the answer; false: go on."},
            "yes_no": {"type": "boolean", "description": "true when 'yes' or 'no' fully answers it."},
            "assumption": {
                "type": "string",
                "description": "With blocking=false: what you will assume until the answer comes.",
            },
        },
        "required": ["question", "blocking"],
    },
}
