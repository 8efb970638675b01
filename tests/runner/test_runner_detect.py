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


def _bin(root: Path, *names: str) -> Path:
    """Stand-ins for installed tools in root/node_modules/.bin (detection only looks at them)."""
    folder = root / "node_modules" / ".bin"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    return folder


def test_vitest_project(tmp_path: Path) -> None:
    project = _write(tmp_path, {"package.json": _package({"test": "vitest"}, {"vitest": "^3"})})
    bins = _bin(project, "vitest")
    cmd = detect_test_command(project, "frontend")
    [step] = cmd.steps
    assert (step.label, step.kind, step.report_format, step.where) == ("vitest", "test", "junit", "")
    assert step.report.suffix == ".xml" and step.report.parent == project.resolve() / ".codeframe" / "junit"
    # `run`: vitest would watch in a terminal; the report flags follow the runner's own words.
    assert step.argv == ("vitest", "run", "--reporter=default", "--reporter=junit",
                         f"--outputFile.junit={step.report}")
    assert dict(step.env)["PATH"].split(":")[0] == str(bins.resolve())
    assert cmd.cwd == step.cwd == project.resolve()
    assert cmd.argv == ("npm", "test") and "vitest" in cmd.description


def test_jest_writes_its_own_json_report(tmp_path: Path) -> None:
    package = _package({"test": "jest --coverage"}, {"jest": "^29"})
    project = _write(tmp_path, {"package.json": package, "pnpm-lock.yaml": ""})
    _bin(project, "jest")
    cmd = detect_test_command(project, "frontend")
    [step] = cmd.steps
    assert step.argv == ("jest", "--coverage", "--ci", "--json", f"--outputFile={step.report}")
    assert (step.report_format, step.report.suffix, cmd.argv) == ("jest-json", ".json", ("pnpm", "test"))


def test_a_chained_script_is_one_step_per_thing_it_runs(tmp_path: Path) -> None:
    package = _package({"test": "npm run lint && npm run types && vitest run", "lint": "eslint .",
                        "types": "tsc --noEmit"})
    project = _write(tmp_path, {"package.json": package})
    _bin(project, "vitest", "eslint", "tsc")
    cmd = detect_test_command(project, "frontend")
    assert [(s.label, s.kind) for s in cmd.steps] == [("lint", "lint"), ("types", "types"), ("vitest", "test")]
    assert cmd.steps[0].argv == ("sh", "-c", "eslint .")
    assert dict(cmd.steps[1].env)["npm_lifecycle_event"] == "types"


def test_script_words_are_matched_whole(tmp_path: Path) -> None:
    project = _write(tmp_path, {"package.json": _package({"test": "jester --all"}, {"jest-junit": "^16"})})
    _bin(project, "jester")
    [step] = detect_test_command(project, "frontend").steps
    assert (step.kind, step.report, step.argv) == ("other", None, ("sh", "-c", "jester --all"))


def test_a_tool_that_is_not_installed_is_refused_with_the_install_command(tmp_path: Path) -> None:
    project = _write(tmp_path, {"package.json": _package({"test": "vitest run"}), "yarn.lock": ""})
    [step] = detect_test_command(project, "frontend").steps
    assert step.argv == () and "vitest is not installed (no node_modules/.bin)" in step.refused
    assert f"run `yarn install` in {project.resolve()}" in step.refused


def test_npm_placeholder_script_is_no_command(tmp_path: Path) -> None:
    placeholder = 'echo "Error: no test specified" && exit 1'
    _write(tmp_path, {"package.json": _package({"test": placeholder})})
    assert detect_test_command(tmp_path, "frontend") is None
    _write(tmp_path, {"package.json": "{not json"})
    assert detect_test_command(tmp_path, "frontend") is None


def test_python_backend_with_web_frontend(tmp_path: Path) -> None:
    _write(tmp_path, {"pyproject.toml": "", "frontend/package.json": _package({"test": "vitest"})})
    _bin(tmp_path / "frontend", "vitest")
    _fake_venv(tmp_path)
    frontend = detect_test_command(tmp_path, "frontend")
    [step] = frontend.steps
    assert (frontend.cwd, step.cwd, step.where) == (tmp_path.resolve(), tmp_path.resolve() / "frontend", "frontend")
    assert "--reporter=junit" in step.argv
    assert detect_test_command(tmp_path, "backend").argv[1:3] == ("-m", "pytest")
    assert detect_test_command(tmp_path, "test").argv[1:3] == ("-m", "pytest")


def test_web_folder_and_root_package_json(tmp_path: Path) -> None:
    root = _package({"test": "node --test"})
    _write(tmp_path, {"package.json": root, "web/package.json": _package({"test": "vitest"})})
    _bin(tmp_path / "web", "vitest")
    assert detect_test_command(tmp_path, "frontend").steps[0].cwd == tmp_path.resolve() / "web"


def test_single_stack_projects_serve_every_part(tmp_path: Path) -> None:
    js = _write(tmp_path / "js", {"package.json": _package({"test": "node --test"})})
    assert detect_test_command(js, "backend").steps[0].label == "node"
    assert detect_test_command(js, "test").steps[0].argv[:2] == ("node", "--test")
    py = _write(tmp_path / "py", {"pytest.ini": ""})
    assert detect_test_command(py, "frontend").argv[2] == "pytest"


def test_a_workspace_task_runs_its_own_packages_tests_and_the_suite_runs_the_roots(tmp_path: Path) -> None:
    _write(tmp_path, {
        "package.json": _package({"test": "pnpm -r test"}), "pnpm-workspace.yaml": "packages:\n  - 'packages/*'\n",
        "packages/ui/package.json": json.dumps({"name": "@app/ui", "scripts": {"test": "vitest"}}),
        "packages/api/package.json": json.dumps({"name": "@app/api", "scripts": {"test": "jest"}}),
    })
    _bin(tmp_path, "vitest", "jest")
    whole = detect_test_command(tmp_path, "frontend")
    assert [(s.label, s.where) for s in whole.steps] == [("jest", "packages/api"), ("vitest", "packages/ui")]
    mine = detect_test_command(tmp_path, "frontend", focus=["packages/ui/src/button.ts"])
    assert [(s.label, s.where) for s in mine.steps] == [("vitest", "packages/ui")]
    assert "packages/ui" in mine.description
    both = detect_test_command(tmp_path, "frontend", focus=["packages/ui/a.ts", "packages/api/b.ts"])
    assert [s.where for s in both.steps] == ["packages/api", "packages/ui"]


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
