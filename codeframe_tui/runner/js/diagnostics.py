"""The first errors of a failed lint or type step, as `file:line: message`, from what the tool printed.

Formats read: tsc (and vue-tsc, which prints the same) in its plain `a.ts(3,7): error TS…` and
`--pretty` `a.ts:3:7 - error TS…` forms; eslint's stylish, compact and unix formatters; prettier
--check; biome; svelte-check's human and machine output. Anything else gives its last lines.
Errors come before warnings: a lint that failed on `--max-warnings 0` shows its warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_TSC = re.compile(r"^(?P<file>[^\s(][^(]*?)\((?P<line>\d+),\d+\): (?P<sev>error|warning) (?P<msg>TS\d+: .+)$")
_TSC_PRETTY = re.compile(r"^(?P<file>\S.*?):(?P<line>\d+):\d+ - (?P<sev>error|warning) (?P<msg>TS\d+: .+)$")
_STYLISH = re.compile(r"^\s+(?P<line>\d+):\d+\s+(?P<sev>error|warning)\s+(?P<msg>.+?)(?:\s{2,}(?P<rule>[\w@/-]+))?$")
_COMPACT = re.compile(r"^(?P<file>.+?): line (?P<line>\d+), col \d+, (?P<sev>Error|Warning) - (?P<msg>.+)$")
_UNIX = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):\d+: (?P<msg>.+?) \[(?P<sev>Error|Warning)/[^\]]+\]$")
# GNU style, as oxlint's unix format, gcc-like tools and many scripts print it: file:line[:col]: [error: ]message
_GNU = re.compile(r"^(?P<file>[^\s:][^:\s]*\.\w+):(?P<line>\d+)(?::\d+)?: (?:(?P<sev>error|warning): )?(?P<msg>.+)$")
_PRETTIER = re.compile(r"^\[(?P<sev>warn|error)\] (?P<file>[^\s:]+?)(?:: (?P<msg>.+))?$")
_BIOME_HEAD = re.compile(r"^(?P<file>[^\s:]+?)(?::(?P<line>\d+):\d+)? (?P<rule>(?:lint|format|assist|parse)\S*)\s")
_BIOME_MSG = re.compile(r"^\s+(?P<mark>[×✖!⚠])\s+(?P<msg>.+)$")
_SVELTE_HEAD = re.compile(r"^(?P<file>/\S+?):(?P<line>\d+):\d+$")
_SVELTE_MSG = re.compile(r"^(?P<sev>Error|Warn): (?P<msg>.+)$")
_SVELTE_MACHINE = re.compile(r'^\d+ (?P<sev>ERROR|WARNING) "(?P<file>[^"]+)" (?P<line>\d+):\d+ "(?P<msg>.*)"$')


@dataclass(frozen=True)
class Problem:
    """One error or warning a tool reported (line is None when the tool gave none)."""

    file: str
    line: int | None
    message: str
    error: bool = True

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


def first_errors(output: str, limit: int = 5, root: Path | None = None) -> tuple[str, ...]:
    """Up to `limit` problems as `file:line: message`, errors first; else the output's last lines."""
    lines = [_ANSI.sub("", line).rstrip() for line in output.splitlines()]
    problems = _problems(lines)
    if not problems:
        return tuple(line for line in lines if line.strip())[-limit:]
    ordered = [p for p in problems if p.error] + [p for p in problems if not p.error]
    text = [str(_relative(p, root)) for p in ordered]
    return tuple(dict.fromkeys(text))[:limit]


def _problems(lines: list[str]) -> list[Problem]:
    found: list[Problem] = []
    stylish_file = ""
    pending: tuple[str, int | None, str] | None = None  # biome or svelte-check: a header, then its message
    for line in lines:
        if match := _TSC.match(line) or _TSC_PRETTY.match(line):
            found.append(Problem(match["file"], int(match["line"]), match["msg"], match["sev"] == "error"))
        elif match := _COMPACT.match(line) or _UNIX.match(line):
            found.append(Problem(match["file"], int(match["line"]), match["msg"], match["sev"] == "Error"))
        elif match := _SVELTE_MACHINE.match(line):
            found.append(Problem(match["file"], int(match["line"]), match["msg"], match["sev"] == "ERROR"))
        elif match := _PRETTIER.match(line):  # its closing "[warn] Code style issues found..." has spaces
            found.append(Problem(match["file"], None, match["msg"] or "not formatted (prettier --check)"))
        elif match := _STYLISH.match(line):
            if stylish_file:
                message = f"{match['msg']} ({match['rule']})" if match["rule"] else match["msg"]
                found.append(Problem(stylish_file, int(match["line"]), message, match["sev"] == "error"))
        elif match := _BIOME_HEAD.match(line):
            line_no = int(match["line"]) if match["line"] else None
            pending = (match["file"], line_no, "not formatted (biome)" if match["rule"] == "format" else match["rule"])
        elif (match := _BIOME_MSG.match(line)) and pending is not None:
            file, line_no, rule = pending
            message = rule if rule.startswith("not formatted") else f"{match['msg']} ({rule})"
            found.append(Problem(file, line_no, message, match["mark"] in "×✖"))
            pending = None
        elif match := _SVELTE_HEAD.match(line):
            pending = (match["file"], int(match["line"]), "")
        elif (match := _SVELTE_MSG.match(line)) and pending is not None:
            found.append(Problem(pending[0], pending[1], match["msg"], match["sev"] == "Error"))
            pending = None
        elif match := _GNU.match(line):
            found.append(Problem(match["file"], int(match["line"]), match["msg"], match["sev"] != "warning"))
        elif line and not line[0].isspace() and not line.startswith(("✖", "×")) and _looks_like_path(line):
            stylish_file = line.strip()  # eslint stylish: the file's path on a line of its own
    return found


def _looks_like_path(line: str) -> bool:
    return " " not in line.strip() and ("/" in line or "\\" in line or "." in line)


def _relative(problem: Problem, root: Path | None) -> Problem:
    if root is None or not problem.file.startswith("/"):
        return problem
    try:
        file = Path(problem.file).relative_to(root).as_posix()
    except ValueError:
        return problem
    return Problem(file, problem.line, problem.message, problem.error)


# -- the package manager's own refusals -----------------------------------------------

_HINTS = (
    (re.compile(r"ERR_PNPM_BAD_PM_VERSION|This project is configured to use (?:v[\d.]+ of pnpm|\w+ because)"),
     "the package manager on PATH is not the version package.json asks for: run `corepack enable`, "
     "or install the version its packageManager field names"),
    (re.compile(r"Usage Error: This project's package\.json defines \"packageManager\""),
     "yarn refuses another package manager's project: run it with the manager package.json names (corepack enable)"),
    (re.compile(r"Corepack cannot download|No compatible signature found in package metadata"),
     "this corepack is too old to verify the package manager's download: run `npm install -g corepack@latest`"),
    (re.compile(r"Corepack must currently be enabled|corepack: command not found"),
     "run `corepack enable` (it puts pnpm and yarn on PATH as package.json asks)"),
)


def manager_hint(output: str) -> str | None:
    """What to do when the package manager itself refused to run, from its own words; else None."""
    text = _ANSI.sub("", output)
    for pattern, hint in _HINTS:
        if pattern.search(text):
            return hint
    return None
