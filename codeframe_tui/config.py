"""Settings, read once from `<project>/.codeframe/config.toml` and the environment, then passed down."""

from __future__ import annotations

import os
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_MODEL = "claude-sonnet-5-5"
CONFIG_DIR = ".codeframe"
CONFIG_FILE = "config.toml"


class ConfigError(ValueError):
    """Bad configuration: the message names the file, the key and what is wrong."""


@dataclass(frozen=True)
class Settings:
    project: Path
    model: str = DEFAULT_MODEL
    max_tokens: int = 16_000
    model_timeout: float = 300.0
    sdk_max_retries: int = 2
    max_concurrent: int = 4
    max_retries: int = 1
    max_corrections: int = 3
    test_timeout: float = 300.0
    # Per part ("backend", "frontend", "test"): an explicit test command, else it is detected.
    test_commands: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    base_url: str | None = None
    # Never written anywhere: repr=False keeps it out of logs and error messages.
    api_key: str | None = field(default=None, repr=False)
    offline: bool = False

    @property
    def state_dir(self) -> Path:
        return self.project / CONFIG_DIR

    @property
    def db_path(self) -> Path:
        return self.state_dir / "state.db"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "codeframe.log"


_INT_KEYS = {"max_tokens": 1, "max_concurrent": 1, "max_retries": 0, "max_corrections": 0, "sdk_max_retries": 0}
_FLOAT_KEYS = {"model_timeout", "test_timeout"}
_STR_KEYS = {"model", "base_url"}


def load_settings(project: Path, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from defaults, then config.toml, then the environment, then overrides."""
    env = os.environ if env is None else env
    project = project.resolve()
    values: dict[str, Any] = {}
    path = project / CONFIG_DIR / CONFIG_FILE
    if path.is_file():
        values.update(_parse_file(path))
    if env.get("ANTHROPIC_BASE_URL"):
        values["base_url"] = env["ANTHROPIC_BASE_URL"]
    if env.get("CODEFRAME_MODEL"):
        values["model"] = env["CODEFRAME_MODEL"]
    api_key = env.get("ANTHROPIC_API_KEY") or None
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(project=project, api_key=api_key, **values)


def _parse_file(path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    known = {f.name for f in fields(Settings)} - {"project", "api_key", "offline", "test_commands"}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "tests":
            out["test_commands"] = _parse_tests(path, value)
        elif key not in known:
            raise ConfigError(f"{path}: unknown key {key!r} (known: {', '.join(sorted(known | {'tests'}))})")
        elif key in _INT_KEYS:
            if not isinstance(value, int) or isinstance(value, bool) or value < _INT_KEYS[key]:
                raise ConfigError(f"{path}: {key} must be an integer >= {_INT_KEYS[key]}, got {value!r}")
            out[key] = value
        elif key in _FLOAT_KEYS:
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{path}: {key} must be a positive number of seconds, got {value!r}")
            out[key] = float(value)
        elif key in _STR_KEYS:
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{path}: {key} must be a non-empty string, got {value!r}")
            out[key] = value
    return out


def _parse_tests(path: Path, value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [tests] must be a table like backend = \"pytest -q\"")
    out: dict[str, tuple[str, ...]] = {}
    for part, cmd in value.items():
        if part not in ("backend", "frontend", "test"):
            raise ConfigError(f"{path}: [tests] key {part!r} must be backend, frontend or test")
        if isinstance(cmd, str):
            argv = tuple(shlex.split(cmd))
        elif isinstance(cmd, list) and all(isinstance(a, str) for a in cmd):
            argv = tuple(cmd)
        else:
            raise ConfigError(f"{path}: [tests] {part} must be a string or a list of strings")
        if not argv:
            raise ConfigError(f"{path}: [tests] {part} is empty")
        out[part] = argv
    return out


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)
