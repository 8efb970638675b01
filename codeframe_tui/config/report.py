"""What `codeframe-tui config` shows: every setting under the name a config file gives it, its value,
and where that value came from (`default`, the user file, the project file, `env VAR` or `flag`).

Only builds text and data; the command line prints it. Values are shown as TOML would write them, so
a line can be copied into a config file.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from codeframe_tui.config import _LANDING_KEYS, _NOTIFY_KEYS, Layered, Settings
from codeframe_tui.config.costs import BUDGET_KEYS, PRICE_FIELDS
from codeframe_tui.config.layers import DEFAULT, JOINED, MERGED_TABLES
from codeframe_tui.domain.safe_text import one_line

WIDTH = 80  # the text fits a plain terminal; --json has everything uncut

# Settings field -> its key in a config file, where the two differ; a dotted name is [table] key.
_FILE_KEYS = {
    "test_commands": "tests",
    **{field: f"notify.{key}" for key, field in _NOTIFY_KEYS.items()},
    **{field: f"budget.{key}" for key, field in BUDGET_KEYS.items()},
    **{field: f"landing.{key}" for key, field in _LANDING_KEYS.items()},
    "import_same_file": "import.same_file",
    "sandbox": "sandbox.mode",
    "sandbox_network": "sandbox.network",
    "sandbox_read": "sandbox.read_paths",
    "sandbox_write": "sandbox.write_paths",
    "sandbox_env": "sandbox.env",
    "sandbox_processes": "sandbox.processes",
    "sandbox_file_size_mb": "sandbox.file_size_mb",
    "sandbox_memory_mb": "sandbox.memory_mb",
}
# Not settings a person writes: the folder itself, and the demo's switch to the scripted model.
_NOT_SHOWN = ("project", "offline")


def rows(layered: Layered) -> list[dict[str, Any]]:
    """One row per setting, in the order Settings declares them; a table of named entries ([models],
    [tests], [pricing], [sandbox] env) gives a row per entry, or one `{}` row when it is empty."""
    settings, origins = layered.settings, layered.origins
    out: list[dict[str, Any]] = []
    for f in fields(Settings):
        if f.name in _NOT_SHOWN:
            continue
        key, value = _FILE_KEYS.get(f.name, f.name), getattr(settings, f.name)
        if f.name == "api_key":  # never shown: only whether the environment gives one
            out.append(_row(key, "(hidden)" if value else None, origins.get(key, DEFAULT)))
        elif f.name in MERGED_TABLES and value:
            for entry, item in value.items():
                out.append(_row(f"{key}.{entry}", _entry_value(f.name, item), origins.get((f.name, entry), DEFAULT)))
        else:
            out.append(_row(key, _plain_value(value), origins.get(f.name, DEFAULT)))
    return out


def as_json(layered: Layered) -> str:
    return json.dumps({"user_file": _file_info(layered.user_file),
                       "project_file": _file_info(layered.project_file),
                       "settings": rows(layered)}, ensure_ascii=False)


def as_text(layered: Layered) -> list[str]:
    """Aligned lines within WIDTH columns: the two files first (their paths are the long part), then
    a table whose last column names the file as `user` or `project`, or the env variable or flag."""
    labels = {str(layered.project_file): "project"}
    if layered.user_file is not None:
        labels[str(layered.user_file)] = "user"
    lines = [f"user file:    {_file_text(layered.user_file)}",
             f"project file: {_file_text(layered.project_file)}", ""]
    table = [(r["key"], _toml(r["value"]) if r["key"] != "api_key" else r["value"] or "(not set)",
              JOINED.join(labels.get(o, o) for o in r["origin"].split(JOINED))) for r in rows(layered)]
    key_w = min(max(len(k) for k, _, _ in table), 26)
    from_w = min(max(len(o) for _, _, o in table), 24)
    value_w = WIDTH - key_w - from_w - 4
    lines.append(f"{'setting':<{key_w}}  {'value':<{value_w}}  from".rstrip())
    for key, value, origin in table:
        lines.append(f"{one_line(key, key_w):<{key_w}}  {one_line(value, value_w):<{value_w}}  "
                     f"{one_line(origin, from_w)}".rstrip())
    return lines


def _row(key: str, value: Any, origin: str) -> dict[str, Any]:
    return {"key": key, "value": value, "origin": origin}


def _plain_value(value: Any) -> Any:
    """JSON's own types: tuples become lists, mappings dicts."""
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "items"):
        return dict(value)
    return value


def _entry_value(field_name: str, item: Any) -> Any:
    if field_name == "pricing":  # (input, output, cache_write, cache_read) as the file names them
        return dict(zip(PRICE_FIELDS, item, strict=True))
    return _plain_value(item)


def _toml(value: Any) -> str:
    """A value as TOML writes it (strings quoted, true/false); an unset one as `(not set)`."""
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string reads the same
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return str(value)


def _file_info(path) -> dict[str, Any] | None:
    return None if path is None else {"path": str(path), "exists": path.is_file()}


def _file_text(path) -> str:
    if path is None:
        return "(not read)"
    return str(path) if path.is_file() else f"{path} (none there)"
