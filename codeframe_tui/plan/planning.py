"""Planning from a goal: discovery questions, the PRD, and its decomposition into a task graph."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

from codeframe_tui.domain import AgentType, NewTask
from codeframe_tui.domain.graph import PlanError, validate_dependencies
from codeframe_tui.llm.client import ModelClient, ModelReplyError
from codeframe_tui.plan.model import (
    MAX_NAME_CHARS,
    MAX_TASKS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    control_character,
    scrub,
)
from codeframe_tui.plan.tools import ASK_QUESTION_TOOL, SUBMIT_PLAN_TOOL, TOPICS, WRITE_PRD_TOOL

log = logging.getLogger(__name__)

MAX_QUESTIONS = 8
# Asked in this order when the model cannot be reached, so discovery never dead-ends.
FALLBACK_QUESTIONS: list[tuple[str, str]] = [
    ("problem", "What problem should this project solve?"),
    ("users", "Who will use it, and how?"),
    ("features", "Which features are must-haves for a first version?"),
    ("constraints", "What constraints matter (deadlines, performance, security, hosting)?"),
    ("stack", "Which languages, frameworks or tools should it use?"),
]
SYSTEM = (
    "You are the lead engineer of a small team of coding agents. You are planning a project with "
    "the person who wants it. Be concrete and brief."
)


@dataclass(frozen=True)
class QA:
    question: str
    topic: str
    answer: str | None  # None: the person skipped it


@dataclass(frozen=True)
class Question:
    text: str
    topic: str
    from_model: bool


class DecompositionError(ValueError):
    """The model's task graph was unusable; the message names the task and the problem."""


def transcript(goal: str, answers: list[QA]) -> str:
    lines = [f"Goal: {goal.strip() or '(not given)'}"]
    for qa in answers:
        lines += [f"Q ({qa.topic}): {qa.question}", f"A: {qa.answer if qa.answer is not None else '(skipped)'}"]
    return "\n".join(lines)


async def next_question(model: ModelClient | None, goal: str, answers: list[QA]) -> Question | None:
    """The next question, chosen by the model from the answers so far; None when discovery is done."""
    if len(answers) >= MAX_QUESTIONS:
        return None
    if model is not None:
        try:
            call = await model.lead_call(system=SYSTEM, tool=ASK_QUESTION_TOOL, messages=[{
                "role": "user",
                "content": transcript(goal, answers) + "\n\nAsk the next question, or say it is enough.",
            }])
            data = call.input
            if data.get("enough") is True:
                return None
            text, topic = data.get("question"), data.get("topic")
            if isinstance(text, str) and text.strip() and topic in TOPICS:
                return Question(text.strip()[:500], topic, from_model=True)
            log.warning("unusable question from the model: %r", data)
        except ModelReplyError as exc:
            log.warning("discovery falls back to fixed questions: %s", exc)
    asked = {qa.topic for qa in answers}
    for topic, text in FALLBACK_QUESTIONS:
        if topic not in asked:
            return Question(text, topic, from_model=False)
    return None


async def write_prd(model: ModelClient | None, goal: str, answers: list[QA]) -> str:
    """The PRD in markdown: by the model, or assembled from the answers when it cannot be reached."""
    if model is not None:
        try:
            call = await model.lead_call(system=SYSTEM, tool=WRITE_PRD_TOOL, messages=[{
                "role": "user",
                "content": transcript(goal, answers) + "\n\nWrite the PRD: overview, users, must-have "
                           "features, constraints, tech stack, out of scope.",
            }])
            text = call.input.get("markdown")
            if isinstance(text, str) and text.strip():
                return text.strip() + "\n"
        except ModelReplyError as exc:
            log.warning("the PRD is assembled from the answers: %s", exc)
    parts = [f"# PRD\n\n{goal.strip()}\n", "_Assembled from the discovery answers; the model was not reached._\n"]
    for qa in answers:
        if qa.answer:
            parts.append(f"## {qa.topic.capitalize()}\n\n**{qa.question}**\n\n{qa.answer}\n")
    return "\n".join(parts)


