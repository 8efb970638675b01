"""The config's sandbox: `sandbox = "auto" | "bwrap" | "none"`, or a [sandbox] table that widens it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODES = ("auto", "bwrap", "none")
_LISTS = {"read_paths": "sandbox_read", "write_paths": "sandbox_write"}


class SandboxConfigError(ValueError):
    pass


def parse_sandbox(path: Path, value: Any) -> dict[str, Any]:
    """`sandbox = "bwrap"`, or [sandbox] mode = "auto", network = false, read_paths = ["~/.cache/pip"],
    write_paths = [...], env = {NAME = "value"}. Paths may start with ~ (the person's home)."""
    if isinstance(value, str):
        value = {"mode": value}
    if not isinstance(value, dict):
        raise SandboxConfigError(f'{path}: sandbox must be "auto", "bwrap" or "none", or a [sandbox] table')
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "mode":
            if item not in MODES:
                raise SandboxConfigError(f'{path}: sandbox mode must be "auto", "bwrap" or "none", got {item!r}')
            out["sandbox"] = item
        elif key == "network":
            if not isinstance(item, bool):
                raise SandboxConfigError(f"{path}: [sandbox] network must be true or false, got {item!r}")
            out["sandbox_network"] = item
        elif key in _LISTS:
            if not isinstance(item, list) or not all(isinstance(p, str) and p.strip() for p in item):
                raise SandboxConfigError(f'{path}: [sandbox] {key} must be a list of paths, like ["~/.cache/pip"]')
            out[_LISTS[key]] = tuple(str(Path(p).expanduser()) for p in item)
        elif key == "env":
            if not isinstance(item, dict) or not all(isinstance(v, str) for v in item.values()):
                raise SandboxConfigError(f'{path}: [sandbox] env must be a table of strings, like {{NAME = "value"}}')
            out["sandbox_env"] = dict(item)
        else:
            raise SandboxConfigError(f"{path}: [sandbox] key {key!r} must be one of mode, network, read_paths, "
                                     "write_paths, env")
    return out
