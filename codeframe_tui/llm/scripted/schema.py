"""A small recursive structural check of JSON Schema documents used as tool input schemas."""

from __future__ import annotations

from typing import Any

__all__ = ["SchemaError", "check_input_schema"]

JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})
SCHEMA_MAP_KEYWORDS = ("properties", "patternProperties", "$defs", "definitions")
SCHEMA_LIST_KEYWORDS = ("anyOf", "oneOf", "allOf", "prefixItems")
SCHEMA_KEYWORDS = ("not", "if", "then", "else", "contains", "propertyNames")
STRING_KEYWORDS = ("title", "description", "format", "pattern", "$ref", "$schema", "$id", "$comment")
COUNT_KEYWORDS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
NUMBER_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


class SchemaError(ValueError):
    """A schema problem; `path` is the dotted location inside the schema."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def check_input_schema(schema: Any, path: str) -> None:
    """Raise SchemaError unless `schema` is a structurally valid object schema."""
    if not isinstance(schema, dict):
        raise SchemaError(path, "Input should be a valid dictionary")
    # The API only accepts tools whose input is a JSON object.
    if schema.get("type") != "object":
        raise SchemaError(f"{path}.type", "Input should be 'object'")
    _check(schema, path)


def _is_number(value: Any) -> bool:
    # bool is an int subclass, but `true` is not a number in JSON Schema.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check(schema: Any, path: str) -> None:
    # Boolean schemas (`true` accepts anything, `false` nothing) are valid sub-schemas.
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise SchemaError(path, "a JSON Schema must be an object or a boolean")
    _check_type(schema, path)
    for key in SCHEMA_MAP_KEYWORDS:
        if key in schema:
            value = schema[key]
            if not isinstance(value, dict):
                raise SchemaError(f"{path}.{key}", "must be an object mapping names to schemas")
            for name, sub in value.items():
                _check(sub, f"{path}.{key}.{name}")
    for key in SCHEMA_LIST_KEYWORDS:
        if key in schema:
            value = schema[key]
            if not isinstance(value, list) or not value:
                raise SchemaError(f"{path}.{key}", "must be a non-empty array of schemas")
            for index, sub in enumerate(value):
                _check(sub, f"{path}.{key}.{index}")
    for key in SCHEMA_KEYWORDS:
        if key in schema:
            _check(schema[key], f"{path}.{key}")
    _check_items(schema, path)
    _check_required(schema, path)
    _check_scalars(schema, path)


def _check_type(schema: dict[str, Any], path: str) -> None:
    if "type" not in schema:
        return
    declared = schema["type"]
    names = declared if isinstance(declared, list) else [declared]
    if isinstance(declared, list) and (not declared or len(set(map(repr, declared))) != len(declared)):
        raise SchemaError(f"{path}.type", "a list of types must be non-empty and unique")
    for name in names:
        if not isinstance(name, str) or name not in JSON_TYPES:
            raise SchemaError(f"{path}.type", f"{name!r} is not a valid JSON Schema type")


def _check_items(schema: dict[str, Any], path: str) -> None:
    if "items" in schema:
        items = schema["items"]
        # Draft 4-7 also allowed a list of schemas (tuple validation).
        if isinstance(items, list):
            for index, sub in enumerate(items):
                _check(sub, f"{path}.items.{index}")
        else:
            _check(items, f"{path}.items")
    if "additionalProperties" in schema:
        _check(schema["additionalProperties"], f"{path}.additionalProperties")


def _check_required(schema: dict[str, Any], path: str) -> None:
    if "required" not in schema:
        return
    required = schema["required"]
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        raise SchemaError(f"{path}.required", "must be an array of strings")
    if len(set(required)) != len(required):
        raise SchemaError(f"{path}.required", "must not repeat a property name")
    properties = schema.get("properties", {})
    missing = [name for name in required if name not in properties]
    # A required name with no property is almost always a typo in the schema.
    if missing:
        raise SchemaError(f"{path}.required", f"names properties that are not defined: {', '.join(missing)}")


def _check_scalars(schema: dict[str, Any], path: str) -> None:
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        raise SchemaError(f"{path}.enum", "must be a non-empty array")
    for key in STRING_KEYWORDS:
        if key in schema and not isinstance(schema[key], str):
            raise SchemaError(f"{path}.{key}", "must be a string")
    for key in COUNT_KEYWORDS:
        if key in schema:
            value = schema[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SchemaError(f"{path}.{key}", "must be a non-negative integer")
    for key in NUMBER_KEYWORDS:
        if key in schema and not _is_number(schema[key]):
            raise SchemaError(f"{path}.{key}", "must be a number")
    if "uniqueItems" in schema and not isinstance(schema["uniqueItems"], bool):
        raise SchemaError(f"{path}.uniqueItems", "must be a boolean")
