"""`codeframe-tui config`: every setting, its value and its origin, as text (80 columns) and JSON; a
bad file is refused with exit 2, naming the file and the key."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from isolation import config_home_env

from codeframe_tui.config import Settings, load_layered
from codeframe_tui.config.layers import user_config_file
from codeframe_tui.config.report import as_text, rows


def config(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codeframe_tui", "config", *args], capture_output=True,
                          text=True, timeout=60,
                          env={**config_home_env(), "PATH": "/usr/bin:/bin", "HOME": str(home), **env})


@pytest.fixture
def layered_project(tmp_path) -> Path:
    """A user file setting the model and [landing] parallel; a project file setting [landing] batch."""
    user = user_config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('model = "claude-user-pick"\n[landing]\nparallel = 2\n[models]\nlead = "lead-pick"\n')
    project = tmp_path / "p"
    (project / ".codeframe").mkdir(parents=True)
    (project / ".codeframe" / "config.toml").write_text("[landing]\nbatch = 8\n")
    return project


def by_key(settings: list[dict]) -> dict[str, dict]:
    return {row["key"]: row for row in settings}


def test_json_gives_every_setting_its_value_and_origin(layered_project, tmp_path):
    proc = config("--dir", str(layered_project), "--json", home=tmp_path, CODEFRAME_MODEL="",
                  ANTHROPIC_BASE_URL="http://127.0.0.1:9")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    user, project = str(user_config_file()), str(layered_project / ".codeframe" / "config.toml")
    assert out["user_file"] == {"path": user, "exists": True}
    assert out["project_file"] == {"path": project, "exists": True}
    got = by_key(out["settings"])
    assert got["model"] == {"key": "model", "value": "claude-user-pick", "origin": user}
    assert got["landing.parallel"] == {"key": "landing.parallel", "value": 2, "origin": user}
    assert got["landing.batch"] == {"key": "landing.batch", "value": 8, "origin": project}
    assert got["models.lead"]["origin"] == user
    assert got["max_retries"] == {"key": "max_retries", "value": 1, "origin": "default"}
    assert got["base_url"] == {"key": "base_url", "value": "http://127.0.0.1:9", "origin": "env ANTHROPIC_BASE_URL"}
    assert got["api_key"] == {"key": "api_key", "value": None, "origin": "default"}


def test_the_api_key_is_never_shown(layered_project, tmp_path):
    proc = config("--dir", str(layered_project), "--json", home=tmp_path, ANTHROPIC_API_KEY="sk-never-shown-1234")
    assert "never-shown" not in proc.stdout + proc.stderr
    assert by_key(json.loads(proc.stdout)["settings"])["api_key"] == {
        "key": "api_key", "value": "(hidden)", "origin": "env ANTHROPIC_API_KEY"}


def test_text_is_aligned_names_origins_and_fits_80_columns(layered_project, tmp_path):
    proc = config("--dir", str(layered_project), home=tmp_path, CODEFRAME_MODEL="claude-" + "x" * 90)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"user file:    {user_config_file()}"
    assert lines[1] == f"project file: {layered_project / '.codeframe' / 'config.toml'}"
    table = lines[3:]
    assert table[0].split() == ["setting", "value", "from"]
    assert all(len(line) <= 80 for line in table), max(table, key=len)
    value_at = table[0].index("value")
    rows_ = {line.split()[0]: line for line in table[1:]}
    assert all(line[value_at - 2:value_at] == "  " and line[value_at] != " " for line in table[1:])
    assert rows_["model"].endswith("env CODEFRAME_MODEL") and "…" in rows_["model"]
    assert rows_["landing.parallel"].split()[1:] == ["2", "user"]
    assert rows_["landing.batch"].split()[1:] == ["8", "project"]
    assert rows_["models.lead"].split()[1:] == ['"lead-pick"', "user"]
    assert rows_["notify.bell"].split()[1:] == ["true", "default"]


def test_with_no_files_everything_is_a_default_and_the_user_path_is_shown(tmp_path):
    (tmp_path / "p").mkdir()
    proc = config("--dir", str(tmp_path / "p"), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"user file:    {user_config_file()} (none there)"
    assert {line.split()[-1] for line in proc.stdout.splitlines()[4:]} == {"default"}


@pytest.mark.parametrize("which", ["user", "project"])
def test_a_bad_file_is_exit_2_naming_the_file_and_key(layered_project, tmp_path, which):
    bad = user_config_file() if which == "user" else layered_project / ".codeframe" / "config.toml"
    bad.write_text("[budget]\ntask_usd = -1\n")
    proc = config("--dir", str(layered_project), home=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"codeframe-tui: {bad}: [budget] task_usd must be a number >= 0")


def test_a_missing_project_folder_is_exit_2(tmp_path):
    proc = config("--dir", str(tmp_path / "nowhere"), home=tmp_path)
    assert proc.returncode == 2 and "is not a folder" in proc.stderr


def test_every_setting_a_person_writes_has_a_row(tmp_path):
    # A new Settings field must show up in `config` (and under the name a file gives it).
    shown = {row["key"].split(".")[0] for row in rows(load_layered(tmp_path, env={}))}
    hidden = {"project", "offline"}
    assert len(rows(load_layered(tmp_path, env={}))) == len(fields(Settings)) - len(hidden)
    assert {"model", "notify", "budget", "landing", "sandbox", "import", "tests", "models", "pricing"} <= shown


def test_control_characters_in_a_value_do_not_reach_the_terminal(tmp_path):
    user = user_config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('worktree_setup = "make \\u001b[2J setup"\n')
    text = "\n".join(as_text(load_layered(tmp_path, env={})))
    assert "\x1b" not in text and "worktree_setup" in text
