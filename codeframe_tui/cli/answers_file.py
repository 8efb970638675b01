"""A headless run's answers file: a task id or a question pattern, mapped to the answer to give."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from codeframe_tui.domain import MAX_ANSWER_CHARS, Blocker


class AnswersFileError(ValueError):
    """The answers file cannot be used; the message names the file and the entry."""


_TASK_ID = re.compile(r"[A-Za-z]{0,3}\d+(?:[.\-]\d+)*")


@dataclass(frozen=True)
class AnswerRule:
    key: str  # as written in the file
    pattern: re.Pattern[str] | None  # None: the key is a task id and matches that task only
    answer: str


class AnswerBook:
    """Answers a blocker from the file. A key that looks like a task id (3.2, T12, N4) answers that
    task's questions, and wins; any other key is a case-insensitive regular expression, and the
    first one found in the question answers it, in the file's order."""

    def __init__(self, rules: list[AnswerRule]) -> None:
        self.rules = rules
        self.used: list[tuple[int, str]] = []  # (blocker id, rule key): what answered what

    def __call__(self, blocker: Blocker) -> str | None:
        for rule in self.rules:
            if rule.pattern is None and rule.key == blocker.task_key:
                return self._use(blocker, rule)
        for rule in self.rules:
            if rule.pattern is not None and rule.pattern.search(blocker.question):
                return self._use(blocker, rule)
        return None

    def _use(self, blocker: Blocker, rule: AnswerRule) -> str:
        self.used.append((blocker.id, rule.key))
        return rule.answer


def load_answers(path: Path) -> AnswerBook:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnswersFileError(f"{path}: no such answers file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnswersFileError(f"{path}: cannot read it: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise AnswersFileError(f"{path}: not valid JSON: {exc}") from exc
    except RecursionError:  # the json module recurses per nesting level
        raise AnswersFileError(f"{path}: nested too deeply to be an answers file") from None
    if not isinstance(data, dict) or not data:
        raise AnswersFileError(
            f'{path}: must be a JSON object mapping a task id or a question pattern to its answer, '
            'like {"3.2": "yes", "round.*decimals": "two decimals"}'
        )
    rules = []
    for key, answer in data.items():
        if not isinstance(answer, str) or not answer.strip():
            raise AnswersFileError(f"{path}: the answer for {key!r} must be a non-empty string")
        if len(answer) > MAX_ANSWER_CHARS:
            raise AnswersFileError(f"{path}: the answer for {key!r} is over {MAX_ANSWER_CHARS} characters")
        if not key.strip():
            raise AnswersFileError(f"{path}: an empty key would match every question")
        if _TASK_ID.fullmatch(key.strip()):
            rules.append(AnswerRule(key.strip(), None, answer))
            continue
        try:
            pattern = re.compile(key, re.IGNORECASE)
        except re.error as exc:
            raise AnswersFileError(f"{path}: {key!r} is not a valid pattern: {exc}") from exc
        rules.append(AnswerRule(key, pattern, answer))
    return AnswerBook(rules)
