"""The tools the lead agent answers through while planning: a question, a PRD, a task graph."""

from __future__ import annotations

from codeframe_tui.llm.tools import strict_tool

TOPICS = ["problem", "users", "features", "constraints", "stack", "other"]

ASK_QUESTION_TOOL: dict = strict_tool({
    "name": "ask_question",
    "description": "Ask the person the single most useful next question about what to build, or say "
                   "that the answers so far are enough to write the PRD.",
    "input_schema": {
        "type": "object",
        "properties": {
            "question": {"type": "string", "description": "One focused question, at most two sentences."},
            "topic": {"type": "string", "enum": TOPICS},
            "enough": {"type": "boolean", "description": "True when no more questions are needed."},
        },
        "required": ["question", "topic", "enough"],
    },
})

WRITE_PRD_TOOL: dict = strict_tool({
    "name": "write_prd",
    "description": "Write the product requirements document, in markdown.",
    "input_schema": {
        "type": "object",
        "properties": {"markdown": {"type": "string"}},
        "required": ["markdown"],
    },
})

SUBMIT_PLAN_TOOL: dict = strict_tool({
    "name": "submit_plan",
    "description": "Decompose the PRD into issues and small tasks that agents can implement and test.",
    "input_schema": {
        "type": "object",
        "properties": {
            "issues": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"key": {"type": "string"}, "title": {"type": "string"}},
                    "required": ["key", "title"],
                },
            },
            "tasks": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string", "description": "Like 1.1, 1.2, 2.1: issue.number"},
                        "issue": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "agent_type": {"type": "string", "enum": ["backend", "frontend", "test"]},
                        "depends_on": {"type": "array", "items": {"type": "string"}},
                        "priority": {"type": "string", "enum": ["high", "medium", "low"]},
                        "acceptance": {"type": "string"},
                        "test_strategy": {"type": "string"},
                    },
                    "required": ["key", "issue", "title", "description", "agent_type", "depends_on"],
                },
            },
        },
        "required": ["issues", "tasks"],
    },
})
