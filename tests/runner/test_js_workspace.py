"""Workspace roots and packages from pnpm-workspace.yaml and package.json `workspaces`."""

from __future__ import annotations

import json
from pathlib import Path

from codeframe_tui.runner.js.workspace import find_workspace, parse_pnpm_workspace

PNPM_WORKSPACE = """\
# the apps and libraries of the monorepo
packages:
  - 'apps/*'
  - "packages/**"   # nested packages too
  - '!**/test/**'
  - tools/cli

catalog:
  react: ^18.3.1
"""


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root



def _pkg(name: str, **fields: object) -> str:
    return json.dumps({"name": name, "version": "0.0.0", **fields})


def _pnpm_repo(root: Path) -> Path:
    return write_files(root, {
        "package.json": _pkg("monorepo", private=True),
        "pnpm-workspace.yaml": PNPM_WORKSPACE,
        "apps/web/package.json": _pkg("@acme/web"),
        "apps/web/src/app.tsx": "",
        "apps/docs/README.md": "no package.json: not a package",
        "packages/ui/package.json": _pkg("@acme/ui"),
        "packages/ui/button/package.json": _pkg("@acme/ui-button"),
        "packages/ui/test/fixture/package.json": _pkg("fixture"),
        "packages/ui/node_modules/dep/package.json": _pkg("dep"),
        "tools/cli/package.json": _pkg("acme-cli"),
    })


def test_parse_pnpm_workspace_block_and_flow() -> None:
    assert parse_pnpm_workspace(PNPM_WORKSPACE) == ["apps/*", "packages/**", "!**/test/**", "tools/cli"]
    assert parse_pnpm_workspace("packages: ['apps/*', \"libs/*\"]\n") == ["apps/*", "libs/*"]
    assert parse_pnpm_workspace("onlyBuiltDependencies:\n  - esbuild\n") == []


def test_pnpm_workspace_packages(tmp_path: Path) -> None:
    root = _pnpm_repo(tmp_path)
    workspace = find_workspace(root / "apps" / "web")
    assert workspace.root == root and workspace.source == "pnpm-workspace.yaml"
    assert [p.relative_to(root).as_posix() for p in workspace.packages] == [
        "apps/web", "packages/ui", "packages/ui/button", "tools/cli",
    ]


def test_package_for_is_the_deepest_package(tmp_path: Path) -> None:
    root = _pnpm_repo(tmp_path)
    workspace = find_workspace(root)
    assert workspace.package_for(root / "apps/web/src/app.tsx") == root / "apps/web"
    assert workspace.package_for(Path("packages/ui/button/index.ts")) == root / "packages/ui/button"
    assert workspace.package_for(root / "packages/ui/src/x.ts") == root / "packages/ui"
    assert workspace.package_for(root / "scripts/release.js") == root
    # A prefix of a folder name is not containment.
    assert workspace.package_for(root / "apps/website/x.ts") == root


def test_select_by_name_path_and_exclusion(tmp_path: Path) -> None:
    root = _pnpm_repo(tmp_path)
    workspace = find_workspace(root)
    assert workspace.select("@acme/web") == (root / "apps/web",)
    assert workspace.select("@acme/ui*") == (root / "packages/ui", root / "packages/ui/button")
    assert workspace.select("./packages/**") == (root / "packages/ui", root / "packages/ui/button")
    assert workspace.select("{apps/web}") == (root / "apps/web",)
    assert workspace.select("!@acme/web") == (root / "packages/ui", root / "packages/ui/button", root / "tools/cli")
    assert workspace.select("@acme/web...") == (root / "apps/web",)


def test_npm_workspaces_array_and_yarn_classic_object(tmp_path: Path) -> None:
    npm = write_files(tmp_path / "npm", {
        "package.json": _pkg("root", workspaces=["packages/*"]),
        "packages/a/package.json": _pkg("a"),
        "packages/b/package.json": _pkg("b"),
    })
    workspace = find_workspace(npm / "packages" / "b")
    assert workspace.source == "package.json workspaces"
    assert workspace.packages == (npm / "packages/a", npm / "packages/b")
    yarn = write_files(tmp_path / "yarn", {
        "package.json": _pkg("root", workspaces={"packages": ["libs/*"], "nohoist": ["**/react-native"]}),
        "libs/core/package.json": _pkg("core"),
    })
    assert find_workspace(yarn).packages == (yarn / "libs/core",)
    assert find_workspace(yarn).names() == {"core": yarn / "libs/core"}


def test_a_lone_package_is_its_own_workspace(tmp_path: Path) -> None:
    root = write_files(tmp_path, {".git/HEAD": "", "package.json": _pkg("app"), "src/index.js": ""})
    workspace = find_workspace(root / "src")
    assert (workspace.root, workspace.packages, workspace.source) == (root, (), "")
    assert workspace.package_for(root / "src/index.js") == root


def test_a_folder_outside_the_declared_packages_is_not_a_member(tmp_path: Path) -> None:
    root = write_files(tmp_path, {
        "package.json": _pkg("root", workspaces=["packages/*"]),
        "packages/a/package.json": _pkg("a"),
        "examples/demo/package.json": _pkg("demo"),
    })
    workspace = find_workspace(root / "examples" / "demo", stop=root)
    assert workspace.root == root / "examples/demo" and workspace.packages == ()
