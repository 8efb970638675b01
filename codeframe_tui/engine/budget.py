"""Caps on spend: what each task and the run may use, the questions a cap raises, and their answers.

A cap never fails a task by itself: it asks the person ("raise to ...?") and the task waits. The
answer is applied here, whether the agent still waits for it or the task starts again later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codeframe_tui.domain import Blocker, Task

SOURCE = "budget:"  # blocker source prefix, then the cap's kind
KINDS = ("usd", "tokens", "minutes", "calls", "loop", "run_usd")
_YES = re.compile(r"^\s*(y|yes|ok|okay|raise|sure|go on|continue)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\$?\s*(\d+(?:\.\d+)?)\s*([kKmM]?)")


@dataclass(frozen=True)
class Reached:
    """A cap that was reached: the question to put, and the raise a plain "yes" gives."""

    kind: str
    question: str
    suggested: float


def task_caps(settings, task: Task) -> dict[str, float]:
    """The task's caps: config first, then what the person raised them to (kept in its extra)."""
    caps = {"usd": settings.budget_task_usd, "tokens": float(settings.budget_task_tokens),
            "minutes": settings.budget_task_minutes, "calls": float(settings.max_calls_per_attempt)}
    raised = task.extra.get("budget", {})
    caps.update({k: float(v) for k, v in raised.items() if k in caps and isinstance(v, (int, float))})
    return caps


def money(value: float) -> str:
    return f"${value:.2f}"


def amount(kind: str, value: float) -> str:
    if kind in ("usd", "run_usd"):
        return money(value)
    if kind == "minutes":
        return f"{value:g} min"
    return f"{int(value):,}"


def reached_question(task: Task, kind: str, cap: float, used: float) -> Reached:
    suggested = cap * 2 if cap > 0 else 1.0
    what = {"usd": "cost cap", "tokens": "token cap", "minutes": "time cap", "calls": "cap on model calls per attempt",
            "run_usd": "run's cost cap (every agent has stopped calling the model)"}[kind]
    question = (f"Task {task.key} '{task.title}' reached its {what} of {amount(kind, cap)} "
                f"({amount(kind, used)} used). Raise it to {amount(kind, suggested)}? Answer yes, or a new cap "
                f"such as {amount(kind, suggested * 1.5)}; no stops the task.")
    if kind == "run_usd":
        question = (f"The run reached its cost cap of {money(cap)} ({money(used)} spent), at task {task.key}. "
                    f"Every agent has stopped calling the model. Raise it to {money(suggested)}? Answer yes, or a "
                    "new cap; no stops the run's model calls.")
    return Reached(kind, question, suggested)


def loop_question(task: Task, repeats: int) -> Reached:
    return Reached("loop", (
        f"Task {task.key} '{task.title}' sent the model the same request {repeats} times in a row: the agent "
        "may be stuck in a loop. Let it go on? (yes goes on; no stops the task)"), 0.0)


def parse_raise(answer: str, kind: str, suggested: float) -> float | None:
    """The new cap the answer gives: "yes" takes the suggested one, a number is the new cap (k and m
    scale token counts); anything else (no) is None, and the task stops."""
    if kind == "loop":
        return 1.0 if _YES.match(answer) else None
    found = _NUMBER.search(answer)
    if found and not answer.strip().lower().startswith("no"):
        value = float(found.group(1)) * {"": 1, "k": 1e3, "m": 1e6}[found.group(2).lower()]
        return value if value > 0 else None
    return suggested if _YES.match(answer) else None


def kind_of(blocker: Blocker) -> str | None:
    source = blocker.source or ""
    return source[len(SOURCE):] if source.startswith(SOURCE) else None


def suggested_from(question: str) -> float:
    """The raise the question offered (its "Raise it to X?"), for an answer given after a restart."""
    found = re.search(r"Raise it to \$?([\d,]+(?:\.\d+)?)", question)
    return float(found.group(1).replace(",", "")) if found else 0.0