PRD_FILE = Path(".codeframe") / "prd.md"  # under the project


def save_prd(project: Path, markdown: str) -> Path:
    """Write `.codeframe/prd.md` atomically: a crash leaves the old PRD or the new one, never half."""
    target = project / PRD_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".prd-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(markdown)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


async def decompose(model: ModelClient, prd: str) -> tuple[list[tuple[str, str]], list[NewTask]]:
    """Issues and tasks from the PRD, through structured output, checked before anything is stored."""
    call = await model.lead_call(system=SYSTEM, tool=SUBMIT_PLAN_TOOL, messages=[{
        "role": "user",
        "content": f"PRD:\n\n{prd}\n\nDecompose it into issues and small tasks with dependencies, "
                   "acceptance criteria and a test strategy each.",
    }])
    return parse_plan(call.input)


def parse_plan(data: dict) -> tuple[list[tuple[str, str]], list[NewTask]]:
    issues_raw, tasks_raw = data.get("issues"), data.get("tasks")
    if not isinstance(issues_raw, list) or not isinstance(tasks_raw, list) or not tasks_raw:
        raise DecompositionError("the plan needs a list of issues and a non-empty list of tasks")
    if len(tasks_raw) > MAX_TASKS or len(issues_raw) > MAX_TASKS:
        raise DecompositionError(f"the plan has more than {MAX_TASKS:,} tasks or issues")
    issues: list[tuple[str, str]] = []
    for item in issues_raw:
        if not isinstance(item, dict) or not _key(item.get("key")) or not _text(item.get("title")):
            raise DecompositionError(f"an issue needs a key and a title: {item!r:.120}")
        issues.append((item["key"].strip(), scrub(item["title"], limit=MAX_TITLE_CHARS, one_line=True)))
    issue_keys = {k for k, _ in issues}
    tasks: list[NewTask] = []
    seen: set[str] = set()
    for item in tasks_raw:
        key = item.get("key") if isinstance(item, dict) else None
        if not _key(key):
            raise DecompositionError(f"a task has no key (one line, at most {MAX_NAME_CHARS} characters): "
                                     f"{scrub(repr(item), limit=120)}")
        key = key.strip()
        if key in seen:
            raise DecompositionError(f"task {key} appears twice")
        seen.add(key)
        if not _text(item.get("title")):
            raise DecompositionError(f"task {key} has no title")
        if item.get("agent_type") not in {str(a) for a in AgentType}:
            raise DecompositionError(f"task {key}: agent_type must be backend, frontend or test")
        deps = item.get("depends_on", [])
        if not isinstance(deps, list) or not all(_text(d) for d in deps):
            raise DecompositionError(f"task {key}: depends_on must be a list of task keys")
        issue = item.get("issue") if isinstance(item.get("issue"), str) else ""
        if issue and issue not in issue_keys:
            raise DecompositionError(f"task {key} names unknown issue {issue}")
        priority = item.get("priority") if item.get("priority") in ("high", "medium", "low") else "medium"
        tasks.append(NewTask(
            key=key, title=scrub(item["title"], limit=MAX_TITLE_CHARS, one_line=True),
            agent_type=AgentType(item["agent_type"]), description=_long(item.get("description")),
            depends_on=tuple(d.strip() for d in deps), issue_key=issue, priority=priority,
            acceptance=_long(item.get("acceptance")), test_strategy=_long(item.get("test_strategy")),
        ))
    try:
        validate_dependencies({t.key: t.depends_on for t in tasks})
    except PlanError as exc:
        raise DecompositionError(str(exc)) from exc
    return issues, tasks


def _text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _key(value: object) -> TypeGuard[str]:
    """A key the model gave: one line, short, no control characters (it names branches and files)."""
    return _text(value) and len(value.strip()) <= MAX_NAME_CHARS and not control_character(value, one_line=True)


def _long(value: object) -> str:
    return scrub(value if isinstance(value, str) else "", limit=MAX_TEXT_CHARS)
