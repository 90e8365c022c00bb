"""JSON Schema as Markdown: a type in a few words, and an object's fields as a table.

Shared by the API reference (OpenAPI components) and the node reference (config and output schemas).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

Schema = Mapping[str, Any]
# How a `$ref` is written: the API reference links to its schema section, the node reference names it.
RefText = Callable[[str], str]


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_text(schema: Schema, ref_text: RefText) -> str:
    """``string``, ``integer``, ``array of [Node](#node)``, ``"a" | "b"``, ``string | null`` …"""
    composed = _composed_text(schema, ref_text)
    return composed if composed is not None else _kind_text(schema, ref_text)


def _composed_text(schema: Schema, ref_text: RefText) -> str | None:
    """References, constants, enums and unions; None for a plain typed schema."""
    if "$ref" in schema:
        return ref_text(str(schema["$ref"]))
    if "const" in schema:
        return code(json.dumps(schema["const"]))
    if "enum" in schema:
        return " | ".join(code(json.dumps(value)) for value in schema["enum"])
    parts = schema.get("anyOf") or schema.get("oneOf")
    if parts:
        return " | ".join(dict.fromkeys(type_text(part, ref_text) for part in parts))
    if len(schema.get("allOf", ())) == 1:
        return type_text(schema["allOf"][0], ref_text)
    return None


def _kind_text(schema: Schema, ref_text: RefText) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind == "array":
        items = schema.get("items")
        return f"array of {type_text(items, ref_text)}" if isinstance(items, Mapping) else "array"
    if kind == "object" or "properties" in schema:
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping) and extra and "properties" not in schema:
            return f"object of {type_text(extra, ref_text)}"
        names = list(schema.get("properties") or ())
        return "object {" + ", ".join(names) + "}" if names else "object"
    if kind is None:
        return "any JSON"
    return str(kind) + (f" ({schema['format']})" if "format" in schema else "")


_BOUNDS = (
    ("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<"),
    ("minLength", "length ≥"), ("maxLength", "length ≤"), ("minItems", "items ≥"), ("maxItems", "items ≤"),
)  # fmt: skip


def constraints_text(schema: Schema) -> str:
    """Bounds and patterns, for the reader who wonders why a value was refused."""
    parts: list[str] = []
    for part in schema.get("anyOf", [schema]):
        for key, word in _BOUNDS:
            if key in part:
                parts.append(f"{word} {part[key]}")
        if "pattern" in part:
            parts.append(f"pattern {code(part['pattern'])}")
    return ", ".join(dict.fromkeys(parts))


def property_rows(schema: Schema, ref_text: RefText) -> list[str]:
    """A Markdown table of an object schema's properties (name, type, required, default, notes)."""
    properties: Mapping[str, Schema] = schema.get("properties") or {}
    if not properties:
        return []
    required = set(schema.get("required") or ())
    rows = ["| field | type | required | default | notes |", "|---|---|---|---|---|"]
    for name, prop in properties.items():
        default = code(json.dumps(prop["default"])) if "default" in prop else ""
        notes = " ".join(filter(None, [one_line(prop.get("description", "")), constraints_text(prop)]))
        rows.append(
            table_row(
                [code(name), type_text(prop, ref_text), "yes" if name in required else "", default, notes]
            )
        )
    return rows


def table_row(cells: list[str]) -> str:
    """One Markdown table row; a `|` inside a cell (code spans included) is escaped, as GFM asks."""
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def code(text: str) -> str:
    """An inline code span that survives backticks inside the text."""
    fence = "`"
    while fence in text:
        fence += "`"
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def one_line(text: str) -> str:
    return " ".join(str(text).split()).replace("``", "`")
