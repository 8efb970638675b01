"""Caps on spend: what each task and the run may use, the questions a cap raises, and their answers.

A cap never fails a task by itself: it asks the person ("raise to ...?") and the task waits. The
answer is applied here, whether the agent still waits for it or the task starts again later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codeframe_tui.config import Settings
from codeframe_tui.domain import Blocker, Task

SOURCE = "budget:"  # blocker source: budget:<kind>:<suggested raise>[:<run id>]
KINDS = ("usd", "tokens", "minutes", "calls", "loop", "run_usd")
MAX_CAP_QUESTIONS = 4  # per task and go: answers that do not lift the cap stop it after this many
_YES = re.compile(r"^\s*(y|yes|yeah|yep|ok|okay|sure|raise|double|go|continue|keep going|let it)\b", re.IGNORECASE)
_NO = re.compile(r"^\s*(n|no|nope|stop|don'?t|do not|never|cancel)\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])(-?\d[\d,]*(?:\.\d+)?)\s*(k|m|thousand|million)?(?![a-z])", re.IGNORECASE)
_SCALE = {"": 1, "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}


class Unclear(ValueError):
    """An answer that neither raises a cap nor says no: the person is asked again."""


@dataclass(frozen=True)
class Reached:
    """A cap that was reached: the question to put, and the raise a plain "yes" gives."""

    kind: str
    question: str
    suggested: float
    run_id: int | None = None

    @property
    def source(self) -> str:
        tail = f":{self.run_id}" if self.run_id is not None else ""
        return f"{SOURCE}{self.kind}:{self.suggested!r}{tail}"


def task_caps(settings: Settings, task: Task) -> dict[str, float]:
    """The task's caps: the config's, or what the person raised them to (kept in its extra), whichever
    is higher; a cap the config turns off (0) stays off."""
    caps = {"usd": settings.budget_task_usd, "tokens": float(settings.budget_task_tokens),
            "minutes": settings.budget_task_minutes, "calls": float(settings.max_calls_per_attempt)}
    raised = task.extra.get("budget", {})
    for kind, value in raised.items():
        if kind in caps and caps[kind] > 0 and isinstance(value, (int, float)):
            caps[kind] = max(caps[kind], float(value))
    return caps


def money(value: float) -> str:
    return f"${value:.2f}"


def amount(kind: str, value: float) -> str:
    if kind in ("usd", "run_usd"):
        return money(value)
    if kind == "minutes":
        return f"{value:g} min"
    return f"{int(value):,}"


def reached_question(task: Task, kind: str, cap: float, used: float, run_id: int | None = None) -> Reached:
    # From what is used, not only the cap: one call can overshoot, and "yes" must then be enough.
    suggested = round(max(cap, used) * 2, 2) if max(cap, used) > 0 else 1.0
    what = {"usd": "cost cap", "tokens": "token cap", "minutes": "time cap", "calls": "cap on model calls per attempt",
            "run_usd": "run's cost cap (every agent has stopped calling the model)"}[kind]
    question = (f"Task {task.key} '{task.title[:200]}' reached its {what} of {amount(kind, cap)} "
                f"({amount(kind, used)} used). Raise it to {amount(kind, suggested)}? Answer yes, or a new cap "
                f"such as {amount(kind, suggested * 1.5)}; no stops the task.")
    if kind == "run_usd":
        question = (f"The run reached its cost cap of {money(cap)} ({money(used)} spent), at task {task.key}. "
                    f"Every agent has stopped calling the model. Raise it to {money(suggested)}? Answer yes, or a "
                    "new cap; no stops the run's model calls.")
    return Reached(kind, question, suggested, run_id)


def loop_question(task: Task, repeats: int) -> Reached:
    return Reached("loop", (
        f"Task {task.key} '{task.title[:200]}' gave the model's same answer {repeats} times in a row, with the "
        "same result: the agent may be stuck in a loop. Let it go on? (yes goes on; no stops the task)"), 0.0)


def parse_raise(answer: str, kind: str, suggested: float) -> float | None:
    """The new cap the answer gives, or None for no (the task stops); raises Unclear otherwise.

    "yes" takes the suggested raise; a number is the new cap ("$1,000", "2.50", and for tokens
    "500k" or "2m"). A number with a no ("no, 5 is too much") is a no.
    """
    if _NO.match(answer):
        return None
    if kind == "loop":
        if _YES.match(answer):
            return 1.0
        raise Unclear("answer yes or no")
    found = _NUMBER.search(answer)
    if found:
        scale = found.group(2) or ""
        if scale and kind != "tokens":
            raise Unclear(f"'{found.group(0).strip()}' is not an amount for a {kind} cap")
        value = float(found.group(1).replace(",", "")) * _SCALE[scale.lower()]
        if value <= 0:
            raise Unclear("a cap must be above zero")
        return value
    if _YES.match(answer):
        return suggested
    raise Unclear("answer yes, a new cap, or no")


@dataclass(frozen=True)
class CapBlocker:
    kind: str
    suggested: float
    run_id: int | None


def cap_of(blocker: Blocker) -> CapBlocker | None:
    """What a cap's question asked, from its blocker's source (None for any other question)."""
    source = blocker.source or ""
    if not source.startswith(SOURCE):
        return None
    parts = source[len(SOURCE):].split(":")
    try:
        suggested = float(parts[1]) if len(parts) > 1 else 0.0
        run_id = int(parts[2]) if len(parts) > 2 else None
    except ValueError:
        suggested, run_id = 0.0, None
    return CapBlocker(parts[0], suggested, run_id)
