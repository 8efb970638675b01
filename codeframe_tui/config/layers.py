"""Where settings come from, and how the layers merge: built-in defaults, then the person's user file,
then the project's `.codeframe/config.toml`, then the environment, then command-line flags.

Each layer is the Settings fields one source sets. A later layer wins per key, so a project file that
sets only `[landing] batch` keeps the user's model; tables of named entries ([models], [tests],
[pricing], [sandbox] env) merge per entry. Every key remembers the layer it came from, which is what
`codeframe-tui config` shows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

# Points the user config folder elsewhere: tests (never the real home) and people with several setups.
USER_DIR_ENV = "CODEFRAME_CONFIG_HOME"
APP_NAME = "codeframe-tui"
USER_FILE = "config.toml"

DEFAULT = "default"
FLAG = "flag"

# Fields whose value is a table of named entries: merged entry by entry, so a project that prices one
# more model keeps the user's other prices. Other lists are not merged: a later list replaces an earlier one.
MERGED_TABLES = ("test_commands", "models", "pricing", "sandbox_env")
# Lists a later layer adds to, never narrows: a project's own secret patterns must not drop the ones the
# person set for every project. Their origin names every layer that added, as `<user> + <project>`.
UNIONED_LISTS = ("secret_patterns",)
JOINED = " + "

# An origin per field, or per (field, entry) for the merged tables.
OriginKey = str | tuple[str, str]
Layer = tuple[str, Mapping[str, Any]]  # (origin, the Settings fields it sets)


def user_config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The person's config folder: $CODEFRAME_CONFIG_HOME when set, else the platform's own place
    (~/.config/codeframe-tui on Linux, per XDG; ~/Library/Application Support/codeframe-tui on macOS)."""
    environ = os.environ if environ is None else environ
    override = environ.get(USER_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser().resolve()
    import platformdirs  # only when no override: most runs under tests never need it

    # appauthor=False: on Windows, no "<author>\" folder above the app's own.
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def user_config_file(environ: Mapping[str, str] | None = None) -> Path:
    return user_config_dir(environ) / USER_FILE


def merge(layers: Iterable[Layer], flags: Mapping[str, Any]) -> tuple[dict[str, Any], dict[OriginKey, str]]:
    """The fields the layers set, later ones winning per key, then `flags` (command line and callers'
    overrides), which replace a value whole: a flag means exactly that value. Returns the values and
    where each key's came from; a key nothing sets is absent from both, and its origin is `default`."""
    values: dict[str, Any] = {}
    origins: dict[OriginKey, str] = {}
    for origin, layer in layers:
        for key, value in layer.items():
            if key in MERGED_TABLES:
                values[key] = {**values.get(key, {}), **value}
                origins.update({(key, entry): origin for entry in value})
            elif key in UNIONED_LISTS and key in values:
                values[key] = tuple(dict.fromkeys([*values[key], *value]))
                origins[key] = f"{origins[key]}{JOINED}{origin}"
            else:
                values[key] = value
                origins[key] = origin
    for key, value in flags.items():
        values[key] = value
        for old in [o for o in origins if isinstance(o, tuple) and o[0] == key]:
            del origins[old]
        if key in MERGED_TABLES:
            origins.update({(key, entry): FLAG for entry in value})
        else:
            origins[key] = FLAG
    return values, origins


def env_origin(var: str) -> str:
    return f"env {var}"
