"""Valid JSON for a JSON-mode request: `json_object` and `json_schema` response formats.

JSON mode guarantees the message is valid JSON; Structured Outputs guarantee it matches the
supplied schema. The emulator answers `{"answer": <text>}` for `json_object`, and for
`json_schema` the smallest instance of the schema: every required property (every property
when none is required), strings carrying the answer text, numbers at their minimum, the first
value of an enum or `const`, empty arrays unless `minItems` asks for more.
"""

from __future__ import annotations

from typing import Any

__all__ = ["instance"]

MAX_DEPTH = 8


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    node: Any = root
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def _object(schema: dict[str, Any], root: dict[str, Any], text: str, depth: int) -> dict[str, Any]:
    properties = schema.get("properties") or {}
    names = schema.get("required") or list(properties)
    return {name: _value(properties.get(name) or {}, root, text, depth + 1) for name in names}


def _value(schema: dict[str, Any], root: dict[str, Any], text: str, depth: int) -> Any:
    schema = _resolve(schema, root)
    if depth > MAX_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf"):
        options = [o for o in schema.get(combinator) or [] if _resolve(o, root).get("type") != "null"]
        if options:
            return _value(options[0], root, text, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return _object(schema, root, text, depth)
    if kind == "array":
        return [_value(schema.get("items") or {}, root, text, depth + 1)] * int(schema.get("minItems", 0))
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    limit = schema.get("maxLength")
    return text[:limit] if isinstance(limit, int) else text


def instance(schema: dict[str, Any], text: str) -> Any:
    """The smallest instance of `schema` (a JSON Schema object) whose strings say `text`."""
    return _value(schema, schema, text, 0)
