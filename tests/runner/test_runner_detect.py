"""detect_test_command and command_from_config on little project folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from codeframe_tui.runner import TestCommand, command_from_config, detect_test_command


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _package(scripts: dict | None = None, dev: dict | None = None) -> str:
    return json.dumps({"name": "app", "scripts": scripts or {}, "devDependencies": dev or {}})


def _fake_venv(root: Path) -> Path:
    python = root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    return python


def test_python_project_without_venv_uses_python_on_path(tmp_path: Path) -> None:
    project = _write(tmp_path, {"pyproject.toml": "[project]\nname='x'\n"})
    cmd = detect_test_command(project, "backend")
    expected_python = shutil.which("python") or shutil.which("python3") or "python3"
    assert cmd.argv[0] == expected_python
    assert cmd.argv[1:4] == ("-m", "pytest", "-v")
    assert ("-p", "no:cacheprovider") == cmd.argv[4:6]
    assert cmd.argv[-2:] == ("--junitxml", str(cmd.junit_path))
    assert cmd.cwd == project.resolve()
    assert cmd.junit_path.parent == project.resolve() / ".codeframe" / "junit"
    assert cmd.junit_path.name.startswith("backend-") and cmd.junit_path.suffix == ".xml"
    assert not (project / ".codeframe").exists()  # detection writes nothing


def test_python_project_with_venv_uses_it(tmp_path: Path) -> None:
    project = _write(tmp_path, {"setup.py": ""})
    python = _fake_venv(project)
    cmd = detect_test_command(project, "test")
    assert cmd.argv[0] == str(python.resolve().parent / "python")
    assert ".venv" in cmd.description


@pytest.mark.parametrize(
    "marker", ["setup.cfg", "pytest.ini", "tox.ini", "tests/test_x.py", "tests/unit/x_test.py"]
)
def test_python_markers(tmp_path: Path, marker: str) -> None:
    _write(tmp_path, {marker: ""})
    assert detect_test_command(tmp_path, "backend").argv[2] == "pytest"


def test_python_backend_folder(tmp_path: Path) -> None:
    _write(tmp_path, {"backend/pyproject.toml": ""})
    cmd = detect_test_command(tmp_path, "backend")
    assert cmd.cwd == tmp_path.resolve() / "backend"


def test_each_call_names_its_own_junit_file(tmp_path: Path) -> None:
    _write(tmp_path, {"pytest.ini": ""})
    first = detect_test_command(tmp_path, "test")
    second = detect_test_command(tmp_path, "test")
    assert first.junit_path != second.junit_path
    custom = detect_test_command(tmp_path, "test", junit_dir=tmp_path / "reports")
    assert custom.junit_path.parent == (tmp_path / "reports").resolve()


def test_vitest_project(tmp_path: Path) -> None:
    project = _write(tmp_path, {"package.json": _package({"test": "vitest run"}, {"vitest": "^3"})})
    cmd = detect_test_command(project, "frontend")
    junit = cmd.junit_path
    assert junit is not None
    assert cmd.argv[1:] == (
        "test", "--silent", "--", "--reporter=default", "--reporter=junit", f"--outputFile={junit}",
    )  # fmt: skip
    assert cmd.cwd == project.resolve()


def test_jest_with_jest_junit(tmp_path: Path) -> None:
    package = _package({"test": "jest --coverage"}, {"jest": "^29", "jest-junit": "^16"})
    cmd = detect_test_command(_write(tmp_path, {"package.json": package}), "frontend")
    assert cmd.argv[3:] == ("--", "--ci", "--reporters=default", "--reporters=jest-junit")
    env = dict(cmd.env)
    assert Path(env["JEST_JUNIT_OUTPUT_DIR"]) / env["JEST_JUNIT_OUTPUT_NAME"] == cmd.junit_path


def test_jest_without_jest_junit_parses_the_summary(tmp_path: Path) -> None:
    package = _package({"test": "npx jest"}, {"jest": "^29"})
    cmd = detect_test_command(_write(tmp_path, {"package.json": package}), "frontend")
    assert cmd.argv[1:] == ("test", "--silent")
    assert cmd.junit_path is None and cmd.env == ()


def test_script_words_are_matched_whole(tmp_path: Path) -> None:
    package = _package({"test": "jester --all"}, {"jest-junit": "^16"})
    cmd = detect_test_command(_write(tmp_path, {"package.json": package}), "frontend")
    assert cmd.junit_path is None


def test_npm_placeholder_script_is_no_command(tmp_path: Path) -> None:
    placeholder = 'echo "Error: no test specified" && exit 1'
    _write(tmp_path, {"package.json": _package({"test": placeholder})})
    assert detect_test_command(tmp_path, "frontend") is None
    _write(tmp_path, {"package.json": "{not json"})
    assert detect_test_command(tmp_path, "frontend") is None


def test_python_backend_with_web_frontend(tmp_path: Path) -> None:
    _write(tmp_path, {"pyproject.toml": "", "frontend/package.json": _package({"test": "vitest"})})
    _fake_venv(tmp_path)
    frontend = detect_test_command(tmp_path, "frontend")
    assert frontend.cwd == tmp_path.resolve() / "frontend"
    assert "--reporter=junit" in frontend.argv
    assert detect_test_command(tmp_path, "backend").argv[1:3] == ("-m", "pytest")
    assert detect_test_command(tmp_path, "test").argv[1:3] == ("-m", "pytest")


def test_web_folder_and_root_package_json(tmp_path: Path) -> None:
    root = _package({"test": "node --test"})
    _write(tmp_path, {"package.json": root, "web/package.json": _package({"test": "vitest"})})
    assert detect_test_command(tmp_path, "frontend").cwd == tmp_path.resolve() / "web"


def test_single_stack_projects_serve_every_part(tmp_path: Path) -> None:
    js = _write(tmp_path / "js", {"package.json": _package({"test": "node --test"})})
    assert detect_test_command(js, "backend").argv[1] == "test"
    assert detect_test_command(js, "test").argv[1] == "test"
    py = _write(tmp_path / "py", {"pytest.ini": ""})
    assert detect_test_command(py, "frontend").argv[2] == "pytest"


def test_nothing_to_detect(tmp_path: Path) -> None:
    _write(tmp_path, {"README.md": "hi", "tests/notes.txt": ""})
    assert detect_test_command(tmp_path, "test") is None


def test_unknown_part_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        detect_test_command(tmp_path, "latest")


def test_command_from_config(tmp_path: Path) -> None:
    cmd = command_from_config("make test ARGS='-k fast'", tmp_path)
    expected = TestCommand(("make", "test", "ARGS=-k fast"), tmp_path.resolve(), None, cmd.description)
    assert cmd == expected
    assert cmd.description.startswith("configured: make test")
    assert command_from_config(["sh", "-c", "pytest && npm test"], tmp_path).argv == (
        "sh", "-c", "pytest && npm test",
    )  # fmt: skip
    with pytest.raises(ValueError):
        command_from_config("  ", tmp_path)
    with pytest.raises(ValueError):
        command_from_config([], tmp_path)
