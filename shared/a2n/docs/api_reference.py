"""The HTTP API reference (docs/api.md) rendered from the OpenAPI document the API serves.

Routes are grouped by their first tag, in the order the document lists them; each names its
parameters, body, answers and auth; every schema they use follows, as a table of its fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from a2n.docs.schemas import code, property_rows, ref_name, table_row, type_text

_METHODS = ("get", "post", "put", "patch", "delete")


def render_api_reference(document: Mapping[str, Any]) -> str:
    """Markdown for every operation and every component schema of ``document``."""
    components = document.get("components", {})
    lines = [
        f"Generated from the OpenAPI document of {document['info']['title']} {document['info']['version']}"
        " (`GET /openapi.json`). Run `make docs` after changing a route.",
        "",
    ]
    for tag, operations in _by_tag(document).items():
        lines += [f"### {tag.capitalize()}", ""]
        for method, path, operation in operations:
            lines += _operation(method, path, operation, components)
    lines += ["### Schemas", ""]
    for name, schema in components.get("schemas", {}).items():
        lines += _schema(name, schema)
    return "\n".join(lines).rstrip() + "\n"


def _by_tag(document: Mapping[str, Any]) -> dict[str, list[tuple[str, str, Mapping[str, Any]]]]:
    grouped: dict[str, list[tuple[str, str, Mapping[str, Any]]]] = {}
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                grouped.setdefault(tag, []).append((method, path, operation))
    return grouped


def _link(ref: str) -> str:
    name = ref_name(ref)
    return f"[{name}](#schema-{name.lower()})"


def _operation(
    method: str, path: str, operation: Mapping[str, Any], components: Mapping[str, Any]
) -> list[str]:
    lines = [f"#### {method.upper()} {path}", "", operation.get("summary", "").strip() + ".", ""]
    if operation.get("description"):
        lines += [operation["description"].strip(), ""]
    auth = "bearer token or API key" if operation.get("security") else "none (public)"
    lines += [f"Auth: {auth}.", ""]
    parameters = [_resolve(p, components) for p in operation.get("parameters", [])]
    if parameters:
        lines += ["| parameter | in | type | required | notes |", "|---|---|---|---|---|"]
        for parameter in parameters:
            kind = type_text(parameter.get("schema", {}), _link)
            required = "yes" if parameter.get("required") else ""
            notes = " ".join(parameter.get("description", "").split())
            lines.append(table_row([code(parameter["name"]), parameter["in"], kind, required, notes]))
        lines.append("")
    body = operation.get("requestBody")
    if body:
        body = _resolve(body, components)
        required = "required" if body.get("required") else "optional"
        lines += [f"Body ({required}): {_content_text(body.get('content', {}))}.", ""]
    lines += ["| status | answer |", "|---|---|"]
    for status, entry in operation.get("responses", {}).items():
        response = _resolve(entry, components)
        answer = " ".join(response.get("description", "").split())
        content = response.get("content")
        if content:
            answer += f": {_content_text(content)}"
        headers = response.get("headers")
        if headers:
            answer += "; headers " + ", ".join(code(name) for name in headers)
        lines.append(table_row([code(status), answer]))
    return [*lines, ""]


def _content_text(content: Mapping[str, Any]) -> str:
    parts = []
    for media_type, media in content.items():
        schema = media.get("schema")
        parts.append(f"{type_text(schema, _link)} ({code(media_type)})" if schema else code(media_type))
    return ", or ".join(parts)


def _resolve(item: Mapping[str, Any], components: Mapping[str, Any]) -> Mapping[str, Any]:
    """A `$ref` to components/responses, parameters … replaced by what it names."""
    ref = item.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/components/"):
        return item
    section, name = ref.removeprefix("#/components/").split("/", 1)
    resolved: Mapping[str, Any] = components.get(section, {}).get(name, {})
    return resolved


def _schema(name: str, schema: Mapping[str, Any]) -> list[str]:
    lines = [f"#### Schema {name}", ""]
    if schema.get("description"):
        lines += [" ".join(str(schema["description"]).split()), ""]
    rows = property_rows(schema, _link)
    if rows:
        lines += rows
    else:
        lines.append(f"Type: {type_text(schema, _link)}.")
    return [*lines, ""]
