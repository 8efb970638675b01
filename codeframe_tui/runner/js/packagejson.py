"""Reading package.json safely: a broken or huge file reads as empty, never raises."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# A real package.json is a few kilobytes; a megabyte is not one worth parsing.
MAX_PACKAGE_JSON = 1024 * 1024


def read_package_json(folder: Path) -> dict[str, Any]:
    """The package.json in `folder` as a dict; {} when missing, unreadable or not an object."""
    path = folder / "package.json"
    try:
        if not path.is_file() or path.stat().st_size > MAX_PACKAGE_JSON:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("cannot read %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def scripts_of(package: dict[str, Any]) -> dict[str, str]:
    """The `scripts` table, keeping only string commands."""
    scripts = package.get("scripts")
    if not isinstance(scripts, dict):
        return {}
    return {str(k): v for k, v in scripts.items() if isinstance(v, str)}


def ancestors(start: Path, stop: Path | None = None) -> list[Path]:
    """`start` and its parents, nearest first, up to `stop` (included) or the filesystem root.

    Without `stop`, the walk also ends at a folder holding `.git`: a package manager's settings
    above the repository belong to some other project.
    """
    start = start.resolve()
    stop = stop.resolve() if stop is not None else None
    chain = []
    for folder in (start, *start.parents):
        chain.append(folder)
        if folder == stop or (stop is None and (folder / ".git").exists()):
            break
    return chain
