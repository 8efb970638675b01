"""Small real JavaScript/TypeScript projects, written by the tests (never copied), on real tools.

The tools (vitest, jest with ts-jest and jsdom, mocha, eslint, typescript) are installed once by
`make js-tools` from tests/js_tools/package-lock.json, like the Python test dependencies, so the
tests themselves never touch the network. Each project's node_modules is a link to that install.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).parent / "js_tools" / "node_modules"
NO_NODE = shutil.which("node") is None


@functools.cache
def node_major() -> int:
    found = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.match(r"v(\d+)", found.strip())
    return int(match.group(1)) if match else 0


def tools() -> Path:
    """The installed tools; skips without node (or one too old for vitest 4, which needs 20), and
    fails (not skips) when they are not installed."""
    if NO_NODE:
        pytest.skip("node is not installed (the JavaScript project tests need it; .ci/run installs it)")
    if node_major() < 20:
        pytest.skip(f"node {node_major()} is too old: vitest 4 needs Node.js 20 or later")
    if not (TOOLS / ".bin" / "vitest").exists():
        pytest.fail(f"the JavaScript test tools are not installed in {TOOLS}: run `make js-tools`")
    return TOOLS


def write(root: Path, files: dict[str, str | dict]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2) if isinstance(content, dict) else content)
    return root


def link_tools(folder: Path) -> None:
    (folder / "node_modules").symlink_to(tools(), target_is_directory=True)


def pnpm_vitest(root: Path, *, lint_error: bool = False, type_error: bool = False) -> Path:
    """pnpm, TypeScript, vitest, with the test script the issue found: lint, types, then vitest.

    Five tests: four pass, one is skipped. With `type_error`, tsc finds one error in src/cart.ts:4;
    with `lint_error`, eslint finds an unused variable in scripts/seed.js:2.
    """
    write(root, {
        "package.json": {
            "name": "shelf-web", "private": True, "type": "module", "packageManager": "pnpm@9.15.0",
            "scripts": {"test": "pnpm lint && pnpm test:types && pnpm vitest run",
                        "lint": "eslint scripts", "test:types": "tsc --noEmit -p ."},
        },
        "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
        "tsconfig.json": {"compilerOptions": {"strict": True, "noEmit": True, "target": "ES2022",
                                              "module": "ESNext", "moduleResolution": "Bundler",
                                              "skipLibCheck": True, "types": []},
                          "include": ["src"]},
        "eslint.config.mjs": 'export default [{ files: ["scripts/**/*.js"], rules: { "no-unused-vars": "error" } }];\n',
        "scripts/seed.js": ("export function seed() {\n  const unused = 1;\n  return [];\n}\n" if lint_error
                            else "export function seed() {\n  return [];\n}\n"),
        "src/cart.ts": (
            "export function total(prices: number[]): number {\n"
            "  return prices.reduce((sum, p) => sum + p, 0);\n}\n"
            + ("export const broken: number = 'seven';\n" if type_error else "")
        ),
        "src/price.ts": "export function price(cents: number): string {\n  return `$${(cents / 100).toFixed(2)}`;\n}\n",
        "src/price.test.ts": (
            'import { describe, expect, it } from "vitest";\nimport { price } from "./price";\n'
            'describe("price", () => {\n'
            '  it("formats cents", () => expect(price(1999)).toBe("$19.99"));\n'
            '  it("formats zero", () => expect(price(0)).toBe("$0.00"));\n'
            '  it.skip("rounds half up", () => expect(price(0.5)).toBe("$0.01"));\n});\n'
        ),
        "src/cart.test.ts": (
            'import { expect, test } from "vitest";\nimport { total } from "./cart";\n'
            'test("sums", () => expect(total([1, 2, 3])).toBe(6));\n'
            'test("empty", () => expect(total([])).toBe(0));\n'
        ),
    })
    link_tools(root)
    return root


def npm_jest_two_environments(root: Path, *, failing: bool = False) -> Path:
    """npm, TypeScript through ts-jest, jest run twice: once in node and once in jsdom (as a library
    tested in the node and edge runtimes is). Three tests per run, six in all; with `failing`, one
    test fails in both runs."""
    expected = '"b"' if failing else '"a"'
    write(root, {
        "package.json": {
            "name": "slugs", "private": True,
            "scripts": {"test": "jest -c jest.node.config.js && jest -c jest.dom.config.js"},
        },
        "package-lock.json": {"name": "slugs", "lockfileVersion": 3, "requires": True, "packages": {}},
        "jest.node.config.js": "module.exports = { preset: 'ts-jest', testEnvironment: 'node' };\n",
        "jest.dom.config.js": "module.exports = { preset: 'ts-jest', testEnvironment: 'jsdom' };\n",
        "tsconfig.json": {"compilerOptions": {"strict": True, "esModuleInterop": True, "types": ["jest"],
                                              "isolatedModules": True}},
        "src/slug.ts": "export function slug(text: string): string {\n"
                       "  return text.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');\n}\n",
        "src/slug.test.ts": (
            "import { slug } from './slug';\n"
            "describe('slug', () => {\n"
            "  it('lowercases', () => expect(slug('Hello World')).toBe('hello-world'));\n"
            "  it('trims', () => expect(slug('  Hi  ')).toBe('hi'));\n"
            f"  it('strips', () => expect(slug('a!')).toBe({expected}));\n"
            "});\n"
        ),
    })
    link_tools(root)
    return root


def yarn_workspace(root: Path) -> Path:
    """yarn 1 workspaces: packages/core (node's own runner, 3 tests, 1 failing) and packages/cli
    (mocha, 2 tests); the root's test script runs every package's."""
    write(root, {
        "package.json": {"name": "tools", "private": True, "packageManager": "yarn@1.22.22",
                         "workspaces": ["packages/*"], "scripts": {"test": "yarn workspaces run test"}},
        "yarn.lock": "# yarn lockfile v1\n",
        "packages/core/package.json": {"name": "@tools/core", "version": "1.0.0",
                                       "scripts": {"test": "node --test"}},
        "packages/core/index.js": "exports.add = (a, b) => a + b;\n",
        "packages/core/add.test.js": (
            "const test = require('node:test');\nconst assert = require('node:assert');\n"
            "const { add } = require('./index.js');\n"
            "test('adds', () => assert.strictEqual(add(1, 2), 3));\n"
            "test('adds negatives', () => assert.strictEqual(add(-1, -2), -3));\n"
            "test('adds strings', () => assert.strictEqual(add('1', 2), 3));\n"
        ),
        "packages/cli/package.json": {"name": "@tools/cli", "version": "1.0.0", "scripts": {"test": "mocha"}},
        "packages/cli/index.js": "exports.greet = (name) => `hello ${name}`;\n",
        "packages/cli/test/greet.test.js": (
            "const assert = require('node:assert');\nconst { greet } = require('../index.js');\n"
            "describe('greet', () => {\n"
            "  it('greets', () => assert.strictEqual(greet('ada'), 'hello ada'));\n"
            "  it('greets nobody', () => assert.strictEqual(greet(''), 'hello '));\n});\n"
        ),
    })
    link_tools(root)
    return root
