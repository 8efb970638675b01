"""package.json test scripts as steps: splitting, references, recursion, cycles, classification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeframe_tui.runner.js.commands import classify, is_compound, parse_command, runner_of, split_steps
from codeframe_tui.runner.js.manager import PackageManager
from codeframe_tui.runner.js.scripts import Step, leaves, script_steps
from codeframe_tui.runner.js.workspace import find_workspace

NPX = ("/usr/bin/npx", "--no", "--")
PNPM_EXEC = ("/usr/bin/pnpm", "exec")


def _project(root: Path, scripts: dict[str, str], name: str = "app") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "package.json").write_text(json.dumps({"name": name, "private": True, "scripts": scripts}))
    return root


def _steps(root: Path, scripts: dict[str, str], pm: str = "npm", prefix: tuple[str, ...] = NPX) -> list[Step]:
    _project(root, scripts)
    return script_steps(root, PackageManager(pm, None, root, "test"), prefix, find_workspace(root))


def _shape(steps: list[Step]) -> list[tuple[str, str]]:
    return [(s.script, s.label) for s in steps]


def test_split_respects_quotes_and_keeps_or_together() -> None:
    script = "eslint . && tsc --noEmit; jest --ci || echo 'jest && failed; oh' \n vitest run"
    assert split_steps(script) == ["eslint .", "tsc --noEmit", "jest --ci || echo 'jest && failed; oh'", "vitest run"]
    assert split_steps('echo "a;b" && echo \\&\\& done') == ['echo "a;b"', "echo \\&\\& done"]
    assert is_compound("jest || true") and is_compound("jest | tee out.txt") and not is_compound("jest 'a||b'")


def test_environment_assignments_are_stripped() -> None:
    assert parse_command("NODE_ENV=test TZ=UTC jest --ci").env == (("NODE_ENV", "test"), ("TZ", "UTC"))
    command = parse_command("cross-env NODE_OPTIONS=--experimental-vm-modules jest")
    assert command is not None and command.words == ("jest",)
    assert command.env == (("NODE_OPTIONS", "--experimental-vm-modules"),)


@pytest.mark.parametrize(
    ("command", "runner", "kind"),
    [
        ("vitest", "vitest", "test"), ("vitest run --coverage", "vitest", "test"), ("vitest bench", None, "other"),
        ("jest --selectProjects node", "jest", "test"), ("npx jest", "jest", "test"),
        ("pnpm exec vitest run", "vitest", "test"), ("yarn exec jest", "jest", "test"),
        ("node --test test/", "node", "test"), ("node --import tsx --test src/**/*.test.ts", "node", "test"),
        ("mocha 'test/**/*.spec.js'", "mocha", "test"), ("c8 --reporter=lcov mocha", "mocha", "test"),
        ("nyc -r text mocha", "mocha", "test"), ("playwright test", "playwright", "test"),
        ("react-scripts test", "jest", "test"), ("playwright install", None, "other"),
        ("eslint . --max-warnings 0", None, "lint"), ("prettier --check .", None, "lint"),
        ("prettier --write .", None, "other"), ("biome check .", None, "lint"), ("next lint", None, "lint"),
        ("xo", None, "lint"), ("stylelint '**/*.css'", None, "lint"), ("oxlint", None, "lint"),
        ("tsc", None, "types"), ("tsc --noEmit -p tsconfig.json", None, "types"), ("vue-tsc --noEmit", None, "types"),
        ("svelte-check --tsconfig ./tsconfig.json", None, "types"), ("vite build", None, "build"),
        ("node scripts/seed.js", None, "other"),
    ],
)
def test_classify(command: str, runner: str | None, kind: str) -> None:
    parsed = parse_command(command)
    assert parsed is not None
    assert (runner_of(parsed.words), classify(parsed.words)) == (runner, kind)


def test_the_pnpm_lint_types_vitest_script_is_three_steps(tmp_path: Path) -> None:
    steps = _steps(tmp_path, {
        "test": "pnpm lint && pnpm test:types && pnpm vitest run",
        "lint": "eslint .",
        "test:types": "tsc --noEmit",
    }, pm="pnpm", prefix=PNPM_EXEC)
    assert _shape(steps) == [("lint", "lint"), ("test:types", "types"), ("test", "vitest")]
    assert [s.command for s in steps] == ["eslint .", "tsc --noEmit", "pnpm vitest run"]
    assert steps[2].argv == ("/usr/bin/pnpm", "exec", "vitest", "run")
    assert steps[0].argv == () and steps[0].package == tmp_path


@pytest.mark.parametrize(
    "script",
    [
        "jest --selectProjects node && jest --selectProjects edge",
        "jest -c jest.node.config.js && jest -c jest.edge.config.js",
        "npm run test:node && npm run test:edge",
    ],
)
def test_jest_run_twice_is_two_jest_steps(tmp_path: Path, script: str) -> None:
    steps = _steps(tmp_path, {
        "test": script,
        "test:node": "jest -c jest.node.config.js",
        "test:edge": "cross-env TEST_ENV=edge jest -c jest.edge.config.js",
    })
    assert [s.runner for s in steps] == ["jest", "jest"]
    assert steps[0].argv[: len(NPX)] == NPX and steps[0].argv[len(NPX)] == "jest"
    assert steps[0].argv != steps[1].argv


def test_script_arguments_reach_the_last_step_only(tmp_path: Path) -> None:
    steps = _steps(tmp_path, {"test": "npm run unit -- --coverage", "unit": "tsc && vitest"})
    assert steps[1].argv == (*NPX, "vitest", "run", "--coverage")
    assert steps[0].command == "tsc"


def test_pre_and_post_scripts_run_with_npm_but_not_with_pnpm(tmp_path: Path) -> None:
    scripts = {"pretest": "npm run lint", "test": "mocha", "lint": "eslint .", "posttest": "node report.js"}
    assert _shape(_steps(tmp_path / "npm", scripts)) == [("lint", "lint"), ("test", "mocha"), ("posttest", "posttest")]
    assert _shape(_steps(tmp_path / "pnpm", scripts, pm="pnpm")) == [("test", "mocha")]


def test_run_all_globs_and_concurrently(tmp_path: Path) -> None:
    scripts = {
        "test": "run-s lint 'test:*'",
        "lint": "eslint src",
        "test:unit": "vitest run",
        "test:e2e": "playwright test",
        "test:unit:watch": "vitest",  # `*` stays within one segment
    }
    expected = [("lint", "lint"), ("test:unit", "vitest"), ("test:e2e", "playwright")]
    assert _shape(_steps(tmp_path / "a", scripts)) == expected
    scripts["test"] = 'concurrently -n lint,unit -c blue,green "npm:lint" "npm run test:unit" "tsc --noEmit"'
    assert _shape(_steps(tmp_path / "b", scripts)) == [("lint", "lint"), ("test:unit", "vitest"), ("test", "types")]
    scripts["test"] = "npm-run-all --parallel --max-parallel 2 test:**"
    assert [s.script for s in _steps(tmp_path / "c", scripts)] == ["test:unit", "test:e2e", "test:unit:watch"]


def test_yarn_and_bun_script_references(tmp_path: Path) -> None:
    steps = _steps(tmp_path / "y", {"test": "yarn lint && yarn run jest --ci", "lint": "xo"}, pm="yarn")
    assert _shape(steps) == [("lint", "lint"), ("test", "jest")]
    steps = _steps(tmp_path / "b", {"test": "bun run typecheck && bun run vitest", "typecheck": "tsc -b"}, pm="bun")
    assert _shape(steps) == [("typecheck", "types"), ("test", "vitest")]


def test_cycles_and_missing_scripts_are_named_not_followed(tmp_path: Path) -> None:
    steps = _steps(tmp_path, {"test": "npm run a && npm run nope", "a": "npm run b", "b": "npm test"})
    assert [s.note for s in steps] == ["cycle: test → a → b → test", "no script named 'nope' in package.json"]
    assert {s.kind for s in steps} == {"other"}


def test_a_compound_step_keeps_its_text_and_needs_a_shell(tmp_path: Path) -> None:
    [step] = _steps(tmp_path, {"test": "jest --ci || true"})
    assert (step.runner, step.argv, step.command) == ("jest", (), "jest --ci || true")


def _monorepo(root: Path) -> Path:
    _project(root, {"test": "pnpm -r test", "test:web": "pnpm --filter @acme/web test"}, "monorepo")
    (root / "pnpm-workspace.yaml").write_text("packages:\n  - 'packages/*'\n")
    _project(root / "packages" / "web", {"test": "vitest run"}, "@acme/web")
    _project(root / "packages" / "api", {"test": "tsc --noEmit && jest"}, "@acme/api")
    _project(root / "packages" / "docs", {"build": "vite build"}, "@acme/docs")  # no test script: skipped
    return root


@pytest.mark.parametrize(
    ("pm", "script"),
    [("pnpm", "pnpm -r test"), ("npm", "npm test --workspaces"), ("npm", "npm run test -ws --if-present"),
     ("yarn", "yarn workspaces foreach -A --topological run test"), ("yarn", "yarn workspaces run test")],
)
def test_recursive_runs_expand_into_each_package(tmp_path: Path, pm: str, script: str) -> None:
    root = _monorepo(tmp_path)
    _project(root, {"test": script}, "monorepo")
    [step] = script_steps(root, PackageManager(pm, None, root, "test"), PNPM_EXEC, find_workspace(root))
    assert step.kind == "workspaces" and step.note == "test in 3 packages"
    assert [(s.package.name, s.label) for s in leaves([step])] == [("api", "types"), ("api", "jest"), ("web", "vitest")]


def test_a_filtered_run_selects_one_package(tmp_path: Path) -> None:
    root = _monorepo(tmp_path)
    workspace = find_workspace(root)
    [step] = script_steps(root, PackageManager("pnpm", None, root, "t"), PNPM_EXEC, workspace, script="test:web")
    assert [(s.package, s.argv) for s in step.children] == [(root / "packages/web", (*PNPM_EXEC, "vitest", "run"))]


def test_a_recursive_run_outside_a_workspace_is_explained(tmp_path: Path) -> None:
    [step] = _steps(tmp_path, {"test": "pnpm -r test"}, pm="pnpm")
    assert step.kind == "other" and "outside a workspace" in step.note


@pytest.mark.parametrize(
    ("script", "packages"),
    [("turbo run test", ["api", "api", "web"]), ("turbo test --concurrency 2", ["api", "api", "web"]),
     ("turbo run test --filter=@acme/web", ["web"]), ("nx run-many -t test", ["api", "api", "web"]),
     ("nx run-many --target=test --projects=@acme/web,@acme/api", ["web", "api", "api"]),
     ("nx test @acme/web", ["web"]), ("nx run @acme/api:test", ["api", "api"])],
)
def test_turbo_and_nx_run_each_packages_task(tmp_path: Path, script: str, packages: list[str]) -> None:
    root = _monorepo(tmp_path)
    _project(root, {"test": script}, "monorepo")
    steps = leaves(script_steps(root, PackageManager("pnpm", None, root, "test"), PNPM_EXEC, find_workspace(root)))
    assert [s.package.name for s in steps] == packages


def test_other_turbo_and_nx_commands_run_as_written(tmp_path: Path) -> None:
    for script in ("turbo prune web", "nx graph"):
        [step] = _steps(tmp_path, {"test": script}, pm="pnpm")
        assert (step.kind, step.children, step.command) == ("other", (), script)
