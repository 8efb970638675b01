"""turbo and nx in a test script: which task they run, in which packages.

`turbo run test [--filter x]`, `turbo test`, `nx run-many -t test [-p a,b]`, `nx test app` and
`nx run app:test` run a package.json script in each workspace package that has it; the expander
makes them the same steps as `pnpm -r test`. The order of their dependency graph is left to the
packages' own order. Their other commands (`turbo prune`, `nx graph`) run as written.
"""

from __future__ import annotations

_TURBO_COMMANDS = {"prune", "gen", "generate", "login", "logout", "link", "unlink", "daemon", "ls", "query",
                   "info", "telemetry", "scan", "boundaries", "watch", "bin", "completion", "docs", "devtools"}
_NX_COMMANDS = {"run", "run-many", "affected", "graph", "generate", "g", "add", "migrate", "format", "format:check",
                "format:write", "reset", "show", "report", "list", "release", "sync", "daemon", "init", "connect"}
_VALUE_OPTS = {"--filter", "-F", "-t", "--target", "--targets", "-p", "--projects", "--concurrency", "--parallel",
               "--cache-dir", "--output-logs", "--log-order", "--configuration", "-c"}


def task_runner_tasks(head: str, words: tuple[str, ...]) -> list[tuple[str, str | None]] | None:
    """(script name, package selector or None for every package) for each task `turbo`/`nx` runs
    with `words` (the words after the program's name); None when they run no package script."""
    flags, positional = _flags(words)
    if head == "turbo":
        names = positional[1:] if positional[:1] == ["run"] else positional
        if not names or names[0] in _TURBO_COMMANDS:
            return None
        selector = flags.get("--filter") or flags.get("-F")
        return [(name, selector) for name in names]
    if head != "nx":
        return None
    if positional[:1] == ["run-many"]:
        named = flags.get("-t") or flags.get("--target") or flags.get("--targets") or ""
        targets = [t for t in named.split(",") if t]
        chosen: list[str | None] = [p for p in (flags.get("-p") or flags.get("--projects") or "").split(",") if p]
        return [(target, name) for target in targets for name in (chosen or [None])] or None
    if len(positional) == 2 and positional[0] == "run" and ":" in positional[1]:  # nx run app:test
        project, _, target = positional[1].rpartition(":")
        return [(target, project)]
    if len(positional) == 2 and positional[0] not in _NX_COMMANDS:  # nx test app
        return [(positional[0], positional[1])]
    return None


def _flags(words: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """The options (with their values) and the positional words, up to a `--`."""
    flags: dict[str, str] = {}
    positional: list[str] = []
    index = 0
    while index < len(words) and words[index] != "--":
        word = words[index]
        name, eq, value = word.partition("=")
        if word.startswith("-"):
            if not eq and name in _VALUE_OPTS and index + 1 < len(words):
                value = words[index + 1]
                index += 1
            flags[name] = value
        else:
            positional.append(word)
        index += 1
    return flags, positional
