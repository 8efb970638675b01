"""First errors of failed lint and type steps, on output written after the real tools' (tsc 7.0,
eslint 10.16 and its compact/unix formatters, prettier 3.10, biome 2.6, svelte-check 4.7's writer)."""

from __future__ import annotations

from pathlib import Path

from codeframe_tui.runner.js.diagnostics import first_errors, manager_hint

TSC = """\
src/a.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'.
src/a.ts(3,3): error TS2322: Type 'string' is not assignable to type 'number'.
"""
TSC_PRETTY = (
    "\x1b[96msrc/a.ts\x1b[0m:\x1b[93m1\x1b[0m:\x1b[93m7\x1b[0m - \x1b[91merror\x1b[0m\x1b[90m TS2322: \x1b[0m"
    "Type 'string' is not assignable to type 'number'.\n\n"
    "\x1b[7m1\x1b[0m const x: number = \"hello\";\n\x1b[7m \x1b[0m \x1b[91m      ~\x1b[0m\n\n\n"
    "Found 1 error in src/a.ts\x1b[90m:1\x1b[0m\n"
)
ESLINT_STYLISH = """\

/work/app/src/b.js
  1:5   warning  'unused' is never reassigned. Use 'const' instead  prefer-const
  2:23  error    'undefinedThing' is not defined                    no-undef

/work/app/src/lib/c.js
  2:15  error  Unexpected 'debugger' statement  no-debugger

✖ 3 problems (2 errors, 1 warning)
  0 errors and 1 warning potentially fixable with the `--fix` option.
"""
ESLINT_COMPACT = """\
/work/app/src/b.js: line 1, col 5, Warning - 'unused' is never reassigned. Use 'const' instead. (prefer-const)
/work/app/src/b.js: line 2, col 23, Error - 'undefinedThing' is not defined. (no-undef)

2 problems
"""
ESLINT_UNIX = """\
/work/app/src/b.js:2:23: 'undefinedThing' is not defined. [Error/no-undef]
/work/app/src/lib/c.js:2:15: Unexpected 'debugger' statement. [Error/no-debugger]

2 problems
"""
PRETTIER = """\
Checking formatting...
[warn] src/b.js
[warn] src/lib/c.js
[warn] Code style issues found in 2 files. Run Prettier with --write to fix.
"""
BIOME = """\
src/a.ts:1:7 lint/correctness/noUnusedVariables  FIXABLE  ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━

  ! This variable x is unused.

  > 1 │ const x: number = "hello";
      │       ^

src/lib/c.js:2:15 lint/suspicious/noDebugger  FIXABLE  ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━

  × This is an unexpected use of the debugger statement.

  i Unsafe fix: Remove debugger statement

src/b.js format ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━

  × Formatter would have printed the following content:

Checked 3 files in 5ms. No fixes applied.
Found 2 errors.
Found 1 warning.
"""
SVELTE_CHECK = """\
====================================
Loading svelte-check in workspace: /work/app
Getting Svelte diagnostics...

/work/app/src/routes/+page.svelte:4:7
Error: Type 'string' is not assignable to type 'number'. (ts)

/work/app/src/lib/Card.svelte:12:3
Warn: A11y: <img> element should have an alt attribute (svelte)

====================================
svelte-check found 1 error and 1 warning in 2 files
"""


def test_tsc_plain_and_pretty() -> None:
    assert first_errors(TSC) == (
        "src/a.ts:1: TS2322: Type 'string' is not assignable to type 'number'.",
        "src/a.ts:3: TS2322: Type 'string' is not assignable to type 'number'.",
    )
    assert first_errors(TSC_PRETTY) == ("src/a.ts:1: TS2322: Type 'string' is not assignable to type 'number'.",)


def test_eslint_stylish_errors_before_warnings() -> None:
    assert first_errors(ESLINT_STYLISH, root=Path("/work/app")) == (
        "src/b.js:2: 'undefinedThing' is not defined (no-undef)",
        "src/lib/c.js:2: Unexpected 'debugger' statement (no-debugger)",
        "src/b.js:1: 'unused' is never reassigned. Use 'const' instead (prefer-const)",
    )


def test_eslint_compact_and_unix() -> None:
    assert first_errors(ESLINT_COMPACT, limit=1) == (
        "/work/app/src/b.js:2: 'undefinedThing' is not defined. (no-undef)",
    )
    assert first_errors(ESLINT_UNIX, root=Path("/work/app")) == (
        "src/b.js:2: 'undefinedThing' is not defined.",
        "src/lib/c.js:2: Unexpected 'debugger' statement.",
    )


def test_prettier_check_names_the_unformatted_files() -> None:
    assert first_errors(PRETTIER) == (
        "src/b.js: not formatted (prettier --check)",
        "src/lib/c.js: not formatted (prettier --check)",
    )
    assert first_errors("[error] src/x.js: SyntaxError: Unexpected token (3:7)\n") == (
        "src/x.js: SyntaxError: Unexpected token (3:7)",
    )


def test_biome() -> None:
    assert first_errors(BIOME) == (
        "src/lib/c.js:2: This is an unexpected use of the debugger statement. (lint/suspicious/noDebugger)",
        "src/b.js: not formatted (biome)",
        "src/a.ts:1: This variable x is unused. (lint/correctness/noUnusedVariables)",
    )


def test_svelte_check_human_and_machine() -> None:
    assert first_errors(SVELTE_CHECK, root=Path("/work/app")) == (
        "src/routes/+page.svelte:4: Type 'string' is not assignable to type 'number'. (ts)",
        "src/lib/Card.svelte:12: A11y: <img> element should have an alt attribute (svelte)",
    )
    machine = '1590680326283 START "/work/app"\n1590680326778 ERROR "src/App.svelte" 1:16 "Cannot find module"\n'
    assert first_errors(machine) == ("src/App.svelte:1: Cannot find module",)


def test_unknown_output_gives_its_last_lines() -> None:
    output = "\n".join(f"line {n}" for n in range(1, 30)) + "\n\n"
    assert first_errors(output, limit=3) == ("line 27", "line 28", "line 29")


def test_manager_refusals_get_a_hint() -> None:
    pnpm = " ERR_PNPM_BAD_PM_VERSION  This project is configured to use v9.12.0 of pnpm. Your current pnpm is v8.15.9"
    assert "corepack enable" in (manager_hint(pnpm) or "")
    corepack = "Error: Corepack cannot download the latest stable version of pnpm; ...\n" \
               "[cause]: Error: No compatible signature found in package metadata"
    assert "corepack@latest" in (manager_hint(corepack) or "")
    assert manager_hint("Tests: 1 failed, 3 passed, 4 total") is None
