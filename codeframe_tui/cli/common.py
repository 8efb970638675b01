"""What every subcommand shares: its exit codes, the refusal of a bad argument, the project folder."""

from __future__ import annotations

from pathlib import Path

EXIT_OK, EXIT_NOT_ALL_DONE, EXIT_USAGE, EXIT_NEEDS_PERSON = 0, 1, 2, 3


class UsageError(Exception):
    """A bad argument or a state the command cannot start from: said on stderr, exit 2."""


def project_dir(path: Path) -> Path:
    path = path.expanduser().resolve()
    if not path.is_dir():
        raise UsageError(f"{path} is not a folder")
    return path
