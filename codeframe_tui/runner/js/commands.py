"""One package.json script command, read the way sh would: split into steps, env stripped, classified.

`split_steps` cuts a script at `&&`, `;` and newlines outside quotes (`a || b` and pipes stay one
step, since the second half only means something with the first). `classify` names what a simple
command is: a test runner, a linter, a type checker, a build, or something else.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass

RUNNERS = ("vitest", "jest", "node", "mocha", "playwright")
_ENV_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# Wrappers that run the rest of the line as a command, with the options they take a value for.
_COVERAGE = {"c8": {"-r", "--reporter", "-o", "--reports-dir", "-x", "--exclude", "-n", "--include", "--src"},
             "nyc": {"-r", "--reporter", "-x", "--exclude", "-n", "--include", "--temp-dir", "--report-dir"}}
_LINT = {"eslint", "eslint_d", "xo", "stylelint", "oxlint", "standard", "tslint", "markdownlint", "markdownlint-cli2"}
_TYPES = {"tsc", "vue-tsc", "svelte-check", "tsgo", "tsc-files", "glint"}
_BUILD = {"webpack", "rollup", "tsup", "esbuild", "parcel", "babel", "swc", "unbuild", "microbundle", "ng"}


@dataclass(frozen=True)
class Command:
    """A simple command: its words with leading `A=b` / `cross-env A=b` / `env A=b` removed into `env`."""

    words: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


def split_steps(script: str) -> list[str]:
    """The script's steps: cut at `&&`, `;` and newlines outside quotes; `||`, `|` and `&` stay inside."""
    steps: list[str] = []
    current: list[str] = []
    quote = ""
    index = 0
    while index < len(script):
        char = script[index]
        if quote:
            if char == "\\" and quote == '"' and index + 1 < len(script):
                current.append(script[index : index + 2])
                index += 2
                continue
            quote = "" if char == quote else quote
        elif char == "\\" and index + 1 < len(script):
            current.append(script[index : index + 2])
            index += 2
            continue
        elif char in "'\"":
            quote = char
        elif script.startswith("&&", index) or char in ";\n":
            steps.append("".join(current))
            current = []
            index += 2 if char == "&" else 1
            continue
        current.append(char)
        index += 1
    steps.append("".join(current))
    return [step.strip() for step in steps if step.strip()]


def is_compound(step: str) -> bool:
    """True when a step has `||`, a pipe, `&`, a redirect or a subshell outside quotes: it needs a shell."""
    try:
        lexer = shlex.shlex(step, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        return any(token and set(token) <= set("|&<>();") for token in lexer)
    except ValueError:
        return True


def parse_command(step: str) -> Command | None:
    """The words of a simple step with its environment assignments taken out; None if it needs a shell."""
    if is_compound(step):
        return None
    try:
        words = shlex.split(step)
    except ValueError:
        return None
    env: list[tuple[str, str]] = []
    while words:
        head = os.path.basename(words[0])
        if _ENV_WORD.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            env.append((name, value))
        elif head in ("cross-env", "cross-env-shell", "env") and len(words) > 1:
            words.pop(0)
        else:
            break
    return Command(tuple(words), tuple(env)) if words else None


def tool_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words from the tool itself on: `npx`, `pnpm exec`, `yarn exec`, `bunx` and `npm exec` removed.

    The `yarn X` / `pnpm X` forms (a binary called like a script) are left to the caller, which knows
    the script names.
    """
    rest = list(words)
    while rest:
        head = os.path.basename(rest[0])
        if head in ("npx", "bunx", "pnpx"):
            rest.pop(0)
        elif head in ("pnpm", "yarn", "npm", "bun") and len(rest) > 1 and rest[1] in ("exec", "x", "dlx"):
            rest = rest[2:]
        else:
            break
        while rest and rest[0].startswith("-"):  # npx --no-install, npx -y, npm exec --
            rest.pop(0)
    return tuple(rest)


def coverage_wrapped(words: tuple[str, ...]) -> tuple[str, ...]:
    """The command inside `c8 [opts] cmd` / `nyc [opts] cmd`, else the words unchanged."""
    head = os.path.basename(words[0]) if words else ""
    if head not in _COVERAGE:
        return words
    index = 1
    while index < len(words) and words[index].startswith("-"):
        takes_value = words[index] in _COVERAGE[head] and "=" not in words[index]
        index += 2 if takes_value else 1
    return words[index:] or words


def runner_of(words: tuple[str, ...]) -> str | None:
    """The test runner a tool command starts ("vitest", "jest", "node", "mocha", "playwright"), or None."""
    words = coverage_wrapped(tool_words(words))
    if not words:
        return None
    head = os.path.basename(words[0])
    if head == "vitest":
        return None if len(words) > 1 and words[1] in ("bench", "init", "list") else "vitest"
    if head in ("jest", "react-scripts", "craco") and (head == "jest" or "test" in words[1:2]):
        return "jest"
    if head in ("node", "tsx") and "--test" in words:
        return "node"
    if head in ("mocha", "_mocha", "ts-mocha"):
        return "mocha"
    if head == "playwright" and words[1:2] == ("test",):
        return "playwright"
    return None


def classify(words: tuple[str, ...], script_name: str = "") -> str:
    """"test", "lint", "types", "build" or "other" for a simple command (from the script name at worst)."""
    if runner_of(words):
        return "test"
    words = coverage_wrapped(tool_words(words))
    head = os.path.basename(words[0]) if words else ""
    sub = words[1] if len(words) > 1 else ""
    if head in _LINT or (head == "next" and sub == "lint"):
        return "lint"
    if head == "prettier" and any(w in ("--check", "-c", "--list-different", "-l") for w in words):
        return "lint"
    if head in ("biome", "@biomejs/biome") and sub in ("check", "lint", "ci", "format"):
        return "lint"
    if head in _TYPES or (head in ("astro", "nuxi", "nuxt") and sub in ("check", "typecheck")):
        return "types"
    if head in _BUILD or (head in ("vite", "next", "nuxt", "astro", "svelte-kit", "remix") and sub == "build"):
        return "build"
    name = script_name.split(":")[0]
    if name in ("lint", "format", "prettier", "eslint", "style"):
        return "lint"
    if name in ("typecheck", "types", "tsc", "type-check", "check-types", "typescript"):
        return "types"
    if name in ("build", "compile", "bundle"):
        return "build"
    return "other"
