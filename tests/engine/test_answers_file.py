"""The headless answers file: task ids win, then patterns in file order; bad files are named errors."""

from __future__ import annotations

import json

import pytest

from codeframe_tui.cli.answers_file import AnswersFileError, load_answers
from codeframe_tui.domain import Blocker


def book(tmp_path, data):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return load_answers(path)


def blocker(key: str, question: str) -> Blocker:
    return Blocker(id=1, task_key=key, question=question)


def test_a_task_id_wins_over_a_pattern_and_patterns_go_in_order(tmp_path):
    answers = book(tmp_path, {"uuid": "no", "(?i)UUID|integer": "maybe", "3.2": "yes"})
    assert answers(blocker("3.2", "Use a UUID?")) == "yes"
    assert answers(blocker("1.1", "Use a UUID?")) == "no"
    assert answers(blocker("1.1", "An integer?")) == "maybe"
    assert answers(blocker("1.1", "Tabs or spaces?")) is None
    assert answers.used == [(1, "3.2"), (1, "uuid"), (1, "(?i)UUID|integer")]


def test_a_task_id_key_is_not_a_pattern(tmp_path):
    """"3.2" must not answer another task's question that merely mentions 3.2 (or 3x2)."""
    answers = book(tmp_path, {"3.2": "yes"})
    assert answers(blocker("2.2", "Task 3.2 waits on it (3x2)")) is None


@pytest.mark.parametrize("content,message", [
    ("[1, 2]", "must be a JSON object"),
    ("{}", "must be a JSON object"),
    ("{not json", "not valid JSON"),
    ('{"a": ""}', "must be a non-empty string"),
    ('{"a": 3}', "must be a non-empty string"),
    ('{"": "x"}', "empty key"),
    ('{"[": "x"}', "not a valid pattern"),
    (json.dumps({"a": "x" * 5001}), "over 5000"),
])
def test_bad_files_are_refused_with_the_reason(tmp_path, content, message):
    with pytest.raises(AnswersFileError, match=message):
        book(tmp_path, content)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(AnswersFileError, match="no such answers file"):
        load_answers(tmp_path / "nope.json")
