"""Validation of the `tools` array: custom tools (strict or not), Anthropic's text editor and bash tools.

The text editor is schema-less: its `type` names a dated version and fixes its `name`. Each model takes
the version it is trained on (models.editor_tool_type); the docs say to use the version that matches the
model. A strict custom tool is compiled into a grammar, so its schema must stay inside the subset the API
documents for structured outputs: every object closed with `additionalProperties: false`, and none of the
numeric, length or count constraints it lists as unsupported.
"""

from __future__ import annotations

import re
from typing import Any

from ..models import editor_tool_type
from .conversation import check_cache_control
from .errors import InvalidRequest
from .schema import SchemaError, check_input_schema

__all__ = ["check_tools"]

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
CUSTOM_KEYS = frozenset(
    {"type", "name", "description", "input_schema", "cache_control", "strict", "eager_input_streaming"}
)
# Every version of the text editor tool and the name it fixes.
EDITOR_NAMES = {
    "text_editor_20241022": "str_replace_editor",
    "text_editor_20250124": "str_replace_editor",
    "text_editor_20250429": "str_replace_based_edit_tool",
    "text_editor_20250728": "str_replace_based_edit_tool",
}
EDITOR_KEYS = frozenset({"type", "name", "cache_control", "strict"})
# The bash tool's versions; each fixes the name "bash". 20241022 was the computer-use beta's (with its header).
BASH_VERSIONS = ("bash_20250124",)
BASH_KEYS = frozenset({"type", "name", "cache_control"})
# Documented as unsupported under strict: numeric and length constraints, array sizes other than minItems 0/1.
STRICT_UNSUPPORTED = (
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "maxItems", "minProperties", "maxProperties",
)  # fmt: skip
SUBSCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
SUBSCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")


def check_tools(tools: Any, model: str) -> list[str]:
    """The tool names of a valid `tools` array; raise InvalidRequest at the first problem."""
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise InvalidRequest("tools: Input should be a valid list")
    names: list[str] = []
    for index, tool in enumerate(tools):
        where = f"tools.{index}"
        if not isinstance(tool, dict):
            raise InvalidRequest(f"{where}: Input should be a valid dictionary")
        kind = tool.get("type", "custom")
        kind = "custom" if kind is None else kind
        if kind == "custom":
            name = _check_custom(tool, where)
        elif isinstance(kind, str) and kind.startswith("text_editor_"):
            name = _check_editor(tool, kind, where, model)
        elif isinstance(kind, str) and kind.startswith("bash_"):
            name = _check_bash(tool, kind, where)
        else:
            # Server tools (web search, code execution...) have a dated `type`; the scripted model offers none.
            raise InvalidRequest(f"{where}.type: the scripted model only offers custom tools, the text editor and bash")
        if name in names:
            raise InvalidRequest(f"tools: Tool names must be unique. Found duplicate: {name}")
        names.append(name)
        check_cache_control(tool, where)
    return names


def _check_custom(tool: dict[str, Any], where: str) -> str:
    where = f"{where}.custom"
    for key in tool:
        if key not in CUSTOM_KEYS:
            raise InvalidRequest(f"{where}.{key}: Extra inputs are not permitted")
    name = tool.get("name")
    if not isinstance(name, str) or not TOOL_NAME.match(name):
        raise InvalidRequest(f"{where}.name: String should match pattern '{TOOL_NAME.pattern}'")
    if "description" in tool and not isinstance(tool["description"], str):
        raise InvalidRequest(f"{where}.description: Input should be a valid string")
    if "input_schema" not in tool:
        raise InvalidRequest(f"{where}.input_schema: Field required")
    try:
        check_input_schema(tool["input_schema"], f"{where}.input_schema")
    except SchemaError as err:
        raise InvalidRequest(f"{err.path}: JSON schema is invalid: {err.problem}") from None
    if _strict(tool, where):
        _check_strict_schema(tool["input_schema"], where)
    return name


def _strict(tool: dict[str, Any], where: str) -> bool:
    strict = tool.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise InvalidRequest(f"{where}.strict: Input should be a valid boolean")
    return bool(strict)


def _check_editor(tool: dict[str, Any], kind: str, where: str, model: str) -> str:
    if kind not in EDITOR_NAMES:
        expected = ", ".join(f"'{k}'" for k in ("custom", *EDITOR_NAMES))
        raise InvalidRequest(
            f"{where}: Input tag '{kind}' found using 'type' does not match any of the expected tags: {expected}"
        )
    where = f"{where}.{kind}"
    allowed = EDITOR_KEYS | ({"max_characters"} if kind == "text_editor_20250728" else set())
    for key in tool:
        if key not in allowed:
            raise InvalidRequest(f"{where}.{key}: Extra inputs are not permitted")
    if tool.get("name") != EDITOR_NAMES[kind]:
        raise InvalidRequest(f"{where}.name: Input should be '{EDITOR_NAMES[kind]}'")
    limit = tool.get("max_characters")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise InvalidRequest(f"{where}.max_characters: Input should be greater than or equal to 1")
    _strict(tool, where)
    supported = editor_tool_type(model)
    if kind != supported:
        raise InvalidRequest(f"{where}: '{kind}' is not supported for this model. Use '{supported}'.")
    return tool["name"]


def _check_bash(tool: dict[str, Any], kind: str, where: str) -> str:
    if kind not in BASH_VERSIONS:
        expected = ", ".join(f"'{k}'" for k in ("custom", *EDITOR_NAMES, *BASH_VERSIONS))
        raise InvalidRequest(
            f"{where}: Input tag '{kind}' found using 'type' does not match any of the expected tags: {expected}"
        )
    where = f"{where}.{kind}"
    for key in tool:
        if key not in BASH_KEYS:
            raise InvalidRequest(f"{where}.{key}: Extra inputs are not permitted")
    if tool.get("name") != "bash":
        raise InvalidRequest(f"{where}.name: Input should be 'bash'")
    return "bash"


def _check_strict_schema(schema: Any, where: str) -> None:
    """Walk every sub-schema: objects must be closed, and no unsupported constraint may appear."""
    if not isinstance(schema, dict):
        return
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "object" in types or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            raise InvalidRequest(f"{where}: For 'object' type, 'additionalProperties' must be explicitly set to false")
    for key in STRICT_UNSUPPORTED:
        if key in schema:
            raise InvalidRequest(f"{where}: For '{types[0] or 'any'}' type, property '{key}' is not supported")
    if isinstance(schema.get("minItems"), int) and schema["minItems"] > 1:
        raise InvalidRequest(f"{where}: For 'array' type, 'minItems' values other than 0 or 1 are not supported")
    ref = schema.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        raise InvalidRequest(f"{where}: External '$ref' values are not supported")
    for key in SUBSCHEMA_MAPS:
        if isinstance(schema.get(key), dict):
            for sub in schema[key].values():
                _check_strict_schema(sub, where)
    for key in SUBSCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            for sub in schema[key]:
                _check_strict_schema(sub, where)
    if "items" in schema:
        items = schema["items"]
        for sub in items if isinstance(items, list) else [items]:
            _check_strict_schema(sub, where)
