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
