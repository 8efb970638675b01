"""The user config file: where it is, how it layers under the project's, its checks, and that no test
ever reads the person's own."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from codeframe_tui.config import ConfigError, load_layered, load_settings
from codeframe_tui.config.layers import USER_DIR_ENV, user_config_dir, user_config_file


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def user_file() -> Path:
    return user_config_file()


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "p").mkdir()
    return tmp_path / "p"


def project_file(project: Path, text: str) -> Path:
    return write(project / ".codeframe" / "config.toml", text)


# -- isolation: the conftest's promise --------------------------------------------------------------

def test_the_user_config_dir_under_test_is_a_tmp_dir_not_the_real_home(tmp_path_factory):
    real_home = Path(pwd.getpwuid(os.getuid()).pw_dir).resolve()
    here = user_config_dir()
    assert os.environ[USER_DIR_ENV] and here == Path(os.environ[USER_DIR_ENV]).resolve()
    assert here.is_relative_to(tmp_path_factory.getbasetemp().resolve())
    assert not here.is_relative_to(real_home / ".config")
    assert list(here.iterdir()) == []  # each test starts with no user file


def test_a_child_process_inherits_the_tests_user_config_dir():
    out = subprocess.run([sys.executable, "-c", "from codeframe_tui.config.layers import user_config_dir as d; "
                          "print(d())"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(user_config_dir())


def test_each_test_gets_its_own_user_config_dir(user_file):
    # Written here; the isolation test above (any order) finds its own folder empty.
    write(user_file, 'model = "left-by-a-test"\n')
    assert load_settings(Path("/nonexistent")).model == "left-by-a-test"


def test_without_the_override_the_platform_place_is_used(monkeypatch, tmp_path):
    monkeypatch.delenv(USER_DIR_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert user_config_file() == tmp_path / "xdg" / "codeframe-tui" / "config.toml"
    monkeypatch.setenv(USER_DIR_ENV, "~/elsewhere")
    assert user_config_file() == Path(os.environ["HOME"]).resolve() / "elsewhere" / "config.toml"


# -- layering ---------------------------------------------------------------------------------------

def test_a_project_file_setting_one_key_keeps_the_users_others(user_file, project):
    write(user_file, 'model = "claude-user-pick"\nmax_concurrent = 2\nsandbox = "none"\n'
                     '[landing]\nbatch = 2\nparallel = 3\n[notify]\nbell = false\n[budget]\nrun_usd = 50.0\n')
    project_file(project, "[landing]\nbatch = 8\n")
    layered = load_layered(project, env={})
    s = layered.settings
    assert (s.model, s.max_concurrent, s.landing_batch, s.landing_parallel) == ("claude-user-pick", 2, 8, 3)
    assert (s.notify_bell, s.notify_desktop, s.budget_run_usd, s.sandbox) == (False, True, 50.0, "none")
    assert layered.origins["model"] == str(user_file)
    assert layered.origins["landing_batch"] == str(project / ".codeframe" / "config.toml")
    assert layered.origins["landing_parallel"] == str(user_file)
    assert "max_retries" not in layered.origins  # a default


def test_the_project_overrides_the_user_then_env_then_flags(user_file, project):
    write(user_file, 'model = "from-user"\nreview = "auto"\n')
    project_file(project, 'model = "from-project"\n')
    assert load_settings(project, env={}).model == "from-project"
    layered = load_layered(project, env={"CODEFRAME_MODEL": "from-env"}, review="review")
    assert (layered.settings.model, layered.settings.review) == ("from-env", "review")
    assert (layered.origins["model"], layered.origins["review"]) == ("env CODEFRAME_MODEL", "flag")


def test_tables_of_named_entries_merge_per_entry(user_file, project):
    write(user_file, '[models]\nlead = "u-lead"\nbackend = "u-back"\n[sandbox.env]\nA = "1"\n'
                     '[pricing."m-user"]\ninput = 1\noutput = 2\ncache_write = 3\ncache_read = 4\n')
    project_file(project, '[models]\nbackend = "p-back"\n[sandbox]\nenv = {B = "2"}\n')
    layered = load_layered(project, env={})
    s = layered.settings
    assert dict(s.models) == {"lead": "u-lead", "backend": "p-back"}
    assert dict(s.sandbox_env) == {"A": "1", "B": "2"}
    assert dict(s.pricing) == {"m-user": (1.0, 2.0, 3.0, 4.0)}
    assert layered.origins[("models", "lead")] == str(user_file)
    assert layered.origins[("models", "backend")].endswith(".codeframe/config.toml")


def test_secret_patterns_add_up_a_project_cannot_drop_the_users(user_file, project):
    write(user_file, 'secret_patterns = ["*.pem", "vault/*"]\n')
    project_file(project, 'secret_patterns = ["deploy/*.key", "*.pem"]\n')
    layered = load_layered(project, env={})
    assert layered.settings.secret_patterns == ("*.pem", "vault/*", "deploy/*.key")
    assert layered.origins["secret_patterns"] == f"{user_file} + {project / '.codeframe' / 'config.toml'}"


def test_a_flag_replaces_a_table_whole(user_file, project):
    write(user_file, '[models]\nlead = "u-lead"\n')
    layered = load_layered(project, env={}, models={"test": "flagged"})
    assert dict(layered.settings.models) == {"test": "flagged"}
    assert layered.origins == {("models", "test"): "flag"}


def test_user_file_false_leaves_the_user_layer_out(user_file, project):
    write(user_file, 'model = "from-user"\n')
    assert load_settings(project, env={}, user_file=False).model != "from-user"
    other = write(project.parent / "other.toml", 'model = "from-other"\n')
    assert load_settings(project, env={}, user_file=other).model == "from-other"


# -- the user file is checked as the project's is, and named --------------------------------------

@pytest.mark.parametrize(("text", "named"), [
    ("model = [\n", "not valid TOML"),
    ("colour = 1\n", "unknown key 'colour'"),
    ("[landing]\nbatch = 0\n", "[landing] batch"),
    ("[budget]\ntask_usd = -1\n", "[budget] task_usd"),
    ('sandbox = "sometimes"\n', "sandbox mode"),
    ('[models]\nboss = "x"\n', "[models] key 'boss'"),
    ("[notify]\nbell = 1\n", "[notify] bell"),
    ("max_concurrent = 0\n", "max_concurrent"),
])
def test_a_bad_user_file_is_refused_naming_it_and_the_key(user_file, project, text, named):
    write(user_file, text)
    project_file(project, 'model = "fine"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(project, env={})
    assert str(caught.value).startswith(f"{user_file}: ")
    assert named in str(caught.value)
