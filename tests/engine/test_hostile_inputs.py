"""Hostile config and answers files: wrong types, huge files, deep nesting and unknown keys give a
clear error that names the file, and change nothing."""

from __future__ import annotations

import json

import pytest

from codeframe_tui.cli.answers_file import AnswersFileError, load_answers
from codeframe_tui.config import ConfigError, load_settings

CONFIGS = {
    "deep nesting": "model = " + "[" * 5000 + "]" * 5000 + "\n",
    "deep tables": "".join(f"[{'.'.join(['a'] * n)}]\n" for n in (1, 2)) + "x = {" * 3000 + "}" * 3000 + "\n",
    "huge": "# " + "x" * 1_100_000 + "\n",
    "unknown key": "modle = \"claude\"\n",
    "wrong type": "max_concurrent = \"four\"\n",
    "negative": "max_concurrent = -1\n",
    "bool for int": "max_retries = true\n",
    "not toml": "model = [\n",
    "budget wrong type": "[budget]\ntask_usd = \"lots\"\n",
    "budget unknown": "[budget]\nforever = 1\n",
    "landing not a table": "landing = 2\n",
    "landing unknown": "[landing]\nspeed = 2\n",
    "landing batch zero": "[landing]\nbatch = 0\n",
    "landing parallel negative": "[landing]\nparallel = -1\n",
    "landing parallel bool": "[landing]\nparallel = true\n",
    "models unknown role": "[models]\nmanager = \"claude-x\"\n",
    "pricing incomplete": "[pricing.\"claude-x\"]\ninput = 1.0\n",
    "tests not a table": "tests = 3\n",
    "secret patterns wrong": "secret_patterns = \"*.pem\"\n",
    "invalid utf-8": b"model = \"\xff\xfe\"\n",
}


@pytest.mark.parametrize("case", CONFIGS, ids=list(CONFIGS))
def test_a_hostile_config_is_a_clear_error_naming_the_file(tmp_path, case):
    config = tmp_path / ".codeframe" / "config.toml"
    config.parent.mkdir()
    text = CONFIGS[case]
    config.write_bytes(text if isinstance(text, bytes) else text.encode())
    before = config.read_bytes()
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env={})
    assert str(config) in str(caught.value) and len(str(caught.value)) < 600
    assert config.read_bytes() == before and sorted(p.name for p in config.parent.iterdir()) == ["config.toml"]


def test_the_landing_table_sets_the_merge_queue(tmp_path):
    (tmp_path / ".codeframe").mkdir()
    (tmp_path / ".codeframe" / "config.toml").write_text("[landing]\nbatch = 8\nparallel = 0\n")
    settings = load_settings(tmp_path, env={})
    assert (settings.landing_batch, settings.landing_parallel) == (8, 0)
    default = load_settings(tmp_path / "x", env={})
    assert (default.landing_batch, default.landing_parallel) == (4, 1)


ANSWERS = {
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "not an object": json.dumps(["yes"]),
    "answer not a string": json.dumps({"1.2": 3}),
    "bad pattern": json.dumps({"(unclosed": "yes"}),
    "not json": "{",
}


@pytest.mark.parametrize("case", ANSWERS, ids=list(ANSWERS))
def test_a_hostile_answers_file_is_a_clear_error(tmp_path, case):
    path = tmp_path / "answers.json"
    path.write_text(ANSWERS[case])
    with pytest.raises(AnswersFileError) as caught:
        load_answers(path)
    assert str(path) in str(caught.value) and len(str(caught.value)) < 600


def test_headless_lines_carry_no_terminal_escape_and_no_key():
    import io

    from codeframe_tui.cli.headless import TextSink
    from codeframe_tui.domain.safe_text import hide_secret
    from codeframe_tui.engine.events import BlockerCreated, TaskStatusChanged

    key = "sk-ant-api03-HEADLESS-0123456789abcdef"
    hide_secret(key)
    out = io.StringIO()
    sink = TextSink(out)
    sink(TaskStatusChanged(task_id="1\x1b[2J", title="t", status="failed", agent_id=None, previous="running",
                           reason=f"[red]x[/red]\x1b]0;pwned\x07\nnext line {key}\x9b2J"))
    sink(BlockerCreated(task_id="1", blocker_id=1, question="Which?\x1b[10;10H\x07", agent_id="backend-1"))
    text = out.getvalue()
    assert not any(c in text for c in "\x1b\x07\x9b\x9d") and "pwned" not in text
    assert "[red]x[/red]" in text and "next line [hidden]" in text and key[-12:] not in text
    assert text.count("\n") == 2  # one line per event, whatever the reason held
